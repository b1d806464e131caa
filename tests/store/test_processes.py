"""Real processes: parallel writers lose nothing, and a writer killed at any moment leaves a recoverable state.

Children are fresh interpreters (``python -c``) that share nothing with the test but files. The parallel and the
killed writers are forked from one such interpreter after its imports, which spares each of them the second or
so that importing pydantic and dicetm takes here; they are still separate processes with their own locks.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from dicetm.store.workspace import CRASH_EXIT_CODE

from .helpers import make_workspace, populate, python, snapshot

CHILD_SETUP = """
import sys
from pathlib import Path
from dicetm.model.register import CountermeasureEntry, HistoryEntry, ThreatEntry
from dicetm.store.workspace import Workspace

def add(tx, item_id):
    entry = ThreatEntry(id=item_id, rule=item_id.split("@")[0], title="t")
    seq, at = tx.record("add", item_id, None, entry)
    entry.history.append(HistoryEntry(seq=seq, at=at, actor=tx.actor, action="add", status_after="unreviewed"))
    tx.register.threats.append(entry)
    return seq

workspace = Workspace.open(Path(sys.argv[1]))
"""

# One transaction adding three threats.
ONCE = CHILD_SETUP + """
with workspace.transaction("child") as tx:
    seq = [add(tx, f"T-ONCE-001@e{k}") for k in range(3)][-1]
print(seq, flush=True)
"""

# Says "ready" once imported, then forks one child per "go" line. Each child runs transactions until killed,
# each noting its seq on both of two threats (one record per threat, so a register mixing two transactions
# would show), and prints the last seq after each commit.
KILLABLE = CHILD_SETUP + """
import os
print("ready", flush=True)
while sys.stdin.readline():
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        print("child", os.getpid(), flush=True)
        while True:
            with workspace.transaction("child") as tx:
                if not tx.register.threats:
                    tx.register.threats = [ThreatEntry(id=f"T-KILL-001@{e}", rule="T-KILL-001", title="t")
                                           for e in "ab"]
                for entry in tx.register.threats:
                    seq, at = tx.record("note", entry.id, entry, entry)
                    entry.reason = str(seq)
            print(seq, flush=True)
    _pid, status = os.waitpid(pid, 0)
    print("ended", os.waitstatus_to_exitcode(status), flush=True)
"""

# Forks the writers at once, so they contend for the lock from their first transaction. Each writer adds one
# history entry to a shared item per transaction: the read-modify-write that loses updates without a lock.
WRITERS = CHILD_SETUP + """
import os, traceback

def write(name, count):
    for number in range(count):
        with workspace.transaction(name) as tx:
            shared = next((c for c in tx.register.countermeasures if c.id == "C-SHARED-001"), None)
            if shared is None:
                shared = CountermeasureEntry(id="C-SHARED-001")
                tx.register.countermeasures.append(shared)
            note = {"writer": name, "n": number}
            seq, at = tx.record("note", shared.id, shared, shared, details=note)
            shared.history.append(HistoryEntry(seq=seq, at=at, actor=name, action="note", status_after="proposed",
                                               details=note))

pids = []
for k in range(int(sys.argv[2])):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            write(f"w{k}", int(sys.argv[3]))
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    pids.append(pid)
codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
sys.exit(1 if any(codes) else 0)
"""

TEMPS = ".dicetm-register.yaml.*.tmp"


def test_parallel_writers_lose_no_update(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    writers, each = 8, 8
    forker = python(WRITERS, str(tmp_path), str(writers), str(each))
    _out, err = forker.communicate(timeout=300)
    assert forker.returncode == 0, err
    result = workspace.verify()
    assert result.ok, result.problems
    records = workspace.records()
    assert [r.seq for r in records] == list(range(1, writers * each + 1))
    history = workspace.read().countermeasures[0].history
    assert sorted((h.details["writer"], h.details["n"]) for h in history) == sorted(
        (f"w{k}", n) for k in range(writers) for n in range(each))
    assert [h.seq for h in history] == [r.seq for r in records]
    assert all(r.details == h.details and r.actor == h.actor for r, h in zip(records, history, strict=True))
    assert Counter(r.actor for r in records) == {f"w{k}": each for k in range(writers)}


@pytest.mark.parametrize(("point", "lands"), [
    ("written", False), ("append", False), ("appended", True), ("renamed", True),
])
def test_death_at_each_step_of_a_commit(tmp_path: Path, point: str, lands: bool) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    before = snapshot(tmp_path)
    child = python(ONCE, str(tmp_path), env={"DICETM_TEST_CRASH_AT": point})
    out, err = child.communicate(timeout=60)
    assert child.returncode == CRASH_EXIT_CODE, err
    assert out == ""  # it died inside the commit, before reporting it
    log = workspace.audit_path.read_bytes()
    assert bool(list(tmp_path.glob(TEMPS))) == (point != "renamed")
    assert log.count(b"\n") - before["dicetm-audit.jsonl"].count(b"\n") == {
        "written": 0, "append": 2, "appended": 3, "renamed": 3}[point]
    assert (point == "append") == (not log.endswith(b"\n"))

    on_disk = snapshot(tmp_path)
    result = workspace.verify()  # reading resolves the leftovers in memory and writes nothing
    assert result.ok, result.problems
    seen = workspace.read()
    assert snapshot(tmp_path) == on_disk
    with workspace.transaction("next") as tx:  # the next writer recovers on disk first, to the same state
        assert tx.register == seen
    assert not list(tmp_path.glob(TEMPS))
    if lands:
        assert result.records == 5 and len(workspace.read().threats) == 5
    else:
        assert snapshot(tmp_path) == before
    populate(workspace, 1, prefix="T-AFTER-001@e")
    assert workspace.verify().ok and workspace.records()[-1].seq == result.records + 1


def test_kill_at_random_moments(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    rng = random.Random(20261126)
    known = 0  # the last seq known to be committed
    mid_commit = 0  # kills that left a commit half done
    forker = python(KILLABLE, str(tmp_path), env={"DICETM_TEST_SLOW_COMMIT": "0.02"})
    assert forker.stdin is not None and forker.stdout is not None
    pid = "0"
    previous = signal.signal(signal.SIGALRM, _took_too_long)
    signal.alarm(300)  # the reads below block: fail the test rather than hang the suite if a child never answers
    try:
        assert forker.stdout.readline() == "ready\n"
        for run in range(25):
            forker.stdin.write("go\n")
            forker.stdin.flush()
            kind, pid = forker.stdout.readline().split()
            assert kind == "child"
            time.sleep(rng.uniform(0, 0.25))
            os.kill(int(pid), signal.SIGKILL)
            lines = _until_ended(forker)
            assert lines[-1] == f"ended {-signal.SIGKILL}"
            known = max([known, *(int(line) for line in lines[:-1])])
            mid_commit += bool(list(tmp_path.glob(TEMPS)))

            result = workspace.verify()
            assert result.ok, (run, result.problems)
            records = workspace.records()  # as committed: a half-done commit is resolved in memory
            register = workspace.read() if workspace.exists() else None
            last = records[-1].seq if records else 0
            # Nothing committed is lost; the killed transaction landed completely or not at all.
            assert [r.seq for r in records] == list(range(1, last + 1))
            assert last - known in (0, 2), (run, last, known)
            if last:
                assert register is not None and [(t.id, t.reason) for t in register.threats] == [
                    ("T-KILL-001@a", str(last - 1)), ("T-KILL-001@b", str(last))]
                assert register.audit_head is not None and register.audit_head.seq == last
            known = last
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if pid != "0":  # a failed check must not leave a writer running
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        forker.kill()
        forker.communicate()
    assert known > 0 and mid_commit > 0
    print(f"{known // 2} transactions, {mid_commit} of 25 kills inside a commit")


def _took_too_long(_signum: int, _frame: object) -> None:
    raise TimeoutError("no answer from the process that forks the writers within 300 s")


def _until_ended(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("ended"):
        line = process.stdout.readline()
        assert line, "the forking child died"
        lines.append(line.strip())
    return lines
