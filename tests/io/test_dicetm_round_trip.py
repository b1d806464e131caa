"""A dicetm model sent to another tool and taken in again keeps what the finding ids rest on.

Threat Dragon and OTM exports carry dicetm's own marks (the element kind, and for OTM the stated facts); the
importers read them back, so the element ids, kinds and facts, and with them the threat ids that decisions are
recorded against, come through unchanged. A file another tool wrote is read as before (the shared samples'
round trips check that).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from export_helpers import EXAMPLES, analysed

from dicetm.io import load_data
from dicetm.io.exporters import export
from dicetm.model import AnalysisResult, Element, Flow, System, ThreatRecord
from dicetm.pipeline.run import analyze

_NOT_COMPARED = {"provenance", "source_data"}


def _facts(item: Element | Flow) -> dict[str, Any]:
    return {k: v for k, v in item.model_dump(exclude_none=True).items() if k not in _NOT_COMPARED and v not in ([],)}


@pytest.mark.parametrize("example", EXAMPLES)
def test_otm_out_and_back_keeps_ids_kinds_facts_and_threat_ids(example: str) -> None:
    loaded, result = analysed(example)
    back = load_data("otm", json.loads(export("otm", result, loaded)), "model.otm.json").system
    assert {e.id: _facts(e) for e in back.elements} == {e.id: _facts(e) for e in loaded.system.elements}
    original_flows = {f.id: _facts(f) for f in loaded.system.flows}
    assert {f.id: _facts(f) for f in back.flows} == original_flows
    assert {t.id for t in analyze(back).threats} == {t.id for t in result.threats}


@pytest.mark.parametrize("example", EXAMPLES)
def test_threat_dragon_out_and_back_keeps_element_ids_and_kinds(example: str) -> None:
    loaded, result = analysed(example)
    imported = load_data("threat-dragon", export("threat-dragon", result, loaded), "model.json")
    back = imported.system
    assert {e.id: e.kind for e in back.elements} == {e.id: e.kind for e in loaded.system.elements}
    assert not [u for u in imported.unmapped if "dicetmKind" in str(u)]  # read, not reported as dropped


# A round trip is idempotent: the threats dicetm's rules found are left to the rules on the way back (their
# marks say so), instead of coming back as imported threats beside the rule findings they copy.
_MARKED = ("threat-dragon", "otm", "threagile")


def _round_trip(tool: str, result: AnalysisResult, system: System) -> tuple[System, AnalysisResult, list[str]]:
    draft = load_data(tool, export(tool, result, _Loaded(system)), f"model.{tool}")
    return draft.system, analyze(draft.system), draft.notes


@dataclass
class _Loaded:
    system: System


@pytest.mark.parametrize("tool", _MARKED)
@pytest.mark.parametrize("example", EXAMPLES)
def test_a_round_trip_lists_each_threat_once_and_a_second_one_changes_nothing(tool: str, example: str) -> None:
    loaded, result = analysed(example)
    assert not loaded.system.threats and {t.provenance.source for t in result.threats} == {"rule"}
    once, once_result, notes = _round_trip(tool, result, loaded.system)
    assert once.threats == []  # none imported: every exported threat was a rule's finding
    assert {t.provenance.source for t in once_result.threats} == {"rule"}
    ids = [t.id for t in once_result.threats]
    assert len(ids) == len(set(ids))
    assert any(f"{len(result.threats)} threats that dicetm exported from its own rules" in n for n in notes)
    twice, twice_result, _notes = _round_trip(tool, once_result, once)
    assert twice.threats == [] and [t.id for t in twice_result.threats] == ids
    assert not [c for c in twice.controls if c.id.startswith("X-")]  # no catalogue control comes back as custom


def test_otm_round_trip_gives_back_exactly_the_rule_findings() -> None:
    loaded, result = analysed("support-chatbot")
    _back, back_result, _notes = _round_trip("otm", result, loaded.system)
    assert sorted(t.id for t in back_result.threats) == sorted(t.id for t in result.threats)


def test_a_threat_a_person_stated_keeps_its_id_through_threat_dragon() -> None:
    loaded, _result = analysed("support-chatbot")
    stated = ThreatRecord(id="TH-ops-1", title="Operator pastes customer data into the wiki",
                          elements=[loaded.system.elements[0].id])
    system = loaded.system.model_copy(update={"threats": [stated]})
    result = analyze(system)
    back, back_result, _notes = _round_trip("threat-dragon", result, system)
    assert [t.id for t in back.threats] == ["TH-ops-1"]
    assert [t.id for t in back_result.threats].count("TH-ops-1") == 1


def test_a_file_another_tool_wrote_keeps_its_threats_even_with_dicetm_like_ids() -> None:
    """Only dicetm's own marks make a threat a rule finding: an OTM file from elsewhere is read as before."""
    loaded, result = analysed("support-chatbot")
    doc = json.loads(export("otm", result, loaded))
    doc["project"]["attributes"] = {}  # not written by dicetm
    back = load_data("otm", doc, "other.otm.json").system
    assert len(back.threats) == len(result.threats)


def test_a_status_set_in_threat_dragon_on_a_rule_finding_is_named_in_the_notes_not_taken_as_a_decision() -> None:
    loaded, result = analysed("support-chatbot")
    doc = json.loads(export("threat-dragon", result, loaded))
    marked = next(t for cell in doc["detail"]["diagrams"][0]["cells"] for t in cell.get("data", {}).get("threats", []))
    marked["status"] = "Mitigated"
    draft = load_data("threat-dragon", doc, "edited.json")
    assert draft.system.threats == []
    assert any(f"{marked['dicetmId']}: Mitigated" in note and "is not a decision in dicetm" in note
               for note in draft.notes)


def _without_marks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """``doc`` as dicetm exported it before threats carried ``dicetmId``; its threats."""
    threats = [t for cell in doc["detail"]["diagrams"][0]["cells"] for t in cell.get("data", {}).get("threats", [])]
    for threat in threats:
        del threat["dicetmId"]
    return threats


@pytest.mark.parametrize("example", EXAMPLES)
def test_an_old_threat_dragon_export_without_marks_does_not_double_its_threats(example: str) -> None:
    """Before ``dicetmId``, the exporter wrote a rule finding's id only into the threat's id (a UUID made from it):
    that is the key a re-import matches it by, on the cell it sits on."""
    loaded, result = analysed(example)
    marked = json.loads(export("threat-dragon", result, loaded))
    doc = json.loads(export("threat-dragon", result, loaded))
    threats = _without_marks(doc)
    assert threats and all("dicetmId" not in t for t in threats)
    draft = load_data("threat-dragon", doc, "old-export.json")
    assert draft.system.threats == []
    assert any(f"{len(threats)} threats that dicetm exported from its own rules" in n for n in draft.notes)
    ids = [t.id for t in analyze(draft.system).threats]
    assert len(ids) == len(set(ids))
    assert ids == [t.id for t in analyze(load_data("threat-dragon", marked, "new-export.json").system).threats]


def test_an_old_export_keeps_the_threats_people_added_in_threat_dragon_or_stated_in_dicetm() -> None:
    loaded, _result = analysed("support-chatbot")
    stated = ThreatRecord(id="TH-ops-1", title="Operator pastes customer data into the wiki",
                          elements=[loaded.system.elements[0].id])
    system = loaded.system.model_copy(update={"threats": [stated]})
    result = analyze(system)
    doc = json.loads(export("threat-dragon", result, _Loaded(system)))
    _without_marks(doc)
    cell = next(c for c in doc["detail"]["diagrams"][0]["cells"] if c.get("data", {}).get("threats"))
    added = {"id": "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "title": "Support staff reuse one shared login",
             "status": "Open", "severity": "High", "type": "Spoofing", "description": "", "mitigation": "",
             "modelType": "STRIDE", "number": 99, "score": ""}
    copied = dict(cell["data"]["threats"][0], title="A rule's threat a person copied and reworded",
                  id="0b0c0d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e")
    cell["data"]["threats"] += [added, copied]
    back = load_data("threat-dragon", doc, "old-export.json").system
    assert sorted(t.title for t in back.threats) == sorted(
        [stated.title, added["title"], copied["title"]])
