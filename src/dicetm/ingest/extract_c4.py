"""C4 model macros, as C4-PlantUML and Mermaid's C4 diagrams write them: ``Person(alias, "Label", "Description")``,
``Container(alias, "Label", "Technology", "Description")``, ``System_Boundary(alias, "Label") {``, ``Rel(from, to,
"Label", "Technology")``...

``Rel_Back`` (and its variants) points from the second element to the first; ``BiRel`` goes both ways. The
``_Ext`` variants are outside the system; ``Db`` and ``Queue`` variants are stores. Boundaries and deployment
nodes are zones: the elements declared inside their braces are their members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dicetm.ingest.extract_ir import (
    EXPLICIT,
    WEAK,
    Extraction,
    Fact,
    Relation,
    SourceText,
    Unresolved,
    Where,
    Zone,
    clean_label,
    protocol_facts,
    split_top_level,
)
from dicetm.model.system import Kind

_CALL = re.compile(r"^\s*(?P<macro>[A-Za-z][A-Za-z_]*)\s*\((?P<args>.*)\)\s*(?P<open>\{)?\s*(?:'.*)?$")
_ELEMENT = re.compile(r"^(?P<base>Person|System|SystemDb|SystemQueue|Container|ContainerDb|ContainerQueue|Component|"
                      r"ComponentDb|ComponentQueue)(?P<ext>_Ext)?$")
_ZONE = re.compile(r"^(?:Boundary|System_Boundary|Container_Boundary|Enterprise_Boundary|Deployment_Node(?:_[LR])?|"
                   r"Node(?:_[LR])?)$")
_REL = re.compile(r"^(?P<back>Rel_Back|BiRel|Rel)(?:_(?:U|D|L|R|Up|Down|Left|Right|Neighbor|Back_Neighbor))?$")


@dataclass
class _Open:
    zone: Zone | None  # None: a brace that opens something else


def is_c4_macro(line: str) -> bool:
    match = _CALL.match(line)
    return bool(match and (_ELEMENT.match(match.group("macro")) or _ZONE.match(match.group("macro"))
                           or _REL.match(match.group("macro"))))


def split_args(text: str) -> list[str]:
    """Macro arguments split at top-level commas; quotes kept out, ``$name=value`` pairs kept as they are."""
    return [arg.strip('"').strip() for arg in split_top_level(text, ",")]


class C4Reader:
    """Reads C4 macro lines into an extraction; ``line(index)`` returns False for a line that is not one."""

    def __init__(self, source: SourceText, out: Extraction, prefix: str) -> None:
        self.source, self.out, self.prefix = source, out, prefix
        self.stack: list[_Open] = []
        self.pending_rels: list[tuple[list[str], str, int]] = []

    def line(self, index: int) -> bool:
        text = self.source.lines[index].strip()
        if text.startswith("}") and self.stack:
            self.stack.pop()
            return True
        if text == "Boundary_End()" and self.stack:
            self.stack.pop()
            return True
        match = _CALL.match(text)
        if match is None:
            return False
        macro, args = match.group("macro"), split_args(match.group("args"))
        positional = [a for a in args if not a.startswith("$")]
        where = self.source.where(index)
        if where is None or not positional:
            return True
        if element := _ELEMENT.match(macro):
            self._element(element, positional, where)
        elif _ZONE.match(macro):
            self._zone(positional, where, opens=bool(match.group("open")) or macro.endswith("Boundary"))
            return True
        elif rel := _REL.match(macro):
            self.pending_rels.append((positional, rel.group("back"), index))
        else:
            return False
        if match.group("open"):
            self.stack.append(_Open(None))
        return True

    def _element(self, match: re.Match[str], args: list[str], where: Where) -> None:
        base, external = match.group("base"), bool(match.group("ext"))
        alias, label = args[0], clean_label(args[1]) if len(args) > 1 else args[0]
        technology = args[2] if base.startswith(("Container", "Component")) and len(args) > 2 else ""
        description = args[3] if base.startswith(("Container", "Component")) and len(args) > 3 else (
            args[2] if len(args) > 2 else "")
        kind, strength = None, 0
        if base == "Person":
            kind, strength = Kind.external_entity, EXPLICIT
        elif base.endswith(("Db", "Queue")):
            kind, strength = Kind.data_store, EXPLICIT
        elif external:
            kind, strength = Kind.external_entity, WEAK
        entity = self.out.entity(f"{self.prefix}:{alias}", label or alias, where, kind=kind, kind_strength=strength,
                                 hint=description, technology=technology)
        if external and Fact("third_party", True, where, WEAK) not in entity.facts:
            entity.facts.append(Fact("third_party", True, where, WEAK))  # an "_Ext" element is someone else's
        zone = self._current_zone()
        if zone is not None and entity.key not in zone.members:
            zone.members.append(entity.key)

    def _zone(self, args: list[str], where: Where, *, opens: bool) -> None:
        parent = self._current_zone()
        zone = Zone(f"{self.prefix}:zone:{args[0]}", clean_label(args[1]) if len(args) > 1 else args[0], where,
                    parent=parent.key if parent else None)
        self.out.zones.append(zone)
        if opens:
            self.stack.append(_Open(zone))

    def _current_zone(self) -> Zone | None:
        return next((o.zone for o in reversed(self.stack) if o.zone is not None), None)

    def finish(self) -> None:
        """Relations, once every element is known (a Rel may come before the elements it joins)."""
        for args, macro, index in self.pending_rels:
            where = self.source.where(index)
            if where is None or len(args) < 2:
                continue
            source, target = (f"{self.prefix}:{args[0]}", f"{self.prefix}:{args[1]}")
            if macro == "Rel_Back":
                source, target = target, source
            if source not in self.out.entities or target not in self.out.entities:
                self.out.unresolved.append(Unresolved(where, "a relationship names an element the diagram does "
                                                              "not declare"))
                continue
            data = clean_label(args[2]) if len(args) > 2 else None
            technology = args[3] if len(args) > 3 else ""
            self.out.relations.append(Relation(source, target, where, data or None, bidirectional=macro == "BiRel",
                                               facts=protocol_facts(technology, where)))
