"""DATA family, model artefacts at rest: a store or registry that the organisation's own model is deployed or
loaded from, left open to the internet (T-DATA-013). Whoever finds it copies the models in it and, where it takes
writes, replaces an image or weights file under the same name, and the deployment pulls the attacker's model.
And model files or training data that people reach directly with their own accounts (T-DATA-016): one valid
account, an insider's or a stolen one, is enough to collect them and take them out.

The finding lands on the store; the models it reaches and the processes that carry its content to them (a
deployment pipeline, a loader) are named with it.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import Element, Exposure, Kind, ModelProvenance, System
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.reach import MODEL_FILE_READERS, loaded_weights, open_to_internet

ARTEFACT_STORES = frozenset({Kind.data_store, Kind.registry})
MODEL_KINDS = frozenset({Kind.llm, Kind.model_provider})
# What carries a stored artefact on to the model that runs it, without being a model or a store itself.
CARRIERS = frozenset({Kind.process, Kind.fine_tuning_pipeline})
OPEN = (Exposure.internet, Exposure.partner)
# Where model files and training data are kept.
HOLDERS = frozenset({Kind.data_store, Kind.training_data, Kind.registry})


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


def _artefacts(system: System, store: Element) -> str | None:
    """What AI artefacts a store holds: model files (a classifier loads them, or a model that only takes weights
    from stores), training data (its kind, or a training job reads it), or both. A store a language model reads
    at run time is context, not weights."""
    if store.kind not in HOLDERS:
        return None
    readers = system.downstream(store.id)
    files = any(e.kind is Kind.ml_model or loaded_weights(system, e) for e in readers)
    data = store.kind is Kind.training_data or any(e.kind is Kind.fine_tuning_pipeline for e in readers)
    if files and data:
        return "model files and training data"
    return "model files" if files else "training data" if data else None


def artefacts_copied_with_an_account(system: System) -> Iterator[Hit]:
    """A store of the organisation's own that holds model files (a classifier, or a model that takes its weights
    only from stores, loads from it) or training data (a training job reads it), which people reach directly: an
    external entity reads or writes it over a flow of its own, not through an application. Whoever holds one of
    those accounts (an insider, or an attacker with a phished, leaked or reused credential) collects the
    artefacts and takes them out through ordinary channels. A store open to the internet is left to T-STRIDE-017
    and T-DATA-013."""
    for store in system.elements:
        if store.third_party is True or open_to_internet(store):
            continue
        what = _artefacts(system, store)
        if what is None:
            continue
        people = [e for e in [*system.upstream(store.id), *system.downstream(store.id)]
                  if e.kind is Kind.external_entity]
        if not people:
            continue
        loaders = [e for e in system.downstream(store.id) if e.kind in MODEL_FILE_READERS]
        yield Hit(element=store.id, others=tuple(dict.fromkeys(e.id for e in [*people, *loaders])),
                  values={"what": what, "people": ", ".join(dict.fromkeys(p.name for p in people))})


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-013": model_store_open_to_outsiders,
    "T-DATA-016": artefacts_copied_with_an_account,
}
