"""A non-blocking lock on an open file, on every platform, released by the OS when its holder dies.

``shared=True`` asks for a reader's lock (held by many readers at once, never beside a writer's) where the
backend has one: flock does; msvcrt has none, so a reader takes the exclusive lock for the short time it reads;
POSIX record locks need a file open for writing, so a reader on the lockf backend takes no lock at all, which is
safe because writers replace files atomically.

Three backends, chosen once by what the platform has:

- ``flock`` (``fcntl.flock``; Linux, macOS, BSD): the lock belongs to the open file.
- ``msvcrt`` (``msvcrt.locking`` on byte 0; Windows): the lock belongs to the file handle.
- ``lockf`` (``os.lockf``, POSIX record locks; systems with ``os.lockf`` but no ``fcntl`` module): the lock
  belongs to the process, so threads of one process are kept apart by an in-process lock per file.

All three are dropped by the operating system when the process ends, however it ends: a crash never leaves a
stale lock behind, and there is no lock file to clean up.
"""

from __future__ import annotations

import os
import threading
from types import ModuleType
from typing import Protocol


class Backend(Protocol):
    name: str

    def try_lock(self, fd: int, key: str, *, shared: bool = False) -> bool:
        """Take the lock without waiting; False when someone else holds it."""
        ...

    def unlock(self, fd: int, key: str) -> None: ...


class FlockBackend:
    name = "flock"

    def __init__(self, fcntl: ModuleType) -> None:
        self.fcntl = fcntl

    def try_lock(self, fd: int, key: str, *, shared: bool = False) -> bool:
        try:
            self.fcntl.flock(fd, (self.fcntl.LOCK_SH if shared else self.fcntl.LOCK_EX) | self.fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(self, fd: int, key: str) -> None:
        self.fcntl.flock(fd, self.fcntl.LOCK_UN)


class MsvcrtBackend:
    name = "msvcrt"

    def __init__(self, msvcrt: ModuleType) -> None:
        self.msvcrt = msvcrt

    def try_lock(self, fd: int, key: str, *, shared: bool = False) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks from the current position: always byte 0
        try:
            self.msvcrt.locking(fd, self.msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(self, fd: int, key: str) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        self.msvcrt.locking(fd, self.msvcrt.LK_UNLCK, 1)


class LockfBackend:
    """POSIX record locks: per process, so an in-process lock per file keeps this process's threads apart."""

    name = "lockf"

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._inside: dict[str, threading.Lock] = {}

    def _local(self, key: str) -> threading.Lock:
        with self._guard:
            return self._inside.setdefault(key, threading.Lock())

    def try_lock(self, fd: int, key: str, *, shared: bool = False) -> bool:
        local = self._local(key)
        if not local.acquire(blocking=False):
            return False
        if shared:
            return True  # a record lock needs a file open for writing; a reader reads atomically replaced files
        try:
            os.lockf(fd, os.F_TLOCK, 0)
        except OSError:
            local.release()
            return False
        return True

    def unlock(self, fd: int, key: str) -> None:
        try:
            os.lockf(fd, os.F_ULOCK, 0)  # unlocking needs no write access, so a reader's descriptor is fine
        finally:
            self._local(key).release()


def choose(fcntl: ModuleType | None, msvcrt: ModuleType | None) -> Backend:
    """The backend for a platform that has the given modules (None: missing)."""
    if fcntl is not None and hasattr(fcntl, "flock"):
        return FlockBackend(fcntl)
    if msvcrt is not None:
        return MsvcrtBackend(msvcrt)
    if hasattr(os, "lockf"):
        return LockfBackend()
    raise OSError("this platform offers no file lock dicetm can use (flock, msvcrt or lockf)")


def _module(name: str) -> ModuleType | None:
    try:
        return __import__(name)
    except ImportError:
        return None


BACKEND: Backend = choose(_module("fcntl"), _module("msvcrt"))
