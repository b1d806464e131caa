"""The reviewable list stays short: at most 3 threats per component in default detail, on the bundled examples
(also checked by the golden tests) and on generated models of every shape (benchmarks/threats_per_component.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "threats_per_component.py"


@pytest.fixture(scope="module")
def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("threats_per_component", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_models_stay_at_or_under_three(benchmark: ModuleType) -> None:
    table = benchmark.rows([40, 200], "grouped")
    assert table and all(ratio <= 3.0 for _name, _e, _t, ratio in table), table
    assert all(threats > 0 for _name, _e, threats, _r in table)


def test_the_benchmark_fails_above_its_limit(benchmark: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmark.main(["--sizes", "30", "--limit", "0.5"]) == 1
    assert "above 0.5 threats per element" in capsys.readouterr().err
