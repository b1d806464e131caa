"""Run the catalogue admin commands in-process, and build modified copies of MITRE's file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from dicetm import cli

# A wide, colourless terminal: no wrapping, no escape codes.
TERMINAL: dict[str, str | None] = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COMMANDS = ("info", "import-atlas", "reset-atlas")


def wired() -> bool:
    """Whether dicetm's own `catalog` sub-app already has these commands."""
    return {c.name for c in cli.catalog_app.registered_commands} >= set(COMMANDS)


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def invoke(*args: str | Path) -> Outcome:
    """``dicetm catalog ARGS`` through the real CLI, in this process."""
    result = CliRunner().invoke(cli.app, ["catalog", *(str(a) for a in args)], env=TERMINAL, prog_name="dicetm")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, _ANSI.sub("", result.stdout), _ANSI.sub("", result.stderr))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (empty if it does not exist), by relative path."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def load_raw(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return document


def write_raw(document: dict[str, Any], path: Path) -> Path:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def without_technique(document: dict[str, Any], technique: str) -> dict[str, Any]:
    """``document`` with one technique removed, together with every mitigation link to it."""
    matrix = document["matrices"][0]
    matrix["techniques"] = [t for t in matrix["techniques"] if t["id"] != technique]
    for mitigation in matrix["mitigations"]:
        for key in ("techniques", "ml-lifecycle"):
            if key in mitigation:
                mitigation[key] = [x for x in mitigation[key] if not (isinstance(x, dict) and x.get("id") == technique)]
    return document
