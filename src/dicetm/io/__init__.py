"""Importers of other threat-modeling tools' files, at the edge of dicetm.

Foreign shapes stop here: each importer maps one format to a :class:`~dicetm.model.System` and lists
whatever it could not map (with the path in the source file). The public API:

- :func:`load_file` ``(format, path) -> ImportResult``: read, detect, map, render and validate one file.
- :func:`load_data` ``(format, data, source_name) -> ImportResult``: the same for text, bytes or already
  decoded JSON/YAML data (what the exporters' round-trip tests use).
- :data:`IMPORTERS`: the registry, keyed by the FORMAT name of ``dicetm import``.

Every failure is an :class:`~dicetm.errors.InputError` that names the file and the path inside it.
"""

from __future__ import annotations

from pathlib import Path

from dicetm.errors import InputError, Location, Problem
from dicetm.io.document import decode, measure
from dicetm.io.import_mcp import McpConfigImporter
from dicetm.io.import_otm import OtmImporter
from dicetm.io.import_threagile import ThreagileImporter
from dicetm.io.import_threat_composer import ThreatComposerImporter
from dicetm.io.import_threat_dragon import ThreatDragonImporter
from dicetm.io.import_tmbom import TmBomImporter
from dicetm.io.interface import Importer, ImportResult, Unmapped
from dicetm.io.modelyaml import render
from dicetm.io.sourcekeep import seal

IMPORTERS: dict[str, Importer] = {
    importer.name: importer
    for importer in (ThreatDragonImporter(), OtmImporter(), ThreagileImporter(), ThreatComposerImporter(),
                     McpConfigImporter(), TmBomImporter())
}
FORMATS = tuple(IMPORTERS)
CARRIED = {name: importer.carried for name, importer in IMPORTERS.items()}


def load_file(format: str, path: Path | str) -> ImportResult:
    """Import one file; InputError when it cannot be read, is not of ``format`` or does not map."""
    path = Path(path)
    importer = _importer(format)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        hint = "pass the file exported by the other tool" if not path.is_dir() else "pass a file, not a folder"
        raise InputError([Problem(f"cannot read the file: {exc.strerror or exc}", Location(file=str(path)),
                                  hint)]) from None
    return _convert(importer, decode(raw, str(path)), str(path))


def load_data(format: str, data: object, source_name: str) -> ImportResult:
    """Import a document given as text, bytes or decoded data; ``source_name`` is used in locations."""
    importer = _importer(format)
    if isinstance(data, str | bytes):
        decoded = decode(data, source_name)
    else:
        measure(data, source_name)
        decoded = data
    return _convert(importer, decoded, source_name)


def detect(data: object) -> list[str]:
    """The formats whose shape decoded data has (usually one, or none)."""
    return [name for name, importer in IMPORTERS.items() if importer.detect(data)]


def _importer(format: str) -> Importer:
    importer = IMPORTERS.get(format)
    if importer is None:
        raise InputError([Problem(f"unknown import format '{format}'", Location(),
                                  f"use one of: {', '.join(FORMATS)}")])
    return importer


def _convert(importer: Importer, data: object, source: str) -> ImportResult:
    if not importer.detect(data):
        raise InputError([_wrong_format(importer, data, source)])
    draft = importer.convert(data, source)
    draft.system = seal(draft.system)
    known = _catalog_controls() | {c.id for c in draft.system.controls}
    text, system = render(draft.system, source, importer.title, draft.unmapped, draft.notes, known)
    return ImportResult(format=importer.name, source=source, system=system, text=text,
                        unmapped=draft.unmapped, notes=draft.notes)


def _wrong_format(importer: Importer, data: object, source: str) -> Problem:
    others = [name for name in detect(data) if name != importer.name]
    where = Location(file=source, path="$")
    if others:
        return Problem(f"the file is not in the {importer.title} format ({importer.name}); it looks like "
                       f"{IMPORTERS[others[0]].title} ({others[0]})", where,
                       f"run `dicetm import {others[0]} {source}`")
    return Problem(f"the file is not in the {importer.title} format ({importer.name}): its top level does not "
                   "have that format's shape", where,
                   f"check the file, or choose the format that matches it: {', '.join(FORMATS)}")


def _catalog_controls() -> set[str]:
    from dicetm.catalog import load_catalog

    return set(load_catalog().controls)


__all__ = ["CARRIED", "FORMATS", "IMPORTERS", "ImportResult", "Importer", "Unmapped", "detect", "load_data",
           "load_file"]
