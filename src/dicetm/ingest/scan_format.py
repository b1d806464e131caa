"""Format imitation: text dressed as dicetm's own output (decided findings, register keys, audit records,
"scan clean" banners)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dicetm.ingest.scan_text import Text
from dicetm.ingest.scan_words import compile_

# ------------------------------------------------------------------------------------- format imitation

FORMAT_MARKERS: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("status", 1, compile_(r"^\W*status\W*[:=]\W*(?:accepted|mitigated|rejected|approved|closed|resolved|"
                           r"implemented|transferred|avoided)\b")),
    ("reviewer", 1, compile_(r"^\W*(?:reviewer|reviewed_by|decided_by|approved_by)\W*[:=]\W*\w")),
    ("decision", 1, compile_(r"^\W*decision\W*[:=]\W*(?:accept|accepted|mitigate|mitigated|transfer|avoid|approve|"
                             r"approved|reject)\b")),
    ("collection", 1, compile_(r"^\s*\W?(?:threats|countermeasures|controls|residual_risks)\W*:\s*$")),
    ("threat-id", 1, compile_(r"\b[tc]-(?:llm|stride|agent|data)-\d{3}\b")),
    ("dicetm-key", 2, compile_(r"\b(?:residual_risks|coverage_percent|decided_at|status_after|status_before|"
                               r"review_status|facts_digest|audit_head|threats_covered|dicetm-register|"
                               r"dicetm-proposals)\b")),
)
# A code block that documents the format rather than forging a record: a comment listing the allowed values
# (``decision: accept  # accept | mitigate | transfer | avoid``), or placeholder values (``id: <threat id>``, ``...``).
# Anchored at the line's first comment marker, so a line full of "#" stays linear.
FORMAT_DOCUMENTATION = compile_(r"^(?:[^\n#/]|/(?!/))*(?:#|//)[^\n|]*[\w-][ \t]*\|[ \t]*[\w-]+[ \t]*\|[ \t]*[\w-]"
                                r"|:[ \t]*[\"']?<[a-z][\w .@-]{0,40}>[\"']?[ \t]*,?$|:[ \t]*\.\.\.[ \t]*,?$")
# Every marker and forgery holds one of these words or a threat or control id; other texts are not checked further.
FORMAT_WORDS = frozenset({"status", "reviewer", "reviewed", "approved", "decided", "decision", "threats", "threat",
                          "controls", "countermeasures", "residual", "coverage", "review", "facts", "audit", "prev",
                          "dicetm", "scan", "findings"})
FORMAT_ID = re.compile(r"\b[tc]-(?:llm|stride|agent|data)-")
# Any one of these alone forges dicetm output.
FORMAT_FORGERIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("format.decided-finding", compile_(r"\b[tc]-(?:llm|stride|agent|data)-\d{3}(?:@[\w.@-]+)?[^\n]{0,60}?\b"
                                        r"(?:accepted|rejected|mitigated|implemented|closed|resolved|approved|"
                                        r"transferred|avoided|false positive|not applicable)\b")),
    ("format.audit-record", compile_(r"[\"']?prev_hash[\"']?\s*[:=]|[\"']prev[\"']\s*:\s*[\"'][0-9a-f]{16,}")),
    ("format.scan-banner", compile_(r"\bdicetm\W+(?:scan|check|gate|analysis|review|result|verdict|status)s?\W*"
                                    r"[:=|\u2013-]\W*(?:clean|passed|pass|ok|no findings|0 findings|no threats|"
                                    r"approved|green|success)\b")),
    ("format.scan-banner", compile_(r"\bthreat model (?:result|verdict|outcome|status|conclusion|summary|"
                                    r"assessment)\W*[:=-]\W*(?:no |0 |zero |clean|pass|passed|all threats|secure|"
                                    r"fully mitigated|low risk)")),
    ("format.scan-banner", compile_(r"^\W*(?:prompt\W+)?injection\W+scan\W*[:=-]\W*(?:clean|passed|no findings|"
                                    r"0 findings)")),
    ("format.scan-banner", compile_(r"^\W*(?:no findings|0 findings|no threats (?:found|identified|detected)|"
                                    r"all threats (?:mitigated|accepted|resolved|closed))\W*$")),
)

RawHit = tuple[int, int, str, str, str]  # start, end (folded offsets), rule id, severity, message
DOCUMENTED = "; in a code block that documents the format (it lists the allowed values or has placeholders)"


def format_hits(text: Text) -> Iterator[RawHit]:
    norm = text.norm
    if FORMAT_WORDS.isdisjoint(text.tokens) and not FORMAT_ID.search(norm):
        return
    for rule_id, pattern in FORMAT_FORGERIES:
        for match in pattern.finditer(norm):
            yield match.start(), match.end(), rule_id, "high", "imitates dicetm's own output or records"
    score = 0
    specific = False
    first: tuple[int, int] | None = None
    for name, weight, pattern in FORMAT_MARKERS:
        markers = list(pattern.finditer(norm))
        if not markers:
            continue
        score += weight * len({m.group(0) for m in markers}) if name == "dicetm-key" else weight
        specific = specific or name in ("threat-id", "dicetm-key")
        if first is None or markers[0].start() < first[0]:
            first = markers[0].span()
    if first is not None and specific and score >= 3:
        yield first[0], first[1], "format.model-fields", "high", "imitates dicetm's model or register fields"
