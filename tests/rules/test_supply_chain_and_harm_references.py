"""Facts that decide which supply-chain, exfiltration and harm references a finding carries (issue 12): what a
registry ships, what a foothold on an exploited application holds and can send out, who hears a model in public,
and when a model element is only weight files that a process loads."""

from __future__ import annotations

from typing import Any

from dicetm.model import System, Threat
from dicetm.rules.base import build_threat
from dicetm.rules.registry import rule_by_id


def _system(elements: list[dict[str, Any]], flows: list[tuple[str, str]], **flow_facts: Any) -> System:
    return System.model_validate({
        "name": "facts", "elements": elements,
        "flows": [{"id": f"f{i}", "source": a, "target": b, **flow_facts.get(f"{a}>{b}", {})}
                  for i, (a, b) in enumerate(flows)]})


def _findings(rule_id: str, system: System) -> dict[str, Threat]:
    rule = rule_by_id()[rule_id]
    return {t.id: t for t in (build_threat(rule.meta, hit, system, "test") for hit in rule.evaluate(system))}


# --- T-ECO-002: the ids follow what takes the entries in ------------------------------------------------------

def _registry_feeding(kind: str, **facts: Any) -> System:
    return _system([
        {"id": "reg", "name": "Public registry", "kind": "registry"},
        {"id": "taker", "name": "Installed thing", "kind": kind, **facts},
        {"id": "user", "name": "User", "kind": "external_entity"},
    ], [("reg", "taker"), ("user", "taker"), ("taker", "user")])


def test_a_package_registry_carries_software_supply_chain_ids_not_agent_tool_ids() -> None:
    refs = _findings("T-ECO-002", _registry_feeding("process", executes_code=True))["T-ECO-002@reg"].references
    assert {"atlas:AML.T0010.001", "atlas:AML.T0011.001", "atlas:AML.T0074"} <= set(refs)
    assert "atlas:AML.T0010.005" not in refs and "atlas:AML.T0052" not in refs


def test_a_model_hub_carries_model_supply_chain_ids() -> None:
    refs = _findings("T-ECO-002", _registry_feeding("llm", model_provenance="open_weights_unverified")
                     )["T-ECO-002@reg"].references
    assert {"atlas:AML.T0010.003", "atlas:AML.T0011.000"} <= set(refs) and "atlas:AML.T0010.001" not in refs


def test_a_skill_that_talks_to_users_can_phish_them() -> None:
    threat = _findings("T-ECO-002", _registry_feeding("tool", permissions=["read"]))["T-ECO-002@reg"]
    assert {"atlas:AML.T0010.005", "atlas:AML.T0052"} <= set(threat.references)
    assert "passwords" in threat.scenario


# --- T-DATA-012: packages that run, weights that load, tenants' jobs ------------------------------------------

def test_a_package_installed_from_a_registry_runs_its_publishers_code() -> None:
    system = _system([
        {"id": "pypi", "name": "Package index", "kind": "registry"},
        {"id": "pkg", "name": "Dependency", "kind": "process", "executes_code": True, "installed_from": "pypi"},
        {"id": "out", "name": "Somewhere online", "kind": "external_entity"},
    ], [("pkg", "out")])
    threat = _findings("T-DATA-012", system)["T-DATA-012@pkg"]
    assert {"atlas:AML.T0010.001", "atlas:AML.T0025", "atlas:AML.T0072"} <= set(threat.references)
    assert "pypi" in threat.elements


def _loader(prompted: bool) -> System:
    elements = [
        {"id": "hub", "name": "Model hub", "kind": "registry"},
        {"id": "weights", "name": "Downloaded model", "kind": "llm", "model_provenance": "open_weights_unverified"},
        {"id": "loader", "name": "Loader", "kind": "process", "executes_code": True},
        {"id": "app", "name": "App", "kind": "process"},
    ]
    flows = [("hub", "weights"), ("weights", "loader")] + ([("app", "weights")] if prompted else [])
    return _system(elements, flows)


def test_weights_nobody_prompts_make_their_loader_run_outside_code() -> None:
    system = _loader(prompted=False)
    threat = _findings("T-DATA-012", system)["T-DATA-012@loader"]
    assert {"atlas:AML.T0010.003", "atlas:AML.T0011.000"} <= set(threat.references)
    assert _findings("T-AGENT-005", system) == {}


def test_a_model_that_is_prompted_still_writes_the_code_its_executor_runs() -> None:
    system = _loader(prompted=True)
    assert "T-AGENT-005@loader" in _findings("T-AGENT-005", system)
    assert _findings("T-DATA-012", system) == {}


def test_jobs_passed_on_by_a_shared_platform_api_put_tenants_side_by_side() -> None:
    system = _system([
        {"id": "tenant", "name": "Tenant", "kind": "external_entity"},
        {"id": "api", "name": "Platform API", "kind": "process", "multi_tenant": True},
        {"id": "job", "name": "Training job", "kind": "fine_tuning_pipeline", "executes_code": True},
    ], [("tenant", "api"), ("api", "job")])
    threat = _findings("T-DATA-012", system)["T-DATA-012@job"]
    assert {"cwe:CWE-653", "atlas:AML.T0050"} <= set(threat.references)
    assert "the tenants of Platform API" in threat.title


# --- T-STRIDE-012: what a foothold holds and where it can send data ---------------------------------------------

def _public_api(**facts: Any) -> System:
    return _system([
        {"id": "api", "name": "Public API", "kind": "process", "exposure": "internet", **facts},
        {"id": "partner", "name": "Outside service", "kind": "external_entity"},
    ], [("api", "partner")], **{"api>partner": {"classification": "confidential"}})


def test_an_exploited_app_holding_keys_and_pushing_data_out_adds_credentials_and_exfiltration() -> None:
    refs = _findings("T-STRIDE-012", _public_api(holds_credentials=True))["T-STRIDE-012@api"].references
    assert {"atlas:AML.T0055", "atlas:AML.T0025"} <= set(refs)


def test_restricted_egress_and_no_keys_add_neither() -> None:
    refs = _findings("T-STRIDE-012", _public_api(egress_restricted=True))["T-STRIDE-012@api"].references
    assert "atlas:AML.T0055" not in refs and "atlas:AML.T0025" not in refs


# --- harms: public output, liability, access through a product, prompt files as IP -------------------------------

def _chat(exposure: str, **model: Any) -> System:
    return _system([
        {"id": "visitor", "name": "Visitor", "kind": "external_entity"},
        {"id": "site", "name": "Web chat", "kind": "process", "exposure": exposure},
        {"id": "bot", "name": "Chat model", "kind": "llm", "model_provenance": "in_house", **model},
        {"id": "prompt", "name": "Prompt file", "kind": "agent_config", "classification": "confidential"},
        {"id": "keys", "name": "Key file", "kind": "agent_config", "classification": "secret",
         "holds_credentials": True},
    ], [("visitor", "site"), ("site", "bot"), ("bot", "site"), ("site", "visitor"), ("prompt", "bot"),
        ("keys", "bot")])


def test_a_public_chat_model_can_be_made_to_do_reputational_harm() -> None:
    assert "atlas:AML.T0048.001" in _findings("T-LLM-001", _chat("internet"))["T-LLM-001@bot"].references
    assert "atlas:AML.T0048.001" not in _findings("T-LLM-001", _chat("internal"))["T-LLM-001@bot"].references


def test_answers_stated_to_drive_decisions_of_outsiders_bring_financial_harm() -> None:
    stated = _findings("T-LLM-013", _chat("internet", answers_drive_decisions=True))["T-LLM-013@bot"]
    assert "atlas:AML.T0048.000" in stated.references
    unset = _findings("T-LLM-013", _chat("internet"))["T-LLM-013@bot"]
    assert "atlas:AML.T0048.000" not in unset.references


def test_a_model_copied_through_the_product_in_front_of_it_is_reached_through_that_product() -> None:
    threat = _findings("T-LLM-015", _chat("internet"))["T-LLM-015@bot"]
    assert "atlas:AML.T0047" in threat.references and "site" in threat.elements


def test_confidential_instructions_are_intellectual_property_but_a_key_file_is_not() -> None:
    threat = _findings("T-LLM-012", _chat("internet"))["T-LLM-012@bot"]
    assert "atlas:AML.T0048.004" in threat.references and {"prompt", "keys"} <= set(threat.elements)
    assert "Prompt file" in threat.scenario and "Key file are themselves" not in threat.scenario


# --- agents behind a check, and the server a tool runs on -------------------------------------------------------

def test_a_tool_behind_a_command_check_is_still_called_by_the_agent() -> None:
    system = _system([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "agent", "name": "Agent", "kind": "agent"},
        {"id": "check", "name": "Command allow-list", "kind": "guardrail"},
        {"id": "shell", "name": "Shell tool", "kind": "tool", "permissions": ["execute"],
         "human_approval_required": True},
    ], [("user", "agent"), ("agent", "check"), ("check", "shell")])
    assert "T-AGENT-002@shell" in _findings("T-AGENT-002", system)
    assert "shell" in _findings("T-AGENT-011", system)["T-AGENT-011@agent"].elements


def test_the_shared_identity_finding_names_the_mcp_server_the_tool_runs_on() -> None:
    system = _system([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "agent", "name": "Agent", "kind": "agent"},
        {"id": "server", "name": "Remote MCP server", "kind": "mcp_server"},
        {"id": "search", "name": "Search tool", "kind": "tool", "server": "server", "permissions": ["read"],
         "acts_on": "store"},
        {"id": "store", "name": "Work graph", "kind": "data_store", "multi_tenant": True,
         "classification": "confidential"},
    ], [("user", "agent"), ("agent", "server"), ("search", "store")])
    assert "server" in _findings("T-AGENT-004", system)["T-AGENT-004@search"].elements


def _paying_agent(decides: bool | None) -> System:
    return _system([
        {"id": "inbox", "name": "Claims", "kind": "knowledge_source", "untrusted_content": True},
        {"id": "agent", "name": "Claims agent", "kind": "agent", "answers_drive_decisions": decides},
        {"id": "pay", "name": "Payment tool", "kind": "tool", "permissions": ["write"], "acts_on": "ledger"},
        {"id": "ledger", "name": "Ledger", "kind": "data_store", "classification": "confidential"},
    ], [("inbox", "agent"), ("agent", "pay"), ("pay", "ledger")])


def test_an_agent_stated_to_decide_unchecked_can_misalign_not_only_be_injected() -> None:
    stated = _findings("T-AGENT-001", _paying_agent(True))["T-AGENT-001@pay"]
    assert {"owasp-agentic:T7", "owasp-asi:ASI10:2026"} <= set(stated.references)
    assert "shortcut" in stated.scenario
    assert "owasp-agentic:T7" not in _findings("T-AGENT-001", _paying_agent(None))["T-AGENT-001@pay"].references


def test_planted_code_can_try_to_evade_the_check_its_own_traffic_passes() -> None:
    system = _system([
        {"id": "pypi", "name": "Package index", "kind": "registry"},
        {"id": "job", "name": "Job", "kind": "process", "executes_code": True, "installed_from": "pypi"},
        {"id": "sidecar", "name": "Network sidecar", "kind": "guardrail"},
    ], [("job", "sidecar")])
    threat = _findings("T-DATA-012", system)["T-DATA-012@job"]
    assert "atlas:AML.T0107" in threat.references and "Network sidecar" in threat.scenario


def test_the_platform_a_skill_store_feeds_runs_skills_it_installs_no_packages() -> None:
    system = _system([
        {"id": "store", "name": "Skill store", "kind": "registry"},
        {"id": "skill", "name": "Skill", "kind": "tool", "installed_from": "store", "permissions": ["read"]},
        {"id": "platform", "name": "Voice platform", "kind": "process"},
    ], [("store", "platform"), ("platform", "skill")])
    threat = _findings("T-ECO-002", system)["T-ECO-002@store"]
    assert "atlas:AML.T0010.005" in threat.references and "atlas:AML.T0010.001" not in threat.references
    assert "package" not in threat.scenario


def test_an_api_a_skill_calls_is_no_one_to_phish() -> None:
    system = System.model_validate({"name": "api", "elements": [
        {"id": "store", "name": "Skill store", "kind": "registry"},
        {"id": "skill", "name": "Skill", "kind": "tool", "installed_from": "store", "permissions": ["read"]},
        {"id": "api", "name": "Weather API", "kind": "external_entity"},
    ], "flows": [{"id": "f1", "source": "skill", "target": "api", "bidirectional": True}]})
    assert "atlas:AML.T0052" not in _findings("T-ECO-002", system)["T-ECO-002@store"].references


def test_a_screen_beside_a_vendor_model_api_is_no_artefact_scanner() -> None:
    def beside(provenance: str) -> System:
        return _system([
            {"id": "provider", "name": "Model source", "kind": "model_provider", "model_provenance": provenance},
            {"id": "screen", "name": "Screen", "kind": "guardrail"},
        ], [("provider", "screen")])
    assert _findings("T-DATA-015", beside("vendor_api")) == {}
    assert "T-DATA-015@screen" in _findings("T-DATA-015", beside("open_weights_unverified"))


def test_a_model_of_unstated_origin_is_never_taken_for_weight_files() -> None:
    system = _loader(prompted=False)
    system = System.model_validate({**system.model_dump(exclude_none=True), "elements": [
        {**e.model_dump(exclude_none=True), "model_provenance": None} if e.id == "weights"
        else e.model_dump(exclude_none=True) for e in system.elements]})
    assert "T-DATA-012@loader" not in _findings("T-DATA-012", system)


# --- T-DATA-012: a shared builder that people send their code to ----------------------------------------------

def test_shared_host_taking_code_from_people_runs_every_tenants_commands() -> None:
    def builder(**facts: Any) -> System:
        return _system([{"id": "user", "name": "Any user", "kind": "external_entity"},
                        {"id": "build", "name": "Shared builder", "kind": "process", "executes_code": True,
                         "sandboxed": False, **facts}], [("user", "build")])
    threat = _findings("T-DATA-012", builder(multi_tenant=True))["T-DATA-012@build"]
    assert {"atlas:AML.T0050", "cwe:CWE-653"} <= set(threat.references)
    assert _findings("T-DATA-012", builder(multi_tenant=False)) == {}  # its own operators, not tenants


# --- T-DATA-005: the models a poisoned set trains ----------------------------------------------------------------

def test_a_poisonable_training_set_names_the_language_model_it_trains_not_a_classifier() -> None:
    def trained(kind: str) -> System:
        return _system([
            {"id": "web", "name": "Scraped pages", "kind": "knowledge_source", "untrusted_content": True},
            {"id": "corpus", "name": "Training corpus", "kind": "training_data"},
            {"id": "job", "name": "Training job", "kind": "fine_tuning_pipeline"},
            {"id": "model", "name": "Trained model", "kind": kind},
        ], [("web", "corpus"), ("corpus", "job"), ("job", "model")])
    assert "model" in _findings("T-DATA-005", trained("llm"))["T-DATA-005@corpus"].elements
    # a classifier's poisoned training is T-ML-005's finding on the classifier itself
    assert "model" not in _findings("T-DATA-005", trained("ml_model"))["T-DATA-005@corpus"].elements
