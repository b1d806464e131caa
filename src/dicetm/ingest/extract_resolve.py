"""The resolver: the entities every extractor found, merged into components (``extract_model`` turns them into
the drafted model).

Merging: an entity joins a component already known under the same name, one of its aliases ("Vector DB
(VDB)" is also "VDB"), the same name written as an identifier ("assistant-backend"), a configuration name
that drops the head noun ("catalog-sync" for "Catalog Sync Job"), or another name of the same product
("postgres" and "PostgreSQL"). A component's kind is the strongest statement about it: a kind the document
names explicitly (a "Kind" column, a C4 Person, a stereotype), then the words of its own name, then the head
phrase of its description, then its technology, then the shape it is drawn with; ``process`` when nothing
says; a model refines its provider, and a description that says "X is our agent loop" states the kind. A
component named only as a product another one restates is merged into it (``Registry.merge``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from dicetm.ingest.extract_ir import (
    EXPLICIT,
    STATED,
    WEAK,
    Entity,
    Extraction,
    Fact,
    Where,
    split_name,
)
from dicetm.ingest.extract_kinds import UPGRADES, head_phrase, kind_words
from dicetm.ingest.extract_products import ProductIndex
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import (
    PROCESS_KINDS,
    STORE_KINDS,
    Kind,
)

_NOT_BUILT = re.compile(r"\b(?:planned|future|not\s+(?:yet\s+)?(?:built|started|deployed)|tbd|proposed|deprecated|"
                        r"retired|phase\s+\d|prototype|idea|spike)\b", re.I)
_IDENTIFIER = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")
_WORDS = re.compile(r"[^\W_][\w .&'’()+-]*")  # a name in words ("Grafana Loki"), not an address ("s3://mnist")
_LEADING = re.compile(r"^(?:the|a|an|our|their|its)\s+", re.I)
# the end a user holds: "the Fernly API" is not the "Fernly mobile app" that calls it
_CLIENT_SIDE = frozenset({"app", "application", "ui", "frontend", "front end", "widget", "client", "extension", "site"})
_INTERFACES = frozenset({"api", "apis", "endpoint", "endpoints", "webhook", "webhooks", "sdk", "interface"})


def normal(name: str) -> str:
    """A name for comparing: case, markup, separators and a leading article do not count."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[*_`\"'“”‘’]+", " ", text.replace("-", " ").replace("/", " "))
    text = " ".join(text.split())
    return _LEADING.sub("", text)


_SHORT_FORMS = {"db": "database", "dbs": "databases", "repo": "repository", "app": "application", "svc": "service",
                "k8s": "kubernetes", "env": "environment", "msg": "message", "config": "configuration"}


# the head nouns that name the same thing: "transcripts-db", "Transcript Store" and "Transcript Database" are one
_SAME_HEADS = {"database": "store", "datastore": "store", "storage": "store", "databases": "store", "stores": "store"}


def _variants(name: str) -> set[str]:
    base = normal(name)
    found = {base, " ".join(_SHORT_FORMS.get(word, word) for word in base.split())}  # "Case DB" is "Case Database"
    for variant in list(found):
        if len(variant) > 3 and variant.endswith("s") and not variant.endswith("ss"):
            found.add(variant[:-1])  # "Customers" is "Customer"
    words = " ".join(_SHORT_FORMS.get(word, word) for word in base.split()).split()
    if len(words) >= 2 and (words[-1] in _SAME_HEADS or words[-1] == "store"):  # "Orders DB", "Order Store"
        found.add(" ".join([*(_singular(w) for w in words[:-1]), _SAME_HEADS.get(words[-1], "store")]))
    return {v for v in found if v}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")) else word


_GENERIC_HEADS = frozenset({"job", "service", "worker", "task", "function", "module", "pipeline", "process"})


def _shortens(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """"match store" of "Match Results Store"; "notes embedder" of "Notes Embedding Job" (a generic head left
    out, words compared by their stem)."""
    if not short or not long:
        return False
    dropped = len(long) > 2 and long[-1] in _GENERIC_HEADS and short[-1] not in _GENERIC_HEADS
    long = long[:-1] if dropped else long
    if short[-1] != long[-1] and _other_kinds(short[-1], long[-1]):
        return False  # "rate index" is not a short "Rate Sheet Indexer": a store and the job that fills it
    short, long = tuple(map(_stem, short)), tuple(map(_stem, long))
    if short[-1] != long[-1] or not set(short) <= set(long):
        return False
    return len(short) < len(long) or (dropped and len(short) == len(long))


def _other_kinds(first: str, second: str) -> bool:
    kinds = kind_words().kind_of(first), kind_words().kind_of(second)
    return None not in kinds and kinds[0] is not kinds[1]


def _stem(word: str) -> str:
    return re.sub(r"(?:ing|er|ers|or|ors|ion|ions|s)$", "", word) if len(word) > 4 else word


def _words(name: str) -> tuple[str, ...]:
    """A name's words for comparing forms of it: short forms spelt out, product names left out; nothing when
    the name puts a product before another component's name ("Acme API Coding Agent" is not a longer form)."""
    words = [_SHORT_FORMS.get(w, w) for w in normal(name).split()]
    products = [w for w in words if any(h.product is not None for h in vocabulary().hits(w))]
    if (products and words.index(products[0]) > 0) or any(w in _INTERFACES for w in words[:-1]):
        return ()  # "Acme API Coding Agent", "DeepSeek API Coding Agent": two names run together
    kept = tuple(w for w in words if w not in products)
    return kept if len(kept) >= 2 else tuple(words)


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
                    # "GitHub Copilot service (model)": a bare kind word beside a name says what it is
                    bare = _only_kind_words(entity.technology)
                    candidates.append((STATED + 0.6 if bare else WEAK + 0.5, -order, built))
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
        if kind is Kind.ml_model and strength < EXPLICIT and any(
                kind_words().names_llm(e.technology or "") or kind_words().names_llm(head_phrase(e.hint or ""))
                for e in self.entities):
            return Kind.llm, strength  # "Intent Classifier (GPT-4o mini)": a language model that classifies
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
        self.version = 0  # changes whenever a name is learned: what is derived from the names is rebuilt
        self._openings: tuple[int, dict[str, list[Node]]] = (-1, {})  # version, first word -> nodes

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
        self.version += 1
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
        self.version += 1
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
        self.version += 1
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

    def merge_bare_headings(self, keys: dict[str, Node]) -> None:
        """A component named only by a heading that is one component word ("3. Gateway", "Orchestrator") is the
        one component whose name ends in that word ("Lumio Cloud Gateway"), when there is exactly one."""
        words = kind_words()
        for node in list(self.nodes):
            name = node.name.strip()
            if len(node.entities) != 1 or " " in name or not node.structural:
                continue
            hits = words.words.hits(name)
            if len(hits) != 1 or hits[0].product is not None or hits[0].end - hits[0].start < len(name):
                continue
            ending = " " + normal(name)
            longer = [n for n in self.nodes if n is not node and (n.used or n.structural)
                      and any(other.endswith(ending) for other in n.names)]
            if len(longer) == 1:
                self.merge(longer[0], node, keys)

    def merge_short_names(self, keys: dict[str, Node]) -> None:
        """A component one document names by a shorter form of another's name is that component: "criteria
        fetcher" or "Qdrant notes index" in a table of one document, "Trial Criteria Fetcher" or "Clinical Notes
        Index" in another. The short form keeps the head noun, its other words are all in the longer name (a
        product word aside), and exactly one component has such a longer name."""
        words_of = {id(n): {_words(name) for name in n.names} for n in self.nodes}
        for node in list(self.nodes):
            if not node.structural or node not in self.nodes:
                continue
            short = max(words_of[id(node)], key=lambda w: (len(w), w), default=())
            if len(short) < 2:
                continue
            longer = [n for n in self.nodes if n is not node and (n.used or n.structural)
                      and any(_shortens(short, w) for w in words_of[id(n)])]
            if len({id(n) for n in longer}) == 1:
                self.merge(longer[0], node, keys)
                words_of[id(longer[0])] |= words_of[id(node)]

    def merge_reordered_names(self, keys: dict[str, Node]) -> None:
        """Names of the same words in another order are one component: ``tts-piper`` in a manifest, "Piper TTS"
        in the design doc."""
        for node in list(self.nodes):
            if node not in self.nodes:
                continue
            mine = {frozenset(name.split()) for name in node.names if len(set(name.split())) >= 2}
            same = [n for n in self.nodes if n is not node and (n.used or n.structural)
                    and any(frozenset(name.split()) in mine for name in n.names)]
            if len({id(n) for n in same}) == 1 and (node.used or node.structural):
                self.merge(same[0], node, keys)

    def merge_identifier_names(self, keys: dict[str, Node]) -> None:
        """A component known only by an identifier (a compose service, a manifest name) is the one component of the
        prose or a diagram whose name it abbreviates: ``loki`` for "Grafana Loki", ``memoria-reglas`` for "Memoria
        de reglas", ``mod-console`` for "Moderation console" (see ``_abbreviates``)."""
        for node in list(self.nodes):
            if node not in self.nodes or not node.structural or \
                    not all(_IDENTIFIER.fullmatch(e.name) for e in node.entities):
                continue
            short = tuple(w for w in re.split(r"[-_.]+", node.name.casefold()) if w)
            found = {id(n): n for n in self.nodes if n is not node and (n.used or n.structural)
                     and any(_WORDS.fullmatch(e.name) and not _IDENTIFIER.fullmatch(e.name) for e in n.entities)
                     and any(_abbreviates(short, tuple(other.split())) for other in n.names)}
            if len(found) == 1:
                self.merge(next(iter(found.values())), node, keys)

    def node_of(self, entity: Entity) -> Node | None:
        return self._owner.get(id(entity))

    def find(self, name: str) -> Node | None:
        exact = self._exact.get(name.strip())
        return exact or next((self._by_name[v] for v in _variants(name) if v in self._by_name), None)

    def short_form(self, name: str) -> Node | None:
        """The one component whose name the words open ("Frontify" for "Frontify Brand Portal", "Canvas" for
        "Canvas LMS"), or whose name they open and then name its interface ("Canvas REST API")."""
        words = normal(name).split()
        if not words:
            return None
        core = words[:-1] if words[-1] in _INTERFACES else words
        core = core[:-1] if core and core[-1] == "rest" and len(core) > 1 else core
        if not core or (len(core) > 1 and kind_words().words.hits(core[-1])):
            return None  # "Moderator Console" is a name of its own, not a short "Moderator Console audit table"
        interface = len(core) < len(words)
        found = {id(n): n for n in self._opening(core[0]) if (n.structural or n.used)
                 and any(other.split()[:len(core)] == core and len(other.split()) > len(core)
                         and not (interface and other.split()[-1] in _CLIENT_SIDE) for other in n.names)}
        return next(iter(found.values())) if len(found) == 1 else None

    def _opening(self, word: str) -> list[Node]:
        version, index = self._openings
        if version != self.version:
            index = {}
            for node in self.nodes:
                for other in node.names:
                    index.setdefault(other.split()[0] if other else "", []).append(node)
            self._openings = (self.version, index)
        return index.get(word, [])

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

    def capital_tails(self) -> list[tuple[str, Node]]:
        """The last word of a two-word name that is a proper name of its own ("Studio" for "ListingCraft
        Studio"): capitalised, no component or product word, ending the name of one component only and not
        itself a name. Found in text only as written, capitalised."""
        tails: dict[str, list[Node]] = {}
        for node in self.nodes:
            if not node.structural:
                continue
            for entity in node.entities:
                words = entity.name.split()
                if len(words) == 2 and re.fullmatch(r"[A-Z][a-z]{3,}", words[1]) and words[0][:1].isupper():
                    tails.setdefault(words[1], []).append(node)
        return [(tail, nodes[0]) for tail, nodes in sorted(tails.items())
                if len({id(n) for n in nodes}) == 1 and normal(tail) not in self._by_name
                and not vocabulary().hits(tail) and not kind_words().words.hits(tail)
                and not kind_words().is_section(tail)]

    def _match(self, entity: Entity) -> Node | None:
        found = [n for n in (self.find(name) for name in [entity.name, *entity.aliases]) if n is not None]
        if entity.kind is not None and entity.kind_strength >= EXPLICIT:
            # "servicenow" in mcp.json is the "ServiceNow MCP server", not the ServiceNow it talks to
            same = next((n for n in found if n.kind() is entity.kind), None)
            if same is not None:
                return same
        if found:
            return found[0]
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


def _only_kind_words(text: str) -> bool:
    """Whether ``text`` is made of generic kind words only ("model", "vector DB"), no product and nothing else."""
    hits = kind_words().hits(text)
    rest = text
    for hit, _ in reversed(hits):
        rest = rest[:hit.start] + rest[hit.end:]
    return bool(hits) and all(hit.product is None for hit, _ in hits) and not re.search(r"\w", rest)


def _abbreviates(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """The words of an identifier name the words of a longer name in order, each the word itself, its singular, its
    opening (``mod`` for "moderation") or its consonants (``clf`` for "classifier"); the identifier keeps the first
    or the last word of the name, and leaves out at most one of its words (``de``, "policy", "Grafana")."""
    if not short or len(short) >= len(long) + 1 or short == long:
        return False
    if not (_same_word(short[0], long[0]) or _same_word(short[-1], long[-1])):
        return False
    position, skipped = 0, 0
    for word in short:
        while position < len(long) and not _same_word(word, long[position]):
            position, skipped = position + 1, skipped + 1
        if position == len(long):
            return False
        position += 1
    return skipped + len(long) - position <= 1


def _same_word(short: str, long: str) -> bool:
    if short == long or short.rstrip("s") == long.rstrip("s"):
        return True
    if len(short) < 3 or short[0] != long[0] or len(short) >= len(long) or not short.isalpha():
        return False
    if long.startswith(short):
        return True
    rest = iter(long)  # consonants kept in order: "clf", "mgr", "svc"
    return not re.search(r"[aeiouy]", short[1:]) and all(letter in rest for letter in short)


def _product(name: str) -> str | None:
    hits = vocabulary().hits(name)
    if len(hits) == 1 and hits[0].product is not None and hits[0].start == 0 and hits[0].end == len(name):
        return hits[0].product
    return None


__all__ = ["Node", "Registry", "normal"]
