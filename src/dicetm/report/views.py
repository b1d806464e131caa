"""What the HTML templates show, prepared in Python: badges, threat cards and the rows of the long tables.

The report lists tens of thousands of threats for large models; calling helpers from inside a template costs
far more than reading prepared values, so each card and row is built here once (as plain text, or as Markup
already escaped) and the templates only place it. The workbench uses the same cards on its pages.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from dicetm.evidence_link import is_web_link, link_of
from dicetm.model import (
    AnalysisResult,
    Countermeasure,
    Element,
    NextStep,
    OpenQuestion,
    ResidualRiskEntry,
    RiskLevel,
    System,
    Threat,
    ThreatEvaluation,
)
from dicetm.model.system import SourceInfo
from dicetm.report import common
from dicetm.report.common import anchor
from dicetm.textsafe import lines as _safe_lines

STATUS_CLASSES = frozenset({"unreviewed", "stale", "needs-info", "accepted", "modified", "rejected"})
_WARN_NO = Markup('<span class="warn">no</span>')
_NOT_COVERED = Markup('<span class="warn">NO</span>')
_OPEN = Markup('<span class="badge open">OPEN</span>')


def escape(value: str) -> str:
    """Model text for HTML: markup escaped, and control characters shown as visible escapes (``\\x1b``)."""
    # Every character textsafe escapes is unprintable, so printable text (an em dash too) needs no call to it.
    return markup_text(value if value.isprintable() else _safe_lines(value))


def markup_text(value: str) -> str:
    """``html.escape(value)``, replacing only the characters that occur: most text has none, much an apostrophe."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "'" in value:
        value = value.replace("'", "&#x27;")
    return value



@functools.lru_cache(maxsize=512)
def risk_badge(level: str, text: str | None = None) -> Markup:
    return Markup('<span class="risk risk-%s">%s</span>') % (level, text or level)


@functools.lru_cache(maxsize=64)
def status_badge(status: str) -> Markup:
    known = status if status in STATUS_CLASSES else "unreviewed"
    return Markup('<span class="status st-%s">%s</span>') % (known, common.status_label(status))


def scored_badge(likelihood: int, impact: int, score: int, level: RiskLevel) -> Markup:
    return risk_badge(level.value, common.score_text(likelihood, impact, score, level))


@dataclass(frozen=True)
class Card:
    """One threat as a card: its summary line and its body, as escaped markup."""

    threat: Threat
    anchor: str
    level: str
    decided: bool
    summary: Markup
    body: Markup

    def details(self, opened: bool) -> Markup:
        """The whole collapsible card, as the report lists it."""
        undecided = "" if self.decided else " undecided"
        return Markup(f'<details class="threat lvl-{self.level}{undecided}" id="{escape(self.anchor)}"'
                      f'{" open" if opened else ""}>\n<summary>{self.summary}</summary>\n{self.body}</details>\n')


def _items(title: str, items: Iterable[str]) -> str:
    return f"<p><strong>{title}</strong></p><ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def card(threat: Threat, evaluation: ThreatEvaluation | None, links: object) -> Card:
    """The card of one threat; ``links`` is a ``report.html.Links`` (anchors in the report, pages in the web).

    Built with ``escape`` rather than a template: the report holds one card per threat, tens of thousands
    for large models, and every field of every card is escaped here exactly once."""
    level = threat.risk.value
    origin = common.origin(threat.provenance)
    summary = (f"{risk_badge(level, f'{level} {threat.score}')} {status_badge(threat.status)} "
               f"<code>{escape(threat.id)}</code> {escape(threat.title)}"
               + (f' <span class="badge">{escape(origin)}</span>' if origin != "rule" else ""))
    decided = common.is_decided(threat.status)
    review = escape(common.review_text(threat))
    many = links.many  # type: ignore[attr-defined]
    out = [f"<dl><dt>Review</dt><dd>{review if decided else f'<strong>{review}</strong>'}</dd>"
           f"<dt>Risk</dt><dd>{escape(common.threat_risk_text(threat))}</dd>"]
    found = common.original_text(threat)
    if found:
        out.append(f"<dt>As found</dt><dd>{escape(found)} (before the modification)</dd>")
    out.append(f"<dt>Elements</dt><dd>{many('el', threat.elements)}</dd>")
    if threat.flows:
        out.append(f"<dt>Flows</dt><dd>{many('flow', threat.flows)}</dd>")
    out.append(f"<dt>STRIDE</dt><dd>{escape(common.stride_text(threat.stride) or '—')}</dd>"
               f"<dt>References</dt><dd>{links.references(threat.references)}</dd>"  # type: ignore[attr-defined]
               f"<dt>Suggested controls</dt><dd>{many('cm', threat.controls)}</dd>")
    if evaluation is not None:
        residual = scored_badge(evaluation.residual_likelihood, evaluation.residual_impact,
                                evaluation.residual_score, evaluation.residual_risk)
        out.append(f"<dt>Evaluation</dt><dd>{links.evaluation(evaluation)}; residual risk {residual}</dd>")  # type: ignore[attr-defined]
    out.append(f"<dt>Origin</dt><dd>{escape(common.provenance_text(threat.provenance))}</dd></dl>"
               f"<p><strong>Scenario.</strong> {escape(threat.scenario)}</p>")
    scenario = common.original_scenario(threat)
    if scenario:
        out.append(f"<p><strong>Scenario as found.</strong> {escape(scenario)}</p>")
    for supporting in threat.supporting:
        out.append(f'<p class="untrusted"><strong>{escape(common.supporting_label(supporting))}:</strong> '
                   f"{escape(supporting.text)}</p>")
    if threat.rationale:
        out.append(f"<p><strong>Rationale.</strong> {escape(threat.rationale)}</p>")
    if threat.factors:
        out.append(_items("Factors", (f"{f.delta:+d} {escape(f.target)}: <code>{escape(f.fact)}</code>: "
                                      f"{escape(f.note)}" for f in threat.factors)))
    if threat.assumptions:
        out.append(_items("Assumptions", (escape(a) for a in threat.assumptions)))
    if threat.review_question:
        out.append(f"<p><strong>Review question:</strong> {escape(threat.review_question)}</p>")
    if threat.members:
        out.append(f"<p><strong>Groups {len(threat.members)} findings:</strong> {links.codes(threat.members)}</p>")  # type: ignore[attr-defined]
    if threat.folded:
        out.append(f"<p><strong>Folded into this threat:</strong> {links.codes(threat.folded)}</p>")  # type: ignore[attr-defined]
    return Card(threat, anchor("threat", threat.id), level, decided, Markup(summary), Markup("".join(out)))


def cards_by_risk(threats: Iterable[Threat], result: AnalysisResult, links: object,
                  opened: bool) -> list[tuple[str, Rows]]:
    """The cards grouped by risk level, highest first: (level, the cards of that level)."""
    by_threat = {m.threat: m for m in result.evaluation.matrix}
    groups: dict[str, list[Threat]] = {}
    for threat in threats:
        groups.setdefault(threat.risk.value, []).append(threat)
    return [(level.value, Rows((card(t, by_threat.get(t.id), links).details(opened) for t in groups[level.value]),
                               len(groups[level.value])))
            for level in common.RISK_DISPLAY_ORDER if level.value in groups]


# --- rows of the long tables: one escaped <tr> each ---------------------------------------------------------

class Rows:
    """The rows of one table (each an escaped ``<tr>``), made only when the page is joined (see
    ``html.render_html``), so a large model's rows are neither kept twice nor copied into Markup."""

    def __init__(self, made: Iterable[str], count: int) -> None:
        self.made = made
        self.count = count

    def __len__(self) -> int:
        return self.count


def _row(cells: Iterable[object], row_id: str | None = None) -> str:
    """A table row; str cells are escaped, Markup cells are placed as they are."""
    opened = f'<tr id="{escape(row_id)}">' if row_id else "<tr>"
    return opened + "".join([
        f"<td>{c}</td>" if isinstance(c, Markup) else f"<td>{escape(str(c))}</td>" for c in cells]) + "</tr>"


def _code(text: str) -> Markup:
    return Markup(f"<code>{escape(text)}</code>")


def _fact(value: bool | None) -> Markup | str:
    return _WARN_NO if value is False else common.yes_no(value)


def element_rows(system: System, open_by_element: dict[str, list[Threat]], links: object) -> Rows:
    many = links.many  # type: ignore[attr-defined]

    def row(element: Element) -> str:
        zone = system.boundary_of.get(element.id)
        found = open_by_element.get(element.id, [])
        opened = Markup(f"{len(found)}: {many('threat', [t.id for t in found])}") if found else "none"
        return _row((_code(element.id), element.name, common.kind_text(element), _code(zone) if zone else "—",
                     ", ".join(common.element_facts(element)) or "—", opened,
                     common.source_info_text(element.provenance)), anchor("el", element.id))

    return Rows(map(row, system.elements), len(system.elements))


def flow_rows(system: System, links: object) -> Rows:
    one = links.one  # type: ignore[attr-defined]
    return Rows((_row((_code(f.id), one("el", f.source), "↔" if f.bidirectional else "→", one("el", f.target),
                       f.data or "—", f.protocol or "—", f.classification.value if f.classification else "—",
                       _fact(f.authenticated), _fact(f.encrypted), common.yes_no(system.crosses_boundary(f)),
                       common.source_info_text(f.provenance)), anchor("flow", f.id)) for f in system.flows),
                len(system.flows))


def matrix_rows(result: AnalysisResult, links: object) -> Rows:
    origins = {t.id: common.origin_label(t.provenance) for t in result.threats}
    one, many = links.one, links.many  # type: ignore[attr-defined]

    def row(m: ThreatEvaluation) -> str:
        groups = common.status_groups(m.countermeasures_by_status)
        by_status = Markup("; ".join(f"{escape(status)}: {many('cm', ids)}" for status, ids in groups) or "none")
        return _row((one("threat", m.threat), risk_badge(m.inherent_risk.value), "yes" if m.covered else _NOT_COVERED,
                     by_status, many("cm", m.covered_by), origins.get(m.threat, "—")), anchor("cov", m.threat))

    matrix = common.matrix_order(result.evaluation.matrix)
    return Rows(map(row, matrix), len(matrix))


def residual_rows(result: AnalysisResult, links: object) -> Rows:
    one = links.one  # type: ignore[attr-defined]
    matrix = common.residual_order(result.evaluation.matrix)
    return Rows((_row((one("threat", m.threat),
                       scored_badge(m.inherent_likelihood, m.inherent_impact, m.inherent_score, m.inherent_risk),
                       scored_badge(m.residual_likelihood, m.residual_impact, m.residual_score, m.residual_risk),
                       m.arithmetic)) for m in matrix), len(matrix))


def register_rows(result: AnalysisResult, links: object) -> Rows:
    one = links.one  # type: ignore[attr-defined]
    entries = common.register_order(result.evaluation.residual_risks)
    return Rows((_row((one("threat", e.threat), risk_badge(e.residual_risk.value), _residual_status(e),
                       e.owner or "unassigned", e.decision.value if e.decision else "none",
                       common.business_impact_text(e) or "—", e.review_by or "—"), anchor("rr", e.threat))
                 for e in entries), len(entries))


def next_step_items(result: AnalysisResult, links: object) -> Rows:
    """The next steps as list items, most urgent first, each with links to what it is about."""
    linked = links.any  # type: ignore[attr-defined]

    def item(step: NextStep) -> str:
        refs = f" ({', '.join([linked(r) for r in step.refs])})" if step.refs else ""
        return f'<li><span class="badge">{escape(step.kind)}</span> {escape(step.text)}{refs}</li>'

    steps = sorted(result.evaluation.next_steps, key=lambda s: s.priority)
    return Rows(map(item, steps), len(steps))


def question_rows(result: AnalysisResult, links: object) -> Rows:
    one = links.one  # type: ignore[attr-defined]

    def row(q: OpenQuestion) -> str:
        about = ", ".join([*(one("el", e) for e in q.elements), *(one("flow", f) for f in q.flows)]) or "—"
        return _row((_code(q.id), q.question, q.why, Markup(about)), anchor("q", q.id))

    return Rows(map(row, result.open_questions), len(result.open_questions))


def _evidence(countermeasure: Countermeasure) -> str:
    """The evidence text; an http(s) link that counts is also a link (it opens outside the report)."""
    text = escape(common.evidence_text(countermeasure))
    if countermeasure.evidence is None or not is_web_link(countermeasure.evidence):
        return text
    return f'<a href="{escape(link_of(countermeasure.evidence))}" rel="noopener noreferrer nofollow">{text}</a>'


def _residual_status(entry: ResidualRiskEntry) -> Markup | str:
    status = common.residual_status_text(entry)
    return "decided" if status == "decided" else Markup(f'<span class="badge open">{escape(status)}</span>')


def countermeasure_rows(countermeasures: list[Countermeasure], drafted: dict[str, SourceInfo | None],
                        links: object) -> Rows:
    many = links.many  # type: ignore[attr-defined]

    def row(cm: Countermeasure) -> str:
        status = f'<span class="badge">{escape(cm.status.value)}</span>'
        if cm.limited_to is not None:
            status += f"<br>only for {many('threat', cm.limited_to)}"
        if cm.evidence:
            status += f"<br>evidence: {_evidence(cm)}"
        name = Markup(f'{escape(cm.name)}<br><span class="note">{escape(cm.description)}</span>')
        return _row((str(cm.rank), _code(cm.id), name, Markup(status), cm.owner or "unassigned", cm.due or "—",
                     many("threat", cm.threats), common.countermeasure_origin_text(cm, drafted.get(cm.id))),
                    anchor("cm", cm.id))

    ranked = common.countermeasures_by_rank(countermeasures)
    return Rows(map(row, ranked), len(ranked))


__all__ = ["Card", "card", "cards_by_risk", "countermeasure_rows", "element_rows", "flow_rows", "matrix_rows",
           "register_rows", "residual_rows", "risk_badge", "scored_badge", "status_badge"]
