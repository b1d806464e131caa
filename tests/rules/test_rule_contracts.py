"""Contract tests over every registered rule: metadata, ids, references, controls, fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.catalog import load_catalog
from dicetm.rules.registry import all_rules

RULES = all_rules()
FIXTURES = Path(__file__).parent / "fixtures"


def test_rule_ids_and_slugs_unique() -> None:
    ids = [r.meta.id for r in RULES]
    slugs = [r.meta.slug for r in RULES]
    assert len(ids) == len(set(ids))
    assert len(slugs) == len(set(slugs))


def test_every_fixture_folder_belongs_to_a_rule() -> None:
    ids = {r.meta.id for r in RULES}
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders - ids == set(), "fixture folders without a rule"


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_rule_metadata_resolves(rule):  # type: ignore[no-untyped-def]
    catalog = load_catalog()
    meta = rule.meta
    for ref in meta.references:
        assert catalog.has(ref), f"{meta.id}: reference {ref} not in catalogue"
    for control in meta.controls:
        assert control in catalog.controls, f"{meta.id}: control {control} not in catalogue"
    known = {r.meta.id for r in RULES}
    for other in meta.supersedes:
        assert other in known and other != meta.id, f"{meta.id}: supersedes unknown rule {other}"
    for letter in meta.stride:
        assert catalog.has(f"stride:{letter}")
    assert meta.id.split("-")[1] in {"STRIDE", "LLM", "DATA", "AGENT"}
    assert len(meta.review_question) > 10 and meta.review_question.rstrip().endswith("?")


@pytest.mark.parametrize("rule", [r for r in RULES if r.meta.id.split("-")[1] != "STRIDE"],
                         ids=lambda r: r.meta.id)
def test_ai_rules_name_atlas_techniques_and_owasp(rule):  # type: ignore[no-untyped-def]
    refs = rule.meta.references
    assert any(r.startswith("atlas:AML.T") for r in refs), f"{rule.meta.id} names no ATLAS technique"
    assert any(r.startswith(("owasp-llm:", "owasp-agentic:", "owasp-asi:")) for r in refs)


def test_every_owasp_llm_item_has_a_rule() -> None:
    covered = {ref for r in RULES for ref in r.meta.references if ref.startswith("owasp-llm:")}
    assert covered == {f"owasp-llm:LLM{n:02d}:2025" for n in range(1, 11)}
