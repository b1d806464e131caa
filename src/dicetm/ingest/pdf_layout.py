"""Paragraphs of a PDF page from where and how its lines are drawn.

pypdf extracts a page as lines with no blank line between paragraphs, so a page would read as one paragraph: a
heading, a table of quoted attack strings and the text that introduces them would all be one span. ``page_spans``
groups the lines again. A line starts a new block when its type changes size, family (a monospaced code block)
or weight (a bold table header), when the gap above it is wider than a line's, or when it opens with a bullet. A
block takes the kind a Markdown reader would give it: ``heading`` (one or two lines set larger than the page's
running text, and bold or much larger),
``code`` (monospaced), ``table-row`` (text set in columns), ``list-item`` (opens with a bullet) or ``paragraph``.
Line numbers stay those of the extracted page text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from dicetm.ingest.documents import Span, split_lines

GAP_LINES = 1.75  # a gap above a line wider than this many times its type size starts a new block
HEADING_SIZE = 1.15  # type this much larger than the body text makes a heading
COLUMN_SPREAD = 6.0  # lines of one block starting this many type sizes apart are set in columns
COLUMN_GAP = 2.5  # a gap this many type sizes wide inside a line separates table cells
_AVERAGE_WIDTH = 0.55  # a character's width in type sizes, on average: only used to estimate where a piece ends
_BULLET = re.compile(r"\s*[•◦▪▫‣∙●○■□–—*-]\s")
# Font names as PDFs carry them: "Courier", "DejaVuSansMono", "NimbusMonL", TeX's "CMTT10" (typewriter), "CMBX12".
_MONOSPACED = re.compile(r"mono|courier|code|consol|menlo|monaco|typewriter|cmtt|sftt|lmtt|nimbusmon", re.IGNORECASE)
_BOLD = re.compile(r"bold|black|heavy|semibold|cmbx|sfbx|lmbx", re.IGNORECASE)
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@dataclass(frozen=True)
class Place:
    """Where a piece of text is drawn: its start in device space, its type size and its font's name."""

    x: float
    y: float
    size: float
    font: str
    chars: int = 0  # characters drawn, for an estimate of where the piece ends

    @property
    def right(self) -> float:
        return self.x + self.chars * self.size * _AVERAGE_WIDTH


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based line of the page text
    text: str
    places: tuple[Place, ...]
    styled: tuple[Place, ...]  # the places of its pieces in a Latin font: a CJK font often has no bold or mono

    @property
    def size(self) -> float:
        return round(self.places[0].size, 1)

    @property
    def monospaced(self) -> bool | None:
        """Whether the line is set in a monospaced font; None when only a CJK font shows it."""
        return bool(_MONOSPACED.search(self.styled[0].font)) if self.styled else None

    @property
    def bold(self) -> bool | None:
        return bool(_BOLD.search(self.styled[0].font)) if self.styled else None

    @property
    def columns(self) -> bool:
        """Whether a wide gap separates two pieces of the line, as between table cells (a justified line's words
        are pieces too, with gaps of a space)."""
        return any(after.x - before.right > COLUMN_GAP * self.size
                   for before, after in zip(self.places, self.places[1:], strict=False))


def page_spans(file: str, page: int, text: str, pieces: list[tuple[str, Place | None]]) -> list[Span]:
    """The page's blocks as spans. ``pieces`` are the extracted pieces of ``text`` with where each is drawn (None
    for a piece without text or hidden); blank lines are gaps, a line of text without a placed piece takes the
    place of the line above."""
    places: dict[int, list[tuple[Place, bool]]] = {}
    number = 1
    for piece, place in pieces:
        if place is not None and piece.strip():
            row = number + piece[:len(piece) - len(piece.lstrip())].count("\n")
            places.setdefault(row, []).append((place, not _CJK.search(piece)))
        number += piece.count("\n")
    lines: list[_Line] = []
    found: list[tuple[Place, bool]] = [(Place(0.0, 0.0, 0.0, ""), True)]
    for n, written in enumerate(split_lines(text), start=1):
        if written.strip():
            found = places.get(n) or found  # text drawn without a place we saw goes with the line above
            lines.append(_Line(n, written, tuple(p for p, _ in found), tuple(p for p, latin in found if latin)))
    if not lines:
        return []
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += 0 if line.columns else len(line.text)
    body = sizes.most_common(1)[0][0]  # the size most of the running text is set in
    blocks: list[list[_Line]] = []
    for line in lines:
        if blocks and not _starts_block(blocks[-1][-1], line):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return [Span(file, block[0].number, block[-1].number, "\n".join(line.text for line in block), page=page,
                 kind=_kind(block, body)) for block in blocks]


def _starts_block(above: _Line, line: _Line) -> bool:
    if line.number > above.number + 1 or _BULLET.match(line.text):
        return True
    if abs(line.size - above.size) > 0.5 or _differ(line.monospaced, above.monospaced) or _differ(line.bold,
                                                                                                 above.bold):
        return True
    gap = above.places[0].y - line.places[0].y
    size = max(line.size, above.size)
    # A wrapped table cell may move up a line or two; only a larger jump up is a new column or region.
    return gap > GAP_LINES * size or gap < -3 * size


def _differ(first: bool | None, second: bool | None) -> bool:
    return first is not None and second is not None and first != second


def _kind(block: list[_Line], body: float) -> str:
    first = block[0]
    if len(block) <= 2 and first.size >= HEADING_SIZE * body and (first.bold or first.size >= 1.3 * body):
        return "heading"
    if any(line.monospaced for line in block) and not any(line.monospaced is False for line in block):
        return "code"
    starts = [line.places[0].x for line in block]
    if any(line.columns for line in block) or max(starts) - min(starts) > COLUMN_SPREAD * first.size:
        return "table-row"
    if _BULLET.match(first.text):
        return "list-item"
    return "paragraph"
