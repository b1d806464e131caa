"""`dicetm report --format pdf`: the HTML report printed by a headless Chromium, and a clear error without one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dicetm.cli import app

CHATBOT = Path(__file__).resolve().parents[2] / "examples" / "support-chatbot"


def test_pdf_is_printed_by_chromium(tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (.ci/run installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    target = tmp_path / "report.pdf"
    outcome = CliRunner().invoke(app, ["report", str(CHATBOT), "--format", "pdf", "--output", str(target)])
    assert outcome.exit_code == 0, outcome.output
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 20_000
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") >= 3  # a report of several pages


def test_pdf_without_chromium_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DICETM_CHROMIUM", str(tmp_path / "no-such-browser"))
    target = tmp_path / "report.pdf"
    outcome = CliRunner().invoke(app, ["report", str(CHATBOT), "--format", "pdf", "--output", str(target)])
    assert outcome.exit_code == 2
    assert "PDF output needs Chromium" in outcome.output and "apt-get install chromium" in outcome.output
    assert not target.exists()


def test_pdf_needs_an_output_file() -> None:
    outcome = CliRunner().invoke(app, ["report", str(CHATBOT), "--format", "pdf"])
    assert outcome.exit_code == 2 and "--output" in outcome.output
