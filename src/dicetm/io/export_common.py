"""Small pieces every exporter shares: stable ids, JSON text, threat placement and wording of risk.

Exporters write other tools' formats. They never analyse: they take an ``AnalysisResult`` and the
validated ``System`` and only reshape them, always in the same order, so the same model gives the same
bytes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import Any

from dicetm.model import AnalysisResult, Element, Flow, RiskLevel, System, Threat

# Fixed namespace for the UUIDs we derive from our own ids (tools such as Threat Composer require UUIDs).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/dicetm/dicetm/export")

# STRIDE category names as Threat Dragon spells them in a threat's `type` (its own fixed vocabulary).
STRIDE_NAMES = {
    "S": "Spoofing",
    "T": "Tampering",
    "R": "Repudiation",
    "I": "Information disclosure",
    "D": "Denial of service",
    "E": "Elevation of privilege",
}
SEVERITY = {RiskLevel.critical: "Critical", RiskLevel.high: "High", RiskLevel.medium: "Medium",
            RiskLevel.low: "Low"}
# Element fields that name the element rather than state a fact about it.
_IDENTITY_FIELDS = frozenset({"id", "name", "kind", "description", "tags"})


@functools.lru_cache(maxsize=65536)  # links name the same threats and controls many times
def stable_uuid(kind: str, key: str) -> str:
    """A UUID that depends only on what is named (``kind`` keeps threats and controls with one id apart)."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def stable_uuid_key(kind: str, value: str | None, keys: Iterable[str]) -> str | None:
    """The key among ``keys`` whose ``stable_uuid(kind, key)`` is ``value``; None when none is (always for a UUID
    that is not name-based). Hashes each key once, uncached: for trying many keys, not for writing ids."""
    try:
        wanted = uuid.UUID(value) if value else None
    except ValueError:
        return None
    if wanted is None or wanted.version != 5:
        return None
    prefix = hashlib.sha1(_NAMESPACE.bytes + f"{kind}:".encode(), usedforsecurity=False)  # as uuid5 hashes
    head = wanted.bytes[:6]  # the bytes before the version bits
    for key in keys:
        digest = prefix.copy()
        digest.update(key.encode())
        if digest.digest()[:6] == head and stable_uuid(kind, key) == value:
            return key
    return None


def json_text(document: Any, expand: int = 8) -> str:
    """Indented JSON with a final newline, in the key order the exporter built.

    Objects and arrays nested deeper than ``expand`` levels are written on one line each (a threat, a
    port list). Diffs stay readable, and the fast C encoder does most of the work: Python's indenting
    encoder takes tens of seconds on a model with thousands of elements.
    """
    out: list[str] = []
    _write(document, 0, expand, out)
    out.append("\n")
    return "".join(out)


def _write(value: Any, depth: int, expand: int, out: list[str]) -> None:
    if depth >= expand or not isinstance(value, dict | list) or not value:
        out.append(_compact(value))
        return
    pad, inner = "  " * depth, "  " * (depth + 1)
    pairs = value.items() if isinstance(value, dict) else ((None, item) for item in value)
    out.append("{\n" if isinstance(value, dict) else "[\n")
    for index, (key, item) in enumerate(pairs):
        out.append(",\n" + inner if index else inner)
        if key is not None:
            out.append(_compact(key) + ": ")
        _write(item, depth + 1, expand, out)
    out.append("\n" + pad + ("}" if isinstance(value, dict) else "]"))


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
_SCALARS = {True: "true", False: "false", None: "null"}


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return _quote(value)
    if value is None or isinstance(value, bool):
        return _SCALARS[value]
    return _ENCODER.encode(value)


_quote = json.encoder.encode_basestring


def ordered_threats(threats: Iterable[Threat]) -> list[Threat]:
    """Highest score first, ties by id: the order every export lists threats in."""
    return sorted(threats, key=lambda t: (-t.score, t.id))


def source_ordered(threats: Iterable[Threat], system: System, fmt: str) -> list[Threat]:
    """Threats read from ``fmt`` in their file order first (so an export gives the file back as it was),
    then the others in export order."""
    from dicetm.model.sourcedata import source_of

    order = {r.id: n for n, r in enumerate(system.threats) if source_of(r, fmt) is not None}
    ordered = ordered_threats(threats)
    kept = sorted((t for t in ordered if t.id in order), key=lambda t: order[t.id])
    return [*kept, *(t for t in ordered if t.id not in order)]


def placement(threat: Threat, system: System) -> tuple[str, str] | None:
    """Where a threat sits in a diagram: ("flow", id) when it names a flow (a threat about data in
    transit, as STRIDE-per-flow tools draw it), else ("element", id) for its primary element.

    None when it names neither a known flow nor a known element; such a threat cannot be drawn.
    """
    for flow_id in threat.flows:
        if flow_id in system.flow_by_id:
            return "flow", flow_id
    for element_id in threat.elements:
        if element_id in system.element_by_id:
            return "element", element_id
    return None


def placed_threats(result: AnalysisResult, system: System) -> list[tuple[Threat, tuple[str, str]]]:
    """Threats that can be attached to an element or flow, in export order, with where they go."""
    placed = []
    for threat in ordered_threats(result.threats):
        where = placement(threat, system)
        if where is not None:
            placed.append((threat, where))
    return placed


def control_names(result: AnalysisResult) -> dict[str, str]:
    """Control id -> name for every countermeasure the analysis suggested (catalogue and custom)."""
    return {c.id: c.name for c in result.countermeasures}


def fact_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return ",".join(fact_text(v) for v in value)
    return str(value)


def element_facts(element: Element) -> dict[str, str]:
    """The facts a person stated about an element, as text; unknown facts are left out."""
    facts = {}
    for name in type(element).model_fields:
        value = getattr(element, name)
        if name in _IDENTITY_FIELDS or value is None or value == []:
            continue
        facts[name] = fact_text(value)
    return facts


def flow_facts(flow: Flow) -> dict[str, str]:
    facts = {}
    for name in ("data", "classification", "protocol", "authenticated", "encrypted", "token_passthrough"):
        value = getattr(flow, name)
        if value is not None:
            facts[name] = fact_text(value)
    return facts


def flow_name(flow: Flow) -> str:
    """Flows have no name in dicetm: their id is short and stable; what they carry goes in the description."""
    return flow.id


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when something was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
