"""Every registered rule runs on its own fixtures: `fires.yaml` must produce exactly the ids in
`expected.yaml`, `quiet.yaml` must produce none."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dicetm.model import System
from dicetm.rules.base import build_threat
from dicetm.rules.registry import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
RULES = all_rules()


def _system(path: Path) -> System:
    return System.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_rule_fires_on_its_fixture(rule):  # type: ignore[no-untyped-def]
    folder = FIXTURES / rule.meta.id
    assert (folder / "fires.yaml").is_file(), f"{rule.meta.id} has no fixture folder {folder}"
    system = _system(folder / "fires.yaml")
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    found = sorted(build_threat(rule.meta, hit, system, "test").id for hit in rule.evaluate(system))
    assert found == sorted(expected["fires"]), f"{rule.meta.id} produced {found}"


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_rule_is_quiet_on_its_fixture(rule):  # type: ignore[no-untyped-def]
    system = _system(FIXTURES / rule.meta.id / "quiet.yaml")
    found = [build_threat(rule.meta, hit, system, "test").id for hit in rule.evaluate(system)]
    assert found == [], f"{rule.meta.id} fired on quiet.yaml: {found}"


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_hits_name_existing_elements_and_fill_templates(rule):  # type: ignore[no-untyped-def]
    system = _system(FIXTURES / rule.meta.id / "fires.yaml")
    for hit in rule.evaluate(system):
        threat = build_threat(rule.meta, hit, system, "test")
        assert all(e in system.element_by_id for e in threat.elements)
        assert all(f in system.flow_by_id for f in threat.flows)
        for text in (threat.title, threat.scenario, threat.rationale, threat.review_question):
            assert "{" not in text, f"unfilled template value in {rule.meta.id}: {text}"
        assert system.element_by_id[hit.element].kind in rule.meta.applies_to
