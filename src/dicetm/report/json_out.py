"""The analysis result as JSON: the machine-readable record, sorted so that diffs show only real changes."""

from __future__ import annotations

import json

from dicetm.model import AnalysisResult


def render_json(result: AnalysisResult) -> str:
    """Keys sorted, two-space indent, trailing newline; ``AnalysisResult.model_validate_json`` reads it."""
    data = result.model_dump(mode="json")
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
