"""Threagile model (YAML, ``threagile_version`` 1.0.0), valid against Threagile's ``support/schema.json``.

Elements become ``technical_assets`` (keyed by name; external entities and model providers as
``external-entity``, stores as ``datastore``, the rest as ``process``), their outgoing flows their
``communication_links``, trust boundaries ``trust_boundaries`` (nested ones under their parent), assets
``data_assets``. Each threat becomes an identified risk inside an ``individual_risk_categories`` entry: one
category per rule (or per stated threat), so Threagile shows dicetm's findings beside its own.

Threagile requires ratings dicetm does not record (integrity, availability, usage, size, machine...): they
are written as Threagile's middle values and listed by ``LEFT_AT_DEFAULT``. A model imported from Threagile
keeps its own assets, links, boundaries, categories, risks, tracking and shared runtimes, with only what
changed in dicetm laid over them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from dicetm.io.export_common import STRIDE_NAMES, source_ordered
from dicetm.io.mapping import slug
from dicetm.io.modelyaml import dump_yaml
from dicetm.io.sourcekeep import foreign, steps
from dicetm.model import (
    PROCESS_KINDS,
    STORE_KINDS,
    AnalysisResult,
    Asset,
    Classification,
    Element,
    Flow,
    Kind,
    System,
    Threat,
    TrustBoundary,
)
from dicetm.model.sourcedata import source_of

NAME = "threagile"
VERSION = "1.0.0"
LEFT_AT_DEFAULT = ("usage", "size", "machine", "integrity", "availability", "business_criticality", "quantity",
                   "authorization")
_CONFIDENTIALITY = {Classification.public: "public", Classification.internal: "internal",
                    Classification.confidential: "confidential", Classification.personal: "confidential",
                    Classification.secret: "strictly-confidential"}
_TECHNOLOGY = {
    Kind.llm: "ai", Kind.ml_model: "ai", Kind.agent: "ai", Kind.model_provider: "ai", Kind.fine_tuning_pipeline: "ai",
    Kind.embedding_pipeline: "ai", Kind.tool: "tool", Kind.vector_store: "search-index",
    Kind.retriever: "search-engine", Kind.data_store: "database", Kind.knowledge_source: "data-lake",
    Kind.training_data: "data-lake", Kind.memory: "database", Kind.log_store: "monitoring",
    Kind.guardrail: "waf", Kind.external_entity: "client-system", Kind.process: "application-server",
}
_PROTOCOLS = frozenset({
    "http", "https", "ws", "wss", "reverse-proxy-web-protocol", "reverse-proxy-web-protocol-encrypted", "mqtt",
    "jdbc", "jdbc-encrypted", "odbc", "odbc-encrypted", "sql-access-protocol", "sql-access-protocol-encrypted",
    "nosql-access-protocol", "nosql-access-protocol-encrypted", "binary", "binary-encrypted", "text",
    "text-encrypted", "ssh", "ssh-tunnel", "smtp", "smtp-encrypted", "pop3", "pop3-encrypted", "imap",
    "imap-encrypted", "ftp", "ftps", "sftp", "scp", "ldap", "ldaps", "jms", "nfs", "smb", "smb-encrypted",
    "local-file-access", "nrpe", "xmpp", "iiop", "iiop-encrypted", "jrmp", "jrmp-encrypted",
    "in-process-library-call", "inter-process-communication", "container-spawning",
})
_LIKELIHOOD = {1: "unlikely", 2: "unlikely", 3: "likely", 4: "very-likely", 5: "frequent"}
_IMPACT = {1: "low", 2: "low", 3: "medium", 4: "high", 5: "very-high"}
_SEVERITY = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def render_threagile(result: AnalysisResult, system: System) -> str:
    skeleton, changed = foreign(system, NAME)
    document: dict[str, Any] = skeleton if skeleton is not None else _new_document(result, system)
    if skeleton is not None and changed:
        document["title"] = system.name
    names = _Names(system)
    document["data_assets"] = {names.asset(a): _kept(a, partial(_data_asset, a)) for a in system.assets}
    document["technical_assets"] = {names.element(e): _technical_asset(e, system, names) for e in system.elements}
    if system.trust_boundaries or "trust_boundaries" in document:
        document["trust_boundaries"] = {names.boundary(b): _kept(b, partial(_boundary, b, system, names))
                                        for b in system.trust_boundaries}
    categories = _categories(result, system, names)
    if categories or "individual_risk_categories" in document:
        document["individual_risk_categories"] = categories
    if skeleton is None:
        document["tags_available"] = sorted({t for e in system.elements for t in e.tags})
    return dump_yaml(_dates(document))


def _new_document(result: AnalysisResult, system: System) -> dict[str, Any]:
    return {
        "threagile_version": VERSION,
        "title": system.name,
        "author": {"name": "dicetm", "homepage": ""},
        "management_summary_comment": f"Exported from dicetm {result.dicetm_version} "
                                      f"(catalogue {result.catalog_version}).",
        "business_criticality": "important",
        "business_overview": {"description": system.description or "", "images": []},
        "technical_overview": {"description": "", "images": []},
        "questions": {}, "abuse_cases": {}, "security_requirements": {},
        "tags_available": [],
        "data_assets": {}, "technical_assets": {}, "trust_boundaries": {}, "shared_runtimes": {},
        "individual_risk_categories": {}, "risk_tracking": {},
    }


class _Names:
    """The Threagile key (title) and id of every item: the imported ones', else unique names and our ids."""

    def __init__(self, system: System) -> None:
        self.keys: dict[tuple[str, str], str] = {}
        self.ids: dict[str, str] = {}
        for kind, items in (("asset", system.assets), ("element", system.elements),
                            ("boundary", system.trust_boundaries), ("flow", system.flows)):
            taken: set[str] = set()
            for item in items:
                data = source_of(item, NAME)
                key = str(steps(data.path)[-1]) if data is not None and steps(data.path) else _name(item)
                while key in taken:
                    key += f" ({item.id})"
                taken.add(key)
                self.keys[(kind, item.id)] = key
                kept_id = data.item.get("id") if data is not None else None
                self.ids[item.id] = kept_id if isinstance(kept_id, str) and kept_id else item.id

    def asset(self, item: Asset) -> str:
        return self.keys[("asset", item.id)]

    def element(self, item: Element) -> str:
        return self.keys[("element", item.id)]

    def boundary(self, item: TrustBoundary) -> str:
        return self.keys[("boundary", item.id)]

    def flow(self, item: Flow) -> str:
        return self.keys[("flow", item.id)]

    def link_id(self, flow: Flow) -> str:
        """Threagile's id of a communication link: ``<source asset id>><link title, slugged>``."""
        return f"{self.ids[flow.source]}>{re.sub(r'[^A-Za-z0-9]+', '-', self.flow(flow).lower()).strip('- ')}"


def _name(item: Asset | Element | TrustBoundary | Flow) -> str:
    if isinstance(item, Flow):
        return (item.data or item.id).splitlines()[0][:80]
    return item.name


def _kept(item: Any, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The imported item as it was, with a person's changes laid over; a new item built from the model."""
    stored, changed = foreign(item, NAME)
    if stored is None:
        return build()
    if changed:
        fresh = build()
        for key in ("description", "technical_assets_inside", "trust_boundaries_nested", "target", "protocol",
                    "data_assets_stored", "internet", "multi_tenant"):
            if key in stored and key in fresh:
                stored[key] = fresh[key]
    return stored


def _data_asset(asset: Asset) -> dict[str, Any]:
    return {"id": asset.id, "description": asset.description or asset.name, "usage": "business", "tags": [],
            "origin": "", "owner": "", "quantity": "many",
            "confidentiality": _CONFIDENTIALITY.get(asset.classification, "internal") if asset.classification
            else "internal", "integrity": "operational", "availability": "operational",
            "justification_cia_rating": "exported from dicetm: only confidentiality is rated there"}


def _family(element: Element) -> str:
    if element.kind in STORE_KINDS:
        return "datastore"
    return "process" if element.kind in PROCESS_KINDS else "external-entity"


def _technical_asset(element: Element, system: System, names: _Names) -> dict[str, Any]:
    asset = _kept(element, partial(_new_technical_asset, element, system, names))
    links = {names.flow(f): _kept(f, partial(_link, f, names)) for f in system.flows_from.get(element.id, [])
             if f.source == element.id and f.target in system.element_by_id}
    if links or asset.get("communication_links") is not None:
        asset["communication_links"] = links
    return asset


def _new_technical_asset(element: Element, system: System, names: _Names) -> dict[str, Any]:
    stored = [names.ids[a.id] for a in system.assets if element.id in a.stored_in]
    classification = element.classification
    return {
        "id": element.id, "description": element.description or element.name, "type": _family(element),
        "usage": "business", "used_as_client_by_human": element.kind == Kind.external_entity,
        "out_of_scope": "out-of-scope" in element.tags, "justification_out_of_scope": "",
        "size": "system" if element.kind in (Kind.external_entity, Kind.model_provider) else "component",
        "technology": _TECHNOLOGY.get(element.kind, "unknown-technology"), "tags": list(element.tags),
        "internet": element.exposure is not None and element.exposure.value == "internet",
        "machine": "virtual", "encryption": "transparent" if element.encrypted_at_rest else "none",
        "owner": "", "confidentiality": _CONFIDENTIALITY.get(classification, "internal") if classification
        else "internal", "integrity": "operational", "availability": "operational",
        "justification_cia_rating": "exported from dicetm: only confidentiality is rated there",
        "multi_tenant": element.multi_tenant is True, "redundant": False,
        "custom_developed_parts": element.third_party is not True, "data_assets_processed": [],
        "data_assets_stored": stored, "data_formats_accepted": [], "communication_links": {},
    }


def _link(flow: Flow, names: _Names) -> dict[str, Any]:
    protocol = (flow.protocol or "").lower()
    if protocol not in _PROTOCOLS:
        protocol = "https" if flow.encrypted else "unknown-protocol"
    return {"target": names.ids[flow.target], "description": flow.data or flow.id, "protocol": protocol,
            "authentication": "credentials" if flow.authenticated else "none", "authorization": "none",
            "tags": [], "vpn": False, "ip_filtered": False, "readonly": False, "usage": "business",
            "data_assets_sent": [], "data_assets_received": []}


def _boundary(boundary: TrustBoundary, system: System, names: _Names) -> dict[str, Any]:
    children = [names.ids[b.id] for b in system.trust_boundaries if b.parent == boundary.id]
    return {"id": boundary.id, "description": boundary.description or boundary.name,
            "type": "execution-environment", "tags": [],
            "technical_assets_inside": [names.ids[e] for e in boundary.elements if e in system.element_by_id],
            "trust_boundaries_nested": children}


def _categories(result: AnalysisResult, system: System, names: _Names) -> dict[str, Any]:
    """Imported categories (their risks back inside them), then one category per rule of the other threats."""
    categories: dict[str, Any] = {}
    owner: dict[str, dict[str, Any]] = {}  # category path -> its risks
    source = system.source_data
    for path, part in (source.parts.items() if source is not None and source.format == NAME else ()):
        if path.startswith("$.individual_risk_categories[") and isinstance(part, dict):
            key = str(steps(path)[-1])
            categories[key] = {**part, "risks_identified": {}}
            owner[path] = categories[key]["risks_identified"]
    records = {r.id: r for r in system.threats}
    controls = {c.id: c.name for c in result.countermeasures}
    for threat in source_ordered(result.threats, system, NAME):
        record = records.get(threat.id)
        stored, _changed = foreign(record, NAME) if record is not None else (None, True)
        data = source_of(record, NAME) if record is not None else None
        if stored is not None and data is not None:
            where = re.sub(r"\.risks_identified\[.*$", "", data.path)
            if where in owner:
                owner[where][str(steps(data.path)[-1])] = stored
                continue
        category = categories.setdefault(_category_title(threat), _category(threat, controls))
        title = threat.title
        while title in category["risks_identified"]:
            title += f" ({threat.id})"
        category["risks_identified"][title] = _risk(threat, system, names)
    return categories


def _category_title(threat: Threat) -> str:
    return f"{threat.rule}: {threat.title}" if threat.rule else threat.title


def _category(threat: Threat, controls: dict[str, str]) -> dict[str, Any]:
    cwe = next((int(r.split("-")[-1]) for r in threat.references if re.fullmatch(r"cwe:CWE-\d+", r)), 0)
    stride = STRIDE_NAMES.get(threat.stride[0], "Tampering") if threat.stride else "Tampering"
    mitigation = "; ".join(f"{c}: {controls[c]}" if c in controls else c for c in threat.controls)
    return {
        "id": slug(threat.rule or threat.id) or "dicetm-threat", "description": threat.rationale or threat.title,
        "impact": threat.scenario, "asvs": "", "cheat_sheet": "", "action": threat.title,
        "mitigation": mitigation or "See the dicetm report.", "check": threat.review_question or "",
        "function": "architecture", "stride": stride.lower().replace(" ", "-"),
        "detection_logic": f"dicetm rule {threat.rule}" if threat.rule else "stated in the dicetm model",
        "risk_assessment": f"likelihood {threat.likelihood} x impact {threat.impact} of 5 (dicetm)",
        "false_positives": "", "model_failure_possible_reason": False, "cwe": cwe, "risks_identified": {},
    }


def _risk(threat: Threat, system: System, names: _Names) -> dict[str, Any]:
    risk: dict[str, Any] = {
        "severity": _SEVERITY[threat.risk.value],
        "exploitation_likelihood": _LIKELIHOOD[threat.likelihood],
        "exploitation_impact": _IMPACT[threat.impact],
        "data_breach_probability": "possible",
        "data_breach_technical_assets": [names.ids[e] for e in threat.elements if e in system.element_by_id],
    }
    elements = [e for e in threat.elements if e in system.element_by_id]
    if elements:
        risk["most_relevant_technical_asset"] = names.ids[elements[0]]
    flows = [system.flow_by_id[f] for f in threat.flows if f in system.flow_by_id]
    if flows:
        risk["most_relevant_communication_link"] = names.link_id(flows[0])
    return risk


def _dates(value: Any) -> Any:
    """``date`` values as YAML dates, the way Threagile's own files write them."""
    if isinstance(value, dict):
        return {k: (datetime.date.fromisoformat(v) if k == "date" and isinstance(v, str) and _DATE.match(v)
                    else _dates(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    return value
