"""How one review item reads in the terminal: the threat or residual risk, its elements, flow and controls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicetm.review.reconcile import earlier_decision_text

if TYPE_CHECKING:
    from dicetm.model import System
    from dicetm.review.queue import QueueItem


_NOT_SHOWN = {"id", "name", "kind", "description", "tags"}


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value)


def element_line(system: System, element_id: str) -> str:
    """``id (kind, name): fact=value, ...`` for one element; its trust boundary counts as a fact."""
    element = system.element_by_id.get(element_id)
    if element is None:
        return f"{element_id} (no longer in the model)"
    facts = element.model_dump(mode="json", exclude=_NOT_SHOWN, exclude_none=True)
    boundary = system.boundary_of.get(element_id)
    if boundary:
        facts["boundary"] = boundary
    listed = ", ".join(f"{key}={_value(value)}" for key, value in facts.items()) or "no facts stated"
    return f"{element.id} ({element.kind.value}, {element.name}): {listed}"


def flow_line(system: System, flow_id: str) -> str:
    flow = system.flow_by_id.get(flow_id)
    if flow is None:
        return f"{flow_id} (no longer in the model)"
    facts = flow.model_dump(mode="json", exclude={"id", "source", "target", "data"}, exclude_none=True)
    listed = ", ".join(f"{key}={_value(value)}" for key, value in facts.items())
    carries = f" carrying {flow.data}" if flow.data else ""
    return f"{flow.id}: {flow.source} -> {flow.target}{carries}" + (f" ({listed})" if listed else "")


def _status_lines(item: QueueItem) -> list[str]:
    entry = item.entry
    if item.kind == "residual-risk":
        decided = f" by {entry.reviewer}" if entry and entry.reviewer else ""
        return [f"status:      residual risk open; the threat was {item.threat.status}{decided}"]
    status = item.threat.status
    if status == "stale" and entry is not None:
        earlier = earlier_decision_text(entry)
        who = f" by {entry.reviewer}" if entry.reviewer else ""
        when = f" on {entry.decided_at}" if entry.decided_at else ""
        because = f" ({entry.reason})" if entry.reason else ""
        lines = [f"status:      stale: it was {earlier}{who}{when}{because}; since then the facts changed:"]
        lines += [f"               - {change}" for change in entry.stale_changes or ["(no detail recorded)"]]
        return lines
    if status == "needs-info" and entry is not None:
        asked = f": {entry.reviewer} asked for: {entry.reason}" if entry.reason else ""
        return [f"status:      needs-info{asked}"]
    return [f"status:      {status}"]


def _indented(label: str, values: list[str], empty: str = "none") -> list[str]:
    if not values:
        return [f"{label:<13}{empty}"]
    return [f"{label:<13}{values[0]}", *(f"{'':<13}{value}" for value in values[1:])]


def _provenance(item: QueueItem) -> str:
    from dicetm.report.common import provenance_text

    text = provenance_text(item.threat.provenance)
    return text + ("  [proposed by an LLM: check it against the model]" if item.ai_proposed else "")


def _risk_line(item: QueueItem) -> str:
    threat = item.threat
    inherent = f"{threat.likelihood} x {threat.impact} = {threat.score} ({threat.risk.value})"
    if item.kind == "residual-risk":
        return f"risk:        residual {item.score} ({item.level.value}); inherent {inherent}"
    return f"risk:        {inherent}"


def format_item(item: QueueItem, system: System, control_names: dict[str, str], position: str) -> list[str]:
    """The lines that describe one queue item to its reviewer."""
    threat = item.threat
    heading = "residual risk of " if item.kind == "residual-risk" else ""
    lines = [f"--- {position} ---", f"id:          {item.id}", f"title:       {heading}{threat.title}",
             _risk_line(item), *_status_lines(item)]
    lines += _indented("elements:", [element_line(system, e) for e in threat.elements])
    if threat.flows:
        lines += _indented("flows:", [flow_line(system, f) for f in threat.flows])
    lines += [f"scenario:    {threat.scenario}", f"rationale:   {threat.rationale or '(none given)'}"]
    lines += _indented("factors:", [f"{f.delta:+d} {f.target}: {f.fact} ({f.note})" for f in threat.factors])
    lines += _indented("assumptions:", list(threat.assumptions))
    lines.append(f"provenance:  {_provenance(item)}")
    lines += _indented("frameworks:", [", ".join(threat.references)] if threat.references else [])
    lines += _indented("controls:", [f"{c} {control_names.get(c, '')}".rstrip() for c in threat.controls])
    lines.append(f"question:    {threat.review_question or '(none given)'}")
    return lines
