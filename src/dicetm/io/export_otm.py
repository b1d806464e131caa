"""Open Threat Model (OTM 0.2.0, IriusRisk's tool-neutral JSON).

Trust boundaries become ``trustZones`` (nested ones name their parent zone), elements become
``components`` whose ``parent`` is their innermost zone, flows become ``dataflows``. OTM requires every
component to sit in a zone, so elements outside every boundary go into one extra zone marked
``attributes.dicetm = "outside"`` (an importer drops it again). Threats are listed once and referenced
from each component and dataflow they threaten, with the suggested controls as mitigations.

OTM attributes are string maps: element and flow facts are kept there (``attributes["exposure"]`` and
so on, plus ``dicetm.kind``), so nothing dicetm knows is lost on the way out.
"""

from __future__ import annotations

import re
from typing import Any

from dicetm.catalog import load_catalog
from dicetm.io.export_common import (
    STRIDE_NAMES,
    element_facts,
    flow_facts,
    flow_name,
    json_text,
    placed_threats,
)
from dicetm.io.export_layout import Rect, compute_layout
from dicetm.model import (
    AnalysisResult,
    Countermeasure,
    CountermeasureStatus,
    Element,
    Exposure,
    Flow,
    System,
    Threat,
    TrustBoundary,
)

OTM_VERSION = "0.2.0"
DIAGRAM = "dicetm-diagram"
OUTSIDE_ZONE = "dicetm-outside"
OUTSIDE_MARK = "outside"
NODE_SIZE = (120, 80)
# A zone is as trustworthy as its most reachable member (OTM: 0 untrusted .. 100 fully trusted).
_TRUST = {Exposure.internet: 10, Exposure.partner: 30, Exposure.internal: 70, Exposure.isolated: 90}
_UNKNOWN_TRUST = 50
_MITIGATION_STATE = {
    CountermeasureStatus.proposed: "recommended", CountermeasureStatus.accepted: "required",
    CountermeasureStatus.planned: "required", CountermeasureStatus.implemented: "implemented",
    CountermeasureStatus.rejected: "rejected",
}
_POINTS_PERCENT = 20  # one likelihood or impact point of five


def project_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "dicetm-model"


def render_otm(result: AnalysisResult, system: System) -> str:
    layout = compute_layout(system, lambda _e: NODE_SIZE)
    placed = [threat for threat, _where in placed_threats(result, system)]
    countermeasures = {c.id: c for c in result.countermeasures}
    refs = _threat_refs(placed, countermeasures, system)
    zones = [_zone(b, layout.boundaries[b.id], system) for b in system.trust_boundaries]
    if any(e.id not in system.boundary_of for e in system.elements):
        zones.append(_outside_zone())
    document: dict[str, Any] = {
        "otmVersion": OTM_VERSION,
        "project": {
            "name": system.name, "id": project_id(system.name), "description": system.description,
            "attributes": {"dicetm.version": result.dicetm_version, "dicetm.catalog": result.catalog_version},
        },
        "representations": [{"name": f"{system.name}: data flow", "id": DIAGRAM, "type": "diagram",
                             "size": {"width": layout.width, "height": layout.height}}],
        "trustZones": zones,
        "components": [_component(e, layout.elements[e.id], system, refs.get(e.id, [])) for e in system.elements],
        "dataflows": [_dataflow(f, refs.get(f.id, [])) for f in system.flows],
        "threats": [_threat(t) for t in placed],
        "mitigations": [_mitigation(c) for c in _used_countermeasures(placed, countermeasures)],
    }
    return json_text(document, expand=4)


def _representation(item_id: str, rect: Rect) -> list[dict[str, Any]]:
    return [{"representation": DIAGRAM, "id": f"{item_id}-shape", "position": {"x": rect.x, "y": rect.y},
             "size": {"width": rect.width, "height": rect.height}}]


def _zone(boundary: TrustBoundary, rect: Rect, system: System) -> dict[str, Any]:
    zone: dict[str, Any] = {"id": boundary.id, "name": boundary.name, "type": "trust-boundary",
                            "description": boundary.description, "risk": {"trustRating": _trust(boundary, system)}}
    if boundary.parent is not None and boundary.parent in {b.id for b in system.trust_boundaries}:
        zone["parent"] = {"trustZone": boundary.parent}
    zone["representations"] = _representation(boundary.id, rect)
    return zone


def _trust(boundary: TrustBoundary, system: System) -> int:
    ratings = [_TRUST[e.exposure] for e in (system.element_by_id.get(m) for m in boundary.elements)
               if e is not None and e.exposure is not None]
    return min(ratings) if ratings else _UNKNOWN_TRUST


def _outside_zone() -> dict[str, Any]:
    return {"id": OUTSIDE_ZONE, "name": "Outside every trust boundary", "type": "dicetm-outside",
            "description": "Elements the dicetm model places in no trust boundary.",
            "risk": {"trustRating": _UNKNOWN_TRUST}, "attributes": {"dicetm": OUTSIDE_MARK}}


def _component(element: Element, rect: Rect, system: System, threats: list[dict[str, Any]]) -> dict[str, Any]:
    zone = system.boundary_of.get(element.id, OUTSIDE_ZONE)
    return {
        "id": element.id, "name": element.name, "type": element.kind.value, "description": element.description,
        "parent": {"trustZone": zone}, "representations": _representation(element.id, rect),
        "threats": threats, "tags": list(element.tags),
        "attributes": {"dicetm.kind": element.kind.value, **element_facts(element)},
    }


def _dataflow(flow: Flow, threats: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": flow.id, "name": flow_name(flow), "description": flow.data, "bidirectional": flow.bidirectional,
        "source": flow.source, "destination": flow.target, "threats": threats, "attributes": flow_facts(flow),
    }


def _threat_refs(threats: list[Threat], countermeasures: dict[str, Countermeasure],
                 system: System) -> dict[str, list[dict[str, Any]]]:
    """Element or flow id -> references to the threats against it, with the mitigation states."""
    refs: dict[str, list[dict[str, Any]]] = {}
    for threat in threats:
        mitigations = [{"mitigation": c, "state": _state(countermeasures[c], threat.id)}
                       for c in threat.controls if c in countermeasures]
        reference = {"threat": threat.id, "state": "exposed", "mitigations": mitigations}
        targets = [e for e in threat.elements if e in system.element_by_id]
        targets += [f for f in threat.flows if f in system.flow_by_id]
        for target in dict.fromkeys(targets):
            refs.setdefault(target, []).append(reference)
    return refs


def _state(countermeasure: Countermeasure, threat_id: str) -> str:
    limited = countermeasure.limited_to is not None and threat_id not in countermeasure.limited_to
    return _MITIGATION_STATE[CountermeasureStatus.proposed if limited else countermeasure.status]


def _threat(threat: Threat) -> dict[str, Any]:
    notes = {target: "; ".join(f.note for f in threat.factors if f.target == target)
             for target in ("likelihood", "impact")}
    return {
        "id": threat.id, "name": threat.title, "description": threat.scenario,
        "categories": [STRIDE_NAMES[s] for s in threat.stride if s in STRIDE_NAMES],
        "cwes": [r.split(":", 1)[1] for r in threat.references if r.startswith("cwe:")],
        "risk": {
            "likelihood": threat.likelihood * _POINTS_PERCENT,
            "likelihoodComment": f"{threat.likelihood} of 5" + (f": {notes['likelihood']}" if notes["likelihood"]
                                                                else ""),
            "impact": threat.impact * _POINTS_PERCENT,
            "impactComment": f"{threat.impact} of 5" + (f": {notes['impact']}" if notes["impact"] else ""),
        },
        "tags": [r for r in threat.references if not r.startswith("cwe:")],
        "attributes": {"dicetm.rule": threat.rule, "dicetm.risk": threat.risk.value,
                       "dicetm.score": str(threat.score), "dicetm.status": threat.status,
                       "dicetm.stride": "".join(threat.stride)},
    }


def _used_countermeasures(threats: list[Threat], countermeasures: dict[str, Countermeasure]) -> list[Countermeasure]:
    used = dict.fromkeys(c for t in threats for c in t.controls if c in countermeasures)
    return sorted((countermeasures[c] for c in used), key=lambda c: (c.rank, c.id))


def _mitigation(countermeasure: Countermeasure) -> dict[str, Any]:
    control = load_catalog().controls.get(countermeasure.id)
    points = sum(control.reduces.values()) if control else 0  # custom controls lower nothing by themselves
    return {
        "id": countermeasure.id, "name": countermeasure.name, "description": countermeasure.description,
        "riskReduction": min(100, points * _POINTS_PERCENT),
        "attributes": {"dicetm.status": countermeasure.status.value,
                       "dicetm.references": " ".join(countermeasure.references)},
    }
