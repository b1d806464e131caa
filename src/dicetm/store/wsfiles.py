"""Workspace files are opened without following symbolic links, and every folder between the workspace and such
a file must be a real folder. A link committed into a repository (``dicetm-audit.jsonl -> ~/.bashrc``) therefore
meets a located StoreError instead of redirecting a read or a write outside the workspace. Failed reads and writes
become located StoreErrors whose hint fits the cause (a full disk, a read-only folder).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from dicetm.errors import Location, Problem, StoreError

ITERATIONS_DIRNAME = "dicetm-iterations"

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
