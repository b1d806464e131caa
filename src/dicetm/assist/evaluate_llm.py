"""Evaluate with a model: draft business-impact wording for open residual risks, for their owners to confirm.

Only wording is asked for: what a threat would mean for customers, money, regulators and operations. Risk
levels, coverage and decisions stay computed or human (``pipeline.evaluate``, the register); no model is
asked whether a risk is acceptable or whether the analysis is complete. A draft is kept only for a threat
id that its request asked about, once, as plain text cut to ``MAX_CHARS``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from dicetm.assist.answers import Dropped, ImpactAnswer, plain_text
from dicetm.assist.prompts import IMPACT_INSTRUCTIONS
from dicetm.model.findings import AnalysisResult, Threat
from dicetm.model.proposals import ImpactDraft
from dicetm.model.system import SourceInfo, System
from dicetm.providers.interface import CompletionRequest, Message, StructuredLLM

BATCH_SIZE = 8  # threats per request
MAX_CHARS = 400


@dataclass
class ImpactOutcome:
    drafts: list[ImpactDraft] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # threat ids sent to the model
    kept: int = 0
    dropped_invalid: int = 0  # empty drafts, second drafts for one id, and answers the client discarded
    dropped_invented: int = 0  # drafts for threat ids that were not asked about
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def needing_impact(result: AnalysisResult) -> list[Threat]:
    """Threats whose residual-risk entry is open and has neither a business impact nor a draft of one, in the
    register's order. A model's own proposal waits until a person has reviewed it."""
    threats = {t.id: t for t in result.threats}
    return [threats[entry.threat] for entry in result.evaluation.residual_risks
            if entry.open and not entry.business_impact and not entry.business_impact_draft
            and entry.threat in threats and not _unreviewed_proposal(threats[entry.threat])]


def _unreviewed_proposal(threat: Threat) -> bool:
    return threat.provenance.source.startswith("llm:") and threat.status == "unreviewed"


def _threat_line(threat: Threat, names: dict[str, str], levels: dict[str, str]) -> str:
    return json.dumps({
        "id": threat.id, "title": threat.title, "scenario": plain_text(threat.scenario, 600),
        "parts": [names.get(e, e) for e in threat.elements], "residual_risk": levels.get(threat.id),
    }, ensure_ascii=False)


def draft_impacts(system: System, result: AnalysisResult, llm: StructuredLLM, *,
                  batch_size: int = BATCH_SIZE) -> ImpactOutcome:
    """Business-impact drafts for every open residual risk without one, ``batch_size`` threats per call."""
    outcome = ImpactOutcome()
    threats = needing_impact(result)
    if not threats:
        return outcome
    names = {e.id: e.name for e in system.elements}
    levels = {entry.threat: entry.residual_risk.value for entry in result.evaluation.residual_risks}
    header = f"System: {json.dumps(system.name, ensure_ascii=False)}"
    if system.description:
        header += f"\nAbout it: {json.dumps(plain_text(system.description, 400), ensure_ascii=False)}"
    batches = [threats[i:i + batch_size] for i in range(0, len(threats), max(1, batch_size))]
    requests = [CompletionRequest(
        system=IMPACT_INSTRUCTIONS,
        messages=(Message("user", "\n".join([header, "Threats:", *(_threat_line(t, names, levels) for t in batch)])),),
        schema_name="draft_impacts", max_tokens=2048) for batch in batches]
    answers = llm.ask_many("draft-impacts", requests, ImpactAnswer)
    by = f"llm:{llm.provider_name}/{llm.model}"
    for batch, answer in zip(batches, answers, strict=True):
        outcome.asked += [t.id for t in batch]
        outcome.warnings.extend(answer.warnings)
        if answer.value is None:
            outcome.dropped_invalid += 1
            outcome.dropped.append(Dropped("answer", "discarded by the client (invalid after repair)", "invalid"))
            continue
        asked = {t.id for t in batch}
        done: set[str] = set()
        for draft in answer.value.drafts:
            threat_id = draft.threat.strip()
            text = plain_text(draft.text, MAX_CHARS)
            if threat_id not in asked:
                outcome.dropped_invented += 1
                outcome.dropped.append(Dropped(f"impact draft for '{plain_text(threat_id, 60)}'",
                                               "that threat was not asked about", "invented"))
            elif threat_id in done or not text:
                outcome.dropped_invalid += 1
                outcome.dropped.append(Dropped(f"impact draft for '{threat_id}'",
                                               "empty, or a second draft for the same threat", "invalid"))
            else:
                done.add(threat_id)
                outcome.drafts.append(ImpactDraft(threat=threat_id, text=text, provenance=SourceInfo(
                    by=by, draft=True, prompt_hash=answer.prompt_hash)))
    outcome.kept = len(outcome.drafts)
    return outcome
