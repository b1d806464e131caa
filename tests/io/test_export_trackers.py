"""Tracker exports (GitHub issues JSON, Jira CSV) against the fields those tools document, and the link back."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from export_helpers import EXAMPLES_DIR
from typer.testing import CliRunner

from dicetm.api import analyze_path
from dicetm.cli import app
from dicetm.io.exporters import export
from dicetm.review import DecisionInput, decide

# GitHub REST API, "Create an issue" (POST /repos/{owner}/{repo}/issues): the body parameters.
GITHUB_FIELDS = {"title": str, "body": str, "assignee": str, "milestone": int, "labels": list, "assignees": list}
GITHUB_TITLE_MAX = 256
# Jira's CSV importer: a Summary column is required; these are fields it maps by name.
JIRA_FIELDS = {"Summary", "Issue Type", "Priority", "Description", "Due date", "Labels", "Assignee", "Reporter",
               "Component", "Fix version", "Affects version", "Epic Link", "Parent"}
JIRA_PRIORITIES = {"Highest", "High", "Medium", "Low", "Lowest"}


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, str, str]:
    """The support chatbot with one planned countermeasure and one accepted threat that nothing covers."""
    path = tmp_path / "ws"
    shutil.copytree(EXAMPLES_DIR / "support-chatbot", path)
    _loaded, result = analyze_path(path)
    planned = result.countermeasures[0]
    uncovered = next(t for t in result.threats if planned.id not in t.controls)
    decide(path, [DecisionInput(item=planned.id, action="plan", owner="bob", due="2030-01-31"),
                  DecisionInput(item=uncovered.id, action="accept")], reviewer="alice")
    return path, planned.id, uncovered.id


def _issues(path: Path) -> list[dict[str, object]]:
    loaded, result = analyze_path(path)
    return json.loads(export("github-issues", result, loaded))


def _jira(path: Path) -> list[list[str]]:
    loaded, result = analyze_path(path)
    return list(csv.reader(io.StringIO(export("jira", result, loaded), newline="")))


def test_github_issues_use_the_documented_fields_and_carry_the_ids(workspace: tuple[Path, str, str]) -> None:
    path, planned, uncovered = workspace
    issues = _issues(path)
    assert [issue["title"].split("]")[0] for issue in issues] == [f"[dicetm {planned}", f"[dicetm {uncovered}"]
    for issue in issues:
        assert set(issue) <= set(GITHUB_FIELDS) and "title" in issue
        assert all(isinstance(issue[k], GITHUB_FIELDS[k]) for k in issue)
        assert len(issue["title"]) <= GITHUB_TITLE_MAX
        assert all(isinstance(label, str) and 0 < len(label) <= 50 for label in issue["labels"])
    body = issues[0]["body"]
    assert f"`{planned}`" in body and "Owner: bob" in body and "Due: 2030-01-31" in body
    assert planned in issues[0]["labels"]
    assert f"`{uncovered}`" in issues[1]["body"]


def test_jira_csv_has_the_importers_columns(workspace: tuple[Path, str, str]) -> None:
    path, planned, uncovered = workspace
    rows = _jira(path)
    header, data = rows[0], rows[1:]
    assert header[0] == "Summary" and set(header) <= JIRA_FIELDS
    assert all(len(row) == len(header) for row in data)
    records = [dict(zip(header[:5], row[:5], strict=True)) for row in data]
    assert [r["Summary"].split("]")[0] for r in records] == [f"[dicetm {planned}", f"[dicetm {uncovered}"]
    assert all(r["Priority"] in JIRA_PRIORITIES and r["Issue Type"] == "Task" for r in records)
    assert records[0]["Due date"] == "2030-01-31"
    assert "\n" in records[0]["Description"]  # multi-line text survives the quoting
    labels = [value for row in data for name, value in zip(header, row, strict=True) if name == "Labels" and value]
    assert labels and all(" " not in label for label in labels)


def test_a_tracker_link_shows_in_the_next_analysis_and_leaves_the_export(workspace: tuple[Path, str, str]) -> None:
    path, planned, uncovered = workspace
    url = "https://github.com/acme/chatbot/issues/7"
    run = CliRunner().invoke(app, ["decide", str(path), planned, "--tracker", url, "--reviewer", "alice"])
    assert run.exit_code == 0, run.output
    loaded, result = analyze_path(path)
    countermeasure = next(c for c in result.countermeasures if c.id == planned)
    assert (countermeasure.tracker, countermeasure.status.value) == (url, "planned")
    assert [i["title"].split("]")[0] for i in json.loads(export("github-issues", result, loaded))] == [
        f"[dicetm {uncovered}"]
    audit = (path / "dicetm-audit.jsonl").read_text(encoding="utf-8")
    assert '"action": "track"' in audit or '"action":"track"' in audit
    threat_url = "https://example.atlassian.net/browse/SEC-12"
    run = CliRunner().invoke(app, ["decide", str(path), uncovered, "--tracker", threat_url, "--reviewer", "alice"])
    assert run.exit_code == 0, run.output
    loaded, result = analyze_path(path)
    threat = next(t for t in result.threats if t.id == uncovered)
    assert (threat.tracker, threat.status) == (threat_url, "accepted")
    assert json.loads(export("github-issues", result, loaded)) == []
    from dicetm.report.markdown import render_markdown

    report = render_markdown(result, loaded.system)
    assert threat_url in report and url in report


def test_a_tracker_link_that_is_no_web_link_is_refused(workspace: tuple[Path, str, str]) -> None:
    path, planned, _uncovered = workspace
    register = (path / "dicetm-register.yaml").read_bytes()
    run = CliRunner().invoke(app, ["decide", str(path), planned, "--tracker", "javascript:alert(1)",
                                   "--reviewer", "alice"])
    assert run.exit_code == 2
    assert "--tracker" in run.output and "not a link to an issue" in run.output
    assert (path / "dicetm-register.yaml").read_bytes() == register
