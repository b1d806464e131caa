"""Threagile YAML models -> a dicetm System.

Mapping:

- technical_assets -> elements: ``type`` gives the family (external-entity, process, datastore),
  ``technology``, name and tags refine it (technology ``ai`` -> llm, ...); ``internet: true`` -> exposure
  internet; ``encryption`` -> encrypted_at_rest; ``multi_tenant``; confidentiality (with the data assets
  it stores or processes) -> classification; ``out_of_scope`` and ``used_as_client_by_human`` -> tags.
- communication_links (inside each technical asset) -> flows: protocol, encrypted (from the protocol,
  or a VPN), authenticated (``authentication`` other than none), the data assets sent and received as
  ``data`` and classification; a link that receives data back is bidirectional.
- trust_boundaries -> trust boundaries (``technical_assets_inside``; ``trust_boundaries_nested`` -> parent).
- data_assets -> assets (confidentiality -> classification; ``data_assets_stored`` -> stored_in).
- individual_risk_categories -> one custom control per category (its mitigation) and one threat per
  identified risk (STRIDE, CWE, exploitation likelihood and impact, the assets and link it names); the
  ``risk_tracking`` entry matching a risk's id becomes its source status.

Threagile computes most of its risks with built-in rules at analysis time; their ``risk_tracking`` entries
track risks that are not in the file, so they are reported as not imported.
"""

from __future__ import annotations

import re
from typing import TypeVar

from dicetm.io.document import Node, root
from dicetm.io.interface import Draft
from dicetm.io.ledger import Ledger
from dicetm.io.mapping import (
    ControlIdPool,
    ExternalIdPool,
    Family,
    IdPool,
    classification_of,
    guess_kind,
    headline,
    highest,
    join_text,
    plain_text,
    reaches,
    slug,
    stride_letter,
)
from dicetm.io.own_marks import OwnFindings, rule_id
from dicetm.io.sourcekeep import document, kept
from dicetm.model.system import (
    Asset,
    Classification,
    CustomControl,
    Element,
    Exposure,
    Flow,
    System,
    ThreatRecord,
    TrustBoundary,
)

NAME = "threagile"
TITLE = "Threagile"
SOURCE = f"import:{NAME}"
HINT = "a Threagile model is a YAML file with `threagile_version`, `technical_assets` and `data_assets`"

_FAMILY = {"external-entity": Family.external, "process": Family.process, "datastore": Family.store}
# Threagile's own list of protocols that encrypt in transit; the rest of its protocols do not.
_ENCRYPTED = frozenset({
    "https", "wss", "jdbc-encrypted", "odbc-encrypted", "nosql-access-protocol-encrypted",
    "sql-access-protocol-encrypted", "binary-encrypted", "text-encrypted", "ssh", "ssh-tunnel", "ftps", "sftp",
    "scp", "ldaps", "reverse-proxy-web-protocol-encrypted", "iiop-encrypted", "jrmp-encrypted", "smb-encrypted",
    "smtp-encrypted", "pop3-encrypted", "imap-encrypted",
})
_PLAIN = frozenset({
    "http", "ws", "reverse-proxy-web-protocol", "jdbc", "odbc", "sql-access-protocol", "nosql-access-protocol",
    "binary", "text", "smtp", "pop3", "imap", "ftp", "ldap", "jms", "nfs", "smb", "nrpe", "xmpp", "iiop", "jrmp",
})
_LIKELIHOOD = {"unlikely": 2, "likely": 3, "very-likely": 4, "frequent": 5}
_IMPACT = {"low": 2, "medium": 3, "high": 4, "very-high": 5}
# Top-level sections that only steer Threagile's own diagrams and reports.
_PRESENTATION = frozenset({"threagile_version", "tags_available", "date", "includes"})
_MAPPED_TOP = frozenset({"title", "business_overview", "technical_overview", "data_assets", "technical_assets",
                         "trust_boundaries", "shared_runtimes", "individual_risk_categories", "risk_tracking"})
_ASSET_KEYS = frozenset({"id", "description", "type", "technology", "technologies", "tags", "internet", "encryption",
                         "confidentiality", "multi_tenant", "out_of_scope", "justification_out_of_scope",
                         "used_as_client_by_human", "data_assets_processed", "data_assets_stored",
                         "communication_links"})
_LINK_KEYS = frozenset({"target", "description", "protocol", "authentication", "vpn", "data_assets_sent",
                        "data_assets_received"})
_MAPPED_ITEMS = ("data_assets", "technical_assets", "trust_boundaries", "individual_risk_categories")
_DATA_KEYS = frozenset({"id", "description", "confidentiality"})
_RISK_KEYS = frozenset({"severity", "exploitation_likelihood", "exploitation_impact", "data_breach_technical_assets",
                        "most_relevant_technical_asset", "most_relevant_communication_link",
                        "most_relevant_data_asset", "most_relevant_trust_boundary", "most_relevant_shared_runtime"})


_T = TypeVar("_T", Asset, Element, TrustBoundary)


class ThreagileImporter:
    name = NAME
    title = TITLE
    carried = frozenset({"description", "type", "technology", "technologies", "tags", "internet", "encryption",
                         "confidentiality", "multi_tenant", "out_of_scope", "justification_out_of_scope",
                         "used_as_client_by_human", "data_assets_processed", "data_assets_stored",
                         "communication_links", "target", "protocol", "authentication", "vpn", "data_assets_sent",
                         "data_assets_received", "technical_assets_inside", "trust_boundaries_nested",
                         "exploitation_likelihood", "exploitation_impact", "most_relevant_technical_asset",
                         "most_relevant_communication_link", "data_breach_technical_assets", "title",
                         "business_overview.description", "technical_overview.description"})

    def detect(self, data: object) -> bool:
        return isinstance(data, dict) and ("threagile_version" in data or "technical_assets" in data)

    def convert(self, data: object, source: str) -> Draft:
        return _Conversion(root(data, source, HINT)).run()


class _Conversion:
    def __init__(self, doc: Node) -> None:
        self.doc = doc.require_map("a Threagile model (a YAML mapping)")
        self.ledger = Ledger()
        self.ids = IdPool()
        self.data_assets: dict[str, Asset] = {}  # Threagile id -> asset
        self.elements: dict[str, Element] = {}  # Threagile id -> element
        self.links: dict[str, str] = {}  # Threagile link id ("<source id>><title slug>") -> flow id
        self.tracked: set[str] = set()  # risk_tracking keys that match an imported risk
        self.flows: list[Flow] = []
        self.parts: dict[str, object] = {}  # risk categories (their risks are threats), kept for the round trip

    def run(self) -> Draft:
        name = self.doc.text("title") or "Threagile model"
        description = join_text(*(self._overview(key) for key in ("business_overview", "technical_overview")))
        self._left_over()
        for title, node in self.doc.child("data_assets").entries():
            self._data_asset(_title(title, node, "Data asset"), node)
        assets = [(_title(title, node, "Technical asset"), node)
                  for title, node in self.doc.child("technical_assets").entries()]
        for title, node in assets:
            self._technical_asset(title, node)
        for _name, node in assets:
            for link_title, link in node.child("communication_links").entries() if node.is_map() else ():
                self._link(node, link_title, link)
        boundaries = self._boundaries()
        for title, node in self.doc.child("shared_runtimes").entries():
            self.ledger.skip(node.path, f"shared runtime '{title}'", "the model has no shared runtimes")
        controls, threats = self._risks()
        system = System(name=name, description=description, elements=list(self.elements.values()),
                        flows=self.flows, trust_boundaries=boundaries, assets=list(self.data_assets.values()),
                        threats=threats, controls=controls,
                        source_data=document(NAME, self.doc.value, drop=_MAPPED_ITEMS, parts=self.parts))
        return Draft(system, self.ledger.report(), self.ledger.notes)

    def _overview(self, key: str) -> str | None:
        node = self.doc.child(key)
        if not node.is_map():
            return None
        if node.child("images").value not in (None, [], {}):
            self.ledger.skip(node.child("images").path, f"{key.replace('_', ' ')} images", "images are not kept")
        return plain_text(node.text("description"))

    def _left_over(self) -> None:
        for key in self.doc.names():
            node = self.doc.child(key)
            if key in _MAPPED_TOP or key in _PRESENTATION or key.startswith("diagram_tweak"):
                continue
            if node.value not in (None, "", [], {}):
                self.ledger.skip(node.path, f"'{key}'", "the model file has no such section")

    def _extra(self, node: Node, known: frozenset[str], what: str) -> None:
        for key in node.names():
            value = node.child(key)
            # A false yes/no for a property the model does not have states nothing that is lost.
            if key in known or key.startswith("diagram_tweak") or value.value in (None, "", [], {}, False):
                continue
            self.ledger.skip_field(value.path, f"{what} '{key}'", "no equivalent in the model")

    # ------------------------------------------------------------------------------------ assets

    def _data_asset(self, title: str, node: Node) -> None:
        node.require_map("a data asset (a mapping)")
        threagile_id = node.text("id") or title
        asset = Asset(id=self.ids.take(threagile_id, title, fallback="asset"), name=title,
                      description=node.text("description"), classification=self._confidentiality(node))
        self._keep(self.data_assets, threagile_id, asset, node, "data asset")
        self._extra(node, _DATA_KEYS, "data asset")

    def _confidentiality(self, node: Node) -> Classification | None:
        level = node.text("confidentiality")
        classification = classification_of(level)
        if level and classification is None:
            self.ledger.skip_field(node.child("confidentiality").path, f"confidentiality '{level}'",
                                   "not a Threagile confidentiality level")
        return classification

    def _keep(self, table: dict[str, _T], threagile_id: str, item: _T, node: Node, what: str) -> None:
        item = kept(item, NAME, node.path, node.value, empty=("communication_links",))
        if threagile_id in table:
            self.ledger.skip(node.child("id").path, f"{what} id '{threagile_id}' used twice",
                             "references to it go to the first one")
            threagile_id = f"<duplicate {node.path}>"
        table[threagile_id] = item

    def _technical_asset(self, title: str, node: Node) -> None:
        node.require_map("a technical asset (a mapping)")
        threagile_id = node.text("id") or title
        asset_type = node.text("type")
        family = _FAMILY.get((asset_type or "").lower())
        if family is None:
            self.ledger.skip_field(node.child("type").path, f"technical asset type '{asset_type or ''}'",
                                   "not external-entity, process or datastore; imported as a process")
            family = Family.process
        technologies = [*node.strings("technology"), *node.strings("technologies")]
        tags = node.strings("tags")
        held = [*node.strings("data_assets_stored"), *node.strings("data_assets_processed")]
        description = node.text("description")
        extra_tags = []
        if node.flag("out_of_scope"):
            extra_tags.append("out-of-scope")
            reason = node.text("justification_out_of_scope")
            description = join_text(description, f"Out of scope in Threagile: {reason}" if reason else None)
        if node.flag("used_as_client_by_human"):
            extra_tags.append("human-client")
        encryption = node.text("encryption")
        element = Element(
            id=self.ids.take(threagile_id, title, fallback="asset"), name=title, description=description,
            kind=guess_kind(family, *technologies, title, *tags),
            exposure=Exposure.internet if node.flag("internet") else None,
            encrypted_at_rest=None if encryption is None else encryption.lower() != "none",
            multi_tenant=node.flag("multi_tenant"),
            classification=highest([self._confidentiality(node),
                                    *(self._data_class(a, node) for a in held)]),
            tags=list(dict.fromkeys([*tags, *extra_tags])))
        self._keep(self.elements, threagile_id, element, node, "technical asset")
        for stored in node.strings("data_assets_stored"):
            if stored in self.data_assets and element.id not in self.data_assets[stored].stored_in:
                self.data_assets[stored].stored_in.append(element.id)
        self._extra(node, _ASSET_KEYS, "technical asset")

    def _data_class(self, threagile_id: str, where: Node) -> Classification | None:
        asset = self.data_assets.get(threagile_id)
        if asset is None:
            self.ledger.skip(where.path, f"data asset reference '{threagile_id}'", "no data asset has this id")
            return None
        return asset.classification

    # ------------------------------------------------------------------------------------- links

    def _link(self, owner: Node, title: str, node: Node) -> None:
        node.require_map("a communication link (a mapping)")
        source_id = owner.text("id") or ""
        source = self.elements.get(source_id)
        target_ref = node.text("target")
        target = self.elements.get(target_ref or "")
        if source is None or target is None or source.id == target.id:
            reason = ("it has no target" if target_ref is None else
                      f"its target '{target_ref}' is no technical asset" if target is None else
                      "it starts and ends at the same asset")
            self.ledger.skip(node.path, f"communication link '{title}'", reason)
            return
        sent, received = node.strings("data_assets_sent"), node.strings("data_assets_received")
        flow = Flow(
            id=self.ids.take(f"{source.id}-{title}", fallback="link"), source=source.id, target=target.id,
            data=_carried(self.data_assets, sent, received) or node.text("description"),
            classification=highest(self._data_class(a, node) for a in [*sent, *received]),
            protocol=node.text("protocol"), encrypted=_encrypted(node.text("protocol"), node.flag("vpn")),
            authenticated=_authenticated(node.text("authentication")), bidirectional=bool(received))
        self.flows.append(kept(flow, NAME, node.path, node.value))
        self.links[f"{source_id}>{_link_slug(title)}"] = flow.id
        self._extra(node, _LINK_KEYS, "communication link")

    # -------------------------------------------------------------------------------- boundaries

    def _boundaries(self) -> list[TrustBoundary]:
        boundaries: dict[str, TrustBoundary] = {}  # Threagile id -> boundary
        nested: list[tuple[str, str, Node]] = []  # (parent Threagile id, child Threagile id, where)
        placed: dict[str, str] = {}  # element id -> boundary name
        for key, node in self.doc.child("trust_boundaries").entries():
            node.require_map("a trust boundary (a mapping)")
            title = _title(key, node, "Trust boundary")
            threagile_id = node.text("id") or title
            members = []
            for index, ref in enumerate(node.strings("technical_assets_inside")):
                where = node.child("technical_assets_inside").child(index)
                element = self.elements.get(ref)
                if element is None:
                    self.ledger.skip(where.path, f"member '{ref}' of trust boundary '{title}'",
                                     "no technical asset has this id")
                elif element.id in placed:
                    self.ledger.skip(where.path, f"member '{ref}' of trust boundary '{title}'",
                                     f"it is already inside trust boundary '{placed[element.id]}'")
                else:
                    placed[element.id] = title
                    members.append(element.id)
            boundary = TrustBoundary(id=self.ids.take(threagile_id, title, fallback="boundary"), name=title,
                                     elements=members, description=join_text(
                                         node.text("description"), _kind_text(node.text("type")), sep=" "))
            self._keep(boundaries, threagile_id, boundary, node, "trust boundary")
            nested += [(threagile_id, child, node.child("trust_boundaries_nested"))
                       for child in node.strings("trust_boundaries_nested")]
            self._extra(node, frozenset({"id", "description", "type", "technical_assets_inside",
                                         "trust_boundaries_nested"}), "trust boundary")
        return self._nest(boundaries, nested)

    def _nest(self, boundaries: dict[str, TrustBoundary],
              nested: list[tuple[str, str, Node]]) -> list[TrustBoundary]:
        parents: dict[str, str] = {}  # boundary id -> parent boundary id
        for parent_ref, child_ref, where in nested:
            parent, child = boundaries[parent_ref], boundaries.get(child_ref)
            if child is None:
                self.ledger.skip(where.path, f"nested trust boundary '{child_ref}'", "no trust boundary has this id")
            elif child.id in parents:
                self.ledger.skip(where.path, f"nested trust boundary '{child_ref}'",
                                 "it is already nested in another trust boundary")
            elif reaches(parents, parent.id, child.id):
                self.ledger.skip(where.path, f"nested trust boundary '{child_ref}'", "the nesting forms a loop")
            else:
                parents[child.id] = parent.id
        return [b.model_copy(update={"parent": parents.get(b.id)}) for b in boundaries.values()]

    # ------------------------------------------------------------------------------------- risks

    def _risks(self) -> tuple[list[CustomControl], list[ThreatRecord]]:
        control_pool, threat_pool = ControlIdPool(), ExternalIdPool()
        controls: list[CustomControl] = []
        threats: list[ThreatRecord] = []
        tracking = self._tracking()
        own = OwnFindings("Threagile")
        for title, category in self.doc.child("individual_risk_categories").entries():
            category.require_map("an individual risk category (a mapping)")
            if _own_rule(category) is not None:  # dicetm's export of a rule's findings: the rules find them again
                for risk_title, _risk in category.child("risks_identified").entries():
                    own.claim(plain_text(risk_title) or category.path)
                continue
            category_id = category.text("id") or slug(title) or "risk"
            mitigation = category.text("mitigation")
            control_id = None
            if mitigation:
                control_id = control_pool.take(category_id, fallback=title)
                controls.append(CustomControl(
                    id=control_id, name=headline(plain_text(category.text("action")) or mitigation, 100) or title,
                    description=mitigation, source=SOURCE, source_ref=category.child("mitigation").path))
            self._extra(category, frozenset({"id", "description", "impact", "stride", "cwe", "mitigation", "action",
                                             "risks_identified"}), "risk category")
            for risk_title, risk in category.child("risks_identified").entries():
                fields = category.value if isinstance(category.value, dict) else {}
                self.parts[category.path] = {k: v for k, v in fields.items() if k != "risks_identified"}
                threats.append(self._risk(category, category_id, risk_title, risk, control_id, tracking,
                                          threat_pool))
        for key, (_pattern, _status, node) in tracking.items():
            if key not in self.tracked:
                self.ledger.skip(node.path, f"risk tracking '{key}'",
                                 "it tracks a risk found by Threagile's built-in rules, which are not in the file")
        own.note(self.ledger)
        return controls, threats

    def _risk(self, category: Node, category_id: str, title: str, risk: Node, control_id: str | None,
              tracking: dict[str, tuple[re.Pattern[str], str, Node]], pool: ExternalIdPool) -> ThreatRecord:
        risk.require_map("an identified risk (a mapping)")
        refs = {key: risk.text(f"most_relevant_{key}") for key in
                ("technical_asset", "communication_link", "trust_boundary", "shared_runtime", "data_asset")}
        synthetic = "@".join([category_id, *(r for r in refs.values() if r)])
        elements = [self._element_ref(risk, "most_relevant_technical_asset")]
        elements += [self._element_ref(risk, "data_breach_technical_assets", ref)
                     for ref in risk.strings("data_breach_technical_assets")]
        flows = []
        if refs["communication_link"]:
            link = self.links.get(refs["communication_link"] or "")
            if link is None:
                self.ledger.skip(risk.child("most_relevant_communication_link").path,
                                 f"link '{refs['communication_link']}' of risk '{plain_text(title)}'",
                                 "no communication link has this id")
            else:
                flows.append(link)
        for key in ("trust_boundary", "shared_runtime", "data_asset"):
            if refs[key]:
                self.ledger.skip_field(risk.child(f"most_relevant_{key}").path, f"risk's most relevant {key}",
                                       "threats point at elements and flows only")
        if risk.text("severity"):
            self.ledger.skip_field(risk.child("severity").path, "risk severity",
                                   "the exploitation likelihood and impact are imported instead")
        self._extra(risk, _RISK_KEYS, "identified risk")
        matching = [key for key, (pattern, _s, _n) in tracking.items() if pattern.fullmatch(synthetic)]
        self.tracked.update(matching)
        status = tracking[matching[0]][1] or None if matching else None
        stride = stride_letter(category.text("stride"))
        cwe = category.number("cwe")
        threat = ThreatRecord(
            id=pool.take(synthetic, fallback=title), title=plain_text(title) or category_id,
            scenario=join_text(category.text("description"), category.text("impact")),
            elements=list(dict.fromkeys(e for e in elements if e)), flows=flows,
            stride=[stride] if stride else [],
            references=[f"cwe:CWE-{int(cwe)}"] if cwe is not None and cwe >= 1 and cwe == int(cwe) else [],
            likelihood=_LIKELIHOOD.get((risk.text("exploitation_likelihood") or "").lower()),
            impact=_IMPACT.get((risk.text("exploitation_impact") or "").lower()),
            controls=[control_id] if control_id else [], source=SOURCE, source_ref=risk.path, source_status=status)
        return kept(threat, NAME, risk.path, risk.value)

    def _element_ref(self, risk: Node, key: str, ref: str | None = None) -> str | None:
        ref = ref if ref is not None else risk.text(key)
        if ref is None:
            return None
        element = self.elements.get(ref)
        if element is None:
            self.ledger.skip(risk.child(key).path, f"asset reference '{ref}'", "no technical asset has this id")
            return None
        return element.id

    def _tracking(self) -> dict[str, tuple[re.Pattern[str], str, Node]]:
        """risk id pattern ('*' between '@' matches any one part) -> (regex, status, node)."""
        result = {}
        for key, node in self.doc.child("risk_tracking").entries():
            status = node.text("status") if node.is_map() else None
            pattern = re.compile("@".join(".*" if part == "*" else re.escape(part) for part in key.strip().split("@")))
            result[key] = (pattern, status or "", node)
            if node.is_map():
                self._extra(node, frozenset({"status"}), "risk tracking")
        return result


def _title(key: str, node: Node, fallback: str) -> str:
    """Threagile names items by their mapping key; a blank key falls back to the id."""
    return " ".join(key.split()) or (node.text("id") if node.is_map() else None) or fallback


def _carried(assets: dict[str, Asset], sent: list[str], received: list[str]) -> str | None:
    """``"sends A, B; receives C"`` with the data assets' names."""
    parts = [f"{verb} " + ", ".join(assets[a].name if a in assets else a for a in ids)
             for verb, ids in (("sends", sent), ("receives", received)) if ids]
    return "; ".join(parts) or None


def _encrypted(protocol: str | None, vpn: bool | None) -> bool | None:
    if vpn:
        return True
    name = (protocol or "").lower()
    if name in _ENCRYPTED:
        return True
    return False if name in _PLAIN else None


def _authenticated(authentication: str | None) -> bool | None:
    if authentication is None:
        return None
    return authentication.lower() != "none"


def _link_slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title.lower()).strip("- ")


def _kind_text(boundary_type: str | None) -> str | None:
    return f"(Threagile type: {boundary_type})" if boundary_type else None


def _own_rule(category: Node) -> str | None:
    """The dicetm rule whose findings dicetm's export put in this risk category (its id and detection logic
    name the rule), else None."""
    match = re.fullmatch(r"dicetm rule (\S+)", category.text("detection_logic") or "")
    found = rule_id(match[1]) if match else None
    return found if found is not None and (category.text("id") or "") == found.lower() else None
