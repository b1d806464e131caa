"""What every CLI module shares: the two consoles, common arguments, and how errors are printed (exit 2)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from dicetm.errors import DicetmError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

PathArg = Annotated[Path, typer.Argument(help="dicetm.yaml, or a folder holding one.")]


class Detail(StrEnum):
    grouped = "grouped"
    full = "full"


def fail(exc: DicetmError, *, writes: bool = True, tail: str | None = None) -> typer.Exit:
    """Print every problem of ``exc`` to stderr and return exit 2 for the caller to raise.

    ``writes`` says whether the command would have written files (the message then says nothing was);
    ``tail`` replaces that ending when a command has its own wording.
    """
    count = len(exc.problems)
    if tail is None:
        tail = "; nothing was written." if writes else "."
    err.print(f"[bold red]error:[/] {count} problem{'s' if count != 1 else ''} found{escape(tail)}")
    for problem in exc.problems:
        # Locations and messages quote the user's file names and values: never read them as rich markup.
        err.print(f"  [bold]{escape(str(problem.location))}[/]: {escape(problem.message)}")
        if problem.hint:
            err.print(f"    hint: {problem.hint}", markup=False)
    return typer.Exit(2)


def write_failed(what: Path, exc: OSError, hint: str = "the folder must be writable") -> typer.Exit:
    """A file or folder could not be written (a folder where a file belongs, no permission, disk full)."""
    err.print(f"error: cannot write {what}: {exc.strerror or exc}", markup=False)
    err.print(f"    hint: {hint}", markup=False)
    return typer.Exit(2)


def emit(text: str, output: Path | None, option: str) -> bool:
    """Write ``text`` to stdout, or atomically to ``output``; True when a file was written.

    ``option`` names the command's output option in the hint when the file cannot be written.
    """
    if output is None:
        sys.stdout.write(text)
        return False
    from dicetm.store.atomic import write_text_atomic

    try:
        write_text_atomic(output, text)
    except OSError as exc:
        raise write_failed(output, exc, f"{option} must name a file in a folder you can write to") from None
    return True
