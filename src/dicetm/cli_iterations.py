"""Command line for iterations and diffs: ``dicetm iteration new|list`` and ``dicetm diff``.

``register_commands(app)`` adds them to the main typer app. Like the rest of the CLI this module only
parses, calls the library, renders and picks the exit code (0 ok, 2 bad usage or input).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dicetm.cli_common import PathArg
from dicetm.cli_common import fail as _fail
from dicetm.cli_common import out as _out
from dicetm.cli_common import write_failed as _write_failed
from dicetm.errors import DicetmError
from dicetm.textsafe import json_text, lines

if TYPE_CHECKING:
    from dicetm.model import AnalysisResult, System
    from dicetm.model.register import Register
    from dicetm.review.diff import ModelDiff
    from dicetm.store.workspace import Workspace

iteration_app = typer.Typer(help="Record the workspace as an iteration and list the recorded ones.",
                            no_args_is_help=True)

WORKING_COPY = "the working copy"


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


@iteration_app.command("new")
def iteration_new(
    path: PathArg,
    reason: Annotated[str, typer.Option("--reason", help="Why this state is recorded.")],
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="Who records it (default: DICETM_REVIEWER, then git user.name <user.email>).")] = None,
) -> None:
    """Analyse, snapshot the model, register, result and report as iteration N, and start iteration N+1."""
    from dicetm.report import render_markdown
    from dicetm.review import analyze_workspace, resolve_reviewer
    from dicetm.store.iterations import check_reason, iteration_dir, snapshot
    from dicetm.store.workspace import Workspace

    try:
        reason = check_reason(reason)
        actor = resolve_reviewer(reviewer, Path.cwd())
        loaded, _register, result = analyze_workspace(path, write=True)
    except DicetmError as exc:
        raise _fail(exc, writes=True) from None
    except OSError as exc:
        raise _write_failed(Path(path), exc) from None
    try:  # the register is reconciled by now; the snapshot itself is all or nothing
        workspace = Workspace.open(loaded.path)
        info = snapshot(workspace, reason, actor, result, render_markdown(result, loaded.system))
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    except OSError as exc:
        raise _write_failed(Path(path), exc) from None
    folder = iteration_dir(workspace, info.number)
    _out.print(f"recorded iteration {info.number} in {folder} ({len(result.threats)} threats); "
               f"now working on iteration {info.number + 1}", markup=False)


@iteration_app.command("list")
def iteration_list(path: PathArg) -> None:
    """List the recorded iterations, oldest first (each checked against the audit log)."""
    from dicetm.store.iterations import list_iterations
    from dicetm.store.workspace import Workspace

    try:
        workspace = Workspace.open(path)
        infos = list_iterations(workspace)
        current = workspace.read().iteration
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    if not infos:
        _out.print(f"no iteration recorded yet (working on iteration {current}); record one with "
                   f"`dicetm iteration new {path} --reason TEXT`", markup=False)
        return
    table = Table(show_header=True)
    for column in ("iteration", "time (UTC)", "by", "threats", "reason"):
        table.add_column(column)
    for info in infos:
        table.add_row(str(info.number), info.time[:19].replace("T", " "), escape(info.actor),
                      str(info.threats), escape(info.reason))
    _out.print(table)
    _out.print(f"working on iteration {current}", markup=False)


def _pick(numbers: list[int], wanted: int | None, below: int | None, option: str, folder: Path) -> int:
    """The iteration ``wanted``, or by default the latest one (below ``below`` when given)."""
    from dicetm.errors import InputError, Location, Problem
    from dicetm.store.iterations import available_hint

    if wanted is not None:
        if wanted in numbers:
            return wanted
        raise InputError([Problem(f"there is no iteration {wanted}", Location(file=str(folder / str(wanted)),
                                                                              path=option),
                                  hint=available_hint(numbers))])
    candidates = [n for n in numbers if below is None or n < below]
    if not candidates:
        what = "no iteration is recorded yet" if not numbers else f"no iteration is recorded before {below}"
        raise InputError([Problem(what, Location(file=str(folder), path=option), hint=available_hint(numbers))])
    return candidates[-1]


@dataclass(frozen=True)
class _Side:
    """One side of a diff."""

    system: System
    register: Register
    result: AnalysisResult | None
    label: str


def _snapshot_side(workspace: Workspace, number: int) -> _Side:
    from dicetm.store.iterations import load_iteration

    snap = load_iteration(workspace, number)
    return _Side(snap.system, snap.register, snap.result, f"iteration {number}")


def _working_side(path: Path) -> _Side:
    from dicetm.review import analyze_workspace

    loaded, register, result = analyze_workspace(path, write=False)
    return _Side(loaded.system, register, result, WORKING_COPY)


def compare(path: Path, from_n: int | None, to_n: int | None) -> ModelDiff:
    """The diff from iteration ``from_n`` (default: the latest one, or the latest before ``to_n``) to
    iteration ``to_n`` (default: the working copy, analysed afresh without writing anything)."""
    from dicetm.review.diff import diff
    from dicetm.store.iterations import list_iterations
    from dicetm.store.workspace import Workspace

    workspace = Workspace.open(path)
    numbers = [info.number for info in list_iterations(workspace)]
    to_pick = None if to_n is None else _pick(numbers, to_n, None, "--to", workspace.iterations_dir)
    from_pick = _pick(numbers, from_n, to_pick, "--from", workspace.iterations_dir)
    old = _snapshot_side(workspace, from_pick)
    new = _working_side(path) if to_pick is None else _snapshot_side(workspace, to_pick)
    changes = diff(old.system, old.register, old.result, new.system, new.register, new.result)
    return changes.model_copy(update={"from_label": old.label, "to_label": new.label})


def diff_command(
    path: PathArg,
    from_n: Annotated[int | None, typer.Option("--from", help="Old side: an iteration number (default: the "
                                               "latest recorded one, or the latest before --to).")] = None,
    to_n: Annotated[int | None, typer.Option("--to", help="New side: an iteration number (default: the working "
                                             "copy: current model and register, analysed afresh).")] = None,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="text or json.")] = DiffFormat.text,
) -> None:
    """Show what changed between an iteration and the working copy (or another iteration)."""
    from dicetm.review.diff import render_text

    try:
        result = compare(path, from_n, to_n)
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    if fmt is DiffFormat.json:
        sys.stdout.write(json_text(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False)) + "\n")
    else:
        sys.stdout.write(lines(render_text(result)))


def register_commands(app: typer.Typer) -> None:
    """Add ``iteration new|list`` and ``diff`` to the main app."""
    app.add_typer(iteration_app, name="iteration")
    app.command("diff")(diff_command)
