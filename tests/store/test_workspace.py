"""Workspace and Transaction in one process: commits, rollbacks, refusals, verification of real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dicetm import __version__
from dicetm.errors import InputError, StoreError
from dicetm.model.register import HistoryEntry, ThreatStatus
from dicetm.store.audit import ZERO_HASH, digest, register_digest
from dicetm.store.workspace import Workspace

from .helpers import ACTOR, add_threat, ids, make_workspace, populate, snapshot


def test_open_takes_the_model_file_or_its_folder(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")
    assert Workspace.open(workspace.model_path).root == workspace.root
    assert workspace.register_path == workspace.root / "dicetm-register.yaml"
    assert workspace.audit_path == workspace.root / "dicetm-audit.jsonl"
    assert workspace.iterations_dir == workspace.root / "dicetm-iterations"
    with pytest.raises(InputError, match=r"no dicetm\.yaml"):
        Workspace.open(tmp_path)


def test_new_workspace_reads_empty_and_verifies(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    assert not workspace.exists()
    assert workspace.read().threats == [] and workspace.records() == []
    assert workspace.verify().ok
    assert snapshot(tmp_path).keys() == {"dicetm.yaml"}  # reading writes nothing


def test_commit_writes_chained_records_and_the_register(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    with workspace.transaction(ACTOR) as tx:
        first = add_threat(tx, "T-B-001@x", reason="why not")
        second = add_threat(tx, "T-A-001@x")
    assert (first, second) == (1, 2)
    with workspace.transaction("dicetm") as tx:
        assert add_threat(tx, "T-C-001@x") == 3
    assert workspace.exists()
    register = workspace.read()
    assert ids(register) == ["T-A-001@x", "T-B-001@x", "T-C-001@x"]  # sorted on write
    records = workspace.records()
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev == ZERO_HASH and records[1].prev == records[0].hash
    assert register.audit_head is not None and (register.audit_head.seq, register.audit_head.hash) == (3,
                                                                                                     records[2].hash)
    assert records[0].actor == ACTOR and records[2].actor == "dicetm"
    assert records[0].reason == "why not" and records[0].details == {"why": "test"}
    assert records[0].version == __version__ and records[0].before is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", records[0].time)
    # One transaction, one committed state: its records share the digest of the register it wrote.
    assert records[0].register == records[1].register != records[2].register == register_digest(register)
    # The history entry added after record() returned is part of the "after" digest.
    assert records[0].after == digest(register.threats[1])
    assert register.threats[1].history[0].seq == 1
    assert workspace.verify().ok


def test_before_is_digested_when_recorded(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 1)
    with workspace.transaction(ACTOR) as tx:
        entry = tx.register.threats[0]
        expected_before = digest(entry)
        tx.record("accept", entry.id, entry, entry, reason="real")
        entry.status = ThreatStatus.accepted
    record = workspace.records()[-1]
    assert record.before == expected_before and record.after == digest(workspace.read().threats[0])
    assert record.before != record.after


def test_an_exception_in_the_block_writes_nothing(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    before = snapshot(tmp_path)
    with pytest.raises(ZeroDivisionError), workspace.transaction(ACTOR) as tx:
        add_threat(tx, "T-X-001@x")
        add_threat(tx, "T-X-002@x")
        _ = 1 / 0
    assert snapshot(tmp_path) == before
    with workspace.transaction(ACTOR) as tx:  # and the next transaction carries on from seq 3
        assert add_threat(tx, "T-X-003@x") == 3


def test_a_failing_write_takes_everything_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    before = snapshot(tmp_path)

    def refuse(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("dicetm.store.workspace.os.replace", refuse)
    with pytest.raises(StoreError, match="No space") as caught, workspace.transaction(ACTOR) as tx:
        add_threat(tx, "T-X-001@x")
    monkeypatch.undo()
    problem = caught.value.problems[0]
    assert problem.location.file == str(workspace.register_path) and "free some space" in (problem.hint or "")
    assert snapshot(tmp_path) == before
    assert workspace.verify().ok


def test_an_empty_transaction_writes_nothing(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 1)
    before = snapshot(tmp_path)
    with workspace.transaction(ACTOR) as tx:
        tx.register.threats.sort(key=lambda entry: entry.id)
    assert snapshot(tmp_path) == before


def test_an_unrecorded_change_is_refused(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 1)
    before = snapshot(tmp_path)
    with pytest.raises(StoreError, match="without recording"), workspace.transaction(ACTOR) as tx:
        tx.register.threats[0].status = ThreatStatus.accepted
    assert snapshot(tmp_path) == before


def test_details_are_copied_when_recorded_and_must_be_json(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    details: dict[str, object] = {"n": 1}
    with workspace.transaction(ACTOR) as tx:
        tx.record("note", "T-X-001@x", None, None, details=details)
        details["n"] = 2
        with pytest.raises(TypeError):
            tx.record("note", "T-X-001@x", None, None, details={"when": object()})
    assert workspace.records()[0].details == {"n": 1}


def test_a_transaction_object_ends_with_its_block(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    with workspace.transaction(ACTOR) as tx:
        add_threat(tx, "T-X-001@x")
    with pytest.raises(RuntimeError, match="ended"):
        tx.record("note", "T-X-001@x", None, None)


def test_an_actor_is_required(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="actor"), make_workspace(tmp_path).transaction("  "):
        pass


def test_nested_transactions_fail_fast(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    with workspace.transaction(ACTOR), pytest.raises(StoreError, match="already holds"), workspace.transaction(
            ACTOR):
        pass


def test_a_hand_broken_register_is_reported_not_reset(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    text = workspace.register_path.read_text(encoding="utf-8").replace('"status": "unreviewed"', '"status": "maybe"', 1)
    workspace.register_path.write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    for action in (workspace.read, workspace.verify):
        with pytest.raises(StoreError) as caught:
            action()
        problem = caught.value.problems[0]
        assert problem.location.file == str(workspace.register_path) and problem.location.line
        assert "status" in problem.message
    with pytest.raises(StoreError), workspace.transaction(ACTOR):
        pass
    assert snapshot(tmp_path) == before


def test_an_edited_register_blocks_transactions(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    text = workspace.register_path.read_text(encoding="utf-8")
    text = text.replace('"status": "unreviewed"', '"status": "accepted"', 1)
    workspace.register_path.write_text(text, encoding="utf-8")
    before = snapshot(tmp_path)
    result = workspace.verify()
    assert not result.ok and result.first_bad_seq == 2
    # Committing on top would make the edit look legitimate, so nothing is written.
    with pytest.raises(StoreError, match=r"was edited.*until the audit log verifies") as caught, \
            workspace.transaction(ACTOR) as tx:
        add_threat(tx, "T-X-001@x")
    assert "version control" in (caught.value.problems[0].hint or "")
    assert snapshot(tmp_path) == before


def _lines(workspace: Workspace) -> list[bytes]:
    return workspace.audit_path.read_bytes().splitlines(keepends=True)


def _write_lines(workspace: Workspace, lines: list[bytes]) -> None:
    workspace.audit_path.write_bytes(b"".join(lines))


def test_verify_files_edited_record(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 5)
    lines = _lines(workspace)
    record = json.loads(lines[2])
    record["actor"] = "Eve"
    lines[2] = json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    _write_lines(workspace, lines)
    assert workspace.verify().first_bad_seq == 3


def test_verify_files_deleted_inserted_reordered(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 5)
    original = _lines(workspace)
    for changed in ([*original[:2], *original[3:]],  # deleted
                    [*original[:2], original[4], *original[2:]],  # inserted
                    [*original[:2], original[3], original[2], *original[4:]]):  # reordered
        _write_lines(workspace, changed)
        result = workspace.verify()
        assert not result.ok and result.first_bad_seq == 3, result.problems


def test_verify_files_truncated_log(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 5)
    _write_lines(workspace, _lines(workspace)[:3])
    result = workspace.verify()
    assert result.first_bad_seq == 4 and "cut short" in result.problems[0]
    workspace.audit_path.unlink()
    assert workspace.verify().first_bad_seq == 1


def test_verify_files_line_that_is_not_json(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 3)
    lines = _lines(workspace)
    lines[1] = lines[1][:40] + b"\n"
    _write_lines(workspace, lines)
    with pytest.raises(StoreError) as caught:
        workspace.verify()
    location = caught.value.problems[0].location
    assert (location.file, location.line) == (str(workspace.audit_path), 2)
    _write_lines(workspace, lines[:2])  # a damaged last line also stops the next transaction, located
    with pytest.raises(StoreError) as caught, workspace.transaction(ACTOR):
        pass
    assert caught.value.problems[0].location.line == 2


def test_register_is_stable_text(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 3)
    text = workspace.register_path.read_text(encoding="utf-8")
    assert text.index("T-TEST-001@e001") < text.index("T-TEST-001@e002") < text.index("T-TEST-001@e003")
    assert '\n  "audit_head": {"seq": 3, ' in text


# Recovery repairs only what an interrupted commit leaves; the commit-step crashes themselves are in
# test_processes.py, with real processes.

TEMP = ".dicetm-register.yaml.stray.tmp"


def _next_writer_cleans_up(workspace: Workspace, before: dict[str, bytes]) -> None:
    """Readers leave the leftover alone; the next writer deletes it and changes nothing else."""
    left = snapshot(workspace.root)
    assert workspace.verify().ok and snapshot(workspace.root) == left
    with workspace.transaction(ACTOR):
        pass
    assert snapshot(workspace.root) == before


def test_a_stray_temp_file_is_deleted(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    before = snapshot(tmp_path)
    (tmp_path / TEMP).write_text("threats:\n  - id: T-", encoding="utf-8")  # cut short mid-write
    assert ids(workspace.read()) == ["T-TEST-001@e001", "T-TEST-001@e002"]
    _next_writer_cleans_up(workspace, before)


def test_a_temp_file_the_log_does_not_vouch_for_is_deleted(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    before = snapshot(tmp_path)
    forged = workspace.register_path.read_text(encoding="utf-8").replace('"seq": 2', '"seq": 3', 1)
    (tmp_path / TEMP).write_text(forged, encoding="utf-8")
    _next_writer_cleans_up(workspace, before)


def test_unexplained_states_are_reported_and_left_alone(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 3)
    older = workspace.register_path.read_bytes()
    populate(workspace, 2, prefix="T-MORE-001@e")
    workspace.register_path.write_bytes(older)  # a register restored from an older commit
    before = snapshot(tmp_path)
    result = workspace.verify()
    assert result.first_bad_seq == 4 and "older" in result.problems[0]
    with pytest.raises(StoreError, match="older than the log"), workspace.transaction(ACTOR):
        pass
    assert snapshot(tmp_path) == before


def test_a_partial_last_line_without_a_pending_commit_is_kept(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    with workspace.audit_path.open("ab") as log:
        log.write(b'{"action":"accept"')
    before = snapshot(tmp_path)
    # No temp file means no commit was in flight: this is not crash debris, so it is shown, not dropped.
    with pytest.raises(StoreError, match=r"line 3 .* incomplete"):
        workspace.verify()
    assert snapshot(tmp_path) == before


def test_a_value_set_without_validation_is_stored_as_a_reader_will_read_it(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    populate(workspace, 2)
    with workspace.transaction(ACTOR) as tx:
        entry = tx.register.threats[0]
        seq, at = tx.record("note", entry.id, entry, entry)
        entry.history.append(HistoryEntry(seq=seq, at=at, actor=ACTOR, action="note", status_after="unreviewed"))
        entry.history[-1].seconds_on_screen = 12  # an int in a float field: pydantic does not check assignments
    assert workspace.verify().ok
    assert workspace.read().threats[0].history[-1].seconds_on_screen == 12.0
    with workspace.transaction(ACTOR) as tx:  # and the next transaction starts from the same state
        assert tx.base == tx.committed
