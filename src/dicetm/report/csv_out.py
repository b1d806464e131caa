"""The threat register as CSV, one row per threat, for spreadsheets and ticket imports.

``origin`` is one word (rule, person, import or model; see ``common.origin``); ``provenance`` says it in full,
with the model, prompt and document spans of a model's proposal. ``evidence`` lists the evidence links of the
countermeasures that cover the threat. ``status`` is the review status from the register (``unreviewed`` until
a person decides, never read as accepted) and ``reviewer`` who decided.
"""

from __future__ import annotations

import csv
import io

from dicetm import textsafe
from dicetm.catalog.editions import edition_of
from dicetm.model import AnalysisResult, Threat, ThreatEvaluation
from dicetm.report.common import origin, provenance_text, threats_by_risk

COLUMNS = (
    "id", "title", "risk", "likelihood", "impact", "score", "elements", "flows", "stride", "references",
    "owasp_llm_2025", "owasp_llm_2026", "controls", "covered", "evidence", "residual_risk", "origin", "provenance",
    "status", "reviewer",
)
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Control characters made visible, and a quote prefixed so a spreadsheet shows a formula as text."""
    if not (value.isascii() and value.isprintable()):
        value = textsafe.escape(value, keep="\n")
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _evidence(evaluation: ThreatEvaluation | None, evidence: dict[str, str]) -> str:
    """``control: evidence`` for each countermeasure covering the threat that has evidence linked."""
    if evaluation is None:
        return ""
    return "; ".join(f"{control}: {evidence[control]}" for control in evaluation.covered_by if control in evidence)


def _row(threat: Threat, evaluation: ThreatEvaluation | None, evidence: dict[str, str]) -> list[str]:
    cells = [
        threat.id, threat.title, threat.risk.value,
        str(threat.likelihood), str(threat.impact), str(threat.score),
        " ".join(threat.elements), " ".join(threat.flows), " ".join(threat.stride),
        " ".join(threat.references), *_editions(threat),
        " ".join(threat.controls),
        "" if evaluation is None else ("yes" if evaluation.covered else "no"),
        _evidence(evaluation, evidence),
        "" if evaluation is None else evaluation.residual_risk.value,
        origin(threat.provenance), provenance_text(threat.provenance),
        threat.status, threat.reviewer or "",
    ]
    return [neutralise(cell) for cell in cells]


def _editions(threat: Threat) -> tuple[str, str]:
    """The threat's OWASP LLM ids of the 2025 and of the 2026 edition (``references`` lists the leading one first)."""
    return tuple(" ".join(r for r in threat.references if edition_of(r) == year)  # type: ignore[return-value]
                 for year in ("2025", "2026"))


def render_csv(result: AnalysisResult) -> str:
    """Threats highest risk first (ties by id); a threat missing from the evaluation has empty cells there."""
    by_threat = {m.threat: m for m in result.evaluation.matrix}
    evidence = {c.id: c.evidence for c in result.countermeasures if c.evidence}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(t, by_threat.get(t.id), evidence) for t in threats_by_risk(result.threats))
    return buffer.getvalue()
