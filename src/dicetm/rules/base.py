"""The rule pattern: metadata (validated data) + one pure function yielding hits.

A rule function never builds a Threat itself: it yields ``Hit`` records naming what it found
(primary element, optional flow, template values, extra factors, assumptions made for unset
facts). ``build_threat`` turns a hit into a Threat using the metadata, so every threat of a rule
has the same shape, references and controls.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dicetm.errors import RuleError
from dicetm.model import Element, Factor, Kind, Provenance, System, Threat
from dicetm.model.system import CLASSIFICATION_RANK, Classification

RULE_ID = re.compile(r"^T-[A-Z]+-\d{3}$")
CONTROL_ID = re.compile(r"^C-[A-Z]+-\d{3}$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# A declarative factor condition: "field", "!field", "field=value", "field!=value", "field=unset",
# "field>=value" for classification ranks. Parsed, never eval'd.
CONDITION = re.compile(r"^(?P<neg>!)?(?P<field>[a-z_]+)(?:(?P<op>=|!=|>=|~)(?P<value>[a-z_0-9]+))?$")


class RuleStatus(StrEnum):
    stable = "stable"
    preview = "preview"
    deprecated = "deprecated"


class FactorSpec(BaseModel):
    """A fact of the primary element that raises or lowers likelihood or impact."""

    model_config = ConfigDict(extra="forbid")

    when: str = Field(description="Condition on the primary element, e.g. 'exposure=internet'.")
    target: str = Field(pattern="^(likelihood|impact)$")
    delta: int = Field(ge=-3, le=3)
    note: str

    @field_validator("when")
    @classmethod
    def _parse(cls, value: str) -> str:
        if not CONDITION.match(value):
            raise ValueError(f"condition {value!r} is not of the form field, !field, field=value, field!=value")
        return value


class RuleMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    slug: str
    family: str
    status: RuleStatus = RuleStatus.stable
    title: str = Field(description="Template; {element} and other hit values are filled in.")
    scenario: str = Field(description="Template using the actual element names.")
    rationale: str
    review_question: str
    title_group: str | None = Field(
        None, description="Title of a group of findings on several elements (plural wording); {element} lists them.")
    scenario_group: str | None = Field(
        None, description="Flow rules: scenario of a group of findings on several flows; {flows} lists them.")
    review_question_group: str | None = Field(
        None, description="Flow rules: review question of a group of findings on several flows ({flows}).")
    applies_to: list[Kind] = Field(description="Element kinds the rule can fire on (primary element).")
    stride: list[str] = Field(default_factory=list)
    references: list[str] = Field(min_length=1)
    conditional_references: list[str] = Field(
        default_factory=list,
        description="References a hit adds only when its condition holds (the function says which, and why).",
    )
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    factors: list[FactorSpec] = Field(default_factory=list)
    controls: list[str] = Field(min_length=1, description="Suggested control ids, most specific first.")
    supersedes: list[str] = Field(
        default_factory=list,
        description="Generic rule ids whose finding on the same element this rule's finding replaces.",
    )
    supersedes_named: list[str] = Field(
        default_factory=list,
        description="Generic rule ids whose finding on any element this rule's finding names replaces: the same "
                    "gap reported where it shows (a gateway without a rate limit, a tool that logs nothing).",
    )
    group: bool = Field(True, description="Group hits on several elements that share reason and fix.")
    group_joins: list[str] = Field(
        default_factory=list,
        description="Template values that describe each element (the data a store holds, where a request comes "
                    "from): a group lists them instead of splitting on them.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule id {value!r} must look like T-FAMILY-NNN")
        return value

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"slug {value!r} must be kebab-case")
        return value

    @field_validator("stride")
    @classmethod
    def _stride(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in "STRIDE" or len(v) != 1]
        if bad:
            raise ValueError(f"STRIDE letters must be S, T, R, I, D or E, got {bad}")
        return value

    @field_validator("controls")
    @classmethod
    def _controls(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not CONTROL_ID.match(v)]
        if bad:
            raise ValueError(f"control ids must look like C-FAMILY-NNN, got {bad}")
        return value


@dataclass(frozen=True)
class Hit:
    """One raw finding of a rule function."""

    element: str
    flow: str | None = None
    others: tuple[str, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)
    # Template values that are lists of names ("A, B and C"): a group lists each name once across its members.
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    factors: tuple[Factor, ...] = ()
    assumptions: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # extra refs, each one of the rule's ``conditional_references``


RuleFunction = Callable[[System], Iterator[Hit]]

_P = ParamSpec("_P")
_T = TypeVar("_T")
# (function, id of the System, arguments) -> (that System, value); set only inside ``shared_passes``.
_MEMO: ContextVar[dict[Hashable, tuple[System, Any]] | None] = ContextVar("dicetm_rule_memo", default=None)


@contextlib.contextmanager
def shared_passes() -> Iterator[None]:
    """Within the block, helpers marked ``per_system`` compute once per System and arguments.

    Identify runs all rules inside one block, so several rules starting from the same whole-model pass
    (who can reach what, the models that answer prompts) share it instead of repeating it. This relies on the
    System not changing inside the block: an analysis never changes the model it analyses (System's own
    indexes rely on the same). Outside a block every call computes afresh, so a System changed between two
    runs is never answered from an older pass.
    """
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def per_system(function: Callable[Concatenate[System, _P], _T]) -> Callable[Concatenate[System, _P], _T]:
    """Share ``function(system, ...)`` between the rules of one run (see ``shared_passes``).

    The value is shared between callers, who must only read it.
    """

    @functools.wraps(function)
    def shared(system: System, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        memo = _MEMO.get()
        if memo is None:
            return function(system, *args, **kwargs)
        key = (function, id(system), args, tuple(sorted(kwargs.items())))
        entry = memo.get(key)
        if entry is None or entry[0] is not system:
            entry = memo[key] = (system, function(system, *args, **kwargs))
        return cast(_T, entry[1])

    return shared


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    evaluate: RuleFunction


@functools.cache
def _parse_condition(condition: str) -> tuple[bool, str, str | None, str] | None:
    """(negated, field, operator, value) of a factor condition; a rule set has only a few distinct ones."""
    match = CONDITION.match(condition)
    if match is None:  # validated at load time; kept for type narrowing
        return None
    return bool(match["neg"]), match["field"], match["op"], match["value"] or ""


def condition_holds(element: Element, condition: str) -> bool:
    """Evaluate a declarative factor condition against one element's facts."""
    parsed = _parse_condition(condition)
    if parsed is None:
        return False
    negated, name, op, wanted = parsed
    value = getattr(element, name, None)
    if op is None:
        truthy = bool(value)
        return not truthy if negated else truthy
    if wanted == "unset":
        result = value is None
    elif op == ">=":
        if value is None:
            return False
        result = CLASSIFICATION_RANK[Classification(value)] >= CLASSIFICATION_RANK[Classification(wanted)]
    elif op == "~":  # list contains
        result = value is not None and wanted in [str(v) for v in value]
    elif isinstance(value, list):
        result = wanted in [str(v) for v in value]
    else:
        result = value is not None and str(value) == wanted
    if op == "!=":
        result = not result and value is not None
    return not result if negated else result


def clamp(value: int) -> int:
    return 1 if value < 1 else 5 if value > 5 else value


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, values: Mapping[str, str]) -> str:
    return template.format_map(_Blank(values))


def template_values(system: System, hit: Hit) -> dict[str, str]:
    element = system.element_by_id[hit.element]
    values = {"element": element.name, "element_id": element.id, "kind": element.kind.value.replace("_", " ")}
    if hit.flow:
        values.update(_flow_values(system, hit.flow))
    values.update(hit.values)
    values.update({key: join_words(names) for key, names in hit.lists.items()})
    return values


FLOW_KEYS = frozenset({"flow", "flow_id", "source", "target", "protocol"})


def _flow_values(system: System, flow_id: str) -> dict[str, str]:
    flow = system.flow_by_id[flow_id]
    source = system.element_by_id.get(flow.source)
    target = system.element_by_id.get(flow.target)
    return {"flow": f"'{flow.data or flow.id}'", "flow_id": flow.id, "source": source.name if source else flow.source,
            "target": target.name if target else flow.target, "protocol": flow.protocol or "an unspecified protocol"}


def template_value(system: System, hit: Hit, key: str) -> str | None:
    """``template_values(system, hit).get(key)``, computing only that value (a group asks it of every member)."""
    if key in hit.lists:
        return join_words(hit.lists[key])
    if key in hit.values:
        return hit.values[key]
    if key == "element":
        return system.element_by_id[hit.element].name
    if hit.flow and key in FLOW_KEYS:
        return _flow_values(system, hit.flow)[key]
    return template_values(system, hit).get(key)


def join_words(items: Iterable[str]) -> str:
    """'A', 'A and B', 'A, B and C', each item once, in first-seen order."""
    unique = list(dict.fromkeys(items))
    if len(unique) <= 1:
        return unique[0] if unique else ""
    return ", ".join(unique[:-1]) + " and " + unique[-1]


@dataclass
class Finding:
    """A scored hit: every field of its Threat except the rendered texts.

    Identify folds and groups findings and turns only the ones that remain into Threats, so the thousands
    of findings that end up inside a group are never rendered or validated on their own.
    """

    meta: RuleMeta
    hit: Hit
    id: str
    likelihood: int
    impact: int
    factors: list[Factor]
    elements: list[str]
    flows: list[str]
    assumptions: list[str]
    stride: list[str]
    references: list[str]
    controls: list[str]
    folded: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    def threat(self, catalog_version: str, values: Mapping[str, str], *, plural: bool = False) -> Threat:
        """The Threat, its texts rendered with ``values`` (``template_values`` of the hit, or merged ones).

        ``plural``: a group of findings on several elements or flows; the rule's group templates are used.
        """
        meta = self.meta
        title = meta.title_group if plural and meta.title_group else meta.title
        scenario = meta.scenario_group if plural and meta.scenario_group else meta.scenario
        question = meta.review_question_group if plural and meta.review_question_group else meta.review_question
        # Validated on purpose: pydantic's Rust validator is faster here than the Python-level model_construct.
        return Threat(
            id=self.id,
            rule=meta.id,
            title=render(title, values),
            scenario=render(scenario, values),
            elements=self.elements,
            flows=self.flows,
            stride=self.stride,
            references=self.references,
            likelihood=self.likelihood,
            impact=self.impact,
            factors=self.factors,
            assumptions=self.assumptions,
            rationale=render(meta.rationale, values),
            review_question=render(question, values),
            controls=self.controls,
            provenance=Provenance(source="rule", rule=meta.id, catalog_version=catalog_version,
                                  detail=f"{meta.id} {meta.slug}"),
            members=self.members,
            folded=self.folded,
        )


def _fact_key(factor: Factor) -> tuple[str, str]:
    """What a factor counts: its target and the condition, whichever element states it ('exposure=internet')."""
    return factor.target, factor.fact.split(".", 1)[-1]


def score_hit(meta: RuleMeta, hit: Hit, system: System) -> Finding:
    """The finding of a hit: its id, and likelihood and impact scored with the hit's and the metadata's factors.

    A fact counts once per threat: a metadata factor on the same condition as one the hit already gives (the
    model exposed to the internet, and the internet-facing entry that is the model itself) is not added again.
    """
    element = system.element_by_id[hit.element]
    factors = list(hit.factors)
    held = [spec for spec in meta.factors if condition_holds(element, spec.when)]
    if held:  # most hits have no metadata factor that holds; only those pay for the fact keys
        counted = {_fact_key(f) for f in factors}
        for spec in held:
            fact = f"{element.id}.{spec.when}"
            key = (spec.target, fact.split(".", 1)[-1])  # as _fact_key of the factor it would be
            if key not in counted:
                counted.add(key)
                factors.append(Factor(target=spec.target, delta=spec.delta, fact=fact, note=spec.note))
    likelihood, impact = meta.likelihood, meta.impact
    for factor in factors:
        if factor.target == "likelihood":
            likelihood += factor.delta
        elif factor.target == "impact":
            impact += factor.delta
    references = meta.references
    if hit.references:
        extra = [r for r in hit.references if r not in meta.references]
        stray = [r for r in extra if r not in meta.conditional_references]
        if stray:
            raise RuleError(f"rule {meta.id} added references its metadata does not list as conditional: {stray}")
        references = [*meta.references, *dict.fromkeys(extra)]
    return Finding(
        meta=meta,
        hit=hit,
        id=f"{meta.id}@{hit.element}@{hit.flow}" if hit.flow else f"{meta.id}@{hit.element}",
        likelihood=clamp(likelihood),
        impact=clamp(impact),
        factors=factors,
        elements=[hit.element, *[o for o in hit.others if o != hit.element]] if hit.others else [hit.element],
        flows=[hit.flow] if hit.flow else [],
        assumptions=list(hit.assumptions),
        stride=list(meta.stride),
        references=list(references),
        controls=list(meta.controls),
    )


def build_threat(meta: RuleMeta, hit: Hit, system: System, catalog_version: str) -> Threat:
    """Turn a hit into a Threat: id, rendered text, scored likelihood/impact with factors."""
    return score_hit(meta, hit, system).threat(catalog_version, template_values(system, hit))
