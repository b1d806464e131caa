"""TM-BOM (OWASP Threat Model Library, ``.tmbom.json``; Threat Dragon 2.6 opens it) -> a dicetm System.

Mapping:

- scope -> the model's name and description; trust_zones -> trust boundaries.
- actors -> external entities; components -> processes; data_stores -> data stores (a more specific AI
  kind when the title names one, never leaving the family); each placed in its ``trust_zone``.
- data_flows -> flows between the actors, components and stores they name (``encrypted``; flows with
  ``has_sensitive_data`` carry at least confidential data).
- data_sets -> assets (``placements`` -> stored_in; pii/phi/pci sensitivity -> personal, cred -> secret,
  fin/biz/ip/gov -> confidential).
- threats -> threats on the system (TM-BOM does not place threats on elements): event and attack
  mechanisms join the scenario, weaknesses become ``cwe:`` references; the highest likelihood and impact of
  the risks naming a threat become its levels.
- controls -> custom controls linked from the threats they name; status -> source status.
- assumptions -> assumptions (on the elements their topics name).

Trust boundaries between zones, threat personas, diagrams and what the model has no field for are kept as
source data for the round trip and listed in the import report.
"""

from __future__ import annotations

from dicetm.io.document import Node, root
from dicetm.io.interface import Draft
from dicetm.io.ledger import Ledger
from dicetm.io.mapping import ControlIdPool, ExternalIdPool, Family, IdPool, guess_kind, highest, join_text
from dicetm.io.sourcekeep import document, kept
from dicetm.model.system import (
    Asset,
    Assumption,
    Classification,
    CustomControl,
    Element,
    Flow,
    System,
    ThreatRecord,
    TrustBoundary,
)

NAME = "tm-bom"
TITLE = "TM-BOM (OWASP Threat Model Library)"
SOURCE = f"import:{NAME}"
HINT = "a TM-BOM file is a JSON object with `version`, `scope`, `trust_zones`, `actors`, `components` and `data_flows`"

_FAMILIES = (("actors", Family.external), ("components", Family.process), ("data_stores", Family.store))
_ITEMS = ("trust_zones", "actors", "components", "data_stores", "data_sets", "data_flows", "assumptions", "threats",
          "controls")
_SENSITIVITY = {"pii": Classification.personal, "phi": Classification.personal, "pci": Classification.personal,
                "cred": Classification.secret, "fin": Classification.confidential,
                "biz": Classification.confidential, "ip": Classification.confidential,
                "gov": Classification.confidential, "op": Classification.internal}
_LIKELIHOOD = {"rare": 1, "unlikely": 2, "possible": 3, "likely": 4, "certain": 5}
_IMPACT = {"negligible": 1, "minor": 2, "moderate": 3, "major": 4, "severe": 5}


class TmBomImporter:
    name = NAME
    title = TITLE
    carried = frozenset({"title", "description", "trust_zone", "source", "destination", "encrypted",
                         "has_sensitive_data", "placements", "data_sensitivity", "event", "attack_mechanisms",
                         "weaknesses", "threats", "topics", "scope.title", "scope.description"})

    def detect(self, data: object) -> bool:
        return (isinstance(data, dict) and "scope" in data and "version" in data
                and any(key in data for key in ("trust_zones", "data_flows", "actors", "components")))

    def convert(self, data: object, source: str) -> Draft:
        return _Conversion(root(data, source, HINT)).run()


class _Conversion:
    def __init__(self, doc: Node) -> None:
        self.doc = doc.require_map("a TM-BOM document (a JSON object)")
        self.ledger = Ledger()
        self.ids = IdPool()
        self.zones: dict[str, TrustBoundary] = {}  # symbolic name -> boundary
        self.elements: dict[str, Element] = {}  # symbolic name -> element
        self.members: dict[str, list[str]] = {}  # zone symbolic name -> element ids
        self.parts: dict[str, object] = {}  # data flows with no dicetm flow, kept for the round trip

    def run(self) -> Draft:
        scope = self.doc.child("scope")
        name = (scope.text("title") if scope.is_map() else None) or "TM-BOM model"
        description = join_text(scope.text("description") if scope.is_map() else None,
                                self.doc.text("description"))
        for node in self.doc.child("trust_zones").items():
            self._zone(node)
        for key, family in _FAMILIES:
            for node in self.doc.child(key).items():
                self._element(node, family, key)
        flows = [flow for node in self.doc.child("data_flows").items() if (flow := self._flow(node))]
        assets = [self._data_set(node) for node in self.doc.child("data_sets").items()]
        controls, threat_controls = self._controls()
        threats = self._threats(threat_controls)
        assumptions = [a for node in self.doc.child("assumptions").items() if (a := self._assumption(node))]
        for key in ("trust_boundaries", "threat_personas", "diagrams"):
            if self.doc.child(key).value not in (None, [], {}):
                self.ledger.skip(self.doc.child(key).path, key.replace("_", " "),
                                 "the model has no place for them; kept in the model's source data")
        boundaries = [b.model_copy(update={"elements": self.members.get(symbol, [])})
                      for symbol, b in self.zones.items()]
        system = System(name=name, description=description, elements=list(self.elements.values()), flows=flows,
                        trust_boundaries=boundaries, assets=assets, assumptions=assumptions, threats=threats,
                        controls=controls, source_data=document(NAME, self.doc.value, drop=_ITEMS, parts=self.parts))
        return Draft(system, self.ledger.report(), self.ledger.notes)

    def _symbol(self, node: Node, what: str) -> str:
        symbol = node.text("symbolic_name")
        if symbol is None:
            self.ledger.skip(node.path, f"{what} without a symbolic name", "nothing can refer to it")
        return symbol or node.path

    def _zone(self, node: Node) -> None:
        node.require_map("a trust zone (an object)")
        symbol = self._symbol(node, "trust zone")
        title = node.text("title") or symbol
        self.zones[symbol] = kept(TrustBoundary(id=self.ids.take(symbol, title, fallback="zone"), name=title,
                                                description=node.text("description")), NAME, node.path, node.value)

    def _element(self, node: Node, family: Family, key: str) -> None:
        node.require_map(f"an item of {key} (an object)")
        symbol = self._symbol(node, key[:-1].replace("_", " "))
        title = " ".join((node.text("title") or symbol).split())
        element = Element(id=self.ids.take(symbol, title, fallback=family.value), name=title,
                          kind=guess_kind(family, title, node.text("type"), node.text("product")),
                          description=node.text("description"))
        if symbol in self.elements:
            self.ledger.skip(node.child("symbolic_name").path, f"symbolic name '{symbol}' used twice",
                             "references to it go to the first one")
            symbol = node.path
        self.elements[symbol] = kept(element, NAME, node.path, node.value)
        zone = node.text("trust_zone")
        if zone and zone in self.zones:
            self.members.setdefault(zone, []).append(element.id)
        elif zone:
            self.ledger.skip(node.child("trust_zone").path, f"trust zone '{zone}' of '{title}'",
                             "no trust zone has this symbolic name")

    def _end(self, node: Node, side: str) -> str | None:
        ref = node.child(side)
        symbol = ref.text("object") if ref.is_map() else ref.value if isinstance(ref.value, str) else None
        element = self.elements.get(symbol or "")
        if element is None:
            self.ledger.skip(ref.path, f"{side} of data flow '{node.text('title') or ''}'",
                             f"'{symbol}' is no actor, component or data store")
        return element.id if element else None

    def _flow(self, node: Node) -> Flow | None:
        node.require_map("a data flow (an object)")
        source, target = self._end(node, "source"), self._end(node, "destination")
        if source is None or target is None or source == target:
            self.parts[node.path] = node.value
            return None
        symbol = node.text("symbolic_name")
        flow = Flow(id=self.ids.take(symbol, f"{source}-to-{target}", fallback="flow"), source=source,
                    target=target, data=join_text(node.text("title"), node.text("description"), sep=": "),
                    encrypted=node.flag("encrypted"),
                    classification=Classification.confidential if node.flag("has_sensitive_data") else None)
        return kept(flow, NAME, node.path, node.value)

    def _data_set(self, node: Node) -> Asset:
        node.require_map("a data set (an object)")
        symbol = self._symbol(node, "data set")
        stored = []
        for placement in node.child("placements").items():
            store = self.elements.get(placement.text("data_store") or "") if placement.is_map() else None
            if store is None:
                self.ledger.skip(placement.path, "placement of a data set", "it names no data store")
            elif store.id not in stored:
                stored.append(store.id)
        levels = [_SENSITIVITY.get(value) for value in node.strings("data_sensitivity")]
        asset = Asset(id=self.ids.take(symbol, node.text("title"), fallback="asset"),
                      name=node.text("title") or symbol, description=node.text("description"),
                      classification=highest(levels), stored_in=stored)
        return kept(asset, NAME, node.path, node.value)

    def _controls(self) -> tuple[list[CustomControl], dict[str, list[str]]]:
        pool = ControlIdPool()
        controls: list[CustomControl] = []
        by_threat: dict[str, list[str]] = {}
        for node in self.doc.child("controls").items():
            node.require_map("a control (an object)")
            symbol = self._symbol(node, "control")
            control = CustomControl(id=pool.take(symbol, fallback=node.text("title") or "control"),
                                    name=node.text("title") or symbol, description=node.text("description") or "",
                                    source=SOURCE, source_ref=node.path, source_status=node.text("status"))
            controls.append(kept(control, NAME, node.path, node.value))
            for threat in node.strings("threats"):
                by_threat.setdefault(threat, []).append(control.id)
        return controls, by_threat

    def _levels(self) -> dict[str, tuple[int | None, int | None]]:
        """Threat symbolic name -> the highest likelihood and impact of the risks naming it."""
        levels: dict[str, tuple[int | None, int | None]] = {}
        for node in self.doc.child("risks").items():
            if not node.is_map():
                continue
            likelihood = _LIKELIHOOD.get((node.text("likelihood") or "").lower())
            impact = _IMPACT.get((node.text("impact") or "").lower())
            for threat in node.strings("threats"):
                old_l, old_i = levels.get(threat, (None, None))
                levels[threat] = (max(filter(None, (old_l, likelihood)), default=None),
                                  max(filter(None, (old_i, impact)), default=None))
        if levels:
            self.ledger.note("threat likelihood and impact come from the highest levels of the TM-BOM risks "
                             "naming them (rare..certain, negligible..severe -> 1..5)")
        return levels

    def _threats(self, threat_controls: dict[str, list[str]]) -> list[ThreatRecord]:
        pool = ExternalIdPool()
        levels = self._levels()
        threats = []
        for node in self.doc.child("threats").items():
            node.require_map("a threat (an object)")
            symbol = self._symbol(node, "threat")
            mechanisms = [f"CAPEC-{m.number('capec_id'):.0f} {m.text('capec_title') or ''}".strip()
                          for m in node.child("attack_mechanisms").items()
                          if m.is_map() and m.number("capec_id") is not None]
            cwes = [f"cwe:CWE-{w.number('cwe_id'):.0f}" for w in node.child("weaknesses").items()
                    if w.is_map() and w.number("cwe_id") is not None]
            likelihood, impact = levels.get(symbol, (None, None))
            threat = ThreatRecord(
                id=pool.take(symbol, fallback=node.text("title") or "threat"),
                title=node.text("title") or symbol,
                scenario=join_text(node.text("description"),
                                   f"Event: {node.text('event')}" if node.text("event") else None,
                                   f"Attack mechanisms: {', '.join(mechanisms)}" if mechanisms else None),
                references=list(dict.fromkeys(cwes)), likelihood=likelihood, impact=impact,
                controls=threat_controls.get(symbol, []), source=SOURCE, source_ref=node.path)
            threats.append(kept(threat, NAME, node.path, node.value))
        if threats:
            self.ledger.note("TM-BOM places threats on no element: they are stated about the system as a whole")
        return threats

    def _assumption(self, node: Node) -> Assumption | None:
        node.require_map("an assumption (an object)")
        text = node.text("description")
        if not text:
            self.ledger.skip(node.path, "empty assumption", "it has no description")
            return None
        topics = node.strings("topics")
        elements = [self.elements[t].id for t in topics if t in self.elements]
        elements += [e for t in topics if t in self.members for e in self.members[t]]
        assumption = Assumption(id=self.ids.take(f"assumption-{node.path.rsplit('[', 1)[-1].rstrip(']')}",
                                                 fallback="assumption"), text=text,
                                elements=list(dict.fromkeys(elements)))
        return kept(assumption, NAME, node.path, node.value)
