"""Ordering and wording shared by the Markdown and HTML reports.

Both reports must list the same things in the same order with the same words, so the choices live
here once. Everything returns plain (unescaped) text; each renderer escapes for its own format.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import Enum

from dicetm.model import (
    AnalysisResult,
    Countermeasure,
    CountermeasureStatus,
    Element,
    Provenance,
    ResidualRiskEntry,
    RiskLevel,
    Threat,
    ThreatEvaluation,
)
from dicetm.model.findings import RISK_ORDER

STRIDE_NAMES = {
    "S": "Spoofing",
    "T": "Tampering",
    "R": "Repudiation",
    "I": "Information disclosure",
    "D": "Denial of service",
    "E": "Elevation of privilege",
}
RISK_DISPLAY_ORDER = (RiskLevel.critical, RiskLevel.high, RiskLevel.medium, RiskLevel.low)
STATUS_DISPLAY_ORDER = (
    CountermeasureStatus.implemented,
    CountermeasureStatus.accepted,
    CountermeasureStatus.planned,
    CountermeasureStatus.proposed,
    CountermeasureStatus.rejected,
)
# Element fields that are the element's identity rather than a fact about it.
_NOT_FACTS = frozenset({"id", "name", "kind", "description"})
FACT_FIELDS = tuple(name for name in Element.model_fields if name not in _NOT_FACTS)


def threats_by_risk(threats: Iterable[Threat]) -> list[Threat]:
    """Highest score first; ties by id. Score decides the level, so this is also level order."""
    return sorted(threats, key=lambda t: (-t.score, t.id))


def countermeasures_by_rank(countermeasures: Iterable[Countermeasure]) -> list[Countermeasure]:
    return sorted(countermeasures, key=lambda c: (c.rank, c.id))


def matrix_order(matrix: Iterable[ThreatEvaluation]) -> list[ThreatEvaluation]:
    """Uncovered threats first, then by inherent score (highest first), then id."""
    return sorted(matrix, key=lambda m: (m.covered, -m.inherent_score, m.threat))


def residual_order(matrix: Iterable[ThreatEvaluation]) -> list[ThreatEvaluation]:
    return sorted(matrix, key=lambda m: (-m.residual_score, -m.inherent_score, m.threat))


def register_order(entries: Iterable[ResidualRiskEntry]) -> list[ResidualRiskEntry]:
    """Open entries first (they need a person), then by residual risk, then threat id."""
    return sorted(entries, key=lambda e: (not e.open, -RISK_ORDER.get(e.residual_risk, 0), e.threat))


def score_text(likelihood: int, impact: int, score: int, level: RiskLevel) -> str:
    return f"{likelihood} × {impact} = {score} ({level.value})"


def threat_risk_text(threat: Threat) -> str:
    return f"{threat.risk.value} (likelihood {threat.likelihood} × impact {threat.impact} = {threat.score})"


def stride_text(letters: Iterable[str]) -> str:
    return ", ".join(f"{letter} ({STRIDE_NAMES.get(letter, '?')})" for letter in letters)


def provenance_text(provenance: Provenance) -> str:
    parts = [f"{provenance.source} {provenance.rule}" if provenance.rule else provenance.source]
    if provenance.catalog_version:
        parts.append(f"catalogue {provenance.catalog_version}")
    if provenance.detail:
        parts.append(provenance.detail)
    return ", ".join(parts)


def yes_no(value: bool | None) -> str:
    if value is None:
        return "unknown"
    return "yes" if value else "no"


def _fact_value(value: object) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return ", ".join(_fact_value(v) for v in value)
    return str(value)


def element_facts(element: Element) -> list[str]:
    """The facts the user has stated, as ``field=value``; unknown facts are left out."""
    facts = []
    for name in FACT_FIELDS:
        value = getattr(element, name)
        if value is None or value == []:
            continue
        facts.append(f"{name}={_fact_value(value)}")
    return facts


def kind_text(element: Element) -> str:
    return element.kind.value.replace("_", " ")


def status_groups(by_status: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """Countermeasure ids grouped by status, known statuses in a fixed order, others after by name."""
    known = [s.value for s in STATUS_DISPLAY_ORDER]
    order = [s for s in known if by_status.get(s)] + sorted(s for s in by_status if s not in known)
    return [(status, sorted(by_status[status])) for status in order if by_status[status]]


def risk_counts_text(by_risk: dict[str, int]) -> str:
    known = [level.value for level in RISK_DISPLAY_ORDER]
    keys = known + sorted(k for k in by_risk if k not in known)
    return ", ".join(f"{key} {by_risk.get(key, 0)}" for key in keys)


def summary_rows(result: AnalysisResult) -> list[tuple[str, str]]:
    """The headline figures, as (label, value) pairs, copied from the computed evaluation."""
    evaluation = result.evaluation
    open_risks = sum(1 for entry in evaluation.residual_risks if entry.open)
    statuses = Counter(c.status for c in result.countermeasures)
    status_text = ", ".join(f"{s.value} {statuses[s]}" for s in STATUS_DISPLAY_ORDER if statuses[s])
    return [
        ("Threats listed", f"{len(result.threats)} (from {result.raw_findings} raw rule findings, "
                           f"detail: {result.detail})"),
        ("By risk", risk_counts_text(evaluation.by_risk)),
        ("Coverage", f"{evaluation.threats_covered} of {evaluation.threats_total} threats covered "
                     f"({evaluation.coverage_percent:.1f} %)"),
        ("Uncovered threats", str(len(evaluation.uncovered))),
        ("Open questions", str(len(result.open_questions))),
        ("Countermeasures", f"{len(result.countermeasures)}" + (f" ({status_text})" if status_text else "")),
        ("Residual risks awaiting a decision (OPEN)", f"{open_risks} of {len(evaluation.residual_risks)}"),
    ]


def meta_line(result: AnalysisResult) -> str:
    parts = [f"dicetm {result.dicetm_version}", f"catalogue {result.catalog_version}"]
    if result.source:
        parts.append(f"source {result.source}")
    return " · ".join(parts)


def one_line(text: str) -> str:
    """Collapse line breaks for places that cannot hold them (headings, labels)."""
    return " ".join(text.split())
