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
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from dicetm.catalog import load_catalog
from dicetm.io.export_common import (
    STRIDE_NAMES,
    element_facts,
    flow_facts,
    flow_name,
    json_text,
    placed_threats,
    source_ordered,
)
from dicetm.io.export_layout import Rect, compute_layout
from dicetm.io.sourcekeep import foreign
from dicetm.model import (
    AnalysisResult,
    Asset,
    Classification,
    Countermeasure,
    CountermeasureStatus,
    CustomControl,
    Element,
    Exposure,
    Flow,
    System,
    Threat,
    ThreatRecord,
    TrustBoundary,
)
from dicetm.model.sourcedata import source_of

NAME = "otm"
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
# The middle of each band the OTM importer reads a confidentiality rating in.
_CONFIDENTIALITY = {Classification.public: 10, Classification.internal: 35, Classification.confidential: 65,
                    Classification.personal: 90, Classification.secret: 90}


def project_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "dicetm-model"


def render_otm(result: AnalysisResult, system: System) -> str:
    """An OTM document; items imported from OTM keep their ids (IriusRisk's trust-zone ids too), types,
    ratings, representations, attributes and threat states, with only what changed in dicetm laid over."""
    layout = compute_layout(system, lambda _e: NODE_SIZE)
    placed = source_ordered([threat for threat, _where in placed_threats(result, system)], system, NAME)
    countermeasures = {c.id: c for c in result.countermeasures}
    ids = _Ids(system)
    refs = _threat_refs(placed, countermeasures, system)
    zones = [_kept(b, partial(_zone, b, layout.boundaries[b.id], system), ids, system)
             for b in system.trust_boundaries]
    if any(e.id not in system.boundary_of for e in system.elements):
        zones.append(_outside_zone())
    skeleton, changed = foreign(system, NAME)
    document: dict[str, Any] = skeleton or {
        "otmVersion": OTM_VERSION,
        "project": {
            "name": system.name, "id": project_id(system.name), "description": system.description,
            "attributes": {"dicetm.version": result.dicetm_version, "dicetm.catalog": result.catalog_version},
        },
        "representations": [{"name": f"{system.name}: data flow", "id": DIAGRAM, "type": "diagram",
                             "size": {"width": layout.width, "height": layout.height}}],
    }
    if skeleton is not None and changed and isinstance(document.get("project"), dict):
        document["project"].update(name=system.name, description=system.description)
    parts = system.source_data.parts if skeleton is not None and system.source_data is not None else {}
    records = {r.id: r for r in system.threats}
    controls = {c.id: c for c in system.controls}
    components = [_with_instances(_kept(e, partial(_component, e, layout.elements[e.id], system), ids, system),
                                  refs.get(e.id, []), ids, source_of(e, NAME) is not None) for e in system.elements]
    flows = [_with_instances(_kept(f, partial(_dataflow, f), ids, system), refs.get(f.id, []), ids,
                             source_of(f, NAME) is not None) for f in system.flows]
    mitigations = [_kept_mitigation(c, controls.get(c.id)) for c in _mitigations(placed, countermeasures, system)]
    sections = {
        "assets": [_kept(a, partial(_asset, a), ids, system) for a in system.assets],
        "trustZones": zones,
        "components": components,
        "dataflows": [*flows, *(v for k, v in parts.items() if k.startswith("$.dataflows["))],
        "threats": [_kept_threat(t, records.get(t.id), ids) for t in placed],
        "mitigations": [*mitigations, *(_kept_mitigation(None, c) for c in _unused(system, countermeasures, placed))],
    }
    for key, value in sections.items():  # an imported document without a section keeps it absent
        if value or skeleton is None or key in (system.source_data.item if system.source_data else {}):
            document[key] = value
    return json_text(document, expand=4)


class _Ids:
    """dicetm id -> the id the OTM document uses (the imported item's own id, else ours)."""

    def __init__(self, system: System) -> None:
        self.items: dict[str, str] = {}
        self.imported = {t.id for t in system.threats if source_of(t, NAME) is not None}
        items: list[Any] = [*system.elements, *system.flows, *system.trust_boundaries, *system.assets,
                            *system.threats, *system.controls]
        for item in items:
            data = source_of(item, NAME)
            otm_id = data.item.get("id") if data is not None else None
            self.items[item.id] = otm_id if isinstance(otm_id, str) and otm_id else item.id

    def __call__(self, item_id: str) -> str:
        return self.items.get(item_id, item_id)


_Model = TypeVar("_Model", Element, Flow, TrustBoundary, Asset)


def _kept(item: _Model, build: Callable[[], dict[str, Any]], ids: _Ids, system: System) -> dict[str, Any]:
    """The imported item as it was, with a person's changes laid over; a new item built from the model."""
    stored, changed = foreign(item, NAME)
    if stored is None:
        return _rename(build(), ids, system)
    if changed:
        fresh = _rename(build(), ids, system)
        for key in ("name", "description", "parent", "source", "destination", "bidirectional", "tags"):
            if key in fresh and key in stored:
                stored[key] = fresh[key]
    return stored


def _rename(built: dict[str, Any], ids: _Ids, system: System) -> dict[str, Any]:
    """A new item's references to imported items, in the imported items' ids."""
    parent = built.get("parent")
    if isinstance(parent, dict) and isinstance(parent.get("trustZone"), str):
        parent["trustZone"] = ids(parent["trustZone"])
    for key in ("source", "destination"):
        if isinstance(built.get(key), str):
            built[key] = ids(built[key])
    return built


def _with_instances(item: dict[str, Any], fresh: list[dict[str, Any]], ids: _Ids, kept_item: bool) -> dict[str, Any]:
    """A component's or dataflow's threat instances: the kept ones whose threat is still exported (with
    their states), then one for each other exported threat on it."""
    exported = {ids(ref["threat"]) for ref in fresh}
    kept = [i for i in item.get("threats") or [] if isinstance(i, dict) and i.get("threat") in exported]
    named = {i.get("threat") for i in kept}
    if kept_item:  # an imported item lists its imported threats itself, states and all
        fresh = [ref for ref in fresh if ref["threat"] not in ids.imported]
    if not fresh and not item.get("threats"):
        return item  # as it was: no key, null or an empty list
    item["threats"] = [*kept, *({**ref, "threat": ids(ref["threat"]),
                                 "mitigations": [{**m, "mitigation": ids(m["mitigation"])} for m in ref["mitigations"]]}
                                for ref in fresh if ids(ref["threat"]) not in named)]
    return item


def _kept_threat(threat: Threat, record: ThreatRecord | None, ids: _Ids) -> dict[str, Any]:
    stored, changed = foreign(record, NAME) if record is not None else (None, True)
    if stored is None:
        return {**_threat(threat), "id": ids(threat.id)}
    if changed:
        fresh = _threat(threat)
        stored.update(name=fresh["name"], description=fresh["description"], categories=fresh["categories"])
    return stored


def _kept_mitigation(countermeasure: Countermeasure | None, control: CustomControl | None) -> dict[str, Any]:
    stored, changed = foreign(control, NAME) if control is not None else (None, True)
    if stored is None and countermeasure is not None:
        return _mitigation(countermeasure)
    assert stored is not None and control is not None
    if changed:
        stored.update(name=control.name, description=control.description)
    return stored


def _unused(system: System, countermeasures: dict[str, Countermeasure], threats: list[Threat]) -> list[CustomControl]:
    """Mitigations read from OTM that no exported threat uses: they stay in the document."""
    used = {c for t in threats for c in t.controls if c in countermeasures}
    return [c for c in system.controls if c.id not in used and source_of(c, NAME) is not None]


def _mitigations(threats: list[Threat], countermeasures: dict[str, Countermeasure],
                 system: System) -> list[Countermeasure]:
    """Imported mitigations in their file order, then the others the threats use, by rank."""
    used = _used_countermeasures(threats, countermeasures)
    order = {c.id: n for n, c in enumerate(system.controls) if source_of(c, NAME) is not None}
    return sorted(used, key=lambda c: (0, order[c.id], "") if c.id in order else (1, c.rank, c.id))


def _asset(asset: Asset) -> dict[str, Any]:
    rating = _CONFIDENTIALITY.get(asset.classification) if asset.classification else None
    return {"id": asset.id, "name": asset.name, "description": asset.description,
            "risk": {"confidentiality": rating if rating is not None else _UNKNOWN_TRUST,
                     "integrity": _UNKNOWN_TRUST, "availability": _UNKNOWN_TRUST,
                     "comment": "confidentiality from the dicetm classification; integrity and availability "
                                "are not rated in dicetm" if rating is not None else "not rated in dicetm"},
            "attributes": {"dicetm.stored_in": " ".join(asset.stored_in)}}


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


def _component(element: Element, rect: Rect, system: System) -> dict[str, Any]:
    zone = system.boundary_of.get(element.id, OUTSIDE_ZONE)
    return {
        "id": element.id, "name": element.name, "type": element.kind.value, "description": element.description,
        "parent": {"trustZone": zone}, "representations": _representation(element.id, rect),
        "threats": [], "tags": list(element.tags),
        "attributes": {"dicetm.kind": element.kind.value, **element_facts(element)},
    }


def _dataflow(flow: Flow) -> dict[str, Any]:
    return {
        "id": flow.id, "name": flow_name(flow), "description": flow.data, "bidirectional": flow.bidirectional,
        "source": flow.source, "destination": flow.target, "threats": [], "attributes": flow_facts(flow),
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
