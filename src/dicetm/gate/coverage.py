"""Coverage as the gate judges it, one threat at a time.

An accepted or modified threat is covered by a countermeasure that applies to it and is planned or implemented,
or by an owned residual-risk decision whose review-by date has not passed (``pipeline.evaluate`` applies the
same date rule, so a report never shows as covered what the gate calls expired). An implemented countermeasure
counts only with evidence that counts: an http(s) link, or a path that exists in the repository
(``dicetm.evidence_link``). Under ``require_linked_coverage`` a countermeasure counts only for the threats a
person linked it to (``decide --covers``, or ``threats:`` in the model file): one decision on a control no
longer covers every threat the catalogue maps it to.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dicetm.evidence_link import link_problem, path_problem
from dicetm.gate.failures import REQUIRE_COVERAGE, GateFailure, threat_failure
from dicetm.model import AnalysisResult, Countermeasure, CountermeasureStatus, Threat
from dicetm.model.register import ThreatStatus
from dicetm.pipeline.evaluate import residual_problem

ACCEPTED = frozenset({ThreatStatus.accepted.value, ThreatStatus.modified.value})
IN_FORCE = (CountermeasureStatus.planned, CountermeasureStatus.implemented)


def _applies(countermeasure: Countermeasure, threat: Threat) -> bool:
    limited = countermeasure.limited_to
    return limited is None or threat.id in limited or any(member in limited for member in threat.members)


def _why_not(countermeasure: Countermeasure, *, linked: bool, workspace: Path | None) -> str | None:
    """For a planned or implemented countermeasure that applies: None when it covers; else why it does not."""
    name, status = countermeasure.id, countermeasure.status
    if linked and countermeasure.limited_to is None:
        action = "implement" if status is CountermeasureStatus.implemented else "plan"
        return f"{name} {status.value} but not linked to this threat by a person (decide {name} --{action} " \
               "... --covers THREAT)"
    if status is CountermeasureStatus.implemented:
        problem = link_problem(countermeasure.evidence)
        if problem is None and workspace is not None and countermeasure.evidence is not None:
            problem = path_problem(countermeasure.evidence, workspace)
        if problem is not None:
            return f"{name} implemented but its evidence does not count: {problem}"
    return None


def countermeasure_problem(threat: Threat, countermeasures: dict[str, Countermeasure], *, linked: bool,
                           workspace: Path | None) -> str | None:
    """None when a countermeasure covers ``threat``; else what there is instead, in words."""
    accepted: list[str] = []
    reasons: list[str] = []
    for control_id in threat.controls:
        countermeasure = countermeasures.get(control_id)
        if countermeasure is None or not _applies(countermeasure, threat):
            continue
        if countermeasure.status is CountermeasureStatus.accepted:
            accepted.append(control_id)
        if countermeasure.status not in IN_FORCE:
            continue
        reason = _why_not(countermeasure, linked=linked, workspace=workspace)
        if reason is None:
            return None
        reasons.append(reason)
    if accepted:
        first = sorted(accepted)[0]
        reasons.insert(0, f"{', '.join(sorted(accepted))} accepted but neither planned nor implemented (the report "
                          f"counts an accepted countermeasure as coverage; the gate asks for a plan: decide {first} "
                          "--plan --owner OWNER --due YYYY-MM-DD)")
    return "; ".join(reasons) if reasons else "no countermeasure planned or implemented"


def uncovered_accepts(result: AnalysisResult, today: date, *, linked: bool,
                      workspace: Path | None) -> list[GateFailure]:
    """A failure for every accepted or modified threat that nothing covers."""
    countermeasures = {c.id: c for c in result.countermeasures}
    residual = {entry.threat: entry for entry in result.evaluation.residual_risks}
    failures = []
    for threat in result.threats:
        if threat.status not in ACCEPTED:
            continue
        no_countermeasure = countermeasure_problem(threat, countermeasures, linked=linked, workspace=workspace)
        no_decision = residual_problem(residual.get(threat.id), today)
        if no_countermeasure is None or no_decision is None:
            continue
        failures.append(threat_failure(REQUIRE_COVERAGE, threat, f"{threat.status} {threat.risk.value} threat is "
                                                                 f"not covered: {no_countermeasure}; {no_decision}"))
    return failures
