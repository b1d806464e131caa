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
- ``alt-text``: ``alt``, ``title`` and ``aria-label`` attributes;
- ``non-rendered``: ``<noscript>`` and ``<template>`` content. ``<script>`` and ``<style>`` are code, not
  text, and are skipped entirely;
- ``link-target``: where the page sends the viewer or what it makes the browser fetch: ``href``, ``src``,
  ``srcset``, ``poster``, ``action`` and similar attributes whose value leaves the page (it has a scheme or starts
  with ``//``), as ``<img src="...">``, and CSS ``url(...)`` from ``style`` attributes and ``<style>`` blocks, as
  ``url(...)``. An image URL is requested as soon as the page renders, so it can carry data away;
- ``markup``: a tag that is not HTML (``<system>``, ``<instructions>``): a browser shows its content but not the
  tag, which a model reading the source would see. Namespaced tags (``<o:p>`` from Word exports) are left out.

Styles come from inline ``style=`` attributes, legacy ``color``/``bgcolor`` attributes and ``<style>``
blocks. Only simple selectors are applied (``tag``, ``.class``, ``#id``, their compounds, and descendant
chains of those); a selector with attribute tests, pseudo-classes or sibling combinators is ignored. A
hidden ancestor hides its descendants; a colour or ``visibility`` set on a descendant overrides its
ancestor's, as in a browser.

The markdown reader uses the same rules (``Look``, ``Stylesheet``, ``HiddenRuns``, ``link_targets``,
``is_html_tag``) for raw HTML inside Markdown.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser

from dicetm.ingest.documents import Span

Rgba = tuple[float, float, float, float]
WHITE: Rgba = (255.0, 255.0, 255.0, 1.0)
NEAR = 16  # channel difference under which two colours look the same to a reader

_NAMED = {
    "white": "fff", "snow": "fffafa", "ivory": "fffff0", "ghostwhite": "f8f8ff", "whitesmoke": "f5f5f5",
    "floralwhite": "fffaf0", "seashell": "fff5ee", "mintcream": "f5fffa", "azure": "f0ffff", "aliceblue": "f0f8ff",
    "honeydew": "f0fff0", "lavenderblush": "fff0f5", "linen": "faf0e6", "oldlace": "fdf5e6", "cornsilk": "fff8dc",
    "lightyellow": "ffffe0", "black": "000", "silver": "c0c0c0", "gray": "808080", "grey": "808080",
    "lightgray": "d3d3d3", "lightgrey": "d3d3d3", "gainsboro": "dcdcdc", "darkgray": "a9a9a9", "red": "f00",
    "maroon": "800000", "yellow": "ff0", "olive": "808000", "lime": "0f0", "green": "008000", "aqua": "0ff",
    "cyan": "0ff", "teal": "008080", "blue": "00f", "navy": "000080", "fuchsia": "f0f", "magenta": "f0f",
    "purple": "800080", "orange": "ffa500", "beige": "f5f5dc",
}
_HEX = re.compile(r"#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})")
_FUNCTION = re.compile(r"(rgba?|hsla?)\(\s*([^)]*)\)")
_LENGTH = re.compile(r"(-?\d*\.?\d+)([a-z%]*)")
_FAR_OFF = -500.0  # px; positions further left/up than this are off screen on any display
_PX_PER_UNIT = {"px": 1.0, "": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 37.8, "mm": 3.78,
                "em": 16.0, "rem": 16.0, "ch": 8.0, "ex": 8.0, "vw": 10.0, "vh": 10.0}
_TINY = {"px": 4.0, "pt": 3.0, "em": 0.3, "rem": 0.3, "%": 30.0, "mm": 1.0, "pc": 0.25}
_RELATIVE_UNITS = frozenset({"em", "%", "ex", "ch"})


def parse_color(value: str) -> Rgba | None:
    """A CSS colour as (r, g, b, alpha), or None for values this module does not know (``currentColor``...)."""
    text = value.strip().lower()
    if text == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    if text in _NAMED:
        text = "#" + _NAMED[text]
    if match := _HEX.fullmatch(text):
        digits = match.group(1)
        if len(digits) <= 4:
            digits = "".join(c * 2 for c in digits)
        channels = [int(digits[i:i + 2], 16) for i in range(0, len(digits), 2)]
        alpha = channels[3] / 255 if len(channels) == 4 else 1.0
        return (float(channels[0]), float(channels[1]), float(channels[2]), alpha)
    if match := _FUNCTION.fullmatch(text):
        return _color_function(match.group(1), re.split(r"[\s,/]+", match.group(2).strip()))
    return None


def _color_function(name: str, parts: list[str]) -> Rgba | None:
    numbers = [_number(p) for p in parts]
    if len(numbers) < 3 or any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    alpha = values[3] if len(values) > 3 else 1.0
    if parts[3:] and parts[3].endswith("%"):
        alpha /= 100
    if name.startswith("rgb"):
        channels = [v * 2.55 if p.endswith("%") else v for v, p in zip(values[:3], parts, strict=False)]
        return (channels[0], channels[1], channels[2], alpha)
    red, green, blue = colorsys.hls_to_rgb((values[0] % 360) / 360, values[2] / 100, values[1] / 100)
    return (red * 255, green * 255, blue * 255, alpha)


def _number(text: str) -> float | None:
    match = re.fullmatch(r"(-?\d*\.?\d+)(%|deg)?", text)
    return float(match.group(1)) if match else None


def _length(value: str) -> tuple[float, str] | None:
    match = _LENGTH.fullmatch(value.strip())
    return (float(match.group(1)), match.group(2)) if match else None


def same_color(a: Rgba, b: Rgba) -> bool:
    return all(abs(x - y) <= NEAR for x, y in zip(a[:3], b[:3], strict=False))


def parse_declarations(style: str) -> dict[str, str]:
    """``"color: #fff; DISPLAY:none !important"`` -> ``{"color": "#fff", "display": "none"}``."""
    declarations: dict[str, str] = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            declarations[name.strip().lower()] = value.lower().replace("!important", "").strip()
    return declarations


# ------------------------------------------------------------------------------------------------ look


@dataclass(frozen=True)
class Look:
    """What the browser does with an element's text, as inherited down the tree."""

    removed: bool = False  # display:none and friends: no descendant can undo it
    invisible: bool = False  # visibility:hidden: a descendant may set visibility:visible again
    non_rendered: bool = False  # <noscript>, <template>
    color: Rgba | None = None  # None: the default (black) text colour
    background: Rgba = WHITE  # the nearest declared background behind the text
    font: str = "normal"  # "normal", "tiny" or "zero"

    @property
    def reason(self) -> str | None:
        """Why text with this look is hidden from a reader, or None when it is visible."""
        if self.non_rendered:
            return "non-rendered"
        if self.removed or self.invisible or self.font == "zero":
            return "css-hidden"
        if self.color is not None and (self.color[3] <= 0.1 or same_color(self.color, self.background)):
            return "white-text"
        if self.font == "tiny":
            return "tiny-font"
        return None


def element_look(parent: Look, tag: str, attrs: Mapping[str, str], declarations: Mapping[str, str]) -> Look:
    """The look of an element from its parent's look, its attributes and its resolved CSS declarations."""
    look = parent
    if _removes(tag, attrs, declarations):
        look = replace(look, removed=True)
    if tag in ("noscript", "template"):
        look = replace(look, non_rendered=True)
    visibility = declarations.get("visibility")
    if visibility in ("hidden", "collapse"):
        look = replace(look, invisible=True)
    elif visibility == "visible":
        look = replace(look, invisible=False)
    color_text = declarations.get("-webkit-text-fill-color") or declarations.get("color") or attrs.get("color")
    color = parse_color(color_text) if color_text else None
    if color is not None:
        look = replace(look, color=color)
    background = _background(declarations, attrs)
    if background is not None and background[3] >= 0.5:
        look = replace(look, background=background)
    size = _font_size(declarations)
    if size is not None:
        look = replace(look, font=_font_class(size, parent.font))
    return look


def _removes(tag: str, attrs: Mapping[str, str], declarations: Mapping[str, str]) -> bool:
    if "hidden" in attrs or declarations.get("display") == "none":
        return True
    if tag == "dialog" and "open" not in attrs:
        return True
    opacity = declarations.get("opacity", "")
    value = _number(opacity)
    if value is not None and (value / 100 if opacity.endswith("%") else value) <= 0.05:
        return True
    return _off_screen(declarations) or _zero_box(declarations) or _clipped(declarations)


def _off_screen(declarations: Mapping[str, str]) -> bool:
    for name in ("left", "top", "margin-left", "margin-top", "text-indent", "right"):
        length = _length(declarations.get(name, ""))
        if length and length[1] in _PX_PER_UNIT and length[0] * _PX_PER_UNIT[length[1]] <= _FAR_OFF:
            # right:-9999px pushes the box off the right edge the same way
            return True
    transform = declarations.get("transform", "")
    if re.search(r"scale[xy]?\(\s*0(\.0+)?\s*[,)]", transform):
        return True
    translate = re.search(r"translate[xy]?\(\s*(-?\d*\.?\d+)([a-z]*)", transform)
    return bool(translate and float(translate.group(1)) * _PX_PER_UNIT.get(translate.group(2), 0.0) <= _FAR_OFF)


def _zero_box(declarations: Mapping[str, str]) -> bool:
    if declarations.get("overflow", declarations.get("overflow-y", "")) not in ("hidden", "clip"):
        return False
    for name in ("height", "width", "max-height", "max-width"):
        length = _length(declarations.get(name, ""))
        if length and length[0] <= 0:
            return True
    return False


def _clipped(declarations: Mapping[str, str]) -> bool:
    clip = declarations.get("clip", "")
    if clip.startswith("rect("):
        numbers = [float(n) for n in re.findall(r"-?\d*\.?\d+", clip)]
        if numbers and max(numbers) <= 1:
            return True
    return bool(re.match(r"(inset\(\s*50%|circle\(\s*0)", declarations.get("clip-path", "")))


def _background(declarations: Mapping[str, str], attrs: Mapping[str, str]) -> Rgba | None:
    if "background-color" in declarations:
        return parse_color(declarations["background-color"])
    for token in re.findall(r"#[0-9a-f]+|(?:rgba?|hsla?)\([^)]*\)|[a-z]+", declarations.get("background", "")):
        color = parse_color(token)
        if color is not None:
            return color
    bgcolor = attrs.get("bgcolor")
    return parse_color(bgcolor) if bgcolor else None


def _font_size(declarations: Mapping[str, str]) -> tuple[float, str] | None:
    if "font-size" in declarations:
        return _length(declarations["font-size"])
    for token in declarations.get("font", "").split():
        length = _length(token.split("/")[0])
        if length and (length[1] or length[0] == 0):
            return length
    return None


def _font_class(size: tuple[float, str], parent: str) -> str:
    value, unit = size
    if value <= 0:
        return "zero"
    if unit in _RELATIVE_UNITS and parent != "normal":
        return parent  # a share of an already tiny (or zero) font stays tiny
    return "tiny" if value < _TINY.get(unit or "px", 0.0) else "normal"


# ------------------------------------------------------------------------------------------ stylesheet


@dataclass(frozen=True)
class Node:
    """An element as a selector sees it."""

    tag: str
    attrs: Mapping[str, str]

    @property
    def classes(self) -> frozenset[str]:
        return frozenset(self.attrs.get("class", "").lower().split())


@dataclass(frozen=True)
class _Compound:
    tag: str | None
    ident: str | None
    classes: frozenset[str]

    def matches(self, node: Node) -> bool:
        return ((self.tag is None or self.tag == node.tag)
                and (self.ident is None or self.ident == node.attrs.get("id", "").lower())
                and self.classes <= node.classes)

    @property
    def key(self) -> str:
        """Index key: a rule is only tried on elements that could match its subject."""
        if self.ident:
            return "#" + self.ident
        if self.classes:
            return "." + min(self.classes)
        return self.tag or "*"


@dataclass(frozen=True)
class _Rule:
    chain: tuple[_Compound, ...]  # descendant chain; the last compound is the subject
    declarations: Mapping[str, str]


_COMPOUND = re.compile(r"([a-z][a-z0-9-]*|\*)?((?:[.#][a-z0-9_-]+)*)")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _compound(text: str) -> _Compound | None:
    match = _COMPOUND.fullmatch(text)
    if not match or not text:
        return None
    parts = re.findall(r"[.#][a-z0-9_-]+", match.group(2))
    idents = [p[1:] for p in parts if p[0] == "#"]
    tag = match.group(1) if match.group(1) not in (None, "*") else None
    return _Compound(tag, idents[0] if idents else None, frozenset(p[1:] for p in parts if p[0] == "."))


class Stylesheet:
    """Simple CSS rules from ``<style>`` blocks, applied in source order (inline styles win over them)."""

    def __init__(self) -> None:
        self._rules: dict[str, list[tuple[int, _Rule]]] = {}
        self._count = 0

    def add(self, css: str) -> None:
        css = re.sub(r"/\*.*?\*/", " ", css, flags=re.S).lower()
        for selectors, body in _RULE.findall(css):
            declarations = parse_declarations(body)
            for selector in selectors.split(","):
                chain = [_compound(part) for part in selector.replace(">", " ").split()]
                if chain and all(c is not None for c in chain):
                    rule = _Rule(tuple(c for c in chain if c is not None), declarations)
                    self._rules.setdefault(rule.chain[-1].key, []).append((self._count, rule))
                    self._count += 1

    def declarations(self, node: Node, ancestors: Sequence[Node]) -> dict[str, str]:
        """The declarations of the rules matching ``node`` (``ancestors`` nearest last), then its inline style."""
        keys = ["*", node.tag, *("." + c for c in node.classes)]
        if node.attrs.get("id"):
            keys.append("#" + node.attrs["id"].lower())
        matching = sorted((order, rule) for key in keys for order, rule in self._rules.get(key, [])
                          if _chain_matches(rule.chain, node, ancestors))
        result: dict[str, str] = {}
        for _, rule in matching:
            result.update(rule.declarations)
        result.update(parse_declarations(node.attrs.get("style", "")))
        return result


def _chain_matches(chain: tuple[_Compound, ...], node: Node, ancestors: Sequence[Node]) -> bool:
    if not chain[-1].matches(node):
        return False
    wanted = list(chain[:-1])
    for ancestor in reversed(ancestors):
        if wanted and wanted[-1].matches(ancestor):
            wanted.pop()
    return not wanted


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
_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's own whitespace; zero-width and other characters are kept
# tag -> (open tags it closes implicitly, tags that stop the search)
_IMPLIED = {"li": ({"li"}, {"ul", "ol"}), "dt": ({"dt", "dd"}, {"dl"}), "dd": ({"dt", "dd"}, {"dl"}),
            "tr": ({"tr"}, {"table"}), "td": ({"td", "th"}, {"tr", "table"}), "th": ({"td", "th"}, {"tr", "table"}),
            "option": ({"option"}, {"select"})}


@dataclass
class OpenElement:
    """An element on the parser's stack of open elements."""

    node: Node
    look: Look


@dataclass
class _Block:
    kind: str
    line: int
    end_line: int
    parts: list[str]
    separator: str = ""


class _HtmlReader(HTMLParser):
    def __init__(self, file: str, stylesheet: Stylesheet) -> None:
        super().__init__(convert_charrefs=True)
        self.file = file
        self.sheet = stylesheet
        self.stack: list[OpenElement] = []
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
        parent = self.stack[-1].look if self.stack else Look()
        look = element_look(parent, tag, values, self.sheet.declarations(node, [o.node for o in self.stack]))
        self._attribute_spans(tag, values, self.getpos()[0])
        self._link_target_spans(tag, values)
        if tag not in _VOID:
            self.stack.append(OpenElement(node, look))
        if not is_html_tag(tag):
            self._markup(self.get_starttag_text() or f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if not is_html_tag(tag):
            self._markup(f"</{tag}>")
        tags = [o.node.tag for o in self.stack]
        if tag in tags:
            del self.stack[len(tags) - 1 - tags[::-1].index(tag):]
        if tag in _BLOCKS:
            self._boundary(tag)

    def handle_comment(self, data: str) -> None:
        line = self.getpos()[0]
        self.hidden.single("html-comment", line, line + data.count("\n"), data)

    def handle_data(self, data: str) -> None:
        tags = [o.node.tag for o in self.stack]
        if tags and tags[-1] == "style":
            for offset, markup in css_urls(data):
                line = self.getpos()[0] + data.count("\n", 0, offset)
                self.hidden.single(LINK_TARGET, line, line, markup)
        if tags and tags[-1] in _SKIPPED:
            return
        if not data.strip():  # the space between two inline elements still separates their words
            block = self.block
            if block is not None and block.kind != "code" and not block.separator and \
                    (not self.stack or self.stack[-1].look.reason is None):
                block.separator = " "
            return
        first = self.getpos()[0] + data[:len(data) - len(data.lstrip())].count("\n")
        last = first + data.strip().count("\n")
        look = self.stack[-1].look if self.stack else Look()
        reason = look.reason
        if reason is not None:
            owner = next(o for o in self.stack if o.look.reason == reason)
            self.hidden.add(reason, owner, first, last, data)
            return
        if tags and tags[-1] == "title" and "svg" not in tags and self.title is None:
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
        for entry in reversed(self.stack):
            if entry.node.tag in _KINDS:
                return _KINDS[entry.node.tag]
        return None

    def _boundary(self, tag: str) -> None:
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
        tags = [o.node.tag for o in self.stack]
        if tag in _CLOSES_P and "p" in tags:
            index = len(tags) - 1 - tags[::-1].index("p")
            if not any(t in _BLOCKS for t in tags[index + 1:]):
                del self.stack[index:]
                return
        closes, stops = _IMPLIED.get(tag, (set(), set()))
        for index in range(len(tags) - 1, -1, -1):
            if tags[index] in stops:
                return
            if tags[index] in closes:
                del self.stack[index:]
                return

    def _attribute_spans(self, tag: str, attrs: Mapping[str, str], line: int) -> None:
        for name in ("alt", "title", "aria-label"):
            if attrs.get(name, "").strip():
                self.hidden.single("alt-text", line, line, attrs[name])
        if tag == "input" and attrs.get("type", "").lower() == "hidden" and attrs.get("value", "").strip():
            self.hidden.single("css-hidden", line, line, attrs["value"])

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
        reason = self.stack[-1].look.reason if self.stack else None
        if reason is not None:
            owner = next(o for o in self.stack if o.look.reason == reason)
            self.hidden.add(reason, owner, first, last, tag_text)
        else:
            self.hidden.single(MARKUP, first, last, tag_text)

    def finish(self) -> list[Span]:
        self.close()
        self._flush()
        self.hidden.flush()
        return sorted([*self.spans, *self.hidden.spans], key=lambda s: (s.line, s.end_line))


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


def read_html(file: str, text: str) -> tuple[list[Span], str | None]:
    """HTML text into spans (visible and hidden, ordered by line) and the page title (or first heading)."""
    styles = _StyleCollector()
    styles.feed(text)
    styles.close()
    reader = _HtmlReader(file, styles.sheet)
    reader.feed(text)
    spans = reader.finish()
    title = reader.title or next((s.text for s in spans if s.kind == "heading" and s.hidden is None), None)
    return spans, title
