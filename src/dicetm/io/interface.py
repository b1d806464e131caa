"""What every importer offers, and what an import hands back.

An importer turns one foreign document (already decoded into plain JSON/YAML data) into a
:class:`~dicetm.model.System`. Whatever it cannot carry over is listed as :class:`Unmapped`, with the
path of the item inside the source document, so nothing is dropped without the user seeing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from dicetm.model.system import System


@dataclass(frozen=True)
class Unmapped:
    """One part of the source document that has no place in the dicetm model."""

    path: str  # JSONPath-like location in the source, e.g. "$.detail.diagrams[0].cells[3]"
    what: str  # what it is, in a few words
    why: str  # why it was not imported

    def __str__(self) -> str:
        return f"{self.path}: {self.what} ({self.why})"


@dataclass(frozen=True)
class ImportResult:
    """The imported model, its validated YAML text and the report of what was left out."""

    format: str  # importer name, e.g. "threat-dragon"
    source: str  # the source file name, as given
    system: System
    text: str  # the model file (YAML with a header comment), validated by the model-file loader
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # choices the importer made that the user should know


@dataclass
class Draft:
    """What an importer produces before the result is rendered and validated."""

    system: System
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Importer(Protocol):
    """One foreign format. ``convert`` never raises anything but ``InputError``."""

    name: str  # the FORMAT argument of `dicetm import`
    title: str  # the tool's name, for messages
    carried: frozenset[str]  # foreign fields (``key`` or ``key.inner``) whose content the model carries

    def detect(self, data: object) -> bool:
        """Whether decoded document data has this format's shape (a cheap look at the top level)."""
        ...

    def convert(self, data: object, source: str) -> Draft:
        """Map decoded document data to a draft model; ``source`` is only used in locations."""
        ...
