"""Countermeasures: one entry per suggested control, linked to every threat it mitigates.

Status starts as ``proposed``; a person's setting in the model file (status, owner, due, evidence)
is applied as written. Nothing here decides on anyone's behalf.
"""

from __future__ import annotations

import dataclasses

from dicetm.errors import CatalogError
from dicetm.model import Countermeasure, CountermeasureStatus, Provenance
from dicetm.pipeline.state import State


def countermeasures(state: State) -> list[Countermeasure]:
    catalog = state.catalog
    threats_of: dict[str, list[str]] = {}
    best_rank: dict[str, int] = {}
    for threat in state.threats:
        for position, control_id in enumerate(threat.controls, start=1):
            threats_of.setdefault(control_id, []).append(threat.id)
            best_rank[control_id] = min(best_rank.get(control_id, position), position)
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
            rank=best_rank[control_id],
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
    return sorted(entries, key=lambda c: (c.rank, -len(c.threats), c.id))


def counter(state: State) -> State:
    return dataclasses.replace(state, countermeasures=tuple(countermeasures(state)))
