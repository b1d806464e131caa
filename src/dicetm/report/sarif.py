"""SARIF 2.1.0 logs: the CI gate's failures, and every threat of an analysis (for code-scanning tools).

Each result points into the model file (``dicetm.yaml``) at the primary element of its item, so a code
review shows it beside the line that describes the element. URIs of files given relative to the working
folder are written relative, against the ``%SRCROOT%`` base; absolute paths become ``file:`` URIs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dicetm import __version__
from dicetm.catalog.editions import edition_of
from dicetm.gate.check import RULE_POLICY_KEYS, RULES, GateFailure, GateResult
from dicetm.model import AnalysisResult, RiskLevel, Threat, ThreatEvaluation
from dicetm.report import common
from dicetm.store.modelfile import LoadedModel
from dicetm.textsafe import json_text

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/dicetm/dicetm"
FULL_NAME = "dicetm: threat modelling for AI systems (describe, identify, countermeasures, evaluate)"
# Reference namespace -> how help texts name it. A further edition of a framework is one more line here.
REFERENCE_LISTS = {
    "owasp-llm": "OWASP Top 10 for LLM Applications", "owasp-agentic": "OWASP Agentic AI threats",
    "owasp-asi": "OWASP Top 10 for Agentic Applications", "atlas": "MITRE ATLAS", "cwe": "CWE",
    "stride": "STRIDE",
}
VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
LEVEL = {RiskLevel.critical: "error", RiskLevel.high: "error", RiskLevel.medium: "warning", RiskLevel.low: "note"}
_MAX_SCORE = 25


class _Files:
    """Artifact locations for the model file and its workspace neighbours."""

    def __init__(self, model_path: Path, base: Path | None) -> None:
        self.model_path = model_path
        self.base = base
        self.relative_used = False

    def artifact(self, path: Path) -> dict[str, Any]:
        if path.is_absolute() and self.base is not None and path.is_relative_to(self.base):
            path = path.relative_to(self.base)
        if path.is_absolute():
            return {"uri": path.as_uri()}
        self.relative_used = True
        return {"uri": path.as_posix(), "uriBaseId": SRCROOT}

    def base_ids(self) -> dict[str, Any]:
        if not self.relative_used:
            return {}
        if self.base is not None and self.base.is_absolute():
            root: dict[str, Any] = {"uri": self.base.as_uri().rstrip("/") + "/"}
        else:
            root = {"description": {"text": "The folder dicetm was run in."}}
        return {"originalUriBaseIds": {SRCROOT: root}}


def _location(loaded: LoadedModel, files: _Files, item_id: str, what: str) -> dict[str, Any]:
    where = loaded.location_of_id(item_id)
    physical: dict[str, Any] = {"artifactLocation": files.artifact(loaded.path)}
    if where.line is not None:
        region: dict[str, Any] = {"startLine": where.line}
        if where.column is not None:
            region["startColumn"] = where.column
        physical["region"] = region
    return {"physicalLocation": physical, "message": {"text": f"{what} {item_id}"}}


def _item_locations(loaded: LoadedModel, files: _Files, elements: Sequence[str],
                    flows: Sequence[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The primary element's location, and related locations for the other elements and the flows."""
    if not elements:
        return [{"physicalLocation": {"artifactLocation": files.artifact(loaded.path)}}], []
    primary = _location(loaded, files, elements[0], "element")
    others = [_location(loaded, files, e, "element") for e in elements[1:]]
    others += [_location(loaded, files, f, "flow") for f in flows]
    related = [{"id": index, **location} for index, location in enumerate(others)]
    return [primary], related


def _driver(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"driver": {"name": "dicetm", "fullName": FULL_NAME, "version": __version__,
                       "semanticVersion": __version__, "informationUri": INFORMATION_URI, "rules": rules}}


_AZURE = "azuredevops/pipeline/build/"
# Azure Pipelines variables (as environment variables) -> the automation properties Azure DevOps asks for.
_AZURE_VARIABLES = {"buildDefinitionId": "SYSTEM_DEFINITIONID", "buildDefinitionName": "BUILD_DEFINITIONNAME",
                    "phaseId": "SYSTEM_PHASEID", "phaseName": "SYSTEM_PHASENAME"}


def _automation(kind: str, system_name: str, environment: Mapping[str, str] | None) -> dict[str, Any]:
    """The run's category (code scanning keeps one analysis per category) and a stable id for it. Inside an
    Azure Pipelines job the id and properties take the form Azure DevOps advanced security requires."""
    key = "".join(c if c.isalnum() else "-" for c in system_name.lower()).strip("-") or "model"
    details: dict[str, Any] = {"id": f"dicetm/{kind}/{key}/",
                               "description": {"text": f"dicetm {kind} of the model '{system_name}'"}}
    env = environment or {}
    if all(env.get(variable) for variable in _AZURE_VARIABLES.values()):
        values = {name: env[variable] for name, variable in _AZURE_VARIABLES.items()}
        details["id"] = f"{_AZURE}{values['buildDefinitionId']}/{values['phaseId']}/dicetm-{kind}-{key}"
        details["properties"] = {f"{_AZURE}{name}": value for name, value in values.items()}
    return {"automationDetails": details}


def reference_groups(references: Iterable[str]) -> dict[str, list[str]]:
    """Namespaced references grouped under the name of their framework (unknown namespaces by namespace)."""
    groups: dict[str, list[str]] = {}
    for reference in references:
        namespace, _sep, value = reference.partition(":")
        groups.setdefault(REFERENCE_LISTS.get(namespace, namespace), []).append(value or reference)
    return groups


def _help(summary: str, scenario: str, question: str, controls: list[tuple[str, str]],
          references: Iterable[str]) -> dict[str, str]:
    """Rule help as plain text and Markdown: what can happen, what to ask, what to do, where it is listed."""
    text = [summary, "", f"Scenario: {scenario}"]
    markdown = [summary, "", f"**Scenario.** {scenario}"]
    if question:
        text += ["", f"Review question: {question}"]
        markdown += ["", f"**Review question.** {question}"]
    if controls:
        text += ["", "Suggested controls:", *(f"- {cid}: {name}" for cid, name in controls)]
        markdown += ["", "**Suggested controls**", "", *(f"- `{cid}` {name}" for cid, name in controls)]
    groups = reference_groups(references)
    if groups:
        text += ["", "References:", *(f"- {label}: {', '.join(ids)}" for label, ids in groups.items())]
        markdown += ["", "**References**", "", *(f"- {label}: {', '.join(f'`{i}`' for i in ids)}"
                                                  for label, ids in groups.items())]
    return {"text": "\n".join(text), "markdown": "\n".join(markdown)}


def _log(run: dict[str, Any]) -> str:
    log = {"$schema": SCHEMA, "version": VERSION, "runs": [run]}
    return json_text(json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _camel(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.replace("_", "-").split("-"))


# ------------------------------------------------------------------------------------------ gate


def _gate_rules(gate: GateResult) -> list[dict[str, Any]]:
    rules = []
    for rule_id, description in RULES.items():
        key = RULE_POLICY_KEYS[rule_id]
        value = getattr(gate.policy, key)
        enabled = value is not None and value is not False
        rules.append({
            "id": rule_id, "name": _camel(rule_id),
            "shortDescription": {"text": description.split(" (")[0].rstrip(".") + "."},
            "fullDescription": {"text": description},
            "help": _help(description, "the policy gate of `dicetm check` found a model item that breaks this "
                          "rule.", "", [], []),
            "helpUri": f"{INFORMATION_URI}/blob/main/docs/cli.md",
            "defaultConfiguration": {"enabled": enabled, "level": "error"},
            "properties": {"policyKey": key, "policyValue": value.value if isinstance(value, RiskLevel) else value},
        })
    return rules


def _gate_result(failure: GateFailure, index: int, loaded: LoadedModel, files: _Files) -> dict[str, Any]:
    if failure.file is not None:
        locations = [{"physicalLocation": {"artifactLocation": files.artifact(loaded.path.parent / failure.file)}}]
        related: list[dict[str, Any]] = []
    else:
        locations, related = _item_locations(loaded, files, failure.elements, failure.flows)
    properties: dict[str, Any] = {"itemId": failure.item_id}
    for key, value in (("threatRule", failure.threat_rule), ("status", failure.status),
                       ("severity", failure.severity.value if failure.severity else None)):
        if value is not None:
            properties[key] = value
    if failure.elements:
        properties["elements"] = list(failure.elements)
    result: dict[str, Any] = {
        "ruleId": failure.rule, "ruleIndex": index, "level": "error", "kind": "fail",
        "message": {"text": f"{failure.item_id}: {failure.message}"},
        "locations": locations,
        "partialFingerprints": {"dicetmGateItem/v1": f"{failure.rule}|{failure.item_id}"},
        "properties": properties,
    }
    if related:
        result["relatedLocations"] = related
    return result


def render_gate_sarif(gate: GateResult, loaded: LoadedModel, *, base: Path | None = None,
                      environment: Mapping[str, str] | None = None) -> str:
    """One SARIF result per gate failure; ruleId is the policy rule. ``base``: folder relative URIs start at;
    ``environment``: the CI job's variables (Azure Pipelines ones shape the automation details)."""
    files = _Files(loaded.path, base)
    index = {rule_id: position for position, rule_id in enumerate(RULES)}
    results = [_gate_result(f, index[f.rule], loaded, files) for f in gate.failures]
    run: dict[str, Any] = {
        "tool": _driver(_gate_rules(gate)),
        "invocations": [{"executionSuccessful": True}],
        **_automation("check", loaded.system.name, environment),
        "results": results,
        "properties": {"gatePassed": gate.ok, "today": gate.today, "threatsChecked": gate.threats_checked,
                       "failuresByRule": gate.counts()},
        **files.base_ids(),
    }
    return _log(run)


# --------------------------------------------------------------------------------------- threats


def _rule_names() -> dict[str, str]:
    """Rule id -> slug for the registered rules (imported or LLM threats may use other ids)."""
    from dicetm.rules.registry import all_rules

    return {rule.meta.id: rule.meta.slug for rule in all_rules()}


def _rule_page(rule_id: str) -> str:
    """The rule's metadata file in the repository (title, scenario, rationale, controls, references)."""
    family = rule_id.split("-")[1].lower() if rule_id.count("-") >= 2 else "stride"
    return f"{INFORMATION_URI}/blob/main/src/dicetm/rules/meta/{family}.yaml"


def _threat_rules(threats: Iterable[Threat], control_names: dict[str, str]) -> list[dict[str, Any]]:
    by_rule: dict[str, list[Threat]] = {}
    for threat in threats:
        by_rule.setdefault(threat.rule, []).append(threat)
    slugs = _rule_names()
    rules = []
    for rule_id in sorted(by_rule):
        members = by_rule[rule_id]
        slug = slugs.get(rule_id)
        worst = max(members, key=lambda t: t.score)
        tags = sorted({f"stride:{s}" for t in members for s in t.stride} | {r for t in members for r in t.references})
        short = slug.replace("-", " ").capitalize() if slug else common.one_line(members[0].title)
        full = common.one_line(worst.rationale or worst.title)
        controls = [(c, control_names.get(c, c)) for c in dict.fromkeys(c for t in members for c in t.controls)]
        references = list(dict.fromkeys(r for t in members for r in t.references))
        rules.append({
            "id": rule_id, "name": _camel(slug) if slug else rule_id,
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "help": _help(full, common.one_line(worst.scenario), common.one_line(worst.review_question), controls,
                          references),
            "helpUri": _rule_page(rule_id) if slug else INFORMATION_URI,
            "defaultConfiguration": {"level": LEVEL[worst.risk]},
            "properties": {"tags": ["security", "threat-model", *tags],
                           "security-severity": f"{10 * worst.score / _MAX_SCORE:.1f}"},
        })
    return rules


def _threat_result(threat: Threat, index: int, row: ThreatEvaluation | None, loaded: LoadedModel,
                   files: _Files) -> dict[str, Any]:
    locations, related = _item_locations(loaded, files, threat.elements, threat.flows)
    by = f" by {threat.reviewer}" if threat.reviewer else ""
    properties: dict[str, Any] = {
        "threatId": threat.id, "status": threat.status, "risk": threat.risk.value, "score": threat.score,
        "likelihood": threat.likelihood, "impact": threat.impact, "stride": list(threat.stride),
        "references": list(threat.references), "controls": list(threat.controls),
        "owaspLlm2025": [r for r in threat.references if edition_of(r) == "2025"],
        "owaspLlm2026": [r for r in threat.references if edition_of(r) == "2026"],
        "provenance": common.provenance_text(threat.provenance),
    }
    if threat.reviewer:
        properties["reviewer"] = threat.reviewer
    if threat.tracker:
        properties["tracker"] = threat.tracker
    if row is not None:
        properties.update(covered=row.covered, coveredBy=list(row.covered_by), residualRisk=row.residual_risk.value,
                          residualScore=row.residual_score)
    sarif: dict[str, Any] = {
        "ruleId": threat.rule, "ruleIndex": index, "level": LEVEL[threat.risk], "kind": "fail",
        "rank": round(100.0 * threat.score / _MAX_SCORE, 1),
        "message": {"text": f"{common.one_line(threat.title)} ({threat.risk.value} risk, "
                            f"{threat.status}{by}). {common.one_line(threat.scenario)}"},
        "locations": locations,
        "partialFingerprints": {"dicetmThreat/v1": threat.id},
        "properties": properties,
    }
    if related:
        sarif["relatedLocations"] = related
    if threat.status == "rejected":
        reason = threat.review_reason or "no reason recorded"
        sarif["suppressions"] = [{"kind": "external", "status": "accepted",
                                  "justification": f"rejected{by} as not applicable: {reason}"}]
    return sarif


def render_threats_sarif(result: AnalysisResult, loaded: LoadedModel, *, base: Path | None = None,
                         environment: Mapping[str, str] | None = None) -> str:
    """One SARIF result per threat, level by risk (critical/high error, medium warning, low note).

    Threats a person rejected are kept, with an external suppression that carries the reason.
    """
    files = _Files(loaded.path, base)
    threats = common.threats_by_risk(result.threats)
    rules = _threat_rules(threats, {c.id: c.name for c in result.countermeasures})
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    matrix = {row.threat: row for row in result.evaluation.matrix}
    results = [_threat_result(t, index[t.rule], matrix.get(t.id), loaded, files) for t in threats]
    run: dict[str, Any] = {
        "tool": _driver(rules),
        **_automation("threats", result.system_name, environment),
        "results": results,
        "properties": {"system": result.system_name, "catalogVersion": result.catalog_version,
                       "coveragePercent": result.evaluation.coverage_percent,
                       "owaspLlmEdition": result.owasp_llm_edition},
        **files.base_ids(),
    }
    return _log(run)


__all__ = ["REFERENCE_LISTS", "reference_groups", "render_gate_sarif", "render_threats_sarif"]
