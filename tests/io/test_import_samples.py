"""Every shared sample file imports, with as many elements, flows, boundaries and threats as a plain count of
the source finds, a report of what was left out, a model file that loads, and an analysis that runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from import_helpers import SAMPLE_FILES, samples_dir

from dicetm.api import write_analysis
from dicetm.io import load_file
from dicetm.store.modelfile import load_system

IDS = [name.split("/")[-1] for _fmt, name in SAMPLE_FILES]


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


# ------------------------------------------------------------------- independent counts, one per format


def _td_counts(doc: dict[str, Any]) -> dict[str, int]:
    counts = {"elements": 0, "flows": 0, "boundaries": 0, "threats": 0}
    for diagram in doc["detail"]["diagrams"]:
        cells = diagram["cells"] if "cells" in diagram else diagram["diagramJson"]["cells"]
        kinds = {c["id"]: (c.get("data") or {}).get("type") or c.get("type") for c in cells}
        for cell in cells:
            kind = kinds[cell["id"]]
            counts["threats"] += len((cell.get("data") or cell).get("threats") or [])
            if kind in ("tm.Actor", "tm.Process", "tm.Store"):
                counts["elements"] += 1
            elif kind == "tm.BoundaryBox":
                counts["boundaries"] += 1
            elif kind == "tm.Flow":
                ends = [cell[side].get("cell") or cell[side].get("id") for side in ("source", "target")]
                if all(kinds.get(e) in ("tm.Actor", "tm.Process", "tm.Store") for e in ends) and ends[0] != ends[1]:
                    counts["flows"] += 1
    return counts


def _otm_counts(doc: dict[str, Any]) -> dict[str, int]:
    components = {c["id"] for c in doc.get("components") or []}
    flows = [f for f in doc.get("dataflows") or []
             if f["source"] in components and f["destination"] in components and f["source"] != f["destination"]]
    return {"elements": len(components), "flows": len(flows), "boundaries": len(doc.get("trustZones") or []),
            "threats": len(doc.get("threats") or [])}


def _threagile_counts(doc: dict[str, Any]) -> dict[str, int]:
    assets = doc["technical_assets"]
    ids = {a["id"] for a in assets.values()}
    links = [link for a in assets.values() for link in (a.get("communication_links") or {}).values()
             if link["target"] in ids and link["target"] != a["id"]]
    risks = [r for c in (doc.get("individual_risk_categories") or {}).values()
             for r in (c.get("risks_identified") or {}).values()]
    return {"elements": len(assets), "flows": len(links), "boundaries": len(doc.get("trust_boundaries") or {}),
            "threats": len(risks)}


def _composer_counts(doc: dict[str, Any]) -> dict[str, int]:
    return {"elements": 1, "flows": 0, "boundaries": 0, "threats": len(doc.get("threats") or [])}


COUNTERS = {"threat-dragon": _td_counts, "otm": _otm_counts, "threagile": _threagile_counts,
            "threat-composer": _composer_counts}


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES, ids=IDS)
def test_sample_imports_with_the_counts_of_the_source(fmt: str, name: str) -> None:
    path = samples_dir() / name
    result = load_file(fmt, path)
    system = result.system
    found = {"elements": len(system.elements), "flows": len(system.flows),
             "boundaries": len(system.trust_boundaries), "threats": len(system.threats)}
    assert found == COUNTERS[fmt](_read(path))
    assert system.elements, "an imported model is never empty"
    assert all(t.source == f"import:{fmt}" and t.source_ref and t.source_ref.startswith("$") for t in system.threats)
    assert result.unmapped, "every sample has something the model cannot hold; it must be reported"
    assert all(item.path.startswith("$") and item.what and item.why for item in result.unmapped)


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES, ids=IDS)
def test_sample_model_file_names_its_source_lists_the_report_and_loads(fmt: str, name: str, tmp_path: Path) -> None:
    path = samples_dir() / name
    result = load_file(fmt, path)
    header = result.text.split("\nversion: 1\n")[0]
    assert str(path) in header.splitlines()[0]
    for item in result.unmapped:
        assert item.path in header
    for note in result.notes:
        assert note.split(":")[0] in header
    model = tmp_path / "dicetm.yaml"
    model.write_text(result.text, encoding="utf-8")
    assert load_system(model).system == result.system


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES, ids=IDS)
def test_analysis_runs_on_every_imported_sample(fmt: str, name: str, tmp_path: Path) -> None:
    result = load_file(fmt, samples_dir() / name)
    (tmp_path / "dicetm.yaml").write_text(result.text, encoding="utf-8")
    analysis, written = write_analysis(tmp_path, tmp_path / "out")
    stated = [t for t in analysis.threats if t.rule == f"import:{fmt}"]
    assert len(stated) == len(result.system.threats)
    assert written


def test_import_is_deterministic() -> None:
    fmt, name = SAMPLE_FILES[3]
    first = load_file(fmt, samples_dir() / name)
    second = load_file(fmt, samples_dir() / name)
    assert first.text == second.text


# ---------------------------------------------------------------------- what each sample maps to, in detail


def test_threat_dragon_boxes_give_membership_from_geometry() -> None:
    system = load_file("threat-dragon", samples_dir() / "threat-dragon/three-tier-web-app.json").system
    members = {b.name: b.elements for b in system.trust_boundaries}
    assert members == {"Internet": ["web-ui"], "Public Cloud": ["web-service", "postgressql"]}
    assert system.crosses_boundary(system.flow_by_id["web-ui-to-web-service"])


def test_threat_dragon_lines_and_loose_flow_ends_are_reported_with_their_paths() -> None:
    result = load_file("threat-dragon", samples_dir() / "threat-dragon/v2-threat-model.json")
    paths = {item.path: item for item in result.unmapped}
    for index in (16, 17, 18):
        assert "line" in paths[f"$.detail.diagrams[0].cells[{index}]"].what
    assert "not attached" in paths["$.detail.diagrams[0].cells[19].source"].why
    # The loose flow is not imported, but its threat is, and its public-network mark still exposes its target.
    loose = next(t for t in result.system.threats if t.source_ref == "$.detail.diagrams[0].cells[19].data.threats[0]")
    assert loose.flows == [] and loose.elements == ["web-application"]
    assert result.system.element_by_id["web-application"].exposure == "internet"


def test_threat_dragon_threat_fields_map_to_stride_impact_status_and_controls() -> None:
    system = load_file("threat-dragon", samples_dir() / "threat-dragon/v2-threat-model.json").system
    threat = next(t for t in system.threats if t.title == "Fake messages could be placed on the queue")
    assert (threat.stride, threat.impact, threat.likelihood, threat.source_status) == (["S"], 4, None, "Mitigated")
    assert threat.elements == ["message-queue"]
    control = next(c for c in system.controls if c.id == threat.controls[0])
    assert control.description.startswith("Restrict access to the queue")
    flow_threat = next(t for t in system.threats if t.flows == ["put-message"])
    assert flow_threat.elements == ["web-application", "message-queue"]


def test_threat_dragon_facts_only_when_ticked() -> None:
    system = load_file("threat-dragon", samples_dir() / "threat-dragon/v2-threat-model.json").system
    config = system.element_by_id["worker-config"]
    assert config.classification == "secret"  # storesCredentials
    assert config.encrypted_at_rest is None  # isEncrypted: false is Threat Dragon's default, not a statement
    assert system.element_by_id["database"].kind == "log_store"  # isALog
    assert system.flow_by_id["put-message"].encrypted is None
    assert system.flow_by_id["queries"].encrypted is True
    assert "out-of-scope" in system.element_by_id["web-application-config"].tags


def test_threat_dragon_v1_file_imports() -> None:
    system = load_file("threat-dragon", samples_dir() / "threat-dragon/demo-threat-model.json").system
    assert system.flow_by_id["web-request"].protocol == "HTTP/S"
    assert system.element_by_id["web-application"].exposure == "internet"


def test_otm_maps_zones_instances_assets_and_ratings() -> None:
    result = load_file("otm", samples_dir() / "threat-dragon/example-open-threat-model.otm.json")
    system = result.system
    assert system.element_by_id["customer-database"].kind == "data_store"
    assert system.element_by_id["web-client"].kind == "external_entity"
    assert {b.name: b.elements for b in system.trust_boundaries} == {
        "Internet": ["web-client"], "Private": ["web-service", "customer-database", "class-customerdatabase"]}
    threat = system.threats[0]
    assert threat.id == "22724267-be7e-44c0-8b1f-d7d33e9a34ec"
    assert (threat.stride, threat.likelihood, threat.impact) == (["S", "T"], 3, 5)
    assert threat.references == ["cwe:CWE-79", "cwe:CWE-787"]
    assert threat.elements == ["web-service", "customer-database"]
    assert threat.flows == ["dataflow-between-webservice-and-mongo"]
    assert threat.source_status == "exposed"
    assert threat.controls == ["X-fd6136f4-e2ff-11eb-ba80-0242ac130004"]
    control = system.controls[0]
    assert control.source_status == "implemented (web-service); required (dataflow-between-webservice-and-mongo)"
    assets = {a.id: a for a in system.assets}
    assert assets["credit-card-data"].classification == "secret"
    assert assets["public-info"].classification == "public"
    assert assets["public-info"].stored_in == ["web-service"]


def test_threagile_maps_links_boundaries_assets_and_risks() -> None:
    result = load_file("threagile", samples_dir() / "threagile/threagile-example.yaml")
    system = result.system
    web = system.flow_by_id["customer-client-customer-traffic"]
    assert (web.source, web.target, web.protocol, web.encrypted, web.authenticated, web.bidirectional) == (
        "customer-client", "load-balancer", "https", True, True, True)
    cms = system.flow_by_id["load-balancer-cms-content-traffic"]
    assert (cms.encrypted, cms.authenticated) == (False, False)
    parents = {b.id: b.parent for b in system.trust_boundaries}
    assert parents == {"web-dmz": "application-network", "erp-dmz": "application-network",
                       "application-network": None, "auth-env": "application-network", "dev-network": None}
    assert system.element_by_id["customer-client"].exposure == "internet"
    assert {a.id: a.classification for a in system.assets}["customer-accounts"] == "secret"
    risk = system.threats[0]
    assert (risk.id, risk.stride, risk.likelihood, risk.impact, risk.references) == (
        "something-strange@sql-database", ["R"], 3, 3, ["cwe:CWE-693"])
    assert risk.controls == ["X-something-strange"]
    tracked = [item for item in result.unmapped if item.path.startswith("$.risk_tracking[\"")]
    assert len(tracked) == 6  # all six track risks of Threagile's built-in rules
    assert any(item.path == '$.shared_runtimes["WebApp and Backoffice Virtualization"]' for item in result.unmapped)


def test_threat_composer_gets_one_placeholder_element_and_says_so() -> None:
    result = load_file("threat-composer", samples_dir() / "threat-composer/ThreatComposer.tc.json")
    system = result.system
    assert len(system.elements) == 1 and system.elements[0].kind == "process"
    assert "placeholder" in (system.elements[0].description or "").lower()
    assert any("placeholder" in note for note in result.notes)
    assert all(t.elements == [system.elements[0].id] for t in system.threats)
    statement = system.threats[0]
    assert statement.title.startswith("A threat actor that is able to trick a user")
    assert statement.stride == ["I"] and statement.source_status == "threatResolved"
    linked = sum(len(t.controls) for t in system.threats)
    assert linked == 32  # 36 links, 4 of which name threats that are not in the file
    dangling = [u for u in result.unmapped if u.path.startswith("$.mitigationLinks[")]
    assert len(dangling) == 4
    assert len(system.assumptions) == 5
