"""Who can reach what, second half: the passes for content a model reads without a caller typing it (retrieved
passages, tool output), for where sensitive data travels, and what of it an attacker can feed a model.
The conventions are those of ``rules.reach``: one multi-source breadth-first search (``spread``) per channel,
linear in elements + flows, shared per analysis when marked ``per_system``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dicetm.model import (
    STORE_KINDS,
    TOOL_KINDS,
    DataProvenance,
    Element,
    Kind,
    System,
)
from dicetm.model.system import CLASSIFICATION_RANK, Classification
from dicetm.rules.base import per_system
from dicetm.rules.reach import (
    CONTENT_PATH,
    DATA_HOLDERS,
    DATA_PATH,
    MODELS,
    RELAYS,
    RETRIEVAL_KINDS,
    SENSITIVE,
    WRITABLE_CONTENT,
    CallerReach,
    directions,
    front_ends,
    kinds,
    rank,
    replies,
    requests_from,
    spread,
    tool_returns_content,
)

# --------------------------------------------------------------------------------------------------
# channel: retrieved content (indirect input)


@dataclass
class ContentReach:
    known: dict[str, str]  # element -> untrusted source it is reached from
    any: dict[str, str]  # element -> untrusted or unknown-origin source it is reached from
    unknown_origin: set[str]  # sources whose trust is not stated


@per_system
def written_from_outside(system: System) -> set[str]:
    """Ids of elements an external entity sends data to directly."""
    return {system.other_end(flow, e.id) for e in system.elements if e.kind is Kind.external_entity
            for flow in system.flows_from.get(e.id, [])}


@per_system
def stored_from_outside(system: System) -> set[str]:
    """Stores an application writes what outsiders send it into (uploads, submissions, messages): ids of data
    stores and knowledge sources a front end (see ``front_ends``) writes to. A two-way flow is a query with its
    answer, not a write."""
    return {flow.target for front in front_ends(system) for flow in requests_from(system, front)
            if not flow.bidirectional
            and system.element_by_id[flow.target].kind in WRITABLE_CONTENT - {Kind.vector_store}}


@per_system
def retrieval_reach(system: System) -> ContentReach:
    """Follow retrievable content from untrusted or unknown-origin sources to the models that read it."""
    known: dict[str, str] = {}
    unknown: dict[str, str] = {}
    outside = written_from_outside(system) | stored_from_outside(system)
    knowledge = {e.id: e.id for e in system.elements if e.kind is Kind.knowledge_source}
    fed_by_knowledge = spread(system, knowledge, kinds(CONTENT_PATH - {Kind.retriever}))
    for element in system.elements:
        if element.kind not in CONTENT_PATH - RELAYS:
            continue
        if element.untrusted_content is True or (
            element.untrusted_content is None and element.kind in WRITABLE_CONTENT
            and element.id in outside
        ):
            known[element.id] = element.id
        elif element.untrusted_content is None and (
            element.kind is Kind.knowledge_source
            or (element.kind is Kind.vector_store and element.id not in fed_by_knowledge)
        ):
            unknown[element.id] = element.id
    through = kinds(CONTENT_PATH)
    back = replies(system)
    return ContentReach(known=spread(system, known, through, replies=back),
                         any=spread(system, {**known, **unknown}, through, replies=back), unknown_origin=set(unknown))


def grounded(system: System) -> dict[str, str]:
    """Models that receive retrieved content at all (any trust): id -> retrieval source."""
    starts = {e.id: e.id for e in system.elements if e.kind in RETRIEVAL_KINDS}
    return spread(system, starts, kinds(CONTENT_PATH), replies=replies(system))


# --------------------------------------------------------------------------------------------------
# channel: tool output (indirect input)


def acts_on_element(system: System, names: Mapping[str, str], tool: Element) -> Element | None:
    if not tool.acts_on:
        return None
    key = tool.acts_on.strip()
    element_id = key if key in system.element_by_id else names.get(key.lower())
    return system.element_by_id.get(element_id) if element_id else None


def outside_content(element: Element, outside: set[str]) -> bool:
    """Content written outside the organisation: stated, an external entity, or written by one."""
    if element.kind is Kind.external_entity or element.untrusted_content is True:
        return True
    return element.untrusted_content is None and element.id in outside


def from_the_web(system: System, element: Element) -> bool:
    """Content fetched from the open web: an external entity, or content outsiders write, outside every trust
    zone (the internet, by the model's convention), or a source stated to be scraped or downloaded from the
    internet."""
    if element.kind is Kind.external_entity or (element.kind in STORE_KINDS and element.untrusted_content is True):
        return element.id not in system.boundary_of
    return element.training_data_provenance is DataProvenance.public_web


def tool_trust(
    system: System, names: Mapping[str, str], outside: set[str], tool: Element, fed: Mapping[str, str]
) -> tuple[str, str]:
    """('untrusted' | 'unknown' | 'trusted', id of the element the content comes from).

    ``fed`` maps stores to the outside source whose content is ingested into them (``retrieval_reach``): a
    tool searching an index built from received mail returns what the mail's senders wrote."""
    target = acts_on_element(system, names, tool)
    if tool.untrusted_content is True:
        return "untrusted", tool.id
    if target is not None and outside_content(target, outside):
        return "untrusted", target.id
    if target is not None and target.untrusted_content is None and fed.get(target.id, target.id) != target.id:
        return "untrusted", fed[target.id]
    for neighbour in system.upstream(tool.id):
        if neighbour.kind not in MODELS and outside_content(neighbour, outside):
            return "untrusted", neighbour.id
    if tool.untrusted_content is False or (target is not None and target.untrusted_content is False):
        return "trusted", tool.id
    return "unknown", target.id if target is not None else tool.id


@dataclass
class ToolReach:
    known: dict[str, str]  # model -> tool whose output is known to carry outside content
    any: dict[str, str]  # model -> tool whose output may carry outside content
    source: dict[str, str]  # tool -> element the content comes from
    unknown: set[str]  # tools whose content trust is not stated


@per_system
def tool_reach(system: System) -> ToolReach:
    names = {e.name.strip().lower(): e.id for e in system.elements}
    outside = written_from_outside(system)
    fed = retrieval_reach(system).known
    known: dict[str, str] = {}
    unknown: dict[str, str] = {}
    source: dict[str, str] = {}
    for tool in system.elements:
        if tool.kind not in TOOL_KINDS or not tool_returns_content(tool):
            continue
        trust, origin = tool_trust(system, names, outside, tool, fed)
        source[tool.id] = origin
        if trust == "untrusted":
            known[tool.id] = tool.id
        elif trust == "unknown":
            unknown[tool.id] = tool.id
    # An MCP server returns what its tools fetch: a tool of it that returns outsiders' content makes it do so.
    for tool in system.elements:
        if tool.server and tool.id in known and tool.server in system.element_by_id and tool.server not in known:
            known[tool.server] = tool.server
            unknown.pop(tool.server, None)
            source[tool.server] = source[tool.id]
    through = kinds(RELAYS)
    back = replies(system)
    return ToolReach(known=spread(system, known, through, replies=back),
                      any=spread(system, {**known, **unknown}, through, replies=back), source=source,
                      unknown=set(unknown))


# --------------------------------------------------------------------------------------------------
# sensitive data


@per_system
def sensitive_reach(system: System) -> dict[str, str]:
    """Elements that confidential-or-higher data reaches (not via users or models): id -> data holder.

    Shared by the rules of one analysis (see ``per_system``): callers only read it."""
    starts: dict[str, str] = {}
    direct: dict[str, str] = {}
    for element in system.elements:
        if element.kind in DATA_HOLDERS and rank(element.classification) >= SENSITIVE:
            starts[element.id] = element.id
    for flow in system.flows:
        ends = [system.element_by_id.get(flow.source), system.element_by_id.get(flow.target)]
        if rank(flow.classification) < SENSITIVE or None in ends:
            continue
        if any(e.kind is Kind.external_entity for e in ends if e is not None):
            continue
        for sender, receiver in directions(flow.source, flow.target, flow.bidirectional):
            if system.element_by_id[sender].kind not in DATA_HOLDERS:
                continue
            if system.element_by_id[receiver].kind in MODELS:
                direct.setdefault(receiver, sender)
            else:
                starts.setdefault(receiver, sender)
    # Spread from the most sensitive holders first, so each element names the worst data that reaches it.
    def level(holder_id: str) -> int:
        return rank(system.element_by_id[holder_id].classification)

    reached: dict[str, str] = {}
    back = replies(system)
    for tier_rank in sorted({level(h) for h in starts.values()}, reverse=True):
        tier = {start: holder for start, holder in starts.items() if level(holder) == tier_rank}
        for element_id, holder in spread(system, tier, kinds(DATA_PATH), replies=back).items():
            reached.setdefault(element_id, holder)
    for model, sender in direct.items():
        if model not in reached or level(sender) > level(reached[model]):
            reached[model] = sender
    return reached


def level_text(element: Element) -> str:
    return element.classification.value if element.classification else "unclassified"


def max_classification(*values: Classification | None) -> Classification | None:
    stated = [v for v in values if v is not None]
    return max(stated, key=lambda c: CLASSIFICATION_RANK[c]) if stated else None


def attacker_input(system: System, reach: CallerReach) -> dict[str, str]:
    """Models fed by internet callers or by content known to come from outside: id -> source."""
    found: dict[str, str] = {}
    for table in (reach.internet, retrieval_reach(system).known, tool_reach(system).known):
        for key, value in table.items():
            found.setdefault(key, value)
    return found


