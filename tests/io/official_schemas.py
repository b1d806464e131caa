"""Validation against the schemas the tools publish (vendored under ``tests/schemas``), with ``jsonschema``.

Each schema is checked with the validator of the draft it declares. Threat Dragon validates with ajv 8,
which reads the OpenAPI keyword ``nullable: true`` as "null is allowed too"; jsonschema ignores unknown
keywords, so the schema is rewritten here the way ajv reads it (``type: T`` -> ``type: [T, "null"]``).
Threagile's YAML is read without YAML's date type: Threagile reads ``date`` as text, as its schema says.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
FILES = {
    "sarif": "sarif/sarif-schema-2.1.0.json",
    "otm": "otm/otm_schema.json",
    "threat-dragon": "threat-dragon/threat-dragon-v2.schema.json",
    "tm-bom": "threat-dragon/threat-model.schema.json",
    "threagile": "threagile/schema.json",
}


def ajv_nullable(schema: Any) -> Any:
    """``nullable: true`` read as ajv reads it: null is one more allowed type (and enum value)."""
    if isinstance(schema, list):
        return [ajv_nullable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: ajv_nullable(value) for key, value in schema.items() if key != "nullable"}
    if schema.get("nullable") is True:
        kind = result.get("type")
        if isinstance(kind, str):
            result["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            result["type"] = [*kind, "null"]
        if isinstance(result.get("enum"), list) and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
    return result


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / FILES[name]).read_text(encoding="utf-8"))
    if name == "threat-dragon":
        schema = ajv_nullable(schema)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def problems(name: str, doc: Any) -> list[str]:
    """``"<path>: <message>"`` for every way ``doc`` breaks the published schema (empty when valid)."""
    found = []
    for error in sorted(_validator(name).iter_errors(copy.deepcopy(doc)), key=lambda e: list(map(str, e.path))):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
        message = error.message if len(error.message) <= 300 else f"{error.message[:140]} ... {error.message[-140:]}"
        found.append(f"{path}: {message}")
    return found


class _TextDates(yaml.SafeLoader):
    """YAML without the timestamp type: dates stay text."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def threagile_data(text: str) -> Any:
    return yaml.load(text, Loader=_TextDates)  # a SafeLoader subclass: plain data only
