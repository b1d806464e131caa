"""``describe`` with a model behind the fake server: the offline draft is its starting point, a long document is
sent in chunks, and every offline component the model's draft leaves out is reported."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dicetm.api import load
from dicetm.cli import app
from fakellm import FakeLLMServer, RecordedRequest, Reply

runner = CliRunner()
FILLER = ("The team reviews this design every quarter and records the outcome in the decision log, "
          "together with the open risks and the owners who follow them up. ") * 3


def _architecture() -> str:
    parts = ["# Billing assistant", "", "## Components", "",
             "- **Chat Portal**: the web chat used by customers.",
             "- **Billing Agent**: the agent that answers billing questions.",
             "- **Admin API**: lets operators change refund limits.", ""]
    parts += [FILLER for _ in range(180)]  # long enough to be sent in several chunks
    parts += ["", "## Late part", "", "- **Invoice Store**: the database of issued invoices.", "",
              "The Billing Agent reads invoices from the Invoice Store.", ""]
    return "\n\n".join(parts)


def _known(request: RecordedRequest) -> list[dict[str, str]]:
    return [json.loads(line) for line in request.last_user_text.splitlines() if line.startswith('{"id"')]


def _spans(request: RecordedRequest) -> list[tuple[str, str]]:
    found = []
    for line in request.last_user_text.splitlines():
        match = re.match(r"\[(D\d+:S\d+)[^\]]*\] (.*)", line)
        if match:
            found.append((match.group(1), match.group(2).replace("\u02c6", " ")))
    return found


def omitting_router(request: RecordedRequest) -> Reply:
    """Names the known elements its chunk mentions, except the Admin API, as an injected note would ask."""
    assert request.schema_name == "describe"
    elements: list[dict[str, Any]] = []
    for known in _known(request):
        if known["name"] == "Admin API":
            continue
        span = next((label for label, text in _spans(request) if known["name"] in text), None)
        if span is not None:
            elements.append({"id": known["id"], "name": known["name"], "kind": known["kind"],
                             "evidence": [{"span": span, "quote": known["name"]}]})
    return Reply.json({"elements": elements})


@pytest.fixture
def configured(fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> FakeLLMServer:
    monkeypatch.setenv("DICETM_LLM_PROVIDER", "openai")
    monkeypatch.setenv("DICETM_LLM_MODEL", "fake-model")
    monkeypatch.setenv("DICETM_LLM_BASE_URL", fake_llm.openai_base_url)
    return fake_llm


def test_the_model_starts_from_the_offline_draft_and_omissions_are_reported(tmp_path: Path,
                                                                            configured: FakeLLMServer) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "billing.md").write_text(_architecture(), encoding="utf-8")
    configured.route(omitting_router)
    target = tmp_path / "ws" / "dicetm.yaml"
    outcome = runner.invoke(app, ["describe", str(docs), "--out", str(target)])
    output = outcome.output
    assert outcome.exit_code == 0, output
    requests = configured.requests
    assert len(requests) >= 2  # the long document went in chunks
    first = {k["name"] for k in _known(requests[0])}
    assert {"Chat Portal", "Billing Agent", "Admin API", "Invoice Store"} <= first  # the offline draft, each time
    assert "the documents name Admin API" in output and "has no element for it" in output
    assert "the documents name Invoice Store" not in output  # named by the chunk that holds it
    assert "the documents name Chat Portal" not in output
    system = load(target).system
    assert {e.name for e in system.elements} >= {"Admin API", "Invoice Store"}  # nothing is removed
