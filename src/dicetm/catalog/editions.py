"""The two editions of the OWASP Top 10 for LLM Applications (2025 and 2026) and how they map.

Both editions live in the catalogue under the ``owasp-llm`` namespace (``LLM01:2025`` .. ``LLM10:2025`` and
``LLM01:2026`` .. ``LLM10:2026``). The 2026 edition renumbered the list, so "LLM06" alone is ambiguous; a bare
``LLM06`` keeps meaning the 2025 entry, which stays the stable primary id.

The crosswalk between the editions is data (``catalog/data/owasp_llm_crosswalk.yaml``): the pairs of the
2026 table with their relation, and the parts of a 2025 scope the 2026 edition places elsewhere. Which edition
*leads* (is listed first in reports and exports) is a setting: ``owasp_llm_edition`` in ``dicetm-config.yaml``
beside the model, the ``DICETM_OWASP_LLM_EDITION`` variable, or the ``--owasp-edition`` option.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dicetm.catalog.yamlsrc import dotted, line_of, load_yaml
from dicetm.errors import CatalogError, InputError, Location, Problem

EDITIONS = ("2025", "2026")
DEFAULT_EDITION = "2025"
NAMESPACE = "owasp-llm"
CROSSWALK_FILE = "owasp_llm_crosswalk.yaml"
CONFIG_FILENAME = "dicetm-config.yaml"
SETTING = "owasp_llm_edition"
ENV_VARIABLE = "DICETM_OWASP_LLM_EDITION"


class Exclusion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    what: str = Field(min_length=1)
    see: str = Field(description="Namespaced ref that carries this part of the scope in the 2026 edition.")


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    from_: str = Field(alias="from", pattern=r"^LLM\d{2}:2025$")
    to: str = Field(pattern=r"^LLM\d{2}:2026$")
    relation: Literal["same", "wider", "narrower"]
    note: str = Field(min_length=1)
    excludes: list[Exclusion] = Field(default_factory=list)

    @property
    def ref_2025(self) -> str:
        return f"{NAMESPACE}:{self.from_}"

    @property
    def ref_2026(self) -> str:
        return f"{NAMESPACE}:{self.to}"


class Crosswalk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    pairs: list[Pair] = Field(min_length=10, max_length=10)

    def by_ref(self) -> dict[str, Pair]:
        """Every 2025 and 2026 ref -> the pair it belongs to."""
        table: dict[str, Pair] = {}
        for pair in self.pairs:
            table[pair.ref_2025] = pair
            table[pair.ref_2026] = pair
        return table


def parse_crosswalk(text: str, file: str) -> Crosswalk:
    data = load_yaml(text, file)
    try:
        crosswalk = Crosswalk.model_validate(data)
    except ValidationError as exc:
        raise CatalogError([Problem(e["msg"], Location(file=file, line=line_of(data, e["loc"]),
                                                        path=dotted(e["loc"]) or None))
                            for e in exc.errors()]) from exc
    problems = []
    for attribute in ("from_", "to"):
        seen = [getattr(p, attribute) for p in crosswalk.pairs]
        twice = sorted({x for x in seen if seen.count(x) > 1})
        if twice:
            problems.append(Problem(f"ids paired more than once: {', '.join(twice)}", Location(file=file),
                                    hint="each id of an edition appears in exactly one pair"))
    if problems:
        raise CatalogError(problems)
    return crosswalk


@cache
def crosswalk() -> Crosswalk:
    """The packaged crosswalk (validated once per process)."""
    text = resources.files("dicetm.catalog").joinpath("data", CROSSWALK_FILE).read_text(encoding="utf-8")
    return parse_crosswalk(text, f"catalog/data/{CROSSWALK_FILE}")


@cache
def _pairs() -> dict[str, Pair]:
    return crosswalk().by_ref()


def edition_of(ref: str) -> str | None:
    """'2025' or '2026' for an OWASP LLM ref (``owasp-llm:LLM06:2026``), None for anything else."""
    if not ref.startswith(f"{NAMESPACE}:"):
        return None
    year = ref.rsplit(":", 1)[-1]
    return year if year in EDITIONS else None


def counterpart(ref: str) -> str | None:
    """The paired ref of the other edition (by the table), or None."""
    pair = _pairs().get(ref)
    if pair is None:
        return None
    return pair.ref_2026 if ref == pair.ref_2025 else pair.ref_2025


def with_both_editions(refs: Iterable[str]) -> list[str]:
    """``refs`` plus the paired id of the other edition for every OWASP LLM id lacking one (by the table).

    For threats a person wrote or imported: they name one edition and the report shows both. Rules name both
    themselves, mapped by scope (see ``scope_problems``).
    """
    result = list(dict.fromkeys(refs))
    present = set(result)
    for ref in list(result):
        other = counterpart(ref)
        if other is not None and other not in present:
            result.append(other)
            present.add(other)
    return result


def scope_problems(refs: Iterable[str]) -> list[str]:
    """Why a list of references does not carry both editions consistently with the crosswalk.

    Each 2025 id needs its paired 2026 id, or the ``see`` ref of one of the pair's exclusions (its subject lies
    outside the paired 2026 entry); each 2026 id needs its paired 2025 id.
    """
    present = set(refs)
    problems = []
    for ref in sorted(present):
        pair = _pairs().get(ref)
        if pair is None:
            continue
        if ref == pair.ref_2025:
            alternatives = {pair.ref_2026, *(e.see for e in pair.excludes)}
            if not present & alternatives:
                problems.append(f"{ref} needs {pair.ref_2026}" + (
                    f" or, when the subject is outside that entry, one of {', '.join(e.see for e in pair.excludes)}"
                    if pair.excludes else ""))
        elif pair.ref_2025 not in present:
            problems.append(f"{ref} needs {pair.ref_2025}")
    return problems


def lead(refs: Iterable[str], edition: str = DEFAULT_EDITION) -> list[str]:
    """``refs`` with the OWASP LLM ids of the leading edition first, then those of the other edition, then the
    rest; the order within each part is kept."""
    items = list(refs)

    def rank(ref: str) -> int:
        found = edition_of(ref)
        if found is None:
            return 2
        return 0 if found == edition else 1

    return sorted(items, key=rank)


def check_edition(value: object, where: Location) -> str:
    text = str(value).strip() if value is not None else ""
    if text not in EDITIONS:
        raise InputError([Problem(f"{value!r} is not an edition of the OWASP Top 10 for LLM Applications", where,
                                  hint=f"use one of {', '.join(EDITIONS)}")])
    return text


def edition_setting(workspace_dir: Path | None, env: Mapping[str, str]) -> str:
    """Which edition leads: ``DICETM_OWASP_LLM_EDITION``, else ``owasp_llm_edition`` in ``dicetm-config.yaml``
    in ``workspace_dir``, else 2025. InputError (with file and line) for a value that is not an edition."""
    if env.get(ENV_VARIABLE, "").strip():
        return check_edition(env[ENV_VARIABLE], Location(path=ENV_VARIABLE))
    if workspace_dir is None:
        return DEFAULT_EDITION
    path = Path(workspace_dir) / CONFIG_FILENAME
    if not path.is_file():
        return DEFAULT_EDITION
    value, line = _read_setting(path)
    if value is None:
        return DEFAULT_EDITION
    return check_edition(value, Location(file=str(path), line=line, path=SETTING))


def _read_setting(path: Path) -> tuple[Any, int | None]:
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(f"cannot read the config file: {exc}", Location(file=str(path)),
                                  hint="check the file's permissions and that it is UTF-8")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        raise InputError([Problem(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", where,
                                  hint="fix the YAML syntax")]) from None
    if not isinstance(root, yaml.MappingNode):
        return None, None
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == SETTING:
            scalar = value.value if isinstance(value, yaml.ScalarNode) else value
            return scalar, key.start_mark.line + 1
    return None, None
