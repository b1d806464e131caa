"""Threat Dragon export: valid v2 JSON, geometry that says what the model says, and round trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from export_helpers import EXAMPLES, analyse_model_text, analysed, counts, importer, sample_files
from schema_checks import TD_ELEMENT_SHAPES, check_td_membership, check_threat_dragon, td_cells, td_counts

from dicetm.io.export_common import placement, stable_uuid
from dicetm.io.export_layout import boundary_parents
from dicetm.io.exporters import export

# The data keys Threat Dragon itself gives each cell type (td.vue/src/service/entity/default-properties.js),
# plus the two we add: the cell's STRIDE flag and the dicetm kind.
TD_DATA_KEYS = {
    "tm.Actor": {"type", "name", "description", "outOfScope", "reasonOutOfScope", "hasOpenThreats",
                 "providesAuthentication", "threats"},
    "tm.Process": {"type", "name", "description", "outOfScope", "reasonOutOfScope", "hasOpenThreats",
                   "handlesCardPayment", "handlesGoodsOrServices", "isWebApplication", "privilegeLevel", "threats"},
    "tm.Store": {"type", "name", "description", "outOfScope", "reasonOutOfScope", "hasOpenThreats", "isALog",
                 "isEncrypted", "isSigned", "storesCredentials", "storesInventory", "threats"},
    "tm.Flow": {"type", "name", "description", "outOfScope", "reasonOutOfScope", "hasOpenThreats",
                "isBidirectional", "isEncrypted", "isPublicNetwork", "protocol", "threats"},
    "tm.BoundaryBox": {"type", "name", "description", "isTrustBoundary", "hasOpenThreats"},
}
OURS = {"isTrustBoundary", "dicetmKind"}


def exported(example: str) -> dict[str, Any]:
    loaded, result = analysed(example)
    return json.loads(export("threat-dragon", result, loaded))


@pytest.mark.parametrize("example", EXAMPLES)
def test_export_is_valid_threat_dragon(example: str) -> None:
    assert check_threat_dragon(exported(example)) == []


@pytest.mark.parametrize("example", EXAMPLES)
def test_cells_match_the_model(example: str) -> None:
    loaded, result = analysed(example)
    system = loaded.system
    doc = exported(example)
    assert td_counts(doc) == {"elements": len(system.elements), "flows": len(system.flows),
                              "boundaries": len(system.trust_boundaries), "threats": len(result.threats)}
    cells = {cell["id"]: cell for cell in td_cells(doc)}
    for flow in system.flows:
        assert (cells[flow.id]["source"], cells[flow.id]["target"]) == ({"cell": flow.source}, {"cell": flow.target})
        assert cells[flow.id]["data"]["isEncrypted"] is (flow.encrypted is True)
        assert cells[flow.id]["data"]["protocol"] == (flow.protocol or "")
    for element in system.elements:
        assert cells[element.id]["data"]["name"] == element.name
        assert cells[element.id]["data"]["dicetmKind"] == element.kind.value


@pytest.mark.parametrize("example", EXAMPLES)
def test_threats_sit_on_their_element_or_flow(example: str) -> None:
    loaded, result = analysed(example)
    names = {c.id: c.name for c in result.countermeasures}
    by_title: dict[str, tuple[str, dict[str, Any]]] = {}
    for cell in td_cells(exported(example)):
        for threat in cell.get("data", {}).get("threats", []):
            by_title[threat["id"]] = (cell["id"], threat)
    numbers = sorted(threat["number"] for _cell, threat in by_title.values())
    assert numbers == list(range(1, len(result.threats) + 1))
    for threat in result.threats:
        cell_id, written = by_title[stable_uuid("threat", threat.id)]
        assert cell_id == placement(threat, loaded.system)[1]  # type: ignore[index]
        assert written["title"] == threat.title
        assert written["description"].startswith(threat.scenario)
        owasp = [r.removeprefix("owasp-llm:") for r in threat.references if r.startswith("owasp-llm:")]
        assert all(ref in written["description"] for ref in owasp)  # both editions travel with the threat
        assert written["status"] == "Open"
        assert written["severity"] == threat.risk.value.capitalize()
        assert written["score"] == str(threat.score)
        assert written["modelType"] == "STRIDE"
        for control in threat.controls:
            assert f"{control}: {names[control]}" in written["mitigation"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_boxes_enclose_exactly_their_members(example: str) -> None:
    loaded, _result = analysed(example)
    system = loaded.system
    membership = {e.id: system.boundary_of.get(e.id) for e in system.elements}
    assert check_td_membership(exported(example), membership, boundary_parents(system)) == []


def test_cells_use_the_keys_threat_dragon_writes() -> None:
    """Compared with Threat Dragon's own v2 demo model: the same cell keys, data keys from its defaults."""
    sample = json.loads(sample_files("threat-dragon", "v2-threat-model.json")[0].read_text(encoding="utf-8"))
    sample_keys: dict[str, set[str]] = {}
    for cell in td_cells(sample):
        sample_keys.setdefault(cell["shape"], set()).update(cell)
    sample_keys["trust-boundary-box"] = {"position", "size", "attrs", "visible", "shape", "id", "zIndex", "data"}
    for cell in td_cells(exported("support-chatbot")):
        assert set(cell) <= sample_keys[cell["shape"]], cell["id"]
        assert set(cell["data"]) <= TD_DATA_KEYS[cell["data"]["type"]] | OURS, cell["id"]
    assert set(exported("support-chatbot")) == set(sample)
    assert set(exported("support-chatbot")["detail"]) == set(sample["detail"])


def test_validator_accepts_threat_dragons_own_models() -> None:
    for path in sample_files("threat-dragon", "*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if path.name.endswith(".otm.json") or "diagramJson" in json.dumps(doc)[:20000]:
            continue  # OTM files, and the v1 format
        assert check_threat_dragon(doc, strict=False) == [], path.name


BREAKAGES = [
    ("flow to a missing cell", lambda d: _first(d, "flow")["target"].update(cell="nowhere"), "target.cell"),
    ("flow with a loose end", lambda d: _first(d, "flow").update(source={"x": 1, "y": 2}), "source"),
    ("threat without severity", lambda d: _first_threat(d).pop("severity"), "severity"),
    ("unknown status", lambda d: _first_threat(d).update(status="Done"), "status"),
    ("wrong data type", lambda d: _first(d, "store")["data"].update(type="tm.Process"), "data.type"),
    ("duplicate cell id", lambda d: _cells(d).append(copy.deepcopy(_first(d, "actor"))), "used twice"),
    ("missing threatTop", lambda d: d["detail"].pop("threatTop"), "threatTop"),
    ("size below the minimum", lambda d: _first(d, "process")["size"].update(width=5), "size.width"),
    ("text instead of a flag", lambda d: _first(d, "flow")["data"].update(isEncrypted="yes"), "isEncrypted"),
    ("no cell id", lambda d: _first(d, "process").pop("id"), "'id'"),
]


def _cells(doc: dict[str, Any]) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = doc["detail"]["diagrams"][0]["cells"]
    return cells


def _first(doc: dict[str, Any], shape: str) -> dict[str, Any]:
    return next(cell for cell in _cells(doc) if cell["shape"] == shape)


def _first_threat(doc: dict[str, Any]) -> dict[str, Any]:
    threat: dict[str, Any] = next(t for cell in _cells(doc) for t in cell.get("data", {}).get("threats", []))
    return threat


@pytest.mark.parametrize(("what", "breakage", "mentioned"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_validator_rejects_a_broken_document(what: str, breakage: Any, mentioned: str) -> None:
    doc = exported("support-chatbot")
    breakage(doc)
    problems = check_threat_dragon(doc)
    assert problems, what
    assert any(mentioned in problem for problem in problems), problems


def test_membership_check_notices_an_element_moved_out_of_its_box() -> None:
    loaded, _result = analysed("support-chatbot")
    system = loaded.system
    doc = exported("support-chatbot")
    cell = next(c for c in td_cells(doc) if c["id"] == "chat-backend")
    cell["position"] = {"x": -500, "y": -500}
    membership = {e.id: system.boundary_of.get(e.id) for e in system.elements}
    assert check_td_membership(doc, membership, boundary_parents(system)) != []


@pytest.mark.parametrize("example", EXAMPLES)
def test_output_is_stable(example: str, tmp_path: Path) -> None:
    loaded, result = analysed(example)
    first = export("threat-dragon", result, loaded)
    text = loaded.path.read_text(encoding="utf-8")
    again_loaded, again_result = analyse_model_text(text, tmp_path / "elsewhere")
    assert export("threat-dragon", again_result, again_loaded) == first
    assert export("threat-dragon", result, loaded) == first


# ------------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("example", EXAMPLES)
def test_dicetm_to_threat_dragon_and_back_keeps_counts(example: str) -> None:
    _load_file, load_data = importer()
    loaded, result = analysed(example)
    imported = load_data("threat-dragon", export("threat-dragon", result, loaded), "export.json")
    # The rules' findings are left to the rules on the way back (test_dicetm_round_trip checks they return).
    assert counts(imported.system) == counts(loaded.system)
    assert _membership(imported.system) == _membership(loaded.system)


def _membership(system: Any) -> dict[str, list[str]]:
    """Boundary name -> names of the elements whose innermost boundary it is (importers rename ids)."""
    names = {b.id: b.name for b in system.trust_boundaries}
    found: dict[str, list[str]] = {name: [] for name in names.values()}
    for element in system.elements:
        if element.id in system.boundary_of:
            found[names[system.boundary_of[element.id]]].append(element.name)
    return {name: sorted(members) for name, members in found.items()}


def _threat_dragon_v2_samples() -> list[Path]:
    return [p for p in sample_files("threat-dragon", "*.json")
            if not p.name.endswith(".otm.json") and '"diagramJson"' not in p.read_text(encoding="utf-8")]


def test_threat_dragon_sample_to_dicetm_and_back_keeps_counts(tmp_path: Path) -> None:
    load_file, load_data = importer()
    for path in _threat_dragon_v2_samples():
        first = load_file("threat-dragon", path)
        loaded, result = analyse_model_text(first.text, tmp_path / path.stem)
        text = export("threat-dragon", result, loaded, threats="stated")
        doc = json.loads(text)
        # the export adds no problem: what it reports is what Threat Dragon's own sample already has (e.g. 'TBA')
        assert check_threat_dragon(doc) == check_threat_dragon(json.loads(path.read_text(encoding="utf-8")))
        again = load_data("threat-dragon", text, f"{path.stem}-export.json")
        assert counts(again.system) == counts(first.system), path.name
        # every element, boundary box and threat of the sample that was imported is drawn again
        assert td_counts(doc)["elements"] == sum(1 for c in td_cells(json.loads(path.read_text(encoding="utf-8")))
                                                 if c["shape"] in TD_ELEMENT_SHAPES), path.name
        assert td_counts(doc)["threats"] == len(first.system.threats), path.name
