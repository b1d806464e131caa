"""JSON Schemas exported from the models: the model file (for editors) and result.json (for consumers).

Both come straight from the pydantic models, so they cannot drift from what the loader accepts and what
the analysis writes. Key order is fixed (header, then the usual reading order, then definitions), so the
printed schema is stable and diffs cleanly between releases.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from dicetm.model import AnalysisResult, System

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# URNs, not URLs: the ids name the formats without promising that anything is served at an address.
SYSTEM_SCHEMA_ID = "urn:dicetm:schema:model:1"
RESULT_SCHEMA_ID = "urn:dicetm:schema:result:1"

_BODY_ORDER = ("type", "properties", "required", "additionalProperties")


def system_json_schema() -> dict[str, Any]:
    """Schema of the model file ``dicetm.yaml`` (what the loader accepts)."""
    return _schema(
        System, "validation", SYSTEM_SCHEMA_ID, "dicetm model file",
        "A system described for threat modelling with dicetm: elements, data flows, trust boundaries, "
        "assets, assumptions, and the people's countermeasure and residual-risk decisions.",
    )


def result_json_schema() -> dict[str, Any]:
    """Schema of ``result.json`` (what one analysis run writes)."""
    return _schema(
        AnalysisResult, "serialization", RESULT_SCHEMA_ID, "dicetm analysis result",
        "Everything one dicetm analysis run produced: open questions, threats, countermeasures and the "
        "evaluation, in stable order.",
    )


def dump_schema(schema: dict[str, Any]) -> str:
    """The schema as the text dicetm prints and publishes (two-space indent, final newline)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _schema(model: type[BaseModel], mode: JsonSchemaMode, schema_id: str, title: str,
            description: str) -> dict[str, Any]:
    body = model.model_json_schema(mode=mode)
    ordered: dict[str, Any] = {"$schema": DRAFT, "$id": schema_id, "title": title, "description": description}
    ordered.update((key, body[key]) for key in _BODY_ORDER if key in body)
    ordered.update((key, value) for key, value in body.items() if key not in ordered and key != "$defs")
    if "$defs" in body:
        ordered["$defs"] = dict(sorted(body["$defs"].items()))
    return ordered
