"""The import report under construction: what was left out (with its path) and what the importer decided.

Single items (a boundary line, a dangling link) are listed one by one. Attributes that repeat on many
items of one collection (every Threagile asset's ``availability``) are listed once, with a ``[*]`` path
and a count, so the report stays readable while still naming every kind of thing left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dicetm.io.interface import Unmapped

_INDEX = re.compile(r"\[(?:\d+|\"(?:[^\"\\]|\\.)*\")\]")


@dataclass
class Ledger:
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # (pattern, why) -> (first concrete path, what, count)
    _fields: dict[tuple[str, str], tuple[str, str, int]] = field(default_factory=dict)

    def skip(self, path: str, what: str, why: str) -> None:
        """One item of the source that is not imported."""
        self.unmapped.append(Unmapped(path, _one_line(what), _one_line(why)))

    def skip_field(self, path: str, what: str, why: str) -> None:
        """An attribute of one item, reported together with the same attribute on the item's siblings."""
        key = (_INDEX.sub("[*]", path), why)
        first, first_what, count = self._fields.get(key, (path, what, 0))
        self._fields[key] = (first, first_what, count + 1)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(_one_line(text))

    def report(self) -> list[Unmapped]:
        """Everything left out: single items first (document order), then the grouped attributes."""
        grouped = []
        for (pattern, why), (first, what, count) in self._fields.items():
            if count == 1:
                grouped.append(Unmapped(first, _one_line(what), _one_line(why)))
            else:
                grouped.append(Unmapped(pattern, _one_line(f"{what} ({count} items)"), _one_line(why)))
        return [*self.unmapped, *grouped]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
