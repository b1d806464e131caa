"""Draft a system model from documents without any LLM: the deterministic half of "describe from documents".

OpenAPI descriptions give the API as a process, one shared "API client" and a flow per operation (per
path group when there are more than ``MAX_OPERATION_FLOWS``). ``authenticated`` comes from the security
requirements (an empty list, or an empty requirement object, means anonymous callers are allowed; no
requirement anywhere means unknown; the API itself only gets a value when all operations agree),
``exposure`` from the server hosts (``internet`` when a server has a public host; ``internal`` when every
server is loopback, a private address, a single-label name or an ``.internal``/``.local``-style name;
relative, templated and ``example.com``-style placeholder hosts say nothing), ``protocol``/``encrypted``
from the URL schemes when they all agree. An operation whose span the scan flagged still gets its flow, from
the document's structure alone: its span reference is marked ``flagged`` and none of its text (summary,
description) is copied into the model, so that withholding text from prompts never removes structure. An
operation with no span at all is left out, with a note.

Prose (Markdown, text, HTML, PDF, Word) gives components named by the vocabulary (``vocabulary.yaml``) in
headings, paragraphs, list items and table rows. In running prose a generic word ("vector database") only
counts as a noun phrase ("the vector database", "Customers", next to an arrow); it does not count when it
qualifies a noun ("user messages"). A product followed by its role word or a suffix is one name ("Salesforce
CRM", "React widget"). Flows come from statements in one sentence: ``X sends/writes ... to Y``, ``X
reads/fetches ... from Y``, ``X calls/queries Y``, ``Y receives ... from X``, ``Y returns ... to X``,
arrows (``X -> Y``, ``X → Y``, Mermaid edges with node ids, also inside code blocks) and rows of a table
whose header names ``from``/``to`` (or ``source``/``target``) columns. A flow points from the side that
starts the exchange. A mention is passed over, with a note, when the words just around it say the component
is not used or only maybe ("instead of X", "does not use X", "X was rejected", "should we add X") or when
its section heading is about alternatives, rejected options, open questions, future work, a glossary and
the like (the heading's level is not known, so a subheading ends the section). Hidden spans are never read.
Trust boundaries are not drafted.

Nothing is guessed: a fact is set only where a rule above reads it from the document, every element and
flow carries ``provenance`` (``draft: true``) with the spans and the exact words it rests on, and what
could not be mapped is said in ``Draft.notes``.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dicetm.ingest.documents import Document, Span
from dicetm.ingest.read_openapi import operations
from dicetm.ingest.secrets import redact
from dicetm.ingest.vocabulary import Hit, Vocabulary, vocabulary
from dicetm.model.system import Exposure, Kind, SourceInfo, SpanRef, System

MAX_SPANS = 5  # provenance spans kept per element or flow
MAX_OPERATION_FLOWS = 25
MAX_LISTED_OPERATIONS = 12  # operations named in the `data` of a grouped flow
MAX_QUOTE = 200
_WINDOW = 120  # characters before a mention searched for words that qualify it
_PROSE_KINDS = frozenset({"heading", "paragraph", "list-item", "table-row"})
_STRUCTURED_KINDS = frozenset({"heading", "list-item", "table-row"})
_LLM_WORDS = re.compile(r"\b(chat|completions?|generate|generation|ask|prompts?|agents?|embed(?:dings?)?)\b", re.I)
_PLACEHOLDER_HOSTS = re.compile(r"(^|\.)(example\.(com|org|net)|[^.]+\.(example|test|invalid))$")
_PRIVATE_SUFFIXES = (".internal", ".local", ".localhost", ".lan", ".corp", ".intranet", ".home.arpa", ".svc",
                     ".private", ".localdomain")

# ---- the words around a mention that say it is not part of the system
_NOT_BEFORE = re.compile(
    r"\b(?:instead\s+of|rather\s+than|not\s+use|not\s+using|no\s+longer\s+use|don't\s+use|doesn't\s+use|"
    r"do\s+not\s+use|does\s+not\s+use|never\s+use|migrat(?:e|ed|ing)\s+(?:away\s+)?from|"
    r"moved?\s+away\s+from|considered|evaluated|rejected|unlike|versus|vs\.?|compared\s+(?:to|with)|"
    r"alternatives?\s+(?:to|such\s+as|like|including)|except|without|should\s+we\s+(?:add|use)|"
    r"(?:could|might|may|would)\s+(?:later\s+)?(?:add|use)|consider(?:ing)?\s+(?:adding|using)|"
    r"plan(?:s|ning)?\s+to\s+(?:add|use)|whether\s+to\s+(?:add|use)|previously|formerly|used\s+to\s+use|"
    r"no\s+longer|there\s+(?:is|are)\s+no)"
    r"(?:\s+[\w.'/-]+){0,3}\s*[(\"'*_]*$", re.I)
_NOT_AFTER = re.compile(
    r"^[\w.-]*[)\"'*_]*\s*(?:\((?:deprecated|legacy|removed|rejected|not\s+used|retired|considered)\)|"
    r"(?:is|was|were|are|has\s+been|have\s+been|will\s+be)\s+(?:not\s+used|no\s+longer\s+used|rejected|deprecated|"
    r"removed|retired|decommissioned|replaced|dropped|out\s+of\s+scope|considered|evaluated))", re.I)
_EXCLUDED_SECTION = re.compile(
    r"\b(alternatives?|considered|rejected|out\s+of\s+scope|non-goals?|not\s+in\s+scope|future\s+work|roadmap|"
    r"open\s+questions?|next\s+steps|ideas|to\s*do|"
    r"deprecated|legacy|decommissioned|glossary|revision\s+history|change\s*log|previous\s+(?:design|"
    r"architecture|version))\b", re.I)

# ---- flow statements
_LEAD = (r"\s*(?:,\s*)?(?P<rel>(?:which|that|who)\s+)?(?P<coord>(?:and|then|also|and\s+then)\s+)?"
         r"(?:(?:then|also|in\s+turn|finally|first|later|directly|securely|asynchronously|periodically|nightly|"
         r"synchronously)\s+){0,2}")
_SEND = (r"sends?|forwards?|posts?|push(?:es)?|publish(?:es)?|pass(?:es)?|submits?|streams?|uploads?|emits?|"
         r"routes?|relays?|proxies|delivers?|writes?|stores?|saves?|persists?|caches?|logs?|records?|"
         r"index(?:es)?|upserts?|inserts?|puts?|archives?|exports?|ships?|mirrors?|replicates?|enqueues?")
_FETCH = (r"reads?|fetch(?:es)?|retrieves?|pulls?|loads?|downloads?|looks?\s+up|collects?|quer(?:y|ies)|"
          r"search(?:es)?|requests?|imports?|ingests?|crawls?|scrapes?|syncs?|consumes?")
_RECEIVE = r"receives?|gets?|obtains?|accepts?"
_ANSWER = r"returns?|responds?\s+with|replies\s+with|answers\s+with"
_DIRECT = (r"calls?(?:\s+(?:out\s+to|into))?|quer(?:y|ies)|invokes?|hits?|contacts?|consults?|search(?:es)?|"
           r"polls?|talks?\s+to|connects?\s+to|is\s+connected\s+to|sends?\s+requests\s+to|delegates\s+to")
_OBJECT = r"(?P<object>(?:\s+(?!(?:to|into|in|from|on|via)\b)[\w'/.-]+){0,6}?)"
_VERB_PATTERNS = (
    ("forward", re.compile(rf"{_LEAD}(?P<verb>{_SEND}){_OBJECT}\s+(?:to|into|in|on)\b", re.I)),
    ("forward", re.compile(rf"{_LEAD}(?P<verb>{_FETCH}){_OBJECT}\s+from\b", re.I)),
    ("reverse", re.compile(rf"{_LEAD}(?P<verb>{_RECEIVE}){_OBJECT}\s+from\b", re.I)),
    ("reverse", re.compile(rf"{_LEAD}(?P<verb>{_ANSWER}){_OBJECT}\s+to\b", re.I)),
    ("forward", re.compile(rf"{_LEAD}(?P<verb>{_DIRECT})(?P<object>)\b", re.I)),
)
_JOINED_SUBJECT = re.compile(r"\b(?:and|or|&)\s+(?:(?:the|a|an|our|its|their)\s+)?[\[(\"'`*_]*$", re.I)
_GAP_TO_TARGET = re.compile(r"\s*(?:(?:the|a|an|our|its|their|this|that|each)\s+)?(?:[\w-]+\s+){0,2}")
_PRONOUNS = frozenset({"it", "them", "this", "that", "these", "those", "everything", "all", "one", "something",
                       "requests", "data", "calls"})
_ARROW = re.compile(r"<-+\.?-*>|<=+>|[↔⟷]|-+\.?-*>|=+>|[→⟶⇒➜➔]|<-+\.?-*|<=+|[←⟵]")
_ARROW_BEFORE = re.compile(rf"(?:{_ARROW.pattern})\s*[\[(\"'`*_]*$")
_ARROW_AFTER = re.compile(rf"[\])\"'`*_]*\s*(?:{_ARROW.pattern})")
_NODE_DEFINITION = re.compile(r"\b([A-Za-z][\w-]*)(?:\[\[|\[\(|\(\(|\(\[|\[/|\[\\|\{\{|[\[({>])")
_NODE_CLOSE = re.compile(r"[\])}\n]")
_NODE_REFERENCE = re.compile(r"\s*(?:\|[^|\n]*\|)?\s*([A-Za-z][\w-]*)\s*;?\s*")
_FROM_COLUMN = re.compile(r"^(from|source|sender|caller|client|origin|producer|initiator)$", re.I)
_TO_COLUMN = re.compile(r"^(to|target|destination|receiver|callee|server|sink|consumer|recipient)$", re.I)
_DATA_COLUMN = re.compile(r"^(data|payload|content|carries|information|what|description|data flow)$", re.I)


@dataclass
class Draft:
    """A drafted model (valid, every item marked ``draft``) and notes on what could not be mapped."""

    system: System
    notes: list[str] = field(default_factory=list)


def extract_draft(documents: Sequence[Document], *, name: str | None = None,
                  flagged: Mapping[Span, str] | None = None) -> Draft:
    """Draft the components and flows the documents state, without any LLM (see the module docstring).

    ``flagged``: the spans the scan withheld (left out of ``documents``), each with its finding categories.
    """
    model = _Model()
    prose = [d for d in documents if d.format != "openapi"]
    for document in documents:
        if document.format == "openapi" and isinstance(document.data, dict):
            _OpenApi(model, document, document.data, flagged or {}).add()
    if prose:
        _Prose(model, vocabulary(), prose).add()
    title = name or next((d.title for d in documents if d.title), None) or next(
        (s.text for d in documents for s in d.visible_spans if s.kind == "heading"), None)
    return Draft(system=model.system(title or "Drafted system"), notes=model.notes)


# --------------------------------------------------------------------------------------------- the model


@dataclass
class _Item:
    name: str
    by: str
    spans: list[SpanRef]
    facts: dict[str, Any]
    kind: Kind | None = None  # elements
    ends: tuple[str, str] | None = None  # flows: source and target element keys
    slug: str = ""
    operations: list[str] = field(default_factory=list)  # OpenAPI flows: the operations they stand for


class _Model:
    """Elements and flows by key, in the order first seen, with their provenance."""

    def __init__(self) -> None:
        self.elements: dict[str, _Item] = {}
        self.flows: dict[object, _Item] = {}
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def element(self, key: str, name: str, kind: Kind, by: str, ref: SpanRef | None) -> _Item:
        item = self.elements.setdefault(key, _Item(name=name, by=by, spans=[], facts={}, kind=kind))
        _add_ref(item, ref)
        return item

    def flow(self, key: object, source: str, target: str, by: str, ref: SpanRef | None, slug: str) -> _Item:
        item = self.flows.setdefault(key, _Item(name="", by=by, spans=[], facts={}, ends=(source, target), slug=slug))
        _add_ref(item, ref)
        return item

    def system(self, name: str) -> System:
        ids: dict[str, str] = {}
        taken: set[str] = set()
        for key, item in self.elements.items():
            ids[key] = _unique(_slug(item.name) or (item.kind.value if item.kind else "element"), taken)
        elements = [{"id": ids[key], "name": item.name, "kind": item.kind, **item.facts,
                     "provenance": _provenance(item)} for key, item in self.elements.items()]
        flows = []
        for item in self.flows.values():
            assert item.ends is not None
            source, target = ids[item.ends[0]], ids[item.ends[1]]
            flow_id = _unique(_slug(item.slug) or f"{source}-to-{target}", taken)
            flows.append({"id": flow_id, "source": source, "target": target, **item.facts,
                          "provenance": _provenance(item)})
        return System.model_validate({"name": name, "elements": elements, "flows": flows})


def _add_ref(item: _Item, ref: SpanRef | None) -> None:
    if ref is not None and ref not in item.spans and len(item.spans) < MAX_SPANS:
        item.spans.append(ref)


def _provenance(item: _Item) -> SourceInfo:
    return SourceInfo(by=item.by, draft=True, spans=item.spans)


def _ref(span: Span, quote: str | None, flagged: str | None = None) -> SpanRef:
    """The whole span as the place (as the assisted describe cites it), with the exact words it rests on."""
    if quote is not None:
        quote = quote.strip()[:MAX_QUOTE].strip() or None
    end_line = span.end_line if span.end_line != span.line else None
    return SpanRef(file=span.file, line=span.line, end_line=end_line, page=span.page, quote=quote, flagged=flagged)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-")


def _unique(base: str, taken: set[str]) -> str:
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


# ------------------------------------------------------------------------------------------------ OpenAPI


class _OpenApi:
    def __init__(self, model: _Model, document: Document, data: dict[str, Any], flagged: Mapping[Span, str]) -> None:
        self.model = model
        self.document = document
        self.data = data
        self.flagged = {span: why for span, why in flagged.items() if span.file == document.path}
        self.by = "extract:openapi"
        self.where = document.path

    def add(self) -> None:
        spans = self.document.visible_spans
        title_span = next((s for s in spans if s.kind == "heading"), None)
        name = title_span.text if title_span else Path(self.document.path).stem
        api_key = f"openapi:{self.document.path}"
        api = self.model.element(api_key, name, Kind.process, self.by, _ref(title_span, name) if title_span else None)
        server_spans = [s for s in spans if s.kind == "text" and s.text.split()]
        urls = [s.text.split()[0] for s in server_spans]
        exposure = _exposure(urls)
        if exposure is not None:
            api.facts["exposure"] = exposure
            for span, url in zip(server_spans, urls, strict=True):
                _add_ref(api, _ref(span, url))
        client = self.model.element("openapi:client", "API client", Kind.external_entity, self.by, None)
        _add_ref(client, api.spans[0] if api.spans else None)
        transport = _transport(urls)
        found = self._operations()
        results = [self._security(operation, f"{method.upper()} {path}") for path, method, operation in found]
        known = set(results)
        if len(known) == 1 and found and None not in known:
            api.facts["authenticated"] = results[0]
        elif True in known and False in known:
            anonymous = [f"{m.upper()} {p}" for (p, m, _), r in zip(found, results, strict=True) if r is False]
            self.model.note(f"{self.where}: some operations require authentication and some do not "
                            f"({', '.join(anonymous[:5])}); the API's `authenticated` is left unset")
        grouped = len(found) > MAX_OPERATION_FLOWS
        for (path, method, operation), authenticated in zip(found, results, strict=True):
            operation_span, why = self._span_of(method, path)
            head = redact(f"{method.upper()} {path}")
            if operation_span is None:
                self.model.note(f"{self.where}: {head} is not among the document's spans; no flow drafted for it")
                continue
            if why is not None:
                self.model.note(f"{self.where}: the scan flagged {head} ({why}); its flow is drafted from the "
                                "document's structure only, none of its text")
            if "authenticated" in api.facts:  # the operations the API-wide fact rests on
                _add_ref(api, _ref(operation_span, head, why))
            self._flow(api_key, operation_span, path, method, operation, authenticated, transport, grouped, why)
        llm_like = [f"{method.upper()} {path}" for path, method, operation in found
                    if _LLM_WORDS.search(f"{path} {operation.get('summary', '')} {operation.get('operationId', '')}")]
        if llm_like:
            listed = ", ".join(llm_like[:5]) + (f" and {len(llm_like) - 5} more" if len(llm_like) > 5 else "")
            self.model.note(f"{self.where}: {listed} look like LLM functions (chat, completion, generation, prompt, "
                            "agent or embedding); the description does not say which model serves them, so no "
                            "model element was drafted")

    def _operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        paths = self.data.get("paths")
        if not isinstance(paths, dict):
            return []
        return [(str(path), method, operation) for path, item in paths.items()
                for method, operation in operations(item)]

    def _span_of(self, method: str, path: str) -> tuple[Span | None, str | None]:
        """The operation's span, and why the scan flagged it (None when it did not)."""
        head = f"{method.upper()} {path}"
        for spans in (self.document.visible_spans, self.flagged):
            span = next((s for s in spans if s.kind == "operation" and s.text.split(" — ")[0] == head), None)
            if span is not None:
                return span, self.flagged.get(span)
        return None, None

    def _flow(self, api_key: str, span: Span, path: str, method: str, operation: dict[str, Any],
              authenticated: bool | None, transport: tuple[str, bool] | None, grouped: bool,
              flagged: str | None = None) -> None:
        head = redact(f"{method.upper()} {path}")
        ref = _ref(span, head, flagged)
        if grouped:
            group = _path_group(path)
            key: object = (api_key, group)
            slug = f"{_slug(Path(self.document.path).stem)}-{_slug(group) or 'root'}"
        else:
            key = (api_key, method, path)
            slug = str(operation.get("operationId") or f"{method}-{path}")
        new = key not in self.model.flows
        flow = self.model.flow(key, "openapi:client", api_key, self.by, ref, slug)
        flow.operations.append(head)
        if grouped:
            more = len(flow.operations) - MAX_LISTED_OPERATIONS
            flow.facts["data"] = ", ".join(flow.operations[:MAX_LISTED_OPERATIONS]) + (
                f" and {more} more" if more > 0 else "")
        else:
            summary = str(operation.get("summary") or "").strip() if flagged is None else ""
            flow.facts["data"] = f"{head}: {summary}" if summary else head
        if new:
            flow.facts["authenticated"] = authenticated
        elif flow.facts.get("authenticated") != authenticated:
            flow.facts["authenticated"] = None  # a group whose operations differ is unknown as a whole
        if transport is not None:
            flow.facts["protocol"], flow.facts["encrypted"] = transport
        if flow.facts.get("authenticated") is None:
            flow.facts.pop("authenticated", None)

    def _security(self, operation: dict[str, Any], head: str) -> bool | None:
        """True: a defined scheme is required; False: anonymous calls are allowed; None: not stated."""
        requirements = operation["security"] if "security" in operation else self.data.get("security")
        if requirements is None:
            return None
        if not isinstance(requirements, list) or not all(isinstance(r, dict) for r in requirements):
            self.model.note(f"{self.where}: {head}: `security` is not a list of requirements; authentication "
                            "left unset")
            return None
        if not requirements or any(not r for r in requirements):
            return False
        components = self.data.get("components")
        schemes = (components.get("securitySchemes") if isinstance(components, dict) else None) or \
            self.data.get("securityDefinitions")
        missing = sorted({str(n) for r in requirements for n in r} - set(schemes if isinstance(schemes, dict) else ()))
        if missing:
            self.model.note(f"{self.where}: {head} requires the security scheme(s) {', '.join(missing)}, which the "
                            "document does not define; authentication left unset")
            return None
        return True


def _path_group(path: str) -> str:
    """The first path segment that is not a version or ``api`` (``/v1/chat/messages`` -> ``chat``)."""
    for segment in path.strip("/").split("/"):
        if segment and not re.fullmatch(r"(v\d+(\.\d+)*|api)", segment, re.I):
            return segment
    return "/"


def _host_class(url: str) -> str | None:
    """ "public", "private" or None (relative, templated or placeholder host: nothing can be said)."""
    parts = urlsplit(url if "//" in url else f"//{url}" if re.match(r"^[\w.-]+(:\d+)?(/|$)", url) else url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or "{" in url.split("//", 1)[-1].split("/", 1)[0] or _PLACEHOLDER_HOSTS.search(host):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or "." not in host or host.endswith(_PRIVATE_SUFFIXES):
            return "private"
        return "public"
    return "private" if address.is_private or address.is_loopback or address.is_link_local else "public"


def _exposure(urls: list[str]) -> Exposure | None:
    classes = {_host_class(url) for url in urls}
    if "public" in classes:
        return Exposure.internet
    if classes == {"private"}:
        return Exposure.internal
    return None


def _transport(urls: list[str]) -> tuple[str, bool] | None:
    schemes = {urlsplit(url).scheme.lower() for url in urls if "://" in url}
    if schemes == {"https"}:
        return ("HTTPS", True)
    if schemes == {"http"}:
        return ("HTTP", False)
    return None


# -------------------------------------------------------------------------------------------------- prose


@dataclass
class _Mention:
    span: Span
    document: Document
    start: int
    end: int  # past the words as written, a product's suffix included ("Salesforce CRM")
    role: str
    product: str | None
    term: str
    sentence: tuple[int, int]

    @property
    def words(self) -> str:
        return self.span.text[self.start:self.end]


class _Prose:
    def __init__(self, model: _Model, words: Vocabulary, documents: Sequence[Document]) -> None:
        self.model = model
        self.words = words
        self.documents = documents
        self.products: dict[str, list[str]] = {}  # role -> product keys mentioned (first-seen order)

    def add(self) -> None:
        mentions: dict[tuple[int, int], list[_Mention]] = {}  # (document index, span index) -> mentions
        skipped: set[tuple[int, int]] = set()  # spans in excluded sections
        for d, document in enumerate(self.documents):
            excluded: str | None = None
            for s, span in enumerate(document.spans):
                if span.hidden is not None:
                    continue
                if span.kind == "heading":
                    excluded = span.text if _EXCLUDED_SECTION.search(span.text) else None
                if excluded is not None:
                    skipped.add((d, s))
                if span.kind not in _PROSE_KINDS:
                    continue
                found = self._mentions(document, span)
                if excluded is not None:
                    for mention in found:
                        self.model.note(f"{span.where}: '{mention.words}' not drafted: it is in the section "
                                        f"'{excluded}'")
                    continue
                mentions[(d, s)] = [m for m in found if self._stated(m)]
        names: dict[str, str] = {}  # product element key -> the words of its first mention
        for found in mentions.values():
            for mention in found:
                if mention.product is not None and mention.product not in self.products.get(mention.role, []):
                    self.products.setdefault(mention.role, []).append(mention.product)
                    names[f"{mention.role}:{mention.product}"] = mention.words
        for found in mentions.values():
            for mention in found:
                self._element(mention, found, names)
        for d, document in enumerate(self.documents):
            self._flows(document, {s: mentions.get((d, s), []) for s in range(len(document.spans))
                                   if (d, s) not in skipped})

    # ---- components
    def _mentions(self, document: Document, span: Span) -> list[_Mention]:
        text = span.text
        sentences = _sentences(text)
        starts = [s[0] for s in sentences]
        hits = self.words.hits(text)
        result: list[_Mention] = []
        index = 0
        while index < len(hits):
            hit = hits[index]
            end = hit.end
            if hit.product is not None:
                following = hits[index + 1] if index + 1 < len(hits) else None
                if following and following.role == hit.role and following.product is None \
                        and not text[hit.end:following.start].strip():
                    end, index = following.end, index + 1  # "Salesforce CRM": one mention
                else:
                    end = self._suffix_end(text, hit.end)
            elif not self._generic_counts(text, hit, span):
                index += 1
                continue
            at = bisect.bisect_right(starts, hit.start) - 1
            sentence = sentences[at] if at >= 0 and hit.start < sentences[at][1] else (0, len(text))
            result.append(_Mention(span, document, hit.start, end, hit.role, hit.product, hit.term, sentence))
            index += 1
        return result

    def _suffix_end(self, text: str, end: int) -> int:
        match = re.match(r"[ \t]+([\w-]+)", text[end:])
        if match and match.group(1).lower() in self.words.suffixes:
            return end + match.end()
        return end

    def _generic_counts(self, text: str, hit: Hit, span: Span) -> bool:
        after = re.match(r"[ \t]+([\w-]+)", text[hit.end:])
        if after and after.group(1).lower() in self.words.modifiers:
            return False
        if span.kind in _STRUCTURED_KINDS:
            return True
        if _ARROW_BEFORE.search(text, 0, hit.start) or _ARROW_AFTER.match(text, hit.end):
            return True  # "gateway -> orchestrator": both ends name components
        words = text[hit.start:hit.end]
        before = re.search(r"([\w-]+)[ \t\n]+$", text[:hit.start])
        plural_person = self.words.kinds[hit.role] is Kind.external_entity and words.lower().endswith("s")
        return bool(plural_person or words[:1].isupper() or (before and before.group(1).lower() in
                                                             self.words.determiners))

    def _stated(self, mention: _Mention) -> bool:
        text = mention.span.text
        before = text[max(mention.sentence[0], mention.start - _WINDOW):mention.start]
        after = text[mention.end:mention.sentence[1]]
        if _NOT_BEFORE.search(before) or _NOT_AFTER.match(after):
            sentence = text[mention.sentence[0]:mention.sentence[1]].strip()
            self.model.note(f"{mention.span.where}: '{mention.words}' not drafted: the text says it is not used "
                            f"(\"{sentence[:MAX_QUOTE]}\")")
            return False
        return True

    def _resolve(self, mention: _Mention, neighbours: Sequence[_Mention]) -> str | None:
        """The element key a mention stands for; a generic word folds into its role's only product."""
        if mention.product is not None:
            return f"{mention.role}:{mention.product}"
        same_sentence = {m.product for m in neighbours
                         if m.role == mention.role and m.product is not None and m.sentence == mention.sentence}
        if len(same_sentence) == 1:
            return f"{mention.role}:{same_sentence.pop()}"
        if mention.role in self.words.distinct:
            return f"{mention.role}:*{mention.term}"
        products = self.products.get(mention.role, [])
        if len(products) == 1:
            return f"{mention.role}:{products[0]}"
        if products:
            self.model.note(f"{mention.span.where}: '{mention.words}' could be any of "
                            f"{', '.join(products)}; not linked to one of them")
            return None
        return f"{mention.role}:*"

    def _element(self, mention: _Mention, neighbours: Sequence[_Mention], names: dict[str, str]) -> None:
        key = self._resolve(mention, neighbours)
        if key is not None:
            name = " ".join(names.get(key, mention.words).split())
            self.model.element(key, name, self.words.kinds[mention.role], f"extract:{mention.document.format}",
                               _ref(mention.span, mention.words))

    # ---- flows
    def _flows(self, document: Document, mentions: dict[int, list[_Mention]]) -> None:
        header: tuple[int, int, int | None] | None = None  # from, to, data column of the current flow table
        for index, span in enumerate(document.spans):
            if span.hidden is not None or index not in mentions:
                continue
            if span.kind != "table-row":
                header = None
            found = mentions.get(index, []) if span.kind != "code" else self._code_mentions(document, span)
            if span.kind == "table-row":
                cells = span.text.split(" | ")
                columns = _flow_columns(cells)
                if columns is not None:
                    header = columns
                    continue
                if header is not None:
                    self._table_flow(document, span, cells, header, found)
                    continue
            if span.kind not in _PROSE_KINDS and span.kind != "code":
                continue
            if span.kind == "code":
                starts = [m.start for m in found]
                aliases = _diagram_aliases(span.text, found, starts)
                for line in _lines(span.text):
                    on_line = _between(found, starts, line[0], line[1])
                    if on_line or _ARROW.search(span.text, line[0], line[1]):
                        self._arrow_flows(document, span, line, on_line, found, aliases)
                continue
            by_sentence: dict[tuple[int, int], list[_Mention]] = {}
            for mention in found:
                by_sentence.setdefault(mention.sentence, []).append(mention)
            for sentence, in_sentence in by_sentence.items():
                if len(in_sentence) >= 2:
                    self._sentence_flows(document, span, sentence, in_sentence, found)

    def _code_mentions(self, document: Document, span: Span) -> list[_Mention]:
        """Mentions in code: only used for arrows between components already drafted from the prose."""
        return [m for m in self._mentions(document, span) if self._known(m, [])]

    def _known(self, mention: _Mention, neighbours: Sequence[_Mention]) -> str | None:
        if mention.product is None and mention.role not in self.words.distinct \
                and len(self.products.get(mention.role, [])) > 1:
            return None  # ambiguous, and already noted where it was a component
        key = self._resolve(mention, neighbours)
        return key if key in self.model.elements else None

    def _sentence_flows(self, document: Document, span: Span, sentence: tuple[int, int],
                        found: list[_Mention], everything: list[_Mention]) -> None:
        text = span.text
        quote = text[sentence[0]:sentence[1]]
        if _ARROW.search(quote):
            self._arrow_flows(document, span, sentence, found, everything, {})
            return
        last: tuple[int, int] | None = None  # (source mention index, target mention index) of the last flow
        for position, mention in enumerate(found):
            for direction, pattern in _VERB_PATTERNS:
                match = pattern.match(text, mention.end, sentence[1])
                if match is None:
                    continue
                target = next((i for i, m in enumerate(found) if m.start >= match.end()), None)
                if target is None or not _GAP_TO_TARGET.fullmatch(text, match.end(), found[target].start):
                    continue
                if not match.group("verb").split()[0].lower().endswith("s") and \
                        _JOINED_SUBJECT.search(text, max(sentence[0], mention.start - _WINDOW), mention.start):
                    break  # "Redis and the backend call X": a plural subject, not this component alone
                subject = position
                if match.group("coord") and not match.group("rel"):
                    if last is None or last[1] != position:
                        break  # "X and calls Y": the subject is not X, and who it is cannot be told
                    subject = last[0]  # "reads from X and writes to Y": the subject carries over
                ends = (subject, target) if direction == "forward" else (target, subject)
                data = " ".join(match.group("object").split())
                self._add_flow(document, span, quote, found[ends[0]], found[ends[1]], everything,
                               data if data.lower() not in _PRONOUNS else "")
                last = (subject, target)
                break

    def _arrow_flows(self, document: Document, span: Span, sentence: tuple[int, int], found: list[_Mention],
                     everything: list[_Mention], aliases: dict[str, list[_Mention]]) -> None:
        """``X -> Y -> Z``: each side of an arrow must name exactly one component (or a diagram node id)."""
        text = span.text
        arrows = list(_ARROW.finditer(text, sentence[0], sentence[1]))
        bounds = [sentence[0], *[p for a in arrows for p in a.span()], sentence[1]]
        segments = []
        for i in range(len(arrows) + 1):
            inside = [m for m in found if bounds[2 * i] <= m.start < bounds[2 * i + 1]]
            node = _NODE_REFERENCE.fullmatch(text, bounds[2 * i], bounds[2 * i + 1])
            segments.append(inside or (aliases.get(node.group(1), []) if node else []))
        for i, arrow in enumerate(arrows):
            left, right = segments[i], segments[i + 1]
            if len({self._known(m, everything) for m in left}) != 1 or len({self._known(m, everything)
                                                                            for m in right}) != 1:
                continue
            symbol = arrow.group(0)
            reverse = (symbol.startswith("<") and not symbol.endswith(">")) or symbol in "←⟵"
            source, target = (right[0], left[0]) if reverse else (left[0], right[0])
            flow = self._add_flow(document, span, text[sentence[0]:sentence[1]], source, target, everything, "")
            if flow is not None and (symbol in "↔⟷" or (symbol.startswith("<") and symbol.endswith(">"))):
                flow.facts["bidirectional"] = True

    def _table_flow(self, document: Document, span: Span, cells: list[str], header: tuple[int, int, int | None],
                    found: list[_Mention]) -> None:
        offsets = [0]
        for cell in cells[:-1]:
            offsets.append(offsets[-1] + len(cell) + 3)

        def in_cell(column: int) -> list[_Mention]:
            if column >= len(cells):
                return []
            return [m for m in found if offsets[column] <= m.start < offsets[column] + len(cells[column])]

        sources, targets = in_cell(header[0]), in_cell(header[1])
        if len({self._known(m, found) for m in sources}) == 1 and len({self._known(m, found) for m in targets}) == 1:
            data = cells[header[2]].strip() if header[2] is not None and header[2] < len(cells) else ""
            self._add_flow(document, span, span.text, sources[0], targets[0], found, data)

    def _add_flow(self, document: Document, span: Span, quote: str, source: _Mention, target: _Mention,
                  everything: Sequence[_Mention], data: str) -> _Item | None:
        source_key, target_key = self._known(source, everything), self._known(target, everything)
        if source_key is None or target_key is None or source_key == target_key:
            return None
        flow = self.model.flow((source_key, target_key), source_key, target_key, f"extract:{document.format}",
                               _ref(span, quote), "")
        if data and "data" not in flow.facts:
            flow.facts["data"] = data
        return flow


def _between(mentions: list[_Mention], starts: list[int], start: int, end: int) -> list[_Mention]:
    """The mentions (sorted by position; ``starts`` their positions) that start in ``[start, end)``."""
    return mentions[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]


def _diagram_aliases(text: str, found: list[_Mention], starts: list[int]) -> dict[str, list[_Mention]]:
    """Diagram node ids and the components their labels name (Mermaid ``A[React widget]``, ``db[(Postgres)]``)."""
    aliases: dict[str, list[_Mention]] = {}
    for match in _NODE_DEFINITION.finditer(text):
        close = _NODE_CLOSE.search(text, match.end())
        end = close.start() if close else match.end()
        inside = _between(found, starts, match.end(), end)
        if inside:
            aliases.setdefault(match.group(1), inside)
    return aliases


def _flow_columns(cells: list[str]) -> tuple[int, int, int | None] | None:
    """The (from, to, data) columns of a flow table's header row, or None when the row is not such a header."""
    def column(pattern: re.Pattern[str]) -> int | None:
        return next((i for i, cell in enumerate(cells) if pattern.match(cell.strip(" *_`"))), None)

    source, target = column(_FROM_COLUMN), column(_TO_COLUMN)
    if source is None or target is None:
        return None
    return source, target, column(_DATA_COLUMN)


def _lines(text: str) -> list[tuple[int, int]]:
    """Line bounds, for code: a diagram states one edge per line."""
    bounds, start = [], 0
    for line in text.split("\n"):
        bounds.append((start, start + len(line)))
        start += len(line) + 1
    return [b for b in bounds if b[1] > b[0]]


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence bounds: a full stop, question mark, exclamation mark or semicolon followed by a space ends one."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in re.finditer(r"(?<=[.!?;])\s+", text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    return [b for b in bounds if b[1] > b[0]]
