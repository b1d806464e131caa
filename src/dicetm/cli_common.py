"""What every CLI module shares: the two consoles, common arguments, and how errors are printed (exit 2)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from dicetm import textsafe
from dicetm.errors import DicetmError


class SafeConsole(Console):
    """A console that shows control characters in everything it prints as visible escapes (``\\x1b``).

    Names and reasons reach the terminal from model files, registers and documents; an ANSI sequence in one
    must not recolour, clear or rewrite the screen. Line breaks and tabs stay, so values printed on one line
    that could hold a line break go through ``one_line`` first.
    """

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(textsafe.lines(text), **options)


out = SafeConsole(highlight=False, soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)
one_line = textsafe.one_line

PathArg = Annotated[Path, typer.Argument(help="dicetm.yaml, or a folder holding one.")]
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="Replace the output even when it is a workspace file (dicetm.yaml, the register, the audit "
                    "log, an iteration) or an existing file of another kind.")]
REPORT_KINDS = {"md": "markdown", "html": "html", "json": "json", "csv": "csv", "pdf": "pdf"}


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
        err.print(f"  [bold]{escape(one_line(str(problem.location)))}[/]: {escape(one_line(problem.message))}")
        if problem.hint:
            err.print(f"    hint: {one_line(problem.hint)}", markup=False)
    return typer.Exit(2)


def write_failed(what: Path, exc: OSError, hint: str = "the folder must be writable") -> typer.Exit:
    """A file or folder could not be written (a folder where a file belongs, no permission, disk full)."""
    err.print(f"error: cannot write {what}: {exc.strerror or exc}", markup=False)
    err.print(f"    hint: {hint}", markup=False)
    return typer.Exit(2)


def model_file(path: Path) -> Path | None:
    """The model file a PATH argument names, or None (the command then reports the problem itself)."""
    from dicetm.store.modelfile import resolve_model_path

    try:
        return resolve_model_path(path)
    except DicetmError:
        return None


def guard_output(path: Path, kind: str, force: bool, option: str, model: Path | None = None) -> None:
    """Exit 2, writing nothing, when an output at ``path`` would replace what the user owns (see
    ``store.safety``); ``model`` is the command's model file, kept whatever its name."""
    from dicetm.store.safety import check_output_path

    try:
        check_output_path(path, kind, force, option=option, protect=[model] if model is not None else [])
    except DicetmError as exc:
        raise fail(exc) from None


def emit(text: str, output: Path | None, option: str) -> bool:
    """Write ``text`` to stdout, or atomically to ``output``; True when a file was written.

    ``option`` names the command's output option in the hint when the file cannot be written.
    """
    if output is None:
        sys.stdout.write(text)  # every renderer has already escaped the control characters for its format
        return False
    from dicetm.store.atomic import write_text_atomic

    try:
        write_text_atomic(output, text)
    except OSError as exc:
        raise write_failed(output, exc, f"{option} must name a file in a folder you can write to") from None
    return True
