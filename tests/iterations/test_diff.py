"""review.diff on hand-built models: what it reports, in which order, and how it reads as text."""

from __future__ import annotations

import json

from dicetm.model import (
    CountermeasureSetting,
    CountermeasureStatus,
    Exposure,
    Kind,
    ResidualRiskSetting,
    RiskDecision,
    System,
    TrustBoundary,
)
from dicetm.model.register import CountermeasureEntry, CountermeasureReview, ThreatStatus
from dicetm.review.diff import FieldChange, ModelDiff, diff, render_text, show

from .helpers import element, entry, flow, register, result, system

PROMPT = "T-LLM-001@llm"
LEAK = "T-LLM-002@llm"
TOOL = "T-AGT-001@agent"


def base_system() -> System:
    return system(
        elements=[element("api", exposure="internal", authenticated=True), element("llm", Kind.llm),
                  element("db", Kind.data_store)],
        flows=[flow("api-llm", "api", "llm", data="prompts"), flow("api-db", "api", "db")],
        boundaries=[TrustBoundary(id="vpc", name="VPC", elements=["api", "db"])],
    )


def test_identical_states_have_no_changes() -> None:
    old = base_system()
    reg = register(entry(PROMPT, ThreatStatus.accepted, reviewer="Dana"))
    d = diff(old, reg, result(PROMPT), base_system(), reg, result(PROMPT))
    assert d.is_empty()
    assert render_text(d) == "no changes\n"
    labelled = d.model_copy(update={"from_label": "iteration 1", "to_label": "the working copy"})
    assert render_text(labelled) == "changes from iteration 1 to the working copy: no changes\n"


def test_changed_attribute_shows_old_and_new_value() -> None:
    new = base_system()
    new.elements[0] = element("api", exposure="internet", authenticated=True, rate_limited=False)
    d = diff(base_system(), register(), None, new, register(), None)
    assert [c.id for c in d.elements.changed] == ["api"]
    assert d.elements.changed[0].fields == [  # in the order the model declares the fields
        FieldChange(field="exposure", old="internal", new="internet"),
        FieldChange(field="rate_limited", old=None, new=False),
    ]
    assert d.elements.added == d.elements.removed == []
    text = render_text(d)
    assert "  ~ api: Api (process)\n      exposure: internal -> internet\n      rate_limited: unset -> false\n" in text


def test_added_and_removed_elements_and_flows_in_id_order() -> None:
    old = base_system()
    new = system(
        elements=[element("zeta", Kind.tool), element("api", exposure="internal", authenticated=True),
                  element("llm", Kind.llm), element("agent", Kind.agent)],
        flows=[flow("api-llm", "api", "llm", data="prompts, files"), flow("llm-agent", "llm", "agent")],
        boundaries=[TrustBoundary(id="vpc", name="VPC", elements=["api", "agent"])],
    )
    d = diff(old, register(), None, new, register(), None)
    assert [(i.id, i.label) for i in d.elements.added] == [("agent", "Agent (agent)"), ("zeta", "Zeta (tool)")]
    assert [(i.id, i.label) for i in d.elements.removed] == [("db", "Db (data_store)")]
    assert [i.id for i in d.flows.added] == ["llm-agent"]
    assert [i.id for i in d.flows.removed] == ["api-db"]
    assert d.flows.changed[0].fields == [FieldChange(field="data", old="prompts", new="prompts, files")]
    boundary = d.trust_boundaries.changed[0]
    assert (boundary.id, boundary.members_added, boundary.members_removed, boundary.fields) == (
        "vpc", ["agent"], ["db"], [])
    text = render_text(d)
    assert "elements\n  + agent: Agent (agent)\n  + zeta: Zeta (tool)\n  - db: Db (data_store)\n" in text
    assert ("flows\n  + llm-agent: llm -> agent\n  - api-db: api -> db\n"
            "  ~ api-llm: api -> llm: prompts, files\n") in text
    assert "trust boundaries\n  ~ vpc: VPC\n      + member agent\n      - member db\n" in text


def test_boundaries_added_and_removed() -> None:
    new = system(elements=base_system().elements, flows=base_system().flows,
                 boundaries=[TrustBoundary(id="dmz", name="DMZ", elements=["api"])])
    d = diff(base_system(), register(), None, new, register(), None)
    assert [i.id for i in d.trust_boundaries.added] == ["dmz"]
    assert [i.id for i in d.trust_boundaries.removed] == ["vpc"]


def test_threats_added_and_removed_by_id_from_the_results() -> None:
    d = diff(base_system(), register(), result(PROMPT, LEAK), base_system(), register(), result(TOOL, PROMPT))
    assert [i.id for i in d.threats.added] == [TOOL]
    assert [(i.id, i.label) for i in d.threats.removed] == [(LEAK, "T-LLM-002 on llm")]
    assert "threats\n  + T-AGT-001@agent: T-AGT-001 on agent\n  - T-LLM-002@llm: T-LLM-002 on llm\n" in render_text(d)


def test_without_a_result_threats_come_from_the_registers_live_entries() -> None:
    old = register(entry(PROMPT), entry(LEAK))
    new = register(entry(PROMPT), entry(LEAK, ThreatStatus.retired), entry(TOOL))
    d = diff(base_system(), old, None, base_system(), new, result(PROMPT))  # one side missing: registers
    assert [i.id for i in d.threats.added] == [TOOL]
    assert [i.id for i in d.threats.removed] == [LEAK]
    assert d.threat_reviews == []  # retiring is shown as a removed threat, not as a review


def test_a_removed_threat_says_which_decision_it_carried() -> None:
    old = register(entry(PROMPT, ThreatStatus.accepted, reviewer="Dana"), entry(LEAK),
                   entry(TOOL, ThreatStatus.stale, reviewer="Sam", status_before_stale=ThreatStatus.rejected))
    d = diff(base_system(), old, result(PROMPT, LEAK, TOOL), base_system(), register(), result())
    assert [(i.id, i.was, i.reviewer) for i in d.threats.removed] == [
        (TOOL, "rejected", "Sam"), (PROMPT, "accepted", "Dana"), (LEAK, None, None)]
    text = render_text(d)
    assert ("  - T-LLM-001@llm: T-LLM-001 on llm [was accepted by Dana; the decision stays in the register's "
            "history]\n") in text
    assert "  - T-AGT-001@agent: T-AGT-001 on agent [was rejected by Sam; the decision" in text
    assert "  - T-LLM-002@llm: T-LLM-002 on llm\n" in text  # nobody had decided on it


def test_review_status_change_names_the_reviewer() -> None:
    old = register(entry(PROMPT), entry(LEAK, ThreatStatus.accepted, reviewer="Dana"))
    new = register(entry(PROMPT, ThreatStatus.rejected, reviewer="Sam Roe", reason="no user input reaches it"),
                   entry(LEAK, ThreatStatus.accepted, reviewer="Dana"))
    d = diff(base_system(), old, None, base_system(), new, None)
    assert [(c.id, c.old, c.new, c.reviewer, c.reason) for c in d.threat_reviews] == [
        (PROMPT, "unreviewed", "rejected", "Sam Roe", "no user input reaches it")]
    text = render_text(d)
    assert ("threat reviews\n  ~ T-LLM-001@llm: T-LLM-001 on llm [unreviewed -> rejected] by Sam Roe\n"
            "      reason: no user input reaches it\n") in text


def test_stale_decisions_listed_with_their_changes() -> None:
    old = register(entry(PROMPT, ThreatStatus.accepted, reviewer="Dana"))
    new = register(entry(PROMPT, ThreatStatus.stale, reviewer="Dana", status_before_stale=ThreatStatus.accepted,
                         stale_changes=["element:api.exposure: 'internal' -> 'internet'"]))
    d = diff(base_system(), old, None, base_system(), new, None)
    assert d.threat_reviews == []
    assert [(s.id, s.was, s.changes) for s in d.stale] == [
        (PROMPT, "accepted", ["element:api.exposure: 'internal' -> 'internet'"])]
    assert ("stale decisions\n  ~ T-LLM-001@llm: T-LLM-001 on llm [was accepted by Dana, now stale]\n"
            "      element:api.exposure: 'internal' -> 'internet'\n") in render_text(d)


def test_countermeasure_decisions_from_register_and_model_file() -> None:
    old_system = base_system()
    new_system = base_system().model_copy(update={"countermeasures": [
        CountermeasureSetting(control="C-OUT-001", status=CountermeasureStatus.implemented, evidence="PR 12")]})
    old = register(countermeasures=[CountermeasureEntry(id="C-INP-001")])
    new = register(countermeasures=[CountermeasureEntry(
        id="C-INP-001", status=CountermeasureReview.planned, owner="Ana", due="2027-01-31", reviewer="Dana")])
    d = diff(old_system, old, None, new_system, new, None)
    assert [(c.id, c.old, c.new, c.reviewer) for c in d.countermeasures] == [
        ("C-INP-001", "proposed", "planned", "Dana"), ("C-OUT-001", "proposed", "implemented", None)]
    assert d.countermeasures[0].fields == [FieldChange(field="owner", old=None, new="Ana"),
                                           FieldChange(field="due", old=None, new="2027-01-31")]
    assert "  ~ C-INP-001 [proposed -> planned] by Dana\n      owner: unset -> Ana\n" in render_text(d)


def test_residual_risk_decisions() -> None:
    new_system = base_system().model_copy(update={"residual_risks": [
        ResidualRiskSetting(threat=PROMPT, owner="CISO", decision=RiskDecision.accept, business_impact="low",
                            review_by="2027-06-30")]})
    d = diff(base_system(), register(), None, new_system, register(), None)
    change = d.residual_risks[0]
    assert (change.id, change.old, change.new) == (PROMPT, "open", "accepted")
    assert [f.field for f in change.fields] == ["owner", "business_impact", "review_by"]


def test_json_round_trip_and_stable_output() -> None:
    new = system(elements=[element("api", exposure=Exposure.internet)], name="Shop assistant 2")
    d = diff(base_system(), register(), result(PROMPT), new, register(), result(TOOL))
    data = json.loads(json.dumps(d.model_dump(mode="json")))
    assert ModelDiff.model_validate(data) == d
    assert data["system"] == [{"field": "name", "old": "Shop assistant", "new": "Shop assistant 2"}]
    assert data["threats"] == {"added": [{"id": TOOL, "label": "T-AGT-001 on agent"}],
                               "removed": [{"id": PROMPT, "label": "T-LLM-001 on llm", "was": None,
                                            "reviewer": None}]}
    again = diff(base_system(), register(), result(PROMPT), new, register(), result(TOOL))
    assert render_text(again) == render_text(d)


def test_text_groups_sections_in_a_fixed_order() -> None:
    new = system(elements=[element("api", exposure="internet", authenticated=True), element("llm", Kind.llm)],
                 flows=[flow("api-llm", "api", "llm", data="prompts")])
    d = diff(base_system(), register(), result(PROMPT), new, register(entry(TOOL)), result(PROMPT, TOOL))
    headings = [line for line in render_text(d).splitlines() if line and not line.startswith(" ")]
    assert headings == ["changes", "elements", "flows", "trust boundaries", "threats"]


def test_show_values() -> None:
    assert [show(v) for v in (None, True, "", "x", ["a", "b"], 3)] == ["unset", "true", '""', "x", "[a, b]", "3"]
