"""Bring the register up to date with a fresh analysis, without touching any decision's substance.

- a finding not in the register arrives as ``unreviewed``;
- a register threat whose finding is no longer produced is ``retired`` (its history kept);
- a decided threat whose facts changed turns ``stale``, with the changes listed; the decision it had is
  kept in ``status_before_stale`` so the reviewer sees what they decided before;
- a retired threat that fires again comes back as ``unreviewed``;
- each suggested control gets a countermeasure entry (``proposed``) and its threat list is refreshed.

Pure: returns the new register and a list of changes; the caller records each change in the audit log.
Entries that do not change are shared with the input register, not copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dicetm.model import Countermeasure, System, Threat
from dicetm.model.register import (
    DECIDED_THREAT_STATUSES,
    CountermeasureEntry,
    Register,
    ThreatEntry,
    ThreatStatus,
)
from dicetm.review.facts import FactsIndex, describe_changes, facts_digest

UNRECORDED_DECISION = "decided"  # what a stale entry was, said when a register from before it was kept does not say


def standing_decision(entry: ThreatEntry) -> ThreatStatus | None:
    """The decision a threat entry stands on: its status, or for a stale entry the status a person gave before
    its facts changed (None when the register does not say)."""
    return entry.status_before_stale if entry.status is ThreatStatus.stale else entry.status


def earlier_decision_text(entry: ThreatEntry) -> str:
    """For people: what a stale entry was before it went stale ('accepted'), else 'decided'."""
    earlier = standing_decision(entry)
    return earlier.value if earlier is not None else UNRECORDED_DECISION


class Findings(Protocol):
    """What reconciling reads from an analysis: an AnalysisResult, or a pipeline State after ``counter``."""

    @property
    def threats(self) -> Sequence[Threat]: ...

    @property
    def countermeasures(self) -> Sequence[Countermeasure]: ...


@dataclass(frozen=True)
class Change:
    action: str  # add, retire, stale, reopen, add-countermeasure, update-countermeasure
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    details: dict[str, Any] = field(default_factory=dict)


def _dump(item: ThreatEntry | CountermeasureEntry | None) -> dict[str, Any] | None:
    return None if item is None else item.model_dump(mode="json")


def _lookup(threat: Threat, entries: dict[str, ThreatEntry]) -> ThreatEntry | None:
    for key in (threat.id, *threat.members):
        if key in entries:
            return entries[key]
    return None


def _new_entry(threat: Threat, facts_index: FactsIndex) -> ThreatEntry:
    facts = facts_index.facts(threat.elements, threat.flows)
    return ThreatEntry(id=threat.id, rule=threat.rule, title=threat.title, elements=list(threat.elements),
                       flows=list(threat.flows), origin=threat.provenance.source, facts=facts,
                       facts_digest=facts_digest(facts))


def _reconcile_threats(register: Register, result: Findings, system: System,
                       changes: list[Change]) -> list[ThreatEntry]:
    entries = {e.id: e for e in register.threats}
    facts_index = FactsIndex(system)
    seen: set[str] = set()
    out: dict[str, ThreatEntry] = {}
    for threat in result.threats:
        entry = _lookup(threat, entries)
        if entry is None:
            fresh = _new_entry(threat, facts_index)
            out[fresh.id] = fresh
            changes.append(Change("add", fresh.id, None, _dump(fresh), {"rule": threat.rule}))
            continue
        seen.add(entry.id)
        facts = facts_index.facts(threat.elements, threat.flows)
        digest = facts_digest(facts)
        update: dict[str, Any] = {}
        if entry.elements != threat.elements or entry.flows != threat.flows:
            update.update(elements=list(threat.elements), flows=list(threat.flows))
        if entry.status is ThreatStatus.retired:
            update.update(status=ThreatStatus.unreviewed, facts=facts, facts_digest=digest)
            updated = entry.model_copy(update=update)
            changes.append(Change("reopen", entry.id, _dump(entry), _dump(updated),
                                  {"why": "its rule fires again"}))
        elif entry.status in DECIDED_THREAT_STATUSES and entry.facts_digest not in (None, digest):
            update.update(stale_changes=describe_changes(entry.facts, facts), status_before_stale=entry.status,
                          status=ThreatStatus.stale)
            updated = entry.model_copy(update=update)
            changes.append(Change("stale", entry.id, _dump(entry), _dump(updated),
                                  {"changes": updated.stale_changes}))
        else:
            if entry.status is ThreatStatus.unreviewed and entry.facts_digest != digest:
                # Nothing was decided, so nothing goes stale; keep the facts current for the next decision.
                update.update(facts=facts, facts_digest=digest)
            updated = entry.model_copy(update=update) if update else entry
        out[updated.id] = updated
    for entry in register.threats:
        if entry.id in seen or entry.id in out:
            continue
        if entry.status is ThreatStatus.retired:
            out[entry.id] = entry
            continue
        retired = entry.model_copy(update={"status": ThreatStatus.retired})
        out[entry.id] = retired
        changes.append(Change("retire", entry.id, _dump(entry), _dump(retired),
                              {"why": "its rule no longer fires on these elements"}))
    return sorted(out.values(), key=lambda e: e.id)


def _reconcile_countermeasures(register: Register, result: Findings,
                               changes: list[Change]) -> list[CountermeasureEntry]:
    entries = {e.id: e for e in register.countermeasures}
    out: dict[str, CountermeasureEntry] = dict(entries)
    for cm in result.countermeasures:
        entry = entries.get(cm.id)
        if entry is None:
            fresh = CountermeasureEntry(id=cm.id, threats=list(cm.threats))
            out[cm.id] = fresh
            changes.append(Change("add-countermeasure", cm.id, None, _dump(fresh)))
        elif entry.threats != cm.threats:
            updated = entry.model_copy(update={"threats": list(cm.threats)})
            out[cm.id] = updated
            changes.append(Change("update-countermeasure", cm.id, _dump(entry), _dump(updated),
                                  {"threats": list(cm.threats)}))
    return sorted(out.values(), key=lambda e: e.id)


def reconcile(register: Register, result: Findings, system: System) -> tuple[Register, list[Change]]:
    changes: list[Change] = []
    if register.system != system.name:
        changes.append(Change("rename-system", "system", {"system": register.system}, {"system": system.name}))
    threats = _reconcile_threats(register, result, system, changes)
    countermeasures = _reconcile_countermeasures(register, result, changes)
    updated = register.model_copy(update={"system": system.name, "threats": threats,
                                          "countermeasures": countermeasures})
    return updated, changes
