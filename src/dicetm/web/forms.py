"""Model editing forms: which fields an element, flow or trust boundary has, how a form's strings become the
values written to ``dicetm.yaml``, and which field a validation problem belongs to. Parsing only: the values
are validated by the library exactly as ``dicetm validate`` does."""

from __future__ import annotations

import dataclasses
import re
import types
from dataclasses import dataclass
from enum import Enum
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from dicetm.errors import Problem
from dicetm.model import Element, Flow, System, TrustBoundary

SECTIONS: dict[str, type[BaseModel]] = {"elements": Element, "flows": Flow, "boundaries": TrustBoundary}
FILE_SECTION = {"elements": "elements", "flows": "flows", "boundaries": "trust_boundaries"}
_SKIPPED = frozenset({"provenance"})
_LONG_TEXT = frozenset({"description"})
_PATH = re.compile(r"^(?P<section>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, textarea, select, bool, multi, list, check
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False
    help: str = ""

    def shown(self, item: Any) -> Any:
        """The value to show in the form for an item (a model object or a dict of submitted strings)."""
        value = item.get(self.name) if isinstance(item, dict) else getattr(item, self.name, None)
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, list):
            return [v.value if isinstance(v, Enum) else v for v in value]
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else value


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def fields(section: str, system: System) -> list[Field]:
    """The form fields of one section, in the model's order, with the choices the model allows."""
    model: type[BaseModel] = SECTIONS[section]
    element_ids = tuple((e.id, f"{e.name} ({e.id})") for e in system.elements)
    special = {
        ("flows", "source"): Field("source", "select", element_ids, True),
        ("flows", "target"): Field("target", "select", element_ids, True),
        ("flows", "bidirectional"): Field("bidirectional", "check"),
        ("boundaries", "elements"): Field("elements", "multi", element_ids),
        ("boundaries", "parent"): Field("parent", "select", tuple((b.id, b.name) for b in system.trust_boundaries)),
        ("elements", "acts_on"): Field("acts_on", "select", element_ids),
    }
    found = []
    for name, info in model.model_fields.items():
        if name in _SKIPPED:
            continue
        if (section, name) in special:
            found.append(dataclasses.replace(special[(section, name)], help=info.description or ""))
            continue
        annotation = _unwrap(info.annotation)
        required = info.is_required()
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            found.append(Field(name, "select", tuple((m.value, m.value) for m in annotation), required))
        elif annotation is bool:
            found.append(Field(name, "bool", (("true", "yes"), ("false", "no"))))
        elif get_origin(annotation) is list:
            inner = _unwrap(get_args(annotation)[0])
            if isinstance(inner, type) and issubclass(inner, Enum):
                found.append(Field(name, "multi", tuple((m.value, m.value) for m in inner)))
            else:
                found.append(Field(name, "list"))
        else:
            found.append(Field(name, "textarea" if name in _LONG_TEXT else "text", required=required))
        if info.description:
            found[-1] = dataclasses.replace(found[-1], help=info.description)
    return found


def values_from(form: Any, specs: list[Field]) -> dict[str, Any]:
    """The submitted form as values for the model file; an empty field removes the key (unknown, not 'no')."""
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.kind == "multi":
            chosen = [str(v) for v in form.getlist(spec.name) if str(v)]
            values[spec.name] = chosen or None
            continue
        raw = str(form.get(spec.name) or "").strip()
        if spec.kind == "bool":
            values[spec.name] = {"true": True, "false": False}.get(raw)
        elif spec.kind == "check":
            values[spec.name] = True if raw else None
        elif spec.kind == "list":
            values[spec.name] = [part.strip() for part in raw.split(",") if part.strip()] or None
        else:
            values[spec.name] = raw or None
    return values


def submitted(form: Any, specs: list[Field]) -> dict[str, Any]:
    """What was typed, to show again next to an error."""
    shown: dict[str, Any] = {}
    for spec in specs:
        shown[spec.name] = [str(v) for v in form.getlist(spec.name)] if spec.kind == "multi" else \
            str(form.get(spec.name) or "")
    return shown


def problems_by_field(problems: list[Problem], section: str, index: int) -> tuple[dict[str, list[str]], list[str]]:
    """Problems of the edited item by field name (``""`` for the item as a whole), and all other problems."""
    at_field: dict[str, list[str]] = {}
    others: list[str] = []
    file_section = FILE_SECTION[section]
    for problem in problems:
        text = problem.message + (f" (hint: {problem.hint})" if problem.hint else "")
        found = _PATH.match(problem.location.path or "")
        if found and found["section"] == file_section and int(found["index"]) == index:
            at_field.setdefault(found["field"] or "", []).append(text)
        else:
            line = f"line {problem.location.line}: " if problem.location.line else ""
            others.append(f"{line}{text}")
    return at_field, others
