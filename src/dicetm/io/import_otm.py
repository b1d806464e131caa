"""Open Threat Model (OTM 0.1/0.2, JSON or YAML) -> a dicetm System.

Mapping:

- trustZones -> trust boundaries (``parent.trustZone`` -> nesting); components -> elements, placed in
  their zone (a component inside a component goes into its parent's zone). The kind family comes from
  the component type's words (client/browser/user -> external entity, database/storage/queue -> data
  store, otherwise a process), refined by type, name and tags (llm, vector, agent, ...).
- dataflows -> flows (``bidirectional``; the names of the assets they carry as ``data``, the highest
  asset classification as the flow's classification).
- assets -> assets; ``risk.confidentiality`` (0-100) -> classification in four bands; ``stored`` by a
  component -> ``stored_in``; a component's classification is the highest of the assets it holds or
  processes.
- threats -> one threat per OTM threat, on every component and dataflow that lists it; categories ->
  STRIDE letters, cwes -> ``cwe:CWE-n`` references, risk likelihood and impact (0-100) -> 1..5. The
  ``state`` of its instances becomes the source status (one state, or each state with where it applies).
- mitigations -> custom controls, linked from the threats whose instances name them.

References to ids that do not exist (a dataflow to an unknown component, a threat instance naming an
unknown threat) are reported as not imported, with their path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from dicetm.catalog import load_catalog
from dicetm.io.document import Node, root
from dicetm.io.interface import Draft
from dicetm.io.ledger import Ledger
from dicetm.io.mapping import (
    ControlIdPool,
    ExternalIdPool,
    IdPool,
    classification_of_rating,
    guess_family,
    guess_kind,
    highest,
    level_of_percent,
    reaches,
    stride_letter,
)
from dicetm.io.own_marks import (
    OwnFindings,
    facts_from_text,
    finding_id,
    own_id,
    own_kind,
    rule_id,
    with_facts,
    without_dangling_references,
)
from dicetm.io.sourcekeep import document, kept
from dicetm.model.system import Asset, Classification, CustomControl, Element, Flow, System, ThreatRecord, TrustBoundary

NAME = "otm"
TITLE = "Open Threat Model (OTM)"
SOURCE = f"import:{NAME}"
HINT = "an OTM file is a JSON or YAML object with `otmVersion`, `project`, `trustZones`, `components` and `dataflows`"

_TOP = frozenset({"otmVersion", "project", "representations", "assets", "trustZones", "components", "dataflows",
                  "threats", "mitigations"})
_COMPONENT_KEYS = frozenset({"id", "name", "type", "description", "parent", "representations", "assets", "threats",
                             "tags", "attributes"})
_FLOW_KEYS = frozenset({"id", "name", "description", "bidirectional", "source", "destination", "assets", "threats",
                        "tags", "attributes", "representations"})
_ZONE_KEYS = frozenset({"id", "name", "type", "description", "risk", "parent", "representations", "attributes"})


_ITEMS = ("assets", "trustZones", "components", "dataflows", "threats", "mitigations")
_Item = TypeVar("_Item", Asset, Element, TrustBoundary)


@dataclass
class _Uses:
    """Where one OTM threat or mitigation is instantiated, and in which states."""

    elements: list[str] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)
    states: list[tuple[str, str]] = field(default_factory=list)  # (where, state)
    controls: list[str] = field(default_factory=list)


class OtmImporter:
    name = NAME
    title = TITLE
    carried = frozenset({"name", "description", "parent.trustZone", "parent.component", "source", "destination",
                         "bidirectional", "assets", "assets.processed", "assets.stored", "tags", "categories",
                         "cwes", "risk.likelihood", "risk.impact", "risk.confidentiality", "threats",
                         "project.name", "project.description"})

    def detect(self, data: object) -> bool:
        return isinstance(data, dict) and "otmVersion" in data

    def convert(self, data: object, source: str) -> Draft:
        return _Conversion(root(data, source, HINT)).run()


class _Conversion:
    def __init__(self, doc: Node) -> None:
        self.doc = doc.require_map("an OTM document (an object)")
        self.ledger = Ledger()
        self.ids = IdPool()
        self.zones: dict[str, TrustBoundary] = {}  # OTM zone id -> boundary
        self.zone_parents: dict[str, tuple[str, Node]] = {}  # boundary id -> (OTM parent zone id, where)
        self.components: dict[str, Element] = {}  # OTM component id -> element
        self.component_parents: dict[str, tuple[str, str, Node]] = {}  # OTM id -> (kind, parent id, where)
        self.assets: dict[str, Asset] = {}  # OTM asset id -> asset
        self.flows: list[Flow] = []
        self.threat_uses: dict[str, _Uses] = {}
        self.mitigation_uses: dict[str, _Uses] = {}
        self.outside_zones: set[str] = set()
        self.parts: dict[str, object] = {}  # dataflows with no dicetm flow, kept for the round trip
        self.own_ids: dict[str, str] = {}  # OTM id -> the element id dicetm gave it on export

    def run(self) -> Draft:
        project = self.doc.child("project")
        name = (project.text("name") if project.is_map() else None) or "OTM model"
        description = project.text("description") if project.is_map() else None
        self._left_over()
        for node in self.doc.child("assets").items():
            self._asset(node)
        self._reserve_own_ids()
        for node in self.doc.child("trustZones").items():
            self._zone(node)
        for node in self.doc.child("components").items():
            self._component(node)
        self._place_components()
        for node in self.doc.child("dataflows").items():
            self._flow(node)
        controls, control_ids = self._controls()
        threats = self._threats(control_ids)
        boundaries = [b for b in self._nest_zones() if b.id not in self.outside_zones]
        elements, dropped = without_dangling_references(list(self.components.values()))
        for reference in dropped:
            self.ledger.note(f"{reference} names an element that was not imported; the fact is left unset")
        system = System(name=name, description=description, elements=elements,
                        flows=self.flows, trust_boundaries=boundaries, assets=list(self.assets.values()),
                        threats=threats, controls=controls,
                        source_data=document(NAME, self.doc.value, drop=_ITEMS, parts=self.parts))
        return Draft(system, self.ledger.report(), self.ledger.notes)

    def _left_over(self) -> None:
        project = self.doc.child("project")
        for key in ("owner", "ownerContact", "tags", "attributes"):
            node = project.child(key)
            if node.value not in (None, "", [], {}):
                self.ledger.skip(node.path, f"project {key}", "the model file does not record it")
        representations = self.doc.child("representations")
        if representations.value not in (None, []):
            self.ledger.skip(representations.path, "representations (diagrams, code references)",
                             "layout and code links are not kept")
        for key in self.doc.names():
            if key not in _TOP and self.doc.child(key).value not in (None, "", [], {}):
                self.ledger.skip(self.doc.child(key).path, f"non-standard section '{key}'", "not part of OTM")

    def _extra_keys(self, node: Node, known: frozenset[str], what: str) -> None:
        own = _own_attributes(node) is not None or (what == "dataflow" and self._from_dicetm())  # read, not dropped
        for key in node.names():
            value = node.child(key)
            if value.value in (None, "", [], {}) or (key == "attributes" and own):
                continue
            if key == "representations":
                self.ledger.skip_field(value.path, f"{what} representations", "layout is not kept")
            elif key == "attributes":
                self.ledger.skip_field(value.path, f"{what} attributes", "free-form attributes have no model field")
            elif key not in known:
                self.ledger.skip_field(value.path, f"non-standard {what} field '{key}'", "not part of OTM")

    # ------------------------------------------------------------------------------------- assets

    def _asset(self, node: Node) -> None:
        node.require_map("an asset (an object)")
        name = node.text("name") or node.text("id") or "Asset"
        risk = node.child("risk")
        rating = risk.number("confidentiality") if risk.is_map() else None
        asset = Asset(id=self.ids.take(name, fallback="asset"), name=name, description=node.text("description"),
                      classification=classification_of_rating(rating))
        self._register(self.assets, node, asset, "asset")
        if rating is not None:
            self.ledger.note("asset classifications come from OTM confidentiality ratings: below 20 public, "
                             "below 50 internal, below 80 confidential, else secret")
        for key in ("integrity", "availability"):
            if risk.is_map() and risk.child(key).value is not None:
                self.ledger.skip_field(risk.child(key).path, f"asset {key} rating",
                                       "the model rates confidentiality only")
        self._extra_keys(node, frozenset({"id", "name", "description", "risk"}), "asset")

    def _register(self, table: dict[str, _Item], node: Node, item: _Item, what: str) -> None:
        item = kept(item, NAME, node.path, node.value)
        otm_id = node.text("id")
        if otm_id is None:
            self.ledger.skip(node.path, f"{what} without an id", "nothing can refer to it; it is imported unlinked")
            otm_id = f"<no id {node.path}>"
        if otm_id in table:
            self.ledger.skip(node.child("id").path, f"{what} id '{otm_id}' used twice",
                             "references to it go to the first one")
            otm_id = f"<duplicate {node.path}>"
        table[otm_id] = item

    # ------------------------------------------------------------------------------------- zones

    def _zone(self, node: Node) -> None:
        node.require_map("a trust zone (an object)")
        name = node.text("name") or node.text("id") or "Trust zone"
        boundary = TrustBoundary(id=self.ids.take(name, fallback="zone"), name=name,
                                 description=node.text("description"))
        self._register(self.zones, node, boundary, "trust zone")
        attributes = node.child("attributes")
        if attributes.is_map() and attributes.text("dicetm") == "outside":
            # dicetm's own export puts elements that sit in no boundary into this marker zone.
            self.outside_zones.add(boundary.id)
        parent = node.child("parent")
        if parent.is_map() and parent.text("trustZone"):
            self.zone_parents[boundary.id] = (parent.text("trustZone") or "", parent.child("trustZone"))
        elif parent.is_map() and parent.text("component"):
            self.ledger.skip(parent.path, f"trust zone '{name}' inside a component",
                             "trust boundaries can only nest in trust boundaries")
        risk = node.child("risk")
        if risk.is_map() and risk.child("trustRating").value is not None:
            self.ledger.skip_field(risk.child("trustRating").path, "trust zone trust rating",
                                   "the model has no trust rating")
        if node.text("type"):
            self.ledger.skip_field(node.child("type").path, "trust zone type", "the model has no zone type")
        self._extra_keys(node, _ZONE_KEYS, "trust zone")

    def _nest_zones(self) -> list[TrustBoundary]:
        by_boundary = {b.id: b for b in self.zones.values()}
        parents: dict[str, str] = {}
        for boundary_id, (otm_parent, where) in self.zone_parents.items():
            parent = self.zones.get(otm_parent)
            if parent is None:
                self.ledger.skip(where.path, f"parent of trust zone '{by_boundary[boundary_id].name}'",
                                 f"it names trust zone '{otm_parent}', which does not exist")
            elif reaches(parents, parent.id, boundary_id):
                self.ledger.skip(where.path, f"parent of trust zone '{by_boundary[boundary_id].name}'",
                                 "the zones' parents form a loop")
            else:
                parents[boundary_id] = parent.id
        return [b.model_copy(update={"parent": parents.get(b.id)}) for b in self.zones.values()]

    # -------------------------------------------------------------------------------- components

    def _from_dicetm(self) -> bool:
        """dicetm's OTM export names itself in the project attributes; its dataflow attributes are flow facts."""
        project = self.doc.child("project")
        attributes = project.child("attributes") if project.is_map() else None
        return attributes is not None and attributes.is_map() and attributes.text("dicetm.version") is not None

    def _reserve_own_ids(self) -> None:
        """Components dicetm exported keep their ids, so no zone or other component takes them first."""
        for node in self.doc.child("components").items():
            if node.is_map() and _own_attributes(node) is not None:
                kept_id = own_id(node.text("id"), self.ids)
                if kept_id is not None:
                    self.own_ids[kept_id] = kept_id

    def _component(self, node: Node) -> None:
        node.require_map("a component (an object)")
        name = node.text("name") or node.text("id") or "Component"
        component_type = node.text("type")
        tags = node.strings("tags")
        assets = node.child("assets")
        held = [*assets.strings("processed"), *assets.strings("stored")] if assets.is_map() else []
        marks = _own_attributes(node)
        element = Element(
            id=self.own_ids.pop(node.text("id") or "", None) or self.ids.take(name, fallback="component"), name=name,
            description=node.text("description"),
            kind=own_kind(str(marks.get("dicetm.kind")) if marks else None)
            or guess_kind(guess_family(component_type, name, *tags), component_type, name, *tags),
            classification=highest(self._asset_classification(a, assets) for a in held), tags=tags)
        if marks is not None:
            element = with_facts(element, facts_from_text(Element, marks, _NOT_FACTS))
        self._register(self.components, node, element, "component")
        for otm_asset in assets.strings("stored") if assets.is_map() else []:
            asset = self.assets.get(otm_asset)
            if asset is not None:
                asset.stored_in.append(element.id)
        parent = node.child("parent")
        if parent.is_map():
            for kind in ("trustZone", "component"):
                if parent.text(kind):
                    self.component_parents[node.text("id") or ""] = (kind, parent.text(kind) or "",
                                                                     parent.child(kind))
                    break
        self._instances(node, elements=[element.id], flow_id=None)
        self._extra_keys(node, _COMPONENT_KEYS, "component")

    def _asset_classification(self, otm_asset: str, where: Node) -> Classification | None:
        asset = self.assets.get(otm_asset)
        if asset is None:
            self.ledger.skip(where.path, f"asset reference '{otm_asset}'", "no asset has this id")
            return None
        return asset.classification

    def _place_components(self) -> None:
        """Put each component in its zone; a component inside another one goes into that one's zone."""
        for otm_id, element in self.components.items():
            zone = self._zone_of(otm_id, set())
            if zone is not None:
                zone.elements.append(element.id)
            kind, parent_id, where = self.component_parents.get(otm_id, ("", "", None))
            if kind == "component" and where is not None:
                self.ledger.skip(where.path, f"nesting of component '{element.name}' inside '{parent_id}'",
                                 "the model has no nested elements; it is placed in its parent's trust boundary")

    def _zone_of(self, otm_id: str, seen: set[str]) -> TrustBoundary | None:
        kind, parent_id, where = self.component_parents.get(otm_id, ("", "", None))
        if where is None or otm_id in seen:
            return None
        seen.add(otm_id)
        if kind == "trustZone":
            zone = self.zones.get(parent_id)
            if zone is None:
                self.ledger.skip(where.path, f"trust zone reference '{parent_id}'", "no trust zone has this id")
            return zone
        if parent_id not in self.components:
            self.ledger.skip(where.path, f"parent component reference '{parent_id}'", "no component has this id")
            return None
        return self._zone_of(parent_id, seen)

    # ------------------------------------------------------------------------------------- flows

    def _flow(self, node: Node) -> None:
        node.require_map("a dataflow (an object)")
        name = node.text("name") or node.text("id") or "Dataflow"
        ends = [self._end(node, side, name) for side in ("source", "destination")]
        source, target = ends
        carried = [self.assets[a] for a in node.strings("assets") if a in self.assets]
        for otm_asset in node.strings("assets"):
            if otm_asset not in self.assets:
                self.ledger.skip(node.child("assets").path, f"asset reference '{otm_asset}'", "no asset has this id")
        if source is None or target is None or source == target:
            if source is not None and source == target:
                self.ledger.skip(node.path, f"dataflow '{name}'", "it starts and ends at the same component")
            self.parts[node.path] = node.value
            self._instances(node, elements=[e for e in ends if e], flow_id=None)
            return
        flow = Flow(id=self.ids.take(name, fallback=f"{source}-to-{target}"), source=source, target=target,
                    data=", ".join(a.name for a in carried) or node.text("description"),
                    classification=highest(a.classification for a in carried),
                    bidirectional=bool(node.flag("bidirectional")))
        attributes = node.child("attributes")
        if self._from_dicetm() and attributes.is_map() and isinstance(attributes.value, dict):
            facts = facts_from_text(Flow, attributes.value, _NOT_FLOW_FACTS)
            flow = flow.model_copy(update=facts) if facts else flow
        self.flows.append(kept(flow, NAME, node.path, node.value))
        if node.strings("tags"):
            self.ledger.skip_field(node.child("tags").path, "dataflow tags", "flows have no tags in the model")
        self._instances(node, elements=[source, target], flow_id=flow.id)
        self._extra_keys(node, _FLOW_KEYS, "dataflow")

    def _end(self, node: Node, side: str, name: str) -> str | None:
        ref = node.text(side)
        where = node.child(side)
        if ref is None:
            self.ledger.skip(where.path, f"dataflow '{name}'", f"it has no {side}")
            return None
        if ref in self.components:
            return self.components[ref].id
        reason = (f"its {side} is trust zone '{ref}', not a component" if ref in self.zones
                  else f"its {side} names '{ref}', which is no component")
        self.ledger.skip(where.path, f"dataflow '{name}'", reason)
        return None

    # ----------------------------------------------------------------------------------- threats

    def _instances(self, node: Node, elements: list[str], flow_id: str | None) -> None:
        where = flow_id or (elements[0] if elements else node.path)
        for instance in node.child("threats").items():
            instance.require_map("a threat instance (an object)")
            threat_id = instance.text("threat")
            if threat_id is None:
                self.ledger.skip(instance.path, "threat instance without a threat id", "it names no threat")
                continue
            uses = self.threat_uses.setdefault(threat_id, _Uses())
            uses.elements += elements
            uses.flows += [flow_id] if flow_id else []
            uses.states.append((where, instance.text("state") or ""))
            for mitigation in instance.child("mitigations").items():
                if not mitigation.is_map() or not mitigation.text("mitigation"):
                    continue
                mitigation_id = mitigation.text("mitigation") or ""
                uses.controls.append(mitigation_id)
                self.mitigation_uses.setdefault(mitigation_id, _Uses()).states.append(
                    (where, mitigation.text("state") or ""))

    def _controls(self) -> tuple[list[CustomControl], dict[str, str]]:
        """Custom controls, and OTM mitigation id -> control id."""
        pool = ControlIdPool()
        controls = []
        ids: dict[str, str] = {}
        for node in self.doc.child("mitigations").items():
            node.require_map("a mitigation (an object)")
            otm_id = node.text("id") or ""
            if self._from_dicetm() and otm_id in load_catalog().controls:  # dicetm's own: the catalogue has it
                ids.setdefault(otm_id, otm_id)
                continue
            name = node.text("name") or node.text("description") or otm_id or "Mitigation"
            if node.child("riskReduction").value is not None:
                self.ledger.skip_field(node.child("riskReduction").path, "mitigation risk reduction",
                                       "the model computes risk after controls itself")
            self._extra_keys(node, frozenset({"id", "name", "description", "riskReduction"}), "mitigation")
            uses = self.mitigation_uses.get(otm_id, _Uses())
            controls.append(kept(CustomControl(
                id=pool.take(otm_id, fallback=name), name=name, description=node.text("description") or "",
                source=SOURCE, source_ref=node.path, source_status=_merge_states(uses.states)), NAME, node.path,
                node.value))
            ids.setdefault(otm_id, controls[-1].id)
        for otm_id in self.mitigation_uses:
            if otm_id not in ids:
                self.ledger.skip("$.mitigations", f"mitigation '{otm_id}' named by a threat instance",
                                 "no mitigation has this id")
        return controls, ids

    def _threats(self, control_ids: dict[str, str]) -> list[ThreatRecord]:
        pool = ExternalIdPool()
        own = OwnFindings("OTM")
        threats = []
        defined = set()
        for node in self.doc.child("threats").items():
            node.require_map("a threat (an object)")
            otm_id = node.text("id") or ""
            defined.add(otm_id)
            if self._own_finding(node, otm_id):
                own.claim(otm_id)
                continue
            uses = self.threat_uses.get(otm_id, _Uses())
            threats.append(self._threat(node, pool.take(otm_id, fallback=node.text("name") or "threat"), uses,
                                        control_ids))
        for otm_id in self.threat_uses:
            if otm_id not in defined:
                self.ledger.skip("$.threats", f"threat '{otm_id}' named by a component or dataflow",
                                 "no threat has this id")
        own.note(self.ledger)
        return threats

    def _own_finding(self, node: Node, otm_id: str) -> bool:
        """A threat dicetm's export wrote for a finding of its rules: its id is the finding id, and its
        ``dicetm.rule`` attribute names that finding's rule."""
        attributes = node.child("attributes")
        rule = rule_id(attributes.text("dicetm.rule")) if attributes.is_map() else None
        found = finding_id(otm_id)
        return self._from_dicetm() and rule is not None and found is not None and found.startswith(f"{rule}@")

    def _cwes(self, node: Node) -> list[str]:
        result = []
        for value in node.strings("cwes"):
            number = value.upper().removeprefix("CWE-").removeprefix("CWE").strip()
            if number.isdigit() and len(number) < 8:
                result.append(f"cwe:CWE-{int(number)}")
            else:
                self.ledger.skip_field(node.child("cwes").path, f"CWE reference '{value}'", "not a CWE number")
        return list(dict.fromkeys(result))

    def _threat(self, node: Node, threat_id: str, uses: _Uses, control_ids: dict[str, str]) -> ThreatRecord:
        categories = node.strings("categories")
        letters = [stride_letter(c) for c in categories]
        for category, letter in zip(categories, letters, strict=True):
            if letter is None:
                self.ledger.skip_field(node.child("categories").path, f"threat category with no STRIDE letter "
                                       f"(e.g. '{category}')", "the model's threats carry STRIDE letters only")
        risk = node.child("risk")
        for key in ("likelihoodComment", "impactComment"):
            if risk.is_map() and risk.text(key):
                self.ledger.skip_field(risk.child(key).path, f"threat {key}", "the model keeps the levels only")
        if node.strings("tags"):
            self.ledger.skip_field(node.child("tags").path, "threat tags", "threats have no tags in the model")
        self._extra_keys(node, frozenset({"id", "name", "description", "categories", "cwes", "risk", "tags"}),
                         "threat")
        return kept(ThreatRecord(
            id=threat_id, title=node.text("name") or node.text("description") or "Untitled threat",
            scenario=node.text("description"), elements=list(dict.fromkeys(uses.elements)),
            flows=list(dict.fromkeys(uses.flows)),
            stride=[letter for letter in "STRIDE" if letter in letters], references=self._cwes(node),
            likelihood=level_of_percent(risk.number("likelihood")) if risk.is_map() else None,
            impact=level_of_percent(risk.number("impact")) if risk.is_map() else None,
            controls=list(dict.fromkeys(control_ids[m] for m in uses.controls if m in control_ids)),
            source=SOURCE, source_ref=node.path, source_status=_merge_states(uses.states)), NAME, node.path, node.value)


def _merge_states(states: list[tuple[str, str]]) -> str | None:
    """One state when all instances agree, else each state with where it applies."""
    distinct = list(dict.fromkeys(state for _where, state in states if state))
    if len(distinct) <= 1:
        return distinct[0] if distinct else None
    return "; ".join(f"{state} ({where})" for where, state in states if state)


_NOT_FACTS = frozenset({"id", "name", "kind", "description", "tags", "provenance", "source_data"})
_NOT_FLOW_FACTS = frozenset({"id", "source", "target", "data", "bidirectional", "provenance", "source_data"})


def _own_attributes(node: Node) -> dict[str, object] | None:
    """A component's attributes when dicetm wrote them on export (they hold ``dicetm.kind`` and the facts)."""
    attributes = node.child("attributes")
    if not attributes.is_map() or own_kind(attributes.text("dicetm.kind")) is None:
        return None
    value = attributes.value
    return dict(value) if isinstance(value, dict) else None
