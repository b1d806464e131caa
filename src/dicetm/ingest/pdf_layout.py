"""Paragraphs of a PDF page from where and how its lines are drawn.

pypdf extracts a page as lines with no blank line between paragraphs, so a page would read as one paragraph: a
heading, a table of quoted attack strings and the text that introduces them would all be one span. ``page_spans``
groups the lines again. A line starts a new block when its type changes size, family (a monospaced code block)
or weight (a bold table header), when the gap above it is wider than a line's, or when it opens with a bullet or a
step number ("2. "). A block takes the kind a Markdown reader would give it: ``heading`` (one or two lines set much
larger than the page's running text, or bold and a little larger; or one short bold line at the body size that
does not end a sentence, as numbered section titles often are), ``code`` (monospaced), ``table-row`` (text set in
columns), ``list-item`` (opens with a bullet or a step number) or ``paragraph``. Line numbers stay those of the
extracted page text. A table comes back as a Word table does, one span per row with its cells joined by " | ":
the pieces of a block set in columns are put in their columns by where they start, and a piece back in the first
column opens a row, whether the file draws the table cell by cell (each cell's lines, then the next cell's, going
back up for a taller cell) or line by line.

``join_pages`` then reads the pages as one document: running headers and footers (``running``) are told apart
from the text, and a paragraph that a page break cuts in two is one span again.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace

from dicetm.ingest.documents import Span, split_lines

GAP_LINES = 1.75  # a gap above a line wider than this many times its type size starts a new block
HEADING_SIZE = 1.3  # type this much larger than the body text makes a heading
BOLD_HEADING_SIZE = 1.05  # bold type this much larger than the body text makes a heading
SHORT_TITLE = 90  # characters: a single bold line at the body size this short, not ending a sentence, is a heading
COLUMN_SPREAD = 6.0  # lines of one block starting this many type sizes apart are set in columns
COLUMN_GAP = 2.5  # a gap this many type sizes wide inside a line separates table cells
_AVERAGE_WIDTH = 0.55  # a character's width in type sizes, on average: only used to estimate where a piece ends
_BULLET = re.compile(r"\s*[•◦▪▫‣∙●○■□–—*-]\s")
_NUMBERED = re.compile(r"\s*\(?\d{1,2}[.)]\s+\S")  # "1. The user sends...", "2) ...": a step of a numbered list
_TITLE_END = re.compile(r"[.,;:!?]\s*$")
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
    pieces: tuple[tuple[str, Place], ...] = ()  # its placed pieces of text, in the order they are drawn

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
    texts: dict[int, list[tuple[str, Place]]] = {}
    number = 1
    for piece, place in pieces:
        if place is not None and piece.strip():
            row = number + piece[:len(piece) - len(piece.lstrip())].count("\n")
            places.setdefault(row, []).append((place, not _CJK.search(piece)))
            texts.setdefault(row, []).append((piece.strip(), place))
        number += piece.count("\n")
    lines: list[_Line] = []
    found: list[tuple[Place, bool]] = [(Place(0.0, 0.0, 0.0, ""), True)]
    for n, written in enumerate(split_lines(text), start=1):
        if written.strip():
            found = places.get(n) or found  # text drawn without a place we saw goes with the line above
            lines.append(_Line(n, written, tuple(p for p, _ in found), tuple(p for p, latin in found if latin),
                               tuple(texts.get(n, ()))))
    if not lines:
        return []
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += 0 if line.columns else len(line.text)
    body = sizes.most_common(1)[0][0]  # the size most of the running text is set in
    blocks: list[list[_Line]] = []
    floor = float("inf")  # the lowest line of the blocks before the last one
    for line in lines:
        if blocks and (not _starts_block(blocks[-1][-1], line) or _next_cell(blocks[-1], line, floor)):
            blocks[-1].append(line)
        else:
            floor = min([floor, *(b.places[0].y for b in blocks[-1])]) if blocks else floor
            blocks.append([line])
    kinds = [_kind(block, body) for block in blocks]
    columns = _column_starts([line for block, kind in zip(blocks, kinds, strict=True) if kind == "table-row"
                              for line in block])
    spans: list[Span] = []
    for block, kind in zip(blocks, kinds, strict=True):
        rows = _table_rows(block, columns) if kind == "table-row" else None
        if rows:
            spans += [Span(file, first, last, " | ".join(cells), page=page, kind=kind) for first, last, cells in rows]
        else:
            spans.append(Span(file, block[0].number, block[-1].number, "\n".join(line.text for line in block),
                              page=page, kind=kind))
    return spans


def _next_cell(block: list[_Line], line: _Line, floor: float) -> bool:
    """Whether ``line`` opens the next cell of the table row ``block`` holds: a table drawn cell by cell goes back
    up to the top of a taller cell, in a column to the right, but not above the rows before."""
    above = block[-1]
    return line.places[0].x - above.places[0].x > COLUMN_SPREAD * line.size and \
        above.places[0].y + line.size < line.places[0].y < floor < float("inf") and abs(line.size - above.size) <= 0.5


def _column_starts(lines: list[_Line]) -> set[int]:
    """Where pieces of the page's tables start on several lines: the left edges of its columns."""
    lines_at: dict[int, set[int]] = {}
    for line in lines:
        for _, place in line.pieces:
            lines_at.setdefault(round(place.x), set()).add(line.number)
    return {x for x, numbers in lines_at.items() if len(numbers) >= 2}


def _table_rows(block: list[_Line], columns: set[int]) -> list[tuple[int, int, list[str]]] | None:
    """The rows of a block set in columns, each with its cells' text: a piece drawn further left than the piece
    before it, in the first column, opens a row (a table drawn cell by cell or line by line); a wide gap inside a
    line separates cells. None when the pieces do not add up to the block's text or form fewer than two columns."""
    segments: list[tuple[int, float, str]] = []  # (line, x, text) of each run of text between wide gaps
    right = 0.0
    for line in block:
        if "".join("".join(t for t, _ in line.pieces).split()) != "".join(line.text.split()):
            return None
        for index, (text, place) in enumerate(line.pieces):
            if index and place.x - right <= COLUMN_GAP * line.size and round(place.x) not in columns:
                number, x, before = segments[-1]
                segments[-1] = (number, x, f"{before} {text}")
            else:
                segments.append((line.number, place.x, text))
            right = place.right
    starts: list[float] = []
    for x in sorted(x for _, x, _ in segments):
        if not starts or x - starts[-1] > 2 * block[0].size:
            starts.append(x)
    if len(starts) < 2:
        return None
    rows: list[tuple[int, int, list[str]]] = []
    column = -1
    for number, x, text in segments:
        at = max(i for i, start in enumerate(starts) if x >= start - 2 * block[0].size)
        if not rows or (at == 0 and column > 0):
            rows.append((number, number, [""] * len(starts)))
        first, _, cells = rows[-1]
        cells[at] = " ".join(f"{cells[at]} {text}".split())
        rows[-1] = (first, number, cells)
        column = at
    return rows


def _starts_block(above: _Line, line: _Line) -> bool:
    if line.number > above.number + 1 or _BULLET.match(line.text) or _NUMBERED.match(line.text):
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
    larger = first.size >= HEADING_SIZE * body or (first.bold and first.size >= BOLD_HEADING_SIZE * body)
    if len(block) <= 2 and larger:
        return "heading"
    if len(block) == 1 and first.bold and first.size >= body - 0.5 and len(first.text.strip()) <= SHORT_TITLE \
            and not _TITLE_END.search(first.text) and not first.columns:
        return "heading"
    if any(line.monospaced for line in block) and not any(line.monospaced is False for line in block):
        return "code"
    starts = [line.places[0].x for line in block]
    if any(line.columns for line in block) or max(starts) - min(starts) > COLUMN_SPREAD * first.size:
        return "table-row"
    if _BULLET.match(first.text) or _NUMBERED.match(first.text):
        return "list-item"
    return "paragraph"


# ------------------------------------------------------------------------------------ across page breaks

# A page number alone or ending a footer line: "3", "- 3 -", "3/10", "Page 3 of 10", "Seite 3 von 10", "Página 3",
# "p. 3". The words for "page" and "of" are read as data: most languages put the number last.
_PAGE_WORDS = r"(?:page|p\.|pg\.?|seite|s\.|página|pág\.?|pagina|pag\.?|sida|side|strona|str\.|blatt|folio)"
_OF_WORDS = r"(?:of|/|von|de|sur|di|van|av|z)"
_PAGE_NUMBER = re.compile(rf"^(?:.*\s)?{_PAGE_WORDS}\s*\d+(?:\s*{_OF_WORDS}\s*\d+)?\s*$"
                          r"|^[-–—(\s]*\d+(?:\s*/\s*\d+)?[-–—)\s]*$", re.IGNORECASE)
_SENTENCE_OVER = re.compile(r"[.!?。！？:;)\]\"'”»’…]\s*$")
FULL_LINE = 0.8  # a line at least this share of a full line's characters may go on on the next page
_EDGE = 2  # blocks at the top and at the bottom of a page that may be its running header or footer


def join_pages(spans: list[Span]) -> list[Span]:
    """The spans of a whole PDF, with each page's running header and footer marked ``running`` and a paragraph that
    runs over a page break joined into one span.

    A running header or footer is a one-line block at the top or bottom of a page that recurs (digits aside) at the
    top or bottom of another page, or that is a page number ("Page 3 of 10", "- 3 -"). A page's last paragraph
    goes on as the next page's first when its last sentence has not ended or the next page opens in lower case."""
    edges: dict[int, list[int]] = {}
    pages: dict[int, list[int]] = {}
    for index, span in enumerate(spans):
        if span.hidden is None and span.page is not None:
            pages.setdefault(span.page, []).append(index)
    for page, indexes in pages.items():
        edges[page] = sorted({*indexes[:_EDGE], *indexes[-_EDGE:]})
    seen: dict[str, set[int]] = {}
    for page, indexes in edges.items():
        for index in indexes:
            seen.setdefault(_furniture_key(spans[index].text), set()).add(page)
    out = list(spans)
    for indexes in edges.values():
        for index in indexes:
            span = spans[index]
            if "\n" not in span.text.strip() and span.kind not in ("code", "table-row") and (
                    len(seen[_furniture_key(span.text)]) >= 2 or _PAGE_NUMBER.match(span.text.strip())):
                out[index] = replace(span, kind="running")
    return _join_paragraphs(out)


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).casefold())


def _join_paragraphs(spans: list[Span]) -> list[Span]:
    width = _line_width(spans)
    joined: list[Span] = []
    last: int | None = None  # index in ``joined`` of the last block of running text seen
    for span in spans:
        if span.hidden is not None or span.kind == "running":
            joined.append(span)
            continue
        before = joined[last] if last is not None else None
        if last is not None and before is not None and span.page is not None and before.page is not None \
                and _page_of_end(before) < span.page and _goes_on(before, span, width):
            offset = len(before.text) + 1
            joined[last] = replace(before, end_line=span.end_line, text=f"{before.text}\n{span.text}",
                                   continued=(*before.continued, (offset, span.page, span.line),
                                              *((offset + at, page, line) for at, page, line in span.continued)))
            continue
        joined.append(span)
        last = len(joined) - 1
    return joined


def _line_width(spans: list[Span]) -> int:
    """How many characters a full line of running text holds: the median of the paragraphs' lines but their last."""
    lengths = sorted(len(line.strip()) for span in spans if span.hidden is None and span.kind == "paragraph"
                     for line in span.text.split("\n")[:-1])
    return lengths[len(lengths) // 2] if lengths else 0


def _page_of_end(span: Span) -> int:
    return span.continued[-1][1] if span.continued else span.page or 0


def _goes_on(before: Span, span: Span, width: int) -> bool:
    """Whether ``span``, the first block of a page, goes on with ``before``, the last block of the page before: a
    paragraph after a paragraph or list item whose last line is full (a short one ends its paragraph, or is a
    title) and whose sentence has not ended, or that the next page goes on in lower case."""
    if before.kind not in ("paragraph", "list-item") or span.kind != "paragraph":
        return False
    if len(before.text.split("\n")[-1].strip()) < FULL_LINE * width:
        return False
    opening = span.text.lstrip()[:1]
    return not _SENTENCE_OVER.search(before.text) or (opening.isalpha() and opening.islower())
