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

from collections.abc import Iterable, Iterator

from dicetm.model import TOOL_KINDS, Classification, Element, Factor, Kind, System
from dicetm.rules.base import Hit, RuleFunction, per_system
from dicetm.rules.data_common import (
    CONFIDENTIAL,
    DELIVERY_KINDS,
    DEPENDANT_EXCLUDED,
    MODEL_KINDS,
    SOFTWARE_KINDS,
    WEIGHTS_KINDS,
    factor,
    fed_classification,
    hosted_by_third_party,
    model_hits,
    neighbours_of,
    rank,
    sorted_names,
    weights_unverified,
)
from dicetm.rules.injection import parsed_model_files
from dicetm.rules.reach import kinds, requests_to, spread, weight_files

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
            hosted, assumptions = hosted_by_third_party(element)
            if hosted:
                candidates[element.id] = assumptions
    for hit in model_hits(system, candidates):
        element = system.element_by_id[hit.element]
        carried: Classification | None = None
        for model_id in (hit.element, *hit.others):  # the provider and the models it serves
            received, _origin = fed_classification(system, system.element_by_id[model_id], {})
            if rank(received) > rank(carried):
                carried = received
        factors: tuple[Factor, ...] = ()
        if rank(carried) >= CONFIDENTIAL and rank(element.classification) < CONFIDENTIAL:
            note = f"a breach or misuse at the provider exposes the {carried} data sent to it"
            factors = (factor("impact", 1, f"{element.id}.receives={carried}", note),)
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
    the repository or model store they are kept in, the file the model loads and whoever outside delivers it:
    an app store, an update channel), where a tampered file is loaded or could be checked. Unless the model is stated
    to validate its input, a malformed file is also assumed to reach a native parser (out-of-bounds write and read,
    CWE-787, CWE-125; ``rules.injection``)."""
    candidates: dict[str, tuple[str, ...]] = {}
    for element in system.elements:
        if element.kind in WEIGHTS_KINDS:
            unverified, assumptions = weights_unverified(system, element)
            if unverified:
                candidates[element.id] = assumptions
    for hit in model_hits(system, candidates):
        element = system.element_by_id[hit.element]
        steps = [*_delivery_steps(system, element), *(e.id for e in weight_files(system, element))]
        parsed = parsed_model_files(element)
        yield Hit(element=hit.element, others=tuple(dict.fromkeys([*hit.others, *steps])),
                  values={**hit.values, "parser": parsed.sentence},
                  assumptions=(*hit.assumptions, *parsed.assumptions), references=parsed.references)


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
        callers = [e for e in neighbours_of(system, element.id) if e.kind in (Kind.agent, Kind.llm)]
        assumptions: tuple[str, ...] = ()
        if element.dependencies_pinned is None and element.description_pinned is None:
            assumptions = (f"Whether the version and description of {element.name} are pinned is not stated "
                           "(dependencies_pinned, description_pinned); assumed the publisher can change them.",)
        caller_text = sorted_names(callers) if callers else "the agent that loads it"
        yield Hit(element=element.id, others=tuple(dict.fromkeys(e.id for e in callers)),
                  values={"callers": caller_text}, assumptions=assumptions)


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-001": hosted_model_provider_dependency,
    "T-DATA-002": unverified_model_weights,
    "T-DATA-003": unpinned_ai_dependencies,
    "T-DATA-004": third_party_tool_can_change,
}
