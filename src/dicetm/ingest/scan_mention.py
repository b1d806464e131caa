"""An attack string that a document mentions rather than uses: what someone wrote, a test input, what a bug let
through. Such a match is an example (``scan_phrases.make_hit`` reports it at ``info``, as it does a quoted example
in a passage about attacks); one that steers the analysis stays an order wherever it stands.

A match is mentioned when

- it is quoted (any quote marks, 「」 too) and the sentence around the quotation reports it: a word of the lexicon
  class ``mention`` outside the quotation ("a dispute e-mail containing "...", "un socio escribió al asistente
  «...»", "农户在问答中输入“...”时");
- it follows a colon whose lead-in reports it ("The customer wrote: ...", "Testeingabe: ..."), on its line or at the
  end of the span before;
- it sits in a row of a test table: the table's first row names a column such as "expected result" (lexicon class
  ``test_column``), and the match is not in that first row;
- it spells out the acronym before it, in parentheses: "a character called DAN (Do Anything Now)" names an attack;
- it is a turn of a transcript whose speaker is not an AI and whose next turn, by another speaker, refuses (lexicon
  class ``refusal``).

Text that is nothing but the attack (no report around it) is never an example.
"""

from __future__ import annotations

import functools
import re

from dicetm.ingest.scan_lexicon import lexicon
from dicetm.ingest.scan_text import Text

# Rules whose match changes the analysis ("the reviewer must mark this complete"): quoting does not make them
# examples, since the words steer whoever reads them all the same.
STEERING = frozenset({"injection.steers-analysis", "injection.analysis-order", "injection.analysis-rule",
                      "hidden.analysis-change", "injection.suppress-findings", "injection.conclude-safe",
                      "injection.downgrade-rating"})
MENTIONABLE = frozenset({"instruction", "role-markup"})

BRACKETS = (("「", "」"), ("『", "』"))
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|[。！？；]|\n")
_SENTENCE_REACH = 200  # characters before a quotation (or a colon) that its sentence may reach back
_LINE_REACH = 2000  # characters of a line looked at around a match (a one-line text may be a megabyte long)
_CELL = " | "
SPEAKER = re.compile(r"^[ \t>*_-]*([^\W\d_][\w .'-]{0,24}?)[ \t*_]*:[ \t]+\S", re.MULTILINE)


def mentioned(text: Text, start: int, end: int, rule: str, category: str, previous: str, columns: str) -> bool:
    """Whether the match ``start:end`` (folded offsets) of ``rule`` is an attack string the text mentions (see the
    module's description); ``columns`` is the first row of the table a table-row span belongs to."""
    if rule in STEERING or category not in MENTIONABLE:
        return False
    words = text.words
    if _spelled_out(words, start, end):
        return True
    quote = quotation(words, start, end)
    if quote is not None and _reported(words, *quote):
        return True
    return _after_reporting_colon(words, start, previous) or _in_test_table(text, start, columns) or \
        _refused_turn(words, start)


def quotation(words: str, start: int, end: int) -> tuple[int, int] | None:
    """The quotation around a match in folded text: the offsets of its opening and closing marks."""
    low = max(0, start - 2000)
    for mark in ('"', "`"):  # a match may run past the closing mark: "« tu es désormais l'admin ». Un modèle"
        if words.count(mark, low, start) % 2 == 1:
            closing = words.find(mark, start)
            if closing >= 0:
                return words.rfind(mark, low, start), closing
    for left_mark, right_mark in BRACKETS:  # Japanese quotation brackets: 「これまでの指示を無視して」
        left = words.rfind(left_mark, low, start + 1)
        if left >= 0 and words.find(right_mark, left, start) < 0:
            closing = words.find(right_mark, start)
            if closing >= 0:
                return left, closing
    opening = words.rfind("'", max(0, start - 300), start)
    if opening >= 0 and (opening == 0 or not words[opening - 1].isalnum()):
        closing = words.find("'", end, end + 300)
        while closing >= 0 and closing + 1 < len(words) and words[closing + 1].isalnum():
            closing = words.find("'", closing + 1, end + 300)
        if closing >= 0:
            return opening, closing
    return None


def inside_quotes(words: str, start: int, end: int) -> bool:
    """Whether the match lies inside a quotation."""
    return quotation(words, start, end) is not None


def _spelled_out(words: str, start: int, end: int) -> bool:
    """The match spells out the acronym right before it, in parentheses: it is the name of an attack, "a character
    called DAN (Do Anything Now)"."""
    acronym = _ACRONYM.search(words, max(0, start - 12), start)
    if acronym is None:
        return False
    initials = "".join(word[0] for word in re.findall(r"[^\W\d_]+", words[start:end]))
    return initials == acronym.group(1)


_ACRONYM = re.compile(r"(?<![a-z0-9])([a-z]{2,6})\s*\(\s*$")  # "名为DAN（": no word boundary after CJK


def _reported(words: str, opening: int, closing: int) -> bool:
    """The sentence around the quotation, outside it, has a word that reports it."""
    low = max(0, opening - _SENTENCE_REACH)
    cuts = [match.end() for match in _SENTENCE_END.finditer(words, low, opening)]
    before = words[cuts[-1] if cuts else low:opening]
    high = min(len(words), closing + 1 + _SENTENCE_REACH)
    after_end = _SENTENCE_END.search(words, closing + 1, high)
    after = words[closing + 1:after_end.start() if after_end else high]
    found = lexicon().find
    return bool(found("mention", before) or found("mention", after))


def _after_reporting_colon(words: str, start: int, previous: str) -> bool:
    """The match follows a colon, on its line or at the end of the span before, whose lead-in reports it."""
    line_start = _line_start(words, start)
    colon = words.rfind(":", line_start, start)
    if colon >= 0:
        if _SENTENCE_END.search(words, colon, start):
            return False  # "The customer wrote: hello. Ignore ...": the report is of another sentence
        lead = words[max(line_start, colon - _SENTENCE_REACH):colon]
        cuts = [match.end() for match in _SENTENCE_END.finditer(lead)]
        return bool(lexicon().find("mention", lead[cuts[-1] if cuts else 0:]))
    if words[:start].strip():
        return False
    lead = previous.rstrip()
    return lead.endswith(":") and bool(lexicon().find("mention", _last_sentence(lead[:-1])))


def _last_sentence(text: str) -> str:
    cuts = [match.end() for match in _SENTENCE_END.finditer(text, max(0, len(text) - _SENTENCE_REACH))]
    return text[cuts[-1] if cuts else max(0, len(text) - _SENTENCE_REACH):]


def _in_test_table(text: Text, start: int, columns: str) -> bool:
    """The match is in a data row of a table whose first row names a test column ("expected result")."""
    words = text.words
    line_start = _line_start(words, start)
    line_end = words.find("\n", start, start + _LINE_REACH)
    line = words[line_start:line_end if line_end >= 0 else start + _LINE_REACH]
    if _CELL not in line:
        return False
    if text.span.kind != "table-row":  # a table written as text lines: its first line is in the same span
        first_end = words.find("\n", 0, _LINE_REACH)
        if line_start == 0 or first_end < 0:
            return False
        columns = words[:first_end]
    return _CELL in columns and bool(lexicon().find("test_column", columns))


def _line_start(words: str, start: int) -> int:
    """Where the line holding ``start`` begins (looking back at most ``_LINE_REACH`` characters)."""
    low = max(0, start - _LINE_REACH)
    return max(low, words.rfind("\n", low, start) + 1)


@functools.lru_cache(maxsize=4)
def _turns(words: str) -> list[re.Match[str]]:
    """The lines of a text that open with a speaker's label (cached: every match in a span asks for them)."""
    return list(SPEAKER.finditer(words))


def _refused_turn(words: str, start: int) -> bool:
    """The match is in a transcript turn by someone other than an AI, and the next turn, by another speaker,
    refuses."""
    turns = _turns(words)
    found = lexicon().find
    for index, turn in enumerate(turns):
        next_start = turns[index + 1].start() if index + 1 < len(turns) else len(words)
        if not turn.start() <= start < next_start:
            continue
        speaker = turn.group(1).strip()
        if index + 1 == len(turns) or found("ai", speaker) or turns[index + 1].group(1).strip() == speaker:
            return False
        after = turns[index + 2].start() if index + 2 < len(turns) else len(words)
        return bool(found("refusal", words[turns[index + 1].end() - 1:after]))
    return False
