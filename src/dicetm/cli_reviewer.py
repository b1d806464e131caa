"""Who is deciding: the ``--reviewer`` option and its fallbacks, shared by ``review``, ``decide`` and ``audit sign``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dicetm.cli_common import fail
from dicetm.errors import DicetmError, InputError, Location, Problem

ReviewerOpt = Annotated[str | None, typer.Option(
    "--reviewer", help="Who decides, e.g. 'Dana Lee <dana@example.com>' (default: DICETM_REVIEWER, then git).")]


def usage_error(message: str, where: str, hint: str) -> typer.Exit:
    return fail(InputError([Problem(message, Location(path=where), hint=hint)]))


def _folder(path: Path) -> Path:
    """Where to ask git for the reviewer: the model's folder (a repository's own config applies there)."""
    return path if path.is_dir() else path.parent


def reviewer_name(explicit: str | None, path: Path) -> str:
    from dicetm.review import resolve_reviewer

    try:
        return resolve_reviewer(explicit, _folder(path))
    except DicetmError as exc:
        raise fail(exc) from None
