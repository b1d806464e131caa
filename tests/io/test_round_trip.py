"""Foreign file -> dicetm -> the same format gives the file back; other formats say what they drop.

Every shared sample is imported, written as a model file, analysed and exported again. The export with the
stated threats is the original document (link lists compared as sets: their order means nothing to the
tools); with every threat, nothing of the original is lost and dicetm's findings are added. A person's edit
in dicetm shows in the export while the foreign ids and positions stay.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from import_helpers import SAMPLE_FILES, samples_dir
from roundtrip_measure import CATEGORIES, compare, read, round_trip

from dicetm.api import analyze_path
from dicetm.io import CARRIED, FORMATS, load_file
from dicetm.io.exporters import cross_format, export
from dicetm.io.sourcekeep import cross_format_losses

IDS = [name.split("/")[-1] for _fmt, name in SAMPLE_FILES]
_LINK_LISTS = ("assumptionLinks", "mitigationLinks")


def _parse(text: str) -> Any:
    return json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)


def _normalised(doc: Any) -> Any:
    if isinstance(doc, dict):
        for key in _LINK_LISTS:
            if isinstance(doc.get(key), list):
                doc[key] = sorted(doc[key], key=lambda link: json.dumps(link, sort_keys=True))
    return doc


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES, ids=IDS)
def test_same_format_round_trip_gives_the_file_back(fmt: str, name: str) -> None:
    path = samples_dir() / name
    _imported, text = round_trip(fmt, path)
    assert _normalised(_parse(text)) == _normalised(read(path))


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES, ids=IDS)
def test_round_trip_with_every_threat_loses_nothing(fmt: str, name: str, tmp_path: Path) -> None:
    path = samples_dir() / name
    imported = load_file(fmt, path)
    (tmp_path / "dicetm.yaml").write_text(imported.text, encoding="utf-8")
    loaded, result = analyze_path(tmp_path)
    comparison = compare(read(path), _parse(export(fmt, result, loaded)))
    assert {c: comparison.lost_count(c) for c in CATEGORIES} == dict.fromkeys(CATEGORIES, 0)


def _edited(text: str, old: str, new: str) -> str:
    assert f"name: {old}\n" in text
    return text.replace(f"name: {old}\n", f"name: {new}\n", 1)


def test_an_edit_in_dicetm_shows_and_the_drawing_stays(tmp_path: Path) -> None:
    path = samples_dir() / "threat-dragon/three-tier-web-app.json"
    original = read(path)
    cells = {c["id"]: c for c in original["detail"]["diagrams"][0]["cells"]}
    imported = load_file("threat-dragon", path)
    element = next(e for e in imported.system.elements if e.source_data is not None)
    (tmp_path / "dicetm.yaml").write_text(_edited(imported.text, element.name, "Renamed in dicetm"), encoding="utf-8")
    loaded, result = analyze_path(tmp_path)
    doc = json.loads(export("threat-dragon", result, loaded, threats="stated"))
    assert element.source_data is not None
    cell_id = element.source_data.item["id"]
    written = {c["id"]: c for c in doc["detail"]["diagrams"][0]["cells"]}[cell_id]
    assert written["data"]["name"] == "Renamed in dicetm"
    assert written["attrs"]["text"]["text"] == "Renamed in dicetm"
    assert written["position"] == cells[cell_id]["position"]
    untouched = [c for c in cells if c != cell_id]
    assert all(written_cell == cells[c] for c, written_cell in
               ((c, {x["id"]: x for x in doc["detail"]["diagrams"][0]["cells"]}[c]) for c in untouched))


_WORKSPACE = {"schema": 1, "applicationInfo": {"name": "Shop"}, "threats": [
    {"id": "11111111-1111-4111-8111-111111111111", "numericId": 1, "displayOrder": 1, "status": "threatResolved",
     "threatSource": "external actor", "prerequisites": "with a stolen token", "threatAction": "read orders",
     "statement": "An external actor with a stolen token can read orders",
     "metadata": [{"key": "Comments", "value": "Seen in the 2024 pen test -> fixed"},
                  {"key": "Priority", "value": "High"}], "tags": ["pen-test"]}]}


def _composer_export(tmp_path: Path, edit: bool, keep_source: bool) -> dict[str, Any]:
    from dicetm.io import load_data

    imported = load_data("threat-composer", json.loads(json.dumps(_WORKSPACE)), "shop.tc.json")
    data = yaml.safe_load(imported.text)
    if edit:
        data["threats"][0]["title"] = "An external actor with a stolen token can read every order"
    if not keep_source:
        for item in data["threats"]:
            item.pop("source_data", None)
    (tmp_path / "dicetm.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    loaded, result = analyze_path(tmp_path)
    return json.loads(export("threat-composer", result, loaded, threats="stated"))


@pytest.mark.parametrize("keep_source", [True, False], ids=["with-source-data", "without"])
@pytest.mark.parametrize("edit", [False, True], ids=["as-imported", "edited"])
def test_threat_composer_comment_never_becomes_the_statement(tmp_path: Path, edit: bool, keep_source: bool) -> None:
    threat = _composer_export(tmp_path, edit, keep_source)["threats"][0]
    title = "An external actor with a stolen token can read " + ("every order" if edit else "orders")
    assert threat["statement"] == title
    comments = [m["value"] for m in threat["metadata"] if m["key"] == "Comments"]
    assert comments == ["Seen in the 2024 pen test -> fixed"]
    if keep_source:  # the parts, status and tags travel with the kept threat
        assert (threat["threatSource"], threat["status"], threat["tags"]) == (
            "external actor", "threatResolved", ["pen-test"])


def test_threat_composer_assumption_links_stay_as_many() -> None:
    path = samples_dir() / "threat-composer/ThreatComposer.tc.json"
    _imported, text = round_trip("threat-composer", path)
    assert len(json.loads(text)["assumptionLinks"]) == len(read(path)["assumptionLinks"])


def test_threat_composer_entities_from_its_sanitiser_are_decoded() -> None:
    doc = {"schema": 1, "applicationInfo": {"name": "A &amp; B"}, "threats": [
        {"id": "11111111-1111-4111-8111-111111111111", "numericId": 1, "statement": "A user -&gt; the API",
         "metadata": [{"key": "Comments", "value": "x &lt;- y"}]}]}
    from dicetm.io import load_data

    system = load_data("threat-composer", doc, "entities.tc.json").system
    assert system.name == "A & B"
    assert system.threats[0].title == "A user -> the API"
    assert system.threats[0].scenario == "x <- y"


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES, ids=IDS)
def test_cross_format_exports_list_exactly_what_they_drop(fmt: str, name: str) -> None:
    """Each line names foreign fields that are in the source data and not among what the model carries;
    every field of the source data is either carried or listed."""
    imported = load_file(fmt, samples_dir() / name)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "dicetm.yaml").write_text(imported.text, encoding="utf-8")
        loaded, _result = analyze_path(Path(folder))
        assert cross_format(fmt, loaded) == []
        for target in (f for f in FORMATS if f != fmt):
            lines = cross_format(target, loaded)
            assert lines == cross_format_losses(loaded.system, target, CARRIED)
            listed = {field for line in lines for field in line.split(": ", 1)[1].split(", ")}
            items = [imported.system, *imported.system.elements, *imported.system.flows, *imported.system.threats,
                     *imported.system.trust_boundaries, *imported.system.assets, *imported.system.controls,
                     *imported.system.assumptions]
            for item in items:
                if item.source_data is None:
                    continue
                for key in item.source_data.item:
                    carried = {c.split(".")[0] for c in CARRIED[fmt] if "." not in c}
                    inner = {c.split(".", 1)[1] for c in CARRIED[fmt] if c.startswith(f"{key}.")}
                    covered = key in carried or any(f == key or f.startswith(f"{key}.") for f in listed)
                    assert covered or inner, f"{target}: {key} of {type(item).__name__} neither carried nor listed"
