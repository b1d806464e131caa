"""rules11: copies a third party keeps, a secret in a public place, a taken-over account's stores, a guardrail
whose weights are published, a tool whose parameters become command lines, a trait that is the whole sign-in, and
a memory that keeps what users said. Each finding widens only when its stated cause holds."""

from __future__ import annotations

from typing import Any

from dicetm.model import System

from .helpers import findings, system_of


def _model(elements: list[dict[str, Any]], flows: list[dict[str, Any]]) -> System:
    return System.model_validate({"name": "test", "elements": elements,
                                  "flows": [{"id": f"f{i}", **f} for i, f in enumerate(flows)]})


def _contractor(copy_is_theirs: bool) -> System:
    return _model([
        {"id": "records", "name": "Student records", "kind": "data_store", "classification": "personal"},
        {"id": "vendor", "name": "Vendor backend", "kind": "process", "third_party": True},
        {"id": "copy", "name": "Vendor's copy", "kind": "data_store", "third_party": copy_is_theirs},
    ], [{"source": "records", "target": "vendor", "classification": "personal"},
        {"source": "vendor", "target": "copy", "classification": "personal"}])


def test_the_copy_a_third_party_keeps_is_named_with_what_it_received() -> None:
    threat = findings("T-STRIDE-009", _contractor(True))["T-STRIDE-009@vendor@f0"]
    assert "copy" in threat.elements and "cwe:CWE-459" in threat.references


def test_a_store_of_our_own_written_by_the_vendor_is_no_copy_it_keeps() -> None:
    threat = findings("T-STRIDE-009", _contractor(False))["T-STRIDE-009@vendor@f0"]
    assert "copy" not in threat.elements and "cwe:CWE-459" not in threat.references


def _published(secret: bool, classification: str = "public") -> System:
    return _model([
        {"id": "dev", "name": "Developer", "kind": "external_entity"},
        {"id": "repo", "name": "Repository", "kind": "knowledge_source", "classification": classification},
        {"id": "crawler", "name": "Key scanner", "kind": "external_entity"},
        {"id": "api", "name": "Hub API", "kind": "process", "authenticated": True},
        {"id": "site", "name": "Public site", "kind": "process", "authenticated": False},
    ], [{"source": "dev", "target": "repo", "classification": "secret" if secret else "public"},
        {"source": "repo", "target": "crawler"}, {"source": "crawler", "target": "api"},
        {"source": "crawler", "target": "site"}])


def test_a_secret_written_into_a_public_store_is_read_by_whoever_reads_it() -> None:
    threat = findings("T-STRIDE-022", _published(True))["T-STRIDE-022@repo"]
    assert {"dev", "crawler", "api"} <= set(threat.elements) and "site" not in threat.elements
    assert {"atlas:AML.T0055", "cwe:CWE-798"} <= set(threat.references)


def test_public_code_without_secrets_or_a_private_store_with_them_is_quiet() -> None:
    assert findings("T-STRIDE-022", _published(False)) == {}
    assert findings("T-STRIDE-022", _published(True, "internal")) == {}


def test_a_store_stated_to_keep_credentials_in_public_counts_without_a_flow() -> None:
    system = system_of([{"id": "wiki", "name": "Public wiki", "kind": "knowledge_source",
                         "classification": "public", "holds_credentials": True}], [])
    assert "kept in Public wiki" in findings("T-STRIDE-022", system)["T-STRIDE-022@wiki"].title


def test_a_taken_over_account_reaches_the_stores_its_service_writes() -> None:
    system = system_of([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "hub", "name": "Hub API", "kind": "process", "exposure": "internet", "authenticated": True},
        {"id": "repos", "name": "Model repositories", "kind": "data_store"},
        {"id": "private", "name": "Private models", "kind": "data_store"},
    ], [("user", "hub", False), ("hub", "repos", False), ("private", "hub", False)])
    threat = findings("T-STRIDE-013", system)["T-STRIDE-013@hub"]
    assert "repos" in threat.elements and "private" not in threat.elements


def _screened(provenance: str | None) -> System:
    hub: dict[str, Any] = {"id": "hub", "name": "Model hub", "kind": "model_provider"}
    if provenance:
        hub["model_provenance"] = provenance
    return system_of([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "app", "name": "App", "kind": "process"},
        {"id": "filter", "name": "Safety filter", "kind": "guardrail"},
        {"id": "model", "name": "Model", "kind": "llm"},
        hub,
    ], [("user", "app", False), ("app", "filter", False), ("filter", "model", False), ("hub", "filter", False)])


def test_a_guardrail_loaded_from_published_weights_can_be_studied_offline() -> None:
    threat = findings("T-LLM-022", _screened("open_weights_unverified"))["T-LLM-022@filter"]
    assert {"atlas:AML.T0044", "atlas:AML.T0013"} <= set(threat.references)
    assert threat.likelihood > findings("T-LLM-022", _screened(None))["T-LLM-022@filter"].likelihood


def test_a_guardrail_from_a_vendor_api_is_no_white_box() -> None:
    refs = findings("T-LLM-022", _screened("vendor_api"))["T-LLM-022@filter"].references
    assert "atlas:AML.T0044" not in refs


def _spawner(kind: str) -> System:
    return system_of([
        {"id": "page", "name": "Web page", "kind": "external_entity"},
        {"id": "server", "name": "Tool server", "kind": kind},
        {"id": "host", "name": "Host", "kind": "process", "executes_code": True, "holds_credentials": True},
    ], [("page", "server", False), ("server", "host", False)])


def test_a_tool_server_starting_commands_on_a_host_risks_argument_injection() -> None:
    threats = findings("T-STRIDE-006", _spawner("mcp_server"))
    assert "cwe:CWE-88" in threats["T-STRIDE-006@server"].references


def test_a_plain_process_commanding_a_host_carries_no_argument_injection() -> None:
    refs = findings("T-STRIDE-006", _spawner("process"))["T-STRIDE-006@server"].references
    assert "atlas:AML.T0112" in refs and "cwe:CWE-88" not in refs


def _recogniser(decides_access: bool) -> System:
    return system_of([
        {"id": "caller", "name": "Caller", "kind": "external_entity"},
        {"id": "voice", "name": "Speaker verification", "kind": "ml_model", "physical_input": True,
         "decides_access": decides_access},
    ], [("caller", "voice", False)])


def test_a_copyable_trait_that_alone_lets_someone_in_is_single_factor_authentication() -> None:
    refs = findings("T-ML-004", _recogniser(True))["T-ML-004@voice"].references
    assert {"cwe:CWE-287", "cwe:CWE-308", "cwe:CWE-290"} <= set(refs)
    assert "cwe:CWE-287" not in findings("T-ML-004", _recogniser(False))["T-ML-004@voice"].references


def _memory(classification: str | None) -> System:
    memory: dict[str, Any] = {"id": "memory", "name": "Memories of chats", "kind": "memory"}
    if classification:
        memory["classification"] = classification
    return system_of([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "backend", "name": "Chat backend", "kind": "process"},
        {"id": "model", "name": "Model", "kind": "llm", "logs_prompts": False},
        memory,
    ], [("user", "backend", False), ("backend", "model", True), ("backend", "memory", True)])


def test_a_memory_of_personal_conversations_is_a_prompt_log() -> None:
    threat = findings("T-LLM-005", _memory("personal"))["T-LLM-005@memory"]
    assert "backend" in threat.elements and threat.title == "Prompts with sensitive data kept in Memories of chats"


def test_a_memory_whose_content_is_not_stated_sensitive_is_left_alone() -> None:
    assert "T-LLM-005@memory" not in findings("T-LLM-005", _memory(None))
    assert "T-LLM-005@memory" not in findings("T-LLM-005", _memory("internal"))
