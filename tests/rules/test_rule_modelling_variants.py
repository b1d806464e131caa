"""The same system drawn the ways people draw it: a rule fires on each variant a reviewer would call the same
thing, and stays quiet on the close variant where the threat is really absent.

- output people read from a store (drafted reviews, a transcript opened in a console) reaches them;
- the reply to a request drawn in one direction only (agent -> tool, retriever -> index) comes back;
- other users' records a tool fetches are sensitive information disclosure.
"""

from __future__ import annotations

from typing import Any

from dicetm.model import System, Threat
from dicetm.rules.base import build_threat
from dicetm.rules.registry import rule_by_id


def _system(elements: list[dict[str, Any]], flows: list[tuple[str, str]]) -> System:
    return System.model_validate({
        "name": "variant", "elements": elements,
        "flows": [{"id": f"f{i}", "source": a, "target": b} for i, (a, b) in enumerate(flows)]})


def _findings(rule_id: str, system: System) -> dict[str, Threat]:
    rule = rule_by_id()[rule_id]
    return {t.id: t for t in (build_threat(rule.meta, hit, system, "test") for hit in rule.evaluate(system))}


REVIEWS = [
    {"id": "author", "name": "Author", "kind": "external_entity"},
    {"id": "intake", "name": "Submission intake", "kind": "process"},
    {"id": "referee", "name": "LLM referee", "kind": "llm"},
    {"id": "reviews", "name": "Drafted reviews", "kind": "data_store"},
    {"id": "chair", "name": "Area chair", "kind": "external_entity"},
    {"id": "ranking", "name": "Ranking job", "kind": "process"},
]


def test_answers_people_read_from_a_store_are_relied_on() -> None:
    read = _system(REVIEWS, [("author", "intake"), ("intake", "referee"), ("referee", "reviews"),
                             ("reviews", "chair")])
    threat = _findings("T-LLM-013", read)["T-LLM-013@referee"]
    assert {"reviews", "chair"} <= set(threat.elements)
    assert "owasp-llm:LLM09:2025" in threat.references
    unread = _system(REVIEWS, [("author", "intake"), ("intake", "referee"), ("referee", "reviews"),
                               ("reviews", "ranking")])
    assert _findings("T-LLM-013", unread) == {}  # nobody reads them: T-LLM-018's automated steps


CONSOLE = [
    {"id": "visitor", "name": "Visitor", "kind": "external_entity"},
    {"id": "widget", "name": "Chat widget", "kind": "process", "output_rendered_as": ["html"]},
    {"id": "bot", "name": "Support model", "kind": "llm", "output_rendered_as": ["html"]},
    {"id": "transcripts", "name": "Transcripts", "kind": "data_store"},
    {"id": "console", "name": "Agent console", "kind": "process", "output_rendered_as": ["html"]},
    {"id": "archiver", "name": "Archiver", "kind": "process"},
]


def test_markup_kept_in_a_store_names_the_console_that_shows_it_again() -> None:
    stored = _system(CONSOLE, [("visitor", "widget"), ("widget", "bot"), ("bot", "widget"),
                               ("bot", "transcripts"), ("transcripts", "console")])
    threat = _findings("T-LLM-008", stored)["T-LLM-008@bot"]
    assert {"widget", "console"} <= set(threat.elements)
    assert "Agent console" in threat.scenario and "stored payload" in threat.scenario
    archived = _system([e for e in CONSOLE if e["id"] != "console"],
                       [("visitor", "widget"), ("widget", "bot"), ("bot", "widget"), ("bot", "transcripts"),
                        ("transcripts", "archiver")])
    quiet = _findings("T-LLM-008", archived)["T-LLM-008@bot"]
    assert "archiver" not in quiet.elements and "stored payload" not in quiet.scenario


SEARCH = [
    {"id": "user", "name": "Employee", "kind": "external_entity"},
    {"id": "agent", "name": "Assistant", "kind": "agent"},
    {"id": "search", "name": "Web search tool", "kind": "tool", "permissions": ["read"], "acts_on": "web"},
    {"id": "web", "name": "Web pages", "kind": "knowledge_source", "untrusted_content": True},
]


def test_a_tool_drawn_only_as_a_call_still_returns_its_results() -> None:
    call_only = _system(SEARCH, [("user", "agent"), ("agent", "search"), ("search", "web")])
    threat = _findings("T-LLM-003", call_only)["T-LLM-003@agent"]
    assert {"search", "web"} <= set(threat.elements)
    writes_only = [*SEARCH[:2], {**SEARCH[2], "permissions": ["write"]}, SEARCH[3]]
    assert _findings("T-LLM-003", _system(writes_only, [("user", "agent"), ("agent", "search"),
                                                        ("search", "web")])) == {}


RETRIEVAL = [
    {"id": "user", "name": "Employee", "kind": "external_entity"},
    {"id": "model", "name": "Assistant model", "kind": "llm"},
    {"id": "retriever", "name": "Retriever", "kind": "retriever"},
    {"id": "index", "name": "Index", "kind": "vector_store", "untrusted_content": True},
]


def test_a_retriever_drawn_only_as_queries_still_brings_the_index_content() -> None:
    queries = _system(RETRIEVAL, [("user", "model"), ("model", "retriever"), ("retriever", "index")])
    assert "T-LLM-002@model" in _findings("T-LLM-002", queries)
    unlinked = _system(RETRIEVAL, [("user", "model"), ("retriever", "index")])
    assert _findings("T-LLM-002", unlinked) == {}


def test_other_users_records_fetched_by_a_tool_are_disclosure() -> None:
    system = _system([
        {"id": "user", "name": "Customer", "kind": "external_entity"},
        {"id": "agent", "name": "Agent", "kind": "agent"},
        {"id": "lookup", "name": "Order lookup", "kind": "tool", "permissions": ["read"], "acts_on": "orders"},
        {"id": "orders", "name": "Orders", "kind": "data_store", "classification": "personal"},
    ], [("user", "agent"), ("agent", "lookup"), ("lookup", "orders")])
    threat = _findings("T-AGENT-004", system)["T-AGENT-004@lookup"]
    assert {"owasp-llm:LLM02:2025", "owasp-llm:LLM02:2026"} <= set(threat.references)
    assert "atlas:AML.T0055" not in threat.references  # no secrets there


BROWSER = [
    {"id": "user", "name": "User", "kind": "external_entity"},
    {"id": "ui", "name": "Task UI", "kind": "process"},
    {"id": "cua", "name": "Browser agent", "kind": "agent", "computer_use": "browser"},
    {"id": "browser", "name": "Hosted browser", "kind": "process", "holds_credentials": True},
    {"id": "accounts", "name": "User's web accounts", "kind": "data_store", "classification": "personal"},
]
BROWSER_FLOWS = [("user", "ui"), ("ui", "cua"), ("cua", "browser"), ("browser", "accounts")]


def test_an_agent_driving_a_browser_acts_in_and_reads_what_the_browser_is_logged_in_to() -> None:
    system = _system(BROWSER, BROWSER_FLOWS)
    acting = _findings("T-AGENT-012", system)["T-AGENT-012@cua"]
    assert {"browser", "accounts"} <= set(acting.elements) and "ui" not in acting.elements
    assert any("drives a browser" in a for a in acting.assumptions)
    reading = _findings("T-AGENT-013", system)["T-AGENT-013@cua"]
    assert "browser" in reading.elements and "owasp-llm:LLM02:2025" in reading.references
    no_screen = _system([*BROWSER[:2], {**BROWSER[2], "computer_use": "none"}, *BROWSER[3:]], BROWSER_FLOWS)
    assert _findings("T-AGENT-012", no_screen) == {} and _findings("T-AGENT-013", no_screen) == {}
    nothing_behind = _system(BROWSER[:3], BROWSER_FLOWS[:2])  # what a page makes it do is T-ECO-007's
    assert _findings("T-AGENT-012", nothing_behind) == {}


def test_unverified_weights_name_the_repository_and_workstation_they_pass_through() -> None:
    system = _system([
        {"id": "hub", "name": "Model hub", "kind": "model_provider", "model_provenance": "open_weights_unverified"},
        {"id": "repo", "name": "Organisation's model repository", "kind": "data_store", "third_party": True},
        {"id": "notebook", "name": "Notebook", "kind": "process", "executes_code": True},
        {"id": "tuning", "name": "Fine-tuning job", "kind": "fine_tuning_pipeline"},
        {"id": "results", "name": "Experiment results", "kind": "data_store"},
    ], [("hub", "repo"), ("repo", "notebook"), ("notebook", "tuning"), ("notebook", "results")])
    threat = _findings("T-DATA-002", system)["T-DATA-002@hub"]
    assert {"repo", "notebook"} <= set(threat.elements)
    assert "results" not in threat.elements  # weights do not pass through it on their way to a loader


MODEL_API = [
    {"id": "customer", "name": "API customer", "kind": "external_entity"},
    {"id": "signup", "name": "Account sign-up", "kind": "process", "exposure": "internet"},
    {"id": "gateway", "name": "Model API", "kind": "process", "exposure": "internet", "authenticated": True},
    {"id": "model", "name": "Frontier model", "kind": "llm", "model_provenance": "in_house"},
]


def test_accounts_in_front_of_a_model_are_a_policy_to_evade_despite_an_open_sign_up() -> None:
    system = _system(MODEL_API, [("customer", "signup"), ("signup", "gateway"), ("customer", "gateway"),
                                 ("gateway", "model")])
    threat = _findings("T-LLM-016", system)["T-LLM-016@model"]
    assert "gateway" in threat.elements and "atlas:AML.T0008.005" in threat.references
    assert not any(f.fact.endswith("authenticated=unset") for f in threat.factors)
    open_gateway = [*MODEL_API[:2], {**MODEL_API[2], "authenticated": False}, MODEL_API[3]]
    assert _findings("T-LLM-016", _system(open_gateway, [("customer", "signup"), ("signup", "gateway"),
                                                         ("customer", "gateway"), ("gateway", "model")])) == {}


MARKETPLACE = [
    {"id": "repo", "name": "Extension source", "kind": "data_store"},
    {"id": "release", "name": "Release pipeline", "kind": "process"},
    {"id": "market", "name": "Extension marketplace", "kind": "registry"},
    {"id": "extension", "name": "IDE extension", "kind": "tool", "installed_from": "market"},
    {"id": "developer", "name": "Developer", "kind": "external_entity"},
]


def test_a_release_pipeline_publishing_to_a_marketplace_is_part_of_its_supply_chain() -> None:
    signed_in = _system(MARKETPLACE, [("repo", "release"), ("release", "market"), ("market", "extension"),
                                      ("developer", "extension")])
    signed_in.flows[1].authenticated = True
    registry = _findings("T-ECO-002", signed_in)["T-ECO-002@market"]
    assert {"release", "repo"} <= set(registry.elements) and "Release pipeline" in registry.scenario
    key = _findings("T-LLM-021", signed_in)["T-LLM-021@market"]
    assert key.elements == ["market", "release"] and "publishing new versions" in key.title
    unsigned = _system(MARKETPLACE, [("repo", "release"), ("release", "market"), ("market", "extension"),
                                     ("developer", "extension")])
    assert "T-LLM-021@market" not in _findings("T-LLM-021", unsigned)  # fetching needs no key
    installs_only = _system(MARKETPLACE, [("market", "extension"), ("developer", "extension")])
    assert {"release", "repo"}.isdisjoint(_findings("T-ECO-002", installs_only)["T-ECO-002@market"].elements)


def test_server_side_requests_into_another_zone_or_from_the_web_carry_ssrf() -> None:
    elements = [
        {"id": "user", "name": "Analyst", "kind": "external_entity"},
        {"id": "api", "name": "Public API", "kind": "process", "exposure": "internet"},
        {"id": "internal", "name": "Internal services", "kind": "external_entity"},
        {"id": "internet-site", "name": "Partner site", "kind": "external_entity"},
    ]
    zoned = System.model_validate({
        "name": "ssrf", "elements": elements,
        "flows": [{"id": "f1", "source": "user", "target": "api"}, {"id": "f2", "source": "api", "target": "internal"},
                  {"id": "f3", "source": "api", "target": "internet-site"}],
        "trust_boundaries": [{"id": "app", "name": "App", "elements": ["api"]},
                             {"id": "corp", "name": "Internal network", "elements": ["internal"]}]})
    exposed = _findings("T-STRIDE-012", zoned)["T-STRIDE-012@api"]
    assert "cwe:CWE-918" in exposed.references and "internal" in exposed.elements
    assert "internet-site" not in exposed.elements  # the open internet is reachable without the app
    flat = _findings("T-STRIDE-012", _system(elements, [("user", "api"), ("api", "internal")]))["T-STRIDE-012@api"]
    assert "cwe:CWE-918" not in flat.references  # no zone behind it

    fetch = [
        {"id": "user", "name": "Employee", "kind": "external_entity"},
        {"id": "agent", "name": "Assistant", "kind": "agent"},
        {"id": "fetch", "name": "Web fetch tool", "kind": "tool", "permissions": ["read"], "acts_on": "web"},
        {"id": "web", "name": "Web pages", "kind": "knowledge_source", "training_data_provenance": "public_web",
         "classification": "public"},
    ]
    flows = [("user", "agent"), ("agent", "fetch"), ("fetch", "web")]
    tool = _findings("T-AGENT-002", _system(fetch, flows))["T-AGENT-002@fetch"]
    assert "cwe:CWE-918" in tool.references and "server-side request forgery" in tool.scenario
    allow_listed = [*fetch[:2], {**fetch[2], "egress_restricted": True}, fetch[3]]
    assert _findings("T-AGENT-002", _system(allow_listed, flows)) == {}  # public pages, nowhere else to go


def test_code_from_a_hub_run_in_a_notebook_names_what_the_foothold_reaches() -> None:
    elements = [
        {"id": "engineer", "name": "ML engineer", "kind": "external_entity"},
        {"id": "repo", "name": "Hub model repository", "kind": "data_store", "third_party": True},
        {"id": "notebook", "name": "Notebook", "kind": "process", "executes_code": True, "holds_credentials": True},
        {"id": "models", "name": "Internal model store", "kind": "data_store"},
        {"id": "serving", "name": "Served model", "kind": "llm"},
    ]
    flows = [("engineer", "notebook"), ("repo", "notebook"), ("notebook", "models"), ("models", "serving")]
    threat = _findings("T-DATA-012", _system(elements, flows))["T-DATA-012@notebook"]
    assert {"repo", "models"} <= set(threat.elements) and "engineer" not in threat.elements
    assert {"atlas:AML.T0072", "atlas:AML.T0025", "atlas:AML.T0055", "atlas:AML.T0007"} <= set(threat.references)
    closed = [*elements[:2], {**elements[2], "egress_restricted": True, "holds_credentials": False}, *elements[3:4]]
    quiet_refs = _findings("T-DATA-012", _system(closed, flows[:3]))["T-DATA-012@notebook"].references
    assert {"atlas:AML.T0072", "atlas:AML.T0025", "atlas:AML.T0055", "atlas:AML.T0007"}.isdisjoint(quiet_refs)
    own_code_only = _system([elements[0], elements[2]], [("engineer", "notebook")])
    assert _findings("T-DATA-012", own_code_only) == {}  # its own users are not its suppliers


def test_how_output_is_shown_can_be_stated_on_the_component_that_shows_it() -> None:
    elements = [
        {"id": "summariser", "name": "Summariser model", "kind": "llm"},
        {"id": "notes", "name": "Case notes", "kind": "data_store"},
        {"id": "dashboard", "name": "Case dashboard", "kind": "process", "output_rendered_as": ["html"]},
    ]
    flows = [("summariser", "notes"), ("notes", "dashboard")]
    threat = _findings("T-LLM-008", _system(elements, flows))["T-LLM-008@summariser"]
    assert threat.title.endswith("rendered as HTML") and "dashboard" in threat.elements
    assert any(f.fact == "dashboard.output_rendered_as~html" for f in threat.factors)
    plain = [*elements[:2], {**elements[2], "output_rendered_as": ["text"]}]
    assert _findings("T-LLM-008", _system(plain, flows)) == {}


def test_sql_use_stated_on_the_runner_is_the_models_output_handling() -> None:
    elements = [
        {"id": "analyst", "name": "Analyst", "kind": "external_entity"},
        {"id": "model", "name": "SQL model", "kind": "llm"},
        {"id": "runner", "name": "Query runner", "kind": "process", "output_rendered_as": ["sql"]},
        {"id": "db", "name": "Warehouse", "kind": "data_store"},
    ]
    flows = [("analyst", "model"), ("model", "runner"), ("runner", "db")]
    threat = _findings("T-LLM-009", _system(elements, flows))["T-LLM-009@model"]
    assert "db" in threat.elements and any("Query runner" in a for a in threat.assumptions)
    assert _findings("T-LLM-017", _system(elements, flows)) == {}  # its use is stated, on the runner
    unstated = [*elements[:2], {**elements[2], "output_rendered_as": None}, elements[3]]
    assert _findings("T-LLM-009", _system(unstated, flows)) == {}
    assert "T-LLM-017@model" in _findings("T-LLM-017", _system(unstated, flows))


def test_a_prompt_typed_to_an_agent_names_the_model_behind_it() -> None:
    elements = [
        {"id": "visitor", "name": "Visitor", "kind": "external_entity"},
        {"id": "agent", "name": "Data agent", "kind": "agent"},
        {"id": "model", "name": "Hosted model", "kind": "llm", "model_provenance": "vendor_api"},
    ]
    agent = _findings("T-LLM-001", _system(elements, [("visitor", "agent"), ("agent", "model")]))
    assert "model" in agent["T-LLM-001@agent"].elements
    # a process in front of the model is no agent: the model is the one prompted, and nothing stands behind it
    as_process = [{**e, "kind": "process"} if e["id"] == "agent" else e for e in elements]
    direct = _findings("T-LLM-001", _system(as_process, [("visitor", "agent"), ("agent", "model")]))
    assert set(direct) == {"T-LLM-001@model"}


def _relayed(relay_facts: dict[str, Any], flow_authenticated: bool | None) -> System:
    flow: dict[str, Any] = {"id": "f1", "source": "relay", "target": "local"}
    if flow_authenticated is not None:
        flow["authenticated"] = flow_authenticated
    return System.model_validate({
        "name": "relay", "elements": [
            {"id": "site", "name": "Visited page", "kind": "external_entity"},
            {"id": "relay", "name": "Client", "kind": "process", **relay_facts},
            {"id": "local", "name": "Local service", "kind": "process"}],
        "flows": [{"id": "f0", "source": "site", "target": "relay"}, flow],
        "trust_boundaries": [{"id": "host", "name": "Host", "elements": ["relay", "local"]}]})


def test_requests_relayed_without_authentication_stated_on_the_flow_are_forgeable() -> None:
    threat = _findings("T-STRIDE-019", _relayed({}, False))["T-STRIDE-019@local"]
    assert {"cwe:CWE-352", "atlas:AML.T0078"} <= set(threat.references)


def test_an_exposed_front_end_or_unstated_authentication_is_no_forged_client() -> None:
    assert not _findings("T-STRIDE-019", _relayed({"exposure": "internet"}, False))
    assert not _findings("T-STRIDE-019", _relayed({}, None))


def _review_loop(source_untrusted: bool) -> System:
    return _system([
        {"id": "inbox", "name": "Submitted claims", "kind": "knowledge_source", "untrusted_content": source_untrusted},
        {"id": "agent", "name": "Claims agent", "kind": "agent", "answers_drive_decisions": True},
        {"id": "reviewer", "name": "Claims reviewer", "kind": "external_entity"},
    ], [("inbox", "agent"), ("agent", "reviewer"), ("reviewer", "agent")])


def test_a_person_who_checks_work_that_comes_in_from_outside_is_a_review_step_that_can_wear_down() -> None:
    threat = _findings("T-AGENT-011", _review_loop(True))["T-AGENT-011@agent"]
    assert "reviewer" in threat.elements and any("review step" in a for a in threat.assumptions)


def test_a_chat_drawn_as_two_one_way_flows_is_no_review_step() -> None:
    assert not _findings("T-AGENT-011", _review_loop(False))


def _held_queue(waits_for_person: bool) -> System:
    return _system([
        {"id": "engine", "name": "Decision engine", "kind": "process"},
        {"id": "model", "name": "Fraud model", "kind": "ml_model"},
        {"id": "queue", "name": "Held payments", "kind": "process", "human_approval_required": waits_for_person},
        {"id": "analyst", "name": "Analyst", "kind": "external_entity"},
    ], [("model", "engine"), ("engine", "queue"), ("analyst", "queue")])


def test_a_queue_where_people_confirm_what_a_classifier_held_can_wear_down() -> None:
    threat = _findings("T-AGENT-011", _held_queue(True))["T-AGENT-011@queue"]
    assert "analyst" in threat.elements and "what waits in Held payments" in threat.scenario


def test_a_queue_not_stated_to_wait_for_a_person_is_no_approval_step() -> None:
    assert not _findings("T-AGENT-011", _held_queue(False))


def test_a_browser_an_agent_drives_is_not_on_the_callers_way_to_it() -> None:
    system = _system([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "agent", "name": "Browsing agent", "kind": "agent", "exposure": "internet"},
        {"id": "browser", "name": "Browser", "kind": "process"},
    ], [("user", "agent"), ("agent", "browser"), ("browser", "agent")])
    threat = _findings("T-LLM-019", system)["T-LLM-019@agent"]
    assert "Browser" not in threat.title
