"""The analysis result as JSON: the machine-readable record, sorted so that diffs show only real changes."""

from __future__ import annotations

import json
from operator import itemgetter

import pydantic_core

from dicetm.gcpause import gc_paused
from dicetm.model import AnalysisResult

_BY_KEY = itemgetter(0)


def _sorted_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    return dict(sorted(pairs, key=_BY_KEY))


def render_json(result: AnalysisResult) -> str:
    """Keys sorted, two-space indent, trailing newline; ``AnalysisResult.model_validate_json`` reads it."""
    # Same bytes as json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False),
    # whose indenting encoder is pure Python and takes seconds on large models. Here pydantic's Rust serializer
    # writes the result, the C json parser re-reads it sorting each object's keys on the way, and the Rust
    # writer indents it. (The two writers differ only in exponent floats such as 1e-07, which the result,
    # whose one float is a percentage rounded to 0.1, never holds.)
    with gc_paused():
        data = json.loads(result.model_dump_json(), object_pairs_hook=_sorted_object)
        return pydantic_core.to_json(data, indent=2).decode("utf-8") + "\n"
