"""What the interactive review shows for one item, and the small helpers around it (no terminal, no store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.api import analyze_path, load
from dicetm.cli_decide import status_of
from dicetm.cli_review_text import element_line, flow_line, format_item
from dicetm.model import AnalysisResult, System
from dicetm.model.register import HistoryEntry, Register, ResidualRiskRecord, ThreatEntry, ThreatStatus
from dicetm.review.decide import latest_history
from dicetm.review.queue import QueueItem, build_queue

from .helpers import CHATBOT


@pytest.fixture(scope="module")
def system() -> System:
    return load(CHATBOT).system


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    return analyze_path(CHATBOT)[1]


def names(result: AnalysisResult) -> dict[str, str]:
    return {c.id: c.name for c in result.countermeasures}


def test_an_item_shows_everything_a_reviewer_needs(result: AnalysisResult, system: System) -> None:
    item = build_queue(result, Register())[0]
    threat = item.threat
    text = "\n".join(format_item(item, system, names(result), "batch 1 of 3, item 1 of 10"))
    assert "--- batch 1 of 3, item 1 of 10 ---" in text
    assert f"id:          {threat.id}" in text
    assert f"title:       {threat.title}" in text
    assert f"risk:        {threat.likelihood} x {threat.impact} = {threat.score} ({threat.risk.value})" in text
    assert "status:      unreviewed" in text
    assert element_line(system, threat.elements[0]) in text
    for words in (threat.scenario, threat.rationale, threat.review_question, ", ".join(threat.references)):
        assert words in text
    factor = threat.factors[0]
    assert f"{factor.delta:+d} {factor.target}: {factor.fact} ({factor.note})" in text
    assert f"{threat.controls[0]} {names(result)[threat.controls[0]]}" in text
    assert f"provenance:  rule {threat.rule} " in text
    assert f"catalogue {threat.provenance.catalog_version}" in text
    assert "assumptions:" in text


def test_element_and_flow_lines_give_kind_and_facts(system: System) -> None:
    line = element_line(system, "crm-connector")
    assert line.startswith("crm-connector (tool, CRM connector tool): ")
    assert "permissions=read/write" in line and "acts_on=crm" in line and "boundary=" in line
    assert "description" not in line
    assert element_line(system, "gone") == "gone (no longer in the model)"
    flow = system.flows[0]
    assert flow_line(system, flow.id).startswith(f"{flow.id}: {flow.source} -> {flow.target}")


def test_a_stale_item_shows_the_earlier_decision_and_what_changed(result: AnalysisResult, system: System) -> None:
    threat = result.threats[0].model_copy(update={"status": "stale"})
    entry = ThreatEntry(id=threat.id, rule=threat.rule, title=threat.title, status=ThreatStatus.stale,
                        reviewer="Dana Lee", reason="seen in the pilot", decided_at="2026-11-20T10:00:00Z",
                        status_before_stale=ThreatStatus.accepted,
                        stale_changes=["element:crm.exposure: 'internal' -> 'internet'"])
    text = "\n".join(format_item(QueueItem(threat.id, "threat", threat, entry), system, {}, "x"))
    assert ("stale: it was accepted by Dana Lee on 2026-11-20T10:00:00Z (seen in the pilot); "
            "since then the facts changed:") in text
    assert "- element:crm.exposure: 'internal' -> 'internet'" in text


def test_an_llm_proposal_says_so(result: AnalysisResult, system: System) -> None:
    threat = result.threats[0]
    proposed = threat.model_copy(update={"provenance": threat.provenance.model_copy(
        update={"source": "llm", "rule": None, "detail": "openai gpt-x, prompt 1a2b"})})
    text = "\n".join(format_item(QueueItem(threat.id, "threat", proposed), system, {}, "x"))
    assert "provenance:  model llm" in text and "openai gpt-x" in text and "proposed by an LLM" in text


def test_latest_history_and_status_of_each_kind_of_item() -> None:
    def entry(seq: int, quick: bool = False) -> HistoryEntry:
        return HistoryEntry(seq=seq, at="t", actor="a", action="accept", status_after="accepted", quick=quick)

    register = Register(
        threats=[ThreatEntry(id="T-X-001@a", rule="T-X-001", title="t", status=ThreatStatus.accepted,
                             history=[entry(3, quick=True), entry(1)])],
        residual_risks=[ResidualRiskRecord(threat="T-X-001@a", history=[entry(5)])],
    )
    latest = latest_history(register, "T-X-001@a")
    assert latest is not None and latest.seq == 3 and latest.quick
    risk = latest_history(register, "risk:T-X-001@a")
    assert risk is not None and risk.seq == 5
    assert latest_history(register, "T-NONE") is None
    assert status_of(register, "T-X-001@a") == "accepted"
    assert status_of(register, "risk:T-X-001@a") == "open"
    assert status_of(register, "C-NONE") == "unknown"


def test_a_missing_model_is_refused_before_anything_is_asked(tmp_path: Path) -> None:
    from .helpers import invoke

    outcome = invoke("review", tmp_path / "nowhere")
    assert outcome.code == 2
    assert "error:" in outcome.stderr


def test_a_drafted_business_impact_is_used_only_when_the_owner_types_draft(
        result: AnalysisResult, monkeypatch: pytest.MonkeyPatch) -> None:
    from dicetm import cli_review_prompts
    from dicetm.model import ResidualRiskEntry

    threat = result.threats[0]
    residual = ResidualRiskEntry(threat=threat.id, residual_risk=threat.risk, open=True,
                                 business_impact_draft="Orders could be shown to the wrong customer.",
                                 draft_source="llm:openai/m")
    item = QueueItem(f"risk:{threat.id}", "residual-risk", threat, residual=residual)
    answers = iter(["draft", "We would refund the order and notify the customer."])
    monkeypatch.setattr(cli_review_prompts, "ask", lambda prompt: next(answers))
    assert cli_review_prompts._business_impact(item) == "Orders could be shown to the wrong customer."
    assert cli_review_prompts._business_impact(item) == "We would refund the order and notify the customer."
