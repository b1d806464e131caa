"""Safe file access for the workspace and for command outputs.

Two guards:

- Workspace files (the model, register, audit log, proposals, lock file, iterations) are opened without
  following symbolic links, and every folder between the workspace and such a file must be a real folder.
  A link committed into a repository (``dicetm-audit.jsonl -> ~/.bashrc``) therefore meets a located
  StoreError instead of redirecting a write outside the workspace.
- :func:`check_output_path` is the one check every command that writes an output file calls before
  writing: it refuses to replace a file the workspace owns, or an existing file of another kind, unless
  the user passed ``--force``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from dicetm.errors import InputError, Location, Problem, StoreError

ITERATIONS_DIRNAME = "dicetm-iterations"
# Files a workspace owns, by name, and the output kind that may replace them (None: no output may).
OWNED: dict[str, tuple[str, str | None]] = {
    "dicetm.yaml": ("the model file", "model"),
    "dicetm.yml": ("the model file", "model"),
    "dicetm-register.yaml": ("the review register", None),
    "dicetm-audit.jsonl": ("the audit log", None),
    "dicetm-proposals.yaml": ("the proposals file", None),
    "dicetm-config.yaml": ("the workspace configuration", None),
    ".dicetm.lock": ("the workspace lock file", None),
}
# Output kinds and the family of file each one is; the family decides what an existing file may be replaced by.
KINDS: dict[str, str] = {
    "model": "yaml", "yaml": "yaml", "markdown": "markdown", "html": "html", "json": "json", "sarif": "json",
    "csv": "csv", "svg": "xml", "mermaid": "text", "dot": "text", "text": "text", "pdf": "pdf",
}
_SUFFIX_FAMILY = {
    ".yaml": "yaml", ".yml": "yaml", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
    ".json": "json", ".sarif": "json", ".csv": "csv", ".svg": "xml", ".xml": "xml", ".pdf": "pdf",
}
_SNIFF_BYTES = 8192
_FORCE_HINT = "choose another output path, or pass --force to replace it"


def check_output_path(path: Path, kind: str, force: bool = False) -> None:
    """Refuse (InputError) to write an output of ``kind`` to ``path`` when that would replace a workspace file
    (model, register, audit log, proposals, lock, anything in ``dicetm-iterations/``) or an existing file of
    another kind (a Markdown report over a CSV, HTML over notes). ``force=True`` allows both.

    ``kind`` is one of :data:`KINDS` (``"model"`` for a command that writes ``dicetm.yaml``). A folder is
    always refused: an output is a file. Returns None when the write may go ahead.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}; one of {', '.join(KINDS)}")
    path = Path(path)
    where = Location(file=str(path))
    if path.is_dir() and not path.is_symlink():
        raise InputError([Problem("the output path is a folder", where, "name a file to write")])
    exists = path.is_symlink() or path.exists()
    owner = _owner(path)
    if force:
        return
    if owner is not None:
        label, replaceable_by = owner
        if replaceable_by != kind:
            raise InputError([Problem(f"the output would replace {label}, which the workspace owns", where,
                                      _FORCE_HINT)])
        if exists:
            raise InputError([Problem(f"{label} already exists", where, _FORCE_HINT)])
        return
    if not exists:
        return
    if path.is_symlink():
        raise InputError([Problem("the output path is a symbolic link; writing would replace the link", where,
                                  _FORCE_HINT)])
    found = _family_of_file(path)
    if found is not None and found != KINDS[kind]:
        raise InputError([Problem(f"{path.name} exists and holds {found} content; this command writes {kind}",
                                  where, _FORCE_HINT)])


def _owner(path: Path) -> tuple[str, str | None] | None:
    if ITERATIONS_DIRNAME in path.parts[:-1]:
        return ("a recorded iteration", None)
    if path.name == ITERATIONS_DIRNAME:
        return ("the iterations folder", None)
    return OWNED.get(path.name)


def _family_of_file(path: Path) -> str | None:
    """The family of an existing file: from its content where that tells, else from its name (None: empty)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return "unreadable"
    if not head.strip():
        return None
    if head.startswith(b"%PDF-"):
        return "pdf"
    if b"\0" in head:
        return "binary"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "html"
    if start.startswith((b"<?xml", b"<svg")):
        return "xml"
    if start.startswith((b"{", b"[")):
        return "json"
    return _SUFFIX_FAMILY.get(path.suffix.lower(), "text")


# ---------------------------------------------------------------------------------- workspace files


def refuse_links(root: Path, path: Path) -> None:
    """StoreError when ``path`` or a folder between ``root`` and it is a symbolic link (``root`` may be one)."""
    root, path = Path(root), Path(path)
    try:
        inside = path.relative_to(root)
    except ValueError:
        inside = Path(path.name)
        root = path.parent
    current = root
    for part in inside.parts:
        current = current / part
        if current.is_symlink():
            raise linked(current)


def linked(path: Path) -> StoreError:
    return StoreError([Problem(
        "is a symbolic link; dicetm does not follow links inside a workspace", Location(file=str(path)),
        "replace the link with the file itself (a link in a shared repository can point anywhere)")])


def read_bytes(path: Path, label: str) -> bytes | None:
    """The content of a workspace file without following a link; None when there is no such file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _refused(path, exc, f"cannot read {label}") from None
    try:
        with os.fdopen(fd, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _refused(path, exc, f"cannot read {label}") from None


def open_append(path: Path, label: str) -> int:
    """A descriptor appending to a workspace file (created if missing), never through a link."""
    try:
        return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise _refused(path, exc, f"cannot write {label}") from None


def _refused(path: Path, exc: OSError, what: str) -> StoreError:
    if exc.errno == errno.ELOOP or Path(path).is_symlink():
        return linked(Path(path))
    return disk_error(path, exc, what)


def disk_error(path: Path, exc: OSError, what: str) -> StoreError:
    """A located StoreError for a failed read or write, with a hint that fits the cause."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = "the disk (or your quota) is full: free some space and run the command again"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "dicetm needs write access to the workspace folder for this command"
    else:
        hint = "check the file and its folder"
    return StoreError([Problem(f"{what}: {exc.strerror or exc}", Location(file=str(path)), hint)])
