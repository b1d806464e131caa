"""Ordering and wording shared by the Markdown and HTML reports.

Both reports must list the same things in the same order with the same words, so the choices live
here once. Everything returns plain (unescaped) text; each renderer escapes for its own format.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from enum import Enum

from dicetm.evidence_link import link_problem
from dicetm.model import (
    AnalysisResult,
    Countermeasure,
    CountermeasureStatus,
    Element,
    Provenance,
    ResidualRiskEntry,
    ReviewSummary,
    RiskLevel,
    Threat,
    ThreatEvaluation,
    risk_level,
)
from dicetm.model.findings import RISK_ORDER, SupportingText
from dicetm.model.proposals import RunRecord, WithheldSpan
from dicetm.model.system import SourceInfo, SpanRef

RISK_DISPLAY_ORDER = (RiskLevel.critical, RiskLevel.high, RiskLevel.medium, RiskLevel.low)
STATUS_DISPLAY_ORDER = (
    CountermeasureStatus.implemented,
    CountermeasureStatus.accepted,
    CountermeasureStatus.planned,
    CountermeasureStatus.proposed,
    CountermeasureStatus.rejected,
)
# Element fields that are the element's identity (or where it came from) rather than a fact about it.
_NOT_FACTS = frozenset({"id", "name", "kind", "description", "provenance"})
FACT_FIELDS = tuple(name for name in Element.model_fields if name not in _NOT_FACTS)
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9.:@-]")


def anchor(prefix: str, raw: str) -> str:
    """A fragment id for a model id: readable when the id is plain, and distinct ids never collide."""
    return prefix + "-" + _ANCHOR_UNSAFE.sub(_anchor_code, raw)


def _anchor_code(match: re.Match[str]) -> str:
    return f"_{ord(match.group()):x}_"


def threats_by_risk(threats: Iterable[Threat]) -> list[Threat]:
    """Highest score first; ties by id. Score decides the level, so this is also level order."""
    return sorted(threats, key=lambda t: (-t.score, t.id))


def countermeasures_by_rank(countermeasures: Iterable[Countermeasure]) -> list[Countermeasure]:
    return sorted(countermeasures, key=lambda c: (c.rank, c.id))


def matrix_order(matrix: Iterable[ThreatEvaluation]) -> list[ThreatEvaluation]:
    """Uncovered threats first, then by inherent score (highest first), then id."""
    return sorted(matrix, key=lambda m: (m.covered, -m.inherent_score, m.threat))


def residual_order(matrix: Iterable[ThreatEvaluation]) -> list[ThreatEvaluation]:
    return sorted(matrix, key=lambda m: (-m.residual_score, -m.inherent_score, m.threat))


def register_order(entries: Iterable[ResidualRiskEntry]) -> list[ResidualRiskEntry]:
    """Open entries first (they need a person), then by residual risk, then threat id."""
    return sorted(entries, key=lambda e: (not e.open, -RISK_ORDER.get(e.residual_risk, 0), e.threat))


def score_text(likelihood: int, impact: int, score: int, level: RiskLevel) -> str:
    return f"{likelihood} × {impact} = {score} ({level.value})"


def threat_risk_text(threat: Threat) -> str:
    return f"{threat.risk.value} (likelihood {threat.likelihood} × impact {threat.impact} = {threat.score})"


@functools.cache
def _stride_names() -> dict[str, str]:
    from dicetm.catalog import load_catalog  # the catalogue is the one place STRIDE names are written

    return {entry.id: entry.name for entry in load_catalog().entries("stride")}


_URL_PATTERNS = {
    "cwe": "https://cwe.mitre.org/data/definitions/{number}.html",
    "atlas": "https://atlas.mitre.org/techniques/{id}",
}


@functools.cache
def reference_url(ref: str) -> str | None:
    """The public page of a framework reference (``owasp-llm:LLM01:2025``, ``cwe:CWE-79``...), when known."""
    from dicetm.catalog import load_catalog

    entry = load_catalog().get(ref)
    url = getattr(entry, "url", None)
    if url:
        return str(url)
    namespace, _, ident = ref.partition(":")
    pattern = _URL_PATTERNS.get(namespace)
    if pattern is None or not re.fullmatch(r"[A-Za-z0-9.-]+", ident):
        return None
    if namespace == "atlas" and ident.startswith("AML.M"):
        return f"https://atlas.mitre.org/mitigations/{ident}"
    return pattern.format(id=ident, number=ident.removeprefix("CWE-"))


def stride_text(letters: Iterable[str]) -> str:
    names = _stride_names()
    return ", ".join(f"{letter} ({names.get(letter, '?')})" for letter in letters)


def yes_no(value: bool | None) -> str:
    if value is None:
        return "unknown"
    return "yes" if value else "no"


def _fact_value(value: object) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list):
        return ", ".join(_fact_value(v) for v in value)
    return str(value)


def element_facts(element: Element) -> list[str]:
    """The facts the user has stated, as ``field=value``; unknown facts are left out."""
    values = element.__dict__  # a model's field values, read without getattr: this runs per element and fact field
    return [f"{name}={_fact_value(value)}" for name in FACT_FIELDS
            if (value := values[name]) is not None and value != []]


def kind_text(element: Element) -> str:
    return element.kind.value.replace("_", " ")


def status_groups(by_status: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """Countermeasure ids grouped by status, known statuses in a fixed order, others after by name."""
    known = [s.value for s in STATUS_DISPLAY_ORDER]
    order = [s for s in known if by_status.get(s)] + sorted(s for s in by_status if s not in known)
    return [(status, sorted(by_status[status])) for status in order if by_status[status]]


def risk_counts_text(by_risk: dict[str, int]) -> str:
    known = [level.value for level in RISK_DISPLAY_ORDER]
    keys = known + sorted(k for k in by_risk if k not in known)
    return ", ".join(f"{key} {by_risk.get(key, 0)}" for key in keys)


def summary_rows(result: AnalysisResult) -> list[tuple[str, str]]:
    """The headline figures, as (label, value) pairs, copied from the computed evaluation."""
    evaluation = result.evaluation
    open_risks = sum(1 for entry in evaluation.residual_risks if entry.open)
    statuses = Counter(c.status for c in result.countermeasures)
    status_text = ", ".join(f"{s.value} {statuses[s]}" for s in STATUS_DISPLAY_ORDER if statuses[s])
    return [
        ("Threats listed", f"{len(result.threats)} (from {result.raw_findings} raw rule findings, "
                           f"detail: {result.detail})"),
        ("By risk", risk_counts_text(evaluation.by_risk)),
        ("Coverage", f"{evaluation.threats_covered} of {evaluation.threats_total} threats covered "
                     f"({evaluation.coverage_percent:.1f} %)"),
        ("Uncovered threats", str(len(evaluation.uncovered))),
        ("Open questions", str(len(result.open_questions))),
        ("Countermeasures", f"{len(result.countermeasures)}" + (f" ({status_text})" if status_text else "")),
        ("Residual risks awaiting a decision (OPEN)", f"{open_risks} of {len(evaluation.residual_risks)}"),
    ]


def meta_line(result: AnalysisResult) -> str:
    parts = [f"dicetm {result.dicetm_version}", f"catalogue {result.catalog_version}",
             f"OWASP LLM Top 10 {result.owasp_llm_edition} ids listed first"]
    if result.source:
        parts.append(f"source {result.source}")
    return " · ".join(parts)


def one_line(text: str) -> str:
    """Collapse line breaks for places that cannot hold them (headings, labels)."""
    return " ".join(text.split())


# ------------------------------------------------------------------------------------------- review

# Statuses that are a person's decision. Everything else (unreviewed, stale, needs-info, or a status this
# version does not know) is shown as undecided and never as accepted.
DECIDED_STATUSES = frozenset({"accepted", "modified", "rejected"})
_STATUS_WORDS = {"needs-info": "NEEDS INFO"}


def is_decided(status: str) -> bool:
    return status in DECIDED_STATUSES


def status_label(status: str) -> str:
    """The marker shown beside a threat: UNREVIEWED, STALE, NEEDS INFO, ACCEPTED, MODIFIED, REJECTED."""
    return _STATUS_WORDS.get(status, status.upper().replace("-", " "))


def review_text(threat: Threat) -> str:
    """One sentence on where the review of ``threat`` stands and who decided."""
    by = f" by {threat.reviewer}" if threat.reviewer else ""
    reason = f": {one_line(threat.review_reason)}" if threat.review_reason else ""
    if threat.status == "unreviewed":
        return "UNREVIEWED: no person has decided on this threat yet; it is not accepted"
    if threat.status == "stale":
        return (f"STALE: the facts this threat rests on changed since the decision{by}; it needs a new decision "
                "and is not accepted until then")
    if threat.status == "needs-info":
        return f"NEEDS INFO: more information was asked for{by}{reason}; not accepted"
    if threat.status == "accepted":
        return f"accepted{by}{reason}"
    if threat.status == "modified":
        return f"modified{by}{reason}"
    if threat.status == "rejected":
        return f"rejected{by} as not applicable{reason}"
    return f"{status_label(threat.status)}: not a decision; not accepted"


def original_text(threat: Threat) -> str | None:
    """For a modified threat, the values as found: title and likelihood × impact (None when not modified)."""
    found = threat.original
    if not found:
        return None
    parts = []
    if found.get("title") is not None:
        parts.append(f"title “{one_line(str(found['title']))}”")
    likelihood, impact = found.get("likelihood"), found.get("impact")
    if isinstance(likelihood, int) and isinstance(impact, int):
        score = likelihood * impact
        parts.append(f"likelihood {likelihood} × impact {impact} = {score} ({risk_level(score).value})")
    return "; ".join(parts) or None


def original_scenario(threat: Threat) -> str | None:
    """The scenario as found, when a person changed it."""
    found = threat.original or {}
    scenario = found.get("scenario")
    return str(scenario) if scenario is not None and scenario != threat.scenario else None


def listed_threats(result: AnalysisResult) -> list[Threat]:
    """The threats shown as cards: all but the rejected ones, highest risk first."""
    return threats_by_risk(t for t in result.threats if t.status != "rejected")


def rejected_note(count: int) -> str:
    return f"{count} rejected threat is listed after them" if count == 1 else \
        f"{count} rejected threats are listed after them"


def rejected_threats(result: AnalysisResult) -> list[Threat]:
    return threats_by_risk(t for t in result.threats if t.status == "rejected")


def _review_summary(result: AnalysisResult) -> ReviewSummary:
    if result.evaluation.review is not None:
        return result.evaluation.review
    # A result without a review summary (built by hand, or by an older version): count from the threats.
    by_status = Counter(t.status for t in result.threats)
    reviewers = Counter(t.reviewer for t in result.threats if t.reviewer and is_decided(t.status))
    undecided = sum(n for status, n in by_status.items() if not is_decided(status))
    return ReviewSummary(
        by_status=dict(sorted(by_status.items())), unreviewed=by_status.get("unreviewed", 0),
        stale=by_status.get("stale", 0), needs_info=by_status.get("needs-info", 0),
        decided=len(result.threats) - undecided, reviewers=dict(sorted(reviewers.items())),
        countermeasures_by_status=dict(sorted(Counter(c.status.value for c in result.countermeasures).items())),
    )


def undecided_count(result: AnalysisResult) -> int:
    """Threats without a person's decision (unreviewed, stale, needs-info or any other non-decision)."""
    return sum(1 for t in result.threats if not is_decided(t.status))


def review_rows(result: AnalysisResult) -> list[tuple[str, str]]:
    """Where the human review stands, as (label, value) pairs. Undecided threats are never counted as accepted."""
    review = _review_summary(result)
    statuses = Counter(t.status for t in result.threats)
    decided = ", ".join(f"{s} {statuses[s]}" for s in ("accepted", "modified", "rejected") if statuses[s])
    others = sum(n for s, n in statuses.items()
                 if not is_decided(s) and s not in ("unreviewed", "stale", "needs-info"))
    people = ", ".join(f"{name} ({_count(n, 'decision')})" for name, n in review.reviewers.items())
    cms = review.countermeasures_by_status
    rows = [
        ("Unreviewed threats (not accepted)", str(statuses.get("unreviewed", 0))),
        ("Stale decisions (facts changed since; not accepted)", str(statuses.get("stale", 0))),
        ("Waiting for information (needs-info; not accepted)", str(statuses.get("needs-info", 0))),
    ]
    if others:
        rows.append(("Other undecided threats", str(others)))
    rows += [
        ("Decided by a person", f"{len(result.threats) - undecided_count(result)} of {len(result.threats)}"
                                + (f" ({decided})" if decided else "")),
        ("Decided by", people or "nobody yet"),
        ("Quick accepts flagged", str(review.quick_accepts_flagged)
         + (" (possible rubber-stamping: look at these decisions again)" if review.quick_accepts_flagged else "")),
        ("Countermeasures pending", f"{cms.get('proposed', 0)} proposed and awaiting a decision, "
                                    f"{cms.get('planned', 0)} planned but not yet implemented"),
    ]
    return rows


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


# --------------------------------------------------------------------------------- provenance and assistance

_PROMPT_HASH_SHOWN = 8  # enough to find the prompt in the cache or result.json, which hold the full sha256
_QUOTE_SHOWN = 80
_UNREVIEWED_PROPOSAL = "(proposal; unreviewed until a person decides)"


def origin(provenance: Provenance) -> str:
    """Where an item came from, in one word: "rule", "person", "import" or "model".

    A source this version does not recognise counts as "model": being shown as a proposal is the safe side,
    while "rule" or "person" would claim a trust nobody gave it.
    """
    source = provenance.source.strip().lower()
    if source in ("rule", "person"):
        return source
    if source == "import" or source.startswith("import:"):
        return "import"
    return "model"


def origin_label(provenance: Provenance) -> str:
    """The origin for a table column: the word, with the importer or the model named."""
    kind = origin(provenance)
    if kind == "model":
        return f"model {one_line(provenance.source)}"
    if kind == "import":
        return one_line(provenance.source)
    return kind


def short_hash(prompt_hash: str) -> str:
    return one_line(prompt_hash).removeprefix("sha256:")[:_PROMPT_HASH_SHOWN]


def provenance_text(provenance: Provenance) -> str:
    """Where an item came from, said plainly, e.g. ``rule T-LLM-001, catalogue 2025.1`` or
    ``model llm:openai/gpt-4o, prompt 1a2b3c4d (proposal; unreviewed until a person decides), from arch.md:12-14``.
    """
    kind = origin(provenance)
    detail = provenance.detail
    if kind == "rule":
        name = f"rule {provenance.rule}" if provenance.rule else "rule"
        if provenance.rule and detail and detail.startswith(f"{provenance.rule} "):  # "<rule id> <slug>"
            name, detail = f"rule {detail}", None
        parts = [name]
        if provenance.catalog_version:
            parts.append(f"catalogue {provenance.catalog_version}")
    elif kind == "model":
        parts = [f"model {provenance.source}"]
        if provenance.prompt_hash:
            parts.append(f"prompt {short_hash(provenance.prompt_hash)}")
        parts[-1] += f" {_UNREVIEWED_PROPOSAL}"
    else:
        parts = [provenance.source]
    if detail:
        parts.append(detail)
    if provenance.spans:
        parts.append("from " + ", ".join(provenance.spans))
    return one_line(", ".join(parts))


def span_text(file: str, line: int, end_line: int | None = None, page: int | None = None) -> str:
    """A document place as ``arch.md:12-14`` or ``spec.pdf:page 3:10``."""
    where = f"{file}:" + (f"page {page}:" if page else "") + str(line)
    return where + (f"-{end_line}" if end_line and end_line != line else "")


def _quote(value: str) -> str:
    words = one_line(value)
    return words if len(words) <= _QUOTE_SHOWN else words[:_QUOTE_SHOWN - 1].rstrip() + "…"


def span_ref_text(span: SpanRef) -> str:
    where = span_text(span.file, span.line, span.end_line, span.page)
    where += f" [flagged by the scan: {span.flagged}]" if span.flagged else ""
    return f"{where} (“{_quote(span.quote)}”)" if span.quote else where


def source_info_text(info: SourceInfo | None) -> str:
    """Who stated an element, flow or boundary: ``person`` when it carries no provenance, else e.g.
    ``draft (extract:openapi) from api.yaml:12``; ``confirmed (...)`` once a person has confirmed it."""
    if info is None:
        return "person"
    by = info.by + (f", prompt {short_hash(info.prompt_hash)}" if info.prompt_hash else "")
    text = f"{'draft' if info.draft else 'confirmed'} ({by})"
    if info.spans:
        text += " from " + ", ".join(span_ref_text(s) for s in info.spans)
    return one_line(text)


def countermeasure_origin_text(countermeasure: Countermeasure, drafted: SourceInfo | None = None) -> str:
    """Origin of a countermeasure: ``rule`` for catalogue controls the rules suggested; for a custom control its
    source, and how it was drafted when the model file records that (``drafted``)."""
    provenance = countermeasure.provenance
    if origin(provenance) == "rule":
        return "rule"
    text = provenance_text(provenance)
    return f"{text}; {source_info_text(drafted)}" if drafted is not None else text


def supporting_label(supporting: SupportingText) -> str:
    prompt = f", prompt {short_hash(supporting.prompt_hash)}" if supporting.prompt_hash else ""
    return one_line(f"Supporting text from {supporting.source}{prompt} (written by a model; untrusted, "
                    "not a finding of its own)")


def evidence_text(countermeasure: Countermeasure) -> str:
    """The evidence a person linked, with a note when it does not count; ``—`` when there is none."""
    if not countermeasure.evidence:
        return "—"
    problem = link_problem(countermeasure.evidence)
    if problem is None or countermeasure.status is not CountermeasureStatus.implemented:
        return countermeasure.evidence
    return f"{countermeasure.evidence} (not counted: {problem})"


def residual_status_text(entry: ResidualRiskEntry) -> str:
    """OPEN until owned; EXPIRED when the decision's review-by date passed or is missing; else decided."""
    if entry.open:
        return "OPEN"
    if entry.expired:
        return "EXPIRED" if entry.review_by else "EXPIRED (no review-by date)"
    return "decided"


def business_impact_text(entry: ResidualRiskEntry) -> str | None:
    """The confirmed business impact; else a model's draft, marked as not confirmed; None when there is neither."""
    if entry.business_impact:
        return entry.business_impact
    if entry.business_impact_draft:
        by = entry.draft_source or "a model"
        return f"draft by {by}, not confirmed: {entry.business_impact_draft}"
    return None


def shows_assistance(result: AnalysisResult) -> bool:
    """The LLM-assistance and document-scan sections appear only when a run or the scan left something."""
    return bool(result.llm_runs or result.withheld)


WITHHELD_HEADER = ("Where", "Category", "Severity", "Excerpt (untrusted document text)")
NO_SPAN_WITHHELD = "The document scan withheld no span from any prompt."
WITHHELD_INTRO = ("The injection scan flagged these document spans and kept them out of every prompt. The "
                  "excerpts are quoted from the documents; they are untrusted and shown as plain text.")


def withheld_order(spans: Iterable[WithheldSpan]) -> list[WithheldSpan]:
    return sorted(spans, key=lambda s: (s.file, s.page or 0, s.line, s.end_line or s.line, s.category))


def withheld_cells(span: WithheldSpan) -> list[str]:
    return [span_text(span.file, span.line, span.end_line, span.page), span.category, span.severity, span.excerpt]


RUN_HEADER = ("Command", "Provider / model", "At", "Calls", "Cache hits", "Tokens in / out", "Cost", "Kept",
              "Attached to rule findings", "Dropped", "Warnings")


def cost_text(cost_usd: float | None) -> str:
    return "unknown" if cost_usd is None else f"{cost_usd:.4f} USD"


def run_cells(run: RunRecord) -> list[str]:
    dropped = (f"invented ids {run.dropped_invented}, unverified evidence {run.dropped_unverified}, "
               f"invalid {run.dropped_invalid}")
    return [run.command, f"{run.provider}/{run.model}", run.at, str(run.calls), str(run.cache_hits),
            f"{run.input_tokens} / {run.output_tokens}", cost_text(run.cost_usd), str(run.kept),
            str(run.attached_to_rules), dropped, "; ".join(one_line(w) for w in run.warnings) or "none"]


def runs_total_text(runs: list[RunRecord]) -> str:
    known = [r.cost_usd for r in runs if r.cost_usd is not None]
    cost = cost_text(sum(known)) if known else "unknown"
    if known and len(known) < len(runs):
        cost += f" (unknown for {len(runs) - len(known)} of the runs)"
    return (f"{_count(len(runs), 'assisted run')}: {_count(sum(r.calls for r in runs), 'model call')}, "
            f"{_count(sum(r.cache_hits for r in runs), 'answer')} taken from the cache, "
            f"{sum(r.input_tokens for r in runs)} tokens in, {sum(r.output_tokens for r in runs)} tokens out, "
            f"cost {cost}; {sum(r.kept for r in runs)} kept as drafts or proposals, which wait for a person.")
