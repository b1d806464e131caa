"""Read MITRE's published ``ATLAS.yaml`` (legacy format 4.x/5.x) into plain pydantic data.

Only ids, names, descriptions and relationships are kept: tactics, techniques with their tactics
and parent, and mitigations with the techniques they address. Sub-techniques carry no tactics in
MITRE's file; they inherit their parent's, as on the ATLAS website.

Known quirk (5.6.0): AML.M0018 and AML.M0034 each have a technique link (``{id: ..., use: ...}``)
misplaced inside ``ml-lifecycle`` instead of ``techniques``. Such links are recovered into the
mitigation's techniques and reported in ``AtlasData.warnings``; other non-string items are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dicetm.catalog.yamlsrc import dotted, line_of, load_yaml
from dicetm.errors import CatalogError, Location, Problem

TACTIC_ID = re.compile(r"^AML\.TA\d{4}$")
TECHNIQUE_ID = re.compile(r"^AML\.T\d{4}(\.\d{3})?$")
MITIGATION_ID = re.compile(r"^AML\.M\d{4}$")
# Keys of a mitigation that hold lists of labels; a technique link found there is a misplaced one.
_LABEL_LISTS = ("ml-lifecycle", "category")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AtlasObject(_Frozen):
    id: str
    name: str
    description: str = ""


class AtlasTactic(AtlasObject):
    pass


class AtlasTechnique(AtlasObject):
    tactics: list[str] = Field(description="Tactic ids; a sub-technique lists its parent's.")
    parent: str | None = Field(None, description="Parent technique id for a sub-technique.")


class AtlasMitigation(AtlasObject):
    techniques: list[str] = Field(default_factory=list, description="Technique ids the mitigation addresses.")


class AtlasData(_Frozen):
    version: str
    tactics: list[AtlasTactic]
    techniques: list[AtlasTechnique]
    mitigations: list[AtlasMitigation]
    warnings: list[str] = Field(default_factory=list, description="Quirks tolerated while reading.")

    def objects(self) -> list[AtlasObject]:
        """Tactics, techniques and mitigations, in that order."""
        return [*self.tactics, *self.techniques, *self.mitigations]


class _Reader:
    """Collects problems while walking the loaded document, so all of them are reported at once."""

    def __init__(self, doc: Any, file: str) -> None:
        self.doc = doc
        self.file = file
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def problem(self, message: str, path: list[int | str], hint: str | None = None) -> None:
        where = Location(file=self.file, line=line_of(self.doc, path), path=dotted(path) or None)
        self.problems.append(Problem(message, where, hint))

    def items(self, container: Any, key: str, path: list[int | str]) -> list[tuple[list[int | str], Any]]:
        value = container.get(key) if isinstance(container, dict) else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(f"`{key}` must be a list, got {type(value).__name__}", [*path, key])
            return []
        return [([*path, key, index], item) for index, item in enumerate(value)]

    def base(self, item: Any, path: list[int | str], pattern: re.Pattern[str],
             kind: str) -> tuple[str, str] | None:
        if not isinstance(item, dict):
            self.problem(f"{kind} must be a mapping, got {type(item).__name__}", path)
            return None
        ident, name = item.get("id"), item.get("name")
        ok = True
        if not isinstance(ident, str) or not pattern.match(ident):
            self.problem(f"{kind} id {ident!r} is missing or not of the form {pattern.pattern}",
                         [*path, "id"])
            ok = False
        if not isinstance(name, str) or not name.strip():
            self.problem(f"{kind} {ident!r} has no name", [*path, "name"])
            ok = False
        description = item.get("description", "")
        if not isinstance(description, str):
            self.problem(f"{kind} {ident!r}: description must be text", [*path, "description"])
            ok = False
        return (str(ident), str(name).strip()) if ok else None


def _description(item: dict[str, Any]) -> str:
    value = item.get("description", "")
    return value.strip() if isinstance(value, str) else ""


def parse_atlas_text(text: str, file: str = "<ATLAS.yaml>") -> AtlasData:
    """Parse the text of an ATLAS.yaml file; raise CatalogError listing every located problem."""
    doc = load_yaml(text, file)
    reader = _Reader(doc, file)
    if not isinstance(doc, dict):
        raise CatalogError([Problem("ATLAS file must be a mapping with `version` and `matrices`",
                                    Location(file=file, line=1))])
    version = doc.get("version")
    if not isinstance(version, str | int | float) or isinstance(version, bool):
        reader.problem("`version` is missing or not a version string", ["version"])
    matrices = reader.items(doc, "matrices", [])
    if not matrices and not any(p.location.path == "matrices" for p in reader.problems):
        reader.problem("`matrices` is missing or empty", ["matrices"])

    tactics: dict[str, AtlasTactic] = {}
    raw_techniques: dict[str, tuple[list[int | str], dict[str, Any]]] = {}
    raw_mitigations: dict[str, tuple[list[int | str], dict[str, Any]]] = {}

    def seen(ident: str, table: dict[str, Any], path: list[int | str]) -> bool:
        if ident in table:
            reader.problem(f"duplicate id {ident}", [*path, "id"])
            return True
        return False

    mitigation_lists = reader.items(doc, "mitigations", [])
    for mpath, matrix in matrices:
        if not isinstance(matrix, dict):
            reader.problem("matrix must be a mapping", mpath)
            continue
        for path, item in reader.items(matrix, "tactics", mpath):
            base = reader.base(item, path, TACTIC_ID, "tactic")
            if base and not seen(base[0], tactics, path):
                tactics[base[0]] = AtlasTactic(id=base[0], name=base[1], description=_description(item))
        for path, item in reader.items(matrix, "techniques", mpath):
            base = reader.base(item, path, TECHNIQUE_ID, "technique")
            if base and not seen(base[0], raw_techniques, path):
                raw_techniques[base[0]] = (path, item)
        mitigation_lists += reader.items(matrix, "mitigations", mpath)
    for path, item in mitigation_lists:
        base = reader.base(item, path, MITIGATION_ID, "mitigation")
        if base and not seen(base[0], raw_mitigations, path):
            raw_mitigations[base[0]] = (path, item)

    techniques = _techniques(reader, raw_techniques, tactics)
    mitigations = _mitigations(reader, raw_mitigations, techniques)
    if reader.problems:
        raise CatalogError(reader.problems)
    return AtlasData(version=str(version), tactics=list(tactics.values()),
                     techniques=list(techniques.values()), mitigations=mitigations, warnings=reader.warnings)


def _techniques(reader: _Reader, raw: dict[str, tuple[list[int | str], dict[str, Any]]],
                tactics: dict[str, AtlasTactic]) -> dict[str, AtlasTechnique]:
    own_tactics: dict[str, list[str]] = {}
    for ident, (path, item) in raw.items():
        parent = item.get("subtechnique-of")
        listed = item.get("tactics")
        if parent is None and listed is None:
            reader.problem(f"technique {ident} has neither `tactics` nor `subtechnique-of`", path)
            continue
        if parent is not None and (not isinstance(parent, str) or parent not in raw):
            reader.problem(f"technique {ident}: parent {parent!r} is not a technique in this file",
                           [*path, "subtechnique-of"])
        if parent is not None and "." in str(parent).removeprefix("AML."):
            reader.problem(f"technique {ident}: parent {parent} is itself a sub-technique",
                           [*path, "subtechnique-of"])
        if listed is None:
            continue
        if not isinstance(listed, list):
            reader.problem(f"technique {ident}: `tactics` must be a list", [*path, "tactics"])
            continue
        own_tactics[ident] = []
        for index, tactic in enumerate(listed):
            if tactic not in tactics:
                reader.problem(f"technique {ident}: unknown tactic {tactic!r}", [*path, "tactics", index])
            else:
                own_tactics[ident].append(tactic)
    result: dict[str, AtlasTechnique] = {}
    for ident, (_path, item) in raw.items():
        parent = item.get("subtechnique-of")
        parent = parent if isinstance(parent, str) and parent in raw else None
        inherited = own_tactics.get(ident) or (own_tactics.get(parent, []) if parent else [])
        result[ident] = AtlasTechnique(id=ident, name=item["name"].strip(), description=_description(item),
                                       tactics=inherited, parent=parent)
    return result


def _mitigations(reader: _Reader, raw: dict[str, tuple[list[int | str], dict[str, Any]]],
                 techniques: dict[str, AtlasTechnique]) -> list[AtlasMitigation]:
    result: list[AtlasMitigation] = []
    for ident, (path, item) in raw.items():
        links: list[tuple[list[int | str], Any]] = reader.items(item, "techniques", path)
        for key in _LABEL_LISTS:
            for lpath, label in reader.items(item, key, path):
                if isinstance(label, dict) and "id" in label:
                    reader.warnings.append(f"{dotted(lpath)}: {ident} links technique {label['id']} "
                                           "outside `techniques`; recovered")
                    links.append((lpath, label))
        found: list[str] = []
        for lpath, link in links:
            target = link.get("id") if isinstance(link, dict) else link
            if not isinstance(target, str) or target not in techniques:
                reader.problem(f"mitigation {ident}: unknown technique {target!r}", lpath)
            elif target in found:
                reader.warnings.append(f"{dotted(lpath)}: {ident} links technique {target} twice; kept once")
            else:
                found.append(target)
        result.append(AtlasMitigation(id=ident, name=item["name"].strip(), description=_description(item),
                                      techniques=found))
    return result


def parse_atlas_file(path: str | Path) -> AtlasData:
    """Parse MITRE's ATLAS.yaml at ``path``; raise CatalogError with located problems if it is malformed."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        problem = Problem(f"cannot read ATLAS file: {exc.strerror or exc}", Location(file=file))
        raise CatalogError([problem]) from exc
    except UnicodeDecodeError as exc:
        problem = Problem(f"ATLAS file is not UTF-8 text: {exc.reason}", Location(file=file))
        raise CatalogError([problem]) from exc
    return parse_atlas_text(text, file)
