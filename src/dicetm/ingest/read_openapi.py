"""OpenAPI 3 and Swagger 2 descriptions (YAML or JSON) into located spans.

One span per operation (kind ``operation``: ``POST /v1/chat — summary — description``) over the lines of
the operation in the source, a heading span for ``info.title``, a paragraph for ``info.description`` and
one span per server URL (Swagger 2: ``schemes``, ``host`` and ``basePath`` combined). What a model reading the
file sees besides is read too: every other description, summary and title, each ``x-`` extension (a mapping or
list as one span of ``key: value`` lines, the way a block of settings reads), every string of an ``example`` or
``examples`` value and every text ``default`` (kind ``example``), every other string of a few words as ``key: value``
(kind ``value``: a license or contact name, an OAuth2 scope's description, an enum value, a ``$comment``) and, in
YAML, the comments (consecutive comment lines as one span, hidden as ``yaml-comment``: no rendering of the API shows
them). The parsed document is returned too; the extractor reads security and servers from it. Lines come from the
YAML node marks, and for JSON from a small walk over the text that records where each key (down to ``_DEPTH`` levels)
starts and where its value ends. ``$ref`` path items are not followed.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.documents import Span, reads_as_words
from dicetm.ingest.limits import ReadLimits

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
NOT_OPENAPI_HINT = ("dicetm reads YAML and JSON files only when they are OpenAPI 3 or Swagger 2 descriptions "
                    "(a top-level `openapi: 3.x` or `swagger: \"2.0\"` key); pass architecture notes as Markdown, "
                    "text, HTML, PDF or Word")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SNIFF = re.compile(r"""^(?:["']?(?:openapi|swagger)["']?\s*:)|[{,]\s*"(?:openapi|swagger)"\s*:""", re.M)
_DEPTH = 16  # deep enough for descriptions inside components and extensions; deeper text takes its parent's line
_PROSE_KEYS = frozenset({"summary", "description", "title"})
_EXAMPLE_KEYS = frozenset({"example", "examples", "x-example", "x-examples"})
_NOT_TEXT = frozenset({"$ref", "pattern", "format", "operationId", "$id", "$schema", "$anchor", "$dynamicRef"})
YAML_COMMENT = "yaml-comment"
_COMMENT = re.compile(r"(?:^|(?<=[ \t]))#")
Marks = dict[tuple[object, ...], tuple[int, int]]


def looks_like_openapi(text: str) -> bool:
    """A cheap test on the text, for folder expansion: is there an ``openapi``/``swagger`` key at all?"""
    return bool(_SNIFF.search(text))


def read_openapi(file: str, text: str, *, json_syntax: bool,
                 limits: ReadLimits | None = None) -> tuple[list[Span], str | None, dict[str, Any]]:
    """Spans, the API title and the parsed document; InputError when the file is not OpenAPI 3 / Swagger 2.

    ``json_syntax``: the file is JSON (``.json``). YAML that starts with ``{`` is tried as JSON first, because
    PyYAML refuses tab indentation that JSON allows. A document that expands (through YAML aliases) to more than
    ``limits.openapi_values`` values, or that contains itself, is refused before it is walked.
    """
    comments: list[Span] = []
    if json_syntax:
        data, marks = _parse_json(file, text)
    elif text.lstrip().startswith("{"):
        try:
            data, marks = _parse_json(file, text)
        except InputError:
            data, marks, comments = _parse_yaml(file, text)
    else:
        data, marks, comments = _parse_yaml(file, text)
    if not isinstance(data, dict) or not _is_openapi(data):
        raise InputError([Problem("this YAML/JSON file is not an OpenAPI or Swagger document, so it is not a "
                                  "document dicetm reads", Location(file=file, line=1), NOT_OPENAPI_HINT)])
    _measure(file, data, limits or ReadLimits())
    spans: list[Span] = list(comments)

    def add(path: tuple[object, ...], text: str, kind: str) -> None:
        if text.strip():
            line, end_line = _nearest_mark(marks, path)
            spans.append(Span(file, line, end_line, text.strip(), kind=kind))

    info = _mapping(data.get("info"))
    title = _text(info.get("title")) or None
    add(("info", "title"), title or "", "heading")
    add(("info", "description"), _text(info.get("description")), "paragraph")
    for index, url in enumerate(server_urls(data)):
        add(("servers", index) if "servers" in data else ("host",), url, "text")
    covered: set[tuple[object, ...]] = {("info", "title"), ("info", "description")}
    for path, item in _mapping(data.get("paths")).items():
        for method, operation in operations(item):
            add(("paths", path, method), operation_text(method, str(path), operation), "operation")
            covered.update({("paths", path, method, "summary"), ("paths", path, method, "description")})
    # Every other piece of prose (parameter, schema and tag descriptions), everything under an ``x-`` extension
    # and every example value: text a reader may never see rendered but a model would, so the scan sees it too.
    for where, value, kind in _prose(data, (), within=None):
        if where not in covered:
            add(where, value, kind)
    spans.sort(key=lambda s: (s.line, s.end_line))
    return spans, title, data


def _prose(node: object, path: tuple[object, ...], *,
           within: str | None) -> Iterator[tuple[tuple[object, ...], str, str]]:
    """(path, text, span kind) of the description-like strings below ``node``, and of every string in an extension
    (``within="extension"``) or an example value (``within="example"``)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        where = (*path, key)
        inside = within
        if inside is None and isinstance(key, str):
            inside = "extension" if key.startswith("x-") else "example" if key in _EXAMPLE_KEYS else None
            if key == "default" and isinstance(value, str):  # a schema's default text (not a default response)
                inside = "example"
            if inside == "extension" and isinstance(value, (dict, list)) and key not in _EXAMPLE_KEYS:
                block = _settings(value, "  ")  # a block of settings is read as one, under its name
                if block:
                    yield where, f"{key}:\n{block}", "paragraph"
                continue
        if isinstance(value, (dict, list)):
            yield from _prose(value, where, within=inside)
        elif isinstance(value, str) and value.strip() and (inside or key in _PROSE_KEYS):
            # A value keeps its key ("note: ..."), but not the word "example": that is what the span's kind says.
            named = inside and not isinstance(key, int) and key not in _EXAMPLE_KEYS
            text = f"{key}: {value}" if named else value
            yield where, text, "example" if inside == "example" and key not in _PROSE_KEYS else "paragraph"
        elif isinstance(value, str) and reads_as_words(value) and key not in _NOT_TEXT:
            # Any other string a rendering shows or a model reads: a license or contact name, an OAuth2 scope's
            # description (keyed by the scope), an enum value, a JSON Schema ``$comment``. Read as a value under
            # its key (kind ``value``); identifiers, URLs and single words cannot carry a sentence and are left.
            yield where, value if isinstance(key, int) else f"{key}: {value}", "value"


def _settings(node: object, indent: str, depth: int = 0) -> str:
    """An extension's values as indented ``key: value`` lines, the way a configuration block reads."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    lines = []
    for key, value in items:
        label = "-" if isinstance(key, int) else f"{key}:"
        if isinstance(value, (dict, list)):
            inner = _settings(value, indent + "  ", depth + 1) if depth < _DEPTH else ""
            if inner:
                lines.append(f"{indent}{label}\n{inner}")
        elif value is not None and str(value).strip():
            lines.append(f"{indent}{label} {value}")
    return "\n".join(lines)


def _measure(file: str, data: object, limits: ReadLimits) -> None:
    """Count the values ``data`` expands to, each shared (aliased) list or mapping once per use, without walking
    the expansion: the count of a shared node is remembered. A node that contains itself is refused."""
    counts: dict[int, int] = {}
    open_nodes: set[int] = set()
    pending: list[tuple[object, bool]] = [(data, False)]  # (node, its children are counted)
    while pending:
        node, counted = pending.pop()
        key = id(node)
        children = list(node.values() if isinstance(node, dict) else node) if isinstance(node, (dict, list)) else []
        if counted:
            open_nodes.discard(key)
            counts[key] = 1 + sum(counts.get(id(child), 1) for child in children)
            if counts[key] > limits.openapi_values:
                raise limits.exceeded(file, f"the document expands to more than {counts[key]:,} values (YAML "
                                      "aliases repeat what they refer to)", "openapi_values")
            continue
        if key in counts:
            continue
        if key in open_nodes:
            raise InputError([Problem("the document contains itself (a YAML alias inside its own anchor)",
                                      Location(file=file), "remove the alias that refers to its own anchor")])
        if children:
            open_nodes.add(key)
            pending.append((node, True))
            pending += [(child, False) for child in children if isinstance(child, (dict, list))]


def operations(item: object) -> list[tuple[str, dict[str, Any]]]:
    """The (method, operation) pairs of one path item, in the usual method order."""
    if not isinstance(item, dict):
        return []
    return [(method, item[method]) for method in METHODS if isinstance(item.get(method), dict)]


def operation_text(method: str, path: str, operation: dict[str, Any]) -> str:
    parts = [f"{method.upper()} {path}", _text(operation.get("summary")), _text(operation.get("description"))]
    return " — ".join(part for part in parts if part)


def server_urls(data: dict[str, Any]) -> list[str]:
    """OpenAPI 3 ``servers[].url``, or the Swagger 2 URL(s) built from ``schemes``, ``host`` and ``basePath``."""
    if "servers" in data:
        servers = data["servers"] if isinstance(data["servers"], list) else []
        return [_text(s.get("url")) if isinstance(s, dict) else "" for s in servers]
    host = _text(data.get("host"))
    if not host:
        return []
    base = _text(data.get("basePath")).rstrip("/")
    schemes = [s for s in data.get("schemes", []) or [] if isinstance(s, str)]
    return [f"{scheme}://{host}{base}" for scheme in schemes] or [f"//{host}{base}"]


def _mapping(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()


def _is_openapi(data: dict[str, Any]) -> bool:
    version = data.get("openapi")
    if isinstance(version, str) and version.startswith("3."):
        return True
    if isinstance(version, float) and 3 <= version < 4:  # `openapi: 3.1` unquoted is a YAML float
        return True
    return str(data.get("swagger", "")) in ("2.0", "2")


def _nearest_mark(marks: Marks, path: tuple[object, ...]) -> tuple[int, int]:
    while path and path not in marks:
        path = path[:-1]
    return marks.get(path, (1, 1))


# --------------------------------------------------------------------------------------------------- YAML


def _parse_yaml(file: str, text: str) -> tuple[object, Marks, list[Span]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError([Problem(f"the file is not valid YAML: {exc.problem or exc.context}",
                                  Location(file=file, line=line), "fix the YAML syntax at this line")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"the file is not valid YAML: {exc}", Location(file=file),
                                  "fix the YAML syntax")]) from None
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:  # nesting too deep, odd scalars
        raise InputError([Problem(f"the file cannot be read as YAML: {exc or type(exc).__name__}",
                                  Location(file=file), "check the YAML syntax and nesting")]) from None
    finally:
        loader.dispose()
    marks: Marks = {}
    if node is not None:
        _yaml_marks(node, (), text, marks, set())
    return data, marks, _comments(file, text, _scalar_ranges(node))


def _scalar_ranges(root: yaml.Node | None) -> list[tuple[int, int]]:
    """Where each scalar of the document starts and ends in the text (quoted and block scalars may hold '#')."""
    ranges: list[tuple[int, int]] = []
    seen: set[int] = set()
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            ranges.append((node.start_mark.index, node.end_mark.index))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending.extend(part for pair in node.value for part in pair)
    return sorted(ranges)


def _comments(file: str, text: str, scalars: list[tuple[int, int]]) -> list[Span]:
    """The YAML comments: a '#' at a line's start or after a blank, outside every scalar; runs of consecutive
    comment lines become one span, each line without its '#' and the blank after it."""
    starts = [start for start, _ in scalars]
    spans: list[Span] = []
    run: list[str] = []
    first = offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        comment = None
        for match in _COMMENT.finditer(line):
            position = offset + match.start()
            index = bisect.bisect_right(starts, position) - 1
            if index < 0 or not scalars[index][0] <= position < scalars[index][1]:
                comment = line[match.end():].removeprefix(" ").rstrip()
                break
        if comment is not None:
            if not run:
                first = number
            run.append(comment)
        elif run:
            spans.append(Span(file, first, number - 1, "\n".join(run).strip("\n"), hidden=YAML_COMMENT, kind="comment"))
            run = []
        offset += len(line) + 1
    if run:
        spans.append(Span(file, first, first + len(run) - 1, "\n".join(run).strip("\n"), hidden=YAML_COMMENT,
                          kind="comment"))
    return [span for span in spans if span.text.strip()]


def _yaml_marks(node: yaml.Node, path: tuple[object, ...], text: str, marks: Marks, seen: set[int]) -> None:
    """Lines of each key down to ``_DEPTH`` levels; an aliased node is marked where it is defined, once."""
    if len(path) >= _DEPTH or id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        pairs = [(key.value, key, value) for key, value in node.value if isinstance(key, yaml.ScalarNode)]
    elif isinstance(node, yaml.SequenceNode):
        pairs = [(index, value, value) for index, value in enumerate(node.value)]
    else:
        return
    for name, start, value in pairs:
        line = start.start_mark.line + 1
        marks[(*path, name)] = (line, line + _content_lines(text[start.start_mark.index:value.end_mark.index]))
        _yaml_marks(value, (*path, name), text, marks, seen)


def _content_lines(chunk: str) -> int:
    """Line breaks inside ``chunk`` once trailing blank and comment lines are dropped."""
    lines = chunk.split("\n")
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return len(lines) - 1


# --------------------------------------------------------------------------------------------------- JSON


def _parse_json(file: str, text: str) -> tuple[object, Marks]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(f"the file is not valid JSON: {exc.msg}",
                                  Location(file=file, line=exc.lineno, column=exc.colno),
                                  "fix the JSON syntax at this position")]) from None
    except (ValueError, RecursionError) as exc:
        raise InputError([Problem(f"the file cannot be read as JSON: {exc}", Location(file=file),
                                  "fix the JSON syntax")]) from None
    return data, _JsonMarks(text).marks


class _JsonMarks:
    """Where each key of the first levels of an already valid JSON text starts and its value ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.marks: Marks = {}
        self.newlines = [match.start() for match in re.finditer("\n", text)]
        self.decoder = json.JSONDecoder()
        with contextlib.suppress(ValueError, IndexError):  # not for text json.loads accepted; keep what was found
            self._value(self._skip(0), ())

    def _line(self, offset: int) -> int:
        return bisect.bisect_left(self.newlines, offset) + 1

    def _skip(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in " \t\r\n":
            index += 1
        return index

    def _value(self, index: int, path: tuple[object, ...]) -> int:
        opening = self.text[index]
        if len(path) >= _DEPTH or opening not in "{[":
            return self.decoder.raw_decode(self.text, index)[1]
        index = self._skip(index + 1)
        position = 0
        while self.text[index] not in "}]":
            start = index
            if opening == "{":
                key, index = json.decoder.scanstring(self.text, index + 1)  # type: ignore[attr-defined]
                index = self._skip(self._skip(index) + 1)  # past the colon
                name: object = key
            else:
                name, position = position, position + 1
            end = self._value(index, (*path, name))
            self.marks[(*path, name)] = (self._line(start), self._line(end - 1))
            index = self._skip(end)
            if self.text[index] == ",":
                index = self._skip(index + 1)
        return index + 1
