"""A document as dicetm sees it: an ordered list of located text spans.

Every reader produces the same shape, so the scanner, the extractor and the prompts never look at the
original format again. A span is a block a reader would see as one unit (a heading, a paragraph, a list
item, a table row, an OpenAPI operation) with the lines (and page, for PDF) it came from. Text that a
human reader of the rendered document would *not* see (an HTML comment, CSS-hidden or white text, a tiny
font, image alt text, a DOCX hidden run) is kept as its own span with ``hidden`` saying why: it is exactly
where an injected instruction likes to hide.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

FORMATS = ("markdown", "text", "html", "pdf", "docx", "openapi")


@dataclass(frozen=True)
class Span:
    file: str  # the path as the user gave it (stable in reports)
    line: int  # 1-based first line; for PDF the line within the page's extracted text
    end_line: int
    text: str
    page: int | None = None  # 1-based, PDF only
    # Why a reader of the rendered document would not see it: "html-comment", "css-hidden", "white-text",
    # "tiny-font", "alt-text", "non-rendered", "docx-hidden", "hidden-layer"; text outside the body the readers
    # expose to the scan: "html-meta", "data-block", "css-content", "docx-properties", "docx-variable", "docx-deleted",
    # "pdf-metadata", "pdf-outline", "pdf-annotation", "pdf-attachment"; "link-target" (a URL the page links to or
    # loads) and "markup" (a tag that is not HTML, such as <system>) are kept so the scan sees them.
    hidden: str | None = None
    kind: str = "text"  # "heading", "paragraph", "list-item", "table-row", "code", "operation", "value" (a string
    # of an API description), "graphic" (a chart's text), "text"; a PDF
    # page's running header or footer (its title, "Page 2 of 5") is "running", kept for the scan, not the extractor
    # A PDF paragraph that runs over a page break is one span: where its text goes on on a later page, as
    # (offset in ``text``, page, line on that page); ``end_line`` is then a line of the last of those pages.
    continued: tuple[tuple[int, int, int], ...] = ()

    @property
    def where(self) -> str:
        """``file:12`` / ``file:12-14`` / ``file:page 3:12`` / ``file:page 3:40-page 4:2``, for messages and
        provenance."""
        if self.continued:
            return f"{self.file}:page {self.page}:{self.line}-page {self.continued[-1][1]}:{self.end_line}"
        lines = str(self.line) if self.end_line == self.line else f"{self.line}-{self.end_line}"
        if self.page is not None:
            return f"{self.file}:page {self.page}:{lines}"
        return f"{self.file}:{lines}"

    def place_of(self, offset: int) -> tuple[int | None, int]:
        """The page and line the character at ``offset`` of ``text`` is on."""
        page, line, start = self.page, self.line, 0
        for at, next_page, next_line in self.continued:
            if at > offset:
                break
            page, line, start = next_page, next_line, at
        return page, line + self.text.count("\n", start, offset)

    def lines_of(self, offset: int) -> tuple[int | None, int, int]:
        """The page, first and last line of the part of the span on one page that holds ``offset``."""
        starts = [0, *(at for at, _, _ in self.continued)]
        part = sum(1 for at in starts if at <= offset) - 1
        page, first = self.place_of(starts[part])
        last = self.place_of(starts[part + 1] - 1)[1] if part + 1 < len(starts) else self.end_line
        return page, first, last


@dataclass(frozen=True)
class Document:
    path: str
    format: str  # one of FORMATS
    spans: tuple[Span, ...]
    sha256: str  # of the file's bytes, for provenance and the prompt cache
    title: str | None = None
    data: object | None = field(default=None, repr=False, compare=False)  # parsed OpenAPI dict, when format=openapi

    @property
    def visible_spans(self) -> tuple[Span, ...]:
        return tuple(s for s in self.spans if s.hidden is None)


_CJK_CHARACTER = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def reads_as_words(text: str, words: int = 3) -> bool:
    """Text that can hold a sentence: ``words`` words or more, or twice as many CJK characters (written without
    spaces). Fewer make a name, a label or an identifier, which a reader may pass over."""
    return len(text.split()) >= words or len(_CJK_CHARACTER.findall(text)) >= 2 * words


def string_values(node: object) -> Iterator[str]:
    """Every string in parsed JSON, YAML or HCL data (mapping values and list items, not keys), in document
    order; walked without recursion, so deep nesting costs no stack."""
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, str):
            yield item


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (``str.splitlines`` would also break at form feeds and U+2028)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def text_spans(path: str, text: str, *, page: int | None = None) -> list[Span]:
    """Plain text into paragraph spans: runs of non-blank lines, with their first and last line numbers."""
    spans: list[Span] = []
    block: list[str] = []
    start = 0
    for number, line in enumerate(split_lines(text), start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            spans.append(Span(path, start, start + len(block) - 1, "\n".join(block), page=page, kind="paragraph"))
            block = []
    if block:
        spans.append(Span(path, start, start + len(block) - 1, "\n".join(block), page=page, kind="paragraph"))
    return spans


def document_from_text(path: str, text: str, fmt: str = "text") -> Document:
    """A document from text already in memory (tests, stdin, and the plain-text reader)."""
    return Document(path=path, format=fmt, spans=tuple(text_spans(path, text)), sha256=sha256_of(text.encode()))
