"""Render some reports in a forked copy of this process while this one renders the others.

Python runs one thread at a time, so the Markdown, JSON and CSV reports of a large model and its HTML page
(together seconds of work) would take turns on one core. A forked child starts with the analysis already in
its memory (nothing is copied or serialised up front), renders its reports into temporary files beside their
targets and says which files it wrote; the caller renames them into place with its own. When anything goes
wrong in the child, it leaves nothing behind and the caller renders those reports itself, so errors are
raised as they would be without a child.

Only used where forking is safe: on Linux (macOS frameworks may break after a fork), and in a process that
runs no other thread (a fork copies one thread; a lock held by another would stay locked in the child).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from dicetm.store.atomic import write_all, write_temp


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class Aside:
    """Reports being rendered by a child process (see the module's doc). ``wait`` gives the temporary file of
    each report, or None when the child failed and left nothing; it must be called once the caller is done."""

    def __init__(self, pid: int, reading: int, formats: list[str]) -> None:
        self._pid = pid
        self._reading = reading
        self._formats = formats

    @classmethod
    def start(cls, render: Callable[[str], Iterable[bytes]], targets: Mapping[str, Path]) -> Aside | None:
        """A child writing ``render(format)`` (the report's bytes, in chunks) for each of ``targets``; None when no
        child could be made (the caller then renders them itself)."""
        try:
            reading, writing = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:  # out of memory or processes
            os.close(reading)
            os.close(writing)
            return None
        if pid == 0:  # the child: never returns
            os.close(reading)
            _child(render, targets, writing)
        os.close(writing)
        return cls(pid, reading, list(targets))

    def wait(self) -> dict[str, Path] | None:
        with os.fdopen(self._reading, "rb") as pipe:
            said = pipe.read()
        _pid, status = os.waitpid(self._pid, 0)
        try:
            made = {fmt: Path(name) for fmt, name in json.loads(said or "{}").items()}
        except ValueError:  # the child was stopped while it said which files it wrote
            made = {}
        if os.waitstatus_to_exitcode(status) == 0 and set(made) == set(self._formats):
            return made
        for temp in made.values():
            temp.unlink(missing_ok=True)
        return None


def _child(render: Callable[[str], Iterable[bytes]], targets: Mapping[str, Path], writing: int) -> None:
    code = 1
    made: dict[str, str] = {}
    try:
        for fmt, target in targets.items():
            made[fmt] = str(write_temp(target, render(fmt), durable=False))
        write_all(writing, json.dumps(made).encode("utf-8"))
        code = 0
    except BaseException:  # the parent renders these reports itself and raises what goes wrong
        for name in made.values():
            Path(name).unlink(missing_ok=True)
    finally:
        os._exit(code)  # no atexit handlers, no flushing of buffers the parent owns
