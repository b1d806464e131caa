"""Which OWASP Top 10 for LLM Applications edition leads in a result: its ids come first everywhere.

Threats and countermeasures carry the ids of both editions; leading changes only the order (and the
result's ``owasp_llm_edition``), never what is there. Applied to a finished result, so the analysis itself,
its cache and the finding ids are the same whichever edition leads.
"""

from __future__ import annotations

from dicetm.catalog.editions import DEFAULT_EDITION, EDITIONS, lead
from dicetm.model import AnalysisResult


def lead_edition(result: AnalysisResult, edition: str = DEFAULT_EDITION) -> AnalysisResult:
    """``result`` with the OWASP LLM ids of ``edition`` listed first in every reference list."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}")
    threats = [t.model_copy(update={"references": lead(t.references, edition)}) for t in result.threats]
    countermeasures = [c.model_copy(update={"references": lead(c.references, edition)})
                       for c in result.countermeasures]
    return result.model_copy(update={"threats": threats, "countermeasures": countermeasures,
                                     "owasp_llm_edition": edition})
