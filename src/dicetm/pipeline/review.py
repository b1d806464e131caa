"""Overlay the register's human decisions on a fresh analysis.

The rules always run in full; decisions are looked up by finding id (or by a member id of a grouped
threat) and applied: review status and reviewer on each threat, a person's edits on modified threats
(the values as found are kept in ``original``), and countermeasure and residual-risk decisions, which
take precedence over the same settings written in the model file.
"""

from __future__ import annotations

import dataclasses

from dicetm.model import CountermeasureSetting, CountermeasureStatus, ResidualRiskSetting, RiskDecision, Threat
from dicetm.model.register import (
    CountermeasureReview,
    Register,
    ResidualStatus,
    ThreatEntry,
    ThreatStatus,
    linked_threats,
)
from dicetm.pipeline.state import State

RESIDUAL_DECISION = {
    ResidualStatus.accepted: RiskDecision.accept,
    ResidualStatus.transferred: RiskDecision.transfer,
    ResidualStatus.avoided: RiskDecision.avoid,
    ResidualStatus.mitigated: RiskDecision.mitigate,
}


def entry_for(threat: Threat, entries: dict[str, ThreatEntry]) -> ThreatEntry | None:
    for key in (threat.id, *threat.members):
        if key in entries:
            return entries[key]
    return None


def _reviewed(threat: Threat, entry: ThreatEntry | None) -> Threat:
    if entry is None:
        return threat
    update: dict[str, object] = {"status": entry.status.value, "reviewer": entry.reviewer,
                                 "review_reason": entry.reason, "tracker": entry.tracker}
    mod = entry.modification
    if entry.status is ThreatStatus.modified and mod is not None:
        update["original"] = {"title": threat.title, "scenario": threat.scenario,
                              "likelihood": threat.likelihood, "impact": threat.impact}
        for field in ("title", "scenario", "likelihood", "impact"):
            value = getattr(mod, field)
            if value is not None:
                update[field] = value
    return threat.model_copy(update=update)


def _settings(register: Register, state: State) -> tuple[list[CountermeasureSetting], list[ResidualRiskSetting]]:
    system = state.system
    cms = {s.control: s for s in system.countermeasures}
    for entry in register.countermeasures:
        if entry.status is not CountermeasureReview.proposed or entry.tracker:
            cms[entry.id] = CountermeasureSetting(control=entry.id, status=CountermeasureStatus(entry.status.value),
                                                  owner=entry.owner, due=entry.due, evidence=entry.evidence,
                                                  note=entry.reason, threats=linked_threats(entry),
                                                  tracker=entry.tracker or getattr(cms.get(entry.id), "tracker", None))
    risks = {s.threat: s for s in system.residual_risks}
    for record in register.residual_risks:
        if record.status is not ResidualStatus.open:
            risks[record.threat] = ResidualRiskSetting(threat=record.threat, owner=record.owner,
                                                       decision=RESIDUAL_DECISION[record.status],
                                                       business_impact=record.business_impact,
                                                       review_by=record.review_by)
    return sorted(cms.values(), key=lambda s: s.control), sorted(risks.values(), key=lambda s: s.threat)


def apply_register(state: State, register: Register | None) -> State:
    """Attach decisions to threats and settings to the system copy the later phases read."""
    if register is None:
        return state
    entries = {e.id: e for e in register.threats}
    threats = tuple(_reviewed(t, entry_for(t, entries)) for t in state.threats)
    cms, risks = _settings(register, state)
    system = state.system.model_copy(update={"countermeasures": cms, "residual_risks": risks})
    return dataclasses.replace(state, threats=threats, system=system, register=register)
