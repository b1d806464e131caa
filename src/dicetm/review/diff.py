"""What changed between two states of a workspace: the model, the threats and the decisions on them.

``diff`` compares two (system, register, result) triples, usually an iteration snapshot and the working
copy. Pure and deterministic: every list is sorted by id, and an item's changed fields follow the order in
which the model declares them. ``render_text`` prints it for people; ``ModelDiff.model_dump`` gives JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from dicetm.model import AnalysisResult, Asset, Assumption, Element, Flow, RiskDecision, System, TrustBoundary
from dicetm.model.register import CountermeasureReview, Register, ResidualStatus, ThreatStatus
from dicetm.review.reconcile import UNRECORDED_DECISION, standing_decision


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldChange(_Out):
    field: str
    old: Any = None
    new: Any = None


class Item(_Out):
    id: str
    label: str = ""


class ChangedItem(Item):
    fields: list[FieldChange] = Field(default_factory=list)


class SectionDiff(_Out):
    added: list[Item] = Field(default_factory=list)
    removed: list[Item] = Field(default_factory=list)
    changed: list[ChangedItem] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


class BoundaryChange(ChangedItem):
    members_added: list[str] = Field(default_factory=list)
    members_removed: list[str] = Field(default_factory=list)


class BoundaryDiff(_Out):
    added: list[Item] = Field(default_factory=list)
    removed: list[Item] = Field(default_factory=list)
    changed: list[BoundaryChange] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


class RemovedThreat(Item):
    """A threat the rules no longer find; a person's decision on it stays in the register's history."""

    was: str | None = Field(None, description="The person's decision it carried (accepted, rejected, ...), if any.")
    reviewer: str | None = Field(None, description="Who made that decision.")


class ThreatsDiff(_Out):
    added: list[Item] = Field(default_factory=list)
    removed: list[RemovedThreat] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.added or self.removed)


class DecisionChange(_Out):
    """A review status that moved (``old`` -> ``new``), with who decided and the other fields that changed."""

    id: str
    label: str = ""
    old: str
    new: str
    reviewer: str | None = None
    reason: str | None = None
    fields: list[FieldChange] = Field(default_factory=list)


class StaleDecision(_Out):
    id: str
    label: str = ""
    was: str | None = Field(None, description="The decision before it went stale.")
    reviewer: str | None = Field(None, description="Who made that decision.")
    changes: list[str] = Field(default_factory=list, description="The facts that changed under it.")


class ModelDiff(_Out):
    from_label: str = Field("", description="What the old side is, e.g. 'iteration 2'.")
    to_label: str = Field("", description="What the new side is, e.g. 'the working copy'.")
    system: list[FieldChange] = Field(default_factory=list, description="Name and description.")
    elements: SectionDiff = Field(default_factory=SectionDiff)
    flows: SectionDiff = Field(default_factory=SectionDiff)
    trust_boundaries: BoundaryDiff = Field(default_factory=BoundaryDiff)
    assets: SectionDiff = Field(default_factory=SectionDiff)
    assumptions: SectionDiff = Field(default_factory=SectionDiff)
    threats: ThreatsDiff = Field(default_factory=ThreatsDiff)
    threat_reviews: list[DecisionChange] = Field(default_factory=list)
    countermeasures: list[DecisionChange] = Field(default_factory=list)
    residual_risks: list[DecisionChange] = Field(default_factory=list)
    stale: list[StaleDecision] = Field(default_factory=list)

    def is_empty(self) -> bool:
        sections = (self.elements, self.flows, self.trust_boundaries, self.assets, self.assumptions, self.threats)
        lists = (self.system, self.threat_reviews, self.countermeasures, self.residual_risks, self.stale)
        return all(s.is_empty() for s in sections) and not any(lists)


_Item = TypeVar("_Item", Element, Flow, Asset, Assumption)


# --- the model ---------------------------------------------------------------------------------------------


def field_changes(old: BaseModel, new: BaseModel, skip: Iterable[str] = ()) -> list[FieldChange]:
    """Fields whose values differ, in declaration order (values as JSON data)."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    skipped = set(skip)
    return [FieldChange(field=name, old=before.get(name), new=after.get(name))
            for name in type(new).model_fields
            if name not in skipped and before.get(name) != after.get(name)]


def _section(old: Sequence[_Item], new: Sequence[_Item], label: Callable[[_Item], str]) -> SectionDiff:
    before, after = {item.id: item for item in old}, {item.id: item for item in new}
    diff = SectionDiff(added=[Item(id=i, label=label(after[i])) for i in sorted(after.keys() - before.keys())],
                       removed=[Item(id=i, label=label(before[i])) for i in sorted(before.keys() - after.keys())])
    for item_id in sorted(before.keys() & after.keys()):
        changes = field_changes(before[item_id], after[item_id])
        if changes:
            diff.changed.append(ChangedItem(id=item_id, label=label(after[item_id]), fields=changes))
    return diff


def _boundaries(old: Sequence[TrustBoundary], new: Sequence[TrustBoundary]) -> BoundaryDiff:
    before, after = {b.id: b for b in old}, {b.id: b for b in new}
    diff = BoundaryDiff(added=[Item(id=i, label=after[i].name) for i in sorted(after.keys() - before.keys())],
                        removed=[Item(id=i, label=before[i].name) for i in sorted(before.keys() - after.keys())])
    for boundary_id in sorted(before.keys() & after.keys()):
        was, now = before[boundary_id], after[boundary_id]
        change = BoundaryChange(id=boundary_id, label=now.name, fields=field_changes(was, now, skip={"elements"}),
                                members_added=sorted(set(now.elements) - set(was.elements)),
                                members_removed=sorted(set(was.elements) - set(now.elements)))
        if change.fields or change.members_added or change.members_removed:
            diff.changed.append(change)
    return diff


def _element_label(element: Element) -> str:
    return f"{element.name} ({element.kind.value})"


def _flow_label(flow: Flow) -> str:
    arrow = "<->" if flow.bidirectional else "->"
    return f"{flow.source} {arrow} {flow.target}" + (f": {flow.data}" if flow.data else "")


def _asset_label(asset: Asset) -> str:
    return asset.name


def _assumption_label(assumption: Assumption) -> str:
    return assumption.text if len(assumption.text) <= 60 else assumption.text[:59] + "…"


def _system_fields(old: System, new: System) -> list[FieldChange]:
    return [FieldChange(field=name, old=getattr(old, name), new=getattr(new, name))
            for name in ("name", "description") if getattr(old, name) != getattr(new, name)]


# --- threats and decisions ---------------------------------------------------------------------------------


def _threat_titles(register: Register, result: AnalysisResult | None) -> dict[str, str]:
    if result is not None:
        return {t.id: t.title for t in result.threats}
    return {e.id: e.title for e in register.threats if e.status is not ThreatStatus.retired}


_PERSONS_DECISIONS = frozenset({ThreatStatus.accepted, ThreatStatus.rejected, ThreatStatus.modified,
                                ThreatStatus.needs_info})


def _threats(old: dict[str, str], new: dict[str, str], old_register: Register) -> ThreatsDiff:
    entries = {e.id: e for e in old_register.threats}
    removed = []
    for threat_id in sorted(old.keys() - new.keys()):
        entry = entries.get(threat_id)
        status = standing_decision(entry) if entry is not None else None
        if entry is not None and status in _PERSONS_DECISIONS:
            removed.append(RemovedThreat(id=threat_id, label=old[threat_id], was=status.value, reviewer=entry.reviewer))
        else:
            removed.append(RemovedThreat(id=threat_id, label=old[threat_id]))
    return ThreatsDiff(added=[Item(id=i, label=new[i]) for i in sorted(new.keys() - old.keys())], removed=removed)


# A decision's state: its status, the fields that go with it, and who made it (not compared) with why.
_State = dict[str, Any]
_WHO = ("reviewer", "reason")


def _threat_states(register: Register) -> dict[str, _State]:
    return {e.id: {"status": e.status.value, "title": e.title, "reviewer": e.reviewer, "reason": e.reason}
            for e in register.threats}


def _countermeasure_states(system: System, register: Register) -> dict[str, _State]:
    """As the analysis sees them: a register decision wins over the model file's setting, unless only proposed."""
    states: dict[str, _State] = {
        s.control: {"status": s.status.value, "owner": s.owner, "due": s.due, "evidence": s.evidence,
                    "reviewer": None, "reason": s.note}
        for s in system.countermeasures}
    for entry in register.countermeasures:
        if entry.status is not CountermeasureReview.proposed or entry.id not in states:
            states[entry.id] = {"status": entry.status.value, "owner": entry.owner, "due": entry.due,
                                "evidence": entry.evidence, "reviewer": entry.reviewer, "reason": entry.reason}
    return states


_DECIDED: dict[RiskDecision, ResidualStatus] = {
    RiskDecision.accept: ResidualStatus.accepted, RiskDecision.transfer: ResidualStatus.transferred,
    RiskDecision.avoid: ResidualStatus.avoided, RiskDecision.mitigate: ResidualStatus.mitigated,
}


def _residual_states(system: System, register: Register) -> dict[str, _State]:
    states: dict[str, _State] = {
        s.threat: {"status": _DECIDED[s.decision].value if s.decision else ResidualStatus.open.value,
                   "owner": s.owner, "business_impact": s.business_impact, "review_by": s.review_by,
                   "reviewer": None, "reason": None}
        for s in system.residual_risks}
    for record in register.residual_risks:
        if record.status is not ResidualStatus.open or record.threat not in states:
            states[record.threat] = {"status": record.status.value, "owner": record.owner,
                                     "business_impact": record.business_impact, "review_by": record.review_by,
                                     "reviewer": record.reviewer, "reason": record.reason}
    return states


def _decision_changes(old: dict[str, _State], new: dict[str, _State], default: str,
                      compared: Sequence[str] = ()) -> list[DecisionChange]:
    """Items whose status or ``compared`` fields differ; an item missing on one side has status ``default``."""
    out: list[DecisionChange] = []
    for item_id in sorted(old.keys() | new.keys()):
        was, now = old.get(item_id, {"status": default}), new.get(item_id, {"status": default})
        fields = [FieldChange(field=f, old=was.get(f), new=now.get(f)) for f in compared if was.get(f) != now.get(f)]
        if was["status"] == now["status"] and not fields:
            continue
        out.append(DecisionChange(id=item_id, label=now.get("title") or was.get("title") or "", old=was["status"],
                                  new=now["status"], reviewer=now.get("reviewer"), reason=now.get("reason"),
                                  fields=fields))
    return out


def _threat_reviews(old: Register, new: Register) -> list[DecisionChange]:
    """Status moves made by people. Going stale or retired is shown elsewhere (stale decisions, threats)."""
    shown_elsewhere = {ThreatStatus.stale.value, ThreatStatus.retired.value}
    changes = _decision_changes(_threat_states(old), _threat_states(new), ThreatStatus.unreviewed.value)
    return [c for c in changes if c.new not in shown_elsewhere]


def _status_text(status: ThreatStatus | None) -> str | None:
    return status.value if status is not None else None


def _stale(register: Register) -> list[StaleDecision]:
    return [StaleDecision(id=e.id, label=e.title, was=_status_text(standing_decision(e)), reviewer=e.reviewer,
                          changes=list(e.stale_changes))
            for e in sorted(register.threats, key=lambda e: e.id) if e.status is ThreatStatus.stale]


def diff(old_system: System, old_register: Register, old_result: AnalysisResult | None,
         new_system: System, new_register: Register, new_result: AnalysisResult | None) -> ModelDiff:
    """Everything that changed from the old state to the new one.

    Threats are compared by id on the analysis results when both are given, else on the registers' live
    entries. Stale decisions are those of the new register, with the fact changes that made them stale.
    """
    both = old_result is not None and new_result is not None
    old_threats = _threat_titles(old_register, old_result if both else None)
    new_threats = _threat_titles(new_register, new_result if both else None)
    return ModelDiff(
        system=_system_fields(old_system, new_system),
        elements=_section(old_system.elements, new_system.elements, _element_label),
        flows=_section(old_system.flows, new_system.flows, _flow_label),
        trust_boundaries=_boundaries(old_system.trust_boundaries, new_system.trust_boundaries),
        assets=_section(old_system.assets, new_system.assets, _asset_label),
        assumptions=_section(old_system.assumptions, new_system.assumptions, _assumption_label),
        threats=_threats(old_threats, new_threats, old_register),
        threat_reviews=_threat_reviews(old_register, new_register),
        countermeasures=_decision_changes(_countermeasure_states(old_system, old_register),
                                          _countermeasure_states(new_system, new_register),
                                          CountermeasureReview.proposed.value, ("owner", "due", "evidence")),
        residual_risks=_decision_changes(_residual_states(old_system, old_register),
                                         _residual_states(new_system, new_register),
                                         ResidualStatus.open.value, ("owner", "business_impact", "review_by")),
        stale=_stale(new_register),
    )


# --- text --------------------------------------------------------------------------------------------------


def show(value: Any) -> str:
    """A value the way a person reads it in the model file."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _head(marker: str, item_id: str, label: str) -> str:
    return f"  {marker} {item_id}" + (f": {label}" if label else "")


def _field_lines(fields: Iterable[FieldChange]) -> list[str]:
    return [f"      {f.field}: {show(f.old)} -> {show(f.new)}" for f in fields]


def _section_lines(section: SectionDiff | BoundaryDiff) -> list[str]:
    lines = [_head("+", i.id, i.label) for i in section.added]
    lines += [_head("-", i.id, i.label) for i in section.removed]
    for item in section.changed:
        lines.append(_head("~", item.id, item.label))
        if isinstance(item, BoundaryChange):
            lines += [f"      + member {m}" for m in item.members_added]
            lines += [f"      - member {m}" for m in item.members_removed]
        lines += _field_lines(item.fields)
    return lines


def _decision_lines(changes: Iterable[DecisionChange]) -> list[str]:
    lines: list[str] = []
    for change in changes:
        line = _head("~", change.id, change.label) + f" [{change.old} -> {change.new}]"
        if change.reviewer:
            line += f" by {change.reviewer}"
        lines.append(line)
        if change.reason:
            lines.append(f"      reason: {change.reason}")
        lines += _field_lines(change.fields)
    return lines


def _stale_lines(stale: Iterable[StaleDecision]) -> list[str]:
    lines: list[str] = []
    for item in stale:
        by = f" by {item.reviewer}" if item.reviewer else ""
        lines.append(_head("~", item.id, item.label) + f" [was {item.was or UNRECORDED_DECISION}{by}, now stale]")
        lines += [f"      {change}" for change in item.changes]
    return lines


def _decision_kept(threat: RemovedThreat) -> str:
    if threat.was is None:
        return ""
    by = f" by {threat.reviewer}" if threat.reviewer else ""
    return f" [was {threat.was}{by}; the decision stays in the register's history]"


def render_text(model_diff: ModelDiff) -> str:
    """The diff for people: one block per section that changed; ``+`` added, ``-`` removed, ``~`` changed."""
    d = model_diff
    title = f"changes from {d.from_label} to {d.to_label}" if d.from_label and d.to_label else "changes"
    if d.is_empty():
        return f"{title}: no changes\n" if d.from_label and d.to_label else "no changes\n"
    blocks = [
        ("system", [f"  ~ {f.field}: {show(f.old)} -> {show(f.new)}" for f in d.system]),
        ("elements", _section_lines(d.elements)),
        ("flows", _section_lines(d.flows)),
        ("trust boundaries", _section_lines(d.trust_boundaries)),
        ("assets", _section_lines(d.assets)),
        ("assumptions", _section_lines(d.assumptions)),
        ("threats", [_head("+", i.id, i.label) for i in d.threats.added]
         + [_head("-", i.id, i.label) + _decision_kept(i) for i in d.threats.removed]),
        ("threat reviews", _decision_lines(d.threat_reviews)),
        ("countermeasures", _decision_lines(d.countermeasures)),
        ("residual risks", _decision_lines(d.residual_risks)),
        ("stale decisions", _stale_lines(d.stale)),
    ]
    lines = [title]
    for heading, body in blocks:
        if body:
            lines += ["", heading, *body]
    return "\n".join(lines) + "\n"
