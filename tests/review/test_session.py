"""ReviewSession: the library API behind review, decide and the web workbench."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dicetm.errors import InputError, StoreError
from dicetm.review import DecisionInput, ReviewSession, item_version
from dicetm.store.workspace import Workspace

from .helpers import REVIEWER, copy_example, snapshot

THREAT = "T-LLM-004@hosted-llm"
OTHER = "T-LLM-005@hosted-llm"
SAM = "Sam Roe <sam@example.com>"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def test_a_decision_on_an_item_changed_since_it_was_shown_warns_and_records_both(folder: Path) -> None:
    dana, sam = ReviewSession(folder), ReviewSession(folder)
    shown = sam.version_of(THREAT, sam.register())  # Sam's page shows the threat before the register has it
    assert shown == "unreviewed#0" == sam.version_of(THREAT)
    first = dana.decide([DecisionInput(item=THREAT, action="accept", seen=dana.version_of(THREAT))], reviewer=REVIEWER)
    assert first.warnings == []
    second = sam.decide([DecisionInput(item=THREAT, action="reject", reason="no such endpoint", seen=shown)],
                        reviewer=SAM)
    assert [w.item for w in second.warnings] == [THREAT]
    assert "was unreviewed and is now accepted by Dana Lee" in second.warnings[0].message
    entry = next(t for t in Workspace.open(folder).read().threats if t.id == THREAT)
    assert [h.action for h in entry.history] == ["accept", "reject"]  # nothing silently lost
    assert entry.status.value == "rejected" and entry.reviewer == SAM
    record = Workspace.open(folder).records()[-1]
    assert record.details["superseded"]["seen"] == "unreviewed#0"
    assert record.details["superseded"]["by"] == REVIEWER
    assert entry.history[-1].details["superseded"]["found"].startswith("accepted#")
    # Deciding from what is current now gives no warning.
    third = sam.decide([DecisionInput(item=THREAT, action="accept", seen=sam.version_of(THREAT))], reviewer=SAM)
    assert third.warnings == []


def test_item_versions_name_status_and_last_decision(folder: Path) -> None:
    session = ReviewSession(folder)
    register = session.decide([DecisionInput(item=THREAT, action="accept")], reviewer=REVIEWER).register
    seq = next(t for t in register.threats if t.id == THREAT).history[-1].seq
    assert item_version(register, THREAT) == f"accepted#{seq}"
    assert item_version(register, "C-NOPE-001") == "proposed#0"  # not in the register yet: undecided
    assert item_version(register, "risk:T-NOPE@x") == "open#0"


CONTENDER = """
import json, sys
from pathlib import Path
from dicetm.review import DecisionInput, ReviewSession
session = ReviewSession(Path(sys.argv[1]))
seen = session.version_of(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
action = "accept" if int(sys.argv[3]) % 2 else "needs-info"
outcome = session.decide([DecisionInput(item=sys.argv[2], action=action, reason="checked", seen=seen)],
                         reviewer=f"Reviewer {sys.argv[3]} <r{sys.argv[3]}@example.com>")
print(json.dumps([w.message for w in outcome.warnings]), flush=True)
"""


def test_eight_reviewers_on_one_threat_lose_nothing_and_later_ones_are_warned(folder: Path) -> None:
    ReviewSession(folder).sync()
    children = [subprocess.Popen([sys.executable, "-c", CONTENDER, str(folder), THREAT, str(k)], text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for k in range(8)]
    try:
        for child in children:  # everyone has loaded the threat before anyone decides
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        warned = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            warned.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for child in children:
            child.kill()
    assert sorted(len(w) for w in warned) == [0, 1, 1, 1, 1, 1, 1, 1]  # all but the first saw a stale version
    workspace = Workspace.open(folder)
    assert workspace.verify().ok
    entry = next(t for t in workspace.read().threats if t.id == THREAT)
    assert len(entry.history) == 8 and len({h.actor for h in entry.history}) == 8
    records = [r for r in workspace.records() if r.target == THREAT and r.action in ("accept", "needs-info")]
    assert len(records) == 8
    assert sum("superseded" in r.details for r in records) == 7


def test_an_unchanged_model_is_never_analysed_again(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dicetm.pipeline.run as run_module

    calls = []
    real = run_module.identify_system

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("detail", "grouped"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "identify_system", counting)
    session = ReviewSession(folder)
    session.decide([DecisionInput(item=THREAT, action="accept")], reviewer=REVIEWER)
    assert calls == ["grouped"]
    session.decide([DecisionInput(item=OTHER, action="accept")], reviewer=REVIEWER)
    session.analysis()
    assert calls == ["grouped"]  # the same session keeps it
    fresh = ReviewSession(folder)  # a new process would do the same: the analysis is cached by content hash
    fresh.decide([DecisionInput(item="C-ACC-003", action="plan", owner="Ops", due="2099-01-31")], reviewer=REVIEWER)
    _register, result = fresh.analysis()
    assert calls == ["grouped"]
    assert next(t for t in result.threats if t.id == THREAT).status == "accepted"
    model = folder / "dicetm.yaml"
    model.write_text(model.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    fresh.analysis()
    assert calls == ["grouped", "grouped"]  # one changed byte is another analysis


def test_a_model_edited_during_a_session_is_seen_at_the_next_decision(folder: Path) -> None:
    session = ReviewSession(folder)
    session.decide([DecisionInput(item=THREAT, action="accept")], reviewer=REVIEWER)
    model = folder / "dicetm.yaml"
    text = model.read_text(encoding="utf-8")
    assert "    budget_limited: false\n" in text
    model.write_text(text.replace("    budget_limited: false\n", "    budget_limited: true\n", 1), encoding="utf-8")
    session.decide([DecisionInput(item=OTHER, action="accept")], reviewer=REVIEWER)
    statuses = {t.id: t.status.value for t in Workspace.open(folder).read().threats}
    assert statuses[THREAT] == "stale" and statuses[OTHER] == "accepted"
    stale = [r for r in Workspace.open(folder).records() if r.action == "stale"]
    assert stale and all(r.actor == "dicetm" for r in stale)


def test_decide_refuses_to_append_to_a_broken_audit_chain(folder: Path) -> None:
    session = ReviewSession(folder)
    session.decide([DecisionInput(item=THREAT, action="accept")], reviewer=REVIEWER)
    session.decide([DecisionInput(item=OTHER, action="reject", reason="not reachable")], reviewer=REVIEWER)
    log = folder / "dicetm-audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if '"not reachable"' not in line and '"accept"' in line)
    lines[index] = lines[index].replace(REVIEWER, "CISO")
    log.write_text("".join(lines), encoding="utf-8")
    before = snapshot(folder)
    for deciding in (session, ReviewSession(folder)):  # a running session and a new process alike
        with pytest.raises(StoreError) as caught:
            deciding.decide([DecisionInput(item="T-LLM-001@hosted-llm", action="accept")], reviewer=REVIEWER)
        assert "edited" in caught.value.problems[0].message and "audit log verifies" in caught.value.problems[0].message
        assert "audit verify" in (caught.value.problems[0].hint or "")
    assert snapshot(folder) == before


def test_a_refused_decision_writes_nothing_not_even_the_reconciling(folder: Path) -> None:
    session = ReviewSession(folder)
    with pytest.raises(InputError, match="needs reason"):
        session.decide([DecisionInput(item=THREAT, action="reject")], reviewer=REVIEWER)
    assert snapshot(folder).keys() == {"dicetm.yaml"}


def test_all_of_and_an_empty_list(folder: Path) -> None:
    session = ReviewSession(folder)
    outcome = session.decide([DecisionInput(item="", action="reject", reason="never logged")], reviewer=REVIEWER,
                             all_of="T-LLM-005")
    assert len(outcome.decided) == 2 and all(d.startswith("T-LLM-005@") for d in outcome.decided)
    with pytest.raises(InputError, match="no decision"):
        session.decide([], reviewer=REVIEWER)


def test_one_session_shared_by_threads_records_every_decision(folder: Path) -> None:
    """A web server calls one session from several threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    session = ReviewSession(folder)
    register = session.sync()
    items = [t.id for t in register.threats if t.status.value == "unreviewed"][:8]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda item: session.decide([DecisionInput(item=item, action="accept")],
                                                             reviewer=REVIEWER), items))
    assert [o.decided for o in outcomes] == [[item] for item in items]
    workspace = Workspace.open(folder)
    assert workspace.verify().ok
    statuses = {t.id: t.status.value for t in workspace.read().threats}
    assert all(statuses[item] == "accepted" for item in items)


def test_the_analysis_cache_keeps_only_the_newest_entries(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dicetm.store import analysiscache

    monkeypatch.setattr(analysiscache, "KEEP", 2)
    model = folder / "dicetm.yaml"
    text = model.read_text(encoding="utf-8")
    for edit in range(4):
        model.write_text(text + f"\n# edit {edit}\n", encoding="utf-8")
        ReviewSession(folder).analysis()
    kept = sorted((analysiscache.cache_root() / "analysis").glob("*/*.model.json"))
    assert len(kept) == 2
    assert all(path.with_name(path.name.replace(".model.json", ".json")).exists() for path in kept)
