"""Keeping foreign items for the round trip: importers attach them, exporters take them back.

Importers call :func:`kept` on each item they map, with the foreign item and the keys of the child items
that live on their own dicetm items (a cell's threats, a category's risks). After the importer is done,
:func:`seal` fingerprints every item in its final state, so a later edit by a person shows.

Exporters call :func:`foreign` to get the item to start from: the stored one (a deep copy, so it can be
laid over) when the item came from the same format, else None. :func:`cross_format_losses` says what a
model's source data holds that an export to another format cannot carry.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from dicetm.model.sourcedata import SourceData, fingerprint, source_of
from dicetm.model.system import System

_Item = TypeVar("_Item", bound=BaseModel)
_UNSEALED = "0" * 16
_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')
_LISTS = ("elements", "flows", "trust_boundaries", "assets", "assumptions", "threats", "controls")


def jsonable(value: Any, drop: Iterable[str] = ()) -> Any:
    """A deep copy of decoded foreign data as JSON values (YAML dates become ISO text), top keys in ``drop``
    left out."""
    dropped = set(drop)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k not in dropped}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN and infinity are not JSON: no tool reads them back
    return value


def kept(item: _Item, fmt: str, path: str, foreign: Any, *, empty: Iterable[str] = (),
         links: list[dict[str, Any]] | None = None) -> _Item:
    """``item`` with the foreign item behind it as source data (fingerprinted later by :func:`seal`); the
    keys in ``empty`` hold child items kept on their own dicetm items, and are emptied (a list or mapping
    becomes empty, a null stays null) so the exporter knows the key was there."""
    data = jsonable(foreign) if isinstance(foreign, dict) else {}
    for key in empty:
        if isinstance(data.get(key), list | dict):
            data[key] = type(data[key])()
    source = SourceData(format=fmt, path=path, item=data, links=jsonable(links or []), fingerprint=_UNSEALED)
    return item.model_copy(update={"source_data": source})


def document(fmt: str, foreign: Any, *, drop: Iterable[str] = (), parts: dict[str, Any] | None = None) -> SourceData:
    """Source data for the whole model: the document's own fields and the parts with no dicetm item."""
    data = jsonable(foreign, drop) if isinstance(foreign, dict) else {}
    return SourceData(format=fmt, path="$", item=data, parts=jsonable(parts or {}), fingerprint=_UNSEALED)


def seal(system: System) -> System:
    """Fingerprint every item that carries source data, in the state the importer leaves it."""
    updates: dict[str, Any] = {}
    for name in _LISTS:
        items = getattr(system, name)
        if any(getattr(i, "source_data", None) is not None for i in items):
            updates[name] = [_sealed(i) for i in items]
    sealed = system.model_copy(update=updates)
    return _sealed(sealed)


def _sealed(item: _Item) -> _Item:
    data = getattr(item, "source_data", None)
    if not isinstance(data, SourceData):
        return item
    return item.model_copy(update={"source_data": data.model_copy(update={"fingerprint": fingerprint(item)})})


def foreign(item: BaseModel, fmt: str) -> tuple[dict[str, Any] | None, bool]:
    """(a copy of the stored foreign item, whether the dicetm item changed since the import); (None, True)
    when the item did not come from ``fmt``."""
    data = source_of(item, fmt)
    if data is None:
        return None, True
    return copy.deepcopy(data.item), data.fingerprint != fingerprint(item)


def steps(path: str) -> list[str | int]:
    """``$.detail.diagrams[0].cells[3]`` -> ``["detail", "diagrams", 0, "cells", 3]``."""
    found: list[str | int] = []
    for match in _STEP.finditer(path):
        plain, index, quoted = match.groups()
        found.append(plain if plain is not None else int(index) if index is not None else json.loads(quoted))
    return found


def cross_format_losses(system: System, target: str, carried: dict[str, frozenset[str]]) -> list[str]:
    """What the source data of ``system`` holds that an export to ``target`` leaves out, one line per kind
    of item: the foreign fields (top level, and one level into objects) that the model does not carry
    (``carried``: format -> fields it does), with how many items come from that format."""
    lines = []
    groups: dict[tuple[str, str], tuple[int, Counter[str]]] = {}
    for name in ("model", *_LISTS):
        items = [system] if name == "model" else getattr(system, name)
        for item in items:
            data = getattr(item, "source_data", None)
            if not isinstance(data, SourceData) or data.format == target:
                continue
            count, fields = groups.get((data.format, name), (0, Counter()))
            known = carried.get(data.format, frozenset())
            fields.update(f for f in _field_names(data.item, {k.split(".")[0] for k in known if "." in k})
                          if f not in known and f.split(".")[0] not in known)
            if data.parts:
                fields[f"{len(data.parts)} parts with no dicetm item"] += 1
            if data.links:
                fields["links"] += 1
            groups[(data.format, name)] = (count + 1, fields)
    for (fmt, name), (count, fields) in sorted(groups.items()):
        if not fields:
            continue
        what = name.replace("_", " ")
        lines.append(f"{what} ({count}, from {fmt}): {', '.join(sorted(fields))}")
    return lines


def _field_names(item: dict[str, Any], containers: set[str]) -> list[str]:
    """Top-level keys; one level into the objects whose parts the model carries in part (``data.name``)."""
    names = []
    for key, value in item.items():
        if key in containers and isinstance(value, dict) and value:
            names += [f"{key}.{inner}" for inner in value]
        else:
            names.append(key)
    return names
