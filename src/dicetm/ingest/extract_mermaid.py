"""Mermaid diagrams (``.mmd`` files and Markdown/HTML code blocks): flowcharts, sequence diagrams, C4 diagrams.

Flowchart (``graph``/``flowchart``): every node is an entity named by its label (the first line of it; the
node id when it has none), every edge with an arrow head a relation (``-->``, ``==>``, ``-.->``, ``--text-->``,
``-->|text|``; ``<-->`` both ways; chains ``A --> B --> C`` and ``A & B --> C``), the edge text its data.
A link without an arrow head (``---``) says no direction: it is reported, not drafted. A ``subgraph`` is a
zone holding the nodes that appear inside it (first subgraph wins; nested subgraphs nest). A database shape
(``[(...)]``) hints at a store.

Sequence diagram: participants and actors are entities (``participant API as Triage API``), each message a
relation in its own direction (a reply ``-->>`` too), ``box`` a zone. C4 diagrams use the C4 macros.
"""

from __future__ import annotations

import itertools
import re

from dicetm.ingest.extract_c4 import C4Reader
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
    describe,
    first_line,
    protocol_facts,
    split_top_level,
)
from dicetm.model.system import Kind

_HEADER = re.compile(r"^\s*(?P<type>graph|flowchart|sequenceDiagram|C4Context|C4Container|C4Component|C4Dynamic|"
                     r"C4Deployment)\b", re.I)
_OTHER = re.compile(r"^\s*(?:classDiagram|erDiagram|stateDiagram|gantt|pie|journey|mindmap|timeline|gitGraph|"
                    r"quadrantChart|requirementDiagram|sankey|xychart|block|packet|kanban|architecture)", re.I)
_ID = r"[A-Za-z0-9_\u00c0-\uffff](?:[\w.\u00c0-\uffff]|-(?![-.>=]))*"
_NODE_ID = re.compile(_ID)
_SHAPES = (("(((", ")))"), ("((", "))"), ("([", "])"), ("[[", "]]"), ("[(", ")]"), ("{{", "}}"), ("[/", "/]"),
           ("[/", "\\]"), ("[\\", "\\]"), ("[\\", "/]"), (">", "]"), ("[", "]"), ("(", ")"), ("{", "}"))
_EDGE = re.compile(
    r"\s*(?P<start>[<xo])?(?:(?P<open>--|==|-\.)(?![->=.])\s*(?P<text>[^|]*?)\s*(?P<close>-{2,}|={2,}|\.+-)"
    r"|(?P<plain>-{2,}|={2,}|-?\.+-|~{3,}))(?P<end>[>xo])?(?:\s*\|(?P<label>[^|]*)\|)?\s*")
_EDGE_ID = re.compile(r"\s*[A-Za-z_][\w-]*@(?=[-=.<ox~])")
_PARTICIPANT = re.compile(r"^\s*(?:create\s+)?(?P<type>participant|actor)\s+(?P<id>\"[^\"]+\"|[^\s@]+)"
                          r"(?:@\{(?P<meta>[^}]*)\})?(?:\s+as\s+(?P<label>.+?))?\s*$", re.I)
_MESSAGE = re.compile(r"^\s*(?P<source>[^\s<>\-+:][^<>:]*?)\s*(?P<arrow><<-->>|<<->>|-->>|->>|-->|->|--x|-x|--\)|-\))"
                      r"\s*[+-]?\s*(?P<target>[^:]+?)\s*(?::\s*(?P<text>.*))?$")
_BLOCK = re.compile(r"^\s*(?:loop|alt|opt|par|critical|break|rect)\b", re.I)
_BOX = re.compile(r"^\s*box\b\s*(?P<label>.*)$", re.I)


def is_mermaid(text: str) -> bool:
    """Whether ``text`` is a Mermaid diagram of a kind dicetm reads (front matter and comments skipped)."""
    return _diagram_type(text.split("\n")) is not None


def _diagram_type(lines: list[str] | tuple[str, ...]) -> str | None:
    in_front_matter = False
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number == 0 and stripped == "---":
            in_front_matter = True
            continue
        if in_front_matter:
            in_front_matter = stripped != "---"
            continue
        if not stripped or stripped.startswith("%%"):
            continue
        match = _HEADER.match(stripped)
        return match.group("type").lower() if match else None
    return None


def extract_mermaid(source: SourceText, out: Extraction, prefix: str) -> bool:
    """Add the diagram's entities, relations and zones to ``out``; False when ``source`` is not one dicetm reads."""
    kind = _diagram_type(source.lines)
    if kind is None:
        first = next((line for line in source.lines if line.strip() and not line.strip().startswith("%%")), "")
        if _OTHER.match(first):
            where = source.where(source.lines.index(first))
            if where is not None:
                out.unresolved.append(Unresolved(where, "a Mermaid diagram of a kind that shows no components "
                                                        "(class, entity, state, chart...)"))
        return False
    if kind in ("graph", "flowchart"):
        _Flowchart(source, out, prefix).read()
    elif kind == "sequencediagram":
        _Sequence(source, out, prefix).read()
    else:
        reader = C4Reader(source, out, prefix)
        for index in range(len(source.lines)):
            reader.line(index)
        reader.finish()
    for index, line in enumerate(source.lines):
        comment = re.match(r"\s*%%(?!\{)\s*", line)
        if comment is not None:  # "%% Notes: the Web Research Tool is read-only": read for facts
            remark = source.remark(index, comment.end())
            if remark is not None:
                out.remarks.append(remark)
    return True


# --------------------------------------------------------------------------------------------- flowchart


class _Flowchart:
    def __init__(self, source: SourceText, out: Extraction, prefix: str) -> None:
        self.source, self.out, self.prefix = source, out, prefix
        self.zones: list[Zone] = []  # open subgraphs, innermost last
        self.placed: set[str] = set()
        self.subgraph_ids: dict[str, Zone] = {}

    def read(self) -> None:
        started = False
        for index, line in enumerate(self.source.lines):
            text = _strip_comment(line).strip()
            if not text:
                continue
            if not started:
                started = bool(_HEADER.match(text))
                text = _HEADER.sub("", text, count=1).strip()
                text = re.sub(r"^(?:TB|TD|BT|RL|LR)\b", "", text).strip().lstrip(";").strip()
                if not text:
                    continue
            for statement in split_top_level(text, ";"):
                self._statement(index, statement)

    def _statement(self, index: int, text: str) -> None:
        where = self.source.where(index)
        if where is None:
            return
        if match := re.match(r"^subgraph\s+(.*)$", text):
            self._subgraph(match.group(1).strip(), where)
            return
        if text == "end":
            if self.zones:
                self.zones.pop()
            return
        if re.match(r"^(?:direction|classDef|class|style|linkStyle|click|accTitle|accDescr|title)\b", text):
            return
        self._chain(index, text, where)

    def _subgraph(self, rest: str, where: Where) -> None:
        match = re.match(rf"^({_ID})\s*\[(.*)\]\s*$", rest)
        if match:
            key, label = match.group(1), clean_label(match.group(2))
        else:
            label = clean_label(rest)
            key = label
        parent = self.zones[-1] if self.zones else None
        zone = Zone(f"{self.prefix}:zone:{key}", label or key, where, parent=parent.key if parent else None)
        self.out.zones.append(zone)
        self.zones.append(zone)
        self.subgraph_ids[key] = zone

    def _chain(self, index: int, text: str, where: Where) -> None:
        groups: list[list[str]] = []
        edges: list[re.Match[str]] = []
        position = 0
        while True:
            group, position = self._node_group(text, position, where)
            if not group:
                break
            groups.append(group)
            edge_id = _EDGE_ID.match(text, position)  # "A e1@--> B": an edge id, for styling
            position = edge_id.end() if edge_id else position
            edge = _EDGE.match(text, position)
            if edge is None or edge.end() == position or not (edge.group("open") or edge.group("plain")):
                break
            edges.append(edge)
            position = edge.end()
        for (left, right), edge in zip(itertools.pairwise(groups), edges, strict=False):
            for source in left:
                for target in right:
                    self._edge(source, target, edge, where)

    def _node_group(self, text: str, position: int, where: Where) -> tuple[list[str], int]:
        """``A[Label] & B`` at ``position``: the entity keys and where the group ends."""
        keys: list[str] = []
        while True:
            match = _NODE_ID.match(text, position)
            if match is None:
                return keys, position
            node_id, position = match.group(0), match.end()
            label, shape, position = _shape(text, position)
            position = _skip_class(text, position)
            keys.append(self._node(node_id, label, shape, where))
            amp = re.match(r"\s*&\s*", text[position:])
            if amp is None:
                return keys, position
            position += amp.end()

    def _node(self, node_id: str, label: str | None, shape: str | None, where: Where) -> str:
        if node_id in self.subgraph_ids and label is None:
            return f"zone:{node_id}"
        key = f"{self.prefix}:{node_id}"
        known = key in self.out.entities
        name, more = first_line(label) if label else (node_id, "")
        name = re.sub(r"^fa[bsr]?:fa-[\w-]+\s*", "", name)
        if known and label is None:
            entity = self.out.entities[key]
            if where not in entity.where:
                entity.where.append(where)
        else:
            entity = self.out.entity(key, name or node_id, where)
            if label is not None:
                entity.name = name or node_id
                describe(entity, more)
            if shape == "[(" and entity.kind is None:
                entity.kind, entity.kind_strength = Kind.data_store, EXPLICIT
            if label and re.search(r"fa:fa-(?:user|users|person|child|female|male)\b", label):
                entity.kind, entity.kind_strength = Kind.external_entity, EXPLICIT
        if self.zones and key not in self.placed:
            self.zones[-1].members.append(key)
            self.placed.add(key)
        return key

    def _edge(self, source: str, target: str, edge: re.Match[str], where: Where) -> None:
        data = clean_label(edge.group("label") or edge.group("text") or "") or None
        starts, ends = edge.group("start") == "<", edge.group("end") == ">"
        if source.startswith("zone:") or target.startswith("zone:"):
            self.out.unresolved.append(Unresolved(where, "an edge to or from a subgraph, not a component"))
            return
        if source == target:
            return
        if not starts and not ends:
            self.out.unresolved.append(Unresolved(where, "a link without an arrow head: its direction is not "
                                                         "stated"))
            return
        if starts and not ends:
            source, target = target, source
        self.out.relations.append(Relation(source, target, where, data, bidirectional=starts and ends,
                                           facts=protocol_facts(data or "", where)))


def _strip_comment(line: str) -> str:
    return "" if line.strip().startswith("%%") else line


def _shape(text: str, position: int) -> tuple[str | None, str | None, int]:
    """A node's label and shape opener at ``position`` (``[Label]``, ``[("Label")]``, ``@{ label: ... }``)."""
    if text.startswith("@{", position):
        close = text.find("}", position)
        if close < 0:
            return None, None, position
        body = text[position + 2:close]
        label = re.search(r"label\s*:\s*\"([^\"]*)\"", body)
        shape = re.search(r"shape\s*:\s*([\w-]+)", body)
        opener = "[(" if shape and shape.group(1) in ("cyl", "db", "database", "disk", "lin-cyl", "h-cyl") else None
        return (label.group(1) if label else None), opener, close + 1
    for opener, closer in _SHAPES:
        if not text.startswith(opener, position):
            continue
        start = position + len(opener)
        if start < len(text) and text[start] == '"':
            quote_end = text.find('"', start + 1)
            end = text.find(closer, quote_end + 1) if quote_end >= 0 else -1
        else:
            end = text.find(closer, start)
        if end < 0:
            continue
        return text[start:end].strip(), opener, end + len(closer)
    return None, None, position


def _skip_class(text: str, position: int) -> int:
    match = re.match(r":::[\w-]+", text[position:])
    return position + match.end() if match else position


# ---------------------------------------------------------------------------------------------- sequence


class _Sequence:
    def __init__(self, source: SourceText, out: Extraction, prefix: str) -> None:
        self.source, self.out, self.prefix = source, out, prefix
        self.blocks: list[Zone | None] = []  # open blocks: a box is a zone, loop/alt/opt... are None

    def read(self) -> None:
        for index, line in enumerate(self.source.lines):
            text = _strip_comment(line).strip()
            where = self.source.where(index)
            if not text or where is None or _HEADER.match(text):
                continue
            if participant := _PARTICIPANT.match(text):
                self._participant(participant, where)
            elif box := _BOX.match(text):
                zone = Zone(f"{self.prefix}:zone:{len(self.out.zones)}", _box_label(box.group("label")), where)
                self.out.zones.append(zone)
                self.blocks.append(zone)
            elif _BLOCK.match(text):
                self.blocks.append(None)
            elif text == "end":
                if self.blocks:
                    self.blocks.pop()
            elif message := _MESSAGE.match(text):
                self._message(message, where)

    def _key(self, raw: str) -> str:
        return f"{self.prefix}:{raw.strip().strip(chr(34))}"

    def _participant(self, match: re.Match[str], where: Where) -> None:
        raw = match.group("id").strip('"')
        label = clean_label(match.group("label") or raw)
        name, more = first_line(label)
        actor = match.group("type").lower() == "actor" or '"actor"' in (match.group("meta") or "")
        database = '"database"' in (match.group("meta") or "")
        entity = self.out.entity(self._key(raw), name or raw, where)
        entity.name = name or raw
        describe(entity, more)
        if actor:
            entity.kind, entity.kind_strength = Kind.external_entity, EXPLICIT
        elif database:
            entity.kind, entity.kind_strength = Kind.data_store, WEAK
        zone = next((b for b in reversed(self.blocks) if b is not None), None)
        if zone is not None and entity.key not in zone.members:
            zone.members.append(entity.key)

    def _message(self, match: re.Match[str], where: Where) -> None:
        source, target = self._key(match.group("source")), self._key(match.group("target"))
        for key, raw in ((source, match.group("source")), (target, match.group("target"))):
            if key not in self.out.entities:
                self.out.entity(key, raw.strip().strip('"'), where)
        if source == target:
            return
        data = clean_label(match.group("text") or "") or None
        both = match.group("arrow").startswith("<<")
        self.out.relations.append(Relation(source, target, where, data, bidirectional=both,
                                           facts=protocol_facts(data or "", where), message=True))


_COLOURS = frozenset({"aqua", "black", "blue", "fuchsia", "gray", "grey", "green", "lime", "maroon", "navy", "olive",
                      "orange", "purple", "red", "silver", "teal", "white", "yellow", "pink", "beige", "lavender",
                      "lightblue", "lightgreen", "lightgrey", "lightgray", "lightyellow", "transparent"})


def _box_label(text: str) -> str:
    """``box Aqua Group Description`` / ``box rgb(1,2,3) Name``: the words after the optional colour."""
    text = re.sub(r"^(?:rgba?\([^)]*\)|hsla?\([^)]*\)|#[0-9a-fA-F]{3,8})\s*", "", text.strip())
    words = text.split(maxsplit=1)
    if words and words[0].lower() in _COLOURS:
        text = words[1] if len(words) > 1 else ""
    return clean_label(text) or "box"
