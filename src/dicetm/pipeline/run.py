"""Compose the four phases into one analysis run.

The run has two halves. :func:`identify_system` (describe and identify: the rules) depends on the model,
its proposals and the catalogue alone, so its result can be kept and reused while they stay the same.
:func:`finish` applies the register's decisions, the countermeasures and the evaluation to an identified
state; it is cheap, and a workspace runs it once per register state instead of running the rules again.
"""

from __future__ import annotations

import dataclasses
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
    state = identify_system(system, catalog=catalog, detail=detail, proposals=proposals)
    return finish(state, register=register, proposals=proposals, source=source, today=today)


def identify_system(system: System, *, catalog: Catalog | None = None, detail: str = "grouped",
                    proposals: ProposalFile | None = None) -> State:
    """Describe and identify: the open questions and the threats of ``system`` (plus its proposals)."""
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {DETAILS}")
    with gc_paused():  # a run builds many small acyclic objects; see dicetm.gcpause
        if catalog is None:
            from dicetm.catalog import load_catalog

            catalog = load_catalog()
        system, _left_out = with_proposals(system, proposals)
        return identify(describe(State(system=system, catalog=catalog, detail=detail)))


def fresh_countermeasures(state: State) -> State:
    """``state`` with the countermeasures its threats suggest, before any decision is applied."""
    return counter(state)


def finish(state: State, *, register: Register | None = None, proposals: ProposalFile | None = None,
           source: str | None = None, today: date | None = None) -> AnalysisResult:
    """Apply ``register``'s decisions, the countermeasures and the evaluation to an identified state; ``today``
    as in :func:`analyze`."""
    with gc_paused():
        start = dataclasses.replace(state, countermeasures=(), today=today)
        done = evaluate(counter(apply_register(start, register)))
        assert done.evaluation is not None
        # The parts are already model instances; pydantic checks their type and does not validate them again.
        return annotate(AnalysisResult(
            dicetm_version=__version__, catalog_version=done.catalog.version, system_name=done.system.name,
            source=source, detail=done.detail, open_questions=list(done.open_questions),
            threats=list(done.threats), countermeasures=list(done.countermeasures), evaluation=done.evaluation,
            raw_findings=done.raw_findings,
        ), proposals)
