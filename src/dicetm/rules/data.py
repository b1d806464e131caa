"""DATA family: the AI supply chain, data and model poisoning, and vector/embedding weaknesses.

Covers OWASP Top 10 for LLM Applications 2025 items LLM03 (supply chain), LLM04 (data and model
poisoning) and LLM08 (vector and embedding weaknesses), plus training data memorisation (LLM02 as
it arises from the training set). Prompt injection through retrieved text is the LLM family's
finding on the model that reads it; here the finding lands on the artefact whose integrity or
confidentiality is at stake.

Where findings land:

- supply chain: on the model element (``llm`` / ``model_provider``; when an ``llm`` is wired to a
  ``model_provider`` that carries the same finding, on the provider only), on the component that
  loads unpinned packages, on the third-party tool.
- poisoning: on the ``training_data`` set (or on a ``fine_tuning_pipeline`` fed directly), on the
  element that feeds user input back into training, on the ``knowledge_source`` (or on a
  ``vector_store`` whose ingestion has no knowledge source modelled).
- vectors and embeddings: on the ``vector_store``. Cross-tenant retrieval from a shared index is the
  LLM family's finding (T-LLM-007) on the same store and is not repeated here; a vendor training on
  prompts is T-LLM-006.

Unset facts are read as the risky value and each hit says which assumption it made. Every function
walks the elements and flows a fixed number of times, so cost grows linearly with the model.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from dicetm.model import TOOL_KINDS, Classification, DataProvenance, Element, Factor, Kind, ModelProvenance, System
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import Hit, RuleFunction, per_system
from dicetm.rules.reach import kinds, requests_to, spread

MODEL_KINDS = frozenset({Kind.llm, Kind.ml_model, Kind.model_provider})
# Elements whose model weights can come from a download: served models and the base model a
# fine-tuning pipeline starts from.
WEIGHTS_KINDS = MODEL_KINDS | {Kind.fine_tuning_pipeline}
# What model weights pass through between a hub and what loads them: download, conversion and evaluation steps,
# and the repositories and model stores they are kept in on the way.
DELIVERY_KINDS = frozenset({Kind.process, Kind.data_store})
# Components that load AI frameworks, packages or plugins at run or build time.
SOFTWARE_KINDS = frozenset(
    {Kind.agent, Kind.tool, Kind.mcp_server, Kind.embedding_pipeline, Kind.fine_tuning_pipeline, Kind.retriever,
     Kind.guardrail}
)
# Elements that are no feature built on a hosted model, though they send to it.
DEPENDANT_EXCLUDED = frozenset({Kind.external_entity, Kind.model_provider, Kind.llm, Kind.ml_model})
# Elements that only read a vector store (queries) or are its intended writer.
VECTOR_READERS_AND_INGESTION = frozenset({Kind.retriever, Kind.embedding_pipeline})
# Elements whose direct write to a vector store bypasses the ingestion pipeline.
VECTOR_DIRECT_WRITER_KINDS = frozenset({Kind.external_entity, Kind.agent, Kind.tool, Kind.mcp_server})
# Kinds whose stored content counts as what a downstream store or dataset is built from.
CONTENT_SOURCE_KINDS = frozenset(
    {Kind.knowledge_source, Kind.data_store, Kind.training_data, Kind.memory, Kind.log_store,
     Kind.external_entity}
)
# Elements that can plausibly feed user input back into a model.
FEEDBACK_KINDS = frozenset(
    {Kind.llm, Kind.ml_model, Kind.model_provider, Kind.agent, Kind.process, Kind.fine_tuning_pipeline}
)
CONFIDENTIAL = CLASSIFICATION_RANK[Classification.confidential]
SUPPLIES_WEIGHTS = frozenset({ModelProvenance.in_house, ModelProvenance.open_weights_verified,
                              ModelProvenance.open_weights_unverified})

PROVENANCE_ORIGIN = {
    DataProvenance.public_web: "is scraped or downloaded from the public web",
    DataProvenance.third_party: "is bought or licensed from a third-party supplier",
    DataProvenance.user_generated: "is written by users of the system",
}


# ---------------------------------------------------------------- shared helpers


def _names(elements: Iterable[Element]) -> str:
    """Sorted, de-duplicated element names for a template, e.g. 'Crawler, Mailbox and Partner feed'."""
    names = sorted({e.name for e in elements})
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _factor(target: str, delta: int, fact: str, note: str) -> Factor:
    return Factor(target=target, delta=delta, fact=fact, note=note)


def _neighbours(system: System, element_id: str) -> Iterator[Element]:
    """Elements at the other end of any flow touching ``element_id`` (may repeat)."""
    for flow in (*system.flows_from.get(element_id, []), *system.flows_to.get(element_id, [])):
        other = system.element_by_id.get(system.other_end(flow, element_id))
        if other is not None and other.id != element_id:
            yield other


def _senders(system: System, element_id: str) -> Iterator[Element]:
    """Elements that send data into ``element_id`` (may repeat), in flow order."""
    for flow in system.flows_to.get(element_id, []):
        other = system.element_by_id.get(system.other_end(flow, element_id))
        if other is not None and other.id != element_id:
            yield other


def _receivers(system: System, element_id: str) -> Iterator[Element]:
    """Elements that receive data from ``element_id`` (may repeat), in flow order."""
    for flow in system.flows_from.get(element_id, []):
        other = system.element_by_id.get(system.other_end(flow, element_id))
        if other is not None and other.id != element_id:
            yield other


def _is_untrusted_origin(element: Element) -> bool:
    """Content from this element can be written by people outside the organisation.

    Declared untrusted content counts; so does an external entity unless it is stated to be one of
    the organisation's own (``third_party: false`` or ``untrusted_content: false``).
    """
    if element.untrusted_content is True:
        return True
    return (
        element.kind is Kind.external_entity
        and element.untrusted_content is not False
        and element.third_party is not False
    )


def _outsider_assumptions(elements: Iterable[Element]) -> tuple[str, ...]:
    """Say so when an external entity was taken to be outside the organisation only by default."""
    return tuple(
        f"Whether {e.name} is outside the organisation is not stated (third_party, untrusted_content); "
        "assumed it is."
        for e in {x.id: x for x in elements}.values()
        if e.kind is Kind.external_entity and e.untrusted_content is None and e.third_party is None
    )


def _origin_by_reach(system: System, starts: list[str]) -> dict[str, str]:
    """Every element data can reach from ``starts``, mapped to the first start that reaches it.

    One multi-source breadth-first search (linear in elements + flows), so each reached element can
    name where its data comes from. Starts are taken in the order given, which keeps it deterministic.
    """
    origin = {start: start for start in starts}
    queue = deque(starts)
    while queue:
        current = queue.popleft()
        for flow in system.flows_from.get(current, []):
            nxt = system.other_end(flow, current)
            if nxt not in origin:
                origin[nxt] = origin[current]
                queue.append(nxt)
    return origin


def _rank(classification: Classification | None) -> int:
    return -1 if classification is None else CLASSIFICATION_RANK[classification]


def _fed_classification(
    system: System, element: Element, through: dict[str, tuple[Classification | None, Element | None]]
) -> tuple[Classification | None, Element | None]:
    """The most sensitive class ``element`` holds or is fed: its own, its inbound flows', its sources'.

    ``through`` holds the same answer, already computed, for intermediaries (embedding pipelines)
    whose input counts as this element's input. Returns the class and the element it comes from
    (``None`` when it is the element's own class or the class of a flow into it).
    """
    best, origin = element.classification, None
    for flow in system.flows_to.get(element.id, []):
        sender = system.element_by_id.get(system.other_end(flow, element.id))
        if sender is None or sender.kind is Kind.retriever:
            continue  # queries, not content
        candidates: list[tuple[Classification | None, Element | None]] = [(flow.classification, None)]
        if sender.kind in CONTENT_SOURCE_KINDS:
            candidates.append((sender.classification, sender))
        if sender.id in through:
            candidates.append(through[sender.id])
        for classification, source in candidates:
            if _rank(classification) > _rank(best):
                best, origin = classification, source
    return best, origin


def _pipeline_input_classes(system: System) -> dict[str, tuple[Classification | None, Element | None]]:
    """For every embedding pipeline, the most sensitive class it is fed and where it comes from."""
    return {
        e.id: _fed_classification(system, e, {})
        for e in system.elements if e.kind is Kind.embedding_pipeline
    }


def _hosted_by_third_party(element: Element) -> tuple[bool, tuple[str, ...]]:
    """A model element served by someone else's infrastructure, and the assumption made, if any.

    A model provider that supplies weights (open weights, or the organisation's own model) hosts nothing,
    whoever runs the hub: the model runs where it is deployed, and T-DATA-002 covers the download."""
    if element.kind is Kind.model_provider and element.model_provenance in SUPPLIES_WEIGHTS:
        return False, ()
    if element.model_provenance is ModelProvenance.vendor_api or element.third_party is True:
        return True, ()
    if element.kind is Kind.model_provider and _hosting_unstated(element):
        return True, (
            f"Who operates {element.name} is not stated (third_party, model_provenance); "
            "assumed a hosted vendor API.",
        )
    return False, ()


def _hosting_unstated(element: Element) -> bool:
    return element.third_party is None and element.model_provenance is None


def _defers_to_provider(system: System, element: Element) -> bool:
    """An ``llm`` with no hosting facts of its own, wired to a model provider that speaks for it."""
    if element.kind is not Kind.llm or not _hosting_unstated(element):
        return False
    return any(n.kind is Kind.model_provider for n in _neighbours(system, element.id))


def _served_by_hosted_provider(system: System, element: Element) -> bool:
    """An ``llm`` with no hosting facts of its own, wired to a model provider that a third party runs."""
    if element.kind is not Kind.llm or not _hosting_unstated(element):
        return False
    neighbours = _neighbours(system, element.id)
    return any(n.kind is Kind.model_provider and _hosted_by_third_party(n)[0] for n in neighbours)


def _weights_unverified(system: System, element: Element) -> tuple[bool, tuple[str, ...]]:
    """A self-served model whose weights are not (known to be) pinned and verified."""
    if element.model_provenance is ModelProvenance.open_weights_unverified:
        return True, ()
    if element.model_provenance is not None or _hosted_by_third_party(element)[0]:
        return False, ()
    if _defers_to_provider(system, element):
        return False, ()
    if element.kind is Kind.fine_tuning_pipeline:
        what = f"Where the base model that {element.name} fine-tunes comes from"
    else:
        what = f"Where the weights of {element.name} come from"
    return True, (f"{what} is not stated (model_provenance); "
                  "assumed downloaded weights that were not pinned or checksum-verified.",)


def _model_hits(system: System, candidates: dict[str, tuple[str, ...]]) -> Iterator[Hit]:
    """One hit per candidate model. An ``llm`` wired to a candidate ``model_provider`` (a candidate
    itself, or with no hosting facts of its own) is named in the provider's finding instead."""
    carried_by_provider: set[str] = set()
    riders: dict[str, dict[str, None]] = {}  # provider id -> served llm ids, in element order
    for element in system.elements:
        if element.kind is not Kind.llm:
            continue
        if element.id not in candidates and not _hosting_unstated(element):
            continue
        for other in _neighbours(system, element.id):
            if other.kind is Kind.model_provider and other.id in candidates:
                carried_by_provider.add(element.id)
                riders.setdefault(other.id, {})[element.id] = None
                break
    for element in system.elements:
        if element.id not in candidates or element.id in carried_by_provider:
            continue
        served_elements = [system.element_by_id[i] for i in riders.get(element.id, [])]
        yield Hit(element=element.id, others=tuple(e.id for e in served_elements),
                  values={"served": _served_phrase(served_elements)}, assumptions=candidates[element.id])


def _served_phrase(served: list[Element]) -> str:
    return f" (serving {_names(served)})" if served else ""


# ---------------------------------------------------------------- LLM03 supply chain


def _dependants(system: System, model_ids: Iterable[str]) -> list[str]:
    """Components that send requests to these models: the features built on them."""
    callers = (system.element_by_id.get(f.source) for m in model_ids for f in requests_to(system, m))
    return list(dict.fromkeys(c.id for c in callers if c is not None and c.kind not in DEPENDANT_EXCLUDED))


def hosted_model_provider_dependency(system: System) -> Iterator[Hit]:
    """T-DATA-001: a model served by a third party: silent model changes, deprecation, outages, breach. The
    finding names the components that send the model requests, the features that change or fail with it."""
    candidates: dict[str, tuple[str, ...]] = {}
    for element in system.elements:
        if element.kind in MODEL_KINDS:
            hosted, assumptions = _hosted_by_third_party(element)
            if hosted:
                candidates[element.id] = assumptions
    for hit in _model_hits(system, candidates):
        element = system.element_by_id[hit.element]
        carried: Classification | None = None
        for model_id in (hit.element, *hit.others):  # the provider and the models it serves
            received, _origin = _fed_classification(system, system.element_by_id[model_id], {})
            if _rank(received) > _rank(carried):
                carried = received
        factors: tuple[Factor, ...] = ()
        if _rank(carried) >= CONFIDENTIAL and _rank(element.classification) < CONFIDENTIAL:
            note = f"a breach or misuse at the provider exposes the {carried} data sent to it"
            factors = (_factor("impact", 1, f"{element.id}.receives={carried}", note),)
        dependants = _dependants(system, (hit.element, *hit.others))
        yield Hit(element=hit.element, others=tuple(dict.fromkeys([*hit.others, *dependants])), values=hit.values,
                  factors=factors, assumptions=hit.assumptions)


@per_system
def _delivery_steps_by_end(system: System) -> dict[str, list[str]]:
    """Provider or loader id -> the processes and stores weights pass through between model providers (hubs) and
    what loads weights, each step filed under the nearest provider ahead of it and the nearest loader behind it.
    Two searches for the whole model."""
    through = kinds(DELIVERY_KINDS)
    providers = {e.id: e.id for e in system.of_kind(Kind.model_provider)}
    loaders = {e.id: e.id for e in system.elements if e.kind in WEIGHTS_KINDS - {Kind.model_provider}}
    ahead = spread(system, providers, through)
    behind = spread(system, loaders, through, backward=True)
    steps: dict[str, list[str]] = {}
    for element in system.elements:
        if element.kind in DELIVERY_KINDS and element.id in ahead and element.id in behind:
            steps.setdefault(ahead[element.id], []).append(element.id)
            steps.setdefault(behind[element.id], []).append(element.id)
    return steps


def _delivery_steps(system: System, element: Element) -> list[str]:
    """The processes and stores weights pass through between a model provider (a hub) and the model or pipeline
    that loads them: download, conversion and evaluation steps, the repositories and model stores they are kept
    in on the way, where verification belongs."""
    return _delivery_steps_by_end(system).get(element.id, [])


def unverified_model_weights(system: System) -> Iterator[Hit]:
    """T-DATA-002: self-served model weights that are not pinned and verified (backdoor, embedded malware).
    The finding names the processes and stores the weights pass through on their way in (download, evaluation,
    the repository or model store they are kept in), where a tampered file is loaded or could be checked."""
    candidates: dict[str, tuple[str, ...]] = {}
    for element in system.elements:
        if element.kind in WEIGHTS_KINDS:
            unverified, assumptions = _weights_unverified(system, element)
            if unverified:
                candidates[element.id] = assumptions
    for hit in _model_hits(system, candidates):
        steps = _delivery_steps(system, system.element_by_id[hit.element])
        yield Hit(element=hit.element, others=tuple(dict.fromkeys([*hit.others, *steps])), values=hit.values,
                  assumptions=hit.assumptions)


def unpinned_ai_dependencies(system: System) -> Iterator[Hit]:
    """T-DATA-003: an AI component that loads packages, plugins or models that are not pinned."""
    for element in system.elements:
        if element.kind not in SOFTWARE_KINDS or element.dependencies_pinned is True:
            continue
        if element.kind in TOOL_KINDS and element.third_party is True:
            continue  # third-party tools: T-DATA-004
        assumptions: tuple[str, ...] = ()
        if element.dependencies_pinned is None:
            assumptions = (f"Whether {element.name} pins its packages, plugins and models is not stated "
                           "(dependencies_pinned); assumed it does not.",)
        yield Hit(element=element.id, assumptions=assumptions)


def third_party_tool_can_change(system: System) -> Iterator[Hit]:
    """T-DATA-004: a tool or MCP server published or operated by a third party (or installed from a registry)
    whose code and descriptions are not pinned: it can change after it was approved (a rug pull)."""
    for element in system.elements:
        if element.kind not in TOOL_KINDS or not (element.third_party is True or element.installed_from):
            continue
        if element.dependencies_pinned is True or element.description_pinned is True:
            continue
        callers = [e for e in _neighbours(system, element.id) if e.kind in (Kind.agent, Kind.llm)]
        assumptions: tuple[str, ...] = ()
        if element.dependencies_pinned is None and element.description_pinned is None:
            assumptions = (f"Whether the version and description of {element.name} are pinned is not stated "
                           "(dependencies_pinned, description_pinned); assumed the publisher can change them.",)
        caller_text = _names(callers) if callers else "the agent that loads it"
        yield Hit(element=element.id, others=tuple(dict.fromkeys(e.id for e in callers)),
                  values={"callers": caller_text}, assumptions=assumptions)


# ---------------------------------------------------------------- LLM04 data and model poisoning


def _untrusted_reach(system: System) -> dict[str, str]:
    starts = [e.id for e in system.elements if _is_untrusted_origin(e)]
    return _origin_by_reach(system, starts)


def _outside_data_factor(element: Element) -> Factor:
    return _factor("likelihood", 1, f"{element.id}.fed_from_outside",
                   "the model's flows carry data from outside the organisation straight into it")


def _training_set_hit(element: Element, reach: dict[str, str], system: System) -> Hit | None:
    """A hit when a training set may hold poisoned examples: why (origin) and what was assumed."""
    provenance = element.training_data_provenance
    if provenance is DataProvenance.curated:
        return None
    screening = _screening_factor(system, element)
    if element.untrusted_content is True:
        return Hit(element=element.id, factors=screening,
                   values={"origin": "can be written by people outside the organisation"})
    origin_id = reach.get(element.id) if element.untrusted_content is None else None
    if origin_id is not None and origin_id != element.id:
        origin = system.element_by_id[origin_id]
        return Hit(element=element.id, others=(origin.id,),
                   factors=(_outside_data_factor(element), *screening),
                   values={"origin": f"comes in part from {origin.name}"},
                   assumptions=_outsider_assumptions([origin]))
    if provenance in PROVENANCE_ORIGIN:
        return Hit(element=element.id, values={"origin": PROVENANCE_ORIGIN[provenance]}, factors=screening)
    if provenance is None:
        return Hit(element=element.id, values={"origin": "has no stated origin"}, factors=screening,
                   assumptions=(f"Where the data in {element.name} comes from is not stated "
                                "(training_data_provenance); assumed it is not curated.",))
    return None  # internal data that nothing untrusted reaches


def _screening_factor(system: System, element: Element) -> tuple[Factor, ...]:
    """Lower likelihood when every fine-tuning pipeline reading this set validates its input."""
    pipelines = [e for e in system.downstream(element.id) if e.kind is Kind.fine_tuning_pipeline]
    if pipelines and all(p.input_validation is True for p in pipelines):
        return (_factor("likelihood", -1, f"{pipelines[0].id}.input_validation",
                        "the fine-tuning pipeline screens its input before training"),)
    return ()


def untrusted_training_data(system: System) -> Iterator[Hit]:
    """T-DATA-005: a training or fine-tuning data set that untrusted parties can shape."""
    reach = _untrusted_reach(system)
    for element in system.elements:
        hit: Hit | None = None
        if element.kind is Kind.training_data:
            hit = _training_set_hit(element, reach, system)
        elif element.kind is Kind.fine_tuning_pipeline:
            hit = _pipeline_fed_directly(system, element)
        if hit is not None:
            yield hit


def _pipeline_fed_directly(system: System, pipeline: Element) -> Hit | None:
    """A fine-tuning pipeline whose training data is not modelled as a set of its own.

    When training sets feed the pipeline they carry the finding, and the pipeline's other inputs
    are read as base models, configuration and run triggers rather than training data.
    """
    senders = list(_senders(system, pipeline.id))
    if any(s.kind is Kind.training_data for s in senders):
        return None
    direct = [s for s in senders if _is_untrusted_origin(s)]
    factors: tuple[Factor, ...] = ()
    if pipeline.input_validation is True:
        factors = (_factor("likelihood", -1, f"{pipeline.id}.input_validation",
                           "the pipeline screens its input before training"),)
    if direct:
        return Hit(element=pipeline.id, others=tuple(dict.fromkeys(s.id for s in direct)),
                   values={"origin": f"comes straight from {_names(direct)}"},
                   factors=(_outside_data_factor(pipeline), *factors),
                   assumptions=_outsider_assumptions(direct))
    provenance = pipeline.training_data_provenance
    if provenance in PROVENANCE_ORIGIN:
        return Hit(element=pipeline.id, values={"origin": PROVENANCE_ORIGIN[provenance]}, factors=factors)
    if provenance is None:
        assumption = (f"No training data set feeds {pipeline.name} in the model and its "
                      "training_data_provenance is not stated; assumed not curated.")
        return Hit(element=pipeline.id, values={"origin": "has no stated origin"},
                   factors=factors, assumptions=(assumption,))
    return None


def user_feedback_trains_model(system: System) -> Iterator[Hit]:
    """T-DATA-006: user input or feedback is fed back into training of the model."""
    for element in system.elements:
        if element.kind not in FEEDBACK_KINDS or element.trains_on_user_input is not True:
            continue
        if _hosted_by_third_party(element)[0] or _served_by_hosted_provider(system, element):
            continue  # a vendor training on your prompts is a disclosure question (LLM family)
        if element.kind not in MODEL_KINDS | {Kind.agent} and any(
            r.kind is Kind.training_data for r in _receivers(system, element.id)
        ):
            continue  # a collector feeding a training set: the set carries the finding (T-DATA-005)
        yield Hit(element=element.id)


def _knowledge_fed_pipelines(system: System) -> set[str]:
    """Embedding pipelines that ingest at least one knowledge source."""
    return {
        e.id for e in system.elements
        if e.kind is Kind.embedding_pipeline
        and any(s.kind is Kind.knowledge_source for s in _senders(system, e.id))
    }


def _untrusted_feeder_of_pipelines(system: System) -> dict[str, Element]:
    """For each embedding pipeline, the first non-knowledge-source sender whose content is untrusted."""
    result: dict[str, Element] = {}
    for element in system.elements:
        if element.kind is not Kind.embedding_pipeline:
            continue
        for sender in _senders(system, element.id):
            if sender.kind is not Kind.knowledge_source and _is_untrusted_origin(sender):
                result[element.id] = sender
                break
    return result


def _knowledge_source_poisoning(system: System, element: Element) -> Hit | None:
    writers = [s for s in _senders(system, element.id) if _is_untrusted_origin(s)]
    declared = [s for s in writers if s.untrusted_content is True]
    others = tuple(dict.fromkeys(w.id for w in writers))
    if element.untrusted_content is True:
        return Hit(element=element.id, others=others,
                   values={"writers": "people outside the organisation"})
    if element.untrusted_content is False:
        if not declared:
            people = [s for s in _senders(system, element.id)
                      if s.kind is Kind.external_entity and s.untrusted_content is not False]
            if not people:
                return None
            # Insiders only: still a path for a compromised account or a careless edit, but less likely.
            return Hit(element=element.id, others=tuple(dict.fromkeys(p.id for p in people)),
                       values={"writers": _names(people)},
                       factors=(Factor(target="likelihood", delta=-1, fact=f"{element.id}.untrusted_content=false",
                                       note="only people inside the organisation write it; a compromised "
                                            "or careless account still can"),))
        return Hit(element=element.id, others=tuple(dict.fromkeys(d.id for d in declared)),
                   values={"writers": _names(declared)})
    if writers:
        return Hit(element=element.id, others=others, values={"writers": _names(writers)},
                   assumptions=_outsider_assumptions(writers))
    return Hit(element=element.id, values={"writers": "people outside the organisation"},
               assumptions=(f"Whether people outside the organisation can write content into {element.name} "
                            "is not stated (untrusted_content); assumed they can.",))


def _vector_store_poisoning(
    system: System, element: Element, knowledge_fed: set[str], feeders: dict[str, Element]
) -> Hit | None:
    """Poisoning through ingestion, judged on the vector store when no knowledge source carries it."""
    senders = list(_senders(system, element.id))
    via = [
        s for s in senders
        if s.kind is Kind.embedding_pipeline and s.id in feeders
        and (element.untrusted_content is not False or feeders[s.id].untrusted_content is True)
    ]
    if via:
        feeder = feeders[via[0].id]
        return Hit(element=element.id, others=(feeder.id, via[0].id),
                   values={"writers": f"{feeder.name} (through {via[0].name})"},
                   assumptions=_outsider_assumptions([feeder]))
    if element.untrusted_content is True:
        return Hit(element=element.id, values={"writers": "people outside the organisation"})
    fed_by_knowledge = any(
        s.kind is Kind.knowledge_source or s.id in knowledge_fed for s in senders
    )
    if element.untrusted_content is None and not fed_by_knowledge:
        return Hit(element=element.id, values={"writers": "people outside the organisation"},
                   assumptions=(f"No knowledge source feeding {element.name} is modelled and whether its "
                                "content can come from outside the organisation is not stated "
                                "(untrusted_content); assumed it can.",))
    return None


def knowledge_base_poisoning(system: System) -> Iterator[Hit]:
    """T-DATA-007: content that outsiders can write is indexed for retrieval (RAG poisoning)."""
    knowledge_fed = _knowledge_fed_pipelines(system)
    feeders = _untrusted_feeder_of_pipelines(system)
    for element in system.elements:
        hit: Hit | None = None
        if element.kind is Kind.knowledge_source:
            hit = _knowledge_source_poisoning(system, element)
        elif element.kind is Kind.vector_store:
            hit = _vector_store_poisoning(system, element, knowledge_fed, feeders)
        if hit is not None:
            yield hit


# ---------------------------------------------------------------- LLM08 vector and embedding weaknesses


def _unstated_permissions(tool: Element) -> str:
    return f"The permissions of {tool.name} are not stated; assumed it can write."


def _direct_vector_writers(system: System, store: Element) -> tuple[dict[str, Element], list[str]]:
    """Elements that can write to ``store`` without going through an embedding pipeline."""
    writers: dict[str, Element] = {}
    assumptions: list[str] = []
    for flow in system.flows_to.get(store.id, []):
        sender = system.element_by_id.get(system.other_end(flow, store.id))
        if sender is None or sender.id == store.id or sender.kind in VECTOR_READERS_AND_INGESTION:
            continue
        if sender.kind is Kind.tool and sender.permissions is not None and "write" not in sender.permissions:
            continue  # a read-only tool querying the store
        direct = sender.kind in VECTOR_DIRECT_WRITER_KINDS or sender.untrusted_content is True
        cross_zone_process = sender.kind is Kind.process and system.crosses_boundary(flow)
        if (direct or cross_zone_process) and sender.id not in writers:
            writers[sender.id] = sender
            if sender.kind is Kind.tool and sender.permissions is None:
                assumptions.append(_unstated_permissions(sender))
            elif sender.kind is not Kind.tool:
                assumptions.append(f"Flow {flow.id} from {sender.name} is not marked read-only; "
                                   "assumed it can insert or change vectors.")
    return writers, assumptions


def _tools_acting_on(system: System) -> dict[str, list[Element]]:
    """Tools with write (or unstated) permissions, by the element id they act on."""
    result: dict[str, list[Element]] = {}
    for element in system.elements:
        if element.kind is Kind.tool and element.acts_on and (
            element.permissions is None or "write" in element.permissions
        ):
            result.setdefault(element.acts_on, []).append(element)
    return result


def vector_store_writable_beyond_ingestion(system: System) -> Iterator[Hit]:
    """T-DATA-008: a vector store that elements other than the ingestion pipeline can write to."""
    acting = _tools_acting_on(system)
    for element in system.elements:
        if element.kind is not Kind.vector_store:
            continue
        writers, assumptions = _direct_vector_writers(system, element)
        for tool in acting.get(element.id, []):
            if tool.id not in writers:
                writers[tool.id] = tool
                if tool.permissions is None:
                    assumptions.append(_unstated_permissions(tool))
        if not writers:
            continue
        yield Hit(element=element.id, others=tuple(writers), values={"writers": _names(writers.values())},
                  assumptions=tuple(dict.fromkeys(assumptions)))


def embedding_inversion(system: System) -> Iterator[Hit]:
    """T-DATA-009: embeddings of confidential or personal text can be inverted back into that text."""
    through = _pipeline_input_classes(system)
    for element in system.elements:
        if element.kind is not Kind.vector_store:
            continue
        carried, origin = _fed_classification(system, element, through)
        if carried is None or _rank(carried) < CONFIDENTIAL:
            continue
        assumptions: tuple[str, ...] = ()
        factors: list[Factor] = []
        if origin is not None and element.classification is None:
            assumptions = (f"The classification of {element.name} is not stated; taken as {carried} from "
                           f"{origin.name}, whose content it embeds.",)
        if _rank(carried) >= CLASSIFICATION_RANK[Classification.personal]:
            factors.append(_factor("impact", 1, f"{(origin or element).id}.classification={carried}",
                                   "reconstructed text would disclose personal data"))
        via = f" from {origin.name}" if origin is not None else ""
        yield Hit(element=element.id, others=(origin.id,) if origin is not None else (),
                  values={"data_class": str(carried), "via": via}, factors=tuple(factors),
                  assumptions=assumptions)


def sensitive_data_trained_into_model(system: System) -> Iterator[Hit]:
    """T-DATA-010: a training set holding confidential or personal data that the model may memorise."""
    for element in system.elements:
        if element.kind is not Kind.training_data:
            continue
        carried, origin = _fed_classification(system, element, {})
        if carried is None or _rank(carried) < CONFIDENTIAL:
            continue
        assumptions: tuple[str, ...] = ()
        if origin is not None and element.classification is None:
            assumptions = (f"The classification of {element.name} is not stated; taken as {carried} from "
                           f"{origin.name}, which feeds it.",)
        factors: tuple[Factor, ...] = ()
        if _rank(carried) >= CLASSIFICATION_RANK[Classification.personal]:
            factors = (_factor("impact", 1, f"{(origin or element).id}.classification={carried}",
                               "extracted training records would disclose personal data"),)
        yield Hit(element=element.id, others=(origin.id,) if origin is not None else (),
                  values={"data_class": str(carried)}, factors=factors, assumptions=assumptions)


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-001": hosted_model_provider_dependency,
    "T-DATA-002": unverified_model_weights,
    "T-DATA-003": unpinned_ai_dependencies,
    "T-DATA-004": third_party_tool_can_change,
    "T-DATA-005": untrusted_training_data,
    "T-DATA-006": user_feedback_trains_model,
    "T-DATA-007": knowledge_base_poisoning,
    "T-DATA-008": vector_store_writable_beyond_ingestion,
    "T-DATA-009": embedding_inversion,
    "T-DATA-010": sensitive_data_trained_into_model,
}
