"""Shared pieces of the store tests: a workspace in a temp folder, a tiny change to record, child processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from dicetm.model.register import HistoryEntry, Register, ThreatEntry
from dicetm.store.lock import WorkspaceLock
from dicetm.store.workspace import Transaction, Workspace

ACTOR = "Dana Lee <dana@example.com>"


def make_workspace(folder: Path) -> Workspace:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dicetm.yaml").write_text("name: store test\n", encoding="utf-8")
    return Workspace.open(folder)


def add_threat(tx: Transaction, item_id: str, reason: str | None = None) -> int:
    """Add one threat entry with the history entry of its own audit record; returns the record's seq."""
    entry = ThreatEntry(id=item_id, rule=item_id.split("@")[0], title=f"threat {item_id}")
    seq, at = tx.record("add", item_id, None, entry, reason=reason, details={"why": "test"})
    entry.history.append(HistoryEntry(seq=seq, at=at, actor=tx.actor, action="add", status_after="unreviewed",
                                      reason=reason))
    tx.register.threats.append(entry)
    return seq


def populate(workspace: Workspace, count: int, prefix: str = "T-TEST-001@e") -> None:
    """``count`` transactions of one record each."""
    for number in range(1, count + 1):
        with workspace.transaction(ACTOR) as tx:
            add_threat(tx, f"{prefix}{number:03d}")


def ids(register: Register) -> list[str]:
    return [entry.id for entry in register.threats]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` (the lock file aside, which never holds data), by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())
            if path.is_file() and path.name != ".dicetm.lock"}


def python(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Run ``script`` in a fresh interpreter, its input and output piped; it shares nothing with the tests but
    files."""
    return subprocess.Popen([sys.executable, "-c", script, *args], env={**os.environ, **(env or {})}, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)



def assert_threads_take_turns(path: Path, threads: int = 4, rounds: int = 20) -> None:
    """Several threads take the workspace lock at ``path`` in turn; never two inside at once."""
    inside: list[int] = []
    overlaps: list[int] = []

    def work() -> None:
        for _ in range(rounds):
            with WorkspaceLock(path, timeout=10):
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(1)
                time.sleep(0.0005)
                inside.pop()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert overlaps == []
