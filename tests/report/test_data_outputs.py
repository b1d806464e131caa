from __future__ import annotations

import csv
import io
import json

from dicetm.model import AnalysisResult, System
from dicetm.report import render_csv, render_json
from dicetm.report.csv_out import COLUMNS, neutralise


def test_json_round_trips(result: AnalysisResult) -> None:
    text = render_json(result)
    assert text.endswith("}\n")
    assert AnalysisResult.model_validate_json(text) == result


def test_json_is_sorted_and_stable(result: AnalysisResult) -> None:
    text = render_json(result)
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert list(data["threats"][0]) == sorted(data["threats"][0])
    assert text.startswith('{\n  "catalog_version": "2025.06",')
    assert render_json(AnalysisResult.model_validate_json(text)) == text


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_one_row_per_threat(result: AnalysisResult) -> None:
    text = render_csv(result)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = _rows(text)
    assert [r["id"] for r in rows] == ["T-LLM-005@llm", "T-LLM-001@web-app", "T-AGENT-002@crm-tool",
                                       "T-DATA-001@kb", "T-STRIDE-004@crm-tool@f-crm", "T-DATA-004@logs"]
    first = rows[1]
    assert first["risk"] == "high" and first["likelihood"] == "4" and first["impact"] == "4"
    assert first["score"] == "16"
    assert first["elements"] == "web-app orchestrator"
    assert first["references"] == "owasp-llm:LLM01:2025 atlas:AML.T0051.000 stride:T"
    assert first["controls"] == "C-INP-001 C-INP-002 C-PRM-001"
    assert first["covered"] == "yes" and first["residual_risk"] == "high"
    assert first["provenance"] == "rule T-LLM-001, catalogue 2025.06"
    assert {r["covered"] for r in rows} == {"yes", "no"}


def test_csv_says_each_threats_review_status_and_reviewer(result: AnalysisResult) -> None:
    decided = result.model_copy(deep=True)
    decided.threats[0].status, decided.threats[0].reviewer = "rejected", "Dana Lee <dana@example.com>"
    rows = {r["id"]: r for r in _rows(render_csv(decided))}
    assert (rows[decided.threats[0].id]["status"], rows[decided.threats[0].id]["reviewer"]) == (
        "rejected", "Dana Lee <dana@example.com>")
    others = [r for i, r in rows.items() if i != decided.threats[0].id]
    assert others and all((r["status"], r["reviewer"]) == ("unreviewed", "") for r in others)


def test_csv_neutralises_formulas(hostile: tuple[System, AnalysisResult]) -> None:
    _, result = hostile
    titles = {r["id"]: r["title"] for r in _rows(render_csv(result))}
    assert titles["T-LLM-001@web-app"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert titles["T-LLM-005@llm"] == "'+cmd|' /C calc'!A0"
    assert titles["T-AGENT-002@crm-tool"] == "'-2+3"
    assert titles["T-DATA-001@kb"] == "'@SUM(A1:A2)"
    assert neutralise("=1") == "'=1" and neutralise("plain") == "plain"
    # A leading tab or carriage return is shown as an escape, so the cell no longer starts with a formula mark.
    assert neutralise("\t=1") == "\\x09=1" and neutralise("\r=1") == "\\x0d=1"


def test_csv_is_stable(result: AnalysisResult) -> None:
    assert render_csv(result).encode() == render_csv(result.model_copy(deep=True)).encode()
