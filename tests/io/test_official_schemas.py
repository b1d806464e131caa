"""Exports validated against the schemas their tools publish, and SARIF with Microsoft's validator too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from export_helpers import EXAMPLES, analyse_model_text, analysed
from import_helpers import SAMPLE_FILES, samples_dir
from official_schemas import ajv_nullable, problems, threagile_data

from dicetm.io import load_file
from dicetm.io.exporters import export

SCHEMA_OF = {"threat-dragon": "threat-dragon", "otm": "otm", "threagile": "threagile", "sarif": "sarif"}
IDS = [name.split("/")[-1] for _fmt, name in SAMPLE_FILES]


def _parse(fmt: str, text: str) -> Any:
    return threagile_data(text) if fmt == "threagile" else json.loads(text)


@pytest.mark.parametrize("fmt", sorted(SCHEMA_OF))
@pytest.mark.parametrize("example", EXAMPLES)
def test_export_of_an_example_is_valid(example: str, fmt: str) -> None:
    loaded, result = analysed(example)
    assert problems(SCHEMA_OF[fmt], _parse(fmt, export(fmt, result, loaded))) == []


@pytest.mark.parametrize("fmt", sorted(SCHEMA_OF))
@pytest.mark.parametrize(("source", "name"), SAMPLE_FILES, ids=IDS)
def test_export_of_an_imported_sample_is_valid(source: str, name: str, fmt: str, tmp_path: Path) -> None:
    """Every sample, imported and exported to every format with a published schema: the export adds no
    problem (a same-format export gives back the sample's own ones, e.g. Threat Dragon's 'TBA' severity)."""
    path = samples_dir() / name
    loaded, result = analyse_model_text(load_file(source, path).text, tmp_path)
    found = problems(SCHEMA_OF[fmt], _parse(fmt, export(fmt, result, loaded)))
    if fmt == source:
        original = path.read_text(encoding="utf-8")
        assert set(found) <= set(problems(SCHEMA_OF[fmt], _parse(fmt, original)))
    else:
        assert found == []


def test_the_validator_refuses_what_the_schema_refuses() -> None:
    loaded, result = analysed("support-chatbot")
    doc = json.loads(export("sarif", result, loaded))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    del doc["runs"][0]["tool"]["driver"]["name"]
    found = problems("sarif", doc)
    assert any("fatal" in p for p in found) and any("'name' is a required property" in p for p in found)


def test_nullable_is_read_as_ajv_reads_it() -> None:
    schema = {"type": "object", "properties": {"dash": {"type": "string", "nullable": True},
                                               "kind": {"enum": ["a"], "type": "string", "nullable": True}}}
    assert ajv_nullable(schema)["properties"] == {"dash": {"type": ["string", "null"]},
                                                  "kind": {"enum": ["a", None], "type": ["string", "null"]}}


# ------------------------------------------------------------------------------------------ SARIF rules


def _sarif(example: str, environment: dict[str, str] | None = None) -> dict[str, Any]:
    from dicetm.report.sarif import render_threats_sarif

    loaded, result = analysed(example)
    return json.loads(render_threats_sarif(result, loaded, environment=environment))


@pytest.mark.parametrize("example", EXAMPLES)
def test_sarif_rules_carry_what_code_scanning_shows(example: str) -> None:
    doc = _sarif(example)
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["fullName"] and driver["informationUri"].startswith("https://")
    assert run["automationDetails"]["id"].startswith("dicetm/threats/")
    _loaded, result = analysed(example)
    names = {c.id: c.name for c in result.countermeasures}
    for rule in driver["rules"]:
        assert rule["fullDescription"]["text"] and rule["helpUri"].startswith("https://")
        members = [t for t in result.threats if t.rule == rule["id"]]
        worst = max(members, key=lambda t: t.score)
        assert " ".join(worst.scenario.split()) in rule["help"]["text"]
        for control in {c for t in members for c in t.controls}:
            assert f"`{control}` {names[control]}" in rule["help"]["markdown"]
            assert f"{control}: {names[control]}" in rule["help"]["text"]


def test_sarif_automation_details_follow_azure_pipelines() -> None:
    environment = {"SYSTEM_DEFINITIONID": "42", "BUILD_DEFINITIONNAME": "threat-model",
                   "SYSTEM_PHASEID": "8b2f6e1c-3d4a-4b5c-9d6e-7f8a9b0c1d2e", "SYSTEM_PHASENAME": "Job"}
    details = _sarif("support-chatbot", environment)["runs"][0]["automationDetails"]
    assert details["id"].startswith("azuredevops/pipeline/build/42/")
    assert details["properties"]["azuredevops/pipeline/build/buildDefinitionName"] == "threat-model"


def _multitool() -> str:
    """Microsoft's SARIF multitool (npm @microsoft/sarif-multitool), as .ci/run installs it, or a skip."""
    candidates = [os.environ.get("DICETM_SARIF_MULTITOOL", ""),
                  str(Path(__file__).resolve().parents[2] / ".ci" / "tools" / "node_modules" / "@microsoft"
                      / "sarif-multitool-linux" / "Sarif.Multitool"), shutil.which("Sarif.Multitool") or ""]
    found = next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)
    if found is None:
        pytest.skip("the SARIF multitool is not installed (.ci/run installs it with npm)")
    return found


@pytest.mark.parametrize("example", EXAMPLES)
def test_sarif_passes_the_github_and_azure_devops_rules(example: str, tmp_path: Path) -> None:
    tool = _multitool()
    environment = {"SYSTEM_DEFINITIONID": "42", "BUILD_DEFINITIONNAME": "threat-model",
                   "SYSTEM_PHASEID": "8b2f6e1c-3d4a-4b5c-9d6e-7f8a9b0c1d2e", "SYSTEM_PHASENAME": "Job"}
    log = tmp_path / "threats.sarif"
    log.write_text(json.dumps(_sarif(example, environment)), encoding="utf-8")
    report = tmp_path / "validation.sarif"
    subprocess.run([tool, "validate", "--rule-kind", "Sarif;Gh;Ado", "--level", "Error;Warning", "--output",
                    str(report), str(log)], check=True, capture_output=True, timeout=300,
                   env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
    results = json.loads(report.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert [(r["ruleId"], r["message"]) for r in results] == []
