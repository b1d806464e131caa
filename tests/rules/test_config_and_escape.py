"""Agent configuration changed from outside or by code an agent runs, and code breaking out to its host: the
drawings these rules must read (a rules file copied from a community collection, a container definition the
agent's code can write and the host applies) and their close variants."""

from __future__ import annotations

from tests.rules.helpers import findings, system_of

from dicetm.model import System


def _copied_rules(reviewed: bool) -> System:
    return system_of([
        {"id": "dev", "name": "Developer", "kind": "external_entity"},
        {"id": "collection", "name": "Community rules collection", "kind": "registry", "reviewed": reviewed},
        {"id": "rules", "name": "Project rules file", "kind": "agent_config"},
        {"id": "agent", "name": "Coding assistant", "kind": "agent"},
    ], [("collection", "rules", False), ("rules", "agent", False), ("dev", "agent", True)])


def test_configuration_copied_from_an_unreviewed_collection_can_carry_a_standing_injection() -> None:
    threat = findings("T-ECO-003", _copied_rules(reviewed=False))["T-ECO-003@rules"]
    assert {"collection", "agent"} <= set(threat.elements) and "atlas:AML.T0081" in threat.references
    assert any(f.target == "likelihood" and f.delta == 1 for f in threat.factors)
    assert findings("T-ECO-003", _copied_rules(reviewed=True)) == {}


def _container(writes_definition: bool) -> System:
    flows = [("agent", "exec", False), ("exec", "box", False), ("definition", "host", False)]
    if writes_definition:
        flows.append(("box", "definition", False))
    return system_of([
        {"id": "agent", "name": "Agent loop", "kind": "agent"},
        {"id": "exec", "name": "Run code", "kind": "tool", "permissions": ["execute"], "acts_on": "box"},
        {"id": "box", "name": "Agent container", "kind": "process", "executes_code": True},
        {"id": "definition", "name": "Container definition", "kind": "agent_config"},
        {"id": "host", "name": "Host runtime", "kind": "process"},
    ], flows)


def test_a_container_definition_the_agents_code_can_write_is_applied_by_the_host() -> None:
    threat = findings("T-ECO-003", _container(writes_definition=True))["T-ECO-003@definition"]
    assert {"box", "host"} <= set(threat.elements)
    assert "Host runtime" in threat.scenario
    assert findings("T-ECO-003", _container(writes_definition=False)) == {}


def test_code_run_without_a_stated_sandbox_can_break_out_to_the_host() -> None:
    unstated = findings("T-AGENT-005", _container(writes_definition=False))
    assert all("atlas:AML.T0105" in t.references for t in unstated.values()) and unstated
    data = _container(writes_definition=False).model_dump(mode="json", exclude_none=True)
    for element in data["elements"]:
        if element["id"] in ("exec", "box"):
            element["sandboxed"] = False
    stated = findings("T-AGENT-005", System.model_validate(data))
    assert stated and all("atlas:AML.T0105" not in t.references for t in stated.values())
