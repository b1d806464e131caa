"""The structure of prose documents (Markdown, text, HTML, PDF, Word): which components they name, and which
parts of the text are about which component.

A component is named by the document's structure, and its name is the document's own, verbatim:

- a heading under a components section, or one whose words name a component ("## Policy Index", "### Trip
  Agent"); headings made of section words ("Data flows", "Security considerations") and the document's title
  are not components, nor are alternatives, future work, glossaries and open questions (their text is read
  for nothing);
- a list item or a paragraph that opens with a bold or code name ("**Orchestrator**: builds the prompt",
  "**Feature Builder.** Profiles are ..."), or a list item or text line "Name: description" / "Name -
  description" whose name is a component's name;
- a short term followed by its definition (HTML ``<dt>``/``<dd>``), a short list item in a components section
  (under a heading naming a kind, "## Tools", the items are of that kind);
- a row of a component table (see ``extract_tables``);
- the ends of arrows in a list item or a line ("Employee → Expensify: submits report", see ``extract_arrows``);
- a name in bold inside a sentence that looks like one ("**mongodb**", "the **NVR**").

What a heading's words name (a component, one named elsewhere, a zone) is judged by ``extract_headings``.

The text after a component's name (its description, its heading's body, its table row) is about that
component: facts and flows in it without another subject are the component's. A heading ending in a zone
word ("Inside our VPC", "Vendor side") opens a zone whose components are its members. The sentences are read
later (``extract_sentences``), once the components of every document are known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dicetm.ingest.documents import Document, Span
from dicetm.ingest.extract_arrows import arrow_labels
from dicetm.ingest.extract_headings import IDENTIFIER_LIKE, heading_names, names_zone, product_lead, refers
from dicetm.ingest.extract_ir import EXPLICIT, MARKUP, STATED, Entity, Extraction, Where, Zone, split_name
from dicetm.ingest.extract_kinds import head_phrase, kind_words
from dicetm.ingest.extract_layout import layout
from dicetm.ingest.extract_tables import TableReader
from dicetm.model.system import Kind

PROSE_FORMATS = frozenset({"markdown", "text", "html", "pdf", "docx"})
_EXCLUDED = re.compile(
    r"\b(alternatives?|considered|rejected|out\s+of\s+scope|non-goals?|not\s+in\s+scope|future\s+work|roadmap|"
    r"open\s+questions?|next\s+steps|ideas|to\s*do|deprecated|legacy|decommissioned|glossary|terminology|"
    r"revision\s+history|change\s*log|previous\s+(?:design|architecture|version)|references|appendix|"
    r"not\s+\(?yet\)?|backlog|wish\s*list|parking\s+lot|planned|proposals?|later|"
    # the same in German, French, Spanish, Italian, Portuguese, Dutch and Polish
    r"alternativ(?:en|as|es|e|os)|verworfen|ausblick|glossar|écartée?s?|à\s+venir|prochaines\s+étapes|glossaire|"
    r"descartad[oa]s?|trabajo\s+futuro|próximos\s+pasos|glosario|scartat[ei]|prossimi\s+passi|glossario|"
    r"próximos\s+passos|glossário|alternatieven|woordenlijst|alternatywy|słownik)(?![\w-])", re.I)
_NOT_BUILT = re.compile(r"\b(?:planned|future|not\s+(?:yet\s+)?built|not\s+started|not\s+yet|tbd|proposed|deprecated|"
                        r"removed|retired|legacy|phase\s+\d|idea|prototype|spike|not\s+deployed)\b", re.I)
_COMPONENT_SECTION = re.compile(r"\b(components?|parts|elements|services|building\s+blocks|tools|systems|containers|"
                                r"modules|datasets|data|inventory|stack|what\s+it\s+is|"
                                # the same in German, French, Spanish, Italian, Portuguese, Dutch and Polish
                                r"komponenten|bausteine|bestandteile|werkzeuge|composants|briques|éléments|outils|"
                                r"componentes|elementos|herramientas|componenti|elementi|strumenti|ferramentas|"
                                r"onderdelen|componenten|bouwstenen|komponenty|elementy|narzędzia)(?![\w-])", re.I)
_FLOW_SECTION = re.compile(r"\b(flows?|dataflows?|walkthrough|sequence|request|interactions?|talks?|"
                           r"how\s+(?:it|data)\s+(?:works|moves|flows)|"
                           r"datenfl(?:ü|u)sse|ablauf|flux|parcours|flujos?|recorrido|flussi|flusso|percorso|fluxos?|"
                           r"percurso|gegevensstromen|verloop|stroom|przepływy?|przebieg)(?![\w-])", re.I)
_ZONE_SECTION = re.compile(r"\b(trust|boundar(?:y|ies)|zones?|network|deployment|hosting|infrastructure|where|runs?|"
                           r"lives?|hosted|deployed)\b", re.I)
_BOUNDARY_SECTION = re.compile(r"\b(trust|boundar(?:y|ies)|zones?|security\s+domains?)\b", re.I)
_QUESTION = re.compile(r"^(?:who|what|where|when|why|how|which|is|are|can|does|do|should|"  # "Where it runs"
                       r"was|wie|wo|welche|ce\s+que|ce\s+qui|comment|où|qué|cómo|dónde|cosa|come|dove|o\s+que|onde|"
                       r"wat|hoe|waar|co|czy|jak|gdzie)(?![\w-])", re.I)
_ACTIVITY = re.compile(r"[A-Z][a-z]+ing|[A-Z][a-z]+[^s]s")  # one word naming an activity or a topic: "Serving"
_ZONE_START = re.compile(r"^(?:inside|within|in|on|at|behind)\b", re.I)
_BOLD_NAME = re.compile(r"^(?:\*\*|__)(?P<name>[^*_\n]{1,80}?)(?:\*\*|__)\s*(?P<sep>[:.—–-]|\s)\s*")
# words that open a clause, not a name: a verb and its object ("Somebody suggested a Cursor pilot", "Ops confirmed
# the model", "AeroSurvey uploads late"), a place ("In the Gantry console"), or an answer ("Yes", "N/A")
_CLAUSE = re.compile(r"^(?:in|on|at|from|with|by|for|via|into|after|before|during|when|if|once)\s+(?:the|a|an|our|its|"
                     r"each|every|their)\b|\b[a-z]{2,}(?:ed|es|s)\s+(?:the|a|an|our|their|its|this|that|these|late|"
                     r"early|again|twice|fine|ok)\b|^(?:yes|no|n/?a|tbd|none|partially|partly)$", re.I)
# the labels of a document's own header ("**Author:** platform team", "* Reviewers: Security, Legal")
_DOCUMENT_LABEL = re.compile(r"(?:authors?|owners?|reviewers?|reviewed\s+by|approvers?|approved\s+by|prepared\s+by|"
                             r"written\s+by|editors?|contributors?|maintainers?|attendees|participants|present|"
                             r"stakeholders|deciders|consulted|informed|audience|status|date|version|last\s+updated|"
                             r"autor(?:in|en|es|a)?|auteurs?|autore|autori|verfasser|prüfer|relecteurs?|revisores?|"
                             r"revisori|recenzenci|autoři|författare|redactie|auteur)", re.I)
_CODE_NAME = re.compile(r"^`(?P<name>[^`\n]{1,60})`\s*(?P<sep>[:—–-])\s*")
_PLAIN_NAME = re.compile(r"^(?P<name>[^:—–\n\"]{1,60}?)\s*(?P<sep>:|\s[—–-])\s+(?=\S)")
# an acronym in bold, alone or before a noun or two, names a thing ("the **NVR**", "**IP cameras**"), unless it
# is one of the words documents stress or classify data with
_ACRONYM_NAME = re.compile(r"(?!(?:NOT|NO|YES|MUST|NEVER|ONLY|ALL|TODO|NB|FYI|PII|PHI|PCI|GDPR|EU|US|UK|SLA|SLO|"
                           r"OK|AND|OR|TBD|WIP|IMPORTANT|NOTE|WARNING)\b)[A-Z][A-Z0-9]{1,5}(?:\s+[a-z][\w-]*){0,2}")
_TWO_NAMES = re.compile(r"^(?P<first>(?:[A-Z][\w-]*\s+){1,3}[A-Z][\w-]*)\s+(?:and|&)\s+"
                        r"(?P<second>(?:[A-Z][\w-]*\s+){1,3}[A-Z][\w-]*)$")
_BOLD_LABEL = re.compile(r"^(?:\*\*|__)(?P<name>[^*_\n]{1,40}?)[.:]?(?:\*\*|__)\s*[.:]?\s*$")  # "**Tools.**"
_BOLD_TERM = re.compile(r"(?:\*\*|__)(?P<name>[^*_\n]{1,60}?)(?:\*\*|__)")
_MARKUP_CHARS = re.compile(r"[*_`]+")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an|our)\s+(?=\*\*|__)", re.I)  # "The **Dialog Manager** is ..."
_ARROWS = re.compile(r"-+>|<-+|[→←↔⟶⇒]|=+>")
_SENTENCE_END = re.compile(r"[.!?]\s*$")


@dataclass
class Block:
    """A stretch of text, and the component it is about (an entity key of the same extraction) if any."""

    span: Span
    start: int
    end: int
    subject: str | None
    mode: str  # "components", "flows", "zones", "other"
    zone: Zone | None = None  # an enclosing zone section
    group: int = 0  # blocks of one list share a group (a numbered walkthrough carries its subject)
    about: str | None = None  # a heading's words for the component the text is about ("The model")

    @property
    def text(self) -> str:
        return self.span.text[self.start:self.end]


@dataclass(frozen=True)
class FlowRow:
    """A row of a flow table: the cells naming the source and the target (as text ranges of the span), the data."""

    span: Span
    source: tuple[int, int]
    target: tuple[int, int]
    data: str


@dataclass
class ProseDocument:
    document: Document
    extraction: Extraction
    blocks: list[Block] = field(default_factory=list)
    excluded: list[tuple[Span, str]] = field(default_factory=list)  # spans of excluded sections, with the heading
    flow_rows: list[FlowRow] = field(default_factory=list)


def read_structure(document: Document, prefix: str) -> ProseDocument:
    """The components the document's structure names, and its text split into blocks about them."""
    return _Structure(document, prefix).read()


class _Structure:
    def __init__(self, document: Document, prefix: str) -> None:
        self.document = document
        self.prefix = prefix
        self.out = ProseDocument(document, Extraction(f"extract:{document.format}"))
        self.mode = "other"
        self.subject: str | None = None
        self.about: str | None = None  # the words of a heading that refers to a component named elsewhere
        self.zone: Zone | None = None
        self.excluded: str | None = None
        self.group = 0
        self.title_seen = False
        self.tables = TableReader(self)
        self.list_kind: Kind | None = None  # the kind a heading says its list holds ("## Tools")
        self.item_kind: Kind | None = None  # the same said by a list item's bold label ("- **Tools.**")

    def read(self) -> ProseDocument:
        # a PDF page's running header or footer is not part of the text (nor does it end a table going on)
        spans = [s for s in self.document.spans if s.hidden is None and s.kind != "running"]
        previous_kind = ""
        for index, span in enumerate(spans):
            if span.kind != "table-row":
                self.tables.close()
            if span.kind == "heading":
                self._heading(span)
            elif self.excluded is not None:
                self.out.excluded.append((span, self.excluded))
            elif span.kind == "table-row":
                self.tables.row(span)
            elif span.kind == "list-item":
                if previous_kind != "list-item":
                    self.group += 1
                    self.item_kind = None
                following = spans[index + 1] if index + 1 < len(spans) else None
                self._list_item(span, following)
                self._bold_terms(span)
            elif span.kind == "paragraph":
                self.group += 1
                self._paragraph(span)
                self._bold_terms(span)
            elif span.kind == "code":
                self._block(span, 0, len(span.text), self.subject)
            previous_kind = span.kind
        self.tables.close()
        return self.out

    # ------------------------------------------------------------------------------------------ helpers

    def entity(self, name: str, where: Where, aliases: list[str], qualifier: str = "", hint: str = "") -> Entity:
        key = f"{self.prefix}:{name.casefold()}"
        entity = self.out.extraction.entity(key, name, where)
        for alias in aliases:
            if alias not in entity.aliases:
                entity.aliases.append(alias)
        if hint and not entity.hint:
            entity.hint = hint
        if qualifier and not entity.technology:
            entity.technology = qualifier
        if self.zone is not None and key not in self.zone.members:
            self.zone.members.append(key)
        return entity

    def hosted(self, entity: Entity, place: str, where: Where) -> None:
        """``entity`` runs in the zone named ``place`` (a table's "Runs on" column)."""
        key = f"{self.prefix}:zone:{place.casefold()}"
        zone = next((z for z in self.out.extraction.zones if z.key == key), None)
        if zone is None:
            zone = Zone(key, place, where)
            self.out.extraction.zones.append(zone)
        if entity.key not in zone.members:
            zone.members.append(entity.key)

    def explicit_kind(self, entity: Entity, words: str) -> None:
        kind = kind_words().kind_of(words)
        if kind is not None:
            entity.kind, entity.kind_strength = kind, EXPLICIT

    def block(self, span: Span, start: int, end: int, subject: str | None) -> None:
        self._block(span, start, end, subject)

    def _block(self, span: Span, start: int, end: int, subject: str | None) -> None:
        if end > start and span.text[start:end].strip():
            self.out.blocks.append(Block(span, start, end, subject, self.mode, self.zone, self.group,
                                         self.about if subject is None else None))

    # ------------------------------------------------------------------------------------------ headings

    def _heading(self, span: Span) -> None:
        text = span.text.strip()
        self.subject, self.about = None, None
        self.group += 1
        self.list_kind = None
        name, aliases, qualifier = split_name(text)
        words = kind_words()
        if self._is_title(text) and not (words.is_section(name) and not self.title_seen):
            self.title_seen = True
            self.mode, self.zone, self.excluded = "other", None, None
            return
        self.title_seen = True
        if _EXCLUDED.search(text):
            self.excluded, self.mode, self.zone = text, "other", None
            return
        self.excluded = None
        if words.is_section(name) or words.names_a_list(name) or _QUESTION.match(name) or (
                _ACTIVITY.fullmatch(name) and words.kind_of(name) is None):
            self.zone = None
            listed = words.names_a_list(name) and not words.is_section(name)  # "Processors", not "Actions"
            self.mode = ("components" if _COMPONENT_SECTION.search(name) or listed
                         else "flows" if _FLOW_SECTION.search(name)
                         else "boundaries" if _BOUNDARY_SECTION.search(name)
                         else "zones" if _ZONE_SECTION.search(name) else "other")
            self.list_kind = words.listed_kind(name) if self.mode == "components" else None
            return
        if self._zone_heading(name, qualifier):
            self.zone = Zone(f"{self.prefix}:zone:{name.casefold()}", text.strip(" #:"), Where.whole(span))
            self.out.extraction.zones.append(self.zone)
            self.mode = "zones"
            return
        listing = self.mode in ("components", "zones", "boundaries")
        if name and (refers(name) or (not listing and refers(f"the {name[:1].lower()}{name[1:]}")
                                       and 2 <= len(name.split()) <= 3)):  # not "Orchestrator"
            self.mode, self.zone, self.about = "other", None, name  # "The model": the one named elsewhere
            return
        pair = _TWO_NAMES.match(name) if name and not qualifier and not aliases else None
        if pair is not None and all(heading_names(pair.group(g), listing) for g in ("first", "second")):
            for group in ("first", "second"):  # "Verdict Store and Research Log": a section about two components
                start = span.text.find(pair.group(group))
                self.entity(pair.group(group), Where.at(span, max(start, 0), max(start, 0) + len(pair.group(group))),
                            [], "")
            self.mode, self.zone = "other", None
            return
        if name and len(name.split()) <= 8 and not text.endswith("?") and heading_names(name, listing):
            entity = self.entity(name, Where.at(span, 0, len(span.text)), aliases, qualifier)
            self.subject = entity.key
            if qualifier:
                start = span.text.find(qualifier[:20])
                self._block(span, max(start, 0), len(span.text), entity.key)
            return
        self.mode, self.zone = "other", None

    def _is_title(self, text: str) -> bool:
        """The document's title: its first heading, or one that repeats most words of the title."""
        if not self.title_seen:
            return True
        title = set(re.findall(r"\w+", (self.document.title or "").casefold()))
        words = set(re.findall(r"\w+", text.casefold()))
        return bool(title and words) and len(title & words) / len(words) >= 0.75 and len(words) > 1

    @staticmethod
    def _zone_heading(name: str, qualifier: str) -> bool:
        words = kind_words()
        if not words.names_zone(name):
            return False
        last = re.findall(r"[\w'-]+", name)[-1:] or [""]
        return bool(_ZONE_START.match(name) or words.names_zone(last[0]) or (qualifier and words.names_zone(name)
                                                                           and words.kind_of(name) is None))

    # ---------------------------------------------------------------------------------- lists and text

    def _named(self, span: Span, line_start: int, line: str, *, plain: bool) -> Entity | Zone | None:
        """A component named at the start of ``line`` ("**Name**: ...", "Name - ..."); its description is a block."""
        article = _LEADING_ARTICLE.match(line)
        if article is not None:
            line_start, line = line_start + article.end(), line[article.end():]
        match = _BOLD_NAME.match(line) or _CODE_NAME.match(line)
        if match is None and plain:
            match = _PLAIN_NAME.match(line)
            if match is not None and not self._plain_name_counts(match.group("name")):
                match = None
        if match is None or _ARROWS.search(match.group("name")):
            return None
        name, aliases, qualifier = split_name(match.group("name"))
        name = " ".join(name.split())
        if not name or len(name.split()) > 8 or kind_words().is_section(name) or (name.isupper() and len(name) > 12) \
                or _CLAUSE.search(name) or _DOCUMENT_LABEL.fullmatch(name):
            return None
        where = Where.at(span, line_start + match.start("name"), line_start + match.end("name"))
        description = line[match.end():]
        if self.mode == "boundaries" or names_zone(name):
            # "**Corporate VPC**: gateway, retriever, vector DB"; "**On the agent's laptop**: Claude Desktop, ..."
            label = " ".join(MARKUP.sub("", match.group("name")).split()).strip(" :")
            zone = Zone(f"{self.prefix}:zone:{label.casefold()}", label, where)
            self.out.extraction.zones.append(zone)
            self.out.blocks.append(Block(span, line_start + match.end(), line_start + len(line), None,
                                         "zone-members", zone, self.group))
            return zone
        if _NOT_BUILT.search(qualifier) or not self._name_counts(name, description, plain=match.re is _PLAIN_NAME):
            return None
        entity = self.entity(name, where, aliases, qualifier, hint=description.split("\n")[0][:200])
        listed = self.item_kind or (self.list_kind if self.mode == "components" else None)
        if listed is not None and entity.kind is None and kind_words().kind_of(name) is None:
            entity.kind, entity.kind_strength = listed, STATED  # "flag_report" under "## Tools"
        if qualifier and kind_words().names_zone(qualifier) and len(qualifier.split()) <= 2:
            # "**Zendesk** (SaaS): ...": the component and the vendor's zone it lives in
            label = " ".join(MARKUP.sub("", match.group("name")).split()).strip(" :")
            self.out.extraction.zones.append(Zone(f"{self.prefix}:zone:{label.casefold()}", label, where,
                                                  [entity.key]))
        self._block(span, line_start + match.end(), line_start + len(line), entity.key)
        return entity

    def _name_counts(self, name: str, description: str, *, plain: bool) -> bool:
        """Whether a name opening a list item or a paragraph names a component: in a components section, or when
        the name says what it is (a component word at its end, a product), looks like a proper name (several
        capitalised words, an identifier) or its description opens with what it is ("a nightly job that ...")."""
        words = kind_words()
        if self.mode == "components" or words.kind_of(name.split()[-1]) is not None:
            return True
        if any(hit.product is not None for hit, _ in words.hits(name)) or IDENTIFIER_LIKE.search(name):
            return True
        if plain:
            return False  # "Agent budget: max 12 tool calls": a label, not a component
        if len(re.findall(r"\b[A-Z0-9][\w.-]*", name)) >= 2:
            return True
        return bool(re.match(r"\s*(?:an?|the|our|one)\s", description, re.I)) and \
            words.kind_of(head_phrase(description)) is not None

    def _bold_terms(self, span: Span) -> None:
        """A name set in bold inside a sentence names a component when it looks like one ("Conversations are stored
        in **mongodb**", "the **analytics replica** (Postgres)"), not when it stresses a word ("**always**")."""
        if self.excluded is not None:
            return
        for match in _BOLD_TERM.finditer(span.text):
            if match.start() == 0 or _LEADING_ARTICLE.fullmatch(span.text[:match.start()]) \
                    or not span.text[:match.start()].strip(" -*•\t"):
                continue  # the item's own name, read by _named
            name, aliases, qualifier = split_name(match.group("name"))
            name = " ".join(name.split())
            if not name or len(name.split()) > 6 or kind_words().is_section(name) or names_zone(name):
                continue
            words = kind_words()
            looks = words.kind_of(name) is not None or IDENTIFIER_LIKE.search(name) \
                or len(re.findall(r"\b[A-Z0-9][\w.-]*", name)) >= 2 or _ACRONYM_NAME.fullmatch(name)
            if looks and not _NOT_BUILT.search(qualifier):
                aside = re.match(r"\s*\(([^()]{1,60})\)", span.text[match.end():])
                self.entity(name, Where.at(span, match.start("name"), match.end("name")), aliases,
                            qualifier or (aside.group(1) if aside else ""))

    def _plain_name_counts(self, name: str) -> bool:
        stripped = name.strip()
        if not stripped or not (stripped[0].isupper() or IDENTIFIER_LIKE.fullmatch(stripped)) or \
                len(stripped.split()) > 6 or re.search(r"[.!?]\s", stripped):  # "get_report — ..." counts too
            return False
        if re.search(r"[,;!?]|\b(?:is|are|was|were|has|have|will|can|may|must|should|does|do)\b", stripped):
            return False
        if self.mode == "boundaries" or names_zone(stripped):
            return True  # "IT automation Azure subscription – the agent and its log", under "Trust zones"
        return self.mode == "components" or kind_words().kind_of(stripped) is not None

    def _list_item(self, span: Span, following: Span | None) -> None:
        text = span.text
        self._arrow_ends(span, 0, len(text))
        if _BOLD_NAME.match(text) or _BOLD_LABEL.match(text):  # "- **Tools.**" over the items that follow says
            label = _BOLD_LABEL.match(text)  # what they are; another bold label ends it
            self.item_kind = kind_words().listed_kind(label.group("name")) if label is not None else None
        if self._named(span, 0, text, plain=self.mode != "flows") is not None:
            return
        lead = product_lead(text)
        if lead:  # "- Pinecone for product search": a list of products names components
            entity = self.entity(text[:lead], Where.at(span, 0, lead), [])
            self._block(span, lead, len(text), entity.key)
            return
        short = len(text.split()) <= 6 and not _SENTENCE_END.search(text) and ":" not in text \
            and not _ARROWS.search(text) and text[:1].isupper()
        defined = following is not None and following.kind == "list-item" and _SENTENCE_END.search(following.text) \
            and len(following.text.split()) > len(text.split())
        if short and (defined or self.mode == "components") and not kind_words().is_section(text):
            name, aliases, qualifier = split_name(text)
            if name:
                entity = self.entity(name, Where.whole(span), aliases, qualifier)
                self.subject = entity.key if defined else self.subject
                return
        self._block(span, 0, len(text), self.subject)

    def _paragraph(self, span: Span) -> None:
        text = span.text
        label = _EXCLUDED.match(_MARKUP_CHARS.sub("", text[:40]).strip())
        if label is not None and re.match(r"[*_`\s]*:", _MARKUP_CHARS.sub("", text[:40]).strip()[label.end():]):
            self.out.excluded.append((span, label.group(0)))  # "Not in scope: the Vendor Portal ..."
            return
        if self.document.format in ("text", "pdf", "docx") and "\n" in text:
            self._text_lines(span)
            return
        entity = self._named(span, 0, text, plain=False)
        if entity is None:
            self._block(span, 0, len(text), self.subject)

    def _text_lines(self, span: Span) -> None:
        """Wrapped lines (a plain-text paragraph, a PDF page) line by line (see ``extract_layout``): a heading
        line is a heading, "Components:" opens a section, "Name - description" names one (its description goes
        on over the lines that wrap it); the other lines, wrapped prose, stay together as paragraphs."""
        run: tuple[int, int] | None = None  # (start, end) of the prose lines gathered so far
        wrapped: Block | None = None  # a description whose sentence goes on on the next line
        for line in layout(span.text):
            if line.heading:
                self._flush(span, run)
                run, wrapped = None, None
                self._heading(_line_span(span, line.start, line.end))
                continue
            if wrapped is not None and line.continues:
                wrapped.end = line.end
                continue
            blocks = len(self.out.blocks)
            if self._text_line(span, line.start, line.text):
                self._flush(span, run)
                run = None
                named = len(self.out.blocks) > blocks
                wrapped = self.out.blocks[-1] if named and not _SENTENCE_END.search(line.text) else None
                continue
            wrapped = None
            if self.excluded is None:
                run = (run[0] if run else line.start, line.end)
                if line.paragraph_end:
                    self._flush(span, run)
                    run = None
        self._flush(span, run)

    def _flush(self, span: Span, run: tuple[int, int] | None) -> None:
        """The prose lines gathered so far, as one paragraph."""
        if run is not None:
            self.group += 1
            self._block(span, run[0], run[1], self.subject)

    def _text_line(self, span: Span, start: int, stripped: str) -> bool:
        """Handle a line that opens a section or names a component; False for a line of prose."""
        if stripped.endswith(":") and len(stripped.split()) <= 6:
            heading = stripped.rstrip(":")
            self.excluded = heading if _EXCLUDED.search(heading) else None
            self.mode = ("components" if _COMPONENT_SECTION.search(heading) else "flows"
                         if _FLOW_SECTION.search(heading) else "other")
            self.subject = None
            return True
        if self.excluded is not None:
            return True
        if stripped.isupper():
            return True  # a title in capitals
        item = re.sub(r"^[-*•]\s+", "", stripped)
        self._arrow_ends(span, start, start + len(stripped))
        return self._named(span, start + len(stripped) - len(item), item, plain=True) is not None

    def _arrow_ends(self, span: Span, start: int, end: int) -> None:
        """The components a line of arrows joins ("Employee → Expensify: submits report"; see ``extract_arrows``)."""
        if self.excluded is None and _ARROWS.search(span.text, start, end):
            for label_start, label_end in arrow_labels(span.text, start, end):
                name, aliases, qualifier = split_name(span.text[label_start:label_end])
                if name and not kind_words().is_section(name):
                    self.entity(name, Where.at(span, label_start, label_end), aliases, qualifier)


def _line_span(span: Span, start: int, end: int) -> Span:
    """One line of a span as a span of its own (a heading inside a PDF page)."""
    line = span.line + span.text.count("\n", 0, start)
    return Span(span.file, line, line, span.text[start:end], page=span.page, kind="heading")
