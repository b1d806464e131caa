"""Markdown into located spans.

The reader reads the block structure (ATX and setext headings, paragraphs, list items, GFM table rows, fenced and
indented code, block quotes, front matter) into spans with exact lines. HTML comments, image alt text, link titles
and raw inline HTML that hides its content (the same CSS rules as the HTML reader, see ``read_html``) become
hidden spans, and their text is taken out of the visible span around them. A link shows its text; its target
becomes a ``link-target`` span (``[text](url)``), as do images (``![alt](url)``, with a reference image resolved
through its definition), reference definitions (``[label]: url``) and the URLs of raw HTML (``<img src="...">``,
CSS ``url(...)``), when they leave the document (a scheme or ``//``). Raw tags that are not HTML (``<system>``)
become ``markup`` spans, as in the HTML reader. Lines are counted as an editor counts them: ``\\n``, ``\\r\\n`` or
``\\r`` end a line, nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dicetm.ingest.documents import Span, split_lines
from dicetm.ingest.html_style import Look, Node, Stylesheet, element_look
from dicetm.ingest.limits import ReadLimits
from dicetm.ingest.read_html import (
    LINK_TARGET,
    MARKUP,
    ElementStack,
    HiddenRuns,
    css_urls,
    is_html_tag,
    leaves_page,
    link_targets,
)

_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")
_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
_THEMATIC = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})")
_LIST = re.compile(r"([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?")
_TASK = re.compile(r"\[[ xX]\][ \t]+")
_DELIMITER = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*")
_QUOTES = re.compile(r"(?: {0,3}> ?)*")  # block-quote markers, each with one ">"
_PIPE = re.compile(r"(?<!\\)\|")
_ATTRIBUTE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_.:]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
# A link destination with its optional title; parentheses nest one level, as in ``wiki/Foo_(bar)``.
_TARGET = r"(?:[^()\n]|\([^()\n]{0,500}\)){0,2000}"
# Bounded repeats keep a line full of unmatched brackets linear. A link matches only its opening bracket (the
# lookahead finds its text and target), so the tokens inside its text are read like any others.
_INLINE = re.compile(
    r"(?P<comment><!--)"
    r"|(?P<code>`+)"
    r"|(?P<close></(?P<ctag>[A-Za-z][A-Za-z0-9-]*)\s*>)"
    r"|(?P<open><(?P<otag>[A-Za-z][A-Za-z0-9-]*)"
    r"(?P<attrs>(?:\s+[A-Za-z_:][-A-Za-z0-9_.:]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*/?>)"
    rf"|(?P<image>!\[(?P<alt>[^\]]{{0,1000}})\](?:\((?P<target>{_TARGET})\)|\[(?P<reference>[^\]]{{0,1000}})\])?)"
    r"|(?P<link>\[)(?=(?P<text>(?:[^\[\]!]|!(?!\[)|!?\[[^\[\]]{0,1000}\]){0,1000})"
    rf"\]\((?P<destination>{_TARGET})\))"
)
_DESTINATION = re.compile(r"""\s*(?:<(?P<angle>[^<>\n]*)>|(?P<bare>\S*))"""
                          r"""(?:\s+(?P<title>"[^"]*"|'[^']*'|\([^()]*\)))?\s*""")
_DEFINITION = re.compile(r""" {0,3}\[(?P<label>[^\]^][^\]]{0,998})\]:[ \t]*(?P<destination>(?:<[^<>\n]*>|\S+)"""
                         r"""(?:[ \t]+(?:"[^"]*"|'[^']*'|\([^()]*\)))?)[ \t]*""")
_VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                        "source", "track", "wbr"})


def read_markdown(file: str, text: str, *, limits: ReadLimits | None = None) -> tuple[list[Span], str | None]:
    """Markdown text into spans (visible and hidden, ordered by line) and its title (front matter or first heading)."""
    lines = split_lines(text)
    spans: list[Span] = []
    start, title = _front_matter(file, lines, spans)
    inline = _InlineHtml(file, limits)
    entries: list[tuple[int, str | None]] = []  # (line number, visible text); None: a code block ends a block
    fence: _Fence | None = None
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        body = _unquote(line)[1]
        if fence is not None:
            if fence.closed_by(body):
                spans += fence.spans(file, number, inline)
                fence = None
            else:
                fence.lines.append(body)
            entries.append((number, None))
            continue
        opening = _FENCE.fullmatch(body) if not inline.busy else None
        if opening and not (opening.group(2)[0] == "`" and "`" in opening.group(3)):
            fence = _Fence(number, opening.group(2), len(opening.group(1)), [])
            entries.append((number, None))
            continue
        definition = _DEFINITION.fullmatch(body) if not inline.busy else None
        target = _destination(definition.group("destination")) if definition else None
        # "[Note]: see below" stays text; a title makes it a definition all the same ("[//]: # "a comment"")
        if definition and target and (leaves_page(target[0]) or target[1]):
            inline.define(number, definition.group("label"), *target)
            entries.append((number, ""))  # a definition is not shown; it ends the paragraph like a blank line
            continue
        entries.append((number, inline.line(number, line)))
    if fence is not None:
        spans += fence.spans(file, len(lines), inline)
    spans += _Blocks(file).run(entries)
    spans += inline.finish(len(lines))
    spans.sort(key=lambda s: (s.line, s.end_line))
    if title is None:
        title = next((s.text for s in spans if s.kind == "heading" and s.hidden is None), None)
    return spans, title


def _front_matter(file: str, lines: list[str], spans: list[Span]) -> tuple[int, str | None]:
    """YAML front matter (``---`` ... ``---`` at the top) as one span; returns the lines it used and its title."""
    if not lines or lines[0].strip() != "---":
        return 0, None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return 0, None
    body = lines[1:end]
    if any(line.strip() for line in body):
        spans.append(Span(file, 2, max(end, 2), "\n".join(body), kind="text"))
    title = next((m.group(1).strip().strip("\"'") for m in (re.match(r"title:\s*(.+)", line) for line in body)
                  if m), None)
    return end + 1, title


def _unquote(line: str) -> tuple[int, str]:
    """How deep in block quotes a line is, and the line without its quote markers (in one step, however deep)."""
    markers = _QUOTES.match(line)
    assert markers is not None  # the pattern matches the empty string
    return markers.group().count(">"), line[markers.end():]


@dataclass
class _Fence:
    line: int
    marker: str
    indent: int
    lines: list[str]

    def closed_by(self, body: str) -> bool:
        stripped = body.strip()
        return (len(body) - len(body.lstrip(" ")) < 4 and stripped.startswith(self.marker)
                and set(stripped) == {self.marker[0]})

    def spans(self, file: str, end_line: int, inline: _InlineHtml) -> list[Span]:
        text = "\n".join(line[min(self.indent, len(line) - len(line.lstrip(" "))):] for line in self.lines)
        if not text.strip():
            return []
        reason = inline.look.reason
        if reason is not None:  # a code block inside a hidden HTML element is hidden with it
            inline.hidden.add(reason, inline.owner(reason), self.line, end_line, text)
            return []
        return [Span(file, self.line, end_line, text, kind="code")]


def _destination(target: str) -> tuple[str, str | None] | None:
    """A link destination as (URL, title or None); None when it is not one (a bare URL with spaces)."""
    match = _DESTINATION.fullmatch(target)
    if match is None:
        return None
    title = match.group("title")
    return match.group("angle") if match.group("angle") is not None else match.group("bare"), title and title[1:-1]


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


@dataclass
class _OpenLink:
    """A link whose text is being read: where its text ends, where the whole link ends, and its target."""

    text_start: int
    text_end: int
    end: int
    url: str
    title: str | None


class _InlineHtml:
    """Takes comments, alt text, link titles and targets and raw HTML out of Markdown lines, keeping what is hidden."""

    def __init__(self, file: str, limits: ReadLimits | None) -> None:
        self.hidden = HiddenRuns(file)
        self.sheet = Stylesheet()
        self.stack = ElementStack(file, limits)
        self._comment: tuple[int, list[str]] | None = None  # first line, text so far
        self._raw: tuple[str, list[str]] | None = None  # inside <style> or <script>: tag, content so far
        self._definitions: dict[str, str] = {}  # reference label -> URL
        self._reference_images: list[tuple[int, str, str]] = []  # line, alt text, label

    @property
    def busy(self) -> bool:
        """Inside a multi-line comment or a style/script element, where Markdown syntax means nothing."""
        return self._comment is not None or self._raw is not None

    @property
    def look(self) -> Look:
        return self.stack.look

    def owner(self, reason: str) -> object:
        return self.stack.owner(reason) or self

    def line(self, number: int, text: str) -> str:
        """The visible part of one line; hidden parts go to ``self.hidden``."""
        visible: list[str] = []
        links: list[_OpenLink] = []
        position = 0
        while position < len(text) or self._comment is not None:
            if links and position > links[-1].text_end:
                links.pop()  # a code span or comment ran past the link's text: it was not a link after all
            elif self._comment is not None:
                end = text.find("-->", position)
                if end < 0:
                    self._comment[1].append(text[position:] + "\n")
                    break
                self._comment[1].append(text[position:end])
                self.hidden.single("html-comment", self._comment[0], number, "".join(self._comment[1]))
                self._comment, position = None, end + 3
            elif self._raw is not None:
                position = self._in_raw(number, text, position)
            else:
                limit = links[-1].text_end if links else len(text)
                match = _INLINE.search(text, position, limit)
                if match is None:
                    self._text(number, text[position:limit], visible)
                    if not links:
                        break
                    position = self._end_link(number, text, links.pop())
                    continue
                self._text(number, text[position:match.start()], visible)
                position = self._token(number, text, match, visible, links)
        reason = self.look.reason
        if reason is not None:
            self.hidden.add(reason, self.owner(reason), number, number, "\n")
        return "".join(visible)

    def define(self, number: int, label: str, url: str, title: str | None) -> None:
        """A reference definition (``[label]: url``): kept as a link target, and for the images that use it."""
        self._definitions.setdefault(_label_key(label), url)  # the first definition of a label wins
        self._link_target(number, f"[{label}]: {url}", url)
        if title:
            self.hidden.single("alt-text", number, number, title)

    def finish(self, last_line: int) -> list[Span]:
        if self._comment is not None:  # never closed: a browser hides the rest of the file
            self.hidden.single("html-comment", self._comment[0], last_line, "".join(self._comment[1]))
        for number, alt, label in self._reference_images:
            url = self._definitions.get(_label_key(label))
            if url is not None:
                self._link_target(number, f"![{alt}]({url})", url)
        self.hidden.flush()
        return self.hidden.spans

    def _text(self, number: int, text: str, visible: list[str]) -> None:
        reason = self.look.reason
        if reason is None:
            visible.append(text)
        elif text:
            self.hidden.add(reason, self.owner(reason), number, number, text)

    def _link_target(self, number: int, markup: str, url: str) -> None:
        if leaves_page(url):
            self.hidden.single(LINK_TARGET, number, number, markup)

    def _markup(self, number: int, tag_text: str, visible: list[str]) -> None:
        """A tag that is not HTML: part of the hidden text around it, or a markup span of its own."""
        if self.look.reason is not None:
            self._text(number, tag_text, visible)
        else:
            self.hidden.single(MARKUP, number, number, tag_text)

    def _in_raw(self, number: int, text: str, position: int) -> int:
        assert self._raw is not None
        tag, parts = self._raw
        match = re.compile(rf"</{tag}\s*>", re.I).search(text, position)
        chunk = text[position:match.start() if match else len(text)]
        parts.append(chunk + ("" if match else "\n"))
        if tag == "style":
            for _, markup in css_urls(chunk):
                self.hidden.single(LINK_TARGET, number, number, markup)
        if match is None:
            return len(text)
        if tag == "style":
            self.sheet.add("".join(parts))
        self._raw = None
        return match.end()

    def _token(self, number: int, text: str, match: re.Match[str], visible: list[str],
               links: list[_OpenLink]) -> int:
        if match.group("comment"):
            self._comment = (number, [])
            return match.end()
        if match.group("code"):
            ticks = match.group("code")
            closing = re.compile(rf"(?<!`){ticks}(?!`)").search(text, match.end())
            end = closing.end() if closing else match.end()
            self._text(number, text[match.start():end], visible)
            return end
        if match.group("close"):
            tag = match.group("ctag").lower()
            if not is_html_tag(tag):
                self._markup(number, match.group(0), visible)
            self.stack.close(tag)
            return match.end()
        if match.group("open"):
            tag = match.group("otag").lower()
            self._open_tag(number, tag, match.group("attrs"), match.group(0).endswith("/>"))
            if not is_html_tag(tag):
                self._markup(number, match.group(0), visible)
            return match.end()
        if match.group("image"):
            self._image(number, match.group("alt"), match.group("target"), match.group("reference"))
            return match.end()
        destination = _destination(match.group("destination"))
        if destination is None:  # "[a](b c)" is text, not a link
            self._text(number, "[", visible)
            return match.end()
        links.append(_OpenLink(match.end(), match.end("text"), match.end("destination") + 1, *destination))
        return match.end()

    def _image(self, number: int, alt: str, target: str | None, reference: str | None) -> None:
        self.hidden.single("alt-text", number, number, alt)
        if target is None:
            self._reference_images.append((number, alt, reference or alt))
            return
        url, title = _destination(target) or (target.strip(), None)  # a broken target may still be fetched
        if title:
            self.hidden.single("alt-text", number, number, title)
        self._link_target(number, f"![{alt}]({url})", url)

    def _end_link(self, number: int, text: str, link: _OpenLink) -> int:
        if link.title:
            self.hidden.single("alt-text", number, number, link.title)
        self._link_target(number, f"[{text[link.text_start:link.text_end]}]({link.url})", link.url)
        return link.end

    def _open_tag(self, number: int, tag: str, attribute_text: str, self_closing: bool) -> None:
        attrs = {name.lower(): value.strip("\"'") for name, value in _ATTRIBUTE.findall(attribute_text)}
        if tag in ("style", "script"):
            self._raw = (tag, [])
            return
        for name in ("alt", "title", "aria-label"):
            if attrs.get(name, "").strip():
                self.hidden.single("alt-text", number, number, attrs[name])
        if tag == "input" and attrs.get("type", "").lower() == "hidden" and attrs.get("value", "").strip():
            self.hidden.single("css-hidden", number, number, attrs["value"])
        for _, markup in link_targets(tag, attrs):
            self.hidden.single(LINK_TARGET, number, number, markup)
        if tag in _VOID_TAGS or self_closing:
            return
        node = Node(tag, attrs)
        look = element_look(self.look, tag, attrs, self.sheet.declarations(node, self.stack.nodes))
        self.stack.push(node, look, number)


class _Blocks:
    """The block structure of visible Markdown lines."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.spans: list[Span] = []
        self.kind: str | None = None  # the open block: "paragraph", "list-item", "code"
        self.lines: list[str] = []
        self.start = self.end = 0
        self.list_indent: int | None = None  # content column of the last list item, while the list lasts
        self.table = False
        self.quote = 0

    def run(self, entries: list[tuple[int, str | None]]) -> list[Span]:
        index = 0
        while index < len(entries):
            number, text = entries[index]
            if text is None:
                self._close()
                self.table = False
                index += 1
                continue
            depth, body = _unquote(text)
            if depth != self.quote:
                self._close()
                self.table, self.quote = False, depth
            if not body.strip():
                if self.kind != "code":
                    self._close()
                else:
                    self.lines.append("")
                self.table = False
                index += 1
                continue
            following = entries[index + 1][1] if index + 1 < len(entries) else None
            index += self._line(number, body, _unquote(following)[1] if following is not None else None)
        self._close()
        return self.spans

    def _line(self, number: int, body: str, following: str | None) -> int:
        """Handle one non-blank line; returns how many lines it used (a table header uses its delimiter row too)."""
        indent = len(body.expandtabs(4)) - len(body.expandtabs(4).lstrip())
        stripped = body.strip()
        if self.table:
            if "|" in stripped:
                self._row(number, stripped)
                return 1
            self.table = False
        if self.kind == "code":
            if indent >= 4:
                self.lines.append(body.expandtabs(4)[4:])
                self.end = number
                return 1
            self._close()
        in_list = self.list_indent is not None and indent >= self.list_indent
        if indent >= 4 and self.kind is None and not in_list:
            self._open("code", number, body.expandtabs(4)[4:])
            return 1
        if indent < 4 and (heading := _ATX.fullmatch(body)):
            self._close()
            self._emit("heading", number, number, heading.group(2) or "")
            self.list_indent = None
            return 1
        if indent < 4 and self.kind == "paragraph" and _SETEXT.fullmatch(body):
            self.kind = "heading"
            self.end = number
            self._close()
            return 1
        if _THEMATIC.fullmatch(body):
            self._close()
            self.list_indent = None
            return 1
        if "|" in stripped and following is not None and _is_table(stripped, following):
            self._close()
            self._row(number, stripped)
            self.table = True
            return 2
        item = _LIST.fullmatch(body)
        if item and (indent < 4 or self.list_indent is not None):
            self._close()
            self._open("list-item", number, _TASK.sub("", item.group(3) or "", count=1))
            self.list_indent = len(item.group(1).expandtabs(4)) + len(item.group(2)) + 1
            return 1
        if self.kind in ("paragraph", "list-item"):
            self.lines.append(stripped)
            self.end = number
            return 1
        if not in_list:
            self.list_indent = None
        self._open("paragraph", number, stripped)
        return 1

    def _open(self, kind: str, number: int, text: str) -> None:
        self.kind, self.start, self.end, self.lines = kind, number, number, [text]

    def _close(self) -> None:
        if self.kind is not None:
            lines = self.lines
            while lines and not lines[-1].strip():
                lines = lines[:-1]
            self._emit(self.kind, self.start, self.end, "\n".join(lines))
        self.kind, self.lines = None, []

    def _emit(self, kind: str, line: int, end_line: int, text: str) -> None:
        if text.strip():
            self.spans.append(Span(self.file, line, end_line, text if kind == "code" else text.strip(), kind=kind))

    def _row(self, number: int, line: str) -> None:
        self._emit("table-row", number, number, " | ".join(_cells(line)))


def _cells(line: str) -> list[str]:
    cells = [cell.strip() for cell in _PIPE.split(line.strip())]
    if line.strip().startswith("|"):
        cells = cells[1:]
    if line.strip().endswith("|") and not line.strip().endswith("\\|"):
        cells = cells[:-1]
    return cells if any(cells) else []


def _is_table(header: str, delimiter: str) -> bool:
    return bool(_DELIMITER.fullmatch(delimiter)) and len(_cells(delimiter)) == len(_cells(header))
