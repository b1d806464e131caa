"""Who is deciding. Anonymous decisions are refused: a record nobody owns is no evidence."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dicetm.errors import InputError, Location, Problem


def _git_config(key: str, cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", "config", "--get", key], cwd=cwd, capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = done.stdout.strip()
    return value or None


def resolve_reviewer(explicit: str | None, cwd: Path) -> str:
    """--reviewer, then DICETM_REVIEWER, then git user.name <user.email>; otherwise refuse."""
    for candidate in (explicit, os.environ.get("DICETM_REVIEWER")):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    name = _git_config("user.name", cwd)
    email = _git_config("user.email", cwd)
    if name and email:
        return f"{name} <{email}>"
    if name or email:
        return name or email or ""
    raise InputError([Problem(
        "no reviewer identity: decisions must be made by a named person", Location(path="--reviewer"),
        hint="pass --reviewer 'Name <email>', set DICETM_REVIEWER, or set git config user.name and user.email",
    )])
