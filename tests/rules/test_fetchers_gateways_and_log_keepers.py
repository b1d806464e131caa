"""Patterns that recur in public threat models of AI systems and were missed: a loader told what to fetch by an open
API, a fetcher of web pages that can reach inner services (server-side request forgery), an agent whose model's
decisions go unrecorded, a hosted service's own job records deleted through the accounts that act on it, and checks
made after sign-in that can be wrong on one path."""

from __future__ import annotations

from typing import Any

from tests.rules.helpers import findings, system_of

from dicetm.model import System


def _serving(**api: Any) -> System:
    """A management API that passes model registrations on to a worker that unpacks and runs them."""
    return system_of([
        {"id": "ops", "name": "Deployment tooling", "kind": "external_entity"},
        {"id": "api", "name": "Management API", "kind": "process", **api},
        {"id": "worker", "name": "Model worker", "kind": "process", "executes_code": True},
        {"id": "store", "name": "Model store", "kind": "data_store"},
    ], [("ops", "api", False), ("api", "worker", False), ("worker", "store", False)])


def test_a_worker_fed_by_an_open_api_runs_what_anyone_on_the_internet_registers() -> None:
    threat = findings("T-DATA-012", _serving(exposure="internet", authenticated=False))["T-DATA-012@worker"]
    assert "api" in threat.elements and "atlas:AML.T0011.000" in threat.references
    assert "anyone on the internet through Management API" in threat.title
    assert not any("sign in is not stated" in a for a in threat.assumptions)
    unstated = findings("T-DATA-012", _serving(exposure="internet"))["T-DATA-012@worker"]
    assert any("Management API makes its callers sign in is not stated" in a for a in unstated.assumptions)
    assert findings("T-DATA-012", _serving(exposure="internet", authenticated=True)) == {}
    assert findings("T-DATA-012", _serving(exposure="internal", authenticated=False)) == {}


def _loader(source: dict[str, Any], inner_zone: str = "inner", kind: str = "embedding_pipeline") -> System:
    """A loader that fetches pages from ``source`` and sends requests to an internal service."""
    system = system_of([
        source,
        {"id": "loader", "name": "Page loader", "kind": kind},
        {"id": "internal", "name": "Internal services", "kind": "data_store", "classification": "secret"},
    ], [("web", "loader", False), ("loader", "internal", True)])
    zones = {"app": ["loader"], inner_zone: ["internal"]} if inner_zone != "app" else {"app": ["loader", "internal"]}
    return System.model_validate({**system.model_dump(exclude_none=True), "trust_boundaries": [
        {"id": zone, "name": zone, "elements": members} for zone, members in zones.items()]})


WEB = {"id": "web", "name": "Pages users link to", "kind": "knowledge_source", "untrusted_content": True}


def test_a_fetcher_of_web_pages_that_reaches_an_inner_zone_can_be_aimed_there() -> None:
    threat = findings("T-STRIDE-006", _loader(WEB))["T-STRIDE-006@loader"]
    assert "cwe:CWE-918" in threat.references and "server-side request forgery" in threat.scenario
    assert "internal" in threat.elements
    same_zone = findings("T-STRIDE-006", _loader(WEB, inner_zone="app"))
    assert all("cwe:CWE-918" not in t.references for t in same_zone.values())
    person = {"id": "web", "name": "Partner", "kind": "external_entity"}
    by_person = findings("T-STRIDE-006", _loader(person))["T-STRIDE-006@loader"]
    assert "cwe:CWE-918" not in by_person.references and "forgery" not in by_person.scenario
    steered = findings("T-STRIDE-006", _loader(WEB, kind="agent"))["T-STRIDE-006@loader"]  # T-AGENT-002's ground
    assert "cwe:CWE-918" not in steered.references


def _agent(kind: str) -> System:
    return system_of([
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "actor", "name": "Browser agent", "kind": kind},
        {"id": "model", "name": "Local model", "kind": "llm"},
        {"id": "orders", "name": "Orders", "kind": "data_store", "classification": "personal"},
    ], [("user", "actor", True), ("actor", "model", True), ("actor", "orders", False)])


def test_an_agents_untraced_actions_name_the_model_that_decided_them() -> None:
    threat = findings("T-STRIDE-004", _agent("agent"))["T-STRIDE-004@actor"]
    assert "model" in threat.elements and "owasp-agentic:T8" in threat.references
    assert "model" not in findings("T-STRIDE-004", _agent("process"))["T-STRIDE-004@actor"].elements


def _hosted_records(**log: Any) -> System:
    """A hosted CRM that keeps its own job records, and a connector that acts on the CRM with its own token."""
    return system_of([
        {"id": "backend", "name": "Integration backend", "kind": "process"},
        {"id": "connector", "name": "CRM connector", "kind": "tool", "acts_on": "crm", "permissions": ["read"]},
        {"id": "crm", "name": "Hosted CRM", "kind": "data_store", "third_party": True},
        {"id": "jobs", "name": "CRM job records", "kind": "log_store", **log},
    ], [("backend", "connector", False), ("connector", "crm", False), ("crm", "jobs", False)])


def test_records_a_hosted_store_keeps_can_be_deleted_by_the_accounts_acting_on_it() -> None:
    threat = findings("T-STRIDE-010", _hosted_records())["T-STRIDE-010@jobs"]
    assert {"crm", "connector"} <= set(threat.elements) and "(CRM connector)" in threat.title
    assert any("accounts that act on it (CRM connector)" in a for a in threat.assumptions)
    assert not threat.factors  # the connector reaches the records through the store, not across a wall
    assert findings("T-STRIDE-010", _hosted_records(append_only=True)) == {}
    lone = system_of([{"id": "crm", "name": "CRM", "kind": "data_store"},
                      {"id": "jobs", "name": "Job records", "kind": "log_store"}], [("crm", "jobs", False)])
    assert findings("T-STRIDE-010", lone) == {}


def _records_api(**api: Any) -> System:
    return system_of([
        {"id": "caller", "name": "Caller", "kind": "external_entity"},
        {"id": "api", "name": "Records API", "kind": "process", **api},
        {"id": "records", "name": "Records", "kind": "data_store", "multi_tenant": True},
    ], [("caller", "api", True), ("api", "records", True)])


def test_checks_after_sign_in_are_an_incorrect_authorization_not_a_missing_one() -> None:
    signed_in = findings("T-STRIDE-014", _records_api(authenticated=True))["T-STRIDE-014@api"]
    assert "cwe:CWE-863" in signed_in.references and "checks the wrong thing" in signed_in.scenario
    anonymous = findings("T-STRIDE-014", _records_api())["T-STRIDE-014@api"]
    assert "cwe:CWE-863" not in anonymous.references and "checks the wrong thing" not in anonymous.scenario
