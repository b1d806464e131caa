"""One span's text as the scan reads it: folded, with leetspeak and letter spacing undone, and the hit type.

Text is folded before matching (see ``fold``) so case, accents, look-alike letters, leetspeak, letter spacing and
invisible characters do not hide a phrase. ``Text`` keeps the original, the folded form and the map between their
offsets, so a finding can point at the original line.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from dicetm.ingest.documents import Span
from dicetm.ingest.secrets import redact

# ------------------------------------------------------------------------------------------------ folding

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE_RUN = re.compile("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\U000e0000-\U000e007f]+")
_DROPPED = ZERO_WIDTH | BIDI | frozenset("\u00ad\u180e\u2061\u2062\u2063\u2064\u034f\u200e\u200f")
_LOOKALIKE = {  # Cyrillic and Greek letters that pass for Latin ones
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
    "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "ϲ": "c", "ɡ": "g", "ɑ": "a", "ı": "i",
}
# Latin letters Unicode does not decompose into a base letter and an accent (Polish, Danish, French ligatures)
_LATIN_LETTERS = {"ł": "l", "đ": "d", "ø": "o", "œ": "oe", "æ": "ae", "ħ": "h", "ŧ": "t", "ŀ": "l", "ĸ": "k"}
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
    if lowered in _LATIN_LETTERS:
        return _LATIN_LETTERS[lowered]
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    if 0x3040 <= code <= 0x30FF or 0xFF66 <= code <= 0xFF9F:  # kana keep their voicing marks: "ず" is not "す"
        return unicodedata.normalize("NFKC", char)
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


class Text:
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
        self.anchors: frozenset[int] | None = None  # the phrase rules' anchor words present (scan_phrases)

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
    return span.kind in ("code", "example") or span.text.lstrip().startswith(("```", "~~~"))


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


SEVERITIES = ("high", "medium", "low", "info")
BLOCKING = frozenset({"high", "medium", "low"})


@dataclass(frozen=True)
class Hit:
    start: int  # offsets into the span's original text
    end: int
    category: str
    severity: str
    rule: str
    message: str

    @property
    def blocking(self) -> bool:
        return self.severity in BLOCKING
