"""The register file, ``dicetm-register.yaml``, in one stable form, and loading it with located errors.

Keys follow the model's field order and the three lists are sorted (threats and countermeasures by id,
residual risks by threat), so one register always gives the same text and a small change a small diff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dicetm.errors import Location, Problem, StoreError
from dicetm.model.register import Register
from dicetm.store.modelfile import format_path

REGISTER_FILENAME = "dicetm-register.yaml"
HEADER = "# Written by dicetm. Record decisions with dicetm; the audit log flags any edit made by hand.\n"
_HINT = "dicetm writes this file; undo the hand edit or restore it from version control"
# The C emitter and parser when PyYAML has them (several times faster, same output); pure Python otherwise.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def normalized(register: Register) -> Register:
    """A validated deep copy of ``register`` with its lists in file order."""
    data = register.model_dump(mode="json")
    data["threats"].sort(key=lambda item: item["id"])
    data["countermeasures"].sort(key=lambda item: item["id"])
    data["residual_risks"].sort(key=lambda item: item["threat"])
    return Register.model_validate(data)


def dump_register(register: Register) -> str:
    """The file text of a register (pass it through ``normalized`` first for the stable order)."""
    body = yaml.dump(register.model_dump(mode="json"), Dumper=_DUMPER, sort_keys=False, allow_unicode=True)
    return HEADER + body


def load_register(path: Path) -> Register | None:
    """The register stored at ``path``, or None when there is no such file."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError([Problem(f"cannot read the register: {exc.strerror or exc}",
                                  Location(file=str(path)))]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StoreError([Problem(f"the register is not UTF-8 text (byte {exc.start + 1})",
                                  Location(file=str(path), line=line), _HINT)]) from None
    return parse_register(text, str(path))


def parse_register(text: str, filename: str) -> Register:
    """Register file text as a Register; StoreError lists every problem with its line and field."""
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file=filename, line=mark.line + 1, column=mark.column + 1) if mark else Location(filename)
        raise StoreError([Problem(f"the register is not valid YAML: {exc.problem or exc.context}", where,
                                  _HINT)]) from None
    except yaml.YAMLError as exc:
        raise StoreError([Problem(f"the register is not valid YAML: {exc}", Location(file=filename),
                                  _HINT)]) from None
    if data is None:
        raise StoreError([Problem("the register file is empty", Location(file=filename, line=1), _HINT)])
    if not isinstance(data, dict):
        raise StoreError([Problem("the register must be a mapping of fields at the top level",
                                  Location(file=filename, line=1), _HINT)])
    try:
        return Register.model_validate(data)
    except ValidationError as exc:
        root = yaml.compose(text, Loader=_LOADER)
        problems = [_problem(error["loc"], error["msg"], root, filename) for error in exc.errors()]
        raise StoreError(problems) from None


def _problem(loc: tuple[int | str, ...], message: str, root: yaml.Node | None, filename: str) -> Problem:
    path = format_path(loc)
    node = _node_at(root, loc)
    line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (None, None)
    where = Location(file=filename, line=line, column=column, path=path or None)
    return Problem(f"{path or 'the register'}: {message}", where, _HINT)


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
