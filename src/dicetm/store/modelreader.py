"""Pass 1 of loading the model file: YAML text to plain data, with the position of every value.

The text is composed into nodes and walked by hand. That yields plain data plus the line and column of
every field, and catches what ``yaml.safe_load`` hides: duplicate keys, unsafe tags, alias loops. Aliases are
shared, not copied, and the walk counts what they would expand to, so an alias bomb is refused (with the
limit it crossed and how to raise it) before anything downstream copies it.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

import yaml

from dicetm.errors import InputError, Location, Problem

FieldPath = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column

_SAFE = yaml.constructor.SafeConstructor()
_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("str", "null", "bool", "int", "float"))
_TIMESTAMP, _SEQ, _MAP, _MERGE, _VALUE = (_TAG + t for t in ("timestamp", "seq", "map", "merge", "value"))
_TEXT_TAGS = frozenset({_STR, _TIMESTAMP, _VALUE})  # dates stay text: the model stores them as strings
_SCALAR_TAGS = frozenset({_NULL, _BOOL, _INT, _FLOAT, *_TEXT_TAGS})
_SCALAR_READERS: dict[str, Callable[[yaml.ScalarNode], object]] = {
    _BOOL: _SAFE.construct_yaml_bool, _INT: _SAFE.construct_yaml_int, _FLOAT: _SAFE.construct_yaml_float,
}
_MAX_DEPTH = 64  # a valid model nests four levels; deeper input is garbage, not a model
# Expansion limits, each with the environment variable that raises it. Aliases are counted every time
# they are used: that is how much data every later step (validation, reports, exports) would handle.
MAX_VALUES = ("DICETM_MAX_MODEL_VALUES", 2_000_000)  # the importers' limit; far beyond any real model
MAX_ALIAS_TEXT = ("DICETM_MAX_ALIAS_TEXT", 10_000_000)  # characters that aliases add to the file's own text


@dataclass(frozen=True)
class Limits:
    """How far a model file may expand; read from the environment (see ``MAX_VALUES``, ``MAX_ALIAS_TEXT``)."""

    values: int
    alias_text: int

    @classmethod
    def from_environment(cls) -> Limits:
        return cls(_limit(*MAX_VALUES), _limit(*MAX_ALIAS_TEXT))


def _limit(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip().replace("_", "")
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise InputError([Problem(f"{variable} must be a positive whole number, not {value!r}",
                                  Location(path=variable), f"unset it to use the default of {default:,}")])
    return int(value)


def format_path(path: Iterable[str | int]) -> str:
    """``("elements", 2, "kind")`` -> ``"elements[2].kind"``; the empty path gives ``""``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


# ------------------------------------------------------------------------------------------- loader

_RESOLVER = yaml.resolver.Resolver()
# First characters that can start an implicitly typed YAML 1.1 plain scalar (bool, int, null, ...).
_TYPED_STARTS = frozenset(key for key in yaml.resolver.Resolver.yaml_implicit_resolvers if key)
_NO_WILDCARD = None not in yaml.resolver.Resolver.yaml_implicit_resolvers


@functools.lru_cache(maxsize=4096)
def _resolve_plain(value: str) -> str:
    return str(_RESOLVER.resolve(yaml.ScalarNode, value, (True, False)))


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader with a faster tag resolver and the same answers.

    PyYAML's resolver runs up to three regular expressions per plain scalar and dominates the load time
    of a large model. Most values (ids, names, kinds) start with a letter no implicit type can start
    with, so they are text at once; the rest go to the stock resolver through a small cache.
    """

    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            if _NO_WILDCARD and value and value[0] not in _TYPED_STARTS:
                return _STR
            return _resolve_plain(value)
        return _SEQ if kind is yaml.SequenceNode else _MAP


# ----------------------------------------------------------------------------------------- locations


@dataclass
class Where:
    """Positions of values, and a factory for located problems.

    Key positions are only needed for a few problems (unknown fields), so instead of recording one per
    key (a third of the walk), they are looked up in the node tree when asked for.
    """

    filename: str
    root: yaml.Node | None = None
    values: dict[FieldPath, Position] = field(default_factory=dict)

    def at(self, path: FieldPath, *, key: bool = False) -> Location:
        key_node = _key_node(self.root, path) if key and self.root is not None else None
        position = node_position(key_node) if key_node is not None else closest(self.values, path)
        line, column = position if position else (None, None)
        return Location(file=self.filename, line=line, column=column, path=format_path(path) or None)

    def line_of(self, path: FieldPath) -> int | None:
        return self.at(path).line

    def problem(self, path: FieldPath, message: str, hint: str | None = None, *,
                key: bool = False) -> Problem:
        return Problem(message, self.at(path, key=key), hint)

    def show(self, path: FieldPath, by: tuple[str, ...] = ("id", "name")) -> str:
        """The path for a message, naming each list item by its id or name: ``elements[6] (id crm-db).kind``.

        With 40 elements, ``elements[6]`` alone sends a person counting; the id says which one it is.
        """
        text, node = "", self.root
        for step, part in enumerate(path):
            if isinstance(part, int):
                items = node.value if isinstance(node, yaml.SequenceNode) else []
                node = items[part] if 0 <= part < len(items) else None
                about_id = path[step + 1:step + 2] == ("id",)  # a problem with the id itself: name the item
                text += f"[{part}]{_item_label(node, tuple(k for k in by if k != 'id') if about_id else by)}"
            else:
                entry = _entry(node, part)
                node = entry[1] if entry else None
                text += f".{part}" if text else part
        return text

    def in_path(self, path: FieldPath) -> str:
        return f"in {self.show(path)}" if path else "at the top level"

    def at_path(self, path: FieldPath) -> str:
        return f"at {self.show(path)}" if path else "at the top level"


def _item_label(node: yaml.Node | None, by: tuple[str, ...]) -> str:
    """`` (id crm-db)`` for a list item that states an id, `` (name 'CRM')`` if only a name, else nothing."""
    for key in by:
        entry = _entry(node, key)
        value = entry[1] if entry else None
        if isinstance(value, yaml.ScalarNode) and value.value.strip():
            shown = short(value.value, 40)
            return f" (id {shown})" if key == "id" and re.fullmatch(r"[\w.-]+", shown) else f" ({key} {shown!r})"
    return ""


def closest(table: Mapping[FieldPath, Position], path: FieldPath) -> Position | None:
    while path not in table and path:
        path = path[:-1]
    return table.get(path)


def _key_node(root: yaml.Node, path: FieldPath) -> yaml.Node | None:
    """The key node that ``path`` ends in, found by walking the composed nodes (merges included)."""
    node: yaml.Node | None = root
    for part in path[:-1]:
        if isinstance(part, int):
            items = node.value if isinstance(node, yaml.SequenceNode) else []
            node = items[part] if 0 <= part < len(items) else None
        else:
            entry = _entry(node, part)
            node = entry[1] if entry else None
    entry = _entry(node, path[-1]) if path and isinstance(path[-1], str) else None
    return entry[0] if entry else None


def _entry(node: yaml.Node | None, name: str,
           seen: set[int] | None = None) -> tuple[yaml.Node, yaml.Node] | None:
    """The (key, value) nodes of ``name`` in a mapping node, looking into ``<<`` merges as YAML does."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in reversed(node.value):  # with duplicate keys the last one counts
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE and key_node.value == name:
            return key_node, value_node
    seen = seen if seen is not None else set()
    seen.add(id(node))
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                found = None if id(source) in seen else _entry(source, name, seen)
                if found:
                    return found
    return None


def node_position(node: yaml.Node) -> Position:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.line or 0, p.location.column or 0))


# ---------------------------------------------------------------------------------------------- YAML


def decode_model(data: bytes, filename: str) -> str:
    """Model file bytes as text (UTF-8, a BOM allowed); InputError locates the first byte that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Problem(
            f"the model file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            Location(file=filename, line=line, column=column), hint="save the file as UTF-8")]) from None


def compose(text: str, filename: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise InputError([_syntax_problem(exc, text, filename)]) from None
    except yaml.reader.ReaderError as exc:
        character = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        message = f"the file contains a character YAML does not allow ({ord(character[:1] or ' '):#06x})"
        raise InputError([_text_problem(text, text.find(character), message, filename)]) from None
    except UnicodeEncodeError as exc:
        raise InputError([_text_problem(text, exc.start, "the text holds an unpaired surrogate character",
                                        filename)]) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise InputError([Problem(f"the file cannot be read as YAML: {exc}", Location(file=filename),
                                  hint="check the YAML syntax")]) from None


def _text_problem(text: str, index: int, message: str, filename: str) -> Problem:
    index = max(index, 0)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return Problem(message, Location(file=filename, line=line, column=column),
                   hint="remove the character or write it as an escape inside a double-quoted string")


_SYNTAX_HINTS = (
    ("tab", "indent with spaces; YAML does not allow tabs for indentation"),
    ("mapping values are not allowed", "quote a value that contains ': ', or fix the indentation"),
    ("undefined alias", "define the anchor (&name) before referring to it with *name"),
    ("single document", "the model file holds one document; remove the second '---'"),
    ("expected ',' or ']'", "close the list with ']' or separate its items with ','"),
    ("expected ',' or '}'", "close the mapping with '}' or separate its entries with ','"),
    ("found unexpected end of stream", "a quoted string or bracket is not closed"),
)


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, filename: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    context_line = exc.context_mark.line + 1 if exc.context_mark else None
    if exc.context and exc.problem and exc.problem.startswith("but "):  # libyaml splits such sentences
        message = f"YAML syntax error: {exc.context}, {exc.problem} (see line {context_line})"
    elif exc.context and exc.problem:
        message = f"YAML syntax error: {problem} ({exc.context} at line {context_line})"
    else:
        message = f"YAML syntax error: {problem}"
    if mark is None:
        return Problem(message, Location(file=filename), "check the YAML syntax")
    lines = text.splitlines()
    source_line = lines[mark.line] if mark.line < len(lines) else ""
    # libyaml reports a tab as "a character that cannot start any token"; say what it is.
    if "\t" in source_line[: mark.column + 1]:
        problem += " (a tab)"
    hint = next((h for key, h in _SYNTAX_HINTS if key in f"{exc.context} {problem}"),
                "check the indentation and quoting on this line and the one before it")
    return Problem(message, Location(file=filename, line=mark.line + 1, column=mark.column + 1), hint)


class Reader:
    """Turns composed YAML nodes into plain data, recording where each value and key sits.

    It counts the values and the characters of text it hands out, an alias's target every time the alias
    is used, and raises InputError (naming the limit and how to raise it) as soon as either passes its
    limit; ``own_text`` is the length of the file, which the text count may reach without aliases.
    """

    def __init__(self, where: Where, limits: Limits | None = None, own_text: int = 0) -> None:
        self.where = where
        self.problems: list[Problem] = []
        self.bad_paths: set[FieldPath] = set()  # already reported; schema errors there would repeat it
        self.raw: dict[FieldPath, str] = {}  # source text of scalars YAML did not read as text
        self.limits = limits or Limits.from_environment()
        self.values = 0  # values handed out so far, aliases counted at every use
        self.text = 0  # characters of text handed out so far, likewise
        self._max_text = own_text + self.limits.alias_text
        self._built: dict[int, object] = {}
        self._sizes: dict[int, tuple[int, int]] = {}  # node -> (values, characters) it expands to
        self._open: set[int] = set()

    def value(self, node: yaml.Node, path: FieldPath, depth: int) -> object:
        position = self.where.values[path] = node_position(node)
        self.values += 1
        if node.tag in _TEXT_TAGS and isinstance(node, yaml.ScalarNode):  # the common case, kept short
            self.text += len(node.value)
            if self.text > self._max_text or self.values > self.limits.values:
                self._too_big(path)
            return node.value
        result = self._build(node, path, depth)
        self.where.values[path] = position  # again: a merge walks its source at this same path
        return result

    def _too_big(self, path: FieldPath) -> None:
        if self.values > self.limits.values:
            variable, _default = MAX_VALUES
            message = (f"the model file expands to more than {self.limits.values:,} values (YAML aliases count "
                       "every time they are used)")
        else:
            variable, _default = MAX_ALIAS_TEXT
            message = (f"YAML aliases in the model file repeat more than {self.limits.alias_text:,} characters "
                       "of text (every use of an alias counts)")
        raise InputError([self.where.problem(path, f"{message}; stopped {self.where.at_path(path)}",
                                             f"a real model does not need this: write the repeated part once; if "
                                             f"it does, raise the limit with the environment variable {variable}")])

    def _fail(self, path: FieldPath, message: str, hint: str | None = None,
              node: yaml.Node | None = None) -> None:
        """Record a problem at ``path`` (or at ``node``, for keys); schema errors there are then dropped."""
        self.bad_paths.add(path)
        if node is None:
            self.problems.append(self.where.problem(path, message, hint))
            return
        line, column = node_position(node)
        location = Location(self.where.filename, line, column, format_path(path) or None)
        self.problems.append(Problem(message, location, hint))

    def _build(self, node: yaml.Node, path: FieldPath, depth: int) -> object:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        # An alias yields the very node object it names: share the built value instead of walking it
        # again, so "billion laughs" input costs linear time, and a node met inside itself is a loop.
        node_key = id(node)
        if node_key in self._built:
            values, text = self._sizes[node_key]
            self.values += values - 1  # value() counted the node itself
            self.text += text
            if self.text > self._max_text or self.values > self.limits.values:
                self._too_big(path)
            return self._built[node_key]
        if node_key in self._open:
            self._fail(path, f"the alias {self.where.at_path(path)} refers to a node that contains it",
                       "aliases (*name) may not point back into their own anchor")
            return None
        if depth > _MAX_DEPTH:
            self._fail(path, f"the data {self.where.at_path(path)} is nested deeper than {_MAX_DEPTH} levels")
            return None
        expected = _SEQ if isinstance(node, yaml.SequenceNode) else _MAP
        if node.tag != expected:
            self._unsupported(node, path)
            return None
        self._open.add(node_key)
        values, text = self.values, self.text
        result: object = None
        if isinstance(node, yaml.SequenceNode):
            result = [self.value(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            result = self._mapping(node, path, depth)
        self._open.discard(node_key)
        self._built[node_key] = result
        self._sizes[node_key] = (self.values - values + 1, self.text - text)
        return result

    def _mapping(self, node: yaml.MappingNode, path: FieldPath, depth: int) -> dict[str, object]:
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self._merge(value_node, path, depth, result)
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            name = self._key(key_node, path)
            if name is None:
                continue
            child = (*path, name)
            if name in first_line:
                self._fail(child, f"duplicate key '{name}' {self.where.in_path(path)}; the first one is on line "
                           f"{first_line[name]}", "YAML keeps only one of them; remove or rename the other",
                           key_node)
            else:
                first_line[name] = key_node.start_mark.line + 1
            result[name] = self.value(value_node, child, depth + 1)
        return result

    def _merge(self, source: yaml.Node, path: FieldPath, depth: int, into: dict[str, object]) -> None:
        """``<<: *defaults`` copies keys the mapping does not set itself; earlier sources win."""
        sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
        for item in reversed(sources):
            if not isinstance(item, yaml.MappingNode):
                self._fail(path, f"the merge key '<<' {self.where.in_path(path)} needs a mapping or a list of mappings",
                           "write `<<: *name` where &name marks a mapping")
                continue
            merged = self.value(item, path, depth + 1)
            if isinstance(merged, dict):
                into.update(merged)
                self._note_merged_positions(item, path)

    def _note_merged_positions(self, item: yaml.MappingNode, path: FieldPath) -> None:
        for key_node, value_node in item.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                self.where.values[(*path, key_node.value)] = node_position(value_node)

    def _key(self, node: yaml.Node, parent: FieldPath) -> str | None:
        if node.tag in _TEXT_TAGS and isinstance(node, yaml.ScalarNode):
            return str(node.value)
        if not isinstance(node, yaml.ScalarNode):
            self._fail(parent, f"a key {self.where.in_path(parent)} is a list or mapping; keys must be plain names",
                       "write `field: value`, with the field name on the left", node)
            return None
        if node.tag not in _SCALAR_TAGS:
            self._unsupported(node, parent)
            return None
        return str(node.value)  # keys stay text: `on:` or `yes:` is a field name, not a boolean

    def _scalar(self, node: yaml.ScalarNode, path: FieldPath) -> object:
        tag = node.tag
        if tag in _TEXT_TAGS:
            return node.value
        if tag == _NULL:
            return None
        reader = _SCALAR_READERS.get(tag)
        if reader is None:
            self._unsupported(node, path)
            return None
        self.text += len(node.value)
        try:
            value = reader(node)
        except (ValueError, KeyError, OverflowError):
            kind = tag.removeprefix(_TAG)
            self._fail(path, f"{short(node.value)!r} {self.where.at_path(path)} cannot be read as {kind}",
                       "remove the !!tag or fix the value")
            return None
        self.raw[path] = node.value
        return value

    def _unsupported(self, node: yaml.Node, path: FieldPath) -> None:
        tag = "!!" + node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else node.tag
        self._fail(path, f"unsupported YAML tag '{tag}' {self.where.at_path(path)}",
                   "the model file uses plain YAML only: text, numbers, true/false, lists and mappings")


# ------------------------------------------------------------------------------------------- wording


def close_match(word: str, choices: Collection[str]) -> str | None:
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_value(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(short(value))
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-_.")
    return slug or "my-id"
