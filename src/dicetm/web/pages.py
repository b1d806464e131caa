"""Pages that read: overview with the diagram, elements, flows, threats, evaluation, iterations and diffs,
the static report, and the reviewer's name. Each route parses, asks the adapter, renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from dicetm.errors import DicetmError
from dicetm.model import RiskLevel, Threat
from dicetm.model.register import CONFIRM, HistoryEntry, current_decision
from dicetm.report import common, dfd, views
from dicetm.report.figures import HeatCell, figures
from dicetm.report.html import Links
from dicetm.review.decide import item_version
from dicetm.review.identity import same_person
from dicetm.web.adapter import WORKING_COPY, Snapshot
from dicetm.web.app import Ui, ui
from dicetm.web.links import path_of, web_links
from dicetm.web.security import check_reviewer, safe_next

router = APIRouter()
UiDep = Annotated[Ui, Depends(ui)]
PAGE_SIZE = 200
FILTERS = ("risk", "status", "stride", "owasp", "atlas", "element", "origin", "likelihood", "impact", "q")


def links_for(snap: Snapshot) -> Links:
    result, system = snap.result, snap.loaded.system
    return web_links({
        "threat": frozenset(t.id for t in result.threats), "el": frozenset(system.element_by_id),
        "flow": frozenset(system.flow_by_id), "cm": frozenset(c.id for c in result.countermeasures),
        "cov": frozenset(m.threat for m in result.evaluation.matrix),
        "q": frozenset(q.id for q in result.open_questions),
        "rr": frozenset(e.threat for e in result.evaluation.residual_risks),
    })


def base_context(snap: Snapshot) -> dict[str, Any]:
    return {"system_name": snap.loaded.system.name, "system": snap.loaded.system, "result": snap.result,
            "links": links_for(snap)}


def snapshot_or_error(request: Request, face: Ui) -> Snapshot | HTMLResponse:
    """The workspace analysed, or a page listing every problem (for instance an invalid dicetm.yaml)."""
    try:
        return face.workbench.snapshot()
    except DicetmError as exc:
        return face.page(request, "problem.html.j2", status_code=422, title="The workspace cannot be analysed",
                         problems=exc.problems, system_name="")


# --- overview ----------------------------------------------------------------------------------------------

def _heat_link(cell: HeatCell) -> str:
    return "/threats?" + urlencode({"likelihood": cell.likelihood, "impact": cell.impact})


def _risk_link(level: RiskLevel) -> str:
    return "/threats?" + urlencode({"risk": level.value})


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, face: UiDep, view: str = "auto", zone: str | None = None) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    system = snap.loaded.system
    boundaries = {b.id: b for b in system.trust_boundaries}
    focus = zone if zone in boundaries else None
    collapsed = focus is None and (view == "zones" or (view == "auto" and bool(boundaries)
                                                         and len(system.elements) > dfd.COLLAPSE_ABOVE))
    if (collapsed, focus) not in snap.drawings:
        snap.drawings[collapsed, focus] = dfd.svg(system, result=snap.result, link=path_of, collapsed=collapsed,
                                                  focus=focus)
    drawing = snap.drawings[collapsed, focus]
    return face.page(request, "overview.html.j2", title="Overview", f=figures(snap.result), drawing=drawing,
                     collapsed=collapsed, focus=boundaries.get(focus) if focus else None,
                     mermaid=None if drawing else dfd.mermaid(system, snap.result), heat_link=_heat_link,
                     risk_link=_risk_link, too_large=dfd.drawn_nodes(system, collapsed=collapsed, focus=focus) > 400,
                     **base_context(snap))


@router.get("/api/version", response_class=PlainTextResponse)
def version(face: UiDep) -> str:
    return face.workbench.version()


# --- elements and flows ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Related:
    threat: Threat
    open: bool


def _threats_of(snap: Snapshot, match: Callable[[Threat], bool]) -> list[_Related]:
    covered = frozenset(m.threat for m in snap.result.evaluation.matrix if m.covered)
    found = [t for t in snap.result.threats if match(t)]
    return [_Related(t, dfd.is_open(t, covered)) for t in common.threats_by_risk(found)]


@router.get("/elements/{element_id:path}", response_class=HTMLResponse)
def element_page(request: Request, face: UiDep, element_id: str) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    system = snap.loaded.system
    element = system.element_by_id.get(element_id)
    if element is None:
        return face.page(request, "missing.html.j2", status_code=404, title="No such element", what="element",
                         item=element_id, **base_context(snap))
    facts = [(name, getattr(element, name)) for name in common.FACT_FIELDS]
    flows_out = system.flows_from.get(element_id, [])
    flows_in = [f for f in system.flows_to.get(element_id, []) if f not in flows_out]
    template = "element_panel.html.j2" if request.headers.get("hx-request") else "element.html.j2"
    return face.page(request, template, title=element.name, element=element, facts=facts, flows_in=flows_in,
                     flows_out=flows_out, zone=system.boundary_of.get(element_id),
                     related=_threats_of(snap, lambda t: element_id in t.elements), **base_context(snap))


@router.get("/flows/{flow_id:path}", response_class=HTMLResponse)
def flow_page(request: Request, face: UiDep, flow_id: str) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    flow = snap.loaded.system.flow_by_id.get(flow_id)
    if flow is None:
        return face.page(request, "missing.html.j2", status_code=404, title="No such flow", what="flow",
                         item=flow_id, **base_context(snap))
    template = "flow_panel.html.j2" if request.headers.get("hx-request") else "flow.html.j2"
    return face.page(request, template, title=f"Flow {flow.id}", flow=flow,
                     crosses=snap.loaded.system.crosses_boundary(flow),
                     related=_threats_of(snap, lambda t: flow_id in t.flows), **base_context(snap))


# --- threats -----------------------------------------------------------------------------------------------

def _prefixed(threat: Threat, namespaces: tuple[str, ...]) -> list[str]:
    return [r for r in threat.references if r.split(":", 1)[0] in namespaces]


OWASP = ("owasp-llm", "owasp-agentic", "owasp-asi")
ATLAS = ("atlas",)


def _keeps(threat: Threat, wanted: dict[str, str]) -> bool:
    checks = {
        "risk": lambda v: threat.risk.value == v,
        "status": lambda v: threat.status == v,
        "stride": lambda v: v in threat.stride,
        "owasp": lambda v: v in threat.references,
        "atlas": lambda v: v in threat.references,
        "element": lambda v: v in threat.elements,
        "origin": lambda v: common.origin(threat.provenance) == v,
        "likelihood": lambda v: str(threat.likelihood) == v,
        "impact": lambda v: str(threat.impact) == v,
        "q": lambda v: v.casefold() in f"{threat.id} {threat.title} {threat.scenario}".casefold(),
    }
    return all(checks[key](value) for key, value in wanted.items())


@router.get("/threats", response_class=HTMLResponse)
def threats_page(request: Request, face: UiDep, page: int = 1) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    wanted = {key: value.strip() for key in FILTERS if (value := request.query_params.get(key, "")).strip()}
    everything = common.threats_by_risk(snap.result.threats)
    shown = [t for t in everything if _keeps(t, wanted)]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    options = {
        "owasp": sorted({r for t in everything for r in _prefixed(t, OWASP)}),
        "atlas": sorted({r for t in everything for r in _prefixed(t, ATLAS)}),
        "status": sorted({t.status for t in everything} | {"unreviewed"}),
        "element": [(e.id, e.name) for e in snap.loaded.system.elements],
    }
    query = dict(wanted)
    listed = shown[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return face.page(request, "threats.html.j2", title="Threats", threats=listed,
                     total=len(everything), matched=len(shown), wanted=wanted, options=options, page=page,
                     pages=pages, page_query=lambda n: urlencode({**query, "page": n}), **base_context(snap))


@router.get("/threats/{threat_id:path}", response_class=HTMLResponse)
def threat_page(request: Request, face: UiDep, threat_id: str) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    threat = next((t for t in snap.result.threats if t.id == threat_id), None)
    if threat is None:
        return face.page(request, "missing.html.j2", status_code=404, title="No such threat", what="threat",
                         item=threat_id, **base_context(snap))
    evaluation = next((m for m in snap.result.evaluation.matrix if m.threat == threat.id), None)
    residual = next((e for e in snap.result.evaluation.residual_risks if e.threat == threat.id), None)
    context = base_context(snap)
    history = face.workbench.history(snap, threat.id)
    return face.page(request, "threat.html.j2", title=threat.title, threat=threat,
                     card=views.card(threat, evaluation, context["links"]),
                     second=_second_look(threat, history, request.state.session.reviewer or ""),
                     residual=residual, history=history,
                     risk_history=face.workbench.history(snap, f"risk:{threat.id}"),
                     stamp=face.clock.stamp(threat.id, item_version(snap.register, threat.id)),
                     risk_stamp=face.clock.stamp(f"risk:{threat.id}", item_version(snap.register, f"risk:{threat.id}")),
                     next_path=request.url.path, **context)


@dataclass(frozen=True)
class SecondLook:
    """A person's decision on a threat that a second, different reviewer may confirm (``dicetm decide --confirm``)."""

    decision: HistoryEntry
    flags: list[str]
    confirmed_by: list[str]
    own: bool  # the reviewer looking at the page made the decision, so cannot confirm it
    done: bool  # the reviewer looking at the page has confirmed it already


def _second_look(threat: Threat, history: list[HistoryEntry], reviewer: str) -> SecondLook | None:
    if threat.status not in ("accepted", "rejected", "modified"):
        return None
    decided = current_decision(history)
    if decided is None:
        return None
    confirmed = [h.actor for h in history if h.action == CONFIRM and h.details.get("confirms") == decided.seq]
    return SecondLook(decided, decided.flags, confirmed,
                      bool(reviewer) and same_person(decided.actor, reviewer),
                      bool(reviewer) and any(same_person(actor, reviewer) for actor in confirmed))


# --- evaluation, iterations, report ------------------------------------------------------------------------

@router.get("/evaluate", response_class=HTMLResponse)
def evaluate_page(request: Request, face: UiDep) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    return face.page(request, "evaluate.html.j2", title="Evaluate", f=figures(snap.result), **base_context(snap))


@router.get("/iterations", response_class=HTMLResponse)
def iterations_page(request: Request, face: UiDep) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    return face.page(request, "iterations.html.j2", title="Iterations", iterations=face.workbench.iterations(),
                     current=snap.register.iteration, working=WORKING_COPY, **base_context(snap))


@router.get("/iterations/diff", response_class=HTMLResponse)
def diff_page(request: Request, face: UiDep, old: str = "", new: str = WORKING_COPY) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    iterations = face.workbench.iterations()
    old = old or (str(iterations[-1].number) if iterations else WORKING_COPY)
    try:
        changes = face.workbench.diff(old, new)
    except DicetmError as exc:
        return face.page(request, "problem.html.j2", status_code=422, title="Cannot compare these",
                         problems=exc.problems, **base_context(snap))
    return face.page(request, "diff.html.j2", title="What changed", changes=changes, iterations=iterations,
                     old=old, new=new, working=WORKING_COPY, **base_context(snap))


@router.get("/report.html")
def report(request: Request, face: UiDep) -> Response:
    snap = snapshot_or_error(request, face)
    if not isinstance(snap, Snapshot):
        return snap
    response = HTMLResponse(face.workbench.report_html(snap))
    response.headers["Content-Disposition"] = 'attachment; filename="report.html"'
    return response


# --- the reviewer's name -----------------------------------------------------------------------------------

@router.get("/whoami", response_class=HTMLResponse)
def whoami_form(request: Request, face: UiDep, next: str = "/") -> Response:
    return face.page(request, "whoami.html.j2", title="Who is reviewing?", next_path=safe_next(next), error=None,
                     value=request.state.session.reviewer or "", system_name="")


@router.post("/whoami", response_class=HTMLResponse)
def whoami(request: Request, face: UiDep, reviewer: Annotated[str, Form()] = "",
           next: Annotated[str, Form()] = "/") -> Response:
    problem = check_reviewer(reviewer)
    if problem:
        return face.page(request, "whoami.html.j2", status_code=422, title="Who is reviewing?",
                         next_path=safe_next(next), error=problem, value=reviewer, system_name="")
    request.state.session.reviewer = reviewer.strip()
    return RedirectResponse(safe_next(next), status_code=303)
