"""Contract tests over every registered rule: metadata, ids, references, controls, fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dicetm.catalog import load_catalog
from dicetm.catalog.check import check_references
from dicetm.catalog.editions import scope_problems
from dicetm.errors import Location
from dicetm.rules.base import render
from dicetm.rules.registry import all_rules

RULES = all_rules()
FIXTURES = Path(__file__).parent / "fixtures"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"
FAMILIES = {"STRIDE", "LLM", "DATA", "AGENT", "ECO", "ML"}
FLOW_VALUES = ("{flow}", "{protocol}")
# Element names as the subject of a singular verb or pronoun: wrong when a group lists several elements.
SINGULAR = re.compile(r"^\{element\}(,[^,]*,)? (is|has|holds|reaches|runs|acts|accepts|keeps|combines)\b"
                      r"|^\{element\}.*\bits\b")


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
    for ref in [*meta.references, *meta.conditional_references]:
        assert catalog.resolve(ref) == ref, f"{meta.id}: reference {ref} is not a canonical catalogue ref"
    assert not set(meta.references) & set(meta.conditional_references), f"{meta.id}: conditional ref also static"
    for control in meta.controls:
        assert control in catalog.controls, f"{meta.id}: control {control} not in catalogue"
    known = {r.meta.id for r in RULES}
    for other in [*meta.supersedes, *meta.supersedes_named]:
        assert other in known and other != meta.id, f"{meta.id}: supersedes unknown rule {other}"
    for letter in meta.stride:
        assert catalog.has(f"stride:{letter}")
    assert meta.id.split("-")[1] in FAMILIES
    assert len(meta.review_question) > 10 and meta.review_question.rstrip().endswith("?")


@pytest.mark.parametrize("rule", [r for r in RULES if r.meta.id.split("-")[1] != "STRIDE"],
                         ids=lambda r: r.meta.id)
def test_ai_rules_name_atlas_techniques_and_owasp(rule):  # type: ignore[no-untyped-def]
    refs = rule.meta.references
    assert any(r.startswith("atlas:AML.T") for r in refs), f"{rule.meta.id} names no ATLAS technique"
    if rule.meta.family == "ML":
        return  # models that classify or recognise: the OWASP lists cover LLM apps and agents, ATLAS covers these
    assert any(r.startswith(("owasp-llm:", "owasp-agentic:", "owasp-asi:")) for r in refs)


def test_every_owasp_llm_item_of_both_editions_has_a_rule() -> None:
    covered = {ref for r in RULES for ref in r.meta.references if ref.startswith("owasp-llm:")}
    assert covered == {f"owasp-llm:LLM{n:02d}:{year}" for n in range(1, 11) for year in (2025, 2026)}


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_rule_carries_both_owasp_llm_editions_by_scope(rule):  # type: ignore[no-untyped-def]
    """Each 2025 id comes with its 2026 counterpart (or the id the 2026 scope moved its subject to)."""
    assert scope_problems(rule.meta.references) == []
    conditional = [r for r in rule.meta.conditional_references if r.startswith("owasp-llm:")]
    assert scope_problems(conditional) == [], f"{rule.meta.id}: conditional OWASP ids come in pairs"


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_rule_references_are_current(rule):  # type: ignore[no-untyped-def]
    """What `dicetm catalog check` checks for rules: known, current, canonical ids."""
    cited = [(ref, Location(path=rule.meta.id)) for ref in [*rule.meta.references, *rule.meta.conditional_references]]
    assert check_references(load_catalog(), cited, canonical=True) == []


@pytest.mark.parametrize("rule", [r for r in RULES if r.meta.group], ids=lambda r: r.meta.id)
def test_group_wording(rule):  # type: ignore[no-untyped-def]
    """A group of findings reads as a group: flow rules list each flow with its own ends, and titles agree
    with several elements."""
    meta = rule.meta
    flow_rule = any(v in meta.title + meta.scenario + meta.review_question for v in FLOW_VALUES)
    if flow_rule:
        for text in (meta.title_group, meta.scenario_group, meta.review_question_group):
            assert text and "{flows}" in text, meta.id
            assert not any(v in text for v in (*FLOW_VALUES, "{source}", "{target}")), meta.id
    title = meta.title_group or meta.title
    assert not SINGULAR.search(title), f"{meta.id}: group title needs a plural form: {title}"
    rendered = render(title, {"element": "A and B", "flows": "'x' (A to B) and 'y' (C to D)"})
    assert "A and B" in rendered or "'x' (A to B)" in rendered or "{element}" not in title


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
def test_rule_has_docs_page(rule):  # type: ignore[no-untyped-def]
    page = DOCS / f"{rule.meta.id}.md"
    assert page.is_file(), f"{rule.meta.id} has no docs page (run scripts/gen_rule_docs.py)"
    text = page.read_text(encoding="utf-8")
    assert rule.meta.slug in text and all(ref in text for ref in rule.meta.references)


def test_a_hit_may_add_only_its_conditional_references() -> None:
    import yaml

    from dicetm.errors import RuleError
    from dicetm.model import System
    from dicetm.rules.base import Hit, score_hit

    rule = next(r for r in RULES if r.meta.conditional_references)
    system = System.model_validate(yaml.safe_load((FIXTURES / rule.meta.id / "fires.yaml").read_text()))
    element = rule.meta.applies_to[0]
    target = next(e for e in system.elements if e.kind is element)
    allowed = score_hit(rule.meta, Hit(element=target.id, references=(rule.meta.conditional_references[0],)), system)
    assert allowed.references[-1] == rule.meta.conditional_references[0]
    with pytest.raises(RuleError, match="does not list as conditional"):
        score_hit(rule.meta, Hit(element=target.id, references=("atlas:AML.T0999",)), system)
