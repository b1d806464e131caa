"""JSON inside a model's text answer: asking for it, and finding it again.

Models asked for JSON still wrap it: a Markdown fence, a sentence before or after, a ``<think>`` block from
a local reasoning model. ``extract_json`` accepts those and nothing looser: the answer must hold one
complete JSON value, which the caller then validates against its schema.
"""

from __future__ import annotations

import json
import re

_THINKING = re.compile(r"<think(?:ing)?>.*?</think(?:ing)?>", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```[ \t]*(?:json5?|javascript|js)?[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)
_MAX_STARTS = 200  # candidate opening brackets tried in prose before giving up


def schema_instruction(schema: dict[str, object]) -> str:
    """What to add to a system prompt when the API itself cannot be told the schema."""
    return ("\n\nAnswer with a single JSON object, and nothing else, that matches this JSON Schema:\n"
            + json.dumps(schema, sort_keys=True))


def extract_json(text: str) -> object:
    """The JSON value in ``text``; raises ValueError saying why there is none (empty, cut off, not JSON)."""
    text = _THINKING.sub("", text).strip()
    if not text:
        raise ValueError("the answer is empty")
    first_error: json.JSONDecodeError | None = None
    for candidate in [text, *(block.strip() for block in _FENCE.findall(text))]:
        try:
            return _unwrap(json.loads(candidate))
        except json.JSONDecodeError as exc:
            first_error = first_error or exc
    found = _first_embedded(text)
    if found is not None:
        return found
    if first_error is not None and ("{" in text or "[" in text):
        raise ValueError(f"not valid JSON ({first_error.msg} at line {first_error.lineno} column "
                         f"{first_error.colno}); it may be cut off")
    raise ValueError("the answer holds no JSON object")


def _first_embedded(text: str) -> object | None:
    """The first JSON object that decodes completely from a ``{`` inside prose; failing that, an array."""
    decoder = json.JSONDecoder()
    for opening, kind in (("{", dict), ("[", list)):
        starts = [match.start() for match in re.finditer(re.escape(opening), text)][:_MAX_STARTS]
        for start in starts:
            try:
                value, _ = decoder.raw_decode(text, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, kind):
                return value
    return None


def _unwrap(value: object) -> object:
    """A JSON string that itself holds a JSON object (some models double-encode) becomes that object."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
