"""draw.io diagrams: shapes as entities, connectors as relations, containers as zones (see ``read_drawio``).

- a labelled shape is an entity named by the first line of its label (the other lines, and a
  ``<<stereotype>>`` line, are words about it); text boxes and edge labels are not components;
- a connector joining two shapes is a relation: its direction follows the arrow heads (``endArrow`` is a head
  at the target unless ``none``, ``startArrow`` one at the source), its label (or the label placed on it) is
  the data. A connector without heads, or one that is not attached at both ends, is reported;
- a labelled shape that holds other shapes (a swimlane, a container or group style, or a box drawn around
  them) is a zone, not an element: each shape sits in the smallest zone around it, zones nest the same way;
- the shape says something about the kind: an actor or user icon is a person, a cylinder or database icon a
  store; the label's words decide the rest.

Only cells whose label span the reader produced (and the scan did not withhold) are used.
"""

from __future__ import annotations

import re

from dicetm.ingest.documents import Document, Span
from dicetm.ingest.extract_ir import (
    EXPLICIT,
    WEAK,
    Extraction,
    Relation,
    Remark,
    Unresolved,
    Where,
    Zone,
    describe,
    protocol_facts,
)
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.read_drawio import Cell, DrawioData
from dicetm.model.system import Kind

_PEOPLE_SHAPES = re.compile(r"umlActor|actor|(?:^|\.)users?$|person|customer|client$|employee", re.I)
_STORE_SHAPES = re.compile(r"cylinder|datastore|database|disk|storage|bucket|mxgraph\.flowchart\.stored_data", re.I)
_CONTAINER_STYLES = ("swimlane", "group", "container", "mxgraph.aws4.group", "mxgraph.aws4.groupCenter")
Box = tuple[float, float, float, float]


def extract_drawio(document: Document, out: Extraction, prefix: str) -> bool:
    data = document.data
    if not isinstance(data, DrawioData):
        return False
    visible = {s for s in document.spans if s.hidden is None}
    cells = {c.id: c for c in data.cells}
    labels = _edge_labels(data.cells, visible)
    shapes = [c for c in data.cells if c.vertex and c.visible and c.span in visible and not _is_annotation(c, cells)]
    boxes = {c.id: _absolute(c, cells) for c in shapes}
    containers = {c.id for c in shapes if _is_container(c, shapes, boxes)}
    zones: dict[str, Zone] = {}
    for cell in shapes:
        if cell.id in containers:
            assert cell.span is not None
            zones[cell.id] = Zone(f"{prefix}:zone:{cell.id}", _name(cell.label)[0], Where.whole(cell.span))
    for cell in shapes:
        if cell.id not in containers:
            _entity(cell, out, prefix)
    for cell in shapes:
        home = _home(cell, zones, cells, boxes)
        if home is None:
            continue
        if cell.id in zones:
            zones[cell.id].parent = zones[home].key
        else:
            zones[home].members.append(f"{prefix}:{cell.id}")
    out.zones += zones.values()
    for cell in data.cells:
        if cell.vertex and cell.visible and cell.span in visible and cell.label and _is_annotation(cell, cells) \
                and cell.span is not None and not (cells.get(cell.parent or "") or cell).edge:
            out.remarks.append(Remark(cell.span, 0, len(cell.span.text)))  # a text box or a note: read for facts
    for cell in data.cells:
        if cell.edge and cell.visible:
            _relation(cell, labels.get(cell.id, ""), out, prefix, containers, cells, visible)
    return True


def _name(label: str) -> tuple[str, str]:
    lines = [line for line in label.split("\n") if line.strip()]
    words = [line for line in lines if not re.fullmatch(r"\s*<<[^>]*>>\s*|\s*«[^»]*»\s*", line)]
    if not words:
        return (lines[0] if lines else ""), ""
    stereotypes = [line.strip("<>«» ") for line in lines if line not in words]
    if len(words) > 1 and all(len(w.split()) == 1 and not w.startswith("(") for w in words):
        return " ".join(words), " ".join(stereotypes)  # "Elastic / Load / Balancer": one name wrapped
    return words[0], " ".join([*stereotypes, *words[1:]])


def _entity(cell: Cell, out: Extraction, prefix: str) -> None:
    assert cell.span is not None
    name, more = _name(cell.label)
    entity = out.entity(f"{prefix}:{cell.id}", name, Where.whole(cell.span))
    describe(entity, more)
    shape = " ".join(v for k, v in cell.style.items() if k in ("shape", "resIcon", "prIcon", "grIcon")) or \
        next(iter(cell.style), "")
    if _PEOPLE_SHAPES.search(shape):
        entity.kind, entity.kind_strength = Kind.external_entity, EXPLICIT
    elif _STORE_SHAPES.search(shape):
        entity.kind, entity.kind_strength = Kind.data_store, EXPLICIT
    elif shape:
        words = shape.rsplit(".", 1)[-1].replace("_", " ")
        kind = kind_words().kind_of(words) if "mxgraph" in shape else None
        if kind is not None:
            entity.kind, entity.kind_strength = kind, WEAK


def _is_annotation(cell: Cell, cells: dict[str, Cell]) -> bool:
    """Text boxes, edge labels and notes say something about the diagram; they are not components."""
    first = next(iter(cell.style), "")
    parent = cells.get(cell.parent or "")
    return first in ("text", "edgeLabel", "note") or cell.style.get("shape") == "note" or \
        "edgeLabel" in cell.style or (parent is not None and parent.edge)


def _edge_labels(cells: list[Cell], visible: set[Span]) -> dict[str, str]:
    """edge id -> the words of the labels placed on it (child cells of the edge)."""
    labels: dict[str, list[str]] = {}
    edges = {c.id for c in cells if c.edge}
    for cell in cells:
        if cell.parent in edges and cell.label and cell.span in visible:
            labels.setdefault(cell.parent, []).append(cell.label.replace("\n", " "))
    return {k: "; ".join(v) for k, v in labels.items()}


def _absolute(cell: Cell, cells: dict[str, Cell]) -> Box | None:
    if cell.geometry is None:
        return None
    x, y, width, height = cell.geometry
    parent = cells.get(cell.parent or "")
    seen: set[str] = set()
    while parent is not None and parent.vertex and parent.id not in seen:
        seen.add(parent.id)
        if parent.geometry is not None:
            x, y = x + parent.geometry[0], y + parent.geometry[1]
        parent = cells.get(parent.parent or "")
    return x, y, width, height


def _inside(inner: Box | None, outer: Box | None) -> bool:
    if inner is None or outer is None or inner == outer:
        return False
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[0] + inner[2] <= outer[0] + outer[2]
            and inner[1] + inner[3] <= outer[1] + outer[3] and inner[2] * inner[3] < outer[2] * outer[3])


def _is_container(cell: Cell, shapes: list[Cell], boxes: dict[str, Box | None]) -> bool:
    if any(other.parent == cell.id for other in shapes):
        return True
    styled = any(key in cell.style for key in ("swimlane", "container", "group")) or \
        cell.style.get("container") == "1" or cell.style.get("shape") in _CONTAINER_STYLES
    drawn_around = any(_inside(boxes.get(other.id), boxes.get(cell.id)) for other in shapes if other is not cell)
    return drawn_around and (styled or _looks_like_frame(cell))


def _looks_like_frame(cell: Cell) -> bool:
    """A box drawn around others: a plain rectangle whose label sits at the top, or a dashed/unfilled one."""
    style = cell.style
    return style.get("verticalAlign") == "top" or style.get("dashed") == "1" or style.get("fillColor") == "none" \
        or not any(k in style for k in ("shape", "ellipse", "rhombus", "triangle"))


def _home(cell: Cell, zones: dict[str, Zone], cells: dict[str, Cell], boxes: dict[str, Box | None]) -> str | None:
    """The zone a shape sits in: its nearest container ancestor, else the smallest zone drawn around it."""
    parent = cells.get(cell.parent or "")
    seen: set[str] = set()
    while parent is not None and parent.id not in seen:
        seen.add(parent.id)
        if parent.id in zones:
            return parent.id
        parent = cells.get(parent.parent or "")
    around = [z for z in zones if z != cell.id and _inside(boxes.get(cell.id), boxes.get(z))]
    if not around:
        return None
    return min(around, key=lambda z: (boxes[z] or (0, 0, 0, 0))[2] * (boxes[z] or (0, 0, 0, 0))[3])


def _relation(cell: Cell, extra_label: str, out: Extraction, prefix: str, containers: set[str],
              cells: dict[str, Cell], visible: set[Span]) -> None:
    if cell.span is not None and cell.span not in visible:
        return  # its label was withheld
    # an unlabelled connector is cited by the shape it starts from (its own line has no words)
    ends = [cells.get(cell.source or ""), cells.get(cell.target or "")]
    span = cell.span or next((c.span for c in ends if c is not None and c.span in visible), None)
    if span is None:
        return
    where = Where.whole(span)
    source, target = f"{prefix}:{cell.source}", f"{prefix}:{cell.target}"
    if cell.source is None or cell.target is None:
        out.unresolved.append(Unresolved(where, "a connector that is not attached to a shape at both ends"))
        return
    if cell.source in containers or cell.target in containers:
        out.unresolved.append(Unresolved(where, "a connector to or from a container, not a component"))
        return
    if source not in out.entities or target not in out.entities or source == target:
        return
    end = cell.style.get("endArrow", "classic") not in ("none", "")
    start = cell.style.get("startArrow", "none") not in ("none", "")
    if not end and not start:
        out.unresolved.append(Unresolved(where, "a connector without arrow heads: its direction is not stated"))
        return
    if start and not end:
        source, target = target, source
    data = " ".join(p for p in (cell.label.replace("\n", " "), extra_label) if p) or None
    out.relations.append(Relation(source, target, where, data, bidirectional=start and end,
                                  facts=protocol_facts(data or "", where)))
