"""render_json writes exactly what the plain standard-library encoder would, only faster."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dicetm.model import AnalysisResult, System
from dicetm.pipeline.run import analyze
from dicetm.report import render_json
from dicetm.store.modelfile import load_system
from dicetm.textsafe import json_text

EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "examples").iterdir() if (p / "dicetm.yaml").exists())


def reference(result: AnalysisResult) -> str:
    """The standard encoder's text, with the terminal-unsafe characters it leaves raw written as escapes."""
    return json_text(json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def test_same_bytes_as_the_standard_encoder(result: AnalysisResult, hostile: tuple[System, AnalysisResult]) -> None:
    assert render_json(result) == reference(result)
    assert render_json(hostile[1]) == reference(hostile[1])


def test_free_form_values_are_sorted_at_every_depth(result: AnalysisResult) -> None:
    odd = result.model_copy(deep=True)
    odd.threats[0].original = {"zeta": [{"b": 1, "a": "é\u2028\x01\"\\"}], "alpha": {"y": None, "x": 2.5}}
    odd.threats[0].title = "naïve 😀 </script>\t\x7f"
    odd.evaluation.by_risk = {"medium": 1, "critical": 2, "low": 0, "high": 3}
    assert render_json(odd) == reference(odd)
    assert "\u2028" not in render_json(odd) and "\x7f" not in render_json(odd)
    assert json.loads(render_json(odd))["threats"][0]["title"] == "naïve 😀 </script>\t\x7f"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("detail", ["grouped", "full"])
def test_bundled_examples(example: Path, detail: str) -> None:
    result = analyze(load_system(example).system, detail=detail)
    assert render_json(result) == reference(result)
