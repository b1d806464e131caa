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

from dicetm.io.export_common import SEVERITY, clip, element_facts, json_text, ordered_threats, stable_uuid
from dicetm.model import AnalysisResult, Countermeasure, CountermeasureStatus, Element, RiskLevel, System, Threat

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
    threats = ordered_threats(result.threats)
    threat_ids = {t.id for t in threats}
    countermeasures = sorted((c for c in result.countermeasures if threat_ids.intersection(c.threats)),
                             key=lambda c: (c.rank, c.id))
    assumptions, assumption_links = _assumptions(threats, system)
    document = {
        "schema": SCHEMA_VERSION,
        "applicationInfo": {"name": clip(system.name, FIELD_MAX), "description": _application_text(result, system)},
        "architecture": {"description": _architecture_text(system)},
        "dataflow": {"description": _dataflow_text(system)},
        "assumptions": assumptions,
        "mitigations": [_mitigation(c, n) for n, c in enumerate(countermeasures, start=1)],
        "assumptionLinks": assumption_links,
        "mitigationLinks": [{"mitigationId": stable_uuid("control", c.id), "linkedId": stable_uuid("threat", t)}
                            for c in countermeasures for t in c.threats if t in threat_ids],
        "threats": [_threat(t, n, system) for n, t in enumerate(threats, start=1)],
    }
    return json_text(document, expand=3)


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


def _threat(threat: Threat, number: int, system: System) -> dict[str, Any]:
    names = [system.element_by_id[e].name for e in threat.elements if e in system.element_by_id]
    prerequisite = f"who can reach {names[0]}" if names else ""
    comment = (f"dicetm threat {threat.id} (rule {threat.rule}); {threat.risk.value} risk, likelihood "
               f"{threat.likelihood} x impact {threat.impact} = {threat.score}; status {threat.status}. "
               f"{threat.rationale}")
    threat_statement: dict[str, Any] = {
        "id": stable_uuid("threat", threat.id),
        "numericId": number,
        "displayOrder": number,
        "metadata": [
            {"key": "STRIDE", "value": [s for s in threat.stride if s in _GOALS]},
            {"key": "Priority", "value": _PRIORITY[threat.risk]},
            {"key": "Comments", "value": clip(comment, CONTENT_MAX)},
        ],
        "tags": _tags([threat.rule, SEVERITY[threat.risk], *threat.references]),
        "threatSource": THREAT_SOURCE,
        "prerequisites": clip(prerequisite, FIELD_MAX),
        "threatAction": clip(threat.title, FIELD_MAX),
        "threatImpact": clip(_closing_sentence(threat.scenario), FIELD_MAX),
        "impactedGoal": list(dict.fromkeys(_GOALS[s] for s in threat.stride if s in _GOALS)),
        "impactedAssets": [clip(name, FIELD_MAX) for name in names],
        "statement": clip(threat.scenario, STATEMENT_MAX),
        "status": "threatIdentified",
    }
    return threat_statement


def _closing_sentence(scenario: str) -> str:
    """The scenario's last sentence, which in dicetm's wording states the consequence."""
    sentences = [s for s in _SENTENCE_END.split(scenario.strip()) if s]
    return sentences[-1] if sentences else scenario


def _tags(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v and len(v) <= TAG_MAX))


def _mitigation(countermeasure: Countermeasure, number: int) -> dict[str, Any]:
    comment = f"dicetm control {countermeasure.id}: {countermeasure.description}"
    mitigation: dict[str, Any] = {
        "id": stable_uuid("control", countermeasure.id),
        "numericId": number,
        "displayOrder": number,
        "metadata": [{"key": "Comments", "value": clip(comment, CONTENT_MAX)}],
        "tags": _tags([countermeasure.id]),
        "content": clip(countermeasure.name, CONTENT_MAX),
    }
    status = _MITIGATION_STATUS.get(countermeasure.status)
    if status is not None:  # rejected has no common equivalent across Threat Composer versions
        mitigation["status"] = status
    return mitigation


def _assumptions(threats: list[Threat], system: System) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The model's assumptions (linked to threats on their elements) and each distinct rule assumption."""
    texts: dict[str, list[str]] = {}  # assumption text -> ids of the threats resting on it
    comments: dict[str, str] = {}
    for assumption in system.assumptions:
        on = set(assumption.elements)
        texts.setdefault(assumption.text, []).extend(t.id for t in threats if on.intersection(t.elements))
        comments.setdefault(assumption.text, f"dicetm assumption {assumption.id}")
    for threat in threats:
        for text in threat.assumptions:
            texts.setdefault(text, []).append(threat.id)
            comments.setdefault(text, "made by dicetm rules about a fact the model does not state")
    items, links = [], []
    for number, (text, linked) in enumerate(texts.items(), start=1):
        key = stable_uuid("assumption", text)
        items.append({"id": key, "numericId": number, "displayOrder": number,
                      "metadata": [{"key": "Comments", "value": clip(comments[text], CONTENT_MAX)}],
                      "content": clip(text, CONTENT_MAX)})
        links += [{"type": "Threat", "assumptionId": key, "linkedId": stable_uuid("threat", t)}
                  for t in dict.fromkeys(linked)]
    return items, links
