"""Carry what LLM assistance left in the workspace into a result: supporting text, impact drafts, withheld spans.

It only annotates: no threat, countermeasure, decision or figure changes here. Proposed threats and controls
enter earlier, as stated threats (see ``dicetm.model.proposals.with_proposals``).
"""

from __future__ import annotations

from collections import defaultdict

from dicetm.model import AnalysisResult
from dicetm.model.findings import SupportingText
from dicetm.model.proposals import ProposalFile


def annotate(result: AnalysisResult, proposals: ProposalFile | None) -> AnalysisResult:
    if proposals is None:
        return result
    notes: dict[str, list[SupportingText]] = defaultdict(list)
    for note in proposals.supporting:
        notes[note.threat].append(SupportingText(text=note.text, source=note.provenance.by,
                                                 prompt_hash=note.provenance.prompt_hash))
    threats = [t.model_copy(update={"supporting": notes[t.id]}) if t.id in notes else t for t in result.threats]
    drafts = {d.threat: d for d in proposals.impact_drafts}
    risks = []
    for entry in result.evaluation.residual_risks:
        draft = drafts.get(entry.threat)
        if draft is not None and not entry.business_impact:
            entry = entry.model_copy(update={"business_impact_draft": draft.text, "draft_source": draft.provenance.by})
        risks.append(entry)
    evaluation = result.evaluation.model_copy(update={"residual_risks": risks})
    return result.model_copy(update={"threats": threats, "evaluation": evaluation,
                                     "withheld": list(proposals.withheld), "llm_runs": list(proposals.runs)})
