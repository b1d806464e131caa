"""The CI gate: arithmetic over an analysis result, its register and the audit-chain check.

``check`` is pure: the same inputs (including ``today``) always give the same failures in the same order.
Nothing here reads files or asks anyone whether the model is good enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from dicetm.gate.policy import Policy
from dicetm.model import AnalysisResult, ResidualRiskEntry, RiskLevel, Threat, ThreatEvaluation
from dicetm.model.findings import RISK_ORDER
from dicetm.model.register import HistoryEntry, Register, ThreatEntry, ThreatStatus

AUDIT_FILE = "dicetm-audit.jsonl"

# Policy rules in the order their failures are listed. Ids are the SARIF ruleIds.
BLOCK_UNREVIEWED = "block-unreviewed"
REQUIRE_COVERAGE = "require-coverage"
REQUIRE_AUDIT_CHAIN = "require-audit-chain"
MAX_QUICK_ACCEPTS = "max-quick-accepts"
RULES: dict[str, str] = {
    BLOCK_UNREVIEWED: "A threat at or above the policy's risk level has no decision by a person "
                      "(unreviewed, stale or needs-info).",
    REQUIRE_COVERAGE: "An accepted or modified threat has no countermeasure planned or implemented and no "
                      "owned residual-risk decision that is still within its review date.",
    REQUIRE_AUDIT_CHAIN: "The audit log's hash chain or the register does not verify.",
    MAX_QUICK_ACCEPTS: "More items rest on decisions flagged as quick accepts than the policy allows.",
}
RULE_POLICY_KEYS: dict[str, str] = {
    BLOCK_UNREVIEWED: "block_unreviewed_at_or_above",
    REQUIRE_COVERAGE: "require_coverage_for_accepted",
    REQUIRE_AUDIT_CHAIN: "require_audit_chain",
    MAX_QUICK_ACCEPTS: "max_quick_accepts",
}
# Only these statuses are decisions; anything else (unreviewed, stale, needs-info, unknown) is not.
DECIDED = frozenset({ThreatStatus.accepted.value, ThreatStatus.modified.value, ThreatStatus.rejected.value})
ACCEPTED = frozenset({ThreatStatus.accepted.value, ThreatStatus.modified.value})
IN_FORCE = ("planned", "implemented")


class ChainStatus(Protocol):
    """What the gate needs from ``store.workspace.Workspace.verify()``."""

    @property
    def ok(self) -> bool: ...

    @property
    def problems(self) -> list[str]: ...


class GateFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str = Field(description="The policy rule that failed (see RULES).")
    item_id: str = Field(description="Threat id, control id, 'risk:<threat id>' or a workspace file name.")
    message: str
    severity: RiskLevel | None = Field(None, description="Risk of the threat concerned, when there is one.")
    threat_rule: str | None = Field(None, description="Id of the threat rule (T-...) when the item is a threat.")
    status: str | None = Field(None, description="Review status of the item.")
    elements: list[str] = Field(default_factory=list, description="Element ids; the first is the primary.")
    flows: list[str] = Field(default_factory=list)
    file: str | None = Field(None, description="Workspace file the failure is about, when not the model file.")


class GateResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: bool
    today: str = Field(description="The day review_by dates were compared with (ISO 8601).")
    policy: Policy
    threats_checked: int
    failures: list[GateFailure]

    def counts(self) -> dict[str, int]:
        """Failures per policy rule, every rule listed."""
        return {rule: sum(1 for f in self.failures if f.rule == rule) for rule in RULES}


def check(result: AnalysisResult, register: Register | None, verify_result: ChainStatus | None,
          policy: Policy, today: date) -> GateResult:
    """Apply ``policy``. ``verify_result`` None means the audit chain was not verified (fails the chain rule)."""
    entries = _threat_entries(register)
    failures: list[GateFailure] = []
    if policy.block_unreviewed_at_or_above is not None:
        failures += _undecided(result.threats, policy.block_unreviewed_at_or_above, entries)
    if policy.require_coverage_for_accepted:
        failures += _uncovered_accepts(result, today)
    if policy.require_audit_chain:
        failures += _chain(verify_result)
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


def _failure(rule: str, threat: Threat, message: str) -> GateFailure:
    return GateFailure(rule=rule, item_id=threat.id, message=message, severity=threat.risk,
                       threat_rule=threat.rule, status=threat.status, elements=list(threat.elements),
                       flows=list(threat.flows))


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
        failures.append(_failure(BLOCK_UNREVIEWED, threat, message))
    return failures


def _parse_day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _residual_problem(entry: ResidualRiskEntry | None, today: date) -> str | None:
    """None when ``entry`` is an owned decision still within its review date; else why it does not count."""
    if entry is None or (entry.owner is None and entry.decision is None):
        return "no residual-risk decision"
    if not entry.owner or entry.decision is None:
        return "the residual-risk entry has no owner and decision"
    review_by = _parse_day(entry.review_by)
    if review_by is None:
        detail = f"review_by {entry.review_by!r} is not a date" if entry.review_by else "it has no review_by date"
        return f"the residual-risk decision by {entry.owner} does not count: {detail}"
    if review_by < today:
        return f"the residual-risk decision by {entry.owner} expired on {review_by.isoformat()}"
    return None


def _countermeasure_problem(row: ThreatEvaluation | None) -> str | None:
    """None when a countermeasure for the threat is planned or implemented; else what there is instead."""
    by_status = row.countermeasures_by_status if row is not None else {}
    if any(by_status.get(status) for status in IN_FORCE):
        return None
    accepted = sorted(by_status.get("accepted", []))
    if accepted:
        return f"{', '.join(accepted)} accepted but neither planned nor implemented"
    return "no countermeasure planned or implemented"


def _uncovered_accepts(result: AnalysisResult, today: date) -> list[GateFailure]:
    matrix = {row.threat: row for row in result.evaluation.matrix}
    residual = {entry.threat: entry for entry in result.evaluation.residual_risks}
    failures = []
    for threat in result.threats:
        if threat.status not in ACCEPTED:
            continue
        no_countermeasure = _countermeasure_problem(matrix.get(threat.id))
        no_decision = _residual_problem(residual.get(threat.id), today)
        if no_countermeasure is None or no_decision is None:
            continue
        failures.append(_failure(REQUIRE_COVERAGE, threat,
                                 f"{threat.status} {threat.risk.value} threat is not covered: "
                                 f"{no_countermeasure}; {no_decision}"))
    return failures


def _chain(verify_result: ChainStatus | None) -> list[GateFailure]:
    if verify_result is None:
        message = "the audit chain was not verified"
    elif verify_result.ok:
        return []
    else:
        problems = list(verify_result.problems) or ["the audit chain does not verify"]
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" \
            if len(problems) > 1 else ""
        message = f"the audit record does not verify: {problems[0]}{more}"
    return [GateFailure(rule=REQUIRE_AUDIT_CHAIN, item_id=AUDIT_FILE, message=message, file=AUDIT_FILE)]


def last_decision(history: Iterable[HistoryEntry]) -> HistoryEntry | None:
    """The most recent change made by a person (dicetm's own bookkeeping entries are skipped)."""
    decision = None
    for entry in history:
        if entry.actor != "dicetm":
            decision = entry
    return decision


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
