"""A lock between processes (and threads) on a workspace, held on ``.dicetm.lock``.

Writers take it exclusively and create the file when it is missing. Readers take it shared, and only when
the file exists: they open it read-only, so reading works in a read-only folder (where no writer can be
at work) and never creates the file. The lock file never holds data. The operating system drops the lock when
its holder dies (``store.portalock``: flock, or msvcrt on Windows, or lockf), so a crashed process can never
leave a stale lock behind; waiting longer than the timeout therefore means a live process holds it.
"""

from __future__ import annotations

import errno
import os
import random
import threading
import time
from pathlib import Path
from types import TracebackType

from dicetm.errors import Location, Problem, StoreError
from dicetm.store import portalock
from dicetm.store.wsfiles import linked

LOCK_FILENAME = ".dicetm.lock"
DEFAULT_TIMEOUT = 30.0

_held: set[tuple[str, int]] = set()  # (lock file, thread id) pairs held in this process
_held_guard = threading.Lock()


class WorkspaceLock:
    """Context manager: ``with WorkspaceLock(folder / LOCK_FILENAME): ...`` waits for the lock, up to ``timeout``.

    ``shared=True`` is the reader's lock: shared with other readers, and a no-op when the lock file does not
    exist or cannot be opened for reading (``held`` then says False).
    """

    def __init__(self, path: Path, timeout: float = DEFAULT_TIMEOUT, *, shared: bool = False) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.shared = shared
        self._fd: int | None = None
        self._key = ("", 0)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        self._key = (os.path.realpath(self.path), threading.get_ident())
        with _held_guard:
            if self._key in _held:
                # flock locks belong to open files, so a second open in the same thread would wait for itself.
                raise StoreError([Problem(
                    "this thread already holds the workspace lock", Location(file=str(self.path)),
                    "do not nest workspace transactions; read tx.register inside a transaction")])
        fd = self._open()
        if fd is None:
            return
        try:
            self._wait(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        with _held_guard:
            _held.add(self._key)

    def release(self) -> None:
        if self._fd is None:
            return
        with _held_guard:
            _held.discard(self._key)
        fd, self._fd = self._fd, None
        try:
            portalock.BACKEND.unlock(fd, self._key[0])
        finally:
            os.close(fd)

    def _open(self) -> int | None:
        if self.shared:
            try:
                return os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError:
                return None  # no writer has worked here, or none could: read without a lock
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise linked(self.path) from None
            raise StoreError([Problem(
                f"cannot open the lock file: {exc.strerror or exc}", Location(file=str(self.path)),
                "dicetm needs write access to the folder that holds the model for this command")]) from None

    def _wait(self, fd: int) -> None:
        # no backend has a timeout of its own: poll without blocking, backing off to a few milliseconds.
        deadline = time.monotonic() + self.timeout
        pause = 0.001
        while True:
            if portalock.BACKEND.try_lock(fd, self._key[0], shared=self.shared):
                return
            now = time.monotonic()
            if now >= deadline:
                raise StoreError([Problem(
                    f"gave up waiting for the workspace lock after {self.timeout:g} s",
                    Location(file=str(self.path)),
                    "another dicetm process is working on this workspace; let it finish and try again (the "
                    "lock is released as soon as that process ends, so there is nothing to delete)")])
            time.sleep(min(pause * random.uniform(0.5, 1.5), deadline - now))
            pause = min(pause * 2, 0.02)
