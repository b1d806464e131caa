"""Where a text mentions a component: the names every document gave its components (longest first), then
the product and role words of the vocabulary for components no structure named.

A component's name matches case-insensitively, its plural too ("the Policy Retrievers" is rare, "Customers"
common); a proper name in running text is one ending in a component word, or, in other languages, opening with
one ("Analizador de Expedientes"); a one-word lower-case name that is also an ordinary word (a compose service
called ``shell``) only matches in backticks. A vocabulary word that only qualifies a noun ("user messages") or
is not used as a noun phrase in running prose is not a mention; a product followed by its role word is one
mention ("Salesforce CRM"). A mention the words around it deny ("instead of X", "X was rejected", "should we add
X") is dropped, with a note. In a language that declines its nouns (Polish), a name of several words is also
found with other endings ("w bazie przejazdów" for the Baza przejazdów), and a bare head noun refers to the one
component whose name it opens, as that language has no articles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, partial

from dicetm.ingest.extract_flow_words import determiners, language_of
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.extract_names import NOT_A_NAME, Mention, defined_names, function_names, proper_names
from dicetm.ingest.extract_resolve import Node, Registry, normal
from dicetm.ingest.vocabulary import Hit, vocabulary
from dicetm.model.system import AI_KINDS, Kind

_WINDOW = 120
# the edges of a name in text: no letter, digit or hyphen beside it, except the kana and ideographs of a script
# written without spaces ("ボットAPIは": the ボットAPI)
_SPACELESS = r"\u3040-\u30ff\u3400-\u9fff"
_NOT_AFTER_WORD = rf"(?<!-)(?<![^\W{_SPACELESS}])"
_NOT_BEFORE_WORD = rf"(?![^\W{_SPACELESS}]|-)"
# indefinite articles and quantifiers among the languages' determiners: "un servicio" is not "the service"
_NOT_DEFINITE = frozenset({"un", "una", "unos", "unas", "une", "uno", "um", "uma", "ein", "eine", "einen", "einem",
                           "einer", "een", "cada", "chaque", "ogni", "elk", "elke", "jeden", "jede", "jedes", "każdy",
                           "każda", "każde", "ambos", "todos", "alle", "tutti"})
_BARE = re.compile(r"(?<![\w-])([^\W\d_][\w-]{4,})(?![\w-])")
_INFLECTING = frozenset({"pl", "cs"})  # languages whose names change their endings with their case in running text
_COMPOUND_TAIL = 5  # letters: a word this long may stand for a compound name ending in it ("orchestrator")
_NOT_BEFORE = re.compile(
    r"\b(?:instead\s+of|rather\s+than|not\s+use|not\s+using|no\s+longer\s+use|don't\s+use|doesn't\s+use|"
    r"do\s+not\s+use|does\s+not\s+use|never\s+use|migrat(?:e|ed|ing)\s+(?:away\s+)?from|"
    r"moved?\s+away\s+from|considered|evaluated|rejected|unlike|versus|vs\.?|compared\s+(?:to|with)|"
    r"alternatives?\s+(?:to|such\s+as|like|including)|looked\s+at|should\s+we\s+(?:add|use)|"
    r"(?:could|might|may|would)\s+(?:later\s+)?(?:add|use)|consider(?:ing)?\s+(?:adding|using)|"
    r"plan(?:s|ning)?\s+to\s+(?:add|use)|whether\s+to\s+(?:add|use)|previously|formerly|used\s+to\s+use|"
    r"no\s+longer|there\s+(?:is|are)\s+no|(?:better|worse|cheaper|faster|slower|lower|higher|more|less)\s+than)"
    r"(?:\s+[\w.'/-]+){0,3}\s*[(\"'*_`]*$"
    r"|\b(?:does|do|did|will|would|should|must|can|may)\s*(?:not|n't)\s+\w+(?:\s+[\w'-]+){0,5}\s+[(\"'*_`]*$", re.I)
_NOT_AFTER = re.compile(
    r"^[\w.-]*[)\"'*_`]*\s*(?:\((?:deprecated|legacy|removed|rejected|not\s+used|retired|considered|planned|"
    r"phase\s+\d|future|not\s+(?:yet\s+)?(?:built|started|deployed)|prototype|idea|spike)\b[^)]*\)|"
    r"(?:is|was|were|are|has\s+been|have\s+been|will\s+be)\s+(?:not\s+used|no\s+longer\s+used|rejected|deprecated|"
    r"removed|retired|decommissioned|replaced|dropped|out\s+of\s+scope|considered|evaluated|planned))", re.I)
_LISTED = re.compile(r"\s*(?:\([^()]{0,60}\))?\s*(?:,|,?\s*(?:and|or|nor))\s+(?:the\s+|a\s+|an\s+)?")
_LONGER_NAME = re.compile(r"(?:[ \t]+|[ \t]*\n[ \t]*)((?-i:[A-Z][a-z][\w-]*|[A-Z]{2,}[\w-]*))"
                          r"(?:(?:[ \t]+|[ \t]*\n[ \t]*)(?-i:[A-Z][a-z][\w-]*))*(?![\w-])")
_DEFINITE = re.compile(r"(?:\b(?i:the|this|that|our|its|el|la|le|il|lo|der|die|das|den|dem|het|o)\s+|"
                       r"\b(?i:l|dell|all|nell|dall)['’])([^\W\d_A-Z][\w-]+|API|DB|UI|LLM|CRM|SPA)\b")
_OBJECT = re.compile(r"\b(?:to|from|into|onto|calls?|quer(?:y|ies)|invokes?|asks?|contacts?|reaches)\s+"
                     r"(?P<name>(?-i:[A-Z][\w&+-]*[a-z0-9][\w&.+-]*)(?:[ \t]+(?-i:[A-Z][\w&+-]*)){0,3}"
                     r"(?:[ \t]+(?-i:[a-z][\w-]*))?)(?![\w-])")
_ARROW_NEAR = re.compile(r"(?:-+>|<-+|[→←↔⟶⇒]|=+>)\s*[\[(\"'`*_]*$")


def find_mentions(text: str, registry: Registry, start: int = 0, end: int | None = None,
                  notes: list[str] | None = None, place: str = "", *, denied: bool = False) -> list[Mention]:
    """Mentions in ``text[start:end]``, in order, not overlapping (``denied``: keep those the text denies)."""
    end = len(text) if end is None else end
    found = _registry_mentions(text, registry, start, end)
    names = proper_names(text, registry, start, end)
    names += [m for m in defined_names(text, registry, start, end)
              if not any(n.start < m.end and m.start < n.end for n in names)]
    names += [m for m in function_names(text, registry, start, end)
              if not any(n.start < m.end and m.start < n.end for n in names)]
    products = [m for m in _vocabulary_mentions(text, registry, start, end)]
    for name in [*names, *(m for m in products if m.product)]:
        inside = [m for m in found if name.start <= m.start and m.end <= name.end and (m.start, m.end) !=
                  (name.start, name.end)]
        if inside and not any(m.start < name.end and name.start < m.end for m in found if m not in inside):
            found = [m for m in found if m not in inside]  # "Slack Bridge" is more than "Slack", "Mistral Large"
    for mention in [*names, *products, *_definite_mentions(text, registry, start, end),
                    *_proper_objects(text, registry, start, end)]:
        if not any(m.start < mention.end and mention.start < m.end for m in found):
            found.append(mention)
    found.sort(key=lambda m: m.start)
    kept = []
    refused: Mention | None = None  # the last mention the text denied: a list after it shares its fate
    for mention in found:
        before = text[max(0, mention.start - _WINDOW):mention.start]
        before = re.split(r"[.;!?]\s", before)[-1]
        listed = refused is not None and _LISTED.fullmatch(text[refused.end:mention.start]) is not None
        if not denied and (listed or _NOT_BEFORE.search(before) or _NOT_AFTER.match(text[mention.end:end])):
            if notes is not None:
                notes.append(f"{place}: '{mention.words}' not drafted: the text says it is not used or only maybe")
            refused = mention
            continue
        refused = None
        kept.append(mention)
    return kept


def _registry_mentions(text: str, registry: Registry, start: int, end: int) -> list[Mention]:
    pattern, nodes = _registry_pattern(registry)
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text, start, end):
        name = match.group("name") or match.group("code")
        node = nodes.get(name.casefold()) or registry.find(name)
        if node is None:
            continue
        found.append(Mention(match.start(), match.end(), match.group(0).strip("`"), node, node.kind()))
    if language_of(text) in _INFLECTING:
        for begin, stop, node in _inflected(text, registry, start, end):
            if not any(m.start < stop and begin < m.end for m in found):
                found.append(Mention(begin, stop, text[begin:stop], node, node.kind()))
    return found


def _inflected(text: str, registry: Registry, start: int, end: int) -> list[tuple[int, int, Node]]:
    """Names of several words written with other endings, as languages that decline their nouns write them
    ("do modelu rozpoznawania tablic" for the Model rozpoznawania tablic, "w bazie przejazdów"): each word's
    stem, then a short ending. Longest names first; a match must be the name of one component only."""
    cached = getattr(registry, "_inflected_pattern", None)
    if cached is None or cached[0] != registry.version:
        stems: dict[str, list[Node]] = {}
        for name, node in registry.names():
            words = normal(name).split()  # "asystent_reklamacji" is "asystent reklamacji"
            if len(words) < 2 or not all(re.fullmatch(r"[^\W\d_]{2,}", w) for w in words):
                continue
            body = r"\s+".join(re.escape(_stem(w)) + r"\w{0,4}" for w in words)
            if all(n is not node for n in stems.get(body, [])):
                stems.setdefault(body, []).append(node)
        unique = {body: nodes[0] for body, nodes in stems.items() if len(nodes) == 1}
        ordered = sorted(unique, key=len, reverse=True)
        pattern = re.compile("|".join(f"(?P<n{i}>{body})" for i, body in enumerate(ordered)), re.I) \
            if ordered else None
        cached = (registry.version, pattern, [unique[body] for body in ordered])
        registry._inflected_pattern = cached  # type: ignore[attr-defined]
    _, pattern, nodes = cached
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text, start, end):
        if (match.start() and (text[match.start() - 1].isalnum() or text[match.start() - 1] == "-")) or \
                (match.end() < len(text) and (text[match.end()].isalnum() or text[match.end()] == "-")):
            continue
        index = int((match.lastgroup or "n0")[1:])
        found.append((match.start(), match.end(), nodes[index]))
    return found


def _stem(word: str) -> str:
    """What stays of a word when its case ending changes: "Model" -> "Mode", "przejazdów" -> "przejazd"."""
    return word[:-2] if len(word) >= 6 else word[:-1] if len(word) >= 4 else word


def _registry_pattern(registry: Registry) -> tuple[re.Pattern[str] | None, dict[str, Node]]:
    """The pattern of every name the registry knows (rebuilt when it learns a name)."""
    cached = getattr(registry, "_mention_pattern", None)
    if cached is not None and cached[0] == registry.version:
        return cached[1], cached[2]
    pattern, nodes = _compiled(registry.names(), registry.capital_tails())
    registry._mention_pattern = (registry.version, pattern, nodes)  # type: ignore[attr-defined]
    return pattern, nodes


def _compiled(names: list[tuple[str, Node]], tails: list[tuple[str, Node]]
              ) -> tuple[re.Pattern[str] | None, dict[str, Node]]:
    plain: list[str] = [f"(?-i:{re.escape(tail)})" for tail, _ in tails]  # "Studio", as written
    coded: list[str] = []
    nodes: dict[str, Node] = {}
    products = vocabulary()
    for tail, node in tails:
        nodes.setdefault(tail.casefold(), node)
    for name, node in names:
        if len(name) < 2:
            continue
        nodes.setdefault(name.casefold(), node)
        body = r"[\s-]+".join(re.escape(part) for part in re.split(r"[\s-]+", name.strip()))
        ordinary = name.islower() and " " not in name.strip() and not products.hits(name) \
            and not re.search(r"[\d_.-]", name)  # "shell" is a word; "mcp-parts" is a name
        (coded if ordinary else plain).append(body)
    if not plain and not coded:
        return None, nodes
    parts = [_NOT_AFTER_WORD + r"(?P<name>" + ("|".join(plain) or "(?!x)x") + r")(?:e?s)?" + _NOT_BEFORE_WORD,
             r"`(?P<code>" + ("|".join(coded) or "(?!x)x") + r")`"]
    return re.compile("|".join(parts), re.I), nodes


def _vocabulary_mentions(text: str, registry: Registry, start: int, end: int) -> list[Mention]:
    words = vocabulary()
    hits = [h for h in words.hits(text[:end]) if h.start >= start]
    extra = kind_words().words
    hits += [h for h in extra.hits(text[:end]) if h.start >= start and (h.product is not None or h.role == "person")
             and not any(o.start < h.end and h.start < o.end for o in hits)]
    hits.sort(key=lambda h: h.start)
    found: list[Mention] = []
    index = 0
    while index < len(hits):
        hit = hits[index]
        stop, extended = hit.end, 0
        kind = words.kinds[hit.role] if hit.role in words.kinds else extra.kinds[hit.role]
        if hit.product is not None:
            following = hits[index + 1] if index + 1 < len(hits) else None
            adjacent = following if following is not None and not text[hit.end:following.start].strip() else None
            if adjacent is not None and adjacent.role == hit.role and adjacent.product is None:
                stop, index = adjacent.end, index + 1  # "Salesforce CRM": one mention
            elif adjacent is not None and adjacent.product is not None and kind is Kind.model_provider \
                    and _kind_of_hit(adjacent) is Kind.llm:
                stop, index, kind = adjacent.end, index + 1, Kind.llm  # "OpenAI GPT-4o": the model
            else:
                suffix = re.match(r"[ \t]+([\w-]+)", text[hit.end:end])
                longer = _LONGER_NAME.match(text, hit.end, end)
                if longer and "\n" in text[hit.end:longer.end()] and \
                        " ".join(text[hit.start:longer.end()].split()) not in text:
                    longer = None  # "Llama 3.1 70B Instruct" at a line's end, "Fluxx (SaaS)" on the next
                if suffix and suffix.group(1).lower() in words.suffixes and not (
                        kind is Kind.llm and suffix.group(1).lower() in ("deployment", "endpoint", "instance")):
                    stop = hit.end + suffix.end()  # "Salesforce instance"; but "the GPT-4o deployment" is GPT-4o
                elif longer and (longer.group(1).lower() not in words.modifiers or longer.group(1).istitle()) \
                        and not extra.hits(longer.group(1)):  # "Zendesk Support", not "Okta SSO"
                    stop = extended = longer.end()  # "Claude Desktop", "Splunk Cloud": a product of its own
                    after = re.match(r"[ \t]+([\w-]+)", text[stop:end])
                    if after and after.group(1).lower() in words.modifiers:
                        index += 1
                        continue  # "our Claude Team plan": a plan, not a component
            if re.match(r"['’]s?\b", text[stop:]):
                index += 1
                continue  # "DeepSeek's hosted API", "Zendesk's IP ranges": about something of theirs
            modified = re.match(r"[ \t]+([\w-]+)", text[stop:end])
            if modified and modified.group(1).lower() in words.modifiers:
                index += 1
                continue  # "Okta SSO", "a Jira account": a way of signing in, not the product
            words_of = text[hit.start:stop]
            company = bool(words.operated_by(hit.product))
            longer_name = extended
            extended = extended if company else 0  # "Amazon Transcribe Medical" is not Amazon's Bedrock
            node = registry.find(words_of) or (None if extended else registry.products.component(
                hit, text[hit.start:hit.end], kind, registry.nodes))
            if longer_name and node is not None and normal(words_of) not in node.names:
                node = None  # "Zendesk Support" is not the "Zendesk Guide" the text also names
            if node is None and company and stop == hit.end:
                index += 1
                continue  # a company named alone ("AWS-managed", "our Google account") is not a component
            found.append(Mention(hit.start, stop, words_of, node, node.kind() if node is not None else kind,
                                 product=not extended, named=bool(extended), passing=bool(extended),
                                 product_key=None if extended else hit.product))
        elif (begin := _role_start(text, hit, kind, max(start, found[-1].end if found else start))) < hit.start \
                or _generic_counts(text, hit, kind):
            candidates = _nodes_of_role(registry, hit.role, kind) if kind is not Kind.external_entity else []
            node = registry.find(text[begin:stop]) or (candidates[0] if len(candidates) == 1 else None)
            found.append(Mention(begin, stop, text[begin:stop], node, kind,
                                 person=kind is Kind.external_entity,
                                 ambiguous=[c.name for c in candidates] if node is None and candidates else None))
        index += 1
    return found


_ROLE_MODIFIER = re.compile(r"(?<![\w'’-])([A-Za-z0-9][\w-]*)[ \t]+$")
_NOT_A_ROLE_WORD = frozenset({
    "the", "a", "an", "our", "their", "its", "his", "her", "your", "my", "each", "every", "any", "all", "some", "no",
    "other", "another", "both", "few", "many", "most", "several", "such", "this", "that", "these", "those", "which",
    "whose", "and", "or", "nor", "but", "to", "of", "for", "by", "with", "from", "in", "on", "at", "as", "than",
    "when", "where", "while", "if", "so", "then", "also", "only", "just", "even", "one", "two", "three", "four",
    "external", "internal", "human", "new", "existing", "individual", "named", "responsible", "licensed", "senior",
    "junior", "real", "actual", "authorised", "authorized", "registered", "reporting", "relevant", "same", "own",
    "local", "remote", "trained", "assigned", "lead", "main", "is", "are", "was", "were", "be", "not", "who",
})


_PLURAL_MODIFIERS = frozenset({"sales", "news", "customs", "operations", "claims", "payments", "accounts", "admissions",
                               "communications", "logistics", "analytics", "systems", "records", "benefits"})


def _role_start(text: str, hit: Hit, kind: Kind, floor: int) -> int:
    """Where a people word's name begins: the one noun before it that says which people ("Panel reviewers",
    "an IT analyst", "311 supervisors"), not an article or an adjective ("the external reviewers")."""
    before = _ROLE_MODIFIER.search(text, floor, hit.start)
    if kind is not Kind.external_entity or hit.product is not None or before is None:
        return hit.start
    word = before.group(1)
    if word.lower() in _NOT_A_ROLE_WORD or word.lower().endswith("ly") or re.match(r"['’]s?\b", text[hit.end:]) \
            or (word.lower().endswith("s") and not word.isupper() and word.lower() not in _PLURAL_MODIFIERS) \
            or (re.search(r"\d", word) and not word.isdigit()):
        return hit.start  # "lets residents", "Finds patients", "ADR-0004 Player": a verb or a label
    if (vocabulary().hits(word) or kind_words().words.hits(word)) and word.lower() not in vocabulary().modifiers:
        return hit.start  # "the LLM users": a component word qualifies, it does not name the role
    determiner = re.search(r"([\w-]+)[ \t\n]+$", text[:before.start(1)])
    if not (word[:1].isupper() or word[:1].isdigit() or text[hit.start:hit.end].lower().endswith("s")
            or (determiner and determiner.group(1).lower() in ("a", "an", "the", "each", "every", "any"))):
        return hit.start
    return before.start(1)


def _kind_of_hit(hit: Hit) -> Kind:
    words = vocabulary()
    return words.kinds[hit.role] if hit.role in words.kinds else kind_words().words.kinds[hit.role]


def _generic_counts(text: str, hit: Hit, kind: Kind) -> bool:
    """A role word counts as a noun phrase: "the vector database", "Customers", "gateway -> orchestrator"."""
    words = vocabulary()
    after = re.match(r"[ \t]+([\w-]+)", text[hit.end:])
    following = after.group(1).lower() if after else ""
    if re.match(r"['’]s?\b", text[hit.end:]):
        return False  # "the customer's browser"
    if following in words.modifiers or (following and not following.endswith("s")
                                        and kind_words().words.hits(following)):
        return False  # "user messages", "customer support", "the LLM gateway"
    if _ARROW_NEAR.search(text, 0, hit.start) or re.match(r"[\])\"'`*_]*\s*(?:-+>|[→⟶⇒]|=+>)", text[hit.end:]):
        return True
    written = text[hit.start:hit.end]
    before = re.search(r"([\w-]+)[ \t\n]+$", text[:hit.start])
    plural_person = kind is Kind.external_entity and written.lower().endswith("s")
    return bool(plural_person or written[:1].isupper() or (before and before.group(1).lower() in words.determiners))


def _roles_of_names(registry: Registry) -> dict[str, frozenset[str]]:
    """name -> the vocabulary roles its words have, for every component (cached until a name changes)."""
    key = registry.version
    cached = getattr(registry, "_roles_of_names", None)
    if cached is not None and cached[0] == key:
        return dict(cached[1])
    words = vocabulary()
    roles = {n.name: frozenset(h.role for h in words.hits(n.name)) for n in registry.nodes}
    registry._roles_of_names = (key, roles)  # type: ignore[attr-defined]
    return roles


def _nodes_of_role(registry: Registry, role: str, kind: Kind) -> list[Node]:
    """The components a role word may stand for: those whose names have a word of the same role ("chat
    widget" for "React widget"), else, for a specific kind, the components of that kind ("the vector database"
    for the one vector store)."""
    known = [n for n in registry.nodes if n.structural or n.used]
    roles = _roles_of_names(registry)
    same_role = [n for n in known if role in roles.get(n.name, ())]
    if same_role:
        return same_role
    if kind in (Kind.process, Kind.data_store):
        return []
    return [n for n in known if n.kind() is kind]


def _definite_mentions(text: str, registry: Registry, start: int, end: int) -> list[Mention]:
    """"The vault", "the orchestrator", "the app": the one component whose name ends in that word (or, for a
    word naming an AI kind, "the model", the one component of that kind). In another language its own articles
    count too ("de orchestrator", "die Dialog-Engine", German capitalising its nouns), a name may put the word
    first ("le widget": the Widget de chat), and a compound may end in it ("de orchestrator": the
    Gespreksorchestrator)."""
    found = []
    words = kind_words()
    language = language_of(text)
    for match in _definite_pattern(language).finditer(text, start, end):
        head = match.group(1)
        following = re.match(r"\s+([\w-]+)", text[match.end(1):end])
        if following and (following.group(1).lower() in vocabulary().modifiers or words.words.hits(following.group(1))):
            continue  # "the app server", "the model registry"
        nodes = _named_by(registry, head, _last_word)
        if not nodes:  # "die App": the Rückgabe-App, a compound joined by a hyphen, however short its head
            nodes = _named_by(registry, head, partial(_hyphen_tail, head=head))
        if not nodes and (words.heads_first(head, text) or language != "en"):
            nodes = _named_by(registry, head, _first_word)  # "l'application": the Application Conseil Semis
        if not nodes and len(head) >= _COMPOUND_TAIL:
            nodes = _named_by(registry, head, partial(_compound_tail, head=head))
        if not nodes:
            kind = words.kind_of(head)
            nodes = [n for n in registry.nodes if (n.structural or n.used) and kind in AI_KINDS and n.kind() is kind]
        if len({id(n) for n in nodes}) == 1:
            found.append(Mention(match.start(1), match.end(1), head, nodes[0], nodes[0].kind(), anaphor=True))
    if language in _INFLECTING:  # no articles: "Asystent pobiera ...", the Asystent reklamacji
        for match in _BARE.finditer(text, start, end):
            head = match.group(1)
            nodes = [n for n in _named_by(registry, head, _first_word) if any(
                len(normal(name).split()) >= 2 for name in n.names)]
            if len({id(n) for n in nodes}) == 1 and not any(m.start <= match.start() < m.end for m in found):
                found.append(Mention(match.start(1), match.end(1), head, nodes[0], nodes[0].kind(), anaphor=True))
    return found


def _named_by(registry: Registry, head: str, word: Callable[[str], str]) -> list[Node]:
    """The components one of whose names has ``head`` as its ``word`` (its last, or its first)."""
    return [n for n in registry.nodes if (n.structural or n.used) and any(
        word(name) == head.lower() for e in n.entities for name in (e.name, *e.aliases))]


def _hyphen_tail(name: str, head: str) -> str:
    """``head`` (lower case) when the last word of ``name`` ends in it after a hyphen ("Rückgabe-App"), else the last
    word."""
    last = _last_word(name)
    return head.lower() if last.endswith("-" + head.lower()) else last


def _compound_tail(name: str, head: str) -> str:
    """``head`` (lower case) when the last word of ``name`` is a compound ending in it ("Gespreksorchestrator",
    "Dialog-Engine"), else the last word."""
    last = _last_word(name)
    head = head.lower()
    return head if last.endswith(head) and len(last) > len(head) and (last[-len(head) - 1] == "-" or len(
        last) - len(head) >= 3) else last


@lru_cache(maxsize=16)
def _definite_pattern(language: str) -> re.Pattern[str]:
    """``_DEFINITE`` with the articles of ``language`` beside the English ones; a German noun may be capitalised."""
    articles = sorted(determiners(language) - _NOT_DEFINITE, key=len, reverse=True)
    if not articles:
        return _DEFINITE
    head = r"[^\W\d_][\w-]+" if language == "de" else r"[^\W\d_A-Z][\w-]+"
    return re.compile(rf"(?:\b(?i:the|this|that|our|its|{'|'.join(map(re.escape, articles))})\s+|"
                      rf"\b(?i:l|dell|all|nell|dall)['’])({head}|API|DB|UI|LLM|CRM|SPA)\b")


def _first_word(name: str) -> str:
    words = re.findall(r"[^\W_]+(?:-[^\W_]+)*", name.lower())
    return words[0] if words else ""


def _last_word(name: str) -> str:
    words = re.findall(r"[\w-]+", name.lower())
    return words[-1] if words else ""


def _proper_objects(text: str, registry: Registry, start: int, end: int) -> list[Mention]:
    """A proper name right after a flow word ("sends the audio to Amazon Transcribe Medical", "calls
    ComplyAdvantage", "read from Epic"): a component the text names without saying what it is."""
    found = []
    for match in _OBJECT.finditer(text, start, end):
        name = match.group("name")
        words = name.split()
        if len(words) > 1 and words[-1].islower() and not kind_words().words.hits(words[-1]):
            name = name[:name.rindex(words[-1])].rstrip()  # "to Epic over FHIR": a lower-case word only as a head
        if name.lower() in NOT_A_NAME or name.split()[0].lower() in NOT_A_NAME:
            continue
        node = registry.find(name) or registry.short_form(name)
        found.append(Mention(match.start("name"), match.start("name") + len(name), name, node,
                             node.kind() if node else kind_words().kind_of(name) or Kind.process, named=True,
                             passing=True))
    return found
