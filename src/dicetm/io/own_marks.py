"""What dicetm itself wrote into another tool's file on export, read back on import.

A model sent to Threat Dragon or OTM and taken in again keeps its element ids, kinds and (OTM) stated facts,
so the finding ids built from them, and the decisions resting on those, survive the trip. The marks are
Threat Dragon's ``data.dicetmKind`` and OTM's ``attributes["dicetm.kind"]`` with the facts beside it; a file
without them is read as any other file of its tool.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from dicetm.io.mapping import IdPool
from dicetm.model.system import ID_PATTERN, REFERENCE_FACTS, Element, Kind

_ID = re.compile(ID_PATTERN)


def own_kind(text: str | None) -> Kind | None:
    """The kind dicetm wrote on export, when it is one of ours."""
    try:
        return Kind(text) if text else None
    except ValueError:
        return None


def own_id(candidate: str | None, pool: IdPool) -> str | None:
    """Keep the id dicetm gave the item, when it is a valid id nobody in this import has taken yet."""
    if not candidate or not _ID.fullmatch(candidate) or candidate in pool.taken:
        return None
    pool.taken.add(candidate)
    return candidate


@functools.lru_cache(maxsize=256)
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    annotation: Any = model.model_fields[name].annotation
    return TypeAdapter(annotation)


def facts_from_text(model: type[BaseModel], texts: Mapping[str, object], skip: frozenset[str]) -> dict[str, Any]:
    """The fields of ``model`` written as text (``"true"``, ``"internal"``, ``"read,write"``), parsed back;
    a key that is not a field, or whose text does not parse, is left out."""
    facts: dict[str, Any] = {}
    for name, text in texts.items():
        if name in skip or name not in model.model_fields or not isinstance(text, str):
            continue
        adapter = _adapter(model, name)
        for value in (text, [part for part in text.split(",") if part]):
            try:
                facts[name] = adapter.validate_python(value)
                break
            except ValidationError:
                continue
    return facts


def with_facts(element: Element, facts: Mapping[str, Any]) -> Element:
    """``element`` with the facts laid over, or unchanged when they do not hold together for its kind."""
    if not facts:
        return element
    try:
        return Element.model_validate({**element.model_dump(exclude_none=True), **facts})
    except ValidationError:
        return element


def without_dangling_references(elements: list[Element]) -> tuple[list[Element], list[str]]:
    """Elements whose reference facts (``acts_on``, ``server``, ``installed_from``) name an element that did not
    come through lose that fact; the second value says which, for the import's notes."""
    ids = {e.id for e in elements}
    kept: list[Element] = []
    dropped: list[str] = []
    for element in elements:
        gone = {name: None for name in REFERENCE_FACTS if getattr(element, name) not in (None, *ids)}
        dropped += [f"{element.id}.{name} = {getattr(element, name)!r}" for name in gone]
        kept.append(element.model_copy(update=gone) if gone else element)
    return kept, dropped
