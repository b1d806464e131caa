"""Apply one person's decision to one register item. Every change is recorded through the transaction.

Item ids: a threat id (``T-LLM-001@hosted-llm``), a control id for a countermeasure (``C-INP-001``), or
``risk:<threat id>`` for a residual-risk decision.

A decision may say which version of the item the reviewer saw (``seen``, from :func:`item_version`). When the
item changed since (another reviewer decided it, or it turned stale), the decision is still recorded, with
the change it superseded in its audit record, and ``apply_decision`` returns a warning for the reviewer.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel

from dicetm.errors import InputError, Location, Problem
from dicetm.model import System, Threat
from dicetm.model.register import (
    CONFIRM,
    CountermeasureEntry,
    CountermeasureReview,
    HistoryEntry,
    Register,
    ResidualRiskRecord,
    ResidualStatus,
    ThreatEntry,
    ThreatModification,
    ThreatStatus,
    current_decision,
)
from dicetm.review.facts import facts_digest, facts_of
from dicetm.review.fatigue import mark_quick, quick_run
from dicetm.review.identity import same_person
from dicetm.review.tracker import TRACK, check_tracker_url, record_tracker

THREAT_ACTIONS = {"accept": ThreatStatus.accepted, "reject": ThreatStatus.rejected,
                  "modify": ThreatStatus.modified, "needs-info": ThreatStatus.needs_info}
COUNTERMEASURE_ACTIONS = {"accept": CountermeasureReview.accepted, "reject": CountermeasureReview.rejected,
                          "plan": CountermeasureReview.planned, "implement": CountermeasureReview.implemented,
                          "propose": CountermeasureReview.proposed}
RISK_ACTIONS = {"accept": ResidualStatus.accepted, "transfer": ResidualStatus.transferred,
                "avoid": ResidualStatus.avoided, "mitigate": ResidualStatus.mitigated,
                "reopen": ResidualStatus.open}
REASON_REQUIRED = frozenset({"reject", "modify", "needs-info"})
LINKING_ACTIONS = frozenset({"accept", "plan", "implement"})  # countermeasure decisions that may name --covers
BULK_FLAG, HIGH_RISK_FLAG = "bulk", "high-risk"  # why a rejection is flagged for a second reviewer


class Recorder(Protocol):
    register: Register
    actor: str

    def record(self, action: str, target: str, before: BaseModel | dict[str, Any] | None,
               after: BaseModel | dict[str, Any] | None, reason: str | None = None,
               details: dict[str, Any] | None = None) -> tuple[int, str]: ...


@dataclass(frozen=True)
class DecisionInput:
    item: str
    action: str
    reason: str | None = None
    seconds_on_screen: float | None = None
    title: str | None = None
    scenario: str | None = None
    likelihood: int | None = None
    impact: int | None = None
    owner: str | None = None
    due: str | None = None
    evidence: str | None = None
    business_impact: str | None = None
    review_by: str | None = None
    covers: tuple[str, ...] = ()  # countermeasures: the threats this decision is linked to (empty: all)
    tracker: str | None = None  # a link to the issue tracking the item; alone (action "track") or with a decision
    bulk: bool = False  # part of one decision applied to every threat of a rule (--all-of)
    seen: str | None = None  # item_version() of the item as the reviewer saw it; None: not known


def item_version(register: Register, item_id: str) -> str:
    """A short token naming an item's state: its status and the audit seq of its latest decision.

    A page (or the terminal review) keeps the token of what it showed and passes it back as
    ``DecisionInput.seen``; a different token at decision time means somebody changed the item meanwhile.
    """
    item: ThreatEntry | CountermeasureEntry | ResidualRiskRecord | None
    if item_id.startswith("risk:"):
        item = next((r for r in register.residual_risks if r.threat == item_id.removeprefix("risk:")), None)
        initial = ResidualStatus.open.value
    elif item_id.startswith("C-"):
        item = next((c for c in register.countermeasures if c.id == item_id), None)
        initial = CountermeasureReview.proposed.value
    else:
        item = next((t for t in register.threats if t.id == item_id), None)
        initial = ThreatStatus.unreviewed.value
    if item is None:  # not in the register yet: as it will arrive there, undecided
        return f"{initial}#0"
    return f"{item.status.value}#{max((h.seq for h in item.history), default=0)}"


def _superseded(register: Register, item_id: str, seen: str | None) -> tuple[dict[str, Any], str | None]:
    """The audit details and the warning for a decision on an item that changed since it was seen."""
    if seen is None:
        return {}, None
    now = item_version(register, item_id)
    if now == seen:
        return {}, None
    last = latest_history(register, item_id)
    by = f" by {last.actor} at {last.at}" if last is not None else ""
    was, _sep, _seq = seen.partition("#")
    status, _sep, _seq = now.partition("#")
    warning = (f"{item_id} changed since you loaded it: it was {was} and is now {status}{by}. Your decision is "
               "recorded after that change and supersedes it; check it is still what you mean.")
    return {"superseded": {"seen": seen, "found": now, "by": last.actor if last else None}}, warning


def latest_history(register: Register, item_id: str) -> HistoryEntry | None:
    """The newest history entry of a threat, countermeasure or ``risk:<threat>`` item."""
    histories: list[list[HistoryEntry]]
    if item_id.startswith("risk:"):
        histories = [r.history for r in register.residual_risks if r.threat == item_id.removeprefix("risk:")]
    else:
        histories = [t.history for t in register.threats if t.id == item_id]
        histories += [c.history for c in register.countermeasures if c.id == item_id]
    entries = [entry for history in histories for entry in history]
    return max(entries, key=lambda entry: entry.seq) if entries else None


def _problem(message: str, field: str, hint: str | None = None) -> InputError:
    return InputError([Problem(message, Location(path=field), hint=hint)])


def _did_you_mean(item: str, known: list[str]) -> str:
    close = difflib.get_close_matches(item, known, n=3, cutoff=0.6)
    return f"did you mean {', '.join(close)}?" if close else "run 'dicetm analyze' and use an id from the report"


def _state(item: BaseModel) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude={"history"})


def _require(value: str | None, field: str, why: str) -> str:
    if value is None or not value.strip():
        raise _problem(f"{why} needs {field}", f"--{field.replace('_', '-')}")
    return value.strip()


def _check_date(value: str, field: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _problem(f"{field} {value!r} is not a date", f"--{field.replace('_', '-')}",
                       hint="use YYYY-MM-DD") from None
    return value


def _history(tx: Recorder, seq: int, at: str, action: str, before: str | None, after: str,
             decision: DecisionInput, details: dict[str, Any] | None = None) -> HistoryEntry:
    return HistoryEntry(seq=seq, at=at, actor=tx.actor, action=action, status_before=before, status_after=after,
                        reason=decision.reason, seconds_on_screen=decision.seconds_on_screen,
                        details=details or {})


def rejection_flags(decision: DecisionInput, threat: Threat | None) -> list[str]:
    """Why a rejection deserves a second look: made in bulk, or taking a high or critical threat out of the gate."""
    if decision.action != "reject":
        return []
    flags = [BULK_FLAG] if decision.bulk else []
    if threat is not None and threat.risk.value in ("high", "critical"):
        flags.append(HIGH_RISK_FLAG)
    return flags


def _confirm_threat(tx: Recorder, entry: ThreatEntry) -> None:
    decided = current_decision(entry.history)
    if entry.status not in (ThreatStatus.accepted, ThreatStatus.rejected, ThreatStatus.modified) or decided is None:
        raise _problem(f"threat {entry.id} is {entry.status.value}: there is no decision to confirm", "--confirm",
                       hint="a second reviewer confirms an accepted, rejected or modified threat")
    if same_person(decided.actor, tx.actor):
        raise _problem(f"{tx.actor} made the decision on {entry.id}; a second, different person must confirm it",
                       "--reviewer", hint="ask another named reviewer to run the --confirm")
    if any(h.action == CONFIRM and h.details.get("confirms") == decided.seq and same_person(h.actor, tx.actor)
           for h in entry.history):
        raise _problem(f"{tx.actor} has already confirmed the decision on {entry.id}", "--confirm")
    details = {"confirms": decided.seq, "decided_by": decided.actor}
    state = _state(entry)
    seq, at = tx.record(CONFIRM, entry.id, state, state, None, details)
    updated = entry.model_copy(deep=True)
    updated.history.append(HistoryEntry(seq=seq, at=at, actor=tx.actor, action=CONFIRM,
                                        status_before=entry.status.value, status_after=entry.status.value,
                                        details=details))
    tx.register.threats = [updated if t.id == entry.id else t for t in tx.register.threats]


def _decide_threat(tx: Recorder, entry: ThreatEntry, decision: DecisionInput, threat: Threat | None,
                   system: System, note: dict[str, Any]) -> None:
    if decision.action == CONFIRM:
        _confirm_threat(tx, entry)
        return
    if decision.action not in THREAT_ACTIONS:
        raise _problem(f"{decision.action!r} is not a decision for a threat", "action",
                       hint=f"one of: {', '.join([*THREAT_ACTIONS, CONFIRM])}")
    if entry.status is ThreatStatus.retired:
        raise _problem(f"threat {entry.id} is retired (its rule no longer fires)", "ITEM_ID")
    if decision.action in REASON_REQUIRED:
        _require(decision.reason, "reason", f"--{decision.action}")
    before = _state(entry)
    status_before = entry.status.value
    updated = entry.model_copy(deep=True)
    updated.status = THREAT_ACTIONS[decision.action]
    updated.reviewer, updated.reason = tx.actor, decision.reason
    updated.stale_changes, updated.status_before_stale = [], None
    details: dict[str, Any] = dict(note)
    if decision.action == "modify":
        mod = ThreatModification(title=decision.title, scenario=decision.scenario,
                                 likelihood=decision.likelihood, impact=decision.impact)
        if not mod.model_dump(exclude_none=True):
            raise _problem("--modify needs at least one of --title, --scenario, --likelihood, --impact", "--modify")
        updated.modification = mod
        details["modification"] = mod.model_dump(exclude_none=True)
    flags = rejection_flags(decision, threat)
    if flags:
        details["flags"] = flags
    facts = facts_of(system, threat.elements if threat else entry.elements, threat.flows if threat else entry.flows)
    updated.facts, updated.facts_digest = facts, facts_digest(facts)
    seq, at = tx.record(decision.action, entry.id, before, _state(updated), decision.reason, details or None)
    updated.decided_at = at
    updated.history.append(_history(tx, seq, at, decision.action, status_before, updated.status.value,
                                    decision, details))
    tx.register.threats = [updated if t.id == entry.id else t for t in tx.register.threats]


def _decide_countermeasure(tx: Recorder, entry: CountermeasureEntry, decision: DecisionInput,
                           note: dict[str, Any]) -> None:
    if decision.action not in COUNTERMEASURE_ACTIONS:
        raise _problem(f"{decision.action!r} is not a decision for a countermeasure", "action",
                       hint=f"one of: {', '.join(COUNTERMEASURE_ACTIONS)}")
    updated = entry.model_copy(deep=True)
    details = {**note, **_links(entry, decision)}
    if decision.action == "reject":
        _require(decision.reason, "reason", "--reject")
    if decision.action == "plan":
        updated.owner = _require(decision.owner, "owner", "--plan")
        updated.due = _check_date(_require(decision.due, "due", "--plan"), "due")
    if decision.action == "implement":
        updated.evidence = _require(decision.evidence, "evidence", "--implement")
        updated.owner = decision.owner or updated.owner
    before = _state(entry)
    updated.status = COUNTERMEASURE_ACTIONS[decision.action]
    updated.reviewer, updated.reason = tx.actor, decision.reason
    seq, at = tx.record(decision.action, entry.id, before, _state(updated), decision.reason, details or None)
    updated.decided_at = at
    updated.history.append(_history(tx, seq, at, decision.action, entry.status.value, updated.status.value, decision,
                                    details))
    tx.register.countermeasures = [updated if c.id == entry.id else c for c in tx.register.countermeasures]


def _links(entry: CountermeasureEntry, decision: DecisionInput) -> dict[str, Any]:
    """``{"covers": [...]}`` when the decision names the threats it is linked to; each must be one it mitigates."""
    if not decision.covers:
        return {}
    if decision.action not in LINKING_ACTIONS:
        raise _problem(f"--covers links an accepted, planned or implemented countermeasure to threats, not a "
                       f"{decision.action}", "--covers")
    unknown = [threat for threat in decision.covers if threat not in entry.threats]
    if unknown:
        raise _problem(f"{entry.id} does not mitigate {', '.join(unknown)}", "--covers",
                       hint=f"it mitigates: {', '.join(entry.threats) or 'no threat in the register'}")
    return {"covers": sorted(set(decision.covers))}


def _decide_risk(tx: Recorder, threat_id: str, decision: DecisionInput, note: dict[str, Any]) -> None:
    if decision.action not in RISK_ACTIONS:
        raise _problem(f"{decision.action!r} is not a residual-risk decision", "action",
                       hint=f"one of: {', '.join(RISK_ACTIONS)}")
    existing = next((r for r in tx.register.residual_risks if r.threat == threat_id), None)
    record = existing.model_copy(deep=True) if existing else ResidualRiskRecord(threat=threat_id)
    before = _state(existing) if existing else None
    if decision.action != "reopen":
        record.owner = _require(decision.owner, "owner", "a residual-risk decision")
        record.business_impact = _require(decision.business_impact, "business_impact", "a residual-risk decision")
        record.review_by = _check_date(_require(decision.review_by, "review_by", "a residual-risk decision"),
                                       "review_by")
    status_before = record.status.value
    record.status = RISK_ACTIONS[decision.action]
    record.reviewer, record.reason = tx.actor, decision.reason
    seq, at = tx.record(f"risk-{decision.action}", f"risk:{threat_id}", before, _state(record), decision.reason,
                        note or None)
    record.decided_at = at
    record.history.append(_history(tx, seq, at, f"risk-{decision.action}", status_before, record.status.value,
                                   decision, note))
    others = [r for r in tx.register.residual_risks if r.threat != threat_id]
    tx.register.residual_risks = sorted([*others, record], key=lambda r: r.threat)


def apply_decision(tx: Recorder, decision: DecisionInput, threats: dict[str, Threat], system: System) -> str | None:
    """Apply ``decision`` to the transaction's register, recording it; flag a run of quick accepts.

    ``threats`` maps ids to the analysis' threats (a missing one is taken from its register entry, which
    holds the same elements and flows once the register is reconciled). Returns a warning for the reviewer
    when the item changed since the version they saw (``decision.seen``), else None.
    """
    item = decision.item.strip()
    register = tx.register
    note, warning = _superseded(register, item, decision.seen)
    if decision.tracker is not None:
        check_tracker_url(decision.tracker)  # refused before anything is recorded
    if decision.action == TRACK:
        record_tracker(tx, item, decision.tracker or "")
        return warning
    if item.startswith("risk:"):
        threat_id = item.removeprefix("risk:")
        known = [t.id for t in register.threats if t.status is not ThreatStatus.retired]
        if threat_id not in known:
            raise _problem(f"no threat {threat_id!r} for a residual-risk decision", "ITEM_ID",
                           hint=_did_you_mean(threat_id, known))
        _decide_risk(tx, threat_id, decision, note)
    elif item.startswith("C-"):
        entry = next((c for c in register.countermeasures if c.id == item), None)
        if entry is None:
            raise _problem(f"no countermeasure {item!r} in the register", "ITEM_ID",
                           hint=_did_you_mean(item, [c.id for c in register.countermeasures]))
        _decide_countermeasure(tx, entry, decision, note)
    else:
        threat_entry = next((t for t in register.threats if t.id == item), None)
        if threat_entry is None:
            raise _problem(f"no threat {item!r} in the register", "ITEM_ID",
                           hint=_did_you_mean(item, [t.id for t in register.threats]))
        _decide_threat(tx, threat_entry, decision, threats.get(item), system, note)
    if decision.tracker is not None:
        record_tracker(tx, item, decision.tracker)
    flagged = quick_run(tx.register, tx.actor)
    if flagged:
        mark_quick(tx.register, flagged)
        tx.record("flag-quick-accepts", tx.actor, None, None,
                  f"{len(flagged)} accepts in a row each under the quick threshold: possible rubber-stamping",
                  {"items": [item_id for item_id, _seq in flagged], "seqs": [seq for _item, seq in flagged]})
    return warning
