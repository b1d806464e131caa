"""A rule whose deciding fact is unstated raises its finding with an assumption naming that fact, one step less
likely than when the fact is stated unsafe, and stays quiet when the model states the defence."""

from __future__ import annotations

from typing import Any

import pytest
from tests.rules.helpers import findings, system_of


def _credential_store(**facts: Any) -> dict[str, Any]:
    return {"id": "users", "name": "User accounts DB", "kind": "data_store", "holds_credentials": True, **facts}


def _plaintext_credentials(**facts: Any) -> dict[str, Any]:
    system = system_of([{"id": "api", "name": "API", "kind": "process"}, _credential_store(**facts)],
                       [("api", "users", True)])
    return {t.id: t for t in findings("T-STRIDE-007", system).values()}


def _cookie_console(person: dict[str, Any], **facts: Any) -> dict[str, Any]:
    console = {"id": "console", "name": "Admin console", "kind": "process", "session_cookies": True, **facts}
    return findings("T-STRIDE-019", system_of([person, console], [("admin", "console", False)]))


def _artefact_loader(**store_facts: Any) -> dict[str, Any]:
    elements = [{"id": "member", "name": "Project member", "kind": "external_entity"},
                {"id": "files", "name": "Artefact server", "kind": "data_store", **store_facts},
                {"id": "worker", "name": "Evaluation worker", "kind": "process", "executes_code": True,
                 "egress_restricted": True}]
    return findings("T-DATA-012", system_of(elements, [("member", "files", False), ("files", "worker", False)]))


def _hub_loader(**facts: Any) -> dict[str, Any]:
    elements = [{"id": "hub", "name": "Public model hub", "kind": "registry"},
                {"id": "worker", "name": "Model download job", "kind": "process", "egress_restricted": True, **facts}]
    return findings("T-DATA-012", system_of(elements, [("hub", "worker", False)]))


CASES = [
    ("T-STRIDE-007@users", _plaintext_credentials, {"encrypted_at_rest": False}, {}, {"encrypted_at_rest": True},
     "(encrypted_at_rest)"),
    ("T-DATA-012@worker", _artefact_loader, {"untrusted_content": True}, {}, {"untrusted_content": False},
     "(untrusted_content)"),
    ("T-DATA-012@worker", _hub_loader, {"executes_code": True}, {}, {"executes_code": False}, "(executes_code)"),
]


@pytest.mark.parametrize(("finding", "build", "unsafe", "unstated", "safe", "named"), CASES,
                         ids=[f"{c[0]}-{c[5]}" for c in CASES])
def test_unstated_fact_is_assumed_one_step_lower(finding, build, unsafe, unstated, safe, named):  # type: ignore[no-untyped-def]
    stated = build(**unsafe)[finding]
    assumed = build(**unstated)[finding]
    assert assumed.likelihood == stated.likelihood - 1
    assert any(named in text for text in assumed.assumptions)
    assert not any(named in text for text in stated.assumptions)
    assert finding not in build(**safe)


def test_people_uploading_to_a_store_that_needs_sign_in_is_not_assumed_hostile():
    assert _artefact_loader(authenticated=True) == {}
    assumed = _artefact_loader()["T-DATA-012@worker"]
    assert any("(authenticated)" in text for text in assumed.assumptions)


def test_cookie_session_without_a_drawn_browser_is_assumed_one_step_lower():
    drawn = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity", "browser": True},
                            cross_origin_checked=False)["T-STRIDE-019@console"]
    assumed = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity"},
                              cross_origin_checked=False)["T-STRIDE-019@console"]
    assert assumed.likelihood == drawn.likelihood - 1
    assert any("(browser)" in text for text in assumed.assumptions)
    assert "web browsers of Administrator" in assumed.title
    quiet = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity"},
                            cross_origin_checked=True)
    assert quiet == {}
    not_a_browser = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity",
                                     "browser": False})
    assert not_a_browser == {}


def test_credential_store_with_a_classification_keeps_its_own_wording_and_one_step_down():
    threat = _plaintext_credentials(classification="confidential")["T-STRIDE-007@users"]
    assert "confidential" in threat.title
    assert [f.fact for f in threat.factors if f.delta == -1] == ["users.encrypted_at_rest=unset"]


def test_a_store_both_loaded_and_beside_the_loader_is_named_once():
    elements = [{"id": "member", "name": "Project member", "kind": "external_entity"},
                {"id": "registry", "name": "Model registry", "kind": "data_store"},
                {"id": "job", "name": "Training job", "kind": "fine_tuning_pipeline", "executes_code": True}]
    system = system_of(elements, [("member", "registry", False), ("registry", "job", True)])
    threat = findings("T-DATA-012", system)["T-DATA-012@job"]
    assert threat.elements.count("registry") == 1


def test_a_person_with_two_flows_to_the_service_is_named_once():
    system = system_of([{"id": "admin", "name": "Administrator", "kind": "external_entity"},
                        {"id": "console", "name": "Admin console", "kind": "process", "session_cookies": True}],
                       [("admin", "console", False), ("admin", "console", True)])
    threat = findings("T-STRIDE-019", system)["T-STRIDE-019@console"]
    assert threat.title.count("Administrator") == 1


def _shared_samples_ui(**facts: Any) -> dict[str, Any]:
    elements = [{"id": "engineer", "name": "ML engineer", "kind": "external_entity"},
                {"id": "uploader", "name": "Other member", "kind": "external_entity"},
                {"id": "ui", "name": "Tracker web UI", "kind": "process", "session_cookies": True, **facts},
                {"id": "samples", "name": "Sample server", "kind": "data_store"}]
    return findings("T-STRIDE-023", system_of(elements, [("engineer", "ui", False), ("uploader", "samples", False),
                                                         ("samples", "ui", False)]))


def test_unencoded_pages_are_assumed_one_step_lower():
    stated = _shared_samples_ui(output_encoded=False)["T-STRIDE-023@ui"]
    assumed = _shared_samples_ui()["T-STRIDE-023@ui"]
    assert assumed.likelihood == stated.likelihood - 1
    assert any("(output_encoded)" in text for text in assumed.assumptions)
    assert "cwe:CWE-79" in assumed.references
    assert _shared_samples_ui(output_encoded=True) == {}


def test_pages_showing_only_what_their_own_users_wrote_are_quiet():
    elements = [{"id": "engineer", "name": "ML engineer", "kind": "external_entity"},
                {"id": "ui", "name": "Tracker web UI", "kind": "process", "session_cookies": True},
                {"id": "notes", "name": "Notes DB", "kind": "data_store"}]
    system = system_of(elements, [("engineer", "ui", False), ("engineer", "notes", False), ("notes", "ui", False)])
    assert findings("T-STRIDE-023", system) == {}


QUERY = {"cwe:CWE-89", "cwe:CWE-943"}
PATH = {"cwe:CWE-22"}


def _steered_store_tool(tool_facts: dict[str, Any], server_facts: dict[str, Any] | None = None) -> dict[str, Any]:
    elements = [{"id": "customer", "name": "Customer", "kind": "external_entity"},
                {"id": "agent", "name": "Support agent", "kind": "agent"},
                {"id": "tool", "name": "Records tool", "kind": "tool", "permissions": ["read", "write"],
                 "acts_on": "records", "server": "srv", **tool_facts},
                {"id": "srv", "name": "Records MCP server", "kind": "mcp_server", **(server_facts or {})},
                {"id": "records", "name": "Customer records", "kind": "data_store", "classification": "personal"}]
    flows = [("customer", "agent", True), ("agent", "tool", True), ("tool", "records", True)]
    return findings("T-AGENT-002", system_of(elements, flows))


@pytest.mark.parametrize(("facts", "server", "wanted", "file_paths_assumed"), [
    ({}, {}, QUERY | PATH, True),
    ({"file_paths": True}, {}, PATH, False),
    ({"file_paths": False}, {}, QUERY, False),
    ({}, {"input_validation": False}, QUERY | PATH, True),
    ({}, {"input_validation": True}, set(), False),
])
def test_tool_arguments_reaching_a_store_fold_query_and_path_injection(facts, server, wanted, file_paths_assumed):  # type: ignore[no-untyped-def]
    threat = _steered_store_tool(facts, server)["T-AGENT-002@tool"]
    assert set(threat.references) & (QUERY | PATH) == wanted
    assert any("(file_paths)" in text for text in threat.assumptions) == file_paths_assumed
    assert ("path traversal" in threat.scenario) == bool(wanted & PATH)
    assert ("query injection" in threat.scenario) == bool(wanted & QUERY)


def _exposed_writer(**facts: Any) -> dict[str, Any]:
    elements = [{"id": "visitor", "name": "Visitor", "kind": "external_entity"},
                {"id": "form", "name": "Ticket form", "kind": "process", "exposure": "internet", **facts},
                {"id": "tickets", "name": "Tickets DB", "kind": "data_store", "classification": "personal"}]
    return findings("T-STRIDE-006", system_of(elements, [("visitor", "form", False), ("form", "tickets", False)]))


def test_outside_input_written_to_a_store_folds_injection_unless_validated():
    assumed = _exposed_writer()["T-STRIDE-006@form"]
    assert set(assumed.references) >= QUERY | PATH
    assert any("(input_validation)" in text for text in assumed.assumptions)
    stated = _exposed_writer(input_validation=False)["T-STRIDE-006@form"]
    assert not any("(input_validation)" in text for text in stated.assumptions)
    validated = _exposed_writer(input_validation=True)["T-STRIDE-006@form"]
    assert not set(validated.references) & (QUERY | PATH)


def test_artefacts_unpacked_from_an_upload_store_fold_path_traversal():
    assumed = _artefact_loader()["T-DATA-012@worker"]
    assert "cwe:CWE-22" in assumed.references
    assert "path traversal" in assumed.scenario

    def loader(**facts: Any) -> Any:
        elements = [{"id": "member", "name": "Project member", "kind": "external_entity"},
                    {"id": "files", "name": "Artefact server", "kind": "data_store"},
                    {"id": "worker", "name": "Evaluation worker", "kind": "process", "executes_code": True, **facts}]
        system = system_of(elements, [("member", "files", False), ("files", "worker", False)])
        return findings("T-DATA-012", system)["T-DATA-012@worker"]

    assert "cwe:CWE-22" not in loader(file_paths=False).references
    assert "cwe:CWE-22" not in loader(input_validation=True).references


def test_a_vendor_model_api_hands_over_no_files_to_assume_running():
    elements = [{"id": "vendor", "name": "Model vendor", "kind": "model_provider", "model_provenance": "vendor_api"},
                {"id": "app", "name": "Chat backend", "kind": "process"}]
    assert findings("T-DATA-012", system_of(elements, [("vendor", "app", True)])) == {}


PARSER = {"cwe:CWE-787", "cwe:CWE-125"}


def test_downloaded_model_files_are_assumed_to_reach_a_native_parser_unless_validated():
    def served(**facts: Any) -> Any:
        model = {"id": "model", "name": "Local model", "kind": "llm", "model_provenance": "open_weights_unverified",
                 **facts}
        return findings("T-DATA-002", system_of([model], []))["T-DATA-002@model"]

    assumed = served()
    assert set(assumed.references) >= PARSER
    assert any("(input_validation)" in text for text in assumed.assumptions)
    assert "out of bounds" in assumed.scenario
    assert not set(served(input_validation=True).references) & PARSER

    def loader(**facts: Any) -> Any:
        elements = [{"id": "hub", "name": "Model hub", "kind": "model_provider",
                     "model_provenance": "open_weights_unverified"},
                    {"id": "worker", "name": "Evaluation worker", "kind": "process", "executes_code": True, **facts}]
        return findings("T-DATA-012", system_of(elements, [("hub", "worker", False)]))["T-DATA-012@worker"]

    assert set(loader().references) >= PARSER
    assert not set(loader(input_validation=True).references) & PARSER
    assert not set(_artefact_loader()["T-DATA-012@worker"].references) & PARSER  # uploads, not a model's weights
