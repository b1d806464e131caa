"""Who is deciding. Anonymous decisions are refused: a record nobody owns is no evidence.

A name given on purpose (``--reviewer`` or ``DICETM_REVIEWER``) is used or refused, never replaced: a blank
one does not fall back to git, so a script that loses its variable fails instead of recording someone else.
Names the tool writes under its own name (``dicetm``, ``llm:<provider>/<model>``) are reserved, and a name
holding a control character (a line break could forge a line of ``dicetm check`` output) is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from dicetm.errors import InputError, Location, Problem
from dicetm.gitconfig import git_config
from dicetm.textsafe import unsafe_character

SYSTEM_ACTOR = "dicetm"
RESERVED_PREFIXES = ("llm:", "dicetm:")
MAX_NAME_LENGTH = 200
_HINT = "pass --reviewer 'Name <email>', set DICETM_REVIEWER, or set git config user.name and user.email"


def is_reserved(name: str) -> bool:
    """Whether ``name`` is one the tool records under itself (any case)."""
    folded = name.strip().casefold()
    return folded == SYSTEM_ACTOR or folded.startswith(RESERVED_PREFIXES)


def name_problem(name: str, what: str = "reviewer") -> str | None:
    """Why ``name`` cannot stand for a person in the record, or None when it can."""
    if not name.strip():
        return f"the {what} name is blank"
    bad = unsafe_character(name)
    if bad is not None:
        return f"the {what} name holds a control character ({bad}): names go on one line in every record"
    if len(name.strip()) > MAX_NAME_LENGTH:
        return f"the {what} name is longer than {MAX_NAME_LENGTH} characters"
    if is_reserved(name):
        return f"{name.strip()!r} is reserved for dicetm's own records and cannot name a {what}"
    return None


def check_name(name: str, where: str, what: str = "reviewer") -> str:
    """``name`` stripped, or InputError located at ``where`` (an option or variable name)."""
    problem = name_problem(name, what)
    if problem is not None:
        raise InputError([Problem(problem, Location(path=where), hint=_HINT if what == "reviewer" else None)])
    return name.strip()


def _email(name: str) -> str | None:
    start, end = name.rfind("<"), name.rfind(">")
    return (name[start + 1:end].strip() or None) if 0 <= start < end else None


def same_person(first: str, second: str) -> bool:
    """One person under two spellings: the same name ignoring case and spacing, or the same e-mail address."""
    if " ".join(first.split()).casefold() == " ".join(second.split()).casefold():
        return True
    email = _email(first)
    return email is not None and email.casefold() == (_email(second) or "").casefold()


def resolve_reviewer(explicit: str | None, cwd: Path) -> str:
    """--reviewer, then DICETM_REVIEWER, then git user.name <user.email>; otherwise refuse.

    A flag or variable that is given but blank, reserved or holds a control character is refused.
    """
    if explicit is not None:
        return check_name(explicit, "--reviewer")
    from_env = os.environ.get("DICETM_REVIEWER")
    if from_env is not None:
        return check_name(from_env, "DICETM_REVIEWER")
    name = git_config("user.name", cwd)
    email = git_config("user.email", cwd)
    if name and email:
        return check_name(f"{name} <{email}>", "git config user.name/user.email")
    if name or email:
        return check_name(name or email or "", "git config user.name/user.email")
    raise InputError([Problem(
        "no reviewer identity: decisions must be made by a named person", Location(path="--reviewer"),
        hint=_HINT,
    )])
