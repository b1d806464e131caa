"""DATA family, index lifecycle: poisoned content that stays in a retrieval index after it was removed at its
source, because deletions and edits are not carried over (or the index is never re-validated).

The finding lands on the ``vector_store``: that is where the poisoned chunk keeps being retrieved.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import Element, Kind, System
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.reach import (
    spread,
)
from dicetm.rules.reach_content import (
    retrieval_reach,
)

FEEDERS = frozenset({Kind.embedding_pipeline, Kind.knowledge_source, Kind.data_store, Kind.process})


def _pipelines(system: System, store: Element) -> list[Element]:
    return [e for e in system.upstream(store.id) if e.kind is Kind.embedding_pipeline]


def poisoned_content_outlives_removal(system: System) -> Iterator[Hit]:
    """A vector store fed from content outsiders may write, with no stated sync of deletions at the source."""
    content = retrieval_reach(system)
    for store in system.of_kind(Kind.vector_store):
        pipelines = _pipelines(system, store)
        if store.syncs_deletions is True or any(p.syncs_deletions is True for p in pipelines):
            continue
        feeding = spread(system, {store.id: store.id}, lambda e: e.kind in FEEDERS, backward=True)
        sources = [system.element_by_id[i] for i in feeding if i != store.id and (i in content.known or (
            i in content.unknown_origin))]
        if not sources and store.id not in content.known:
            continue
        assumptions = [f"Whether deletions and edits at the source are carried over into {store.name} is not "
                       "stated (syncs_deletions); assumed a removed document stays in the index."]
        if sources and all(s.id in content.unknown_origin for s in sources):
            assumptions.append(f"Who can write {sources[0].name} is not stated; assumed outsiders can.")
        names = ", ".join(s.name for s in sources) or store.name
        yield Hit(element=store.id, others=tuple(s.id for s in [*sources, *pipelines]),
                  values={"sources": names}, assumptions=tuple(assumptions))


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-011": poisoned_content_outlives_removal,
}
