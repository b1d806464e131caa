"""PlantUML diagrams (``.puml`` files and ``@startuml`` code blocks): component, deployment and sequence
diagrams, and C4-PlantUML.

Elements are declared with a keyword (``component "Label" as alias``, ``database "Menu DB" as mdb``,
``actor User``, ``participant "Kiosk App" as kiosk``) or in short form (``[Business Logic]``, ``:User:``); an
arrow between two of them is a relation (``A --> B : label``, ``A <- B``, ``A -up-> B``, ``A -[#red]-> B``;
both heads: both ways; no head: no direction, reported). Undeclared names in an arrow are participants of
their own, as in a sequence diagram. A ``package``/``node``/``cloud``/``frame``/``rectangle``... with braces
holding elements is a zone, as is a sequence ``box``; an empty one is an element. The keyword hints at the
kind (``actor`` is a person, ``database``/``queue`` a store) and so does a ``<<stereotype>>``. A file that
uses the C4 macros (``Container(...)``, ``Rel(...)``) is read with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dicetm.ingest.extract_c4 import C4Reader, is_c4_macro
from dicetm.ingest.extract_ir import (
    EXPLICIT,
    Entity,
    Extraction,
    Relation,
    SourceText,
    Unresolved,
    Where,
    Zone,
    clean_label,
    describe,
    first_line,
    protocol_facts,
)
from dicetm.ingest.extract_kinds import kind_words
from dicetm.model.system import Kind

_KEYWORDS = ("actor|agent|artifact|boundary|card|circle|cloud|collections|component|control|database|entity|file|"
             "folder|frame|hexagon|interface|label|node|package|participant|person|queue|rectangle|stack|storage|"
             "usecase|process|namespace")
_PEOPLE = frozenset({"actor", "person"})
_STORES = frozenset({"database", "storage", "collections", "queue", "stack"})
_NAME = r'"[^"]*"|\[[^\]]+\]|:[^:]+:|\([^)]*\)|[\w.$\u00c0-\uffff](?:[\w.$\u00c0-\uffff]|-(?![-.>]))*'
_DECLARATION = re.compile(
    rf"^(?P<keyword>{_KEYWORDS})\s+(?P<first>{_NAME})(?:\s+as\s+(?P<second>{_NAME}))?"
    r"(?P<rest>.*?)\s*(?P<open>\{)?\s*$", re.I)
_SHORT = re.compile(rf"^(?P<first>\[[^\]]+\]|:[^:]+:|\(\)\s*(?:\"[^\"]*\"|\w+))(?:\s+as\s+(?P<second>{_NAME}))?"
                    r"(?P<rest>[^-.<>=]*)$")
_END = r'\[[^\]]+\]|"[^"]+"|:[^:]+:|\(\)\s*"?[\w ]+"?|[\w.$\u00c0-\uffff]+(?:-(?![-.>]))?[\w.$\u00c0-\uffff]*'
_ARROW = re.compile(
    rf"^(?P<left>{_END})\s*(?P<arrow>(?P<lhead><<|<\|?|<|\(|\)|o|\*|\\\\|//|x(?=[-.]))?"
    r"(?P<body>[-.=]+(?:\[(?P<style>[^\]]*)\])?(?:(?:up|down|left|right|u|d|l|r)(?=[-.]))?[-.=]*)"
    rf"(?P<rhead>>>|\|>|>|\(|\)|o(?=\s)|\*|\\\\|//|x(?=\s|$))?)\s*[+-]?\s*(?P<right>{_END})\s*"
    r"(?::\s*(?P<label>.*))?$", re.I)
_COMMENT_END = r".*'/"
_NOTE_OF = re.compile(r"^(?:r|h)?note\s+(?:left|right|top|bottom|over)\s+(?:of\s+)?(\"[^\"]+\"|[\w.-]+)", re.I)
_SKIP = re.compile(r"^(?:title|skinparam|hide|show|left to right|top to bottom|!|scale|caption|header|footer|"
                   r"autonumber|activate|deactivate|destroy|return|ref over|==|\.\.\.|\|\|\||newpage|allowmixing|"
                   r"legend|endlegend|sprite|together|set|remove|@startuml|@enduml|LAYOUT_|SHOW_|HIDE_|Add\w+Tag|"
                   r"UpdateElementStyle|UpdateRelStyle|Lay_)", re.I)
_BLOCK_START = re.compile(r"^(?:alt|else|opt|loop|par|break|critical|group)\b", re.I)


def is_plantuml(text: str) -> bool:
    return bool(re.search(r"^\s*@start(?:uml|c4)\b", text, re.M))


@dataclass
class _Container:
    keyword: str
    key: str
    zone: Zone
    entity: Entity | None


def extract_plantuml(source: SourceText, out: Extraction, prefix: str) -> bool:
    """Add the diagram's entities, relations and zones to ``out``; False when there is nothing PlantUML in it."""
    text = source.text
    if not is_plantuml(text) and not any(is_c4_macro(line) for line in source.lines):
        return False
    if any(is_c4_macro(line) for line in source.lines):
        reader = C4Reader(source, out, prefix)
        for index in range(len(source.lines)):
            reader.line(index)
        reader.finish()
        return True
    _Reader(source, out, prefix).read()
    return True


class _Reader:
    def __init__(self, source: SourceText, out: Extraction, prefix: str) -> None:
        self.source, self.out, self.prefix = source, out, prefix
        self.stack: list[_Container | None] = []  # open braces and sequence blocks; None for other blocks
        self.by_name: dict[str, str] = {}  # alias or label (folded) -> entity key
        self.containers: list[_Container] = []
        self.referenced: set[str] = set()

    def read(self) -> None:
        skipping: str | None = None  # the line that ends a multi-line note, legend or comment
        about: str | None = None  # the element a note is attached to ("note right of portal")
        for index, raw in enumerate(self.source.lines):
            line = raw.strip()
            if skipping is not None:
                if re.match(skipping, line, re.I):
                    skipping = None
                elif skipping != _COMMENT_END:
                    self._remark(index, raw, subject=about)  # a line of a note or a legend
                continue
            if not line or line.startswith("'"):
                continue
            if line.startswith("/'"):
                skipping = None if "'/" in line else _COMMENT_END
                continue
            attached = _NOTE_OF.match(line)
            about = self.by_name.get(attached.group(1).strip('"').casefold()) if attached else None
            if re.match(r"^(?:r|h)?note\b", line, re.I) and ":" not in line:
                skipping = r"^end\s*(?:r|h)?note"
                continue
            if re.match(r"^legend\b", line, re.I):
                skipping = r"^end\s*legend"
                continue
            where = self.source.where(index)
            if where is None or re.match(r"^(?:r|h)?note\b", line, re.I):
                if where is not None:
                    self._remark(index, raw, raw.index(":") + 1, about)  # "note right of X : SELECT only."
                continue
            self._line(line, where)
        self._finish()

    def _remark(self, index: int, raw: str, start: int = 0, subject: str | None = None) -> None:
        remark = self.source.remark(index, start + len(raw[start:]) - len(raw[start:].lstrip()), subject=subject)
        if remark is not None:
            self.out.remarks.append(remark)

    def _line(self, line: str, where: Where) -> None:
        if line.startswith("}") or re.match(r"^end\s*box\b", line, re.I):
            if self.stack:
                self.stack.pop()
            return
        if box := re.match(r'^box\b\s*(?:"(?P<name>[^"]*)"|(?P<bare>[^#]*))?', line, re.I):
            name = clean_label(box.group("name") or box.group("bare") or "") or "box"
            zone = Zone(f"{self.prefix}:zone:{len(self.out.zones)}", name, where, parent=self._zone_key())
            self.out.zones.append(zone)
            self.stack.append(_Container("box", zone.key, zone, None))
            return
        if _BLOCK_START.match(line):
            if not line.lower().startswith("else"):
                self.stack.append(None)
            return
        if line.lower() == "end" or line.lower().startswith("end "):
            if self.stack:
                self.stack.pop()
            return
        if _SKIP.match(line):
            return
        if arrow := _ARROW.match(line):
            self._arrow(arrow, where)
            return
        if declaration := _DECLARATION.match(line):
            self._declare(declaration.group("keyword").lower(), declaration.group("first"),
                          declaration.group("second"), declaration.group("rest"), bool(declaration.group("open")),
                          where)
            return
        if short := _SHORT.match(line):
            keyword = "actor" if short.group("first").startswith(":") else "component"
            self._declare(keyword, short.group("first"), short.group("second"), short.group("rest"), False, where)

    def _declare(self, keyword: str, first: str, second: str | None, rest: str, opens: bool, where: Where) -> str:
        label, alias = _label_and_alias(first, second)
        name, more = first_line(label)
        key = self.by_name.get(alias.casefold()) or f"{self.prefix}:{alias}"
        stereotype = " ".join(re.findall(r"<<\s*([^>]+?)\s*>>", rest))
        if opens and keyword not in _PEOPLE:
            zone = Zone(f"{self.prefix}:zone:{alias}", name or alias, where, parent=self._zone_key())
            self.out.zones.append(zone)
            container = _Container(keyword, key, zone, None)
            self.containers.append(container)
            self.stack.append(container)
            self.by_name.setdefault(alias.casefold(), key)
            self.by_name.setdefault((name or alias).casefold(), key)
            return key
        entity = self.out.entity(key, name or alias, where, hint=stereotype)
        describe(entity, more)
        self._kind(entity, keyword, stereotype)
        for word in (alias, name):
            self.by_name.setdefault(word.casefold(), key)
        home = self._zone()
        if home is not None and key not in home.members and not any(key in z.members for z in self.out.zones):
            home.members.append(key)
        if opens:
            self.stack.append(None)
        return key

    @staticmethod
    def _kind(entity: Entity, keyword: str, stereotype: str) -> None:
        explicit = kind_words().kind_of(stereotype) if stereotype else None
        if explicit is not None:
            entity.kind, entity.kind_strength = explicit, EXPLICIT
        elif keyword in _PEOPLE:
            entity.kind, entity.kind_strength = Kind.external_entity, EXPLICIT
        elif keyword in _STORES:
            entity.kind, entity.kind_strength = Kind.data_store, EXPLICIT

    def _end(self, text: str, where: Where) -> str:
        """The entity key an arrow end names, declaring it (as a participant) on first use."""
        text = text.strip()
        if text.startswith("()"):
            text = text[2:].strip()
        label, alias = _label_and_alias(text, None)
        key = self.by_name.get(alias.casefold()) or self.by_name.get(first_line(label)[0].casefold())
        if key is None:
            keyword = "actor" if text.startswith(":") else "participant"
            key = self._declare(keyword, text, None, "", False, where)
        self.referenced.add(key)
        return key

    def _arrow(self, match: re.Match[str], where: Where) -> None:
        style = (match.group("style") or "").lower()
        if "hidden" in style:
            return
        source, target = self._end(match.group("left"), where), self._end(match.group("right"), where)
        lhead, rhead = match.group("lhead") or "", match.group("rhead") or ""
        left = lhead.startswith("<") or lhead in ("\\\\", "//", "(")
        right = rhead.endswith(">") or rhead in ("\\\\", "//", "x", "(")
        if source == target:
            return
        if not left and not right:
            self.out.unresolved.append(Unresolved(where, "a link without an arrow head: its direction is not "
                                                         "stated"))
            return
        if left and not right:
            source, target = target, source
        data = clean_label(match.group("label") or "") or None
        self.out.relations.append(Relation(source, target, where, data, bidirectional=left and right,
                                           facts=protocol_facts(data or "", where)))

    def _zone(self) -> Zone | None:
        return next((c.zone for c in reversed(self.stack) if c is not None), None)

    def _zone_key(self) -> str | None:
        zone = self._zone()
        return zone.key if zone else None

    def _finish(self) -> None:
        """A container with nothing inside is an element after all (``cloud Internet {}``)."""
        for container in self.containers:
            zone = container.zone
            nested = any(z.parent == zone.key for z in self.out.zones)
            if zone.members or nested:
                continue
            self.out.zones.remove(zone)
            entity = self.out.entity(container.key, zone.name, zone.where)
            self._kind(entity, container.keyword, "")
            parent = next((z for z in self.out.zones if z.key == zone.parent), None)
            if parent is not None:
                parent.members.append(container.key)


def _label_and_alias(first: str, second: str | None) -> tuple[str, str]:
    """The label (possibly with line breaks) and the alias of ``first [as second]``."""
    def unwrap(text: str) -> tuple[str, bool]:
        text = text.strip()
        if len(text) >= 2 and (text[0], text[-1]) in (('"', '"'), ("[", "]"), (":", ":"), ("(", ")")):
            return text[1:-1], True
        return text, False

    a, a_quoted = unwrap(first)
    if second is None:
        return a, first_line(a)[0] if a_quoted else a
    b, b_quoted = unwrap(second)
    if a_quoted or not b_quoted:
        return a, b
    return b, a
