"""LLM family, disclosure: sensitive information disclosure, prompt logs, provider training on prompts,
cross-tenant retrieval and hidden context (system prompt) exposure.

OWASP Top 10 for LLM Applications 2025 LLM02, LLM07 (2026: LLM02, LLM08). Prompt injection is in ``llm_injection``,
output handling and misinformation in ``llm_output``, the lethal trifecta in ``llm_trifecta``, consumption and
abuse of model access in ``llm_usage``; data, supply-chain and vector-store poisoning belong to the DATA family,
excessive agency to the AGENT family.

Where findings land (the element that is actually threatened):

- disclosure through answers, system prompt: on the ``llm`` / ``agent`` element.
- prompt logging: on the ``log_store`` the prompts are written to, or on the model / process that
  logs when no log store is modelled.
- training on user input: on the third-party ``model_provider`` (or on a hosted ``llm`` when no
  provider element is modelled).
- cross-tenant retrieval: on the shared ``vector_store`` / ``memory`` (or a shared ``retriever``
  in front of a store that does not itself fire).

Who can reach what is worked out once per run by the passes in ``rules.reach``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from dicetm.model import TOOL_KINDS, Element, Factor, Kind, ModelProvenance, System
from dicetm.model.system import CLASSIFICATION_RANK, Classification
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.reach import (
    EXPOSED,
    MODELS,
    SENSITIVE,
    caller_reach,
    directions,
    internet_factor,
    loaded_weights,
    loop_owners,
    models,
    name_of,
    neighbour_kinds,
    rank,
    speaks_to_outside,
    talks_to_model,
)
from dicetm.rules.reach_content import (
    level_text,
    max_classification,
    retrieval_reach,
    sensitive_reach,
    tool_reach,
)

SHORT_RETENTION_DAYS = 30.0
# Where logged prompts are kept apart from the model that answered them.
HELD = {Kind.log_store: "store", Kind.memory: "memory"}
SELF_SERVED = frozenset({ModelProvenance.in_house, ModelProvenance.open_weights_verified,
                         ModelProvenance.open_weights_unverified})

# --------------------------------------------------------------------------------------------------
# T-LLM-004 .. 007: sensitive information disclosure (LLM02)


RAG_STORES = frozenset({Kind.vector_store, Kind.knowledge_source})


def disclosure_through_answers(system: System) -> Iterator[Hit]:
    """A model that can read confidential-or-higher data and whose answers reach people outside. When that data is
    an index or document source stated to hold credentials or secrets, asking for them is RAG credential
    harvesting (AML.T0082)."""
    sensitive = sensitive_reach(system)
    speaks = speaks_to_outside(system)
    reach = caller_reach(system, through_models=False)
    for model in models(system):
        if model.id not in sensitive or model.id not in speaks:
            continue
        holder = system.element_by_id[sensitive[model.id]]
        audience = speaks[model.id]
        factors = internet_factor(system, reach, model.id, "anyone on the internet can ask it questions")
        if rank(holder.classification) >= CLASSIFICATION_RANK[Classification.personal]:
            factors.append(Factor(target="impact", delta=1, fact=f"{holder.id}.classification>=personal",
                                  note="the data includes personal or secret information"))
        harvest = holder.kind in RAG_STORES and (holder.holds_credentials is True
                                                  or holder.classification is Classification.secret)
        yield Hit(element=model.id, others=(holder.id, audience),
                  values={"holder": holder.name, "audience": name_of(system, audience)}, factors=tuple(factors),
                  references=("atlas:AML.T0082",) if harvest else ())


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


def _writes_prompts(system: System, sender: Element, store: Element) -> bool | None:
    """Whether ``sender`` writes prompts into the log store: True (stated on either end), None (assumed: a model,
    or a backend process that talks to one and logs there), False (stated not, or unrelated to any model)."""
    if store.logs_prompts is True:
        return True
    if sender.logs_prompts is not None:
        return sender.logs_prompts
    if sender.kind in MODELS or (sender.kind is Kind.process and talks_to_model(system, sender)):
        return None
    return False


def _prompt_sensitivity(system: System, elements: list[Element]) -> Classification | None:
    """Most sensitive classification stated on these elements or on flows into them."""
    values: list[Classification | None] = []
    for element in elements:
        values.append(element.classification)
        values.extend(f.classification for f in system.flows_to.get(element.id, []))
    return max_classification(*values)


def prompt_logs_keep_sensitive_data(system: System) -> Iterator[Hit]:
    """Prompts written to logs that may hold personal or confidential data, kept for long or unknown.

    A log store says it holds prompts (``logs_prompts: true`` on it) or its writers say so; a backend process
    that talks to a model and writes to a log store is assumed to log the conversation, and the hit says so. A
    memory holding data stated sensitive, written by a model or a process that talks to one, is such a log too.
    """
    writers: dict[str, dict[str, Element]] = {}
    assumed: dict[str, list[Element]] = {}
    for flow in system.flows:
        for sender_id, receiver_id in directions(flow.source, flow.target, flow.bidirectional):
            sender, receiver = system.element_by_id.get(sender_id), system.element_by_id.get(receiver_id)
            if sender is None or receiver is None or receiver.kind is not Kind.log_store:
                continue
            if receiver.logs_prompts is False or sender.id in writers.get(receiver.id, {}):
                continue
            writes = _writes_prompts(system, sender, receiver)
            if writes is False:
                continue
            writers.setdefault(receiver.id, {})[sender.id] = sender
            if writes is None:
                assumed.setdefault(receiver.id, []).append(sender)
    # Models whose prompts a neighbouring writer already sends to a log store: that store carries it.
    covered = {writer for found in writers.values() for writer in found}
    driven = {m.id for m in models(system)} - {m.id for m in loop_owners(system)}
    for writer in list(covered):
        covered.update(e.id for e in system.upstream(writer) + system.downstream(writer) if e.kind in MODELS)
    for element in system.elements:
        if element.kind is Kind.log_store and element.id in writers:
            yield from _log_hit(system, element, list(writers[element.id].values()), assumed.get(element.id, []))
        elif element.kind in MODELS | {Kind.process} and _logs_prompts(element):
            if element.kind is Kind.process and not talks_to_model(system, element):
                continue
            if element.logs_prompts is None and element.id in driven:
                continue  # the agent driving it carries the conversation's logging
            if element.id in covered and element.logs_prompts is None:
                continue
            if any(e.kind is Kind.log_store for e in system.downstream(element.id)):
                continue
            yield from _log_hit(system, element, [element], [])
    yield from _conversation_memories(system)


def _conversation_memories(system: System) -> Iterator[Hit]:
    """A memory a model, or a process talking to one, writes keeps what users said across sessions: a log of the
    conversations by another name. Reported when what it holds is stated sensitive (on it or on flows into it)."""
    for memory in system.of_kind(Kind.memory):
        if memory.logs_prompts is False:
            continue
        level = _prompt_sensitivity(system, [memory])
        if level is None or CLASSIFICATION_RANK[level] < SENSITIVE:
            continue
        writers = [w for w in system.upstream(memory.id) if _writes_prompts(system, w, memory) is not False]
        if writers:
            stated = memory.logs_prompts is True or any(w.logs_prompts is True for w in writers)
            yield from _log_hit(system, memory, writers, [] if stated else writers)


def _log_hit(system: System, primary: Element, writers: list[Element], assumed: list[Element]) -> Iterator[Hit]:
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
    elif assumed and len(assumed) == len(writers):
        factors.append(Factor(target="likelihood", delta=-1, fact=f"{primary.id}.logs_prompts=unset",
                              note="that the writers log prompts here is assumed, not confirmed"))
        assumptions.append(f"Whether {', '.join(w.name for w in assumed)} write prompts and answers to "
                           f"{primary.name} is not stated; assumed the conversation is logged there.")
    if days == math.inf:
        kept_for = "kept without a time limit"
    else:
        kept_for = f"kept for {primary.retention}" if primary.retention else "kept for an unstated period"
    where = primary.name if primary.kind in HELD else f"the prompt logs of {primary.name}"
    yield Hit(element=primary.id, others=tuple(w.id for w in writers if w.id != primary.id),
              lists={"writers": tuple(w.name for w in writers)},
              # "held": a log store, a memory and a model's own logs are fixed in different places, so never one group
              values={"kept_for": kept_for, "where": where, "held": HELD.get(primary.kind, "own logs")},
              factors=tuple(factors), assumptions=tuple(assumptions))


def _third_party_model(element: Element) -> tuple[bool, bool]:
    """(is operated by a third party that receives the prompts, that was assumed because third_party is unset).

    A model provider that supplies weights (open weights, or the organisation's own model) never sees the
    prompts, whoever runs the hub they come from."""
    if element.kind is Kind.model_provider and element.model_provenance in SELF_SERVED:
        return False, False
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
        if element.trains_on_user_input is False or loaded_weights(system, element):  # weights nobody prompts
            continue
        if element.kind is Kind.llm and Kind.model_provider in neighbour_kinds(system, element.id):
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
    return rank(element.classification) >= SENSITIVE, True


def _store_readers(system: System, store: Element) -> list[str]:
    """Retrievers and processes that query the store: where results must be filtered for the caller."""
    return [e.id for e in [*system.upstream(store.id), *system.downstream(store.id)]
            if e.kind in (Kind.retriever, Kind.process)]


def cross_tenant_retrieval(system: System) -> Iterator[Hit]:
    """A retrieval index or memory shared by several tenants or access levels. The finding names the
    retrievers and processes that query it, since that is where results are filtered (or not)."""
    for element in system.elements:
        if element.kind in (Kind.vector_store, Kind.memory):
            shared, assumed = _shared_store(element)
            if not shared:
                continue
            assumptions: tuple[str, ...] = ()
            if assumed:
                assumptions = (f"Whether {element.name} holds data of several tenants or access levels is "
                               f"not stated; assumed it does, since it holds {level_text(element)} data.",)
            yield Hit(element=element.id, others=tuple(dict.fromkeys(_store_readers(system, element))),
                      values={"store": element.name}, assumptions=assumptions)
        elif element.kind is Kind.retriever and element.multi_tenant is True:
            stores = [e for e in system.upstream(element.id) + system.downstream(element.id)
                      if e.kind in (Kind.vector_store, Kind.memory)]
            if any(_shared_store(s)[0] for s in stores):
                continue  # the shared store carries the finding
            yield Hit(element=element.id, others=tuple(s.id for s in stores),
                      values={"store": stores[0].name if stores else "the index it searches"})


# --------------------------------------------------------------------------------------------------
# T-LLM-012: system prompt leakage (LLM07)


def secrets_in_system_prompt(system: System) -> Iterator[Hit]:
    """A model that outsiders can prompt and whose system prompt holds (or may hold) secrets."""
    reach = caller_reach(system, through_models=True)
    promptable = set(reach.any) | set(retrieval_reach(system).any) | set(tool_reach(system).any)
    for model in loop_owners(system):
        if model.system_prompt_has_secrets is False or model.id not in promptable:
            continue
        factors = internet_factor(system, reach, model.id, "anyone on the internet can try to extract it")
        assumptions: list[str] = []
        if model.system_prompt_has_secrets is None:
            factors.append(Factor(target="likelihood", delta=-1,
                                  fact=f"{model.id}.system_prompt_has_secrets=unset",
                                  note="secrets in the prompt are assumed, not confirmed"))
            assumptions.append(f"Whether the system prompt of {model.name} holds credentials, internal "
                               "addresses or access rules is not stated; assumed it may.")
        tools = [e for e in system.downstream(model.id) if e.kind in TOOL_KINDS]
        references = ["atlas:AML.T0084.001"] if tools else []  # tool schemas sit in the same hidden context
        # Prompt files and settings the model loads hold that hidden context. Confidential instructions are an
        # asset of their own (a key or token store, secret, is the credential findings' ground).
        configs = [e for e in system.upstream(model.id) if e.kind is Kind.agent_config]
        valuable = [c for c in configs if c.classification is Classification.confidential
                    and c.holds_credentials is not True]
        product = ""
        if valuable:
            references.append("atlas:AML.T0048.004")
            product = (f" The instructions in {valuable[0].name} are themselves the work someone paid for: with "
                       "them a competitor clones the assistant.")
        yield Hit(element=model.id, others=tuple(c.id for c in configs), values={"product": product},
                  factors=tuple(factors), assumptions=tuple(assumptions), references=tuple(references))


FUNCTIONS: dict[str, RuleFunction] = {
    "T-LLM-004": disclosure_through_answers,
    "T-LLM-005": prompt_logs_keep_sensitive_data,
    "T-LLM-006": provider_trains_on_user_input,
    "T-LLM-007": cross_tenant_retrieval,
    "T-LLM-012": secrets_in_system_prompt,
}
