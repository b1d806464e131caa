"""LLM family: application-level threats to language models, their prompts and their outputs.

Covers OWASP Top 10 for LLM Applications 2025 items LLM01 (prompt injection), LLM02 (sensitive
information disclosure), LLM05 (improper output handling), LLM07 (system prompt leakage), LLM09
(misinformation) and LLM10 (unbounded consumption). Data, supply-chain and vector-store poisoning
(LLM03, LLM04, LLM08) belong to the DATA family, excessive agency (LLM06) to the AGENT family.

Where findings land (the element that is actually threatened):

- injection, disclosure through answers, output handling, system prompt, misinformation, consumption
  and extraction: on the ``llm`` / ``agent`` element. Output handling fires on the model whose
  ``output_rendered_as`` says how its output is used (the fact lives there); the scenario names the
  component that renders or executes it. Shell/code output handed to a tool with execute permission
  is left to T-AGENT-005, which fires on that tool.
- prompt logging: on the ``log_store`` the prompts are written to, or on the model / process that
  logs when no log store is modelled.
- training on user input: on the third-party ``model_provider`` (or on a hosted ``llm`` when no
  provider element is modelled).
- cross-tenant retrieval: on the shared ``vector_store`` / ``memory`` (or a shared ``retriever``
  in front of a store that does not itself fire).

How data reaches a model is worked out with ``_spread``: one multi-source breadth-first search per
channel, which expands only through the element kinds that pass that channel's data on. Every
search is linear in elements + flows, and each rule runs a fixed number of them.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from dicetm.model import STORE_KINDS, Element, Factor, Kind, ModelProvenance, OutputFormat, Permission, System
from dicetm.model.system import CLASSIFICATION_RANK, Classification
from dicetm.rules.base import Hit, RuleFunction, per_system

MODELS = frozenset({Kind.llm, Kind.agent})
# Components that hand a caller's text on to the next hop (an app backend, an API gateway, a filter).
RELAYS = frozenset({Kind.process, Kind.guardrail})
# Components through which stored or retrieved content travels towards a prompt.
CONTENT_PATH = frozenset(
    {Kind.process, Kind.guardrail, Kind.retriever, Kind.vector_store, Kind.embedding_pipeline,
     Kind.knowledge_source, Kind.data_store}
)
# Components through which sensitive records travel towards a prompt (tools fetch records too).
DATA_PATH = CONTENT_PATH | {Kind.tool, Kind.memory}
# Elements a model can fetch records from (a process's classification says what it handles, not holds).
DATA_HOLDERS = (STORE_KINDS - {Kind.log_store}) | {Kind.retriever, Kind.tool}
RETRIEVAL_KINDS = frozenset({Kind.knowledge_source, Kind.vector_store, Kind.retriever})
WRITABLE_CONTENT = frozenset({Kind.knowledge_source, Kind.vector_store, Kind.data_store})
EXPOSED = ("internet", "partner")
SENSITIVE = CLASSIFICATION_RANK[Classification.confidential]
SHORT_RETENTION_DAYS = 30.0


# --------------------------------------------------------------------------------------------------
# graph helpers


def _spread(
    system: System, starts: Mapping[str, str], through: Callable[[Element], bool], *, backward: bool = False
) -> dict[str, str]:
    """Multi-source breadth-first search: reached element id -> label of the start it came from.

    ``starts`` maps start ids to labels (kept in insertion order, so results are deterministic).
    Starts are always expanded; any other element is recorded when reached but only expanded when
    ``through`` accepts it. ``backward`` follows flows against their direction. Linear in the model.
    A general form of ``System.reachable_from`` (filtered, labelled, both directions).
    """
    index = system.flows_to if backward else system.flows_from
    origin: dict[str, str] = {}
    queue: deque[str] = deque()
    for start, label in starts.items():
        if start in system.element_by_id and start not in origin:
            origin[start] = label
            queue.append(start)
    start_ids = set(origin)
    while queue:
        current = queue.popleft()
        element = system.element_by_id.get(current)
        if element is None or (current not in start_ids and not through(element)):
            continue
        for flow in index.get(current, []):
            nxt = system.other_end(flow, current)
            if nxt not in origin and nxt in system.element_by_id:
                origin[nxt] = origin[current]
                queue.append(nxt)
    return origin


def _kinds(kinds: frozenset[Kind]) -> Callable[[Element], bool]:
    return lambda element: element.kind in kinds


def _name(system: System, element_id: str) -> str:
    element = system.element_by_id.get(element_id)
    return element.name if element else element_id


def _rank(classification: Classification | None) -> int:
    return -1 if classification is None else CLASSIFICATION_RANK[classification]


def _neighbour_kinds(system: System, element_id: str) -> set[Kind]:
    return {e.kind for e in system.upstream(element_id)} | {e.kind for e in system.downstream(element_id)}


def _directions(source: str, target: str, bidirectional: bool) -> list[tuple[str, str]]:
    """(sender, receiver) pairs a flow carries data in."""
    return [(source, target), (target, source)] if bidirectional else [(source, target)]


def _talks_to_model(system: System, element: Element) -> bool:
    return bool(_neighbour_kinds(system, element.id) & MODELS)


def _models(system: System) -> Iterator[Element]:
    return (e for e in system.elements if e.kind in MODELS)


# --------------------------------------------------------------------------------------------------
# channel: text typed by callers (direct input)


@dataclass
class _CallerReach:
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


def _entry_of(system: System, source: Element) -> Iterator[tuple[str, bool | None]]:
    """Elements an external entity sends to, with whether that hop authenticates (None: unstated)."""
    for flow in system.flows_from.get(source.id, []):
        target = system.element_by_id.get(system.other_end(flow, source.id))
        if target is None or target.kind is Kind.external_entity:
            continue
        stated = [v for v in (flow.authenticated, target.authenticated) if v is not None]
        yield target.id, (True in stated) if stated else None


@per_system
def _caller_reach(system: System, *, through_models: bool) -> _CallerReach:
    """Follow callers' text from external entities and exposed elements through relays (and models)."""
    hops = RELAYS | MODELS if through_models else RELAYS
    open_hops = hops - {Kind.guardrail}
    carriers = hops | MODELS
    reach = _CallerReach()
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
        for target, authenticated in _entry_of(system, element):
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
        stated = element.exposure is not None and element.exposure.value in EXPOSED
        if not stated and not (element.exposure is None and element.id in fed_from_outside):
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
        found = _spread(system, expanding, through)
        for key, label in from_.items():
            found.setdefault(key, label)
        return found

    reach.any = follow(starts, _kinds(hops))
    reach.internet = follow(internet, _kinds(hops))
    reach.exposed = follow(exposed, _kinds(hops))
    reach.anonymous = follow(anonymous, _kinds(hops))
    open_starts = {k: v for k, v in starts.items() if system.element_by_id[k].kind is not Kind.guardrail}
    reach.unguarded = follow(open_starts, _kinds(open_hops))
    reach.unthrottled = follow(unthrottled, lambda e: e.kind in hops and e.rate_limited is not True)
    return reach


def _entry(reach: _CallerReach, element_id: str) -> str:
    """The most exposed entry point a model is reached from."""
    for table in (reach.internet, reach.exposed, reach.anonymous, reach.any):
        if element_id in table:
            return table[element_id]
    return element_id


def _entry_name(system: System, entry: str, model: Element) -> str:
    """How a scenario names the entry point; a model that is its own entry point has its own interface."""
    return "its own interface" if entry == model.id else _name(system, entry)


def _internet_factor(system: System, reach: _CallerReach, element_id: str, note: str) -> list[Factor]:
    if element_id not in reach.internet:
        return []
    entry = reach.internet[element_id]
    return [Factor(target="likelihood", delta=1, fact=f"{entry}.exposure=internet", note=note)]


def _anonymous_factor(system: System, reach: _CallerReach, element_id: str) -> tuple[list[Factor], list[str]]:
    if element_id not in reach.anonymous:
        return [], []
    entry = reach.anonymous[element_id]
    unstated = entry in reach.auth_unstated
    stated = "unset" if unstated else "false"
    factor = Factor(target="likelihood", delta=1, fact=f"{entry}.authenticated={stated}",
                    note="callers need not sign in, so nobody can be identified or blocked")
    assumptions = []
    if unstated:
        assumptions.append(f"Authentication of callers at {_name(system, entry)} is not stated; "
                           "assumed none.")
    return [factor], assumptions


def _exposure_assumption(system: System, reach: _CallerReach, entry: str) -> list[str]:
    if entry not in reach.exposure_unstated:
        return []
    return [f"Where {_name(system, entry)} can be reached from is not stated; since external entities "
            "send to it, assumed it is reachable from outside the organisation."]


@per_system
def _speaks_to_outside(system: System, *, through_models: bool = True) -> dict[str, str]:
    """Elements whose output reaches an external entity (via relays, and other models): id -> entity."""
    starts = {e.id: e.id for e in system.elements if e.kind is Kind.external_entity}
    return _spread(system, starts, _kinds(RELAYS | MODELS if through_models else RELAYS), backward=True)


# --------------------------------------------------------------------------------------------------
# channel: retrieved content (indirect input)


@dataclass
class _ContentReach:
    known: dict[str, str]  # element -> untrusted source it is reached from
    any: dict[str, str]  # element -> untrusted or unknown-origin source it is reached from
    unknown_origin: set[str]  # sources whose trust is not stated


@per_system
def _written_from_outside(system: System) -> set[str]:
    """Ids of elements an external entity sends data to directly."""
    return {system.other_end(flow, e.id) for e in system.elements if e.kind is Kind.external_entity
            for flow in system.flows_from.get(e.id, [])}


@per_system
def _retrieval_reach(system: System) -> _ContentReach:
    """Follow retrievable content from untrusted or unknown-origin sources to the models that read it."""
    known: dict[str, str] = {}
    unknown: dict[str, str] = {}
    outside = _written_from_outside(system)
    knowledge = {e.id: e.id for e in system.elements if e.kind is Kind.knowledge_source}
    fed_by_knowledge = _spread(system, knowledge, _kinds(CONTENT_PATH - {Kind.retriever}))
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
    through = _kinds(CONTENT_PATH)
    return _ContentReach(known=_spread(system, known, through),
                         any=_spread(system, {**known, **unknown}, through), unknown_origin=set(unknown))


def _grounded(system: System) -> dict[str, str]:
    """Models that receive retrieved content at all (any trust): id -> retrieval source."""
    starts = {e.id: e.id for e in system.elements if e.kind in RETRIEVAL_KINDS}
    return _spread(system, starts, _kinds(CONTENT_PATH))


# --------------------------------------------------------------------------------------------------
# channel: tool output (indirect input)


def _acts_on(system: System, names: Mapping[str, str], tool: Element) -> Element | None:
    if not tool.acts_on:
        return None
    key = tool.acts_on.strip()
    element_id = key if key in system.element_by_id else names.get(key.lower())
    return system.element_by_id.get(element_id) if element_id else None


def _tool_returns_content(tool: Element) -> bool:
    """Tools that only write return a status, not content; read/execute tools return content."""
    if tool.permissions is None:
        return True
    return bool({Permission.read, Permission.execute} & set(tool.permissions))


def _outside_content(element: Element, outside: set[str]) -> bool:
    """Content written outside the organisation: stated, an external entity, or written by one."""
    if element.kind is Kind.external_entity or element.untrusted_content is True:
        return True
    return element.untrusted_content is None and element.id in outside


def _tool_trust(
    system: System, names: Mapping[str, str], outside: set[str], tool: Element
) -> tuple[str, str]:
    """('untrusted' | 'unknown' | 'trusted', id of the element the content comes from)."""
    target = _acts_on(system, names, tool)
    if tool.untrusted_content is True:
        return "untrusted", tool.id
    if target is not None and _outside_content(target, outside):
        return "untrusted", target.id
    for neighbour in system.upstream(tool.id):
        if neighbour.kind not in MODELS and _outside_content(neighbour, outside):
            return "untrusted", neighbour.id
    if tool.untrusted_content is False or (target is not None and target.untrusted_content is False):
        return "trusted", tool.id
    return "unknown", target.id if target is not None else tool.id


@dataclass
class _ToolReach:
    known: dict[str, str]  # model -> tool whose output is known to carry outside content
    any: dict[str, str]  # model -> tool whose output may carry outside content
    source: dict[str, str]  # tool -> element the content comes from
    unknown: set[str]  # tools whose content trust is not stated


@per_system
def _tool_reach(system: System) -> _ToolReach:
    names = {e.name.strip().lower(): e.id for e in system.elements}
    outside = _written_from_outside(system)
    known: dict[str, str] = {}
    unknown: dict[str, str] = {}
    source: dict[str, str] = {}
    for tool in system.elements:
        if tool.kind is not Kind.tool or not _tool_returns_content(tool):
            continue
        trust, origin = _tool_trust(system, names, outside, tool)
        source[tool.id] = origin
        if trust == "untrusted":
            known[tool.id] = tool.id
        elif trust == "unknown":
            unknown[tool.id] = tool.id
    through = _kinds(RELAYS)
    return _ToolReach(known=_spread(system, known, through),
                      any=_spread(system, {**known, **unknown}, through), source=source, unknown=set(unknown))


# --------------------------------------------------------------------------------------------------
# sensitive data


def _sensitive_reach(system: System) -> dict[str, str]:
    """Elements that confidential-or-higher data reaches (not via users or models): id -> data holder."""
    starts: dict[str, str] = {}
    direct: dict[str, str] = {}
    for element in system.elements:
        if element.kind in DATA_HOLDERS and _rank(element.classification) >= SENSITIVE:
            starts[element.id] = element.id
    for flow in system.flows:
        ends = [system.element_by_id.get(flow.source), system.element_by_id.get(flow.target)]
        if _rank(flow.classification) < SENSITIVE or None in ends:
            continue
        if any(e.kind is Kind.external_entity for e in ends if e is not None):
            continue
        for sender, receiver in _directions(flow.source, flow.target, flow.bidirectional):
            if system.element_by_id[sender].kind not in DATA_HOLDERS:
                continue
            if system.element_by_id[receiver].kind in MODELS:
                direct.setdefault(receiver, sender)
            else:
                starts.setdefault(receiver, sender)
    # Spread from the most sensitive holders first, so each element names the worst data that reaches it.
    def level(holder_id: str) -> int:
        return _rank(system.element_by_id[holder_id].classification)

    reached: dict[str, str] = {}
    for rank in sorted({level(h) for h in starts.values()}, reverse=True):
        tier = {start: holder for start, holder in starts.items() if level(holder) == rank}
        for element_id, holder in _spread(system, tier, _kinds(DATA_PATH)).items():
            reached.setdefault(element_id, holder)
    for model, sender in direct.items():
        if model not in reached or level(sender) > level(reached[model]):
            reached[model] = sender
    return reached


def _level(element: Element) -> str:
    return element.classification.value if element.classification else "unclassified"


def _max_classification(*values: Classification | None) -> Classification | None:
    stated = [v for v in values if v is not None]
    return max(stated, key=lambda c: CLASSIFICATION_RANK[c]) if stated else None


def _attacker_input(system: System, reach: _CallerReach) -> dict[str, str]:
    """Models fed by internet callers or by content known to come from outside: id -> source."""
    found: dict[str, str] = {}
    for table in (reach.internet, _retrieval_reach(system).known, _tool_reach(system).known):
        for key, value in table.items():
            found.setdefault(key, value)
    return found


# --------------------------------------------------------------------------------------------------
# T-LLM-001 .. 003: prompt injection (LLM01)


def direct_prompt_injection(system: System) -> Iterator[Hit]:
    """A model whose prompt carries text typed by callers, without another model in between."""
    reach = _caller_reach(system, through_models=False)
    for model in _models(system):
        if model.id not in reach.any:
            continue
        entry = _entry(reach, model.id)
        factors = _internet_factor(system, reach, model.id, "anyone on the internet can send it prompts")
        anonymous, assumptions = _anonymous_factor(system, reach, model.id)
        factors += anonymous
        if model.id not in reach.unguarded:
            factors.append(Factor(target="likelihood", delta=-1, fact=f"{model.id}.upstream=guardrail",
                                  note="every path from callers passes a guardrail"))
        yield Hit(element=model.id, others=(entry,), values={"entry": _entry_name(system, entry, model)},
                  factors=tuple(factors), assumptions=tuple(assumptions))


def retrieved_content_injection(system: System) -> Iterator[Hit]:
    """A model that reads retrieved content from sources outsiders can write, or whose origin is unknown."""
    content = _retrieval_reach(system)
    for model in _models(system):
        if model.id not in content.any:
            continue
        source = content.known.get(model.id, content.any[model.id])
        factors: list[Factor] = []
        assumptions: list[str] = []
        if model.id in content.known:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{source}.content=outside",
                                  note="people outside the organisation can write content it retrieves"))
        else:
            assumptions.append(f"Who can write the content of {_name(system, source)} is not stated; assumed "
                               "outsiders can.")
        yield Hit(element=model.id, others=(source,), values={"source_name": _name(system, source)},
                  factors=tuple(factors), assumptions=tuple(assumptions))


def tool_output_injection(system: System) -> Iterator[Hit]:
    """A model that reads tool results carrying content outsiders can write."""
    tools = _tool_reach(system)
    for model in _models(system):
        if model.id not in tools.any:
            continue
        tool = tools.known.get(model.id, tools.any[model.id])
        origin = tools.source.get(tool, tool)
        factors: list[Factor] = []
        assumptions: list[str] = []
        if model.id in tools.known:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{origin}.content=outside",
                                  note="the tool returns content written outside the organisation"))
        else:
            assumptions.append(f"Whether the content returned by {_name(system, tool)} can be written by "
                               "outsiders is not stated; assumed it can.")
        yield Hit(element=model.id, others=tuple(dict.fromkeys((tool, origin))),
                  values={"tool": _name(system, tool), "origin": _name(system, origin)},
                  factors=tuple(factors), assumptions=tuple(assumptions))


# --------------------------------------------------------------------------------------------------
# T-LLM-004 .. 007: sensitive information disclosure (LLM02)


def disclosure_through_answers(system: System) -> Iterator[Hit]:
    """A model that can read confidential-or-higher data and whose answers reach people outside."""
    sensitive = _sensitive_reach(system)
    speaks = _speaks_to_outside(system)
    reach = _caller_reach(system, through_models=False)
    for model in _models(system):
        if model.id not in sensitive or model.id not in speaks:
            continue
        holder = system.element_by_id[sensitive[model.id]]
        audience = speaks[model.id]
        factors = _internet_factor(system, reach, model.id, "anyone on the internet can ask it questions")
        if _rank(holder.classification) >= CLASSIFICATION_RANK[Classification.personal]:
            factors.append(Factor(target="impact", delta=1, fact=f"{holder.id}.classification>=personal",
                                  note="the data includes personal or secret information"))
        yield Hit(element=model.id, others=(holder.id, audience),
                  values={"holder": holder.name, "audience": _name(system, audience)}, factors=tuple(factors))


def _retention_days(text: str | None) -> float | None:
    """Days a retention text stands for; inf for 'forever'; None when not stated or unreadable."""
    if text is None:
        return None
    value = text.strip().lower()
    if any(word in value for word in ("forever", "indefinite", "permanent", "unlimited", "no limit")):
        return math.inf
    if value in {"none", "0", "no", "zero", "not retained", "not kept", "not stored", "ephemeral"} or (
        "session" in value and not any(ch.isdigit() for ch in value)
    ):
        return 0.0
    match = re.search(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value)
    if match is None:
        return None
    units = {"h": 1 / 24, "hour": 1 / 24, "hr": 1 / 24, "min": 1 / 1440, "minute": 1 / 1440, "d": 1.0,
             "day": 1.0, "w": 7.0, "wk": 7.0, "week": 7.0, "m": 30.0, "mo": 30.0, "month": 30.0,
             "y": 365.0, "yr": 365.0, "year": 365.0, "": 1.0}
    unit = match[2][:-1] if match[2].endswith("s") and match[2][:-1] in units else match[2]
    return float(match[1]) * units[unit] if unit in units else None


def _logs_prompts(element: Element) -> bool:
    """Models log prompts unless stated otherwise; other processes only when stated."""
    if element.kind in MODELS:
        return element.logs_prompts is not False
    return element.kind is Kind.process and element.logs_prompts is True


def _prompt_sensitivity(system: System, elements: list[Element]) -> Classification | None:
    """Most sensitive classification stated on these elements or on flows into them."""
    values: list[Classification | None] = []
    for element in elements:
        values.append(element.classification)
        values.extend(f.classification for f in system.flows_to.get(element.id, []))
    return _max_classification(*values)


def prompt_logs_keep_sensitive_data(system: System) -> Iterator[Hit]:
    """Prompts written to logs that may hold personal or confidential data, kept for long or unknown."""
    writers: dict[str, dict[str, Element]] = {}
    handles_prompts: dict[str, bool] = {}
    for flow in system.flows:
        for sender_id, receiver_id in _directions(flow.source, flow.target, flow.bidirectional):
            sender, receiver = system.element_by_id.get(sender_id), system.element_by_id.get(receiver_id)
            if sender is None or receiver is None or receiver.kind is not Kind.log_store:
                continue
            if sender.id not in handles_prompts:
                handles_prompts[sender.id] = _logs_prompts(sender) and (
                    sender.kind in MODELS or _talks_to_model(system, sender))
            if handles_prompts[sender.id]:
                writers.setdefault(receiver.id, {})[sender.id] = sender
    # Models whose prompts a neighbouring writer already sends to a log store: that store carries it.
    covered = {writer for found in writers.values() for writer in found}
    for writer in list(covered):
        covered.update(e.id for e in system.upstream(writer) + system.downstream(writer) if e.kind in MODELS)
    for element in system.elements:
        if element.kind is Kind.log_store and element.id in writers:
            yield from _log_hit(system, element, list(writers[element.id].values()))
        elif element.kind in MODELS | {Kind.process} and _logs_prompts(element):
            if element.kind is Kind.process and not _talks_to_model(system, element):
                continue
            if element.id in covered and element.logs_prompts is None:
                continue
            if any(e.kind is Kind.log_store for e in system.downstream(element.id)):
                continue
            yield from _log_hit(system, element, [element])


def _log_hit(system: System, primary: Element, writers: list[Element]) -> Iterator[Hit]:
    days = _retention_days(primary.retention)
    if days is not None and days <= SHORT_RETENTION_DAYS:
        return
    level = _prompt_sensitivity(system, [primary, *writers])
    if level is not None and CLASSIFICATION_RANK[level] < SENSITIVE:
        return
    factors: list[Factor] = []
    assumptions: list[str] = []
    if level is None:
        assumptions.append(f"What the prompts logged at {primary.name} contain is not stated; assumed they "
                           "include personal or confidential data users type in.")
    elif CLASSIFICATION_RANK[level] >= CLASSIFICATION_RANK[Classification.personal]:
        factors.append(Factor(target="impact", delta=1, fact=f"{primary.id}.prompts={level.value}",
                              note=f"the logged prompts carry {level.value} data"))
    if days is None:
        assumptions.append(f"How long {primary.name} keeps logged prompts is not stated; "
                           "assumed indefinitely.")
    kept = primary.retention or "unset"
    factors.append(Factor(target="impact", delta=1, fact=f"{primary.id}.retention={kept}",
                          note="logs kept long or without a limit hold more data for longer"))
    if primary.logs_prompts is None and primary.kind in MODELS:
        factors.append(Factor(target="likelihood", delta=-1, fact=f"{primary.id}.logs_prompts=unset",
                              note="logging of prompts is assumed, not confirmed"))
        assumptions.append(f"Whether {primary.name} logs prompts is not stated; assumed it does.")
    if days == math.inf:
        kept_for = "kept without a time limit"
    else:
        kept_for = f"kept for {primary.retention}" if primary.retention else "kept for an unstated period"
    writer_names = ", ".join(w.name for w in writers)
    where = primary.name if primary.kind is Kind.log_store else f"the prompt logs of {primary.name}"
    yield Hit(element=primary.id, others=tuple(w.id for w in writers if w.id != primary.id),
              values={"writers": writer_names, "kept_for": kept_for, "where": where},
              factors=tuple(factors), assumptions=tuple(assumptions))


def _third_party_model(element: Element) -> tuple[bool, bool]:
    """(is operated by a third party, that was assumed because third_party is unset)."""
    if element.third_party is not None:
        return element.third_party, False
    if element.kind is Kind.model_provider:
        if element.model_provenance in (None, ModelProvenance.vendor_api):
            return True, True
        return False, False
    return element.model_provenance is ModelProvenance.vendor_api, False


def provider_trains_on_user_input(system: System) -> Iterator[Hit]:
    """A third-party model or provider that may train on the prompts users send it."""
    entries = {e.id for e in system.elements
               if e.kind is Kind.external_entity or (e.exposure is not None and e.exposure.value in EXPOSED)}
    reached = system.reachable_from(entries)
    for element in system.elements:
        if element.kind not in (Kind.model_provider, Kind.llm) or element.id not in reached:
            continue
        if element.trains_on_user_input is False:
            continue
        if element.kind is Kind.llm and Kind.model_provider in _neighbour_kinds(system, element.id):
            continue  # the provider element carries the finding
        third, assumed = _third_party_model(element)
        if not third:
            continue
        assumptions: list[str] = []
        if assumed:
            assumptions.append(f"Who operates {element.name} is not stated; assumed a third party.")
        if element.trains_on_user_input is None:
            assumptions.append(f"Whether {element.name} may retain prompts and train on them is not stated; "
                               "assumed the terms allow it.")
        factors: list[Factor] = []
        level = _prompt_sensitivity(system, [element])
        if level is not None and CLASSIFICATION_RANK[level] >= CLASSIFICATION_RANK[Classification.personal]:
            factors.append(Factor(target="impact", delta=1, fact=f"{element.id}.prompts={level.value}",
                                  note=f"prompts sent to it carry {level.value} data"))
        yield Hit(element=element.id, factors=tuple(factors), assumptions=tuple(assumptions))


def _shared_store(element: Element) -> tuple[bool, bool]:
    """(retrieval may cross tenants, that was assumed because multi_tenant is unset)."""
    if element.multi_tenant is not None:
        return element.multi_tenant, False
    return _rank(element.classification) >= SENSITIVE, True


def cross_tenant_retrieval(system: System) -> Iterator[Hit]:
    """A retrieval index or memory shared by several tenants or access levels."""
    for element in system.elements:
        if element.kind in (Kind.vector_store, Kind.memory):
            shared, assumed = _shared_store(element)
            if not shared:
                continue
            assumptions: tuple[str, ...] = ()
            if assumed:
                assumptions = (f"Whether {element.name} holds data of several tenants or access levels is "
                               f"not stated; assumed it does, since it holds {_level(element)} data.",)
            yield Hit(element=element.id, values={"store": element.name}, assumptions=assumptions)
        elif element.kind is Kind.retriever and element.multi_tenant is True:
            stores = [e for e in system.upstream(element.id) + system.downstream(element.id)
                      if e.kind in (Kind.vector_store, Kind.memory)]
            if any(_shared_store(s)[0] for s in stores):
                continue  # the shared store carries the finding
            yield Hit(element=element.id, others=tuple(s.id for s in stores),
                      values={"store": stores[0].name if stores else "the index it searches"})


# --------------------------------------------------------------------------------------------------
# T-LLM-008 .. 011: improper output handling (LLM05)


def _direct_consumer(system: System, model: Element, preference: tuple[Kind, ...]) -> str | None:
    """The first element the model sends output to, by kind preference."""
    receivers = [e for e in system.downstream(model.id) if e.kind in preference]
    for kind in preference:
        for element in receivers:
            if element.kind is kind:
                return element.id
    return None


def _database_consumers(system: System) -> dict[str, str]:
    """Elements whose output reaches a data store through relays or tools: id -> data store."""
    starts = {e.id: e.id for e in system.elements if e.kind is Kind.data_store}
    return _spread(system, starts, _kinds(RELAYS | {Kind.tool}), backward=True)


def _output_hit(
    system: System, model: Element, attacker: Mapping[str, str], consumer_id: str | None, fallback: str,
    assumptions: tuple[str, ...] = (), formats: str = "",
) -> Hit:
    factors: list[Factor] = []
    if model.id in attacker:
        source = attacker[model.id]
        factors.append(Factor(target="likelihood", delta=1, fact=f"{model.id}.input_from={source}",
                              note=f"text from outside ({_name(system, source)}) reaches its prompt"))
    consumer = system.element_by_id.get(consumer_id) if consumer_id else None
    if consumer is not None and _rank(consumer.classification) >= SENSITIVE:
        factors.append(Factor(target="impact", delta=1, fact=f"{consumer.id}.classification>=confidential",
                              note="the component acting on the output holds sensitive data"))
    return Hit(element=model.id, others=(consumer.id,) if consumer else (),
               values={"consumer": consumer.name if consumer else fallback, "formats": formats},
               factors=tuple(factors), assumptions=assumptions)


def _sink_models(system: System, sink: OutputFormat) -> list[Element]:
    return [m for m in _models(system) if m.output_rendered_as and sink in m.output_rendered_as]


@per_system
def _attackers(system: System) -> dict[str, str]:
    return _attacker_input(system, _caller_reach(system, through_models=False))


def _renderer(system: System, model: Element, speaks: Mapping[str, str]) -> str | None:
    """The front end that shows the model's output to people: a relay on the way to a user, else the user."""
    for element in system.downstream(model.id):
        if element.kind is Kind.process and element.id in speaks:
            return element.id
    return speaks.get(model.id)


def output_rendered_as_markup(system: System) -> Iterator[Hit]:
    """Model output rendered as HTML or Markdown (stated, or assumed when it reaches users unstated)."""
    attacker = _attackers(system)
    speaks = _speaks_to_outside(system, through_models=False)
    for model in _models(system):
        assumptions: tuple[str, ...] = ()
        if model.output_rendered_as is None:
            if model.id not in speaks:
                continue
            chosen = ["Markdown"]
            assumptions = (f"How the output of {model.name} is displayed is not stated; assumed it is "
                           "rendered as Markdown, as most chat interfaces do.",)
        else:
            chosen = [{"html": "HTML", "markdown": "Markdown"}[f.value] for f in model.output_rendered_as
                      if f in (OutputFormat.html, OutputFormat.markdown)]
            if not chosen:
                continue
        renderer = _renderer(system, model, speaks)
        yield _output_hit(system, model, attacker, renderer, "the user's client", assumptions,
                          formats=" and ".join(chosen))


def output_executed_as_sql(system: System) -> Iterator[Hit]:
    """Model output run as SQL against a database."""
    models = _sink_models(system, OutputFormat.sql)
    if not models:
        return
    attacker = _attackers(system)
    databases = _database_consumers(system)
    for model in models:
        yield _output_hit(system, model, attacker, databases.get(model.id), "the database")


def _runs_through_execute_tool(system: System, model: Element) -> bool:
    return any(e.kind is Kind.tool and e.permissions and Permission.execute in e.permissions
               for e in system.downstream(model.id))


def _execution_hits(system: System, sink: OutputFormat, fallback: str) -> Iterator[Hit]:
    """Generated commands or code run by application code (a process) or by an executor not modelled.

    When the model hands its output to a tool with execute permission, the AGENT family's
    T-AGENT-005 (agent-code-execution-not-sandboxed) owns the threat on that tool, so it is not
    repeated here on the model.
    """
    models = _sink_models(system, sink)
    if not models:
        return
    attacker = _attackers(system)
    for model in models:
        if _runs_through_execute_tool(system, model):
            continue
        consumer = _direct_consumer(system, model, (Kind.process, Kind.tool))
        yield _output_hit(system, model, attacker, consumer, fallback)


def output_executed_as_shell(system: System) -> Iterator[Hit]:
    """Model output run as shell commands."""
    yield from _execution_hits(system, OutputFormat.shell, "the host that runs the commands")


def output_executed_as_code(system: System) -> Iterator[Hit]:
    """Model output run as program code."""
    yield from _execution_hits(system, OutputFormat.code, "the runtime that executes it")


# --------------------------------------------------------------------------------------------------
# T-LLM-012: system prompt leakage (LLM07)


def secrets_in_system_prompt(system: System) -> Iterator[Hit]:
    """A model that outsiders can prompt and whose system prompt holds (or may hold) secrets."""
    reach = _caller_reach(system, through_models=True)
    promptable = set(reach.any) | set(_retrieval_reach(system).any) | set(_tool_reach(system).any)
    for model in _models(system):
        if model.system_prompt_has_secrets is False or model.id not in promptable:
            continue
        factors = _internet_factor(system, reach, model.id, "anyone on the internet can try to extract it")
        assumptions: list[str] = []
        if model.system_prompt_has_secrets is None:
            factors.append(Factor(target="likelihood", delta=-1,
                                  fact=f"{model.id}.system_prompt_has_secrets=unset",
                                  note="secrets in the prompt are assumed, not confirmed"))
            assumptions.append(f"Whether the system prompt of {model.name} holds credentials, internal "
                               "addresses or access rules is not stated; assumed it may.")
        yield Hit(element=model.id, factors=tuple(factors), assumptions=tuple(assumptions))


# --------------------------------------------------------------------------------------------------
# T-LLM-013: misinformation and overreliance (LLM09)


def unchecked_answers_drive_decisions(system: System) -> Iterator[Hit]:
    """A model whose answers are acted on without independent checking."""
    speaks = _speaks_to_outside(system)
    grounded = _grounded(system)
    for model in _models(system):
        if model.answers_drive_decisions is False:
            continue
        if model.answers_drive_decisions is None and model.id not in speaks:
            continue
        factors: list[Factor] = []
        assumptions: list[str] = []
        if model.answers_drive_decisions is None:
            assumptions.append(f"Whether answers of {model.name} are checked before people act on them is "
                               "not stated; assumed they are not.")
        if model.id not in grounded:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{model.id}.retrieval=none",
                                  note="no retrieval grounds its answers in your own sources"))
        audience = speaks.get(model.id)
        others = (audience,) if audience else ()
        who = _name(system, audience) if audience else "the people who use its answers"
        yield Hit(element=model.id, others=others, values={"audience": who},
                  factors=tuple(factors), assumptions=tuple(assumptions))


# --------------------------------------------------------------------------------------------------
# T-LLM-014 .. 015: unbounded consumption and model extraction (LLM10)


def unbounded_model_consumption(system: System) -> Iterator[Hit]:
    """A model exposed to outside callers without a rate limit on the path or a token/cost budget."""
    reach = _caller_reach(system, through_models=True)
    for model in _models(system):
        if model.id not in reach.exposed:
            continue
        throttled = model.rate_limited is True or model.id not in reach.unthrottled
        budgeted = model.budget_limited is True
        if throttled and budgeted:
            continue
        entry = reach.exposed[model.id]
        assumptions: list[str] = []
        missing = []
        if not throttled:
            missing.append("no rate limit")
            gate = reach.unthrottled[model.id]
            if model.rate_limited is None and gate in reach.limit_unstated:
                assumptions.append(_limit_assumption(system, gate, model))
        if not budgeted:
            missing.append("no token or cost budget")
            if model.budget_limited is None:
                assumptions.append(f"Token or cost budgets for {model.name} are not stated; assumed none.")
        factors = _internet_factor(system, reach, model.id, "anyone on the internet can send it requests")
        anonymous, more = _anonymous_factor(system, reach, model.id)
        more += _exposure_assumption(system, reach, entry)
        yield Hit(element=model.id, others=(entry,),
                  values={"entry": _entry_name(system, entry, model), "missing": " and ".join(missing)},
                  factors=tuple(factors + anonymous), assumptions=tuple(assumptions + more))


def _limit_assumption(system: System, gate: str, model: Element) -> str:
    return (f"Rate limiting on the path from {_name(system, gate)} to {model.name} is not stated; "
            "assumed none.")


def _proprietary(system: System, model: Element) -> bool:
    if model.model_provenance is ModelProvenance.in_house:
        return True
    return any(e.kind is Kind.fine_tuning_pipeline for e in system.upstream(model.id))


def model_extraction_through_queries(system: System) -> Iterator[Hit]:
    """An in-house or fine-tuned model that outside callers can query without a rate limit."""
    reach = _caller_reach(system, through_models=True)
    for model in _models(system):
        if not _proprietary(system, model) or model.id not in reach.exposed:
            continue
        if model.rate_limited is True or model.id not in reach.unthrottled:
            continue
        gate = reach.unthrottled[model.id]
        assumptions: list[str] = []
        if model.rate_limited is None and gate in reach.limit_unstated:
            assumptions.append(_limit_assumption(system, gate, model))
        anonymous, more = _anonymous_factor(system, reach, model.id)
        more += _exposure_assumption(system, reach, gate)
        factors = _internet_factor(system, reach, model.id, "anyone on the internet can query it") + anonymous
        yield Hit(element=model.id, others=(gate,), values={"entry": _entry_name(system, gate, model)},
                  factors=tuple(factors), assumptions=tuple(assumptions + more))


FUNCTIONS: dict[str, RuleFunction] = {
    "T-LLM-001": direct_prompt_injection,
    "T-LLM-002": retrieved_content_injection,
    "T-LLM-003": tool_output_injection,
    "T-LLM-004": disclosure_through_answers,
    "T-LLM-005": prompt_logs_keep_sensitive_data,
    "T-LLM-006": provider_trains_on_user_input,
    "T-LLM-007": cross_tenant_retrieval,
    "T-LLM-008": output_rendered_as_markup,
    "T-LLM-009": output_executed_as_sql,
    "T-LLM-010": output_executed_as_shell,
    "T-LLM-011": output_executed_as_code,
    "T-LLM-012": secrets_in_system_prompt,
    "T-LLM-013": unchecked_answers_drive_decisions,
    "T-LLM-014": unbounded_model_consumption,
    "T-LLM-015": model_extraction_through_queries,
}
