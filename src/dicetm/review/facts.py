"""The facts a finding rests on, and their digest: when they change, the decision turns stale."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from dicetm.model import System

# Fields that name or describe an element but do not change what a rule concludes.
_NOT_FACTS = frozenset({"name", "description", "tags", "provenance"})


def facts_of(system: System, element_ids: Iterable[str], flow_ids: Iterable[str] = ()) -> dict[str, Any]:
    """Attributes of the finding's elements and flows (and each element's trust boundary)."""
    return FactsIndex(system).facts(element_ids, flow_ids)


class FactsIndex:
    """``facts_of`` for many findings of one system: each element and flow is dumped once, not per finding.

    The fact dicts are shared between the results; treat them as read-only.
    """

    def __init__(self, system: System) -> None:
        self.system = system
        self._items: dict[str, dict[str, Any] | None] = {}

    def facts(self, element_ids: Iterable[str], flow_ids: Iterable[str] = ()) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        for element_id in sorted(set(element_ids)):
            key = f"element:{element_id}"
            facts[key] = self._items[key] if key in self._items else self._element(key, element_id)
        for flow_id in sorted(set(flow_ids)):
            key = f"flow:{flow_id}"
            facts[key] = self._items[key] if key in self._items else self._flow(key, flow_id)
        return facts

    def _element(self, key: str, element_id: str) -> dict[str, Any] | None:
        element = self.system.element_by_id.get(element_id)
        data = None
        if element is not None:
            data = element.model_dump(mode="json", exclude=set(_NOT_FACTS), exclude_none=True)
            data["boundary"] = self.system.boundary_of.get(element_id)
        self._items[key] = data
        return data

    def _flow(self, key: str, flow_id: str) -> dict[str, Any] | None:
        flow = self.system.flow_by_id.get(flow_id)
        data = None if flow is None else flow.model_dump(mode="json", exclude={"data", "provenance"},
                                                         exclude_none=True)
        self._items[key] = data
        return data


def facts_digest(facts: dict[str, Any]) -> str:
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Human-readable list of what changed between two fact snapshots."""
    old = old or {}
    changes: list[str] = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None or after is None:
            changes.append(f"{key} {'removed' if after is None else 'added'}")
            continue
        for field in sorted(set(before) | set(after)):
            if before.get(field) != after.get(field):
                changes.append(f"{key}.{field}: {before.get(field)!r} -> {after.get(field)!r}")
    return changes
