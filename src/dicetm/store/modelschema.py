"""Pass 2 of loading the model file: the schema, with every pydantic error worded for people at its node.

Booleans are strict: a fact written as anything but true or false ("yes", 1, yes) is refused, where
pydantic would read it as true and YAML 1.2 readers as text.
"""

from __future__ import annotations

from enum import Enum
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from dicetm.errors import Problem
from dicetm.model.system import System
from dicetm.store.modelreader import (
    FieldPath,
    Reader,
    Where,
    close_match,
    describe_value,
    slug,
)


def schema_problems(errors: list[ErrorDetails], where: Where, reader: Reader) -> list[Problem]:
    problems = []
    for error in errors:
        path: FieldPath = tuple(error["loc"])
        if any(path[:n] in reader.bad_paths for n in range(len(path) + 1)):
            continue
        problems.append(_schema_problem(error, path, where, reader.raw))
    return problems


def _schema_problem(error: ErrorDetails, path: FieldPath, where: Where,
                    raw: dict[FieldPath, str]) -> Problem:
    kind, value, shown = error["type"], error.get("input"), where.show(path)
    if kind == "extra_forbidden":
        return _unknown_field(path, where)
    if kind == "missing":
        return _missing_field(path, where)
    target = _type_at(path)
    if kind == "enum" and isinstance(target, type) and issubclass(target, Enum):
        return _bad_choice(path, value, [str(m.value) for m in target], where)
    if kind == "string_pattern_mismatch" and path[-1:] == ("id",) and isinstance(value, str):
        return where.problem(path, f"{value!r} at {shown} is not a valid id",
                             f"ids use lower-case letters, digits, '.', '_' and '-', and start with a letter "
                             f"or digit, e.g. '{slug(value)}'")
    if kind == "string_too_short" and value == "":
        return where.problem(path, f"{shown} is empty", "write some text, or remove the field if optional")
    expected = _EXPECTED.get(kind)
    if expected:
        return where.problem(path, f"{shown} must be {expected}, but it is {describe_value(value)}",
                             _type_hint(kind, value, raw.get(path)))
    message = error["msg"]
    return where.problem(path, f"{shown or 'the model file'}: {message[:1].lower()}{message[1:]} "
                               f"(got {describe_value(value)})")


_EXPECTED = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "model_type": "a mapping of fields", "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
}


def _type_hint(kind: str, value: object, raw: str | None) -> str | None:
    if kind == "string_type" and raw is not None:
        return f"YAML reads {raw} as {describe_value(value)}; put it in quotes: \"{raw}\""
    if kind == "list_type" and value is None:
        return "write [] for an empty list, or remove the field"
    if kind == "list_type":
        return "write a list: [a, b] on one line, or one '- item' per line"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "each entry is a mapping of `field: value` lines, e.g. `- id: api`"
    if kind.startswith("bool"):
        return "write true or false (unknown facts are simply left out)"
    return None


def _unknown_field(path: FieldPath, where: Where) -> Problem:
    name, parent = str(path[-1]), path[:-1]
    owner = _type_at(parent)
    fields = sorted(owner.model_fields) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
    guess = close_match(name, fields)
    hint = f"did you mean '{guess}'?" if guess else f"allowed fields: {', '.join(fields)}"
    return where.problem(path, f"unknown field '{name}' {where.in_path(parent)}", hint, key=True)


def _missing_field(path: FieldPath, where: Where) -> Problem:
    name, parent = str(path[-1]), path[:-1]
    target = _type_at(path)
    hint = f"add `{name}: ...`"
    if isinstance(target, type) and issubclass(target, Enum):
        hint += f" (one of: {', '.join(str(m.value) for m in target)})"
    owner = where.show(parent) or "the model file"
    return where.problem(parent, f"{owner} is missing the required field '{name}'", hint)


def _bad_choice(path: FieldPath, value: object, allowed: list[str], where: Where) -> Problem:
    shown = where.show(path)
    choices = f"allowed: {', '.join(allowed)}"
    if value is None:
        return where.problem(path, f"{shown} is empty", choices)
    guess = close_match(str(value), allowed)
    hint = f"did you mean '{guess}'? {choices}" if guess else choices
    return where.problem(path, f"{describe_value(value)} is not a valid value for {shown}", hint)


def _type_at(path: FieldPath) -> Any:
    """The annotated type at a field path, from System downwards (None when the path leaves the model)."""
    current: Any = System
    for part in path:
        current = _unwrap_optional(current)
        if isinstance(part, int):
            args = get_args(current)
            if get_origin(current) is not list or not args:
                return None
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return None
    return _unwrap_optional(current)


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        if len(args) == 1:
            return args[0]
    return annotation


# ------------------------------------------------------------------------------------------ booleans

_TRUE_OR_FALSE = frozenset({"true", "false", "True", "False", "TRUE", "FALSE"})  # YAML 1.2's spellings


def boolean_problems(data: dict[str, object], where: Where, reader: Reader) -> list[Problem]:
    """Every boolean field written as anything but true or false; the paths are marked as reported."""
    problems: list[Problem] = []
    _check_booleans(data, System, (), where, reader, problems)
    return problems


def _check_booleans(data: dict[str, object], model: type[BaseModel], path: FieldPath, where: Where,
                    reader: Reader, problems: list[Problem]) -> None:
    flags, children = _shape(model)
    for name in flags:
        if name in data and data[name] is not None:
            problem = _not_a_boolean(data[name], (*path, name), where, reader)
            if problem is not None:
                reader.bad_paths.add((*path, name))
                problems.append(problem)
    for name, child, many in children:
        value = data.get(name)
        items = enumerate(value) if many and isinstance(value, list) else [(None, value)] if not many else []
        for index, item in items:
            if isinstance(item, dict):
                where_to = (*path, name) if index is None else (*path, name, index)
                _check_booleans(item, child, where_to, where, reader, problems)


def _not_a_boolean(value: object, path: FieldPath, where: Where, reader: Reader) -> Problem | None:
    if isinstance(value, bool):
        raw = reader.raw.get(path)
        if raw is None or raw in _TRUE_OR_FALSE:
            return None
        shown = where.show(path)  # only for a problem: naming the item walks the YAML nodes
        return where.problem(path, f"{shown} must be true or false, but it is {raw}",
                             f"write {str(value).lower()}: YAML 1.2 tools read {raw} as text, not as a boolean")
    hint = "write true or false (unknown facts are simply left out)"
    if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false", "on", "off", "y", "n"):
        hint = "write true or false without quotes (unknown facts are simply left out)"
    return where.problem(path, f"{where.show(path)} must be true or false, but it is {describe_value(value)}", hint)


_SHAPES: dict[type[BaseModel], tuple[list[str], list[tuple[str, type[BaseModel], bool]]]] = {}


def _shape(model: type[BaseModel]) -> tuple[list[str], list[tuple[str, type[BaseModel], bool]]]:
    """The boolean fields of ``model`` and its fields holding models (and whether they hold a list of them)."""
    if model not in _SHAPES:
        flags: list[str] = []
        children: list[tuple[str, type[BaseModel], bool]] = []
        for name, info in model.model_fields.items():
            annotation = _unwrap_optional(info.annotation)
            many = get_origin(annotation) is list and bool(get_args(annotation))
            inner = _unwrap_optional(get_args(annotation)[0]) if many else annotation
            if inner is bool and not many:
                flags.append(name)
            elif isinstance(inner, type) and issubclass(inner, BaseModel):
                children.append((name, inner, many))
        _SHAPES[model] = (flags, children)
    return _SHAPES[model]
