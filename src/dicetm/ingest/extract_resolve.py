"""The resolver: the entities every extractor found, merged into one model of drafted elements, flows and
trust boundaries, each with its provenance.

Merging: an entity joins a component already known under the same name, one of its aliases ("Vector DB
(VDB)" is also "VDB"), the same name written as an identifier ("assistant-backend"), a configuration name
that drops the head noun ("catalog-sync" for "Catalog Sync Job"), or another name of the same product
("postgres" and "PostgreSQL"). A component's kind is the strongest statement about it: a kind the document
names explicitly (a "Kind" column, a C4 Person, a stereotype), then the words of its own name, then the head
phrase of its description, then its technology, then the shape it is drawn with; ``process`` when nothing
says. A fact is the strongest statement about it too; statements of the same strength that disagree are not
guessed between: the fact stays unset and a question names both places. Classifications take the most
sensitive one stated and lists (permissions, output uses) collect what is stated, unless a statement is
exclusive ("read-only").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dicetm.ingest.extract_ir import (
    EXPLICIT,
    STATED,
    WEAK,
    Entity,
    Extraction,
    Fact,
    Relation,
    Where,
    Zone,
    split_name,
)
from dicetm.ingest.extract_kinds import UPGRADES, head_phrase, kind_words
from dicetm.ingest.extract_products import ProductIndex
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import (
    CLASSIFICATION_RANK,
    PROCESS_KINDS,
    STORE_KINDS,
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
_NOT_BUILT = re.compile(r"\b(?:planned|future|not\s+(?:yet\s+)?(?:built|started|deployed)|tbd|proposed|deprecated|"
                        r"retired|phase\s+\d|prototype|idea|spike)\b", re.I)
_IDENTIFIER = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")
_LEADING = re.compile(r"^(?:the|a|an|our|their|its)\s+", re.I)


def normal(name: str) -> str:
    """A name for comparing: case, markup, separators and a leading article do not count."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[*_`\"'“”‘’]+", " ", text.replace("-", " ").replace("/", " "))
    text = " ".join(text.split())
    return _LEADING.sub("", text)


_SHORT_FORMS = {"db": "database", "dbs": "databases", "repo": "repository", "app": "application", "svc": "service",
                "k8s": "kubernetes", "env": "environment", "msg": "message", "config": "configuration"}


def _variants(name: str) -> set[str]:
    base = normal(name)
    found = {base, " ".join(_SHORT_FORMS.get(word, word) for word in base.split())}  # "Case DB" is "Case Database"
    for variant in list(found):
        if len(variant) > 3 and variant.endswith("s") and not variant.endswith("ss"):
            found.add(variant[:-1])  # "Customers" is "Customer"
    return {v for v in found if v}


@dataclass
class Node:
    """One component of the drafted model: the entities of all documents that name it."""

    name: str
    entities: list[Entity] = field(default_factory=list)
    by: str = ""
    names: set[str] = field(default_factory=set)  # normalised names and aliases
    used: bool = True  # False while only mentioned in passing (a product named in prose, not yet needed)
    extra_facts: list[Fact] = field(default_factory=list)
    extra_where: list[Where] = field(default_factory=list)
    stated_kinds: list[Kind] = field(default_factory=list)  # "The Order Assistant is an LLM agent"
    implied_kind: Kind | None = None  # what its part says it is: the host of MCP servers runs an agent loop

    @property
    def structural(self) -> bool:
        return any(e.structural for e in self.entities)

    @property
    def where(self) -> list[Where]:
        places: list[Where] = []
        for item in [*(w for e in self.entities for w in e.where), *self.extra_where]:
            if item not in places:
                places.append(item)
        return places

    @property
    def facts(self) -> list[Fact]:
        return [*(f for e in self.entities for f in e.facts), *self.extra_facts]

    def kind(self) -> Kind:
        """The strongest statement about the kind (see the module docstring)."""
        return self.kind_and_strength()[0]

    def kind_and_strength(self) -> tuple[Kind, float]:
        candidates: list[tuple[float, int, Kind]] = []
        for order, entity in enumerate(self.entities):
            if entity.kind is not None and entity.kind_strength >= EXPLICIT:
                candidates.append((EXPLICIT, -order, entity.kind))
            named = kind_words().kind_of(entity.name)
            if named is not None:
                candidates.append((STATED + 0.5, -order, named))
            if entity.hint:
                described = kind_words().kind_of(head_phrase(entity.hint))
                if described is not None:
                    # "Reply Sender: a tool that ...": what the text says it is refines a generic name
                    upgrade = described in UPGRADES and named in (None, Kind.process, Kind.data_store)
                    said = re.match(r"\s*(?:is|are|acts\s+as|serves\s+as)\s+(?:a|an|the|our)\b", entity.hint, re.I)
                    strength = STATED + 0.7 if said else STATED + 0.6 if upgrade else STATED
                    candidates.append((strength, -order, described))  # "X is our agent loop" says what X is
            if entity.technology:
                built = kind_words().kind_of(entity.technology)
                if built is not None:
                    candidates.append((WEAK + 0.5, -order, built))
            if entity.kind is not None:
                candidates.append((min(entity.kind_strength, STATED - 0.5), -order, entity.kind))
        candidates += [(STATED + 0.7, 1, kind) for kind in self.stated_kinds]
        if self.implied_kind is not None:
            candidates.append((STATED + 0.55, 1, self.implied_kind))
        if not candidates:
            return Kind.process, 0
        strength, _, kind = max(candidates, key=lambda c: (c[0], c[1]))
        # a specific kind of the same group refines a generic one: a database shape named "Vector DB"
        group = STORE_KINDS if kind is Kind.data_store else PROCESS_KINDS if kind is Kind.process else None
        if group is not None:
            refined = [c for c in candidates if c[2] in group and c[2] is not kind and c[0] >= STATED + 0.5]
            if refined:
                return max(refined, key=lambda c: (c[0], c[1]))[2], strength
        if kind is Kind.model_provider and any(c[2] is Kind.llm and c[0] < EXPLICIT for c in candidates):
            return Kind.llm, strength  # "Anthropic API: hosted Claude models", "Azure OpenAI (gpt-4o)": the model
        return kind, strength


class Registry:
    """Every component found so far, by normalised name, in the order first found."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._by_name: dict[str, Node] = {}
        self._exact: dict[str, Node] = {}  # names as written: "ServiceNow" the system, "servicenow" its MCP server
        self._origins: dict[int, set[int]] = {}  # id(node) -> id(extraction) of each extraction it has entities of
        self._owner: dict[int, Node] = {}  # id(entity) -> its node
        self.notes: list[str] = []
        self.questions: list[str] = []
        self.products = ProductIndex()

    def add(self, entity: Entity, by: str, *, used: bool = True, origin: object = None) -> Node:
        """Merge ``entity`` into the component of the same name, or start a new one. Entities of one extraction
        (``origin``) with different keys are different components even when their names are the same."""
        entity.name = " ".join(entity.name.split())  # a name wrapped across lines is one name
        name, aliases, qualifier = split_name(entity.name)
        if name and name != entity.name:
            entity.aliases = [*aliases, entity.name, *entity.aliases]
            entity.name = name
            if qualifier and not entity.technology:
                entity.technology = qualifier
        node = self._match(entity)
        if node is not None and origin is not None and id(origin) in self._origins.get(id(node), set()):
            node = None  # one extraction's entities under different keys are different components
        if node is None:
            node = Node(entity.name, by=by, used=used)
            self.nodes.append(node)
        else:
            node.used = node.used or used
            if _IDENTIFIER.fullmatch(node.name) and not _IDENTIFIER.fullmatch(entity.name):
                node.name = entity.name  # "Conversation Store" rather than the compose service "conversation-store"
        node.entities.append(entity)
        if origin is not None:
            self._origins.setdefault(id(node), set()).add(id(origin))
        self._owner[id(entity)] = node
        for written in [entity.name, *entity.aliases]:
            self._exact.setdefault(written.strip(), node)
            for variant in _variants(written):
                node.names.add(variant)
                self._by_name.setdefault(variant, node)
        return node

    def alias(self, node: Node, name: str) -> None:
        """Another name the documents use for a component ("The Tutor Model is GPT-4o mini")."""
        self._exact.setdefault(name.strip(), node)
        for variant in _variants(name):
            node.names.add(variant)
            self._by_name.setdefault(variant, node)
        if node.entities and name not in node.entities[0].aliases:
            node.entities[0].aliases.append(name)

    def add_extraction(self, extraction: Extraction) -> dict[str, Node]:
        """Add every entity of an extraction; returns its keys' nodes. An entity that is not structural (a
        product named by an environment variable) is used when a relation of the extraction needs it."""
        ends = {key for r in extraction.relations for key in (r.source, r.target)}
        added = {}
        for key, entity in extraction.entities.items():
            qualifier = split_name(entity.name)[2]
            if _NOT_BUILT.search(qualifier):
                self.notes.append(f"{entity.where[0].place if entity.where else extraction.by}: '{entity.name}' "
                                  "not drafted: it is not built")
                continue
            added[key] = self.add(entity, extraction.by, used=entity.structural or key in ends, origin=extraction)
        return added

    def merge(self, keep: Node, drop: Node, keys: dict[str, Node]) -> None:
        """``drop`` is another name of ``keep``: one component from now on."""
        keep.entities += drop.entities
        keep.extra_facts += drop.extra_facts
        keep.extra_where += drop.extra_where
        keep.stated_kinds += drop.stated_kinds
        keep.names |= drop.names
        keep.used = keep.used or drop.used
        for table in (self._by_name, self._exact, self._owner):
            for name, node in table.items():
                if node is drop:
                    table[name] = keep  # type: ignore[index]
        for key, node in keys.items():
            if node is drop:
                keys[key] = keep
        self._origins.setdefault(id(keep), set()).update(self._origins.pop(id(drop), set()))
        self.nodes = [n for n in self.nodes if n is not drop]

    def node_of(self, entity: Entity) -> Node | None:
        return self._owner.get(id(entity))

    def find(self, name: str) -> Node | None:
        exact = self._exact.get(name.strip())
        return exact or next((self._by_name[v] for v in _variants(name) if v in self._by_name), None)

    def names(self) -> list[tuple[str, Node]]:
        """(name as matched in text, node) for every name and alias, longest first; a name of three words or
        more is also found by its last two ("the handbook repo" for "Engineering handbook repo") when no other
        component's name ends the same way."""
        seen: dict[str, Node] = {}
        tails: dict[str, list[Node]] = {}
        for node in self.nodes:
            for entity in node.entities:
                for name in [entity.name, *entity.aliases]:
                    seen.setdefault(name, node)
                    words = name.split()
                    if len(words) >= 3 and node.structural:
                        tails.setdefault(" ".join(words[-2:]), []).append(node)
        for tail, nodes in tails.items():
            if len({id(n) for n in nodes}) == 1 and normal(tail) not in self._by_name:
                seen.setdefault(tail, nodes[0])
        return sorted(seen.items(), key=lambda item: -len(item[0]))

    def _match(self, entity: Entity) -> Node | None:
        for name in [entity.name, *entity.aliases]:
            node = self.find(name)
            if node is not None:
                return node
        own = normal(entity.name)
        product = _product(own)
        for node in self.nodes:
            for other in node.names:
                if product is not None and _product(other) == product:
                    return node  # "postgres" and "PostgreSQL"
                if _IDENTIFIER.fullmatch(entity.name) and product is None:
                    # an identifier-like name ("catalog-sync") for "Catalog Sync Job"
                    rest = other[len(own):].strip() if other.startswith(own + " ") else ""
                    if rest and len(rest.split()) == 1 and kind_words().words.hits(rest):
                        return node
        return None

    # ------------------------------------------------------------------------------------------ output

    def system(self, name: str, extractions: Sequence[Extraction], keys: dict[str, Node]) -> System:
        """The drafted model: used nodes as elements, relations as flows, zones as trust boundaries."""
        taken: set[str] = set()
        ids: dict[int, str] = {}
        elements: list[Element] = []
        kinds: dict[int, Kind] = {}
        nodes = [n for n in self.nodes if n.used]
        for node in nodes:
            kinds[id(node)] = node.kind()
            ids[id(node)] = _unique(_slug(node.name) or kinds[id(node)].value, taken)
        relations = [(r, e.by) for e in extractions for r in e.relations]
        targets = _tool_targets(relations, keys, kinds)
        for node in nodes:
            if kinds[id(node)] is Kind.tool and not any(f.field == "acts_on" for f in node.facts):
                found = targets.get(id(node), [])
                if len({id(n) for n, _ in found}) == 1:  # the one system the tool reads or changes
                    node.extra_facts.append(Fact("acts_on", found[0][0].entities[0].key, found[0][1]))
            facts = self._facts(node, kinds[id(node)], ids, keys)
            elements.append(Element(id=ids[id(node)], name=node.name, kind=kinds[id(node)], **facts,
                                    provenance=_provenance(node.by, node.where, [f.where for f in node.facts])))
        flows = self._flows(relations, keys, ids, taken)
        zones = [z for e in extractions for z in e.zones]
        boundaries = self._boundaries(zones, keys, ids, taken, _zone_sources(extractions))
        return System(name=name, elements=elements, flows=flows, trust_boundaries=boundaries)

    def _facts(self, node: Node, kind: Kind, ids: dict[int, str], keys: dict[str, Node]) -> dict[str, Any]:
        by_field: dict[str, list[Fact]] = {}
        for fact in node.facts:
            if _applies(fact.field, kind):
                by_field.setdefault(fact.field, []).append(fact)
        settled: dict[str, Any] = {}
        for name, facts in by_field.items():
            strongest = max(f.strength for f in facts)
            facts = [f for f in facts if f.strength == strongest]
            value = self._settle(node, name, facts)
            if value is not None:
                settled[name] = value
        if "acts_on" in settled:
            target = keys.get(str(settled["acts_on"])) or self.find(str(settled["acts_on"]))
            if target is None or not target.used or target is node:
                settled.pop("acts_on")
            else:
                settled["acts_on"] = ids[id(target)]
        return settled

    def _settle(self, node: Node, name: str, facts: list[Fact]) -> Any:
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
        self.questions.append(f"{node.name}: the documents disagree on {name}: " + "; ".join(places)
                              + ". Which is right?")
        return None

    def _flows(self, relations: list[tuple[Relation, str]], keys: dict[str, Node], ids: dict[int, str],
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

    def _boundaries(self, zones: list[Zone], keys: dict[str, Node], ids: dict[int, str], taken: set[str],
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
        keep = self._keep_zones(merged)
        boundary_ids = {label: _unique(_slug(merged[label]["name"]) or "zone", taken) for label in keep}
        homes: dict[str, str] = {}
        boundaries = []
        for label in keep:
            item = merged[label]
            members = []
            for member in item["members"]:
                if member in homes and not _nested(homes[member], label, merged):
                    self.notes.append(f"'{member}' is in zone '{merged[homes[member]]['name']}' and in "
                                      f"'{item['name']}'; it was left in the first")
                    continue
                homes.setdefault(member, label)
                members.append(member)
            parent = boundary_ids.get(item["parent"]) if item["parent"] else None
            boundaries.append(TrustBoundary(id=boundary_ids[label], name=item["name"], elements=members,
                                            parent=parent, provenance=_provenance(item["by"], item["where"], [])))
        return boundaries

    @staticmethod
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


def _tool_targets(relations: list[tuple[Relation, str]], keys: dict[str, Node], kinds: dict[int, Kind]
                  ) -> dict[int, list[tuple[Node, Where]]]:
    """For each component, the components at the other end of its flows that are not models, agents or
    callers: what a tool acts on."""
    callers = {Kind.agent, Kind.llm, Kind.model_provider, Kind.process, Kind.tool}
    found: dict[int, list[tuple[Node, Where]]] = {}
    for relation, _ in relations:
        source, target = keys.get(relation.source), keys.get(relation.target)
        if source is None or target is None or source is target or not (source.used and target.used):
            continue
        for this, other in ((source, target), (target, source)):
            if kinds.get(id(other)) not in callers and kinds.get(id(other)) is not None:
                found.setdefault(id(this), []).append((other, relation.where))
    return found


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
    if field_name in ("permissions", "acts_on"):
        return kind is Kind.tool
    return field_name in Element.model_fields


def _product(name: str) -> str | None:
    hits = vocabulary().hits(name)
    if len(hits) == 1 and hits[0].product is not None and hits[0].start == 0 and hits[0].end == len(name):
        return hits[0].product
    return None


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


__all__ = ["MAX_SPANS", "Node", "Registry", "normal"]
