"""The one explicit list of rule families. Nothing registers itself by being imported."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from dicetm.errors import Location, Problem, RuleError
from dicetm.rules import (
    agent,
    agent_actions,
    agent_loop,
    data,
    data_artifacts,
    data_execution,
    data_lifecycle,
    data_poisoning,
    data_registry,
    data_vectors,
    ecosystem,
    llm,
    llm_injection,
    llm_output,
    llm_trifecta,
    llm_usage,
    ml_model,
    ml_output,
    stride,
    stride_browser,
    stride_egress,
    stride_exposure,
)
from dicetm.rules.base import Rule, RuleFunction, RuleMeta

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same plain data, ten times faster in C

# (family name, metadata file in rules/meta/, functions by rule id)
# A family's functions may live in several modules (one job each); their FUNCTIONS are merged here.
FAMILIES: list[tuple[str, str, dict[str, RuleFunction]]] = [
    ("STRIDE", "stride.yaml", {**stride.FUNCTIONS, **stride_exposure.FUNCTIONS, **stride_browser.FUNCTIONS,
                                **stride_egress.FUNCTIONS}),
    ("LLM", "llm.yaml", {**llm.FUNCTIONS, **llm_injection.FUNCTIONS, **llm_output.FUNCTIONS,
                         **llm_trifecta.FUNCTIONS, **llm_usage.FUNCTIONS}),
    ("DATA", "data.yaml", {**data.FUNCTIONS, **data_poisoning.FUNCTIONS, **data_vectors.FUNCTIONS,
              **data_lifecycle.FUNCTIONS, **data_execution.FUNCTIONS, **data_artifacts.FUNCTIONS,
              **data_registry.FUNCTIONS}),
    ("AGENT", "agent.yaml", {**agent.FUNCTIONS, **agent_loop.FUNCTIONS, **agent_actions.FUNCTIONS}),
    ("ECO", "eco.yaml", ecosystem.FUNCTIONS),
    ("ML", "ml.yaml", {**ml_model.FUNCTIONS, **ml_output.FUNCTIONS}),
]


def _load_family(meta_file: str, functions: dict[str, RuleFunction]) -> list[Rule]:
    text = resources.files("dicetm.rules").joinpath("meta", meta_file).read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=_LOADER) or []
    problems: list[Problem] = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = Location(file=f"rules/meta/{meta_file}", path=f"[{index}]")
        try:
            meta = RuleMeta.model_validate(item)
        except ValidationError as exc:
            problems.extend(Problem(f"{'.'.join(map(str, e['loc']))}: {e['msg']}", where) for e in exc.errors())
            continue
        if meta.id in seen:
            problems.append(Problem(f"duplicate rule id {meta.id}", where))
        seen.add(meta.id)
        function = functions.get(meta.id)
        if function is None:
            problems.append(Problem(f"rule {meta.id} has metadata but no function", where,
                                    hint="add it to FUNCTIONS in its family module"))
            continue
        rules.append(Rule(meta=meta, evaluate=function))
    for rule_id in sorted(set(functions) - seen):
        problems.append(Problem(f"rule {rule_id} has a function but no metadata",
                                Location(file=f"rules/meta/{meta_file}")))
    if problems:
        raise RuleError(problems)
    return rules


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every registered rule, in id order."""
    rules: list[Rule] = []
    for _family, meta_file, functions in FAMILIES:
        rules.extend(_load_family(meta_file, functions))
    ids = [r.meta.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuleError(f"rule ids used twice across families: {duplicates}")
    return tuple(sorted(rules, key=lambda r: r.meta.id))


def rule_by_id() -> dict[str, Rule]:
    return {r.meta.id: r for r in all_rules()}
