"""The gate's checks on the decisions themselves: reasons of substance, reasons pasted across rules, and a
second reviewer for the rejections that take the most out of the gate.

A rejection is flagged for a second look when it was made in bulk (``decide --all-of``; the audit record and
the history entry carry ``flags: [bulk]``) or when the threat is high or critical now (whatever it was when
rejected). It is confirmed when a different person recorded ``decide ITEM --confirm`` after it.
"""

from __future__ import annotations

from collections.abc import Iterable

from dicetm.gate.failures import REASON_OF_SUBSTANCE, REASON_REUSED, SECOND_REVIEWER, GateFailure, threat_failure
from dicetm.model import RiskLevel, Threat
from dicetm.model.register import CONFIRM, HistoryEntry, Register, ThreatEntry, ThreatStatus, current_decision
from dicetm.review.decide import BULK_FLAG, HIGH_RISK_FLAG
from dicetm.review.identity import same_person
from dicetm.review.reasons import reuse_key, substance_problem

REASONED = frozenset({ThreatStatus.rejected.value, ThreatStatus.modified.value})
SERIOUS = frozenset({RiskLevel.high, RiskLevel.critical})
_LISTED_RULES = 5


def thin_reasons(threats: Iterable[Threat], min_length: int) -> list[GateFailure]:
    """A failure for every rejected or modified threat whose reason falls short of the policy."""
    failures = []
    for threat in threats:
        if threat.status not in REASONED:
            continue
        problem = substance_problem(threat.review_reason, min_length)
        if problem is not None:
            who = f" by {threat.reviewer}" if threat.reviewer else ""
            failures.append(threat_failure(REASON_OF_SUBSTANCE, threat, f"{threat.status} {threat.risk.value} "
                                                                        f"threat{who}, without a reason of "
                                                                        f"substance: {problem}"))
    return failures


def reused_reasons(threats: Iterable[Threat], limit: int) -> list[GateFailure]:
    """A failure for every rejected threat whose reason text also rejects threats of too many other rules."""
    groups: dict[str, list[Threat]] = {}
    for threat in threats:
        if threat.status == ThreatStatus.rejected.value and threat.review_reason and threat.review_reason.strip():
            groups.setdefault(reuse_key(threat.review_reason), []).append(threat)
    failures = []
    for group in groups.values():
        rules = sorted({threat.rule for threat in group})
        if len(rules) <= limit:
            continue
        shown = ", ".join(rules[:_LISTED_RULES]) + (f" and {len(rules) - _LISTED_RULES} more"
                                                    if len(rules) > _LISTED_RULES else "")
        for threat in group:
            failures.append(threat_failure(REASON_REUSED, threat, f"the reason {threat.review_reason!r} rejects "
                                                                  f"threats of {len(rules)} rules ({shown}); the "
                                                                  f"policy allows one reason for {limit}"))
    return failures


def _entries(register: Register | None) -> dict[str, ThreatEntry]:
    return {entry.id: entry for entry in register.threats} if register is not None else {}


def _entry(threat: Threat, entries: dict[str, ThreatEntry]) -> ThreatEntry | None:
    return next((entries[key] for key in (threat.id, *threat.members) if key in entries), None)


def second_look_flags(threat: Threat, decision: HistoryEntry | None) -> list[str]:
    """Why a rejected threat needs a second reviewer (empty: it does not)."""
    flags = [BULK_FLAG] if decision is not None and BULK_FLAG in decision.flags else []
    if threat.risk in SERIOUS:
        flags.append(HIGH_RISK_FLAG)
    return flags


def confirmed(history: list[HistoryEntry], decision: HistoryEntry) -> bool:
    """Whether a person other than the decider confirmed ``decision`` (a later ``confirm`` naming its seq)."""
    return any(entry.action == CONFIRM and entry.details.get("confirms") == decision.seq
               and not same_person(entry.actor, decision.actor) for entry in history)


def unconfirmed_rejections(threats: Iterable[Threat], register: Register | None) -> list[GateFailure]:
    """A failure for every flagged rejection that no second, different person has confirmed."""
    entries = _entries(register)
    failures = []
    for threat in threats:
        if threat.status != ThreatStatus.rejected.value:
            continue
        entry = _entry(threat, entries)
        decision = current_decision(entry.history) if entry is not None else None
        flags = second_look_flags(threat, decision)
        if not flags or (entry is not None and decision is not None and confirmed(entry.history, decision)):
            continue
        why = " and ".join({BULK_FLAG: "the rejection was made in bulk (--all-of)",
                            HIGH_RISK_FLAG: f"the threat is {threat.risk.value}"}[flag] for flag in flags)
        who = f" by {decision.actor}" if decision is not None else ""
        failures.append(threat_failure(SECOND_REVIEWER, threat, f"rejected{who}: {why}, and no second reviewer has "
                                                                f"confirmed it (another person runs: decide "
                                                                f"{threat.id} --confirm)"))
    return failures
