"""The small intermediate representation every source extractor produces and the resolver turns into a model.

An extractor reads one document (or one diagram inside it) into an ``Extraction``: the entities it names
(``Entity``: a name as the document writes it, the words that hint at its kind, its facts), the relations
between them (``Relation``: who sends what to whom) and the zones that hold them (``Zone``). Relations and
zones point at entities by the extraction's own keys; the resolver merges entities of all documents into
elements and maps the keys. Everything carries ``Where``: the span it rests on and the exact words.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from dicetm.ingest.documents import Span
from dicetm.model.system import Kind, SpanRef

MAX_QUOTE = 200

# How sure a source is of an entity's kind or a fact (a stronger statement wins, equal ones must agree).
WEAK = 1  # read from configuration or a shape: a compose port, a cylinder
STATED = 2  # the document says it in words
EXPLICIT = 3  # the document names it as such: a "Kind" column, a C4 Person, a stereotype


@dataclass(frozen=True)
class Where:
    """The span an item rests on, the exact words in it, and the line those words are on."""

    span: Span
    quote: str
    line: int
    flagged: str | None = None  # the scan's categories when the span was withheld (structure only, no text)
    offset: int = 0  # where the words start in the span's text: the page they are on, for a span over pages

    @classmethod
    def at(cls, span: Span, start: int, end: int) -> Where:
        """The words ``span.text[start:end]`` (trimmed to at most MAX_QUOTE characters)."""
        words = span.text[start:end].strip()[:MAX_QUOTE].strip()
        return cls(span, words or span.text.strip()[:MAX_QUOTE], span.place_of(start)[1], offset=start)

    @classmethod
    def whole(cls, span: Span) -> Where:
        return cls.at(span, 0, len(span.text))

    def ref(self) -> SpanRef:
        """The span as provenance; of a paragraph that runs over a page break, the part on the words' page."""
        page, line, end_line = self.span.lines_of(self.offset)
        return SpanRef(file=self.span.file, line=line, end_line=end_line if end_line != line else None, page=page,
                       quote=self.quote or None, flagged=self.flagged)

    @property
    def place(self) -> str:
        """``file:line`` (``file:page N:line`` for PDF) of the words themselves, for messages."""
        page = self.span.place_of(self.offset)[0]
        if page is not None:
            return f"{self.span.file}:page {page}:{self.line}"
        return f"{self.span.file}:{self.line}"


@dataclass
class Fact:
    field: str
    value: Any
    where: Where
    strength: int = STATED
    exclusive: bool = False  # a list value that replaces the others ("read-only")
    outranks: frozenset[Any] = frozenset()  # values of the same field this one refines, not contradicts


@dataclass
class Entity:
    key: str  # unique within its extraction
    name: str  # verbatim
    where: list[Where]
    kind: Kind | None = None  # decided by the source (a C4 macro, a component-table "Kind" column, a shape)
    kind_strength: int = 0
    hint: str = ""  # words about it (a description, a stereotype) whose head phrase may tell its kind
    technology: str = ""  # what it is built with ("PostgreSQL", "Redis"): a product may tell its kind
    aliases: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    structural: bool = True  # named by the document's structure or a diagram, not only mentioned in prose


@dataclass
class Relation:
    source: str  # entity keys of the same extraction
    target: str
    where: Where
    data: str | None = None
    bidirectional: bool = False
    facts: list[Fact] = field(default_factory=list)  # flow facts: protocol, encrypted, authenticated
    slug: str | None = None  # a preferred flow id (an OpenAPI operationId)
    message: bool = False  # a message of a sequence diagram: its arrow is the direction, whatever its label


_READ_LABEL = re.compile(r"^\s*(?:git\s+)?(?:reads?|fetch(?:es)?|pulls?|loads?|downloads?|gets?|retrieves?|receives?|"
                         r"imports?|consumes?|polls?|scrapes?|crawls?|subscribes?|looks?\s+up)\b", re.I)
_ALSO_SENDS = re.compile(r"\b(?:writes?|sends?|stores?|saves?|updates?|posts?|puts?|push(?:es)?|publish(?:es)?|"
                         r"creates?|deletes?|makes?)\b|,\s*and\b", re.I)


def follow_the_data(relation: Relation) -> None:
    """A diagram edge labelled "Reads CV" or "Fetches pages from" points at where the data comes from: the data
    flows the other way. "Reads from and writes to" goes both ways."""
    label = relation.data or ""
    if relation.message or not _READ_LABEL.match(label):
        return
    if _ALSO_SENDS.search(label):
        relation.bidirectional = True
    else:
        relation.source, relation.target = relation.target, relation.source


@dataclass
class Zone:
    key: str
    name: str
    where: Where
    members: list[str] = field(default_factory=list)  # entity keys
    parent: str | None = None  # zone key


@dataclass(frozen=True)
class Unresolved:
    """A statement that looked like a flow (or a part of a diagram) but could not be turned into one."""

    where: Where
    why: str


@dataclass(frozen=True)
class Remark:
    """Words a diagram or a configuration carries beside its shapes (a note, a comment, a text box, an element's
    description): ``span.text[start:end]``, read for the facts it states, about ``subject`` (an entity key) when
    it describes one."""

    span: Span
    start: int
    end: int
    subject: str | None = None


@dataclass
class Extraction:
    by: str  # "extract:markdown", "extract:mermaid", ...
    entities: dict[str, Entity] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)

    def entity(self, key: str, name: str, where: Where | None, **values: Any) -> Entity:
        """The entity under ``key`` (created on first use); ``where`` is added to its places."""
        entity = self.entities.get(key)
        if entity is None:
            entity = self.entities[key] = Entity(key=key, name=name, where=[], **values)
        if where is not None and where not in entity.where:
            entity.where.append(where)
        return entity

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclass(frozen=True)
class SourceText:
    """Diagram text to parse, with the span each of its lines came from (to cite the exact line).

    ``lines[i]`` is the text of line ``i``; ``homes[i]`` is ``(span, line number)``, or None for a line the
    scan withheld (its text is blank).
    """

    lines: tuple[str, ...]
    homes: tuple[tuple[Span, int] | None, ...]

    @classmethod
    def of_lines(cls, spans: tuple[Span, ...] | list[Span]) -> SourceText:
        """A document read one span per line (the diagram readers); missing lines come back blank."""
        visible = {s.line: s for s in spans if s.hidden is None and s.kind == "code"}
        last = max(visible, default=0)
        homes = tuple((visible[n], n) if n in visible else None for n in range(1, last + 1))
        return cls(tuple(visible[n].text if n in visible else "" for n in range(1, last + 1)), homes)

    @classmethod
    def of_block(cls, span: Span) -> SourceText:
        """A code block of a document (a Mermaid fence in Markdown): its lines all cite the block's span."""
        texts = span.text.split("\n")
        fenced = span.end_line - span.line + 1 > len(texts)  # the fence lines are not part of the text
        first = span.line + (1 if fenced else 0)
        return cls(tuple(texts), tuple((span, first + index) for index in range(len(texts))))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def remark(self, index: int, start: int, end: int | None = None, subject: str | None = None) -> Remark | None:
        """The words ``lines[index][start:end]`` as a remark about ``subject``; None for a withheld line."""
        home = self.homes[index] if 0 <= index < len(self.homes) else None
        if home is None:
            return None
        span, _ = home
        line = self.lines[index]
        # a line read one span per line is its span's text; a code block's lines all share the block's span
        offset = 0 if span.text == line else sum(len(x) + 1 for x in self.lines[:index])
        if span.text[offset:offset + len(line)] != line:
            return None
        stop = len(line) if end is None else end
        return Remark(span, offset + start, offset + stop, subject) if line[start:stop].strip() else None

    def where(self, index: int, start: int = 0, end: int | None = None) -> Where | None:
        """The words ``lines[index][start:end]`` (the whole line by default); None for a withheld line."""
        home = self.homes[index] if 0 <= index < len(self.homes) else None
        if home is None:
            return None
        span, number = home
        line = self.lines[index]
        words = line[start:len(line) if end is None else end].strip()[:MAX_QUOTE].strip() or line.strip()
        return Where(span, words, number)


_PROTOCOL = re.compile(r"(?<![\w-])(mTLS|HTTPS|TLS|SSL|gRPCs?|HTTP/2|HTTP|WebSockets?|WSS|AMQPS?|MQTT|SMTP|SFTP|SSH|"
                       r"JDBC|ODBC|S3 API|SQS|Kafka|REST|GraphQL|git)(?![\w-])", re.I)
_ENCRYPTED = frozenset({"mtls", "https", "tls", "ssl", "wss", "sftp", "ssh", "grpcs", "amqps"})


def protocol_facts(text: str, where: Where) -> list[Fact]:
    """Flow facts from words such as "JSON/HTTPS" or "over mTLS": the protocol, and encryption when it is TLS."""
    found = [m.group(1) for m in _PROTOCOL.finditer(text)]
    if not found:
        return []
    facts = [Fact("protocol", found[0], where)]
    words = {f.lower() for f in found}
    if words & _ENCRYPTED:
        facts.append(Fact("encrypted", True, where))
    elif words == {"http"}:
        facts.append(Fact("encrypted", False, where))
    return facts


def clean_label(text: str) -> str:
    """A diagram label as one line of plain words: markup, quotes and escapes out, whitespace collapsed."""
    text = re.sub(r"(?i)<br\s*/?>|\\n", "\n", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text).replace("\u00a0", " ")
    text = text.strip().strip("\"'`").strip()
    return " ".join(text.split())


def describe(entity: Entity, words: str) -> None:
    """The words under a diagram label's first line: a short or parenthesised line ("Lambda", "(Whisper
    large-v3)") says what it is built with; a longer one describes it."""
    words = words.strip()
    if not words:
        return
    if words.startswith("(") or len(words.split()) <= 4:
        entity.technology = entity.technology or words.strip("()[] ")
    else:
        entity.hint = entity.hint or words


def first_line(label: str) -> tuple[str, str]:
    """A multi-line label's name (its first non-empty line) and the rest, as words about it."""
    text = re.sub(r"(?i)<br\s*/?>|\\n|</?div(?:\s[^>]*)?>|</?p(?:\s[^>]*)?>", "\n", label)
    lines = [clean_label(line) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return "", ""
    return lines[0], " ".join(lines[1:])


_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*[.)]?|[A-Z](?:\.\d+)+[.)]?|[A-Z][.)]|[ivx]+[.)])\s+")  # "C.3 Model"
# emphasis marks, but not the underscore inside an identifier such as get_ticket
MARKUP = re.compile(r"[*`]{1,3}|(?<![A-Za-z0-9])_{1,3}|_{1,3}(?![A-Za-z0-9])")
_QUALIFIER = re.compile(r"\s+(?:via|through|using|on|hosted\s+on|hosted\s+by|running\s+on|powered\s+by|backed\s+by|"
                        r"served\s+by|served\s+with)\s+(?=\S)", re.I)
_ABBREVIATION = re.compile(r"^[A-Z][A-Za-z0-9&.+-]{0,7}$")


def split_name(text: str) -> tuple[str, list[str], str]:
    """A component's name as a heading, list item or label writes it, split into (name, aliases, qualifier).

    "3.2 **Vector DB (VDB)**" -> ("Vector DB", ["VDB"], ""); "GPT-4o (Azure OpenAI)" -> ("GPT-4o", [],
    "Azure OpenAI"); "Claude 3.5 Sonnet via Amazon Bedrock" -> ("Claude 3.5 Sonnet", [], "via Amazon Bedrock");
    "Orchestrator — builds the prompt" -> ("Orchestrator", [], "builds the prompt").
    """
    text = MARKUP.sub("", _NUMBERING.sub("", text.strip())).strip()
    qualifier = ""
    dash = re.search(r"\s[—–-]\s|:\s", text)
    if dash is not None:
        text, qualifier = text[:dash.start()].strip(), text[dash.end():].strip()
    aliases: list[str] = []
    parenthetical = re.search(r"\s*\(([^()]{1,80})\)\s*$", text)
    if parenthetical is not None and parenthetical.start() > 0:
        inner = parenthetical.group(1).strip()
        text = text[:parenthetical.start()].strip()
        if _ABBREVIATION.match(inner) and sum(c.isupper() for c in inner) >= 2:
            aliases.append(inner)
        else:
            qualifier = f"{inner} {qualifier}".strip()
    joined = _QUALIFIER.search(text)
    if joined is not None and joined.start() > 0:
        qualifier = f"{text[joined.start():].strip()} {qualifier}".strip()
        text = text[:joined.start()].strip()
    name = text.strip(" .:;,")
    if re.fullmatch(r"\.\w[\w./-]*", text.strip()) and text.strip()[1:].rstrip(".") == name:
        name = "." + name  # a hidden file or folder: ".vscode/mcp.json", ".cursorrules"
    return name, aliases, qualifier


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it stands outside double quotes and brackets; parts stripped, empty
    parts dropped (diagram statements and macro arguments are written this way)."""
    parts: list[str] = []
    current: list[str] = []
    quoted, depth = False, 0
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "[({":
            depth += 1
        elif not quoted and char in "])}":
            depth = max(0, depth - 1)
        if char == separator and not quoted and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]
