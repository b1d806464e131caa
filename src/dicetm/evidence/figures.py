"""The figures the compliance map is computed from: counts over the analysis, the register and the record.

Each figure (a ``Fact``) has a value and up to three sentences: what it shows when the value is above zero,
what is missing when an item requires it and it is zero, and the gap when an item needs it to be zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from dicetm.model import AnalysisResult, CountermeasureStatus, RiskLevel, System, Threat
from dicetm.model.findings import RISK_ORDER

DECIDED = frozenset({"accepted", "modified", "rejected"})
AI_NAMESPACES = ("atlas:", "owasp-llm:", "owasp-agentic:", "owasp-asi:")
FRAMEWORK_NAMES = {
    "stride": "STRIDE", "owasp-llm": "OWASP Top 10 for LLM Applications",
    "owasp-agentic": "OWASP agentic AI threats", "owasp-asi": "OWASP Top 10 for Agentic Applications",
    "atlas": "MITRE ATLAS", "cwe": "CWE",
}
_LISTED_IDS = 5


class Area(BaseModel):
    """Which threats an item is about; a threat belongs when it matches any criterion."""

    model_config = ConfigDict(extra="forbid")

    stride: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list, description="Reference prefixes, e.g. 'atlas:'.")
    rules: list[str] = Field(default_factory=list, description="Rule id prefixes.")
    controls: list[str] = Field(default_factory=list, description="Suggested-control id prefixes.")
    exposure: list[str] = Field(default_factory=list, description="Exposure of the primary element.")
    assumed: bool = Field(False, description="The rule assumed an unstated fact.")

    def matches(self, threat: Threat, system: System) -> bool:
        primary = system.element_by_id.get(threat.elements[0]) if threat.elements else None
        exposure = primary.exposure.value if primary is not None and primary.exposure is not None else None
        return (any(s in self.stride for s in threat.stride)
                or any(r.startswith(p) for r in threat.references for p in self.references)
                or any(threat.rule.startswith(p) for p in self.rules)
                or any(c.startswith(p) for c in threat.controls for p in self.controls)
                or (exposure is not None and exposure in self.exposure)
                or (self.assumed and bool(threat.assumptions)))


@dataclass(frozen=True)
class ComplianceInputs:
    """Everything the map is computed from. ``audit_problem`` is the first problem when the chain is broken."""

    result: AnalysisResult
    system: System
    today: date
    rules_run: int
    audit_records: int = 0
    audit_ok: bool = False
    audit_problem: str | None = None
    iterations: int = 0
    unrecorded_changes: int = 0
    quick_accepts: int = 0


@dataclass(frozen=True)
class Fact:
    value: int
    answer: str = ""  # shown under "answered by" when the item shows it and value > 0 (or always)
    absent: str = ""  # shown under "missing" when the item requires it and value == 0
    gap: str = ""  # shown under "missing" when the item lists it as a gap and value > 0
    always: bool = False


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_LISTED_IDS])
    return shown + (f" and {len(ids) - _LISTED_IDS} more" if len(ids) > _LISTED_IDS else "")


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _undecided(threats: Iterable[Threat]) -> list[Threat]:
    return [t for t in threats if t.status not in DECIDED]


def _frameworks(threats: Sequence[Threat]) -> str:
    spaces = {r.split(":", 1)[0] for t in threats for r in t.references}
    if any(t.stride for t in threats):
        spaces.add("stride")
    names = sorted(FRAMEWORK_NAMES.get(s, s) for s in spaces)
    return ", ".join(names) or "no framework"


def _covered_ids(result: AnalysisResult) -> set[str]:
    return {m.threat for m in result.evaluation.matrix if m.covered}


def _review_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10]) if text else None
    except ValueError:
        return None


def _threat_facts(i: ComplianceInputs) -> dict[str, Fact]:
    result, threats = i.result, i.result.threats
    active = [t for t in threats if t.status != "rejected"]
    undecided = _undecided(threats)
    status = Counter(t.status for t in undecided)
    decided = [t for t in threats if t.status in DECIDED]
    reviewers = sorted({t.reviewer for t in decided if t.reviewer})
    covered = _covered_ids(result)
    uncovered = [t.id for t in active if t.id not in covered]
    high = [t.id for t in active if t.id not in covered and RISK_ORDER[t.risk] >= RISK_ORDER[RiskLevel.high]]
    fired = len({t.rule for t in threats})
    ai = [t for t in threats if any(r.startswith(AI_NAMESPACES) for r in t.references)]
    risks = Counter(t.risk.value for t in threats)
    by_risk = ", ".join(f"{level.value} {risks[level.value]}" for level in reversed(RiskLevel))
    rejected = [t for t in threats if t.status == "rejected"]
    evaluation = result.evaluation
    return {
        "threats": Fact(len(threats), f"{_plural(len(threats), 'threat')} identified by {fired} of {i.rules_run} "
                                      f"rules, referencing {_frameworks(threats)}",
                        absent="no threats identified yet"),
        "ai_threats": Fact(len(ai), f"{len(ai)} of them specific to AI (OWASP LLM or agentic lists, MITRE ATLAS)"),
        "risk_scored": Fact(len(threats), f"every threat scored as likelihood × impact (1–5 each): {by_risk}"),
        "decided": Fact(len(decided), f"{_plural(len(decided), 'threat')} decided by "
                                      f"{_plural(len(reviewers), 'named reviewer')}"
                                      + (f" ({', '.join(reviewers)})" if reviewers else "")),
        "rejected": Fact(len(rejected), f"{_plural(len(rejected), 'threat')} rejected as not applicable, with the "
                                        "reviewer's reason recorded"),
        "undecided": Fact(len(undecided), gap=f"{_plural(len(undecided), 'threat')} not decided by a person yet "
                                              f"({status['unreviewed']} unreviewed, {status['stale']} stale, "
                                              f"{status['needs-info']} needs-info)"),
        "stale": Fact(status["stale"], gap=f"{_plural(status['stale'], 'decision')} stale because the facts it "
                                           "rested on changed"),
        "covered": Fact(len(active) - len(uncovered),
                        f"coverage {evaluation.coverage_percent:.1f} %: {len(active) - len(uncovered)} of "
                        f"{len(active)} threats have a countermeasure accepted, planned or implemented, or an "
                        "owned residual-risk decision"),
        "uncovered": Fact(len(uncovered), gap=f"{_plural(len(uncovered), 'threat')} uncovered: {_ids(uncovered)}"),
        "uncovered_high": Fact(len(high), gap=f"{_plural(len(high), 'high or critical threat')} uncovered: "
                                              f"{_ids(high)}"),
    }


def _measure_facts(i: ComplianceInputs) -> dict[str, Fact]:
    cms = i.result.countermeasures
    by = Counter(c.status for c in cms)
    adopted = sum(by[s] for s in (CountermeasureStatus.accepted, CountermeasureStatus.planned,
                                  CountermeasureStatus.implemented))
    implemented = [c for c in cms if c.status is CountermeasureStatus.implemented]
    with_evidence = sorted(c.id for c in implemented if c.evidence)
    without = sorted(c.id for c in implemented if not c.evidence)
    planned = sorted(c.id for c in cms if c.status is CountermeasureStatus.planned)
    proposed = by[CountermeasureStatus.proposed]
    return {
        "measures_decided": Fact(adopted, f"{_plural(adopted, 'countermeasure')} adopted "
                                          f"({by[CountermeasureStatus.implemented]} implemented, "
                                          f"{by[CountermeasureStatus.planned]} planned, "
                                          f"{by[CountermeasureStatus.accepted]} accepted)",
                                 absent="no countermeasure adopted yet"),
        "measures_proposed": Fact(proposed, gap=f"{_plural(proposed, 'suggested countermeasure')} awaiting a "
                                                "decision"),
        "implemented_with_evidence": Fact(
            len(with_evidence), f"{_plural(len(with_evidence), 'implemented countermeasure')} linked to evidence: "
                                f"{_ids(with_evidence)}",
            absent="no implemented countermeasure links to evidence yet"),
        "implemented_without_evidence": Fact(
            len(without), gap=f"{_plural(len(without), 'implemented countermeasure')} without an evidence link: "
                              f"{_ids(without)}"),
        "planned_not_implemented": Fact(len(planned), gap=f"{_plural(len(planned), 'countermeasure')} planned but "
                                                          f"not implemented yet: {_ids(planned)}"),
    }


def _residual_facts(i: ComplianceInputs) -> dict[str, Fact]:
    entries = i.result.evaluation.residual_risks
    decided = [e for e in entries if not e.open]
    kinds = Counter(e.decision.value for e in decided if e.decision)
    owners = sorted({e.owner for e in decided if e.owner})
    open_ids = [e.threat for e in entries if e.open]
    expired = [e.threat for e in decided if (day := _review_day(e.review_by)) is None or day < i.today]
    detail = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    entries_text = _plural(len(open_ids), "residual-risk entry", "residual-risk entries")
    return {
        "residual_decided": Fact(len(decided), f"{_plural(len(decided), 'residual risk')} decided by named owners"
                                               + (f" ({detail}; owners: {', '.join(owners)})" if decided else "")),
        "residual_open": Fact(len(open_ids), gap=f"{entries_text} awaiting an owner and a decision: "
                                                 f"{_ids(open_ids)}"),
        "residual_expired": Fact(len(expired), gap=f"{_plural(len(expired), 'residual-risk decision')} past its "
                                                   f"review date or without one: {_ids(expired)}"),
    }


def _record_facts(i: ComplianceInputs) -> dict[str, Fact]:
    system = i.system
    elements, flows, zones = len(system.elements), len(system.flows), len(system.trust_boundaries)
    intact = "hash chain verified" if i.audit_ok else "hash chain does NOT verify"
    return {
        "elements": Fact(elements, f"{_plural(elements, 'element')}, {_plural(flows, 'data flow')} and "
                                   f"{_plural(zones, 'trust boundary', 'trust boundaries')} described in the model",
                         absent="no elements described"),
        "flows": Fact(flows, f"{_plural(flows, 'data flow')} described", absent="no data flows described"),
        "boundaries": Fact(zones, f"{_plural(zones, 'trust boundary', 'trust boundaries')} drawn"),
        "no_boundaries": Fact(int(zones == 0), gap="no trust boundaries are described"),
        "description": Fact(int(bool(system.description and system.description.strip())),
                            "the model carries a written description of the system",
                            absent="the model has no system description (description: in dicetm.yaml)"),
        "open_questions": Fact(len(i.result.open_questions),
                               gap=f"{_plural(len(i.result.open_questions), 'open question')} about facts the "
                                   "model does not state"),
        "audit_records": Fact(i.audit_records, f"audit log with {_plural(i.audit_records, 'record')}, {intact}",
                              absent="no audit records yet: no decision has been recorded"),
        "audit_intact": Fact(int(i.audit_ok), "the audit hash chain verifies",
                             absent=f"the audit chain does not verify: {i.audit_problem or 'unknown problem'}"),
        "iterations": Fact(i.iterations, f"{_plural(i.iterations, 'iteration')} recorded as snapshots"),
        "no_iterations": Fact(int(i.iterations == 0), gap="no iteration snapshot has been recorded yet"),
        "unrecorded_changes": Fact(i.unrecorded_changes,
                                   gap=f"{_plural(i.unrecorded_changes, 'change')} found by the latest analysis "
                                       "(new, stale or retired items) not yet recorded in the audit log"),
        "quick_accepts": Fact(i.quick_accepts, gap=f"{_plural(i.quick_accepts, 'item')} resting on decisions "
                                                   "flagged as quick accepts (possible rubber-stamping)"),
    }


def area_facts(i: ComplianceInputs, area: Area) -> dict[str, Fact]:
    picked = [t for t in i.result.threats if t.status != "rejected" and area.matches(t, i.system)]
    covered = _covered_ids(i.result)
    undecided = [t.id for t in _undecided(picked)]
    uncovered = [t.id for t in picked if t.id not in covered]
    ids = [t.id for t in picked]
    shown = (f"{_plural(len(picked), 'threat')} in this area: {_ids(ids)}" if picked
             else "no threat in this area was identified by the rules run")
    return {
        "area_threats": Fact(len(picked), shown, always=True),
        "area_covered": Fact(len(picked) - len(uncovered), f"{len(picked) - len(uncovered)} of them covered by a "
                                                           "countermeasure or an owned residual-risk decision"),
        "area_undecided": Fact(len(undecided), gap=f"{len(undecided)} of them not decided by a person yet: "
                                                   f"{_ids(undecided)}"),
        "area_uncovered": Fact(len(uncovered), gap=f"{len(uncovered)} of them uncovered: {_ids(uncovered)}"),
    }


_GLOBAL: tuple[Callable[[ComplianceInputs], dict[str, Fact]], ...] = (
    _threat_facts, _measure_facts, _residual_facts, _record_facts)
FACT_NAMES = frozenset({"threats", "ai_threats", "risk_scored", "decided", "rejected", "undecided", "stale",
                        "covered", "uncovered", "uncovered_high", "measures_decided", "measures_proposed",
                        "implemented_with_evidence", "implemented_without_evidence", "planned_not_implemented",
                        "residual_decided", "residual_open", "residual_expired", "elements", "flows", "boundaries",
                        "no_boundaries", "description", "open_questions", "audit_records", "audit_intact",
                        "iterations", "no_iterations", "unrecorded_changes", "quick_accepts"})
AREA_FACT_NAMES = frozenset({"area_threats", "area_covered", "area_undecided", "area_uncovered"})


def facts(inputs: ComplianceInputs) -> dict[str, Fact]:
    """Every global figure, computed once."""
    table: dict[str, Fact] = {}
    for part in _GLOBAL:
        table.update(part(inputs))
    return table
