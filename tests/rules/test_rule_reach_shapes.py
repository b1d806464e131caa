"""Conditions that follow how people draw systems: an orchestrator drawn as a retriever runs a model's tool calls,
an index built from received mail returns what outsiders wrote, and a finding names every element it is about
(the model an agent drives, the front end showing its answers, the steps weights pass through)."""

from __future__ import annotations

from .helpers import findings, system_of

MAIL = [
    {"id": "sender", "name": "Sender", "kind": "external_entity"},
    {"id": "mailbox", "name": "Mailbox", "kind": "knowledge_source", "untrusted_content": True},
    {"id": "index", "name": "Search index", "kind": "vector_store"},
    {"id": "search", "name": "Search tool", "kind": "tool", "permissions": ["read"], "acts_on": "index"},
    {"id": "agent", "name": "Agent", "kind": "agent"},
]


def test_a_tool_over_an_index_built_from_outsiders_mail_returns_their_content() -> None:
    system = system_of(MAIL, [("sender", "mailbox", False), ("mailbox", "index", False), ("agent", "search", True),
                            ("search", "index", True)])
    threat = findings("T-LLM-003", system)["T-LLM-003@agent"]
    assert "mailbox" in threat.elements and not threat.assumptions
    assert "atlas:AML.T0068" in threat.references
    internal = system_of([*MAIL[2:], {"id": "files", "name": "Policy files", "kind": "knowledge_source",
                                    "untrusted_content": False}],
                       [("files", "index", False), ("agent", "search", True), ("search", "index", True)])
    unknown = findings("T-LLM-003", internal)["T-LLM-003@agent"]  # the index's own trust is not stated
    assert unknown.assumptions and unknown.likelihood < threat.likelihood


ORCHESTRATED = [
    {"id": "user", "name": "Analyst", "kind": "external_entity"},
    {"id": "core", "name": "Orchestrator", "kind": "retriever"},
    {"id": "llm", "name": "SQL model", "kind": "llm", "output_rendered_as": ["sql", "code"]},
    {"id": "run-sql", "name": "SQL runner", "kind": "tool", "permissions": ["read", "write"], "acts_on": "db"},
    {"id": "exec", "name": "Chart code runner", "kind": "tool", "permissions": ["execute"]},
    {"id": "db", "name": "Business database", "kind": "data_store", "classification": "confidential"},
]
ORCHESTRATED_FLOWS = [("user", "core", False), ("core", "llm", True), ("core", "run-sql", False),
                      ("run-sql", "db", True), ("core", "exec", False)]


def test_an_orchestrator_drawn_as_a_retriever_runs_the_models_tool_calls() -> None:
    system = system_of(ORCHESTRATED, ORCHESTRATED_FLOWS)
    assert "T-AGENT-001@run-sql" in findings("T-AGENT-001", system)
    assert findings("T-LLM-009", system)["T-LLM-009@llm"].elements == ["llm", "db"]
    assert findings("T-LLM-011", system) == {}  # the execute tool carries it (T-AGENT-005)
    assert "T-AGENT-005@exec" in findings("T-AGENT-005", system)
    no_model = system_of([e for e in ORCHESTRATED if e["id"] != "llm"],
                         [f for f in ORCHESTRATED_FLOWS if "llm" not in f])
    assert findings("T-AGENT-001", no_model) == {}


ANSWERS = [
    {"id": "employee", "name": "Employee", "kind": "external_entity"},
    {"id": "client", "name": "Chat client", "kind": "process"},
    {"id": "agent", "name": "Assistant", "kind": "agent"},
    {"id": "llm", "name": "Assistant model", "kind": "llm"},
    {"id": "docs", "name": "Shared documents", "kind": "knowledge_source"},
]


def test_unchecked_answers_name_the_driven_model_and_the_front_end() -> None:
    flows = [("employee", "client", False), ("client", "agent", True), ("agent", "llm", True), ("docs", "agent", False)]
    threat = findings("T-LLM-013", system_of(ANSWERS, flows))["T-LLM-013@agent"]
    assert {"llm", "client", "employee"} <= set(threat.elements)
    assert "atlas:AML.T0067" not in threat.references  # nothing says outsiders write the documents
    outside = [*ANSWERS[:4], {**ANSWERS[4], "untrusted_content": True}]
    assert "atlas:AML.T0067" in findings("T-LLM-013", system_of(outside, flows))["T-LLM-013@agent"].references


def test_a_shared_index_names_the_retrievers_that_query_it() -> None:
    system = system_of([{"id": "rag", "name": "Orchestrator", "kind": "retriever"},
                      {"id": "index", "name": "Shared index", "kind": "vector_store", "multi_tenant": True},
                      {"id": "ingest", "name": "Ingestion", "kind": "embedding_pipeline"}],
                     [("rag", "index", True), ("ingest", "index", False)])
    assert findings("T-LLM-007", system)["T-LLM-007@index"].elements == ["index", "rag"]


PROVIDER = [
    {"id": "app", "name": "App back end", "kind": "process"},
    {"id": "llm", "name": "Hosted model", "kind": "llm"},
    {"id": "vendor", "name": "Model vendor", "kind": "model_provider", "model_provenance": "vendor_api"},
    {"id": "user", "name": "User", "kind": "external_entity"},
]


def test_a_providers_key_finding_names_its_models_and_cloud_discovery() -> None:
    system = system_of(PROVIDER, [("user", "app", False), ("app", "llm", True), ("llm", "vendor", False)])
    threat = findings("T-LLM-021", system)["T-LLM-021@vendor"]
    assert {"llm", "app"} <= set(threat.elements)
    assert "atlas:AML.T0075" in threat.references
    dependency = findings("T-DATA-001", system)["T-DATA-001@vendor"]
    assert {"llm", "app"} <= set(dependency.elements)  # the feature built on it is named


def test_unverified_weights_name_the_steps_they_pass_but_not_the_callers() -> None:
    system = system_of([
        {"id": "hub", "name": "Model hub", "kind": "model_provider", "model_provenance": "open_weights_unverified"},
        {"id": "download", "name": "Download step", "kind": "process"},
        {"id": "eval", "name": "Benchmark step", "kind": "process"},
        {"id": "llm", "name": "Served model", "kind": "llm", "model_provenance": "open_weights_unverified"},
        {"id": "app", "name": "Chat app", "kind": "process"},
        {"id": "user", "name": "Student", "kind": "external_entity"},
    ], [("hub", "download", False), ("download", "eval", False), ("eval", "llm", False), ("user", "app", False),
        ("app", "llm", True)])
    found = findings("T-DATA-002", system)
    for threat in found.values():
        assert {"download", "eval"} <= set(threat.elements)
        assert "app" not in threat.elements


UPLOADS = [
    {"id": "submitter", "name": "Submitter", "kind": "external_entity"},
    {"id": "intake", "name": "Upload API", "kind": "process", "exposure": "internet"},
    {"id": "files", "name": "Uploaded files", "kind": "data_store"},
    {"id": "parser", "name": "Parser", "kind": "process"},
    {"id": "llm", "name": "Analyser", "kind": "llm"},
]
UPLOAD_FLOWS = [("submitter", "intake", False), ("intake", "files", False), ("files", "parser", False),
                ("parser", "llm", False)]


def test_what_an_exposed_api_stores_from_outsiders_is_untrusted_content_later() -> None:
    threat = findings("T-LLM-002", system_of(UPLOADS, UPLOAD_FLOWS))["T-LLM-002@llm"]
    assert "files" in threat.elements
    stated = [*UPLOADS[:2], {**UPLOADS[2], "untrusted_content": False}, *UPLOADS[3:]]
    assert findings("T-LLM-002", system_of(stated, UPLOAD_FLOWS)) == {}
    # the store is read by the model's process, not written from an application outsiders reach
    internal = [UPLOADS[0], {**UPLOADS[1], "exposure": "internal"}, *UPLOADS[2:]]
    internal_flows = UPLOAD_FLOWS[1:]
    assert findings("T-LLM-002", system_of(internal, internal_flows)) == {}


def test_approval_fatigue_names_the_queue_a_person_works_in() -> None:
    elements = [
        {"id": "agent", "name": "Deploy agent", "kind": "agent", "permissions": ["write"],
         "human_approval_required": True},
        {"id": "queue", "name": "Approval queue", "kind": "process"},
        {"id": "sre", "name": "Reviewer", "kind": "external_entity"},
        {"id": "metrics", "name": "Metrics exporter", "kind": "process"},
    ]
    flows = [("agent", "queue", False), ("sre", "queue", False), ("queue", "agent", False), ("agent", "metrics", False)]
    threat = findings("T-AGENT-011", system_of(elements, flows))["T-AGENT-011@agent"]
    assert {"queue", "sre"} <= set(threat.elements) and "metrics" not in threat.elements


def test_an_mcp_server_returns_what_its_tools_fetch() -> None:
    elements = [
        {"id": "agent", "name": "Agent", "kind": "agent"},
        {"id": "server", "name": "Scraper server", "kind": "mcp_server"},
        {"id": "scrape", "name": "scrape_url", "kind": "tool", "server": "server", "permissions": ["read"],
         "acts_on": "page"},
        {"id": "page", "name": "Web page", "kind": "knowledge_source", "untrusted_content": True},
    ]
    flows = [("agent", "server", False), ("page", "scrape", False), ("server", "agent", False)]
    threat = findings("T-LLM-003", system_of(elements, flows))["T-LLM-003@agent"]
    assert "page" in threat.elements and not threat.assumptions
