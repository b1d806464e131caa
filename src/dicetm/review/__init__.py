"""Human review: reconcile analysis with the register, record decisions, guard against rubber-stamping.

``ReviewSession`` (in ``session``) is the library API the CLI and the web workbench call; the functions here
are its one-shot forms. Everything below them is pure.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dicetm.model import AnalysisResult
from dicetm.model.register import Register
from dicetm.review.decide import DecisionInput, item_version
from dicetm.review.identity import resolve_reviewer
from dicetm.review.reconcile import reconcile
from dicetm.review.session import (
    DecisionOutcome,
    DecisionWarning,
    ReviewSession,
    threats_of_rule,
)
from dicetm.store.modelfile import LoadedModel
from dicetm.store.workspace import TOOL_ACTOR

SYSTEM_ACTOR = TOOL_ACTOR


def analyze_workspace(path: Path, *, write: bool, detail: str = "grouped", actor: str = SYSTEM_ACTOR,
                      loaded: LoadedModel | None = None,
                      today: date | None = None) -> tuple[LoadedModel, Register, AnalysisResult]:
    """Analyse the model, reconcile the register with it, and return the result with review statuses.

    ``write=False`` reconciles in memory only (for ``check`` and the other read-only commands): nothing on
    disk changes and no write lock is taken. ``loaded`` spares a second parse when the caller has already
    loaded the model at ``path``. The rules run once (twice only for ``detail="full"``, whose threats are not
    the ones the register holds). ``today`` is the day residual-risk review-by dates are judged on (default:
    today in UTC).
    """
    session = ReviewSession(path, loaded=loaded)
    register, result = session.analysis(detail, write=write, actor=actor, today=today)
    return session.loaded, register, result


def decide(path: Path, decisions: list[DecisionInput], *, reviewer: str, all_of: str | None = None,
           today: date | None = None) -> Register:
    """Reconcile, then apply each decision in one transaction (one audit record per item); the register after.

    ``all_of``: the one explicit bulk form (see ``ReviewSession.decide``, which also returns warnings).
    ``today`` (UTC by default) is what a review-by date must not be before.
    """
    return ReviewSession(path).decide(decisions, reviewer=reviewer, all_of=all_of, today=today).register


__all__ = ["DecisionInput", "DecisionOutcome", "DecisionWarning", "ReviewSession", "analyze_workspace", "decide",
           "item_version", "reconcile", "resolve_reviewer", "threats_of_rule"]
