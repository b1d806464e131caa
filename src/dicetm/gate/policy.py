"""The CI gate's policy: which states of the threat model block a merge or a release.

A policy is a small YAML file (``dicetm-policy.yaml`` by convention); every key is optional and the
defaults are the strict ones. Mistakes are reported all at once, each with file:line:column.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from dicetm.errors import InputError, Location, Problem
from dicetm.model import RiskLevel


class Policy(BaseModel):
    """What must hold for ``dicetm check`` to pass."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    block_unreviewed_at_or_above: RiskLevel | None = Field(
        RiskLevel.high,
        description="Fail for any threat at or above this risk that no person has decided on: unreviewed, "
                    "stale (its facts changed since the decision) or needs-info. null switches the rule off.",
    )
    require_coverage_for_accepted: StrictBool = Field(
        True,
        description="Fail for any accepted or modified threat that has neither a countermeasure planned or "
                    "implemented nor an owned residual-risk decision whose review_by date has not passed.",
    )
    require_audit_chain: StrictBool = Field(
        True, description="Fail when the audit log's hash chain or the register does not verify.",
    )
    max_quick_accepts: StrictInt | None = Field(
        None, ge=0,
        description="Fail when more items than this rest on a decision flagged as a quick accept "
                    "(possible rubber-stamping). null: no limit.",
    )


def parse_policy(text: str, filename: str) -> Policy:
    """Validate policy text; ``filename`` is only used in locations. InputError lists every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(filename, mark.line + 1, mark.column + 1) if mark else Location(filename)
        raise InputError([Problem(f"not valid YAML: {exc.problem or exc}", where)]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}", Location(filename))]) from None
    if root is None or root.tag == "tag:yaml.org,2002:null":
        return Policy()  # an empty document keeps every default
    if not isinstance(root, yaml.MappingNode):
        raise InputError([Problem("the policy must be a mapping of settings", _at(filename, root),
                                  hint=f"e.g. `block_unreviewed_at_or_above: high`; settings: {_names()}")])
    data, keys, values, problems = _read_mapping(root, filename)
    policy: Policy | None = None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            located = keys if error["type"] == "extra_forbidden" else values
            problems.append(_schema_problem(error["type"], error["msg"], key, data.get(key),
                                            located.get(key, Location(filename))))
    if problems or policy is None:
        raise InputError(sorted(problems, key=lambda p: (p.location.line or 0, p.location.column or 0)))
    return policy


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; InputError (with file:line:column) when it is wrong or unreadable."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError([Problem(f"cannot read the policy file: {exc.strerror or exc}",
                                  Location(str(path)))]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem("the policy file is not UTF-8 text", Location(str(path)))]) from None
    return parse_policy(text, str(path))


def _at(filename: str, node: yaml.Node) -> Location:
    return Location(filename, node.start_mark.line + 1, node.start_mark.column + 1)


def _names() -> str:
    return ", ".join(Policy.model_fields)


def _read_mapping(root: yaml.MappingNode, filename: str
                  ) -> tuple[dict[str, Any], dict[str, Location], dict[str, Location], list[Problem]]:
    """The settings as plain data, where each key and each value sits, and problems found on the way."""
    data: dict[str, Any] = {}
    keys: dict[str, Location] = {}
    values: dict[str, Location] = {}
    problems: list[Problem] = []
    constructor = yaml.constructor.SafeConstructor()
    for key_node, value_node in root.value:
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(Problem("a setting name must be plain text", _at(filename, key_node)))
            continue
        key = str(key_node.value)
        if key in data:
            problems.append(Problem(f"{key} is set twice", _at(filename, key_node),
                                    hint=f"the first one is at line {keys[key].line}"))
            continue
        keys[key] = _at(filename, key_node)
        values[key] = _at(filename, value_node)
        try:
            data[key] = constructor.construct_object(value_node, deep=True)
        except yaml.YAMLError as exc:
            problems.append(Problem(f"{key}: cannot read the value ({exc})", values[key]))
            data[key] = None
    return data, keys, values, problems


def _schema_problem(kind: str, message: str, key: str, value: object, where: Location) -> Problem:
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(key, list(Policy.model_fields), n=1)
        hint = f"did you mean {close[0]}?" if close else f"the settings are: {_names()}"
        return Problem(f"unknown setting {key!r}", where, hint=hint)
    if key == "block_unreviewed_at_or_above":
        levels = ", ".join(level.value for level in RiskLevel)
        return Problem(f"{key}: {value!r} is not a risk level", where, hint=f"use one of {levels}, or null")
    if key == "max_quick_accepts":
        return Problem(f"{key}: {value!r} is not a whole number of 0 or more", where,
                       hint="e.g. `max_quick_accepts: 0`, or null for no limit")
    if key.startswith("require_"):
        return Problem(f"{key}: {value!r} is not true or false", where, hint="write true or false")
    return Problem(f"{key}: {message}", where)
