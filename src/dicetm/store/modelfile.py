"""Load the model file (``dicetm.yaml``) into a System, with every mistake located by file, line and column.

Three passes, each collecting problems rather than stopping at the first one:

1. YAML: the text is composed into nodes and walked by hand. That yields plain data plus the position
   of every field, and catches what ``yaml.safe_load`` hides: duplicate keys, unsafe tags, alias loops.
2. Schema: pydantic validates the data; each of its errors becomes a problem pointing at the node.
3. Meaning: duplicate ids and cross-references (flow ends, boundary members, tool targets, stores,
   decisions), checked with dict look-ups so a model with tens of thousands of elements stays linear.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from dicetm.errors import InputError, Location, Problem, StoreError
from dicetm.gcpause import gc_paused
from dicetm.model.proposals import ProposalFile
from dicetm.model.system import (
    Asset,
    Assumption,
    CountermeasureSetting,
    CustomControl,
    Element,
    Flow,
    Kind,
    ResidualRiskSetting,
    System,
    ThreatRecord,
    TrustBoundary,
)

FieldPath = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line, column

MODEL_FILENAMES = ("dicetm.yaml", "dicetm.yml")
ID_SECTIONS = ("elements", "flows", "trust_boundaries", "assets", "assumptions")
THREAT_ID = re.compile(r"^(?P<rule>T-[A-Z]+-\d{3})@(?P<element>[^@\s]+)(?:@(?P<flow>[^@\s]+))?$")

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
# Did-you-mean compares the word with every candidate id (microseconds each). Bound the total number of
# comparisons so a large model with many broken references still fails fast, and always the same way.
_SUGGESTION_BUDGET = 100_000
_SINGULAR = {
    "elements": "element", "flows": "flow", "trust_boundaries": "trust boundary", "assets": "asset",
    "assumptions": "assumption",
}


@dataclass(frozen=True)
class LoadedModel:
    """A validated system plus where each of its fields sits in the model file."""

    system: System
    path: Path
    locations: Mapping[FieldPath, Position] = field(repr=False)
    proposals: ProposalFile | None = field(default=None, repr=False)  # dicetm-proposals.yaml beside the model

    def location(self, field_path: Sequence[str | int]) -> Location:
        """Location of ``field_path`` (e.g. ``("elements", 2, "kind")``), or of its closest known parent."""
        wanted = tuple(field_path)
        position = _closest(self.locations, wanted)
        line, column = position if position else (None, None)
        return Location(file=str(self.path), line=line, column=column, path=format_path(wanted) or None)

    def location_of_id(self, item_id: str) -> Location:
        """Location of the element, flow, boundary, asset or assumption with this id (the file if unknown)."""
        return self.location(self._id_paths.get(item_id, ()))

    @cached_property
    def _id_paths(self) -> dict[str, FieldPath]:
        paths: dict[str, FieldPath] = {}
        for section in ID_SECTIONS:
            for index, item in enumerate(getattr(self.system, section)):
                paths.setdefault(item.id, (section, index))
        return paths


class LazyLocations(Mapping[FieldPath, Position]):
    """The positions of a model file's fields, found only when first asked for (by reading ``text`` again).

    For a model whose validated form comes from the analysis cache: most commands never need a location.
    """

    def __init__(self, text: str, filename: str) -> None:
        self._text, self._filename = text, filename
        self._table: dict[FieldPath, Position] | None = None

    @property
    def table(self) -> dict[FieldPath, Position]:
        if self._table is None:
            root = _compose(self._text, self._filename)
            where = _Where(self._filename, root)
            if root is not None:
                _Reader(where).value(root, (), 0)
            self._table = where.values
        return self._table

    def __getitem__(self, key: FieldPath) -> Position:
        return self.table[key]

    def __iter__(self) -> Iterator[FieldPath]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


def format_path(path: Iterable[str | int]) -> str:
    """``("elements", 2, "kind")`` -> ``"elements[2].kind"``; the empty path gives ``""``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def resolve_model_path(path: Path) -> Path:
    """The model file itself, or the ``dicetm.yaml`` (or ``dicetm.yml``) inside a folder."""
    path = Path(path)
    if path.is_file():
        return path
    where = Location(file=str(path))
    if path.is_dir():
        found = [path / name for name in MODEL_FILENAMES if (path / name).is_file()]
        if len(found) == 1:
            return found[0]
        if found:
            raise InputError([Problem(
                f"the folder holds both {found[0].name} and {found[1].name}", where,
                hint="keep one model file per folder, or pass the file you mean")])
        raise InputError([Problem(
            "the folder holds no dicetm.yaml", where,
            hint="pass the model file itself, or create one with `dicetm init`")])
    raise InputError([Problem(
        "no such file or folder", where, hint="pass a model file or a folder that holds dicetm.yaml")])


def read_model_bytes(path: Path) -> bytes:
    """The model file's bytes, read without following a symbolic link (InputError or StoreError if unreadable)."""
    from dicetm.store.safety import read_bytes

    try:
        data = read_bytes(path, "the model file")
    except StoreError as exc:
        raise InputError(exc.problems) from None
    if data is None:
        raise InputError([Problem("cannot read the model file: it does not exist", Location(file=str(path)))])
    return data


def load_system(path: Path, known_controls: Collection[str] | None = None) -> LoadedModel:
    """Read and validate a model file (or a folder holding one); InputError lists every problem."""
    path = resolve_model_path(path)
    data = read_model_bytes(path)
    loaded = parse_system_text(decode_model(data, str(path)), str(path), known_controls)
    return LoadedModel(system=loaded.system, path=path, locations=loaded.locations)


def parse_system_text(text: str, filename: str, known_controls: Collection[str] | None = None) -> LoadedModel:
    """Validate model-file text; ``filename`` is only used in locations. InputError lists every problem."""
    with gc_paused():  # loading builds many small acyclic objects; see dicetm.gcpause
        return _parse(text, filename, known_controls)


def _parse(text: str, filename: str, known_controls: Collection[str] | None) -> LoadedModel:
    root = _compose(text, filename)
    where = _Where(filename, root)
    reader = _Reader(where)
    data = reader.value(root, (), 0) if root is not None else None
    if data is None and not reader.problems:
        raise InputError([Problem("the model file is empty", Location(filename, 1, 1),
                                  "start with `name: <system name>` and a list of `elements:`")])
    if not isinstance(data, dict):
        problems = [*reader.problems, where.problem(
            (), f"the top level must be a mapping of fields, but it is {_describe(data)}",
            hint="start with `name: <system name>`, then `elements:`, `flows:` and so on")]
        raise InputError(_sorted(problems))
    problems = list(reader.problems)
    try:
        system: System | None = System.model_validate(data)
    except ValidationError as exc:
        system = None
        problems += _schema_problems(exc.errors(), where, reader)
    parts = _Parts.of_system(system) if system else _Parts.of_data(data)
    problems += _Checker(where, parts, data, known_controls).run()
    if problems or system is None:
        raise InputError(_sorted(problems))
    return LoadedModel(system=system, path=Path(filename), locations=where.values)


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
class _Where:
    """Positions of values, and a factory for located problems.

    Key positions are only needed for a few problems (unknown fields), so instead of recording one per
    key (a third of the walk), they are looked up in the node tree when asked for.
    """

    filename: str
    root: yaml.Node | None = None
    values: dict[FieldPath, Position] = field(default_factory=dict)

    def at(self, path: FieldPath, *, key: bool = False) -> Location:
        key_node = _key_node(self.root, path) if key and self.root is not None else None
        position = _position(key_node) if key_node is not None else _closest(self.values, path)
        line, column = position if position else (None, None)
        return Location(file=self.filename, line=line, column=column, path=format_path(path) or None)

    def line_of(self, path: FieldPath) -> int | None:
        return self.at(path).line

    def problem(self, path: FieldPath, message: str, hint: str | None = None, *,
                key: bool = False) -> Problem:
        return Problem(message, self.at(path, key=key), hint)


def _closest(table: Mapping[FieldPath, Position], path: FieldPath) -> Position | None:
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


def _position(node: yaml.Node) -> Position:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def _sorted(problems: list[Problem]) -> list[Problem]:
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


def _compose(text: str, filename: str) -> yaml.Node | None:
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


class _Reader:
    """Turns composed YAML nodes into plain data, recording where each value and key sits."""

    def __init__(self, where: _Where) -> None:
        self.where = where
        self.problems: list[Problem] = []
        self.bad_paths: set[FieldPath] = set()  # already reported; schema errors there would repeat it
        self.raw: dict[FieldPath, str] = {}  # source text of scalars YAML did not read as text
        self._built: dict[int, object] = {}
        self._open: set[int] = set()

    def value(self, node: yaml.Node, path: FieldPath, depth: int) -> object:
        position = self.where.values[path] = _position(node)
        if node.tag in _TEXT_TAGS and isinstance(node, yaml.ScalarNode):  # the common case, kept short
            return node.value
        result = self._build(node, path, depth)
        self.where.values[path] = position  # again: a merge walks its source at this same path
        return result

    def _fail(self, path: FieldPath, message: str, hint: str | None = None,
              node: yaml.Node | None = None) -> None:
        """Record a problem at ``path`` (or at ``node``, for keys); schema errors there are then dropped."""
        self.bad_paths.add(path)
        if node is None:
            self.problems.append(self.where.problem(path, message, hint))
            return
        line, column = _position(node)
        location = Location(self.where.filename, line, column, format_path(path) or None)
        self.problems.append(Problem(message, location, hint))

    def _build(self, node: yaml.Node, path: FieldPath, depth: int) -> object:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        # An alias yields the very node object it names: share the built value instead of walking it
        # again, so "billion laughs" input costs linear time, and a node met inside itself is a loop.
        node_key = id(node)
        if node_key in self._built:
            return self._built[node_key]
        if node_key in self._open:
            self._fail(path, f"the alias {_at(path)} refers to a node that contains it",
                       "aliases (*name) may not point back into their own anchor")
            return None
        if depth > _MAX_DEPTH:
            self._fail(path, f"the data {_at(path)} is nested deeper than {_MAX_DEPTH} levels")
            return None
        expected = _SEQ if isinstance(node, yaml.SequenceNode) else _MAP
        if node.tag != expected:
            self._unsupported(node, path)
            return None
        self._open.add(node_key)
        result: object = None
        if isinstance(node, yaml.SequenceNode):
            result = [self.value(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            result = self._mapping(node, path, depth)
        self._open.discard(node_key)
        self._built[node_key] = result
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
                self._fail(child, f"duplicate key '{name}' {_in(path)}; the first one is on line "
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
                self._fail(path, f"the merge key '<<' {_in(path)} needs a mapping or a list of mappings",
                           "write `<<: *name` where &name marks a mapping")
                continue
            merged = self.value(item, path, depth + 1)
            if isinstance(merged, dict):
                into.update(merged)
                self._note_merged_positions(item, path)

    def _note_merged_positions(self, item: yaml.MappingNode, path: FieldPath) -> None:
        for key_node, value_node in item.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                self.where.values[(*path, key_node.value)] = _position(value_node)

    def _key(self, node: yaml.Node, parent: FieldPath) -> str | None:
        if node.tag in _TEXT_TAGS and isinstance(node, yaml.ScalarNode):
            return str(node.value)
        if not isinstance(node, yaml.ScalarNode):
            self._fail(parent, f"a key {_in(parent)} is a list or mapping; keys must be plain names",
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
        try:
            value = reader(node)
        except (ValueError, KeyError, OverflowError):
            kind = tag.removeprefix(_TAG)
            self._fail(path, f"{_short(node.value)!r} {_at(path)} cannot be read as {kind}",
                       "remove the !!tag or fix the value")
            return None
        self.raw[path] = node.value
        return value

    def _unsupported(self, node: yaml.Node, path: FieldPath) -> None:
        tag = "!!" + node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else node.tag
        self._fail(path, f"unsupported YAML tag '{tag}' {_at(path)}",
                   "the model file uses plain YAML only: text, numbers, true/false, lists and mappings")


# -------------------------------------------------------------------------------------------- schema


def _schema_problems(errors: list[ErrorDetails], where: _Where, reader: _Reader) -> list[Problem]:
    problems = []
    for error in errors:
        path: FieldPath = tuple(error["loc"])
        if any(path[:n] in reader.bad_paths for n in range(len(path) + 1)):
            continue
        problems.append(_schema_problem(error, path, where, reader.raw))
    return problems


def _schema_problem(error: ErrorDetails, path: FieldPath, where: _Where,
                    raw: dict[FieldPath, str]) -> Problem:
    kind, value, shown = error["type"], error.get("input"), format_path(path)
    if kind == "extra_forbidden":
        return _unknown_field(path, where)
    if kind == "missing":
        return _missing_field(path, where)
    target = _type_at(path)
    if kind == "enum" and isinstance(target, type) and issubclass(target, Enum):
        return _bad_choice(path, value, [str(m.value) for m in target], where)
    if kind == "string_pattern_mismatch" and path[-1:] == ("id",) and isinstance(value, str):
        return where.problem(path, f"{value!r} at {shown} is not a valid id",
                             f"ids use lower-case letters, digits, '.', '_' and '-', and start with a letter "
                             f"or digit, e.g. '{_slug(value)}'")
    if kind == "string_too_short" and value == "":
        return where.problem(path, f"{shown} is empty", "write some text, or remove the field if optional")
    expected = _EXPECTED.get(kind)
    if expected:
        return where.problem(path, f"{shown} must be {expected}, but it is {_describe(value)}",
                             _type_hint(kind, value, raw.get(path)))
    message = error["msg"]
    return where.problem(path, f"{shown or 'the model file'}: {message[:1].lower()}{message[1:]} "
                               f"(got {_describe(value)})")


_EXPECTED = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "model_type": "a mapping of fields", "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
}


def _type_hint(kind: str, value: object, raw: str | None) -> str | None:
    if kind == "string_type" and raw is not None:
        return f"YAML reads {raw} as {_describe(value)}; put it in quotes: \"{raw}\""
    if kind == "list_type" and value is None:
        return "write [] for an empty list, or remove the field"
    if kind == "list_type":
        return "write a list: [a, b] on one line, or one '- item' per line"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "each entry is a mapping of `field: value` lines, e.g. `- id: api`"
    if kind.startswith("bool"):
        return "write true or false (unknown facts are simply left out)"
    return None


def _unknown_field(path: FieldPath, where: _Where) -> Problem:
    name, parent = str(path[-1]), path[:-1]
    owner = _type_at(parent)
    fields = sorted(owner.model_fields) if isinstance(owner, type) and issubclass(owner, BaseModel) else []
    guess = _close(name, fields)
    hint = f"did you mean '{guess}'?" if guess else f"allowed fields: {', '.join(fields)}"
    return where.problem(path, f"unknown field '{name}' {_in(parent)}", hint, key=True)


def _missing_field(path: FieldPath, where: _Where) -> Problem:
    name, parent = str(path[-1]), path[:-1]
    target = _type_at(path)
    hint = f"add `{name}: ...`"
    if isinstance(target, type) and issubclass(target, Enum):
        hint += f" (one of: {', '.join(str(m.value) for m in target)})"
    owner = format_path(parent) or "the model file"
    return where.problem(parent, f"{owner} is missing the required field '{name}'", hint)


def _bad_choice(path: FieldPath, value: object, allowed: list[str], where: _Where) -> Problem:
    shown = format_path(path)
    choices = f"allowed: {', '.join(allowed)}"
    if value is None:
        return where.problem(path, f"{shown} is empty", choices)
    guess = _close(str(value), allowed)
    hint = f"did you mean '{guess}'? {choices}" if guess else choices
    return where.problem(path, f"{_describe(value)} is not a valid value for {shown}", hint)


def _type_at(path: FieldPath) -> Any:
    """The annotated type at a field path, from System downwards (None when the path leaves the model)."""
    current: Any = System
    for part in path:
        current = _unwrap_optional(current)
        if isinstance(part, int):
            args = get_args(current)
            if get_origin(current) is not list or not args:
                return None
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return None
    return _unwrap_optional(current)


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        if len(args) == 1:
            return args[0]
    return annotation


# ------------------------------------------------------------------------------------------- meaning

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class _Parts:
    """The items that passed schema validation, each with its index in the file."""

    elements: list[tuple[int, Element]]
    flows: list[tuple[int, Flow]]
    trust_boundaries: list[tuple[int, TrustBoundary]]
    assets: list[tuple[int, Asset]]
    assumptions: list[tuple[int, Assumption]]
    countermeasures: list[tuple[int, CountermeasureSetting]]
    residual_risks: list[tuple[int, ResidualRiskSetting]]
    threats: list[tuple[int, ThreatRecord]]
    controls: list[tuple[int, CustomControl]]

    @classmethod
    def of_system(cls, system: System) -> _Parts:
        return cls(
            list(enumerate(system.elements)), list(enumerate(system.flows)),
            list(enumerate(system.trust_boundaries)), list(enumerate(system.assets)),
            list(enumerate(system.assumptions)), list(enumerate(system.countermeasures)),
            list(enumerate(system.residual_risks)), list(enumerate(system.threats)),
            list(enumerate(system.controls)),
        )

    @classmethod
    def of_data(cls, data: dict[str, object]) -> _Parts:
        """When the whole file fails validation, still check the cross-references of the valid items."""
        return cls(
            _valid(data, "elements", Element), _valid(data, "flows", Flow),
            _valid(data, "trust_boundaries", TrustBoundary), _valid(data, "assets", Asset),
            _valid(data, "assumptions", Assumption), _valid(data, "countermeasures", CountermeasureSetting),
            _valid(data, "residual_risks", ResidualRiskSetting), _valid(data, "threats", ThreatRecord),
            _valid(data, "controls", CustomControl),
        )


def _valid(data: dict[str, object], section: str, model: type[_M]) -> list[tuple[int, _M]]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    result = []
    for index, item in enumerate(items):
        with contextlib.suppress(ValidationError):
            result.append((index, model.model_validate(item)))
    return result


class _Checker:
    """Cross-reference checks. Ids come from the raw data, so a reference to an item that failed schema
    validation (and is already reported) is not reported a second time as missing."""

    def __init__(self, where: _Where, parts: _Parts, data: dict[str, object],
                 known_controls: Collection[str] | None) -> None:
        self.where = where
        self.parts = parts
        self.data = data
        self.known_controls = known_controls if known_controls is None else frozenset(known_controls)
        self.problems: list[Problem] = []
        self.first_use: dict[str, FieldPath] = {}  # id -> path of the item that declared it first
        self.ids: dict[str, set[str]] = {section: set() for section in ID_SECTIONS}
        self.suggestion_budget = _SUGGESTION_BUDGET

    def run(self) -> list[Problem]:
        self._index_ids()
        self._check_elements()
        self._check_flows()
        self._check_boundaries()
        for index, asset in self.parts.assets:
            self._element_refs(("assets", index, "stored_in"), asset.stored_in)
        for index, assumption in self.parts.assumptions:
            self._element_refs(("assumptions", index, "elements"), assumption.elements)
        self._check_stated_threats()
        self._check_countermeasures()
        self._check_residual_risks()
        return self.problems

    def _check_stated_threats(self) -> None:
        """Threats and custom controls written in the file (by a person or an import)."""
        self.custom_controls: dict[str, FieldPath] = {}
        for index, control in self.parts.controls:
            path: FieldPath = ("controls", index, "id")
            if control.id in self.custom_controls:
                self.add(path, f"duplicate control id '{control.id}' (first on line "
                         f"{self.where.line_of(self.custom_controls[control.id])})", "rename one")
            self.custom_controls.setdefault(control.id, path)
        self.stated_threats: dict[str, FieldPath] = {}
        for index, threat in self.parts.threats:
            path = ("threats", index, "id")
            if threat.id in self.stated_threats:
                self.add(path, f"duplicate threat id '{threat.id}' (first on line "
                         f"{self.where.line_of(self.stated_threats[threat.id])})", "rename one")
            self.stated_threats.setdefault(threat.id, path)
            self._element_refs(("threats", index, "elements"), threat.elements)
            for position, flow_id in enumerate(threat.flows):
                self._reference(("threats", index, "flows", position), flow_id, "flows")
            known = set(self.custom_controls) | set(self.known_controls or ())
            for position, control_id in enumerate(threat.controls):
                if self.known_controls is not None and control_id not in known:
                    guess = self.suggest(control_id, known)
                    hint = f"did you mean '{guess}'?" if guess else "declare it under controls (ids start with X-)"
                    self.add(("threats", index, "controls", position),
                             f"threats[{index}].controls names '{control_id}', which is neither a catalogue "
                             "control nor a custom control", hint)

    def add(self, path: FieldPath, message: str, hint: str | None = None) -> None:
        self.problems.append(self.where.problem(path, message, hint))

    def suggest(self, word: str, choices: Collection[str]) -> str | None:
        if len(choices) > self.suggestion_budget:
            return None
        self.suggestion_budget -= len(choices)
        return _close(word, choices)

    def _index_ids(self) -> None:
        declared = []
        for section in ID_SECTIONS:
            items = self.data.get(section)
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    position = self.where.values.get((section, index, "id"), (0, 0))
                    declared.append((position, section, index, item["id"]))
        # Ids share one namespace; "first" means first in the file, whatever order the sections come in.
        for _position, section, index, item_id in sorted(declared, key=lambda d: d[0]):
            self.ids[section].add(item_id)
            path = (section, index, "id")
            first = self.first_use.setdefault(item_id, path)
            if first != path:
                self.add(path, f"duplicate id '{item_id}' at {format_path(path)}; {format_path(first[:2])} "
                         f"on line {self.where.line_of(first)} already uses it",
                         "ids are shared by elements, flows, trust boundaries, assets and assumptions; "
                         "rename one")

    def _reference(self, path: FieldPath, ref: str, section: str) -> bool:
        """Report ``ref`` at ``path`` unless it names an item of ``section``; True when it does."""
        if ref in self.ids[section]:
            return True
        what = _SINGULAR[section]
        other = self.first_use.get(ref)
        if other is not None:
            actual = _article(_SINGULAR[str(other[0])])
            self.add(path, f"{format_path(path)} names '{ref}', which is {actual}, not {_article(what)}",
                     f"refer to {_article(what)} id here")
            return False
        guess = self.suggest(ref, self.ids[section])
        hint = f"did you mean '{guess}'?" if guess else f"declare it under {section}, or fix the id"
        self.add(path, f"{format_path(path)} names {what} '{ref}', which does not exist", hint)
        return False

    def _element_refs(self, path: FieldPath, refs: list[str]) -> None:
        for position, ref in enumerate(refs):
            self._reference((*path, position), ref, "elements")

    def _check_elements(self) -> None:
        for index, element in self.parts.elements:
            for name in ("permissions", "acts_on"):
                if getattr(element, name) is not None and element.kind is not Kind.tool:
                    self.add(("elements", index, name),
                             f"elements[{index}].{name} is set, but '{element.id}' has kind "
                             f"'{element.kind.value}'; {name} only applies to tools",
                             f"set `kind: tool` if it is a tool, or remove `{name}`")
            if element.acts_on is not None:
                self._reference(("elements", index, "acts_on"), element.acts_on, "elements")

    def _check_flows(self) -> None:
        for index, flow in self.parts.flows:
            known_source = self._reference(("flows", index, "source"), flow.source, "elements")
            known_target = self._reference(("flows", index, "target"), flow.target, "elements")
            if flow.source == flow.target and known_source and known_target:
                self.add(("flows", index, "target"),
                         f"flows[{index}] starts and ends at '{flow.source}'",
                         "a flow connects two different elements; describe work inside one element "
                         "with its facts instead")

    def _check_boundaries(self) -> None:
        boundaries = self.parts.trust_boundaries
        by_id: dict[str, tuple[int, TrustBoundary]] = {}
        for index, boundary in boundaries:
            by_id.setdefault(boundary.id, (index, boundary))
        for index, boundary in boundaries:
            if boundary.parent is not None:
                self._reference(("trust_boundaries", index, "parent"), boundary.parent, "trust_boundaries")
        cyclic = self._boundary_cycles(by_id)
        ancestors = {b.id: _ancestors(b.id, by_id) for _i, b in boundaries if b.id not in cyclic}
        homes: dict[str, list[tuple[str, FieldPath]]] = {}
        for index, boundary in boundaries:
            listed: dict[str, FieldPath] = {}
            for position, element_id in enumerate(boundary.elements):
                path: FieldPath = ("trust_boundaries", index, "elements", position)
                if element_id in listed:
                    first_line = self.where.line_of(listed[element_id])
                    self.add(path, f"trust boundary '{boundary.id}' lists '{element_id}' twice (first on "
                             f"line {first_line})", "remove the second entry")
                    continue
                listed[element_id] = path
                if not self._reference(path, element_id, "elements"):
                    continue
                self._check_home(boundary.id, element_id, path, homes.setdefault(element_id, []), ancestors)

    def _check_home(self, boundary_id: str, element_id: str, path: FieldPath,
                    homes: list[tuple[str, FieldPath]], ancestors: dict[str, set[str]]) -> None:
        for other_id, other_path in homes:
            if boundary_id not in ancestors or other_id not in ancestors:
                continue  # part of a parent loop, which is reported already
            nested = other_id in ancestors[boundary_id] or boundary_id in ancestors[other_id]
            if not nested and other_id != boundary_id:
                self.add(path, f"element '{element_id}' is in trust boundaries '{other_id}' (line "
                         f"{self.where.line_of(other_path)}) and '{boundary_id}', which are not nested",
                         f"an element sits in one zone; if '{boundary_id}' is inside '{other_id}', "
                         f"set `parent: {other_id}` on it, otherwise remove one entry")
                return
        homes.append((boundary_id, path))

    def _boundary_cycles(self, by_id: dict[str, tuple[int, TrustBoundary]]) -> set[str]:
        """Report each loop of `parent` links once, at the first boundary of the loop in the file."""
        state: dict[str, str] = {}
        cyclic: set[str] = set()
        for start in by_id:
            chain: list[str] = []
            current: str | None = start
            while current in by_id and current not in state:
                state[current] = "open"
                chain.append(current)
                current = by_id[current][1].parent
            if current is not None and state.get(current) == "open":
                loop = chain[chain.index(current):]
                cyclic.update(loop)
                first = min(loop, key=lambda b: by_id[b][0])
                shown = " -> ".join([*loop[loop.index(first):], *loop[:loop.index(first)], first])
                self.add(("trust_boundaries", by_id[first][0], "parent"),
                         f"trust boundary parents form a loop: {shown}",
                         "a boundary cannot (indirectly) contain itself; remove one `parent`")
            for boundary_id in chain:
                state[boundary_id] = "done"
        return cyclic

    def _check_countermeasures(self) -> None:
        known = self.known_controls
        for index, setting in self.parts.countermeasures:
            path: FieldPath = ("countermeasures", index, "control")
            if known is not None and setting.control not in known:
                guess = self.suggest(setting.control, known)
                hint = f"did you mean '{guess}'?" if guess else "use a control id from the catalogue"
                self.add(path, f"{format_path(path)} names control '{setting.control}', which is not in the "
                         "catalogue", hint)
            for position, threat_id in enumerate(setting.threats or []):
                self._threat_ref(("countermeasures", index, "threats", position), threat_id)

    def _check_residual_risks(self) -> None:
        seen: dict[str, FieldPath] = {}
        for index, setting in self.parts.residual_risks:
            path: FieldPath = ("residual_risks", index, "threat")
            self._threat_ref(path, setting.threat)
            if setting.threat in seen:
                first_line = self.where.line_of(seen[setting.threat])
                self.add(path, f"a second residual-risk decision for '{setting.threat}' (the first is on "
                         f"line {first_line})", "keep one decision per threat")
            seen.setdefault(setting.threat, path)

    def _threat_ref(self, path: FieldPath, threat_id: str) -> None:
        if threat_id in getattr(self, "stated_threats", {}):
            return
        match = THREAT_ID.match(threat_id)
        if match is None:
            self.add(path, f"{format_path(path)} is '{threat_id}', which is not a threat id",
                     "threat ids look like RULE@element or RULE@element@flow, e.g. T-LLM-001@chatbot; copy "
                     "them from the analysis output")
            return
        self._reference(path, match["element"], "elements")
        if match["flow"] is not None:
            self._reference(path, match["flow"], "flows")


def _ancestors(boundary_id: str, by_id: dict[str, tuple[int, TrustBoundary]]) -> set[str]:
    found: set[str] = set()
    parent = by_id[boundary_id][1].parent
    while parent in by_id and parent not in found:
        found.add(parent)
        parent = by_id[parent][1].parent
    return found


# ------------------------------------------------------------------------------------------- wording


def _close(word: str, choices: Collection[str]) -> str | None:
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _in(path: FieldPath) -> str:
    return f"in {format_path(path)}" if path else "at the top level"


def _at(path: FieldPath) -> str:
    return f"at {format_path(path)}" if path else "at the top level"


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(_short(value))
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-_.")
    return slug or "my-id"

