"""PDF and Word documents into located spans (needs the ``ingest`` extra: pypdf, python-docx).

PDF: each page's extracted text is split into paragraphs; ``line`` counts lines of that page's extracted
text and ``page`` is the 1-based page number. Text a reader cannot see in the rendered PDF is taken out of the
paragraphs and kept as hidden spans on its line (``pdf_style``): ``white-text``, ``tiny-font``, ``off-page``,
``clipped`` and ``invisible-text``.

Word: ``line`` is the position of the block in the document body, counting from 1 in reading order: every
body paragraph counts one (empty ones too) and every table row counts one, so a table of three rows that
follows paragraph 4 occupies lines 5-7 and the next paragraph is line 8. Paragraphs inside a table cell
become part of their row's span (cells joined by `` | ``); text boxes belong to the paragraph that anchors
them; content controls are read through. Headings come from the style name (``Heading n``, ``Title``,
``Subtitle``), list items from numbering or a list style. Runs a reader cannot see form their own hidden
span on the same line and are taken out of the visible text: ``docx-hidden`` (the hidden/vanish property),
``white-text`` (a colour equal or close to the shading, highlight or page colour behind it, white by
default) and ``tiny-font`` (under 4pt). Formatting is resolved from the run, then its character style, then
the paragraph style, each with its base styles. Image descriptions and titles (``wp:docPr``) become
``alt-text`` spans. A text box is its own span (kind ``text-box``) on the line of the paragraph that anchors it.

What a reader sees around the body is read too, numbered after the body's last line in this order: headers and
footers (kinds ``header`` and ``footer``), footnotes and endnotes (``footnote``, ``endnote``), and comments
(``comment``, hidden as ``docx-comment``: a review annotation, not part of the document's text), and the glossary's
building blocks (``glossary``, hidden as ``docx-glossary``). Every text of the core, extended (company, manager) and
custom properties of a few words is a ``docx-properties`` span on line 1, each document variable a ``docx-variable``
span. On the line of the paragraph that holds them: the text of a tracked deletion (``docx-deleted``), a
hyperlink's tooltip and a legacy image's alt text (``alt-text``) and the text of a chart or SmartArt diagram (kind
``graphic``). A PDF's parts besides its page text
(metadata, bookmarks, annotations and form fields, alternate text, attachments) are read by ``pdf_parts``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.documents import Span, reads_as_words, text_spans
from dicetm.ingest.html_style import WHITE, Rgba, parse_color, same_color
from dicetm.ingest.limits import MB, ReadLimits, megabytes
from dicetm.ingest.pdf_layout import join_pages, page_spans
from dicetm.ingest.pdf_parts import hidden_layers, layers_off, part_spans
from dicetm.ingest.pdf_style import PageStyle
from dicetm.ingest.read_html import HiddenRuns

EXTRA_HINT = "pip install 'dicetm[ingest]'"
TINY_POINTS = 4.0
_RATIO_FROM = 1_000_000  # parts smaller than this unpack to little whatever their ratio
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIPPED_PARENTS = frozenset({_W + "del", _W + "moveFrom", _MC_FALLBACK})  # deleted text; duplicate text boxes
_HIGHLIGHT = {"white": "fff", "lightGray": "c0c0c0", "yellow": "ff0", "green": "0f0", "cyan": "0ff",
              "magenta": "f0f", "blue": "00f", "red": "f00", "darkBlue": "000080", "darkCyan": "008080",
              "darkGreen": "008000", "darkMagenta": "800080", "darkRed": "800000", "darkYellow": "808000",
              "darkGray": "808080", "black": "000"}
_WHITE_THEME_COLORS = frozenset({"BACKGROUND_1", "LIGHT_1"})
_TEXT_BOX = _W + "txbxContent"
_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml."
# The parts around the body, in reading order: (content type, kind of their spans, element holding each note).
_AROUND_BODY = (("header+xml", "header", None), ("footer+xml", "footer", None),
                ("footnotes+xml", "footnote", _W + "footnote"), ("endnotes+xml", "endnote", _W + "endnote"),
                ("comments+xml", "comment", _W + "comment"), ("document.glossary+xml", "glossary", _W + "docPartBody"))
COMMENT = "docx-comment"
# Parts read but not shown with the document: review comments, and the building blocks (AutoText) of the glossary.
_HIDDEN_PARTS = {"comment": COMMENT, "glossary": "docx-glossary"}
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_CHART = _C + "chart"
_DIAGRAM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}relIds"
_GRAPHIC_TYPES = ("drawingml.chart+xml", "drawingml.diagramData+xml")
_TOOLTIPS = (("{urn:schemas-microsoft-com:vml}shape", "alt"), ("{urn:schemas-microsoft-com:vml}imagedata",
              "{urn:schemas-microsoft-com:office:office}title"), (_W + "hyperlink", _W + "tooltip"))
_CORE_TEXT = ("title", "subject", "author", "keywords", "comments", "category", "content_status", "last_modified_by",
              "identifier", "version")
_PROPERTIES = "application/vnd.openxmlformats-officedocument."
_EXTENDED_PROPERTIES = _PROPERTIES + "extended-properties+xml"
_CUSTOM_PROPERTIES = _PROPERTIES + "custom-properties+xml"
# Extended properties that are counts, flags or the producing program, not text someone wrote.
_EXTENDED_NOT_TEXT = frozenset({"Application", "AppVersion", "DocSecurity", "ScaleCrop", "LinksUpToDate",
                                "SharedDoc", "HyperlinksChanged", "TotalTime", "Pages", "Words", "Characters",
                                "CharactersWithSpaces", "Lines", "Paragraphs", "Template", "i4", "bool"})
_PYTHON_DOCX_DEFAULT = "generated by python-docx"  # the comment python-docx's template leaves in every file


# ------------------------------------------------------------------------------------------------- PDF


def read_pdf(file: str, raw: bytes, *, limits: ReadLimits | None = None) -> tuple[list[Span], str | None]:
    limits = limits or ReadLimits()
    try:
        import pypdf
    except ImportError:
        raise InputError([Problem("reading PDF needs the optional pypdf package", Location(file=file),
                                  EXTRA_HINT)]) from None
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise InputError([Problem("the PDF is encrypted with a password", Location(file=file),
                                      "save a copy without the password and read that")])
        spans: list[Span] = []
        extracted = 0
        off = layers_off(reader)
        for number, page in enumerate(reader.pages, start=1):
            style = PageStyle(_visible_box(page), hidden_layers(page, off))
            text = page.extract_text(visitor_operand_before=style.before, visitor_text=style.text) or ""
            extracted += len(text)
            if extracted > limits.unpacked_mb * MB:
                raise limits.exceeded(file, f"the text extracted by page {number} adds up to "
                                      f"{megabytes(extracted)}", "unpacked_mb")
            spans += _page_spans(file, number, text, style)
        spans = join_pages(spans) + part_spans(file, reader)
        title = reader.metadata.title if reader.metadata else None
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many unrelated exception types on damaged files
        raise InputError([Problem(f"cannot read the PDF: {exc or type(exc).__name__}", Location(file=file),
                                  "check that the file opens in a PDF viewer, or export it again")]) from None
    return spans, str(title).strip() if title and str(title).strip() else None


def _visible_box(page: Any) -> tuple[float, float, float, float]:
    box = page.cropbox
    return (min(float(box.left), float(box.right)), min(float(box.bottom), float(box.top)),
            max(float(box.left), float(box.right)), max(float(box.bottom), float(box.top)))


def _page_spans(file: str, number: int, text: str, style: PageStyle) -> list[Span]:
    """The page's paragraphs (``pdf_layout``) without its hidden text, and each run of hidden text as a span on its
    line.

    ``style.chunks`` are the pieces pypdf extracted, with the reason each is hidden; when they do not add up to the
    page's text (a pypdf version that extracts differently), the page is read as it is, all of it visible, in
    paragraphs split at blank lines."""
    chunks = style.chunks
    if "".join(piece for piece, _ in chunks) != text:
        return text_spans(file, text, page=number)
    placed = [(piece, place) for (piece, _), place in zip(chunks, style.places, strict=True)]
    if all(reason is None for _, reason in chunks):
        return page_spans(file, number, text, placed)
    visible: list[str] = []
    hidden: list[Span] = []
    run: list[str] = []
    run_reason: str | None = None
    line = run_line = 1
    for piece, reason in [*chunks, ("", None)]:
        if run and (reason != run_reason or not piece) and (piece.strip() or not piece):
            hidden.append(Span(file, run_line, line, "".join(run).strip(), page=number, hidden=run_reason))
            run, run_reason = [], None
        if reason is None:
            if run and not piece.strip():  # a line break inside a hidden run stays with it
                run.append(piece)
            visible.append(piece)
        else:
            if not run:
                run_line, run_reason = line, reason
            run.append(piece)
            visible.append("\n" * piece.count("\n"))
        line += piece.count("\n")
    shown = [(piece, place if reason is None else None)  # hidden text has no place among the visible lines
             for (piece, reason), place in zip(chunks, style.places, strict=True)]
    return sorted([*page_spans(file, number, "".join(visible), shown), *(s for s in hidden if s.text)],
                  key=lambda s: (s.line, s.end_line))


def _opens_without_password(reader: Any) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # missing AES support or an unknown security handler: treat as locked
        return False


# ------------------------------------------------------------------------------------------------ DOCX


def read_docx(file: str, raw: bytes, *, limits: ReadLimits | None = None) -> tuple[list[Span], str | None]:
    try:
        import docx
    except ImportError:
        raise InputError([Problem("reading Word documents needs the optional python-docx package",
                                  Location(file=file), EXTRA_HINT)]) from None
    check_package(file, raw, limits or ReadLimits())
    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # not a zip, no word/document.xml, broken XML: each raises its own type
        raise InputError([Problem(f"cannot read the Word document: {exc or type(exc).__name__}",
                                  Location(file=file), "save it again from Word as .docx (not .doc or .docm)")]
                         ) from None
    try:
        return _DocxReader(file, document).read()
    except (ValueError, KeyError, TypeError) as exc:  # python-docx parses attribute values lazily
        raise InputError([Problem(f"the Word document holds a value that cannot be read: {exc}", Location(file=file),
                                  "open and save it again in Word to repair it")]) from None


def check_package(file: str, raw: bytes, limits: ReadLimits) -> None:
    """Refuse a zip package that would unpack past the limits, from its central directory, before anything is
    unpacked: the total size, each part's compression ratio (a zip bomb's parts are compressed a
    thousandfold) and the compression method (Word uses deflate; others could not be streamed with a cap).
    Reading then stays within the sizes checked here: ``zipfile`` stops each part at its declared size."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError([Problem(f"cannot read the Word document: it is not a valid zip package ({exc})",
                                  Location(file=file), "save it again from Word as .docx (not .doc or .docm)")]
                         ) from None
    total = 0
    for part in parts:
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError([Problem(f"the part {part.filename} is compressed with method {part.compress_type}, "
                                      "which Word does not use", Location(file=file),
                                      "save the document again from Word")])
        total += part.file_size
        if total > limits.unpacked_mb * MB:
            raise limits.exceeded(file, f"the document unpacks to more than {megabytes(total)}", "unpacked_mb")
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > _RATIO_FROM and ratio > limits.ratio:
            raise limits.exceeded(file, f"the part {part.filename} is compressed {ratio:,.0f} to 1 "
                                  f"({megabytes(part.compress_size)} unpacking to {megabytes(part.file_size)})",
                                  "ratio")


class _DocxReader:
    def __init__(self, file: str, document: Any) -> None:
        self.file = file
        self.document = document
        self.hidden = HiddenRuns(file)
        self.spans: list[Span] = []
        page = document.element.find(_W + "background")
        self.page_color = _hex_color(page.get(_W + "color")) if page is not None else None

    def read(self) -> tuple[list[Span], str | None]:
        line = self._blocks(self.document.element.body, 0, None)
        for element, kind in self._around_body():
            line = self._blocks(element, line, kind)
        self.hidden.flush()
        self.spans += [Span(self.file, 1, 1, value, hidden="docx-properties") for value in self._properties()]
        self.spans += [Span(self.file, 1, 1, value, hidden="docx-variable") for value in self._variables()]
        spans = sorted([*self.spans, *self.hidden.spans], key=lambda s: (s.line, s.end_line))
        title = (self.document.core_properties.title or "").strip() or next(
            (s.text for s in spans if s.kind == "heading" and s.hidden is None), None)
        return spans, title

    def _properties(self) -> list[str]:
        """The document's properties as File > Info and a file browser show them: every text of the core properties
        (title, subject, author, keywords, comments, category, status ...), of the extended ones (company,
        manager ...) and each custom property as ``name: value``."""
        core = self.document.core_properties
        values = [getattr(core, name) for name in _CORE_TEXT]
        for part in self.document.part.package.iter_parts():
            if part.content_type == _EXTENDED_PROPERTIES:
                root = _xml(part)
                values += [child.text for child in root.iter()
                           if child.text and len(child) == 0 and _local(child.tag) not in _EXTENDED_NOT_TEXT]
            elif part.content_type == _CUSTOM_PROPERTIES:
                for prop in _xml(part):
                    text = " ".join(t.strip() for t in prop.itertext() if t.strip())
                    values.append(f"{prop.get('name', '')}: {text}" if text else "")
        return [value.strip() for value in values if isinstance(value, str) and reads_as_words(value, 2)
                and value.strip() != _PYTHON_DOCX_DEFAULT]

    def _variables(self) -> list[str]:
        """Document variables (``w:docVar`` in the settings): text a template or a macro keeps, never shown."""
        settings = self.document.settings.element
        return [f"{var.get(_W + 'name', '')}: {var.get(_W + 'val', '')}" for var in settings.iter(_W + "docVar")
                if (var.get(_W + "val") or "").strip()]

    def _blocks(self, container: Any, line: int, kind: str | None) -> int:
        """The paragraphs and table rows of ``container`` from ``line + 1`` on; the last line used."""
        for block in _body_blocks(container):
            if block.tag == _W + "p":
                line += 1
                self._paragraph(block, line, kind)
            else:
                for row in block.findall(_W + "tr"):
                    line += 1
                    self._row(row, line, kind)
        return line

    def _around_body(self) -> Iterator[tuple[Any, str]]:
        """Headers, footers, footnotes, endnotes and comments: the root of each part, or each note in it."""
        parts = sorted(self.document.part.package.iter_parts(), key=lambda part: str(part.partname))
        for content_type, kind, note in _AROUND_BODY:
            for part in parts:
                if part.content_type != _CONTENT_TYPE + content_type:
                    continue
                root = _xml(part)
                if note is None:
                    yield root, kind
                    continue
                for element in root.iter(note):
                    if element.get(_W + "type") not in ("separator", "continuationSeparator",
                                                         "continuationNotice"):
                        yield element, kind

    def _paragraph(self, element: Any, line: int, kind: str | None) -> None:
        from docx.text.paragraph import Paragraph

        paragraph = Paragraph(element, self.document)
        text = self._visible_text(paragraph, line, None).strip()
        if text:
            hidden = _HIDDEN_PARTS.get(kind or "")
            self.spans.append(Span(self.file, line, line, text, kind=kind or _paragraph_kind(paragraph), hidden=hidden))
        self._text_boxes(element, line)

    def _text_boxes(self, paragraph: Any, line: int) -> None:
        """Each text box anchored in the paragraph, as spans of its own on the paragraph's line."""
        for box in _text_boxes(paragraph):
            for block in _body_blocks(box):
                if block.tag == _W + "p":
                    self._paragraph(block, line, "text-box")
                else:
                    for row in block.findall(_W + "tr"):
                        self._row(row, line, "text-box")

    def _row(self, row: Any, line: int, kind: str | None) -> None:
        from docx.text.paragraph import Paragraph

        cells = []
        for cell in row.iter(_W + "tc"):
            if _nearest(cell, _W + "tr") is not row:
                continue  # a nested table's cell: read with its own paragraphs below
            shading = _shading(cell.find(_W + "tcPr"))
            paragraphs = [p for p in cell.iter(_W + "p") if _nearest(p.getparent(), _W + "p") is None]
            parts = [self._visible_text(Paragraph(p, self.document), line, shading) for p in paragraphs]
            for paragraph in paragraphs:
                self._text_boxes(paragraph, line)
            cells.append(" ".join(p.strip() for p in parts if p.strip()))
        if any(cells):
            self.spans.append(Span(self.file, line, line, " | ".join(cells), kind="table-row",
                                   hidden=_HIDDEN_PARTS.get(kind or "")))

    def _visible_text(self, paragraph: Any, line: int, cell_shading: Rgba | None) -> str:
        from docx.text.run import Run

        element = paragraph._p
        for picture in element.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"):
            for name in ("descr", "title"):
                if (picture.get(name) or "").strip():
                    self.hidden.single("alt-text", line, line, picture.get(name))
        for tagged, name in _TOOLTIPS:  # legacy VML images' alt text, a hyperlink's tooltip
            for node in element.iter(tagged):
                if (node.get(name) or "").strip():
                    self.hidden.single("alt-text", line, line, node.get(name))
        for text in self._graphics_text(paragraph):
            self.spans.append(Span(self.file, line, line, text, kind="graphic"))
        deleted = "".join(node.text or "" for node in element.iter(_W + "delText")
                          if not any(a.tag == _TEXT_BOX for a in _ancestors(node, element)))
        self.hidden.single("docx-deleted", line, line, deleted)  # a tracked deletion: shown struck through
        background = _shading(element.find(_W + "pPr")) or cell_shading or self.page_color or WHITE
        visible: list[str] = []
        for run_element in element.iter(_W + "r"):
            if any(ancestor.tag in _SKIPPED_PARENTS or ancestor.tag == _TEXT_BOX
                   for ancestor in _ancestors(run_element, element)):
                continue  # deleted text, a text box's duplicate, or a text box (read as spans of its own)
            run = Run(run_element, paragraph)
            text = run.text
            if not text:
                continue
            reason = _run_reason(run, paragraph, background)
            if reason is None:
                self.hidden.flush()
                visible.append(text)
            else:
                self.hidden.add(reason, paragraph, line, line, text)
        self.hidden.flush()
        return "".join(visible)

    def _graphics_text(self, paragraph: Any) -> list[str]:
        """The text of charts (titles, axis titles, category names) and SmartArt diagrams anchored in the paragraph:
        drawn on the page, kept in parts of their own."""
        texts = []
        for node in paragraph._p.iter(_CHART, _DIAGRAM):
            target = node.get(_R + "id") or node.get(_R + "dm")
            part = paragraph.part.related_parts.get(target) if target else None
            if part is None or not part.content_type.endswith(_GRAPHIC_TYPES):  # (a header's ids are its own)
                continue
            root = _xml(part)
            words = [t.text.strip() for t in root.iter(_A + "t", _C + "v") if t.text and t.text.strip()
                     and any(char.isalpha() for char in t.text)]
            if words:
                texts.append(" | ".join(words))
        return texts


def _xml(part: Any) -> Any:
    from docx.oxml import parse_xml

    try:
        return parse_xml(part.blob)
    except SyntaxError as exc:  # lxml's XMLSyntaxError; reported like the body's unreadable values
        raise ValueError(f"{part.partname} is not well-formed XML: {exc}") from None


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _body_blocks(container: Any) -> Iterator[Any]:
    """Body paragraphs and tables in reading order, looking through content controls (``w:sdt``)."""
    for child in container:
        if child.tag in (_W + "p", _W + "tbl"):
            yield child
        elif child.tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _body_blocks(content)


def _text_boxes(paragraph: Any) -> list[Any]:
    """The text boxes anchored in a paragraph (not those nested in them, nor a box's duplicate fallback)."""
    return [box for box in paragraph.iter(_TEXT_BOX)
            if not any(a.tag == _TEXT_BOX or a.tag in _SKIPPED_PARENTS for a in _ancestors(box, paragraph))]


def _ancestors(element: Any, stop: Any) -> Iterator[Any]:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        yield parent
        parent = parent.getparent()


def _nearest(element: Any, tag: str) -> Any:
    while element is not None and element.tag != tag:
        element = element.getparent()
    return element


def _paragraph_kind(paragraph: Any) -> str:
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    if name.startswith("Heading") or name in ("Title", "Subtitle"):
        return "heading"
    properties = paragraph._p.pPr
    if (properties is not None and properties.numPr is not None) or "List" in name:
        return "list-item"
    return "paragraph"


def _run_reason(run: Any, paragraph: Any, background: Rgba) -> str | None:
    if _resolved(run, paragraph, lambda font: font.hidden):
        return "docx-hidden"
    behind = _run_background(run._r) or background
    color = _resolved(run, paragraph, _font_color)
    if isinstance(color, tuple) and same_color(color, behind):
        return "white-text"
    size = _resolved(run, paragraph, lambda font: font.size)
    if size is not None and size.pt < TINY_POINTS:
        return "tiny-font"
    return None


def _resolved(run: Any, paragraph: Any, read: Callable[[Any], Any]) -> Any:
    """A font property from the run, else its character style chain, else the paragraph style chain."""
    value = read(run.font)
    if value is not None:
        return value
    for style in (run.style, paragraph.style):
        while style is not None:
            value = read(style.font)
            if value is not None:
                return value
            style = style.base_style
    return None


def _font_color(font: Any) -> Rgba | str | None:
    """The colour set on ``font``: an RGB tuple, "auto" (visible on any background), or None when unset."""
    color = font.color
    if color.type is None:
        return None
    if color.rgb is not None:
        return _hex_color(str(color.rgb)) or "auto"
    if color.theme_color is not None and color.theme_color.name in _WHITE_THEME_COLORS:
        return WHITE
    return "auto"


def _run_background(run_element: Any) -> Rgba | None:
    properties = run_element.find(_W + "rPr")
    if properties is None:
        return None
    highlight = properties.find(_W + "highlight")
    if highlight is not None and highlight.get(_W + "val") in _HIGHLIGHT:
        return parse_color("#" + _HIGHLIGHT[highlight.get(_W + "val")])
    return _shading(properties)


def _shading(properties: Any) -> Rgba | None:
    shading = properties.find(_W + "shd") if properties is not None else None
    return _hex_color(shading.get(_W + "fill")) if shading is not None else None


def _hex_color(value: str | None) -> Rgba | None:
    if not value or value.lower() == "auto":
        return None
    return parse_color("#" + value)
