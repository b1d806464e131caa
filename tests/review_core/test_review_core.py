"""Pure review logic: reconcile, staleness, decisions and the quick-accept guard (no disk)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from dicetm.errors import InputError
from dicetm.model import System
from dicetm.model.register import CountermeasureReview, Register, ResidualStatus, ThreatStatus
from dicetm.pipeline.run import analyze
from dicetm.review.decide import DecisionInput, apply_decision
from dicetm.review.identity import resolve_reviewer
from dicetm.review.reconcile import reconcile

CHATBOT = Path(__file__).resolve().parents[2] / "examples" / "support-chatbot" / "dicetm.yaml"


class FakeTx:
    """Stands in for store.workspace.Transaction: numbers records and keeps them."""

    def __init__(self, register: Register, actor: str = "Ada <ada@example.com>") -> None:
        self.register = register.model_copy(deep=True)
        self.actor = actor
        self.records: list[tuple[str, str, str | None, dict[str, Any] | None]] = []

    def record(self, action: str, target: str, before: BaseModel | dict[str, Any] | None,
               after: BaseModel | dict[str, Any] | None, reason: str | None = None,
               details: dict[str, Any] | None = None) -> tuple[int, str]:
        self.records.append((action, target, reason, details))
        return len(self.records), f"2026-11-26T00:00:{len(self.records):02d}Z"


def _system(**changes: Any) -> System:
    data = yaml.safe_load(CHATBOT.read_text(encoding="utf-8"))
    for element in data["elements"]:
        for key, value in changes.get(element["id"], {}).items():
            element[key] = value
    return System.model_validate(data)


def _synced(system: System) -> tuple[Register, Any]:
    result = analyze(system)
    register, _changes = reconcile(Register(), result, system)
    return register, result


def test_reconcile_adds_every_finding_unreviewed() -> None:
    system = _system()
    result = analyze(system)
    register, changes = reconcile(Register(), result, system)
    assert {t.id for t in register.threats} == {t.id for t in result.threats}
    assert all(t.status is ThreatStatus.unreviewed for t in register.threats)
    assert {c.id for c in register.countermeasures} == {c.id for c in result.countermeasures}
    assert sum(1 for c in changes if c.action == "add") == len(result.threats)
    again, more = reconcile(register, result, system)
    assert more == [] and again == register


def test_decision_goes_stale_only_where_its_facts_changed() -> None:
    system = _system()
    register, result = _synced(system)
    llm_threat = next(t for t in result.threats if t.rule == "T-LLM-001")
    wiki_threat = next(t for t in result.threats if t.elements[0] == "wiki")
    tx = FakeTx(register)
    for threat in (llm_threat, wiki_threat):
        apply_decision(tx, DecisionInput(item=threat.id, action="accept"), {t.id: t for t in result.threats}, system)
    changed = _system(wiki={"classification": "secret"})
    updated, changes = reconcile(tx.register, analyze(changed), changed)
    by_id = {t.id: t for t in updated.threats}
    assert by_id[wiki_threat.id].status is ThreatStatus.stale
    assert by_id[wiki_threat.id].status_before_stale is ThreatStatus.accepted
    assert any("classification" in c for c in by_id[wiki_threat.id].stale_changes)
    assert by_id[llm_threat.id].status is ThreatStatus.accepted
    stale = [c.target for c in changes if c.action == "stale"]
    assert wiki_threat.id in stale and llm_threat.id not in stale


def test_removed_element_retires_its_threats_with_a_record() -> None:
    system = _system()
    register, _result = _synced(system)
    data = yaml.safe_load(CHATBOT.read_text(encoding="utf-8"))
    data["elements"] = [e for e in data["elements"] if e["id"] != "wiki"]
    data["flows"] = [f for f in data["flows"] if "wiki" not in (f["source"], f["target"])]
    for boundary in data["trust_boundaries"]:
        boundary["elements"] = [e for e in boundary["elements"] if e != "wiki"]
    data["assets"] = []
    data["assumptions"] = [a for a in data["assumptions"] if "wiki" not in a.get("elements", [])]
    smaller = System.model_validate(data)
    updated, changes = reconcile(register, analyze(smaller), smaller)
    retired = {c.target for c in changes if c.action == "retire"}
    assert retired and all("wiki" in next(t for t in register.threats if t.id == r).elements for r in retired)
    assert all(t.status is ThreatStatus.retired for t in updated.threats if t.id in retired)


def test_reject_and_modify_need_a_reason_and_keep_the_original() -> None:
    system = _system()
    register, result = _synced(system)
    threats = {t.id: t for t in result.threats}
    target = result.threats[0]
    tx = FakeTx(register)
    with pytest.raises(InputError, match="reason"):
        apply_decision(tx, DecisionInput(item=target.id, action="reject"), threats, system)
    apply_decision(tx, DecisionInput(item=target.id, action="modify", reason="vendor caps it", likelihood=2),
                   threats, system)
    entry = next(t for t in tx.register.threats if t.id == target.id)
    assert entry.status is ThreatStatus.modified and entry.modification and entry.modification.likelihood == 2
    reviewed = analyze(system, register=tx.register)
    shown = next(t for t in reviewed.threats if t.id == target.id)
    assert shown.likelihood == 2 and shown.original and shown.original["likelihood"] == target.likelihood
    assert shown.status == "modified" and shown.reviewer == tx.actor


def test_unknown_item_gets_did_you_mean() -> None:
    system = _system()
    register, result = _synced(system)
    tx = FakeTx(register)
    wrong = result.threats[0].id[:-1]
    with pytest.raises(InputError) as caught:
        apply_decision(tx, DecisionInput(item=wrong, action="accept"), {}, system)
    assert "did you mean" in (caught.value.problems[0].hint or "")
    assert tx.records == []


def test_countermeasure_and_residual_decisions_cover_threats() -> None:
    system = _system()
    register, result = _synced(system)
    threat = next(t for t in result.threats if t.rule == "T-AGENT-001")
    tx = FakeTx(register)
    with pytest.raises(InputError, match="owner"):
        apply_decision(tx, DecisionInput(item="C-AGT-001", action="plan"), {}, system)
    apply_decision(tx, DecisionInput(item="C-AGT-001", action="plan", owner="Bo", due="2027-01-31"), {}, system)
    other = result.threats[-1]
    apply_decision(tx, DecisionInput(item=f"risk:{other.id}", action="accept", owner="Cy",
                                     business_impact="Small fine.", review_by="2027-06-30"), {}, system)
    assert next(c for c in tx.register.countermeasures if c.id == "C-AGT-001").status is CountermeasureReview.planned
    assert tx.register.residual_risks[0].status is ResidualStatus.accepted
    evaluated = analyze(system, register=tx.register).evaluation
    assert "C-AGT-001" in next(m for m in evaluated.matrix if m.threat == threat.id).covered_by
    assert "residual-risk" in next(m for m in evaluated.matrix if m.threat == other.id).covered_by


def test_rejected_threats_leave_the_coverage_denominator() -> None:
    system = _system()
    register, result = _synced(system)
    tx = FakeTx(register)
    apply_decision(tx, DecisionInput(item=result.threats[0].id, action="reject", reason="not applicable here"),
                   {t.id: t for t in result.threats}, system)
    evaluated = analyze(system, register=tx.register).evaluation
    assert evaluated.rejected == [result.threats[0].id]
    assert evaluated.threats_total == len(result.threats) - 1
    assert evaluated.review is not None and evaluated.review.reviewers == {tx.actor: 1}


def test_five_quick_accepts_are_flagged_slow_ones_are_not() -> None:
    system = _system()
    register, result = _synced(system)
    threats = {t.id: t for t in result.threats}
    tx = FakeTx(register)
    for threat in result.threats[:4]:
        apply_decision(tx, DecisionInput(item=threat.id, action="accept", seconds_on_screen=12.0), threats, system)
    assert not any(r[0] == "flag-quick-accepts" for r in tx.records)
    for threat in result.threats[4:9]:
        apply_decision(tx, DecisionInput(item=threat.id, action="accept", seconds_on_screen=1.2), threats, system)
    flags = [r for r in tx.records if r[0] == "flag-quick-accepts"]
    assert len(flags) == 1 and flags[0][3] is not None and len(flags[0][3]["items"]) == 5
    quick = [h for t in tx.register.threats for h in t.history if h.quick]
    assert len(quick) == 5
    assert analyze(system, register=tx.register).evaluation.review.quick_accepts_flagged == 5  # type: ignore[union-attr]


def test_reviewer_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DICETM_REVIEWER", "Env Person")
    assert resolve_reviewer("Flag Person", tmp_path) == "Flag Person"
    assert resolve_reviewer(None, tmp_path) == "Env Person"
    monkeypatch.delenv("DICETM_REVIEWER")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    with pytest.raises(InputError, match="named person"):
        resolve_reviewer(None, tmp_path)
