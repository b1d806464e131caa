"""Which files a document command reads, and reading their bytes safely.

Nothing leaves the paths it was given by accident:

- a symbolic link is followed only when its target lies inside the folder it was found in (the folder named on
  the command line). A link pointing anywhere else, a broken link, and a link named on the command line itself
  are skipped with the reason, unless ``follow_symlinks``; folders are walked without following links to
  folders, so a link cannot lead the walk outside either (and a loop of links cannot trap it);
- a file that is a credential store (``secrets.credential_file``: by its name, its place or its content,
  checked on the link *and* on its target) is refused, never parsed;
- only regular files are read (not a FIFO that would block, nor a device that never ends), opened without
  following a link that appeared after the check, and never past the size limits (``limits.ReadLimits``).

A folder stands for the supported files under it, in sorted order, skipping hidden files and folders (except
where MCP clients keep their server lists: ``.vscode/``, ``.cursor/``, ``.mcp.json``); files
without an extension are only read when named explicitly, and YAML/JSON files under a folder that are not
OpenAPI are passed over.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.limits import MB, ReadLimits, megabytes
from dicetm.ingest.secrets import SNIFF_BYTES, credential_file

# hidden names a folder walk still reads: the MCP server lists of VS Code, Cursor and Claude Code
_READ_HIDDEN = frozenset({".vscode", ".cursor", ".mcp.json"})
SKIPPED_HINTS = {  # by Skipped.kind: what to do about a file that was not read
    "symlink": "pass --follow-symlinks to read what links point to (only if you trust where they lead)",
    "credentials": "dicetm never reads credential files; pass architecture documents",
    "special": "pass a regular file (save what the pipe or device gives to a file first)",
}


@dataclass(frozen=True)
class Skipped:
    """A file not read, and why. ``kind``: "symlink", "credentials" or "special"."""

    path: str
    kind: str
    reason: str


@dataclass(frozen=True)
class Source:
    display: str  # the path as the user gave it or as found under a folder given
    path: Path  # where it was read from (the link, when a link was followed)
    raw: bytes


@dataclass
class Selection:
    entries: list[Source | Problem] = field(default_factory=list)  # in the order of the paths given
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    """What to read: ``wanted`` picks the files under a folder by name; ``sniff`` looks at the first bytes of each
    and may pass it over (a YAML file that is not an API description); ``refuse`` says why a file named
    explicitly is no document (after the credential check, before it is opened); ``empty_hint`` explains an empty
    folder."""

    wanted: Callable[[Path], bool]
    sniff: Callable[[Path, bytes], bool]
    refuse: Callable[[Path], Problem | None]
    empty_hint: str


def select_sources(paths: Sequence[Path], rules: Rules, *, follow_symlinks: bool, limits: ReadLimits) -> Selection:
    """Read the files ``paths`` name (folders expanded to the files ``rules`` accept), each once."""
    selection = Selection()
    seen: set[Path] = set()
    budget = _Budget(limits)
    for path in paths:
        for file, from_folder in _expand(path, follow_symlinks, rules, selection):
            real = file.resolve()
            if real in seen:
                continue
            seen.add(real)
            if from_folder:
                _read(file, real, budget, selection, sniff=rules.sniff)
            else:
                _read(file, real, budget, selection, refuse=rules.refuse)
    return selection


def read_source(path: Path, display: str, limits: ReadLimits) -> Source:
    """One file named explicitly, links followed; InputError when it cannot be read or is refused."""
    selection = Selection()
    _read(path, path.resolve(), _Budget(limits), selection, display=display, follow=True)
    problems = [entry for entry in selection.entries if isinstance(entry, Problem)]
    problems += [Problem(f"not read: {skipped.reason}", Location(file=display), SKIPPED_HINTS[skipped.kind])
                 for skipped in selection.skipped]
    if problems:
        raise InputError(problems)
    source = selection.entries[0]
    assert isinstance(source, Source)
    return source


# -------------------------------------------------------------------------------------------- walking


def _expand(path: Path, follow: bool, rules: Rules, selection: Selection) -> Iterator[tuple[Path, bool]]:
    if path.is_symlink() and not follow:
        target = _target(path)
        selection.skipped.append(Skipped(str(path), "symlink", (
            f"a symbolic link to {target}; links named on the command line are not followed" if target else
            "a broken symbolic link")))
        return
    if path.is_dir():
        skipped = len(selection.skipped)
        chosen = [file for file in sorted(_walk(path, follow, selection)) if rules.wanted(file)]
        if not chosen and len(selection.skipped) == skipped:
            selection.entries.append(Problem("the folder holds no document dicetm reads", Location(file=str(path)),
                                             rules.empty_hint))
        yield from ((file, True) for file in chosen)
    elif path.exists():
        yield path, False
    else:
        selection.entries.append(Problem("no such file or folder", Location(file=str(path)), "check the path"))


def _walk(root: Path, follow: bool, selection: Selection) -> Iterator[Path]:
    """The files under ``root`` (hidden ones left out); links are judged by where they lead."""
    real_root = root.resolve()
    visited = {real_root}
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            selection.entries.append(Problem(f"cannot list the folder: {exc.strerror or exc}",
                                             Location(file=str(folder)), "check that you may read it"))
            continue
        for entry in entries:
            if entry.name.startswith(".") and entry.name not in _READ_HIDDEN:
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                target = _target(path)
                if target is None:
                    selection.skipped.append(Skipped(str(path), "symlink", "a broken symbolic link"))
                    continue
                if not follow and not target.is_relative_to(real_root):
                    selection.skipped.append(Skipped(str(path), "symlink", (
                        f"a symbolic link to {target}, outside {root}")))
                    continue
                if target.is_dir():
                    if follow and target not in visited:  # inside the root, its files are read where they are
                        visited.add(target)
                        pending.append(path)
                    continue
                yield path
            elif entry.is_dir(follow_symlinks=False):
                visited.add(Path(entry.path).resolve())
                pending.append(path)
            else:
                yield path


def _target(link: Path) -> Path | None:
    """Where a link finally leads, or None when it leads nowhere (broken, or a loop)."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return target


# -------------------------------------------------------------------------------------------- reading


class _Budget:
    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.used = 0


def _read(path: Path, real: Path, budget: _Budget, selection: Selection, *, display: str | None = None,
          follow: bool | None = None, sniff: Callable[[Path, bytes], bool] | None = None,
          refuse: Callable[[Path], Problem | None] | None = None) -> None:
    shown = display or str(path)
    limits = budget.limits
    for name in (path, real):
        reason = credential_file(name)
        if reason is not None:
            selection.skipped.append(Skipped(shown, "credentials", reason))
            return
    problem = refuse(path) if refuse is not None else None
    if problem is not None:  # named on the command line, and no document: say so without opening it
        selection.entries.append(problem)
        return
    # A link was judged above by where it leads; anything else is opened refusing a link that appeared since.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not (path.is_symlink() if follow is None else follow):
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            selection.skipped.append(Skipped(shown, "symlink", "it became a symbolic link while being read"))
        else:
            selection.entries.append(Problem(f"cannot read the file: {exc.strerror or exc}", Location(file=shown),
                                             "check the path and that you may read the file"))
        return
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            selection.skipped.append(Skipped(shown, "special", "not a regular file (a device, a pipe or a socket)"))
            return
        head = handle.read(SNIFF_BYTES)
        if sniff is not None and not sniff(path, head):
            return
        reason = credential_file(real, head)
        if reason is not None:
            selection.skipped.append(Skipped(shown, "credentials", reason))
            return
        size = max(os.fstat(handle.fileno()).st_size, len(head))
        problem = _over_limit(shown, size, budget)
        if problem is None:
            raw = head + handle.read(max(0, int(limits.document_mb * MB) + 1 - len(head)))  # it may have grown
            problem = _over_limit(shown, len(raw), budget)
    if problem is not None:
        selection.entries.append(problem)
        return
    budget.used += len(raw)
    selection.entries.append(Source(shown, path, raw))


def _over_limit(shown: str, size: int, budget: _Budget) -> Problem | None:
    limits = budget.limits
    if size > limits.document_mb * MB:
        return limits.exceeded(shown, f"the file is {megabytes(size)}", "document_mb").problems[0]
    if budget.used + size > limits.total_mb * MB:
        return limits.exceeded(shown, f"with this file the documents add up to {megabytes(budget.used + size)}",
                               "total_mb").problems[0]
    return None
