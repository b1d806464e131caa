"""Data-flow diagrams: Mermaid and Graphviz source, and SVG drawn by Graphviz when it is installed.

Model text is untrusted, so nothing from the model is ever written raw: node ids are generated from
element ids with every unsafe character replaced, and labels are quoted with unsafe characters encoded.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dicetm.model import (
    AI_KINDS,
    PROCESS_KINDS,
    STORE_KINDS,
    Element,
    Flow,
    RiskLevel,
    System,
    Threat,
    TrustBoundary,
)
from dicetm.model.findings import RISK_ORDER
from dicetm.report.common import kind_text

DOT_TIMEOUT_SECONDS = 20
UNDECLARED = "undeclared"
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9]")
# Printable ASCII that Mermaid takes literally inside a quoted label; anything else is entity-encoded.
_MERMAID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:_-/()'+!?*@=~^$")
_RISK_STYLE = {
    RiskLevel.critical: "fill:#f8d0d0,stroke:#b91c1c,stroke-width:2px",
    RiskLevel.high: "fill:#fde2cc,stroke:#c2410c,stroke-width:2px",
    RiskLevel.medium: "fill:#fdf3c4,stroke:#a16207",
    RiskLevel.low: "fill:#dcf2e0,stroke:#15803d",
}


class _Ids:
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
class _Layout:
    """What goes where: boundaries in nesting order, elements per boundary, undeclared flow ends."""

    events: list[tuple[str, TrustBoundary, int]]  # ("open" | "close", boundary, depth)
    members: dict[str | None, list[Element]]  # boundary id (None: outside every boundary) -> elements
    undeclared: list[str]


def _layout(system: System) -> _Layout:
    members: dict[str | None, list[Element]] = {}
    for element in system.elements:
        members.setdefault(system.boundary_of.get(element.id), []).append(element)
    known = system.element_by_id
    undeclared = sorted({end for f in system.flows for end in (f.source, f.target) if end not in known})
    return _Layout(events=list(_boundary_events(system.trust_boundaries)), members=members,
                   undeclared=undeclared)


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


def _flow_notes(flow: Flow) -> list[str]:
    notes = []
    if flow.encrypted is False:
        notes.append("unencrypted")
    if flow.authenticated is False:
        notes.append("unauthenticated")
    return notes


def _flow_label_parts(flow: Flow) -> list[str]:
    return [part for part in (flow.data, flow.protocol) if part]


def _threat_levels(threats: Iterable[Threat]) -> tuple[dict[str, int], dict[str, RiskLevel]]:
    """Per element: how many threats name it, and the highest risk level among them."""
    counts: dict[str, int] = {}
    worst: dict[str, RiskLevel] = {}
    for threat in threats:
        level = threat.risk
        for element_id in threat.elements:
            counts[element_id] = counts.get(element_id, 0) + 1
            current = worst.get(element_id)
            if current is None or RISK_ORDER[level] > RISK_ORDER[current]:
                worst[element_id] = level
    return counts, worst


# --- Mermaid -------------------------------------------------------------------------------------------


def mermaid_text(text: str) -> str:
    """Encode text for a quoted Mermaid label: unsafe characters become ``#<code>;`` entities."""
    out = []
    for char in text:
        if char in _MERMAID_SAFE or (char.isalnum() and ord(char) > 127):
            out.append(char)
        elif char in "\r\n\t":
            out.append(" ")
        elif char.isprintable():
            out.append(f"#{ord(char)};")
    return "".join(out)


def _mermaid_node(node_id: str, element: Element, extra: str) -> str:
    label = mermaid_text(element.name)
    if element.kind in AI_KINDS:
        label += f"<br/>«{mermaid_text(kind_text(element))}»"
    label += extra
    if element.kind in STORE_KINDS:
        return f'{node_id}[("{label}")]'
    if element.kind in PROCESS_KINDS:
        return f'{node_id}("{label}")'
    return f'{node_id}["{label}"]'


def mermaid(system: System, threats: Iterable[Threat] | None = None) -> str:
    """Mermaid flowchart of the system; with ``threats``, elements show their threat count and worst risk."""
    node = _Ids("e_")
    zone = _Ids("b_")
    counts, worst = _threat_levels(threats) if threats is not None else ({}, {})
    layout = _layout(system)
    lines = ["flowchart LR"]

    def add_nodes(elements: list[Element], indent: str) -> None:
        for element in elements:
            count = counts.get(element.id)
            extra = f"<br/>⚠ {count} threat{'s' if count != 1 else ''}" if count else ""
            lines.append(indent + _mermaid_node(node(element.id), element, extra))

    for action, boundary, depth in layout.events:
        indent = "    " * (depth + 1)
        if action == "close":
            lines.append(indent + "end")
            continue
        lines.append(f'{indent}subgraph {zone(boundary.id)}["{mermaid_text(boundary.name)}"]')
        add_nodes(layout.members.get(boundary.id, []), indent + "    ")
    add_nodes(layout.members.get(None, []), "    ")
    for raw in layout.undeclared:
        lines.append(f'    {node(raw)}["{mermaid_text(raw)} ({UNDECLARED})"]')

    flagged = []
    for index, flow in enumerate(system.flows):
        label = " · ".join(mermaid_text(part) for part in _flow_label_parts(flow))
        notes = _flow_notes(flow)
        if notes:
            flagged.append(str(index))
            label = (label + " " if label else "") + "⚠ " + ", ".join(notes)
        arrow = "<-->" if flow.bidirectional else "-->"
        text = f'|"{label}"|' if label else ""
        lines.append(f"    {node(flow.source)} {arrow}{text} {node(flow.target)}")
    if flagged:
        lines.append(f"    linkStyle {','.join(flagged)} stroke:#b91c1c,stroke-width:2px")
    for level, style in _RISK_STYLE.items():
        ids = [node(e.id) for e in system.elements if worst.get(e.id) == level]
        if ids:
            lines.append(f"    classDef risk_{level.value} {style}")
            lines.append(f"    class {','.join(ids)} risk_{level.value}")
    return "\n".join(lines) + "\n"


# --- Graphviz ------------------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """Quote text as a DOT string; backslashes are doubled so Graphviz escapes like ``\\N`` stay literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return '"' + "".join(c for c in escaped if c.isprintable()) + '"'


def _dot_shape(element: Element) -> str:
    if element.kind in STORE_KINDS:
        return "shape=cylinder"
    if element.kind in PROCESS_KINDS:
        return 'shape=box, style="rounded,filled", fillcolor="#eef2ff"'
    return "shape=box"


def _dot_node(node_id: str, element: Element) -> str:
    label = element.name + (f"\n«{kind_text(element)}»" if element.kind in AI_KINDS else "")
    return f"{node_id} [label={dot_text(label)}, {_dot_shape(element)}];"


def dot(system: System) -> str:
    """Graphviz source: trust boundaries as nested ``cluster_*`` subgraphs, node shapes by kind."""
    node = _Ids("e_")
    zone = _Ids("cluster_")
    layout = _layout(system)
    lines = [
        "digraph dfd {",
        "    rankdir=LR;",
        '    graph [fontname="Helvetica", fontsize=11];',
        '    node [fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9];',
    ]
    for action, boundary, depth in layout.events:
        indent = "    " * (depth + 1)
        if action == "close":
            lines.append(indent + "}")
            continue
        lines.append(f"{indent}subgraph {zone(boundary.id)} {{")
        lines.append(f'{indent}    label={dot_text(boundary.name)}; style=dashed; color="#b91c1c";')
        lines.extend(indent + "    " + _dot_node(node(e.id), e) for e in layout.members.get(boundary.id, []))
    lines.extend("    " + _dot_node(node(e.id), e) for e in layout.members.get(None, []))
    for raw in layout.undeclared:
        lines.append(f"    {node(raw)} [label={dot_text(f'{raw} ({UNDECLARED})')}, shape=box, style=dotted];")
    for flow in system.flows:
        notes = _flow_notes(flow)
        label = "\n".join([*_flow_label_parts(flow), *(["⚠ " + ", ".join(notes)] if notes else [])])
        attrs = [f"label={dot_text(label)}"] if label else []
        if flow.bidirectional:
            attrs.append("dir=both")
        if notes:
            attrs.append('color="#b91c1c", fontcolor="#b91c1c"')
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"    {node(flow.source)} -> {node(flow.target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def svg(system: System, max_elements: int = 400) -> str | None:
    """Draw the DFD with Graphviz for inlining in HTML.

    Returns None when ``dot`` is not installed, fails, times out, or the model has more than
    ``max_elements`` elements (a drawing that size is unreadable and slow to lay out).
    """
    if len(system.elements) > max_elements:
        return None
    executable = shutil.which("dot")
    if executable is None:
        return None
    try:
        completed = subprocess.run(
            [executable, "-Tsvg"], input=dot(system).encode("utf-8"), capture_output=True,
            timeout=DOT_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    text = completed.stdout.decode("utf-8", errors="replace")
    start = text.find("<svg")
    # Everything before <svg> is the XML prolog, doctype and generator comments.
    return text[start:].strip() + "\n" if start >= 0 else None
