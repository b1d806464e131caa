"""The text of a PDF outside its pages' content: what a viewer shows in a panel, a tooltip or a dialog, and what a
model given the file may be given all the same.

- ``pdf-metadata``: every text entry of the document information dictionary (title, author, subject, keywords,
  creator, producer and custom keys) and the texts of the XMP metadata stream that hold a few words;
- ``pdf-outline``: the titles of the bookmarks, each on the page it leads to;
- ``pdf-annotation``: an annotation's title, contents, subject and rich text, and a form field's name, tooltip
  (``/TU``), export name, value, default value, options and button caption;
- ``alt-text``: the alternate description (``/Alt``) and expansion (``/E``) of the elements of a tagged PDF's
  structure tree, on their page;
- ``pdf-attachment``: the description and file name of each embedded file.

Each reader of the PDF specification's objects (ISO 32000-2, sections 12.3.3, 12.5, 12.7, 14.3, 14.9) is guarded:
a damaged object is passed over, never a reason to refuse the document. Walks are bounded by ``_MOST``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dicetm.ingest.documents import Span

_MOST = 10_000  # objects visited per walk (outline items, structure elements): a loop or a huge tree stops here
_NOT_TEXT = frozenset({"/CreationDate", "/ModDate", "/Trapped"})
_ANNOTATION_TEXT = ("/T", "/TU", "/TM", "/Contents", "/Subj", "/V", "/DV")
# A figure's description and an abbreviation's expansion; not /ActualText, the replacement of glyphs that the page's
# text already holds (presentation exports give every run one).
_STRUCTURE_TEXT = ("/Alt", "/E")
_XMP_WORDS = 3  # an XMP text of fewer words is a date, an id or a tool's name
_TAG = re.compile(r"<[^>]*>")


def part_spans(file: str, reader: Any) -> list[Span]:
    """Every span of the document's parts besides the page text, in the order above."""
    pages = {_key(page): number for number, page in enumerate(reader.pages, start=1)}
    spans = [Span(file, 1, 1, text, hidden="pdf-metadata") for text in _metadata(reader)]
    spans += [Span(file, 1, 1, text, page=page, hidden="pdf-outline") for text, page in _outline(reader)]
    for number, page in enumerate(reader.pages, start=1):
        spans += [Span(file, 1, 1, text, page=number, hidden="pdf-annotation") for text in _annotations(page)]
    spans += [Span(file, 1, 1, text, page=pages.get(_key(page)), hidden="alt-text")
              for text, page in _structure(reader)]
    spans += [Span(file, 1, 1, text, hidden="pdf-attachment") for text in _attachments(reader)]
    return spans


def _metadata(reader: Any) -> list[str]:
    texts: list[str] = []
    try:
        info = reader.metadata or {}
        texts += [str(value).strip() for key, value in info.items() if key not in _NOT_TEXT and isinstance(value, str)]
    except Exception:  # pypdf raises many unrelated exception types on damaged files
        pass
    try:
        stream = reader.trailer["/Root"].get("/Metadata")
        data = stream.get_object().get_data() if stream is not None else b""
        texts += _xmp_texts(data)
    except Exception:
        pass
    return list(dict.fromkeys(text for text in texts if text))


def _xmp_texts(data: bytes) -> list[str]:
    """The element texts of an XMP packet that hold a few words (dc:description, dc:title, pdf:Keywords ...)."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(data.strip().strip(b"\x00"))
    except ElementTree.ParseError:
        return []
    texts = [" ".join(element.text.split()) for element in root.iter() if element.text and element.text.strip()]
    return [text for text in texts if len(text.split()) >= _XMP_WORDS]


def _outline(reader: Any) -> list[tuple[str, int | None]]:
    found: list[tuple[str, int | None]] = []
    try:
        pending = list(reversed(reader.outline))
    except Exception:
        return found
    while pending and len(found) < _MOST:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
            continue
        try:
            title = str(item.title or "").strip()
            page = reader.get_destination_page_number(item)
        except Exception:
            continue
        if title:
            found.append((title, page + 1 if page is not None and page >= 0 else None))
    return found


def _annotations(page: Any) -> Iterator[str]:
    try:
        annotations = page.get("/Annots") or []
    except Exception:
        return
    for annotation in annotations:
        try:
            fields = annotation.get_object()
            values = [fields.get(key) for key in _ANNOTATION_TEXT]
            parent = fields.get("/Parent")  # a widget's field: the name and value sit on the field above it
            if parent is not None:
                values += [parent.get_object().get(key) for key in ("/T", "/TU", "/V")]
            values.append(_TAG.sub(" ", str(fields.get("/RC") or "")))
            values += list(fields.get("/Opt") or [])
            caption = fields.get("/MK")
            values.append(caption.get_object().get("/CA") if caption is not None else None)
        except Exception:
            continue
        text = " ".join(" ".join(str(v).split()) for v in _texts(values))
        if text:
            yield text


def _texts(values: list[Any]) -> list[str]:
    """The values that are text (a value may also be a name such as /Off, a number or an array)."""
    out: list[str] = []
    for value in values:
        if isinstance(value, list):
            out += _texts(value)
        elif isinstance(value, str) and value.strip() and not value.startswith("/") and value.strip() not in out:
            out.append(value.strip())
    return out


def _structure(reader: Any) -> list[tuple[str, Any]]:
    """(text, page reference) of each structure element with an alternate or replacement text."""
    found: list[tuple[str, Any]] = []
    try:
        root = reader.trailer["/Root"].get("/StructTreeRoot")
        pending = [root.get_object()] if root is not None else []
    except Exception:
        return found
    visited = 0
    while pending and visited < _MOST:
        visited += 1
        try:
            element = pending.pop()
            if isinstance(element, list):
                pending.extend(_resolved(child) for child in reversed(element))
                continue
            if not hasattr(element, "get"):
                continue
            texts = _texts([element.get(key) for key in _STRUCTURE_TEXT])
            if texts:
                found.append((" ".join(texts), element.get("/Pg")))
            kids = element.get("/K")
            if kids is not None:
                pending.append(_resolved(kids))
        except Exception:
            continue
    return found


def _attachments(reader: Any) -> list[str]:
    try:
        names = reader.trailer["/Root"].get("/Names")
        files = names.get_object().get("/EmbeddedFiles") if names is not None else None
        entries = list(files.get_object().get("/Names") or []) if files is not None else []
    except Exception:
        return []
    texts = []
    for entry in entries[1::2]:  # a name tree's leaves: name, file specification, name, ...
        try:
            spec = entry.get_object()
            texts += _texts([spec.get("/Desc"), spec.get("/UF")])
        except Exception:
            continue
    return texts


def _resolved(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def layers_off(reader: Any) -> frozenset[object]:
    """The optional content groups (layers) a viewer hides when it opens the document: those in the default
    configuration's ``/OFF`` array, or all but those in ``/ON`` when its base state is ``/OFF`` (ISO 32000 8.11.4.3)."""
    try:
        properties = reader.trailer["/Root"].get("/OCProperties")
        if properties is None:
            return frozenset()
        properties = properties.get_object()
        config = properties.get("/D")
        config = config.get_object() if config is not None else {}
        if config.get("/BaseState") == "/OFF":
            on = {_key(group) for group in config.get("/ON") or []}
            return frozenset(_key(group) for group in properties.get("/OCGs") or [] if _key(group) not in on)
        return frozenset(_key(group) for group in config.get("/OFF") or [])
    except Exception:  # a damaged configuration: every layer shows
        return frozenset()


def hidden_layers(page: Any, off: frozenset[object]) -> frozenset[str]:
    """The names the page's resources give to layers that are off (a membership dictionary counts when every
    layer it names is off)."""
    if not off:
        return frozenset()
    names = set()
    try:
        properties = page["/Resources"].get("/Properties")
        for name, value in (properties.get_object().items() if properties is not None else []):
            target = value.get_object()
            groups = target.get("/OCGs") if target.get("/Type") == "/OCMD" else None
            members = (groups if isinstance(groups, list) else [groups]) if groups is not None else [value]
            if all(_key(member) in off for member in members):
                names.add(str(name))
    except Exception:
        return frozenset(names)
    return frozenset(names)


def _key(page: Any) -> object:
    """What identifies a page object, whether given directly or by reference."""
    reference = getattr(page, "indirect_reference", None) or page
    return (getattr(reference, "idnum", None), getattr(reference, "generation", None)) if hasattr(
        reference, "idnum") else id(page)
