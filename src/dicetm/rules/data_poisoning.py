"""DATA family, data and model poisoning (LLM04:2025): training data outsiders can shape, user input fed back
into training, and knowledge sources and indexes a model retrieves from. Where findings land: see ``data``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from dicetm.model import DataProvenance, Element, Factor, Kind, System
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.data_common import (
    FEEDBACK_KINDS,
    MODEL_KINDS,
    PROVENANCE_ORIGIN,
    factor,
    hosted_by_third_party,
    is_untrusted_origin,
    origin_by_reach,
    outsider_assumptions,
    receivers_of,
    senders_of,
    served_by_hosted_provider,
    sorted_names,
)

# ---------------------------------------------------------------- LLM04 data and model poisoning


def _untrusted_reach(system: System) -> dict[str, str]:
    starts = [e.id for e in system.elements if is_untrusted_origin(e)]
    return origin_by_reach(system, starts)


def _outside_data_factor(element: Element) -> Factor:
    return factor("likelihood", 1, f"{element.id}.fed_from_outside",
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
                   assumptions=outsider_assumptions([origin]))
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
        return (factor("likelihood", -1, f"{pipelines[0].id}.input_validation",
                        "the fine-tuning pipeline screens its input before training"),)
    return ()


def untrusted_training_data(system: System) -> Iterator[Hit]:
    """T-DATA-005: a training or fine-tuning data set that untrusted parties can shape. The language models
    trained from it are named: they carry the poison to everyone who uses them (a classifier's poisoned training
    is T-ML-005's finding on the classifier)."""
    reach = _untrusted_reach(system)
    for element in system.elements:
        hit: Hit | None = None
        if element.kind is Kind.training_data:
            hit = _training_set_hit(element, reach, system)
        elif element.kind is Kind.fine_tuning_pipeline:
            hit = _pipeline_fed_directly(system, element)
        if hit is not None:
            trained = _trained_from(system, element)
            yield replace(hit, others=tuple(dict.fromkeys([*hit.others, *trained]))) if trained else hit


def _trained_from(system: System, element: Element) -> list[str]:
    """The language models a training set or training job produces: through the jobs that read the set."""
    jobs = [element] if element.kind is Kind.fine_tuning_pipeline else [
        e for e in system.downstream(element.id) if e.kind is Kind.fine_tuning_pipeline]
    return [m.id for job in jobs for m in system.downstream(job.id) if m.kind is Kind.llm]


def _pipeline_fed_directly(system: System, pipeline: Element) -> Hit | None:
    """A fine-tuning pipeline whose training data is not modelled as a set of its own.

    When training sets feed the pipeline they carry the finding, and the pipeline's other inputs
    are read as base models, configuration and run triggers rather than training data.
    """
    senders = list(senders_of(system, pipeline.id))
    if any(s.kind is Kind.training_data for s in senders):
        return None
    direct = [s for s in senders if is_untrusted_origin(s)]
    factors: tuple[Factor, ...] = ()
    if pipeline.input_validation is True:
        factors = (factor("likelihood", -1, f"{pipeline.id}.input_validation",
                           "the pipeline screens its input before training"),)
    if direct:
        return Hit(element=pipeline.id, others=tuple(dict.fromkeys(s.id for s in direct)),
                   values={"origin": f"comes straight from {sorted_names(direct)}"},
                   factors=(_outside_data_factor(pipeline), *factors),
                   assumptions=outsider_assumptions(direct))
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
        if hosted_by_third_party(element)[0] or served_by_hosted_provider(system, element):
            continue  # a vendor training on your prompts is a disclosure question (LLM family)
        if element.kind not in MODEL_KINDS | {Kind.agent} and any(
            r.kind is Kind.training_data for r in receivers_of(system, element.id)
        ):
            continue  # a collector feeding a training set: the set carries the finding (T-DATA-005)
        yield Hit(element=element.id)


def _knowledge_fed_pipelines(system: System) -> set[str]:
    """Embedding pipelines that ingest at least one knowledge source."""
    return {
        e.id for e in system.elements
        if e.kind is Kind.embedding_pipeline
        and any(s.kind is Kind.knowledge_source for s in senders_of(system, e.id))
    }


def _untrusted_feeder_of_pipelines(system: System) -> dict[str, Element]:
    """For each embedding pipeline, the first non-knowledge-source sender whose content is untrusted."""
    result: dict[str, Element] = {}
    for element in system.elements:
        if element.kind is not Kind.embedding_pipeline:
            continue
        for sender in senders_of(system, element.id):
            if sender.kind is not Kind.knowledge_source and is_untrusted_origin(sender):
                result[element.id] = sender
                break
    return result


def _knowledge_source_poisoning(system: System, element: Element) -> Hit | None:
    writers = [s for s in senders_of(system, element.id) if is_untrusted_origin(s)]
    declared = [s for s in writers if s.untrusted_content is True]
    others = tuple(dict.fromkeys(w.id for w in writers))
    if element.untrusted_content is True:
        return Hit(element=element.id, others=others,
                   values={"writers": "people outside the organisation"})
    if element.untrusted_content is False:
        if not declared:
            people = [s for s in senders_of(system, element.id)
                      if s.kind is Kind.external_entity and s.untrusted_content is not False]
            if not people:
                return None
            # Insiders only: still a path for a compromised account or a careless edit, but less likely.
            return Hit(element=element.id, others=tuple(dict.fromkeys(p.id for p in people)),
                       values={"writers": sorted_names(people)},
                       factors=(Factor(target="likelihood", delta=-1, fact=f"{element.id}.untrusted_content=false",
                                       note="only people inside the organisation write it; a compromised "
                                            "or careless account still can"),))
        return Hit(element=element.id, others=tuple(dict.fromkeys(d.id for d in declared)),
                   values={"writers": sorted_names(declared)})
    if writers:
        return Hit(element=element.id, others=others, values={"writers": sorted_names(writers)},
                   assumptions=outsider_assumptions(writers))
    return Hit(element=element.id, values={"writers": "people outside the organisation"},
               assumptions=(f"Whether people outside the organisation can write content into {element.name} "
                            "is not stated (untrusted_content); assumed they can.",))


def _vector_store_poisoning(
    system: System, element: Element, knowledge_fed: set[str], feeders: dict[str, Element]
) -> Hit | None:
    """Poisoning through ingestion, judged on the vector store when no knowledge source carries it."""
    senders = list(senders_of(system, element.id))
    via = [
        s for s in senders
        if s.kind is Kind.embedding_pipeline and s.id in feeders
        and (element.untrusted_content is not False or feeders[s.id].untrusted_content is True)
    ]
    if via:
        feeder = feeders[via[0].id]
        return Hit(element=element.id, others=(feeder.id, via[0].id),
                   values={"writers": f"{feeder.name} (through {via[0].name})"},
                   assumptions=outsider_assumptions([feeder]))
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


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-005": untrusted_training_data,
    "T-DATA-006": user_feedback_trains_model,
    "T-DATA-007": knowledge_base_poisoning,
}
