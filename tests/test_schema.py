"""The exported JSON Schemas agree with the loader and are stable."""

from __future__ import annotations

import json

import yaml
from jsonschema import Draft202012Validator

from dicetm.model import AnalysisResult, Evaluation, System
from dicetm.schema import (
    DRAFT,
    RESULT_SCHEMA_ID,
    SYSTEM_SCHEMA_ID,
    dump_schema,
    result_json_schema,
    system_json_schema,
)
from dicetm.store.modelfile import parse_system_text

SAMPLE = """\
name: Support bot
elements:
  - id: user
    name: Customer
    kind: external_entity
  - id: bot
    name: Assistant
    kind: llm
    exposure: internet
    output_rendered_as: [markdown]
  - id: search
    name: Search tool
    kind: tool
    permissions: [read]
    acts_on: kb
  - id: kb
    name: Knowledge base
    kind: vector_store
flows:
  - {id: ask, source: user, target: bot, encrypted: true}
trust_boundaries:
  - {id: dc, name: Data centre, elements: [bot, search, kb]}
countermeasures:
  - {control: C-OUT-005, status: planned, due: 2025-01-31}
residual_risks:
  - {threat: T-LLM-001@bot, owner: Jane, decision: accept}
"""


def validator() -> Draft202012Validator:
    schema = system_json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def messages(data: object) -> list[str]:
    return sorted(error.message for error in validator().iter_errors(data))


def test_system_schema_header_comes_first() -> None:
    schema = system_json_schema()
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert schema["$schema"] == DRAFT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SYSTEM_SCHEMA_ID
    assert schema["title"] == "dicetm model file"
    assert list(schema)[-1] == "$defs"
    assert list(schema["$defs"]) == sorted(schema["$defs"])
    assert schema["additionalProperties"] is False


def test_sample_model_is_valid_for_the_schema_and_the_loader() -> None:
    data = yaml.safe_load(SAMPLE)
    data["countermeasures"][0]["due"] = "2025-01-31"  # safe_load makes a date; the loader keeps text
    assert messages(data) == []
    assert parse_system_text(SAMPLE, "m.yaml").system.name == "Support bot"


def test_schema_rejects_an_unknown_kind() -> None:
    data = {"name": "x", "elements": [{"id": "kb", "name": "KB", "kind": "vectorstore"}]}
    (message,) = messages(data)
    assert message.startswith("'vectorstore' is not one of ['external_entity', 'process',")


def test_schema_rejects_unknown_fields_and_missing_required_ones() -> None:
    data = {"name": "x", "elements": [{"id": "api", "name": "API", "kind": "process", "exposre": "internet"}],
            "flows": [{"id": "f", "source": "api"}]}
    assert messages(data) == [
        "'target' is a required property",
        "Additional properties are not allowed ('exposre' was unexpected)",
    ]


def test_schema_checks_id_patterns() -> None:
    data = {"name": "x", "elements": [{"id": "Chat API", "name": "Chat", "kind": "process"}]}
    (message,) = messages(data)
    assert message == "'Chat API' does not match '^[a-z0-9][a-z0-9_.-]*$'"


def test_schema_matches_the_model_fields() -> None:
    schema = system_json_schema()
    assert set(schema["properties"]) == set(System.model_fields)
    assert schema["required"] == ["name"]
    element = schema["$defs"]["Element"]
    assert element["additionalProperties"] is False
    assert set(element["required"]) == {"id", "name", "kind"}


def test_result_schema_validates_a_result() -> None:
    schema = result_json_schema()
    Draft202012Validator.check_schema(schema)
    assert list(schema)[:4] == ["$schema", "$id", "title", "description"]
    assert schema["$id"] == RESULT_SCHEMA_ID
    result = AnalysisResult(
        dicetm_version="0.1.0", catalog_version="1", system_name="x", open_questions=[], threats=[],
        countermeasures=[], raw_findings=0,
        evaluation=Evaluation(threats_total=0, threats_covered=0, coverage_percent=100.0, by_risk={},
                              uncovered=[], matrix=[], residual_risks=[], next_steps=[]),
    )
    checker = Draft202012Validator(schema)
    assert list(checker.iter_errors(json.loads(result.model_dump_json()))) == []
    assert list(checker.iter_errors({"dicetm_version": "0.1.0"}))  # incomplete results are rejected


def test_schemas_are_stable_text() -> None:
    text = dump_schema(system_json_schema())
    assert text == dump_schema(system_json_schema())
    assert text.endswith("}\n")
    assert json.loads(text) == system_json_schema()
    assert dump_schema(result_json_schema()) == dump_schema(result_json_schema())
