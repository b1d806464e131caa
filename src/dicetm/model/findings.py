"""What the pipeline produces: open questions, threats, countermeasures, evaluation."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dicetm.model.proposals import RunRecord, WithheldSpan
from dicetm.model.system import CountermeasureStatus, RiskDecision


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provenance(_Out):
    """Where an item came from: a rule, an import, an LLM or a person."""

    source: str = Field(description="'rule', 'import:<format>', 'llm', 'person'.")
    rule: str | None = None
    catalog_version: str | None = None
    detail: str | None = None
    prompt_hash: str | None = Field(None, description="For LLM proposals: sha256 of the prompt.")
    spans: list[str] = Field(default_factory=list, description="Document spans it rests on, e.g. 'arch.md:12-14'.")


class Factor(_Out):
    """One fact that raised or lowered likelihood or impact."""

    target: str = Field(description="'likelihood' or 'impact'.")
    delta: int
    fact: str = Field(description="The element fact, e.g. 'api.exposure=internet'.")
    note: str


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


RISK_ORDER = {RiskLevel.low: 0, RiskLevel.medium: 1, RiskLevel.high: 2, RiskLevel.critical: 3}


def risk_level(score: int) -> RiskLevel:
    """Band a likelihood x impact score (1..25)."""
    if score >= 20:
        return RiskLevel.critical
    if score >= 12:
        return RiskLevel.high
    if score >= 6:
        return RiskLevel.medium
    return RiskLevel.low


class SupportingText(_Out):
    text: str
    source: str = Field(description="Who wrote it, e.g. 'llm:openai/gpt-4o'.")
    prompt_hash: str | None = None


class Threat(_Out):
    id: str = Field(description="Stable finding id: <rule-id>@<element-id>[@<flow-id>].")
    rule: str
    title: str
    scenario: str
    elements: list[str] = Field(description="Element ids threatened (first one is the primary).")
    flows: list[str] = Field(default_factory=list)
    stride: list[str] = Field(default_factory=list, description="STRIDE letters: S T R I D E.")
    references: list[str] = Field(default_factory=list, description="Namespaced framework ids.")
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    factors: list[Factor] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list, description="What the rule assumed for unset facts.")
    rationale: str = ""
    review_question: str = ""
    controls: list[str] = Field(default_factory=list, description="Suggested control ids, most specific first.")
    provenance: Provenance
    members: list[str] = Field(
        default_factory=list, description="Raw finding ids grouped into this threat (empty when not grouped)."
    )
    folded: list[str] = Field(
        default_factory=list, description="Generic findings folded into this one because they say the same thing."
    )
    supporting: list[SupportingText] = Field(
        default_factory=list, description="Text a model proposed that duplicated this finding, kept beside it."
    )
    status: str = Field("unreviewed", description="Review status from the register (never assumed accepted).")
    tracker: str | None = Field(None, description="Link to the issue tracking it (dicetm decide --tracker).")
    reviewer: str | None = None
    review_reason: str | None = None
    original: dict[str, Any] | None = Field(
        None, description="When a person modified the threat: the values as found (title, scenario, L, I)."
    )

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def risk(self) -> RiskLevel:
        return risk_level(self.score)


class OpenQuestion(_Out):
    id: str = Field(description="Stable id: Q-<TOPIC>@<element-or-flow-id>.")
    topic: str
    question: str
    why: str
    elements: list[str] = Field(default_factory=list)
    flows: list[str] = Field(default_factory=list)
    field: str | None = Field(None, description="The model field that would answer it.")


class Countermeasure(_Out):
    id: str = Field(description="The control id; one entry per suggested control.")
    name: str
    description: str
    threats: list[str] = Field(description="Threat ids this countermeasure mitigates.")
    rank: int = Field(description="Order of work: 1 takes the most risk off (score points summed over its threats).")
    status: CountermeasureStatus = CountermeasureStatus.proposed
    owner: str | None = None
    due: str | None = None
    evidence: str | None = None
    references: list[str] = Field(default_factory=list)
    limited_to: list[str] | None = Field(
        None, description="When a person limited the status to some threats, those threat ids."
    )
    tracker: str | None = Field(None, description="Link to the issue tracking it (dicetm decide --tracker).")
    provenance: Provenance


class ThreatEvaluation(_Out):
    threat: str
    covered: bool
    covered_by: list[str] = Field(default_factory=list, description="Countermeasure ids or 'residual-risk'.")
    countermeasures_by_status: dict[str, list[str]] = Field(default_factory=dict)
    inherent_likelihood: int
    inherent_impact: int
    inherent_score: int
    inherent_risk: RiskLevel
    residual_likelihood: int
    residual_impact: int
    residual_score: int
    residual_risk: RiskLevel
    arithmetic: str = Field(description="How residual risk was computed, in words and numbers.")


class ResidualRiskEntry(_Out):
    threat: str
    residual_risk: RiskLevel
    owner: str | None = None
    decision: RiskDecision | None = None
    business_impact: str | None = None
    business_impact_draft: str | None = Field(
        None, description="Wording drafted by a model; counts for nothing until the owner confirms it."
    )
    draft_source: str | None = None
    review_by: str | None = None
    open: bool = Field(description="True until a person has set owner and decision.")
    expired: bool = Field(False, description="A person decided, but the review_by date has passed or is missing: "
                                             "the decision covers nothing until it is renewed.")


class NextStep(_Out):
    priority: int
    kind: str = Field(description="'open-question', 'uncovered-threat', 'unowned-residual-risk', ...")
    text: str
    refs: list[str] = Field(default_factory=list)


class ReviewSummary(_Out):
    """Where the human review stands. Unreviewed items are counted as unreviewed, never as accepted."""

    by_status: dict[str, int] = Field(description="Threat count per review status.")
    unreviewed: int
    stale: int
    needs_info: int
    decided: int
    reviewers: dict[str, int] = Field(default_factory=dict, description="Decisions per reviewer.")
    quick_accepts_flagged: int = Field(0, description="Decisions flagged as possible rubber-stamping.")
    countermeasures_by_status: dict[str, int] = Field(default_factory=dict)


class Evaluation(_Out):
    threats_total: int
    threats_covered: int
    coverage_percent: float
    by_risk: dict[str, int]
    uncovered: list[str]
    matrix: list[ThreatEvaluation]
    residual_risks: list[ResidualRiskEntry]
    next_steps: list[NextStep]
    rejected: list[str] = Field(default_factory=list, description="Threats a person rejected as not applicable.")
    review: ReviewSummary | None = None


class AnalysisResult(_Out):
    """Everything one analysis run produced, in stable order."""

    dicetm_version: str
    catalog_version: str
    system_name: str
    source: str | None = None
    detail: str = Field("grouped", description="'grouped' (reviewable list) or 'full' (every raw finding).")
    owasp_llm_edition: str = Field(
        "2025", description="Which edition of the OWASP Top 10 for LLM Applications leads: its ids come first. "
                            "Threats carry the ids of both editions.")
    open_questions: list[OpenQuestion]
    threats: list[Threat]
    countermeasures: list[Countermeasure]
    evaluation: Evaluation
    raw_findings: int = Field(description="How many raw rule findings there were before folding and grouping.")
    withheld: list[WithheldSpan] = Field(
        default_factory=list, description="Document spans the injection scan kept out of every prompt."
    )
    llm_runs: list[RunRecord] = Field(default_factory=list, description="Assisted runs behind the proposals.")
