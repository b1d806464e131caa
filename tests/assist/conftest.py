"""Fixtures shared by the assist tests: the bundled support chatbot, its catalogue and its analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.api import load
from dicetm.catalog import Catalog, load_catalog
from dicetm.model.findings import AnalysisResult
from dicetm.model.system import System
from dicetm.pipeline.run import analyze

EXAMPLE = Path(__file__).resolve().parents[2] / "src/dicetm/examples/support-chatbot/dicetm.yaml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def system() -> System:
    return load(EXAMPLE).system


@pytest.fixture(scope="module")
def result(system: System, catalog: Catalog) -> AnalysisResult:
    return analyze(system, catalog=catalog)
