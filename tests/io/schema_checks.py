"""Structural validators for the export formats, written from each format's published schema.

Each ``check_*`` returns a list of problems (``"<path>: <what is wrong>"``), empty when the document is
valid. They check what the published schemas require (fields, types, enumerations, length limits) and
the references between parts that the schemas leave to the tools (flow ends, threat and mitigation
links, rule indexes, technique ids). Sources:

- Threat Dragon v2: OWASP/threat-dragon ``td.vue/src/service/schema/owasp-threat-dragon-v2.schema.json``
  and ``td.vue/src/service/entity/default-properties.js`` (cell data types per shape).
- Open Threat Model 0.2.0: iriusrisk/OpenThreatModel ``otm_schema.json`` and README (attributes are
  string maps).
- Threat Composer: awslabs/threat-composer ``packages/threat-composer/src/customTypes`` (zod schemas:
  strict objects, UUID links, length limits from ``configs``).
- SARIF 2.1.0, OTM and Threat Dragon v2: first the published schemas themselves (``official_schemas``),
  then only what those schemas leave to the tools.
- ATLAS Navigator: mitre-attack/attack-navigator ``layers/LAYERFORMATv4_5.md`` with domain ``atlas-atlas``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from official_schemas import problems as official_problems

from dicetm.catalog import Catalog, Entry


class _Checks:
    def __init__(self, *, strict: bool = True) -> None:
        self.problems: list[str] = []
        self.strict = strict

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def obj(self, value: Any, path: str, required: Iterable[str] = (), *, nullable: bool = False) -> bool:
        """``value`` is an object holding every ``required`` key; False (and a problem) otherwise."""
        if value is None and nullable:
            return False
        if not isinstance(value, dict):
            self.add(path, f"must be an object, not {type(value).__name__}")
            return False
        missing = [key for key in required if key not in value]
        for key in missing:
            self.add(path, f"misses required field '{key}'")
        return not missing

    def array(self, value: Any, path: str, *, nullable: bool = False) -> list[Any]:
        if value is None and nullable:
            return []
        if not isinstance(value, list):
            self.add(path, f"must be an array, not {type(value).__name__}")
            return []
        return value

    def string(self, parent: dict[str, Any], key: str, path: str, *, nullable: bool = False,
               max_length: int | None = None, min_length: int = 0, choices: Iterable[str] | None = None) -> None:
        if key not in parent:
            return
        value = parent[key]
        if value is None and nullable:
            return
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be a string, not {type(value).__name__}")
            return
        if max_length is not None and len(value) > max_length:
            self.add(f"{path}.{key}", f"is {len(value)} characters long; at most {max_length} allowed")
        if len(value) < min_length:
            self.add(f"{path}.{key}", f"must have at least {min_length} characters")
        allowed = list(choices) if choices is not None else None
        if allowed is not None and value not in allowed:
            self.add(f"{path}.{key}", f"is {value!r}, not one of {', '.join(allowed)}")

    def number(self, parent: dict[str, Any], key: str, path: str, *, integer: bool = False,
               minimum: float | None = None, nullable: bool = False) -> None:
        if key not in parent:
            return
        value = parent[key]
        if value is None and nullable:
            return
        wanted = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            self.add(f"{path}.{key}", f"must be {'an integer' if integer else 'a number'}, not {value!r}")
        elif minimum is not None and value < minimum:
            self.add(f"{path}.{key}", f"must be at least {minimum}, not {value}")

    def boolean(self, parent: dict[str, Any], key: str, path: str, *, nullable: bool = False) -> None:
        if key in parent and not isinstance(parent[key], bool) and not (nullable and parent[key] is None):
            self.add(f"{path}.{key}", f"must be true or false, not {parent[key]!r}")

    def unique(self, ids: list[Any], path: str) -> None:
        seen: set[str] = set()
        for value in ids:
            key = repr(value)  # ids of a broken document may be lists or objects
            if key in seen:
                self.add(path, f"id {value!r} is used twice")
            seen.add(key)


def _texts(values: Iterable[Any]) -> set[str]:
    """The string values among ``values`` (a broken document may put anything where an id belongs)."""
    return {v for v in values if isinstance(v, str)}


# ------------------------------------------------------------------------------------------ Threat Dragon

TD_NODE_TYPES = {"actor": "tm.Actor", "process": "tm.Process", "store": "tm.Store",
                 "trust-boundary-box": "tm.BoundaryBox", "td-text-block": "tm.Text"}
TD_EDGE_TYPES = {"flow": "tm.Flow", "trust-boundary-curve": "tm.Boundary"}
TD_ELEMENT_SHAPES = frozenset({"actor", "process", "store"})
TD_SEVERITIES = ("TBD", "Low", "Medium", "High", "Critical")
TD_STATUSES = ("NotApplicable", "Open", "Mitigated")
TD_FLAGS = ("handlesCardPayment", "handlesGoodsOrServices", "isALog", "isBidirectional", "isEncrypted",
            "isPublicNetwork", "isSigned", "isTrustBoundary", "isWebApplication", "outOfScope",
            "providesAuthentication", "storesCredentials", "storesInventory", "hasOpenThreats")
TD_TEXTS = ("description", "name", "privilegeLevel", "protocol", "reasonOutOfScope", "type")


def check_threat_dragon(doc: Any, *, strict: bool = True) -> list[str]:
    """Threat Dragon's published v2 schema (with ``nullable`` read as its ajv set-up reads it), then the cell
    data per shape from ``default-properties.js`` and the references the schema leaves to the tool.
    ``strict=False`` accepts what Threat Dragon itself tolerates in its sample files: flows with a loose
    end (a point instead of a cell) and severities outside the list its editor offers."""
    found = official_problems("threat-dragon", doc)
    if found:
        return found
    c = _Checks(strict=strict)
    if not c.obj(doc, "$", ("version", "summary", "detail")):
        return c.problems
    c.string(doc, "version", "$", max_length=10)
    if c.obj(doc["summary"], "$.summary", ("title",)):
        summary = doc["summary"]
        for key in ("title", "owner", "description"):
            c.string(summary, key, "$.summary")
        c.number(summary, "id", "$.summary", integer=True, minimum=0)
    detail = doc["detail"]
    if not c.obj(detail, "$.detail", ("contributors", "diagrams", "diagramTop", "reviewer", "threatTop")):
        return c.problems
    for i, person in enumerate(c.array(detail.get("contributors"), "$.detail.contributors")):
        if c.obj(person, f"$.detail.contributors[{i}]"):
            c.string(person, "name", f"$.detail.contributors[{i}]")
    c.string(detail, "reviewer", "$.detail")
    c.number(detail, "diagramTop", "$.detail", integer=True, minimum=0)
    c.number(detail, "threatTop", "$.detail", integer=True, minimum=0)
    for d, diagram in enumerate(c.array(detail.get("diagrams"), "$.detail.diagrams")):
        _td_diagram(c, diagram, f"$.detail.diagrams[{d}]")
    return c.problems


def _td_diagram(c: _Checks, diagram: Any, path: str) -> None:
    if not c.obj(diagram, path, ("diagramType", "id", "thumbnail", "title", "version")):
        return
    c.string(diagram, "diagramType", path, min_length=3)
    c.number(diagram, "id", path, integer=True, minimum=0)
    for key in ("thumbnail", "title", "description", "placeholder"):
        c.string(diagram, key, path)
    c.string(diagram, "version", path, max_length=10)
    cells = c.array(diagram.get("cells", []), f"{path}.cells")
    shapes = {cell.get("id"): cell.get("shape") for cell in cells
              if isinstance(cell, dict) and isinstance(cell.get("id"), str) and isinstance(cell.get("shape"), str)}
    c.unique([cell.get("id") for cell in cells if isinstance(cell, dict)], f"{path}.cells")
    for i, cell in enumerate(cells):
        _td_cell(c, cell, f"{path}.cells[{i}]", shapes)


def _td_cell(c: _Checks, cell: Any, path: str, shapes: dict[Any, Any]) -> None:
    if not c.obj(cell, path, ("id", "shape", "zIndex")):
        return
    c.string(cell, "id", path, min_length=2)
    c.number(cell, "zIndex", path, integer=True)
    shape = cell.get("shape")
    if not isinstance(shape, str) or (shape not in TD_NODE_TYPES and shape not in TD_EDGE_TYPES):
        c.add(f"{path}.shape", f"unknown shape {shape!r}")
        return
    if shape in TD_NODE_TYPES:
        _td_geometry(c, cell, path)
    else:
        for end in ("source", "target"):
            _td_end(c, cell, end, path, shapes, needs_cell=shape == "flow" and c.strict)
    _td_attrs(c, cell.get("attrs"), f"{path}.attrs")
    data = cell.get("data")
    # Threat Dragon's own boundary boxes carry no data.name, although the schema lists it as required.
    required = ("hasOpenThreats", "type") if shape == "trust-boundary-box" else ("hasOpenThreats", "name", "type")
    if shape == "td-text-block":
        required = ("type",)
    if not c.obj(data, f"{path}.data", required):
        return
    expected = TD_NODE_TYPES.get(shape) or TD_EDGE_TYPES[shape]
    if data.get("type") != expected:
        c.add(f"{path}.data.type", f"is {data.get('type')!r}; a {shape} cell has type {expected!r}")
    for key in TD_FLAGS:
        c.boolean(data, key, f"{path}.data")
    for key in TD_TEXTS:
        c.string(data, key, f"{path}.data")
    threats = c.array(data.get("threats", []), f"{path}.data.threats")
    if threats and shape not in TD_ELEMENT_SHAPES and shape != "flow":
        c.add(f"{path}.data.threats", f"a {shape} cannot carry threats")
    for t, threat in enumerate(threats):
        _td_threat(c, threat, f"{path}.data.threats[{t}]")


def _td_geometry(c: _Checks, cell: dict[str, Any], path: str) -> None:
    if c.obj(cell.get("position"), f"{path}.position", ("x", "y")):
        for key in ("x", "y"):
            c.number(cell["position"], key, f"{path}.position")
    if c.obj(cell.get("size"), f"{path}.size", ("width", "height")):
        for key in ("width", "height"):
            c.number(cell["size"], key, f"{path}.size", minimum=10)


def _td_end(c: _Checks, cell: dict[str, Any], end: str, path: str, shapes: dict[Any, Any], *,
            needs_cell: bool) -> None:
    if not c.obj(cell.get(end), f"{path}.{end}"):
        return
    point = cell[end]
    if "cell" in point:
        c.string(point, "cell", f"{path}.{end}")
        if not isinstance(point["cell"], str) or point["cell"] not in shapes:
            c.add(f"{path}.{end}.cell", f"names {point['cell']!r}, which is no cell of this diagram")
        elif shapes[point["cell"]] not in TD_ELEMENT_SHAPES:
            c.add(f"{path}.{end}.cell", f"names a {shapes[point['cell']]}, not an actor, process or store")
    elif needs_cell:
        c.add(f"{path}.{end}", "a flow must start and end at a cell")
    else:
        for key in ("x", "y"):
            c.number(point, key, f"{path}.{end}")


def _td_attrs(c: _Checks, attrs: Any, path: str) -> None:
    if attrs is None or not c.obj(attrs, path):
        return
    if "body" in attrs and c.obj(attrs["body"], f"{path}.body", ("stroke", "strokeWidth", "strokeDasharray")):
        c.string(attrs["body"], "stroke", f"{path}.body")
        c.number(attrs["body"], "strokeWidth", f"{path}.body")
        c.string(attrs["body"], "strokeDasharray", f"{path}.body", nullable=True)
    if "line" in attrs and c.obj(attrs["line"], f"{path}.line", ("targetMarker",)):
        for key in ("targetMarker", "sourceMarker"):
            marker = attrs["line"].get(key)
            if isinstance(marker, dict):
                c.obj(marker, f"{path}.line.{key}", ("name",))
            elif key in attrs["line"] and not isinstance(marker, str):
                c.add(f"{path}.line.{key}", "must be an object with a name, or a string")


def _td_threat(c: _Checks, threat: Any, path: str) -> None:
    if not c.obj(threat, path, ("description", "mitigation", "severity", "status", "title", "type")):
        return
    for key in ("description", "mitigation", "title", "type", "modelType", "score"):
        c.string(threat, key, path)
    c.string(threat, "severity", path, choices=TD_SEVERITIES if c.strict else None)
    c.string(threat, "status", path, choices=TD_STATUSES if c.strict else None)
    c.number(threat, "number", path, integer=True, minimum=0)
    c.string(threat, "threatId", path, min_length=2)


def td_cells(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for diagram in doc["detail"]["diagrams"] for cell in diagram["cells"]]


def td_counts(doc: dict[str, Any]) -> dict[str, int]:
    """Elements, flows, boundaries (boxes and curves) and threats of a Threat Dragon document."""
    cells = td_cells(doc)
    return {
        "elements": sum(1 for cell in cells if cell["shape"] in TD_ELEMENT_SHAPES),
        "flows": sum(1 for cell in cells if cell["shape"] == "flow"),
        "boundaries": sum(1 for cell in cells if cell["shape"] in ("trust-boundary-box", "trust-boundary-curve")),
        "threats": sum(len(cell.get("data", {}).get("threats") or []) for cell in cells
                       if cell["shape"] in TD_ELEMENT_SHAPES or cell["shape"] == "flow"),
    }


def _rect(cell: dict[str, Any]) -> tuple[float, float, float, float]:
    x, y = cell["position"]["x"], cell["position"]["y"]
    return x, y, x + cell["size"]["width"], y + cell["size"]["height"]


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def check_td_membership(doc: dict[str, Any], membership: dict[str, str | None],
                        parents: dict[str, str | None]) -> list[str]:
    """Geometry says what the model says: each element cell lies inside exactly the boxes of its boundary
    and that boundary's ancestors (``membership``: element cell id -> innermost boundary cell id or None;
    ``parents``: boundary cell id -> parent boundary cell id or None)."""
    cells = {cell["id"]: cell for cell in td_cells(doc)}
    boxes = {cid: _rect(cell) for cid, cell in cells.items() if cell["shape"] == "trust-boundary-box"}
    problems = []
    for element_id, home in membership.items():
        expected: set[str] = set()
        while home is not None:
            expected.add(home)
            home = parents.get(home)
        found = {box_id for box_id, box in boxes.items() if _inside(_rect(cells[element_id]), box)}
        if found != expected:
            problems.append(f"{element_id}: lies inside boxes {sorted(found)}, expected {sorted(expected)}")
    return problems


# ----------------------------------------------------------------------------------- Open Threat Model


def check_otm(doc: Any) -> list[str]:
    """IriusRisk's published OTM schema, then the references between parts it leaves to tools."""
    found = official_problems("otm", doc)
    if found:
        return found
    c = _Checks()
    if not c.obj(doc, "$", ("otmVersion", "project")):
        return c.problems
    c.string(doc, "otmVersion", "$")
    if c.obj(doc["project"], "$.project", ("name", "id")):
        for key in ("name", "id"):
            c.string(doc["project"], key, "$.project")
        for key in ("description", "owner", "ownerContact"):
            c.string(doc["project"], key, "$.project", nullable=True)
        _otm_strings(c, doc["project"].get("tags"), "$.project.tags")
        _otm_attributes(c, doc["project"], "$.project")
    representations = _otm_items(c, doc, "representations", ("name", "id", "type"), nullable=True)
    for i, item in representations:
        if "size" in item:
            _otm_size(c, item["size"], f"$.representations[{i}].size")
    for i, item in _otm_items(c, doc, "assets", ("name", "id", "risk"), nullable=True):
        if c.obj(item["risk"], f"$.assets[{i}].risk", ("confidentiality", "integrity", "availability")):
            for key in ("confidentiality", "integrity", "availability"):
                c.number(item["risk"], key, f"$.assets[{i}].risk")
    zones = _otm_items(c, doc, "trustZones", ("id", "name", "risk"))
    components = _otm_items(c, doc, "components", ("id", "name", "type", "parent"), nullable=True)
    flows = _otm_items(c, doc, "dataflows", ("id", "name", "source", "destination"))
    threats = _otm_items(c, doc, "threats", ("id", "name", "risk"), nullable=True)
    mitigations = _otm_items(c, doc, "mitigations", ("id", "name", "riskReduction"), nullable=True)
    ids = {
        "representation": _texts(item["id"] for _i, item in representations),
        "trustZone": _texts(item["id"] for _i, item in zones),
        "component": _texts(item["id"] for _i, item in components),
        "threat": _texts(item["id"] for _i, item in threats),
        "mitigation": _texts(item["id"] for _i, item in mitigations),
    }
    for i, zone in zones:
        path = f"$.trustZones[{i}]"
        c.string(zone, "type", path)
        if c.obj(zone["risk"], f"{path}.risk", ("trustRating",)):
            c.number(zone["risk"], "trustRating", f"{path}.risk")
        if "parent" in zone:
            _otm_parent(c, zone["parent"], f"{path}.parent", ids)
        _otm_representations(c, zone, path, ids)
    for i, component in components:
        path = f"$.components[{i}]"
        c.string(component, "type", path)
        _otm_parent(c, component["parent"], f"{path}.parent", ids)
        _otm_representations(c, component, path, ids)
        _otm_threat_refs(c, component, path, ids)
        _otm_strings(c, component.get("tags"), f"{path}.tags", nullable_items=True)
    ends = ids["component"] | ids["trustZone"]
    for i, flow in flows:
        path = f"$.dataflows[{i}]"
        c.boolean(flow, "bidirectional", path, nullable=True)
        for key in ("source", "destination"):
            c.string(flow, key, path)
            if not isinstance(flow.get(key), str) or flow[key] not in ends:
                c.add(f"{path}.{key}", f"names {flow.get(key)!r}, which is no component or trust zone")
        _otm_strings(c, flow.get("assets"), f"{path}.assets", nullable_items=True)
        _otm_threat_refs(c, flow, path, ids)
        _otm_strings(c, flow.get("tags"), f"{path}.tags", nullable_items=True)
    for i, threat in threats:
        path = f"$.threats[{i}]"
        c.string(threat, "description", path, nullable=True)
        _otm_strings(c, threat.get("categories"), f"{path}.categories", nullable_items=True)
        _otm_strings(c, threat.get("cwes"), f"{path}.cwes", nullable_items=True)
        if c.obj(threat["risk"], f"{path}.risk", ("likelihood", "impact")):
            c.number(threat["risk"], "likelihood", f"{path}.risk", nullable=True)
            c.number(threat["risk"], "impact", f"{path}.risk")
            c.string(threat["risk"], "likelihoodComment", f"{path}.risk", nullable=True)
            c.string(threat["risk"], "impactComment", f"{path}.risk")
    for i, mitigation in mitigations:
        c.number(mitigation, "riskReduction", f"$.mitigations[{i}]")
    return c.problems


def _otm_items(c: _Checks, doc: dict[str, Any], key: str, required: tuple[str, ...], *,
               nullable: bool = False) -> list[tuple[int, dict[str, Any]]]:
    """The well-formed items of one top-level collection (ids checked unique), with their index."""
    if key not in doc:
        return []
    items = [(i, item) for i, item in enumerate(c.array(doc[key], f"$.{key}", nullable=nullable))
             if c.obj(item, f"$.{key}[{i}]", required)]
    for i, item in items:
        for field in ("id", "name"):
            c.string(item, field, f"$.{key}[{i}]")
        c.string(item, "description", f"$.{key}[{i}]", nullable=True)
        _otm_attributes(c, item, f"$.{key}[{i}]")
    c.unique([item["id"] for _i, item in items], f"$.{key}")
    return items


def _otm_attributes(c: _Checks, item: dict[str, Any], path: str) -> None:
    attributes = item.get("attributes")
    if attributes is None or not c.obj(attributes, f"{path}.attributes"):
        return
    for key, value in attributes.items():
        if not isinstance(value, str):
            c.add(f"{path}.attributes.{key}", f"attribute values are strings, not {type(value).__name__}")


def _otm_strings(c: _Checks, value: Any, path: str, *, nullable_items: bool = False) -> None:
    for i, item in enumerate(c.array(value, path, nullable=True)):
        if not isinstance(item, str) and not (nullable_items and item is None):
            c.add(f"{path}[{i}]", "must be a string")


def _otm_size(c: _Checks, size: Any, path: str) -> None:
    if c.obj(size, path, ("width", "height"), nullable=True):
        for key in ("width", "height"):
            c.number(size, key, path)


def _otm_parent(c: _Checks, parent: Any, path: str, ids: dict[str, set[str]]) -> None:
    if not c.obj(parent, path):
        return
    kinds = [kind for kind in ("trustZone", "component") if kind in parent]
    if len(kinds) != 1:
        c.add(path, "must name exactly one of trustZone or component")
        return
    if not isinstance(parent[kinds[0]], str) or parent[kinds[0]] not in ids[kinds[0]]:
        c.add(f"{path}.{kinds[0]}", f"names {parent[kinds[0]]!r}, which is no {kinds[0]} of this model")


def _otm_representations(c: _Checks, item: dict[str, Any], path: str, ids: dict[str, set[str]]) -> None:
    for i, shown in enumerate(c.array(item.get("representations"), f"{path}.representations", nullable=True)):
        where = f"{path}.representations[{i}]"
        if not c.obj(shown, where, ("representation", "id")):
            continue
        if not isinstance(shown.get("representation"), str) or shown["representation"] not in ids["representation"]:
            c.add(f"{where}.representation", f"names {shown.get('representation')!r}, which is not declared")
        if shown.get("position") is not None and c.obj(shown["position"], f"{where}.position", ("x", "y")):
            for key in ("x", "y"):
                c.number(shown["position"], key, f"{where}.position")
        if "size" in shown:
            _otm_size(c, shown["size"], f"{where}.size")


def _otm_threat_refs(c: _Checks, item: dict[str, Any], path: str, ids: dict[str, set[str]]) -> None:
    for i, ref in enumerate(c.array(item.get("threats"), f"{path}.threats", nullable=True)):
        where = f"{path}.threats[{i}]"
        if not c.obj(ref, where, ("threat", "state")):
            continue
        c.string(ref, "state", where)
        if not isinstance(ref.get("threat"), str) or ref["threat"] not in ids["threat"]:
            c.add(f"{where}.threat", f"names {ref.get('threat')!r}, which is not in $.threats")
        for m, mitigation in enumerate(c.array(ref.get("mitigations", []), f"{where}.mitigations")):
            if mitigation is None or not c.obj(mitigation, f"{where}.mitigations[{m}]", ("mitigation", "state")):
                continue
            named = mitigation["mitigation"]
            if named is not None and (not isinstance(named, str) or named not in ids["mitigation"]):
                c.add(f"{where}.mitigations[{m}].mitigation",
                      f"names {mitigation['mitigation']!r}, which is not in $.mitigations")


def otm_counts(doc: dict[str, Any]) -> dict[str, int]:
    return {"elements": len(doc.get("components") or []), "flows": len(doc.get("dataflows") or []),
            "boundaries": len(doc.get("trustZones") or []), "threats": len(doc.get("threats") or [])}


# ------------------------------------------------------------------------------------- Threat Composer

TC_TOP = frozenset({"schema", "workspace", "applicationInfo", "architecture", "dataflow", "assumptions",
                    "mitigations", "assumptionLinks", "mitigationLinks", "threats"})
TC_ENTITY = frozenset({"id", "numericId", "displayOrder", "metadata", "tags"})
TC_THREAT = TC_ENTITY | {"threatSource", "prerequisites", "threatAction", "threatImpact", "impactedGoal",
                         "impactedAssets", "statement", "customTemplate", "displayedStatement", "status"}
TC_CONTENT = TC_ENTITY | {"content"}
TC_MITIGATION = TC_CONTENT | {"status"}
TC_THREAT_STATUSES = ("threatIdentified", "threatResolved", "threatResolvedNotUseful")
TC_MITIGATION_STATUSES = ("mitigationIdentified", "mitigationInProgress", "mitigationResolved",
                          "mitigationResolvedAbandoned", "mitigationResolvedWillNotAction")
TC_PRIORITIES = ("High", "Medium", "Low")
TC_STRIDE = frozenset("STRIDE")
FIELD_MAX, CONTENT_MAX, TAG_MAX, TEXT_MAX = 200, 1000, 30, 100_000


def check_threat_composer(doc: Any, *, strict: bool = True) -> list[str]:
    """``strict=False`` accepts links to items that are missing, which Threat Composer ignores (its own
    example workspace has some)."""
    c = _Checks(strict=strict)
    if not c.obj(doc, "$", ("schema",)):
        return c.problems
    _strict(c, doc, TC_TOP, "$")
    c.number(doc, "schema", "$")
    if isinstance(doc.get("schema"), int | float) and doc["schema"] > 1:
        c.add("$.schema", "must be at most 1")
    if "applicationInfo" in doc and c.obj(doc["applicationInfo"], "$.applicationInfo"):
        _strict(c, doc["applicationInfo"], {"name", "description"}, "$.applicationInfo")
        c.string(doc["applicationInfo"], "name", "$.applicationInfo", max_length=FIELD_MAX)
        c.string(doc["applicationInfo"], "description", "$.applicationInfo", max_length=TEXT_MAX)
    for key in ("architecture", "dataflow"):
        if key in doc and c.obj(doc[key], f"$.{key}"):
            _strict(c, doc[key], {"image", "description"}, f"$.{key}")
            c.string(doc[key], "description", f"$.{key}", max_length=TEXT_MAX)
            c.string(doc[key], "image", f"$.{key}")
    threats = _tc_entities(c, doc, "threats", TC_THREAT)
    mitigations = _tc_entities(c, doc, "mitigations", TC_MITIGATION)
    assumptions = _tc_entities(c, doc, "assumptions", TC_CONTENT)
    for i, threat in enumerate(threats):
        _tc_threat(c, threat, f"$.threats[{i}]")
    for i, mitigation in enumerate(mitigations):
        c.string(mitigation, "content", f"$.mitigations[{i}]", max_length=CONTENT_MAX)
        c.string(mitigation, "status", f"$.mitigations[{i}]", choices=TC_MITIGATION_STATUSES)
    for i, assumption in enumerate(assumptions):
        c.string(assumption, "content", f"$.assumptions[{i}]", max_length=CONTENT_MAX)
    ids = {"Threat": _texts(t["id"] for t in threats), "Mitigation": _texts(m["id"] for m in mitigations),
           "Assumption": _texts(a["id"] for a in assumptions)}
    for i, link in enumerate(c.array(doc.get("mitigationLinks", []), "$.mitigationLinks")):
        path = f"$.mitigationLinks[{i}]"
        if c.obj(link, path, ("mitigationId", "linkedId")):
            _strict(c, link, {"mitigationId", "linkedId"}, path)
            _tc_link(c, link, "mitigationId", ids["Mitigation"], path)
            _tc_link(c, link, "linkedId", ids["Threat"] | ids["Assumption"], path)
    for i, link in enumerate(c.array(doc.get("assumptionLinks", []), "$.assumptionLinks")):
        path = f"$.assumptionLinks[{i}]"
        if c.obj(link, path, ("type", "assumptionId", "linkedId")):
            _strict(c, link, {"type", "assumptionId", "linkedId"}, path)
            c.string(link, "type", path, choices=("Mitigation", "Threat"))
            _tc_link(c, link, "assumptionId", ids["Assumption"], path)
            kind = link.get("type")
            _tc_link(c, link, "linkedId", ids.get(kind, set()) if isinstance(kind, str) else set(), path)
    return c.problems


def _strict(c: _Checks, value: dict[str, Any], allowed: Iterable[str], path: str) -> None:
    for key in sorted(set(value) - set(allowed)):
        c.add(f"{path}.{key}", "is not a field of this object")


def _tc_entities(c: _Checks, doc: dict[str, Any], key: str, allowed: frozenset[str]) -> list[dict[str, Any]]:
    items = []
    for i, item in enumerate(c.array(doc.get(key, []), f"$.{key}")):
        path = f"$.{key}[{i}]"
        if not c.obj(item, path, ("id", "numericId")):
            continue
        _strict(c, item, allowed, path)
        c.string(item, "id", path, max_length=36)
        c.number(item, "numericId", path)
        c.number(item, "displayOrder", path)
        for t, tag in enumerate(c.array(item.get("tags", []), f"{path}.tags")):
            if not isinstance(tag, str) or not 0 < len(tag) <= TAG_MAX:
                c.add(f"{path}.tags[{t}]", f"tags are non-empty strings of at most {TAG_MAX} characters")
        for m, entry in enumerate(c.array(item.get("metadata", []), f"{path}.metadata")):
            _tc_metadata(c, entry, f"{path}.metadata[{m}]")
        items.append(item)
    c.unique([item.get("id") for item in items], f"$.{key}")
    return items


def _tc_metadata(c: _Checks, entry: Any, path: str) -> None:
    if not c.obj(entry, path, ("key", "value")):
        return
    _strict(c, entry, {"key", "value"}, path)
    key, value = entry.get("key"), entry.get("value")
    if key == "Comments":
        c.string(entry, "value", path, max_length=CONTENT_MAX)
    elif key == "Priority":
        c.string(entry, "value", path, choices=TC_PRIORITIES)
    elif key == "STRIDE":
        if not isinstance(value, list) or not all(isinstance(v, str) and v in TC_STRIDE for v in value):
            c.add(f"{path}.value", "STRIDE is a list of the letters S, T, R, I, D, E")
    else:
        c.add(f"{path}.key", f"{key!r} is not one of Comments, Priority, STRIDE")


def _tc_threat(c: _Checks, threat: dict[str, Any], path: str) -> None:
    for key in ("threatSource", "prerequisites", "threatAction", "threatImpact", "customTemplate"):
        c.string(threat, key, path, max_length=FIELD_MAX)
    c.string(threat, "statement", path, max_length=7 * FIELD_MAX)
    c.string(threat, "status", path, choices=TC_THREAT_STATUSES)
    for key in ("impactedGoal", "impactedAssets"):
        for i, value in enumerate(c.array(threat.get(key, []), f"{path}.{key}")):
            if not isinstance(value, str) or len(value) > FIELD_MAX:
                c.add(f"{path}.{key}[{i}]", f"must be a string of at most {FIELD_MAX} characters")


def _tc_link(c: _Checks, link: dict[str, Any], key: str, known: set[str], path: str) -> None:
    value = link.get(key)
    if not isinstance(value, str) or len(value) != 36:
        c.add(f"{path}.{key}", "must be a UUID (36 characters)")
    elif value not in known and c.strict:
        c.add(f"{path}.{key}", f"names {value!r}, which no item of the right kind has")


# ------------------------------------------------------------------------------------------------ SARIF

def check_sarif(doc: Any) -> list[str]:
    """The OASIS SARIF 2.1.0 schema, then what it leaves to tools: unique rule ids, rule indexes that
    point at the rule the result names."""
    found = official_problems("sarif", doc)
    if found:
        return found
    c = _Checks()
    for r, run in enumerate(doc["runs"]):
        rules = run["tool"]["driver"].get("rules", [])
        c.unique([rule.get("id") for rule in rules], f"$.runs[{r}].tool.driver.rules")
        for i, result in enumerate(run.get("results", [])):
            index = result.get("ruleIndex")
            path = f"$.runs[{r}].results[{i}].ruleIndex"
            if index is None:
                continue
            if not index < len(rules):
                c.add(path, f"is {index}, but the driver has {len(rules)} rules")
            elif rules[index].get("id") != result.get("ruleId"):
                c.add(path, f"points at rule {rules[index].get('id')!r}, not {result.get('ruleId')!r}")
    return c.problems


# -------------------------------------------------------------------------------------- ATLAS Navigator

ATLAS_TECHNIQUE_ID = re.compile(r"^AML\.T\d{4}(\.\d{3})?$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def check_navigator(doc: Any, catalog: Catalog) -> list[str]:
    c = _Checks()
    if not c.obj(doc, "$", ("name", "domain")):
        return c.problems
    c.string(doc, "name", "$")
    c.string(doc, "description", "$")
    c.string(doc, "domain", "$", choices=("atlas-atlas",))
    if "versions" in doc and c.obj(doc["versions"], "$.versions", ("layer", "navigator")):
        for key in ("layer", "navigator", "attack"):
            c.string(doc["versions"], key, "$.versions")
        if not str(doc["versions"].get("layer", "")).startswith("4."):
            c.add("$.versions.layer", "must be a 4.x layer format version")
    c.number(doc, "sorting", "$", integer=True, minimum=0)
    c.boolean(doc, "hideDisabled", "$")
    techniques = c.array(doc.get("techniques", []), "$.techniques")
    for i, technique in enumerate(techniques):
        _nav_technique(c, technique, f"$.techniques[{i}]", catalog)
    c.unique([(t.get("techniqueID"), t.get("tactic")) for t in techniques if isinstance(t, dict)], "$.techniques")
    if "gradient" in doc and c.obj(doc["gradient"], "$.gradient", ("colors", "minValue", "maxValue")):
        gradient = doc["gradient"]
        colours = c.array(gradient["colors"], "$.gradient.colors")
        if len(colours) < 2 or not all(isinstance(x, str) and COLOUR.match(x) for x in colours):
            c.add("$.gradient.colors", "needs at least two #rrggbb colours")
        c.number(gradient, "minValue", "$.gradient")
        c.number(gradient, "maxValue", "$.gradient")
        low, high = gradient.get("minValue"), gradient.get("maxValue")
        if isinstance(low, int | float) and isinstance(high, int | float) and not high > low:
            c.add("$.gradient.maxValue", "must be greater than minValue")
    for i, item in enumerate(c.array(doc.get("legendItems", []), "$.legendItems")):
        if c.obj(item, f"$.legendItems[{i}]", ("label", "color")):
            c.string(item, "label", f"$.legendItems[{i}]")
            c.string(item, "color", f"$.legendItems[{i}]")
    _nav_metadata(c, doc.get("metadata", []), "$.metadata")
    return c.problems


def _nav_technique(c: _Checks, technique: Any, path: str, catalog: Catalog) -> None:
    if not c.obj(technique, path, ("techniqueID",)):
        return
    ident = technique["techniqueID"]
    if not isinstance(ident, str) or not ATLAS_TECHNIQUE_ID.match(ident):
        c.add(f"{path}.techniqueID", f"{ident!r} is not an ATLAS technique id")
    else:
        entry = catalog.get(f"atlas:{ident}")
        if not isinstance(entry, Entry) or entry.id != ident or entry.kind not in ("technique", "subtechnique"):
            c.add(f"{path}.techniqueID", f"{ident!r} is no technique of the ATLAS catalogue")
    c.string(technique, "tactic", path)
    c.string(technique, "comment", path)
    c.boolean(technique, "enabled", path)
    c.boolean(technique, "showSubtechniques", path)
    c.number(technique, "score", path)
    if "color" in technique and not (isinstance(technique["color"], str) and
                                     (technique["color"] == "" or COLOUR.match(technique["color"]))):
        c.add(f"{path}.color", "must be a #rrggbb colour")
    _nav_metadata(c, technique.get("metadata", []), f"{path}.metadata")


def _nav_metadata(c: _Checks, items: Any, path: str) -> None:
    for i, item in enumerate(c.array(items, path)):
        if isinstance(item, dict) and "divider" in item:
            c.boolean(item, "divider", f"{path}[{i}]")
        elif c.obj(item, f"{path}[{i}]", ("name", "value")):
            c.string(item, "name", f"{path}[{i}]")
            c.string(item, "value", f"{path}[{i}]")
