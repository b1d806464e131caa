"""What the export tests share: the bundled examples analysed once, the shared samples, the importers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dicetm.api import analyze_path
from dicetm.model import AnalysisResult, System
from dicetm.store.modelfile import LoadedModel

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "examples"
EXAMPLES = ("coding-agent", "fine-tuning-pipeline", "support-chatbot")
SAMPLES = REPO.parent / "shared" / "data" / "samples"


@functools.cache
def analysed(example: str) -> tuple[LoadedModel, AnalysisResult]:
    return analyze_path(EXAMPLES_DIR / example)


def sample_files(folder: str, pattern: str) -> list[Path]:
    """Shared sample files, or a skip when the shared data folder is not beside the checkout."""
    where = SAMPLES / folder
    if not where.is_dir():
        pytest.skip(f"shared samples not found at {where} (they sit beside the checkout, in ../shared)")
    found = sorted(where.glob(pattern))
    if not found:
        pytest.skip(f"no {pattern} files in {where}")
    return found


def importer() -> tuple[Callable[[str, Path], Any], Callable[[str, object, str], Any]]:
    """``dicetm.io.load_file`` and ``load_data``; a skip while the importers are not there yet."""
    try:
        from dicetm.io import load_data, load_file
    except ImportError as exc:
        pytest.skip(f"the importers (dicetm.io.load_file) are not available yet: {exc}")
    return load_file, load_data


def counts(system: System) -> dict[str, int]:
    return {"elements": len(system.elements), "flows": len(system.flows),
            "boundaries": len(system.trust_boundaries), "threats": len(system.threats)}


def analyse_model_text(text: str, folder: Path) -> tuple[LoadedModel, AnalysisResult]:
    """Write a model file (e.g. an importer's output) into ``folder`` and analyse it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dicetm.yaml").write_text(text, encoding="utf-8")
    return analyze_path(folder)
