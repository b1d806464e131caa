"""Small hand-made documents: the mapping rules one by one, and how broken documents fail (located, with a hint)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dicetm.errors import InputError
from dicetm.io import FORMATS, detect, load_data

# --------------------------------------------------------------------------------------- Threat Dragon


def _box(cell_id: str, name: str, x: float, y: float, width: float, height: float) -> dict[str, Any]:
    return {"id": cell_id, "shape": "trust-boundary-box", "position": {"x": x, "y": y},
            "size": {"width": width, "height": height}, "data": {"type": "tm.BoundaryBox", "name": name}}


def _node(cell_id: str, kind: str, name: str, x: float = 0, y: float = 0, **data: Any) -> dict[str, Any]:
    return {"id": cell_id, "shape": kind.removeprefix("tm.").lower(), "position": {"x": x, "y": y},
            "size": {"width": 10, "height": 10}, "data": {"type": kind, "name": name, **data}}


def _flow(cell_id: str, source: str, target: str, name: str = "", **data: Any) -> dict[str, Any]:
    return {"id": cell_id, "shape": "flow", "source": {"cell": source}, "target": {"cell": target},
            "data": {"type": "tm.Flow", "name": name, **data}}


def _td(*cells: dict[str, Any]) -> dict[str, Any]:
    return {"version": "2.3.0", "summary": {"title": "Hand made"},
            "detail": {"diagrams": [{"id": 0, "title": "d", "cells": list(cells)}]}}


def test_nested_boxes_become_nested_boundaries_and_elements_sit_in_the_innermost() -> None:
    doc = _td(
        _box("outer", "Cloud", 0, 0, 500, 500), _box("inner", "VPC", 100, 100, 200, 200),
        _node("a", "tm.Process", "API", 150, 150), _node("b", "tm.Store", "Vector DB", 400, 400),
        _node("c", "tm.Actor", "User", 900, 900), _flow("f", "c", "a", "question", isPublicNetwork=True),
    )
    system = load_data("threat-dragon", doc, "hand.json").system
    boundaries = {b.id: (b.parent, b.elements) for b in system.trust_boundaries}
    assert boundaries == {"cloud": (None, ["vector-db"]), "vpc": ("cloud", ["api"])}
    assert system.boundary_of == {"api": "vpc", "vector-db": "cloud"}
    assert system.element_by_id["vector-db"].kind == "vector_store"
    assert system.element_by_id["api"].exposure == "internet"


def test_a_flow_to_a_missing_cell_is_reported_with_its_path_and_the_rest_imports() -> None:
    doc = _td(_node("a", "tm.Process", "API"), _node("b", "tm.Store", "DB"), _flow("f", "a", "b", "ok"),
              _flow("g", "ghost", "b", "broken", threats=[{"title": "Spoofed caller", "type": "Spoofing"}]))
    result = load_data("threat-dragon", doc, "hand.json")
    assert [f.id for f in result.system.flows] == ["ok"]
    item = next(u for u in result.unmapped if u.path == "$.detail.diagrams[0].cells[3].source.cell")
    assert "ghost" in item.why and "does not exist" in item.why
    assert result.system.threats[0].elements == ["db"]  # the threat is kept on the end that exists


def test_flow_to_a_boundary_and_self_loops_are_reported() -> None:
    doc = _td(_box("box", "Zone", 0, 0, 50, 50), _node("a", "tm.Process", "API", 10, 10),
              _flow("f", "a", "box", "into the box"), _flow("g", "a", "a", "loop"))
    result = load_data("threat-dragon", doc, "hand.json")
    assert result.system.flows == []
    why = {u.path: u.why for u in result.unmapped}
    assert "trust boundary box cell, not an element" in why["$.detail.diagrams[0].cells[2].target.cell"]
    assert "same element" in why["$.detail.diagrams[0].cells[3]"]


def test_names_that_collide_get_suffixes_and_ai_kinds_stay_in_the_drawn_family() -> None:
    doc = _td(_node("a", "tm.Process", "LLM"), _node("b", "tm.Process", "LLM"), _node("c", "tm.Store", "LLM"),
              _node("d", "tm.Actor", "OpenAI API"), _node("e", "tm.Process", "Support agent"),
              _node("f", "tm.Store", "Audit logs"))
    kinds = {e.id: e.kind.value for e in load_data("threat-dragon", doc, "hand.json").system.elements}
    assert kinds == {"llm": "llm", "llm-2": "llm", "llm-3": "data_store", "openai-api": "model_provider",
                     "support-agent": "agent", "audit-logs": "log_store"}


def test_threat_types_outside_stride_are_reported_and_cia_maps() -> None:
    doc = _td(_node("a", "tm.Process", "API", threats=[
        {"title": "t1", "type": "Linkability", "severity": "Critical"},
        {"title": "t2", "type": "Integrity", "severity": "TBA", "score": "9.1"}]))
    result = load_data("threat-dragon", doc, "hand.json")
    first, second = result.system.threats
    assert (first.stride, first.impact) == ([], 5)
    assert (second.stride, second.impact) == (["T"], 5)
    assert any("STRIDE" in u.what and u.path.endswith(".type") for u in result.unmapped)


# ------------------------------------------------------------------------------------------------- OTM


def test_otm_yaml_with_nested_zones_and_dangling_references() -> None:
    text = """\
otmVersion: 0.2.0
project: {name: Bot, id: bot}
trustZones:
  - {id: net, name: Internet, risk: {trustRating: 1}}
  - {id: dmz, name: DMZ, risk: {trustRating: 50}, parent: {trustZone: cloud}}
  - {id: cloud, name: Cloud, risk: {trustRating: 90}}
components:
  - {id: user, name: Customer, type: generic-client, parent: {trustZone: net}}
  - {id: bot, name: Chat bot, type: llm-application, parent: {trustZone: dmz}}
  - {id: rag, name: Retriever, type: service, parent: {component: bot}}
dataflows:
  - {id: q, name: Question, source: user, destination: bot}
  - {id: x, name: Lost, source: user, destination: nowhere}
threats:
  - {id: T1, name: Prompt injection, categories: [Tampering], risk: {likelihood: 80, impact: 60}}
"""
    result = load_data("otm", text, "bot.otm.yaml")
    system = result.system
    assert {b.id: b.parent for b in system.trust_boundaries} == {"internet": None, "dmz": "cloud", "cloud": None}
    assert system.boundary_of["retriever"] == "dmz"  # inside the bot component, so in the bot's zone
    assert system.element_by_id["chat-bot"].kind == "llm"
    assert system.element_by_id["customer"].kind == "external_entity"
    assert [f.id for f in system.flows] == ["question"]
    why = {u.path: u.why for u in result.unmapped}
    assert "no component" in why["$.dataflows[1].destination"]
    assert "nested elements" in why["$.components[2].parent.component"]
    threat = system.threats[0]
    assert (threat.likelihood, threat.impact, threat.elements) == (4, 3, [])


# ------------------------------------------------------------------------------------------- Threagile


THREAGILE = """\
threagile_version: 1.0.0
title: Agent
data_assets:
  Prompts: {id: prompts, confidentiality: confidential}
technical_assets:
  User:
    id: user
    type: external-entity
    internet: true
    communication_links:
      Ask: {target: agent, protocol: wss, authentication: token, data_assets_sent: [prompts]}
      Lost: {target: ghost, protocol: http}
  Agent:
    id: agent
    type: process
    technology: ai
    encryption: none
    communication_links:
      Search: {target: index, protocol: binary, authentication: none, vpn: true}
  Index:
    id: index
    type: datastore
    technology: search-index
    data_assets_stored: [prompts]
trust_boundaries:
  Outer: {id: outer, technical_assets_inside: [agent], trust_boundaries_nested: [inner]}
  Inner: {id: inner, technical_assets_inside: [index, agent], trust_boundaries_nested: [outer]}
"""


def test_threagile_links_kinds_and_broken_references() -> None:
    result = load_data("threagile", THREAGILE, "agent.yaml")
    system = result.system
    kinds = {e.id: e.kind.value for e in system.elements}
    assert kinds == {"user": "external_entity", "agent": "agent", "index": "vector_store"}
    ask = system.flow_by_id["user-ask"]
    assert (ask.encrypted, ask.authenticated, ask.classification, ask.data) == (True, True, "confidential",
                                                                                 "sends Prompts")
    assert system.flow_by_id["agent-search"].encrypted is True  # binary, but over a VPN
    assert system.element_by_id["agent"].encrypted_at_rest is False
    assert {a.id: a.stored_in for a in system.assets} == {"prompts": ["index"]}
    why = {u.path: u.why for u in result.unmapped}
    assert "ghost" in why["$.technical_assets.User.communication_links.Lost"]
    assert "already inside" in why["$.trust_boundaries.Inner.technical_assets_inside[1]"]
    assert "loop" in why["$.trust_boundaries.Inner.trust_boundaries_nested"]
    assert {b.id: b.parent for b in system.trust_boundaries} == {"outer": None, "inner": "outer"}


# ------------------------------------------------------------------------------------- Threat Composer


def test_threat_composer_composes_missing_statements_and_reports_priority() -> None:
    doc = {"schema": 1, "applicationInfo": {"name": "Bot"},
           "threats": [{"id": "t1", "threatSource": "external actor", "prerequisites": "with a user account",
                        "threatAction": "inject instructions into a prompt", "impactedGoal": ["integrity"],
                        "impactedAssets": ["answers"], "metadata": [{"key": "Priority", "value": "High"}]}],
           "mitigations": [{"id": "m1", "content": "Filter prompts"}],
           "mitigationLinks": [{"mitigationId": "m1", "linkedId": "t1"}, {"mitigationId": "m2", "linkedId": "t1"}]}
    result = load_data("threat-composer", json.dumps(doc), "bot.tc.json")
    threat = result.system.threats[0]
    assert threat.title == ("A external actor with a user account can inject instructions into a prompt, "
                            "resulting in reduced integrity of answers")
    assert threat.controls == ["X-m1"] and threat.likelihood is None and threat.impact is None
    assert any("Priority" in u.what for u in result.unmapped)
    assert any(u.path == "$.mitigationLinks[1]" and "m2" in u.why for u in result.unmapped)


# --------------------------------------------------------------------------------------- broken input


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ('{"summary": {"title": "x"}, "detail": {"diagrams": [}', 1, 53, "not valid JSON"),
    ('{"summary": {"title": "x"},\n "detail": {"diagrams": [', 2, 26, "truncated"),
    ("threagile_version: 1\ntechnical_assets:\n  a: [b\n", 4, 1, "not valid YAML"),
])
def test_malformed_and_truncated_files_give_line_and_column(text: str, line: int, column: int, words: str) -> None:
    fmt = "threagile" if text.startswith("threagile") else "threat-dragon"
    with pytest.raises(InputError) as caught:
        load_data(fmt, text, "broken.json")
    problem = caught.value.problems[0]
    assert (problem.location.file, problem.location.line, problem.location.column) == ("broken.json", line, column)
    assert words in problem.message + (problem.hint or "")


@pytest.mark.parametrize(("fmt", "doc", "path", "words"), [
    ("threat-dragon", {"summary": {}, "detail": {"diagrams": [3]}}, "$.detail.diagrams[0]", "a diagram"),
    ("threat-dragon", _td({"id": "a", "shape": "flow", "data": "oops"}), "$.detail.diagrams[0].cells[0].data",
     "object"),
    ("threat-dragon", _td(_node("a", "tm.Store", "DB", isALog="maybe")), "$.detail.diagrams[0].cells[0].data.isALog",
     "true or false"),
    ("otm", {"otmVersion": "0.2.0", "project": {"name": "p"}, "components": [{"id": "c", "name": ["x"]}]},
     "$.components[0].name", "expected text"),
    ("threagile", {"threagile_version": "1", "technical_assets": {"A": {"id": "a", "internet": 3}}},
     "$.technical_assets.A.internet", "true or false"),
    ("threat-composer", {"schema": 1, "threats": [{"id": "t", "statement": {"x": 1}}]}, "$.threats[0].statement",
     "expected text"),
])
def test_wrong_types_are_located_by_path(fmt: str, doc: Any, path: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        load_data(fmt, doc, "doc.json")
    problem = caught.value.problems[0]
    assert problem.location.path == path and problem.location.file == "doc.json"
    assert words in problem.message and problem.hint


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_wrong_format_names_the_detected_one(fmt: str) -> None:
    samples = {"threat-dragon": _td(), "otm": {"otmVersion": "0.2.0", "project": {"name": "p", "id": "p"}},
               "threagile": {"threagile_version": "1.0.0", "technical_assets": {}},
               "threat-composer": {"schema": 1, "threats": []}}
    other = next(name for name in FORMATS if name != fmt)
    assert detect(samples[other]) == [other]
    with pytest.raises(InputError) as caught:
        load_data(fmt, samples[other], "other.json")
    problem = caught.value.problems[0]
    assert other in problem.message and f"dicetm import {other} other.json" in (problem.hint or "")


@pytest.mark.parametrize(("raw", "words"), [
    (b"", "empty"),
    (b"  \n", "empty"),
    (b'{"detail": "\xff"}', "not UTF-8"),
    (b"[1, 2, 3]", "not in the OWASP Threat Dragon format"),
    (b"a: &a [*a]\n", "refers to itself"),
    (b"x: 1\n" + b"a0: &a0 [1,1,1,1,1,1,1,1,1,1]\n" + b"".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n".encode() for i in range(1, 9)), "more than"),
    (b"[" * 5000 + b"]" * 5000, "JSON"),
    (b'{"n": 1' + b"0" * 5000 + b"}", "JSON"),
])
def test_hostile_or_empty_input_is_refused_with_a_message(raw: bytes, words: str) -> None:
    with pytest.raises(InputError) as caught:
        load_data("threat-dragon", raw, "hostile.json")
    assert words in str(caught.value)


def test_unknown_format_name() -> None:
    with pytest.raises(InputError, match="unknown import format 'visio'"):
        load_data("visio", {}, "x")


def test_threagile_risk_tracking_sets_the_status_of_matching_individual_risks() -> None:
    text = THREAGILE + """\
individual_risk_categories:
  Prompt injection:
    id: prompt-injection
    stride: tampering
    cwe: 1427
    mitigation: Separate instructions from data.
    risks_identified:
      Injection at <b>Agent</b>:
        exploitation_likelihood: very-likely
        exploitation_impact: high
        most_relevant_technical_asset: agent
        most_relevant_communication_link: user>ask
risk_tracking:
  prompt-injection@*@*:
    status: in-progress
  missing-vault@agent:
    status: accepted
"""
    result = load_data("threagile", text, "agent.yaml")
    threat = result.system.threats[0]
    assert (threat.id, threat.title, threat.source_status) == ("prompt-injection@agent@user-ask", "Injection at Agent",
                                                               "in-progress")
    assert (threat.stride, threat.likelihood, threat.impact) == (["T"], 4, 4)
    assert (threat.elements, threat.flows, threat.references) == (["agent"], ["user-ask"], ["cwe:CWE-1427"])
    assert result.system.controls[0].description == "Separate instructions from data."
    assert threat.controls == [result.system.controls[0].id]
    tracked = [u.path for u in result.unmapped if u.path.startswith("$.risk_tracking")]
    assert tracked == ['$.risk_tracking["missing-vault@agent"]']
