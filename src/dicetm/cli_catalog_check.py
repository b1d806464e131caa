"""``catalog check``: every framework id and name in the catalogue, the rules and (optionally) a model's own
threats and custom controls, checked against the published facts dicetm is pinned to.

Exit codes: 0 everything current, 1 unknown or outdated ids or names found, 2 bad input (a model that does
not validate, a malformed ATLAS file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dicetm.cli_common import fail, out
from dicetm.errors import DicetmError


def catalog_check(
    model: Annotated[Path | None, typer.Argument(
        help="Also check the threats and custom controls of this model (dicetm.yaml, or a folder holding one).",
        show_default=False)] = None,
    atlas: Annotated[Path | None, typer.Option(
        "--atlas", help="MITRE's ATLAS.yaml: compare the ATLAS ids and names with it one by one.",
        show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
) -> None:
    """Fail (exit 1) on any framework id or name that is unknown or outdated: OWASP LLM 2025 and 2026, OWASP
    agentic T1-T15 and ASI01-ASI10, MITRE ATLAS (version, ids, names) and CWE, in the catalogue, in every
    rule's references and in a model's own threats and controls. A year-less OWASP LLM id is ambiguous since
    the 2026 edition renumbered the list."""
    from dicetm.api import load
    from dicetm.catalog_check import run_check

    try:
        loaded = load(model) if model is not None else None
        problems = run_check(loaded, atlas)
    except DicetmError as exc:
        raise fail(exc, writes=False) from None
    if as_json:
        sys.stdout.write(json.dumps([{"location": str(p.location), "message": p.message, "hint": p.hint}
                                     for p in problems], indent=2) + "\n")
    elif not problems:
        what = f"the catalogue, the rules and {loaded.path}" if loaded is not None else "the catalogue and the rules"
        out.print(f"catalog check: {what} cite only current framework ids and names", markup=False)
    else:
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        out.print(f"catalog check: {count} with framework ids or names", markup=False)
        for problem in problems:
            out.print(f"  {problem.location}: {problem.message}", markup=False)
            if problem.hint:
                out.print(f"    hint: {problem.hint}", markup=False)
    if problems:
        raise typer.Exit(1)


def register(catalog_app: typer.Typer) -> None:
    catalog_app.command("check")(catalog_check)
