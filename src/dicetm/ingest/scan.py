"""The offline injection scan: what in a document is aimed at an AI reader rather than at a person.

``scan_documents`` runs before any model sees a document. It reports, with file, page and line:

- ``instruction``: orders to an AI (ignore your instructions, you are now..., leave threats out, mark them
  mitigated, conclude the system is safe, "note to the AI"): phrase rules in English, German, French and Spanish
  (``scan_phrases``), and sentences scored on an automated addressee, directive voice and a requested change to the
  analysis in every language a lexicon file covers (``scan_signals``, ``scan_lexicon``);
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

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from dicetm.ingest.documents import Document, Span
from dicetm.ingest.read_html import LINK_TARGET, MARKUP
from dicetm.ingest.scan_content import content_hits, signal_scan
from dicetm.ingest.scan_encoded import encoded_hits
from dicetm.ingest.scan_format import DOCUMENTED
from dicetm.ingest.scan_hidden import TOGGLED, hidden_span_hits, invisible_hits
from dicetm.ingest.scan_links import link_target_hits
from dicetm.ingest.scan_phrases import PhraseHit, phrase_hits, quoted_discussion
from dicetm.ingest.scan_signals import SectionState, SignalScan
from dicetm.ingest.scan_text import BLOCKING, SEVERITIES, Hit, Text, escape_invisible, fold
from dicetm.ingest.secrets import find_secrets, redact
from dicetm.model.proposals import WithheldSpan

CATEGORIES = ("instruction", "role-markup", "hidden-content", "encoded-payload", "format-imitation", "exfiltration",
              "secret")
EXCERPT_LIMIT = 160

RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


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
    addresses: list[list[PhraseHit]] = []
    sections: list[SectionState] = []
    addressed = False
    context = _Context()
    section = SectionState()
    signals = signal_scan()
    for span in document.spans:
        text = Text(span)
        before = context.advance(text)
        section = _section(signals, text, section)
        hits = phrase_hits(text, "address", addressed=False) if span.hidden != LINK_TARGET else []
        # An order anywhere in the document to "the AI" makes its other orders count as addressed to one.
        addressed = addressed or any(severity != "info" and (span.hidden or not quoted_discussion(
            text, start, end, before, section.heading)) for start, end, _, severity in hits)
        previous.append(before)
        addresses.append(hits)
        sections.append(replace(section, columns=context.columns) if span.kind == "table-row" else section)
    findings: list[ScanFinding] = []
    for index, span in enumerate(document.spans):
        text = Text(span)
        state = replace(sections[index], document_addressed=addressed)
        judged = _span_hits(text, previous[index], addressed, addresses[index], state, first_span=index == 0)
        findings.extend(_finding(text, hit) for hit in judged)
    findings = _unique(findings)
    if any(f.blocking and f.category in ("instruction", "role-markup") for f in findings):
        findings = [_unexcused(f) for f in findings]
    findings.sort(key=_order)
    return findings


def _section(signals: SignalScan, text: Text, state: SectionState) -> SectionState:
    """The section a span opens or sits in: a heading starts one (addressed when it is a fake system header or a
    note to an AI reader, human when it is addressed to people); a short note that names an automated reader and
    ends in a colon makes the rest of its section addressed."""
    span = text.span
    if span.hidden in (LINK_TARGET, MARKUP):
        return state
    if _is_heading(span):
        return signals.heading_state(text.words, state)
    if span.hidden is None and signals.opens_note(text.words):
        return replace(state, addressed=True)
    return state


_UNDERLINE = re.compile(r"\n\s*[-=~^*#]{3,}\s*$")


def _is_heading(span: Span) -> bool:
    """A heading span, or a paragraph that is one short line (with a line of dashes under it in plain text)."""
    if span.kind == "heading":
        return True
    if span.kind not in ("paragraph", "text") or span.hidden is not None:
        return False
    title = _UNDERLINE.sub("", span.text)
    return bool(_UNDERLINE.search(span.text)) and "\n" not in title.strip() and len(title.split()) <= 12


_CONTEXT = 300  # characters of each earlier span that count as context
_ROWS = frozenset({"list-item", "table-row"})


class _Context:
    """Each span's context: the end of the span before it, passing over link targets and tags (a paragraph's
    link targets sort before the paragraph itself); for a list item or table row after the first, also the end of
    the text that introduced the list ("special tokens, for example:")."""

    def __init__(self) -> None:
        self.last, self.lead, self.last_kind = "", "", ""
        self.columns = ""  # the first row of the current table: its column headings

    def advance(self, text: Text) -> str:
        """The context of ``text``, which becomes the context of the next span."""
        kind = text.span.kind
        context = f"{self.lead}\n{self.last}" if kind in _ROWS and self.last_kind in _ROWS else self.last
        if text.span.hidden not in (LINK_TARGET, MARKUP):
            if kind in _ROWS and self.last_kind not in _ROWS:
                self.lead = self.last
            if kind == "table-row" and self.last_kind != "table-row":
                self.columns = text.words
            self.last, self.last_kind = text.words[-_CONTEXT:], kind
        return context


def _unexcused(finding: ScanFinding) -> ScanFinding:
    """In a document that gives orders, format imitation in a code block is no longer excused as an example."""
    if finding.category == "format-imitation" and finding.severity == "info" and finding.span.kind == "code":
        return replace(finding, severity="high", message=finding.message.removesuffix(DOCUMENTED))
    return finding


def borderline_spans(document: Document, findings: Iterable[ScanFinding]) -> list[Span]:
    """Spans with no blocking finding where the signal scan sees part of an injection (a change to the analysis
    with an order, a role, an order to decode): the ones a second opinion should look at besides the flagged."""
    flagged = {f.span for f in findings if f.blocking}
    signals = signal_scan()
    return [span for span in document.spans if span not in flagged and span.hidden not in (LINK_TARGET, MARKUP)
            and signals.borderline(Text(span))]


def finding_for_span(span: Span, category: str, severity: str, rule: str, message: str) -> ScanFinding:
    """A finding about a whole span (a judgement made outside the scan, such as a second opinion)."""
    return ScanFinding(file=span.file, line=span.line, end_line=span.end_line, page=span.page, category=category,
                       severity=severity, excerpt=_excerpt(redact(span.text), 0, len(span.text)), rule=rule,
                       message=redact(message), span=span)


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
        if current is None or RANK[finding.severity] < RANK[current.severity]:
            worst[finding.span] = finding
    return [WithheldSpan(file=f.file, line=f.span.line, end_line=f.span.end_line, page=f.page, category=f.category,
                         severity=f.severity, excerpt=f.excerpt) for f in sorted(worst.values(), key=_order)]


_EXAMPLE_WORDS = re.compile(r"\b(?:examples?|samples?|e\.g\.|for instance|dummy|fake|placeholders?|illustrat\w*)\b")


def _secret_hits(text: Text, previous: str) -> list[Hit]:
    """Secrets, at ``info`` when they are placeholders or the words just before call them an example."""
    hits = []
    for found in find_secrets(text.original):
        before = fold(text.original[max(0, found.start - 120):found.start]) + " " + previous[-160:]
        if found.inert or _EXAMPLE_WORDS.search(before):
            hits.append(Hit(found.start, found.end, "secret", "info", "secret." + _rule_slug(found.kind),
                             f"{found.kind}, shown as an example: withheld from every prompt all the same"))
        else:
            hits.append(Hit(found.start, found.end, "secret", "high", "secret." + _rule_slug(found.kind),
                             f"{found.kind}: withheld from every prompt; if it is real, rotate it"))
    return hits


def _rule_slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")


# ------------------------------------------------------------------------------------------------ hits


def _span_hits(text: Text, previous: str, addressed: bool, addresses: list[PhraseHit], state: SectionState,
               first_span: bool) -> list[Hit]:
    kind = text.span.hidden
    if kind == LINK_TARGET:  # a URL: only markup, a data slot or an encoded payload can be wrong with it
        hits = list(link_target_hits(text))
    else:
        hidden = kind is not None
        # A collapsed section (display:none until a click) may quote attacks as openly as the page around it.
        hits = list(content_hits(text, previous, addressed or hidden, quotable=not hidden or kind == TOGGLED,
                                 addresses=addresses, state=state))
    hits += invisible_hits(text, first_span)
    hits += encoded_hits(text, previous)
    hits += _secret_hits(text, previous)
    if kind is not None and kind not in (LINK_TARGET, MARKUP):  # a URL or a bare tag is not hidden prose
        hits += hidden_span_hits(text, hits)
    return hits


# -------------------------------------------------------------------------------------------- findings


def _finding(text: Text, hit: Hit) -> ScanFinding:
    """A hit as a finding; its excerpt and message never show a secret, whatever the finding is about."""
    span = text.span
    start = min(hit.start, len(text.original))
    end = max(min(hit.end, len(text.original)), start)
    page, line, end_line = span.page, text.line_of(start), text.line_of(max(start, end - 1))
    if span.continued and text.original is span.text:  # a PDF paragraph over a page break: where the words are
        (page, line), (end_page, last) = span.place_of(start), span.place_of(max(start, end - 1))
        end_line = last if end_page == page else line
    return ScanFinding(
        file=span.file, line=line, end_line=end_line, page=page,
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


def report_order(finding: ScanFinding) -> tuple[str, int, int, int, str]:
    """The order findings are reported in: file, page, line, severity, rule."""
    return _order(finding)


def _order(finding: ScanFinding) -> tuple[str, int, int, int, str]:
    return (finding.file, finding.page or 0, finding.line, RANK[finding.severity], finding.rule)


def _unique(findings: list[ScanFinding]) -> list[ScanFinding]:
    """One finding per span, rule and line (the most severe)."""
    best: dict[tuple[Span, str, int], ScanFinding] = {}
    for finding in findings:
        key = (finding.span, finding.rule, finding.line)
        if key not in best or RANK[finding.severity] < RANK[best[key].severity]:
            best[key] = finding
    return list(best.values())
