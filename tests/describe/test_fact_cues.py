"""Fact cues as whole paradigms: every fact field the rules read has cues, every way of negating one turns it
around, "Key: value" lines read like a property table, Czech, Swedish, Danish and Chinese state facts too, and
the benchmark's fact diagnostic puts each miss in the bucket it belongs to."""

from __future__ import annotations

from types import ModuleType

import pytest
from tests.script_module import load_script

from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.extract_facts import statements
from dicetm.ingest.readers import read_markdown
from dicetm.model.system import Element, Kind


def _said(text: str) -> set[tuple[str, object]]:
    return {(s.field, s.value) for s in statements(text)}


def _elements(text: str) -> dict[str, Element]:
    spans, title = read_markdown("note.md", text)
    draft = extract_draft([Document(path="note.md", format="markdown", spans=tuple(spans), sha256="0" * 64,
                                     title=title)])
    return {e.name: e for e in draft.system.elements}


@pytest.mark.parametrize(("text", "fact"), [
    ("The runner executes the generated Python code.", ("executes_code", True)),
    ("It runs tests in a gVisor container that is destroyed after each run.", ("sandboxed", True)),
    ("Commands run directly on the developer's machine.", ("sandboxed", False)),
    ("The agent keeps its API keys in environment variables.", ("holds_credentials", True)),
    ("The worker holds no credentials.", ("holds_credentials", False)),
    ("Records cannot be changed or deleted once written.", ("append_only", True)),
    ("The bucket uses Object Lock.", ("append_only", True)),
    ("The fetcher only reaches hosts on an allow-list of domains.", ("egress_restricted", True)),
    ("The browser tool can fetch from any URL.", ("egress_restricted", False)),
    ("Deleted pages stay in the index until the next rebuild.", ("syncs_deletions", False)),
    ("Deletions at the source are propagated to the index.", ("syncs_deletions", True)),
    ("Deletions at the source are not propagated to the index.", ("syncs_deletions", False)),
    ("The classifier returns a confidence score with each label.", ("returns_scores", True)),
    ("The classifier returns only a pass/fail verdict.", ("returns_scores", False)),
    ("The model blocks payments automatically.", ("decides_access", True)),
    ("It only flags transactions for manual review.", ("decides_access", False)),
    ("It reads frames from the roadside cameras.", ("physical_input", True)),
    ("All dependencies are pinned.", ("dependencies_pinned", True)),
    ("The image always pulls the latest tag.", ("dependencies_pinned", False)),
    ("The model runs on the user's phone.", ("on_device", True)),
    ("The Report Service validates every report.", ("input_validation", True)),
    ("Uploads are sanitised before parsing.", ("input_validation", True)),
    ("The final decision stays with the underwriter.", ("answers_drive_decisions", False)),
    ("Each change is written to the audit log.", ("audit_logging", True)),
    ("Sign-ins are limited to five attempts per hour.", ("rate_limited", True)),
])
def test_every_fact_field_the_rules_read_has_cues(text: str, fact: tuple[str, object]) -> None:
    assert fact in _said(text)


@pytest.mark.parametrize(("text", "fact"), [
    ("Encryption at rest is disabled.", ("encrypted_at_rest", False)),
    ("Rate limiting: none.", ("rate_limited", False)),
    ("Prompt logging is switched off.", ("logs_prompts", False)),
    ("Rate limiting (off) for now.", ("rate_limited", False)),
    ("The store is not encrypted at rest.", ("encrypted_at_rest", False)),
    ("It never logs prompts.", ("logs_prompts", False)),
    ("The tool acts without human approval.", ("human_approval_required", False)),
    ("Sandboxing is not used.", ("sandboxed", False)),
])
def test_every_form_of_negation_turns_a_fact_around(text: str, fact: tuple[str, object]) -> None:
    assert fact in _said(text)


@pytest.mark.parametrize(("text", "fact"), [
    ("- **Auth**: none", ("authenticated", False)),
    ("Encrypted at rest: yes", ("encrypted_at_rest", True)),
    ("Human approval = required", ("human_approval_required", True)),
    ("Retention: 30 days", ("retention", "30d")),
    ("Sandboxed: no", ("sandboxed", False)),
    ("Internet access: no", ("egress_restricted", True)),
    ("Append-only: yes", ("append_only", True)),
])
def test_a_key_value_line_reads_like_a_property_table(text: str, fact: tuple[str, object]) -> None:
    assert fact in _said(text)


def test_a_key_value_line_that_answers_nothing_states_nothing() -> None:
    assert not any(f == "authenticated" for f, _ in _said("Auth: n/a"))
    assert _said("Note: see the runbook") == set()


@pytest.mark.parametrize(("text", "fact"), [
    ("Prompty se neukládají.", ("logs_prompts", False)),
    ("Data jsou uchovávána po dobu 90 dní.", ("retention", "90d")),
    ("Portál je dostupný pouze z interní sítě.", ("exposure", "internal")),
    ("Tjänsten lagrar inte prompterna.", ("logs_prompts", False)),
    ("Loggarna raderas efter 30 dagar.", ("retention", "30d")),
    ("Kräver inloggning med BankID.", ("authenticated", True)),
    ("Samtalerne gemmes ikke.", ("logs_prompts", False)),
    ("Data opbevares i 12 måneder.", ("retention", "360d")),
    ("Værktøjet handler uden menneskelig godkendelse.", ("human_approval_required", False)),
    ("Es findet kein Training und kein Fine-Tuning mit Falldaten statt.", ("trains_on_user_input", False)),
    ("Aucun entraînement sur les données des clients.", ("trains_on_user_input", False)),
    ("Las respuestas se muestran como Markdown.", ("output_rendered_as", "markdown")),
    ("Le texte est affiché brut, sans rendu Markdown.", ("output_rendered_as", "text")),
    ("El asistente no guarda ni las peticiones ni las respuestas del modelo.", ("logs_prompts", False)),
    ("日志保留30天。", ("retention", "30d")),
    ("供应商不会将我们的数据用于训练。", ("trains_on_user_input", False)),
    ("无需登录即可使用。", ("authenticated", False)),
    ("该服务仅在内网访问。", ("exposure", "internal")),
])
def test_facts_in_czech_swedish_danish_chinese_and_gaps_elsewhere(text: str, fact: tuple[str, object]) -> None:
    assert fact in _said(text)


def test_a_fact_under_a_components_heading_or_in_its_key_value_list_is_that_components() -> None:
    elements = _elements("# Design\n\n## Evidence Store\n\nAn S3 bucket with case files. Objects cannot be changed or "
                         "deleted once written.\n\n- Encrypted at rest: yes\n\n"
                         "## Sandbox Runner\n\nA tool that executes the generated code in a gVisor container.\n")
    assert elements["Evidence Store"].append_only is True
    assert elements["Evidence Store"].encrypted_at_rest is True
    assert elements["Sandbox Runner"].executes_code is True and elements["Sandbox Runner"].sandboxed is True
    assert elements["Sandbox Runner"].append_only is None  # a fact is not guessed onto the next section


def test_a_property_table_under_a_components_heading_states_its_facts() -> None:
    elements = _elements("# Design\n\n## Claims Portal\n\nThe web front end for policyholders.\n\n"
                         "| Property | Value |\n|---|---|\n| Auth | none |\n| Internet-facing | yes |\n"
                         "| Rate limited | no |\n")
    portal = elements["Claims Portal"]
    assert portal.authenticated is False and portal.rate_limited is False  # the value answers the key
    assert portal.exposure is not None and portal.exposure.value == "internet"


def _benchmark() -> ModuleType:
    return load_script("benchmarks/describe_quality.py")


def test_the_fact_diagnostic_puts_each_miss_in_its_bucket() -> None:
    quality = _benchmark()
    texts = [[("heading", "Ledger"), ("paragraph", "It is encrypted at rest."), ("heading", "Portal"),
              ("paragraph", "The Portal is public."), ("table-row", "Name | Audited"),
              ("table-row", "Portal | yes")]]
    ledger = quality.about_element(texts, ["Ledger"])
    assert [t for _, t in ledger] == ["Ledger", "It is encrypted at rest."]  # its section, not the next one
    portal = quality.about_element(texts, ["Portal"])
    assert any("Audited\tyes" in t for _, t in portal)  # a row is read with its header
    other = Element(id="vault", name="Vault", kind=Kind.data_store, encrypted_at_rest=True)
    bucket = quality.fact_bucket
    assert bucket("encrypted_at_rest", True, None, ledger, [other], {}) == quality.OTHER_ELEMENT
    assert bucket("encrypted_at_rest", True, None, ledger, [], {}) == quality.CUE_DROPPED
    assert bucket("retention", "30d", None, ledger, [], {}) == quality.NO_CUE
    assert bucket("audit_logging", True, None, portal, [], {}) == quality.CUE_DROPPED  # the header is the cue
    assert bucket("encrypted_at_rest", True, None, [], [], {}) == quality.NO_TEXT
    assert bucket("encrypted_at_rest", True, False, ledger, [], {}) == quality.WRONG_VALUE
