"""Evaluate: coverage, inherent and residual risk, the residual-risk register and next steps.

Pure arithmetic over the model. A threat is covered only by a countermeasure a person accepted,
planned or implemented, or by a residual-risk decision that has an owner and a review-by date that has not
passed. Residual risk counts only implemented controls: planned work lowers nothing until it exists. An
implemented control whose evidence is not an http(s) link or a path (a ``data:`` or ``javascript:`` link, or
none) counts as neither covering nor lowering anything.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from dicetm.evidence_link import link_problem
from dicetm.model import (
    Countermeasure,
    CountermeasureStatus,
    Evaluation,
    NextStep,
    ResidualRiskEntry,
    ResidualRiskSetting,
    ReviewSummary,
    RiskLevel,
    Threat,
    ThreatEvaluation,
    risk_level,
)
from dicetm.model.findings import RISK_ORDER
from dicetm.model.register import NEEDS_DECISION
from dicetm.pipeline.state import State

COVERING = (CountermeasureStatus.accepted, CountermeasureStatus.planned, CountermeasureStatus.implemented)


def _applies(cm: Countermeasure, threat: Threat) -> bool:
    if cm.limited_to is None:
        return True
    return threat.id in cm.limited_to or any(m in cm.limited_to for m in threat.members)


def _residual_setting(threat: Threat, settings: dict[str, ResidualRiskSetting]) -> ResidualRiskSetting | None:
    for key in (threat.id, *threat.members):
        if key in settings:
            return settings[key]
    return None


def review_day(text: str | None) -> date | None:
    """A review-by text as a date (its first ten characters, ISO 8601), or None."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def residual_problem(setting: ResidualRiskSetting | ResidualRiskEntry | None, today: date) -> str | None:
    """None when ``setting`` is an owned residual-risk decision still within its review date; else why not."""
    if setting is None or (not setting.owner and setting.decision is None):
        return "no residual-risk decision"
    if not setting.owner or setting.decision is None:
        return "the residual-risk entry has no owner and decision"
    day = review_day(setting.review_by)
    if day is None:
        detail = f"review_by {setting.review_by!r} is not a date" if setting.review_by else "it has no review_by date"
        return f"the residual-risk decision by {setting.owner} does not count: {detail}"
    if day < today:
        return f"the residual-risk decision by {setting.owner} expired on {day.isoformat()}"
    return None


def _counts(cm: Countermeasure) -> bool:
    """Whether a countermeasure's status can cover a threat: implemented ones need usable evidence."""
    if cm.status is CountermeasureStatus.implemented:
        return link_problem(cm.evidence) is None
    return cm.status in COVERING


def evaluate_threat(threat: Threat, cms: dict[str, Countermeasure], reduces: dict[str, dict[str, int]],
                    setting: ResidualRiskSetting | None, today: date) -> ThreatEvaluation:
    by_status: dict[str, list[str]] = {}
    covered_by: list[str] = []
    likelihood_cut = impact_cut = 0
    steps: list[str] = []
    for control_id in threat.controls:
        cm = cms.get(control_id)
        if cm is None or not _applies(cm, threat):
            continue
        by_status.setdefault(cm.status.value, []).append(control_id)
        if not _counts(cm):
            if cm.status is CountermeasureStatus.implemented:
                steps.append(f"{control_id} implemented but not counted: {link_problem(cm.evidence)}")
            continue
        covered_by.append(control_id)
        if cm.status is CountermeasureStatus.implemented:
            cut = reduces.get(control_id, {})
            likelihood_cut += cut.get("likelihood", 0)
            impact_cut += cut.get("impact", 0)
            steps.append(f"{control_id} implemented: likelihood -{cut.get('likelihood', 0)}, "
                         f"impact -{cut.get('impact', 0)}")
    if residual_problem(setting, today) is None:
        covered_by.append("residual-risk")
    residual_l = max(1, threat.likelihood - likelihood_cut)
    residual_i = max(1, threat.impact - impact_cut)
    inherent_score, inherent_risk = threat.score, threat.risk
    inherent = f"inherent {threat.likelihood} x {threat.impact} = {inherent_score} ({inherent_risk.value})"
    residual_score = residual_l * residual_i
    residual_risk = risk_level(residual_score)
    residual = f"residual {residual_l} x {residual_i} = {residual_score} ({residual_risk.value})"
    arithmetic = "; ".join([inherent, *(steps or ["no implemented control"]), residual])
    # Validated construction: pydantic's Rust validator is faster here than the Python-level model_construct.
    return ThreatEvaluation(
        threat=threat.id, covered=bool(covered_by), covered_by=covered_by, countermeasures_by_status=by_status,
        inherent_likelihood=threat.likelihood, inherent_impact=threat.impact, inherent_score=inherent_score,
        inherent_risk=inherent_risk, residual_likelihood=residual_l, residual_impact=residual_i,
        residual_score=residual_score, residual_risk=residual_risk, arithmetic=arithmetic,
    )


def _register(threats: list[Threat], matrix: dict[str, ThreatEvaluation],
              settings: dict[str, ResidualRiskSetting], today: date) -> list[ResidualRiskEntry]:
    """One entry per threat whose residual risk is medium or above, or that a person already decided on."""
    entries = []
    for threat in threats:
        evaluation = matrix[threat.id]
        setting = _residual_setting(threat, settings)
        if setting is None and RISK_ORDER[evaluation.residual_risk] < RISK_ORDER[RiskLevel.medium]:
            continue
        decided = bool(setting and setting.owner and setting.decision)
        entries.append(ResidualRiskEntry(
            threat=threat.id, residual_risk=evaluation.residual_risk,
            owner=setting.owner if setting else None, decision=setting.decision if setting else None,
            business_impact=setting.business_impact if setting else None,
            review_by=setting.review_by if setting else None,
            open=not decided, expired=decided and residual_problem(setting, today) is not None,
        ))
    return entries


def _next_steps(state: State, uncovered: list[Threat], register: list[ResidualRiskEntry]) -> list[NextStep]:
    steps: list[NextStep] = []
    serious = [t for t in uncovered if RISK_ORDER[t.risk] >= RISK_ORDER[RiskLevel.high]]
    for threat in serious:
        steps.append(NextStep(priority=1, kind="uncovered-threat", refs=[threat.id, *threat.controls[:1]],
                              text=f"Decide on a countermeasure for {threat.risk.value} threat {threat.id} "
                                   f"({threat.title}); best suggestion: {threat.controls[0]}."))
    if state.open_questions:
        topics = sorted({q.topic for q in state.open_questions})
        steps.append(NextStep(priority=2, kind="open-questions", refs=[q.id for q in state.open_questions],
                              text=f"Answer {len(state.open_questions)} open questions about missing context "
                                   f"({', '.join(topics)}); answers can change threats and their scores."))
    undecided = _undecided_step(state.threats)
    if undecided is not None:
        steps.append(undecided)
    serious_ids = {t.id for t in serious}
    rest = [t.id for t in uncovered if t.id not in serious_ids]
    if rest:
        steps.append(NextStep(priority=3, kind="uncovered-threat", refs=rest,
                              text=f"Cover or accept the {len(rest)} remaining uncovered medium and low threats."))
    unowned = [e.threat for e in register if e.open]
    if unowned:
        steps.append(NextStep(priority=3, kind="unowned-residual-risk", refs=unowned,
                              text=f"Name an owner and a decision for {len(unowned)} open residual-risk entries."))
    expired = [e.threat for e in register if e.expired]
    if expired:
        steps.append(NextStep(priority=2, kind="expired-residual-risk", refs=expired,
                              text=f"Renew {len(expired)} residual-risk decisions whose review-by date has passed "
                                   "or is missing: they cover nothing until renewed."))
    proposed = [c.id for c in state.countermeasures if c.status is CountermeasureStatus.proposed]
    if proposed:
        steps.append(NextStep(priority=4, kind="proposed-countermeasures", refs=proposed,
                              text=f"Review {len(proposed)} proposed countermeasures: accept, plan with an "
                                   "owner and due date, or reject."))
    # Most urgent first; within a priority, the order built above (a stable sort keeps it).
    return sorted(steps, key=lambda step: step.priority)


_UNDECIDED_REFS = 20  # the rest are counted in the text; the review queue lists them all


def _undecided_step(threats: tuple[Threat, ...]) -> NextStep | None:
    """The threats still waiting for a person (statuses come from the register, applied before evaluation)."""
    waiting = [t for t in threats if t.status in NEEDS_DECISION]
    if not waiting:
        return None
    counts = {status: sum(t.status == status for t in waiting) for status in sorted(NEEDS_DECISION, reverse=True)}
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    first = sorted(waiting, key=lambda t: (-t.score, t.id))[:_UNDECIDED_REFS]
    noun = "threat is" if len(waiting) == 1 else "threats are"
    return NextStep(priority=2, kind="undecided-threats", refs=[t.id for t in first],
                    text=f"{len(waiting)} {noun} still waiting for a decision ({parts}): run dicetm review on the "
                         "workspace (dicetm serve in a browser), or dicetm decide with a threat id for one; until "
                         "decided they count as undecided, never as accepted.")


def review_summary(state: State) -> ReviewSummary:
    by_status: dict[str, int] = {}
    for threat in state.threats:
        by_status[threat.status] = by_status.get(threat.status, 0) + 1
    reviewers: dict[str, int] = {}
    quick = 0
    if state.register is not None:
        histories = [item.history for item in state.register.threats]
        histories += [item.history for item in state.register.countermeasures]
        histories += [item.history for item in state.register.residual_risks]
        for history in histories:
            for entry in history:
                if entry.actor != "dicetm":
                    reviewers[entry.actor] = reviewers.get(entry.actor, 0) + 1
                quick += entry.quick
    cm_status: dict[str, int] = {}
    for cm in state.countermeasures:
        cm_status[cm.status.value] = cm_status.get(cm.status.value, 0) + 1
    unreviewed = by_status.get("unreviewed", 0)
    stale = by_status.get("stale", 0)
    needs_info = by_status.get("needs-info", 0)
    return ReviewSummary(
        by_status=dict(sorted(by_status.items())), unreviewed=unreviewed, stale=stale, needs_info=needs_info,
        decided=len(state.threats) - unreviewed - stale - needs_info, reviewers=dict(sorted(reviewers.items())),
        quick_accepts_flagged=quick, countermeasures_by_status=dict(sorted(cm_status.items())),
    )


def evaluation(state: State) -> Evaluation:
    cms = {c.id: c for c in state.countermeasures}
    reduces = {cid: dict(c.reduces) for cid, c in state.catalog.controls.items()}
    settings = {s.threat: s for s in state.system.residual_risks}
    # A threat a person rejected as not applicable needs no coverage; it stays listed as rejected.
    rejected = [t.id for t in state.threats if t.status == "rejected"]
    threats = [t for t in state.threats if t.status != "rejected"]
    today = state.today or datetime.now(UTC).date()
    matrix = {t.id: evaluate_threat(t, cms, reduces, _residual_setting(t, settings), today) for t in threats}
    uncovered = [t for t in threats if not matrix[t.id].covered]
    register = _register(threats, matrix, settings, today)
    by_risk = {level.value: 0 for level in RiskLevel}
    for t in threats:
        by_risk[t.risk.value] += 1
    ordered = sorted(matrix.values(), key=lambda m: (m.covered, -m.residual_score, m.threat))
    covered = len(threats) - len(uncovered)
    return Evaluation(
        threats_total=len(threats), threats_covered=covered,
        coverage_percent=round(100.0 * covered / len(threats), 1) if threats else 100.0,
        by_risk=by_risk, uncovered=[t.id for t in uncovered], matrix=ordered, residual_risks=register,
        next_steps=_next_steps(state, uncovered, register), rejected=rejected,
        review=review_summary(state),
    )


def evaluate(state: State) -> State:
    return dataclasses.replace(state, evaluation=evaluation(state))
