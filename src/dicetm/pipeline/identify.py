"""Identify: run every rule, then make the list reviewable.

Two steps keep the list short without losing coverage:
- folding: a specific finding (e.g. an AI rule) that ``supersedes`` a generic rule absorbs the generic
  finding on the same element (``supersedes_named``: on any element it names, where it reports the same
  gap); its elements, flows, references, STRIDE letters, controls and assumptions are merged in (so every
  element the generic finding named still shows the threat), and its likelihood and impact are raised if
  the generic finding scored higher.
- grouping: findings of one rule with the same template values (same reason, same fix) become one threat
  listing all their elements; values a rule names in ``group_joins`` (per-element details such as where
  requests come from) are listed rather than compared, and lists of names (``Hit.lists``, such as the data
  classes a store holds) are united, each name once. The group is scored as its riskiest member (that
  member's likelihood, impact and factors), so one review covers the lot without hiding the worst case. It
  keeps the id of its first member in sorted order, so the id is stable across runs of the same model.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from dicetm.catalog.editions import with_both_editions
from dicetm.model import Factor, Provenance, System, Threat, ThreatRecord
from dicetm.pipeline.state import State
from dicetm.rules.base import Finding, Hit, Rule, join_words, score_hit, shared_passes, template_value, template_values
from dicetm.rules.registry import all_rules


def run_rules(system: System, rules: Iterable[Rule]) -> list[Finding]:
    raw: list[Finding] = []
    with shared_passes():
        for rule in rules:
            for hit in rule.evaluate(system):
                raw.append(score_hit(rule.meta, hit, system))
    return raw


def _merge_unique(first: list[str], second: Iterable[str]) -> list[str]:
    seen = set(first)
    return first + [x for x in second if x not in seen]


def _merge_all(lists: Iterable[list[str]]) -> list[str]:
    """``_merge_unique`` applied list after list, in time linear in the total length (groups can be large)."""
    result: list[str] = []
    seen: set[str] = set()
    previous: list[str] = []
    for items in lists:
        if items == previous:  # members of a group mostly repeat the list before (a rule's refs, controls)
            continue
        result.extend([x for x in items if x not in seen])
        seen.update(items)
        previous = items
    return result


def _absorb(keeper: Finding, generic: Finding) -> Finding:
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
    return dataclasses.replace(
        keeper, likelihood=likelihood, impact=impact, factors=factors,
        stride=_merge_unique(keeper.stride, generic.stride),
        references=_merge_unique(keeper.references, generic.references),
        controls=_merge_unique(keeper.controls, generic.controls),
        folded=[*keeper.folded, generic.id],
        elements=_merge_unique(keeper.elements, generic.elements),
        flows=_merge_unique(keeper.flows, generic.flows),
        assumptions=_merge_unique(keeper.assumptions, generic.assumptions),
    )


def fold(raw: list[Finding]) -> list[Finding]:
    """Fold superseded generic findings into the specific finding on the same primary element (``supersedes``)
    or on any element the specific finding names (``supersedes_named``)."""
    keepers = [i for i, finding in enumerate(raw) if finding.meta.supersedes or finding.meta.supersedes_named]
    superseded = {rule for i in keepers for rule in (*raw[i].meta.supersedes, *raw[i].meta.supersedes_named)}
    by_rule_element: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, finding in enumerate(raw):
        if finding.meta.id in superseded:
            by_rule_element[(finding.meta.id, finding.hit.element)].append(index)
    # Highest-risk specific findings absorb first, so a generic finding lands in the strongest keeper.
    keepers.sort(key=lambda i: (-raw[i].score, raw[i].id))
    absorbed: set[int] = set()
    result = list(raw)
    for index in keepers:
        finding = result[index]
        if index in absorbed:
            continue
        targets = [(rule, finding.hit.element) for rule in finding.meta.supersedes]
        targets += [(rule, element) for rule in finding.meta.supersedes_named for element in finding.elements]
        for key in targets:
            for other in by_rule_element.get(key, []):
                if other in absorbed or other == index:
                    continue
                finding = _absorb(finding, result[other])
                absorbed.add(other)
        result[index] = finding
    return [item for i, item in enumerate(result) if i not in absorbed] if absorbed else result


def _group_key(finding: Finding) -> tuple[object, ...]:
    joined = finding.meta.group_joins
    values = tuple(sorted((k, v) for k, v in finding.hit.values.items() if k not in joined))
    return finding.meta.id, values, bool(finding.folded)


def _riskiest(members: list[Finding]) -> Finding:
    return min(members, key=lambda m: (-m.score, -m.impact, m.id))


def _merge_group(system: System, members: list[Finding], catalog_version: str) -> Threat:
    members = sorted(members, key=lambda m: m.id)
    first = members[0]
    values = template_values(system, first.hit)
    joined: dict[str, list[str]] = {key: [] for key in ("element", *first.meta.group_joins)}
    for member in members:
        for key, found in joined.items():
            value = template_value(system, member.hit, key)
            if value is not None:
                found.append(value)
    for key, found in joined.items():
        values[key] = join_words(found)
    for key in {key for m in members for key in m.hit.lists}:
        values[key] = join_words([name for m in members for name in m.hit.lists.get(key, ())])
    plural = len(set(joined["element"])) > 1
    if first.hit.flow:
        # Each flow keeps its own ends: "'a' (A to B) and 'b' (C to D)", never one invented compound flow.
        values["flows"] = join_words([_flow_phrase(system, m.hit) for m in members])
        plural = len({m.hit.flow for m in members}) > 1
    worst = _riskiest(members)
    merged = dataclasses.replace(
        first, likelihood=worst.likelihood, impact=worst.impact, factors=worst.factors,
        stride=_merge_all(m.stride for m in members), controls=_merge_all(m.controls for m in members),
        elements=_merge_all(m.elements for m in members), flows=_merge_all(m.flows for m in members),
        assumptions=_merge_all(m.assumptions for m in members), folded=_merge_all(m.folded for m in members),
        references=_merge_all(m.references for m in members), members=[m.id for m in members],
    )
    return merged.threat(catalog_version, values, plural=plural)


def _flow_phrase(system: System, hit: Hit) -> str:
    flow, source, target = (template_value(system, hit, key) for key in ("flow", "source", "target"))
    return f"{flow} ({source} to {target})"


def _threat(system: System, finding: Finding, catalog_version: str) -> Threat:
    return finding.threat(catalog_version, template_values(system, finding.hit))


def group(system: System, raw: list[Finding], catalog_version: str) -> list[Threat]:
    buckets: dict[tuple[object, ...], list[Finding]] = defaultdict(list)
    singles: list[Threat] = []
    for finding in raw:
        if finding.meta.group:
            buckets[_group_key(finding)].append(finding)
        else:
            singles.append(_threat(system, finding, catalog_version))
    grouped = [_threat(system, members[0], catalog_version) if len(members) == 1
               else _merge_group(system, members, catalog_version) for members in buckets.values()]
    return singles + grouped


def sort_threats(threats: Iterable[Threat]) -> list[Threat]:
    return sorted(threats, key=lambda t: (-t.score, t.id))


def _span_texts(record: ThreatRecord) -> list[str]:
    if record.provenance is None:
        return []
    return [f"{s.file}:" + (f"page {s.page}:" if s.page else "") + str(s.line)
            + (f"-{s.end_line}" if s.end_line and s.end_line != s.line else "") for s in record.provenance.spans]


def _stated_rationale(record: ThreatRecord) -> str:
    if record.source.startswith("llm:"):
        return f"Proposed by a model ({record.source}); a person must review it before it counts."
    return "Stated in the model file" + (f" ({record.source_ref})" if record.source_ref else "") + "."


def stated_threats(system: System, catalog_version: str) -> list[Threat]:
    """Threats a person wrote or an import brought in, shaped like rule findings (never folded or grouped).

    An OWASP LLM id of one edition gets its counterpart of the other edition added (by the crosswalk table)."""
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
            references=with_both_editions(record.references), likelihood=record.likelihood or 3,
            impact=record.impact or 3,
            assumptions=assumptions, controls=list(record.controls),
            rationale=_stated_rationale(record),
            review_question="Is this threat real and relevant for this system, and is it covered?",
            provenance=Provenance(source=record.source, catalog_version=catalog_version,
                                  detail="; ".join(filter(None, [record.source_ref, record.source_status and
                                                                 f"status in source: {record.source_status}"]))
                                  or None,
                                  prompt_hash=record.provenance.prompt_hash if record.provenance else None,
                                  spans=_span_texts(record)),
        ))
    return threats


def identify(state: State, rules: Iterable[Rule] | None = None) -> State:
    system, version = state.system, state.catalog.version
    raw = run_rules(system, rules if rules is not None else all_rules())
    if state.detail == "full":
        threats = [_threat(system, finding, version) for finding in raw]
    else:
        threats = group(system, fold(raw), version)
    threats += stated_threats(system, version)
    return dataclasses.replace(state, threats=tuple(sort_threats(threats)), raw_findings=len(raw))
