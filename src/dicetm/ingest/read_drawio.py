"""draw.io / diagrams.net files (``.drawio``, ``.dio``, ``.xml``, ``.drawio.svg``) into cells and spans.

A file is an ``<mxfile>`` with one ``<diagram>`` per page (or a bare ``<mxGraphModel>``). A page is stored
either as XML or compressed: base64 of raw-deflated, URI-encoded XML. A ``.drawio.svg`` keeps the whole
``<mxfile>`` in the ``content`` attribute of its ``<svg>`` element. Every cell (``<mxCell>``, or the
``<object>``/``<UserObject>`` that wraps one to carry its label and properties) becomes a ``Cell``; each cell
with a label gets a span of kind ``text`` holding the label's words, at the line of the cell in the file (the
line of its ``<diagram>`` when the page is compressed). A label of a hidden cell or layer (``visible="0"``), a
tooltip and other properties of an ``<object>`` become hidden spans, so the injection scan sees them.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.documents import Span
from dicetm.ingest.extract_ir import clean_label
from dicetm.ingest.limits import MB, ReadLimits, megabytes

_WRAPPERS = ("object", "UserObject")
_NOT_PROPERTIES = frozenset({"id", "label", "placeholders", "link"})
DRAWIO_HINT = "open the file in draw.io (diagrams.net) and save it again, or export it as .drawio"


@dataclass
class Cell:
    id: str
    page: str
    label: str  # plain words of the label (markup removed, line breaks kept as newlines)
    style: dict[str, str]
    parent: str | None
    vertex: bool
    edge: bool
    source: str | None
    target: str | None
    geometry: tuple[float, float, float, float] | None  # x, y, width, height (relative to the parent)
    visible: bool
    span: Span | None  # the label's span (None for a cell without words)
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class DrawioData:
    cells: list[Cell]


def looks_like_drawio(head: str) -> bool:
    """A cheap test on the first bytes of an .xml or .svg file."""
    return "<mxfile" in head or "<mxGraphModel" in head or "&lt;mxfile" in head


def read_drawio(file: str, text: str, limits: ReadLimits | None = None) -> tuple[list[Span], str | None, DrawioData]:
    """Spans, the first page's name and the cells of every page; InputError when the file is not draw.io, or when
    its compressed pages inflate past ``limits.drawio_inflated_mb`` together."""
    limits = limits or ReadLimits()
    room = _Room(limits, int(limits.drawio_inflated_mb * MB))
    root = _parse(file, text, text)
    lines: _Lines | None = _Lines(text)
    svg_line = 1
    if root.tag.endswith("svg"):
        content = root.get("content") or ""
        if "mxfile" not in content and "mxGraphModel" not in content:
            raise InputError([Problem("this SVG file holds no draw.io diagram (no `content` attribute with an "
                                      "<mxfile>)", Location(file=file, line=1), DRAWIO_HINT)])
        root = _parse(file, content, text)
        found = re.search(r"<svg[\s>]", text)
        svg_line = text.count("\n", 0, found.start()) + 1 if found else 1
        lines = None  # the cells of an SVG all sit on the line of its <svg> element
    spans: list[Span] = []
    cells: list[Cell] = []
    pages = list(root.iter("diagram")) if root.tag == "mxfile" else [root]
    title = pages[0].get("name") if pages and root.tag == "mxfile" else None
    for number, page in enumerate(pages, start=1):
        name = page.get("name") or f"page {number}"
        page_line = lines.next("diagram") if lines is not None and page.tag == "diagram" else svg_line
        model, compressed = _model(file, page, name, page_line, room)
        cells += _cells(file, model, name, None if compressed else lines, page_line, spans)
    return spans, title, DrawioData(cells)


def _parse(file: str, text: str, original: str) -> ET.Element:
    if re.search(r"<!ENTITY", text):
        raise InputError([Problem("the draw.io file declares XML entities, which dicetm does not expand",
                                  Location(file=file, line=1), DRAWIO_HINT)])
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if text is original else 1
        raise InputError([Problem(f"the draw.io file is not well-formed XML: {exc}", Location(file=file, line=line),
                                  DRAWIO_HINT)]) from None


@dataclass
class _Room:
    """How many more bytes the compressed pages of one file may inflate to."""

    limits: ReadLimits
    left: int


def _model(file: str, page: ET.Element, name: str, line: int, room: _Room) -> tuple[ET.Element, bool]:
    """The page's <mxGraphModel> and whether it was stored compressed (inflated within ``room``)."""
    if page.tag == "mxGraphModel":
        return page, False
    model = page.find("mxGraphModel")
    if model is not None:
        return model, False
    packed = (page.text or "").strip()
    if not packed:
        return ET.Element("mxGraphModel"), False
    try:
        inflater = zlib.decompressobj(-15)
        raw = inflater.decompress(base64.b64decode(packed, validate=False), room.left + 1)
        room.left -= len(raw)
        if room.left < 0:
            limit = megabytes(int(room.limits.drawio_inflated_mb * MB))
            raise room.limits.exceeded(file, f"the compressed pages inflate to more than {limit} by page '{name}'",
                                       "drawio_inflated_mb", line=line)
        xml = urllib.parse.unquote(raw.decode("utf-8"))
        return ET.fromstring(xml), True
    except (binascii.Error, zlib.error, UnicodeDecodeError, ET.ParseError) as exc:
        raise InputError([Problem(f"page '{name}' is compressed but cannot be decoded ({exc})", Location(file=file),
                                  DRAWIO_HINT)]) from None


def _cells(file: str, model: ET.Element, page: str, lines: _Lines | None, page_line: int,
           spans: list[Span]) -> list[Cell]:
    """The cells of one page; ``lines`` finds their lines in the file (None: compressed, all on ``page_line``)."""
    root = model.find("root")
    if root is None:
        return []
    hidden_layers: set[str] = set()
    result: list[Cell] = []
    for element in root:
        line = lines.next(element.tag) if lines is not None else page_line
        inner = element.find("mxCell") if element.tag in _WRAPPERS else element
        if inner is None:
            continue
        if inner is not element and lines is not None:
            lines.next("mxCell")
        attributes = dict(inner.attrib)
        if element.tag in _WRAPPERS:
            attributes.update({k: v for k, v in element.attrib.items() if k != "label"})
            attributes["value"] = element.get("label", "")
            properties = {k: v for k, v in element.attrib.items() if k not in _NOT_PROPERTIES and v.strip()}
        else:
            properties = {}
        cell_id = attributes.get("id", f"{page}:{len(result)}")
        parent = attributes.get("parent")
        visible = attributes.get("visible") != "0" and parent not in hidden_layers
        if not visible and parent in ("0", None):
            hidden_layers.add(cell_id)
        label = clean_label_lines(attributes.get("value", ""))
        span = None
        if label:
            span = Span(file, line, line, label, kind="text", hidden=None if visible else "non-rendered")
            spans.append(span)
        for key, value in properties.items():
            spans.append(Span(file, line, line, f"{key}: {clean_label(value)}", kind="text", hidden="alt-text"))
        result.append(Cell(cell_id, page, label, _style(attributes.get("style", "")), parent,
                           attributes.get("vertex") == "1", attributes.get("edge") == "1", attributes.get("source"),
                           attributes.get("target"), _geometry(inner), visible, span, properties))
    return result


def clean_label_lines(value: str) -> str:
    """A label's words, one line per line of the label (``<br>``, ``<div>`` and ``\\n`` break lines)."""
    text = re.sub(r"(?i)<br\s*/?>|</?div(?:\s[^>]*)?>|</?p(?:\s[^>]*)?>|</li>|\\n", "\n", value)
    lines = [clean_label(line) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _style(text: str) -> dict[str, str]:
    style: dict[str, str] = {}
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip():
            style[key.strip()] = value.strip() if _ else ""
    return style


def _geometry(cell: ET.Element) -> tuple[float, float, float, float] | None:
    geometry = cell.find("mxGeometry")
    if geometry is None or geometry.get("relative") == "1":
        return None
    try:
        return tuple(float(geometry.get(k, "0")) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]
    except ValueError:
        return None


class _Lines:
    """The line of each start tag, handed out in document order (ElementTree keeps no line numbers)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[str, list[int]] = {}
        self._used: dict[str, int] = {}
        for match in re.finditer(r"<(diagram|mxCell|object|UserObject|mxGraphModel)[\s>/]", text):
            self._lines.setdefault(match.group(1), []).append(text.count("\n", 0, match.start()) + 1)

    def next(self, tag: str) -> int:
        index = self._used.get(tag, 0)
        self._used[tag] = index + 1
        found = self._lines.get(tag, [])
        return found[index] if index < len(found) else 1
