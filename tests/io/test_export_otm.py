"""Open Threat Model export: valid OTM 0.2.0 with resolvable references, facts kept, and round trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from export_helpers import EXAMPLES, analyse_model_text, analysed, counts, importer, sample_files
from schema_checks import check_otm, otm_counts

from dicetm.io.export_otm import OUTSIDE_MARK, OUTSIDE_ZONE
from dicetm.io.exporters import export


def exported(example: str) -> dict[str, Any]:
    loaded, result = analysed(example)
    return json.loads(export("otm", result, loaded))


@pytest.mark.parametrize("example", EXAMPLES)
def test_export_is_valid_otm(example: str) -> None:
    doc = exported(example)
    assert check_otm(doc) == []
    assert doc["otmVersion"] == "0.2.0"


@pytest.mark.parametrize("example", EXAMPLES)
def test_parts_match_the_model(example: str) -> None:
    loaded, result = analysed(example)
    system = loaded.system
    doc = exported(example)
    outside = [e.id for e in system.elements if e.id not in system.boundary_of]
    assert otm_counts(doc) == {"elements": len(system.elements), "flows": len(system.flows),
                               "boundaries": len(system.trust_boundaries) + (1 if outside else 0),
                               "threats": len(result.threats)}
    components = {c["id"]: c for c in doc["components"]}
    for element in system.elements:
        assert components[element.id]["parent"] == {"trustZone": system.boundary_of.get(element.id, OUTSIDE_ZONE)}
        assert components[element.id]["attributes"]["dicetm.kind"] == element.kind.value
        if element.exposure is not None:
            assert components[element.id]["attributes"]["exposure"] == element.exposure.value
    zones = {z["id"]: z for z in doc["trustZones"]}
    for boundary in system.trust_boundaries:
        expected = {"trustZone": boundary.parent} if boundary.parent else None
        assert zones[boundary.id].get("parent") == expected
    if outside:
        assert zones[OUTSIDE_ZONE]["attributes"] == {"dicetm": OUTSIDE_MARK}
    flows = {f["id"]: f for f in doc["dataflows"]}
    for flow in system.flows:
        assert (flows[flow.id]["source"], flows[flow.id]["destination"]) == (flow.source, flow.target)


@pytest.mark.parametrize("example", EXAMPLES)
def test_threats_are_referenced_from_what_they_threaten(example: str) -> None:
    _loaded, result = analysed(example)
    doc = exported(example)
    holders: dict[str, set[str]] = {}
    for item in [*doc["components"], *doc["dataflows"]]:
        for reference in item.get("threats") or []:
            holders.setdefault(reference["threat"], set()).add(item["id"])
            assert reference["state"] == "exposed"
            threat = next(t for t in result.threats if t.id == reference["threat"])
            assert [m["mitigation"] for m in reference["mitigations"]] == threat.controls
    for threat in result.threats:
        assert holders[threat.id] == set(threat.elements) | set(threat.flows)
    written = {t["id"]: t for t in doc["threats"]}
    for threat in result.threats:
        assert written[threat.id]["risk"]["likelihood"] == 20 * threat.likelihood
        assert written[threat.id]["risk"]["impact"] == 20 * threat.impact
        assert written[threat.id]["cwes"] == [r[4:] for r in threat.references if r.startswith("cwe:")]
    assert {m["id"] for m in doc["mitigations"]} == {c for t in result.threats for c in t.controls}


def test_validator_accepts_published_otm_files() -> None:
    for path in sample_files("threat-dragon", "*.otm.json"):
        assert check_otm(json.loads(path.read_text(encoding="utf-8"))) == [], path.name


BREAKAGES = [
    ("component in a missing zone", lambda d: d["components"][0]["parent"].update(trustZone="nowhere"), "parent"),
    ("component with two parents", lambda d: d["components"][0]["parent"].update(component="x"), "valid under each of"),
    ("dataflow to a missing component", lambda d: d["dataflows"][0].update(destination="ghost"), "destination"),
    ("reference to a missing threat", lambda d: _first_ref(d).update(threat="T-NOPE-001@x"), "threat"),
    ("reference to a missing mitigation", lambda d: _first_ref(d)["mitigations"][0].update(mitigation="C-X-000"),
     "mitigation"),
    ("threat without risk", lambda d: d["threats"][0].pop("risk"), "risk"),
    ("zone without trust rating", lambda d: d["trustZones"][0]["risk"].pop("trustRating"), "trustRating"),
    ("mitigation without riskReduction", lambda d: d["mitigations"][0].pop("riskReduction"), "riskReduction"),
    ("duplicate component id", lambda d: d["components"].append(copy.deepcopy(d["components"][0])), "twice"),
    ("attribute that is not text", lambda d: d["components"][0]["attributes"].update(x=1), "attributes.x"),
    ("undeclared representation", lambda d: d["components"][0]["representations"][0].update(representation="r"),
     "representation"),
    ("no project", lambda d: d.pop("project"), "project"),
]


def _first_ref(doc: dict[str, Any]) -> dict[str, Any]:
    reference: dict[str, Any] = next(r for c in doc["components"] for r in c.get("threats") or [] if r["mitigations"])
    return reference


@pytest.mark.parametrize(("what", "breakage", "mentioned"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_validator_rejects_a_broken_document(what: str, breakage: Any, mentioned: str) -> None:
    doc = exported("support-chatbot")
    breakage(doc)
    problems = check_otm(doc)
    assert problems, what
    assert any(mentioned in problem for problem in problems), problems


@pytest.mark.parametrize("example", EXAMPLES)
def test_output_is_stable(example: str, tmp_path: Path) -> None:
    loaded, result = analysed(example)
    first = export("otm", result, loaded)
    again_loaded, again_result = analyse_model_text(loaded.path.read_text(encoding="utf-8"), tmp_path / "copy")
    assert export("otm", again_result, again_loaded) == first == export("otm", result, loaded)


# ------------------------------------------------------------------------------------------ round trips


@pytest.mark.parametrize("example", EXAMPLES)
def test_dicetm_to_otm_and_back_keeps_counts(example: str) -> None:
    _load_file, load_data = importer()
    loaded, result = analysed(example)
    imported = load_data("otm", export("otm", result, loaded), "export.otm.json")
    assert not any(b.name == "Outside every trust boundary" for b in imported.system.trust_boundaries)
    # The rules' findings are left to the rules on the way back (test_dicetm_round_trip checks they return).
    assert counts(imported.system) == counts(loaded.system)


def test_otm_sample_to_dicetm_and_back_keeps_counts(tmp_path: Path) -> None:
    load_file, load_data = importer()
    for path in sample_files("threat-dragon", "*.otm.json"):
        first = load_file("otm", path)
        loaded, result = analyse_model_text(first.text, tmp_path / path.stem)
        text = export("otm", result, loaded, threats="stated")
        doc = json.loads(text)
        assert check_otm(doc) == [], path.name
        assert otm_counts(doc) == otm_counts(json.loads(path.read_text(encoding="utf-8"))), path.name
        again = load_data("otm", text, f"{path.stem}-export.otm.json")
        assert counts(again.system) == counts(first.system), path.name
