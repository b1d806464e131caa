"""The compliance map: its data file, the status arithmetic, and computed answers and gaps."""

from __future__ import annotations

from datetime import date

import pytest

from dicetm.evidence.compliance import (
    AREA_FACT_NAMES,
    FACT_NAMES,
    ComplianceInputs,
    ComplianceItem,
    ComplianceReport,
    ItemSpec,
    assess,
    facts,
    item_specs,
    render_compliance_json,
    render_compliance_markdown,
    status_of,
)
from dicetm.model import AnalysisResult
from dicetm.model.register import CountermeasureReview, Register, ThreatStatus
from gate.builders import CRITICAL, HIGH, analysed, chatbot, countermeasure, fresh, residual, threat_entry

TODAY = date(2026, 6, 1)


def report(result: AnalysisResult, **record: object) -> ComplianceReport:
    return assess(ComplianceInputs(result=result, system=chatbot().system, today=TODAY, rules_run=47,
                                   **record))  # type: ignore[arg-type]


def items(result: AnalysisResult, **record: object) -> dict[str, ComplianceItem]:
    return {item.id: item for item in report(result, **record).items}


def test_data_file_covers_the_articles_asked_for() -> None:
    references = {spec.reference for spec in item_specs()}
    for wanted in ("Art. 9(1)", "Art. 9(2)(a)", "Art. 9(2)(b)", "Art. 9(2)(d)", "Art. 9(5)", "Art. 9(6) and 9(8)",
                   "Art. 15(5)", "Annex I, Part I(1)", "Annex I, Part I(2)(a)", "Annex I, Part I(2)(b)",
                   "Annex I, Part I(2)(d)", "Annex I, Part I(2)(e)", "Annex I, Part I(2)(f)", "Annex I, Part I(2)(g)",
                   "Annex I, Part I(2)(h)", "Annex I, Part I(2)(j)", "Annex I, Part I(2)(l)", "Annex VII, point 1",
                   "Annex VII, point 2", "Annex VII, point 3"):
        assert wanted in references
    for spec in item_specs():
        known = FACT_NAMES | (AREA_FACT_NAMES if spec.area else frozenset())
        assert {*spec.shows, *spec.requires, *spec.gaps} <= known
        assert spec.text and spec.title and spec.framework in ("EU AI Act", "Cyber Resilience Act")


def test_every_global_figure_is_computed() -> None:
    table = facts(ComplianceInputs(result=fresh(), system=chatbot().system, today=TODAY, rules_run=47))
    assert set(table) == FACT_NAMES


@pytest.mark.parametrize(("figures", "cap", "expected"), [
    ({"a": 1, "b": 0}, None, "met"),
    ({"a": 0, "b": 0}, None, "missing"),
    ({"a": 2, "b": 3}, None, "partial"),
    ({"a": 0, "b": 3}, None, "missing"),
    ({"a": 1, "b": 0}, "partial", "partial"),
    ({"a": 0, "b": 0}, "partial", "missing"),
])
def test_status_arithmetic(figures: dict[str, int], cap: str | None, expected: str) -> None:
    spec = ItemSpec(id="x", framework="f", reference="r", title="t", text="t", requires=["a"], gaps=["b"],
                    cap=cap)  # type: ignore[arg-type]
    assert status_of(spec, figures) == expected


def test_an_unreviewed_record_is_missing_its_process_and_open_on_analysis() -> None:
    found = items(fresh())
    assert found["ai-act-9-1"].status == "missing"
    assert "no audit records yet: no decision has been recorded" in found["ai-act-9-1"].missing
    analysis = found["ai-act-9-2-a"]
    assert analysis.status == "partial"
    total = len(fresh().threats)
    assert analysis.answered_by[1].startswith(f"{total} threats identified by ")
    assert f"{total} threats not decided by a person yet ({total} unreviewed, 0 stale, 0 needs-info)" in \
        analysis.missing
    assert found["ai-act-9-2-d"].status == "missing"
    assert found["cra-vii-1"].status == "met"


def test_capped_items_are_never_met() -> None:
    register = Register(countermeasures=[countermeasure(f"C-{c}", CountermeasureReview.implemented,
                                                        evidence="https://ci/1")
                                         for c in ("OUT-001", "OUT-002")])
    found = items(analysed(register), audit_records=3, audit_ok=True, iterations=1)
    testing = found["ai-act-9-6-8"]
    assert testing.status == "partial"
    assert testing.answered_by == ["2 implemented countermeasures linked to evidence: C-OUT-001, C-OUT-002"]
    assert "evidence from outside the threat model (see the item text)" in testing.missing


def test_process_item_is_met_with_an_intact_chain_and_iterations() -> None:
    found = items(fresh(), audit_records=57, audit_ok=True, iterations=2)
    process = found["ai-act-9-1"]
    assert process.status == "met"
    assert process.answered_by[:2] == ["audit log with 57 records, hash chain verified",
                                       "2 iterations recorded as snapshots"]
    broken = items(fresh(), audit_records=57, audit_ok=False, audit_problem="line 3 (seq 3): edited",
                   iterations=2, quick_accepts=4)["ai-act-9-1"]
    assert broken.status == "missing"
    assert broken.missing == ["the audit chain does not verify: line 3 (seq 3): edited",
                              "4 items resting on decisions flagged as quick accepts (possible rubber-stamping)"]


def test_residual_risk_item_counts_owners_and_expiry() -> None:
    register = Register(threats=[threat_entry(HIGH, ThreatStatus.accepted),
                                 threat_entry(CRITICAL, ThreatStatus.accepted)],
                        residual_risks=[residual(HIGH, "2027-01-01"), residual(CRITICAL, "2026-01-01")])
    item = items(analysed(register))["ai-act-9-5"]
    assert item.answered_by[0] == "2 residual risks decided by named owners (accept 2; owners: Carol)"
    assert f"1 residual-risk decision past its review date or without one: {CRITICAL}" in item.missing


def test_area_items_pick_their_threats() -> None:
    found = items(fresh())
    confidentiality = found["cra-i-2-e"].figures
    disclosure = [t for t in fresh().threats if "I" in t.stride]
    assert confidentiality["area_threats"] == len(disclosure) > 0
    ai = found["ai-act-15-5"].figures["area_threats"]
    assert ai == sum(1 for t in fresh().threats if any(r.startswith(("atlas:", "owasp-")) for r in t.references))
    surface = found["cra-i-2-j"].figures["area_threats"]
    exposed = {e.id for e in chatbot().system.elements if e.exposure and e.exposure.value in ("internet", "partner")}
    assert surface == sum(1 for t in fresh().threats if t.elements[0] in exposed)


def test_rendering_is_stable_escaped_and_complete() -> None:
    done = report(fresh())
    text = render_compliance_markdown(done)
    assert text == render_compliance_markdown(report(fresh()))
    assert text.count("\n### ") == len(item_specs())
    assert "not legal advice" in text and "**MISSING** when any figure it requires is 0" in text
    assert ComplianceReport.model_validate_json(render_compliance_json(done)) == done
    assert sum(done.counts.values()) == len(done.items)
