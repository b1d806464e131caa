"""DATA family, vector and embedding weaknesses (LLM08:2025) and what training encodes: vector stores written
around their ingestion pipeline, embeddings that can be inverted, sensitive data trained into a model. Where
findings land: see ``data``."""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import Classification, Element, Factor, Kind, System
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.data_common import (
    CONFIDENTIAL,
    VECTOR_DIRECT_WRITER_KINDS,
    VECTOR_READERS_AND_INGESTION,
    factor,
    fed_classification,
    pipeline_input_classes,
    rank,
    sorted_names,
)

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
        yield Hit(element=element.id, others=tuple(writers), values={"writers": sorted_names(writers.values())},
                  assumptions=tuple(dict.fromkeys(assumptions)))


def embedding_inversion(system: System) -> Iterator[Hit]:
    """T-DATA-009: embeddings of confidential or personal text can be inverted back into that text."""
    through = pipeline_input_classes(system)
    for element in system.elements:
        if element.kind is not Kind.vector_store:
            continue
        carried, origin = fed_classification(system, element, through)
        if carried is None or rank(carried) < CONFIDENTIAL:
            continue
        assumptions: tuple[str, ...] = ()
        factors: list[Factor] = []
        if origin is not None and element.classification is None:
            assumptions = (f"The classification of {element.name} is not stated; taken as {carried} from "
                           f"{origin.name}, whose content it embeds.",)
        if rank(carried) >= CLASSIFICATION_RANK[Classification.personal]:
            factors.append(factor("impact", 1, f"{(origin or element).id}.classification={carried}",
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
        carried, origin = fed_classification(system, element, {})
        if carried is None or rank(carried) < CONFIDENTIAL:
            continue
        assumptions: tuple[str, ...] = ()
        if origin is not None and element.classification is None:
            assumptions = (f"The classification of {element.name} is not stated; taken as {carried} from "
                           f"{origin.name}, which feeds it.",)
        factors: tuple[Factor, ...] = ()
        if rank(carried) >= CLASSIFICATION_RANK[Classification.personal]:
            factors = (factor("impact", 1, f"{(origin or element).id}.classification={carried}",
                               "extracted training records would disclose personal data"),)
        yield Hit(element=element.id, others=(origin.id,) if origin is not None else (),
                  values={"data_class": str(carried)}, factors=factors, assumptions=assumptions)


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-008": vector_store_writable_beyond_ingestion,
    "T-DATA-009": embedding_inversion,
    "T-DATA-010": sensitive_data_trained_into_model,
}
