"""docs/rules/ must match the rules; regenerate it with scripts/gen_rule_docs.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen_rule_docs.py"


def test_rule_docs_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_rule_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: .venv/bin/python scripts/gen_rule_docs.py"
