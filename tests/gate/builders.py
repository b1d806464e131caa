"""Hand-built registers and analysis results for the gate, SARIF and evidence tests (no workspace needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dicetm.api import load
from dicetm.model import AnalysisResult, Threat
from dicetm.model.register import (
    CountermeasureEntry,
    CountermeasureReview,
    HistoryEntry,
    Register,
    ResidualRiskRecord,
    ResidualStatus,
    ThreatEntry,
    ThreatModification,
    ThreatStatus,
)
from dicetm.pipeline.run import analyze
from dicetm.store.modelfile import LoadedModel

REPO = Path(__file__).resolve().parents[2]
CHATBOT = REPO / "examples" / "support-chatbot"
REVIEWER = "Dana Lee <dana@example.com>"
CRITICAL = "T-LLM-005@hosted-llm"  # critical; controls C-DAT-003, C-DAT-004, C-MON-002, C-OUT-001
HIGH = "T-LLM-008@hosted-llm"  # high; controls C-OUT-002, C-OUT-005, C-GOV-005
MEDIUM = "T-LLM-003@hosted-llm"
LOW = "T-DATA-009@vector-db"


@dataclass
class Verified:
    """Stands in for store.workspace's VerifyResult."""

    ok: bool = True
    problems: list[str] = field(default_factory=list)


@cache
def chatbot() -> LoadedModel:
    return load(CHATBOT)


@cache
def fresh() -> AnalysisResult:
    """The chatbot analysed without a register: every threat unreviewed, every countermeasure proposed."""
    return analyze(chatbot().system)


def threat(threat_id: str) -> Threat:
    return next(t for t in fresh().threats if t.id == threat_id)


def history(action: str, status: str, *, seq: int = 1, actor: str = REVIEWER, quick: bool = False,
            seconds: float | None = None) -> HistoryEntry:
    return HistoryEntry(seq=seq, at=f"2026-01-01T00:00:{seq:02d}Z", actor=actor, action=action, status_after=status,
                        quick=quick, seconds_on_screen=seconds)


def threat_entry(threat_id: str, status: ThreatStatus, *, reason: str | None = None,
                 modification: ThreatModification | None = None, stale_changes: list[str] | None = None,
                 quick: bool = False, seq: int = 1) -> ThreatEntry:
    found = threat(threat_id)
    action = {"accepted": "accept", "rejected": "reject", "modified": "modify", "needs-info": "needs-info",
              "stale": "accept"}.get(status.value, "add")
    return ThreatEntry(id=threat_id, rule=found.rule, title=found.title, elements=list(found.elements),
                       flows=list(found.flows), status=status, reviewer=REVIEWER, reason=reason,
                       modification=modification, stale_changes=stale_changes or [],
                       history=[history(action, status.value, seq=seq, quick=quick, seconds=1.0 if quick else None)])


def countermeasure(control: str, status: CountermeasureReview, *, evidence: str | None = None) -> CountermeasureEntry:
    return CountermeasureEntry(id=control, status=status, owner="Bob", due="2030-01-01", evidence=evidence,
                               reviewer=REVIEWER, history=[history(status.value, status.value, seq=90)])


def residual(threat_id: str, review_by: str | None, status: ResidualStatus = ResidualStatus.accepted,
             owner: str | None = "Carol") -> ResidualRiskRecord:
    return ResidualRiskRecord(threat=threat_id, status=status, owner=owner, business_impact="small",
                              review_by=review_by, reviewer=REVIEWER, history=[history("accept", "accepted", seq=95)])


def analysed(register: Register) -> AnalysisResult:
    return analyze(chatbot().system, register=register)
