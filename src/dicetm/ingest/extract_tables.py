"""Tables in prose documents: component tables and flow tables (their first row is the header).

A component table has a name column (headed component, name, service, element, dataset, tool... or else its
first column); every row names a component, verbatim. A kind or type column says what it is (an explicit
kind), a technology column what it is built with, a description column what it does; every other cell of the
row is text about the component (facts such as "Internal only, SSO via Google Workspace"). When the name
column's header is itself a kind ("Dataset", "Tool"), every row is of that kind unless a kind column says
otherwise. A flow table has from/to (or source/target) columns and maybe a data column: each row is a flow,
resolved once every document's components are known.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dicetm.ingest.documents import Span
from dicetm.ingest.extract_ir import Entity, Where, split_name
from dicetm.ingest.extract_kinds import kind_words
from dicetm.model.system import AI_KINDS, Kind

if TYPE_CHECKING:
    from dicetm.ingest.extract_prose import _Structure

_SPECIFIC = AI_KINDS | {Kind.log_store}
_FROM = re.compile(r"^(from|source|sender|caller|client|origin|producer|initiator)$", re.I)
_TO = re.compile(r"^(to|target|destination|receiver|callee|server|sink|consumer|recipient)$", re.I)
_DATA = re.compile(r"^(data|payload|content|carries|information|what|description|data flow|message|messages)$", re.I)
_NAME = re.compile(r"^(components?|name|names|service|services|element|elements|system|systems|part|parts|tool|tools|"
                   r"datasets?|data ?sets?|containers?|modules?|stores?|models?|agents?|apps?|applications?|"
                   r"resources?|nodes?|assets?|integrations?|dependenc(?:y|ies)|sources?|interfaces?)$", re.I)
_KIND = re.compile(r"^(kind|type|category|role|class|layer)$", re.I)
_TECHNOLOGY = re.compile(r"^(technology|tech|stack|implementation|product|vendor|platform|built with|framework|"
                         r"language|engine)$", re.I)
_HOSTING = re.compile(r"^(where\s+it\s+runs|runs?\s+(?:on|in)|hosting|hosted\s+(?:on|in|by)|host|location|deployment|"
                      r"deployed\s+(?:to|on|in)|environment|zone|trust\s+zone|infrastructure|runtime|cluster)$", re.I)
_CODE = re.compile(r"`([^`]+)`")
_DESCRIPTION = re.compile(r"^(description|purpose|responsibility|responsibilities|what it does|function|role|"
                          r"summary|details)$", re.I)


class TableReader:
    def __init__(self, structure: _Structure) -> None:
        self.structure = structure
        self.header: list[str] | None = None
        self.columns: dict[str, int | None] = {}

    def close(self) -> None:
        self.header = None

    def row(self, span: Span) -> None:
        cells = span.text.split(" | ")
        if self.header is None:
            self.header = [c.strip(" *_`").strip() for c in cells]
            self.columns = _columns(self.header)
            return
        offsets = [0]
        for cell in cells[:-1]:
            offsets.append(offsets[-1] + len(cell) + 3)
        if self.columns.get("from") is not None and self.columns.get("to") is not None:
            self._flow(span, cells, offsets)
        elif self.columns.get("name") is not None:
            self._component(span, cells, offsets)
        else:
            self.structure.block(span, 0, len(span.text), self.structure.subject)

    def _cell(self, cells: list[str], column: str) -> str:
        index = self.columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def _flow(self, span: Span, cells: list[str], offsets: list[int]) -> None:
        from dicetm.ingest.extract_prose import FlowRow

        source, target = self.columns["from"], self.columns["to"]
        assert source is not None and target is not None
        if max(source, target) >= len(cells):
            return
        self.structure.out.flow_rows.append(FlowRow(
            span, (offsets[source], offsets[source] + len(cells[source])),
            (offsets[target], offsets[target] + len(cells[target])), self._cell(cells, "data")))

    def _component(self, span: Span, cells: list[str], offsets: list[int]) -> None:
        index = self.columns["name"]
        assert index is not None and self.header is not None
        if index >= len(cells):
            return
        raw = cells[index]
        name, aliases, qualifier = split_name(raw)
        if not name or len(name.split()) > 8:
            return
        start = offsets[index] + max(raw.find(name[:10]), 0)
        entity = self.structure.entity(name, Where.at(span, start, start + len(name)), aliases, qualifier,
                                       hint=self._cell(cells, "description"))
        technology = self._cell(cells, "technology")
        if technology and not entity.technology:
            entity.technology = technology
        kind_cell = self._cell(cells, "kind")
        if kind_cell:
            self.structure.explicit_kind(entity, kind_cell)
        elif kind_words().kind_of(self.header[index]) in _SPECIFIC:
            self.structure.explicit_kind(entity, self.header[index])  # a "Dataset" or "Tool" column
        hosting = self._cell(cells, "hosting")
        if hosting:
            self._hosting(entity, hosting, span, offsets[self.columns["hosting"] or 0])
        for position, cell in enumerate(cells):
            if position != index and cell.strip():
                self.structure.block(span, offsets[position], offsets[position] + len(cell), entity.key)

    def _hosting(self, entity: Entity, cell: str, span: Span, offset: int) -> None:
        """A "Runs on" cell: the zone it names holds the component ("EKS `support-ai`", "Workday SaaS"), and the
        deployment unit it names in code is the component's own identifier ("compose service `web`")."""
        parts = cell.split(",")
        for code in _CODE.finditer(parts[0]):
            if not kind_words().names_zone(parts[0][:code.start()]):
                entity.aliases.append(code.group(1).strip())  # the same component in a compose file
                break
        for part in parts:
            place = " ".join(re.sub(r"\([^)]*\)|[`*_]", "", part).split())
            if place and kind_words().names_zone(place) and len(place.split()) <= 6:
                self.structure.hosted(entity, place, Where.at(span, offset, offset + len(cell.rstrip())))
                break


def _columns(header: list[str]) -> dict[str, int | None]:
    def find(pattern: re.Pattern[str]) -> int | None:
        return next((i for i, cell in enumerate(header) if pattern.match(cell)), None)

    columns = {"from": find(_FROM), "to": find(_TO), "data": find(_DATA), "kind": find(_KIND),
               "technology": find(_TECHNOLOGY), "description": find(_DESCRIPTION), "name": find(_NAME),
               "hosting": find(_HOSTING)}
    if columns["name"] is None and (columns["kind"] is not None or columns["description"] is not None
                                    or columns["technology"] is not None):
        columns["name"] = 0
    return columns
