"""The offline injection scan: what in a document is aimed at an AI reader rather than at a person.

``scan_documents`` runs before any model sees a document. It reports, with file, page and line:

- ``instruction``: orders to an AI (ignore your instructions, you are now..., leave threats out, mark them
  mitigated, conclude the system is safe, "note to the AI"), in English, German, French and Spanish;
- ``role-markup``: chat-template tokens and role turns (``<|im_start|>``, ``[INST]``, ``System: ignore...``);
- ``hidden-content``: invisible characters (zero-width, bidi controls, Unicode tag characters) and text a
  reader of the rendered document cannot see (``Span.hidden``) when it carries prose or orders;
- ``encoded-payload``: base64, hex, percent, HTML-entity, rot13 or reversed text that decodes to orders (or,
  less severely, to prose); hashes, keys and binary blobs decode to nothing readable and are left alone;
- ``format-imitation``: text dressed as dicetm's own output (decided findings, register keys, audit
  records, "scan clean" banners). A code block that documents the format (a comment listing the allowed values,
  placeholder values) is reported at ``info``, unless the document also gives orders or role markup;
- ``exfiltration``: images and links built to carry conversation or secret data to someone's server. The
  readers' ``link-target`` spans (link and image targets, ``src``/``href``, CSS ``url()``) are judged by what a
  viewer does with them: a URL fetched on rendering is flagged for any data slot, a collector host or an empty
  last parameter; a link only for a placeholder in its query or fragment, or a collector host with parameters.
  Link targets and ``markup`` spans (tags a browser does not show) are checked for role markup and encodings,
  never reported as hidden prose;
- ``secret``: keys, tokens and passwords (``secrets.find_secrets``): known key formats, JWTs, private-key blocks,
  passwords in URLs and random-looking values assigned to ``password``/``api_key``-like names. A placeholder
  (``AKIAIOSFODNN7EXAMPLE``, ``<your-key>``) is ``info``. A span holding a secret is withheld from every prompt
  even with ``--allow-flagged``, and every excerpt and message the scan writes has its secrets masked.

Text is folded before matching (see ``fold``) so case, accents, look-alike letters, leetspeak, letter spacing
and invisible characters do not hide a phrase. A phrase quoted in a document that is *about* injection (in
quotes or a code block, next to words like "attack" or "example") is reported at severity ``info``: it is
still withheld from prompts but does not fail the scan. ``blocking`` gives the findings that fail it.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import codecs
import functools
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from urllib.parse import unquote, unquote_plus, urlsplit

from dicetm.ingest import scan_patterns as vocab
from dicetm.ingest.documents import Document, Span
from dicetm.ingest.read_html import LINK_TARGET, MARKUP
from dicetm.ingest.secrets import find_secrets, redact
from dicetm.model.proposals import WithheldSpan

CATEGORIES = ("instruction", "role-markup", "hidden-content", "encoded-payload", "format-imitation", "exfiltration",
              "secret")
SEVERITIES = ("high", "medium", "low", "info")
BLOCKING = frozenset({"high", "medium", "low"})
EXCERPT_LIMIT = 160
HIDDEN_PROSE_WORDS = 8  # hidden text this long reads as a message rather than a label or a directive

_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class ScanFinding:
    file: str
    line: int
    end_line: int
    page: int | None
    category: str
    severity: str  # "high", "medium", "low" or "info"
    excerpt: str  # at most EXCERPT_LIMIT characters, invisible characters shown by code point, e.g. <U+200B>
    rule: str  # stable id, e.g. "injection.ignore-previous"
    message: str
    span: Span

    @property
    def where(self) -> str:
        if self.page is not None:
            return f"{self.file}:page {self.page}:{self.line}"
        return f"{self.file}:{self.line}"

    @property
    def blocking(self) -> bool:
        return self.severity in BLOCKING


@dataclass(frozen=True)
class ScanReport:
    findings: tuple[ScanFinding, ...]  # sorted by file, page, line
    documents: int
    spans: int
    by_category: dict[str, int]
    by_severity: dict[str, int]
    flagged_spans: frozenset[Span]  # every span with a finding: withheld from prompts

    @property
    def failed(self) -> bool:
        """The scan fails (the CLI exits 1) when any finding is of severity low or higher."""
        return any(f.blocking for f in self.findings)


def blocking(findings: Iterable[ScanFinding]) -> list[ScanFinding]:
    """The findings that fail a scan: severity low, medium or high (``info`` only withholds the span)."""
    return [f for f in findings if f.blocking]


def scan_documents(documents: Iterable[Document]) -> ScanReport:
    findings: list[ScanFinding] = []
    count = spans = 0
    for document in documents:
        count += 1
        spans += len(document.spans)
        findings.extend(scan_document(document))
    findings.sort(key=_order)
    return ScanReport(
        findings=tuple(findings), documents=count, spans=spans,
        by_category=dict(Counter(f.category for f in findings)),
        by_severity=dict(Counter(f.severity for f in findings)),
        flagged_spans=frozenset(f.span for f in findings),
    )


def scan_document(document: Document) -> list[ScanFinding]:
    """Every finding in one document, sorted by page and line.

    Two passes over the spans: the first finds whether the document addresses an AI reader anywhere (which makes
    its other orders count as addressed to one) and each span's context; the second judges every span. A span's
    folded forms are built in each pass and dropped after it, so memory stays that of the document itself.
    """
    previous: list[str] = []
    addresses: list[list[_PhraseHit]] = []
    addressed = False
    context = _Context()
    for span in document.spans:
        text = _Text(span)
        before = context.advance(text)
        hits = _phrase_hits(text, "address", addressed=False) if span.hidden != LINK_TARGET else []
        # An order anywhere in the document to "the AI" makes its other orders count as addressed to one.
        addressed = addressed or any(severity != "info" and (span.hidden or not _quoted_discussion(
            text, start, end, before)) for start, end, _, severity in hits)
        previous.append(before)
        addresses.append(hits)
    findings: list[ScanFinding] = []
    for index, span in enumerate(document.spans):
        text = _Text(span)
        judged = _span_hits(text, previous[index], addressed, addresses[index], first_span=index == 0)
        findings.extend(_finding(text, hit) for hit in judged)
    findings = _unique(findings)
    if any(f.blocking and f.category in ("instruction", "role-markup") for f in findings):
        findings = [_unexcused(f) for f in findings]
    findings.sort(key=_order)
    return findings


_CONTEXT = 300  # characters of each earlier span that count as context
_ROWS = frozenset({"list-item", "table-row"})


class _Context:
    """Each span's context: the end of the span before it, passing over link targets and tags (a paragraph's
    link targets sort before the paragraph itself); for a list item or table row after the first, also the end of
    the text that introduced the list ("special tokens, for example:")."""

    def __init__(self) -> None:
        self.last, self.lead, self.last_kind = "", "", ""

    def advance(self, text: _Text) -> str:
        """The context of ``text``, which becomes the context of the next span."""
        kind = text.span.kind
        context = f"{self.lead}\n{self.last}" if kind in _ROWS and self.last_kind in _ROWS else self.last
        if text.span.hidden not in (LINK_TARGET, MARKUP):
            if kind in _ROWS and self.last_kind not in _ROWS:
                self.lead = self.last
            self.last, self.last_kind = text.words[-_CONTEXT:], kind
        return context


def _unexcused(finding: ScanFinding) -> ScanFinding:
    """In a document that gives orders, format imitation in a code block is no longer excused as an example."""
    if finding.category == "format-imitation" and finding.severity == "info" and finding.span.kind == "code":
        return replace(finding, severity="high", message=finding.message.removesuffix(_DOCUMENTED))
    return finding


def withhold(document: Document, findings: Iterable[ScanFinding]) -> list[tuple[Span, str]]:
    """Each span with the text a prompt may show: its own text, or a marker when the scan flagged it."""
    flagged: dict[Span, list[ScanFinding]] = {}
    for finding in findings:
        flagged.setdefault(finding.span, []).append(finding)
    return [(span, withheld_marker(flagged[span]) if span in flagged else span.text) for span in document.spans]


def withheld_marker(findings: Sequence[ScanFinding]) -> str:
    """``[withheld by dicetm scan: <categories> at <file>:<line>]`` for the findings of one span."""
    categories = ", ".join(sorted({f.category for f in findings}, key=CATEGORIES.index))
    first = min(findings, key=_order)
    return f"[withheld by dicetm scan: {categories} at {first.where}]"


def withheld_records(findings: Iterable[ScanFinding]) -> list[WithheldSpan]:
    """One record per flagged span (its most severe finding), for ``dicetm-proposals.yaml``."""
    worst: dict[Span, ScanFinding] = {}
    for finding in findings:
        current = worst.get(finding.span)
        if current is None or _RANK[finding.severity] < _RANK[current.severity]:
            worst[finding.span] = finding
    return [WithheldSpan(file=f.file, line=f.span.line, end_line=f.span.end_line, page=f.page, category=f.category,
                         severity=f.severity, excerpt=f.excerpt) for f in sorted(worst.values(), key=_order)]


def escape_invisible(text: str) -> str:
    """Whitespace runs as one space; format, control and unassigned characters by code point, e.g. ``<U+200B>``."""
    out: list[str] = []
    for char in text:
        if char.isspace():
            if not out or out[-1] != " ":
                out.append(" ")
        elif unicodedata.category(char) in ("Cf", "Cc", "Co", "Cn", "Cs"):
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    return "".join(out)


_EXAMPLE_WORDS = re.compile(r"\b(?:examples?|samples?|e\.g\.|for instance|dummy|fake|placeholders?|illustrat\w*)\b")


def _secret_hits(text: _Text, previous: str) -> list[_Hit]:
    """Secrets, at ``info`` when they are placeholders or the words just before call them an example."""
    hits = []
    for found in find_secrets(text.original):
        before = fold(text.original[max(0, found.start - 120):found.start]) + " " + previous[-160:]
        if found.inert or _EXAMPLE_WORDS.search(before):
            hits.append(_Hit(found.start, found.end, "secret", "info", "secret." + _rule_slug(found.kind),
                             f"{found.kind}, shown as an example: withheld from every prompt all the same"))
        else:
            hits.append(_Hit(found.start, found.end, "secret", "high", "secret." + _rule_slug(found.kind),
                             f"{found.kind}: withheld from every prompt; if it is real, rotate it"))
    return hits


def _rule_slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")


# ------------------------------------------------------------------------------------------------ folding

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE_RUN = re.compile("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]+")
_DROPPED = ZERO_WIDTH | BIDI | frozenset("\u00ad\u180e\u2061\u2062\u2063\u2064\u034f\u200e\u200f")
_LOOKALIKE = {  # Cyrillic and Greek letters that pass for Latin ones
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ϲ": "c", "ɡ": "g", "ɑ": "a", "ı": "i",
}
_PUNCTUATION = {"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
                "«": '"', "»": '"', "‹": "'", "›": "'", "–": "-", "—": "-", "‐": "-", "‑": "-", "‒": "-", "―": "-",
                "\u00a0": " ", "\u2028": " ", "\u2029": " ", "\x85": " ", "\r": " ", "\x0b": " ", "\x0c": " "}
_LEET = str.maketrans("0134578@$", "oieastbas")
# A run of letters, digits, @ and $ holding a letter next to a digit or symbol; linear: each run is tried once.
_LEET_WORD = re.compile(r"(?<![a-z0-9@$])[a-z0-9@$]*?(?:[a-z][0-9@$]|[0-9@$][a-z])[a-z0-9@$]*")
_LEET_SIGN = re.compile(r"[0-9@$]")
_SPACED_HINT = re.compile(r"[ .\-_*][a-z][ .\-_*][a-z][ .\-_*][a-z][ .\-_*]")  # inside any run _SPACED_LETTERS takes
_SPACED_LETTERS = re.compile(r"\b(?:[a-z][ .\-_*]){3,}[a-z]\b")
_SEPARATOR = re.compile(r"[ .\-_*]")
_SPACED_SHORT = re.compile(r"\b(?:[a-z][ .\-_*])+[a-z]\b")
_SPACED_TEXT_WORDS = 3  # this many long letter-spaced words make the short ones between them letter-spaced too
_TOKEN = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case, no accents, Latin look-alikes, no invisible characters; tag characters spell their ASCII."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


def _fold_char(char: str) -> str:
    code = ord(char)
    if char in _DROPPED or 0xFE00 <= code <= 0xFE0F:
        return ""
    if 0xE0000 <= code <= 0xE007F:  # tag characters spell ASCII invisibly: fold them to what they spell
        return chr(code - 0xE0000).lower() if 0xE0020 <= code <= 0xE007E else ""
    lowered = char.lower()
    if lowered in _LOOKALIKE:
        return _LOOKALIKE[lowered]
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class _FoldTable(dict[int, str]):
    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def _unleet(folded: str, words: Sequence[str]) -> str:
    """Digits and symbols inside words read as letters (``1gn0re`` -> ``ignore``), letter-spaced words joined.

    ``words`` are the words of ``folded``; they tell cheaply whether either change can apply. The length never
    changes, so offsets in the result are offsets in ``folded``.
    """
    text = folded
    if _LEET_SIGN.search(folded) and ("@" in folded or "$" in folded or any(
            not w.isalpha() and not w.isdigit() for w in words)):
        text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), folded)
    if not _SPACED_HINT.search(text):
        return text

    def join(match: re.Match[str]) -> str:
        letters = _SEPARATOR.sub("", match.group(0))
        return letters + " " * (len(match.group(0)) - len(letters))

    if len(_SPACED_LETTERS.findall(text)) >= _SPACED_TEXT_WORDS:  # a whole letter-spaced passage: "t h e", "a i"
        return _SPACED_SHORT.sub(join, text)
    return _SPACED_LETTERS.sub(join, text)


class _Text:
    """One span's text as found (``original``), folded (``norm``) and with leetspeak undone (``words``)."""

    def __init__(self, span: Span, text: str | None = None, *, code: bool | None = None) -> None:
        self.span = span
        self.original = span.text if text is None else text
        self.norm = fold(self.original)
        folded_words = _TOKEN.findall(self.norm)
        self.words = _unleet(self.norm, folded_words)
        self.code = _is_code(span) if code is None else code
        self._origin: list[int] | None = None  # folded offset -> original offset, when folding changed lengths
        if not self.original.isascii() and any(len(_FOLD[ord(c)]) != 1 for c in set(self.original)):
            self._origin = [i for i, c in enumerate(self.original) for _ in range(len(_FOLD[ord(c)]))]
        self._newlines: list[int] | None = None
        self._tokens: set[str] | None = set(folded_words) if self.words == self.norm else None
        self._anchors: frozenset[int] | None = None

    @functools.cached_property
    def shown(self) -> str:
        """The original text with its secrets masked (same length), for excerpts."""
        return redact(self.original)

    @property
    def tokens(self) -> set[str]:
        """The distinct words of the folded text."""
        if self._tokens is None:
            self._tokens = set(_TOKEN.findall(self.words))
        return self._tokens

    def runnable(self, group: str) -> tuple[vocab.PhraseRule, ...]:
        """The rules of a group whose anchor classes all occur in the text: only they can match."""
        if self._anchors is None:
            self._anchors = frozenset(_ALWAYS.union(*map(_token_anchors, self.tokens)))
        return _rules_with_anchors(group, self._anchors)

    def original_offset(self, folded: int) -> int:
        if self._origin is None:
            return folded
        return self._origin[folded] if folded < len(self._origin) else len(self.original)

    def line_of(self, offset: int) -> int:
        """The file line of an offset into the original text."""
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.original)]
        line = self.span.line + bisect.bisect_left(self._newlines, offset)
        return min(line, max(self.span.end_line, self.span.line))


def _is_code(span: Span) -> bool:
    return span.kind == "code" or span.text.lstrip().startswith(("```", "~~~"))


# -------------------------------------------------------------------------------------------- anchors

_RULE_GROUPS = {"address": vocab.ADDRESS_RULES,
                "content": (*vocab.INSTRUCTION_RULES, *vocab.ROLE_MARKUP_RULES, *vocab.EXFIL_RULES),
                "markup": vocab.ROLE_MARKUP_RULES}
_PHRASE_RULES = tuple(rule for rules in _RULE_GROUPS.values() for rule in rules)
_RULE_ANCHORS = {id(rule): frozenset(id(anchor) for anchor in rule.anchors) for rule in _PHRASE_RULES}
_ANCHOR_CLASSES = {id(anchor): anchor for rule in _PHRASE_RULES for anchor in rule.anchors}
_ALWAYS = frozenset(key for key, anchor in _ANCHOR_CLASSES.items() if anchor.always)
_LONGEST_PREFIX = max((len(stem) for anchor in _ANCHOR_CLASSES.values() for stem in anchor.prefixes), default=0)


@functools.lru_cache(maxsize=1 << 12)
def _rules_with_anchors(group: str, present: frozenset[int]) -> tuple[vocab.PhraseRule, ...]:
    return tuple(rule for rule in _RULE_GROUPS[group] if _RULE_ANCHORS[id(rule)] <= present)


@functools.lru_cache(maxsize=1 << 16)
def _token_anchors(token: str) -> frozenset[int]:
    """The anchor classes one word belongs to: as a whole word (a plural "s" allowed) or by its first letters."""
    whole = {token, token[:-1]} if token.endswith("s") else {token}
    starts = {token[:length] for length in range(1, min(len(token), _LONGEST_PREFIX) + 1)}
    return frozenset(key for key, anchor in _ANCHOR_CLASSES.items()
                     if not anchor.exact.isdisjoint(whole) or not anchor.prefixes.isdisjoint(starts))


# ------------------------------------------------------------------------------------------------ hits


@dataclass(frozen=True)
class _Hit:
    start: int  # offsets into the span's original text
    end: int
    category: str
    severity: str
    rule: str
    message: str


_PhraseHit = tuple[int, int, vocab.PhraseRule, str]  # start, end (folded offsets), rule, severity


def _span_hits(text: _Text, previous: str, addressed: bool, addresses: list[_PhraseHit],
               first_span: bool) -> list[_Hit]:
    kind = text.span.hidden
    if kind == LINK_TARGET:  # a URL: only markup, a data slot or an encoded payload can be wrong with it
        hits = list(_link_target_hits(text))
    else:
        hidden = kind is not None
        hits = list(_content_hits(text, previous, addressed or hidden, quotable=not hidden, addresses=addresses))
    hits += _invisible_hits(text, first_span)
    hits += _encoded_hits(text)
    hits += _secret_hits(text, previous)
    if kind is not None and kind not in (LINK_TARGET, MARKUP):  # a URL or a bare tag is not hidden prose
        hits += _hidden_span_hits(text, hits)
    return hits


def _content_hits(text: _Text, previous: str, addressed: bool, quotable: bool,
                  addresses: list[_PhraseHit] | None = None) -> Iterator[_Hit]:
    """Orders, role markup, forged dicetm output and exfiltration in one text."""
    if addresses is None:
        addresses = _phrase_hits(text, "address", addressed)
    phrases = addresses + _phrase_hits(text, "content", addressed)
    ordered = any(rule.category == "instruction" and severity != "info" for _, _, rule, severity in phrases)
    for start, end, rule, severity in phrases:
        if rule.category == "role-markup" and text.code and not ordered:
            severity = "info"  # a chat-format example in a code block, with nothing ordered in it
        yield _hit(text, start, end, rule.category, severity, rule.rule, rule.message, quotable, previous)
    for start, end, rule_id, severity, message in (*_format_hits(text), *_url_hits(text)):
        category = "format-imitation" if rule_id.startswith("format.") else "exfiltration"
        if category == "format-imitation" and text.code and not ordered and vocab.FORMAT_DOCUMENTATION.search(
                text.norm):
            severity, message = "info", message + _DOCUMENTED
        yield _hit(text, start, end, category, severity, rule_id, message, quotable, previous)



def _hit(text: _Text, start: int, end: int, category: str, severity: str, rule: str, message: str,
         quotable: bool, previous: str) -> _Hit:
    if quotable and severity != "info" and _quoted_discussion(text, start, end, previous):
        severity = "info"
    return _Hit(text.original_offset(start), text.original_offset(end), category, severity, rule, message)


def _phrase_hits(text: _Text, group: str, addressed: bool) -> list[_PhraseHit]:
    """Each match of the group's rules whose conditions hold, with its severity."""
    words = text.words
    found: list[_PhraseHit] = []
    for rule in text.runnable(group):
        if rule.headings_only and text.span.kind != "heading":
            continue
        for match in rule.pattern.finditer(words):
            start, end = match.span()
            severity = _judge(rule, match, words, addressed)
            if severity is not None:
                found.append((start, end, rule, severity))
    return found


def _judge(rule: vocab.PhraseRule, match: re.Match[str], words: str, addressed: bool) -> str | None:
    """The severity of one match, or None when its conditions do not hold."""
    start, end = match.span()
    sentence_start, sentence_end = _sentence(words, start, end)
    scope = _scope(words, rule.needs_scope, match, sentence_start, sentence_end)
    if any(needed.search(scope) is None for needed in rule.needs):
        return None
    unless_end = min(sentence_end, end + 40) if rule.unless_near else sentence_end
    if rule.unless is not None and rule.unless.search(words, start, unless_end):
        return None
    prefix = "" if rule.rule == "role-markup.role-turn" else words[sentence_start:start]
    if rule.negatable and vocab.NEGATED_BEFORE.search(prefix):
        return None
    if rule.prefix_unless is not None and rule.prefix_unless.search(prefix):
        return None
    if (rule.gate == "ai" and not addressed) or (rule.gate == "directive" and not addressed
                                                 and not _is_directive(prefix)):
        return None
    if rule.category == "instruction" and vocab.REPORTED.search(prefix):
        return "info"  # "attackers try to make the bot ignore ...": describes an attack
    if rule.category == "role-markup" and vocab.DISCUSSION.search(prefix):
        return "info"  # "the gateway strips tokens such as <|im_start|>": talks about the token
    return "high" if rule.escalate and addressed else rule.severity


def _scope(words: str, scope: str, match: re.Match[str], sentence_start: int, sentence_end: int) -> str:
    if scope == "match":
        return match.group(0)
    if scope == "near":
        return words[match.start():min(sentence_end, match.end() + 40)]
    if scope == "follow":  # the rest of the line, or the lines below when the match ends its line
        line_end = words.find("\n", match.end())
        rest = words[match.end():line_end if line_end >= 0 else len(words)]
        return rest if rest.strip() else words[match.end():match.end() + 200]
    return words[sentence_start:sentence_end]


# Sentence and clause edges; a "|" counts only between spaces, as between table cells (not in "<|im_start|>").
_BOUNDARY_BACK = re.compile(r"[.!?;:\"`(\[\]](?=\s|$)|[\"`:(\[]|\s\|(?=\s)|\n\s*\n|\n(?=\s*(?:[-*+>#]|\d+[.)])\s)")
_BOUNDARY_AHEAD = re.compile(r"[.!?;](?=\s|$)|\s\|(?=\s)|\n\s*\n|\n(?=\s*(?:[-*+>#]|\d+[.)])\s)")
_LIST_MARK = re.compile(r"^[\s\-*+>#|\d.)\[\]_~]*")


def _sentence(words: str, start: int, end: int) -> tuple[int, int]:
    low = max(0, start - 300)
    sentence_start = low
    for boundary in _BOUNDARY_BACK.finditer(words, low, start):
        sentence_start = boundary.end()
    ahead = _BOUNDARY_AHEAD.search(words, end, min(len(words), end + 300))
    return sentence_start, ahead.start() if ahead else min(len(words), end + 300)


def _is_directive(prefix: str) -> bool:
    """Whether the words before a phrase leave it an order.

    Yes when they are only lead-ins ("please", "you must", "the AI should"), when the sentence opens as an order
    ("You must ...", "Summarise ... and"), when a second-person modal comes right before, or when they are a
    subordinate clause followed by one of these ("When you write the report, ...").
    """
    text = _LIST_MARK.sub("", prefix).strip()
    if _order_words(text.strip(" ,*_")):
        return True
    head, comma, tail = text.rpartition(",")
    if comma and vocab.SUBORDINATOR.match(head.strip(" *_")) and len(head.split()) <= 14:
        return _order_words(tail.strip(" ,*_"))
    return False


def _order_words(text: str) -> bool:
    return bool(vocab.DIRECTIVE_PREFIX.fullmatch(text) or vocab.ORDER_OPENING.match(text)
                or vocab.MODAL_BEFORE.search(text))


def _quoted_discussion(text: _Text, start: int, end: int, previous: str) -> bool:
    """A phrase inside quotes or a code block, in a passage about attacks, examples or detection."""
    words = text.words
    while start < end and words[start].isspace():
        start += 1
    if start < end and words[start] in "\"`'" and words.find(words[start], start + 1, end) < 0:
        start += 1  # the match begins with the quote mark that opens a quotation around it
    if not (text.code or _inside_quotes(words, start, end)):
        return False
    low, high = max(0, start - 240), min(len(words), end + 240)
    return bool(vocab.DISCUSSION.search(words, low, high) or vocab.DISCUSSION.search(previous))


def _inside_quotes(words: str, start: int, end: int) -> bool:
    low = max(0, start - 2000)
    for quote in ('"', "`"):
        if words.count(quote, low, start) % 2 == 1 and words.find(quote, end) >= 0:
            return True
    opening = words.rfind("'", max(0, start - 300), start)
    if opening >= 0 and (opening == 0 or not words[opening - 1].isalnum()):
        closing = words.find("'", end, end + 300)
        while closing >= 0 and closing + 1 < len(words) and words[closing + 1].isalnum():
            closing = words.find("'", closing + 1, end + 300)
        return closing >= 0
    return False


# -------------------------------------------------------------------------------------- format and URLs

_RawHit = tuple[int, int, str, str, str]  # start, end (folded offsets), rule id, severity, message
_DOCUMENTED = "; in a code block that documents the format (it lists the allowed values or has placeholders)"


def _format_hits(text: _Text) -> Iterator[_RawHit]:
    norm = text.norm
    if vocab.FORMAT_WORDS.isdisjoint(text.tokens) and not vocab.FORMAT_ID.search(norm):
        return
    for rule_id, pattern in vocab.FORMAT_FORGERIES:
        for match in pattern.finditer(norm):
            yield match.start(), match.end(), rule_id, "high", "imitates dicetm's own output or records"
    score = 0
    specific = False
    first: tuple[int, int] | None = None
    for name, weight, pattern in vocab.FORMAT_MARKERS:
        markers = list(pattern.finditer(norm))
        if not markers:
            continue
        score += weight * len({m.group(0) for m in markers}) if name == "dicetm-key" else weight
        specific = specific or name in ("threat-id", "dicetm-key")
        if first is None or markers[0].start() < first[0]:
            first = markers[0].span()
    if first is not None and specific and score >= 3:
        yield first[0], first[1], "format.model-fields", "high", "imitates dicetm's model or register fields"


def _url_hits(text: _Text) -> Iterator[_RawHit]:
    norm = text.norm
    if "http" not in norm:
        return
    images: set[int] = set()
    for pattern in (vocab.MD_IMAGE, vocab.HTML_IMAGE):
        for match in pattern.finditer(norm):
            images.add(match.start(1))
            url = match.group(1)
            if vocab.PLACEHOLDER.search(url) or vocab.EMPTY_PARAMETER.search(url) or _collector(url):
                yield (match.start(), match.end(), "exfiltration.image-url", "high",
                       "image whose URL would carry data to another server when rendered")
    for match in vocab.URL.finditer(norm):
        if match.start() in images:
            continue
        url = match.group(0)
        slots = " ".join(m.group(0) for m in vocab.PLACEHOLDER.finditer(url))
        if vocab.IMAGE_PATH.search(url) and (slots or vocab.EMPTY_PARAMETER.search(url)):
            yield (match.start(), match.end(), "exfiltration.image-url", "high",
                   "image URL with a slot for data: rendering it would send that data to another server")
        elif slots and vocab.CONVERSATION_PLACEHOLDER.search(slots):
            yield (match.start(), match.end(), "exfiltration.url-placeholder", "high",
                   "link whose URL is a template for conversation or secret data")
        elif _collector(url) and "?" in url:
            yield (match.start(), match.end(), "exfiltration.collector", "medium",
                   "link to a request-collector service with parameters")


# The markup the readers give a link-target span (see ``read_html`` and ``readers``).
_MARKDOWN_TARGET = re.compile(r"(?P<image>!?)\[.*\]\((?P<url>.*)\)|\[[^\]\n]*\]:\s*(?P<definition>.*)")
_HTML_TARGET = re.compile(r'<(?P<tag>[\w:-]+) (?P<attribute>[\w:-]+)="(?P<url>.*)">', re.S)
_CSS_TARGET = re.compile(r"url\((?P<url>.*)\)", re.S)
# URL attributes followed only when someone clicks (or never); every other one is fetched as the page renders.
_CLICKED = frozenset({"href", "action", "formaction", "ping", "cite", "longdesc"})
_FETCHED_HREF = frozenset({"link", "image", "use", "feimage"})  # stylesheets, icons, SVG images


def _link_target_hits(text: _Text) -> Iterator[_Hit]:
    """Role markup in a link or image, and a URL built to carry data away (see ``_target_verdict``)."""
    for start, end, rule, severity in _phrase_hits(text, "markup", addressed=False):
        yield _hit(text, start, end, rule.category, severity, rule.rule, rule.message, False, "")
    urls, fetched = _target_urls(text.original)
    for url in urls:
        verdict = _target_verdict(url, fetched)
        if verdict is not None:
            yield _Hit(0, len(text.original), "exfiltration", *verdict)
            return


def _target_urls(markup: str) -> tuple[list[str], bool]:
    """The URLs in a link-target span and whether a viewer fetches them without a click."""
    if match := _MARKDOWN_TARGET.fullmatch(markup):
        return [(match.group("url") or match.group("definition") or "").strip()], bool(match.group("image"))
    if match := _HTML_TARGET.fullmatch(markup):
        tag, attribute, value = match.group("tag").lower(), match.group("attribute").lower(), match.group("url")
        urls = [part.split()[0] for part in value.split(",") if part.strip()] if attribute == "srcset" else [value]
        return urls, attribute not in _CLICKED or tag in _FETCHED_HREF
    if match := _CSS_TARGET.fullmatch(markup):
        return [match.group("url")], True
    return [], False


def _target_verdict(url: str, fetched: bool) -> tuple[str, str, str] | None:
    """(severity, rule, message) when a URL has a slot for data, or goes to a request collector with some.

    Slots are placeholders (``{x}``, ``{{x}}``, ``$X``, ``<x>``, ``[X]``, ``...``) in a query value or the fragment,
    and, for what a viewer fetches by itself, also in the path, an empty last parameter, or a value in capitals
    naming data (``SECRET``, ``PASTE_HERE``). Names are not slots: ``?filter[status]=open`` is an ordinary query.
    """
    try:
        parts = urlsplit(html.unescape(url.strip()))
    except ValueError:
        return None
    values = [unquote(pair.partition("=")[2]) for pair in re.split(r"[&;]", parts.query) if pair]
    slots = [fold(value) for value in values] + [fold(unquote(parts.fragment))]
    if fetched:
        slots.append(fold(unquote(parts.path)))
    slot = " ".join(s for s in slots if vocab.TARGET_SLOT.search(s))
    collector = bool(vocab.COLLECTOR.search(parts.hostname or ""))
    if fetched:
        data_value = any(len(value) <= 60 and vocab.DATA_VALUE.fullmatch(value) for value in values)
        if slot or collector or data_value or (parts.query and vocab.EMPTY_PARAMETER.search("?" + parts.query)):
            return ("high", "exfiltration.image-url",
                    "image or resource fetched when the document is rendered, with a URL that can carry data away")
        return None
    if slot:
        severity = "high" if vocab.CONVERSATION_PLACEHOLDER.search(slot) else "medium"
        return severity, "exfiltration.url-placeholder", "link whose URL is a template with a slot for data"
    if collector and any(values):
        return "medium", "exfiltration.collector", "link to a request-collector service with parameters"
    return None


def _collector(url: str) -> bool:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return bool(vocab.COLLECTOR.search(host))


# ------------------------------------------------------------------------------------------- invisible


def _invisible_hits(text: _Text, first_span: bool) -> list[_Hit]:
    """Zero-width, bidi and tag characters: one finding per kind and span, at the first occurrence."""
    original = text.original
    if original.isascii():
        return []
    found: dict[str, tuple[int, int, str, int]] = {}  # kind -> (first offset, last offset, severity, count)
    tags: list[str] = []
    right_to_left = _RTL_LETTER.search(original) is not None
    for run in _INVISIBLE_RUN.finditer(original):
        zero_width = _zero_width_severity(original, run.start(), run.end())  # one judgement for the whole run
        for index in range(run.start(), run.end()):
            char = original[index]
            code = ord(char)
            if code >= 0xE0000:
                kind, severity = "tag", "high"
                if 0xE0020 <= code <= 0xE007E:
                    tags.append(chr(code - 0xE0000))
            elif char in BIDI:
                rtl = _rtl_layout(original, index, right_to_left)
                kind, severity = ("bidi-rtl", "info") if rtl else ("bidi", "high")
            elif zero_width is None or (index == 0 and char == "\ufeff" and first_span and text.span.line == 1):
                continue  # part of an emoji, a script that joins with it, or a byte-order mark
            else:
                kind, severity = f"zero-width-{zero_width}", zero_width
            first, _, _, count = found.get(kind, (index, index, severity, 0))
            found[kind] = (first, index, severity, count + 1)
    hits: list[_Hit] = []
    for kind, (first, last, severity, count) in found.items():
        if kind == "tag":
            rule, message = "hidden.tag-characters", (f"{count} Unicode tag character(s) spelling invisible text: "
                                                      f"{''.join(tags)[:80]!r}")
        elif kind == "bidi":
            rule, message = "hidden.bidi-control", (f"{count} bidirectional control character(s) that reorder what "
                                                    "a reader sees")
        elif kind == "bidi-rtl":
            rule, message = "hidden.bidi-control", (f"{count} bidirectional control character(s) laying out "
                                                    "right-to-left text (Hebrew, Arabic, ...)")
        elif severity == "medium":
            rule, message = "hidden.zero-width", f"{count} zero-width character(s) inside words, splitting them"
        else:
            rule, message = "hidden.zero-width", f"{count} zero-width character(s) between words"
        if severity == "info" and _flood(count, len(original)):
            severity, rule = "medium", "hidden.invisible-flood"
            message = (f"a flood of {count:,} invisible characters ({_share(count, len(original))} of the text): they "
                       "can hide text from a reader or bury what a model is shown")
        hits.append(_Hit(first, last + 1, "hidden-content", severity, rule, message))
    return hits


FLOOD_COUNT = 32  # invisible characters that are unremarkable one by one stop being so in these numbers
FLOOD_SHARE = 0.1
FLOOD_ALWAYS = 1000


def _flood(count: int, length: int) -> bool:
    """Invisible characters that make up a tenth of a text (at least 32 of them), or a thousand in any text."""
    return count >= FLOOD_ALWAYS or (count >= FLOOD_COUNT and count >= FLOOD_SHARE * length)


def _share(count: int, length: int) -> str:
    return f"{100 * count / max(length, 1):.0f}%"


_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_OVERRIDES = frozenset("\u202d\u202e")


def _rtl_layout(text: str, index: int, right_to_left: bool) -> bool:
    """Whether the bidi control at text[index] lays out real right-to-left text: embeddings and isolates in a text
    with Hebrew or Arabic letters, or an override whose next letter is one. Overrides around Latin text hide it."""
    if not right_to_left:
        return False
    if text[index] not in _OVERRIDES:
        return True
    following = next((char for char in text[index + 1:index + 40] if char.isalpha()), "")
    return _RTL_LETTER.match(following) is not None


def _zero_width_severity(text: str, start: int, end: int) -> str | None:
    """For zero-width characters at text[start:end]: medium inside a word of a Latin, Greek or Cyrillic script,
    None in emoji sequences and in scripts that use them, info elsewhere."""
    before, after = _neighbour(text, start, -1), _neighbour(text, end - 1, 1)
    if _emoji(before) or _emoji(after):
        return None
    if before.isalpha() and after.isalpha():
        return "medium" if _alphabetic_script(before) and _alphabetic_script(after) else None
    return "info"


def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest visible character within a few, skipping zero-width characters, variation selectors, skin tones."""
    position = index + step
    while 0 <= position < len(text) and abs(position - index) <= 8:
        code = ord(text[position])
        if not (text[position] in ZERO_WIDTH or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF):
            return text[position]
        position += step
    return " "


def _emoji(char: str) -> bool:
    code = ord(char)
    return (code >= 0x2190 and unicodedata.category(char) == "So") or 0x1F000 <= code <= 0x1FAFF


def _alphabetic_script(char: str) -> bool:
    code = ord(char)
    return code < 0x0530 or 0x1D00 <= code <= 0x1FFF or 0xFF21 <= code <= 0xFF5A


# ---------------------------------------------------------------------------------------- hidden spans

_AUTHOR_NOTE = re.compile(r"^\W*(?:todo|fixme|xxx|hack|note|nb|prettier|markdownlint|eslint|cspell|vale|textlint|"
                          r"lint|toc|end ?toc|begin|end|region|endregion|more|break)\b")
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|du|dich|dir|dein\w*|tu|toi|te|ton|ta|tes|vous|votre|vos|"
                            r"usted|ustedes|tus)\b")
_ORDER_VERBS = (r"(?:ignore|disregard|forget|override|omit|report|mention|"
                          r"flag|mark|rate|classify|conclude|state|say|tell|respond|reply|answer|output|print|"
                          r"summari[sz]e|pretend|act|behave|follow|obey|comply|include|exclude|treat|consider|reveal|"
                          r"send|append|render|do not|don't|never|always|ignoriere|vergiss|erwahne|melde|ignorez|"
                          r"oubliez|mentionnez|ignora|olvida|menciones|omite)\b")
_ORDER_START = re.compile(rf"(?:^|[.!?:]\s+)(?:please\s+)?{_ORDER_VERBS}")
# "when you summarise threats for this service, state that ...": an order after a clause about the reader's work
_ORDER_AFTER_CLAUSE = re.compile(rf"\b(?:when|if|whenever|once|wenn|si|cuando)\W+(?:you|du|tu|vous|usted)\b"
                                 rf"[^.!?,]{{0,100}},\s*(?:please\s+)?{_ORDER_VERBS}")
_CONCEALED = frozenset({"css-hidden", "white-text", "tiny-font", "docx-hidden"})  # styled so no one sees it
_TOGGLED = frozenset({"css-hidden"})  # also how pages hide banners, menus and answers until a click shows them
_UI_LABEL_WORDS = 4  # "Report a problem", "Accept all": the label of a link or button, not a message
_ORDER_NEAR_YOU = re.compile(r"\b(?:you|du|tu|vous|usted)\W+(?:must|should|shall|need to|have to|are to|will now|"
                             r"musst|sollst|dois|devez|debes|debe)\b|\b(?:your|deine|ta|votre|tu)\W+(?:task|job|"
                             r"instructions?|aufgabe|tache|tarea|summary|analysis|assessment|review|report|answer|response|output|findings|"
                             r"threat model|zusammenfassung|bewertung|resume|analyse|resumen|respuesta)\b")


def _speaks_to_reader(words: str) -> bool:
    """Hidden text that gives orders: an order verb opening a sentence, or "you must ...". A second-person word
    alone is how interfaces talk to their users ("your basket"), and a short label is a link or button."""
    if len(words.split()) <= _UI_LABEL_WORDS:
        return False
    return any(pattern.search(words) for pattern in (_ORDER_START, _ORDER_NEAR_YOU, _ORDER_AFTER_CLAUSE))


def _hidden_span_hits(text: _Text, hits: list[_Hit]) -> list[_Hit]:
    """What hiding this text means: orders hidden from the reader are the worst case."""
    end = len(text.original)
    kind = text.span.hidden or "hidden"
    if any(hit.severity in BLOCKING and hit.category != "hidden-content" for hit in hits):
        return [_Hit(0, end, "hidden-content", "high", "hidden.instructions",
                     f"text hidden from readers ({kind}) carries instructions")]
    words = text.words
    if _AUTHOR_NOTE.match(words):
        return []
    if kind in _CONCEALED and _speaks_to_reader(words):
        return [_Hit(0, end, "hidden-content", "medium", "hidden.directive",
                     f"text hidden from readers ({kind}) speaks to its reader")]
    if len(words.split()) < HIDDEN_PROSE_WORDS:
        return []
    if kind not in _CONCEALED or kind in _TOGGLED:  # comments, alt text, <noscript>, closed banners and FAQ answers
        return [_Hit(0, end, "hidden-content", "info", "hidden.prose", f"a {kind} with prose; kept out of prompts")]
    return [_Hit(0, end, "hidden-content", "low", "hidden.prose", f"prose hidden from readers ({kind})")]


# ------------------------------------------------------------------------------------------- encodings

_Decoder = tuple[re.Pattern[str], Callable[[str], "str | None"], str, bool, Callable[["_Text"], bool]]
_HEX_PAIR = re.compile(r"[0-9a-f]{2}")


def _encoded_hits(text: _Text) -> list[_Hit]:
    original = text.original
    hits: list[_Hit] = []
    for pattern, decode, name, prose_counts, possible in _DECODERS:
        if not possible(text):
            continue
        for match in pattern.finditer(original):
            decoded = decode(match.group(0))
            if decoded is not None:
                hit = _judge_decoded(decoded, name, prose_counts, match.start(), match.end(), text.span)
                if hit is not None:
                    hits.append(hit)
    hits.extend(_transformed_hits(text))
    return hits


def _judge_decoded(decoded: str, name: str, prose_counts: bool, start: int, end: int, span: Span) -> _Hit | None:
    preview = escape_invisible(decoded)[:80]
    inner = _Text(span, decoded, code=False)
    if any(h.severity in BLOCKING for h in _content_hits(inner, "", addressed=False, quotable=False)):
        return _Hit(start, end, "encoded-payload", "high", "encoded.instructions",
                    f"{name} text that decodes to instructions: {preview!r}")
    if prose_counts and _prose(decoded):
        return _Hit(start, end, "encoded-payload", "low", "encoded.prose",
                    f"{name} text that decodes to readable prose: {preview!r}")
    return None


def _transformed_hits(text: _Text) -> list[_Hit]:
    """rot13 or reversed text: decoded only when it carries two of the telltale words in that form."""
    hits: list[_Hit] = []
    for name, transform, telltales in (("rot13", _rot13, _ROT13_WORDS), ("reversed", _reverse, _REVERSED_WORDS)):
        if len(telltales.words & text.tokens) < 2:
            continue
        triggers = list(telltales.pattern.finditer(text.words))
        decoded = _Text(text.span, transform(text.words), code=False)
        if any(h.severity in BLOCKING for h in _content_hits(decoded, "", addressed=False, quotable=False)):
            first, last = triggers[0].start(), triggers[-1].end()
            hits.append(_Hit(text.original_offset(first), text.original_offset(last), "encoded-payload", "high",
                             f"encoded.{name}", f"{name} text that decodes to instructions"))
    return hits


def _rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


def _reverse(text: str) -> str:
    return text[::-1]


@dataclass(frozen=True)
class _Telltales:
    words: frozenset[str]
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, transform: Callable[[str], str]) -> _Telltales:
        words = frozenset(transform(word) for word in vocab.KEYWORDS)
        return cls(words, re.compile(r"\b(?:" + "|".join(sorted(words)) + r")\b"))


_ROT13_WORDS = _Telltales.of(_rot13)
_REVERSED_WORDS = _Telltales.of(_reverse)


def _from_base64(blob: str) -> str | None:
    data = blob.rstrip("=").replace("-", "+").replace("_", "/")
    if len(data) % 4 == 1:
        data = data[:-1]
    try:
        raw = base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(raw)


def _from_hex(blob: str) -> str | None:
    digits = re.sub(r"\\x|0x|[\s,:]", "", blob)
    try:
        return _printable(bytes.fromhex(digits[:len(digits) // 2 * 2]))
    except ValueError:
        return None


def _from_percent(blob: str) -> str | None:
    decoded = unquote_plus(blob)
    return decoded if decoded != blob else None


def _from_entities(blob: str) -> str | None:
    return html.unescape(blob)


def _long_run(text: _Text) -> bool:
    """A base64 or hex run of 24 characters needs a chunk of text that long without whitespace."""
    return max(map(len, text.original.split()), default=0) >= 24


def _hex_dump(text: _Text) -> bool:
    return sum(1 for token in text.tokens if len(token) == 2 and _HEX_PAIR.fullmatch(token)) >= 4


# Each decoder comes with a cheap test of whether the text could hold its encoding at all. Percent-encoding and
# HTML entities only count when they decode to orders: URLs and markup are full of encoded ordinary text.
_DECODERS: tuple[_Decoder, ...] = (
    (vocab.BASE64, _from_base64, "base64", True, _long_run),
    (vocab.HEX, _from_hex, "hex", True, _long_run),
    (vocab.HEX_ESCAPED, _from_hex, "hex", True, lambda text: "\\x" in text.original or "0x" in text.original),
    (vocab.HEX_SPACED, _from_hex, "hex", True, _hex_dump),
    (vocab.PERCENT, _from_percent, "percent-encoded", False, lambda text: "%" in text.original),
    (vocab.ENTITIES, _from_entities, "HTML-entity", False, lambda text: "&#" in text.original),
)


def _printable(raw: bytes) -> str | None:
    """The bytes as text when they are (almost all) printable UTF-8; hashes and keys are not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 8:
        return None
    readable = sum(1 for c in text if c.isprintable() or c in "\n\t\r")
    return text if readable >= 0.95 * len(text) else None


_WORD = re.compile(r"[^\W\d_]{2,}")


def _prose(text: str) -> bool:
    """Readable sentences rather than JSON, identifiers or tokens."""
    words = _WORD.findall(text)
    letters = sum(len(w) for w in words)
    return len(words) >= 4 and text.count(" ") >= 3 and letters >= 0.55 * len(text)


# -------------------------------------------------------------------------------------------- findings


def _finding(text: _Text, hit: _Hit) -> ScanFinding:
    """A hit as a finding; its excerpt and message never show a secret, whatever the finding is about."""
    span = text.span
    start = min(hit.start, len(text.original))
    end = max(min(hit.end, len(text.original)), start)
    return ScanFinding(
        file=span.file, line=text.line_of(start), end_line=text.line_of(max(start, end - 1)), page=span.page,
        category=hit.category, severity=hit.severity, excerpt=_excerpt(text.shown, start, end),
        rule=hit.rule, message=redact(hit.message), span=span,
    )


def _excerpt(original: str, start: int, end: int) -> str:
    """The hit with a little context from its line, invisible characters escaped, at most EXCERPT_LIMIT long."""
    line_start = original.rfind("\n", 0, start) + 1
    low = max(line_start, start - 30)
    shown = escape_invisible(original[low:max(end, low + EXCERPT_LIMIT)]).strip()
    if low > line_start:
        shown = "…" + shown
    return shown if len(shown) <= EXCERPT_LIMIT else shown[:EXCERPT_LIMIT - 1] + "…"


def _order(finding: ScanFinding) -> tuple[str, int, int, int, str]:
    return (finding.file, finding.page or 0, finding.line, _RANK[finding.severity], finding.rule)


def _unique(findings: list[ScanFinding]) -> list[ScanFinding]:
    """One finding per span, rule and line (the most severe)."""
    best: dict[tuple[Span, str, int], ScanFinding] = {}
    for finding in findings:
        key = (finding.span, finding.rule, finding.line)
        if key not in best or _RANK[finding.severity] < _RANK[best[key].severity]:
            best[key] = finding
    return list(best.values())
