"""The workspace lock: exclusive between processes and threads, with a timeout and a hint."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from dicetm.errors import StoreError
from dicetm.store.lock import WorkspaceLock

from .helpers import assert_threads_take_turns, python

HOLDER = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


def test_times_out_with_a_hint_while_another_process_holds_it(tmp_path: Path) -> None:
    path = tmp_path / ".dicetm.lock"
    holder = python(HOLDER, str(path))
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        started = time.monotonic()
        with pytest.raises(StoreError) as caught, WorkspaceLock(path, timeout=0.3):
            pass
        assert 0.3 <= time.monotonic() - started < 2
        problem = caught.value.problems[0]
        assert "0.3 s" in problem.message and problem.location.file == str(path)
        assert problem.hint and "another dicetm process" in problem.hint
        # Killing the holder releases the lock at once: there is no stale lock to clean up.
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        with WorkspaceLock(path, timeout=5):
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
        holder.stderr.close()  # type: ignore[union-attr]


def test_nesting_in_one_thread_fails_at_once(tmp_path: Path) -> None:
    path = tmp_path / ".dicetm.lock"
    with WorkspaceLock(path), pytest.raises(StoreError, match="already holds"), WorkspaceLock(path, timeout=5):
        pass
    with WorkspaceLock(path, timeout=0.1):  # released properly after all that
        pass


def test_threads_take_turns(tmp_path: Path) -> None:
    assert_threads_take_turns(tmp_path / ".dicetm.lock")


def test_lock_file_that_cannot_be_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open the lock file") as caught, WorkspaceLock(
            tmp_path / "missing" / ".dicetm.lock"):
        pass
    assert caught.value.problems[0].hint
