"""Atomic file writes: write a temp file beside the target, fsync, rename over the target.

``write_temp`` and ``replace_synced`` are the two halves, for callers that must do something durable
between them (the workspace appends to its audit log there).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; new files get the usual 0666 minus the umask."""
    try:
        return path.lstat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` at once. ``durable=False`` skips the fsyncs (for caches, which may be
    lost in a power cut but never seen half written)."""
    path = Path(path)
    if durable:
        replace_synced(write_temp(path, data), path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temp_pattern(path: Path) -> str:
    """Glob pattern (relative to the folder) of the temp files ``write_temp`` makes for ``path``."""
    return f".{Path(path).name}.*.tmp"


def write_temp(path: Path, data: bytes | Iterable[bytes], *, durable: bool = True) -> Path:
    """Write ``data`` (bytes, or chunks of bytes written one after the other) to a new temp file beside ``path``
    and fsync it (unless not ``durable``); the caller renames or deletes it.

    The temp file is created exclusively (O_EXCL), so a link planted under its name is never followed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _mode_for(path))
        for chunk in (data,) if isinstance(data, bytes) else data:
            write_all(fd, chunk)
        if durable:
            os.fsync(fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return Path(tmp)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (a short write is continued; a full disk raises OSError).

    Every durable write of the store goes through here, so tests can simulate a full disk in one place.
    """
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def replace_synced(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` over ``path`` and fsync the folder; ``tmp`` is deleted if the rename fails."""
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    sync_folder(Path(path).parent)


def sync_folder(folder: Path) -> None:
    """fsync a folder so renames and new files in it survive a power cut (a no-op where unsupported)."""
    try:
        directory = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
