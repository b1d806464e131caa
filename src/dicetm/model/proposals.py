"""What LLM assistance (and the document scan) left in a workspace: ``dicetm-proposals.yaml``.

Everything here is an *addition* waiting for a person: threats and controls proposed by a model, supporting
text attached to rule findings, business-impact wording drafted for residual risks, and the spans the scan
withheld from every prompt. Nothing in this file can remove or change a rule finding or a decision; the
pipeline only ever appends its threats and controls to the model's own.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dicetm.model.system import CustomControl, SourceInfo, System, ThreatRecord


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SupportingNote(_Strict):
    """A model's proposal that duplicated a rule finding: kept as supporting text on that finding."""

    threat: str = Field(description="The rule finding (threat id) it supports.")
    text: str
    provenance: SourceInfo


class ImpactDraft(_Strict):
    """Business-impact wording for a residual risk, drafted by a model; a named owner must confirm it."""

    threat: str
    text: str
    provenance: SourceInfo


class WithheldSpan(_Strict):
    """A document span the injection scan flagged and kept out of every prompt."""

    file: str
    line: int
    end_line: int | None = None
    page: int | None = None
    category: str
    severity: str
    excerpt: str


class RunRecord(_Strict):
    """One assisted run: which model, what it cost, what was kept and what was dropped."""

    command: str = Field(description="'describe', 'propose-threats', 'draft-impacts'.")
    provider: str
    model: str
    at: str
    calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    kept: int = 0
    dropped_invented: int = Field(0, description="Proposals naming element or catalogue ids that do not exist.")
    dropped_unverified: int = Field(0, description="Drafts whose quoted evidence is not in the cited span.")
    dropped_invalid: int = Field(0, description="Answers still invalid after one repair round.")
    attached_to_rules: int = 0
    warnings: list[str] = Field(default_factory=list)


class ProposalFile(_Strict):
    version: int = 1
    threats: list[ThreatRecord] = Field(default_factory=list)
    controls: list[CustomControl] = Field(default_factory=list)
    supporting: list[SupportingNote] = Field(default_factory=list)
    impact_drafts: list[ImpactDraft] = Field(default_factory=list)
    withheld: list[WithheldSpan] = Field(default_factory=list)
    runs: list[RunRecord] = Field(default_factory=list)


def with_proposals(system: System, proposals: ProposalFile | None) -> tuple[System, list[str]]:
    """The system with the proposed threats and controls appended, and notes on proposals left out.

    Additions only: a proposal whose id is already taken, or that names an element, flow or control the
    model no longer has, is left out (and named in the notes); nothing of the model's own is touched.
    """
    if proposals is None or not (proposals.threats or proposals.controls):
        return system, []
    notes: list[str] = []
    control_ids = {c.id for c in system.controls}
    controls = list(system.controls)
    for control in proposals.controls:
        if control.id in control_ids:
            notes.append(f"proposed control {control.id} left out: the id is already taken")
            continue
        controls.append(control)
        control_ids.add(control.id)
    taken = {t.id for t in system.threats}
    threats = list(system.threats)
    for record in proposals.threats:
        missing = [e for e in record.elements if e not in system.element_by_id]
        missing += [f for f in record.flows if f not in system.flow_by_id]
        missing += [c for c in record.controls if c.startswith("X-") and c not in control_ids]
        if record.id in taken or missing:
            why = "the id is already taken" if record.id in taken else f"{', '.join(missing)} no longer exist"
            notes.append(f"proposed threat {record.id} left out: {why}")
            continue
        threats.append(record)
        taken.add(record.id)
    # A fresh instance, so no derived index cached on ``system`` is carried over.
    fields = {name: getattr(system, name) for name in System.model_fields}
    return System.model_construct(**{**fields, "threats": threats, "controls": controls}), notes
