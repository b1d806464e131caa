"""Pages that decide: the review queue, one decision per request, countermeasures and residual risks.

The rules are those of ``dicetm review``: a named reviewer (the session's), a reason to reject, modify or ask
for information, no bulk decision of any kind, the time each item was on screen recorded (measured by the
server from a signed stamp in the form), and a run of quick accepts flagged in the audit log and shown here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dicetm.errors import DicetmError
from dicetm.report import views
from dicetm.review.decide import DecisionInput, item_version
from dicetm.review.fatigue import QUICK_RUN, QUICK_SECONDS
from dicetm.review.queue import DEFAULT_MINUTES_PER_ITEM, estimate_load
from dicetm.web.adapter import Snapshot
from dicetm.web.app import Ui, ui
from dicetm.web.pages import base_context, snapshot_or_error
from dicetm.web.security import Session, safe_next

router = APIRouter()
UiDep = Annotated[Ui, Depends(ui)]
Text = Annotated[str, Form()]
OUTCOME = {"accept": "accepted", "reject": "rejected", "modify": "modified", "needs-info": "marked needs-info",
           "plan": "planned", "implement": "implemented", "transfer": "transferred", "avoid": "avoided",
           "mitigate": "mitigated", "confirm": "confirmed"}


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, face: UiDep) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    session: Session = request.state.session
    queue = face.workbench.queue(snap)
    waiting = [item for item in queue if item.id not in session.skipped]
    item = waiting[0] if waiting else None
    evaluation = residual = None
    if item is not None:
        evaluation = next((m for m in snap.result.evaluation.matrix if m.threat == item.threat.id), None)
        residual = item.residual or next(
            (e for e in snap.result.evaluation.residual_risks if e.threat == item.threat.id), None)
    context = base_context(snap)
    return face.page(request, "review.html.j2", title="Review", item=item, queue=queue, waiting=len(waiting),
                     skipped=len([i for i in queue if i.id in session.skipped]),
                     card=views.card(item.threat, evaluation, context["links"]) if item else None,
                     residual=residual, load=estimate_load(queue, DEFAULT_MINUTES_PER_ITEM),
                     stamp=face.clock.stamp(item.id, item_version(snap.register, item.id)) if item else "",
                     history=face.workbench.history(snap, item.id) if item else [],
                     quick_seconds=QUICK_SECONDS, quick_run=QUICK_RUN, **context)


@router.post("/review/skip")
def skip(request: Request, item: Text = "") -> Response:
    session: Session = request.state.session
    if item and item not in session.skipped:
        session.skipped.append(item)
    return RedirectResponse("/review", status_code=303)


@router.post("/review/restart")
def restart(request: Request) -> Response:
    request.state.session.skipped.clear()
    return RedirectResponse("/review", status_code=303)


def _score(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _changed(value: str, original: str) -> str | None:
    text = value.strip()
    return text if text and text != original.strip() else None


@router.post("/decide")
async def decide(request: Request, face: UiDep) -> Response:
    """One decision on one item. Every refusal writes nothing and says why."""
    form = await request.form()
    session: Session = request.state.session
    back = safe_next(str(form.get("next") or "/review"))
    items = form.getlist("item")
    if len(items) != 1 or not isinstance(items[0], str) or not items[0].strip():
        session.flash("error", "one decision names exactly one item; there is no bulk decision here")
        return RedirectResponse(back, status_code=303)
    fields = {key: value.strip() if isinstance(value, str) else "" for key, value in form.items()}
    item, action = items[0].strip(), fields.get("action", "")
    read = face.clock.read(item, fields.get("shown", ""))
    if read is None:
        session.flash("error", "the decision form is stale or was altered; nothing was recorded. Look at the item "
                               "again and decide.")
        return RedirectResponse(back, status_code=303)
    seconds, seen = read
    modify = action == "modify"
    decision = DecisionInput(
        item=item, action=action, reason=fields.get("reason") or None, seconds_on_screen=seconds,
        title=_changed(fields.get("title", ""), fields.get("orig_title", "")) if modify else None,
        scenario=_changed(fields.get("scenario", ""), fields.get("orig_scenario", "")) if modify else None,
        likelihood=_score(fields.get("likelihood", "")) if modify and fields.get("likelihood") != fields.get(
            "orig_likelihood") else None,
        impact=_score(fields.get("impact", "")) if modify and fields.get("impact") != fields.get(
            "orig_impact") else None,
        owner=fields.get("owner") or None, due=fields.get("due") or None, evidence=fields.get("evidence") or None,
        business_impact=fields.get("business_impact") or None, review_by=fields.get("review_by") or None,
        seen=seen,
    )
    reviewer = session.reviewer or ""
    try:
        decided = face.workbench.decide(decision, reviewer)
    except DicetmError as exc:
        for problem in exc.problems:
            hint = f" (hint: {problem.hint})" if problem.hint else ""
            session.flash("error", f"not recorded: {problem.message}{hint}")
        return RedirectResponse(back, status_code=303)
    session.flash("ok", f"recorded: {item} {OUTCOME.get(action, action)} by {reviewer} "
                        f"({seconds:.1f} s on screen)")
    for warning in decided.warnings:
        session.flash("warn", warning)
    if decided.flags:
        session.flash("warn", f"flagged for a second reviewer ({', '.join(decided.flags)}): another person confirms "
                              f"it on the threat's page")
    if decided.quick_flagged:
        session.flash("warn", f"your last {QUICK_RUN} accepts each took less than {QUICK_SECONDS:g} seconds. They "
                              "are flagged in the audit log as possible rubber-stamping. Take the time to read each "
                              "item before you decide.")
    return RedirectResponse(back, status_code=303)


@router.get("/countermeasures", response_class=HTMLResponse)
def countermeasures_page(request: Request, face: UiDep) -> Response:
    from dicetm.report.common import countermeasures_by_rank

    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    listed = countermeasures_by_rank(snap.result.countermeasures)
    return face.page(request, "countermeasures.html.j2", title="Countermeasures", countermeasures=listed,
                     stamps={c.id: face.clock.stamp(c.id, item_version(snap.register, c.id)) for c in listed},
                     **base_context(snap))


@router.get("/risks", response_class=HTMLResponse)
def risks_page(request: Request, face: UiDep) -> Response:
    from dicetm.report.common import register_order

    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    entries = register_order(snap.result.evaluation.residual_risks)
    titles = {t.id: t for t in snap.result.threats}
    return face.page(request, "risks.html.j2", title="Residual risks", entries=entries, threats=titles,
                     **base_context(snap))
