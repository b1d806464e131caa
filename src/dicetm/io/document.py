"""Reading foreign documents: bytes -> plain data, and a cursor that walks it with located errors.

Foreign files are untrusted. Decoding errors carry line and column; shape errors carry the path inside
the document (``$.detail.diagrams[0].cells[3].source``). YAML aliases are shared, not copied, so a
document is measured once before any importer walks it: alias bombs and self-referencing structures
are refused instead of being expanded.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterator

import yaml

from dicetm.errors import InputError, Location, Problem

MAX_VALUES = 2_000_000  # far beyond any real threat model; stops alias bombs before they are walked
MAX_DEPTH = 100
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def decode(raw: bytes | str, source: str) -> object:
    """JSON (when the text starts with '{' or '[') or YAML, as plain data; InputError says where it broke."""
    text = _text(raw, source) if isinstance(raw, bytes) else raw
    stripped = text.lstrip()
    if not stripped:
        raise InputError([Problem("the file is empty", Location(file=source),
                                  "pass the file exported by the other tool")])
    data = _json(text, source) if stripped[0] in "{[" else _yaml(text, source)
    measure(data, source)
    return data


def _text(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Problem(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be decoded)",
                                  Location(file=source, line=line, column=column),
                                  "export the model again, or save the file as UTF-8")]) from None


def _json(text: str, source: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(text.rstrip())
        hint = ("the file ends too early: it is probably truncated; export it again" if truncated
                else "check the JSON syntax at this position, or export the file again")
        raise InputError([Problem(f"the file is not valid JSON: {exc.msg}",
                                  Location(file=source, line=exc.lineno, column=exc.colno), hint)]) from None
    except (ValueError, RecursionError) as exc:  # integers too long to convert, nesting too deep
        raise InputError([Problem(f"the file cannot be read as JSON: {_short(str(exc) or type(exc).__name__)}",
                                  Location(file=source), "export the file again")]) from None


def _yaml(text: str, source: str) -> object:
    try:
        return yaml.load(text, Loader=_Loader)  # the C or Python *safe* loader: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        truncated = mark is not None and mark.index >= len(text.rstrip())
        hint = ("the file ends too early: it is probably truncated" if truncated
                else "check the YAML syntax on this line and the one before it")
        message = f"the file is not valid YAML: {exc.problem or exc.context or 'syntax error'}"
        raise InputError([Problem(message, Location(file=source, line=line, column=column), hint)]) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise InputError([Problem(f"the file cannot be read as YAML: {_short(str(exc) or type(exc).__name__)}",
                                  Location(file=source), "check the YAML syntax")]) from None


def measure(data: object, source: str) -> None:
    """Refuse data that expands to too many values, nests too deeply or contains itself."""
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(value: object, depth: int) -> int:
        if not isinstance(value, dict | list):
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            raise _refuse(source, "the document refers to itself (a YAML alias inside its own anchor)")
        if depth > MAX_DEPTH:
            raise _refuse(source, f"the document is nested deeper than {MAX_DEPTH} levels")
        open_ids.add(key)
        children = value.values() if isinstance(value, dict) else value
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_VALUES:
                raise _refuse(source, f"the document expands to more than {MAX_VALUES:,} values")
        open_ids.discard(key)
        sizes[key] = total
        return total

    size(data, 0)


def _refuse(source: str, message: str) -> InputError:
    return InputError([Problem(message, Location(file=source), "this is not a threat model export")])


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if _PLAIN_KEY.match(key) else f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_short(repr(value), 40)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Node:
    """A value inside a foreign document, with its path; typed accessors raise located InputErrors.

    Optional fields that are missing or ``null`` read as ``None`` (or empty); a field of the wrong type is
    an error, since guessing what a malformed file meant would import something the user never wrote.
    The path is built only when asked for (an error or a report line), as most values never need it.
    """

    __slots__ = ("_key", "_parent", "_path", "hint", "source", "value")

    def __init__(self, value: object, source: str, hint: str, parent: Node | None = None,
                 key: str | int | None = None) -> None:
        self.value = value
        self.source = source
        self.hint = hint
        self._parent = parent
        self._key = key
        self._path: str | None = "$" if parent is None else None

    @property
    def path(self) -> str:
        if self._path is None:
            parent = self._parent.path if self._parent is not None else "$"
            self._path = child_path(parent, self._key if self._key is not None else "?")
        return self._path

    def fail(self, message: str, hint: str | None = None) -> InputError:
        return InputError([Problem(f"{self.path}: {message}", Location(file=self.source, path=self.path),
                                   hint or self.hint)])

    def child(self, key: str | int) -> Node:
        if isinstance(key, int):
            items = self.value if isinstance(self.value, list) else []
            value = items[key] if 0 <= key < len(items) else None
        else:
            value = self.value.get(key) if isinstance(self.value, dict) else None
        return Node(value, self.source, self.hint, self, key)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    def require_map(self, what: str = "an object") -> Node:
        if not isinstance(self.value, dict):
            found = "missing" if self.value is None else describe(self.value)
            raise self.fail(f"expected {what}, found {found}")
        return self

    def names(self) -> list[str]:
        return [str(k) for k in self.value] if isinstance(self.value, dict) else []

    def items(self, *, required: bool = False) -> Iterator[Node]:
        """The children of a list (``null``/missing: none, unless required)."""
        if self.value is None and not required:
            return iter(())
        if not isinstance(self.value, list):
            found = "missing" if self.value is None else describe(self.value)
            raise self.fail(f"expected a list, found {found}")
        return (Node(v, self.source, self.hint, self, i) for i, v in enumerate(self.value))

    def entries(self) -> Iterator[tuple[str, Node]]:
        """The (name, value) pairs of an object keyed by name (``null``/missing: none)."""
        if self.value is None:
            return iter(())
        if not isinstance(self.value, dict):
            raise self.fail(f"expected an object of named entries, found {describe(self.value)}")
        return ((str(k), Node(v, self.source, self.hint, self, str(k))) for k, v in self.value.items())

    def text(self, key: str) -> str | None:
        """A text field; numbers are accepted as text, blank text reads as None."""
        node = self.child(key)
        value = node.value
        if value is None:
            return None
        if isinstance(value, datetime.date):  # YAML reads unquoted dates as dates
            return value.isoformat()
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise node.fail(f"expected text, found {describe(value)}")
        text = str(value).strip()
        return text or None

    def flag(self, key: str) -> bool | None:
        """A boolean field; the strings "true"/"false" (any case) are accepted, as some tools write them."""
        node = self.child(key)
        value = node.value
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if isinstance(value, str) and not value.strip():
            return None
        raise node.fail(f"expected true or false, found {describe(value)}")

    def number(self, key: str) -> float | None:
        """A finite number; numeric text (e.g. "7.5") is accepted, blank text reads as None."""
        node = self.child(key)
        value = node.value
        if value is None:
            return None
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                value = float(value)
            except ValueError:
                raise node.fail(f"expected a number, found {describe(value)}") from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise node.fail(f"expected a number, found {describe(value)}")
        number = float(value)
        if not math.isfinite(number):
            raise node.fail(f"expected a finite number, found {value}")
        return number

    def strings(self, key: str) -> list[str]:
        """A list of texts (``null`` entries skipped); a single text reads as a one-item list."""
        node = self.child(key)
        if isinstance(node.value, str | int | float) and not isinstance(node.value, bool):
            return [str(node.value).strip()] if str(node.value).strip() else []
        result = []
        for item in node.items():
            if item.value is None:
                continue
            if isinstance(item.value, bool) or not isinstance(item.value, str | int | float):
                raise item.fail(f"expected text, found {describe(item.value)}")
            if str(item.value).strip():
                result.append(str(item.value).strip())
        return result


def root(data: object, source: str, hint: str) -> Node:
    return Node(data, source, hint)
