"""``dicetm import FORMAT FILE --out dicetm.yaml``: turn another tool's threat model into a dicetm model file.

A thin skin over :mod:`dicetm.io`: the library reads, maps and validates; this module prints the import
report (what was not imported, with its path in the source file) and writes the model file. Nothing is
written when the source cannot be imported, or when ``--out`` exists and ``--force`` is not given.

Exit codes: 0 imported, 2 bad usage or input (nothing written).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dicetm.cli_common import err, guard_output, out
from dicetm.cli_common import fail as _fail
from dicetm.errors import DicetmError, InputError, Location, Problem

if TYPE_CHECKING:
    from dicetm.io import ImportResult



class ImportFormat(StrEnum):
    threat_dragon = "threat-dragon"
    otm = "otm"
    threagile = "threagile"
    threat_composer = "threat-composer"
    mcp_config = "mcp-config"
    tm_bom = "tm-bom"


def _target(path: Path) -> Path:
    """``--out`` names the model file, or a folder to put ``dicetm.yaml`` in."""
    return path / "dicetm.yaml" if path.is_dir() else path


def import_model(
    fmt: Annotated[ImportFormat, typer.Argument(metavar="FORMAT", help="The other tool's format.")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The file exported by the other tool.")],
    output: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (or a folder for dicetm.yaml).")]
    = Path("dicetm.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
) -> None:
    """Import a Threat Dragon, OTM, Threagile, Threat Composer or TM-BOM (.tmbom.json) model, or draft one from
    an MCP client configuration (mcp-config: mcpServers / servers lists), into a dicetm model file. What the model
    has no field for stays with each item and comes back on export to that tool."""
    from dicetm.io import load_file
    from dicetm.store.atomic import write_text_atomic

    target = _target(output)
    if target.exists() and not force:
        raise _fail(InputError([Problem(f"{target} already exists", Location(file=str(target)),
                                        "pass --force to overwrite it, or choose another --out")]))
    guard_output(target, "model", force, "--out")
    try:
        result = load_file(fmt.value, file)
    except DicetmError as exc:
        raise _fail(exc) from None
    try:
        write_text_atomic(target, result.text)
    except OSError as exc:
        err.print(f"error: cannot write {target}: {exc.strerror or exc}; nothing was written.", markup=False)
        err.print("    hint: --out must name a file you can write to", markup=False)
        raise typer.Exit(2) from None
    _report(result, target)


def _report(result: ImportResult, target: Path) -> None:
    system = result.system
    out.print(f"imported {result.source} ({result.format}): {len(system.elements)} elements, {len(system.flows)} "
              f"flows, {len(system.trust_boundaries)} trust boundaries, {len(system.assets)} assets, "
              f"{len(system.threats)} threats, {len(system.controls)} controls", markup=False)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
    if result.unmapped:
        out.print(f"not imported ({len(result.unmapped)}), with the path in {result.source}:", markup=False)
        for item in result.unmapped:
            out.print(f"  {item}", markup=False)
    else:
        out.print("everything in the source was imported", markup=False)
    out.print(f"wrote {target}; next: dicetm analyze {target}", markup=False)


def main() -> None:
    """Run ``import`` on its own (``python -m dicetm.cli_import import FORMAT FILE``), as cli.py wires it."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True)

    @app.callback()
    def _group() -> None:
        """dicetm import (stand-alone)."""

    app.command("import")(import_model)
    app()


if __name__ == "__main__":
    main()
