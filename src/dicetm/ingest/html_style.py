"""The CSS that decides what a reader of a rendered page cannot see: colours, the look of an element, stylesheets.

Styles come from inline ``style=`` attributes, legacy ``color``/``bgcolor`` attributes and ``<style>``
blocks. Only simple selectors are applied (``tag``, ``.class``, ``#id``, their compounds, and descendant
chains of those); a selector with attribute tests, pseudo-classes or sibling combinators is ignored. A
hidden ancestor hides its descendants; a colour or ``visibility`` set on a descendant overrides its
ancestor's, as in a browser. Used by the HTML reader, by the Markdown reader for raw HTML and by the Word reader
for colours.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

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


def _rules(css: str) -> list[tuple[str, str]]:
    """``(selectors, declarations)`` of every innermost ``selectors { declarations }`` (so rules inside ``@media``
    count too), in one pass: a regular expression for it takes quadratic time on text without braces."""
    found = []
    for chunk in css.split("}")[:-1]:  # each chunk ends where a block closes
        head, brace, body = chunk.rpartition("{")
        selectors = head.rpartition("{")[2].rpartition("}")[2]
        if brace and selectors:
            found.append((selectors, body))
    return found


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
        for selectors, body in _rules(css):
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
        if not wanted:
            break
        if wanted[-1].matches(ancestor):
            wanted.pop()
    return not wanted
