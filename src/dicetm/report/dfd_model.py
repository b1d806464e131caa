"""What every data-flow drawing of a model needs, counted once: the boundaries in nesting order, the elements in
each, the flows at each element, and the open threats per element (one count, so the Mermaid and Graphviz
drawings never disagree). Diagram ids are generated from model ids with every unsafe character replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from dicetm.model import AnalysisResult, Element, Flow, RiskLevel, System, Threat, TrustBoundary
from dicetm.model.findings import risk_level

CLOSED_STATUSES = frozenset({"rejected", "retired"})
UNDECLARED = "undeclared"
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9]")


class Ids:
    """Maps model ids to diagram ids that are safe in Mermaid and DOT and never collide."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._map: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, raw: str) -> str:
        found = self._map.get(raw)
        if found is not None:
            return found
        base = self._prefix + _UNSAFE_ID_CHARS.sub("_", raw)
        candidate, n = base, 1
        while candidate in self._used:
            n += 1
            candidate = f"{base}_{n}"
        self._map[raw] = candidate
        self._used.add(candidate)
        return candidate


@dataclass(frozen=True)
class Layout:
    """What goes where: boundaries in nesting order, elements per boundary, undeclared flow ends."""

    events: list[tuple[str, TrustBoundary, int]]  # ("open" | "close", boundary, depth)
    members: dict[str | None, list[Element]]  # boundary id (None: outside every boundary) -> elements
    undeclared: list[str]
    flows_at: dict[str, list[int]]  # element id -> positions in system.flows of the flows that start or end there


_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


class LastOf(Generic[_Key, _Value]):
    """``compute(key)`` for the last key asked about (the same object, not an equal one).

    A report draws one model up to 25 times (the overview and one drawing per boundary) and counts its open threats
    for the Mermaid source and the tables too; each would otherwise walk every element, flow and threat again. The
    key itself is held, so its id cannot be reused while the entry lives. Do not modify what is returned.
    """

    def __init__(self, compute: Callable[[_Key], _Value]) -> None:
        self._compute = compute
        self._last: tuple[_Key, _Value] | None = None

    def __call__(self, key: _Key) -> _Value:
        last = self._last
        if last is None or last[0] is not key:
            last = self._last = (key, self._compute(key))
        return last[1]

    def forget(self) -> None:
        """Drop the entry, so the key and value can be freed now rather than when the process ends."""
        self._last = None


def _layout(system: System) -> Layout:
    members: dict[str | None, list[Element]] = {}
    for element in system.elements:
        members.setdefault(system.boundary_of.get(element.id), []).append(element)
    known = system.element_by_id
    undeclared = sorted({end for f in system.flows for end in (f.source, f.target) if end not in known})
    flows_at: dict[str, list[int]] = {}
    for index, flow in enumerate(system.flows):
        flows_at.setdefault(flow.source, []).append(index)
        if flow.target != flow.source:
            flows_at.setdefault(flow.target, []).append(index)
    return Layout(events=list(_boundary_events(system.trust_boundaries)), members=members,
                   undeclared=undeclared, flows_at=flows_at)


layout_of: LastOf[System, Layout] = LastOf(_layout)


def _boundary_events(boundaries: list[TrustBoundary]) -> Iterator[tuple[str, TrustBoundary, int]]:
    """Open/close events for nested boundaries, walked without recursion.

    A boundary whose parent is unknown is drawn at the top level; a parent cycle is cut at the first
    boundary of the cycle met in model order.
    """
    by_id = {b.id: b for b in boundaries}
    children: dict[str, list[TrustBoundary]] = {}
    for boundary in boundaries:
        if boundary.parent is not None and boundary.parent in by_id and boundary.parent != boundary.id:
            children.setdefault(boundary.parent, []).append(boundary)
    roots = [b for b in boundaries if b.parent is None or b.parent not in by_id or b.parent == b.id]
    seen: set[str] = set()
    for start in [*roots, *boundaries]:
        if start.id in seen:
            continue
        stack: list[tuple[str, TrustBoundary, int]] = [("open", start, 0)]
        while stack:
            action, boundary, depth = stack.pop()
            if action == "close":
                yield action, boundary, depth
                continue
            if boundary.id in seen:
                continue
            seen.add(boundary.id)
            yield action, boundary, depth
            stack.append(("close", boundary, depth))
            stack.extend(("open", child, depth + 1) for child in reversed(children.get(boundary.id, [])))


def flow_notes(flow: Flow) -> list[str]:
    notes = []
    if flow.encrypted is False:
        notes.append("unencrypted")
    if flow.authenticated is False:
        notes.append("unauthenticated")
    return notes


def flow_label_parts(flow: Flow) -> list[str]:
    return [part for part in (flow.data, flow.protocol) if part]


def is_open(threat: Threat, covered: frozenset[str]) -> bool:
    """A threat is open until a person rejects it or it is covered (by a planned or implemented
    countermeasure, or an owned residual-risk decision)."""
    return threat.status not in CLOSED_STATUSES and threat.id not in covered


def open_threats_by_element(result: AnalysisResult | None) -> dict[str, list[Threat]]:
    """Per element id: the open threats that name it, highest risk first. The one count every diagram shows."""
    if result is None:
        return {}
    covered = frozenset(m.threat for m in result.evaluation.matrix if m.covered)
    found: dict[str, list[Threat]] = {}
    for threat in sorted(result.threats, key=lambda t: (-t.score, t.id)):
        if is_open(threat, covered):
            for element_id in dict.fromkeys(threat.elements):
                found.setdefault(element_id, []).append(threat)
    return found


# open_threats_by_element(result), counted once for the last result asked about
open_threats_of: LastOf[AnalysisResult | None, dict[str, list[Threat]]] = LastOf(open_threats_by_element)


def forget_drawn() -> None:
    """Let go of the last model and result the memos above hold. A large model's result is hundreds of thousands
    of objects: kept until the interpreter exits, they cost it most of a second to walk and free."""
    layout_of.forget()
    open_threats_of.forget()


def worst_level(threats: Iterable[Threat]) -> RiskLevel | None:
    # The level rises with the score, so the highest score has the highest level: banded once, not per threat.
    top = max((t.score for t in threats), default=None)
    return None if top is None else risk_level(top)
