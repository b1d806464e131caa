"""AWS Threat Composer workspace export (``.tc.json``, data exchange schema 1).

Each threat becomes a threat statement: our scenario is the rendered ``statement``; the statement parts
are filled from what dicetm knows (the threatened element as prerequisite, the title as action, the
scenario's closing sentence as impact, element names as impacted assets, STRIDE letters as goals).
Suggested controls become mitigations linked to their threats; the model's assumptions and the
assumptions rules made about unstated facts become assumptions linked to the threats resting on them.

Threat Composer validates strictly: ids are UUIDs (derived from our ids, so output is stable), texts
have length limits, metadata keys are limited to Comments, STRIDE and Priority, tags to 30 characters.
Everything longer is cut with an ellipsis; our own ids travel in the Comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from dicetm.io.export_common import SEVERITY, clip, element_facts, json_text, source_ordered, stable_uuid
from dicetm.io.sourcekeep import foreign
from dicetm.model import (
    AnalysisResult,
    Countermeasure,
    CountermeasureStatus,
    CustomControl,
    Element,
    RiskLevel,
    System,
    Threat,
    ThreatRecord,
)
from dicetm.model.sourcedata import source_of

NAME = "threat-composer"
SOURCE = f"import:{NAME}"
SCHEMA_VERSION = 1
FIELD_MAX = 200  # statement parts, application name
STATEMENT_MAX = 7 * FIELD_MAX
CONTENT_MAX = 1000  # mitigation and assumption text, metadata comments
TAG_MAX = 30
DESCRIPTION_MAX = 100_000  # application, architecture and dataflow descriptions
THREAT_SOURCE = "threat actor"
_GOALS = {"S": "authenticity", "T": "integrity", "R": "non-repudiation", "I": "confidentiality",
          "D": "availability", "E": "authorization"}
_PRIORITY = {RiskLevel.critical: "High", RiskLevel.high: "High", RiskLevel.medium: "Medium",
             RiskLevel.low: "Low"}
_MITIGATION_STATUS = {
    CountermeasureStatus.proposed: "mitigationIdentified", CountermeasureStatus.accepted: "mitigationIdentified",
    CountermeasureStatus.planned: "mitigationInProgress", CountermeasureStatus.implemented: "mitigationResolved",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Facts that say what an MCP server, tool, registry or agent is in an agent ecosystem (typed in the text).
ECOSYSTEM_FACTS = ("transport", "server", "description_source", "description_pinned", "installed_from", "signed",
                   "reviewed", "oauth_proxy", "computer_use", "executes_code", "sandboxed", "egress_restricted")


def render_threat_composer(result: AnalysisResult, system: System) -> str:
    """A Threat Composer workspace; threats, mitigations and assumptions imported from Threat Composer come
    back as they were (ids, statement parts, tags, statuses, comments, links), with a person's changes."""
    threats = source_ordered(result.threats, system, NAME)
    threat_ids = {t.id for t in threats}
    records = {r.id: r for r in system.threats}
    countermeasures = sorted((c for c in result.countermeasures if threat_ids.intersection(c.threats)),
                             key=lambda c: (c.rank, c.id))
    threat_items = _numbered([_threat(t, system, records.get(t.id)) for t in threats])
    by_id = {c.id: c for c in countermeasures}
    kept = [c for c in system.controls if source_of(c, NAME) is not None]  # in their file order
    fresh = [c for c in countermeasures if c.id not in {k.id for k in kept}]
    mitigation_items = _numbered([*(_mitigation(by_id[c.id], c) if c.id in by_id else _kept_control(c)
                                    for c in kept),
                                  *(_mitigation(c, None) for c in fresh)])
    threat_uuid = {t.id: item["id"] for t, item in zip(threats, threat_items, strict=True)}
    control_uuid = {c.id: stable_uuid("control", c.id) for c in fresh}
    control_uuid.update({c.id: item["id"] for c, item in zip(kept, mitigation_items, strict=False)})
    mitigation_ids = {item["id"] for item in mitigation_items}
    assumptions, assumption_links = _assumptions(threats, system, threat_uuid, mitigation_ids)
    skeleton, changed = foreign(system, NAME)
    document: dict[str, Any] = skeleton if skeleton is not None else {
        "schema": SCHEMA_VERSION,
        "applicationInfo": {"name": clip(system.name, FIELD_MAX), "description": _application_text(result, system)},
        "architecture": {"description": _architecture_text(system)},
        "dataflow": {"description": _dataflow_text(system)},
    }
    if skeleton is not None and changed:
        document.setdefault("applicationInfo", {})["name"] = clip(system.name, FIELD_MAX)
    parts = system.source_data.parts if skeleton is not None and system.source_data is not None else {}
    document.update({
        "assumptions": assumptions,
        "mitigations": mitigation_items,
        "assumptionLinks": [*assumption_links, *_parts(parts, "assumptionLinks")],
        # by control and threat id, not by rank: ranks move whenever a score does, the links do not
        "mitigationLinks": [*({"mitigationId": control_uuid[c], "linkedId": threat_uuid[t]}
                              for c, t in sorted({(c.id, t) for c in countermeasures for t in c.threats
                                                  if t in threat_ids})),
                            *_parts(parts, "mitigationLinks")],
        "threats": threat_items,
    })
    return json_text(document, expand=3)


def _parts(parts: dict[str, Any], section: str) -> list[Any]:
    """Links of the source file that name items it lacks: given back as they were."""
    return [value for path, value in parts.items() if path.startswith(f"$.{section}[")]


def _numbered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kept items keep their numbers; new ones (numericId 0) are numbered after the highest kept one."""
    taken = [i["numericId"] for i in items if isinstance(i.get("numericId"), int) and i["numericId"] > 0]
    number = max(taken, default=0)
    for item in items:
        if item.get("numericId") == 0:
            number += 1
            item["numericId"] = item["displayOrder"] = number
    return items


def _application_text(result: AnalysisResult, system: System) -> str:
    lines = [system.description or "", "",
             f"Exported from dicetm {result.dicetm_version} (catalogue {result.catalog_version}): "
             f"{len(result.threats)} threats, {len(result.countermeasures)} suggested countermeasures. "
             "Threat statuses here are not review decisions; the dicetm review register holds those."]
    return clip("\n".join(lines).strip(), DESCRIPTION_MAX)


def _architecture_text(system: System) -> str:
    lines = ["Elements of the dicetm model, by trust boundary:", ""]
    for boundary in system.trust_boundaries:
        lines.append(f"- **{boundary.name}** (`{boundary.id}`)")
        lines += [_element_line(system.element_by_id[m], "  ") for m in boundary.elements if m in system.element_by_id]
    outside = [e for e in system.elements if e.id not in system.boundary_of]
    if outside:
        lines.append("- Outside every trust boundary")
        lines += [_element_line(e, "  ") for e in outside]
    return clip("\n".join(lines), DESCRIPTION_MAX)


def _element_line(element: Element, indent: str) -> str:
    """Name, id and kind; for the agent-ecosystem kinds also the facts that type them (transport, server...)."""
    line = f"{indent}- {element.name} (`{element.id}`, {element.kind.value})"
    facts = {k: v for k, v in element_facts(element).items() if k in ECOSYSTEM_FACTS}
    if facts:
        line += ": " + ", ".join(f"{k} {v}" for k, v in facts.items())
    return line


def _dataflow_text(system: System) -> str:
    lines = ["Data flows of the dicetm model:", ""]
    for flow in system.flows:
        arrow = "<->" if flow.bidirectional else "->"
        carried = f": {flow.data}" if flow.data else ""
        lines.append(f"- `{flow.id}` {flow.source} {arrow} {flow.target}{carried}")
    return clip("\n".join(lines), DESCRIPTION_MAX)


def _threat(threat: Threat, system: System, record: ThreatRecord | None) -> dict[str, Any]:
    stored, changed = foreign(record, NAME) if record is not None else (None, True)
    if stored is not None and not changed:
        return stored
    names = [system.element_by_id[e].name for e in threat.elements if e in system.element_by_id]
    imported = record is not None and record.source == SOURCE
    if imported:  # its title is the statement Threat Composer showed; its scenario was the comment
        comment = threat.scenario if threat.scenario != threat.title else ""
        statement = threat.title
    else:
        comment = (f"dicetm threat {threat.id} (rule {threat.rule}); {threat.risk.value} risk, likelihood "
                   f"{threat.likelihood} x impact {threat.impact} = {threat.score}; status {threat.status}. "
                   f"{threat.rationale}")
        statement = threat.scenario
    metadata = [{"key": "STRIDE", "value": [s for s in threat.stride if s in _GOALS]}]
    if not imported:
        metadata.append({"key": "Priority", "value": _PRIORITY[threat.risk]})
    if comment:
        metadata.append({"key": "Comments", "value": clip(comment, CONTENT_MAX)})
    if stored is not None:  # a person changed it in dicetm: their words over the kept statement
        kept_metadata = [m for m in stored.get("metadata") or [] if isinstance(m, dict)
                         and m.get("key") not in {"STRIDE", "Comments"}]
        ours = {m["key"]: m for m in metadata}  # STRIDE and Comments from dicetm, the rest (Priority) as kept
        stored.update(statement=clip(statement, STATEMENT_MAX),
                      metadata=[*(ours[k] for k in ("STRIDE",) if k in ours), *kept_metadata,
                                *(ours[k] for k in ("Comments",) if k in ours)])
        return stored
    prerequisite = f"who can reach {names[0]}" if names else ""
    return {
        "id": stable_uuid("threat", threat.id),
        "numericId": 0,
        "displayOrder": 0,
        "metadata": metadata,
        "tags": _tags([threat.rule, SEVERITY[threat.risk], *threat.references]),
        "threatSource": THREAT_SOURCE,
        "prerequisites": clip(prerequisite, FIELD_MAX),
        "threatAction": clip(threat.title, FIELD_MAX),
        "threatImpact": clip(_closing_sentence(threat.scenario), FIELD_MAX),
        "impactedGoal": list(dict.fromkeys(_GOALS[s] for s in threat.stride if s in _GOALS)),
        "impactedAssets": [clip(name, FIELD_MAX) for name in names],
        "statement": clip(statement, STATEMENT_MAX),
        "status": "threatIdentified",
    }


def _closing_sentence(scenario: str) -> str:
    """The scenario's last sentence, which in dicetm's wording states the consequence."""
    sentences = [s for s in _SENTENCE_END.split(scenario.strip()) if s]
    return sentences[-1] if sentences else scenario


def _tags(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v and len(v) <= TAG_MAX))


def _kept_control(control: CustomControl) -> dict[str, Any]:
    stored, changed = foreign(control, NAME)
    assert stored is not None
    if changed:
        stored["content"] = clip(control.name, CONTENT_MAX)
    return stored


def _mitigation(countermeasure: Countermeasure, control: CustomControl | None) -> dict[str, Any]:
    stored, changed = foreign(control, NAME) if control is not None else (None, True)
    if stored is not None:
        if changed:
            stored["content"] = clip(countermeasure.name, CONTENT_MAX)
        return stored
    comment = f"dicetm control {countermeasure.id}: {countermeasure.description}"
    mitigation: dict[str, Any] = {
        "id": stable_uuid("control", countermeasure.id),
        "numericId": 0,
        "displayOrder": 0,
        "metadata": [{"key": "Comments", "value": clip(comment, CONTENT_MAX)}],
        "tags": _tags([countermeasure.id]),
        "content": clip(countermeasure.name, CONTENT_MAX),
    }
    status = _MITIGATION_STATUS.get(countermeasure.status)
    if status is not None:  # rejected has no common equivalent across Threat Composer versions
        mitigation["status"] = status
    return mitigation


def _assumptions(threats: list[Threat], system: System, threat_uuid: dict[str, str],
                 mitigations: set[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Assumptions from Threat Composer with their own links; the model's other assumptions linked to the
    threats on their elements; and each distinct assumption the rules made."""
    items: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    exported = set(threat_uuid.values()) | mitigations
    texts: dict[str, list[str]] = {}  # assumption text -> ids of the threats resting on it
    comments: dict[str, str] = {}
    for assumption in system.assumptions:
        stored, changed = foreign(assumption, NAME)
        if stored is not None and assumption.source_data is not None:
            if changed:
                stored["content"] = clip(assumption.text, CONTENT_MAX)
            items.append(stored)
            links += [dict(link) for link in assumption.source_data.links if link.get("linkedId") in exported]
            continue
        on = set(assumption.elements)
        texts.setdefault(assumption.text, []).extend(t.id for t in threats if on.intersection(t.elements))
        comments.setdefault(assumption.text, f"dicetm assumption {assumption.id}")
    imported = {r.id for r in system.threats if source_of(r, NAME) is not None}
    for threat in threats:
        if threat.id in imported:
            continue  # the analysis' guesses about what Threat Composer never records (likelihood, impact)
        for text in threat.assumptions:
            texts.setdefault(text, []).append(threat.id)
            comments.setdefault(text, "made by dicetm rules about a fact the model does not state")
    new = []
    for text, linked in texts.items():
        key = stable_uuid("assumption", text)
        new.append({"id": key, "numericId": 0, "displayOrder": 0,
                    "metadata": [{"key": "Comments", "value": clip(comments[text], CONTENT_MAX)}],
                    "content": clip(text, CONTENT_MAX)})
        links += [{"type": "Threat", "assumptionId": key, "linkedId": threat_uuid[t]}
                  for t in dict.fromkeys(linked)]
    return _numbered([*items, *new]), links
