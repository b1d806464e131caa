"""Check the evidence a model cites: each quote must occur in the span it names.

Comparison is on normalised text (NFKC, case folded, whitespace collapsed, the datamark removed, dashes
and apostrophes straightened, double quotation marks and markdown emphasis marks dropped), against both the
span as written and the span as the prompt showed it, so harmless copying differences pass while a changed
word does not. A quote
may elide with "..." or "…": every fragment must then occur, in order. A span the prompt did not show
(a hidden span, an unknown label) cannot be cited; a withheld span must not be, and citing one condemns the
item whatever else it cites.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from dicetm.assist.answers import Evidence
from dicetm.assist.prompts import DATAMARK, as_markers, neutralise, shown_spans, span_label
from dicetm.ingest.documents import Document, Span
from dicetm.model.system import SpanRef

MIN_QUOTE_CHARS = 3  # letters or digits; "a" or "is" occurs everywhere and proves nothing
MAX_QUOTE_CHARS = 500  # kept in provenance; a cut quote is still words of the span

_FOLD = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "", "´": "'",
    '"': "", "“": "", "”": "", "„": "", "‟": "", "″": "", "«": "", "»": "",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    DATAMARK: " ", "^": " ", "|": " ", "*": "",
})
_SPACE = re.compile(r"\s+")
_DASH = re.compile(r"\s*-+\s*")  # "a—b", "a - b" and "a -- b" compare equal
_ELLIPSIS = re.compile(r"\.\.\.+|…")
_LABEL_PREFIX = re.compile(r"^\s*\[\s*D\d+\s*:\s*S\d+[^\]]*\]\s*", re.IGNORECASE)
_LABEL = re.compile(r"^\s*\[?\s*D\s*(\d+)\s*[:./ -]\s*S\s*(\d+)(?!\d)", re.IGNORECASE)
_BARE_LABEL = re.compile(r"^\s*\[?\s*S\s*(\d+)(?!\d)", re.IGNORECASE)
_OUTER = " '"


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    text = "".join(c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return _SPACE.sub(" ", _DASH.sub(" - ", text)).strip()


def quote_occurs(quote: str, text: str) -> bool:
    """True when ``quote`` (fragments split at ellipses, in order) occurs in ``text`` after normalising."""
    fragments = [normalise(f).strip(_OUTER) for f in _ELLIPSIS.split(_LABEL_PREFIX.sub("", quote))]
    fragments = [f for f in fragments if f]
    if sum(c.isalnum() for f in fragments for c in f) < MIN_QUOTE_CHARS:
        return False
    for haystack in {normalise(text), normalise(neutralise(text))}:
        position = 0
        for fragment in fragments:
            found = haystack.find(fragment, position)
            if found < 0:
                break
            position = found + len(fragment)
        else:
            return True
    return False


class Verdict(StrEnum):
    verified = "verified"
    unknown_span = "unknown-span"  # no such label, or a span the prompt did not show
    withheld = "withheld"
    not_in_span = "not-in-span"


@dataclass(frozen=True)
class Check:
    label: str
    quote: str
    verdict: Verdict
    span: Span | None = None

    def describe(self) -> str:
        if self.verdict is Verdict.withheld:
            return f"cites withheld span {self.label}"
        if self.verdict is Verdict.unknown_span:
            return f"cites span '{self.label}', which the prompt did not show"
        if self.verdict is Verdict.not_in_span:
            return f"quote {self.quote[:60]!r} is not in span {self.label}"
        return f"quote verified in {self.label}"


class SpanIndex:
    """The spans a set of prompts showed and withheld, by label (``D1:S7``), documents numbered from 1."""

    def __init__(self, documents: Sequence[Document], withheld: Mapping[Span, str] | Collection[Span] = (), *,
                 include_hidden: bool = False) -> None:
        markers = as_markers(withheld)
        self.single_document = len(documents) == 1
        self.shown: dict[str, Span] = {}
        self.withheld: dict[str, Span] = {}
        for doc_number, doc in enumerate(documents, start=1):
            for span_number, span in shown_spans(doc, include_hidden=include_hidden):
                label = span_label(doc_number, span_number)
                (self.withheld if span in markers else self.shown)[label] = span
            for span_number, span in enumerate(doc.spans, start=1):
                if span in markers:  # withheld even where the prompt left it out: never citable
                    self.withheld[span_label(doc_number, span_number)] = span

    def label_of(self, citation: str) -> str | None:
        """The canonical label a citation names ("[D1:S7 lines 3-4]", "d1:s7", "S7" with one document)."""
        match = _LABEL.match(citation)
        if match:
            return span_label(int(match[1]), int(match[2]))
        match = _BARE_LABEL.match(citation)
        if match and self.single_document:
            return span_label(1, int(match[1]))
        return None

    def check(self, evidence: Evidence) -> Check:
        label = self.label_of(evidence.span) or evidence.span.strip()[:40]
        if label in self.withheld:
            return Check(label, evidence.quote, Verdict.withheld, self.withheld[label])
        span = self.shown.get(label)
        if span is None:
            return Check(label, evidence.quote, Verdict.unknown_span)
        verdict = Verdict.verified if quote_occurs(evidence.quote, span.text) else Verdict.not_in_span
        return Check(label, evidence.quote, verdict, span)


@dataclass
class EvidenceResult:
    """Verified quotes as provenance spans, and what failed."""

    refs: list[SpanRef] = field(default_factory=list)
    failed: list[Check] = field(default_factory=list)

    @property
    def cites_withheld(self) -> bool:
        return any(c.verdict is Verdict.withheld for c in self.failed)

    def problem(self, *, required: bool) -> str | None:
        """Why the item must be dropped, or None. Unverified quotes are discarded; the item survives when
        at least one verified quote remains (or none was ``required`` and none was cited), and never when it
        cites a withheld span."""
        withheld = [c for c in self.failed if c.verdict is Verdict.withheld]
        if withheld:
            return withheld[0].describe()
        if self.refs:
            return None
        if self.failed:
            return self.failed[0].describe()
        return "cites no evidence" if required else None


def span_ref(span: Span, quote: str) -> SpanRef:
    page, line, last = span.lines_of(0)  # of a PDF paragraph over a page break, its part on the first page
    text = _SPACE.sub(" ", _LABEL_PREFIX.sub("", quote).replace(DATAMARK, " ")).strip()
    return SpanRef(file=span.file, line=line, end_line=last if last != line else None, page=page,
                   quote=text[:MAX_QUOTE_CHARS])


def check_evidence(items: Iterable[Evidence], index: SpanIndex) -> EvidenceResult:
    result = EvidenceResult()
    seen: set[tuple[str, str]] = set()
    for item in items:
        check = index.check(item)
        if check.verdict is not Verdict.verified:
            result.failed.append(check)
            continue
        assert check.span is not None
        ref = span_ref(check.span, item.quote)
        key = (check.label, normalise(ref.quote or ""))
        if key not in seen:
            seen.add(key)
            result.refs.append(ref)
    return result


def merge_refs(*groups: Iterable[SpanRef]) -> list[SpanRef]:
    """Span references once each, in first-seen order."""
    seen: set[tuple[object, ...]] = set()
    merged = []
    for group in groups:
        for ref in group:
            key = (ref.file, ref.page, ref.line, ref.end_line, normalise(ref.quote or ""))
            if key not in seen:
                seen.add(key)
                merged.append(ref)
    return merged
