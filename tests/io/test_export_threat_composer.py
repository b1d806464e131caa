"""Threat Composer export: a workspace Threat Composer's strict schema accepts, with resolvable links."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from export_helpers import EXAMPLES, EXAMPLES_DIR, analyse_model_text, analysed, importer, sample_files
from schema_checks import check_threat_composer

from dicetm.io.export_common import clip, stable_uuid
from dicetm.io.exporters import export
from dicetm.model import AnalysisResult


def exported(example: str) -> dict[str, Any]:
    loaded, result = analysed(example)
    return json.loads(export("threat-composer", result, loaded))


@pytest.mark.parametrize("example", EXAMPLES)
def test_export_is_valid_threat_composer(example: str) -> None:
    doc = exported(example)
    assert check_threat_composer(doc) == []
    assert doc["schema"] == 1


@pytest.mark.parametrize("example", EXAMPLES)
def test_scenarios_become_statements_and_controls_mitigations(example: str) -> None:
    loaded, result = analysed(example)
    doc = exported(example)
    statements = {t["id"]: t for t in doc["threats"]}
    assert len(statements) == len(result.threats)
    for threat in result.threats:
        written = statements[stable_uuid("threat", threat.id)]
        assert written["statement"] == threat.scenario
        assert written["status"] == "threatIdentified"
        assert written["threatAction"] == clip(threat.title, 200)
        names = [loaded.system.element_by_id[e].name for e in threat.elements]
        assert written["impactedAssets"] == names
        assert {"key": "STRIDE", "value": threat.stride} in written["metadata"]
    links = {(link["mitigationId"], link["linkedId"]) for link in doc["mitigationLinks"]}
    for threat in result.threats:
        for control in threat.controls:
            assert (stable_uuid("control", control), stable_uuid("threat", threat.id)) in links
    assert len(doc["mitigations"]) == len({c for t in result.threats for c in t.controls})


@pytest.mark.parametrize("example", EXAMPLES)
def test_rule_assumptions_are_linked_to_their_threats(example: str) -> None:
    _loaded, result = analysed(example)
    doc = exported(example)
    content = {a["id"]: a["content"] for a in doc["assumptions"]}
    linked: dict[str, set[str]] = {}
    for link in doc["assumptionLinks"]:
        linked.setdefault(content[link["assumptionId"]], set()).add(link["linkedId"])
    for threat in result.threats:
        for text in threat.assumptions:
            assert stable_uuid("threat", threat.id) in linked[text]


def test_validator_accepts_threat_composers_own_workspaces() -> None:
    for path in sample_files("threat-composer", "*.tc.json"):
        assert check_threat_composer(json.loads(path.read_text(encoding="utf-8")), strict=False) == [], path.name


BREAKAGES = [
    ("link to a missing threat", lambda d: d["mitigationLinks"][0].update(linkedId=stable_uuid("x", "y")),
     "linkedId"),
    ("link id that is no UUID", lambda d: d["mitigationLinks"][0].update(mitigationId="C-INP-001"), "UUID"),
    ("assumption link of a wrong type", lambda d: d["assumptionLinks"][0].update(type="Threats"), "type"),
    ("statement part too long", lambda d: d["threats"][0].update(threatAction="x" * 201), "threatAction"),
    ("unknown field", lambda d: d["threats"][0].update(owner="me"), "owner"),
    ("unknown status", lambda d: d["threats"][0].update(status="open"), "status"),
    ("unknown metadata key", lambda d: d["threats"][0]["metadata"].append({"key": "Risk", "value": "x"}), "Risk"),
    ("bad priority", lambda d: d["threats"][0]["metadata"][1].update(value="Critical"), "value"),
    ("tag too long", lambda d: d["mitigations"][0].update(tags=["x" * 31]), "tags"),
    ("duplicate threat id", lambda d: d["threats"].append(copy.deepcopy(d["threats"][0])), "twice"),
    ("newer schema", lambda d: d.update(schema=2), "schema"),
    ("missing numericId", lambda d: d["mitigations"][0].pop("numericId"), "numericId"),
]


@pytest.mark.parametrize(("what", "breakage", "mentioned"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_validator_rejects_a_broken_document(what: str, breakage: Any, mentioned: str) -> None:
    doc = exported("support-chatbot")
    breakage(doc)
    problems = check_threat_composer(doc)
    assert problems, what
    assert any(mentioned in problem for problem in problems), problems


def test_long_texts_are_cut_to_threat_composers_limits(tmp_path: Path) -> None:
    long_name = "A" * 300
    original = analysed("support-chatbot")[0].path.read_text(encoding="utf-8")
    text = original.replace("name: Support chatbot", f"name: {long_name}", 1)
    assert text != original
    loaded, result = analyse_model_text(text, tmp_path / "long")
    doc = json.loads(export("threat-composer", result, loaded))
    assert check_threat_composer(doc) == []
    assert doc["applicationInfo"]["name"].endswith("…")


@pytest.mark.parametrize("example", EXAMPLES)
def test_output_is_stable(example: str, tmp_path: Path) -> None:
    loaded, result = analysed(example)
    first = export("threat-composer", result, loaded)
    again_loaded, again_result = analyse_model_text(loaded.path.read_text(encoding="utf-8"), tmp_path / "copy")
    assert export("threat-composer", again_result, again_loaded) == first


def test_threat_composer_sample_exports_again(tmp_path: Path) -> None:
    load_file, _load_data = importer()
    for path in sample_files("threat-composer", "*.tc.json"):
        first = load_file("threat-composer", path)
        loaded, result = analyse_model_text(first.text, tmp_path / path.stem)
        doc = json.loads(export("threat-composer", result, loaded, threats="stated"))
        # the export adds no problem: the dangling links it reports are the sample's own, given back as they were
        unindexed = lambda problems: sorted(re.sub(r"\[\d+\]", "[*]", p) for p in problems)  # noqa: E731
        assert unindexed(check_threat_composer(doc)) == unindexed(
            check_threat_composer(json.loads(path.read_text(encoding="utf-8"))))
        assert len(doc["threats"]) == len(first.system.threats), path.name


def _reranked(result: AnalysisResult) -> AnalysisResult:
    """``result`` as a later run may rank it: the same countermeasures for the same threats, in another order of
    work (ranks follow the risk each takes off, which moves whenever any score does)."""
    last = len(result.countermeasures) + 1
    return result.model_copy(update={"countermeasures": [c.model_copy(update={"rank": last - c.rank})
                                                         for c in result.countermeasures]})


@pytest.mark.parametrize("example", EXAMPLES)
def test_mitigation_links_come_in_a_fixed_order_whatever_the_ranks(example: str) -> None:
    loaded, result = analysed(example)
    first = export("threat-composer", result, loaded)
    assert export("threat-composer", result, loaded) == first  # byte for byte
    links = json.loads(first)["mitigationLinks"]
    assert json.loads(export("threat-composer", _reranked(result), loaded))["mitigationLinks"] == links
    control_of = {stable_uuid("control", c.id): c.id for c in result.countermeasures}
    threat_of = {stable_uuid("threat", t.id): t.id for t in result.threats}
    pairs = [(control_of[link["mitigationId"]], threat_of[link["linkedId"]]) for link in links]
    assert pairs == sorted(set(pairs))


def test_two_exports_in_separate_processes_are_byte_identical(tmp_path: Path) -> None:
    """Nothing in the export depends on the process (hash seeds order sets differently in each)."""
    model = EXAMPLES_DIR / "support-chatbot"
    texts = []
    for seed in ("1", "2"):
        target = tmp_path / f"tc-{seed}.json"
        done = subprocess.run([sys.executable, "-m", "dicetm.cli", "export", "threat-composer", str(model), "--out",
                               str(target)], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        texts.append(target.read_bytes())
    assert texts[0] == texts[1]
