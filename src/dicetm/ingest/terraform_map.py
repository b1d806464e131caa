"""What Terraform resources mean to a drafted model, as data: ``data/terraform.yaml`` (see its comments), extended
by the file the ``DICETM_TERRAFORM_MAP`` environment variable names (same shape; its entries are added, a kind it
gives for a type replaces the packaged one). A broken extension file is an InputError naming its line and field.
"""

from __future__ import annotations

import functools
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from dicetm.errors import InputError, Location, Problem, StoreError
from dicetm.model.system import Element, Kind
from dicetm.store.yamlfile import parse_yaml_model

ENV_VARIABLE = "DICETM_TERRAFORM_MAP"
_HINT = "see the comments of dicetm's ingest/data/terraform.yaml for the shape of each section"
Paths = str | list[str]
_NOT_FACTS = frozenset({"id", "name", "kind", "description", "tags", "provenance", "source_data"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _pattern(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return value


class Refinement(_Strict):
    attribute: str | None = None
    matches: str | None = None
    words: str | None = None
    kind: Kind

    _check = field_validator("matches", "words")(_pattern)

    @model_validator(mode="after")
    def _one_test(self) -> Refinement:
        if (self.attribute is None) == (self.words is None) or (self.attribute is not None and not self.matches):
            raise ValueError("give either `attribute` with `matches`, or `words`")
        return self


class KindEntry(_Strict):
    kind: Kind | None = None  # none: a component only when a refinement holds
    when: list[Refinement] = Field(default_factory=list)


class FactRule(_Strict):
    types: list[str]
    fact: str
    about: Paths | None = None
    attribute: Paths | None = None
    values: dict[str, Any] | None = None
    value: Any = None
    present: bool = False
    format: str | None = None

    @model_validator(mode="after")
    def _known_fact(self) -> FactRule:
        field = Element.model_fields.get(self.fact)
        if field is None or field.annotation is None or self.fact in _NOT_FACTS:
            raise ValueError(f"'{self.fact}' is not an element fact of the model")
        adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)
        for value in [*(self.values or {}).values(), *([self.value] if self.value is not None else [])]:
            adapter.validate_python(value)  # a value the model would refuse is refused here, with its field
        if self.attribute is None and self.value is None:
            raise ValueError("a rule without `attribute` needs the `value` the resource's existence gives")
        return self


class Link(_Strict):
    source: Paths = Field(alias="from")
    target: Paths = Field(alias="to")


class OpenIngress(_Strict):
    types: list[str]
    cidrs: list[str]
    block: str | None = None
    when: dict[str, str] = Field(default_factory=dict)
    about: str | None = None


class Grant(_Strict):
    type: str
    target: str
    actions: str
    per: str | None = None
    principal: str | None = None


class TerraformMap(_Strict):
    kinds: dict[str, Kind | KindEntry] = Field(default_factory=dict)
    modules: dict[str, Kind | KindEntry] = Field(default_factory=dict)  # source pattern -> kind
    boundaries: list[str] = Field(default_factory=list)
    module_boundaries: list[str] = Field(default_factory=list)  # source patterns
    facts: list[FactRule] = Field(default_factory=list)
    links: dict[str, Link] = Field(default_factory=dict)
    inbound: dict[str, list[str]] = Field(default_factory=dict)
    part_of: list[str] = Field(default_factory=list)
    open_ingress: list[OpenIngress] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)
    iam: list[str] = Field(default_factory=list)
    read_actions: str | None = None
    write_actions: str | None = None
    call_actions: str | None = None

    _check = field_validator("read_actions", "write_actions", "call_actions")(_pattern)

    @field_validator("modules")
    @classmethod
    def _patterns(cls, value: dict[str, Any]) -> dict[str, Any]:
        for pattern in value:
            _pattern(pattern)
        return value

    @field_validator("module_boundaries")
    @classmethod
    def _boundary_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            _pattern(pattern)
        return value

    def kind_entry(self, resource_type: str) -> KindEntry | None:
        entry = self.kinds.get(resource_type)
        return KindEntry(kind=entry) if isinstance(entry, Kind) else entry

    def module_entry(self, source: str) -> KindEntry | None:
        """The kind of what a module builds, by the first pattern its source matches."""
        entry = next((e for pattern, e in self.modules.items() if re.search(pattern, source)), None)
        return KindEntry(kind=entry) if isinstance(entry, Kind) else entry

    def extended(self, other: TerraformMap) -> TerraformMap:
        """This map with ``other``'s entries added (a mapping's keys and a pattern replaced by ``other``'s)."""
        merged: dict[str, Any] = {}
        for name in type(self).model_fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, dict):
                merged[name] = {**mine, **theirs}
            elif isinstance(mine, list):
                merged[name] = [*mine, *theirs]
            else:
                merged[name] = theirs or mine
        return TerraformMap(**merged)


def terraform_map() -> TerraformMap:
    """The packaged map, extended by the ``DICETM_TERRAFORM_MAP`` file when that is set."""
    extension = os.environ.get(ENV_VARIABLE, "").strip()
    if not extension:
        return _packaged()
    path = Path(extension).expanduser()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise InputError([Problem(f"the Terraform map named by {ENV_VARIABLE} cannot be read: {exc.strerror}",
                                  Location(file=str(path)), f"point {ENV_VARIABLE} at a YAML file, or unset it")]
                         ) from None
    return _extended(str(path), stamp)


@functools.cache
def _packaged() -> TerraformMap:
    text = resources.files("dicetm.ingest").joinpath("data/terraform.yaml").read_text(encoding="utf-8")
    return parse_yaml_model(text, "terraform.yaml", TerraformMap, "the Terraform map", _HINT)


@functools.lru_cache(maxsize=4)
def _extended(path: str, stamp: int) -> TerraformMap:
    del stamp  # part of the cache key: an edited file is read again
    try:
        text = Path(path).read_text(encoding="utf-8")
        return _packaged().extended(parse_yaml_model(text, path, TerraformMap, "the Terraform map", _HINT))
    except StoreError as exc:
        raise InputError(exc.problems) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(f"the Terraform map cannot be read: {exc}", Location(file=path),
                                  "save it as UTF-8 YAML")]) from None
