"""Shared pieces of the rule tests: small systems from element dicts and flow tuples, a rule's findings on one."""

from __future__ import annotations

from typing import Any

from dicetm.model import System, Threat
from dicetm.rules.base import build_threat
from dicetm.rules.registry import rule_by_id


def system_of(elements: list[dict[str, Any]], flows: list[tuple[str, str, bool]], name: str = "test") -> System:
    """A system of these elements and flows given as (source, target, two-way)."""
    return System.model_validate({
        "name": name, "elements": elements,
        "flows": [{"id": f"f{i}", "source": a, "target": b, "bidirectional": two_way}
                  for i, (a, b, two_way) in enumerate(flows)]})


def findings(rule_id: str, system: System) -> dict[str, Threat]:
    """The threats one rule raises on ``system`` (before grouping and folding), by id."""
    rule = rule_by_id()[rule_id]
    return {t.id: t for t in (build_threat(rule.meta, hit, system, "test") for hit in rule.evaluate(system))}
