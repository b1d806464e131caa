"""Properties: any run of transactions verifies, and any single-byte change to the log is caught."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicetm.errors import StoreError
from dicetm.model.register import HistoryEntry, ThreatEntry, ThreatStatus
from dicetm.store.workspace import Transaction, Workspace

from .helpers import ACTOR, make_workspace, populate

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
ADD = st.tuples(st.just("add"), st.integers(0, 30), TEXT)
DECIDE = st.tuples(st.just("decide"), st.integers(0, 30), st.sampled_from([s.value for s in ThreatStatus]))
TRANSACTION = st.tuples(st.lists(st.one_of(ADD, DECIDE), max_size=4), st.booleans())  # (changes, fails)


class Failed(Exception):
    pass


def apply(tx: Transaction, changes: list[tuple[str, int, str]]) -> None:
    """Make and record the changes that apply (adding a threat twice or deciding an unknown one does not)."""
    register = tx.register
    by_id = {entry.id: entry for entry in register.threats}
    for kind, number, text in changes:
        item_id = f"T-PROP-001@e{number}"
        entry = by_id.get(item_id)
        if kind == "add" and entry is None:
            entry = by_id[item_id] = ThreatEntry(id=item_id, rule="T-PROP-001", title=text)
            register.threats.append(entry)
            before = None
        elif kind == "decide" and entry is not None:
            before = entry.model_copy(deep=True)
            entry.status = ThreatStatus(text)
        else:
            continue
        seq, at = tx.record(kind, item_id, before, entry, reason=text)
        entry.history.append(HistoryEntry(seq=seq, at=at, actor=ACTOR, action=kind, status_after=entry.status))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TRANSACTION, min_size=1, max_size=5))
def test_any_run_of_transactions_verifies(transactions: list[tuple[list[tuple[str, int, str]], bool]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        workspace = make_workspace(Path(folder))
        expected: list[tuple[str, str, int]] = []  # (id, status, history length) after the last commit
        records = 0
        for changes, fails in transactions:
            try:
                with workspace.transaction(ACTOR) as tx:
                    apply(tx, changes)
                    count = sum(len(entry.history) for entry in tx.register.threats)
                    if fails:
                        raise Failed
            except Failed:
                continue
            records = count
            expected = sorted((e.id, e.status.value, len(e.history)) for e in tx.register.threats)
        result = workspace.verify()
        assert result.ok, result.problems
        assert result.records == records
        register = workspace.read()
        assert [(e.id, e.status.value, len(e.history)) for e in register.threats] == expected
        if records:
            assert register.audit_head is not None and register.audit_head.seq == records


@pytest.fixture(scope="module")
def logged_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = make_workspace(tmp_path_factory.mktemp("props"))
    populate(workspace, 3)
    with workspace.transaction(ACTOR) as tx:
        tx.record("note", "T-TEST-001@e001", None, {"text": "Grüße, \u2028 \"quoted\" \\ done"}, reason="ünïcödé ✓",
                  details={"nested": {"list": [1, 2.5, None, True]}, "ctrl": "\x01\x1f"})
    return workspace


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_single_byte_change_is_caught(logged_workspace: Workspace, data: st.DataObject) -> None:
    workspace = logged_workspace
    original = workspace.audit_path.read_bytes()
    assert workspace.verify().ok
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]), label="byte")
    workspace.audit_path.write_bytes(original[:position] + bytes([byte]) + original[position + 1:])
    try:
        result = workspace.verify()
    except StoreError as error:
        assert error.problems[0].location.file == str(workspace.audit_path)
        assert error.problems[0].location.line == original[:position].count(b"\n") + 1 or byte == ord("\n")
    else:
        assert not result.ok
        assert result.first_bad_seq == original[:position].count(b"\n") + 1, result.problems
    finally:
        workspace.audit_path.write_bytes(original)
