"""A full disk (ENOSPC) at any write of a decision or an iteration: a located error, exit 2, nothing half written."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from cli.helpers import invoke
from dicetm.store import atomic

REPO = Path(__file__).resolve().parents[2]
THREAT = "T-LLM-004@hosted-llm"
REVIEWER = "Dana Lee <dana@example.com>"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DICETM_REVIEWER", REVIEWER)
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "support-chatbot" / "dicetm.yaml", folder / "dicetm.yaml")
    assert invoke("decide", folder, "T-LLM-005@hosted-llm", "--accept").code == 0
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".dicetm.lock"}


def _full_disk_at(call: int) -> Callable[[int, bytes], None]:
    """A ``write_all`` whose ``call``-th use writes half its bytes and then finds the disk full."""
    calls = 0
    real = atomic.write_all

    def write_all(fd: int, data: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls != call:
            real(fd, data)
            return
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write_all


@pytest.mark.parametrize(("call", "file"), [(1, "dicetm-register.yaml"), (2, "dicetm-audit.jsonl")])
def test_a_full_disk_during_a_decision(workspace: Path, monkeypatch: pytest.MonkeyPatch, call: int,
                                       file: str) -> None:
    before = _files(workspace)
    monkeypatch.setattr(atomic, "write_all", _full_disk_at(call))
    done = invoke("decide", workspace, THREAT, "--accept")
    monkeypatch.undo()
    assert done.code == 2, done.stderr
    assert f"{workspace / file}: cannot" in done.stderr and "No space left on device" in done.stderr
    assert "free some space" in done.stderr and "nothing was written" in done.stderr
    assert _files(workspace) == before  # no temp file, no half record, no half register
    assert invoke("audit", "verify", workspace).code == 0
    assert invoke("decide", workspace, THREAT, "--accept").code == 0  # and it works once there is space


def test_a_full_disk_when_the_register_is_renamed(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _files(workspace)

    def rename(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("dicetm.store.workspace.os.replace", rename)
    done = invoke("decide", workspace, THREAT, "--accept")
    monkeypatch.undo()
    assert done.code == 2 and "No space left on device" in done.stderr
    assert _files(workspace) == before


def test_a_full_disk_while_recording_an_iteration(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("analyze", workspace, "--out", workspace.parent / "out").code == 0  # the register is current
    before = _files(workspace)
    monkeypatch.setattr(atomic, "write_all", _full_disk_at(3))  # a file of the snapshot
    done = invoke("iteration", "new", workspace, "--reason", "design review", "--reviewer", REVIEWER)
    monkeypatch.undo()
    assert done.code == 2, done.stderr
    assert "dicetm-iterations" in done.stderr and "No space left on device" in done.stderr
    assert "Traceback" not in done.stderr
    assert _files(workspace) == before
    assert invoke("iteration", "new", workspace, "--reason", "design review", "--reviewer", REVIEWER).code == 0
