"""The CI gate: arithmetic over an analysis result, its register, and the audit chain and signature checks.

``check`` is deterministic: the same inputs (including ``today``) always give the same failures in the same
order. The only thing it reads is whether evidence paths exist (when given the workspace folder); it never asks
anyone whether the model is good enough. The coverage rule lives in ``coverage``, the checks on the decisions
themselves (reasons, second reviewer) in ``decisions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Protocol

from dicetm.gate.coverage import ACCEPTED, uncovered_accepts
from dicetm.gate.decisions import reused_reasons, thin_reasons, unconfirmed_rejections
from dicetm.gate.failures import (
    AUDIT_FILE,
    BLOCK_UNREVIEWED,
    MAX_QUICK_ACCEPTS,
    REQUIRE_AUDIT_CHAIN,
    REQUIRE_COVERAGE,
    REQUIRE_SIGNATURES,
    RULE_POLICY_KEYS,
    RULES,
    GateFailure,
    GateResult,
    file_failure,
    threat_failure,
)
from dicetm.gate.policy import Policy
from dicetm.model import AnalysisResult, RiskLevel, Threat
from dicetm.model.findings import RISK_ORDER
from dicetm.model.register import HistoryEntry, Register, ThreatEntry, ThreatStatus, current_decision

__all__ = ["ACCEPTED", "AUDIT_FILE", "BLOCK_UNREVIEWED", "MAX_QUICK_ACCEPTS", "REQUIRE_AUDIT_CHAIN",
           "REQUIRE_COVERAGE", "RULES", "RULE_POLICY_KEYS", "ChainStatus", "GateFailure", "GateResult", "check",
           "last_decision", "quick_items"]

# Only these statuses are decisions; anything else (unreviewed, stale, needs-info, unknown) is not.
DECIDED = frozenset({ThreatStatus.accepted.value, ThreatStatus.modified.value, ThreatStatus.rejected.value})


class ChainStatus(Protocol):
    """What the gate needs from ``store.workspace.Workspace.verify()``."""

    @property
    def ok(self) -> bool: ...

    @property
    def problems(self) -> list[str]: ...


def check(result: AnalysisResult, register: Register | None, verify_result: ChainStatus | None,
          policy: Policy, today: date, *, workspace: Path | None = None,
          signatures: ChainStatus | None = None) -> GateResult:
    """Apply ``policy``. ``verify_result`` None means the audit chain was not verified (fails the chain rule);
    ``signatures`` None means signatures were not checked (fails ``require_signatures``). ``workspace`` is the
    folder evidence paths are looked up from (None: evidence is judged on its text alone)."""
    entries = _threat_entries(register)
    failures: list[GateFailure] = []
    if policy.block_unreviewed_at_or_above is not None:
        failures += _undecided(result.threats, policy.block_unreviewed_at_or_above, entries)
    if policy.require_coverage_for_accepted:
        failures += uncovered_accepts(result, today, linked=policy.require_linked_coverage, workspace=workspace)
    if policy.min_reason_length is not None:
        failures += thin_reasons(result.threats, policy.min_reason_length)
    if policy.max_rules_per_reason is not None:
        failures += reused_reasons(result.threats, policy.max_rules_per_reason)
    if policy.require_second_reviewer:
        failures += unconfirmed_rejections(result.threats, register)
    if policy.require_audit_chain:
        failures += _chain(verify_result)
    if policy.require_signatures:
        failures += _signatures(signatures)
    if policy.max_quick_accepts is not None:
        failures += _quick(register, result.threats, policy.max_quick_accepts)
    order = list(RULES)
    failures.sort(key=lambda f: (order.index(f.rule), -RISK_ORDER[f.severity] if f.severity else 1, f.item_id))
    return GateResult(ok=not failures, today=today.isoformat(), policy=policy,
                      threats_checked=len(result.threats), failures=failures)


def _threat_entries(register: Register | None) -> dict[str, ThreatEntry]:
    return {e.id: e for e in register.threats} if register is not None else {}


def _entry(threat: Threat, entries: dict[str, ThreatEntry]) -> ThreatEntry | None:
    for key in (threat.id, *threat.members):
        if key in entries:
            return entries[key]
    return None


def _undecided(threats: Iterable[Threat], floor: RiskLevel, entries: dict[str, ThreatEntry]) -> list[GateFailure]:
    failures = []
    for threat in threats:
        if threat.status in DECIDED or RISK_ORDER[threat.risk] < RISK_ORDER[floor]:
            continue
        risk = threat.risk.value
        if threat.status == ThreatStatus.unreviewed.value:
            message = f"{risk} threat not reviewed by anyone yet: {threat.title}"
        elif threat.status == ThreatStatus.stale.value:
            entry = _entry(threat, entries)
            who = f" since {threat.reviewer} decided" if threat.reviewer else ""
            changed = f" ({'; '.join(entry.stale_changes)})" if entry and entry.stale_changes else ""
            message = f"the decision on this {risk} threat is stale: its facts changed{who}{changed}"
        elif threat.status == ThreatStatus.needs_info.value:
            who = f" ({threat.reviewer}: {threat.review_reason})" if threat.reviewer and threat.review_reason \
                else ""
            message = f"{risk} threat waits for information before anyone can decide{who}"
        else:
            message = f"{risk} threat has review status {threat.status!r}, which is not a decision"
        failures.append(threat_failure(BLOCK_UNREVIEWED, threat, message))
    return failures


def _first_problem(status: ChainStatus, fallback: str) -> str:
    problems = list(status.problems) or [fallback]
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return problems[0] + more


def _chain(verify_result: ChainStatus | None) -> list[GateFailure]:
    if verify_result is None:
        return [file_failure(REQUIRE_AUDIT_CHAIN, "the audit chain was not verified")]
    if verify_result.ok:
        return []
    message = "the audit record does not verify: " + _first_problem(verify_result, "the audit chain does not verify")
    return [file_failure(REQUIRE_AUDIT_CHAIN, message)]


def _signatures(signatures: ChainStatus | None) -> list[GateFailure]:
    if signatures is None:
        return [file_failure(REQUIRE_SIGNATURES, "the signatures of the audit log were not checked")]
    if signatures.ok:
        return []
    return [file_failure(REQUIRE_SIGNATURES, "the audit log is not signed as the policy asks: "
                         + _first_problem(signatures, "a record is not signed"))]


def last_decision(history: Iterable[HistoryEntry]) -> HistoryEntry | None:
    """The current decision made by a person (dicetm's own entries and confirmations are skipped)."""
    return current_decision(list(history))


def quick_items(register: Register | None) -> list[tuple[str, HistoryEntry, list[str]]]:
    """Items whose current decision (their latest one by a person) is flagged quick: (id, entry, elements)."""
    if register is None:
        return []
    items: list[tuple[str, HistoryEntry, list[str]]] = []
    for threat in register.threats:
        decision = last_decision(threat.history)
        if threat.status is not ThreatStatus.retired and decision is not None and decision.quick:
            items.append((threat.id, decision, list(threat.elements)))
    for countermeasure in register.countermeasures:
        decision = last_decision(countermeasure.history)
        if decision is not None and decision.quick:
            items.append((countermeasure.id, decision, []))
    for record in register.residual_risks:
        decision = last_decision(record.history)
        if decision is not None and decision.quick:
            items.append((f"risk:{record.threat}", decision, []))
    return items


def _quick(register: Register | None, threats: Iterable[Threat], limit: int) -> list[GateFailure]:
    items = quick_items(register)
    if len(items) <= limit:
        return []
    by_id: dict[str, Threat] = {}
    for threat in threats:
        for key in (threat.id, *threat.members):
            by_id.setdefault(key, threat)
    failures = []
    for item_id, decision, elements in items:
        shown = f", {decision.seconds_on_screen:g} s on screen" if decision.seconds_on_screen is not None else ""
        message = (f"{decision.action} by {decision.actor} at {decision.at} was flagged as a quick accept{shown}; "
                   f"{len(items)} items rest on quick accepts, the policy allows {limit}")
        found = by_id.get(item_id.removeprefix("risk:"))
        failures.append(GateFailure(
            rule=MAX_QUICK_ACCEPTS, item_id=item_id, message=message,
            severity=found.risk if found else None, threat_rule=found.rule if found else None,
            status=decision.status_after, elements=elements or (list(found.elements) if found else []),
            flows=list(found.flows) if found else [],
        ))
    return failures
