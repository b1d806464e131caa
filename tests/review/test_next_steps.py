"""The report's next steps name the threats still waiting for a person's decision, with the command to decide them.

The register's statuses are applied before evaluation, so the step counts what the register says, not what
the rules alone would say.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dicetm.api import load
from dicetm.model import AnalysisResult, NextStep, System
from dicetm.model.register import Register, ThreatEntry, ThreatStatus
from dicetm.model.system import ResidualRiskSetting, RiskDecision
from dicetm.pipeline.run import analyze
from dicetm.report.html import render_html
from dicetm.report.markdown import render_markdown

CHATBOT = Path(__file__).resolve().parents[2] / "examples" / "support-chatbot"


@pytest.fixture(scope="module")
def system() -> System:
    return load(CHATBOT).system


def undecided_step(result: AnalysisResult) -> NextStep | None:
    found = [s for s in result.evaluation.next_steps if s.kind == "undecided-threats"]
    assert len(found) <= 1
    return found[0] if found else None


def register_with(result: AnalysisResult, statuses: dict[str, ThreatStatus]) -> Register:
    """Every threat accepted by a person, except those given another status."""
    return Register(threats=[ThreatEntry(id=t.id, rule=t.rule, title=t.title,
                                         status=statuses.get(t.id, ThreatStatus.accepted))
                             for t in result.threats])


def test_without_decisions_every_threat_is_waiting_and_the_step_says_how_to_decide(system: System) -> None:
    result = analyze(system)
    step = undecided_step(result)
    assert step is not None and step.priority == 2
    total = len(result.threats)
    assert step.text.startswith(f"{total} threats are still waiting for a decision ({total} unreviewed)")
    assert "dicetm review on the workspace" in step.text and "dicetm decide with a threat id" in step.text


def test_the_step_reads_as_plain_text_in_the_markdown_and_html_reports(system: System) -> None:
    """The reports escape what a step says, so its text carries no markup that would show as escapes."""
    result = analyze(system)
    step = undecided_step(result)
    assert step is not None
    markdown = render_markdown(result, system)
    line = next(x for x in markdown.splitlines() if "[undecided-threats]" in x)
    assert "\\`" not in line and "&lt;" not in line and "dicetm review on the workspace" in line
    assert "dicetm review on the workspace (dicetm serve in a browser)" in render_html(result, system, None)
    ranked = sorted(result.threats, key=lambda t: (-t.score, t.id))
    assert step.refs == [t.id for t in ranked[:20]]


def test_the_step_counts_the_registers_statuses(system: System) -> None:
    first = analyze(system)
    ids = sorted(t.id for t in first.threats)
    statuses = {ids[0]: ThreatStatus.stale, ids[1]: ThreatStatus.needs_info, ids[2]: ThreatStatus.unreviewed,
                ids[3]: ThreatStatus.stale}
    result = analyze(system, register=register_with(first, statuses))
    step = undecided_step(result)
    assert step is not None
    assert step.text.startswith("4 threats are still waiting for a decision (1 unreviewed, 2 stale, 1 needs-info)")
    assert sorted(step.refs) == ids[:4]


def test_no_step_once_every_threat_is_decided(system: System) -> None:
    first = analyze(system)
    result = analyze(system, register=register_with(first, {}))
    assert undecided_step(result) is None
    one = analyze(system, register=register_with(first, {first.threats[0].id: ThreatStatus.needs_info}))
    step = undecided_step(one)
    assert step is not None and step.text.startswith("1 threat is still waiting for a decision (1 needs-info)")


def test_steps_come_in_priority_order_in_the_result_and_the_reports(system: System) -> None:
    """The result (result.json) lists the steps most urgent first, as the reports do, with a fixed order within
    a priority: an expired residual-risk decision (priority 2) comes before the priority-3 steps."""
    first = analyze(system)
    expired_for = first.threats[-1].id
    dated = system.model_copy(update={"residual_risks": [ResidualRiskSetting(
        threat=expired_for, owner="Dana", decision=RiskDecision.accept, review_by="2020-01-01")]})
    result = analyze(dated, today=date(2026, 1, 1))
    kinds = [(s.priority, s.kind) for s in result.evaluation.next_steps]
    assert (2, "expired-residual-risk") in kinds
    assert [p for p, _ in kinds] == sorted(p for p, _ in kinds)
    by_priority = [k for p, k in kinds if p == 2]
    assert by_priority == ["open-questions", "undecided-threats", "expired-residual-risk"]
    assert result.evaluation.next_steps == analyze(dated, today=date(2026, 1, 1)).evaluation.next_steps
    lines = render_markdown(result, dated).splitlines()
    section = lines[lines.index("### Next steps") + 2:][:len(kinds)]
    assert [line.split("[", 1)[1].split("]", 1)[0] for line in section] == [k for _, k in kinds]
