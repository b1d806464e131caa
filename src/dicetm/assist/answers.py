"""The shapes a model must answer in, and the hygiene applied to the text it writes.

Every schema forbids extra fields, so an answer that tries to carry anything else (a "delete" list, a
"status", a new likelihood for an existing threat) fails validation and the client discards it whole.
Field types are deliberately loose where a single bad item should cost only that item: kinds, ids and
references are plain strings that the assist code checks one by one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Answer):
    span: str = Field(description="The span label from the data block, e.g. 'D1:S7'.")
    quote: str = Field(description="Words copied exactly from that span.")


class FactAnswer(_Answer):
    field: str = Field(description="A fact field name from the list in the instructions.")
    value: bool | int | float | str | list[str] | None = Field(
        description="The value the document states; null to ask a person instead.")
    evidence: list[Evidence] = Field(default_factory=list, description="Quotes that state this fact.")


class ElementAnswer(_Answer):
    id: str
    name: str
    kind: str
    description: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    facts: list[FactAnswer] = Field(default_factory=list)


class FlowAnswer(_Answer):
    id: str
    source: str = Field(description="Element id the data leaves.")
    target: str = Field(description="Element id the data reaches.")
    data: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    facts: list[FactAnswer] = Field(default_factory=list)


class BoundaryAnswer(_Answer):
    id: str
    name: str
    elements: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class QuestionAnswer(_Answer):
    question: str
    about: str | None = Field(None, description="The element or flow id (and field) it is about.")


class DescribeAnswer(_Answer):
    elements: list[ElementAnswer] = Field(default_factory=list)
    flows: list[FlowAnswer] = Field(default_factory=list)
    boundaries: list[BoundaryAnswer] = Field(default_factory=list)
    questions: list[QuestionAnswer] = Field(default_factory=list)


class NewControlAnswer(_Answer):
    name: str
    description: str = ""


class ThreatAnswer(_Answer):
    id: str | None = Field(None, description="Ignored: dicetm assigns the id.")
    title: str
    scenario: str
    elements: list[str] = Field(description="Element ids from the system view; the first is the main one.")
    flows: list[str] = Field(default_factory=list)
    stride: list[str] = Field(default_factory=list, description="STRIDE letters: S T R I D E.")
    references: list[str] = Field(default_factory=list, description="Namespaced ids from the reference list.")
    likelihood: int | None = Field(None, description="1 (rare) .. 5 (almost certain).")
    impact: int | None = Field(None, description="1 (negligible) .. 5 (severe).")
    controls: list[str] = Field(default_factory=list, description="Catalogue control ids (C-...).")
    new_controls: list[NewControlAnswer] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list, description="Document spans it rests on, if any.")


class IdentifyAnswer(_Answer):
    threats: list[ThreatAnswer] = Field(default_factory=list)


class ImpactDraftAnswer(_Answer):
    threat: str
    text: str


class ImpactAnswer(_Answer):
    drafts: list[ImpactDraftAnswer] = Field(default_factory=list)


@dataclass(frozen=True)
class Dropped:
    """One answered item that was not kept, and why (for the run summary)."""

    item: str  # e.g. "element 'cache'", "threat 'Model theft'"
    reason: str
    category: str  # "unverified", "invalid", "invented", "repeated"

    def __str__(self) -> str:
        return f"{self.item}: {self.reason} ({self.category})"


_FENCE = re.compile(r"```[^\n]*\n?|```")
_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,200}>")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3}|`+|~~)")
_LINE_MARK = re.compile(r"(?m)^\s*(#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)")
_SPACE = re.compile(r"\s+")


def plain_text(text: str, limit: int) -> str:
    """Model-written text as one plain line: markup and control characters removed, cut to ``limit``
    characters at a word boundary (with an ellipsis), so it can be shown anywhere without rendering."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    text = _FENCE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _LINE_MARK.sub(" ", text)
    text = _EMPHASIS.sub("", text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"
