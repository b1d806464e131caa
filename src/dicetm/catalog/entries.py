"""The two kinds of catalogue item: an external-framework entry and one of our controls."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

CONTROL_ID = re.compile(r"^C-[A-Z]+-\d{3}$")


class Entry(BaseModel):
    """One item of an external knowledge source (a STRIDE letter, an OWASP risk, an ATLAS technique...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ref: str = Field(description="Namespaced id, e.g. 'atlas:AML.T0051.000'.")
    namespace: str
    id: str
    name: str
    description: str = Field(description="dicetm's own short wording, never the source's text.")
    kind: str = Field("item", description="ATLAS: tactic, technique, subtechnique, mitigation; else 'item'.")
    url: str | None = None
    related: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Related refs by relation: tactics, techniques, subtechniques, mitigations, parent...",
    )
    attributes: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Source-specific facts, e.g. STRIDE 'property' and 'applies_to'."
    )


REDUCIBLE = ("likelihood", "impact")


class Control(BaseModel):
    """A countermeasure dicetm can suggest, with the framework references it implements."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    family: str
    description: str
    reduces: dict[str, int] = Field(
        description="Points taken off 'likelihood' and/or 'impact' once implemented, e.g. {'impact': 2}.",
    )
    references: list[str] = Field(default_factory=list, description="Namespaced framework refs.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not CONTROL_ID.match(value):
            raise ValueError(f"control id {value!r} must look like C-FAMILY-NNN")
        return value

    @field_validator("reduces")
    @classmethod
    def _reduces(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(REDUCIBLE))
        if unknown:
            raise ValueError(f"reduces may only name {' and '.join(REDUCIBLE)}, not {', '.join(unknown)}")
        if not value or any(not 1 <= points <= 4 for points in value.values()):
            raise ValueError("reduces must lower likelihood and/or impact by 1 to 4 points")
        return value

    @property
    def ref(self) -> str:
        return self.id
