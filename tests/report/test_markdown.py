from __future__ import annotations

import re

from dicetm.model import AnalysisResult, System
from dicetm.report import render_markdown
from dicetm.report.markdown import cell


def test_every_threat_with_risk_references_and_provenance(system: System, result: AnalysisResult) -> None:
    report = render_markdown(result, system)
    for threat in result.threats:
        assert f"### `{threat.id}`: {threat.title}" in report
        assert f"**Risk:** {threat.risk.value} (likelihood {threat.likelihood} × impact {threat.impact} = " \
               f"{threat.score})" in report
        for reference in threat.references:
            assert f"`{reference}`" in report
        assert f"rule {threat.rule}, catalogue 2025.06" in report
    assert "+1 likelihood: `web-app.exposure=internet`: anyone on the internet can send text" in report
    assert "- Input validation at Support web app is not stated; assumed none." in report
    assert "**Groups 2 findings:** `T-LLM-001@web-app`, `T-LLM-001@orchestrator`" in report
    assert "**Folded into this threat:** `T-STRIDE-002@kb`" in report
    assert "- **Evaluation:** covered by `C-INP-001`; residual risk 3 × 4 = 12 (high)" in report
    assert "- **Evaluation:** **NOT covered**; residual risk 3 × 5 = 15 (high)" in report


def test_threats_are_listed_highest_risk_first(system: System, result: AnalysisResult) -> None:
    report = render_markdown(result, system)
    listed = re.findall(r"^### `([^`]+)`", report, flags=re.M)
    assert listed == ["T-LLM-005@llm", "T-LLM-001@web-app", "T-AGENT-002@crm-tool", "T-DATA-001@kb",
                      "T-STRIDE-004@crm-tool@f-crm", "T-DATA-004@logs"]


def test_sections_in_dice_order(system: System, result: AnalysisResult) -> None:
    report = render_markdown(result, system)
    headings = re.findall(r"^## (.+)$", report, flags=re.M)
    assert headings == ["Summary", "Review status", "Describe", "Identify", "Countermeasures", "Evaluate"]
    assert "```mermaid\nflowchart LR\n" in report
    assert "| Threats listed | 6 (from 9 raw rule findings, detail: grouped) |" in report
    assert "| Coverage | 4 of 6 threats covered (66.7 %) |" in report
    assert "| `Q-AUTH@orchestrator` | Must callers of Support agent authenticate? |" in report


def test_residual_register_marks_open_entries(system: System, result: AnalysisResult) -> None:
    report = render_markdown(result, system)
    register = report.split("### Residual-risk register", 1)[1].split("### Next steps", 1)[0]
    rows = [line for line in register.splitlines() if line.startswith("| `")]
    assert len(rows) == len(result.evaluation.residual_risks)
    assert sum("| **OPEN** |" in row for row in rows) == 5
    assert "| `T-LLM-001@web-app` | high | **OPEN** | alice | none |" in register
    decided = "| `T-DATA-004@logs` | low | decided | carol | accept | Storage cost only | 2026-01-31 |"
    assert decided in register


def test_coverage_matrix_lists_uncovered_first(system: System, result: AnalysisResult) -> None:
    report = render_markdown(result, system)
    matrix = report.split("### Coverage", 1)[1].split("### Inherent", 1)[0]
    rows = [line for line in matrix.splitlines() if line.startswith("| `")]
    assert [("**NO**" in row) for row in rows] == [True, True, False, False, False, False]
    assert "implemented: `C-INP-001`; proposed: `C-INP-002`, `C-PRM-001`" in matrix
    assert "4 × 4 = 16; C-INP-001 implemented: likelihood -1; 3 × 4 = 12" in report


def test_countermeasures_by_rank(system: System, result: AnalysisResult) -> None:
    report = render_markdown(result, system)
    section = report.split("## Countermeasures", 1)[1].split("## Evaluate", 1)[0]
    ranks = [int(m) for m in re.findall(r"^\| (\d+) \|", section, flags=re.M)]
    assert ranks == sorted(ranks) and len(ranks) == len(result.countermeasures)
    name = "Context-aware output encoding before rendering"
    planned = f"| `C-OUT-002` | {name} | planned (only for `T-LLM-005@llm`) | bob | 2025-09-30 |"
    assert planned in section


def test_hostile_text_cannot_break_tables_or_inject_markup(hostile: tuple[System, AnalysisResult]) -> None:
    system, result = hostile
    report = render_markdown(result, system)
    assert "<script" not in report and "<img" not in report and "<b>" not in report
    assert "&lt;script&gt;" in report
    assert "![track](" not in report and "!\\[track\\](`https://evil.example/pixel.png`)" in report
    assert not any(line.startswith("# injected") for line in report.splitlines())
    assert [line for line in report.splitlines() if line.startswith("```")] == ["```mermaid", "```"]
    table: list[str] = []
    for line in [*report.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
            assert len(widths) == 1, table
            table = []


def test_cell_escapes_pipes_and_line_breaks() -> None:
    assert cell("a | b\nc") == "a \\| b<br>c"
    assert cell("back\\slash|") == "back\\\\slash\\|"


def test_output_is_stable(system: System, result: AnalysisResult) -> None:
    first = render_markdown(result, system)
    again = render_markdown(AnalysisResult.model_validate_json(result.model_dump_json()),
                            System.model_validate_json(system.model_dump_json()))
    assert first.encode() == again.encode()
    assert first.endswith("\n") and not first.endswith("\n\n")
