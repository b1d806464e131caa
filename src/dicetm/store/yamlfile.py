"""Files dicetm writes as YAML (register, proposals): parse them back with every problem located."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from dicetm.errors import Location, Problem, StoreError
from dicetm.store.modelfile import format_path
from dicetm.store.wsfiles import read_bytes

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
M = TypeVar("M", bound=BaseModel)


def read_yaml_model(path: Path, model: type[M], label: str, hint: str) -> M | None:
    """The file at ``path`` validated as ``model``, or None when there is no such file (StoreError otherwise).
    A symbolic link is refused, not followed (these are workspace files)."""
    data = read_bytes(Path(path), label)
    return None if data is None else decode_yaml_model(data, str(path), model, label, hint)


def decode_yaml_model(data: bytes, filename: str, model: type[M], label: str, hint: str) -> M:
    """File bytes validated as ``model``; StoreError locates a byte that is not UTF-8 and every other problem."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StoreError([Problem(f"{label} is not UTF-8 text (byte {exc.start + 1})",
                                  Location(file=filename, line=line), hint)]) from None
    return parse_yaml_model(text, filename, model, label, hint)


def parse_yaml_model(text: str, filename: str, model: type[M], label: str, hint: str) -> M:
    """``text`` validated as ``model``; StoreError lists every problem with its line and field.

    ``label`` names the file in messages ("the register"); ``hint`` says how to recover.
    """
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file=filename, line=mark.line + 1, column=mark.column + 1) if mark else Location(filename)
        raise StoreError([Problem(f"{label} is not valid YAML: {exc.problem or exc.context}", where,
                                  hint)]) from None
    except yaml.YAMLError as exc:
        raise StoreError([Problem(f"{label} is not valid YAML: {exc}", Location(file=filename), hint)]) from None
    if data is None:
        raise StoreError([Problem(f"{label} file is empty", Location(file=filename, line=1), hint)])
    if not isinstance(data, dict):
        raise StoreError([Problem(f"{label} must be a mapping of fields at the top level",
                                  Location(file=filename, line=1), hint)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        root = yaml.compose(text, Loader=_LOADER)
        problems = [_problem(error["loc"], error["msg"], root, filename, label, hint) for error in exc.errors()]
        raise StoreError(problems) from None


def _problem(loc: tuple[int | str, ...], message: str, root: yaml.Node | None, filename: str, label: str,
             hint: str) -> Problem:
    path = format_path(loc)
    node = _node_at(root, loc)
    line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (None, None)
    where = Location(file=filename, line=line, column=column, path=path or None)
    return Problem(f"{path or label}: {message}", where, hint)


def _node_at(root: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    """The deepest node on ``loc`` that exists (a missing field points at its parent)."""
    node: Any = root
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node if isinstance(node, yaml.Node) else None
