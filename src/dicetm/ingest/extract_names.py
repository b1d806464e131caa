"""Proper names in running text: the names a text gives components no structure named ("the Edge API", "FAQ
Crawler", "Analizador de Expedientes", "the Summariser is a small service", a function written as code), found by
``extract_mentions`` beside the names the documents' structure gave and the vocabulary's words.

A name is a run of capitalised words ending in a component word or followed by one in lower case; in other
languages a component word may open it, joined to its qualifier by a connector ("de", "des", "of") or followed by
it ("Gestor Documental"), and an article before it, an elided one too ("L'Application ..."), is not part of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dicetm.ingest.extract_flow_words import language_of
from dicetm.ingest.extract_kinds import FUNCTION_NAME, head_phrase, kind_words
from dicetm.ingest.extract_resolve import Node, Registry
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import Kind

NOT_A_NAME = frozenset({"markdown", "html", "json", "pdf", "csv", "xml", "yaml", "english", "french", "german",
                         "spanish", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                         "january", "february", "march", "april", "may", "june", "july", "august", "september",
                         "october", "november", "december", "the", "this", "that", "it", "them", "step", "section",
                         "figure", "table", "appendix", "production", "staging", "prod", "dev", "europe", "us", "eu"})


@dataclass
class Mention:
    start: int
    end: int
    words: str
    node: Node | None  # a component of the registry
    kind: Kind  # the node's kind, or the vocabulary's for a candidate
    product: bool = False  # a product of the vocabulary (a candidate component, not yet in the registry)
    person: bool = False  # a people word ("customers", "the analyst")
    named: bool = False  # a proper name ending in a component word ("the Edge API", "FAQ Crawler")
    ambiguous: list[str] | None = None  # a role word that could name any of these components
    product_key: str | None = None  # the vocabulary's key of the product named
    anaphor: bool = False  # "the vault": stands for a component named elsewhere
    passing: bool = False  # a name in passing ("licensed from Thomson Reuters", "AWS KMS"): drafted only if needed


_DELIVERY = re.compile(r"-as-an?-", re.I)  # "Software-as-a-Service", "Platform-as-a-Service"
_COMPOUND = 9  # letters: a German compound naming a component is at least this long ("Kernbanksystem")
_TOKEN = re.compile(r"[^\W_][\w&'.+-]*(?<![.'])")
_NUMBERED = re.compile(r"\d+(?:\.\d+)*[A-Za-z]*$")
_ELIDED = re.compile(r"(?i:l|d|qu|dell|all|nell|dall|sull|un)['’](?=[^\W\d_])")
_COLLECTIONS = frozenset({Kind.knowledge_source, Kind.log_store, Kind.training_data, Kind.memory})
_PRODUCT_HEADS = frozenset({"api", "apis", "service", "services", "sdk", "platform", "cloud", "endpoint", "console"})
_LEADERS = frozenset({"the", "a", "an", "our", "their", "its", "every", "each", "this", "that", "these", "those",
                      "then", "when", "if", "all", "both", "new", "which", "what", "where", "who", "whose", "how",
                      "why", "does", "do", "is", "are", "can", "will", "should",  # a question opens with these
                      "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "some",
                      "many", "few", "most", "no",
                      # question words of German, French, Spanish, Italian, Portuguese, Dutch and Polish
                      "wie", "wo", "welche", "welcher", "ob", "quel", "quelle", "quels", "comment", "où", "qué",
                      "cómo", "dónde", "cuál", "quale", "dove", "onde", "qual", "wat", "hoe", "waar", "welke",
                      "czy", "jak", "gdzie", "który", "która", "które"})
_PRONOUNS = frozenset({"it", "they", "we", "he", "she", "there", "here", "which", "who", "what", "one", "nothing",
                       "everything", "someone", "anyone"})
_POSSESSIVE = re.compile(r"['’]s?(?![\w])")
_LOWER_HEADS = frozenset({"app", "application", "bot", "chatbot", "widget", "assistant", "agent", "copilot", "plugin",
                          "extension", "add-in", "addin", "client", "console", "dashboard", "portal"})
_NAME_WORD = r"(?:[A-Z][\w.+&-]*[\w+]|[A-Z]|[a-z]+[A-Z][\w.+-]*)"
_DEFINED = re.compile(  # "The Summariser is a small service", "the Research Service, a Python service that"
    rf"(?<![\w'’-])(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}})[*_`]*(?:[ \t]*\([^()\n]{{1,40}}\))?"
    r"(?:[ \t]*,[ \t]*|[ \t]+(?:is|was)[ \t]+)(?:a|an|the|our|one)[ \t]+(?P<phrase>[^,.;:()\n]{1,60})")


def proper_names(text: str, registry: Registry, start: int, end: int) -> list[Mention]:
    """Runs of capitalised words ending in a component word ("the Edge API", "Mobile Banking App") or followed by
    one in lower case ("the Lumio app", "Harbour Mobile app"); an owner's name does not belong to the run
    ("Pocket's Assistant Memory" is the Assistant Memory). Names written head first, as Romance languages write
    them: a component word joined to its qualifier by a connector ("Analizador de Expedientes", "Journal des
    conversations", "Index of Policies") or followed by it ("Gestor Documental"); an article before the name, an
    elided one too ("L'Application ..."), is not part of it."""
    words = kind_words()
    tokens = [_unelided(text, t) for t in _TOKEN.finditer(text, start, end)]
    found: list[Mention] = []
    index = 0
    while index < len(tokens):
        run: list[re.Match[str]] = []
        joins: list[int] = []  # where connectors join the head to its qualifiers ("Base de Datos de Casos")
        while index < len(tokens) and (not run or not text[run[-1].end():tokens[index].start()].strip()):
            token = tokens[index].group(0)
            if run and _connects(text, run[-1], tokens, index):
                joins.append(run[-1].end())
                run.append(tokens[index])
                index += 1
                continue
            if not _capitalised(token):
                break
            run.append(tokens[index])
            index += 1
            if re.search(r"'s?$", run[-1].group(0)) or _POSSESSIVE.match(text, run[-1].end()):
                run, joins = [], []  # "Pocket's": the owner, not part of the name
        if not run:
            index += 1
            continue
        if run[0].group(0).lower() in _LEADERS or run[0].group(0).lower() in words.articles:
            run = run[1:]
        if not run:
            continue
        joins = [j for j in joins if j >= run[0].end()]
        if joins:
            while run[0].end() < joins[0] and not words.words.hits(run[0].group(0)):
                run = run[1:]  # "Raúl\nServicio de Informática": a signature's name is not the head
            joined = next((j for j in joins if words.kind_of(text[run[0].start():j]) is not None), joins[0])
            head_words = text[run[0].start():joined]
            qualifier = text[joined:run[-1].end()]
            if words.kind_of(head_words) is not None and words.words.hits(head_words):
                if head_words.lower() in _PRODUCT_HEADS and any(h.product for h in vocabulary().hits(qualifier)):
                    continue  # "API de Mistral AI": the product is the mention
                name = text[run[0].start():run[-1].end()]  # the head first, as Romance languages write it
                found.append(_proper(name, run[0].start(), head_words, registry))
                continue
        lower_head = re.match(r"[ \t]+([a-z][\w-]*)(?![\w-])", text[run[-1].end():end])
        modified = re.match(r"[ \t]+(?:mobile|web|desktop|native|ios|android|iphone|chat|admin|internal|public|"
                            r"resident|customer|staff|member|partner|patient|tenant|driver|employee|student|support)"
                            r"[ \t]+([a-z][\w-]*)(?![\w-])", text[run[-1].end():end], re.I)
        if modified and _lower_head(modified.group(1)):
            lower_head = modified  # "the TaxPal mobile app", "the Penny iOS app", "the Harbour resident app"
        described = re.search(r"(?<![\w-])(?:a|an|one|another|any|some)\s+(?:[\w-]+\s+)?$",
                              text[max(0, run[0].start() - 24):run[0].start()], re.I)
        if described is not None and not re.search(r"\b(?:called|named)\s", described.group(0), re.I):
            continue  # "a GitHub App that reviews ...", "a third-party AI API": what kind of thing, not a name
        technology = vocabulary().hits(text[run[0].start():run[-1].end()]) or run[-1].group(0).isupper()
        if lower_head and _lower_head(lower_head.group(1)) and not technology and (
                len(run) > 1 or re.search(r"[a-z][A-Z]", run[0].group(0))
                or not _at_sentence_start(text, start, run[0].start())):
            end_at = run[-1].end() + lower_head.end()  # "the Lumio app": a made-up name and a component word
            head = lower_head.group(1)
        elif len(run) >= 2:
            end_at, head = run[-1].end(), run[-1].group(0)
        else:
            qualified = words.qualifier.match(text, run[0].end(), end)
            if qualified and words.heads_first(run[0].group(0), text) and \
                    not _at_sentence_start(text, start, run[0].start()):  # "dans le Journal des conversations"
                found.append(_proper(text[run[0].start():qualified.end()], run[0].start(), run[0].group(0), registry))
            elif _named_compound(run[0].group(0), text):
                found.append(_proper(run[0].group(0), run[0].start(), run[0].group(0), registry))
            continue
        name = text[run[0].start():end_at]
        products = [h for h in vocabulary().hits(name) if h.product is not None] + \
            [h for h in words.words.hits(name) if h.product is not None]
        if products and (head.lower() in _PRODUCT_HEADS or any(h.end - h.start >= len(name) - 1 for h in products)):
            continue  # "OpenAI API", "Azure Cosmos DB": the product is the mention
        if words.kind_of(head) is None and 2 <= len(run) <= 4 and end_at == run[-1].end() and \
                words.heads_first(run[0].group(0), text):
            head = run[0].group(0)  # "Gestor Documental", "Application Conseil Semis": the head first
        kind = words.kind_of(head)
        if kind is None or not words.words.hits(head) or (head.lower().endswith("s") and len(head) > 3
                                                         and kind not in _COLLECTIONS and not head.isupper()):
            continue
        found.append(_proper(name, run[0].start(), head, registry))
    return found


def _named_compound(word: str, text: str) -> bool:
    """A German compound naming one component ("Stimmabdruck-Datenbank", "Transkriptspeicher"): German writes
    every noun capitalised, so a single capitalised word is a name only when it is a compound ending in a
    component word and longer than it, not a person, and not a word of the lists itself ("Sprachmodell")."""
    if len(word) < _COMPOUND or language_of(text) != "de" or _DELIVERY.search(word):
        return False  # "als Software-as-a-Service bezogen": how a product is bought, not a component
    words = kind_words()
    if any(h.start == 0 and h.end == len(word) for h in words.words.hits(word)):
        return False  # the word itself is a component word: "Datenbank", "Sprachmodell"
    kind = words.kind_of(word)
    head = words.compound_heads.search(word) or re.search(r"-[^\W\d_]{3,}$", word)
    return head is not None and kind is not None and kind is not Kind.external_entity and not words.is_section(word)


def _unelided(text: str, token: re.Match[str]) -> re.Match[str]:
    """A word without the article elided onto it: "Application" of "L'Application", "Archivio" of "dell'Archivio"."""
    elided = _ELIDED.match(token.group(0))
    if elided is None:
        return token
    return _TOKEN.match(text, token.start() + elided.end()) or token


def _capitalised(token: str) -> bool:
    """A word that opens with a capital of any script ("Índice", "Łódź"), or a number ("2.1")."""
    return token[:1].isupper() or bool(_NUMBERED.match(token))


def _connects(text: str, last: re.Match[str], tokens: list[re.Match[str]], index: int) -> bool:
    """Whether ``tokens[index]`` is a small word joining a capitalised name to a capitalised qualifier ("de" in
    "Analizador de Expedientes", "of" in "Index of Policies"): one or two connector words, then a capital."""
    for width in (1, 2):
        if index + width >= len(tokens):
            return False
        words = text[tokens[index].start():tokens[index + width - 1].end()]
        following = tokens[index + width]
        if " ".join(words.split()).lower() in kind_words().connector_words and _capitalised(following.group(0)) \
                and not text[tokens[index + width - 1].end():following.start()].strip() \
                and not text[last.end():tokens[index].start()].strip("\t "):
            return True
    return False


def _proper(name: str, begin: int, head: str, registry: Registry) -> Mention:
    words = kind_words()
    node = registry.find(name) or registry.short_form(name)
    return Mention(begin, begin + len(name), name, node, node.kind() if node else words.kind_of(name) or
                   words.kind_of(head) or Kind.process, named=True,
                   person=node is None and words.names_person(head))  # "the Records Manager"


_CODE_IDENTIFIER = re.compile(r"`(?P<name>[^\W\d_A-Z][^\W_A-Z]*(?:_[^\W_A-Z]+)+)`")  # `request_late_checkout`


def function_names(text: str, registry: Registry, start: int, end: int) -> list[Mention]:
    """A function name written as code is a tool ("call get_request_status, which ..."), and so is any
    identifier quoted as code in text that speaks of tools ("Two tools: `get_reservation` and
    `request_late_checkout`", "its `consultar_pedido` tool"), whatever its verb or language."""
    found = []
    matches = list(FUNCTION_NAME.finditer(text, start, end))
    quoted = [m for m in _CODE_IDENTIFIER.finditer(text, start, end)
              if not any(f.start("name") == m.start("name") for f in matches)]
    if quoted and any(kind is Kind.tool for _, kind in kind_words().hits(text[start:end])):
        matches = sorted([*matches, *quoted], key=lambda m: m.start())
    for match in matches:
        name = match.group("name")
        node = registry.find(name)
        found.append(Mention(match.start("name"), match.end("name"), name, node,
                             node.kind() if node else Kind.tool, named=True))
    return found


def _lower_head(word: str) -> bool:
    """A lower-case word that ends the name of an app or an agent after a proper name ("app", "bot")."""
    return word.lower() in _LOWER_HEADS


def defined_names(text: str, registry: Registry, start: int, end: int) -> list[Mention]:
    """A proper name the text says is a component ("The Summariser is a small service that ...", "the
    Research Service, a Python service", "Atlas Workspace, our web front end"): a component of that kind."""
    words = kind_words()
    found = []
    for match in _DEFINED.finditer(text, start, end):
        tokens = match.group("name").split()
        while tokens and tokens[0].lower() in _LEADERS:
            tokens = tokens[1:]
        if not tokens or tokens[0].lower() in NOT_A_NAME or tokens[0].lower() in _PRONOUNS:
            continue
        kind = words.kind_of(head_phrase(match.group("phrase")))
        if kind is None or words.names_person(head_phrase(match.group("phrase"))):
            continue
        name = " ".join(tokens)
        introduced = text[max(start, match.start() - 2):match.start()].strip() == ":" and \
            text[match.end("name"):match.start("phrase")].lstrip(" \t*_`").startswith(",")
        if len(tokens) == 1 and _at_sentence_start(text, start, match.start("name")) and not introduced and \
                not re.search(r"[a-z][A-Z]|\d", name) and match.group("name").split()[0].lower() not in _LEADERS:
            continue  # "Pocket is the assistant ...": the system itself, or any word opening a sentence (not
            # "one endpoint: Portcullis, our MCP gateway", a name a colon introduces and a comma describes)
        begin = match.start("name") + match.group("name").index(tokens[0])
        node = registry.find(name) or registry.short_form(name)
        found.append(Mention(begin, begin + len(name), name, node, node.kind() if node else kind, named=True))
    return found


def _at_sentence_start(text: str, start: int, position: int) -> bool:
    before = text[start:position]
    return not before.strip() or bool(re.search(r"(?:[.!?:;]|\n\s*(?:[-*•]|\d+[.)])?)\s*$", before))
