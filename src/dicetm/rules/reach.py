"""Who can reach what: the graph passes the AI rules share (callers' text, retrieved content, tool output,
sensitive data, who hears a model's answers). This module holds the graph basics and the callers' channel;
``rules.reach_content`` the retrieved-content, tool-output and sensitive-data channels.

Each channel is one multi-source breadth-first search (``spread``) that expands only through the element
kinds passing that channel's data on. Every search is linear in elements + flows; passes marked
``per_system`` run once per analysis and are shared by the rules that need them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from dicetm.model import (
    STORE_KINDS,
    TOOL_KINDS,
    Element,
    Exposure,
    Factor,
    Flow,
    Kind,
    ModelProvenance,
    Permission,
    System,
)
from dicetm.model.system import CLASSIFICATION_RANK, Classification
from dicetm.rules.base import per_system

MODELS = frozenset({Kind.llm, Kind.agent})
# Components that hand a caller's text on to the next hop (an app backend, an API gateway, a filter).
RELAYS = frozenset({Kind.process, Kind.guardrail})
# Components through which stored or retrieved content travels towards a prompt.
CONTENT_PATH = frozenset(
    {Kind.process, Kind.guardrail, Kind.retriever, Kind.vector_store, Kind.embedding_pipeline,
     Kind.knowledge_source, Kind.data_store}
)
# Components through which sensitive records travel towards a prompt (tools fetch records too).
DATA_PATH = CONTENT_PATH | TOOL_KINDS | {Kind.memory}
# Elements a model can fetch records from (a process's classification says what it handles, not holds).
DATA_HOLDERS = (STORE_KINDS - {Kind.log_store, Kind.agent_config}) | {Kind.retriever} | TOOL_KINDS
# Stores whose records people read as they were written: model output kept there reaches its readers.
SHOWN_STORES = frozenset({Kind.data_store, Kind.knowledge_source})
RETRIEVAL_KINDS = frozenset({Kind.knowledge_source, Kind.vector_store, Kind.retriever})
WRITABLE_CONTENT = frozenset({Kind.knowledge_source, Kind.vector_store, Kind.data_store})
EXPOSED = ("internet", "partner")
# Weights anyone can download: no secret to copy, and a ready stand-in for an attacker.
OPEN_WEIGHTS = frozenset({ModelProvenance.open_weights_verified, ModelProvenance.open_weights_unverified})
SENSITIVE = CLASSIFICATION_RANK[Classification.confidential]


# --------------------------------------------------------------------------------------------------
# graph helpers


def spread(
    system: System, starts: Mapping[str, str], through: Callable[[Element], bool], *, backward: bool = False,
    replies: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """Multi-source breadth-first search: reached element id -> label of the start it came from.

    ``starts`` maps start ids to labels (kept in insertion order, so results are deterministic).
    Starts are always expanded; any other element is recorded when reached but only expanded when
    ``through`` accepts it. ``backward`` follows flows against their direction. ``replies`` adds the answers
    to requests the model draws in one direction only (see ``replies``). Linear in the model.
    A general form of ``System.reachable_from`` (filtered, labelled, both directions).
    """
    index = system.flows_to if backward else system.flows_from
    elements = system.element_by_id
    replies = replies or {}
    origin: dict[str, str] = {}
    queue: deque[str] = deque()
    for start, label in starts.items():
        if start in elements and start not in origin:
            origin[start] = label
            queue.append(start)
    start_ids = set(origin)
    while queue:
        current = queue.popleft()
        if current not in start_ids and not through(elements[current]):  # only known elements are queued
            continue
        label = origin[current]
        for nxt in _neighbours(index.get(current, ()), current, replies.get(current, ())):
            if nxt not in origin and nxt in elements:
                origin[nxt] = label
                queue.append(nxt)
    return origin


def _neighbours(flows: Iterable[Flow], current: str, answers: Iterable[str]) -> Iterator[str]:
    """The other ends of ``flows`` at ``current``, then ``answers`` (the replies it gets), in that order."""
    for flow in flows:
        yield flow.target if flow.source == current else flow.source
    yield from answers


@per_system
def replies(system: System) -> dict[str, tuple[str, ...]]:
    """Answers the model implies but does not draw: element id -> elements its content goes back to.

    People often draw only the request: "agent -> search tool", "retriever -> index". A tool that returns content
    (it reads or executes, or its permissions are unset) and a retriever answer whoever sends them requests; a
    retriever, and a tool that reads, get back the content of the store they send their query to."""
    found: dict[str, dict[str, None]] = {}
    drawn = {(f.source, f.target) for f in system.flows} | {(f.target, f.source) for f in system.flows
                                                            if f.bidirectional}
    for flow in system.flows:
        if flow.bidirectional:
            continue
        sender, receiver = system.element_by_id.get(flow.source), system.element_by_id.get(flow.target)
        if sender is None or receiver is None or (receiver.id, sender.id) in drawn:
            continue
        answers = receiver.kind is Kind.retriever or (receiver.kind in TOOL_KINDS and tool_returns_content(receiver))
        reads = receiver.kind in STORE_KINDS and (sender.kind is Kind.retriever or (
            sender.kind in TOOL_KINDS and (sender.permissions is None or Permission.read in sender.permissions)))
        if answers or reads:
            found.setdefault(receiver.id, {})[sender.id] = None
    return {element_id: tuple(back) for element_id, back in found.items()}


def tool_returns_content(tool: Element) -> bool:
    """Tools that only write return a status, not content; read/execute tools return content."""
    if tool.permissions is None:
        return True
    return bool({Permission.read, Permission.execute} & set(tool.permissions))


def kinds(wanted: frozenset[Kind]) -> Callable[[Element], bool]:
    return lambda element: element.kind in wanted


def name_of(system: System, element_id: str) -> str:
    element = system.element_by_id.get(element_id)
    return element.name if element else element_id


def rank(classification: Classification | None) -> int:
    return -1 if classification is None else CLASSIFICATION_RANK[classification]


def neighbour_kinds(system: System, element_id: str) -> set[Kind]:
    return {e.kind for e in system.upstream(element_id)} | {e.kind for e in system.downstream(element_id)}


def directions(source: str, target: str, bidirectional: bool) -> list[tuple[str, str]]:
    """(sender, receiver) pairs a flow carries data in."""
    return [(source, target), (target, source)] if bidirectional else [(source, target)]


def talks_to_model(system: System, element: Element) -> bool:
    return bool(neighbour_kinds(system, element.id) & MODELS)


def loop_owners(system: System) -> Iterator[Element]:
    """Agents, and language models no agent drives: the element that decides what happens with a context
    (an agent's model is named in the agent's finding instead of getting its own)."""
    return iter(_loop_owners(system))


@per_system
def _loop_owners(system: System) -> tuple[Element, ...]:
    return tuple(model for model in models(system)
                 if not (model.kind is Kind.llm and any(e.kind is Kind.agent for e in system.upstream(model.id))))


def models(system: System) -> Iterator[Element]:
    """The language models and agents that answer prompts (not weight files a process only loads)."""
    return iter(_models(system))


@per_system
def _models(system: System) -> tuple[Element, ...]:
    """``models``, found once per analysis: some twenty rules start from them."""
    return tuple(e for e in system.elements if e.kind in MODELS and not loaded_weights(system, e))


# What supplies a model's weights rather than prompting it.
WEIGHT_SUPPLIERS = frozenset({Kind.registry, Kind.model_provider, Kind.fine_tuning_pipeline, Kind.data_store,
                              Kind.training_data})


# Where a model's weight files are kept on their way to it: a file store, a model registry.
WEIGHT_FILES = frozenset({Kind.data_store, Kind.registry})
MODEL_FILE_READERS = frozenset({Kind.llm, Kind.ml_model, Kind.fine_tuning_pipeline})


def weight_files(system: System, model: Element) -> list[Element]:
    """The stores a model (or training job) loads its weights from directly, and the outsiders who deliver
    them there (an app store, an update channel, a hub drawn as an external party)."""
    stores = [e for e in system.upstream(model.id) if e.kind in WEIGHT_FILES]
    senders = [e for store in stores for e in system.upstream(store.id)
               if e.kind is Kind.external_entity or e.third_party is True]
    return list({e.id: e for e in [*stores, *senders]}.values())


def holds_model_files(system: System, store: Element) -> bool:
    """A store that a model or training job loads from: what it holds is (also) model weights."""
    return store.kind in STORE_KINDS | {Kind.registry} and any(
        e.kind in MODEL_FILE_READERS for e in system.downstream(store.id))


def open_to_internet(element: Element) -> bool:
    """A store stated to answer on the internet itself and not stated to make callers authenticate: whoever
    finds it can read it, and often write to it."""
    return element.kind in STORE_KINDS and element.exposure is Exposure.internet and element.authenticated is not True


def loaded_weights(system: System, model: Element) -> bool:
    """A model element that stands for weight files a process loads, not a model that answers prompts: an llm
    whose weights are stated to be yours or downloaded (``model_provenance`` other than a vendor's API) and that
    only hubs, registries, stores and training jobs send to."""
    suppliers = system.upstream(model.id)
    return (model.kind is Kind.llm and model.model_provenance not in (None, ModelProvenance.vendor_api)
            and bool(suppliers) and all(e.kind in WEIGHT_SUPPLIERS for e in suppliers))


# --------------------------------------------------------------------------------------------------
# channel: text typed by callers (direct input)


@dataclass
class CallerReach:
    """Which elements callers' own text reaches, and through which entry point."""

    any: dict[str, str] = field(default_factory=dict)  # element -> entry it is reached from
    internet: dict[str, str] = field(default_factory=dict)  # ... from an internet-exposed entry
    exposed: dict[str, str] = field(default_factory=dict)  # ... from an internet- or partner-exposed entry
    anonymous: dict[str, str] = field(default_factory=dict)  # ... from an entry that does not authenticate
    unguarded: dict[str, str] = field(default_factory=dict)  # ... on a path with no guardrail
    unthrottled: dict[str, str] = field(default_factory=dict)  # ... exposed, with no rate limit on the path
    auth_unstated: set[str] = field(default_factory=set)  # anonymous entries whose authentication is unset
    limit_unstated: set[str] = field(default_factory=set)  # unthrottled entries whose rate limit is unset
    exposure_unstated: set[str] = field(default_factory=set)  # entries treated as exposed with exposure unset


def hosted_elsewhere(element: Element) -> bool:
    """A model run by a third party behind its API (the vendor's endpoint, not one of this system's)."""
    return element.kind in MODELS and (
        element.third_party is True or element.model_provenance is ModelProvenance.vendor_api)


def requests_from(system: System, element_id: str) -> list[Flow]:
    """Flows ``element_id`` starts: on a two-way flow the other end's answer is a reply, not a request."""
    return [f for f in system.flows_from.get(element_id, []) if f.source == element_id]


def requests_to(system: System, element_id: str) -> list[Flow]:
    """Flows that bring requests to ``element_id``: flows it receives, not the replies to flows it started."""
    return [f for f in system.flows_to.get(element_id, []) if f.target == element_id]


def entries_from(system: System, source: Element) -> Iterator[tuple[str, bool | None]]:
    """Elements an external entity sends requests to, with whether that hop authenticates (None: unstated)."""
    for flow in requests_from(system, source.id):
        target = system.element_by_id.get(system.other_end(flow, source.id))
        if target is None or target.kind is Kind.external_entity:
            continue
        stated = [v for v in (flow.authenticated, target.authenticated) if v is not None]
        yield target.id, (True in stated) if stated else None


@per_system
def caller_reach(system: System, *, through_models: bool) -> CallerReach:
    """Follow callers' text from external entities and exposed elements through relays (and models)."""
    hops = RELAYS | MODELS if through_models else RELAYS
    open_hops = hops - {Kind.guardrail}
    carriers = hops | MODELS
    reach = CallerReach()
    starts: dict[str, str] = {}
    internet: dict[str, str] = {}
    exposed: dict[str, str] = {}
    anonymous: dict[str, str] = {}
    unthrottled: dict[str, str] = {}
    fed_from_outside: set[str] = set()
    for element in system.elements:
        if element.kind is not Kind.external_entity:
            continue
        starts[element.id] = element.id
        for target, authenticated in entries_from(system, element):
            if system.element_by_id[target].kind not in carriers:
                continue
            fed_from_outside.add(target)
            if authenticated is not True:
                anonymous.setdefault(target, target)
                if authenticated is None:
                    reach.auth_unstated.add(target)
    for element in system.elements:
        if element.kind not in carriers:
            continue
        fed = element.id in fed_from_outside
        # A vendor's model API is on the internet for the vendor's customers, not for this system's callers:
        # its exposure makes it an entry point only when outsiders are modelled sending to it directly.
        stated = element.exposure is not None and element.exposure.value in EXPOSED and (
            fed or not hosted_elsewhere(element))
        if not stated and not (element.exposure is None and fed):
            continue
        starts.setdefault(element.id, element.id)
        exposed[element.id] = element.id
        if not stated:
            reach.exposure_unstated.add(element.id)
        elif element.exposure is not None and element.exposure.value == "internet":
            internet[element.id] = element.id
        if element.authenticated is not True:
            anonymous.setdefault(element.id, element.id)
            if element.authenticated is None:
                reach.auth_unstated.add(element.id)
        if element.rate_limited is not True:
            unthrottled[element.id] = element.id
            if element.rate_limited is None:
                reach.limit_unstated.add(element.id)

    def follow(from_: dict[str, str], through: Callable[[Element], bool]) -> dict[str, str]:
        # A model that is itself an entry point is reached, but passes text on only if models are hops.
        expanding = {k: v for k, v in from_.items()
                     if through_models or system.element_by_id[k].kind not in MODELS}
        found = spread(system, expanding, through)
        for key, label in from_.items():
            found.setdefault(key, label)
        return found

    reach.any = follow(starts, kinds(hops))
    reach.internet = follow(internet, kinds(hops))
    reach.exposed = follow(exposed, kinds(hops))
    reach.anonymous = follow(anonymous, kinds(hops))
    open_starts = {k: v for k, v in starts.items() if system.element_by_id[k].kind is not Kind.guardrail}
    reach.unguarded = follow(open_starts, kinds(open_hops))
    reach.unthrottled = follow(unthrottled, lambda e: e.kind in hops and e.rate_limited is not True)
    return reach


def entry_of(reach: CallerReach, element_id: str) -> str:
    """The most exposed entry point a model is reached from."""
    for table in (reach.internet, reach.exposed, reach.anonymous, reach.any):
        if element_id in table:
            return table[element_id]
    return element_id


def entry_name(system: System, entry: str, model: Element) -> str:
    """How a scenario names the entry point; a model that is its own entry point has its own interface."""
    return "its own interface" if entry == model.id else name_of(system, entry)


def internet_factor(system: System, reach: CallerReach, element_id: str, note: str) -> list[Factor]:
    if element_id not in reach.internet:
        return []
    entry = reach.internet[element_id]
    return [Factor(target="likelihood", delta=1, fact=f"{entry}.exposure=internet", note=note)]


def anonymous_factor(system: System, reach: CallerReach, element_id: str) -> tuple[list[Factor], list[str]]:
    if element_id not in reach.anonymous:
        return [], []
    entry = reach.anonymous[element_id]
    unstated = entry in reach.auth_unstated
    stated = "unset" if unstated else "false"
    factor = Factor(target="likelihood", delta=1, fact=f"{entry}.authenticated={stated}",
                    note="callers need not sign in, so nobody can be identified or blocked")
    assumptions = []
    if unstated:
        assumptions.append(f"Authentication of callers at {name_of(system, entry)} is not stated; "
                           "assumed none.")
    return [factor], assumptions


def exposure_assumption(system: System, reach: CallerReach, entry: str) -> list[str]:
    if entry not in reach.exposure_unstated:
        return []
    return [f"Where {name_of(system, entry)} can be reached from is not stated; since external entities "
            "send to it, assumed it is reachable from outside the organisation."]


@per_system
def front_ends(system: System) -> dict[str, str]:
    """Processes that receive requests from an external entity: id -> that entity. They answer their callers
    even when the model draws no flow back to the entity."""
    found: dict[str, str] = {}
    for entity in system.of_kind(Kind.external_entity):
        for flow in requests_from(system, entity.id):
            target = system.element_by_id.get(flow.target)
            if target is not None and target.kind in RELAYS:
                found.setdefault(target.id, entity.id)
    return found


@per_system
def speaks_to_outside(system: System, *, through_models: bool = True, through_stores: bool = False) -> dict[str, str]:
    """Elements whose output reaches an external entity (via relays, and other models): id -> entity.

    A front end (see ``front_ends``) counts as reaching the entity that calls it. ``through_stores``: output
    written to a store that people read (reviews, reports, tickets, records) reaches them too."""
    starts = {e.id: e.id for e in system.elements if e.kind is Kind.external_entity}
    for front, entity in front_ends(system).items():
        starts.setdefault(front, entity)
    hops = (RELAYS | MODELS if through_models else RELAYS) | (SHOWN_STORES if through_stores else frozenset())
    return spread(system, starts, kinds(hops), backward=True)
