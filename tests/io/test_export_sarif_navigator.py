"""SARIF and ATLAS Navigator exports: valid documents that point at the right lines and techniques."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from export_helpers import EXAMPLES, analysed
from schema_checks import check_navigator, check_sarif

from dicetm.catalog import load_catalog
from dicetm.io.exporters import export
from dicetm.model import RiskLevel

LEVELS = {RiskLevel.critical: "error", RiskLevel.high: "error", RiskLevel.medium: "warning", RiskLevel.low: "note"}


def sarif(example: str) -> dict[str, Any]:
    loaded, result = analysed(example)
    return json.loads(export("sarif", result, loaded))


def layer(example: str) -> dict[str, Any]:
    loaded, result = analysed(example)
    return json.loads(export("atlas-navigator", result, loaded))


# ------------------------------------------------------------------------------------------------ SARIF


@pytest.mark.parametrize("example", EXAMPLES)
def test_sarif_is_valid_with_one_result_per_threat(example: str) -> None:
    _loaded, result = analysed(example)
    doc = sarif(example)
    assert check_sarif(doc) == []
    results = doc["runs"][0]["results"]
    assert sorted(r["partialFingerprints"]["dicetmThreat/v1"] for r in results) == sorted(t.id for t in result.threats)
    by_id = {t.id: t for t in result.threats}
    for item in results:
        assert item["level"] == LEVELS[by_id[item["partialFingerprints"]["dicetmThreat/v1"]].risk]


@pytest.mark.parametrize("example", EXAMPLES)
def test_sarif_locations_point_at_the_primary_element_in_the_model_file(example: str) -> None:
    loaded, result = analysed(example)
    lines = loaded.path.read_text(encoding="utf-8").splitlines()
    by_id = {t.id: t for t in result.threats}
    for item in sarif(example)["runs"][0]["results"]:
        threat = by_id[item["partialFingerprints"]["dicetmThreat/v1"]]
        physical = item["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith("dicetm.yaml")
        line = lines[physical["region"]["startLine"] - 1]
        assert f"id: {threat.elements[0]}" in line, (threat.id, line)


SARIF_BREAKAGES = [
    ("rule index out of range", lambda d: d["runs"][0]["results"][0].update(ruleIndex=999), "ruleIndex"),
    ("rule index of another rule", lambda d: _other_rule_index(d), "points at rule"),
    ("unknown level", lambda d: d["runs"][0]["results"][0].update(level="critical"), "level"),
    ("line zero", lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
     .update(startLine=0), "startLine"),
    ("no message", lambda d: d["runs"][0]["results"][0].pop("message"), "message"),
    ("wrong version", lambda d: d.update(version="2.0.0"), "version"),
    ("no tool name", lambda d: d["runs"][0]["tool"]["driver"].pop("name"), "name"),
    ("duplicate rule", lambda d: d["runs"][0]["tool"]["driver"]["rules"].append(
        copy.deepcopy(d["runs"][0]["tool"]["driver"]["rules"][0])), "non-unique"),
]


def _other_rule_index(doc: dict[str, Any]) -> None:
    first = doc["runs"][0]["results"][0]
    first["ruleIndex"] = (first["ruleIndex"] + 1) % len(doc["runs"][0]["tool"]["driver"]["rules"])


@pytest.mark.parametrize(("what", "breakage", "mentioned"), SARIF_BREAKAGES, ids=[b[0] for b in SARIF_BREAKAGES])
def test_sarif_validator_rejects_a_broken_log(what: str, breakage: Any, mentioned: str) -> None:
    doc = sarif("support-chatbot")
    breakage(doc)
    problems = check_sarif(doc)
    assert problems, what
    assert any(mentioned in problem for problem in problems), problems


# ------------------------------------------------------------------------------------- ATLAS Navigator


@pytest.mark.parametrize("example", EXAMPLES)
def test_navigator_layer_is_valid(example: str) -> None:
    doc = layer(example)
    assert check_navigator(doc, load_catalog()) == []
    assert doc["domain"] == "atlas-atlas"


def test_navigator_lists_exactly_the_techniques_the_threats_name() -> None:
    _loaded, result = analysed("support-chatbot")
    catalog = load_catalog()
    named: dict[str, list[Any]] = {}
    for threat in result.threats:
        for reference in threat.references:
            entry = catalog.get(reference)
            if reference.startswith("atlas:") and getattr(entry, "kind", "") in ("technique", "subtechnique"):
                named.setdefault(reference.removeprefix("atlas:"), []).append(threat)
    assert named  # the example names ATLAS techniques; an empty layer would prove nothing
    techniques = {t["techniqueID"]: t for t in layer("support-chatbot")["techniques"]}
    assert set(techniques) == set(named)
    for technique_id, threats in named.items():
        written = techniques[technique_id]
        assert written["score"] == max(t.score for t in threats)
        assert 1 <= written["score"] <= 25
        for threat in threats:
            assert threat.id in written["comment"]
        assert written["enabled"] is True


NAVIGATOR_BREAKAGES = [
    ("unknown technique", lambda d: d["techniques"][0].update(techniqueID="AML.T9999"), "no technique"),
    ("our prefix left in", lambda d: d["techniques"][0].update(techniqueID="atlas:AML.T0051.000"), "not an ATLAS"),
    ("a tactic instead of a technique", lambda d: d["techniques"][0].update(techniqueID="AML.TA0005"), "not an"),
    ("ATT&CK domain", lambda d: d.update(domain="enterprise-attack"), "domain"),
    ("score as text", lambda d: d["techniques"][0].update(score="25"), "score"),
    ("gradient upside down", lambda d: d["gradient"].update(minValue=30), "maxValue"),
    ("one gradient colour", lambda d: d["gradient"].update(colors=["#ffffff"]), "colours"),
    ("metadata without value", lambda d: d["metadata"][0].pop("value"), "value"),
    ("duplicate technique", lambda d: d["techniques"].append(copy.deepcopy(d["techniques"][0])), "twice"),
    ("no name", lambda d: d.pop("name"), "name"),
]


@pytest.mark.parametrize(("what", "breakage", "mentioned"), NAVIGATOR_BREAKAGES,
                         ids=[b[0] for b in NAVIGATOR_BREAKAGES])
def test_navigator_validator_rejects_a_broken_layer(what: str, breakage: Any, mentioned: str) -> None:
    doc = layer("support-chatbot")
    breakage(doc)
    problems = check_navigator(doc, load_catalog())
    assert problems, what
    assert any(mentioned in problem for problem in problems), problems


@pytest.mark.parametrize("fmt", ["sarif", "atlas-navigator"])
def test_output_is_stable(fmt: str) -> None:
    loaded, result = analysed("coding-agent")
    assert export(fmt, result, loaded) == export(fmt, result, loaded)
