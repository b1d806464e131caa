"""Tables in prose documents: component tables, flow tables and zone tables (their first row is the header).

A component table has a name column (headed component, name, service, element, dataset, tool... or else its
first column); every row names a component, verbatim. A kind or type column says what it is (an explicit
kind), a technology column what it is built with, a description column what it does; every other cell of the
row is text about the component (facts such as "Internal only, SSO via Google Workspace"). When the name
column's header is itself a kind ("Dataset", "Tool"), every row is of that kind unless a kind column says
otherwise. A column that names other components says how the row's component relates to them: a "Target
system" or "Writes to" column is a flow from the row's component (and what a tool acts on), a "Used by" or
"Reads from" column a flow to it; the components it names are components too. A column whose header states a
fact ("Human approval", "Internet-facing", "Retention") states it for every row, by the row's yes or no (or
duration). A data table ("Data set | Contains | Where stored") is about the component that stores each row.
A flow table has from/to (or source/target) columns and maybe a data column: each row is a flow, resolved
once every document's components are known. A zone table ("Zone | Members") names a zone per row and the
components it holds.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dicetm.ingest.documents import Span
from dicetm.ingest.extract_facts import column_fact, statements
from dicetm.ingest.extract_ir import EXPLICIT, Entity, Fact, Where, Zone, split_name
from dicetm.ingest.extract_kinds import classify, kind_words
from dicetm.model.system import AI_KINDS, Kind

if TYPE_CHECKING:
    from dicetm.ingest.extract_prose import _Structure

_SPECIFIC = AI_KINDS | {Kind.log_store}
# Headers in English, then German, French, Spanish, Italian, Portuguese, Dutch, Polish and Japanese.
_FROM = re.compile(r"^(from|source|sender|caller|client|origin|producer|initiator|"
                   r"von|quelle|absender|de|origine|émetteur|desde|origen|fuente|emisor|da|mittente|origem|van|bron|"
                   r"z|źródło|nadawca|sorgente|od|zdroj|odesílatel|från|fra|källa|kilde|avsändare|afsender|avsender|lähde|"
                   r"lähettäjä|送信元|発信元|元|来源|來源|源|发送方|發送方|起点|起點)$", re.I)
_TO = re.compile(r"^(to|target|destination|receiver|callee|server|sink|consumer|recipient|"
                 r"an|nach|ziel|empfänger|à|vers|destinataire|a|hacia|destino|destinatario|naar|doel|do|cel|odbiorca|"
                 r"destinazione|cíl|příjemce|till|til|mål|mottagare|modtager|mottaker|kohde|vastaanottaja|送信先|宛先|先|"
                 r"目标|目標|目的地|接收方|终点|終點)$",
                 re.I)
_DATA = re.compile(r"^(data|payload|content|carries|information|what|description|data flow|message|messages|"
                   r"daten|inhalt|données|contenu|datos|contenido|información|dati|contenuto|dados|conteúdo|gegevens|"
                   r"inhoud|dane|treść)$", re.I)
_NAME = re.compile(r"^(components?|name|names|service|services|element|elements|system|systems|part|parts|tool|tools|"
                   r"datasets?|data ?sets?|containers?|modules?|stores?|models?|agents?|apps?|applications?|"
                   r"resources?|nodes?|assets?|integrations?|dependenc(?:y|ies)|sources?|interfaces?|items?|"
                   r"mcp servers?|"
                   r"komponenten?|bausteine?|dienste?|systeme?|anwendungen?|composants?|éléments?|élément|services?|"
                   r"systèmes?|nom|componentes?|elementos?|elemento|servicios?|sistemas?|nombre|componenti|servizi|"
                   r"nome|naam|onderdelen|componenten|komponenty?|nazwa|usługi|outils?|werkzeuge?|herramientas?|"
                   r"strument[oi]|ferramentas?|gereedschap|narzędzi[ae]|componente|"
                   r"名前|名称|コンポーネント|構成要素|サービス)$", re.I)
_TOOLS = re.compile(r"^(tools?|functions?|werkzeuge?|outils?|herramientas?|strumenti|ferramentas?|narzędzia|"
                    r"ツール)$", re.I)
_PERMISSION_ONLY = re.compile(r"[\w-]+(?:\s*(?:/|,|\+|&|and)\s*[\w-]+)?", re.I)  # "read", "read/write"
_KIND = re.compile(r"^(kind|type|category|role|class|layer|typ|art|kategorie|rolle|catégorie|rôle|tipo|categoría|rol|"
                   r"categoria|ruolo|papel|soort|rodzaj|種類|種別)$", re.I)
_TECHNOLOGY = re.compile(r"^(technology|tech|stack|implementation|product|vendor|platform|built with|framework|"
                         r"language|engine|technologie|technik|produkt|plattform|produit|plateforme|tecnología|"
                         r"producto|plataforma|tecnologia|prodotto|piattaforma|produto|technologia)$", re.I)
_HOSTING = re.compile(r"^(where\s+it\s+runs|runs?\s+(?:on|in)|hosting|hosted\s+(?:on|in|by)|host|location|deployment|"
                      r"deployed\s+(?:to|on|in)|environment|zone|trust\s+zone|infrastructure|runtime|cluster|実行場所|配置|"
                      r"設置場所|ホスト)$", re.I)
_CODE = re.compile(r"`([^`]+)`")
_DESCRIPTION = re.compile(r"^(description|purpose|responsibility|responsibilities|what it does|function|role|"
                          r"summary|details?|détails?|detalles?|dettagli|dettaglio|szczegóły|beschreibung|zweck|"
                          r"funktion|aufgabe|description|rôle|fonction|descripción|"
                          r"función|propósito|descrizione|funzione|scopo|descrição|função|beschrijving|functie|opis|"
                          r"funkcja|役割|説明|概要|用途)$", re.I)
_ACTS_ON = re.compile(r"^(target|targets|target systems?|acts on|talks to|connects to|"
                      r"systems? (?:acted on|touched|changed|called|reached)|"
                      r"backing systems?|backend|calls|reaches|writes to|sends to|feeds|pushes to|publishes to|"
                      r"downstream)$", re.I)
_USED_BY = re.compile(r"^(used by|called by|callers?|invoked by|consumers?|clients?|reads from|fed by|fetches from|"
                      r"pulls from|upstream)$", re.I)
_STORED = re.compile(r"^(where stored|stored in|stored at|store|storage|kept in|held in|location|where|"
                     r"system of record|lives in)$", re.I)
_DATA_NAME = re.compile(r"^(data|data ?sets?|data (?:type|category|class|item)s?|information|record types?|records|"
                        r"what)$", re.I)
_ZONE = re.compile(r"^(zones?|trust zones?|(?:trust )?boundar(?:y|ies)|security zones?|network zones?|segments?)$",
                   re.I)
_MEMBERS = re.compile(r"^(members?|components?|contains|elements|services|systems|what runs (?:there|here|in it)|"
                      r"runs|holds|hosts|parts)$", re.I)
_SENTENCE_HEADER = re.compile(  # a header the cell completes: "Can", "Cannot", "What it can do", "Is not allowed to"
    r"(?:what (?:it|the [\w-]+) )?(?:can(?:not|'t| not)?|may(?: not)?|must(?: not)?|(?:is )?(?:not )?allowed(?: to)?|"
    r"(?:is )?(?:not )?permitted(?: to)?|forbidden|denied)(?: do)?", re.I)
_NOTHING = re.compile(r"^(?:none|n/?a|-+|—|–|all|any|nothing|tbd|\?)?$", re.I)
_LIST = re.compile(r"\s*(?:,|;|\s/\s|\band\b)\s*(?![^()]*\))")  # separators outside parentheses
_COMMAS = re.compile(r"\s*[,;]\s*(?![^()]*\))")


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
        elif self.columns.get("zone") is not None and self.columns.get("members") is not None:
            self._zone(span, cells, offsets)
        elif self.columns.get("stored") is not None and self.columns.get("data") is not None:
            self._data(span, cells, offsets)
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
        parts = _names(raw, offsets[index], _COMMAS)
        if len(parts) > 1 and all(len(span.text[a:b].split()) <= 6 for a, b in parts):
            for a, b in parts:  # "Review Worker, Comment Poster | the GPU box": a row for each
                self._component(span, [*cells[:index], span.text[a:b], *cells[index + 1:]],
                                [*offsets[:index], a, *offsets[index + 1:]])
            return
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
        own = (offsets[index], offsets[index] + len(raw))
        tools = self._tools(span, cells, offsets, entity, own)
        related = self._related(span, cells, offsets, entity, own, tools)
        if tools:
            related.add(self.columns["tools"] or 0)
        for position, cell in enumerate(cells):
            if position == index or not cell.strip() or position in related:
                continue
            if self._stated(entity, self.header[position] if position < len(self.header) else "", cell,
                            Where.at(span, offsets[position], offsets[position] + len(cell))):
                continue
            self.structure.block(span, offsets[position], offsets[position] + len(cell), entity.key)

    def _tools(self, span: Span, cells: list[str], offsets: list[int], entity: Entity,
               own: tuple[int, int]) -> list[Entity]:
        """A "Tools" column beside the name column: each tool it lists is a tool of the row's MCP server (its
        ``server``) or one the row's agent calls; the words in parentheses after a tool are about that tool
        ("`find_samples` (read), `reserve_sample` (writes a reservation)")."""
        from dicetm.ingest.extract_prose import FlowRow

        position = self.columns.get("tools")
        if position is None or position >= len(cells) or self.header is None:
            return []
        named = self.header[self.columns["name"] or 0]
        serves = Kind.mcp_server in (classify(entity.name), kind_words().kind_of(named))
        found = []
        for start, end in _names(cells[position], offsets[position], _COMMAS):
            text = span.text[start:end]
            opening = text.find("(")
            name = text[:opening] if opening > 0 else text
            stop = start + len(name.rstrip())
            name = name.strip(" `*_")
            if not name or len(name.split()) > 4 or _NOTHING.match(name):
                continue
            where = Where.at(span, start, stop)
            tool = self.structure.entity(name, where, [])
            tool.kind, tool.kind_strength = Kind.tool, EXPLICIT
            if serves:
                tool.facts.append(Fact("server", entity.key, where))
            else:
                self.structure.out.flow_rows.append(FlowRow(span, own, (start, stop), ""))
            inside = text[opening:].strip("() ") if opening > 0 else ""
            granted = column_fact("permissions", inside) if _PERMISSION_ONLY.fullmatch(inside) else None
            if granted is not None:
                tool.facts.append(Fact(granted[0], granted[1], Where.at(span, start + opening, end)))
            elif inside:
                self.structure.block(span, start + opening, end, tool.key)
            found.append(tool)
        return found

    def _related(self, span: Span, cells: list[str], offsets: list[int], entity: Entity,
                 own: tuple[int, int], tools: list[Entity]) -> set[int]:
        """Columns naming the components the row's component sends to or acts on ("Target system") or that use
        or feed it ("Used by"): each name is a component, and a flow joins it to the row's component; what the
        row's server or agent acts on, its listed tools act on."""
        from dicetm.ingest.extract_prose import FlowRow

        done = set()
        for column, outgoing in (("acts_on", True), ("used_by", False)):
            position = self.columns.get(column)
            if position is None or position >= len(cells) or position == self.columns.get("name"):
                continue
            done.add(position)
            for start, end in _names(cells[position], offsets[position]):
                name, aliases, qualifier = split_name(span.text[start:end])
                if not name or len(name.split()) > 6 or _NOTHING.match(name):
                    continue
                other = self.structure.entity(name, Where.at(span, start, end), aliases, qualifier)
                if other is entity:
                    continue
                if outgoing and classify(name) is Kind.mcp_server and classify(entity.name) is not Kind.mcp_server:
                    entity.facts.append(Fact("server", other.key, Where.at(span, start, end)))
                    continue  # "Tool | Server": the MCP server that exposes the tool, not what it acts on
                place = (start, end)
                self.structure.out.flow_rows.append(FlowRow(span, own if outgoing else place,
                                                            place if outgoing else own, ""))
                if outgoing:
                    for actor in tools or [entity]:
                        actor.facts.append(Fact("acts_on", other.key, Where.at(span, start, end)))
        return done

    def _stated(self, entity: Entity, header: str, cell: str, where: Where) -> bool:
        """A column whose header states a fact ("Human approval", "Internet-facing"): the row's yes or no; a
        column whose header opens a sentence the cell ends ("Can" / "Cannot" + "modify or delete quotes"): the
        facts of that sentence."""
        fact = column_fact(header, cell)
        if fact is not None:
            entity.facts.append(Fact(fact[0], fact[1], where))
            return True
        opening = " ".join(re.sub(r"[*_`?:]", " ", header).split())
        if not _SENTENCE_HEADER.fullmatch(opening):
            return False
        for statement in statements(f"{opening} {cell}"):
            if statement.end > len(opening):
                entity.facts.append(Fact(statement.field, statement.value, where, statement.strength,
                                         exclusive=statement.exclusive, outranks=statement.outranks))
        return True

    def _data(self, span: Span, cells: list[str], offsets: list[int]) -> None:
        """A row of a data table: its cells are about the component that stores the data."""
        position = self.columns["stored"]
        assert position is not None
        if position >= len(cells):
            return
        name, aliases, qualifier = split_name(cells[position])
        if not name or len(name.split()) > 6 or _NOTHING.match(name):
            self.structure.block(span, 0, len(span.text), self.structure.subject)
            return
        start = offsets[position] + max(cells[position].find(name[:10]), 0)
        store = self.structure.entity(name, Where.at(span, start, start + len(name)), aliases, qualifier)
        for index, cell in enumerate(cells):
            header = self.header[index] if self.header is not None and index < len(self.header) else ""
            where = Where.at(span, offsets[index], offsets[index] + len(cell))
            if index != position and cell.strip() and not self._stated(store, header, cell, where):
                self.structure.block(span, offsets[index], offsets[index] + len(cell), store.key)

    def _zone(self, span: Span, cells: list[str], offsets: list[int]) -> None:
        """A row of a zone table: the zone its first cell names holds the components its members cell names."""
        from dicetm.ingest.extract_prose import Block

        zone_at, members_at = self.columns["zone"], self.columns["members"]
        assert zone_at is not None and members_at is not None
        if max(zone_at, members_at) >= len(cells) or not cells[zone_at].strip():
            return
        label = " ".join(re.sub(r"[*_`]", "", cells[zone_at]).split())
        where = Where.at(span, offsets[zone_at], offsets[zone_at] + len(cells[zone_at]))
        zone = Zone(f"{self.structure.prefix}:zone:{label.casefold()}", label, where)
        self.structure.out.extraction.zones.insert(0, zone)  # a zone table says outright what a "Runs on" cell implies
        self.structure.out.blocks.append(Block(span, offsets[members_at], offsets[members_at] + len(cells[members_at]),
                                               None, "zone-members", zone, self.structure.group))

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


def _names(cell: str, offset: int, separators: re.Pattern[str] = _LIST) -> list[tuple[int, int]]:
    """The text ranges of the names a cell lists ("Review Worker, Comment Poster", "A and B (C, D)")."""
    found, position = [], 0
    for separator in [*separators.finditer(cell), None]:
        stop = separator.start() if separator is not None else len(cell)
        part = cell[position:stop]
        if part.strip():
            start = position + len(part) - len(part.lstrip())
            found.append((offset + start, offset + start + len(part.strip())))
        position = separator.end() if separator is not None else len(cell)
    return found


def _columns(header: list[str]) -> dict[str, int | None]:
    def find(pattern: re.Pattern[str]) -> int | None:
        return next((i for i, cell in enumerate(header) if pattern.match(cell)), None)

    columns = {"from": find(_FROM), "to": find(_TO), "data": find(_DATA), "kind": find(_KIND),
               "technology": find(_TECHNOLOGY), "description": find(_DESCRIPTION), "name": find(_NAME),
               "hosting": find(_HOSTING), "acts_on": find(_ACTS_ON), "used_by": find(_USED_BY),
               "stored": find(_STORED), "members": find(_MEMBERS)}
    columns["zone"] = 0 if header and _ZONE.match(header[0]) else None
    columns["tools"] = next((i for i, cell in enumerate(header) if i != columns["name"] and _TOOLS.match(cell)), None)
    if columns["stored"] is not None and header and _DATA_NAME.match(header[0]):
        columns["data"] = 0  # "Data set | Contains | Where stored": rows about the store
    elif columns["stored"] is not None:
        columns["stored"] = None
    if columns["from"] is None and columns["acts_on"] is None and columns["to"] is not None:
        columns["acts_on"] = columns["to"]  # "Tool | Can | Target": no "from" column, so the row is the source
    if columns["name"] is None and (columns["kind"] is not None or columns["description"] is not None
                                    or columns["technology"] is not None or columns["hosting"] is not None):
        columns["name"] = 0
    return columns
