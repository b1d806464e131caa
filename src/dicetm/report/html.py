"""The HTML report: one self-contained page (inline CSS, no scripts, nothing fetched from a network).

Every piece of model text goes through ``escape`` (control characters made visible, then ``html.escape``); a
Content-Security-Policy that forbids scripts and remote loads is a second line of defence. The page is built by
appending strings to one list and joining once, so it stays fast for models with tens of thousands of threats.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from dicetm.evidence_link import is_web_link, link_of
from dicetm.gcpause import gc_paused
from dicetm.model import (
    AnalysisResult,
    Countermeasure,
    Element,
    Flow,
    OpenQuestion,
    ResidualRiskEntry,
    RiskLevel,
    System,
    Threat,
    ThreatEvaluation,
)
from dicetm.model.system import SourceInfo
from dicetm.report import common
from dicetm.report.dfd import mermaid
from dicetm.textsafe import lines as _safe_lines

# Tables longer than this start collapsed; threat cards start collapsed when there are more than this.
LONG_TABLE_ROWS = 200
OPEN_THREAT_CARDS = 100

_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9.:@-]")


def escape(value: str) -> str:
    """Model text for HTML: markup escaped, and control characters shown as visible escapes (``\\x1b``)."""
    if not (value.isascii() and value.isprintable()):  # checked here too: this runs for every cell of the page
        value = _safe_lines(value)
    return html.escape(value)

_CSS = """
:root{--crit:#b91c1c;--high:#c2410c;--med:#ca8a04;--low:#15803d;--line:#d1d5db;--muted:#6b7280}
*{box-sizing:border-box}
body{margin:0;color:#111827;background:#fff;
 font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,nav,main{max-width:1280px;margin:0 auto;padding:0 1.25rem}
header{padding-top:1rem}
h1{margin:.2rem 0;font-size:1.6rem}
h2{margin-top:2rem;padding-bottom:.2rem;border-bottom:2px solid #111827}
h3{margin-top:1.5rem}
.meta,.note{color:var(--muted)}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:.4rem 1.25rem;z-index:1}
nav a{margin-right:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}
tr:target,details:target{outline:3px solid #2563eb}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
td code{white-space:nowrap}
pre{background:#f9fafb;border:1px solid var(--line);padding:.5rem;overflow:auto;max-height:40rem}
summary{cursor:pointer}
.risk,.badge{display:inline-block;padding:0 .45rem;border-radius:3px;font-size:12px;font-weight:600}
.risk{color:#fff}
.risk-critical{background:var(--crit)}
.risk-high{background:var(--high)}
.risk-medium{background:var(--med);color:#111827}
.risk-low{background:var(--low)}
.badge{border:1px solid var(--line);background:#f9fafb}
.open{border-color:var(--crit);color:var(--crit)}
.warn{color:var(--crit);font-weight:600}
.status{display:inline-block;padding:0 .45rem;border-radius:3px;font-size:12px;font-weight:700;border:1px solid}
.st-unreviewed{color:var(--crit);background:#fef2f2;border-style:dashed}
.st-stale{color:#7c2d12;background:#ffedd5;border-style:dashed}
.st-needs-info{color:#1e3a8a;background:#dbeafe;border-style:dashed}
.st-accepted{color:var(--low);background:#f0fdf4}
.st-modified{color:#1e40af;background:#eff6ff}
.st-rejected{color:var(--muted);background:#f9fafb}
details.undecided{border-style:dashed;background:#fffbfb}
details.threat{border:1px solid var(--line);border-left:6px solid var(--muted);
 margin:.6rem 0;padding:.4rem .8rem}
details.threat>summary{font-weight:600}
details.threat p{white-space:pre-line}
details.lvl-critical{border-left-color:var(--crit)}
details.lvl-high{border-left-color:var(--high)}
details.lvl-medium{border-left-color:var(--med)}
details.lvl-low{border-left-color:var(--low)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}
dt{font-weight:600;color:#374151}
dd{margin:0}
.dfd{overflow:auto;border:1px solid var(--line);padding:.5rem}
.dfd svg{max-width:100%;height:auto}
.untrusted{border-left:3px dashed var(--high);padding-left:.5rem}
@media print{nav{display:none}details>summary{list-style:none}}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_NOT_COVERED = '<span class="warn">NO</span>'
_NOT_COVERED_TEXT = '<span class="warn">NOT covered</span>'
_STATUS_CLASSES = frozenset({"unreviewed", "stale", "needs-info", "accepted", "modified", "rejected"})


def anchor(prefix: str, raw: str) -> str:
    """A fragment id for a model id: readable when the id is plain, and distinct ids never collide."""
    return prefix + "-" + _ANCHOR_UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", raw)


class _Links:
    """The anchors that exist on the page, and links to them. Links are only made to anchors that exist,
    so none dangles; each one is built once because the same ids are linked from many rows."""

    def __init__(self, result: AnalysisResult, system: System) -> None:
        self._known: dict[str, frozenset[str]] = {
            "threat": frozenset(t.id for t in result.threats),
            "q": frozenset(q.id for q in result.open_questions),
            "cm": frozenset(c.id for c in result.countermeasures),
            "el": frozenset(system.element_by_id),
            "flow": frozenset(system.flow_by_id),
        }
        self._made: dict[tuple[str, str], str] = {}

    def one(self, prefix: str, raw: str) -> str:
        key = (prefix, raw)
        made = self._made.get(key)
        if made is None:
            label = _code(raw)
            made = f'<a href="#{anchor(prefix, raw)}">{label}</a>' if raw in self._known[prefix] else label
            self._made[key] = made
        return made

    def many(self, prefix: str, ids: Iterable[str]) -> str:
        return ", ".join(self.one(prefix, raw) for raw in ids) or "—"

    def any(self, raw: str) -> str:
        """Link an id of unknown kind (next-step refs) to whatever it names on the page."""
        for prefix, known in self._known.items():
            if raw in known:
                return self.one(prefix, raw)
        return _code(raw)


def _code(raw: str) -> str:
    return f"<code>{escape(raw)}</code>"


def _codes(ids: Iterable[str]) -> str:
    return ", ".join(_code(raw) for raw in ids) or "—"


def _risk(level: RiskLevel, text: str | None = None) -> str:
    return f'<span class="risk risk-{level.value}">{escape(text or level.value)}</span>'


def _scored(likelihood: int, impact: int, score: int, level: RiskLevel) -> str:
    return _risk(level, common.score_text(likelihood, impact, score, level))


def _table(out: list[str], header: list[str], rows: list[str], what: str) -> None:
    """Append a table; long ones are wrapped in a closed <details> so the page opens quickly."""
    head = "<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr></thead><tbody>"
    if len(rows) > LONG_TABLE_ROWS:
        out.append(f"<details><summary>Show all {len(rows)} {escape(what)}</summary>")
    out.append(head + "\n")
    out.append("\n".join(rows))
    out.append("\n</tbody></table>\n")
    if len(rows) > LONG_TABLE_ROWS:
        out.append("</details>\n")


def _summary(out: list[str], result: AnalysisResult) -> None:
    out.append('<section id="summary"><h2>Summary</h2><table><tbody>')
    for label, value in common.summary_rows(result):
        out.append(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>")
    out.append("</tbody></table></section>\n")


def _status(status: str) -> str:
    """A review-status badge; statuses that are not decisions get a dashed, warning-coloured one."""
    known = status if status in _STATUS_CLASSES else "unreviewed"
    return f'<span class="status st-{known}">{escape(common.status_label(status))}</span>'


def _review(out: list[str], result: AnalysisResult) -> None:
    out.append('<section id="review"><h2>Review status</h2>')
    waiting = common.undecided_count(result)
    if waiting:
        out.append(f'<p class="warn">{waiting} of {len(result.threats)} threats await a decision by a person. '
                   f'{_status("unreviewed")}, {_status("stale")} and {_status("needs-info")} threats are not '
                   "accepted.</p>")
    elif result.threats:
        out.append("<p>Every threat has a decision by a named person.</p>")
    out.append("<table><tbody>")
    for label, value in common.review_rows(result):
        out.append(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>")
    out.append("</tbody></table></section>\n")


def _describe(out: list[str], result: AnalysisResult, system: System, svg: str | None, to: _Links) -> None:
    out.append('<section id="describe"><h2>Describe</h2><h3>Elements</h3>')
    rows = [_element_row(e, system) for e in system.elements]
    _table(out, ["Id", "Name", "Kind", "Boundary", "Key facts", "Source"], rows, "elements")
    out.append("<h3>Data flows</h3>")
    rows = [_flow_row(f, system, to) for f in system.flows]
    _table(out, ["Id", "From", "Dir.", "To", "Data", "Protocol", "Classification", "Authenticated",
                 "Encrypted", "Crosses boundary", "Source"], rows, "flows")
    out.append("<h3>Trust boundaries</h3>")
    if system.trust_boundaries:
        rows = [
            f"<tr><td><code>{escape(b.id)}</code></td><td>{escape(b.name)}</td>"
            f"<td>{_code(b.parent) if b.parent else '—'}</td>"
            f"<td>{to.many('el', b.elements)}</td><td>{escape(common.source_info_text(b.provenance))}</td></tr>"
            for b in system.trust_boundaries
        ]
        _table(out, ["Id", "Name", "Inside", "Elements", "Source"], rows, "trust boundaries")
    else:
        out.append("<p>No trust boundaries are described.</p>")
    if system.assets:
        out.append("<h3>Assets</h3>")
        rows = [
            f"<tr><td><code>{escape(a.id)}</code></td><td>{escape(a.name)}</td>"
            f"<td>{a.classification.value if a.classification else '—'}</td>"
            f"<td>{to.many('el', a.stored_in)}</td></tr>"
            for a in system.assets
        ]
        _table(out, ["Id", "Name", "Classification", "Stored in"], rows, "assets")
    if system.assumptions:
        out.append("<h3>Assumptions</h3>")
        rows = [
            f"<tr><td><code>{escape(a.id)}</code></td><td>{escape(a.text)}</td>"
            f"<td>{to.many('el', a.elements)}</td></tr>"
            for a in system.assumptions
        ]
        _table(out, ["Id", "Assumption", "Elements"], rows, "assumptions")
    _diagram(out, result, system, svg)
    _questions(out, result, to)
    out.append("</section>\n")


def _element_row(element: Element, system: System) -> str:
    zone = system.boundary_of.get(element.id)
    return (
        f'<tr id="{anchor("el", element.id)}"><td><code>{escape(element.id)}</code></td>'
        f"<td>{escape(element.name)}</td><td>{escape(common.kind_text(element))}</td>"
        f"<td>{_code(zone) if zone else '—'}</td>"
        f"<td>{escape(', '.join(common.element_facts(element))) or '—'}</td>"
        f"<td>{escape(common.source_info_text(element.provenance))}</td></tr>"
    )


def _flow_row(flow: Flow, system: System, to: _Links) -> str:
    return (
        f'<tr id="{anchor("flow", flow.id)}"><td><code>{escape(flow.id)}</code></td>'
        f"<td>{to.one('el', flow.source)}</td><td>{'↔' if flow.bidirectional else '→'}</td>"
        f"<td>{to.one('el', flow.target)}</td><td>{escape(flow.data or '—')}</td>"
        f"<td>{escape(flow.protocol or '—')}</td>"
        f"<td>{flow.classification.value if flow.classification else '—'}</td>"
        f"<td>{_fact_cell(flow.authenticated)}</td><td>{_fact_cell(flow.encrypted)}</td>"
        f"<td>{common.yes_no(system.crosses_boundary(flow))}</td>"
        f"<td>{escape(common.source_info_text(flow.provenance))}</td></tr>"
    )


def _fact_cell(value: bool | None) -> str:
    text = common.yes_no(value)
    return f'<span class="warn">{text}</span>' if value is False else text


def _diagram(out: list[str], result: AnalysisResult, system: System, svg: str | None) -> None:
    out.append('<h3 id="dfd">Data-flow diagram</h3>')
    if svg is not None:
        # ``svg`` comes from dfd.svg(), which draws only escaped labels; it is inlined as markup on purpose.
        out.append(f'<div class="dfd">{svg}</div>')
        return
    source = mermaid(system, result.threats)
    out.append('<p class="note">No picture: Graphviz (<code>dot</code>) was not found, or the model is '
               "too large to draw. The Mermaid source of the diagram follows; paste it into any Mermaid "
               "viewer.</p>")
    if len(system.elements) + len(system.flows) > LONG_TABLE_ROWS:
        out.append("<details><summary>Show the Mermaid source</summary>")
        out.append(f"<pre>{escape(source)}</pre></details>")
    else:
        out.append(f"<pre>{escape(source)}</pre>")


def _questions(out: list[str], result: AnalysisResult, to: _Links) -> None:
    out.append('<h3 id="questions">Open questions</h3>')
    if not result.open_questions:
        out.append("<p>None: every fact the rules ask about is stated.</p>")
        return
    rows = [
        f'<tr id="{anchor("q", q.id)}"><td><code>{escape(q.id)}</code></td><td>{escape(q.question)}</td>'
        f"<td>{escape(q.why)}</td><td>{_question_targets(q, to)}</td></tr>"
        for q in result.open_questions
    ]
    _table(out, ["Id", "Question", "Why it matters", "Elements / flows"], rows, "open questions")


def _question_targets(question: OpenQuestion, to: _Links) -> str:
    parts = [to.one("el", e) for e in question.elements] + [to.one("flow", f) for f in question.flows]
    return ", ".join(parts) or "—"


def _list_items(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _threat(
    out: list[str], threat: Threat, evaluation: ThreatEvaluation | None, to: _Links, opened: bool
) -> None:
    level = threat.risk
    undecided = "" if common.is_decided(threat.status) else " undecided"
    review = escape(common.review_text(threat))
    out.append(
        f'<details class="threat lvl-{level.value}{undecided}" id="{anchor("threat", threat.id)}"'
        f'{" open" if opened else ""}>'
        f"<summary>{_risk(level, f'{level.value} {threat.score}')} {_status(threat.status)} "
        f"<code>{escape(threat.id)}</code> {escape(threat.title)}{_origin_badge(threat)}</summary><dl>"
        f"<dt>Review</dt><dd>{f'<strong>{review}</strong>' if undecided else review}</dd>"
        f"<dt>Risk</dt><dd>{escape(common.threat_risk_text(threat))}</dd>"
    )
    found = common.original_text(threat)
    if found:
        out.append(f"<dt>As found</dt><dd>{escape(found)} (before the modification)</dd>")
    out.append(f"<dt>Elements</dt><dd>{to.many('el', threat.elements)}</dd>")
    if threat.flows:
        out.append(f"<dt>Flows</dt><dd>{to.many('flow', threat.flows)}</dd>")
    out.append(
        f"<dt>STRIDE</dt><dd>{escape(common.stride_text(threat.stride)) or '—'}</dd>"
        f"<dt>References</dt><dd>{_codes(threat.references)}</dd>"
        f"<dt>Suggested controls</dt><dd>{to.many('cm', threat.controls)}</dd>"
    )
    if evaluation is not None:
        out.append(f"<dt>Evaluation</dt><dd>{_evaluation(evaluation, to)}</dd>")
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
        out.append("<p><strong>Factors</strong></p>" + _list_items(
            f"{f.delta:+d} {escape(f.target)}: <code>{escape(f.fact)}</code>: {escape(f.note)}"
            for f in threat.factors
        ))
    if threat.assumptions:
        out.append("<p><strong>Assumptions</strong></p>" + _list_items(escape(a) for a in threat.assumptions))
    if threat.review_question:
        out.append(f"<p><strong>Review question:</strong> {escape(threat.review_question)}</p>")
    if threat.members:
        out.append(f"<p><strong>Groups {len(threat.members)} findings:</strong> {_codes(threat.members)}</p>")
    if threat.folded:
        out.append(f"<p><strong>Folded into this threat:</strong> {_codes(threat.folded)}</p>")
    out.append("</details>\n")


def _origin_badge(threat: Threat) -> str:
    """Threats that are not rule findings say so in their title line (the Origin entry gives the detail)."""
    kind = common.origin(threat.provenance)
    return "" if kind == "rule" else f' <span class="badge">{escape(kind)}</span>'


def _evaluation(row: ThreatEvaluation, to: _Links) -> str:
    coverage = f'<a href="#{anchor("cov", row.threat)}">{"covered" if row.covered else _NOT_COVERED_TEXT}</a>'
    if row.covered:
        coverage += f" by {to.many('cm', row.covered_by)}"
    residual = _scored(row.residual_likelihood, row.residual_impact, row.residual_score, row.residual_risk)
    return f"{coverage}; residual risk {residual}"


def _identify(out: list[str], result: AnalysisResult, to: _Links) -> None:
    out.append('<section id="identify"><h2>Identify</h2>')
    threats = common.listed_threats(result)
    rejected = common.rejected_threats(result)
    if not threats and not rejected:
        out.append("<p>No threats were identified.</p></section>\n")
        return
    opened = len(threats) <= OPEN_THREAT_CARDS
    waiting = sum(1 for t in threats if not common.is_decided(t.status))
    later = f'; <a href="#rejected">{escape(common.rejected_note(len(rejected)))}</a>' if rejected else ""
    out.append(f"<p>{len(threats)} threats, highest risk first ({waiting} without a decision by a person{later})."
               f"{'' if opened else ' Click a threat to open it.'}</p>")
    by_threat = {m.threat: m for m in result.evaluation.matrix}
    for threat in threats:
        _threat(out, threat, by_threat.get(threat.id), to, opened)
    if rejected:
        _rejected(out, rejected)
    out.append("</section>\n")


def _rejected(out: list[str], rejected: list[Threat]) -> None:
    out.append('<h3 id="rejected">Rejected threats</h3><p>A person judged these not applicable; they need no '
               "countermeasure. The reason is theirs.</p>")
    rows = [
        f'<tr id="{anchor("threat", t.id)}"><td><code>{escape(t.id)}</code></td><td>{escape(t.title)}</td>'
        f"<td>{_risk(t.risk)}</td><td>{_status(t.status)} {escape(t.reviewer or 'unknown')}</td>"
        f"<td>{escape(t.review_reason or 'no reason recorded')}</td></tr>"
        for t in rejected
    ]
    _table(out, ["Threat", "Title", "Risk", "Rejected by", "Reason"], rows, "rejected threats")


def _countermeasure_row(c: Countermeasure, to: _Links, drafted: dict[str, SourceInfo | None]) -> str:
    return (
        f'<tr id="{anchor("cm", c.id)}"><td>{c.rank}</td><td><code>{escape(c.id)}</code></td>'
        f"<td>{escape(c.name)}<br><span class=\"note\">{escape(c.description)}</span></td>"
        f'<td><span class="badge">{escape(c.status.value)}</span>{_limited(c, to)}</td>'
        f'<td>{escape(c.owner or "unassigned")}</td>'
        f"<td>{escape(c.due or '—')}</td><td>{_evidence(c)}</td><td>{to.many('threat', c.threats)}</td>"
        f"<td>{escape(common.countermeasure_origin_text(c, drafted.get(c.id)))}</td></tr>"
    )


def _evidence(countermeasure: Countermeasure) -> str:
    """The evidence text; an http(s) link that counts is also a link (it opens outside the report)."""
    text = escape(common.evidence_text(countermeasure))
    if countermeasure.evidence is None or not is_web_link(countermeasure.evidence):
        return text
    href = escape(link_of(countermeasure.evidence))
    return f'<a href="{href}" rel="noopener noreferrer nofollow">{text}</a>'


def _limited(countermeasure: Countermeasure, to: _Links) -> str:
    if countermeasure.limited_to is None:
        return ""
    return f"<br>only for {to.many('threat', countermeasure.limited_to)}"


def _countermeasures(out: list[str], result: AnalysisResult, system: System, to: _Links) -> None:
    out.append('<section id="countermeasures"><h2>Countermeasures</h2>')
    if not result.countermeasures:
        out.append("<p>No countermeasures were suggested.</p></section>\n")
        return
    drafted = {c.id: c.provenance for c in system.controls}
    rows = [_countermeasure_row(c, to, drafted) for c in common.countermeasures_by_rank(result.countermeasures)]
    _table(out, ["Rank", "Id", "Name", "Status", "Owner", "Due", "Evidence", "Threats", "Origin"], rows,
           "countermeasures")
    out.append("</section>\n")


def _by_status(row: ThreatEvaluation, to: _Links) -> str:
    groups = common.status_groups(row.countermeasures_by_status)
    parts = [f"{escape(status)}: {to.many('cm', ids)}" for status, ids in groups]
    return "; ".join(parts) or "none"


def _evaluate(out: list[str], result: AnalysisResult, to: _Links) -> None:
    evaluation = result.evaluation
    out.append(
        '<section id="evaluate"><h2>Evaluate</h2><h3>Coverage</h3>'
        f"<p>{evaluation.threats_covered} of {evaluation.threats_total} threats are covered "
        f"({evaluation.coverage_percent:.1f} %). Uncovered threats are listed first.</p>"
    )
    origins = {t.id: escape(common.origin_label(t.provenance)) for t in result.threats}
    rows = [
        f'<tr id="{anchor("cov", m.threat)}"><td>{to.one("threat", m.threat)}</td>'
        f"<td>{_risk(m.inherent_risk)}</td>"
        f"<td>{'yes' if m.covered else _NOT_COVERED}</td><td>{_by_status(m, to)}</td>"
        f"<td>{to.many('cm', m.covered_by)}</td><td>{origins.get(m.threat, '—')}</td></tr>"
        for m in common.matrix_order(evaluation.matrix)
    ]
    _table(out, ["Threat", "Inherent risk", "Covered", "Countermeasures by status", "Covered by", "Origin"], rows,
           "rows of the coverage matrix")
    out.append("<h3>Inherent and residual risk</h3>")
    rows = [
        f"<tr><td>{to.one('threat', m.threat)}</td>"
        f"<td>{_scored(m.inherent_likelihood, m.inherent_impact, m.inherent_score, m.inherent_risk)}</td>"
        f"<td>{_scored(m.residual_likelihood, m.residual_impact, m.residual_score, m.residual_risk)}</td>"
        f"<td>{escape(m.arithmetic)}</td></tr>"
        for m in common.residual_order(evaluation.matrix)
    ]
    _table(out, ["Threat", "Inherent", "Residual", "How residual risk was computed"], rows, "threats")
    _register(out, result, to)
    _next_steps(out, result, to)
    out.append("</section>\n")


def _register(out: list[str], result: AnalysisResult, to: _Links) -> None:
    out.append('<h3 id="register">Residual-risk register</h3><p>An entry stays <span class="badge open">OPEN'
               "</span> until a named owner has recorded a decision; OPEN is never accepted. A decision past its "
               'review-by date is <span class="badge open">EXPIRED</span> and covers nothing until it is renewed.</p>')
    rows = [
        f'<tr id="{anchor("rr", e.threat)}"><td>{to.one("threat", e.threat)}</td>'
        f"<td>{_risk(e.residual_risk)}</td>"
        f"<td>{_residual_status(e)}</td>"
        f"<td>{escape(e.owner or 'unassigned')}</td><td>{e.decision.value if e.decision else 'none'}</td>"
        f"<td>{escape(common.business_impact_text(e) or '—')}</td><td>{escape(e.review_by or '—')}</td></tr>"
        for e in common.register_order(result.evaluation.residual_risks)
    ]
    header = ["Threat", "Residual risk", "Status", "Owner", "Decision", "Business impact", "Review by"]
    _table(out, header, rows, "residual-risk entries")


def _residual_status(entry: ResidualRiskEntry) -> str:
    status = common.residual_status_text(entry)
    return "decided" if status == "decided" else f'<span class="badge open">{escape(status)}</span>'


def _next_steps(out: list[str], result: AnalysisResult, to: _Links) -> None:
    out.append('<h3 id="next-steps">Next steps</h3>')
    steps = sorted(result.evaluation.next_steps, key=lambda s: s.priority)
    if not steps:
        out.append("<p>Nothing is waiting.</p>")
        return
    out.append("<ol>")
    for step in steps:
        refs = f" ({', '.join(to.any(r) for r in step.refs)})" if step.refs else ""
        out.append(f'<li><span class="badge">{escape(step.kind)}</span> {escape(step.text)}{refs}</li>')
    out.append("</ol>")


def _assistance(out: list[str], result: AnalysisResult) -> None:
    out.append('<section id="assistance"><h2>LLM assistance</h2>')
    if not result.llm_runs:
        out.append("<p>No assisted run is recorded.</p></section>\n")
        return
    out.append(f"<p>{escape(common.runs_total_text(result.llm_runs))}</p>")
    rows = ["<tr>" + "".join(f"<td>{escape(v)}</td>" for v in common.run_cells(r)) + "</tr>"
            for r in result.llm_runs]
    _table(out, list(common.RUN_HEADER), rows, "assisted runs")
    out.append("</section>\n")


def _document_scan(out: list[str], result: AnalysisResult) -> None:
    out.append('<section id="document-scan"><h2>Document scan: withheld spans</h2>')
    if not result.withheld:
        out.append(f"<p>{escape(common.NO_SPAN_WITHHELD)}</p></section>\n")
        return
    out.append(f"<p>{escape(common.WITHHELD_INTRO)}</p>")
    rows = ["<tr>" + "".join(f"<td>{escape(v)}</td>" for v in common.withheld_cells(s)) + "</tr>"
            for s in common.withheld_order(result.withheld)]
    _table(out, list(common.WITHHELD_HEADER), rows, "withheld spans")
    out.append("</section>\n")


@gc_paused()  # the page is built from many small acyclic objects; see dicetm.gcpause
def render_html(result: AnalysisResult, system: System, svg: str | None) -> str:
    """The full report as one HTML page.

    ``svg`` is the diagram from ``dfd.svg`` (inlined as is) or None to show the Mermaid source instead.
    """
    to = _Links(result, system)
    title = escape(f"Threat model: {common.one_line(result.system_name)}")
    out = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<header><h1>{title}</h1><p class="meta">{escape(common.meta_line(result))}</p>'
    ]
    if system.description:
        out.append(f"<p>{escape(system.description)}</p>")
    out.append('</header>\n<nav><a href="#summary">Summary</a><a href="#review">Review</a>'
               '<a href="#describe">Describe</a>'
               '<a href="#identify">Identify</a><a href="#countermeasures">Countermeasures</a>'
               '<a href="#evaluate">Evaluate</a>')
    assisted = common.shows_assistance(result)
    if assisted:
        out.append('<a href="#assistance">LLM assistance</a><a href="#document-scan">Document scan</a>')
    out.append("</nav>\n<main>\n")
    _summary(out, result)
    _review(out, result)
    _describe(out, result, system, svg, to)
    _identify(out, result, to)
    _countermeasures(out, result, system, to)
    _evaluate(out, result, to)
    if assisted:
        _assistance(out, result)
        _document_scan(out, result)
    out.append("\n</main>\n</body>\n</html>\n")
    return "".join(out)
