"""Issue 3's acceptance path, end to end through the CLI: a scripted review session on the chatbot example
takes `dicetm check` from exit 1 to exit 0, and the reports say who decided what."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicetm.cli import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    outcome = runner.invoke(app, list(args))
    return outcome.exit_code, outcome.output


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(REPO / "examples" / "support-chatbot" / "dicetm.yaml", tmp_path / "dicetm.yaml")
    monkeypatch.delenv("DICETM_REVIEWER", raising=False)
    return tmp_path


def test_scripted_session_passes_the_gate(workspace: Path) -> None:
    code, output = _run("check", str(workspace))
    assert code == 1, output
    assert "FAIL" in output

    code, output = _run("report", str(workspace), "--format", "json")
    result = json.loads(output)
    serious = [t for t in result["threats"] if t["likelihood"] * t["impact"] >= 12]
    low = [t for t in result["threats"] if t["likelihood"] * t["impact"] < 12]
    assert serious and low

    rejected = low[0]["id"]
    code, output = _run("decide", str(workspace), rejected, "--reject", "--reason", "logs are append-only WORM",
                        "--reviewer", "Rita Reviewer <rita@example.com>")
    assert code == 0, output
    for index, threat in enumerate(serious):
        code, output = _run("decide", str(workspace), threat["id"], "--accept", "--reviewer", "Ada Lovelace")
        assert code == 0, output
        if index % 2 == 0:
            code, output = _run("decide", str(workspace), threat["controls"][0], "--plan", "--owner", "Platform team",
                                "--due", "2099-01-31", "--reviewer", "Ada Lovelace")
        else:
            code, output = _run("decide", str(workspace), f"risk:{threat['id']}", "--accept", "--owner", "CISO",
                                "--business-impact", "At most a day of support downtime.", "--review-by",
                                "2099-06-30", "--reviewer", "Ada Lovelace")
        assert code == 0, output

    code, output = _run("check", str(workspace))
    assert code == 0, output
    code, output = _run("audit", "verify", str(workspace))
    assert code == 0, output

    code, output = _run("report", str(workspace), "--format", "md")
    assert "Ada Lovelace" in output and "Rita Reviewer" in output
    assert "logs are append-only WORM" in output


def test_gate_fails_when_the_audit_log_is_edited(workspace: Path) -> None:
    code, _ = _run("decide", str(workspace), "C-AVL-001", "--plan", "--owner", "Ops", "--due", "2099-01-01",
                   "--reviewer", "Ada Lovelace")
    assert code == 0
    log = workspace / "dicetm-audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[-1] = lines[-1].replace("Ada Lovelace", "Eve Mallory")
    log.write_text("".join(lines), encoding="utf-8")
    code, output = _run("audit", "verify", str(workspace))
    assert code == 1, output
    code, output = _run("check", str(workspace), "--format", "json")
    assert code in (1, 2), output
