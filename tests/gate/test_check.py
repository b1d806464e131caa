"""The gate's arithmetic: which register states fail which policy rule, and nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from dicetm.gate import GateResult, Policy, check
from dicetm.gate.check import quick_items
from dicetm.model import RiskLevel
from dicetm.model.findings import RISK_ORDER
from dicetm.model.register import (
    CountermeasureReview,
    Register,
    ResidualStatus,
    ThreatModification,
    ThreatStatus,
)

from .builders import (
    CRITICAL,
    HIGH,
    LOW,
    MEDIUM,
    REVIEWER,
    Verified,
    analysed,
    countermeasure,
    fresh,
    history,
    residual,
    threat,
    threat_entry,
)

TODAY = date(2026, 6, 1)
OK = Verified()
DEFAULT = Policy()
NO_CHAIN_NO_UNREVIEWED = Policy(block_unreviewed_at_or_above=None, require_audit_chain=False)


def run(register: Register | None, policy: Policy = DEFAULT, verified: Verified | None = OK,
        today: date = TODAY) -> GateResult:
    result = analysed(register) if register is not None else fresh()
    return check(result, register, verified, policy, today)


def by_rule(gate: GateResult, rule: str) -> dict[str, str]:
    return {f.item_id: f.message for f in gate.failures if f.rule == rule}


def test_fixture_threats_have_the_risks_the_tests_assume() -> None:
    assert [threat(i).risk for i in (CRITICAL, HIGH, MEDIUM, LOW)] == [
        RiskLevel.critical, RiskLevel.high, RiskLevel.medium, RiskLevel.low]


def test_unreviewed_threats_at_or_above_high_fail_by_default() -> None:
    gate = run(None)
    failing = by_rule(gate, "block-unreviewed")
    expected = {t.id for t in fresh().threats if RISK_ORDER[t.risk] >= RISK_ORDER[RiskLevel.high]}
    assert set(failing) == expected and not gate.ok
    assert failing[CRITICAL].startswith("critical threat not reviewed by anyone yet: ")
    first = gate.failures[0]
    assert first.severity is RiskLevel.critical and first.threat_rule == "T-LLM-005" and first.status == "unreviewed"
    assert first.elements == threat(first.item_id).elements


@pytest.mark.parametrize("level", list(RiskLevel))
def test_the_threshold_is_inclusive(level: RiskLevel) -> None:
    gate = run(None, Policy(block_unreviewed_at_or_above=level))
    expected = {t.id for t in fresh().threats if RISK_ORDER[t.risk] >= RISK_ORDER[level]}
    assert set(by_rule(gate, "block-unreviewed")) == expected


def test_switching_the_rule_off() -> None:
    assert run(None, Policy(block_unreviewed_at_or_above=None)).ok


def test_stale_and_needs_info_are_not_decisions() -> None:
    register = Register(threats=[
        threat_entry(CRITICAL, ThreatStatus.stale, stale_changes=["element:hosted-llm.exposure: 'internal' -> "
                                                                  "'internet'"]),
        threat_entry(HIGH, ThreatStatus.needs_info, reason="which renderer?"),
    ])
    failing = by_rule(run(register, Policy(require_coverage_for_accepted=False)), "block-unreviewed")
    assert failing[CRITICAL] == (f"the decision on this critical threat is stale: its facts changed since {REVIEWER} "
                                 "decided (element:hosted-llm.exposure: 'internal' -> 'internet')")
    assert failing[HIGH] == f"high threat waits for information before anyone can decide ({REVIEWER}: which renderer?)"


@pytest.mark.parametrize("status", [ThreatStatus.accepted, ThreatStatus.rejected, ThreatStatus.modified])
def test_decisions_clear_the_unreviewed_rule(status: ThreatStatus) -> None:
    modification = ThreatModification(impact=3) if status is ThreatStatus.modified else None
    register = Register(threats=[threat_entry(CRITICAL, status, reason="why", modification=modification)])
    gate = run(register, Policy(require_coverage_for_accepted=False))
    assert CRITICAL not in by_rule(gate, "block-unreviewed")


def test_accepted_alone_does_not_cover() -> None:
    register = Register(threats=[threat_entry(CRITICAL, ThreatStatus.accepted)],
                        countermeasures=[countermeasure("C-OUT-001", CountermeasureReview.accepted)])
    failing = by_rule(run(register, NO_CHAIN_NO_UNREVIEWED), "require-coverage")
    assert failing == {CRITICAL: "accepted critical threat is not covered: C-OUT-001 accepted but neither planned "
                                 "nor implemented (the report counts an accepted countermeasure as coverage; the "
                                 "gate asks for a plan: decide C-OUT-001 --plan --owner OWNER --due YYYY-MM-DD); "
                                 "no residual-risk decision"}


@pytest.mark.parametrize("status", [CountermeasureReview.planned, CountermeasureReview.implemented])
def test_planned_or_implemented_countermeasure_covers(status: CountermeasureReview) -> None:
    register = Register(threats=[threat_entry(CRITICAL, ThreatStatus.accepted)],
                        countermeasures=[countermeasure("C-OUT-001", status, evidence="https://ci/run/1")])
    assert run(register, NO_CHAIN_NO_UNREVIEWED).ok


def test_a_countermeasure_for_another_threat_does_not_cover() -> None:
    register = Register(threats=[threat_entry(CRITICAL, ThreatStatus.accepted)],
                        countermeasures=[countermeasure("C-OUT-002", CountermeasureReview.implemented)])
    assert CRITICAL in by_rule(run(register, NO_CHAIN_NO_UNREVIEWED), "require-coverage")


@pytest.mark.parametrize(("review_by", "covered"), [("2026-06-01", True), ("2027-01-31", True),
                                                    ("2026-05-31", False), (None, False), ("soon", False)])
def test_residual_risk_decision_covers_until_its_review_date(review_by: str | None, covered: bool) -> None:
    register = Register(threats=[threat_entry(HIGH, ThreatStatus.accepted)], residual_risks=[residual(HIGH, review_by)])
    failing = by_rule(run(register, NO_CHAIN_NO_UNREVIEWED), "require-coverage")
    assert (HIGH not in failing) is covered
    if review_by == "2026-05-31":
        assert failing[HIGH].endswith("the residual-risk decision by Carol expired on 2026-05-31")
    if review_by is None:
        assert failing[HIGH].endswith("the residual-risk decision by Carol does not count: it has no review_by date")


def test_the_clock_is_injected() -> None:
    register = Register(threats=[threat_entry(HIGH, ThreatStatus.accepted)],
                        residual_risks=[residual(HIGH, "2026-06-01")])
    assert run(register, NO_CHAIN_NO_UNREVIEWED, today=date(2026, 6, 1)).ok
    assert not run(register, NO_CHAIN_NO_UNREVIEWED, today=date(2026, 6, 2)).ok


def test_modified_threats_need_coverage_too_and_rejected_never() -> None:
    register = Register(threats=[
        threat_entry(HIGH, ThreatStatus.modified, reason="lower impact here",
                     modification=ThreatModification(impact=2)),
        threat_entry(CRITICAL, ThreatStatus.rejected, reason="no CRM data reaches the model"),
    ])
    failing = by_rule(run(register, NO_CHAIN_NO_UNREVIEWED), "require-coverage")
    assert set(failing) == {HIGH}
    assert failing[HIGH].startswith("modified medium threat is not covered")  # 4 x 2 = 8 after the person's edit
    assert run(register, Policy(block_unreviewed_at_or_above=None, require_audit_chain=False,
                                require_coverage_for_accepted=False)).ok


def test_audit_chain_rule() -> None:
    register = Register()
    policy = Policy(block_unreviewed_at_or_above=None)
    assert run(register, policy).ok
    broken = run(register, policy, Verified(ok=False, problems=["line 3 (seq 3): edited", "the register differs"]))
    assert [(f.rule, f.item_id, f.file) for f in broken.failures] == [
        ("require-audit-chain", "dicetm-audit.jsonl", "dicetm-audit.jsonl")]
    assert broken.failures[0].message == "the audit record does not verify: line 3 (seq 3): edited (and 1 more problem)"
    unverified = run(register, policy, None)
    assert unverified.failures[0].message == "the audit chain was not verified"
    assert run(register, Policy(block_unreviewed_at_or_above=None, require_audit_chain=False), None).ok


def _quick_register() -> Register:
    return Register(
        threats=[threat_entry(CRITICAL, ThreatStatus.accepted, quick=True),
                 threat_entry(HIGH, ThreatStatus.accepted, quick=True),
                 threat_entry(MEDIUM, ThreatStatus.accepted, quick=False)],
        countermeasures=[countermeasure("C-OUT-001", CountermeasureReview.implemented)],
    )


def test_quick_accepts_over_the_limit_fail_per_item() -> None:
    register = _quick_register()
    policy = Policy(block_unreviewed_at_or_above=None, require_coverage_for_accepted=False, max_quick_accepts=1)
    failing = by_rule(run(register, policy), "max-quick-accepts")
    assert set(failing) == {CRITICAL, HIGH}
    assert "2 items rest on quick accepts, the policy allows 1" in failing[HIGH]
    assert "1 s on screen" in failing[HIGH]
    policy = Policy(block_unreviewed_at_or_above=None, require_coverage_for_accepted=False, max_quick_accepts=2)
    assert run(register, policy).ok
    assert run(register, Policy(block_unreviewed_at_or_above=None, require_coverage_for_accepted=False)).ok


def test_a_later_deliberate_decision_clears_a_quick_accept() -> None:
    register = _quick_register()
    entry = register.threats[0]
    entry.history.append(history("accept", "accepted", seq=50, seconds=120.0))
    entry.history.append(history("stale", "stale", seq=51, actor="dicetm"))  # bookkeeping is not a decision
    assert [item for item, _entry, _elements in quick_items(register)] == [HIGH]


def test_failures_are_ordered_and_the_check_is_pure() -> None:
    register = Register(threats=[threat_entry(HIGH, ThreatStatus.accepted, quick=True)])
    policy = Policy(max_quick_accepts=0)
    first = run(register, policy, Verified(ok=False, problems=["x"]))
    again = run(register, policy, Verified(ok=False, problems=["x"]))
    assert first == again
    rules = [f.rule for f in first.failures]
    assert rules == sorted(rules, key=["block-unreviewed", "require-coverage", "require-audit-chain",
                                       "max-quick-accepts"].index)
    block = [f for f in first.failures if f.rule == "block-unreviewed"]
    assert [f.severity for f in block] == sorted((f.severity for f in block), key=lambda s: -RISK_ORDER[s])
    assert first.counts() == {"block-unreviewed": len(block), "require-coverage": 1, "reason-of-substance": 0,
                              "reason-reused": 0, "second-reviewer": 0, "require-audit-chain": 1,
                              "require-signatures": 0, "max-quick-accepts": 1}
    assert GateResult.model_validate_json(first.model_dump_json()) == first


def test_residual_status_open_does_not_cover() -> None:
    register = Register(threats=[threat_entry(HIGH, ThreatStatus.accepted)],
                        residual_risks=[residual(HIGH, "2030-01-01", status=ResidualStatus.open, owner=None)])
    assert HIGH in by_rule(run(register, NO_CHAIN_NO_UNREVIEWED), "require-coverage")
