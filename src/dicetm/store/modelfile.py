"""Load the model file (``dicetm.yaml``) into a System, with every mistake located by file, line and column.

Three passes, each collecting problems rather than stopping at the first one, so one run reports every
mistake:

1. YAML (``modelreader``): the text to plain data with the position of every value; duplicate keys, unsafe
   tags, alias loops and alias bombs are caught here.
2. Schema (``modelcheck``): pydantic validates the data; each of its errors becomes a problem at the node.
3. Meaning (``modelcheck``): duplicate ids and cross-references, in linear time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pydantic import ValidationError

from dicetm.errors import InputError, Location, Problem, StoreError
from dicetm.gcpause import gc_paused
from dicetm.model.proposals import ProposalFile
from dicetm.model.system import System
from dicetm.store.modelcheck import ID_SECTIONS, Checker, Parts
from dicetm.store.modelreader import (
    FieldPath,
    Position,
    Reader,
    Where,
    closest,
    compose,
    decode_model,
    describe_value,
    format_path,
    sorted_problems,
)
from dicetm.store.modelschema import boolean_problems, schema_problems

MODEL_FILENAMES = ("dicetm.yaml", "dicetm.yml")
__all__ = ["MODEL_FILENAMES", "FieldPath", "LazyLocations", "LoadedModel", "Position", "decode_model", "format_path",
           "load_system", "parse_system_text", "read_model_bytes", "resolve_model_path"]


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
        position = closest(self.locations, wanted)
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
            root = compose(self._text, self._filename)
            where = Where(self._filename, root)
            if root is not None:
                Reader(where, own_text=len(self._text)).value(root, (), 0)
            self._table = where.values
        return self._table

    def __getitem__(self, key: FieldPath) -> Position:
        return self.table[key]

    def __iter__(self) -> Iterator[FieldPath]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


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
    from dicetm.store.wsfiles import read_bytes

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
    root = compose(text, filename)
    where = Where(filename, root)
    reader = Reader(where, own_text=len(text))
    data = reader.value(root, (), 0) if root is not None else None
    if data is None and not reader.problems:
        raise InputError([Problem("the model file is empty", Location(filename, 1, 1),
                                  "start with `name: <system name>` and a list of `elements:`")])
    if not isinstance(data, dict):
        problems = [*reader.problems, where.problem(
            (), f"the top level must be a mapping of fields, but it is {describe_value(data)}",
            hint="start with `name: <system name>`, then `elements:`, `flows:` and so on")]
        raise InputError(sorted_problems(problems))
    problems = [*reader.problems, *boolean_problems(data, where, reader)]
    try:
        system: System | None = System.model_validate(data)
    except ValidationError as exc:
        system = None
        problems += schema_problems(exc.errors(), where, reader)
    parts = Parts.of_system(system) if system else Parts.of_data(data)
    problems += Checker(where, parts, data, known_controls).run()
    if problems or system is None:
        raise InputError(sorted_problems(problems))
    return LoadedModel(system=system, path=Path(filename), locations=where.values)


