"""DATA family, model artefacts at rest: a store or registry that the organisation's own model is deployed or
loaded from, left open to the internet. Whoever finds it copies the models in it and, where it takes writes,
replaces an image or weights file under the same name, and the deployment pulls the attacker's model.

The finding lands on the store; the models it reaches and the processes that carry its content to them (a
deployment pipeline, a loader) are named with it.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import Element, Exposure, Kind, ModelProvenance, System
from dicetm.rules.base import Hit, RuleFunction

ARTEFACT_STORES = frozenset({Kind.data_store, Kind.registry})
MODEL_KINDS = frozenset({Kind.llm, Kind.model_provider})
# What carries a stored artefact on to the model that runs it, without being a model or a store itself.
CARRIERS = frozenset({Kind.process, Kind.fine_tuning_pipeline})
OPEN = (Exposure.internet, Exposure.partner)


def _self_hosted(model: Element) -> bool:
    """The organisation runs the model's weights itself (a vendor's API model is never deployed from a store)."""
    if model.model_provenance is not None:
        return model.model_provenance is not ModelProvenance.vendor_api
    return model.third_party is not True and model.kind is Kind.llm


def _deployed_models(system: System, store: Element) -> tuple[list[Element], list[Element]]:
    """(self-hosted models the store's content reaches, the carriers on the way), following flows forward."""
    models: dict[str, Element] = {}
    carriers: dict[str, Element] = {}
    seen = {store.id}
    stack = [store.id]
    while stack:
        for nxt in system.downstream(stack.pop()):
            if nxt.id in seen:
                continue
            seen.add(nxt.id)
            if nxt.kind in MODEL_KINDS and _self_hosted(nxt):
                models[nxt.id] = nxt
            elif nxt.kind in CARRIERS:
                carriers[nxt.id] = nxt
                stack.append(nxt.id)
    return list(models.values()), [c for c in carriers.values() if any(
        m.id in {e.id for e in system.downstream(c.id)} for m in models.values())]


def _outside_writers(system: System, store: Element) -> list[Element]:
    """External entities that send data into the store (a push from outside the organisation)."""
    return [e for e in system.upstream(store.id) if e.kind is Kind.external_entity]


def model_store_open_to_outsiders(system: System) -> Iterator[Hit]:
    """A registry reachable from the internet or partners (or pushed to from outside) without authentication, or
    a data store stated open to them (``authenticated: false``), whose content a self-hosted model is deployed
    or loaded from (directly or through a pipeline)."""
    for store in system.elements:
        if store.kind not in ARTEFACT_STORES or store.authenticated is True or store.third_party is True:
            continue
        writers = _outside_writers(system, store)
        if store.kind is Kind.data_store and not (store.exposure in OPEN and store.authenticated is False):
            continue  # a plain store counts only when stated open: uploads feeding a model are no model store
        if store.exposure not in OPEN and not writers:
            continue
        models, carriers = _deployed_models(system, store)
        if not models:
            continue
        assumptions: list[str] = []
        if store.authenticated is None:
            assumptions.append(f"Whether {store.name} requires authentication to pull and push is not stated; "
                               "assumed it does not.")
        can_write = "copied and replaced" if writers or store.authenticated is False else "copied"
        yield Hit(element=store.id, others=tuple(e.id for e in [*models, *carriers, *writers]),
                  values={"models": ", ".join(m.name for m in models), "what": can_write},
                  assumptions=tuple(assumptions))


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-013": model_store_open_to_outsiders,
}
