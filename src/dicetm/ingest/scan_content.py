"""What a span's words say: orders, role markup, forged dicetm output and exfiltration, from every family."""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.ingest.scan_format import DOCUMENTED, FORMAT_DOCUMENTATION, format_hits
from dicetm.ingest.scan_lexicon import lexicon
from dicetm.ingest.scan_links import url_hits
from dicetm.ingest.scan_phrases import PhraseHit, make_hit, phrase_hits
from dicetm.ingest.scan_signals import SectionState, SignalScan
from dicetm.ingest.scan_text import Hit, Text

CONCEALED = frozenset({"css-hidden", "white-text", "tiny-font", "docx-hidden", "off-page", "clipped",
                       "invisible-text"})  # styled or placed so that no one sees it
_DROPS = "injection.ignore-previous"
# Phrase rules about the analysis that an order to people may match too ("Reviewers: rate all X risks Low").
_ANALYSIS_PHRASES = frozenset({"injection.suppress-findings", "injection.downgrade-rating", "injection.conclude-safe"})


def signal_scan() -> SignalScan:
    return SignalScan(lexicon())


def content_hits(text: Text, previous: str, addressed: bool, quotable: bool,
                 addresses: list[PhraseHit] | None = None, state: SectionState | None = None) -> Iterator[Hit]:
    """Orders, role markup, forged dicetm output and exfiltration in one text."""
    state = state or SectionState(document_addressed=addressed)
    if addresses is None:
        addresses = phrase_hits(text, "address", addressed)
    phrases = addresses + phrase_hits(text, "content", addressed)
    signals = signal_scan().hits(text, state, concealed=text.span.hidden in CONCEALED)
    # A user's message in an API's example value ("forget your rules and book for me") is data the API exchanges,
    # unless it speaks to this document's reader or asks for a change to the analysis as well.
    user_message = text.span.kind == "example" and not any(
        hit.to_reader or (hit.rule != _DROPS and hit.severity != "info") for hit in signals)
    ordered = any(rule.category == "instruction" and severity != "info" and not (user_message and rule.rule == _DROPS)
                  for _, _, rule, severity in phrases)
    people = signal_scan().to_people(text, state) if any(
        rule.rule in _ANALYSIS_PHRASES for _, _, rule, _ in phrases) and not any(
        hit.to_reader for hit in signals) else []
    for start, end, rule, severity in phrases:
        if rule.rule in _ANALYSIS_PHRASES and any(low <= start and end <= high for low, high in people):
            severity = "info"  # an order to the people who review: not aimed at an automated reader
        if rule.category == "role-markup" and text.code and not ordered:
            severity = "info"  # a chat-format example in a code block, with nothing ordered in it
        if rule.rule == _DROPS and user_message:
            severity = "info"
        yield make_hit(text, start, end, rule.category, severity, rule.rule, rule.message, quotable, previous,
                       state.heading, state.columns)
    for start, end, rule_id, severity, message in (*format_hits(text), *url_hits(text)):
        category = "format-imitation" if rule_id.startswith("format.") else "exfiltration"
        if category == "format-imitation" and text.code and not ordered and FORMAT_DOCUMENTATION.search(
                text.norm):
            severity, message = "info", message + DOCUMENTED
        yield make_hit(text, start, end, category, severity, rule_id, message, quotable, previous, state.heading,
                       state.columns)
    for hit in signals:
        severity = "info" if (hit.reported and quotable) or (hit.rule == _DROPS and user_message) else hit.severity
        # An example value that speaks to the reader of this document is no example of what the API receives.
        excusable = quotable and not (hit.to_reader and text.span.kind == "example")
        yield make_hit(text, hit.start, hit.end, hit.category, severity, hit.rule, hit.message, excusable,
                       previous, state.heading, state.columns)
