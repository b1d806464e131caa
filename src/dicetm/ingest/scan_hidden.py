"""Hidden content: invisible characters (zero-width, bidi controls, tag characters) and what it means that a
span is hidden from the reader of the rendered document."""

from __future__ import annotations

import re
import unicodedata

from dicetm.ingest.scan_content import CONCEALED
from dicetm.ingest.scan_text import BIDI, BLOCKING, INVISIBLE_RUN, ZERO_WIDTH, Hit, Text

HIDDEN_PROSE_WORDS = 8  # hidden text this long reads as a message rather than a label or a directive

# ------------------------------------------------------------------------------------------- invisible


def invisible_hits(text: Text, first_span: bool) -> list[Hit]:
    """Zero-width, bidi and tag characters: one finding per kind and span, at the first occurrence."""
    original = text.original
    if original.isascii():
        return []
    found: dict[str, tuple[int, int, str, int]] = {}  # kind -> (first offset, last offset, severity, count)
    tags: list[str] = []
    right_to_left = _RTL_LETTER.search(original) is not None
    for run in INVISIBLE_RUN.finditer(original):
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
    hits: list[Hit] = []
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
        hits.append(Hit(first, last + 1, "hidden-content", severity, rule, message))
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

# An author's note or a tool's marker; the to-do labels of the lexicon languages too ("PENDIENTE (edición):").
_AUTHOR_NOTE = re.compile(r"^\W*(?:todo|fixme|xxx|hack|note|nb|prettier|markdownlint|eslint|cspell|vale|textlint|"
                          r"lint|toc|end ?toc|begin|end|region|endregion|more|break|zu erledigen|a faire|pendiente|"
                          r"por hacer|da fare|te doen|do zrobienia|a fazer|por fazer)\b"
                          r"|^\W*(?:要対応|対応予定|待办|待处理)")
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
_CONCEALED = CONCEALED
TOGGLED = "css-hidden"  # also how pages hide banners, menus, answers and whole sections until a click shows them
_TOGGLED = frozenset({TOGGLED})
_QUOTATION = re.compile(r'"[^"\n]{1,300}"')
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


def hidden_span_hits(text: Text, hits: list[Hit]) -> list[Hit]:
    """What hiding this text means: orders hidden from the reader are the worst case."""
    end = len(text.original)
    kind = text.span.hidden or "hidden"
    if any(hit.severity in BLOCKING and hit.category != "hidden-content" for hit in hits):
        return [Hit(0, end, "hidden-content", "high", "hidden.instructions",
                     f"text hidden from readers ({kind}) carries instructions")]
    words = text.words
    if _AUTHOR_NOTE.match(words):
        return []
    spoken = _QUOTATION.sub(" ", words) if kind in _TOGGLED else words  # a collapsed section may quote orders
    if kind in _CONCEALED and _speaks_to_reader(spoken):
        return [Hit(0, end, "hidden-content", "medium", "hidden.directive",
                     f"text hidden from readers ({kind}) speaks to its reader")]
    if len(words.split()) < HIDDEN_PROSE_WORDS:
        return []
    if kind not in _CONCEALED or kind in _TOGGLED:  # comments, alt text, <noscript>, closed banners and FAQ answers
        return [Hit(0, end, "hidden-content", "info", "hidden.prose", f"a {kind} with prose; kept out of prompts")]
    return [Hit(0, end, "hidden-content", "low", "hidden.prose", f"prose hidden from readers ({kind})")]
