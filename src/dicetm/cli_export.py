"""Command line for ``dicetm export FORMAT PATH [--out FILE]``: analyse a model and write it in another format.

``register_commands(app)`` adds the command to the main typer app; ``main()`` runs it on its own. Like
the rest of the CLI this module only parses, calls the library, prints and picks the exit code (0 ok,
2 bad usage or input). Everything is rendered before anything is written, and the file is replaced
atomically, so an error never leaves a partial export behind.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dicetm.cli_common import Detail, ForceOpt, emit, guard_output, model_file
from dicetm.cli_common import err as _err
from dicetm.cli_common import fail as _fail
from dicetm.cli_common import out as _out
from dicetm.errors import DicetmError


class ExportFormat(StrEnum):
    threat_dragon = "threat-dragon"
    otm = "otm"
    threat_composer = "threat-composer"
    threagile = "threagile"
    sarif = "sarif"
    csv = "csv"
    github_issues = "github-issues"
    jira = "jira"
    atlas_navigator = "atlas-navigator"
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"


class ThreatSelection(StrEnum):
    all = "all"
    stated = "stated"




def export_command(
    fmt: Annotated[ExportFormat, typer.Argument(
        metavar="FORMAT", help="Threat Dragon v2 JSON, Open Threat Model 0.2.0, Threat Composer workspace, "
                               "Threagile YAML, SARIF 2.1.0, CSV, GitHub issues (JSON for the REST API), Jira "
                               "(CSV import), ATLAS Navigator layer, Mermaid, Graphviz DOT or SVG.")],
    path: Annotated[Path, typer.Argument(metavar="PATH", help="dicetm.yaml, or a folder holding one.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: standard output).")]
    = None,
    threats: Annotated[ThreatSelection, typer.Option(
        help="all: every threat the analysis lists; stated: only threats written in the model file "
             "(by people or an import).")] = ThreatSelection.all,
    detail: Annotated[Detail, typer.Option(help="grouped: the reviewable list; full: every raw finding.")]
    = Detail.grouped,
    force: ForceOpt = False,
) -> None:
    """Analyse a model and export it for another tool: Threat Dragon, OTM, Threat Composer, Threagile, SARIF,
    CSV, an ATLAS Navigator layer, a data-flow diagram (Mermaid, DOT, SVG), or issues for a tracker
    (github-issues, jira: one per planned countermeasure and per accepted threat nothing covers; items with a
    tracker link from `dicetm decide ITEM --tracker URL` are left out).

    A model imported from a tool and exported back to it keeps what that tool wrote (ids, positions, styles,
    statuses); an export to another tool lists on standard error what it cannot carry.

    --out replaces an existing file only when it is an export of the same format, or with --force.
    """
    from dicetm.api import analyze_path
    from dicetm.io.exporters import cross_format, export, left_out
    if out is not None:
        guard_output(out, fmt.value, force, "--out", model_file(path))
    try:
        loaded, result = analyze_path(path, detail.value)
        text = export(fmt.value, result, loaded, threats=threats.value)
        missing = left_out(fmt.value, result, loaded, threats=threats.value)
        dropped = cross_format(fmt.value, loaded)
    except DicetmError as exc:
        raise _fail(exc) from None
    if missing:
        many = len(missing) != 1
        _err.print(f"note: {len(missing)} {'threats name' if many else 'threat names'} no element or flow, so the "
                   f"{fmt.value} file cannot hold {'them' if many else 'it'}: {', '.join(missing)}", markup=False)
    if dropped:
        _err.print(f"note: {fmt.value} cannot carry what the model keeps from the tool it was imported from "
                   "(export to that tool to keep it):", markup=False)
        for line in dropped:
            _err.print(f"  - {line}", markup=False)
    if not emit(text, out, "--out"):
        return
    _out.print(f"wrote {out} ({fmt.value}, {len(text.encode('utf-8'))} bytes)", markup=False)


def register_commands(app: typer.Typer) -> None:
    app.command("export")(export_command)


app = typer.Typer(name="dicetm", help="Export dicetm models for other tools.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _options() -> None:
    """Export dicetm models for other tools."""


register_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
