"""Structurizr DSL workspaces (``.dsl``): people, software systems, containers and components, their
relationships, and zones from enterprises, groups, software systems and deployment nodes.

``a -> b "Description" "Technology"`` is a relation (inside an element's braces ``-> b`` starts at that
element, and ``this`` is the element itself). A software system that has containers is a zone holding them
(a relationship with the system as a whole is reported, the container-level ones are drafted); one without
is an element. ``deploymentNode`` blocks are zones too, holding the containers deployed in them
(``containerInstance``) and their infrastructure nodes; a container deployed somewhere sits in that node's
zone rather than in its system's. Hierarchical identifiers (``system.container``) are understood. Views,
styles and themes say nothing about the system and are passed over; ``!include`` is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dicetm.ingest.extract_ir import (
    EXPLICIT,
    WEAK,
    Extraction,
    Relation,
    SourceText,
    Unresolved,
    Where,
    Zone,
    clean_label,
    protocol_facts,
)
from dicetm.model.system import Kind

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|->|\{|\}|=|[^\s"{}=]+')
_ELEMENTS = {"person", "softwaresystem", "container", "component", "infrastructurenode"}
_ZONES = {"enterprise", "group", "deploymentnode"}
_INSTANCES = {"containerinstance", "softwaresysteminstance"}
_SKIPPED_BLOCKS = {"views", "styles", "themes", "branding", "configuration", "terminology", "properties",
                   "perspectives", "users", "healthcheck"}


@dataclass
class _Open:
    keyword: str
    key: str | None = None  # the element this block belongs to
    zone: Zone | None = None
    identifier: str | None = None  # its (hierarchical) identifier
    skipped: bool = False


def is_structurizr(text: str) -> bool:
    return bool(re.search(r"^\s*workspace\b|^\s*model\s*\{", text, re.M))


def extract_structurizr(source: SourceText, out: Extraction, prefix: str) -> bool:
    if not is_structurizr(source.text):
        return False
    _Reader(source, out, prefix).read()
    return True


class _Reader:
    def __init__(self, source: SourceText, out: Extraction, prefix: str) -> None:
        self.source, self.out, self.prefix = source, out, prefix
        self.stack: list[_Open] = []
        self.ids: dict[str, str] = {}  # identifier (full and short) -> entity key
        self.system_zones: dict[str, Zone] = {}  # software system key -> its zone (when it has containers)
        self.deployed: dict[str, Zone] = {}  # container key -> the deployment node it runs in
        self.relations: list[tuple[str, str, list[str], Where]] = []
        self.archetypes: dict[str, tuple[str, list[str]]] = {}  # custom keyword -> (base keyword, its strings)
        self.counter = 0

    def read(self) -> None:
        in_comment = False
        for index, raw in enumerate(self.source.lines):
            line = raw.strip()
            if in_comment:
                in_comment = "*/" not in line
                continue
            if line.startswith("/*"):
                in_comment = "*/" not in line
                continue
            if not line or line.startswith(("//", "#")):
                continue
            where = self.source.where(index)
            if where is None:
                continue
            self._line(_TOKEN.findall(line), where)
        self._finish()

    def _line(self, tokens: list[str], where: Where) -> None:
        if not tokens:
            return
        if tokens[0] == "}":
            if self.stack:
                self.stack.pop()
            if len(tokens) > 1:
                self._line(tokens[1:], where)
            return
        opens = tokens[-1] == "{"
        if opens:
            tokens = tokens[:-1]
        if any(o.skipped for o in self.stack):
            if opens:
                self.stack.append(_Open("skipped", skipped=True))
            return
        identifier = None
        if len(tokens) >= 3 and tokens[1] == "=":
            identifier, tokens = tokens[0], tokens[2:]
        if not tokens:
            return
        keyword = tokens[0].lower()
        strings = [_unquote(t) for t in tokens[1:] if t.startswith('"')]
        archetype = self.stack[-1] if self.stack and self.stack[-1].keyword == "archetypes" else None
        if archetype is not None and identifier is not None:  # "microservice = group": a custom keyword
            self.archetypes[identifier.lower()] = (self.archetypes.get(keyword, (keyword, []))[0], [])
            if opens:
                self.stack.append(_Open("archetype", identifier=identifier.lower()))
            return
        if self.stack and self.stack[-1].keyword == "archetype":
            defined = self.archetypes.get(self.stack[-1].identifier or "")
            if defined is not None and keyword in ("technology", "tag", "tags", "description"):
                defined[1].append(f"{keyword} {' '.join(strings)}")
            return
        if keyword in self.archetypes:
            keyword = self.archetypes[keyword][0]
        if "->" in tokens:
            self._relation(tokens, where)
            opened = _Open("relationship")
        elif keyword.startswith("!"):
            if keyword in ("!include", "!ref", "!extend"):
                self.out.unresolved.append(Unresolved(where, f"{tokens[0]} of another file is not followed"))
            opened = _Open(keyword)
        elif keyword in _ELEMENTS and strings:
            opened = self._element(keyword, identifier, strings, where, tokens[0].lower())
        elif keyword in _ZONES:
            opened = self._zone(keyword, strings, where)
        elif keyword in _INSTANCES and len(tokens) > 1:
            opened = self._instance(tokens[1], where)
        elif keyword in ("description", "technology", "tags", "tag") and strings:
            self._property(keyword, strings)
            opened = _Open(keyword)
        else:
            opened = _Open(keyword, skipped=keyword in _SKIPPED_BLOCKS)
        if opens:
            self.stack.append(opened)

    def _parent_identifier(self) -> str | None:
        return next((o.identifier for o in reversed(self.stack) if o.identifier), None)

    def _zone_here(self) -> Zone | None:
        return next((o.zone for o in reversed(self.stack) if o.zone is not None), None)

    def _enclosing_zone(self) -> Zone | None:
        """The zone a new element or zone sits in: the innermost open zone, or the software system around it."""
        for entry in reversed(self.stack):
            if entry.zone is not None:
                return entry.zone
            if entry.key is not None and entry.keyword == "softwaresystem":
                return self._system_zone(entry.key)
        return None

    def _element(self, keyword: str, identifier: str | None, strings: list[str], where: Where,
                 keyword_used: str = "") -> _Open:
        self.counter += 1
        parent_id = self._parent_identifier()
        full = f"{parent_id}.{identifier}" if parent_id and identifier else identifier
        key = f"{self.prefix}:{full or self.counter}"
        description = strings[1] if len(strings) > 1 else ""
        technology = strings[2] if keyword in ("container", "component", "infrastructurenode") and len(strings) > 2 \
            else ""
        tags = " ".join(strings[3:] if technology else strings[2:])
        self.out.entity(key, clean_label(strings[0]), where, hint=description, technology=technology)
        self._tags(key, tags, keyword)
        for name in filter(None, (full, identifier)):
            self.ids.setdefault(name, key)
        zone = self._enclosing_zone()
        if zone is not None and key not in zone.members:
            zone.members.append(key)
        archetype = self.archetypes.get(keyword_used)
        for default in archetype[1] if archetype else []:
            word, _, value = default.partition(" ")
            self._property(word, [value], key)
        return _Open(keyword, key=key, identifier=full)

    def _tags(self, key: str, tags: str, keyword: str) -> None:
        entity = self.out.entities[key]
        lowered = tags.lower()
        if keyword == "person":
            entity.kind, entity.kind_strength = Kind.external_entity, EXPLICIT
        elif "database" in lowered and entity.kind_strength < WEAK:
            entity.kind, entity.kind_strength = Kind.data_store, WEAK
        elif keyword == "softwaresystem" and re.search(r"\b(?:external|existing)\b", lowered) \
                and entity.kind_strength < WEAK:
            entity.kind, entity.kind_strength = Kind.external_entity, WEAK
        if tags:
            entity.hint = f"{entity.hint} {tags}".strip() if not entity.hint else entity.hint

    def _system_zone(self, system_key: str) -> Zone:
        zone = self.system_zones.get(system_key)
        if zone is None:
            system = self.out.entities[system_key]
            position = next(i for i, o in enumerate(self.stack) if o.key == system_key)
            outer = next((o.zone for o in reversed(self.stack[:position]) if o.zone is not None), None)
            zone = Zone(f"{system_key}:zone", system.name, system.where[0], parent=outer.key if outer else None)
            self.out.zones.append(zone)
            self.system_zones[system_key] = zone
            if outer is not None and system_key in outer.members:
                outer.members.remove(system_key)
        return zone

    def _zone(self, keyword: str, strings: list[str], where: Where) -> _Open:
        self.counter += 1
        parent = self._enclosing_zone()
        name = clean_label(strings[0]) if strings else keyword
        zone = Zone(f"{self.prefix}:zone:{self.counter}", name, where, parent=parent.key if parent else None)
        self.out.zones.append(zone)
        return _Open(keyword, zone=zone)

    def _instance(self, reference: str, where: Where) -> _Open:
        key = self.ids.get(reference)
        zone = self._zone_here()
        if key is None:
            self.out.unresolved.append(Unresolved(where, f"'{reference}' is not an element of this workspace"))
            return _Open("instance")
        self.out.entities[key].where.append(where)
        if zone is not None:
            self.deployed.setdefault(key, zone)
        return _Open("instance", key=key)

    def _property(self, keyword: str, strings: list[str], key: str | None = None) -> None:
        if key is None:
            owner = next((o for o in reversed(self.stack) if o.key is not None), None)
            key = owner.key if owner is not None else None
        if key is None:
            return
        entity = self.out.entities[key]
        if keyword == "description" and not entity.hint:
            entity.hint = strings[0]
        elif keyword == "technology":
            entity.technology = strings[0]
        elif keyword in ("tags", "tag"):
            self._tags(key, " ".join(strings), "")

    def _relation(self, tokens: list[str], where: Where) -> None:
        arrow = tokens.index("->")
        owner = next((o.key for o in reversed(self.stack) if o.key is not None), None)
        left = tokens[arrow - 1] if arrow > 0 else "this"
        right = tokens[arrow + 1] if arrow + 1 < len(tokens) else ""
        strings = [_unquote(t) for t in tokens[arrow + 2:] if t.startswith('"')]
        ends = []
        for reference in (left, right):
            if reference == "this":
                ends.append(owner)
            else:
                ends.append(self.ids.get(reference) or self.ids.get(reference.split(".")[-1]))
        if ends[0] is None or ends[1] is None:
            self.relations.append((left, right, strings, where))  # perhaps declared further down
            return
        self.relations.append((ends[0], ends[1], strings, where))

    def _finish(self) -> None:
        for key, zone in self.deployed.items():
            for other in self.out.zones:
                if key in other.members and other is not zone:
                    other.members.remove(key)
            if key not in zone.members:
                zone.members.append(key)
        for zone in list(self.system_zones.values()):
            if not zone.members and not any(z.parent == zone.key for z in self.out.zones):
                self.out.zones.remove(zone)
        for left, right, strings, where in self.relations:
            source = left if left in self.out.entities else self.ids.get(left)
            target = right if right in self.out.entities else self.ids.get(right)
            if source is None or target is None:
                self.out.unresolved.append(Unresolved(where, "a relationship names an element the workspace "
                                                             "does not declare"))
                continue
            if source in self.system_zones or target in self.system_zones:
                self.out.unresolved.append(Unresolved(where, "a relationship with a software system as a whole; "
                                                             "its containers' relationships are drafted instead"))
                continue
            if source == target:
                continue
            data = clean_label(strings[0]) if strings else None
            technology = strings[1] if len(strings) > 1 else ""
            self.out.relations.append(Relation(source, target, where, data or None,
                                               facts=protocol_facts(technology, where)))
        for system_key in self.system_zones:
            self.out.entities.pop(system_key, None)


def _unquote(token: str) -> str:
    return token[1:-1].replace('\\"', '"') if token.startswith('"') else token
