"""A plain grid layout for diagram formats: every element gets a place, every trust boundary a box.

dicetm models carry no geometry, but Threat Dragon and OTM diagrams need positions. Tools that read
those files decide trust-boundary membership by geometry, so the layout guarantees it: each element
lies inside the box of its innermost boundary, each nested boundary inside its parent's box, and
sibling boxes never overlap. Elements outside every boundary sit outside every box.

Each container (the canvas, or a boundary) lists its own elements, then its child boundaries, row by
row in a near-square grid. Sizes are computed bottom-up and positions top-down, without recursion, so
deep nesting and large models cost time linear in their size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from dicetm.model import Element, System

GAP = 60  # between items, wide enough for flow labels
PADDING = 30  # inside a box, around its contents
HEADER = 40  # room for a box's title
MARGIN = 40  # around the whole canvas
EMPTY_BOX = (200, 100)

_Key = tuple[str, str]  # ("element" | "boundary", id)


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    def contains(self, other: Rect) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.x + other.width <= self.x + self.width
                and other.y + other.height <= self.y + self.height)


@dataclass(frozen=True)
class Layout:
    elements: dict[str, Rect]
    boundaries: dict[str, Rect]
    depth: dict[str, int]  # boundary id -> nesting depth, 0 for a top-level boundary
    width: int
    height: int


def boundary_parents(system: System) -> dict[str, str | None]:
    """Boundary id -> parent boundary id, None at the top; a missing parent or a cycle counts as top level."""
    declared = {b.id: b.parent for b in system.trust_boundaries}
    parents: dict[str, str | None] = {}
    for boundary_id, parent in declared.items():
        seen = {boundary_id}
        current = parent
        while current is not None and current in declared and current not in seen:
            seen.add(current)
            current = declared[current]
        broken = parent is None or parent not in declared or current is not None
        parents[boundary_id] = None if broken else parent
    return parents


def compute_layout(system: System, node_size: Callable[[Element], tuple[int, int]]) -> Layout:
    parents = boundary_parents(system)
    children: dict[str | None, list[str]] = {None: []}
    for boundary in system.trust_boundaries:
        children.setdefault(boundary.id, [])
        children.setdefault(parents[boundary.id], []).append(boundary.id)
    members: dict[str | None, list[Element]] = {}
    for element in system.elements:
        home = system.boundary_of.get(element.id)
        members.setdefault(home if home in parents else None, []).append(element)

    top_down: list[str | None] = [None]
    depth: dict[str, int] = {}
    for container in top_down:  # grows while iterating: a breadth-first walk from the canvas
        for child in children[container]:
            depth[child] = 0 if container is None else depth[container] + 1
            top_down.append(child)

    sizes: dict[str, tuple[int, int]] = {}
    offsets: dict[_Key, tuple[int, int]] = {}  # item -> position inside its container
    canvas = (0, 0)
    for container in reversed(top_down):
        items = [(("element", e.id), node_size(e)) for e in members.get(container, [])]
        items += [(("boundary", child), sizes[child]) for child in children[container]]
        inner = _grid(items, offsets)
        if container is None:
            canvas = (inner[0] + 2 * MARGIN, inner[1] + 2 * MARGIN)
        elif items:
            sizes[container] = (inner[0] + 2 * PADDING, inner[1] + HEADER + PADDING)
        else:
            sizes[container] = EMPTY_BOX

    origin: dict[str | None, tuple[int, int]] = {None: (MARGIN, MARGIN)}
    boxes: dict[str, Rect] = {}
    for boundary_id in depth:  # every boundary, parents before children (filled in walk order)
        ox, oy = origin[parents[boundary_id]]
        dx, dy = offsets["boundary", boundary_id]
        width, height = sizes[boundary_id]
        boxes[boundary_id] = Rect(ox + dx, oy + dy, width, height)
        origin[boundary_id] = (ox + dx + PADDING, oy + dy + HEADER)
    nodes: dict[str, Rect] = {}
    for container, elements in members.items():
        ox, oy = origin[container]
        for element in elements:
            dx, dy = offsets["element", element.id]
            width, height = node_size(element)
            nodes[element.id] = Rect(ox + dx, oy + dy, width, height)
    return Layout(elements=nodes, boundaries=boxes, depth=depth, width=canvas[0], height=canvas[1])


def _grid(items: list[tuple[_Key, tuple[int, int]]], offsets: dict[_Key, tuple[int, int]]) -> tuple[int, int]:
    """Place ``items`` row by row in a near-square grid; record each offset; return the grid's size."""
    if not items:
        return 0, 0
    columns = math.ceil(math.sqrt(len(items)))
    width = height = 0
    for start in range(0, len(items), columns):
        row = items[start:start + columns]
        x = 0
        for item_id, (item_width, _h) in row:
            offsets[item_id] = (x, height)
            x += item_width + GAP
        width = max(width, x - GAP)
        height += max(h for _id, (_w, h) in row) + GAP
    return width, height - GAP
