"""OWASP Threat Dragon 2.x model (the v2 JSON that Threat Dragon opens and saves).

Layout follows Threat Dragon's own files: ``summary`` and ``detail``; one STRIDE diagram whose ``cells``
are shapes ``actor``, ``process``, ``store`` and ``flow``, each with a ``data`` object, plus a
``trust-boundary-box`` per trust boundary drawn around its members. Cell ids are our element, flow and
boundary ids, so a re-export of the same model is identical and an importer can keep them.

Each threat goes on the cell of the flow it names, else of its primary element, with status ``Open``:
the review status in dicetm is never turned into a decision in another tool. Element kinds that
Threat Dragon has no shape for are kept in ``data.dicetmKind`` so a re-import can restore them.
"""

from __future__ import annotations

from typing import Any

from dicetm.io.export_common import (
    SEVERITY,
    STRIDE_NAMES,
    control_names,
    flow_name,
    json_text,
    placed_threats,
    stable_uuid,
)
from dicetm.io.export_layout import Layout, Rect, compute_layout
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
    TrustBoundary,
)

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
    layout = compute_layout(system, lambda e: _SIZES[shape_of(e)])
    names = control_names(result)
    on_cell: dict[tuple[str, str], list[dict[str, Any]]] = {}
    placed = placed_threats(result, system)
    for number, (threat, where) in enumerate(placed, start=1):
        on_cell.setdefault(where, []).append(_threat(threat, number, names))
    cells = [_box(b, layout) for b in system.trust_boundaries]
    cells += [_node(e, layout, on_cell.get(("element", e.id), []), z) for z, e in enumerate(system.elements, 1)]
    cells += [_flow(f, on_cell.get(("flow", f.id), []), system) for f in system.flows
              if f.source in system.element_by_id and f.target in system.element_by_id]
    diagram = {
        "version": TD_VERSION, "title": f"{system.name}: data flow", "description": "",
        "thumbnail": THUMBNAIL, "diagramType": "STRIDE", "placeholder": "", "id": 0, "cells": cells,
    }
    document = {
        "version": TD_VERSION,
        "summary": {"title": system.name, "owner": "", "description": system.description or "", "id": 0},
        "detail": {"contributors": [], "diagrams": [diagram], "diagramTop": 1, "reviewer": "",
                   "threatTop": len(placed)},
    }
    return json_text(document)


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
    }


def _owasp_line(threat: Threat) -> str:
    """Threat Dragon threats have no reference field: the OWASP LLM ids of both editions end the description."""
    ids = [r.removeprefix("owasp-llm:") for r in threat.references if r.startswith("owasp-llm:")]
    return f"\n\nOWASP Top 10 for LLM Applications: {', '.join(ids)}" if ids else ""


def _geometry(rect: Rect) -> dict[str, Any]:
    return {"position": {"x": rect.x, "y": rect.y}, "size": {"width": rect.width, "height": rect.height}}


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


def _node(element: Element, layout: Layout, threats: list[dict[str, Any]], z_index: int) -> dict[str, Any]:
    shape = shape_of(element)
    has_open = bool(threats)
    attrs: dict[str, Any] = {"text": {"text": element.name}}
    if shape == "store":
        attrs.update(topLine=_stroke(has_open), bottomLine=_stroke(has_open))
    else:
        attrs["body"] = _stroke(has_open)
    data: dict[str, Any] = {
        "type": _TYPES[shape], "name": element.name, "description": element.description or "",
        "outOfScope": False, "reasonOutOfScope": "", "hasOpenThreats": has_open, "isTrustBoundary": False,
        "threats": threats,
    }
    data.update(_shape_facts(shape, element))
    data["dicetmKind"] = element.kind.value
    return {**_geometry(layout.elements[element.id]), "attrs": attrs, "visible": True, "shape": shape,
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


def _flow(flow: Flow, threats: list[dict[str, Any]], system: System) -> dict[str, Any]:
    has_open = bool(threats)
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
        "protocol": flow.protocol or "", "isTrustBoundary": False, "threats": threats,
    }
    return {"shape": "flow", "attrs": {"line": line}, "zIndex": len(system.elements) + 1, "labels": [label],
            "connector": "smooth", "id": cell_id(flow.id), "data": data,
            "source": {"cell": cell_id(flow.source)}, "target": {"cell": cell_id(flow.target)}}


def _touches_internet(flow: Flow, system: System) -> bool:
    ends = (system.element_by_id[flow.source], system.element_by_id[flow.target])
    return any(e.exposure is not None and e.exposure.value == "internet" for e in ends)


def _box(boundary: TrustBoundary, layout: Layout) -> dict[str, Any]:
    return {
        **_geometry(layout.boundaries[boundary.id]),
        "attrs": {"label": {"text": boundary.name}, "headerText": {"text": boundary.name}},
        "visible": True, "shape": "trust-boundary-box", "id": cell_id(boundary.id),
        "zIndex": layout.depth[boundary.id] - 100,  # behind the nodes; inner boxes above outer ones
        "data": {"type": "tm.BoundaryBox", "name": boundary.name, "description": boundary.description or "",
                 "isTrustBoundary": True, "hasOpenThreats": False},
    }
