"""Files into ``Document``s: pick the reader by extension, decode the text, report every problem at once.

Formats: Markdown (``.md``, ``.markdown``, see ``read_markdown``), plain text (``.txt``, ``.text``, ``.rst``, no
extension), HTML (``.html``, ``.htm``, ``read_html``), PDF and Word (``.docx``, ``read_office``) and OpenAPI 3 /
Swagger 2 (``.yaml``, ``.yml``, ``.json``, ``read_openapi``: only when the file has a top-level
``openapi``/``swagger`` key). Which files are read, and how safely, is ``sources``: links that lead outside the
paths given and credential files are skipped with the reason, and every read is bounded by ``ReadLimits``.

Text is UTF-8 (a byte-order mark is dropped). Nothing else is removed: zero-width, bidirectional and Unicode
tag characters stay in the spans so the injection scan sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.documents import Document, Span, sha256_of, text_spans
from dicetm.ingest.limits import ReadLimits
from dicetm.ingest.read_html import read_html
from dicetm.ingest.read_markdown import read_markdown
from dicetm.ingest.read_office import read_docx, read_pdf
from dicetm.ingest.read_openapi import looks_like_openapi, read_openapi
from dicetm.ingest.read_sources import SOURCE_HINT, may_be_source, source_format
from dicetm.ingest.read_sources import read_source as read_diagram_source
from dicetm.ingest.sources import SKIPPED_HINTS, Rules, Skipped, Source, read_source, select_sources

__all__ = ["FORMAT_OF_SUFFIX", "SUPPORTED_HINT", "DocumentSet", "Skipped", "decode_text", "read_document",
           "read_document_set", "read_documents", "read_markdown"]

FORMAT_OF_SUFFIX = {
    ".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text", ".rst": "text", "": "text",
    ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx", ".yaml": "openapi", ".yml": "openapi",
    ".json": "openapi",
}
SUPPORTED_HINT = ("dicetm reads Markdown (.md, .markdown), plain text (.txt, .text, .rst, or no extension), "
                  "HTML (.html, .htm), PDF (.pdf), Word (.docx), OpenAPI 3 / Swagger 2 (.yaml, .yml, .json) and "
                  + SOURCE_HINT)


@dataclass
class DocumentSet:
    documents: list[Document]
    skipped: list[Skipped] = field(default_factory=list)  # links not followed, credential files refused


def read_document(path: Path, *, display: str | None = None, limits: ReadLimits | None = None) -> Document:
    """One file as a Document; ``display`` is the name used in spans and messages (default ``str(path)``)."""
    shown = display or str(path)
    _format(path, shown)
    return _parse(read_source(path, shown, limits or ReadLimits()), limits or ReadLimits())


def read_documents(paths: Sequence[Path], *, follow_symlinks: bool = False,
                   limits: ReadLimits | None = None) -> list[Document]:
    """Every file named, folders expanded; InputError lists the problems of all of them at once."""
    return read_document_set(paths, follow_symlinks=follow_symlinks, limits=limits).documents


def read_document_set(paths: Sequence[Path], *, follow_symlinks: bool = False,
                      limits: ReadLimits | None = None) -> DocumentSet:
    """The documents under ``paths`` and the files skipped on the way (see ``sources``).

    InputError lists every problem at once; it is also raised when nothing at all could be read.
    """
    limits = limits or ReadLimits()
    selection = select_sources(paths, _RULES, follow_symlinks=follow_symlinks, limits=limits)
    documents: list[Document] = []
    problems: list[Problem] = []
    for entry in selection.entries:
        if isinstance(entry, Problem):
            problems.append(entry)
            continue
        try:
            documents.append(_parse(entry, limits))
        except InputError as exc:
            problems.extend(exc.problems)
    if not documents and not problems:  # everything was skipped or passed over
        problems = [Problem(f"not read: {s.reason}", Location(file=s.path), SKIPPED_HINTS[s.kind])
                    for s in selection.skipped] or [
            Problem("no document dicetm reads", Location(file=str(path)), SUPPORTED_HINT) for path in paths]
    if problems:
        raise InputError(problems)
    return DocumentSet(documents, selection.skipped)


def _is_document(file: Path) -> bool:
    return bool(file.suffix) and (file.suffix.lower() in FORMAT_OF_SUFFIX or may_be_source(file.name))


def _api_or_not_yaml(file: Path, head: bytes) -> bool:
    """Under a folder, a diagram or configuration file counts when its text says it is one, and a YAML or JSON
    file otherwise only when it is an API description."""
    text = head.decode("utf-8-sig", errors="replace")
    if may_be_source(file.name) and source_format(file.name, text) is not None:
        return True
    fmt = FORMAT_OF_SUFFIX.get(file.suffix.lower())
    return fmt is not None and (fmt != "openapi" or looks_like_openapi(text))


def _not_a_document(path: Path) -> Problem | None:
    try:
        _format(path, str(path))
    except InputError as exc:
        return exc.problems[0]
    return None


_RULES = Rules(wanted=_is_document, sniff=_api_or_not_yaml, refuse=_not_a_document, empty_hint=SUPPORTED_HINT)


def _format(path: Path, shown: str) -> str:
    fmt = FORMAT_OF_SUFFIX.get(path.suffix.lower())
    if fmt is None and not may_be_source(path.name):
        raise InputError([Problem(f"'{path.suffix}' files are not a document format dicetm reads",
                                  Location(file=shown), SUPPORTED_HINT)])
    return fmt or "source"


def _parse(source: Source, limits: ReadLimits) -> Document:
    shown, raw = source.display, source.raw
    fmt = _format(source.path, shown)
    if may_be_source(source.path.name):
        diagram = source_format(source.path.name, raw[:65536].decode("utf-8", errors="replace"))
        if diagram is not None:
            return read_diagram_source(shown, decode_text(raw, shown), diagram, raw, limits)
        if fmt == "source":
            raise InputError([Problem(f"this '{source.path.suffix}' file is not a diagram dicetm reads",
                                      Location(file=shown), SUPPORTED_HINT)])
    title: str | None = None
    data: object | None = None
    spans: list[Span]
    if fmt == "pdf":
        spans, title = read_pdf(shown, raw, limits=limits)
    elif fmt == "docx":
        spans, title = read_docx(shown, raw, limits=limits)
    else:
        text = decode_text(raw, shown)
        if fmt == "markdown":
            spans, title = read_markdown(shown, text, limits=limits)
        elif fmt == "html":
            spans, title = read_html(shown, text, limits=limits)
        elif fmt == "openapi":
            spans, title, data = read_openapi(shown, text, json_syntax=source.path.suffix.lower() == ".json",
                                              limits=limits)
        else:
            spans = text_spans(shown, text)
    return Document(path=shown, format=fmt, spans=tuple(spans), sha256=sha256_of(raw), title=title, data=data)


def decode_text(raw: bytes, file: str) -> str:
    """UTF-8 (byte-order mark dropped); InputError with the byte offset and line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError([Problem(f"the file is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
                                  "cannot be decoded", Location(file=file, line=line),
                                  "save the file as UTF-8 (most editors offer it under 'Save as' or 'Encoding')")]
                         ) from None
