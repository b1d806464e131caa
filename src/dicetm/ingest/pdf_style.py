"""Which text of a PDF page a reader cannot see: the graphics state behind each piece of extracted text.

``PageStyle`` follows a page's content stream through pypdf's text-extraction visitors and tells, for each piece
of text pypdf extracts, why a viewer would not show it:

- ``white-text``: filled in white (or nearly) where no filled shape of another colour lies behind it;
- ``tiny-font``: drawn smaller than ``TINY_POINTS`` once the text and page matrices are applied;
- ``off-page``: placed outside the page's visible box (its crop box);
- ``clipped``: outside the clipping area in force, or inside one too small to show a letter;
- ``invisible-text``: drawn with a render mode that paints nothing (3, or 7: clip only);
- ``hidden-layer``: marked as optional content (``/OC`` ... ``BDC``) of a layer the document turns off by default.

Colours are read from the device colour operators (``g``, ``rg``, ``k`` and ``sc``/``scn`` with one, three or four
numbers); a pattern or a named colour space is taken as visible. The state follows ``q``/``Q``. A piece of text
pypdf extracts in one go may come from several text operators: it counts as hidden when any of them is hidden
(text drawn visibly and invisibly in the same breath is not something a layout program does by itself).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from dicetm.ingest.pdf_layout import Place

TINY_POINTS = 3.0
WHITE_FROM = 0.94  # each RGB or grey component at least this (CMYK: each at most 1 - this) reads as white
SMALLEST_CLIP = 2.0  # a clipping area narrower or lower than this (points) shows no letter
_MAX_FILLS = 2000  # filled shapes remembered per page (behind white text); older ones are forgotten
_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})
_FILL = frozenset({b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_NEVER_PAINTED = frozenset({3, 7})

Box = tuple[float, float, float, float]  # left, bottom, right, top in device space


@dataclass(frozen=True)
class _State:
    fill: tuple[float, ...] = (0.0,)  # grey, RGB or CMYK
    render: int = 0
    clip: Box | None = None


class PageStyle:
    """Pass ``before`` as ``visitor_operand_before`` and ``text`` as ``visitor_text`` to ``page.extract_text``;
    ``chunks`` is then the page's text in pieces, each with the reason it is hidden (or None), and ``places``
    where each piece is drawn."""

    def __init__(self, page_box: Box, hidden_layers: frozenset[str] = frozenset()) -> None:
        self.page_box = page_box
        self.hidden_layers = hidden_layers  # the names the page's resources give to layers that are off
        self._marked: list[bool] = []  # for each open marked-content sequence: whether it is a hidden layer
        self.chunks: list[tuple[str, str | None]] = []
        self.places: list[Place | None] = []  # where each chunk is drawn (for ``pdf_layout``), None for blanks
        self._state = _State()
        self._stack: list[_State] = []
        self._font_size = 0.0
        self._path: list[Box] = []  # rectangles of the path being built
        self._fills: list[tuple[Box, bool]] = []  # filled rectangles and whether their colour is white
        self._pending: list[str | None] = []  # the reasons of the text operators since the last piece

    def before(self, operator: bytes, operands: list[Any], cm: list[float], tm: list[float]) -> None:
        state = self._state
        if operator == b"q":
            self._stack.append(state)
        elif operator == b"Q":
            self._state = self._stack.pop() if self._stack else _State()
        elif operator in (b"g", b"rg", b"k", b"sc", b"scn"):
            numbers = _numbers(operands)
            if len(numbers) in (1, 3, 4) and len(numbers) == len(operands):
                self._state = replace(state, fill=tuple(numbers))
            else:  # a pattern or a named colour: assume it shows
                self._state = replace(state, fill=(0.0,))
        elif operator in (b"cs",):
            self._state = replace(state, fill=(0.0,))
        elif operator == b"Tr":
            numbers = _numbers(operands)
            self._state = replace(state, render=int(numbers[0]) if numbers else 0)
        elif operator == b"Tf":
            numbers = _numbers(operands[1:])
            self._font_size = numbers[0] if numbers else self._font_size
        elif operator == b"re":
            numbers = _numbers(operands)
            if len(numbers) == 4:
                x, y, width, height = numbers
                self._path.append(_device_box(cm, x, y, x + width, y + height))
        elif operator in (b"W", b"W*") and self._path:
            clip = _union(self._path)
            self._state = replace(state, clip=clip if state.clip is None else _intersection(state.clip, clip))
        elif operator in _FILL:
            self._fills.extend((box, _white(state.fill)) for box in self._path)
            del self._fills[:-_MAX_FILLS]
            self._path = []
        elif operator in (b"n", b"S", b"s"):
            self._path = []
        elif operator in (b"BDC", b"BMC"):
            self._marked.append(operator == b"BDC" and len(operands) == 2 and operands[0] == "/OC"
                                and str(operands[1]) in self.hidden_layers)
        elif operator == b"EMC" and self._marked:
            self._marked.pop()
        elif operator in _SHOW:
            self._pending.append(self._reason(cm, tm))

    def text(self, text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text:
            return
        reason = None
        place = None
        if text.strip():
            reason = next((r for r in self._pending if r is not None), None)
            self._pending = []
            place = _place(cm, tm, font, size, len(text.strip()))
        self.chunks.append((text, reason))
        self.places.append(place)

    def _reason(self, cm: list[float], tm: list[float]) -> str | None:
        state = self._state
        if any(self._marked):
            return "hidden-layer"
        if state.render in _NEVER_PAINTED:
            return "invisible-text"
        a, b, c, d = _multiply(tm, cm)
        if self._font_size * math.sqrt(abs(a * d - b * c)) < TINY_POINTS:
            return "tiny-font"
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        left, bottom, right, top = self.page_box
        if not (left - 1 <= x <= right and bottom - 1 <= y <= top):
            return "off-page"
        if state.clip is not None:
            clip_left, clip_bottom, clip_right, clip_top = state.clip
            small = clip_right - clip_left < SMALLEST_CLIP or clip_top - clip_bottom < SMALLEST_CLIP
            if small or not (clip_left - 1 <= x <= clip_right + 1 and clip_bottom - 1 <= y <= clip_top + 1):
                return "clipped"
        if _white(state.fill) and not self._on_dark(x, y):
            return "white-text"
        return None

    def _on_dark(self, x: float, y: float) -> bool:
        """Whether the last shape filled under the point has a colour other than white."""
        for (left, bottom, right, top), white in reversed(self._fills):
            if left - 1 <= x <= right + 1 and bottom - 1 <= y <= top + 1:
                return not white
        return False


def _place(cm: Any, tm: Any, font: Any, size: Any, chars: int) -> Place | None:
    try:
        a, b, c, d = _multiply(tm, cm)
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        name = str(font.get("/BaseFont", "")) if isinstance(font, dict) else ""
        return Place(float(x), float(y), float(size) * math.sqrt(abs(a * d - b * c)), name, chars)
    except (TypeError, ValueError, IndexError):  # a damaged matrix or size: the text keeps no place
        return None


def _numbers(operands: list[Any]) -> list[float]:
    numbers = []
    for operand in operands:
        try:
            numbers.append(float(operand))
        except (TypeError, ValueError):
            continue
    return numbers


def _white(fill: tuple[float, ...]) -> bool:
    if len(fill) == 4:
        return all(value <= 1 - WHITE_FROM for value in fill)
    return all(value >= WHITE_FROM for value in fill)


def _multiply(tm: list[float], cm: list[float]) -> tuple[float, float, float, float]:
    return (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
            tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])


def _device_box(cm: list[float], x0: float, y0: float, x1: float, y1: float) -> Box:
    points = [(x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _intersection(first: Box, second: Box) -> Box:
    left, bottom = max(first[0], second[0]), max(first[1], second[1])
    return left, bottom, max(left, min(first[2], second[2])), max(bottom, min(first[3], second[3]))
