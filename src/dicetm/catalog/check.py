"""``dicetm catalog check``: framework ids and names checked against the published facts they are pinned to.

The pinned facts (``catalog/data/pinned.yaml``) are kept apart from the catalogue files: the ids and names of
both OWASP LLM editions (and the 2023 ids they replaced), the OWASP agentic threats and Top 10 for Agentic
Applications, dicetm's CWE selection, and the ATLAS version with a fingerprint of its ids and names.

Two checks, both returning located problems (an empty list means everything is current):

- ``check_catalog``: every entry of those namespaces exists in the pinned data under the same name, nothing
  pinned is missing, the ATLAS data is the pinned version (or a newer one the user installed), and every
  reference inside the catalogue resolves.
- ``check_references``: references cited somewhere (rule metadata, a model's threats and custom controls) are
  known, current and unambiguous. A year-less OWASP LLM id ("LLM06") is ambiguous since the 2026 edition
  renumbered the list; a 2023 id is outdated.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from dicetm.catalog.atlas_source import AtlasData
from dicetm.catalog.entries import Entry
from dicetm.catalog.index import Catalog
from dicetm.catalog.yamlsrc import load_yaml
from dicetm.errors import CatalogError, Location, Problem

PINNED_FILE = "pinned.yaml"
NAMED_NAMESPACES = ("owasp-asi", "owasp-agentic", "cwe")
_ANY_CWE = re.compile(r"^cwe:CWE-[1-9]\d{0,4}$")
_OWASP_LLM = re.compile(r"^(?:owasp-llm:)?(?P<id>LLM\d{2})(?::(?P<year>\d{4}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Pinned:
    """The published ids and names dicetm is pinned to."""

    llm_editions: dict[str, dict[str, str]]  # edition -> id -> name
    llm_outdated: dict[str, tuple[str, str]]  # old id -> (name, id of the entry that replaced it)
    names: dict[str, dict[str, str]]  # namespace -> id -> name
    atlas_version: str
    atlas_fingerprint: str


def parse_pinned(text: str, file: str) -> Pinned:
    data = load_yaml(text, file)
    try:
        llm = data["owasp-llm"]
        return Pinned(
            llm_editions={str(k): {str(i): str(n) for i, n in v.items()} for k, v in llm["editions"].items()},
            llm_outdated={str(k): (str(v["name"]), str(v["see"])) for k, v in llm["outdated"].items()},
            names={ns: {str(i): str(n) for i, n in data[ns]["ids"].items()} for ns in NAMED_NAMESPACES},
            atlas_version=str(data["atlas"]["version"]),
            atlas_fingerprint=str(data["atlas"]["fingerprint"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise CatalogError([Problem(f"the pinned data is incomplete: {exc}", Location(file=file),
                                    hint="reinstall dicetm")]) from exc


@cache
def pinned() -> Pinned:
    text = resources.files("dicetm.catalog").joinpath("data", PINNED_FILE).read_text(encoding="utf-8")
    return parse_pinned(text, f"catalog/data/{PINNED_FILE}")


def atlas_fingerprint(pairs: Iterable[tuple[str, str]]) -> str:
    """sha256 of the sorted "<id>\\t<name>" lines: equal exactly when the ids and names are equal."""
    lines = sorted(f"{ident}\t{name}" for ident, name in pairs)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _same_name(left: str, right: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(text.replace("&", "and").casefold().split())

    return norm(left) == norm(right)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _entry_location(entry: Entry) -> Location:
    return Location(path=entry.ref)


def check_catalog(catalog: Catalog, facts: Pinned | None = None, atlas: AtlasData | None = None) -> list[Problem]:
    """Problems with the catalogue itself; ``atlas``: MITRE's file to compare ATLAS ids and names one by one."""
    facts = facts or pinned()
    problems = [Problem(text, Location(path="catalogue")) for text in catalog.problems()]
    expected: dict[str, dict[str, str]] = {
        "owasp-llm": {i: n for names in facts.llm_editions.values() for i, n in names.items()},
        **facts.names,
    }
    for namespace, names in expected.items():
        found = {e.id: e for e in catalog.entries(namespace)}
        for ident, entry in found.items():
            if ident not in names:
                close = difflib.get_close_matches(ident, list(names), n=1)
                problems.append(Problem(
                    f"{entry.ref} is not in the pinned {namespace} list", _entry_location(entry),
                    hint=f"did you mean {namespace}:{close[0]}?" if close else "remove it or correct the id"))
            elif not _same_name(entry.name, names[ident]):
                problems.append(Problem(
                    f"{entry.ref} is named {entry.name!r}, but the published name is {names[ident]!r}",
                    _entry_location(entry), hint="the name is outdated or belongs to another entry"))
        for ident in sorted(set(names) - set(found)):
            problems.append(Problem(f"{namespace}:{ident} ({names[ident]}) is missing from the catalogue",
                                    Location(path=f"{namespace}:{ident}"), hint="add it to the catalogue data"))
    problems += _check_atlas(catalog, facts, atlas)
    for control in catalog.controls.values():
        problems += check_references(catalog, ((r, Location(path=f"{control.id}.references")) for r in
                                               control.references), facts, canonical=True)
    return problems


def _check_atlas(catalog: Catalog, facts: Pinned, atlas: AtlasData | None) -> list[Problem]:
    where = Location(path="atlas")
    version = catalog.atlas_version
    entries = catalog.entries("atlas")
    if _version_key(version) < _version_key(facts.atlas_version):
        return [Problem(f"the ATLAS data is version {version}, older than the pinned {facts.atlas_version}",
                        where, hint="run `dicetm catalog reset-atlas` or import a current ATLAS.yaml")]
    problems: list[Problem] = []
    if version == facts.atlas_version:
        found = atlas_fingerprint((e.id, e.name) for e in entries)
        if found != facts.atlas_fingerprint:
            problems.append(Problem(
                f"the ATLAS {version} ids and names differ from ATLAS {version} as published", where,
                hint="pass MITRE's ATLAS.yaml with --atlas to see which entries differ"))
    if atlas is not None:
        ours = {e.id: e.name for e in entries}
        theirs = {o.id: o.name for o in atlas.objects()}
        for ident in sorted(set(ours) - set(theirs)):
            problems.append(Problem(f"atlas:{ident} is not in ATLAS {atlas.version}", Location(path=f"atlas:{ident}"),
                                    hint="it was removed or renumbered; check MITRE's release notes"))
        for ident in sorted(set(ours) & set(theirs)):
            if ours[ident] != theirs[ident]:
                problems.append(Problem(f"atlas:{ident} is named {ours[ident]!r}, but ATLAS {atlas.version} "
                                        f"names it {theirs[ident]!r}", Location(path=f"atlas:{ident}"),
                                        hint="the name is outdated"))
        for ident in sorted(set(theirs) - set(ours)):
            problems.append(Problem(f"atlas:{ident} ({theirs[ident]}) of ATLAS {atlas.version} is missing",
                                    Location(path=f"atlas:{ident}"), hint="import that ATLAS.yaml"))
    return problems


def check_references(catalog: Catalog, cited: Iterable[tuple[str, Location]], facts: Pinned | None = None, *,
                     canonical: bool = False) -> list[Problem]:
    """Problems with references cited at the given locations.

    ``canonical``: the reference must be written exactly as the catalogue spells it (rules and the
    catalogue itself); otherwise any spelling the catalogue resolves is accepted.
    """
    facts = facts or pinned()
    problems: list[Problem] = []
    for ref, where in cited:
        problem = _reference_problem(catalog, facts, ref.strip(), canonical)
        if problem is not None:
            message, hint = problem
            problems.append(Problem(message, where, hint))
    return problems


def _reference_problem(catalog: Catalog, facts: Pinned, ref: str, canonical: bool) -> tuple[str, str] | None:
    owasp = _OWASP_LLM.match(ref)
    if owasp is not None:
        return _owasp_llm_problem(catalog, facts, ref, owasp["id"].upper(), owasp["year"], canonical)
    resolved = catalog.resolve(ref)
    if resolved is None and not canonical and _ANY_CWE.match(ref):
        return None  # dicetm's CWE list is a selection; any well-formed CWE id may be cited in a model
    if resolved is not None:
        if canonical and resolved != ref:
            return f"{ref} is not written as the catalogue spells it", f"write {resolved}"
        return None
    return f"{ref} is unknown" + _where_unknown(catalog, ref), _suggestion(catalog, ref)


def _owasp_llm_problem(catalog: Catalog, facts: Pinned, ref: str, ident: str, year: str | None,
                       canonical: bool) -> tuple[str, str] | None:
    if year is None:
        choices = [f"owasp-llm:{ident}:{edition} ({names.get(f'{ident}:{edition}', '?')})"
                   for edition, names in sorted(facts.llm_editions.items())]
        return (f"{ref} is ambiguous: the 2026 edition renumbered the OWASP Top 10 for LLM Applications",
                f"write the edition: {' or '.join(choices)}")
    full = f"{ident}:{year}"
    if full in facts.llm_outdated:
        name, replacement = facts.llm_outdated[full]
        from dicetm.catalog.editions import counterpart

        newer = counterpart(f"owasp-llm:{replacement}")
        return (f"{ref} ({name}) is from the outdated {year} edition",
                f"use owasp-llm:{replacement}" + (f" (2026: {newer})" if newer else ""))
    canonical_ref = f"owasp-llm:{full}"
    if catalog.resolve(canonical_ref) != canonical_ref:
        return f"{ref} is unknown: the OWASP Top 10 for LLM Applications has no {full}", _suggestion(catalog, ref)
    if canonical and ref != canonical_ref:
        return f"{ref} is not written as the catalogue spells it", f"write {canonical_ref}"
    return None


def _where_unknown(catalog: Catalog, ref: str) -> str:
    namespace = ref.split(":", 1)[0] if ":" in ref else ""
    if namespace == "atlas":
        return f" in ATLAS {catalog.atlas_version}"
    if namespace in catalog.namespaces():
        return f" in the {namespace} catalogue"
    if namespace:
        return f" (no catalogue namespace {namespace!r})"
    return ""


def _suggestion(catalog: Catalog, ref: str) -> str:
    namespace = ref.split(":", 1)[0] if ":" in ref else None
    pool: list[Any] = catalog.entries(namespace) if namespace in catalog.namespaces() else catalog.entries()
    refs = [e.ref for e in pool]
    close = difflib.get_close_matches(ref, refs, n=2, cutoff=0.75)
    if close:
        return f"did you mean {' or '.join(close)}?"
    return "run `dicetm catalog list` to see the known ids"
