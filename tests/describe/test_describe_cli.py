"""``dicetm describe`` on a folder with a design doc, a Mermaid diagram and a compose file: one valid model that
``dicetm analyze`` accepts, the recovery summary, the open questions; and the corpus, scored by the benchmark."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from tests.script_module import load_script
from typer.testing import CliRunner

from dicetm.api import load
from dicetm.cli import app

CORPUS = Path(__file__).parent / "corpus"
SET3 = Path(__file__).parent / "corpus-set3"  # written by someone who had not read the extractor
SET4 = Path(__file__).parent / "corpus-set4"  # the same, in more document types and languages
SET5 = Path(__file__).parent / "corpus-set5"  # the same again: PDFs of free prose, e-mails, six languages
SET6 = Path(__file__).parent / "corpus-set6"  # the same again, with Japanese; questionnaires, minutes, postmortems
SET7 = Path(__file__).parent / "corpus-set7"  # the same again, with Swedish, Czech and Chinese; MCP configs, runbooks
SET8 = Path(__file__).parent / "corpus-set8"  # Danish, Turkish, Korean, German and Spanish; questionnaires, MCP, A2A
runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    outcome = runner.invoke(app, list(args))
    return outcome.exit_code, outcome.output


def _benchmark() -> ModuleType:
    return load_script("benchmarks/describe_quality.py")


def test_a_design_doc_a_mermaid_diagram_and_a_compose_file_make_one_model(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS / "multi-doc-shopping" / "docs", docs)
    target = tmp_path / "ws" / "dicetm.yaml"
    code, output = _run("describe", str(docs), "--out", str(target))
    assert code == 0, output
    assert "recovered: 10 element(s), 9 flow(s)" in output
    assert "open questions:" in output
    system = load(target).system
    names = {e.name: e for e in system.elements}
    # the same component named in three documents is one element ("AB", "Assistant Backend", "assistant-backend")
    backend = names["Assistant Backend"]
    assert {r.file.rsplit("/", 1)[-1] for r in backend.provenance.spans} >= {"design.md", "catalog-sync.mmd",
                                                                              "compose.yaml"}
    assert names["Product Vector DB"].kind.value == "vector_store"
    assert names["Order Lookup Tool"].acts_on == names["Order Service"].id
    flows = {(f.source, f.target) for f in system.flows}
    assert (names["Catalog Sync Job"].id, names["Product Vector DB"].id) in flows
    for item in [*system.elements, *system.flows]:
        assert item.provenance is not None and item.provenance.draft and item.provenance.spans
    text = target.read_text(encoding="utf-8")
    assert "# Open questions from dicetm describe" in text and "Q-TENANCY@product-vector-db" in text
    code, output = _run("analyze", str(target.parent), "--out", str(tmp_path / "out"))
    assert code in (0, 1), output  # analysed (1 only when a gate fails)
    result = json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))
    assert result["threats"] and any(q["topic"] == "DRAFT" for q in result["open_questions"])


def test_documents_that_disagree_leave_the_fact_unset_and_ask(tmp_path: Path) -> None:
    target = tmp_path / "ws" / "dicetm.yaml"
    code, output = _run("describe", str(CORPUS / "contradiction-email-agent" / "docs"), "--out", str(target))
    assert code == 0, output
    assert "(2 where the documents disagree)" in output
    agent = next(e for e in load(target).system.elements if e.name == "Triage Agent")
    assert agent.logs_prompts is None
    text = target.read_text(encoding="utf-8")
    question = next(line for line in text.splitlines() if "disagree on logs_prompts" in line)
    assert "operations.md:5" in question and "overview.md:19" in question


def test_statements_that_could_not_be_resolved_are_listed_with_their_place(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("# Notes\n\n## Chat Gateway\n\nForwards every request to the billing thing.\n",
                                   encoding="utf-8")
    code, output = _run("describe", str(docs), "--out", str(tmp_path / "ws"))
    assert code == 0, output
    assert "not resolved: 1 statement(s)" in output
    assert "notes.md:5: 'Forwards' has no known component after it" in output


def test_the_benchmark_scores_names_aliases_directions_and_durations() -> None:
    quality = _benchmark()
    from dicetm.model.system import System

    expected = System.model_validate({"name": "x", "elements": [
        {"id": "gw", "name": "The Chat Gateway", "kind": "process", "exposure": "internet"},
        {"id": "db", "name": "Vector DB", "kind": "vector_store", "retention": "30d"},
        {"id": "llm", "name": "GPT-4o", "kind": "llm"}],
        "flows": [{"id": "f1", "source": "gw", "target": "db"}, {"id": "f2", "source": "gw", "target": "llm"}]})
    draft = System.model_validate({"name": "x", "elements": [
        {"id": "a", "name": "chat  gateway", "kind": "process", "exposure": "internal"},
        {"id": "b", "name": "VDB", "kind": "data_store", "retention": "30 days", "multi_tenant": True},
        {"id": "c", "name": "Chat Gateway", "kind": "process"}],
        "flows": [{"id": "x", "source": "b", "target": "a", "bidirectional": True}]})
    case = quality.Case("t", Path("."), expected, {"Vector DB": ["VDB"]})
    score = quality.score_case(case, draft)
    assert (score.matched_elements, score.drafted_elements, score.right_kinds) == (2, 3, 1)  # the twin is spurious
    assert (score.recovered_flows, score.precise_flows) == (1, 1)  # a bidirectional flow matches either way
    assert (score.expected_facts, score.recovered_facts, score.wrong_facts, score.unstated_facts) == (2, 1, 1, 1)


def _total(corpus: Path) -> object:
    quality = _benchmark()
    total = quality.Score()
    for folder in sorted(p for p in corpus.iterdir() if (p / "expected.yaml").exists()):
        case = quality.load_case(folder)
        draft, unread = quality.draft_case(case)
        assert unread == 0, folder.name
        total.add(quality.score_case(case, draft))
    return total


def _assert_floors(total: Any, *, elements: float, spurious: float, flows: float, facts: float, wrong: float,
                   reach: float) -> None:
    """The scores of ``total`` (a ``describe_quality.Score``) at or above each floor, and at or below each ceiling."""
    assert total.matched_elements / total.expected_elements >= elements
    assert (total.drafted_elements - total.matched_elements) / total.drafted_elements <= spurious
    assert total.recovered_flows / total.expected_flows >= flows
    assert total.recovered_facts / total.expected_facts >= facts
    assert total.wrong_facts / total.expected_facts <= wrong
    assert total.reached_findings / total.expected_findings >= reach


@pytest.fixture(scope="module")
def corpus_total() -> object:
    return _total(CORPUS)


def test_the_corpus_stays_above_the_targets(corpus_total: object) -> None:
    """A guard against regressions on the labelled corpus (``benchmarks/describe_quality.py`` prints the detail)."""
    _assert_floors(corpus_total, elements=0.85, spurious=0.06, flows=0.85, facts=0.72,
                   wrong=0.03, reach=0.75)


def test_the_set_written_blind_stays_at_its_figures() -> None:
    """A guard on the prose-heavy set written without reading the extractor (its figures are printed by
    ``benchmarks/describe_quality.py tests/describe/corpus-set3``); the floors are just under today's."""
    _assert_floors(_total(SET3), elements=0.88, spurious=0.20, flows=0.62, facts=0.47,
                   wrong=0.03, reach=0.45)


def test_the_released_set_of_foreign_documents_stays_at_its_figures() -> None:
    """A guard on set 4 (DOCX/PDF, minutes, e-mails, wiki exports, diagrams; German, French and Spanish), written
    without reading the extractor and released for tuning (``benchmarks/describe_quality.py
    tests/describe/corpus-set4``); the floors are just under today's."""
    _assert_floors(_total(SET4), elements=0.77, spurious=0.22, flows=0.51, facts=0.27,
                   wrong=0.02, reach=0.34)


def test_the_fifth_released_set_stays_at_its_figures() -> None:
    """A guard on set 5 (PDFs of free prose and tables, e-mail threads, a postmortem, Terraform and Kubernetes;
    Dutch, Polish, Italian, Portuguese, German and French), written without reading the extractor and released
    for tuning (``benchmarks/describe_quality.py tests/describe/corpus-set5``); the floors are just under today's."""
    _assert_floors(_total(SET5), elements=0.82, spurious=0.20, flows=0.55, facts=0.29,
                   wrong=0.015, reach=0.36)


def test_the_sixth_released_set_stays_at_its_figures() -> None:
    """A guard on set 6 (two-column and questionnaire PDFs, DOCX, Confluence and SharePoint exports, minutes, an
    e-mail, a postmortem, draw.io, Structurizr, PlantUML, Terraform, Kubernetes, compose; Spanish, Japanese, German,
    Italian and Polish), written without reading the extractor and released for tuning
    (``benchmarks/describe_quality.py tests/describe/corpus-set6``); the floors are just under today's."""
    _assert_floors(_total(SET6), elements=0.77, spurious=0.23, flows=0.53, facts=0.27,
                   wrong=0.021, reach=0.30)


def test_the_seventh_released_set_stays_at_its_figures() -> None:
    """A guard on set 7 (Swedish, Czech, Chinese, Portuguese and Dutch among English; draw.io, Mermaid, Structurizr,
    Terraform, Kubernetes, compose, VS Code MCP configs, PDF and DOCX), measured untuned for two rounds and then
    released (``benchmarks/describe_quality.py tests/describe/corpus-set7``); the floors are just under today's."""
    _assert_floors(_total(SET7), elements=0.76, spurious=0.20, flows=0.59, facts=0.26,
                   wrong=0.025, reach=0.35)


def test_the_eighth_released_set_stays_at_its_figures() -> None:
    """A guard on set 8 (Danish, Turkish, Korean, German and Spanish among English; a vendor questionnaire, PDF and
    compose, Structurizr, Kubernetes, Terraform, MCP and agent-to-agent setups), measured untuned for two rounds and
    then released (``benchmarks/describe_quality.py tests/describe/corpus-set8``); the floors are just under
    today's."""
    _assert_floors(_total(SET8), elements=0.81, spurious=0.25, flows=0.68, facts=0.20,
                   wrong=0.031, reach=0.35)


def test_the_benchmark_compares_months_and_element_references_as_the_model_means_them() -> None:
    quality = _benchmark()
    assert quality.same_fact("retention", "12mo", "360d", {})
    assert not quality.same_fact("retention", "12mo", "12d", {})
    assert quality.same_fact("server", "orders-mcp", "mcp-1", {"mcp-1": "orders-mcp"})
    assert not quality.same_fact("server", "orders-mcp", "mcp-2", {"mcp-1": "orders-mcp"})
