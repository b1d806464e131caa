"""TM-BOM (the OWASP Threat Model Library format Threat Dragon 2.6 opens) imports into a dicetm model."""

from __future__ import annotations

import json
from pathlib import Path

from official_schemas import problems
from typer.testing import CliRunner

from dicetm.cli import app
from dicetm.io import detect, load_file
from dicetm.model import Classification, Kind

FIXTURE = Path(__file__).parent / "fixtures" / "assistant.tmbom.json"


def test_the_fixture_is_valid_tm_bom() -> None:
    assert problems("tm-bom", json.loads(FIXTURE.read_text(encoding="utf-8"))) == []
    assert detect(json.loads(FIXTURE.read_text(encoding="utf-8"))) == ["tm-bom"]


def test_tm_bom_maps_to_elements_flows_zones_assets_threats_and_controls() -> None:
    result = load_file("tm-bom", FIXTURE)
    system = result.system
    kinds = {e.id: e.kind for e in system.elements}
    assert kinds == {"staff": Kind.external_entity, "assistant": Kind.process, "model-api": Kind.llm,
                     "wiki-index": Kind.vector_store}
    assert system.element_by_id["assistant"].name == "Assistant service"
    assert {(f.source, f.target) for f in system.flows} == {("staff", "assistant"), ("assistant", "wiki-index"),
                                                             ("assistant", "model-api")}
    assert system.flow_by_id["retrieve"].classification == Classification.confidential
    assert system.flow_by_id["retrieve"].encrypted is False
    assert {b.id: b.elements for b in system.trust_boundaries} == {"corp": ["assistant", "wiki-index"],
                                                                    "vendor": ["model-api"]}
    asset = system.assets[0]
    assert (asset.classification, asset.stored_in) == (Classification.personal, ["wiki-index"])
    threat = system.threats[0]
    assert (threat.likelihood, threat.impact, threat.references, threat.controls) == (
        4, 4, ["cwe:CWE-1427"], ["X-page-review"])
    assert "CAPEC-242" in (threat.scenario or "")
    assert system.controls[0].source_status == "scheduled"
    assert system.assumptions[0].elements == ["assistant", "wiki-index"]
    # what has no place is reported with its path, and kept
    assert any(u.path == "$.data_flows[3].destination" for u in result.unmapped)
    assert system.source_data is not None and "$.data_flows[3]" in system.source_data.parts
    assert "threat_personas" in system.source_data.item


def test_dicetm_import_takes_a_tmbom_file(tmp_path: Path) -> None:
    out = tmp_path / "dicetm.yaml"
    run = CliRunner().invoke(app, ["import", "tm-bom", str(FIXTURE), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "name: Help desk assistant" in out.read_text(encoding="utf-8")
    wrong = CliRunner().invoke(app, ["import", "threat-dragon", str(FIXTURE), "--out", str(tmp_path / "x.yaml")])
    assert wrong.exit_code == 2
    assert "dicetm import tm-bom" in wrong.output
