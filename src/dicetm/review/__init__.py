"""Human review: reconcile analysis with the register, record decisions, guard against rubber-stamping.

The workspace-level functions here are what the CLI calls; everything below them is pure.
"""

from __future__ import annotations

import dataclasses
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


def analyze_workspace(path: Path, *, write: bool, detail: str = "grouped",
                      actor: str = SYSTEM_ACTOR) -> tuple[LoadedModel, Register, AnalysisResult]:
    """Analyse the model, reconcile the register with it, and return the result with review statuses.

    ``write=False`` reconciles in memory only (for ``check``): nothing on disk changes.
    """
    from dicetm.api import load
    from dicetm.pipeline.run import analyze
    from dicetm.store.workspace import Workspace

    loaded = load(path)
    fresh = analyze(loaded.system, source=str(loaded.path))
    workspace = Workspace.open(loaded.path)
    if write:
        with workspace.transaction(actor) as tx:
            register, changes = reconcile(tx.register, fresh, loaded.system)
            tx.register = register
            _record_changes(tx, changes)
        register = workspace.read()
    else:
        register, _changes = reconcile(workspace.read(), fresh, loaded.system)
    result = analyze(loaded.system, source=str(loaded.path), detail=detail, register=register)
    return loaded, register, result


def decide(path: Path, decisions: list[DecisionInput], *, reviewer: str, all_of: str | None = None) -> Register:
    """Reconcile, then apply each decision in one transaction (one audit record per item).

    ``all_of``: the one explicit bulk form. The first decision is a template applied to every live threat of
    that rule, recorded as one decision per threat.
    """
    from dicetm.api import load
    from dicetm.pipeline.run import analyze
    from dicetm.store.workspace import Workspace

    loaded = load(path)
    fresh = analyze(loaded.system, source=str(loaded.path))
    threats = {t.id: t for t in fresh.threats}
    for threat in fresh.threats:
        for member in threat.members:
            threats.setdefault(member, threat)
    workspace = Workspace.open(loaded.path)
    with workspace.transaction(reviewer) as tx:
        register, changes = reconcile(tx.register, fresh, loaded.system)
        tx.register = register
        _record_changes(tx, changes)
        if all_of is not None:
            targets = threats_of_rule(tx.register, all_of)
            if not targets:
                raise InputError([Problem(f"no live threat of rule {all_of!r} in the register",
                                          Location(path="--all-of"), hint="check the rule id in the report")])
            decisions = [dataclasses.replace(decisions[0], item=target) for target in targets]
        for decision in decisions:
            apply_decision(tx, decision, threats, loaded.system)
    return workspace.read()


def threats_of_rule(register: Register, rule_id: str) -> list[str]:
    """Ids of the live threats of one rule, for an explicit bulk decision (``--all-of RULE``)."""
    return [t.id for t in register.threats if t.rule == rule_id and t.status.value != "retired"]


__all__ = ["DecisionInput", "analyze_workspace", "decide", "reconcile", "resolve_reviewer", "threats_of_rule"]
