"""The threat register as CSV, one row per threat, for spreadsheets and ticket imports.

``origin`` is one word (rule, person, import or model; see ``common.origin``); ``provenance`` says it in full,
with the model, prompt and document spans of a model's proposal.
"""

from __future__ import annotations

import csv
import io

from dicetm.catalog.editions import edition_of
from dicetm.model import AnalysisResult, Threat, ThreatEvaluation
from dicetm.report.common import origin, provenance_text, threats_by_risk

COLUMNS = (
    "id", "title", "risk", "likelihood", "impact", "score", "elements", "flows", "stride", "references",
    "owasp_llm_2025", "owasp_llm_2026", "controls", "covered", "residual_risk", "origin", "provenance",
)
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Prefix a quote so a spreadsheet shows the text instead of evaluating it."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _row(threat: Threat, evaluation: ThreatEvaluation | None) -> list[str]:
    cells = [
        threat.id, threat.title, threat.risk.value,
        str(threat.likelihood), str(threat.impact), str(threat.score),
        " ".join(threat.elements), " ".join(threat.flows), " ".join(threat.stride),
        " ".join(threat.references), *_editions(threat),
        " ".join(threat.controls),
        "" if evaluation is None else ("yes" if evaluation.covered else "no"),
        "" if evaluation is None else evaluation.residual_risk.value,
        origin(threat.provenance), provenance_text(threat.provenance),
    ]
    return [neutralise(cell) for cell in cells]


def _editions(threat: Threat) -> tuple[str, str]:
    """The threat's OWASP LLM ids of the 2025 and of the 2026 edition (``references`` lists the leading one first)."""
    return tuple(" ".join(r for r in threat.references if edition_of(r) == year)  # type: ignore[return-value]
                 for year in ("2025", "2026"))


def render_csv(result: AnalysisResult) -> str:
    """Threats highest risk first (ties by id); a threat missing from the evaluation has empty cells there."""
    by_threat = {m.threat: m for m in result.evaluation.matrix}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(t, by_threat.get(t.id)) for t in threats_by_risk(result.threats))
    return buffer.getvalue()
