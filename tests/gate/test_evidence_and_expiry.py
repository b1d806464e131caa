"""Evidence that counts and decisions that expire, read the same in every report and in ``dicetm check``."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from dicetm.evidence_link import link_problem, path_problem

from .builders import CRITICAL, HIGH, REVIEWER
from .cli_app import invoke, snapshot

NO_BLOCK = "block_unreviewed_at_or_above: null\n"
REPORTS = {"md": "report.md", "html": "report.html", "json": "result.json", "csv": "threats.csv"}


def with_settings(workspace: Path, section: str, text: str) -> None:
    """Fill the example's empty ``section: []`` of the model file, as a person editing dicetm.yaml would."""
    model = workspace / "dicetm.yaml"
    original = model.read_text(encoding="utf-8")
    assert f"\n{section}: []\n" in original
    model.write_text(original.replace(f"\n{section}: []\n", f"\n{section}:\n{text}"), encoding="utf-8")


def reports(workspace: Path) -> dict[str, str]:
    out = workspace.parent / "out"
    done = invoke("analyze", workspace, "--out", out, "--force")
    assert done.code == 0, done.stderr
    return {fmt: (out / name).read_text(encoding="utf-8") for fmt, name in REPORTS.items()}


@pytest.mark.parametrize(("evidence", "problem"), [
    ("data:text/html,<script>alert(1)</script>", "data: links are not evidence"),
    ("javascript:alert(1)", "javascript: links are not evidence"),
    ("file:///etc/passwd", "file: links are not evidence"),
    ("https://user:secret@ci.example.com/run/1", "user name or password"),
    ("https:///no-host", "names no host"),
    ("https://ci.example.com/run/1\x1b[2J", "control character"),
])
def test_bad_evidence_is_refused_at_decide_time(workspace: Path, evidence: str, problem: str) -> None:
    invoke("decide", workspace, CRITICAL, "--accept", "--reviewer", REVIEWER)
    before = snapshot(workspace)
    done = invoke("decide", workspace, "C-OUT-001", "--implement", "--evidence", evidence, "--reviewer", REVIEWER)
    assert done.code == 2 and problem in done.stderr and "--evidence" in done.stderr
    assert snapshot(workspace) == before


def test_evidence_paths_must_exist_inside_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "threat-model").mkdir(parents=True)
    (repo / "docs").mkdir()
    (repo / "docs" / "tls.md").write_text("TLS everywhere\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    workspace = repo / "threat-model"
    assert path_problem("docs/tls.md", workspace) is None  # relative to the repository root
    assert path_problem("../docs/tls.md (the TLS page)", workspace) is None  # relative to the workspace, a note
    assert "does not exist" in (path_problem("docs/missing.md", workspace) or "")
    assert "leads outside the repository" in (path_problem("../../../etc/passwd", workspace) or "")
    assert link_problem("https://git.example.com/pr/412 (confirmation dialog)") is None


def test_a_data_url_in_the_model_file_covers_nothing_and_shows_everywhere(workspace: Path) -> None:
    invoke("decide", workspace, CRITICAL, "--accept", "--reviewer", REVIEWER)
    with_settings(workspace, "countermeasures", "  - control: C-OUT-001\n    status: implemented\n"
                                                "    evidence: \"data:text/html,<b>done</b>\"\n")
    out = reports(workspace)
    result = json.loads(out["json"])
    row = next(m for m in result["evaluation"]["matrix"] if m["threat"] == CRITICAL)
    assert not row["covered"] and "C-OUT-001 implemented but not counted: data: links are not evidence" in \
        row["arithmetic"]
    assert "data:text/html" in out["md"] and "not counted" in out["md"]
    assert "data:text/html" in out["html"] and 'href="data:' not in out["html"]
    policy = workspace.parent / "p.yaml"
    policy.write_text(NO_BLOCK, encoding="utf-8")
    done = invoke("check", workspace, "--policy", policy)
    assert done.code == 1
    assert "C-OUT-001 implemented but its evidence does not count: data: links are not evidence" in done.stdout


def test_evidence_links_appear_in_every_report(workspace: Path) -> None:
    link = "https://ci.example.com/runs/77"
    invoke("decide", workspace, CRITICAL, "--accept", "--reviewer", REVIEWER)
    done = invoke("decide", workspace, "C-OUT-001", "--implement", "--evidence", link, "--reviewer", REVIEWER)
    assert done.code == 0, done.stderr
    out = reports(workspace)
    assert f"`{link}`" in out["md"]
    assert f'<a href="{link}" rel="noopener noreferrer nofollow">{link}</a>' in out["html"]
    assert next(c for c in json.loads(out["json"])["countermeasures"] if c["id"] == "C-OUT-001")["evidence"] == link
    row = next(r for r in csv.DictReader(io.StringIO(out["csv"])) if r["id"] == CRITICAL)
    assert row["evidence"] == f"C-OUT-001: {link}"


def test_a_past_review_by_date_is_refused(workspace: Path) -> None:
    invoke("decide", workspace, HIGH, "--accept", "--reviewer", REVIEWER)
    before = snapshot(workspace)
    done = invoke("decide", workspace, f"risk:{HIGH}", "--accept", "--owner", "Carol", "--business-impact", "small",
                  "--review-by", "2020-01-31", "--reviewer", REVIEWER)
    assert done.code == 2 and "review-by date 2020-01-31 is in the past" in done.stderr
    assert snapshot(workspace) == before


def test_a_past_due_date_for_a_plan_is_refused(workspace: Path) -> None:
    before = snapshot(workspace)
    done = invoke("decide", workspace, "C-OUT-001", "--plan", "--owner", "Carol", "--due", "2020-01-31",
                  "--reviewer", REVIEWER)
    assert done.code == 2, done.stderr
    assert "due date 2020-01-31 is in the past" in done.stderr and "--due" in done.stderr
    assert snapshot(workspace) == before
    done = invoke("decide", workspace, "C-OUT-001", "--plan", "--owner", "Carol", "--due", "2999-12-31",
                  "--reviewer", REVIEWER)
    assert done.code == 0, done.stderr


def test_an_expired_decision_reads_expired_everywhere(workspace: Path) -> None:
    invoke("decide", workspace, HIGH, "--accept", "--reviewer", REVIEWER)
    with_settings(workspace, "residual_risks", f"  - threat: {HIGH}\n    owner: Carol\n    decision: accept\n"
                                               "    business_impact: small\n    review_by: \"2021-03-31\"\n")
    out = reports(workspace)
    entry = next(e for e in json.loads(out["json"])["evaluation"]["residual_risks"] if e["threat"] == HIGH)
    assert entry["expired"] is True and entry["open"] is False
    row = next(m for m in json.loads(out["json"])["evaluation"]["matrix"] if m["threat"] == HIGH)
    assert not row["covered"] and "residual-risk" not in row["covered_by"]
    md_row = next(line for line in out["md"].splitlines() if line.startswith(f"| `{HIGH}` |") and "Carol" in line)
    assert "**EXPIRED**" in md_row
    assert '<span class="badge open">EXPIRED</span>' in out["html"]
    assert next(r for r in csv.DictReader(io.StringIO(out["csv"])) if r["id"] == HIGH)["covered"] == "no"
    policy = workspace.parent / "p.yaml"
    policy.write_text(NO_BLOCK, encoding="utf-8")
    done = invoke("check", workspace, "--policy", policy)
    assert done.code == 1 and "the residual-risk decision by Carol expired on 2021-03-31" in done.stdout
