"""Text that imitates a system header: ``[SYSTEM]``, ``### SISTEMA ###``, ``=== SYSTEM ===``, ``【系统指令】``, a
heading "Systemanweisung (Priorität hoch)" or a label "SYSTEM INSTRUCTION:" opening a span (see ``scan_signals``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dicetm.ingest.scan_sentences import CJK, LETTER, Match, Sentence
from dicetm.ingest.scan_text import Text

_CJK_HEADER = 24  # characters of a short header line in Japanese or Chinese: "【系统指令·最高优先级】"
_CJK_LABEL = 16  # characters of a label in Japanese or Chinese: "系统指令（最高优先级）："


def fake_header_line(words: str, found: dict[str, list[Match]]) -> tuple[int, int] | None:
    """A line at the start of the span that imitates a system header: (start, end) of that line."""
    if not found.get("system") and not found.get("priority"):
        return None
    first_line_end = words.find("\n")
    first_line_end = len(words) if first_line_end < 0 else first_line_end
    for start, end in found.get("system", []):  # a bracketed marker opening a line: "[SISTEMA] Instrucción ..."
        if bracketed(words, start, end):
            return start, end
    line = Sentence(0, first_line_end, {name: [m for m in matches if m[0] < first_line_end]
                                         for name, matches in found.items()})
    if fake_header(words[:first_line_end], line, heading=False):
        return 0, first_line_end
    return None


def header_label(text: Text, sentences: Sequence[Sentence]) -> tuple[int, int] | None:
    """A label that opens a span and names a system instruction in capitals or with a priority:
    "SYSTEM INSTRUCTION: ...", "Systemanweisung mit Priorität:", "系统指令：..."."""
    words = text.words
    first = next(iter(sentences), None)
    if first is None or not words[first.start:first.end].rstrip().endswith(":"):
        return None
    cjk = CJK.search(words, first.start, first.end) is not None
    label = words[first.start:first.end].strip()
    if len(label.split()) > 5 or (cjk and len(label) > _CJK_LABEL):  # a lead-in sentence, not a label
        return None
    written = text.original[text.original_offset(first.start):text.original_offset(first.end)]
    shouted = written.upper() == written and any(char.isalpha() for char in written)
    system = first.has("system") and first.has("instruction") and (cjk or shouted or first.has("priority"))
    return (first.start, first.end) if system and _named_last(words, first) else None


def _named_last(words: str, label: Sentence) -> bool:
    """The system instruction is what the label names, not a word before its noun: "SYSTEM PROMPT:", "系统指令
    （最高优先级）：", but not "SYSTEM PROMPT LEAK:", the title of an example of one."""
    last = max(m[1] for name in ("system", "instruction", "priority") for m in label.found.get(name, []))
    rest = _PARENTHESIS.sub("", words[last:label.end])
    return not LETTER.search(rest)


_PARENTHESIS = re.compile(r"[(（][^)）]*[)）]")


def fake_header(words: str, sentence: Sentence, *, heading: bool) -> bool:
    """A system header: a system word in brackets or hash marks, or a heading (or short labelled line) with a
    system word and an instruction or priority word ("Systemanweisung (Priorität hoch)", "Instrucción prioritaria")."""
    for start, end in sentence.found.get("system", []):
        if bracketed(words, start, end):
            return True
    line = words[sentence.start:sentence.end]
    # Japanese and Chinese have no spaces: a short line is one of few characters, not one "word".
    short = len(line.strip()) <= _CJK_HEADER if CJK.search(line) else len(line.split()) <= 8
    if not (heading or short):
        return False
    # A priority alone is a heading of a roadmap or a queue ("High priority", "Priorytet"); it takes an instruction
    # or a system word beside it ("Instrucción prioritaria", "Systemanweisung (Priorität hoch)").
    named = bool(sentence.found.get("system")) or bool(sentence.found.get("instruction"))
    return bool(sentence.found.get("priority")) and named and (
        heading or words[sentence.start:sentence.end].rstrip().endswith(":") or bool(sentence.found.get("system")))


def bracketed(words: str, start: int, end: int) -> bool:
    """A system word in brackets, hash or equals marks that open a line: ``[SYSTEM]``, ``### SISTEMA ###``,
    ``=== SYSTEM ===``, ``【系统指令】``."""
    line_start = words.rfind("\n", 0, start) + 1
    opening = _OPENING.fullmatch(words, line_start, start)
    closing = _CLOSING.match(words, end)
    return bool(opening and closing)


# The marker may open the value of a field: "note: [SISTEMA] ..." in an example or a block of settings.
_OPENING = re.compile(r"[\s\d.)*>-]*(?:[\w-]+:[ \t]*)?(?:\[|【|<<|\{|\(|#{2,}|={2,})\s*[\w\s-]{0,20}?")
_CLOSING = re.compile(r"[\w\s-]{0,24}?(?:\]|】|>>|\}|\)|#{2,}|={2,})")
