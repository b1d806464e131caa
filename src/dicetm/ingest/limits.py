"""How much a document may cost to read: every limit has a name, a default and a way to raise it.

Documents are untrusted, so reading one is bounded: its size on disk, the size of all documents together, what
a Word file unpacks to and how far each of its parts is compressed, the text a PDF yields, how deeply HTML
nests, how many values an OpenAPI file expands to (YAML aliases are shared, walking them is not) and what the
compressed pages of a draw.io file inflate to. Going past a limit is an ``InputError`` that names the file, the
limit and the option that raises it (``--limit NAME=VALUE`` on ``scan``, ``describe`` and ``propose``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from dicetm.errors import InputError, Location, Problem

MB = 1_000_000


@dataclass(frozen=True)
class ReadLimits:
    document_mb: float = 20.0  # one file on disk
    total_mb: float = 200.0  # every file read in one command
    unpacked_mb: float = 100.0  # what a DOCX unpacks to; the text extracted from a PDF
    ratio: float = 200.0  # how far one DOCX part may be compressed (zip bombs reach 1,000)
    html_depth: int = 512  # open elements at once; browsers stop nesting at the same depth
    openapi_values: int = 1_000_000  # values in an OpenAPI document once its YAML aliases are expanded
    drawio_inflated_mb: float = 20.0  # what the compressed pages of one draw.io file inflate to, together

    def exceeded(self, file: str, what: str, name: str, *, line: int | None = None) -> InputError:
        """The error for ``file`` going past the limit ``name`` (``what`` says by how much)."""
        value = getattr(self, name)
        unit = " MB" if name.endswith("_mb") else ""
        option = option_name(name)
        return InputError([Problem(f"{what}, over the limit of {_round(value)}{unit} ({option})",
                                   Location(file=file, line=line),
                                   f"if you trust the file, raise the limit: --limit {option}={_plain(value * 4)}")])


def option_name(name: str) -> str:
    return name.replace("_", "-")


def parse_limits(settings: Iterable[str], base: ReadLimits | None = None) -> ReadLimits:
    """``["document-mb=50", "html-depth=2000"]`` on top of ``base`` (the defaults); InputError names bad ones."""
    limits = base or ReadLimits()
    problems: list[Problem] = []
    defaults: dict[str, float] = vars(ReadLimits())
    for setting in settings:
        name, sep, text = setting.partition("=")
        key = name.strip().replace("-", "_")
        if not sep or key not in defaults:
            problems.append(Problem(f"unknown limit {setting!r}", Location(path="--limit"),
                                    "use NAME=VALUE with NAME one of " + ", ".join(map(option_name, defaults))))
            continue
        try:
            value: float = int(text) if isinstance(defaults[key], int) else float(text)
        except ValueError:
            value = -1
        if not value > 0 or value == float("inf"):
            kind = "whole number" if isinstance(defaults[key], int) else "number"
            problems.append(Problem(f"the limit {option_name(key)} needs a positive {kind}, not {text!r}",
                                    Location(path="--limit"), f"for example --limit {option_name(key)}="
                                    f"{_plain(defaults[key] * 2)}"))
            continue
        limits = replace(limits, **{key: value})  # type: ignore[arg-type]
    if problems:
        raise InputError(problems)
    return limits


def limits_help() -> str:
    """The limits and their defaults, for ``--help``."""
    return ", ".join(f"{option_name(name)}={_plain(value)}" for name, value in vars(ReadLimits()).items())


def megabytes(size: int) -> str:
    return f"{_round(size / MB)} MB"


def _round(value: float) -> str:
    """For reading: ``1,000,000``, ``20``, ``2.5``."""
    return f"{value:,.1f}".removesuffix(".0")


def _plain(value: float) -> str:
    """For typing back: ``1000000``, ``20``, ``2.5``."""
    return f"{value:.1f}".removesuffix(".0")
