"""The agent-ecosystem parts of the model: MCP servers, registries, agent configuration, computer use, token
passthrough. They validate with located errors and did-you-mean, appear in the JSON Schema, and export as
typed elements."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest

from dicetm.api import analyze_path
from dicetm.errors import InputError, Problem
from dicetm.io.exporters import export
from dicetm.model import Kind
from dicetm.schema import system_json_schema
from dicetm.store.modelfile import load_system, parse_system_text

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "desktop-agent-mcp"


def problems(text: str) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        parse_system_text(dedent(text), "m.yaml")
    return caught.value.problems


def test_the_example_validates_with_every_new_part() -> None:
    system = load_system(EXAMPLE).system
    kinds = {e.kind for e in system.elements}
    assert {Kind.mcp_server, Kind.registry, Kind.agent_config} <= kinds
    agent = system.element_by_id["agent"]
    assert agent.computer_use is not None and agent.computer_use.value == "browser"
    assert system.element_by_id["pdf-skill"].installed_from == "skill-hub"


def test_references_must_name_the_right_kind() -> None:
    found = problems("""\
    name: x
    elements:
      - {id: agent, name: Agent, kind: agent}
      - {id: lookup, name: Lookup, kind: tool, server: agent, installed_from: hubb}
      - {id: hub, name: Hub, kind: registry}
    """)
    messages = [(p.message, p.location.line, p.hint) for p in found]
    assert ("elements[1] (id lookup).server names 'agent', which has kind 'agent', not 'mcp_server'", 4,
            "name an element of kind mcp_server here") in messages
    assert any("installed_from names element 'hubb'" in m and h == "did you mean 'hub'?" for m, _l, h in messages)


def test_facts_on_the_wrong_kind_and_misspelt_values() -> None:
    found = problems("""\
    name: x
    elements:
      - {id: t, name: Tool, kind: tool, transport: stdio}
      - {id: s, name: Server, kind: mcp-server}
      - {id: a, name: Agent, kind: agent, computer_use: browsr}
    flows:
      - {id: f, source: t, target: a, token_passthru: true}
    """)
    text = [(p.message, p.hint or "") for p in found]
    assert any("transport is set" in m and "only applies to: mcp_server" in m for m, _h in text)
    assert any("did you mean 'mcp_server'" in h for _m, h in text)
    assert any("did you mean 'browser'" in h for _m, h in text)
    assert any("did you mean 'token_passthrough'" in h for _m, h in text)


def test_json_schema_lists_the_new_kinds_and_facts() -> None:
    schema = json.dumps(system_json_schema())
    for word in ("mcp_server", "agent_config", "registry", "token_passthrough", "computer_use", "installed_from",
                 "description_source", "oauth_proxy"):
        assert word in schema, word


@pytest.mark.parametrize("fmt", ["threat-dragon", "otm", "threat-composer"])
def test_exports_keep_the_new_kinds_typed(fmt: str) -> None:
    loaded, result = analyze_path(EXAMPLE)
    text = export(fmt, result, loaded)
    data = json.loads(text)
    if fmt == "threat-dragon":
        cells = {c["id"]: c for c in data["detail"]["diagrams"][0]["cells"]}
        assert cells["fs-server"]["data"]["dicetmKind"] == "mcp_server" and cells["fs-server"]["shape"] == "process"
        assert cells["client-config"]["shape"] == "store" and cells["skill-hub"]["shape"] == "actor"
    elif fmt == "otm":
        components = {c["id"]: c for c in data["components"]}
        assert components["crm-server"]["type"] == "mcp_server"
        assert components["crm-server"]["attributes"]["transport"] == "http"
        assert components["agent"]["attributes"]["computer_use"] == "browser"
        assert components["pdf-skill"]["attributes"]["installed_from"] == "skill-hub"
    else:
        architecture = data["architecture"]["description"]
        assert "(`fs-server`, mcp_server): transport stdio" in architecture
        assert "(`agent`, agent): computer_use browser" in architecture
