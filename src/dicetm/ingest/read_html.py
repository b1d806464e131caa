"""HTML into located spans, and the CSS that decides what a reader of the rendered page cannot see.

Visible text becomes one span per block (heading, paragraph, list item, table row with its cells joined by
`` | ``, ``<pre>`` as code), with the source lines the parser saw it on. Text a person looking at the page
would not see is kept as its own span with ``hidden`` saying why:

- ``html-comment``: ``<!-- ... -->``;
- ``css-hidden``: ``display:none``, ``visibility:hidden``, ``opacity:0``, the ``hidden`` attribute, a closed
  ``<dialog>``, ``font-size:0``, zero width or height with ``overflow:hidden``, clipping to nothing, or a
  position far off screen (``left:-9999px``, ``text-indent:-9999px``...); also ``<input type=hidden>`` values;
- ``white-text``: a text colour that is transparent or (nearly) the same as the background behind it
  (white on the default white page included);
- ``tiny-font``: a font smaller than 4px, 3pt, 0.3em or 30%;
- ``alt-text``: ``alt``, ``title``, ``aria-label``, ``aria-description`` and the other attributes a browser shows as a
  tooltip or a screen reader speaks (``_TEXT_ATTRIBUTES``);
- ``html-meta``: the ``content`` of ``<meta>`` tags (a description, keywords, social-media cards), not of
  ``http-equiv`` ones;
- ``html-attribute``: ``data-*``, ``placeholder`` and microdata ``content`` attributes and the ``value`` of inputs and
  buttons that hold a few words or more;
- ``non-rendered``: ``<noscript>`` and ``<template>`` content;
- ``data-block``: a ``<script>`` whose type is not JavaScript (HTML's data blocks): the strings of JSON (JSON-LD)
  that hold a few words, or the text of a template. JavaScript and CSS are code, not text, and are skipped;
- ``css-content``: the text a stylesheet adds to the page (``content: "..."``);
- ``html-comment`` also holds ``<![CDATA[...]]>`` and ``<?...>``; an ``<iframe srcdoc>`` page is read as a page, its
  spans on the iframe's line;
- ``link-target``: where the page sends the viewer or what it makes the browser fetch: ``href``, ``src``,
  ``srcset``, ``poster``, ``action`` and similar attributes whose value leaves the page (it has a scheme or starts
  with ``//``), as ``<img src="...">``, and CSS ``url(...)`` from ``style`` attributes and ``<style>`` blocks, as
  ``url(...)``. An image URL is requested as soon as the page renders, so it can carry data away;
- ``markup``: a tag that is not HTML (``<system>``, ``<instructions>``): a browser shows its content but not the
  tag, which a model reading the source would see. Namespaced tags (``<o:p>`` from Word exports) are left out.

What hides an element is decided by ``html_style`` (inline styles, legacy attributes and simple ``<style>``
rules).

The markdown reader uses the same rules (``Look``, ``Stylesheet``, ``HiddenRuns``, ``link_targets``,
``is_html_tag``) for raw HTML inside Markdown.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from html.parser import HTMLParser

from dicetm.ingest.documents import Span, reads_as_words, string_values
from dicetm.ingest.html_style import Look, Node, Stylesheet, element_look
from dicetm.ingest.limits import ReadLimits

# ------------------------------------------------------------------------------------------ hidden runs


class HiddenRuns:
    """Collects hidden text: consecutive text hidden for the same reason by the same element becomes one span."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.spans: list[Span] = []
        self._key: tuple[str, int] | None = None
        self._lines = (0, 0)
        self._parts: list[str] = []

    def add(self, reason: str, owner: object, line: int, end_line: int, text: str) -> None:
        key = (reason, id(owner))
        if not text.strip():  # whitespace neither starts a run nor moves its end
            if key == self._key:
                self._parts.append(text)
            return
        if key != self._key:
            self.flush()
            self._key, self._lines = key, (line, end_line)
        self._lines = (self._lines[0], end_line)
        self._parts.append(text)

    def break_line(self, separator: str = "\n") -> None:
        """A block ends inside the run: its text and the next block's stay apart ("...notices.\nUn texte..."), table
        cells as in a visible row ("IN-01 | Olvida ...")."""
        if self._key is not None and self._parts and not self._parts[-1].endswith(("\n", separator)):
            self._parts.append(separator)

    def single(self, reason: str, line: int, end_line: int, text: str) -> None:
        """A span of its own (a comment, an attribute, a link target). The run being collected goes on around it,
        so ``<div hidden>Ignore all <a href=...>previous</a> instructions</div>`` stays one sentence."""
        if text.strip():
            self.spans.append(Span(self.file, line, end_line, text.strip(), hidden=reason))

    def flush(self) -> None:
        text = "".join(self._parts).strip()
        if self._key is not None and text:
            self.spans.append(Span(self.file, self._lines[0], self._lines[1], text, hidden=self._key[0]))
        self._key, self._parts = None, []


# ------------------------------------------------------------------------------ link targets and markup

LINK_TARGET = "link-target"
MARKUP = "markup"
# Attributes whose value is a URL the browser follows or fetches.
_URL_ATTRIBUTES = ("href", "src", "srcset", "poster", "data", "action", "formaction", "background", "xlink:href",
                   "ping", "longdesc", "cite", "lowsrc", "dynsrc")
_LEAVES_PAGE = re.compile(r"\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"'()\s]{1,2000})\1\s*\)""", re.I)
# HTML, SVG and MathML element names, lower case: any other tag is markup a browser does not show.
_HTML_ELEMENT_NAMES = """
a abbr acronym address area article aside audio b base basefont bdi bdo big blink blockquote body br button canvas
caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt em embed fieldset
figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input
ins kbd keygen label legend li link main map mark marquee menu menuitem meta meter nav nobr noembed noframes
noscript object ol optgroup option output p param picture plaintext portal pre progress q rb rp rt rtc ruby s samp
script search section select slot small source spacer span strike strong style sub summary sup table tbody td
template textarea tfoot th thead time title tr track tt u ul var video wbr xmp
svg g path circle ellipse line polyline polygon rect text tspan textpath defs use symbol image marker mask pattern
clippath lineargradient radialgradient stop filter foreignobject desc switch view animate animatetransform
animatemotion set fegaussianblur feoffset feblend fecolormatrix fecomposite feflood femerge femergenode feimage
feturbulence fedisplacementmap fedropshadow femorphology fetile
math mi mn mo ms mtext mrow msup msub msubsup mfrac msqrt mroot mtable mtr mtd mstyle mspace mover munder
munderover semantics annotation annotation-xml
"""
_HTML_ELEMENTS = frozenset(_HTML_ELEMENT_NAMES.split())


def is_html_tag(tag: str) -> bool:
    """Whether a browser knows the tag; namespaced tags (``o:p``, ``ac:link``) count as known, being export noise."""
    return tag.lower() in _HTML_ELEMENTS or ":" in tag


def link_targets(tag: str, attrs: Mapping[str, str]) -> list[tuple[str, str]]:
    """The URLs an element leaves the page for, as ``(attribute, markup)``: ``<img src="...">``, ``url(...)``."""
    found: list[tuple[str, str]] = []
    for name in _URL_ATTRIBUTES:
        value = attrs.get(name, "").strip()
        urls = [part.split()[0] for part in value.split(",") if part.strip()] if name == "srcset" else [value]
        if any(leaves_page(url) for url in urls):
            found.append((name, f'<{tag} {name}="{value}">'))
    found += [("style", markup) for _, markup in css_urls(attrs.get("style", ""))]
    return found


def css_urls(css: str) -> list[tuple[int, str]]:
    """``url(...)`` references in CSS that leave the page: their offset in ``css`` and ``url(<target>)``."""
    return [(match.start(), f"url({match.group(2)})") for match in _CSS_URL.finditer(css)
            if leaves_page(match.group(2))]


def leaves_page(url: str) -> bool:
    """A URL with a scheme or a host: anything but a link within the page or its site. ``data:`` fetches nothing."""
    return bool(_LEAVES_PAGE.match(url)) and not url.lstrip().lower().startswith("data:")


# ---------------------------------------------------------------------------------------------- reader

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"})
_KINDS = {**{f"h{n}": "heading" for n in range(1, 7)}, "li": "list-item", "dt": "list-item", "dd": "list-item",
          "tr": "table-row", "pre": "code", "title": "heading"}
_CONTAINERS = frozenset({"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "caption", "head", "body", "html"})
_BLOCKS = frozenset({"address", "article", "aside", "blockquote", "details", "dialog", "div", "fieldset",
                     "figcaption", "figure", "footer", "form", "header", "hr", "main", "menu", "nav", "p",
                     "section", "summary", "td", "th", "br", "option", "textarea", "button", "label"}
                    | _KINDS.keys() | _CONTAINERS)
_CLOSES_P = _BLOCKS - {"br", "td", "th", "option", "textarea", "button", "label", "title"}
_SKIPPED = frozenset({"script", "style"})
# Attributes a browser shows as a tooltip or a screen reader speaks: their text is read as alt text.
_TEXT_ATTRIBUTES = ("alt", "title", "aria-label", "aria-description", "aria-roledescription", "aria-valuetext",
                    "aria-placeholder", "label", "summary", "abbr")
# <script> types that are code (the empty type is JavaScript); any other type is a data block (HTML 4.12.1.1).
_SCRIPT_TYPES = frozenset({"", "module", "importmap", "speculationrules", "text/javascript", "application/javascript",
                           "text/ecmascript", "application/ecmascript", "application/x-javascript", "text/jscript",
                           "text/livescript", "text/x-javascript", "text/x-ecmascript", "text/babel", "text/jsx",
                           "text/typescript", "application/typescript"})
_TAG = re.compile(r"<[^>]*>")
_FRAMES = 3  # <iframe srcdoc> pages read inside one another at most this deep
_CSS_CONTENT = re.compile(r"""\bcontent\s*:\s*(["'])((?:\\.|(?!\1)[^\\\n])*)\1""", re.I)
_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's own whitespace; zero-width and other characters are kept
# tag -> (open tags it closes implicitly, tags that stop the search)
_IMPLIED = {"li": ({"li"}, {"ul", "ol"}), "dt": ({"dt", "dd"}, {"dl"}), "dd": ({"dt", "dd"}, {"dl"}),
            "tr": ({"tr"}, {"table"}), "td": ({"td", "th"}, {"tr", "table"}), "th": ({"td", "th"}, {"tr", "table"}),
            "option": ({"option"}, {"select"})}


@dataclass
class OpenElement:
    """An element on the parser's stack of open elements, with what it implies for the text inside it."""

    node: Node
    look: Look
    owners: dict[str, OpenElement]  # reason -> the outermost open element hiding text for that reason
    kind: str | None = None  # the span kind its text gets (its own, or its nearest ancestor's with one)
    open_p: int | None = None  # the stack index of an open <p> with only inline elements above it


class ElementStack:
    """The open elements. What each one implies is worked out when it is pushed, so no step walks the stack and
    reading stays linear however deep elements nest; deeper than ``limits.html_depth`` is refused."""

    def __init__(self, file: str, limits: ReadLimits | None) -> None:
        self.file = file
        self.limits = limits or ReadLimits()
        self.items: list[OpenElement] = []
        self.nodes: list[Node] = []  # the same elements as selectors see them, for Stylesheet.declarations
        self._counts: Counter[str] = Counter()

    def __contains__(self, tag: str) -> bool:
        return self._counts[tag] > 0

    def __len__(self) -> int:
        return len(self.items)

    @property
    def top(self) -> OpenElement | None:
        return self.items[-1] if self.items else None

    @property
    def look(self) -> Look:
        return self.items[-1].look if self.items else Look()

    def owner(self, reason: str) -> OpenElement | None:
        return self.items[-1].owners.get(reason) if self.items else None

    def push(self, node: Node, look: Look, line: int, *, kind: str | None = None,
             open_p: int | None = None) -> OpenElement:
        if len(self.items) >= self.limits.html_depth:
            raise self.limits.exceeded(self.file, f"elements nest more than {len(self.items):,} deep at line {line}",
                                       "html_depth", line=line)
        parent = self.items[-1].owners if self.items else {}
        reason = look.reason
        element = OpenElement(node, look, parent, kind, open_p)
        if reason is not None and reason not in parent:
            element.owners = {**parent, reason: element}
        self.items.append(element)
        self.nodes.append(node)
        self._counts[node.tag] += 1
        return element

    def close(self, tag: str) -> None:
        """Close the innermost open ``tag`` and everything opened inside it (nothing when it is not open)."""
        if tag in self:
            index = len(self.items) - 1
            while self.items[index].node.tag != tag:
                index -= 1
            self.truncate(index)

    def truncate(self, index: int) -> None:
        """Close the element at ``index`` and everything above it."""
        for element in self.items[index:]:
            self._counts[element.node.tag] -= 1
        del self.items[index:]
        del self.nodes[index:]


@dataclass
class _Block:
    kind: str
    line: int
    end_line: int
    parts: list[str]
    separator: str = ""


class _HtmlReader(HTMLParser):
    def __init__(self, file: str, stylesheet: Stylesheet, limits: ReadLimits | None, *, frames: int = 0) -> None:
        super().__init__(convert_charrefs=True)
        self.file = file
        self.frames = frames  # the <iframe srcdoc> pages this one is inside
        self.sheet = stylesheet
        self.stack = ElementStack(file, limits)
        self.spans: list[Span] = []
        self.hidden = HiddenRuns(file)
        self.block: _Block | None = None
        self.title: str | None = None

    # parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        self._close_implied(tag)
        if tag in _BLOCKS:
            self._boundary(tag)
        node = Node(tag, values)
        look = element_look(self.stack.look, tag, values, self.sheet.declarations(node, self.stack.nodes))
        self._attribute_spans(tag, values, self.getpos()[0])
        self._link_target_spans(tag, values)
        if tag not in _VOID:
            top = self.stack.top
            open_p = len(self.stack) if tag == "p" else None if tag in _BLOCKS or top is None else top.open_p
            self.stack.push(node, look, self.getpos()[0], kind=_KINDS.get(tag) or (top.kind if top else None),
                            open_p=open_p)
        if not is_html_tag(tag):
            self._markup(self.get_starttag_text() or f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if not is_html_tag(tag):
            self._markup(f"</{tag}>")
        self.stack.close(tag)
        if tag in _BLOCKS:
            self._boundary(tag)

    def handle_comment(self, data: str) -> None:
        line = self.getpos()[0]
        self.hidden.single("html-comment", line, line + data.count("\n"), data)

    def unknown_decl(self, data: str) -> None:
        """``<![CDATA[...]]>``: text inside SVG or MathML, a comment anywhere else; either way a model reads it."""
        line = self.getpos()[0]
        self.hidden.single("html-comment", line, line + data.count("\n"), data.removeprefix("CDATA["))

    def handle_pi(self, data: str) -> None:
        """``<?...>``: HTML reads it as a comment."""
        self.unknown_decl(data.removesuffix("?"))

    def handle_data(self, data: str) -> None:
        top = self.stack.top.node.tag if self.stack.top else None
        if top == "style":
            for offset, markup in css_urls(data):
                line = self.getpos()[0] + data.count("\n", 0, offset)
                self.hidden.single(LINK_TARGET, line, line, markup)
            self._css_content(data)
        if top == "script":
            self._data_block(self.stack.top.node.attrs.get("type", "") if self.stack.top else "", data)
        if top in _SKIPPED:
            return
        reason = self.stack.look.reason
        if not data.strip():  # the space between two inline elements still separates their words
            block = self.block
            if block is not None and block.kind != "code" and not block.separator and reason is None:
                block.separator = " "
            return
        first = self.getpos()[0] + data[:len(data) - len(data.lstrip())].count("\n")
        last = first + data.strip().count("\n")
        if reason is not None:
            self.hidden.add(reason, self.stack.owner(reason), first, last, data)
            return
        if top == "title" and "svg" not in self.stack and self.title is None:
            self.title = _SPACE.sub(" ", data).strip()
        self._add_visible(data, first, last)

    # helpers
    def _add_visible(self, data: str, first: int, last: int) -> None:
        if self.block is None:
            self.block = _Block(self._owner_kind() or "paragraph", first, last, [])
        elif self.block.separator and self.block.parts:
            self.block.parts.append(self.block.separator)
        self.block.separator = ""
        self.block.parts.append(data)
        self.block.end_line = last

    def _owner_kind(self) -> str | None:
        return self.stack.top.kind if self.stack.top else None

    def _boundary(self, tag: str) -> None:
        self.hidden.break_line(" | " if tag in ("td", "th") else "\n")
        if tag == "br":  # a line break inside a block, not the end of it
            if self.block is not None and not self.block.separator:
                self.block.separator = "\n"
            return
        owner = self._owner_kind()
        if self.block is not None and owner == self.block.kind and owner in ("list-item", "table-row") \
                and tag not in _KINDS and tag not in _CONTAINERS:
            separator = " | " if tag in ("td", "th") and owner == "table-row" else " "
            if self.block.separator != " | ":
                self.block.separator = separator
            return
        self._flush()

    def _flush(self) -> None:
        block, self.block = self.block, None
        if block is None:
            return
        raw = "".join(block.parts)
        text = raw.strip("\r\n") if block.kind == "code" else _SPACE.sub(" ", raw).strip()
        if text.strip():
            self.spans.append(Span(self.file, block.line, block.end_line, text, kind=block.kind))

    def _close_implied(self, tag: str) -> None:
        top = self.stack.top
        if tag in _CLOSES_P and top is not None and top.open_p is not None:
            self.stack.truncate(top.open_p)  # and go on: <li><p>one<li> closes the paragraph, then the item
        closes, stops = _IMPLIED.get(tag, (set(), set()))
        if not any(name in self.stack for name in closes):
            return
        items = self.stack.items
        for index in range(len(items) - 1, -1, -1):
            if items[index].node.tag in stops:
                return
            if items[index].node.tag in closes:
                self.stack.truncate(index)
                return

    def _attribute_spans(self, tag: str, attrs: Mapping[str, str], line: int) -> None:
        for name in _TEXT_ATTRIBUTES:
            if attrs.get(name, "").strip():
                self.hidden.single("alt-text", line, line, attrs[name])
        kind = attrs.get("type", "").lower()
        if tag == "input" and kind == "hidden" and attrs.get("value", "").strip():
            self.hidden.single("css-hidden", line, line, attrs["value"])
        if tag == "meta" and not attrs.get("http-equiv") and attrs.get("content", "").strip():
            self.hidden.single("html-meta", line, line, attrs["content"])
        for name, value in attrs.items():  # data-* attributes and placeholders: text a page keeps for scripts
            if (name.startswith("data-") or name == "placeholder" or (name == "content" and tag != "meta") or (
                    name == "value" and tag in ("input", "button", "option", "param") and kind != "hidden")) \
                    and len(value.split()) >= 3:
                self.hidden.single("html-attribute", line, line, value)
        if tag == "iframe" and attrs.get("srcdoc", "").strip() and self.frames < _FRAMES:
            self._srcdoc(attrs["srcdoc"], line)

    def _srcdoc(self, page: str, line: int) -> None:
        """An ``<iframe srcdoc>``: a whole page shown inside this one, read as a page on the iframe's line."""
        inner = _HtmlReader(self.file, Stylesheet(), self.stack.limits, frames=self.frames + 1)
        inner.feed(_unopenable_tail(page))
        for span in inner.finish():
            self.spans.append(replace(span, line=line, end_line=line))

    def _data_block(self, kind: str, data: str) -> None:
        """A ``<script>`` that is data, not code: the strings of JSON (JSON-LD for search engines, page state), the
        text of a template or any other non-script type. JavaScript is code and stays skipped."""
        kind = kind.split(";")[0].strip().lower()
        if kind in _SCRIPT_TYPES or not data.strip():
            return
        first = self.getpos()[0]
        if kind.endswith("json"):
            try:
                strings = list(json_strings(json.loads(data)))
            except (ValueError, RecursionError):
                strings = []
            for text in strings:
                at = data.find(json.dumps(text, ensure_ascii=False)[1:-1][:40])
                where = first + data.count("\n", 0, at) if at >= 0 else first
                self.hidden.single("data-block", where, where, text)
            return
        self.hidden.single("data-block", first, first + data.count("\n"), _SPACE.sub(" ", _TAG.sub(" ", data)))

    def _css_content(self, css: str) -> None:
        """Text a stylesheet adds to the page (``content: "..."`` on ``::before``/``::after``): shown, but not in
        the HTML's text."""
        first = self.getpos()[0]
        for match in _CSS_CONTENT.finditer(css):
            line = first + css.count("\n", 0, match.start())
            self.hidden.single("css-content", line, line, match.group(2))

    def _link_target_spans(self, tag: str, attrs: Mapping[str, str]) -> None:
        first = self.getpos()[0]
        raw = self.get_starttag_text() or ""
        for name, markup in link_targets(tag, attrs):
            where = re.search(rf"(?<![\w:-]){re.escape(name)}\s*=", raw, re.I)
            line = first + (raw.count("\n", 0, where.start()) if where else 0)
            self.hidden.single(LINK_TARGET, line, line, markup)

    def _markup(self, tag_text: str) -> None:
        """A tag a browser does not show: with the hidden text around it when inside a hidden element, else alone."""
        first = self.getpos()[0]
        last = first + tag_text.count("\n")
        reason = self.stack.look.reason
        if reason is not None:
            self.hidden.add(reason, self.stack.owner(reason), first, last, tag_text)
        else:
            self.hidden.single(MARKUP, first, last, tag_text)

    def finish(self) -> list[Span]:
        self.close()
        self._flush()
        self.hidden.flush()
        return sorted([*self.spans, *self.hidden.spans], key=lambda s: (s.line, s.end_line))


def json_strings(node: object) -> Iterator[str]:
    """Every string value in parsed JSON that holds a few words (keys, identifiers and URLs are left out)."""
    return (text.strip() for text in string_values(node) if reads_as_words(text))


def _unopenable_tail(text: str) -> str:
    """``text`` with every ``<`` after its last ``>`` written ``&lt;``.

    No tag, comment or declaration can end there, so the parser reads that tail as text either way; but Python's
    parser (before 3.13.4) searches to the end of the text for each such ``<``, which takes quadratic time on a
    run of ``</``, ``<!`` or ``<?``. Written as a character reference, each is one step.
    """
    last = text.rfind(">")
    if text.find("<", last + 1) < 0:
        return text
    return text[:last + 1] + text[last + 1:].replace("<", "&lt;")


class _StyleCollector(HTMLParser):
    """First pass: the ``<style>`` blocks, so class rules apply to elements that come before them too."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sheet = Stylesheet()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.sheet.add(data)


def read_html(file: str, text: str, *, limits: ReadLimits | None = None) -> tuple[list[Span], str | None]:
    """HTML text into spans (visible and hidden, ordered by line) and the page title (or first heading)."""
    text = _unopenable_tail(text)
    styles = _StyleCollector()
    styles.feed(text)
    styles.close()
    reader = _HtmlReader(file, styles.sheet, limits)
    reader.feed(text)
    spans = reader.finish()
    title = reader.title or next((s.text for s in spans if s.kind == "heading" and s.hidden is None), None)
    return spans, title
