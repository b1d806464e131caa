"""Read the packaged data files (and an installed ATLAS file, if any) into a Catalog, once per process."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dicetm.catalog import userdata
from dicetm.catalog.atlas_source import AtlasData, parse_atlas_file
from dicetm.catalog.entries import Control, Entry
from dicetm.catalog.index import Catalog, atlas_entries
from dicetm.catalog.yamlsrc import dotted, line_of, load_yaml
from dicetm.errors import CatalogError, Location, Problem

CATALOG_VERSION = "2026.11"
# Load order is the order of namespaces in Catalog.namespaces() and entries().
ENTRY_FILES = (
    "stride.yaml", "owasp_llm.yaml", "owasp_llm_2026.yaml", "owasp_agentic.yaml", "atlas.yaml", "cwe.yaml",
    "frameworks.yaml",
)
ATLAS_FILE = "atlas.yaml"
CONTROLS_FILE = "controls.yaml"

Model = TypeVar("Model", bound=BaseModel)


class _RawEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    url: str | None = None
    related: dict[str, list[str]] = Field(default_factory=dict)
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    version: str | None = None
    url: str | None = None
    entries: list[_RawEntry] = Field(min_length=1)


class _PackagedAtlas(AtlasData):
    """Our atlas.yaml has the AtlasData shape; every object must carry our description."""

    def missing_descriptions(self) -> list[str]:
        return [o.id for o in self.objects() if not o.description.strip()]


def _validate(model: type[Model], data: Any, file: str, path: list[int | str]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = [*path, *error["loc"]]
            problems.append(Problem(error["msg"], Location(file=file, line=line_of(data, error["loc"]),
                                                           path=dotted(where) or None)))
        raise CatalogError(problems) from exc


def _unique(ids: list[tuple[str, list[int | str]]], data: Any, file: str, what: str) -> None:
    seen: set[str] = set()
    problems = []
    for ident, path in ids:
        if ident in seen:
            problems.append(Problem(f"duplicate {what} {ident}", Location(file=file, line=line_of(data, path),
                                                                          path=dotted(path))))
        seen.add(ident)
    if problems:
        raise CatalogError(problems)


def parse_entry_file(text: str, file: str) -> list[Entry]:
    """Parse a data file of the form ``{namespace: {title, version?, url?, entries: [...]}}``."""
    data = load_yaml(text, file)
    if not isinstance(data, dict) or not data:
        problem = Problem("expected a mapping of namespace -> section", Location(file=file, line=1))
        raise CatalogError([problem])
    entries: list[Entry] = []
    for namespace, raw in data.items():
        section = _validate(_Section, raw, file, [str(namespace)])
        _unique([(e.id, [namespace, "entries", i]) for i, e in enumerate(section.entries)], data, file, "id")
        entries += [Entry(ref=f"{namespace}:{e.id}", namespace=str(namespace), **e.model_dump())
                    for e in section.entries]
    return entries


def parse_packaged_atlas(text: str, file: str) -> AtlasData:
    """Parse our compact atlas.yaml (ids, names, links, our descriptions)."""
    data = load_yaml(text, file)
    atlas = _validate(_PackagedAtlas, data, file, [])
    ids: list[tuple[str, list[int | str]]] = [(o.id, ["tactics", i]) for i, o in enumerate(atlas.tactics)]
    ids += [(o.id, ["techniques", i]) for i, o in enumerate(atlas.techniques)]
    ids += [(o.id, ["mitigations", i]) for i, o in enumerate(atlas.mitigations)]
    _unique(ids, data, file, "ATLAS id")
    missing = atlas.missing_descriptions()
    if missing:
        raise CatalogError([Problem(f"ATLAS objects without a description: {', '.join(missing)}",
                                    Location(file=file))])
    return atlas


def parse_controls(text: str, file: str) -> list[Control]:
    data = load_yaml(text, file)
    if not isinstance(data, list):
        raise CatalogError([Problem("expected a list of controls", Location(file=file, line=1))])
    problems: list[Problem] = []
    controls: list[Control] = []
    for index, item in enumerate(data):
        try:
            controls.append(_validate(Control, item, file, [index]))
        except CatalogError as exc:
            problems += exc.problems
    if problems:
        raise CatalogError(problems)
    _unique([(c.id, [i]) for i, c in enumerate(controls)], data, file, "control id")
    return controls


def _read(name: str) -> str:
    try:
        return resources.files("dicetm.catalog").joinpath("data", name).read_text(encoding="utf-8")
    except OSError as exc:
        problem = Problem(f"cannot read packaged data file: {exc}", Location(file=f"catalog/data/{name}"),
                          hint="reinstall dicetm")
        raise CatalogError([problem]) from exc


@cache
def _packaged() -> Catalog:
    entries: list[Entry] = []
    atlas_version = ""
    for name in ENTRY_FILES:
        file = f"catalog/data/{name}"
        if name == ATLAS_FILE:
            atlas = parse_packaged_atlas(_read(name), file)
            atlas_version = atlas.version
            entries += atlas_entries(atlas)
        else:
            entries += parse_entry_file(_read(name), file)
    duplicates = sorted(_seen_twice(entries))
    if duplicates:
        raise CatalogError(f"catalogue refs defined twice: {', '.join(duplicates)}")
    controls = parse_controls(_read(CONTROLS_FILE), f"catalog/data/{CONTROLS_FILE}")
    catalog = Catalog(entries, controls, CATALOG_VERSION, atlas_version)
    _check_crosswalk(catalog)
    return catalog


def _check_crosswalk(catalog: Catalog) -> None:
    """Every id the OWASP LLM crosswalk names is an entry of the catalogue."""
    from dicetm.catalog.editions import CROSSWALK_FILE, crosswalk

    refs = [ref for pair in crosswalk().pairs
            for ref in (pair.ref_2025, pair.ref_2026, *(e.see for e in pair.excludes))]
    missing = sorted({ref for ref in refs if catalog.resolve(ref) != ref})
    if missing:
        raise CatalogError([Problem(f"the crosswalk names ids the catalogue lacks: {', '.join(missing)}",
                                    Location(file=f"catalog/data/{CROSSWALK_FILE}"))])


def _seen_twice(entries: list[Entry]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for entry in entries:
        (twice if entry.ref in seen else seen).add(entry.ref)
    return twice


@cache
def _with_atlas_file(atlas_file: str) -> Catalog:
    return _packaged().with_atlas(parse_atlas_file(atlas_file))


_installed: tuple[str, Catalog] | None = None  # (sha256 of the installed ATLAS file, catalogue built on it)


def load_catalog(atlas_file: str | Path | None = None) -> Catalog:
    """The catalogue, built once per process and reused while its sources stay the same.

    By default the ATLAS entries come from the file installed with ``dicetm catalog import-atlas`` (see
    ``userdata``), else from the packaged data; a broken installation falls back to the packaged data and
    ``userdata.atlas_status()`` says why. ``atlas_file``: use this MITRE ATLAS.yaml instead (raises
    CatalogError if it is malformed).
    """
    global _installed
    if atlas_file is not None:
        return _with_atlas_file(str(atlas_file))
    status, data = userdata.installed_atlas()
    if data is None or status.manifest is None:
        return _packaged()
    if _installed is None or _installed[0] != status.manifest.sha256:
        _installed = (status.manifest.sha256, _packaged().with_atlas(data))
    return _installed[1]


def clear_catalog_cache() -> None:
    """Forget every catalogue built so far except the packaged one (for tests, or after editing files by hand)."""
    global _installed
    _installed = None
    _with_atlas_file.cache_clear()
    userdata.clear_cache()
