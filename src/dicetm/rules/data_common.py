"""DATA family, what its rules share: the kinds they look at, where data comes from and how sensitive it is
(origin and classification passes), and who hosts a model (the organisation, a vendor, a hub).

The rules are in ``data`` (supply chain), ``data_poisoning`` (training data, feedback, knowledge bases) and
``data_vectors`` (vector stores, embeddings and what training encodes); ``data`` says where findings land.
Every helper is linear in elements and flows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dicetm.model import Classification, DataProvenance, Element, Factor, Kind, ModelProvenance, System
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import Hit

MODEL_KINDS = frozenset({Kind.llm, Kind.ml_model, Kind.model_provider})
# Models the system sends requests to (what a model provider can speak for).
SERVED_KINDS = frozenset({Kind.llm, Kind.ml_model})
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


def sorted_names(elements: Iterable[Element]) -> str:
    """Sorted, de-duplicated element names for a template, e.g. 'Crawler, Mailbox and Partner feed'."""
    names = sorted({e.name for e in elements})
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def factor(target: str, delta: int, fact: str, note: str) -> Factor:
    return Factor(target=target, delta=delta, fact=fact, note=note)


def neighbours_of(system: System, element_id: str) -> Iterator[Element]:
    """Elements at the other end of any flow touching ``element_id`` (may repeat)."""
    for flow in (*system.flows_from.get(element_id, []), *system.flows_to.get(element_id, [])):
        other = system.element_by_id.get(system.other_end(flow, element_id))
        if other is not None and other.id != element_id:
            yield other


def senders_of(system: System, element_id: str) -> Iterator[Element]:
    """Elements that send data into ``element_id`` (may repeat), in flow order."""
    for flow in system.flows_to.get(element_id, []):
        other = system.element_by_id.get(system.other_end(flow, element_id))
        if other is not None and other.id != element_id:
            yield other


def receivers_of(system: System, element_id: str) -> Iterator[Element]:
    """Elements that receive data from ``element_id`` (may repeat), in flow order."""
    for flow in system.flows_from.get(element_id, []):
        other = system.element_by_id.get(system.other_end(flow, element_id))
        if other is not None and other.id != element_id:
            yield other


def is_untrusted_origin(element: Element) -> bool:
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


def outsider_assumptions(elements: Iterable[Element]) -> tuple[str, ...]:
    """Say so when an external entity was taken to be outside the organisation only by default."""
    return tuple(
        f"Whether {e.name} is outside the organisation is not stated (third_party, untrusted_content); "
        "assumed it is."
        for e in {x.id: x for x in elements}.values()
        if e.kind is Kind.external_entity and e.untrusted_content is None and e.third_party is None
    )


def origin_by_reach(system: System, starts: list[str]) -> dict[str, str]:
    """Every element data can reach from ``starts``, mapped to the first start that reaches it.

    One multi-source breadth-first search (linear in elements + flows), so each reached element can
    name where its data comes from. Starts are taken in the order given, which keeps it deterministic.
    """
    origin: dict[str, str] = {}
    for element_id, parent in system.search_parents(starts).items():  # parents come before what they reach
        origin[element_id] = element_id if parent == element_id else origin[parent]
    return origin


def rank(classification: Classification | None) -> int:
    return -1 if classification is None else CLASSIFICATION_RANK[classification]


def fed_classification(
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
            if rank(classification) > rank(best):
                best, origin = classification, source
    return best, origin


def pipeline_input_classes(system: System) -> dict[str, tuple[Classification | None, Element | None]]:
    """For every embedding pipeline, the most sensitive class it is fed and where it comes from."""
    return {
        e.id: fed_classification(system, e, {})
        for e in system.elements if e.kind is Kind.embedding_pipeline
    }


def hosted_by_third_party(element: Element) -> tuple[bool, tuple[str, ...]]:
    """A model element served by someone else's infrastructure, and the assumption made, if any.

    A model provider that supplies weights (open weights, or the organisation's own model) hosts nothing,
    whoever runs the hub: the model runs where it is deployed, and T-DATA-002 covers the download."""
    if element.kind is Kind.model_provider and element.model_provenance in SUPPLIES_WEIGHTS:
        return False, ()
    if element.model_provenance is ModelProvenance.vendor_api or element.third_party is True:
        return True, ()
    if element.kind is Kind.model_provider and hosting_unstated(element):
        return True, (
            f"Who operates {element.name} is not stated (third_party, model_provenance); "
            "assumed a hosted vendor API.",
        )
    return False, ()


def hosting_unstated(element: Element) -> bool:
    return element.third_party is None and element.model_provenance is None


def defers_to_provider(system: System, element: Element) -> bool:
    """An ``llm`` or ``ml_model`` with no hosting facts of its own, wired to a model provider that speaks for it."""
    if element.kind not in SERVED_KINDS or not hosting_unstated(element):
        return False
    return any(n.kind is Kind.model_provider for n in neighbours_of(system, element.id))


def served_by_hosted_provider(system: System, element: Element) -> bool:
    """An ``llm`` or ``ml_model`` with no hosting facts of its own, wired to a model provider a third party runs."""
    if element.kind not in SERVED_KINDS or not hosting_unstated(element):
        return False
    neighbours = neighbours_of(system, element.id)
    return any(n.kind is Kind.model_provider and hosted_by_third_party(n)[0] for n in neighbours)


def weights_unverified(system: System, element: Element) -> tuple[bool, tuple[str, ...]]:
    """A self-served model whose weights are not (known to be) pinned and verified."""
    if element.model_provenance is ModelProvenance.open_weights_unverified:
        return True, ()
    if element.model_provenance is not None or hosted_by_third_party(element)[0]:
        return False, ()
    if defers_to_provider(system, element):
        return False, ()
    if element.kind is Kind.ml_model and any(e.kind is Kind.fine_tuning_pipeline for e in system.upstream(element.id)):
        return False, ()  # trained here: the training job's base model carries the question
    if element.kind is Kind.fine_tuning_pipeline:
        what = f"Where the base model that {element.name} fine-tunes comes from"
    else:
        what = f"Where the weights of {element.name} come from"
    return True, (f"{what} is not stated (model_provenance); "
                  "assumed downloaded weights that were not pinned or checksum-verified.",)


def model_hits(system: System, candidates: dict[str, tuple[str, ...]]) -> Iterator[Hit]:
    """One hit per candidate model. An ``llm`` or ``ml_model`` wired to a candidate ``model_provider`` (a
    candidate itself, or with no hosting facts of its own) is named in the provider's finding instead."""
    carried_by_provider: set[str] = set()
    riders: dict[str, dict[str, None]] = {}  # provider id -> served model ids, in element order
    for element in system.elements:
        if element.kind not in SERVED_KINDS:
            continue
        if element.id not in candidates and not hosting_unstated(element):
            continue
        for other in neighbours_of(system, element.id):
            if other.kind is Kind.model_provider and other.id in candidates:
                carried_by_provider.add(element.id)
                riders.setdefault(other.id, {})[element.id] = None
                break
    for element in system.elements:
        if element.id not in candidates or element.id in carried_by_provider:
            continue
        served_elements = [system.element_by_id[i] for i in riders.get(element.id, [])]
        yield Hit(element=element.id, others=tuple(e.id for e in served_elements),
                  values={"served": served_phrase(served_elements)}, assumptions=candidates[element.id])


def served_phrase(served: list[Element]) -> str:
    return f" (serving {sorted_names(served)})" if served else ""
