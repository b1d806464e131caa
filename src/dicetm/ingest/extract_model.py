"""The drafted model out of the resolver's components: used components as elements (kind and facts settled),
relations as flows, zones as trust boundaries, each item with its provenance.

A fact is the strongest statement about it; statements of the same strength that disagree are not guessed
between: the fact stays unset and a question names both places. Classifications take the most sensitive one
stated and lists (permissions, output uses) collect what is stated, unless a statement is exclusive
("read-only"). A tool with exactly one store or outside system at the other end of its flows acts on it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from dicetm.ingest.extract_ir import EXPLICIT, Extraction, Fact, Relation, Where, Zone
from dicetm.ingest.extract_resolve import Node, Registry, normal
from dicetm.model.system import (
    CLASSIFICATION_RANK,
    FACT_KINDS,
    TOOL_KINDS,
    Classification,
    Element,
    Flow,
    Kind,
    SourceInfo,
    System,
    TrustBoundary,
)

MAX_SPANS = 5  # provenance spans kept per item
_LIST_FACTS = frozenset({"permissions", "output_rendered_as"})
_FLOW_FACTS = frozenset({"protocol", "encrypted", "authenticated", "classification"})


def draft_system(registry: Registry, name: str, extractions: Sequence[Extraction], keys: dict[str, Node]) -> System:
    """The drafted model: used nodes as elements, relations as flows, zones as trust boundaries."""
    taken: set[str] = set()
    ids: dict[int, str] = {}
    elements: list[Element] = []
    kinds: dict[int, Kind] = {}
    nodes = [n for n in registry.nodes if n.used]
    for node in nodes:
        kinds[id(node)] = node.kind()
        ids[id(node)] = _unique(_slug(node.name) or kinds[id(node)].value, taken)
    relations = [(r, e.by) for e in extractions for r in e.relations]
    _models_that_prompt(relations, keys, kinds)
    targets = _tool_targets(relations, keys, kinds)
    for node in nodes:
        if kinds[id(node)] in TOOL_KINDS and not any(f.field == "acts_on" for f in node.facts):
            found = targets.get(id(node), []) or _server_targets(node, keys, targets)
            if len({id(n) for n, _ in found}) == 1:  # the one system the tool reads or changes
                node.extra_facts.append(Fact("acts_on", found[0][0].entities[0].key, found[0][1]))
        facts = _facts(registry, node, kinds[id(node)], ids, keys)
        elements.append(Element(id=ids[id(node)], name=node.name, kind=kinds[id(node)], **facts,
                                provenance=_provenance(node.by, node.where, [f.where for f in node.facts])))
    flows = _flows(relations, keys, ids, taken)
    zones = [z for e in extractions for z in e.zones]
    boundaries = _boundaries(registry, zones, keys, ids, taken, _zone_sources(extractions))
    return System(name=name, elements=elements, flows=flows, trust_boundaries=boundaries)

def _facts(registry: Registry, node: Node, kind: Kind, ids: dict[int, str], keys: dict[str, Node]) -> dict[str, Any]:
    by_field: dict[str, list[Fact]] = {}
    for fact in node.facts:
        if _applies(fact.field, kind):
            by_field.setdefault(fact.field, []).append(fact)
    settled: dict[str, Any] = {}
    for name, facts in by_field.items():
        strongest = max(f.strength for f in facts)
        facts = [f for f in facts if f.strength == strongest]
        value = _settle(registry, node, name, facts)
        if value is not None:
            settled[name] = value
    for reference in ("acts_on", "server", "installed_from"):  # facts naming another component: its id in the draft
        if reference not in settled:
            continue
        target = keys.get(str(settled[reference])) or registry.find(str(settled[reference]))
        if target is None or not target.used or target is node:
            settled.pop(reference)
        else:
            settled[reference] = ids[id(target)]
    return settled

def _settle(registry: Registry, node: Node, name: str, facts: list[Fact]) -> Any:
    if name == "classification":
        return max((Classification(f.value) for f in facts), key=lambda c: CLASSIFICATION_RANK[c])
    if name in _LIST_FACTS:
        exclusive = [f for f in facts if f.exclusive]
        chosen = exclusive or facts
        values: list[Any] = []
        for fact in chosen:
            for value in fact.value if isinstance(fact.value, list) else [fact.value]:
                if value not in values:
                    values.append(value)
        return values
    values = []
    for fact in facts:
        if fact.value not in values:
            values.append(fact.value)
    refined = {v for f in facts for v in f.outranks if f.value in values}
    values = [v for v in values if v not in refined]
    if len(values) == 1:
        return values[0]
    places = []
    for value in values:
        first = next(f for f in facts if f.value == value)
        places.append(f"{first.where.place} (\"{first.where.quote[:80]}\") says {_shown(value)}")
    registry.questions.append(f"{node.name}: the documents disagree on {name}: " + "; ".join(places)
                          + ". Which is right?")
    return None

def _flows(relations: list[tuple[Relation, str]], keys: dict[str, Node], ids: dict[int, str],
           taken: set[str]) -> list[Flow]:
    merged: dict[tuple[int, int, str | None], dict[str, Any]] = {}
    for relation, by in relations:
        source, target = keys.get(relation.source), keys.get(relation.target)
        if source is None or target is None or source is target or not (source.used and target.used):
            continue
        key = (id(source), id(target), relation.slug)
        item = merged.setdefault(key, {"source": ids[id(source)], "target": ids[id(target)], "where": [],
                                       "by": by, "data": None, "bidirectional": False, "facts": {},
                                       "slug": relation.slug})
        item["where"].append(relation.where)
        item["data"] = item["data"] or relation.data
        item["bidirectional"] = item["bidirectional"] or relation.bidirectional
        for fact in relation.facts:
            if fact.field in _FLOW_FACTS:
                item["facts"].setdefault(fact.field, fact.value)
    flows = []
    for item in merged.values():
        base = _slug(item["slug"] or "") or f"{item['source']}-to-{item['target']}"
        flows.append(Flow(id=_unique(base, taken), source=item["source"], target=item["target"],
                          data=item["data"], bidirectional=item["bidirectional"], **item["facts"],
                          provenance=_provenance(item["by"], item["where"], [])))
    return flows

def _boundaries(registry: Registry, zones: list[Zone], keys: dict[str, Node], ids: dict[int, str], taken: set[str],
                by_of: dict[str, str]) -> list[TrustBoundary]:
    merged: dict[str, dict[str, Any]] = {}  # normalised zone name -> the boundary being built
    zone_of: dict[str, str] = {}  # zone key -> normalised name
    for zone in zones:
        label = normal(zone.name)
        zone_of[zone.key] = label
        item = merged.setdefault(label, {"name": zone.name, "members": [], "where": [], "parent": None,
                                         "by": by_of.get(zone.key, "extract:markdown")})
        item["where"].append(zone.where)
        for member in zone.members:
            node = keys.get(member)
            if node is not None and node.used and ids[id(node)] not in item["members"]:
                item["members"].append(ids[id(node)])
        if zone.parent is not None and item["parent"] is None:
            item["parent"] = zone.parent
    for item in merged.values():
        parent = zone_of.get(item["parent"]) if item["parent"] else None
        item["parent"] = parent if parent in merged and parent != normal(item["name"]) else None
    keep = _keep_zones(merged)
    boundary_ids = {label: _unique(_slug(merged[label]["name"]) or "zone", taken) for label in keep}
    homes: dict[str, str] = {}
    boundaries = []
    for label in keep:
        item = merged[label]
        members = []
        for member in item["members"]:
            if member in homes and not _nested(homes[member], label, merged):
                registry.notes.append(f"'{member}' is in zone '{merged[homes[member]]['name']}' and in "
                                  f"'{item['name']}'; it was left in the first")
                continue
            homes.setdefault(member, label)
            members.append(member)
        parent = boundary_ids.get(item["parent"]) if item["parent"] else None
        boundaries.append(TrustBoundary(id=boundary_ids[label], name=item["name"], elements=members,
                                        parent=parent, provenance=_provenance(item["by"], item["where"], [])))
    return boundaries

def _keep_zones(merged: dict[str, dict[str, Any]]) -> list[str]:
    """Zones that hold an element, or hold a zone that does (parents first)."""
    holding = {label for label, item in merged.items() if item["members"]}
    changed = True
    while changed:
        changed = False
        for label, item in merged.items():
            if label in holding and item["parent"] and item["parent"] not in holding:
                holding.add(item["parent"])
                changed = True
    ordered: list[str] = []

    def visit(label: str, seen: frozenset[str] = frozenset()) -> None:
        parent = merged[label]["parent"]
        if parent and parent not in ordered and parent not in seen and parent in holding:
            visit(parent, seen | {label})
        if label not in ordered:
            ordered.append(label)

    for label in merged:
        if label in holding:
            visit(label)
    return ordered


def _models_that_prompt(relations: list[tuple[Relation, str]], keys: dict[str, Node], kinds: dict[int, Kind]) -> None:
    """A component whose name says classifier or scorer but that sends to a language model is software asking the
    model ("the Summariser and Scorer sends each call to Claude"), not a model itself: ``process``."""
    for relation, _ in relations:
        source, target = keys.get(relation.source), keys.get(relation.target)
        if source is None or target is None or kinds.get(id(source)) is not Kind.ml_model:
            continue
        if kinds.get(id(target)) in (Kind.llm, Kind.model_provider) and source.kind_and_strength()[1] < EXPLICIT:
            kinds[id(source)] = Kind.process


def _tool_targets(relations: list[tuple[Relation, str]], keys: dict[str, Node], kinds: dict[int, Kind]
                  ) -> dict[int, list[tuple[Node, Where]]]:
    """For each component, the components at the other end of its flows that are not models, agents or
    callers, nor the registry it was installed from or the configuration that lists it: what a tool acts on."""
    callers = {Kind.agent, Kind.llm, Kind.model_provider, Kind.process, Kind.registry, Kind.agent_config, *TOOL_KINDS}
    found: dict[int, list[tuple[Node, Where]]] = {}
    for relation, _ in relations:
        source, target = keys.get(relation.source), keys.get(relation.target)
        if source is None or target is None or source is target or not (source.used and target.used):
            continue
        for this, other in ((source, target), (target, source)):
            if kinds.get(id(other)) not in callers and kinds.get(id(other)) is not None:
                found.setdefault(id(this), []).append((other, relation.where))
    return found


def _server_targets(tool: Node, keys: dict[str, Node], targets: dict[int, list[tuple[Node, Where]]]
                    ) -> list[tuple[Node, Where]]:
    """What a tool acts on when only its MCP server's flows say it: the one system that server talks to."""
    servers = {id(n): n for n in (keys.get(str(f.value)) for f in tool.facts if f.field == "server") if n is not None}
    if len(servers) != 1:
        return []
    server = next(iter(servers.values()))
    return [(n, w) for n, w in targets.get(id(server), []) if n is not tool]


def _zone_sources(extractions: Iterable[Extraction]) -> dict[str, str]:
    """zone key -> the extractor that found it, for provenance."""
    return {zone.key: extraction.by for extraction in extractions for zone in extraction.zones}


def _nested(first: str, second: str, merged: dict[str, dict[str, Any]]) -> bool:
    def ancestors(label: str) -> set[str]:
        found: set[str] = set()
        current = merged[label]["parent"]
        while current and current not in found:
            found.add(current)
            current = merged.get(current, {}).get("parent")
        return found

    return first in ancestors(second) or second in ancestors(first)


def _applies(field_name: str, kind: Kind) -> bool:
    if field_name in ("permissions", "acts_on"):  # drafted on tools only: agents and processes say it elsewhere
        return kind in TOOL_KINDS
    if field_name in FACT_KINDS:
        return kind in FACT_KINDS[field_name]
    return field_name in Element.model_fields


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(getattr(value, "value", value))


def _provenance(by: str, places: list[Where], more: list[Where]) -> SourceInfo:
    refs = []
    for where in [*places, *more]:
        ref = where.ref()
        if ref not in refs:
            refs.append(ref)
        if len(refs) >= MAX_SPANS:
            break
    return SourceInfo(by=by, draft=True, spans=refs)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-")


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate
