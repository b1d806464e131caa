"""Human review: reconcile analysis with the register, record decisions, guard against rubber-stamping.

The workspace-level functions here are what the CLI calls; everything below them is pure.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

from dicetm.errors import InputError, Location, Problem
from dicetm.model import AnalysisResult
from dicetm.model.register import Register
from dicetm.review.decide import DecisionInput, apply_decision
from dicetm.review.identity import resolve_reviewer
from dicetm.review.reconcile import Change, reconcile
from dicetm.store.modelfile import LoadedModel

SYSTEM_ACTOR = "dicetm"


def _record_changes(tx: object, changes: list[Change]) -> None:
    record = tx.record  # type: ignore[attr-defined]
    for change in changes:
        record(change.action, change.target, change.before, change.after, None, change.details or None)


def analyze_workspace(path: Path, *, write: bool, detail: str = "grouped", actor: str = SYSTEM_ACTOR,
                      loaded: LoadedModel | None = None,
                      today: date | None = None) -> tuple[LoadedModel, Register, AnalysisResult]:
    """Analyse the model, reconcile the register with it, and return the result with review statuses.

    ``write=False`` reconciles in memory only (for ``check``): nothing on disk changes. ``loaded`` spares a
    second parse when the caller has already loaded the model at ``path``. ``today`` is the day residual-risk
    review-by dates are judged on (default: today in UTC).
    """
    from dicetm.api import load
    from dicetm.pipeline.run import analyze
    from dicetm.store.workspace import Workspace

    if loaded is None:
        loaded = load(path)
    fresh = analyze(loaded.system, source=str(loaded.path), proposals=loaded.proposals)
    workspace = Workspace.open(loaded.path)
    if write:
        with workspace.transaction(actor) as tx:
            register, changes = reconcile(tx.register, fresh, loaded.system)
            tx.register = register
            _record_changes(tx, changes)
    else:
        register, _changes = reconcile(workspace.read(), fresh, loaded.system)
    result = analyze(loaded.system, source=str(loaded.path), detail=detail, register=register,
                     proposals=loaded.proposals, today=today)
    return loaded, register, result


def decide(path: Path, decisions: list[DecisionInput], *, reviewer: str, all_of: str | None = None,
           today: date | None = None) -> Register:
    """Reconcile, then apply each decision in one transaction (one audit record per item).

    ``all_of``: the one explicit bulk form. The first decision is a template applied to every live threat of
    that rule, recorded as one decision per threat (a rejection made so is flagged as bulk). ``today`` (UTC
    by default) is what a review-by date must not be before.
    """
    from dicetm.api import load
    from dicetm.pipeline.run import analyze
    from dicetm.review.inputcheck import check_inputs
    from dicetm.store.workspace import Workspace

    loaded = load(path)
    check_inputs(decisions, reviewer=reviewer, workspace=loaded.path.parent,
                 today=today or datetime.now(UTC).date())
    fresh = analyze(loaded.system, source=str(loaded.path), proposals=loaded.proposals)
    threats = {t.id: t for t in fresh.threats}
    for threat in fresh.threats:
        for member in threat.members:
            threats.setdefault(member, threat)
    workspace = Workspace.open(loaded.path)
    # Check every decision on a scratch copy first, so a refused decision writes nothing at all.
    synced, pending = reconcile(workspace.read(), fresh, loaded.system)
    expanded = _expand(decisions, synced, all_of)
    scratch = _Scratch(synced, reviewer)
    for decision in expanded:
        apply_decision(scratch, decision, threats, loaded.system)
    if pending:  # bring the register up to date under the tool's own name, not the reviewer's
        with workspace.transaction(SYSTEM_ACTOR) as tx:
            tx.register, changes = reconcile(tx.register, fresh, loaded.system)
            _record_changes(tx, changes)
    with workspace.transaction(reviewer) as tx:
        tx.register, changes = reconcile(tx.register, fresh, loaded.system)
        _record_changes(tx, changes)  # empty unless another process changed the model meanwhile
        for decision in _expand(decisions, tx.register, all_of):
            apply_decision(tx, decision, threats, loaded.system)
    return workspace.read()


class _Scratch:
    """A transaction stand-in that records nothing: used to validate decisions before writing."""

    def __init__(self, register: Register, actor: str) -> None:
        self.register = register.model_copy(deep=True)
        self.actor = actor
        self.seq = 0

    def record(self, action: str, target: str, before: object, after: object, reason: str | None = None,
               details: object = None) -> tuple[int, str]:
        self.seq += 1
        return self.seq, ""


def _expand(decisions: list[DecisionInput], register: Register, all_of: str | None) -> list[DecisionInput]:
    if all_of is None:
        return decisions
    targets = threats_of_rule(register, all_of)
    if not targets:
        raise InputError([Problem(f"no live threat of rule {all_of!r} in the register",
                                  Location(path="--all-of"), hint="check the rule id in the report")])
    return [dataclasses.replace(decisions[0], item=target, bulk=True) for target in targets]


def threats_of_rule(register: Register, rule_id: str) -> list[str]:
    """Ids of the live threats of one rule, for an explicit bulk decision (``--all-of RULE``)."""
    return [t.id for t in register.threats if t.rule == rule_id and t.status.value != "retired"]


__all__ = ["DecisionInput", "analyze_workspace", "decide", "reconcile", "resolve_reviewer", "threats_of_rule"]
