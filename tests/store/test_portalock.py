"""The workspace lock where ``fcntl`` does not exist: the lockf backend (forced here, as a platform without the
fcntl module gets it) and the Windows msvcrt backend (through a stand-in for ``msvcrt``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from dicetm.errors import StoreError
from dicetm.store import portalock
from dicetm.store.lock import WorkspaceLock

from .helpers import assert_threads_take_turns, python

# Another process holding the lock the way a dicetm process without fcntl would (a POSIX record lock).
LOCKF_HOLDER = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
os.lockf(fd, os.F_LOCK, 0)
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def without_fcntl(monkeypatch: pytest.MonkeyPatch) -> portalock.Backend:
    backend = portalock.choose(None, None)  # what a platform with neither fcntl nor msvcrt gets
    monkeypatch.setattr(portalock, "BACKEND", backend)
    return backend


def test_a_platform_without_fcntl_gets_a_lock_that_needs_no_fcntl(without_fcntl: portalock.Backend) -> None:
    assert without_fcntl.name == "lockf"
    assert portalock.choose(None, SimpleNamespace(locking=None)).name == "msvcrt"


def test_without_fcntl_another_process_holds_it_until_it_dies(tmp_path: Path,
                                                               without_fcntl: portalock.Backend) -> None:
    path = tmp_path / ".dicetm.lock"
    holder = python(LOCKF_HOLDER, str(path))
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(StoreError, match="gave up waiting"), WorkspaceLock(path, timeout=0.3):
            pass
        holder.send_signal(signal.SIGKILL)  # a crash: the OS drops the lock, nothing stale is left
        holder.wait()
        with WorkspaceLock(path, timeout=5):
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
        holder.stderr.close()  # type: ignore[union-attr]


def test_without_fcntl_a_holder_keeps_other_processes_out(tmp_path: Path, without_fcntl: portalock.Backend) -> None:
    path = tmp_path / ".dicetm.lock"
    probe = """
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
try:
    os.lockf(fd, os.F_TLOCK, 0)
    print("free")
except OSError:
    print("held")
"""
    with WorkspaceLock(path, timeout=1):
        inside = python(probe, str(path))
        assert inside.communicate(timeout=30)[0].strip() == "held"
    after = python(probe, str(path))
    assert after.communicate(timeout=30)[0].strip() == "free"


def test_without_fcntl_threads_take_turns(tmp_path: Path, without_fcntl: portalock.Backend) -> None:
    assert_threads_take_turns(tmp_path / ".dicetm.lock")


class _FakeMsvcrt:
    """``msvcrt.locking`` as Windows documents it: LK_NBLCK fails with OSError while another handle holds the
    bytes; LK_UNLCK releases them. Locks are kept per (file, offset) across the handles of one test."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self) -> None:
        self.held: dict[tuple[int, int], int] = {}  # (inode, offset) -> fd holding it
        self.calls: list[tuple[int, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        offset = os.lseek(fd, 0, os.SEEK_CUR)
        self.calls.append((mode, offset, nbytes))
        key = (os.fstat(fd).st_ino, offset)
        if mode == self.LK_NBLCK:
            if key in self.held and self.held[key] != fd:
                raise OSError(36, "Resource deadlock avoided")
            self.held[key] = fd
        elif mode == self.LK_UNLCK:
            self.held.pop(key, None)


def test_the_windows_backend_locks_byte_zero_and_releases_it(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeMsvcrt()
    backend = portalock.choose(None, fake)  # type: ignore[arg-type]
    monkeypatch.setattr(portalock, "BACKEND", backend)
    path = tmp_path / ".dicetm.lock"
    path.write_text("x")  # the holder's position must not matter
    other = os.open(path, os.O_RDWR)
    try:
        with WorkspaceLock(path, timeout=1):
            assert not backend.try_lock(other, str(path))  # a second handle is refused
        assert backend.try_lock(other, str(path))  # released on the way out
        backend.unlock(other, str(path))
    finally:
        os.close(other)
    assert {(mode, offset, nbytes) for mode, offset, nbytes in fake.calls} == {
        (fake.LK_NBLCK, 0, 1), (fake.LK_UNLCK, 0, 1)}
