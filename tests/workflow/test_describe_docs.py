"""Issue 4's describe path end to end through the CLI: documents in, a drafted dicetm.yaml with provenance out,
offline and with a model behind a fake server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dicetm.api import load
from dicetm.cli import app
from dicetm.store.audit import read_log
from fakellm import FakeLLMServer, RecordedRequest, Reply

DOCS = Path(__file__).resolve().parents[1] / "ingest" / "docs"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    outcome = runner.invoke(app, list(args))
    return outcome.exit_code, outcome.output


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(DOCS, folder)
    return folder


def test_offline_describe_drafts_a_valid_model_with_provenance(docs: Path, tmp_path: Path) -> None:
    target = tmp_path / "ws" / "dicetm.yaml"
    code, output = _run("describe", str(docs), "--out", str(target))
    assert code == 0, output
    assert "offline extractor" in output
    assert _run("validate", str(target))[0] == 0
    system = load(target).system
    kinds = {e.kind.value for e in system.elements}
    assert {"process", "vector_store", "llm", "knowledge_source", "log_store"} <= kinds
    assert system.flows
    for item in [*system.elements, *system.flows]:
        assert item.provenance is not None and item.provenance.draft and item.provenance.spans, item.id
        assert item.provenance.by in ("extract:openapi", "extract:markdown")
    # The instruction hidden in an HTML comment of the note was withheld and drafted nothing.
    assert "qdrant" not in target.read_text(encoding="utf-8").lower()
    code, output = _run("report", str(target), "--format", "json")
    result = json.loads(output)
    assert any(q["topic"] == "DRAFT" for q in result["open_questions"])
    assert [w["line"] for w in result["withheld"]] == [17]
    actions = [r.action for r in read_log(target.parent / "dicetm-audit.jsonl")]
    assert actions[0] == "describe"
    assert _run("audit", "verify", str(target))[0] == 0


def test_describe_refuses_to_overwrite_and_merge_keeps_what_a_person_wrote(docs: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    person = ("# written by a person\nname: Shop\nelements:\n  - id: orchestrator\n    name: Orchestrator\n"
              "    kind: process\n    authenticated: true  # checked in the review\n")
    (ws / "dicetm.yaml").write_text(person, encoding="utf-8")
    code, output = _run("describe", str(docs), "--out", str(ws))
    assert code == 2 and "--merge" in output
    assert (ws / "dicetm.yaml").read_text(encoding="utf-8") == person
    code, output = _run("describe", str(docs), "--out", str(ws), "--merge")
    assert code == 0, output
    merged = (ws / "dicetm.yaml").read_text(encoding="utf-8")
    assert merged.startswith(person)
    system = load(ws).system
    assert [e.id for e in system.elements].count("orchestrator") == 1
    assert system.element_by_id["orchestrator"].authenticated is True
    assert system.element_by_id["orchestrator"].provenance is None
    assert any(f.source == "orchestrator" or f.target == "orchestrator" for f in system.flows)


def test_describe_names_a_bad_document_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "notes.md"
    bad.write_bytes(b"# Notes\n\xff\xfe broken\n")
    code, output = _run("describe", str(bad), "--out", str(tmp_path / "ws"))
    assert code == 2
    assert "notes.md" in output
    assert not (tmp_path / "ws").exists() or not any((tmp_path / "ws").iterdir())


def _label(request: RecordedRequest, word: str) -> str:
    for line in request.last_user_text.splitlines():
        found = re.match(r"\[(D\d+:S\d+)[^\]]*\] (.*)", line)
        if found and word in found.group(2).replace("\u02c6", " "):
            return found.group(1)
    raise AssertionError(f"{word!r} is in no span of the prompt")


def describe_router(request: RecordedRequest) -> Reply:
    assert request.schema_name == "describe"
    assert "Qdrant" not in request.last_user_text  # the withheld span never reaches the model
    pinecone = _label(request, "the vector database with the embedded")
    answer: dict[str, Any] = {
        "elements": [
            {"id": "help-articles-index", "name": "Help articles index", "kind": "vector_store",
             "evidence": [{"span": pinecone, "quote": "the vector database with the embedded help articles"}],
             "facts": [{"field": "multi_tenant", "value": True,
                        "evidence": [{"span": pinecone, "quote": "shared by all our tenants"}]}]},
            {"id": "fraud-model", "name": "Fraud model", "kind": "llm",
             "evidence": [{"span": pinecone, "quote": "a fraud model scores every order"}]},
        ],
        "questions": [{"question": "Who can write to the help articles index?", "about": "help-articles-index"}],
    }
    return Reply.json(answer)


def test_describe_with_a_model_keeps_only_cited_drafts(docs: Path, tmp_path: Path, fake_llm: FakeLLMServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DICETM_LLM_PROVIDER", "openai")
    monkeypatch.setenv("DICETM_LLM_MODEL", "fake-model")
    monkeypatch.setenv("DICETM_LLM_BASE_URL", fake_llm.openai_base_url)
    fake_llm.route(describe_router)
    target = tmp_path / "ws" / "dicetm.yaml"
    code, output = _run("describe", str(docs), "--out", str(target))
    assert code == 0, output
    assert "describe with openai/fake-model" in output and "dropped 0 invented, 1 unverified" in output
    system = load(target).system
    drafted = system.element_by_id["help-articles-index"]
    assert drafted.provenance is not None and drafted.provenance.by == "llm:openai/fake-model"
    assert drafted.provenance.prompt_hash and drafted.provenance.spans[0].line == 12
    assert drafted.multi_tenant is None  # the quote for the fact is not in the document: no guess
    assert "fraud-model" not in system.element_by_id  # invented evidence drops the item
    record = next(r for r in read_log(target.parent / "dicetm-audit.jsonl") if r.action == "describe")
    assert record.details["runs"][0]["calls"] == 1 and record.details["runs"][0]["input_tokens"] > 0

    calls = fake_llm.calls
    again = tmp_path / "again" / "dicetm.yaml"
    code, output = _run("describe", str(docs), "--out", str(again))
    assert code == 0, output
    assert fake_llm.calls == calls  # unchanged documents: answered from the cache
    assert load(again).system.element_by_id["help-articles-index"]
