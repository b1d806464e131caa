"""The layout of text that arrives as wrapped lines (a PDF page, a plain-text note): which lines are headings,
which line ends a paragraph, and which lines continue the list item above them.

A PDF reader gives a page as one run of lines, a plain-text file gives paragraphs of hard-wrapped lines: the
headings, the paragraph breaks and the wrapped list items are only in the shape of the lines. A heading is a
short line without closing punctuation that follows the end of a sentence (or opens the text) and is followed
by a line that starts a sentence. A paragraph ends at a line that ends a sentence and stops well short of the
width the other lines fill (the last line of a justified or wrapped paragraph). A line that does not start
with a bullet, after an item whose sentence has not ended, goes on with that item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BULLET = re.compile(r"^(?:[-*•▪◦‣]|\d{1,2}[.)]|[a-z][.)])\s+")
_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]?|[A-Z][.)])\s+")  # "3.", "2.1", "B)"
_MARK = re.compile(r"^[-*•▪◦‣]\s")  # a bullet, not a number: "3. Design" may be a heading
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'”’)\]]*$")
_OPENS_SENTENCE = re.compile(r"^(?:[\"'“‘(\[]?[A-Z0-9]|[-*•▪◦‣]\s)")
_CLOSING = re.compile(r"[.,;:!?\-–—]$")
MAX_HEADING_WORDS = 9
MAX_HEADING_CHARACTERS = 70
SHORT_LINE = 0.8  # a line shorter than this share of the widest ends its paragraph (when it ends a sentence)


@dataclass(frozen=True)
class Line:
    start: int  # offset of the stripped line in the span's text
    text: str  # the line without its surrounding whitespace
    heading: bool = False
    paragraph_end: bool = False  # the last line of a paragraph
    continues: bool = False  # goes on with the line above (a wrapped list item or sentence)

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def layout(text: str) -> list[Line]:
    """The non-blank lines of ``text``, each marked heading, paragraph end or continuation."""
    raw: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            raw.append((offset + len(line) - len(line.lstrip()), stripped))
        offset += len(line) + 1
    width = max((len(t) for _, t in raw), default=0)
    lines: list[Line] = []
    for index, (start, stripped) in enumerate(raw):
        before = lines[-1] if lines else None
        following = raw[index + 1][1] if index + 1 < len(raw) else None
        heading = _is_heading(stripped, before, following)
        wrapped = before is not None and not before.heading and not _ENDS_SENTENCE.search(before.text) \
            and not _BULLET.match(stripped)
        ends = not heading and bool(_ENDS_SENTENCE.search(stripped)) and len(raw) > 2 \
            and len(stripped) < SHORT_LINE * width
        lines.append(Line(start, stripped, heading, ends, wrapped))
    return lines


def _is_heading(text: str, before: Line | None, following: str | None) -> bool:
    words = text.split()
    if not words or len(words) > MAX_HEADING_WORDS or len(text) > MAX_HEADING_CHARACTERS:
        return False
    if _CLOSING.search(text) or _MARK.match(text) or not (text[0].isupper() or text[0].isdigit()):
        return False
    if re.search(r"[.!?;]\s", _NUMBER.sub("", text)) or text.count(",") > 1:
        return False  # a sentence, or a list of names
    if following is None or not _OPENS_SENTENCE.match(following):
        return False
    return before is None or before.heading or bool(_ENDS_SENTENCE.search(before.text))
