"""Business-impact drafts: only for the open residual risks asked about, plain and short, nothing else touched."""

from __future__ import annotations

from typing import Any

from dicetm.assist.evaluate_llm import MAX_CHARS, draft_impacts, needing_impact
from dicetm.catalog import Catalog
from dicetm.model.findings import AnalysisResult
from dicetm.model.system import ResidualRiskSetting, System
from dicetm.pipeline.run import analyze
from dicetm.providers.interface import CompletionRequest

from .fakes import ScriptedLLM


def echo_drafts(request: CompletionRequest) -> dict[str, Any]:
    """Draft for every threat id listed in the request, plus one id nobody asked about."""
    import json

    lines = [json.loads(line) for line in request.messages[0].content.splitlines() if line.startswith("{")]
    drafts = [{"threat": item["id"], "text": f"Customers of {item['parts'][0]} could be harmed."} for item in lines]
    return {"drafts": [*drafts, {"threat": "T-LLM-999@nowhere", "text": "Invented."}]}


def test_drafts_only_for_open_entries_without_impact(system: System, result: AnalysisResult) -> None:
    llm = ScriptedLLM([echo_drafts])
    outcome = draft_impacts(system, result, llm, batch_size=8)
    wanted = [t.id for t in needing_impact(result)]
    assert wanted and outcome.asked == wanted
    assert [d.threat for d in outcome.drafts] == wanted
    assert len(llm.asked) == -(-len(wanted) // 8)
    assert outcome.dropped_invented == len(llm.asked)  # the invented id, once per batch
    assert outcome.drafts[0].text == "Customers of Hosted LLM could be harmed."
    assert outcome.drafts[0].provenance.by == "llm:fake/scripted-1" and outcome.drafts[0].provenance.draft


def test_decided_or_worded_entries_are_not_asked(system: System, catalog: Catalog) -> None:
    first = analyze(system, catalog=catalog).evaluation.residual_risks
    decided = system.model_copy(update={"residual_risks": [
        ResidualRiskSetting(threat=first[0].threat, owner="ops@example.com", decision="accept"),
        ResidualRiskSetting(threat=first[1].threat, business_impact="Fines up to 4% of turnover."),
    ]})
    result = analyze(decided, catalog=catalog)
    outcome = draft_impacts(decided, result, ScriptedLLM([echo_drafts]))
    assert first[0].threat not in outcome.asked and first[1].threat not in outcome.asked
    assert first[2].threat in outcome.asked


def test_drafts_for_ids_of_another_batch_are_dropped(system: System, result: AnalysisResult) -> None:
    wanted = [t.id for t in needing_impact(result)]
    llm = ScriptedLLM([{"drafts": [{"threat": wanted[-1], "text": "From the wrong batch."}]}])
    outcome = draft_impacts(system, result, llm, batch_size=2)
    assert [d.threat for d in outcome.drafts] == [wanted[-1]]  # kept only from the batch that asked
    assert outcome.dropped_invented == len(llm.asked) - 1 > 0


def test_length_is_capped_and_markup_stripped(system: System, result: AnalysisResult) -> None:
    target = needing_impact(result)[0].id
    text = "**Customers** see <b>wrong</b> [refunds](http://x.example). " + "Regulators may fine us. " * 40
    llm = ScriptedLLM([{"drafts": [{"threat": target, "text": text}, {"threat": target, "text": "Second one."},
                                   {"threat": needing_impact(result)[1].id, "text": "```\n\n```"}]}])
    outcome = draft_impacts(system, result, llm, batch_size=50)
    [draft] = outcome.drafts
    assert len(draft.text) <= MAX_CHARS and draft.text.endswith("…")
    assert draft.text.startswith("Customers see wrong refunds. Regulators may fine us.")
    assert outcome.dropped_invalid == 2


def test_nothing_else_changes(system: System, result: AnalysisResult) -> None:
    before_system, before_result = system.model_dump(), result.model_dump()
    llm = ScriptedLLM([echo_drafts])
    draft_impacts(system, result, llm)
    assert system.model_dump() == before_system and result.model_dump() == before_result
    prompt = llm.asked[0].request.system.casefold() + llm.asked[0].user_text.casefold()
    for word in ("complete", "approve", "acceptable", "good enough"):
        assert word not in prompt


def test_discarded_answer_is_counted(system: System, result: AnalysisResult) -> None:
    outcome = draft_impacts(system, result, ScriptedLLM([None]), batch_size=100)
    assert outcome.drafts == [] and outcome.dropped_invalid == 1 and outcome.warnings


def test_no_open_entries_means_no_call(system: System, catalog: Catalog) -> None:
    entries = analyze(system, catalog=catalog).evaluation.residual_risks
    worded = system.model_copy(update={"residual_risks": [
        ResidualRiskSetting(threat=e.threat, business_impact="Known.") for e in entries]})
    llm = ScriptedLLM([echo_drafts])
    assert draft_impacts(worded, analyze(worded, catalog=catalog), llm).drafts == [] and llm.asked == []


def test_comparison_signs_are_not_mistaken_for_markup(system: System, result: AnalysisResult) -> None:
    target = needing_impact(result)[0].id
    text = "# Impact\n- Refunds <200 EUR and >50 per day go out wrongly; <i>customers</i> complain."
    outcome = draft_impacts(system, result, ScriptedLLM([{"drafts": [{"threat": target, "text": text}]}]),
                            batch_size=100)
    assert outcome.drafts[0].text == "Impact Refunds <200 EUR and >50 per day go out wrongly; customers complain."
