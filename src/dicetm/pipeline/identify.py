"""Identify: run every rule, then make the list reviewable.

Two steps keep the list short without losing coverage:
- folding: a specific finding (e.g. an AI rule) that ``supersedes`` a generic rule absorbs the generic
  finding on the same element; its references, STRIDE letters and controls are merged in, and its
  likelihood and impact are raised if the generic finding scored higher.
- grouping: findings of one rule with the same template values and the same factors (same reason, same
  fix) become one threat listing all their elements. The group keeps the id of its first member in
  sorted order, so the id is stable across runs of the same model.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from dicetm.model import Factor, Provenance, System, Threat
from dicetm.pipeline.state import State
from dicetm.rules.base import Hit, Rule, RuleMeta, build_threat, render, template_values
from dicetm.rules.registry import all_rules

_Raw = tuple[RuleMeta, Hit, Threat]


def run_rules(system: System, rules: Iterable[Rule], catalog_version: str) -> list[_Raw]:
    raw: list[_Raw] = []
    for rule in rules:
        for hit in rule.evaluate(system):
            raw.append((rule.meta, hit, build_threat(rule.meta, hit, system, catalog_version)))
    return raw


def _merge_unique(first: list[str], second: Iterable[str]) -> list[str]:
    seen = set(first)
    return first + [x for x in second if x not in seen]


def _merge_all(lists: Iterable[list[str]]) -> list[str]:
    """``_merge_unique`` applied list after list, in time linear in the total length (groups can be large)."""
    result: list[str] = []
    seen: set[str] = set()
    for items in lists:
        result.extend([x for x in items if x not in seen])
        seen.update(items)
    return result


def _absorb(keeper: Threat, generic: Threat) -> Threat:
    factors = list(keeper.factors)
    likelihood, impact = keeper.likelihood, keeper.impact
    if generic.likelihood > likelihood:
        factors.append(Factor(target="likelihood", delta=generic.likelihood - likelihood, fact=generic.id,
                              note="raised to the likelihood of the folded generic finding"))
        likelihood = generic.likelihood
    if generic.impact > impact:
        factors.append(Factor(target="impact", delta=generic.impact - impact, fact=generic.id,
                              note="raised to the impact of the folded generic finding"))
        impact = generic.impact
    return keeper.model_copy(update={
        "likelihood": likelihood, "impact": impact, "factors": factors,
        "stride": _merge_unique(keeper.stride, generic.stride),
        "references": _merge_unique(keeper.references, generic.references),
        "controls": _merge_unique(keeper.controls, generic.controls),
        "folded": [*keeper.folded, generic.id],
        "flows": _merge_unique(keeper.flows, generic.flows),
    })


def fold(raw: list[_Raw]) -> list[_Raw]:
    """Fold superseded generic findings into the specific finding on the same primary element."""
    by_rule_element: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, (meta, hit, _t) in enumerate(raw):
        by_rule_element[(meta.id, hit.element)].append(index)
    # Highest-risk specific findings absorb first, so a generic finding lands in the strongest keeper.
    order = sorted(range(len(raw)), key=lambda i: (-raw[i][2].score, raw[i][2].id))
    absorbed: set[int] = set()
    result = list(raw)
    for index in order:
        meta, hit, threat = result[index]
        if index in absorbed or not meta.supersedes:
            continue
        for generic_rule in meta.supersedes:
            for other in by_rule_element.get((generic_rule, hit.element), []):
                if other in absorbed or other == index:
                    continue
                threat = _absorb(threat, result[other][2])
                absorbed.add(other)
        result[index] = (meta, hit, threat)
    return [item for i, item in enumerate(result) if i not in absorbed]


def _join(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " and " + unique[-1]


def _group_key(meta: RuleMeta, hit: Hit, threat: Threat) -> tuple[object, ...]:
    factor_sig = tuple(sorted((f.target, f.delta, f.fact.split(".", 1)[-1], f.note) for f in threat.factors))
    return (meta.id, threat.likelihood, threat.impact, factor_sig, tuple(sorted(hit.values.items())),
            tuple(threat.folded and ["folded"]))


def _merge_group(system: System, members: list[_Raw]) -> Threat:
    members = sorted(members, key=lambda m: m[2].id)
    meta, first_hit, first = members[0]
    per_member = [template_values(system, h) for _m, h, _t in members]
    values = dict(per_member[0])
    values["element"] = _join([v["element"] for v in per_member])
    if first_hit.flow:
        values["flow"] = _join([v["flow"] for v in per_member])
        values["source"] = _join([v["source"] for v in per_member])
        values["target"] = _join([v["target"] for v in per_member])
    threats = [t for _m, _h, t in members]
    return first.model_copy(update={
        "title": render(meta.title, values), "scenario": render(meta.scenario, values),
        "rationale": render(meta.rationale, values), "review_question": render(meta.review_question, values),
        "elements": _merge_all(t.elements for t in threats), "flows": _merge_all(t.flows for t in threats),
        "assumptions": _merge_all(t.assumptions for t in threats), "folded": _merge_all(t.folded for t in threats),
        "members": [t.id for t in threats],
    })


def group(system: System, raw: list[_Raw]) -> list[Threat]:
    buckets: dict[tuple[object, ...], list[_Raw]] = defaultdict(list)
    singles: list[Threat] = []
    for item in raw:
        meta, hit, threat = item
        if meta.group:
            buckets[_group_key(meta, hit, threat)].append(item)
        else:
            singles.append(threat)
    grouped = [members[0][2] if len(members) == 1 else _merge_group(system, members)
               for members in buckets.values()]
    return singles + grouped


def sort_threats(threats: Iterable[Threat]) -> list[Threat]:
    return sorted(threats, key=lambda t: (-t.score, t.id))


def stated_threats(system: System, catalog_version: str) -> list[Threat]:
    """Threats a person wrote or an import brought in, shaped like rule findings (never folded or grouped)."""
    threats = []
    for record in system.threats:
        assumptions = []
        if record.likelihood is None:
            assumptions.append("Likelihood not stated; assumed 3 (possible).")
        if record.impact is None:
            assumptions.append("Impact not stated; assumed 3 (moderate).")
        threats.append(Threat(
            id=record.id, rule=record.source, title=record.title, scenario=record.scenario or record.title,
            elements=list(record.elements), flows=list(record.flows), stride=list(record.stride),
            references=list(record.references), likelihood=record.likelihood or 3, impact=record.impact or 3,
            assumptions=assumptions, controls=list(record.controls),
            rationale="Stated in the model file" + (f" ({record.source_ref})" if record.source_ref else "") + ".",
            review_question="Is this threat real and relevant for this system, and is it covered?",
            provenance=Provenance(source=record.source, catalog_version=catalog_version,
                                  detail="; ".join(filter(None, [record.source_ref, record.source_status and
                                                                 f"status in source: {record.source_status}"]))
                                  or None),
        ))
    return threats


def identify(state: State, rules: Iterable[Rule] | None = None) -> State:
    raw = run_rules(state.system, rules if rules is not None else all_rules(), state.catalog.version)
    threats = [t for _m, _h, t in raw] if state.detail == "full" else group(state.system, fold(raw))
    threats += stated_threats(state.system, state.catalog.version)
    return dataclasses.replace(state, threats=tuple(sort_threats(threats)), raw_findings=len(raw))
