"""Countermeasures: one entry per suggested control, linked to every threat it mitigates.

Status starts as ``proposed``; a person's setting in the model file (status, owner, due, evidence)
is applied as written. Nothing here decides on anyone's behalf.

Countermeasures are ranked by the risk they would take off: for every threat a control mitigates, the
score before minus the score with that control alone implemented (its catalogue ``reduces``), summed.
Ties go to the control a rule names earlier (more specific), then to the one mitigating more threats.
Every countermeasure gets its own rank, so the list is an order of work, not a pile of first places.
"""

from __future__ import annotations

import dataclasses

from dicetm.errors import CatalogError
from dicetm.model import Countermeasure, CountermeasureStatus, Provenance, Threat
from dicetm.pipeline.state import State


def countermeasures(state: State) -> list[Countermeasure]:
    catalog = state.catalog
    threats_of: dict[str, list[str]] = {}
    best_rank: dict[str, int] = {}
    reduced: dict[str, int] = {}
    for threat in state.threats:
        for position, control_id in enumerate(threat.controls, start=1):
            threats_of.setdefault(control_id, []).append(threat.id)
            best_rank[control_id] = min(best_rank.get(control_id, position), position)
            known = catalog.controls.get(control_id)  # custom controls lower nothing by themselves
            reduced[control_id] = reduced.get(control_id, 0) + (_reduction(threat, known.reduces) if known else 0)
    settings = {s.control: s for s in state.system.countermeasures}
    custom = {c.id: c for c in state.system.controls}
    entries: list[Countermeasure] = []
    for control_id, threat_ids in threats_of.items():
        control = catalog.controls.get(control_id) or custom.get(control_id)
        if control is None:
            raise CatalogError(f"a threat names control {control_id}, which is neither in the catalogue nor "
                               "among the model's custom controls")
        setting = settings.get(control_id)
        entries.append(Countermeasure(
            id=control_id, name=control.name, description=control.description, threats=sorted(threat_ids),
            rank=0,  # set below, once every countermeasure's reduction is known
            status=setting.status if setting else CountermeasureStatus.proposed,
            owner=setting.owner if setting else None, due=setting.due if setting else None,
            evidence=setting.evidence if setting else None, tracker=setting.tracker if setting else None,
            references=list(control.references),
            limited_to=sorted(setting.threats) if setting and setting.threats is not None else None,
            provenance=Provenance(source="rule", catalog_version=catalog.version,
                                  detail="suggested by the rules of the threats it mitigates")
            if control_id in catalog.controls else Provenance(source=custom[control_id].source,
                                                              detail=custom[control_id].source_ref),
        ))
    ordered = sorted(entries, key=lambda c: (-reduced[c.id], best_rank[c.id], -len(c.threats), c.id))
    return [c.model_copy(update={"rank": rank}) for rank, c in enumerate(ordered, start=1)]


def _reduction(threat: Threat, reduces: dict[str, int]) -> int:
    """Score points a control takes off one threat when implemented (likelihood and impact stay 1..5)."""
    likelihood = max(1, threat.likelihood - reduces.get("likelihood", 0))
    impact = max(1, threat.impact - reduces.get("impact", 0))
    return threat.score - likelihood * impact


def counter(state: State) -> State:
    return dataclasses.replace(state, countermeasures=tuple(countermeasures(state)))
