"""The Markdown report: one document walking through Describe, Identify, Countermeasures and Evaluate.

Model text is untrusted, and so is everything a document or an LLM supplied (drafts, proposals, supporting
text, excerpts, quotes). ``<`` and ``>`` are entity-encoded so a renderer that allows raw HTML cannot be made
to run markup; ``[`` and ``]`` are escaped so text cannot become a link or a remote image (``!``, ``(`` and
``)`` mean nothing without them); bare URLs are shown as inline code so GitHub-style renderers do not turn them
into links; backticks and ``|`` are escaped so text cannot open a code span or a table column; free text is
kept on one line, with a leading ``#``, ``>``, list or fence marker escaped, so it cannot open a block. Control
characters are shown as visible escapes (see ``dicetm.textsafe``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from dicetm import textsafe
from dicetm.model import (
    AnalysisResult,
    Countermeasure,
    Element,
    Flow,
    OpenQuestion,
    ResidualRiskEntry,
    System,
    Threat,
    ThreatEvaluation,
)
from dicetm.report import common
from dicetm.report.dfd import mermaid

# Mermaid refuses to draw beyond these sizes with its default settings.
_MERMAID_MAX_EDGES = 500
_MERMAID_MAX_TEXT = 50_000
_INLINE_ESCAPES = str.maketrans({"\\": "\\\\", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "`": "\\`",
                                 "|": "\\|"})
# A bare URL (or www. address) becomes inline code: code spans are never autolinked. It stops at characters that
# could end the span or the table cell, and at parentheses, which usually enclose it rather than belong to it.
_BARE_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>`|\\\[\]()]+")
# Backticks are escaped by ``text``, so a line can start with one only as the opening of a URL's code span.
_BLOCK_MARKER = re.compile(r"^([#>+*=_~|-])")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")


def _needs_work(value: str) -> bool:
    """Whether ``text`` would change ``value`` (plain substring tests: several times faster than a regex here,
    and most text in a large report needs no work)."""
    return ("\\" in value or "<" in value or ">" in value or "[" in value or "]" in value or "`" in value
            or "|" in value or "://" in value or ("." in value and "www." in value.lower()))


def _plain(value: str) -> bool:
    """True when ``value`` is one line of printable text with nothing to escape: it is shown as it is."""
    return value.isprintable() and not _needs_work(value)


def text(value: str) -> str:
    """Text placed after other content on a line: markup, links, code spans and escapes neutralised.

    Control characters become visible escapes (``\\x1b``); line breaks stay for the callers that fold them.
    """
    if not (value.isascii() and value.isprintable()):  # the common case skips the call
        value = textsafe.escape(value, keep="\n")
    if not _needs_work(value):
        return value
    if "://" not in value and "www." not in value.lower():  # no URL: escapes only, without the URL regex
        return value.translate(_INLINE_ESCAPES)
    parts = []
    start = 0
    for url in _BARE_URL.finditer(value):
        parts += [value[start:url.start()].translate(_INLINE_ESCAPES), f"`{url.group()}`"]
        start = url.end()
    if not parts:
        return value.translate(_INLINE_ESCAPES)
    parts.append(value[start:].translate(_INLINE_ESCAPES))
    return "".join(parts)


def inline(value: str) -> str:
    """Free text on one line, after other content."""
    return value if _plain(value) and "  " not in value and value == value.strip() else text(common.one_line(value))


def paragraph(value: str) -> str:
    """Text that starts a line: one line, and a leading character Markdown would read as syntax escaped."""
    line = inline(value)
    if line[:1] and line[0] not in "#>+*=_~|-" and not line[0].isdecimal():  # nothing a block starts with
        return line
    return _LIST_NUMBER.sub(r"\1\\\2", _BLOCK_MARKER.sub(r"\\\1", line))


def cell(value: str) -> str:
    """Text for a table cell: line breaks become ``<br>`` (``text`` already escapes the column separator)."""
    if _plain(value):
        return value
    lines = text(value).splitlines()
    return "<br>".join(line.strip() for line in lines) if len(lines) > 1 else "".join(lines)


@functools.lru_cache(maxsize=1 << 16)  # ids repeat across a large report's tables; a bounded cache
def code(value: str) -> str:
    """An id as inline code (backticks inside the id cannot close the span)."""
    if value.isprintable() and " " not in value and "`" not in value:  # an id as it usually is
        return f"`{value}`"
    return "`" + textsafe.escape(common.one_line(value)).replace("`", "'") + "`"


@functools.lru_cache(maxsize=1 << 16)
def code_cell(value: str) -> str:
    # A backslash or pipe cannot be escaped reliably in a code span inside a table: show such an id as text.
    if "\\" in value or "|" in value:
        return cell(value)
    return code(value)


def codes(values: Iterable[str], cell_safe: bool = False) -> str:
    render = code_cell if cell_safe else code
    return ", ".join([render(v) for v in values])


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A pipe table; cells must already be escaped with ``cell`` / ``code_cell``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    lines.append("")
    return lines


def _summary(result: AnalysisResult, system: System) -> list[str]:
    lines = [f"# Threat model: {inline(result.system_name)}", "",
             f"_{text(common.meta_line(result))}_", ""]
    if system.description:
        lines += [paragraph(system.description), ""]
    lines += ["## Summary", ""]
    rows = ([cell(label), cell(value)] for label, value in common.summary_rows(result))
    lines += table(["Figure", "Value"], rows)
    return lines


def _review(result: AnalysisResult) -> list[str]:
    lines = ["## Review status", ""]
    waiting = common.undecided_count(result)
    if waiting:
        lines += [f"**{waiting} of {len(result.threats)} threats await a decision by a person.** Unreviewed, "
                  "stale and needs-info threats are not accepted.", ""]
    elif result.threats:
        lines += ["Every threat has a decision by a named person.", ""]
    rows = ([cell(label), cell(value)] for label, value in common.review_rows(result))
    return lines + table(["Review", "Figure"], rows)


def _describe(result: AnalysisResult, system: System) -> list[str]:
    lines = ["## Describe", "", "### Elements", ""]
    lines += table(["Id", "Name", "Kind", "Boundary", "Key facts", "Source"],
                   (_element_row(e, system) for e in system.elements))
    lines += ["### Data flows", ""]
    lines += table(["Id", "From", "Dir.", "To", "Data", "Protocol", "Classification", "Authenticated",
                    "Encrypted", "Crosses boundary", "Source"], (_flow_row(f, system) for f in system.flows))
    lines += ["### Trust boundaries", ""]
    if system.trust_boundaries:
        lines += table(
            ["Id", "Name", "Inside", "Elements", "Source"],
            ([code_cell(b.id), cell(b.name), code_cell(b.parent) if b.parent else "—",
              codes(b.elements, cell_safe=True) or "—", cell(common.source_info_text(b.provenance))]
             for b in system.trust_boundaries),
        )
    else:
        lines += ["No trust boundaries are described.", ""]
    if system.assets:
        lines += ["### Assets", ""]
        lines += table(
            ["Id", "Name", "Classification", "Stored in"],
            ([code_cell(a.id), cell(a.name), cell(a.classification.value if a.classification else "—"),
              codes(a.stored_in, cell_safe=True) or "—"] for a in system.assets),
        )
    if system.assumptions:
        lines += ["### Assumptions", ""]
        lines += table(["Id", "Assumption", "Elements"],
                       ([code_cell(a.id), cell(a.text), codes(a.elements, cell_safe=True) or "—"]
                        for a in system.assumptions))
    lines += _diagram(result, system)
    lines += _questions(result.open_questions)
    return lines


def _element_row(element: Element, system: System) -> list[str]:
    zone = system.boundary_of.get(element.id)
    return [code_cell(element.id), cell(element.name), cell(common.kind_text(element)),
            code_cell(zone) if zone else "—", cell(", ".join(common.element_facts(element)) or "—"),
            cell(common.source_info_text(element.provenance))]


def _flow_row(flow: Flow, system: System) -> list[str]:
    return [code_cell(flow.id), code_cell(flow.source), "↔" if flow.bidirectional else "→",
            code_cell(flow.target), cell(flow.data or "—"), cell(flow.protocol or "—"),
            flow.classification.value if flow.classification else "—", common.yes_no(flow.authenticated),
            common.yes_no(flow.encrypted), common.yes_no(system.crosses_boundary(flow)),
            cell(common.source_info_text(flow.provenance))]


def _diagram(result: AnalysisResult, system: System) -> list[str]:
    source = mermaid(system, result)
    lines = ["### Data-flow diagram", ""]
    if len(system.flows) > _MERMAID_MAX_EDGES or len(source) > _MERMAID_MAX_TEXT:
        lines += ["_This diagram is larger than Mermaid draws with its default limits; "
                  "the source is still given for other tools._", ""]
    return [*lines, "```mermaid", source.rstrip("\n"), "```", ""]


def _questions(questions: list[OpenQuestion]) -> list[str]:
    lines = ["### Open questions", ""]
    if not questions:
        return [*lines, "None: every fact the rules ask about is stated.", ""]
    return lines + table(
        ["Id", "Question", "Why it matters", "Elements / flows"],
        ([code_cell(q.id), cell(q.question), cell(q.why),
          codes([*q.elements, *q.flows], cell_safe=True) or "—"] for q in questions),
    )


def _evaluation(row: ThreatEvaluation) -> str:
    coverage = f"covered by {codes(row.covered_by)}" if row.covered else "**NOT covered**"
    residual = common.score_text(row.residual_likelihood, row.residual_impact, row.residual_score,
                                 row.residual_risk)
    return f"{coverage}; residual risk {residual}"


def _threat(threat: Threat, evaluation: ThreatEvaluation | None) -> list[str]:
    lines = [f"### {code(threat.id)}: {inline(threat.title)} — "
             f"{text(common.status_label(threat.status))}", "",
             f"- **Review:** {_review_text(threat)}",
             f"- **Risk:** {common.threat_risk_text(threat)}"]
    if threat.tracker:
        lines.append(f"- **Tracked in:** {text(threat.tracker)}")
    found = common.original_text(threat)
    if found:
        lines.append(f"- **As found (before the modification):** {text(found)}")
    lines.append(f"- **Elements:** {codes(threat.elements) or '—'}")
    if threat.flows:
        lines.append(f"- **Flows:** {codes(threat.flows)}")
    lines += [f"- **STRIDE:** {text(common.stride_text(threat.stride)) or '—'}",
              f"- **References:** {codes(threat.references) or '—'}",
              f"- **Suggested controls:** {codes(threat.controls) or '—'}"]
    if evaluation is not None:
        lines.append(f"- **Evaluation:** {_evaluation(evaluation)}")
    lines += [f"- **Origin:** {inline(common.provenance_text(threat.provenance))}", ""]
    lines += [f"**Scenario.** {inline(threat.scenario)}", ""]
    scenario = common.original_scenario(threat)
    if scenario:
        lines += [f"**Scenario as found.** {inline(scenario)}", ""]
    if threat.supporting:
        lines += [f"- {inline(common.supporting_label(s))}: {inline(s.text)}" for s in threat.supporting]
        lines.append("")
    if threat.rationale:
        lines += [f"**Rationale.** {inline(threat.rationale)}", ""]
    if threat.factors:
        lines += ["**Factors:**", ""]
        lines += [f"- {f.delta:+d} {text(f.target)}: {code(f.fact)}: {inline(f.note)}"
                  for f in threat.factors]
        lines.append("")
    if threat.assumptions:
        lines += ["**Assumptions:**", ""]
        lines += [f"- {paragraph(a)}" for a in threat.assumptions]
        lines.append("")
    if threat.review_question:
        lines += [f"**Review question:** {inline(threat.review_question)}", ""]
    if threat.members:
        lines += [f"**Groups {len(threat.members)} findings:** {codes(threat.members)}", ""]
    if threat.folded:
        lines += [f"**Folded into this threat:** {codes(threat.folded)}", ""]
    return lines


def _review_text(threat: Threat) -> str:
    words = text(common.review_text(threat))
    return words if common.is_decided(threat.status) else f"**{words}**"


def _identify(result: AnalysisResult) -> list[str]:
    lines = ["## Identify", ""]
    threats = common.listed_threats(result)
    rejected = common.rejected_threats(result)
    if not threats and not rejected:
        return [*lines, "No threats were identified.", ""]
    waiting = sum(1 for t in threats if not common.is_decided(t.status))
    lines += [f"{len(threats)} threats, highest risk first ({waiting} without a decision by a person"
              + (f"; {common.rejected_note(len(rejected))}" if rejected else "") + ").", ""]
    by_threat = {m.threat: m for m in result.evaluation.matrix}
    for threat in threats:
        lines += _threat(threat, by_threat.get(threat.id))
    if rejected:
        lines += ["### Rejected threats", "",
                  "A person judged these not applicable; they need no countermeasure. The reason is theirs.", ""]
        lines += table(["Threat", "Title", "Risk", "Rejected by", "Reason"],
                       ([code_cell(t.id), cell(t.title), t.risk.value, cell(t.reviewer or "unknown"),
                         cell(t.review_reason or "no reason recorded")] for t in rejected))
    return lines


def _status_cell(countermeasure: Countermeasure) -> str:
    status = countermeasure.status.value
    if countermeasure.limited_to is not None:
        status += f" (only for {codes(countermeasure.limited_to, cell_safe=True)})"
    return status + (f"; tracked in {cell(countermeasure.tracker)}" if countermeasure.tracker else "")


def _countermeasures(countermeasures: list[Countermeasure], system: System) -> list[str]:
    lines = ["## Countermeasures", ""]
    if not countermeasures:
        return [*lines, "No countermeasures were suggested.", ""]
    drafted = {c.id: c.provenance for c in system.controls}
    return lines + table(
        ["Rank", "Id", "Name", "Status", "Owner", "Due", "Evidence", "Threats", "Origin"],
        ([str(c.rank), code_cell(c.id), cell(c.name), _status_cell(c), cell(c.owner or "unassigned"),
          cell(c.due or "—"), cell(common.evidence_text(c)), codes(c.threats, cell_safe=True),
          cell(common.countermeasure_origin_text(c, drafted.get(c.id)))]
         for c in common.countermeasures_by_rank(countermeasures)),
    )


def _by_status_cell(row: ThreatEvaluation) -> str:
    groups = common.status_groups(row.countermeasures_by_status)
    return "; ".join(f"{status}: {codes(ids, cell_safe=True)}" for status, ids in groups) or "none"


def _evaluate(result: AnalysisResult) -> list[str]:
    evaluation = result.evaluation
    lines = ["## Evaluate", "", "### Coverage", "",
             f"{evaluation.threats_covered} of {evaluation.threats_total} threats are covered "
             f"({evaluation.coverage_percent:.1f} %). Uncovered threats are listed first.", ""]
    origins = {t.id: common.origin_label(t.provenance) for t in result.threats}
    lines += table(
        ["Threat", "Inherent risk", "Covered", "Countermeasures by status", "Covered by", "Origin"],
        ([code_cell(m.threat), m.inherent_risk.value, "yes" if m.covered else "**NO**", _by_status_cell(m),
          codes(m.covered_by, cell_safe=True) or "—", cell(origins.get(m.threat, "—"))]
         for m in common.matrix_order(evaluation.matrix)),
    )
    lines += ["### Inherent and residual risk", ""]
    lines += table(
        ["Threat", "Inherent", "Residual", "How residual risk was computed"],
        ([code_cell(m.threat),
          common.score_text(m.inherent_likelihood, m.inherent_impact, m.inherent_score, m.inherent_risk),
          common.score_text(m.residual_likelihood, m.residual_impact, m.residual_score, m.residual_risk),
          cell(m.arithmetic)] for m in common.residual_order(evaluation.matrix)),
    )
    lines += ["### Residual-risk register", "",
              "An entry stays OPEN until a named owner has recorded a decision; OPEN is never accepted. A decision "
              "past its review-by date is EXPIRED and covers nothing until it is renewed.", ""]
    lines += table(
        ["Threat", "Residual risk", "Status", "Owner", "Decision", "Business impact", "Review by"],
        ([code_cell(e.threat), e.residual_risk.value, _residual_status(e),
          cell(e.owner or "unassigned"), e.decision.value if e.decision else "none",
          cell(common.business_impact_text(e) or "—"), cell(e.review_by or "—")]
         for e in common.register_order(evaluation.residual_risks)),
    )
    lines += ["### Next steps", ""]
    steps = sorted(evaluation.next_steps, key=lambda s: s.priority)
    if not steps:
        return [*lines, "Nothing is waiting.", ""]
    for number, step in enumerate(steps, start=1):
        refs = f" ({codes(step.refs)})" if step.refs else ""
        lines.append(f"{number}. [{text(step.kind)}] {inline(step.text)}{refs}")
    lines.append("")
    return lines


def _residual_status(entry: ResidualRiskEntry) -> str:
    status = common.residual_status_text(entry)
    return status if status == "decided" else f"**{status}**"


def _document_scan(result: AnalysisResult) -> list[str]:
    lines = ["## Document scan: withheld spans", ""]
    if not result.withheld:
        return [*lines, common.NO_SPAN_WITHHELD, ""]
    lines += [common.WITHHELD_INTRO, ""]
    return lines + table(common.WITHHELD_HEADER,
                         ([cell(value) for value in common.withheld_cells(s)]
                          for s in common.withheld_order(result.withheld)))


def _assistance(result: AnalysisResult) -> list[str]:
    lines = ["## LLM assistance", ""]
    if not result.llm_runs:
        return [*lines, "No assisted run is recorded.", ""]
    lines += [paragraph(common.runs_total_text(result.llm_runs)), ""]
    return lines + table(common.RUN_HEADER, ([cell(value) for value in common.run_cells(r)]
                                             for r in result.llm_runs))


def render_markdown(result: AnalysisResult, system: System) -> str:
    """The full report as Markdown. The same input always gives the same text (no dates, stable order)."""
    return "\n".join(markdown_lines(result, system)) + "\n"


def markdown_lines(result: AnalysisResult, system: System) -> list[str]:
    """The lines of ``render_markdown``, each to be followed by a line break (the last one ends with text)."""
    lines = [*_summary(result, system), *_review(result), *_describe(result, system), *_identify(result),
             *_countermeasures(result.countermeasures, system), *_evaluate(result)]
    if common.shows_assistance(result):
        lines += [*_assistance(result), *_document_scan(result)]
    while lines and not lines[-1].rstrip("\n"):  # the text ends with exactly one line break
        lines.pop()
    if lines:
        lines[-1] = lines[-1].rstrip("\n")
    return lines
