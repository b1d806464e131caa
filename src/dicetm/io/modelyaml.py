"""Render an imported model as ``dicetm.yaml`` text, and prove the text loads back to the same model.

The header comment names the source and lists everything left out, so the report travels with the file.
The text is validated with the model-file loader (schema, ids, cross-references, control ids) before
anyone can write it: an importer bug gives an error, never an invalid model on disk.
"""

from __future__ import annotations

from typing import Any

import yaml

from dicetm.errors import InputError, Location, Problem
from dicetm.io.interface import Unmapped
from dicetm.model.system import System
from dicetm.store.modelfile import parse_system_text

BUG_MARK = "importer bug"


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The safe dumper (libyaml's when present), writing multi-line text as readable ``|`` blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(data: Any) -> str:
    """Plain data as YAML text, keys in the order given, multi-line text as ``|`` blocks."""
    return str(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120))


def model_data(system: System) -> dict[str, Any]:
    """The model as plain data in field order; defaults and unset facts are left out (``version`` is kept)."""
    data = system.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return {"version": system.version, **{k: v for k, v in data.items() if k != "version"}}


def header(source: str, title: str, unmapped: list[Unmapped], notes: list[str]) -> str:
    lines = [
        f"dicetm model imported from {source} ({title}) by `dicetm import`.",
        "Facts the source does not state are left unset; review the elements' facts before relying on the analysis.",
    ]
    if notes:
        lines += ["", "Import notes:", *(f"  - {note}" for note in notes)]
    if unmapped:
        lines += ["", f"Not imported ({len(unmapped)}), with the path in the source file:"]
        lines += [f"  - {item}" for item in unmapped]
    else:
        lines += ["", "Everything in the source was imported."]
    return "".join(f"# {_comment(line)}".rstrip() + "\n" for line in lines) + "\n"


def _comment(text: str) -> str:
    """One comment line: whitespace collapsed, characters YAML does not allow even in comments escaped."""
    indent = " " * (len(text) - len(text.lstrip(" ")))
    return indent + "".join(c if _printable(c) else f"\\u{ord(c):04x}" for c in " ".join(text.split()))


def _printable(char: str) -> bool:
    code = ord(char)
    return (0x20 <= code <= 0x7E or code == 0x85 or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def render(system: System, source: str, title: str, unmapped: list[Unmapped], notes: list[str],
           known_controls: set[str]) -> tuple[str, System]:
    """The model file text and the system loaded back from it; InputError (marked as a bug) if it fails."""
    body = dump_yaml(model_data(system))
    text = header(source, title, unmapped, notes) + body
    try:
        loaded = parse_system_text(text, f"<model imported from {source}>", known_controls)
    except InputError as exc:
        raise InputError([_bug(p.message, p.location) for p in exc.problems]) from None
    if model_data(loaded.system) != model_data(system):
        raise InputError([_bug("the written model does not load back to the imported one", Location(file=source))])
    return text, loaded.system


def _bug(message: str, where: Location) -> Problem:
    return Problem(f"{BUG_MARK}: the imported model is invalid: {message}", where,
                   "nothing was written; please report this with the source file")
