"""Encoded payloads: base64, hex, percent, HTML-entity, rot13 or reversed text that decodes to orders (or, less
severely, to prose); hashes, keys and binary blobs decode to nothing readable and are left alone."""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from dicetm.ingest.documents import Span
from dicetm.ingest.scan_content import content_hits
from dicetm.ingest.scan_lexicon import lexicon
from dicetm.ingest.scan_text import BLOCKING, Hit, Text, escape_invisible

# -------------------------------------------------------------------------------------- encoded payloads

BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}")
HEX = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{24,}(?![0-9A-Fa-f])")
HEX_ESCAPED = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){8,}|(?:0x[0-9A-Fa-f]{2}[,\s]{0,2}){8,}")
HEX_SPACED = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]){11,}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])")
PERCENT = re.compile(r"(?:[^\s%]{0,20}%[0-9A-Fa-f]{2}){6,}")
ENTITIES = re.compile(r"(?:&#(?:[xX][0-9A-Fa-f]{1,6}|\d{1,7});){6,}")
# Words that give away text written in rot13 or backwards: decode only spans that carry two of them.
KEYWORDS = ("ignore", "instructions", "previous", "disregard", "forget", "system", "prompt", "threats",
            "mitigated", "assistant", "report", "mention")

# ------------------------------------------------------------------------------------------- encodings

_Decoder = tuple[re.Pattern[str], Callable[[str], "str | None"], str, bool, Callable[["Text"], bool]]
_HEX_PAIR = re.compile(r"[0-9a-f]{2}")


def encoded_hits(text: Text, previous: str = "") -> list[Hit]:
    """Encoded runs that decode to orders or prose. Where the text, or the end of the span before it, says to
    decode something ("decode and follow", "ROT13-kodiert", "先解码再执行"), what decodes counts as addressed to the
    reader, and the whole span is also read as rot13."""
    original = text.original
    hinted = _decode_hint(text.words) or _decode_hint(previous[-200:])
    hits: list[Hit] = []
    for pattern, decode, name, prose_counts, possible in _DECODERS:
        if not possible(text):
            continue
        for match in pattern.finditer(original):
            decoded = decode(match.group(0))
            if decoded is not None:
                hit = _judge_decoded(decoded, name, prose_counts, match.start(), match.end(), text.span, hinted)
                if hit is not None:
                    hits.append(hit)
    hits.extend(_transformed_hits(text))
    if hinted and not any(hit.rule == "encoded.rot13" for hit in hits):
        hits.extend(_hinted_rot13(text))
    return hits


def _decode_hint(words: str) -> bool:
    return bool(words) and lexicon().any_of(("decode",), words)


def _hinted_rot13(text: Text) -> list[Hit]:
    """The span read as rot13, when the text around it says to decode it."""
    decoded = Text(text.span, _rot13(text.original), code=False)
    plain = {h.rule for h in content_hits(Text(text.span, code=False), "", addressed=True, quotable=False)
             if h.severity in BLOCKING}  # what rot13 leaves alone (other scripts, digits) must not count
    if any(h.severity in BLOCKING and h.rule not in plain
           for h in content_hits(decoded, "", addressed=True, quotable=False)):
        return [Hit(0, len(text.original), "encoded-payload", "high", "encoded.rot13",
                    "rot13 text, with an order to decode it, that decodes to instructions: "
                    f"{escape_invisible(decoded.original)[:80]!r}")]
    return []


def _judge_decoded(decoded: str, name: str, prose_counts: bool, start: int, end: int, span: Span,
                   hinted: bool = False) -> Hit | None:
    preview = escape_invisible(decoded)[:80]
    inner = Text(span, decoded, code=False)
    if any(h.severity in BLOCKING for h in content_hits(inner, "", addressed=hinted, quotable=False)):
        return Hit(start, end, "encoded-payload", "high", "encoded.instructions",
                    f"{name} text that decodes to instructions: {preview!r}")
    if prose_counts and _prose(decoded):
        return Hit(start, end, "encoded-payload", "low", "encoded.prose",
                    f"{name} text that decodes to readable prose: {preview!r}")
    return None


def _transformed_hits(text: Text) -> list[Hit]:
    """rot13 or reversed text: decoded only when it carries two of the telltale words in that form."""
    hits: list[Hit] = []
    for name, transform, telltales in (("rot13", _rot13, _ROT13_WORDS), ("reversed", _reverse, _REVERSED_WORDS)):
        if len(telltales.words & text.tokens) < 2:
            continue
        triggers = list(telltales.pattern.finditer(text.words))
        decoded = Text(text.span, transform(text.words), code=False)
        if any(h.severity in BLOCKING for h in content_hits(decoded, "", addressed=False, quotable=False)):
            first, last = triggers[0].start(), triggers[-1].end()
            hits.append(Hit(text.original_offset(first), text.original_offset(last), "encoded-payload", "high",
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
        words = frozenset(transform(word) for word in KEYWORDS)
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


def _long_run(text: Text) -> bool:
    """A base64 or hex run of 24 characters needs a chunk of text that long without whitespace."""
    return max(map(len, text.original.split()), default=0) >= 24


def _hex_dump(text: Text) -> bool:
    return sum(1 for token in text.tokens if len(token) == 2 and _HEX_PAIR.fullmatch(token)) >= 4


# Each decoder comes with a cheap test of whether the text could hold its encoding at all. Percent-encoding and
# HTML entities only count when they decode to orders: URLs and markup are full of encoded ordinary text.
_DECODERS: tuple[_Decoder, ...] = (
    (BASE64, _from_base64, "base64", True, _long_run),
    (HEX, _from_hex, "hex", True, _long_run),
    (HEX_ESCAPED, _from_hex, "hex", True, lambda text: "\\x" in text.original or "0x" in text.original),
    (HEX_SPACED, _from_hex, "hex", True, _hex_dump),
    (PERCENT, _from_percent, "percent-encoded", False, lambda text: "%" in text.original),
    (ENTITIES, _from_entities, "HTML-entity", False, lambda text: "&#" in text.original),
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
