"""Compose the four phases into one analysis run."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from dicetm import __version__
from dicetm.gcpause import gc_paused
from dicetm.model import AnalysisResult, System
from dicetm.model.proposals import ProposalFile, with_proposals
from dicetm.model.register import Register
from dicetm.pipeline.assisted import annotate
from dicetm.pipeline.counter import counter
from dicetm.pipeline.describe import describe
from dicetm.pipeline.evaluate import evaluate
from dicetm.pipeline.identify import identify
from dicetm.pipeline.review import apply_register
from dicetm.pipeline.state import State

if TYPE_CHECKING:
    from dicetm.catalog import Catalog

DETAILS = ("grouped", "full")


def analyze(system: System, *, catalog: Catalog | None = None, detail: str = "grouped",
            source: str | None = None, register: Register | None = None,
            proposals: ProposalFile | None = None, today: date | None = None) -> AnalysisResult:
    """Run describe -> identify -> counter -> evaluate offline and return everything, in stable order.

    ``register`` carries the human decisions (review statuses, countermeasure and residual-risk decisions);
    without it every threat is unreviewed and every countermeasure proposed. ``proposals`` (what LLM
    assistance left in the workspace) adds proposed threats and controls and annotates the result; it can
    never remove or change anything the rules or a person produced. ``today`` (default: today in UTC) is the
    day residual-risk review-by dates are compared with: a decision past its date covers nothing.
    """
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {DETAILS}")
    with gc_paused():  # a run builds many small acyclic objects; see dicetm.gcpause
        if catalog is None:
            from dicetm.catalog import load_catalog

            catalog = load_catalog()
        system, _left_out = with_proposals(system, proposals)
        state = State(system=system, catalog=catalog, detail=detail, today=today)
        state = evaluate(counter(apply_register(identify(describe(state)), register)))
        assert state.evaluation is not None
        # The parts are already model instances; pydantic checks their type and does not validate them again.
        return annotate(AnalysisResult(
            dicetm_version=__version__, catalog_version=catalog.version, system_name=system.name, source=source,
            detail=detail, open_questions=list(state.open_questions), threats=list(state.threats),
            countermeasures=list(state.countermeasures), evaluation=state.evaluation,
            raw_findings=state.raw_findings,
        ), proposals)
