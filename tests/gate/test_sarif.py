"""SARIF 2.1.0 output: gate failures and all threats, checked against the structural requirements of the
specification (see sarif_check.py) and against the model file the locations point into."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dicetm import __version__
from dicetm.gate import Policy, check
from dicetm.model import RiskLevel
from dicetm.model.register import CountermeasureReview, Register, ThreatStatus
from dicetm.report.sarif import render_gate_sarif, render_threats_sarif
from dicetm.store.modelfile import LoadedModel

from .builders import CHATBOT, CRITICAL, HIGH, Verified, analysed, chatbot, countermeasure, fresh, threat_entry
from .sarif_check import sarif_problems

REJECTED = "T-LLM-005@chat-logs"


def gate_log(verified: Verified | None = None, policy: Policy | None = None) -> dict[str, Any]:
    register = Register(threats=[threat_entry(HIGH, ThreatStatus.accepted)])
    result = analysed(register)
    gate = check(result, register, verified or Verified(ok=False, problems=["line 2 (seq 2): edited"]),
                 policy or Policy(), date(2026, 6, 1))
    assert not gate.ok
    return json.loads(render_gate_sarif(gate, chatbot()))


def threats_log() -> dict[str, Any]:
    register = Register(
        threats=[threat_entry(CRITICAL, ThreatStatus.accepted),
                 threat_entry(REJECTED, ThreatStatus.rejected, reason="no prompt logs are kept")],
        countermeasures=[countermeasure("C-OUT-001", CountermeasureReview.implemented,
                                        evidence="https://ci.example.com/run/1")])
    return json.loads(render_threats_sarif(analysed(register), chatbot()))


def test_gate_log_meets_the_sarif_requirements() -> None:
    log = gate_log()
    assert sarif_problems(log) == []
    assert log["version"] == "2.1.0" and "sarif-schema-2.1.0" in log["$schema"]
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("dicetm", __version__)
    assert [r["id"] for r in driver["rules"]] == ["block-unreviewed", "require-coverage", "reason-of-substance",
                                                  "reason-reused", "second-reviewer", "require-audit-chain",
                                                  "require-signatures", "max-quick-accepts"]
    assert [r["defaultConfiguration"]["enabled"] for r in driver["rules"]] == [True, True, False, False, False, True,
                                                                               False, False]


def test_one_result_per_failing_item_with_policy_rule_and_threat_rule() -> None:
    register = Register(threats=[threat_entry(HIGH, ThreatStatus.accepted)])
    result = analysed(register)
    gate = check(result, register, Verified(ok=False, problems=["edited"]), Policy(), date(2026, 6, 1))
    log = json.loads(render_gate_sarif(gate, chatbot()))
    results = log["runs"][0]["results"]
    assert len(results) == len(gate.failures)
    for sarif, failure in zip(results, gate.failures, strict=True):
        assert sarif["ruleId"] == failure.rule and sarif["level"] == "error"
        assert sarif["properties"]["itemId"] == failure.item_id
        assert sarif["properties"].get("threatRule") == failure.threat_rule
        assert sarif["message"]["text"].startswith(f"{failure.item_id}: ")
    coverage = next(r for r in results if r["ruleId"] == "require-coverage")
    assert coverage["properties"]["threatRule"] == "T-LLM-008" and coverage["properties"]["severity"] == "high"
    fingerprints = [r["partialFingerprints"]["dicetmGateItem/v1"] for r in results]
    assert len(fingerprints) == len(set(fingerprints))


def _line_of_id(model: Path, element_id: str) -> int:
    lines = model.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.strip() == f"- id: {element_id}")


def test_locations_point_at_the_primary_element_in_the_model_file() -> None:
    log = gate_log()
    model = chatbot().path
    for sarif in log["runs"][0]["results"]:
        if sarif["ruleId"] == "require-audit-chain":
            artifact = sarif["locations"][0]["physicalLocation"]["artifactLocation"]
            assert artifact["uri"].endswith("/dicetm-audit.jsonl") and "region" not in sarif["locations"][0]
            continue
        primary = sarif["properties"]["elements"][0]
        physical = sarif["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == model.as_uri()
        assert physical["region"]["startLine"] == _line_of_id(model, primary)
        assert sarif["locations"][0]["message"]["text"] == f"element {primary}"


def test_relative_paths_use_srcroot_and_absolute_ones_under_base_are_made_relative() -> None:
    loaded = chatbot()
    gate = check(fresh(), None, Verified(), Policy(), date(2026, 6, 1))
    relative = LoadedModel(system=loaded.system, path=Path("examples/support-chatbot/dicetm.yaml"),
                           locations=loaded.locations)
    log = json.loads(render_gate_sarif(gate, relative))
    assert sarif_problems(log) == []
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "examples/support-chatbot/dicetm.yaml", "uriBaseId": "%SRCROOT%"}
    assert "description" in log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    base = CHATBOT.parents[1]
    log = json.loads(render_gate_sarif(gate, loaded, base=base))
    assert sarif_problems(log) == []
    artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "examples/support-chatbot/dicetm.yaml"
    assert log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == base.as_uri() + "/"


def test_a_passing_gate_is_a_valid_log_without_results() -> None:
    gate = check(fresh(), None, Verified(), Policy(block_unreviewed_at_or_above=None), date(2026, 6, 1))
    log = json.loads(render_gate_sarif(gate, chatbot()))
    assert gate.ok and sarif_problems(log) == [] and log["runs"][0]["results"] == []
    assert log["runs"][0]["properties"]["gatePassed"] is True


def test_threats_log_has_one_result_per_threat_with_level_by_risk() -> None:
    log = threats_log()
    assert sarif_problems(log) == []
    run = log["runs"][0]
    threats = {t.id: t for t in fresh().threats}
    results = run["results"]
    assert sorted(r["partialFingerprints"]["dicetmThreat/v1"] for r in results) == sorted(threats)
    levels = {RiskLevel.critical: "error", RiskLevel.high: "error", RiskLevel.medium: "warning",
              RiskLevel.low: "note"}
    for sarif in results:
        threat = threats[sarif["properties"]["threatId"]]
        assert sarif["level"] == levels[threat.risk] and sarif["ruleId"] == threat.rule
        assert run["tool"]["driver"]["rules"][sarif["ruleIndex"]]["id"] == threat.rule
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted({t.rule for t in threats.values()})


def test_threats_log_carries_review_status_and_suppresses_rejected_threats() -> None:
    results = {r["properties"]["threatId"]: r for r in threats_log()["runs"][0]["results"]}
    assert results[CRITICAL]["properties"]["status"] == "accepted"
    assert "(critical risk, accepted by Dana Lee" in results[CRITICAL]["message"]["text"]
    assert results[CRITICAL]["properties"]["covered"] is True
    assert results[HIGH]["properties"]["status"] == "unreviewed" and "suppressions" not in results[HIGH]
    assert results[REJECTED]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "rejected by Dana Lee <dana@example.com> as not applicable: no prompt logs are kept"}]


def test_threats_log_is_stable() -> None:
    assert render_threats_sarif(fresh(), chatbot()) == render_threats_sarif(fresh(), chatbot())


# The checker must itself catch what it claims to check.
BROKEN: list[tuple[str, Any, str]] = [
    ("version", lambda log: log.update(version="2.0.0"), "log.version"),
    ("no driver name", lambda log: log["runs"][0]["tool"]["driver"].pop("name"), "driver.name"),
    ("rule index to another rule", lambda log: log["runs"][0]["results"][0].update(ruleIndex=1), "ruleIndex"),
    ("rule index out of range", lambda log: log["runs"][0]["results"][0].update(ruleIndex=99), "ruleIndex"),
    ("no message", lambda log: log["runs"][0]["results"][0].pop("message"), "message"),
    ("bad level", lambda log: log["runs"][0]["results"][0].update(level="fatal"), "level"),
    ("line zero", lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(
        startLine=0), "startLine"),
    ("duplicate rule", lambda log: log["runs"][0]["tool"]["driver"]["rules"].append(
        log["runs"][0]["tool"]["driver"]["rules"][0]), "used by two rules"),
    ("undefined base", lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
        "artifactLocation"].update(uriBaseId="%NOPE%"), "not defined"),
    ("bad suppression", lambda log: log["runs"][0]["results"][0].update(suppressions=[{"status": "accepted"}]),
     "kind"),
]


@pytest.mark.parametrize(("what", "breaks", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_checker_catches_broken_logs(what: str, breaks: Any, expected: str) -> None:
    log = copy.deepcopy(gate_log())
    assert sarif_problems(log) == []
    breaks(log)
    found = sarif_problems(log)
    assert found and any(expected in problem for problem in found), (what, found)
