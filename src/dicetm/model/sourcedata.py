"""What another tool wrote about an item that dicetm does not model, kept so an export gives it back.

An importer keeps, on every item it maps, the foreign item as it read it (ids, positions, styles, statuses,
comments, structured parts, types, ratings), where it sat in the source file, and a fingerprint of the dicetm
item it became. An exporter to the same format writes the foreign item back; where a person has since
changed the dicetm item (the fingerprint differs), the exporter lays the changed fields over it. Exporters to
other formats cannot carry it and say so.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

_NOT_FINGERPRINTED = frozenset({"source_data", "provenance"})


class SourceData(BaseModel):
    """The foreign item behind a dicetm item (or, on the system, the foreign document's own parts)."""

    model_config = ConfigDict(extra="forbid")

    format: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="The import format that read it.")
    path: str = Field(min_length=1, description="Where it was in the source file ('$' for the document).")
    item: dict[str, JsonValue] = Field(description="The foreign item as read, without the child items that "
                                                   "are kept on their own dicetm items.")
    parts: dict[str, JsonValue] = Field(default_factory=dict, description="On the system only: foreign items "
                                        "with no dicetm counterpart (text blocks, loose flows...), by path.")
    links: list[dict[str, JsonValue]] = Field(default_factory=list, description="The source's link entries "
                                              "that start at this item (e.g. Threat Composer assumption links).")
    fingerprint: str = Field(pattern=r"^[0-9a-f]{16}$", description="Of the dicetm item as imported; while it "
                             "matches, exporters to the same format write `item` back unchanged.")


def fingerprint(item: BaseModel) -> str:
    """A short hash of the item's own stated fields: not its source data or provenance, not lists of other
    items (the system's elements... carry their own), and not fields left at their default, so a field added
    to the model later does not make every imported item look changed."""
    data = item.model_dump(mode="json", exclude_none=True, exclude_defaults=True,
                           exclude=set(_NOT_FINGERPRINTED & set(type(item).model_fields)))
    own = {k: v for k, v in data.items() if not (isinstance(v, list) and v and isinstance(v[0], dict))}
    text = json.dumps(own, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def unchanged(item: BaseModel, fmt: str) -> dict[str, Any] | None:
    """The foreign item to write back as it was, when ``item`` came from ``fmt`` and nobody changed it."""
    data = source_of(item, fmt)
    return data.item if data is not None and data.fingerprint == fingerprint(item) else None


def source_of(item: BaseModel, fmt: str) -> SourceData | None:
    """The item's source data when it came from ``fmt``."""
    data = getattr(item, "source_data", None)
    return data if isinstance(data, SourceData) and data.format == fmt else None
