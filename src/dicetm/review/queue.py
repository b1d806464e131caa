"""The review queue: what still needs a person's decision, in the order a reviewer should see it.

Pure: built from an analysis result (with the register's statuses overlaid) and the register itself.

What is queued:

- threats that are ``unreviewed``, ``stale`` or ``needs-info``;
- then open residual risks rated high or critical whose threat a person accepted (or modified): the threat
  is real, so somebody has to own what is left of it.

Within each group: highest risk score first; at the same score, items an LLM proposed come before the rest
(they deserve the reviewer's freshest attention); then by id, so the order is stable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dicetm.model import AnalysisResult, ResidualRiskEntry, RiskLevel, Threat, risk_level
from dicetm.model.findings import RISK_ORDER
from dicetm.model.register import NEEDS_DECISION, Register, ThreatEntry

REAL_THREAT = frozenset({"accepted", "modified"})
DEFAULT_MINUTES_PER_ITEM = 1.5
DEFAULT_BATCH = 10


@dataclass(frozen=True)
class QueueItem:
    """One thing to decide. ``id`` is what :func:`dicetm.review.decide` takes for it."""

    id: str
    kind: str  # "threat" or "residual-risk"
    threat: Threat
    entry: ThreatEntry | None = None
    residual: ResidualRiskEntry | None = None
    residual_score: int | None = None

    @property
    def score(self) -> int:
        return self.residual_score if self.residual_score is not None else self.threat.score

    @property
    def level(self) -> RiskLevel:
        return risk_level(self.score)

    @property
    def ai_proposed(self) -> bool:
        source = self.threat.provenance.source
        return source == "llm" or source.startswith("llm:")


@dataclass(frozen=True)
class Load:
    """How much reviewing is ahead, at a stated rate."""

    items: int
    minutes_per_item: float

    @property
    def minutes(self) -> float:
        return self.items * self.minutes_per_item

    def describe(self) -> str:
        minutes = self.minutes
        shown = f"{minutes:.0f}" if minutes == int(minutes) else f"{minutes:.1f}"
        rate = f"{self.minutes_per_item:g}"
        noun = "item" if self.items == 1 else "items"
        return f"{self.items} {noun} to review, about {shown} minutes at {rate} minutes per item"


def _entry_of(threat: Threat, entries: dict[str, ThreatEntry]) -> ThreatEntry | None:
    for key in (threat.id, *threat.members):
        if key in entries:
            return entries[key]
    return None


def _order_key(item: QueueItem) -> tuple[int, int, str]:
    return (-item.score, 0 if item.ai_proposed else 1, item.id)


def threat_items(result: AnalysisResult, register: Register) -> list[QueueItem]:
    """Threats waiting for a decision, in review order."""
    entries = {e.id: e for e in register.threats}
    items = []
    for threat in result.threats:
        if threat.status not in NEEDS_DECISION:
            continue
        entry = _entry_of(threat, entries)
        items.append(QueueItem(id=entry.id if entry else threat.id, kind="threat", threat=threat, entry=entry))
    return sorted(items, key=_order_key)


def residual_items(result: AnalysisResult, register: Register) -> list[QueueItem]:
    """Open high and critical residual risks of threats a person has accepted as real, in review order."""
    threats = {t.id: t for t in result.threats}
    scores = {m.threat: m.residual_score for m in result.evaluation.matrix}
    entries = {e.id: e for e in register.threats}
    items = []
    for risk in result.evaluation.residual_risks:
        threat = threats.get(risk.threat)
        if threat is None or not risk.open or threat.status not in REAL_THREAT:
            continue
        if RISK_ORDER[risk.residual_risk] < RISK_ORDER[RiskLevel.high]:
            continue
        items.append(QueueItem(id=f"risk:{threat.id}", kind="residual-risk", threat=threat,
                               entry=_entry_of(threat, entries), residual=risk,
                               residual_score=scores.get(threat.id, threat.score)))
    return sorted(items, key=_order_key)


def build_queue(result: AnalysisResult, register: Register) -> list[QueueItem]:
    """Everything waiting for a decision: threats first, then residual risks to own."""
    return [*threat_items(result, register), *residual_items(result, register)]


def batches(items: Sequence[QueueItem], size: int) -> list[list[QueueItem]]:
    """Split the queue into batches of ``size`` (the last one may be shorter)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [list(items[start:start + size]) for start in range(0, len(items), size)]


def batch_count(items: int, size: int) -> int:
    return math.ceil(items / size) if size > 0 else 0


def estimate_load(items: Sequence[QueueItem], minutes_per_item: float = DEFAULT_MINUTES_PER_ITEM) -> Load:
    return Load(items=len(items), minutes_per_item=minutes_per_item)
