"""Sentences of prose documents (and the remarks of diagrams and configuration files): the flows, facts and
zones they state, once every component is known.

``SentenceReader`` goes through the blocks ``extract_prose`` found, sentence by sentence: it finds the mentions
(``extract_mentions``), reads abbreviations introduced in running text ("the ShopMate API (SMA)"), the
products a component is built with or reached through ("Audio Store (S3)", "the Session Memory — a Redis
hash"), identities ("the Tutor Model is GPT-4o mini" names one component twice; "the Order Assistant is an LLM
agent" says what it is; "read-only access to X" what a tool acts on), facts, zones, and the flows of each
clause (``extract_flows``). A proper name in running text becomes an element; a product named in passing only
when it is a sentence's subject or a flow, a fact or a zone needs it.

Facts and zones are read by ``extract_sentence_facts`` (the ``FactClauses`` this reader is built on): each fact
goes to the component its clause is about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dicetm.ingest.documents import Span
from dicetm.ingest.extract_clauses import clauses
from dicetm.ingest.extract_flow_words import (
    ARROW,
    DETERMINER,
    DIRECT_OBJECT,
    ENGLISH,
    PREPOSITION_BEFORE,
    VERB,
    FlowWords,
    flow_words,
    language_of,
)
from dicetm.ingest.extract_flows import FlowContext
from dicetm.ingest.extract_ir import Entity, Fact, Relation, Unresolved, Where, Zone, protocol_facts
from dicetm.ingest.extract_kinds import head_phrase, kind_words
from dicetm.ingest.extract_mentions import find_mentions
from dicetm.ingest.extract_names import Mention
from dicetm.ingest.extract_products import fitting
from dicetm.ingest.extract_prose import Block, ProseDocument
from dicetm.ingest.extract_resolve import Node, Registry, normal
from dicetm.ingest.extract_roles import INTRODUCES_TOOLS
from dicetm.ingest.extract_sentence_facts import (
    FactClauses,
    is_person_mention,
    node_key,
    opens_sentence,
)
from dicetm.model.system import Kind

_IDENTITY = re.compile(r"[*_`]*\s*(?:,\s*(?:which|that)\s+|\s+)?(?:is|are|=)\s+"
                       r"(?:(?P<by>(?:backed|powered|served|built)\s+(?:by|on|with)\s+)|(?P<article>an?\s+|the\s+|our\s+)?)",
                       re.I)
_HOLDS = re.compile(r"[*_`]*(?:\s*,\s*(?:which|that)\s+|\s+)(?:(?:both|also|all)\s+)?"
                   r"(?:holds?|stores?|contains?|keeps?|retains?|archives?)\s+(?:[\w/-]+\s+){0,3}"
                   r"(?:data|records|pii|phi|information|documents|files|details|histor(?:y|ies)|profiles|clips|"
                   r"recordings|images|photos|videos|messages|emails|transcripts|logs|events|backups|snapshots)\b",
                   re.I)
_KIND_LIST = re.compile(r"\b(?:two|three|four|several|these|the following|its|the)?\s*(?P<kind>tools|agents|models|"
                        r"datasets|data stores|stores)\s*:\s*", re.I)
_ACCESS = re.compile(r"\b(?:access|acts?|lookups?)\s+(?:to|on|in|into)\s+", re.I)
_QUALIFYING = re.compile(r"[*_`]*\s*(?:\(\s*|,\s*(?:a|an|the|our|its)\s+(?:[\w-]+\s+){0,2}|"
                         r"\s*[—–]\s*(?:a|an|the|our)?\s*(?:[\w-]+\s+){0,2})")
_ABBREVIATION = re.compile(  # "(SMA)", "(DNDB)": two capitals at least
    r"[*_`]*\s*\(\s*((?=[A-Za-z0-9&.-]*[A-Z][A-Za-z0-9&.-]*[A-Z])[A-Za-z][A-Za-z0-9&.-]{1,9})\s*\)")
_MCP = re.compile(r"\bMCP\b|\bmcp\.json\b|_config\.json\b", re.I)
_BUILT_WITH = re.compile(r"\b(?:built|based|running|powered|made|written)\s+(?:with|on|by|using|in)\s+[*_`]*$", re.I)
_MCP_FILE = re.compile(r"\bmcp\.json\b|_config\.json\b", re.I)
_ROUTE = re.compile(r"[*_`]*\s+(?:through|via|on|behind|served\s+by|hosted\s+on)\s+(?:the\s+)?[*_`]*", re.I)
_INDEFINITE = re.compile(r"(?<![\w-])(?:a|an)\s+[*_`]*$", re.I)
_REACHED = re.compile(r"\b(?:to|into|onto)\s+(?:the\s+|our\s+)?[*_`]*$", re.I)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'`*(\[À-ÖØ-ÞĀ-ž¿¡«])|\n(?=\s*(?:[-*•]|\d+[.)])\s)"
                       r"|(?<=[。！？；])\s*")  # Chinese and Japanese end a sentence without a space


@dataclass
class SentenceReader(FactClauses):
    registry: Registry
    keys: dict[str, Node]
    notes: list[str] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    everything: list[tuple[Zone, ProseDocument, set[str]]] = field(default_factory=list)  # and who is not in it
    mcp_hosts: list[Node] = field(default_factory=list)  # components named beside "MCP servers" or the config file
    product_names: dict[str, str] = field(default_factory=dict)  # product key -> the longest way the text names it
    lister: Node | None = None  # who the list that follows is about: "The agent has three tools:"
    words: FlowWords = ENGLISH  # the flow words of the document being read (its language's beside English)

    def read(self, prose: ProseDocument, prefix: str) -> None:
        self.prose, self.prefix, self.lister = prose, prefix, None
        self.words = flow_words(language_of(" ".join(s.text for s in prose.document.visible_spans)))
        for block in prose.blocks:
            self._abbreviations(block)
        contexts: dict[int, FlowContext] = {}
        for block in prose.blocks:
            if block.span.kind == "code" and not ARROW.search(block.text):
                continue
            context = contexts.setdefault(block.group, FlowContext())
            if block.subject is not None and block.subject in self.keys:
                context.subject = self.keys[block.subject]
            elif block.about:
                context.subject = self._referred(block.about) or context.subject
            self._block(block, context)
        for row in prose.flow_rows:
            self._flow_row(row)

    def discover(self, proses: list[tuple[ProseDocument, str]]) -> None:
        """Read the prose once for the components it names, and forget everything else it read: a component
        named late ("For the model we use GPT-4o") is then known to the sentences before it ("sends the prompt to
        the model")."""
        extractions = [(p.extraction, len(p.extraction.relations), len(p.extraction.zones)) for p, _ in proses]
        lengths = len(self.notes), len(self.unresolved), len(self.everything), len(self.mcp_hosts)
        facts = {id(node): len(node.extra_facts) for node in self.registry.nodes}
        for prose, prefix in proses:
            self.read(prose, prefix)
        for extraction, relations, zones in extractions:
            del extraction.relations[relations:], extraction.zones[zones:]
        del self.notes[lengths[0]:], self.unresolved[lengths[1]:], self.everything[lengths[2]:]
        del self.mcp_hosts[lengths[3]:]
        for node in self.registry.nodes:
            del node.extra_facts[facts.get(id(node), 0):]

    def read_remarks(self, prose: ProseDocument, prefix: str) -> None:
        """The notes, comments and element descriptions of a diagram or a configuration: read for the facts they
        state (and the zones), not for flows (the diagram draws those)."""
        self.prose, self.prefix = prose, prefix
        for remark in prose.extraction.remarks:
            self._block(Block(remark.span, remark.start, remark.end, remark.subject, "remark"), FlowContext())

    # ------------------------------------------------------------------------------------------ blocks

    def _block(self, block: Block, context: FlowContext) -> None:
        span = block.span
        if span.kind == "list-item":
            context.holder = None  # an item is a statement of its own: data one item left somewhere is not the next's
        subject = self.keys.get(block.subject) if block.subject else self._referred(block.about)
        mentions = self._technologies(span, find_mentions(span.text, self.registry, block.start, block.end,
                                                          self.notes, span.where), subject)
        for mention in mentions:  # "Microsoft Teams" for a later "Teams" (not "a GitHub App" for "GitHub")
            if mention.product_key and len(mention.words) > len(self.product_names.get(mention.product_key, "")) \
                    and not _INDEFINITE.search(span.text, 0, mention.start):
                self.product_names[mention.product_key] = DETERMINER.sub("", mention.words).strip()
        if block.mode == "zone-members" and block.zone is not None:
            for mention in mentions:
                self._member(block.zone, mention, span)
            self._mcp_hosts(span, block.start, block.end, mentions, None)  # "the agent and its MCP servers"
            return
        before = len(self.registry.nodes)
        if subject is None and block.mode != "remark":
            for mention in mentions:
                if mention.node is None and not _named_person(mention) and ((mention.named and not mention.passing)
                                             or ((mention.product or mention.passing) and _acts(span.text, mention)))\
                        and not self._is_title(mention.words) and not _qualifier(span.text, mention, mentions):
                    self._node(mention, span)  # a component named in running text, or the subject of a sentence
        if block.mode != "remark":
            self._listed_tool(block, mentions)
            if subject is not None and subject.kind() is Kind.mcp_server:
                self._served_tools(span, subject, mentions)
        topic: tuple[Node | None, list[Node]] = (subject, [])  # what the sentence before was about, what it named
        known = before  # components drafted since then may be named again further on
        for start, end in _sentences(span.text, block.start, block.end):
            if len(self.registry.nodes) != known:  # a sentence drafted a component: later text may refer to it
                fresh = self.registry.nodes[known:]
                known = len(self.registry.nodes)
                rest = span.text[start:block.end].casefold()
                if any(word in rest for node in fresh for word in _referring_words(node)):
                    mentions = [m for m in mentions if m.start < start] + self._technologies(
                        span, find_mentions(span.text, self.registry, start, block.end), subject)
            inside = [m for m in mentions if start <= m.start < end]
            if block.mode == "remark":
                self._identities(span, start, end, inside, subject)
                topic = self._facts(span, start, end, inside, subject, topic)
                self._zones(span, start, end, inside, subject)
                continue
            if ARROW.search(span.text, start, end):
                self._arrows(span, start, end, inside)
                continue
            self._identities(span, start, end, inside, subject)
            self._mcp_hosts(span, start, end, inside, subject)
            context.topic = topic[0]
            topic = self._facts(span, start, end, inside, subject, topic)
            self._zones(span, start, end, inside, subject)
            self._people_there(span, inside)
            stated = len(self.prose.extraction.relations), len(self.unresolved)
            for clause_start, clause_end in clauses(span.text, start, end):  # "...; the answer is returned ..."
                clause = [m for m in inside if clause_start <= m.start < clause_end]
                self._flows(span, clause_start, clause_end, clause, subject, context)
            if stated == (len(self.prose.extraction.relations), len(self.unresolved)):
                # a sentence without a flow: "Only then does the CRM Writer act. It takes ...": who "it" is next
                context.subject = _center(span.text, start, inside) or context.subject
        if block.mode != "remark" and INTRODUCES_TOOLS.search(span.text[block.start:block.end]):
            self.lister = context.subject

    def _mcp_hosts(self, span: Span, start: int, end: int, inside: list[Mention], subject: Node | None) -> None:
        """The components a sentence about MCP servers names: candidates for the host of the configuration."""
        if not _MCP.search(span.text, start, end):
            return
        weight = 3 if _MCP_FILE.search(span.text, start, end) else 1  # the config file's sentence counts most
        if subject is not None and weight == 3:
            self.mcp_hosts += [subject] * weight  # "Copilot Backend | ... Loads `mcp.json`."
        # "the agent" names the one agent of the system; another definite description may be something it holds
        named = [m for m in inside if (m.node is not None or m.named or m.product)
                 and (not m.anaphor or m.kind is Kind.agent)
                 and not is_person_mention(m) and m.kind in (Kind.agent, Kind.process, Kind.llm)
                 and not _BUILT_WITH.search(span.text, start, m.start)]  # "built with Claude Code"
        self.mcp_hosts += [n for n in (self._node(m, span) for m in named) if n is not None] * weight

    def _referred(self, words: str | None) -> Node | None:
        """The one component a heading such as "The model" refers to, if the words name exactly one."""
        if not words:
            return None
        found = [m.node for m in find_mentions(words, self.registry) if m.node is not None]
        return found[0] if len(found) == 1 else None

    def _abbreviations(self, block: Block) -> None:
        """"The ShopMate API (SMA)": the abbreviation is another name of the component, wherever the text uses it
        (read before the sentences, so that "the SMA" in the next paragraph is known)."""
        text = block.span.text
        if not _ABBREVIATION.search(text, block.start, block.end):
            return
        for mention in find_mentions(text, self.registry, block.start, block.end):
            short = _ABBREVIATION.match(text, mention.end, block.end)
            if short is None or not (mention.node is not None or mention.named or mention.product):
                continue
            node = self._node(mention, block.span)
            if node is not None and self.registry.find(short.group(1)) is None:
                self.registry.alias(node, short.group(1))

    def _technologies(self, span: Span, mentions: list[Mention], subject: Node | None) -> list[Mention]:
        """A product that says what a component is built with or reached through is that component: "Audio Store
        (S3)", "the Contract Archive, an S3 bucket", and, in a component's own text, a product of a fitting kind
        ("**Transcript Store.** ... written to a DynamoDB table"). Qualifiers right after the name are dropped
        from the mentions (they are part of the name); later mentions of the product resolve to the component."""
        text = span.text
        kept: list[Mention] = []
        for mention in mentions:
            if mention.product and mention.product_key and (mention.node is None or not mention.node.structural):
                previous = kept[-1] if kept else None
                if previous is not None and previous.node is None and previous.named and (
                        _QUALIFYING.fullmatch(text[previous.end:mention.start])
                        or _inside_parentheses_after(text, previous, mention)):
                    self._node(previous, span)  # "the Session Memory — a Redis hash": a component, built with Redis
                previous = next((m for m in reversed(kept) if m.node is not None), None)
                if previous is not None and previous.node is not None and _ROUTE.fullmatch(
                        text[previous.end:mention.start]) and fitting(mention.kind, previous.node.kind()):
                    self.registry.products.link(previous.node, mention.product_key)
                    continue  # "Mistral Large through La Plateforme": how the model is reached
                if previous is not None and _QUALIFYING.fullmatch(text[previous.end:mention.start]) \
                        and previous.node is not None:
                    self.registry.products.link(previous.node, mention.product_key)
                    continue  # "Audio Store (S3)": one component
                if previous is not None and previous.node is not None and _inside_parentheses_after(text, previous,
                                                                                                    mention):
                    self.registry.products.link(previous.node, mention.product_key)
                    continue  # "Note Model (Claude 3.5 Sonnet on Amazon Bedrock)"
                if mention.node is None and subject is not None and fitting(mention.kind, subject.kind()) \
                        and not re.search(r"\bfrom\s+(?:the\s+|a\s+)?$", text[:mention.start]):  # not an origin
                    self.registry.products.link(subject, mention.product_key)
                    mention.node, mention.kind = subject, subject.kind()
            kept.append(mention)
        return kept

    # ------------------------------------------------------------------------------------------- flows

    def _identities(self, span: Span, start: int, end: int, mentions: list[Mention], subject: Node | None) -> None:
        """"X is Y" / "X, which is backed by Y": Y is another name of X; "X is an LLM agent", "two tools: X and
        Y": what X is; "read-only access to X": what a tool acts on."""
        text = span.text
        listed = _KIND_LIST.search(text, start, end)
        if listed is not None:
            kind = kind_words().kind_of(listed.group("kind"))
            depth = 0
            for position in range(listed.end(), end):
                depth += {"(": 1, ")": -1}.get(text[position], 0)
                mention = next((m for m in mentions if m.start == position), None)
                if mention is not None and depth == 0 and kind is not None:
                    node = self._node(mention, span)
                    if node is not None:
                        node.stated_kinds.append(kind)
        for access in _ACCESS.finditer(text, start, end):
            target = next((m for m in mentions if m.start >= access.end() and
                           DIRECT_OBJECT.fullmatch(text[access.end():m.start])), None)
            owner = next((m.node for m in reversed(mentions) if m.end <= access.start() and m.node is not None
                          and opens_sentence(text, start, m)), subject)
            if target is not None and owner is not None:
                node = self._node(target, span)
                if node is not None:
                    owner.extra_facts.append(Fact("acts_on", node_key(node),
                                                  Where.at(span, access.start(), target.end)))
        for index, mention in enumerate(mentions):
            if mention.node is None and not mention.named:
                continue
            if _HOLDS.match(text, mention.end, end) and mention.node is not None \
                    and mention.node.kind_and_strength()[1] == 0:
                mention.node.stated_kinds.append(Kind.data_store)  # "the Billing System holds personal data"
            link = _IDENTITY.match(text, mention.end, end)
            if link is None:
                continue
            following = mentions[index + 1] if index + 1 < len(mentions) else None
            if following is not None and following.start == link.end() and following.node is None \
                    and (following.product or following.named):
                node = self._node(mention, span)
                if node is not None:
                    self.registry.alias(node, following.words)  # "the Tutor Model is GPT-4o mini"
                    following.node, following.kind = node, node.kind()
            elif link.group("article") and not link.group("by"):
                phrase = text[link.end():end]
                kind = kind_words().kind_of(head_phrase(phrase))
                if kind is not None and kind is not Kind.external_entity and mention.node is not None:
                    mention.node.stated_kinds.append(kind)

    # ------------------------------------------------------------------------------------------- facts

    # ----------------------------------------------------------------------------------------- helpers

    def _is_title(self, words: str) -> bool:
        """The system the documents describe ("The Contract Review Copilot flags ...") is not one of its parts;
        it is drafted only when a flow needs it."""
        title = normal(self.prose.document.title or "")
        return bool(title) and normal(words) in title

    def _node(self, mention: Mention, span: Span) -> Node | None:
        """The component a mention names, added to the model now that the text uses it (None when the words
        could name several components)."""
        if mention.ambiguous:
            self.notes.append(f"{span.where}: '{mention.words}' could be any of {', '.join(mention.ambiguous)}; "
                              "not linked to one of them")
            return None
        if mention.node is not None:
            mention.node.used = True
            if Where.at(span, mention.start, mention.end) not in mention.node.where:
                mention.node.extra_where.append(Where.at(span, mention.start, mention.end))
            return mention.node
        name = DETERMINER.sub("", mention.words).strip()
        longer = self.product_names.get(mention.product_key or "", name)
        entity = Entity(key=f"{self.prefix}:m:{normal(longer)}", name=longer,
                        where=[Where.at(span, mention.start, mention.end)],
                        kind=mention.kind, kind_strength=1, structural=False,
                        aliases=[name] if longer != name else [])  # "Teams" after "Microsoft Teams"
        node = self.registry.add(entity, self.prose.extraction.by)
        node.used = True
        self.keys.setdefault(entity.key, node)
        mention.node = node
        return node

    def _relation(self, source: Node | None, target: Node | None, where: Where, data: str | None, sentence: str,
                  *, bidirectional: bool = False) -> None:
        if source is None or target is None or source is target:
            return
        self.prose.extraction.relations.append(Relation(node_key(source), node_key(target), where, data,
                                                        bidirectional=bidirectional,
                                                        facts=protocol_facts(sentence, where)))

    def _unresolved(self, where: Where, why: str) -> None:
        item = Unresolved(where, why)
        if item not in self.unresolved:
            self.unresolved.append(item)



def _qualifier(text: str, mention: Mention, mentions: list[Mention]) -> bool:
    """A product that only says how another component is built or reached: "(PostgreSQL on Amazon RDS)" right
    after a component, "calls Claude through Amazon Bedrock", "via the OpenAI API"."""
    before = text[:mention.start]
    opening = before.rfind("(")
    if opening > before.rfind(")") and any(m.end <= opening and not text[m.end:opening].strip() for m in mentions):
        return True
    return mention.kind is Kind.model_provider and bool(re.search(r"\b(?:through|via|using|on)\s+(?:the\s+)?$",
                                                                  before))


def _center(text: str, start: int, mentions: list[Mention]) -> Node | None:
    """What a sentence is about, for a pronoun in the next one: its subject (the first component named that is
    not the object of a preposition), else the last component it names; never a person."""
    things = [m for m in mentions if m.node is not None and not is_person_mention(m)]
    subject = next((m for m in things if not PREPOSITION_BEFORE.search(text, start, m.start)), None)
    reached = [m for m in things if _REACHED.search(text, start, m.start)]  # "the draft goes to the Filter"
    chosen = subject or (reached[-1] if reached else None)
    return chosen.node if chosen is not None else None


def _named_person(mention: Mention) -> bool:
    """A job title written as a name ("the Records Manager"): drafted when the text has them use something."""
    return mention.kind is Kind.external_entity and kind_words().names_person(mention.words)


def _referring_words(node: Node) -> list[str]:
    """Words by which later text may name a component: its names and their last words ("the worker")."""
    return [w for e in node.entities for name in (e.name, *e.aliases)
            for w in {name.casefold(), name.casefold().split()[-1] if name.split() else ""} if w]


def _acts(text: str, mention: Mention) -> bool:
    """A product that is the subject of a clause whose verb moves data ("Pinecone stores the vectors"), not one
    named in passing ("sign in through Okta", "Cloudflare sits in front of it")."""
    return _opens_clause(text, mention) and bool(VERB.match(text, mention.end + len(re.match(
        r"[*_`]*\s+(?:(?:also|then|only|never|now)\s+)?", text[mention.end:]).group(0))))  # type: ignore[union-attr]


def _opens_clause(text: str, mention: Mention) -> bool:
    """A product that is the subject of its sentence ("Pinecone stores the vectors"), not one named in passing
    ("sign in through Okta", "#devprod on Slack")."""
    before = re.split(r"(?:[.!?;:]\s|\n\s*(?:[-*•]|\d+[.)])?\s*)", text[:mention.start])[-1]
    return not DETERMINER.sub("", before.strip(" *_`\t")).strip() and bool(
        re.match(r"[*_`]*\s+(?:(?:also|then|only|never|now)\s+)?(?:[a-z]+s|is|are|was|has|does|can|will|must)\b",
                 text[mention.end:]))


def _inside_parentheses_after(text: str, previous: Mention, mention: Mention) -> bool:
    opening = text.rfind("(", previous.end, mention.start)
    return opening >= 0 and not text[previous.end:opening].strip(" *_`") and ")" not in text[opening:mention.start]


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    bounds, position = [], start
    for match in _SENTENCE.finditer(text, start, end):
        bounds.append((position, match.start()))
        position = match.end()
    bounds.append((position, end))
    return [(a, b) for a, b in bounds if text[a:b].strip()]


