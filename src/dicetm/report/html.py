"""The HTML report: one self-contained page (inline CSS, no scripts, nothing fetched from a network).

It is drawn from the same Jinja2 templates as the workbench (``dicetm serve``): the data-flow diagram first,
the figures beside it (threats by risk and status, coverage, open questions, a likelihood x impact heat map),
then the threats as collapsible cards grouped by risk, the model, countermeasures and the evaluation.
Autoescaping is on for every template; a Content-Security-Policy that forbids scripts and remote loads is a
second line of defence. Ids become links through :class:`Links`, which caches them, so a model with tens of
thousands of threats still renders in seconds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from markupsafe import Markup

from dicetm.gcpause import gc_paused
from dicetm.model import AnalysisResult, System, ThreatEvaluation, TrustBoundary
from dicetm.report import chunks, common, dfd, views
from dicetm.report.common import anchor
from dicetm.report.figures import figures
from dicetm.report.templating import environment
from dicetm.report.views import markup_text

__all__ = [
    "Links", "ReportDrawings", "anchor", "page_pieces", "render_html", "report_svgs", "start_report_svgs",
]

# Tables longer than this start collapsed; threat cards start collapsed when there are more than this.
LONG_TABLE_ROWS = 200
OPEN_THREAT_CARDS = 30
# Models with more elements than this get an overview with one node per boundary, plus one drawing per boundary.
PER_BOUNDARY_DRAWINGS = 40
# Each drawing is one Graphviz run: past this many top-level boundaries only those with the most open threats
# get a drawing of their own (the overview and the tables show the rest).
MAX_BOUNDARY_DRAWINGS = 24
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_SLOT = re.compile(r"<!--dicetm-slot-(\d+)-->")
_DRAWING = re.compile(rb"<!--dicetm-drawing-(\d+)-->")
_DRAWING_START = b"<!--dicetm-drawing-"

Href = Callable[[str, str], str | None]


class Links:
    """Ids to links, made once each because the same ids are linked from many rows. ``href(kind, id)`` gives
    the target of a kind of id (``threat``, ``el``, ``flow``, ``cm``, ``q``, ``cov``, ``rr``, ``zone``) or None
    when there is nothing to link to."""

    def __init__(self, href: Href, *, external: bool = False) -> None:
        self.href = href
        self.external = external  # link framework references to their public pages (the report stays offline)
        self._made: dict[tuple[str, str], Markup] = {}

    def one(self, kind: str, raw: str) -> Markup:
        key = (kind, raw)
        made = self._made.get(key)
        if made is None:
            target = self.href(kind, raw)
            label = f"<code>{markup_text(raw)}</code>"
            made = Markup(f'<a href="{markup_text(target)}">{label}</a>' if target else label)
            self._made[key] = made
        return made

    def many(self, kind: str, ids: Iterable[str]) -> Markup:
        # str.join of Markup parts, wrapped once: each part is already escaped
        return Markup(", ".join([self.one(kind, raw) for raw in ids]) or "—")

    def codes(self, ids: Iterable[str]) -> Markup:
        return Markup(", ".join(f"<code>{markup_text(raw)}</code>" for raw in ids) or "—")

    def any(self, raw: str) -> Markup:
        """Link an id of unknown kind (next-step refs) to whatever it names."""
        for kind in ("threat", "q", "cm", "el", "flow"):
            made = self._made.get((kind, raw))
            if made is not None and "<a " in made:
                return made
            if self.href(kind, raw):
                return self.one(kind, raw)
        return Markup(f"<code>{markup_text(raw)}</code>")

    def references(self, refs: Iterable[str]) -> Markup:
        """Framework references, each linked to its public page when there is one (in the workbench)."""
        parts = []
        for ref in refs:
            url = common.reference_url(ref) if self.external else None
            code = f"<code>{markup_text(ref)}</code>"
            parts.append(f'<a href="{markup_text(url)}" rel="noopener noreferrer">{code}</a>' if url else code)
        return Markup(", ".join(parts) or "—")

    def evaluation(self, row: ThreatEvaluation) -> Markup:
        target = self.href("cov", row.threat)
        word = "covered" if row.covered else '<span class="warn">NOT covered</span>'
        text = f'<a href="{markup_text(target)}">{word}</a>' if target else word
        return Markup(text + (f" by {self.many('cm', row.covered_by)}" if row.covered else ""))


def anchor_links(result: AnalysisResult, system: System) -> Links:
    """Links to the anchors of the report page; only to anchors that exist, so none dangles."""
    known = {
        "threat": frozenset(t.id for t in result.threats),
        "q": frozenset(q.id for q in result.open_questions),
        "cm": frozenset(c.id for c in result.countermeasures),
        "el": frozenset(system.element_by_id),
        "flow": frozenset(system.flow_by_id),
        "cov": frozenset(m.threat for m in result.evaluation.matrix),
        "rr": frozenset(e.threat for e in result.evaluation.residual_risks),
    }
    return Links(lambda kind, raw: f"#{anchor(kind, raw)}" if raw in known.get(kind, ()) else None)


def report_svgs(result: AnalysisResult, system: System) -> dict[str | None, str] | None:
    """The report's drawings: key None is the overview; for larger models, one more per top-level boundary.
    None when Graphviz is missing or the model is too large to draw."""
    return start_report_svgs(result, system).wait()


class ReportDrawings:
    """The report's drawings being drawn (see ``start_report_svgs``)."""

    def __init__(self, runs: dfd.Drawings | None) -> None:
        self._runs = runs

    def wait(self) -> dict[str | None, str] | None:
        """What ``report_svgs`` gives: None when the overview could not be drawn, else every drawing made."""
        drawn = self._runs.wait() if self._runs is not None else {None: None}
        if drawn[None] is None:
            return None
        return {key: drawing for key, drawing in drawn.items() if drawing is not None}

    def render_page(self, result: AnalysisResult, system: System) -> str:
        """``render_html(result, system, self.wait())``: the text of ``page_chunks``."""
        return b"".join(self.page_chunks(result, system)).decode("utf-8")

    @gc_paused()  # the page is built from many small acyclic objects; see dicetm.gcpause
    def page_chunks(self, result: AnalysisResult, system: System) -> list[bytes]:
        """``render_html(result, system, self.wait())`` in UTF-8 chunks (see ``report.chunks``), built while
        Graphviz draws: the page is made with a marker where each drawing goes, and the drawings replace the
        markers once made. If one failed, the page is made again from those that were made (rare: the page then
        shows what ``render_html`` would)."""
        if self._runs is None:
            return list(chunks.encoded(page_pieces(result, system, None)))
        keys = self._runs.keys()
        markers = {key: f"<!--dicetm-drawing-{index}-->" for index, key in enumerate(keys)}
        made = list(chunks.encoded(page_pieces(result, system, markers)))
        drawn = self._runs.wait()
        if any(drawn[key] is None for key in keys):
            return list(chunks.encoded(page_pieces(result, system, self.wait())))
        # Escaped model text never holds "<!--", so each marker is where a drawing goes; a marker lies in one
        # piece of the page, and so in one chunk.
        return [_DRAWING.sub(lambda marker: (drawn[keys[int(marker.group(1))]] or "").encode("utf-8"), chunk)
                if _DRAWING_START in chunk else chunk for chunk in made]

    def cancel(self) -> None:
        if self._runs is not None:
            self._runs.cancel()


def start_report_svgs(result: AnalysisResult, system: System) -> ReportDrawings:
    """Start drawing what ``report_svgs`` gives: Graphviz runs in the background, several drawings at once and
    alongside whatever the caller renders meanwhile."""
    known_zones = {b.id for b in system.trust_boundaries}

    def link(kind: str, raw: str) -> str | None:
        if kind == "zone":
            return f"#{anchor('dfd-part', raw)}" if raw in known_zones and collapsed else None
        return f"#{anchor(kind, raw)}" if kind in ("el", "flow") else None

    collapsed = len(system.elements) > PER_BOUNDARY_DRAWINGS and bool(system.trust_boundaries)
    if dfd.shutil.which("dot") is None or dfd.drawn_nodes(system, collapsed=collapsed) > dfd.MAX_DRAWN_NODES:
        return ReportDrawings(None)
    tops, busiest = _overview_zones(system, result) if collapsed else ([], [])
    # Past MAX_BOUNDARY_DRAWINGS boundaries the overview draws the same busiest ones, the rest as one box: every
    # box then opens a drawing of its own, and a reader sees a few dozen boxes instead of a tangle of hundreds.
    shown = {b.id for b in busiest} if len(busiest) < len(tops) else None
    sources: dict[str | None, str] = {None: dfd.dot(system, result, link=link, collapsed=collapsed, zones=shown)}
    for boundary in busiest:
        if dfd.drawn_nodes(system, focus=boundary.id) <= dfd.MAX_DRAWN_NODES:
            sources[boundary.id] = dfd.dot(system, result, link=link, focus=boundary.id,
                                           prefix=anchor("dfd", boundary.id))
    return ReportDrawings(dfd.Drawings(sources))


def _overview_zones(system: System, result: AnalysisResult) -> tuple[list[TrustBoundary], list[TrustBoundary]]:
    """The top-level boundaries, and those to draw one by one: all of them, or the MAX_BOUNDARY_DRAWINGS with the
    most open threats (in file order)."""
    tops = [b for b in system.trust_boundaries if b.parent is None]
    if len(tops) <= MAX_BOUNDARY_DRAWINGS:
        return tops, tops
    open_counts = dfd.open_threats_of(result)
    parent = {b.id: b.parent for b in system.trust_boundaries}

    def top_of(boundary_id: str) -> str:
        while parent.get(boundary_id) is not None:
            boundary_id = parent[boundary_id]  # type: ignore[assignment]
        return boundary_id

    load: dict[str, int] = {}
    for element_id, boundary_id in system.boundary_of.items():
        load[top_of(boundary_id)] = load.get(top_of(boundary_id), 0) + len(open_counts.get(element_id, ()))
    chosen = set(sorted(load, key=lambda b: -load[b])[:MAX_BOUNDARY_DRAWINGS])
    return tops, [b for b in tops if b.id in chosen]


@gc_paused()  # the page is built from many small acyclic objects; see dicetm.gcpause
def render_html(result: AnalysisResult, system: System, svg: str | dict[str | None, str] | None) -> str:
    """The full report as one HTML page.

    ``svg`` is the overview drawing from ``dfd.svg`` (inlined as is), or the drawings of ``report_svgs``, or None
    to show the Mermaid source instead.
    """
    return "".join(page_pieces(result, system, svg))


def page_pieces(result: AnalysisResult, system: System, svg: str | dict[str | None, str] | None) -> Iterator[str]:
    """The page of ``render_html`` in pieces: the long tables' rows are made as the pieces are taken."""
    drawings = {None: svg} if isinstance(svg, str) else svg
    threats = common.listed_threats(result)
    rejected = common.rejected_threats(result)
    opened = len(threats) <= OPEN_THREAT_CARDS
    links = anchor_links(result, system)
    open_by_element = dfd.open_threats_of(result)
    template = environment().get_template("report.html.j2")
    slots: list[views.Rows] = []

    def slot(rows: views.Rows) -> Markup:
        """A place for a long list, filled when the page is joined: the template stays small and fast."""
        slots.append(rows)
        return Markup(f"<!--dicetm-slot-{len(slots) - 1}-->")

    page = template.render(slot=slot,
        result=result, system=system, links=links, f=figures(result), drawings=drawings,
        boundaries={b.id: b for b in system.trust_boundaries},
        grouped=_grouped_zones(system, result, len(drawings or ())),
        mermaid=None if drawings else dfd.mermaid(system, result, open_by_element), csp=CSP,
        groups=views.cards_by_risk(threats, result, links, opened),
        listed=len(threats), rejected=rejected,
        waiting=sum(1 for t in threats if not common.is_decided(t.status)),
        open_cards=opened,
        long_rows=LONG_TABLE_ROWS, assisted=common.shows_assistance(result),
        element_rows=views.element_rows(system, open_by_element, links), flow_rows=views.flow_rows(system, links),
        cm_rows=views.countermeasure_rows(result.countermeasures, {c.id: c.provenance for c in system.controls},
                                          links),
        matrix_rows=views.matrix_rows(result, links), residual_rows=views.residual_rows(result, links),
        register_rows=views.register_rows(result, links), question_rows=views.question_rows(result, links),
        next_steps=views.next_step_items(result, links),
    )
    # Escaped model text never holds "<!--", so the markers split the page exactly where the slots are.
    pieces = _SLOT.split(page)
    return itertools.chain.from_iterable(
        (piece,) if index % 2 == 0 else _lines(slots[int(piece)].made) for index, piece in enumerate(pieces))


def _grouped_zones(system: System, result: AnalysisResult, drawings: int) -> tuple[int, int] | None:
    """When the overview (one of ``drawings``) drew only the busiest top-level boundaries: how many it drew, and
    how many it grouped."""
    if drawings <= 1:
        return None
    tops, busiest = _overview_zones(system, result)
    return (len(busiest), len(tops) - len(busiest)) if len(busiest) < len(tops) else None


def _lines(rows: Iterable[str]) -> Iterator[str]:
    for row in rows:
        yield row
        yield "\n"
