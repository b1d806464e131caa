"""References a finding carries only when a stated fact makes them true: an injected chat model can phish the
people it talks to, chat history written through an internet-facing API can be edited, a leaked platform key can
stop what the platform runs, and spreading queries over accounts still floods a rate-limited model."""

from __future__ import annotations

from typing import Any

from dicetm.model import System
from dicetm.pipeline.run import analyze

from .helpers import findings, system_of

PAGE_READER = [
    {"id": "user", "name": "User", "kind": "external_entity"},
    {"id": "page", "name": "Open web page", "kind": "knowledge_source", "untrusted_content": True},
    {"id": "chat", "name": "Chat model", "kind": "llm"},
]


def test_an_injected_model_that_talks_with_people_can_phish_them() -> None:
    system = system_of(PAGE_READER, [("user", "chat", True), ("page", "chat", False)])
    refs = findings("T-LLM-002", system)["T-LLM-002@chat"].references
    assert {"atlas:AML.T0052.000", "owasp-agentic:T15"} <= set(refs)


def test_a_batch_model_nobody_converses_with_is_no_social_engineer() -> None:
    system = system_of([*PAGE_READER, {"id": "report", "name": "Report store", "kind": "data_store"}],
                     [("page", "chat", False), ("chat", "report", False)])
    refs = findings("T-LLM-002", system)["T-LLM-002@chat"].references
    assert "atlas:AML.T0052.000" not in refs and "owasp-agentic:T15" not in refs


def _threads(exposure: str) -> System:
    return system_of([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "api", "name": "Chat API", "kind": "process", "exposure": exposure, "authenticated": True},
        {"id": "threads", "name": "Threads", "kind": "memory"},
        {"id": "chat", "name": "Chat model", "kind": "llm"},
    ], [("user", "api", False), ("api", "threads", True), ("api", "chat", True)])


def test_history_written_through_an_internet_api_can_be_edited_to_hide_an_injection() -> None:
    assert "atlas:AML.T0092" in findings("T-AGENT-006", _threads("internet"))["T-AGENT-006@threads"].references


def test_history_written_only_inside_the_network_carries_no_history_editing() -> None:
    assert "atlas:AML.T0092" not in findings("T-AGENT-006", _threads("internal"))["T-AGENT-006@threads"].references


def _platform(runs_component: bool) -> System:
    elements = [
        {"id": "builder", "name": "Build service", "kind": "process", "holds_credentials": True},
        {"id": "platform", "name": "Hosting platform API", "kind": "process", "third_party": True},
        {"id": "server", "name": "Hosted server", "kind": "mcp_server"},
    ]
    flows = [("builder", "platform", False)] + ([("platform", "server", False)] if runs_component else [])
    return system_of(elements, flows)


def test_a_leaked_platform_key_can_stop_what_the_platform_runs() -> None:
    threat = findings("T-LLM-021", _platform(True))["T-LLM-021@platform"]
    assert "atlas:AML.T0029" in threat.references and "server" in threat.elements
    assert "control of Hosted server" in threat.title


def test_a_key_to_a_service_that_runs_nothing_of_yours_is_no_denial_of_service() -> None:
    assert "atlas:AML.T0029" not in findings("T-LLM-021", _platform(False))["T-LLM-021@platform"].references


def test_rate_limits_evaded_with_many_accounts_still_flood_the_model() -> None:
    system = system_of([
        {"id": "customer", "name": "Customer", "kind": "external_entity"},
        {"id": "gateway", "name": "Gateway", "kind": "process", "exposure": "internet", "authenticated": True,
         "rate_limited": True},
        {"id": "model", "name": "Own model", "kind": "llm", "model_provenance": "in_house"},
    ], [("customer", "gateway", False), ("gateway", "model", True)])
    refs = findings("T-LLM-016", system)["T-LLM-016@model"].references
    assert {"atlas:AML.T0012", "atlas:AML.T0029"} <= set(refs)


def test_a_group_is_scored_as_its_riskiest_member_and_keeps_every_member() -> None:
    """Two unencrypted boundary crossings, one carrying confidential data: one threat, the higher score."""
    system = System.model_validate({
        "name": "group", "elements": [
            {"id": "a", "name": "A", "kind": "process"}, {"id": "b", "name": "B", "kind": "data_store"},
            {"id": "c", "name": "C", "kind": "process"}, {"id": "d", "name": "D", "kind": "data_store"}],
        "flows": [{"id": "f1", "source": "a", "target": "b", "encrypted": False},
                  {"id": "f2", "source": "c", "target": "d", "encrypted": False, "classification": "confidential"}],
        "trust_boundaries": [{"id": "z1", "name": "Z1", "elements": ["a", "c"]},
                             {"id": "z2", "name": "Z2", "elements": ["b", "d"]}]})
    full = {t.id: t for t in analyze(system, detail="full").threats if t.rule == "T-STRIDE-002"}
    grouped = [t for t in analyze(system).threats if t.rule == "T-STRIDE-002"]
    assert len(full) == 2 and len(grouped) == 1
    assert set(grouped[0].members) == set(full)
    assert grouped[0].score == max(t.score for t in full.values()) > min(t.score for t in full.values())


def _copilot(with_docs: bool) -> System:
    elements = [
        {"id": "sender", "name": "Sender", "kind": "external_entity", "untrusted_content": True},
        {"id": "mail", "name": "Mailbox", "kind": "data_store", "untrusted_content": True},
        {"id": "docs", "name": "Files", "kind": "data_store", "classification": "confidential"},
        {"id": "index", "name": "Search index", "kind": "retriever"},
        {"id": "orchestrator", "name": "Orchestrator", "kind": "process"},
        {"id": "model", "name": "Model", "kind": "llm", "output_rendered_as": ["markdown"],
         "classification": "confidential"},
        {"id": "user", "name": "User", "kind": "external_entity"},
    ]
    flows = [("sender", "mail", False), ("mail", "index", False), ("index", "orchestrator", False),
             ("orchestrator", "model", True), ("user", "orchestrator", True)]
    if with_docs:
        flows.append(("docs", "index", False))
    return system_of(elements, flows)


def test_one_index_mixing_outsiders_content_with_sensitive_data_is_named_on_the_trifecta() -> None:
    threat = findings("T-LLM-020", _copilot(True))["T-LLM-020@model"]
    assert "index" in threat.elements
    assert {"atlas:AML.T0085.000", "owasp-llm:LLM08:2025"} <= set(threat.references)


def test_an_index_holding_only_outsiders_content_mixes_nothing() -> None:
    threat = findings("T-LLM-020", _copilot(False))["T-LLM-020@model"]
    assert "atlas:AML.T0085.000" not in threat.references


def test_content_fetched_from_the_open_web_is_a_drive_by() -> None:
    web = {"id": "page", "name": "Web pages", "kind": "knowledge_source", "training_data_provenance": "public_web"}
    system = system_of([PAGE_READER[0], web, PAGE_READER[2]], [("user", "chat", True), ("page", "chat", False)])
    assert "atlas:AML.T0078" in findings("T-LLM-002", system)["T-LLM-002@chat"].references


def test_outside_content_of_a_source_outside_every_zone_is_a_drive_by_and_a_link_a_user_can_be_given() -> None:
    system = system_of(PAGE_READER, [("user", "chat", True), ("page", "chat", False)])
    refs = findings("T-LLM-002", system)["T-LLM-002@chat"].references
    assert {"atlas:AML.T0078", "atlas:AML.T0011.003"} <= set(refs)


def test_outside_content_kept_inside_the_organisation_is_no_drive_by() -> None:
    system = system_of(PAGE_READER, [("user", "chat", True), ("page", "chat", False)])
    zoned = System.model_validate({**system.model_dump(), "trust_boundaries": [
        {"id": "org", "name": "Organisation", "elements": ["page", "chat"]}]})
    assert "atlas:AML.T0078" not in findings("T-LLM-002", zoned)["T-LLM-002@chat"].references


def test_an_agent_that_drives_a_browser_meets_pages_by_drive_by() -> None:
    agent = {"id": "chat", "name": "Browsing agent", "kind": "agent", "computer_use": "browser"}
    system = system_of([*PAGE_READER[:2], agent], [("user", "chat", True), ("page", "chat", False)])
    assert "atlas:AML.T0078" in findings("T-LLM-002", system)["T-LLM-002@chat"].references


def _server(exposure: str | None, zoned: bool, protocol: str = "HTTP") -> System:
    api = {"id": "api", "name": "Model API", "kind": "process"}
    if exposure is not None:
        api["exposure"] = exposure
    return System.model_validate({
        "name": "server", "elements": [{"id": "client", "name": "API client", "kind": "external_entity"}, api],
        "flows": [{"id": "f0", "source": "client", "target": "api", "bidirectional": True, "protocol": protocol}],
        "trust_boundaries": [{"id": "host", "name": "Serving host", "elements": ["api"]}] if zoned else []})


def test_a_component_called_from_outside_every_zone_is_public_facing_unless_stated_otherwise() -> None:
    threat = findings("T-STRIDE-012", _server(None, zoned=True))["T-STRIDE-012@api"]
    assert "cwe:CWE-1327" in threat.references
    assert any("exposure" in a for a in threat.assumptions)
    assert "T-STRIDE-012@api" not in findings("T-STRIDE-012", _server("internal", zoned=True))


def test_a_person_at_a_local_app_is_no_caller_on_an_open_network() -> None:
    assert "T-STRIDE-012@api" not in findings("T-STRIDE-012", _server(None, zoned=True, protocol=""))
    stdio = _server(None, zoned=True, protocol="JSON-RPC over stdio")
    assert "T-STRIDE-012@api" not in findings("T-STRIDE-012", stdio)


def test_a_stated_internet_exposure_needs_no_binding_weakness() -> None:
    threat = findings("T-STRIDE-012", _server("internet", zoned=True))["T-STRIDE-012@api"]
    assert "cwe:CWE-1327" not in threat.references and not any("exposure" in a for a in threat.assumptions)


def _launcher(host_facts: dict[str, Any]) -> System:
    return System.model_validate({
        "name": "launcher", "elements": [
            {"id": "peer", "name": "Anyone on the network", "kind": "external_entity"},
            {"id": "proxy", "name": "Local proxy", "kind": "process", "authenticated": False},
            {"id": "host", "name": "Workstation", "kind": "process", **host_facts}],
        "flows": [{"id": "f0", "source": "peer", "target": "proxy"},
                  {"id": "f1", "source": "proxy", "target": "host", "data": "commands to run"}],
        "trust_boundaries": [{"id": "box", "name": "Workstation", "elements": ["proxy", "host"]}]})


def test_commands_sent_to_a_machine_holding_credentials_take_it_over() -> None:
    threat = findings("T-STRIDE-006", _launcher({"executes_code": True, "holds_credentials": True}))
    assert {"atlas:AML.T0112", "atlas:AML.T0055"} <= set(threat["T-STRIDE-006@proxy"].references)


def test_a_machine_not_stated_to_run_code_or_hold_anything_is_no_takeover() -> None:
    assert not findings("T-STRIDE-006", _launcher({"holds_credentials": True}))
    assert not findings("T-STRIDE-006", _launcher({"executes_code": True}))


def _server_loading(model_kind: str) -> System:
    return system_of([
        {"id": "hub", "name": "Model hub", "kind": "registry", "third_party": True},
        {"id": "weights", "name": "Downloaded model", "kind": model_kind,
         "model_provenance": "open_weights_unverified"},
        {"id": "server", "name": "Inference server", "kind": "process", "executes_code": True, "sandboxed": False},
    ], [("hub", "weights", False), ("weights", "server", False)])


def test_a_downloaded_language_model_brings_a_chat_template_the_server_renders() -> None:
    assert "cwe:CWE-1336" in findings("T-DATA-012", _server_loading("llm"))["T-DATA-012@server"].references


def _delegation(worker_acts: bool) -> System:
    elements: list[dict[str, Any]] = [
        {"id": "user", "name": "Customer", "kind": "external_entity"},
        {"id": "front", "name": "Front agent", "kind": "agent"},
        {"id": "worker", "name": "Billing agent", "kind": "agent"},
        {"id": "refund", "name": "Refund tool", "kind": "tool", "permissions": ["write" if worker_acts else "read"]},
    ]
    return system_of(elements, [("user", "front", True), ("front", "worker", False), ("worker", "refund", False)])


def test_outsiders_reaching_a_peer_of_an_acting_agent_can_attack_through_delegation() -> None:
    assert "owasp-agentic:T14" in findings("T-AGENT-008", _delegation(True))["T-AGENT-008@worker"].references
    assert "owasp-agentic:T14" not in findings("T-AGENT-008", _delegation(False))["T-AGENT-008@worker"].references
