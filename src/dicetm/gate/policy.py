"""The CI gate's policy: which states of the threat model block a merge or a release.

A policy is a small YAML file (``dicetm-policy.yaml`` beside the model is read when no other is named); every
key is optional. ``preset: strict`` (or ``dicetm check --policy strict``) starts from the strict preset, which
turns every check on; keys written in the file override the preset. Mistakes are reported all at once, each
with file:line:column. Paths in a policy file (``allowed_signers``, ``signing_key``) are relative to it.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from dicetm.errors import InputError, Location, Problem
from dicetm.model import RiskLevel

POLICY_FILENAME = "dicetm-policy.yaml"
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "strict": {"max_quick_accepts": 0, "min_reason_length": 20, "max_rules_per_reason": 3,
               "require_second_reviewer": True, "require_linked_coverage": True, "require_signatures": True},
}
GIT_KEY = "git"  # signing_key: git uses git's user.signingkey (with gpg.format ssh)


class Policy(BaseModel):
    """What must hold for ``dicetm check`` to pass."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: Literal["default", "strict"] = Field(
        "default", description="The preset the other settings start from: default, or strict (every check on).")
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
    min_reason_length: StrictInt | None = Field(
        None, ge=1,
        description="Fail for a rejected or modified threat whose reason has fewer characters than this or fewer "
                    "than three different words. null: only the floor decide applies (a word, not one "
                    "character repeated).",
    )
    max_rules_per_reason: StrictInt | None = Field(
        None, ge=1,
        description="Fail when one reason text rejects threats of more rules than this (the same words pasted "
                    "across rejections). null: no limit.",
    )
    require_second_reviewer: StrictBool = Field(
        False,
        description="Fail for a rejection flagged for a second look (made in bulk with --all-of, or of a high or "
                    "critical threat) that no second, different person has confirmed (decide --confirm).",
    )
    require_linked_coverage: StrictBool = Field(
        False,
        description="Count a countermeasure towards a threat's coverage only when a person linked it to that "
                    "threat (decide --covers, or threats: in the model file), not through the catalogue alone.",
    )
    require_signatures: StrictBool = Field(
        False,
        description="Fail when an audit record is not covered by a valid SSH signature (records by a person: "
                    "by that person's key) checked against the allowed-signers file.",
    )
    allowed_signers: StrictStr | None = Field(
        None, description="The allowed-signers file (ssh-keygen format, as git's gpg.ssh.allowedSignersFile). "
                          "Default: DICETM_ALLOWED_SIGNERS, then git's gpg.ssh.allowedSignersFile.")
    signing_key: StrictStr | None = Field(
        None, description="The workspace's SSH key to sign with when the reviewer gives none (a path, or 'git' "
                          "for git's user.signingkey).")
    signing_principal: StrictStr | None = Field(
        None, description="The principal (allowed-signers name) of signing_key, when it is a workspace key; "
                          "its signature then stands for every person.")


def preset_policy(name: str) -> Policy:
    """The built-in policy of a preset name (``default`` or ``strict``); KeyError for any other name."""
    return Policy.model_validate({"preset": name, **PRESETS[name]})


def parse_policy(text: str, filename: str) -> Policy:
    """Validate policy text; ``filename`` locates problems and anchors relative paths. InputError lists every
    problem."""
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
    preset = data.get("preset", "default")
    base = PRESETS.get(preset, {}) if isinstance(preset, str) else {}
    _anchor_paths(data, Path(filename).parent)
    policy: Policy | None = None
    try:
        policy = Policy.model_validate({**base, **data})
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


def _anchor_paths(data: dict[str, Any], folder: Path) -> None:
    """Make the file paths of a policy relative to the policy file's folder (``git`` stays a word)."""
    for key in ("allowed_signers", "signing_key"):
        value = data.get(key)
        if isinstance(value, str) and value.strip() and value != GIT_KEY:
            data[key] = str(folder / Path(value).expanduser())


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
    if key in ("min_reason_length", "max_rules_per_reason"):
        return Problem(f"{key}: {value!r} is not a whole number of 1 or more", where,
                       hint=f"e.g. `{key}: {PRESETS['strict'][key]}`, or null to switch it off")
    if key == "preset":
        return Problem(f"preset: {value!r} is not a preset", where, hint=f"one of {', '.join(PRESETS)}")
    if key.startswith("require_"):
        return Problem(f"{key}: {value!r} is not true or false", where, hint="write true or false")
    return Problem(f"{key}: {message}", where)
