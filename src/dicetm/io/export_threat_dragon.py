"""OWASP Threat Dragon 2.x model (the v2 JSON that Threat Dragon opens and saves).

Layout follows Threat Dragon's own files: ``summary`` and ``detail``; one STRIDE diagram whose ``cells``
are shapes ``actor``, ``process``, ``store`` and ``flow``, each with a ``data`` object, plus a
``trust-boundary-box`` per trust boundary drawn around its members. Cell ids are our element, flow and
boundary ids, so a re-export of the same model is identical and an importer can keep them.

A model imported from Threat Dragon is written back as it came: its summary, people and diagrams, every cell
with its id, position, style and flags (a version 1 file stays version 1), the cells dicetm has no item for
(text, boundary lines, loose flows), and each threat on its own cell with its status; what a person changed in
dicetm is laid over. New elements are drawn to the right of the kept drawing.

Each new threat goes on the cell of the flow it names, else of its primary element, with status ``Open``:
the review status in dicetm is never turned into a decision in another tool. Element kinds that
Threat Dragon has no shape for are kept in ``data.dicetmKind`` so a re-import can restore them, and each new
threat carries its dicetm id in ``dicetmId`` so a re-import does not take a rule's finding in a second time.
"""

from __future__ import annotations

import re
from typing import Any

from dicetm.io.export_common import (
    SEVERITY,
    STRIDE_NAMES,
    control_names,
    flow_name,
    json_text,
    placement,
    source_ordered,
    stable_uuid,
)
from dicetm.io.export_layout import Layout, Rect, compute_layout
from dicetm.io.sourcekeep import foreign, steps
from dicetm.model import (
    PROCESS_KINDS,
    STORE_KINDS,
    AnalysisResult,
    Classification,
    Element,
    Flow,
    Kind,
    System,
    Threat,
    ThreatRecord,
    TrustBoundary,
)
from dicetm.model.sourcedata import source_of

NAME = "threat-dragon"
TD_VERSION = "2.3.0"
THUMBNAIL = "./public/content/images/thumbnail.stride.jpg"
OPEN_COLOUR, PLAIN_COLOUR = "red", "#333333"
_SIZES = {"actor": (160, 80), "process": (100, 100), "store": (160, 80)}
_TYPES = {"actor": "tm.Actor", "process": "tm.Process", "store": "tm.Store"}
_PORT_SIDES = ("top", "right", "bottom", "left")


def shape_of(element: Element) -> str:
    if element.kind in STORE_KINDS:
        return "store"
    if element.kind in PROCESS_KINDS:
        return "process"
    return "actor"  # external entities and model providers: outside parties


def cell_id(item_id: str) -> str:
    """Threat Dragon wants ids of at least two characters; longer dicetm ids are used as they are."""
    return item_id if len(item_id) >= 2 else stable_uuid("cell", item_id)


def render_threat_dragon(result: AnalysisResult, system: System) -> str:
    """The model as a Threat Dragon document; a model imported from Threat Dragon keeps its cells, ids,
    positions, styles, statuses and people, with only what changed in dicetm laid over them."""
    names = control_names(result)
    skeleton, _changed = foreign(system, NAME)
    cells = _Cells(system, skeleton, names)
    for threat, record in _threats_in_order(result, system):
        cells.add_threat(threat, record)
    document = skeleton or {
        "version": TD_VERSION,
        "summary": {"title": system.name, "owner": "", "description": system.description or "", "id": 0},
        "detail": {"contributors": [], "diagrams": [_new_diagram(system)], "diagramTop": 1, "reviewer": "",
                   "threatTop": 0},
    }
    if skeleton is not None and _changed:
        document.setdefault("summary", {}).update(title=system.name, description=system.description or "")
    diagrams = document["detail"]["diagrams"] or [_new_diagram(system)]
    document["detail"]["diagrams"] = diagrams
    for index, diagram in enumerate(diagrams):
        holder = diagram["diagramJson"] if isinstance(diagram.get("diagramJson"), dict) else diagram
        holder["cells"] = cells.of_diagram(index)
    if isinstance(document["detail"].get("threatTop"), int) or cells.new_threats:
        document["detail"]["threatTop"] = cells.kept_top + cells.new_threats
    return json_text(document)


def _number(record: ThreatRecord) -> int:
    """The number Threat Dragon gave a threat imported from it (0 for any other threat)."""
    data = source_of(record, NAME)
    number = data.item.get("number") if data is not None else None
    return number if isinstance(number, int) and not isinstance(number, bool) else 0


def _new_diagram(system: System) -> dict[str, Any]:
    return {"version": TD_VERSION, "title": f"{system.name}: data flow", "description": "",
            "thumbnail": THUMBNAIL, "diagramType": "STRIDE", "placeholder": "", "id": 0, "cells": []}


def _threats_in_order(result: AnalysisResult, system: System) -> list[tuple[Threat, ThreatRecord | None]]:
    records = {r.id: r for r in system.threats}
    return [(t, records.get(t.id)) for t in source_ordered(result.threats, system, NAME)]


class _Cells:
    """The cells of every diagram: kept ones in their file order, new ones laid out beside them."""

    def __init__(self, system: System, skeleton: dict[str, Any] | None, names: dict[str, str]) -> None:
        self.system, self.names = system, names
        self.v1 = skeleton is not None and any(isinstance(d, dict) and isinstance(d.get("diagramJson"), dict)
                                         for d in skeleton.get("detail", {}).get("diagrams", []))
        self.placed: list[tuple[int, tuple[int, int], dict[str, Any]]] = []  # (diagram, order, cell)
        self.by_path: dict[str, dict[str, Any]] = {}
        self.by_item: dict[tuple[str, str], dict[str, Any]] = {}  # ("element" | "flow", id) -> cell
        self.new_threats = 0
        # New threats are numbered after the kept ones. Not after the kept threatTop: that still counts the
        # threats dicetm wrote last time, which a re-import leaves to the rules and which come back as new.
        self.kept_top = max((_number(r) for r in system.threats), default=0)
        self.ids = {e.id: _kept_id(e) or cell_id(e.id) for e in system.elements}
        fresh = [e for e in system.elements if source_of(e, NAME) is None]
        layout = compute_layout(system, lambda e: _SIZES[shape_of(e)])
        shift = self._free_x() if len(fresh) < len(system.elements) else 0
        source = system.source_data
        for path, part in (source.parts.items() if source is not None and source.format == NAME else ()):
            if isinstance(part, dict):
                self._place(path, dict(part), None)
        for z, element in enumerate(system.elements, 1):
            cell, changed = foreign(element, NAME)
            if cell is None:
                cell = _node(element, layout.elements[element.id], z, shift)
            elif changed:
                _overlay_node(cell, element, self.v1)
            self._place(_path_of(element), cell, ("element", element.id))
        for boundary in system.trust_boundaries:
            cell, changed = foreign(boundary, NAME)
            if cell is None:
                cell = _box(boundary, layout, shift)
            elif changed:
                _set_name(cell, boundary.name, self.v1)
            self._place(_path_of(boundary), cell, ("boundary", boundary.id))
        for flow in system.flows:
            if flow.source not in system.element_by_id or flow.target not in system.element_by_id:
                continue
            cell, changed = foreign(flow, NAME)
            if cell is None:
                cell = _flow(flow, system, self.ids)
            elif changed:
                _overlay_flow(cell, flow, self.ids, self.v1)
            self._place(_path_of(flow), cell, ("flow", flow.id))

    def _free_x(self) -> int:
        """Right of everything kept, so new cells do not sit on the drawing."""
        rights = [_right(e.source_data.item) for e in self.system.elements
                  if e.source_data is not None and e.source_data.format == NAME]
        return max(rights, default=0) + 80

    def _place(self, path: str | None, cell: dict[str, Any], item: tuple[str, str] | None) -> None:
        where = steps(path) if path else []
        diagram = where[2] if len(where) > 2 and isinstance(where[2], int) else 0
        order = (0, where[-1]) if where and isinstance(where[-1], int) else (1, len(self.placed))
        if self.v1 and "data" in cell and "type" not in cell:
            cell = _as_v1(cell)
        self.placed.append((diagram, order, cell))
        if path:
            self.by_path[path] = cell
        if item is not None:
            self.by_item[item] = cell

    def add_threat(self, threat: Threat, record: ThreatRecord | None) -> None:
        stored, changed = foreign(record, NAME) if record is not None else (None, True)
        cell = None
        if stored is not None and record is not None and record.source_data is not None:
            owner = re.sub(r"(\.data)?\.threats\[\d+\]$", "", record.source_data.path)
            cell = self.by_path.get(owner)
        if cell is None:
            where = placement(threat, self.system)
            cell = self.by_item.get(where) if where is not None else None
        if cell is None:
            return
        holder = cell.get("data", cell)
        if stored is None:
            self.new_threats += 1
            stored = _threat(threat, self.kept_top + self.new_threats, self.names)
            holder["hasOpenThreats"] = True
            _mark_open(cell)
        elif changed:
            stored.update(title=threat.title, description=threat.scenario)
            if threat.stride:
                stored["type"] = STRIDE_NAMES.get(threat.stride[0], stored.get("type", ""))
        holder.setdefault("threats", []).append(stored)

    def of_diagram(self, index: int) -> list[dict[str, Any]]:
        return [cell for _diagram, _order, cell in sorted((p for p in self.placed if p[0] == index),
                                                          key=lambda p: p[1])]


def _kept_id(item: Element) -> str | None:
    data = source_of(item, NAME)
    value = data.item.get("id") if data is not None else None
    return value if isinstance(value, str) and value else None


def _path_of(item: Element | Flow | TrustBoundary) -> str | None:
    data = source_of(item, NAME)
    return data.path if data is not None else None


def _right(cell: dict[str, Any]) -> int:
    position, size = cell.get("position"), cell.get("size")
    if isinstance(position, dict) and isinstance(size, dict):
        x, width = position.get("x"), size.get("width")
        if isinstance(x, int | float) and isinstance(width, int | float):
            return int(x + width)
    return 0


def _set_name(cell: dict[str, Any], name: str, v1: bool) -> None:
    attrs = cell.setdefault("attrs", {})
    if isinstance(cell.get("data"), dict):
        cell["data"]["name"] = name
    if cell.get("labels") and isinstance(cell["labels"][0], dict):
        label = cell["labels"][0].setdefault("attrs", {})
        label.setdefault("text" if v1 else "labelText", {})["text"] = name
    elif isinstance(attrs, dict):
        attrs.setdefault("text", {})["text"] = name
        if "label" in attrs:
            attrs["label"]["text"] = name


def _overlay_node(cell: dict[str, Any], element: Element, v1: bool) -> None:
    """A kept cell with what a person changed in dicetm: name, description and the store facts."""
    _set_name(cell, element.name, v1)
    props = cell if v1 else cell.setdefault("data", {})
    props["description"] = element.description or ""
    if element.encrypted_at_rest is not None and props.get("type") == "tm.Store":
        props["isEncrypted"] = element.encrypted_at_rest


def _overlay_flow(cell: dict[str, Any], flow: Flow, ids: dict[str, str], v1: bool) -> None:
    props = cell if v1 else cell.setdefault("data", {})
    key = "id" if v1 else "cell"
    cell["source"], cell["target"] = {key: ids[flow.source]}, {key: ids[flow.target]}
    if flow.protocol is not None:
        props["protocol"] = flow.protocol
    if flow.encrypted is not None:
        props["isEncrypted"] = flow.encrypted
    props["isBidirectional"] = flow.bidirectional


def _as_v1(cell: dict[str, Any]) -> dict[str, Any]:
    """A new cell in the shape of a Threat Dragon 1 diagram, for a model imported from a v1 file."""
    data = cell.get("data", {})
    v1 = {**data, "id": cell["id"], "z": cell.get("zIndex", 1)}
    if "position" in cell:
        v1.update(size=cell["size"], position=cell["position"], angle=0, attrs={"text": {"text": data.get("name")}})
    if "source" in cell:
        v1.update(source={"id": cell["source"]["cell"]}, target={"id": cell["target"]["cell"]}, smooth=True,
                  labels=[{"position": 0.5, "attrs": {"text": {"text": data.get("name")}}}])
    return v1


def _mark_open(cell: dict[str, Any]) -> None:
    """The red outline Threat Dragon draws around a cell with open threats (v2 cells)."""
    attrs = cell.get("attrs")
    for key in ("body", "line", "topLine", "bottomLine"):
        if isinstance(attrs, dict) and isinstance(attrs.get(key), dict):
            attrs[key].update(_stroke(True))


def _threat(threat: Threat, number: int, names: dict[str, str]) -> dict[str, Any]:
    mitigation = "\n".join(f"{c}: {names[c]}" if c in names else c for c in threat.controls)
    return {
        "id": stable_uuid("threat", threat.id),
        "title": threat.title,
        "status": "Open",
        "severity": SEVERITY[threat.risk],
        "type": STRIDE_NAMES.get(threat.stride[0], "") if threat.stride else "",
        "description": threat.scenario + _owasp_line(threat),
        "mitigation": mitigation,
        "modelType": "STRIDE",
        "number": number,
        "score": str(threat.score),
        "dicetmId": threat.id,  # read back on import: a rule's finding is left to the rules (see io.own_marks)
    }


def _owasp_line(threat: Threat) -> str:
    """Threat Dragon threats have no reference field: the OWASP LLM ids of both editions end the description."""
    ids = [r.removeprefix("owasp-llm:") for r in threat.references if r.startswith("owasp-llm:")]
    return f"\n\nOWASP Top 10 for LLM Applications: {', '.join(ids)}" if ids else ""


def _geometry(rect: Rect, shift: int = 0) -> dict[str, Any]:
    return {"position": {"x": rect.x + shift, "y": rect.y}, "size": {"width": rect.width, "height": rect.height}}


def _ports(owner: str) -> dict[str, Any]:
    """The four connection points Threat Dragon gives every node (ids derived, so output stays stable)."""
    circle = {"r": 4, "magnet": True, "stroke": "#5F95FF", "strokeWidth": 1, "fill": "#fff",
              "style": {"visibility": "hidden"}}
    return {
        "groups": {side: {"position": side, "attrs": {"circle": circle}} for side in _PORT_SIDES},
        "items": [{"group": side, "id": stable_uuid("port", f"{owner}:{side}")} for side in _PORT_SIDES],
    }


def _stroke(has_open: bool) -> dict[str, Any]:
    return {"stroke": OPEN_COLOUR if has_open else PLAIN_COLOUR, "strokeWidth": 2.5 if has_open else 1.5,
            "strokeDasharray": None}


def _node(element: Element, rect: Rect, z_index: int, shift: int = 0) -> dict[str, Any]:
    shape = shape_of(element)
    has_open = False
    attrs: dict[str, Any] = {"text": {"text": element.name}}
    if shape == "store":
        attrs.update(topLine=_stroke(has_open), bottomLine=_stroke(has_open))
    else:
        attrs["body"] = _stroke(has_open)
    data: dict[str, Any] = {
        "type": _TYPES[shape], "name": element.name, "description": element.description or "",
        "outOfScope": False, "reasonOutOfScope": "", "hasOpenThreats": has_open, "isTrustBoundary": False,
        "threats": [],
    }
    data.update(_shape_facts(shape, element))
    data["dicetmKind"] = element.kind.value
    return {**_geometry(rect, shift), "attrs": attrs, "visible": True, "shape": shape,
            "zIndex": z_index, "ports": _ports(element.id), "id": cell_id(element.id), "data": data}


def _shape_facts(shape: str, element: Element) -> dict[str, Any]:
    """The flags Threat Dragon keeps per shape, filled from the facts dicetm knows (unknown = false)."""
    if shape == "actor":
        return {"providesAuthentication": False}
    if shape == "process":
        return {"handlesCardPayment": False, "handlesGoodsOrServices": False, "isWebApplication": False,
                "privilegeLevel": ""}
    sensitive = element.classification in (Classification.personal, Classification.secret)
    return {"isALog": element.kind == Kind.log_store, "isEncrypted": element.encrypted_at_rest is True,
            "isSigned": False, "storesCredentials": sensitive, "storesInventory": False}


def _flow(flow: Flow, system: System, ids: dict[str, str]) -> dict[str, Any]:
    has_open = False
    name = flow_name(flow)
    line: dict[str, Any] = {**_stroke(has_open), "targetMarker": {"name": "block"},
                            "sourceMarker": {"name": "block"} if flow.bidirectional else ""}
    label = {
        "markup": [{"tagName": "ellipse", "selector": "labelBody"}, {"tagName": "text", "selector": "labelText"}],
        "attrs": {
            "labelText": {"text": name, "textAnchor": "middle", "textVerticalAnchor": "middle"},
            "labelBody": {"ref": "labelText", "refRx": "50%", "refRy": "60%", "fill": "#fff", "strokeWidth": 0},
        },
        "position": 0.5,
    }
    data = {
        "type": "tm.Flow", "name": name, "description": flow.data or "", "outOfScope": False, "reasonOutOfScope": "",
        "hasOpenThreats": has_open, "isBidirectional": flow.bidirectional, "isEncrypted": flow.encrypted is True,
        "isPublicNetwork": system.crosses_boundary(flow) and _touches_internet(flow, system),
        "protocol": flow.protocol or "", "isTrustBoundary": False, "threats": [],
    }
    return {"shape": "flow", "attrs": {"line": line}, "zIndex": len(system.elements) + 1, "labels": [label],
            "connector": "smooth", "id": cell_id(flow.id), "data": data,
            "source": {"cell": ids[flow.source]}, "target": {"cell": ids[flow.target]}}


def _touches_internet(flow: Flow, system: System) -> bool:
    ends = (system.element_by_id[flow.source], system.element_by_id[flow.target])
    return any(e.exposure is not None and e.exposure.value == "internet" for e in ends)


def _box(boundary: TrustBoundary, layout: Layout, shift: int = 0) -> dict[str, Any]:
    return {
        **_geometry(layout.boundaries[boundary.id], shift),
        "attrs": {"label": {"text": boundary.name}, "headerText": {"text": boundary.name}},
        "visible": True, "shape": "trust-boundary-box", "id": cell_id(boundary.id),
        "zIndex": layout.depth[boundary.id] - 100,  # behind the nodes; inner boxes above outer ones
        "data": {"type": "tm.BoundaryBox", "name": boundary.name, "description": boundary.description or "",
                 "isTrustBoundary": True, "hasOpenThreats": False},
    }
