"""What ``dicetm catalog check`` checks: the catalogue, every rule's references, and optionally a model's own
threats and custom controls, all against the pinned published facts (``dicetm.catalog.check``)."""

from __future__ import annotations

from pathlib import Path

from dicetm.catalog import load_catalog, parse_atlas_file
from dicetm.catalog.check import check_catalog, check_references
from dicetm.catalog.editions import scope_problems
from dicetm.errors import Location, Problem
from dicetm.rules.registry import all_rules
from dicetm.store.modelfile import LoadedModel


def rule_problems() -> list[Problem]:
    """References in rule metadata: known, current, spelled canonically, both OWASP LLM editions by scope."""
    catalog = load_catalog()
    problems: list[Problem] = []
    for rule in all_rules():
        meta = rule.meta
        where = Location(file=f"rules/meta/{meta.family.lower()}.yaml", path=f"{meta.id}.references")
        problems += check_references(catalog, ((r, where) for r in
                                               [*meta.references, *meta.conditional_references]), canonical=True)
        problems += [Problem(text, where, hint="see catalog/data/owasp_llm_crosswalk.yaml")
                     for text in scope_problems(meta.references)]
    return problems


def model_problems(loaded: LoadedModel) -> list[Problem]:
    """References in a model's stated threats and custom controls."""
    catalog = load_catalog()
    cited = []
    for section in ("threats", "controls"):
        for index, item in enumerate(getattr(loaded.system, section)):
            for position, ref in enumerate(item.references):
                cited.append((ref, loaded.location((section, index, "references", position))))
    return check_references(catalog, cited)


def run_check(loaded: LoadedModel | None = None, atlas_file: Path | None = None) -> list[Problem]:
    """Every problem found; empty when the catalogue, the rules (and the model) cite only current ids.

    ``atlas_file``: MITRE's ATLAS.yaml to compare the ATLAS ids and names with, entry by entry (CatalogError
    when it is malformed)."""
    atlas = parse_atlas_file(atlas_file) if atlas_file is not None else None
    problems = check_catalog(load_catalog(), atlas=atlas) + rule_problems()
    if loaded is not None:
        problems += model_problems(loaded)
    return problems
