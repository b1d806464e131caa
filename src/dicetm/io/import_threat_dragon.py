"""OWASP Threat Dragon models (v2 JSON; v1 ``diagramJson`` files too) -> a dicetm System.

Mapping:

- actors, processes and stores -> elements (external_entity / process / data_store, or a more specific
  AI kind when the name says so, never leaving the drawn family); ``isALog`` -> log_store,
  ``isEncrypted`` -> encrypted_at_rest, ``storesCredentials`` -> classification secret, other
  yes/no properties -> tags, out of scope -> tag ``out-of-scope`` and the reason in the description.
- flows -> flows (protocol, ``isEncrypted``, ``isBidirectional``); ``isPublicNetwork`` sets exposure
  internet on the element that receives the flow.
- trust boundary boxes -> trust boundaries, membership computed from the cells' positions and sizes
  (an element belongs to the smallest box holding its centre; a box inside a bigger box is nested in it).
  Trust boundary *lines* cannot say what they enclose and are reported as not imported.
- threats on cells -> threats (STRIDE letter from the type, impact from the severity, or from the score
  when there is no severity); each distinct mitigation text -> one custom control.

Threat Dragon writes unticked checkboxes as ``false`` whether or not anybody considered them, so only a
ticked box is taken as a stated fact. A flow whose end is not attached to an element (or names a cell
that does not exist) is reported as not imported, with the path of that end; its threats are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dicetm.io.document import Node, root
from dicetm.io.interface import Draft
from dicetm.io.ledger import Ledger
from dicetm.io.mapping import (
    ControlIdPool,
    ExternalIdPool,
    Family,
    IdPool,
    guess_kind,
    headline,
    join_text,
    level_of_cvss,
    level_of_severity,
    stride_letter,
)
from dicetm.io.own_marks import OwnFindings, finding_id, hidden_finding_id, own_id, own_kind
from dicetm.io.sourcekeep import document, kept
from dicetm.model.system import (
    Classification,
    CustomControl,
    Element,
    Exposure,
    Flow,
    Kind,
    System,
    ThreatRecord,
    TrustBoundary,
)

NAME = "threat-dragon"
TITLE = "OWASP Threat Dragon"
SOURCE = f"import:{NAME}"
HINT = "a Threat Dragon model is a JSON object with `summary` and `detail.diagrams`; export it again from Threat Dragon"

_FAMILY = {"tm.Actor": Family.external, "tm.Process": Family.process, "tm.Store": Family.store}
_SHAPE_TYPE = {
    "actor": "tm.Actor", "process": "tm.Process", "store": "tm.Store", "flow": "tm.Flow",
    "trust-boundary-box": "tm.BoundaryBox", "trust-boundary-curve": "tm.Boundary", "td-text-block": "tm.Text",
}
_CELL_WORDS = {"tm.Flow": "flow", "tm.Boundary": "trust boundary line", "tm.BoundaryBox": "trust boundary box",
               "tm.Text": "text"}
# Ticked yes/no properties with no model field: kept as tags.
_FLAG_TAGS = {
    "providesAuthentication": "provides-authentication", "handlesCardPayment": "card-payment",
    "handlesGoodsOrServices": "goods-or-services", "isWebApplication": "web-application", "isSigned": "signed",
    "storesInventory": "inventory",
}
_ELEMENT_KEYS = frozenset({
    "type", "name", "description", "threats", "outOfScope", "reasonOutOfScope", "hasOpenThreats",
    "isTrustBoundary", "threatFrequency", "isALog", "isEncrypted", "storesCredentials", "dicetmKind", *_FLAG_TAGS,
})
_FLOW_KEYS = frozenset({
    "type", "name", "description", "threats", "outOfScope", "reasonOutOfScope", "hasOpenThreats",
    "isTrustBoundary", "threatFrequency", "isBidirectional", "isEncrypted", "isPublicNetwork", "protocol",
})
_THREAT_KEYS = frozenset({"id", "title", "description", "type", "status", "severity", "score", "mitigation",
                          "modelType", "new", "number", "dicetmId"})
# v1 cells carry their properties beside the drawing attributes; these are drawing only.
_V1_DRAWING = frozenset({"size", "position", "angle", "id", "z", "attrs", "smooth", "source", "target",
                         "vertices", "labels", "ports", "markup", "router", "connector", "parent", "embeds"})


@dataclass
class _Cell:
    node: Node
    props: Node  # ``data`` (v2) or the cell itself (v1)
    kind: str  # tm.Actor, tm.Flow, ...; "" when unknown
    name: str | None
    diagram: int
    v1: bool


@dataclass
class _Box:
    boundary_id: str
    x: float
    y: float
    width: float
    height: float
    members: list[str] = field(default_factory=list)

    @property
    def area(self) -> float:
        return self.width * self.height

    def holds_point(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.width and self.y <= y <= self.y + self.height

    def holds_box(self, other: _Box) -> bool:
        return (self.holds_point(other.x, other.y)
                and self.holds_point(other.x + other.width, other.y + other.height))


class ThreatDragonImporter:
    name = NAME
    title = TITLE
    # Fields of a cell or threat whose content the dicetm item carries (on export to other formats too).
    carried = frozenset({
        "name", "title", "description", "type", "threats", "data.name", "data.description", "data.type",
        "data.threats", "source", "target", "isEncrypted", "data.isEncrypted", "isBidirectional",
        "data.isBidirectional", "protocol", "data.protocol", "isALog", "data.isALog", "storesCredentials",
        "data.storesCredentials", "isPublicNetwork", "data.isPublicNetwork", "severity", "mitigation", "attrs.text",
        "outOfScope", "data.outOfScope", "reasonOutOfScope", "data.reasonOutOfScope", *_FLAG_TAGS,
        *(f"data.{key}" for key in _FLAG_TAGS), "summary.title", "summary.description",
    })

    def detect(self, data: object) -> bool:
        detail = data.get("detail") if isinstance(data, dict) else None
        return isinstance(detail, dict) and isinstance(detail.get("diagrams"), list)

    def convert(self, data: object, source: str) -> Draft:
        return _Conversion(root(data, source, HINT)).run()


class _Conversion:
    def __init__(self, doc: Node) -> None:
        self.doc = doc.require_map("a Threat Dragon model (a JSON object)")
        self.ledger = Ledger()
        self.ids = IdPool()
        self.threat_ids = ExternalIdPool()
        self.control_ids = ControlIdPool()
        self.elements: dict[str, Element] = {}
        self.flows: list[Flow] = []
        self.boundaries: list[TrustBoundary] = []
        self.threats: list[ThreatRecord] = []
        self.own_findings = OwnFindings("Threat Dragon", exported_status="Open")
        self.controls: dict[str, tuple[str, str, str]] = {}  # mitigation text -> (control id, name, source_ref)
        self.cell_elements: dict[tuple[int, str], str] = {}  # (diagram, cell id) -> element id
        self.cell_kinds: dict[tuple[int, str], str] = {}
        self.parts: dict[str, object] = {}  # cells with no dicetm item, kept for the round trip

    def run(self) -> Draft:
        summary = self.doc.child("summary")
        name = (summary.text("title") if summary.is_map() else None) or "Threat Dragon model"
        description = summary.text("description") if summary.is_map() else None
        self._people(summary)
        diagrams = list(self.doc.child("detail").require_map().child("diagrams").items(required=True))
        cells = [cell for index, diagram in enumerate(diagrams) for cell in self._cells(diagram, index)]
        own_ids = {cell.node.path: own_id(cell.node.text("id"), self.ids) for cell in cells
                   if cell.kind in _FAMILY and cell.props.is_map() and own_kind(cell.props.text("dicetmKind"))}
        for cell in cells:
            if cell.kind in _FAMILY:
                self._element(cell, own_ids.get(cell.node.path))
        for index in range(len(diagrams)):
            self._boxes([c for c in cells if c.diagram == index and c.kind == "tm.BoundaryBox"],
                        [c for c in cells if c.diagram == index and c.kind in _FAMILY])
        for cell in cells:
            self._other(cell)
        if len(diagrams) > 1:
            titles = ", ".join(repr(d.text("title") or f"diagram {i}") for i, d in enumerate(diagrams) if d.is_map())
            self.ledger.note(f"{len(diagrams)} diagrams were merged into one model ({titles}); an element drawn "
                             "on two diagrams becomes two elements")
        self.own_findings.note(self.ledger)
        system = System(
            name=name, description=description, elements=list(self.elements.values()), flows=self.flows,
            trust_boundaries=self.boundaries, threats=self.threats, controls=self._custom_controls(),
            source_data=document(NAME, _skeleton(self.doc.value), parts=self.parts))
        return Draft(system, self.ledger.report(), self.ledger.notes)

    # ------------------------------------------------------------------------------------ document

    def _people(self, summary: Node) -> None:
        detail = self.doc.child("detail")
        for node, what in ((summary.child("owner"), "owner"), (detail.child("reviewer"), "reviewer"),
                           (detail.child("contributors"), "contributors")):
            if node.value not in (None, "", []):
                self.ledger.skip(node.path, f"model {what}", "the model file does not record people")

    def _cells(self, diagram: Node, index: int) -> list[_Cell]:
        diagram.require_map("a diagram (an object)")
        if diagram.text("description"):
            self.ledger.skip(diagram.child("description").path, "diagram description",
                             "diagrams are not kept; only their elements, flows and boundaries")
        v1 = diagram.has("diagramJson")
        holder = diagram.child("diagramJson").require_map() if v1 else diagram
        cells = []
        for node in holder.child("cells").items():
            node.require_map("a diagram cell (an object)")
            props = node if v1 else node.child("data")
            if not v1 and props.value is not None:
                props.require_map("the cell's data (an object)")
            kind = (props.text("type") if props.is_map() else None) or node.text("type") or ""
            if not kind.startswith("tm."):
                kind = _SHAPE_TYPE.get(node.text("shape") or "", "")
            cells.append(_Cell(node, props, kind, _cell_name(node, props, v1), index, v1))
            if kind not in _FAMILY and node.text("id"):
                self.cell_kinds[(index, node.text("id") or "")] = _CELL_WORDS.get(kind, "unknown")
        return cells

    # ------------------------------------------------------------------------------------ elements

    def _element(self, cell: _Cell, kept_id: str | None) -> None:
        """One element; ``kept_id`` is the id dicetm gave it when dicetm exported the file (``data.dicetmKind``)."""
        family = _FAMILY[cell.kind]
        props = cell.props
        name = cell.name or {Family.external: "Actor", Family.process: "Process", Family.store: "Store"}[family]
        own = own_kind(props.text("dicetmKind")) if props.is_map() else None
        kind = own or guess_kind(family, name)
        if own is None and family is Family.store and props.flag("isALog"):
            kind = Kind.log_store
        tags = [tag for key, tag in _FLAG_TAGS.items() if props.flag(key)]
        description = props.text("description")
        if props.flag("outOfScope"):
            tags.append("out-of-scope")
            description = join_text(description, _reason(props))
        element = Element(
            id=kept_id or self.ids.take(name, fallback=family.value), name=name, kind=kind, description=description,
            encrypted_at_rest=True if family is Family.store and props.flag("isEncrypted") else None,
            classification=Classification.secret if props.flag("storesCredentials") else None, tags=tags)
        element = kept(element, NAME, cell.node.path, _without_threats(cell))
        self.elements[element.id] = element
        cell_id = cell.node.text("id")
        if cell_id:
            self.cell_elements[(cell.diagram, cell_id)] = element.id
        if family is not Family.store and props.flag("isEncrypted"):
            self.ledger.skip_field(props.child("isEncrypted").path, "'encrypted' mark on an actor or process",
                                   "only stores have an encrypted-at-rest fact")
        if props.text("privilegeLevel"):
            self.ledger.skip_field(props.child("privilegeLevel").path, "process privilege level",
                                   "the model has no privilege-level fact")
        self._unknown_keys(cell, _ELEMENT_KEYS | {"privilegeLevel"})
        self._threats(cell, elements=[element.id], flow_id=None)

    def _unknown_keys(self, cell: _Cell, known: frozenset[str]) -> None:
        for key in cell.props.names():
            if key in known or (cell.v1 and key in _V1_DRAWING):
                continue
            value = cell.props.child(key)
            if value.value not in (None, "", False, [], {}):
                self.ledger.skip_field(value.path, f"Threat Dragon property '{key}'", "no equivalent in the model")

    # -------------------------------------------------------------------------------- boundaries

    def _boxes(self, box_cells: list[_Cell], element_cells: list[_Cell]) -> None:
        boxes: list[tuple[_Box, _Cell, str]] = []
        for cell in box_cells:
            geometry = _geometry(cell.node)
            if geometry is None:
                self.ledger.skip(cell.node.path, f"trust boundary box '{cell.name or ''}'",
                                 "it has no position and size, so its members cannot be computed")
                self.parts[cell.node.path] = _without_threats(cell)
                continue
            name = cell.name or "Trust boundary"
            boxes.append((_Box(self.ids.take(name, fallback="boundary"), *geometry), cell, name))
        shapes = [box for box, _cell, _name in boxes]
        for cell in element_cells:
            self._place(cell, shapes)
        for box, cell, name in boxes:
            parent = _smallest(b for b in shapes if b.area > box.area and b.holds_box(box))
            self.boundaries.append(kept(TrustBoundary(
                id=box.boundary_id, name=name, elements=box.members, description=cell.props.text("description"),
                parent=parent.boundary_id if parent else None), NAME, cell.node.path, _without_threats(cell)))

    def _place(self, cell: _Cell, boxes: list[_Box]) -> None:
        element_id = self.cell_elements.get((cell.diagram, cell.node.text("id") or ""))
        if element_id is None or not boxes:
            return
        geometry = _geometry(cell.node)
        if geometry is None:
            self.ledger.skip(cell.node.path, f"position of '{self.elements[element_id].name}'",
                             "the cell has no position and size, so its trust boundary cannot be computed")
            return
        x, y, width, height = geometry
        box = _smallest(b for b in boxes if b.holds_point(x + width / 2, y + height / 2))
        if box is not None:
            box.members.append(element_id)

    # ------------------------------------------------------------------------------ other cells

    def _other(self, cell: _Cell) -> None:
        if cell.kind == "tm.Flow":
            self._flow(cell)
            return
        if cell.kind not in _FAMILY and cell.kind != "tm.BoundaryBox":
            self.parts[cell.node.path] = _without_threats(cell)
            self._threats(cell, elements=[], flow_id=None)
        if cell.kind == "tm.Boundary":
            self.ledger.skip(cell.node.path, f"trust boundary line '{cell.name or ''}'".replace(" ''", ""),
                             "a line does not say which elements it encloses; draw a trust boundary box instead")
        elif cell.kind == "tm.Text":
            self.ledger.skip(cell.node.path, "text annotation", "free text on the diagram has no place in the model")
        elif cell.kind not in _FAMILY and cell.kind != "tm.BoundaryBox":
            shown = cell.kind or cell.node.text("shape") or "?"
            self.ledger.skip(cell.node.path, f"diagram cell of unknown type '{shown}'", "not a Threat Dragon element")

    def _flow(self, cell: _Cell) -> None:
        props = cell.props
        source, target = (self._end(cell, side) for side in ("source", "target"))
        name = cell.name or "Data flow"
        if target is not None and props.is_map() and props.flag("isPublicNetwork"):
            self._expose(target)
        if source is None or target is None or source == target:
            if source is not None and source == target:
                self.ledger.skip(cell.node.path, f"flow '{name}'", "it starts and ends at the same element")
            self.parts[cell.node.path] = _without_threats(cell)
            self._threats(cell, elements=[e for e in (source, target) if e], flow_id=None)
            return
        flow = Flow(
            id=self.ids.take(cell.name, fallback=f"{source}-to-{target}"), source=source, target=target,
            data=join_text(cell.name, props.text("description"), sep=": "), protocol=props.text("protocol"),
            encrypted=True if props.flag("isEncrypted") else None, bidirectional=bool(props.flag("isBidirectional")))
        flow = kept(flow, NAME, cell.node.path, _without_threats(cell))
        self.flows.append(flow)
        if props.flag("outOfScope"):
            self.ledger.skip(props.child("outOfScope").path, f"out-of-scope mark of flow '{name}'",
                             "flows have no tags; the flow is imported and analysed")
        self._unknown_keys(cell, _FLOW_KEYS)
        self._threats(cell, elements=[source, target], flow_id=flow.id)

    def _end(self, cell: _Cell, side: str) -> str | None:
        """The element id at one end of a flow; reported as not imported when it is not attached to one."""
        end = cell.node.child(side)
        key = "id" if cell.v1 else "cell"
        name = cell.name or "Data flow"
        if not end.is_map() or not end.text(key):
            self.ledger.skip(end.path, f"flow '{name}'", f"its {side} end is not attached to an element")
            return None
        cell_id = end.text(key) or ""
        element_id = self.cell_elements.get((cell.diagram, cell_id))
        if element_id is None:
            reason = (f"its {side} is a {self.cell_kinds[(cell.diagram, cell_id)]} cell, not an element"
                      if (cell.diagram, cell_id) in self.cell_kinds else
                      f"its {side} names cell '{cell_id}', which does not exist in this diagram")
            self.ledger.skip(end.child(key).path, f"flow '{name}'", reason)
        return element_id

    def _expose(self, element_id: str) -> None:
        element = self.elements[element_id]
        if element.exposure is None:
            self.elements[element_id] = element.model_copy(update={"exposure": Exposure.internet})
        self.ledger.note("flows marked 'public network' set exposure: internet on the element that receives them")

    # ---------------------------------------------------------------------------------- threats

    def _threats(self, cell: _Cell, elements: list[str], flow_id: str | None) -> None:
        if not cell.props.is_map():
            return
        drawn_on = self._drawn_on(cell, elements, flow_id)
        for number, node in enumerate(cell.props.child("threats").items(), start=1):
            node.require_map("a threat (an object)")
            own = finding_id(node.text("dicetmId"))
            if own is None and drawn_on is not None and not node.has("dicetmId"):
                own = hidden_finding_id(node.text("id"), *drawn_on)
            if own is not None:
                self.own_findings.claim(own, node.text("status"))
                continue
            self.threats.append(self._threat(node, elements, flow_id, number))
            if flow_id is None and cell.kind == "tm.Flow":
                self.ledger.skip_field(node.path, "threat on a flow that was not imported",
                                       "kept, attached to the flow's attached ends only")

    def _drawn_on(self, cell: _Cell, elements: list[str], flow_id: str | None) -> tuple[list[str], str | None] | None:
        """The ids an older dicetm export built a finding id from, for a threat on ``cell``: the element ids (the
        cell's, or a flow's ends') and the flow id, as the cell ids carry them. None for a cell whose threats the
        rules cannot find again (a flow that was not imported, a cell that is no element)."""
        cell_id = cell.node.text("id")
        if cell_id is None:
            return None
        if flow_id is not None:
            key = "id" if cell.v1 else "cell"
            ends = [end.text(key) for end in (cell.node.child("source"), cell.node.child("target")) if end.is_map()]
            return [*(e for e in ends if e), *elements], cell_id
        if cell.kind in _FAMILY:
            return [cell_id, *elements], None
        return None

    def _threat(self, node: Node, elements: list[str], flow_id: str | None, number: int) -> ThreatRecord:
        description = node.text("description")
        category = node.text("type")
        stride = stride_letter(category)
        if category and stride is None:
            self.ledger.skip_field(node.child("type").path, "threat type with no STRIDE letter "
                                   f"(e.g. '{category}')", "the model's threats carry STRIDE letters only")
        impact = level_of_severity(node.text("severity"))
        score = node.number("score")
        if impact is None:
            impact = level_of_cvss(score)
        elif score is not None:
            self.ledger.skip_field(node.child("score").path, "threat score", "the severity was used for the impact")
        mitigation = node.text("mitigation")
        for key in node.names():
            if key not in _THREAT_KEYS and node.child(key).value not in (None, "", [], {}):
                self.ledger.skip_field(node.child(key).path, f"threat property '{key}'", "no equivalent in the model")
        anchor = elements[0] if elements else "threat"
        return kept(ThreatRecord(
            id=self.threat_ids.take(node.text("dicetmId"), node.text("id"),
                                    fallback=f"td-{flow_id or anchor}-{number}"),
            title=node.text("title") or headline(description) or "Untitled threat", scenario=description,
            elements=list(dict.fromkeys(elements)), flows=[flow_id] if flow_id else [],
            stride=[stride] if stride else [], impact=impact,
            controls=[self._control(mitigation, node.child("mitigation").path)] if mitigation else [],
            source=SOURCE, source_ref=node.path, source_status=node.text("status")), NAME, node.path, node.value)

    def _control(self, text: str, path: str) -> str:
        if text not in self.controls:
            name = headline(text, 80) or "Mitigation"
            self.controls[text] = (self.control_ids.take(fallback=name), name, path)
        return self.controls[text][0]

    def _custom_controls(self) -> list[CustomControl]:
        return [CustomControl(id=control_id, name=name, description=text, source=SOURCE, source_ref=path)
                for text, (control_id, name, path) in self.controls.items()]


def _cell_name(node: Node, props: Node, v1: bool) -> str | None:
    """The name shown on the diagram: data.name (v2), else the label or text attribute."""
    candidates: list[str | None] = [] if v1 else [props.text("name") if props.is_map() else None]
    attrs = node.child("attrs")
    for key in ("text", "label", "labelText"):
        part = attrs.child(key)
        candidates.append(part.text("text") if part.is_map() else None)
    first_label = node.child("labels").child(0)
    if first_label.is_map():
        label_attrs = first_label.child("attrs")
        for key in ("text", "labelText"):
            part = label_attrs.child(key)
            candidates.append(part.text("text") if part.is_map() else None)
    found = next((c for c in candidates if c), None)
    return " ".join(found.split()) if found else None


def _reason(props: Node) -> str | None:
    reason = props.text("reasonOutOfScope")
    return f"Out of scope in Threat Dragon: {reason}" if reason else "Out of scope in Threat Dragon."


def _geometry(node: Node) -> tuple[float, float, float, float] | None:
    position, size = node.child("position"), node.child("size")
    if not position.is_map() or not size.is_map():
        return None
    values = (position.number("x"), position.number("y"), size.number("width"), size.number("height"))
    if any(v is None for v in values):
        return None
    x, y, width, height = (float(v or 0) for v in values)
    return (x, y, width, height) if width >= 0 and height >= 0 else None


def _smallest(boxes: Iterable[_Box]) -> _Box | None:
    candidates = list(boxes)
    return min(candidates, key=lambda b: b.area) if candidates else None


def _without_threats(cell: _Cell) -> dict[str, object]:
    """The cell as read, without its threats (each is kept on its own threat)."""
    value = dict(cell.node.value) if isinstance(cell.node.value, dict) else {}
    if cell.v1 and "threats" in value:
        value["threats"] = []
    elif isinstance(value.get("data"), dict) and "threats" in value["data"]:
        value["data"] = {**value["data"], "threats": []}
    return value


def _skeleton(doc: object) -> dict[str, object]:
    """The document without its cells: summary, people, diagram titles and sizes."""
    if not isinstance(doc, dict):
        return {}
    detail = doc.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("diagrams"), list):
        return dict(doc)
    diagrams = []
    for diagram in detail["diagrams"]:
        if not isinstance(diagram, dict):
            continue
        empty = dict(diagram)
        if isinstance(empty.get("diagramJson"), dict):
            empty["diagramJson"] = {**empty["diagramJson"], "cells": []}
        else:
            empty["cells"] = []
        diagrams.append(empty)
    return {**doc, "detail": {**detail, "diagrams": diagrams}}
