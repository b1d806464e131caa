"""Framework ids added for completeness against ATLAS and CWE (rules12): each conditional id appears only when its
stated cause holds, a secret handed to an outsider's page is no secret published, and the benchmark that lists
the ids no rule carries reads a data file that may only name ids no rule carries."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from tests.script_module import load_script

from dicetm.catalog import load_catalog
from dicetm.model import System

from .helpers import findings, system_of


def _reach() -> ModuleType:
    return load_script("benchmarks/framework_reach.py")


def test_ids_said_to_have_no_element_are_known_and_carried_by_no_rule() -> None:
    reach = _reach()
    catalog = load_catalog()
    unbound = reach.load_unbound()
    assert unbound, "the data file lists the reconnaissance and resource-development ids"
    carried = reach.carriers(catalog)
    for ref, reason in unbound.items():
        assert catalog.resolve(ref) == ref, ref
        assert ref not in carried, f"{ref} is said to have no element, yet a rule carries it"
        assert reason.strip()


def test_every_framework_id_is_accounted_for_in_the_totals() -> None:
    reach = _reach()
    result = reach.measure(load_catalog(), reach.load_unbound())
    for framework in reach.FRAMEWORKS:
        rows = result[framework]
        assert rows and all(r.status in ("carried", "via parent/sub", "no element", "gap") for r in rows)
    statuses = {r.ref: r.status for r in result["atlas"]}
    assert statuses["atlas:AML.T0069.000"] == "via parent/sub"  # T-LLM-012 carries the parent technique
    assert statuses["atlas:AML.T0001"] == "no element"


def test_per_kind_reach_counts_only_the_rules_that_apply_to_that_kind() -> None:
    reach = _reach()
    on_detectors = {r.ref: r for r in reach.measure(load_catalog(), {}, "ml_model")["atlas"]}
    assert on_detectors["atlas:AML.T0046"].rules == ["T-ML-010"]  # chaff: T-AGENT-011 does not apply to ml_model
    assert on_detectors["atlas:AML.T0102"].status == "gap"  # model-written commands: llm and agent only
    assert reach.main(["--kind", "no-such-kind"]) == 2


def _phished(page_facts: dict[str, Any]) -> System:
    return system_of([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "typed", "name": "Credentials typed in", "kind": "data_store", "classification": "secret"},
        {"id": "page", "name": "Look-alike login page", "kind": "knowledge_source", "classification": "public",
         **page_facts},
    ], [("user", "typed", False), ("typed", "page", False)])


def _with_secret_flows(system: System) -> System:
    data = system.model_dump(exclude_none=True)
    for flow in data["flows"]:
        flow["classification"] = "secret"
    return System.model_validate(data)


def test_a_secret_sent_to_a_page_outsiders_write_is_not_published_there() -> None:
    assert findings("T-STRIDE-022", _with_secret_flows(_phished({"untrusted_content": True}))) == {}


def test_a_secret_written_into_a_public_place_of_our_own_is_still_published() -> None:
    assert "T-STRIDE-022@page" in findings("T-STRIDE-022", _with_secret_flows(_phished({})))
    stated = _phished({"untrusted_content": True, "holds_credentials": True})
    assert "T-STRIDE-022@page" in findings("T-STRIDE-022", stated)


def test_an_agent_configuration_kept_in_public_is_an_artefact_the_attacker_acquires() -> None:
    def published(kind: str) -> System:
        return system_of([{"id": "cfg", "name": "Agent settings", "kind": kind, "classification": "public",
                           "holds_credentials": True}], [])

    assert "atlas:AML.T0002.002" in findings("T-STRIDE-022", published("agent_config"))["T-STRIDE-022@cfg"].references
    assert "atlas:AML.T0002.002" not in findings("T-STRIDE-022", published("data_store"))["T-STRIDE-022@cfg"].references


def _rag(index_facts: dict[str, Any]) -> System:
    return system_of([
        {"id": "user", "name": "Employee", "kind": "external_entity"},
        {"id": "bot", "name": "Wiki assistant", "kind": "llm"},
        {"id": "index", "name": "Wiki index", "kind": "vector_store", **index_facts},
    ], [("user", "bot", True), ("index", "bot", False)])


def test_asking_a_rag_model_for_the_credentials_its_index_holds_is_credential_harvesting() -> None:
    threat = findings("T-LLM-004", _rag({"classification": "confidential", "holds_credentials": True}))["T-LLM-004@bot"]
    assert "atlas:AML.T0082" in threat.references


def test_an_index_of_confidential_documents_without_secrets_is_disclosure_only() -> None:
    threat = findings("T-LLM-004", _rag({"classification": "confidential"}))["T-LLM-004@bot"]
    assert "atlas:AML.T0082" not in threat.references and "cwe:CWE-201" in threat.references


def test_only_code_that_runs_can_dump_credentials_from_memory() -> None:
    system = system_of([
        {"id": "agent", "name": "Assistant agent", "kind": "agent"},
        {"id": "shell", "name": "Shell tool", "kind": "tool", "permissions": ["execute"], "acts_on": "box"},
        {"id": "box", "name": "Build host", "kind": "process", "holds_credentials": True},
        {"id": "reader", "name": "File reader", "kind": "tool", "permissions": ["read"], "acts_on": "share"},
        {"id": "share", "name": "Config share", "kind": "data_store", "holds_credentials": True},
    ], [("agent", "shell", True), ("shell", "box", True), ("agent", "reader", True), ("reader", "share", True)])
    hits = findings("T-AGENT-013", system)
    assert "atlas:AML.T0090" in hits["T-AGENT-013@shell"].references
    assert "atlas:AML.T0090" not in hits["T-AGENT-013@reader"].references
    assert "atlas:AML.T0037" in hits["T-AGENT-013@reader"].references


def test_exploiting_a_public_component_that_holds_keys_is_exploitation_for_credential_access() -> None:
    def server(holds: bool) -> System:
        return system_of([
            {"id": "user", "name": "Visitor", "kind": "external_entity"},
            {"id": "web", "name": "Chat web app", "kind": "process", "exposure": "internet",
             "holds_credentials": holds},
        ], [("user", "web", False)])

    assert "atlas:AML.T0106" in findings("T-STRIDE-012", server(True))["T-STRIDE-012@web"].references
    assert "atlas:AML.T0106" not in findings("T-STRIDE-012", server(False))["T-STRIDE-012@web"].references


def test_an_unencrypted_store_is_cleartext_storage_and_its_credentials_are_unprotected_only_when_stated() -> None:
    def store(**facts: Any) -> System:
        return system_of([{"id": "db", "name": "Settings database", "kind": "data_store", **facts}], [])

    plain = findings("T-STRIDE-007", store(classification="confidential"))["T-STRIDE-007@db"].references
    keys = findings("T-STRIDE-007", store(classification="confidential", holds_credentials=True))["T-STRIDE-007@db"]
    assert "cwe:CWE-312" in plain and "cwe:CWE-522" not in plain
    assert {"cwe:CWE-522", "atlas:AML.T0055"} <= set(keys.references)


def test_verdicts_checked_before_use_are_assumed_checked_by_a_person_and_said_so() -> None:
    def detector(**facts: Any) -> System:
        return system_of([
            {"id": "sender", "name": "Sender", "kind": "external_entity"},
            {"id": "model", "name": "Fraud detector", "kind": "ml_model", **facts},
        ], [("sender", "model", False)])

    checked = findings("T-ML-010", detector(answers_drive_decisions=False))["T-ML-010@model"]
    assert checked.assumptions and "atlas:AML.T0046" in checked.references
    assert not findings("T-ML-010", detector(human_approval_required=True))["T-ML-010@model"].assumptions
    assert findings("T-ML-010", detector()) == {}
