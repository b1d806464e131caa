"""The analysis result as JSON: the machine-readable record, sorted so that diffs show only real changes."""

from __future__ import annotations

import functools
from typing import Any

from pydantic_core import SchemaSerializer, core_schema

from dicetm.gcpause import gc_paused
from dicetm.model import AnalysisResult
from dicetm.textsafe import json_text


def render_json(result: AnalysisResult) -> str:
    """Keys sorted, two-space indent, trailing newline; ``AnalysisResult.model_validate_json`` reads it.

    The bytes are those of ``json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True,
    ensure_ascii=False)``, whose indenting encoder is pure Python and takes seconds on large models. Here
    pydantic's Rust serializer writes them, from a copy of the result's schema that lists keys in order.
    (The two writers would differ only on exponent floats such as 1e-07; the result's one float is a
    percentage rounded to 0.1.) C1 and bidirectional controls, which both leave raw, are written as
    ``\\u`` escapes (``\\u202e`` for a right-to-left override) so the JSON is safe to print to a terminal.
    """
    return json_text(_json_bytes(result).decode("utf-8")) + "\n"


def json_chunks(result: AnalysisResult) -> list[bytes]:
    """``render_json(result).encode("utf-8")`` in chunks. ASCII JSON (nothing in the result quotes non-ASCII
    text) is written as pydantic made it, without decoding it to text and encoding it back (copies of tens of
    megabytes for a large model); anything else goes through ``render_json``'s escaping."""
    data = _json_bytes(result)
    if data.isascii() and b"\x7f" not in data:  # nothing json_text would escape
        return [data, b"\n"]
    return [(json_text(data.decode("utf-8")) + "\n").encode("utf-8")]


def _json_bytes(result: AnalysisResult) -> bytes:
    with gc_paused():
        return _sorted_serializer().to_json(result, indent=2)


@functools.cache
def _sorted_serializer() -> SchemaSerializer:
    return SchemaSerializer(_sorting(AnalysisResult.__pydantic_core_schema__))


def _sorting(node: Any) -> Any:
    """A copy of a pydantic core schema whose models and dicts serialize with their keys sorted.

    pydantic writes a model's fields in the order of the instance's ``__dict__``; so each model goes
    through a function that returns its fields in sorted order, typed by the model's own field schemas.
    """
    if isinstance(node, list):
        return [_sorting(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: value if key == "metadata" else _sorting(value) for key, value in node.items()}
    if copy.get("type") == "model" and copy["schema"].get("type") == "model-fields":
        fields = copy["schema"]["fields"]
        names = sorted(fields)
        typed = core_schema.typed_dict_schema({n: core_schema.typed_dict_field(fields[n]["schema"]) for n in names})
        copy["serialization"] = core_schema.plain_serializer_function_ser_schema(
            functools.partial(_fields_in_order, names), return_schema=typed)
    elif copy.get("type") == "dict":
        copy["serialization"] = core_schema.plain_serializer_function_ser_schema(_sorted_value)
    return copy


def _fields_in_order(names: list[str], model: Any) -> dict[str, Any]:
    values = model.__dict__
    return {name: values[name] for name in names}


def _sorted_value(value: Any) -> Any:
    """Plain data with every dict's keys sorted, at any depth (dict fields may hold ``Any``)."""
    if isinstance(value, dict):
        return {key: _sorted_value(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_value(item) for item in value]
    return value
