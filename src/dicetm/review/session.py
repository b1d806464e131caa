"""A workspace opened for review: the model, what the rules found in it and the register, loaded once.

This is the library face of `dicetm review`, `dicetm decide` and the web workbench. A session keeps the
model and its analysis while the model files stay byte for byte the same (checked before every call, so an
edit on disk is seen at once), and it never analyses an unchanged model again: analyses are cached by the
content hash of the model and proposals files (see ``store.analysiscache``), across processes too.

A decision is one transaction: the register is brought up to date with the analysis when it is not known
to be (dicetm's own records), then the reviewer's decisions are applied and appended to the audit log, and
the register file is rewritten with only the changed entries re-encoded. A refused decision writes nothing.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dicetm.errors import InputError, Location, Problem
from dicetm.model import AnalysisResult, Threat
from dicetm.model.proposals import with_proposals
from dicetm.model.register import Register
from dicetm.review.decide import DecisionInput, apply_decision, item_version
from dicetm.review.reconcile import Change, reconcile
from dicetm.store import analysiscache
from dicetm.store.lock import DEFAULT_TIMEOUT
from dicetm.store.modelfile import LazyLocations, LoadedModel, decode_model, parse_system_text, read_model_bytes
from dicetm.store.proposalsfile import PROPOSALS_FILENAME, parse_proposals
from dicetm.store.workspace import TOOL_ACTOR, Transaction, Workspace
from dicetm.store.wsfiles import read_bytes

if TYPE_CHECKING:  # the pipeline (and its rules) is imported when an analysis is needed, not for a decision
    from dicetm.pipeline.state import State


@dataclass(frozen=True)
class DecisionWarning:
    """Something the reviewer should know about a decision that was recorded (e.g. it superseded another)."""

    item: str
    message: str


@dataclass(frozen=True)
class DecisionOutcome:
    register: Register  # the register as committed
    decided: list[str]  # the item ids decided, in order
    warnings: list[DecisionWarning]


class _Analysis:
    """One version of the model files and what the rules find in it, each part loaded when first needed."""

    def __init__(self, key: str, loaded: LoadedModel) -> None:
        self.key = key
        self.loaded = loaded
        self._states: dict[str, State] = {}
        self._fresh: State | None = None

    def state(self, detail: str = "grouped") -> State:
        """The identified state (describe and identify done) at ``detail``."""
        if detail not in self._states:
            self._states[detail] = self._identify(detail)
        return self._states[detail]

    def _identify(self, detail: str) -> State:
        from dicetm.catalog import load_catalog
        from dicetm.pipeline.run import identify_system
        from dicetm.pipeline.state import State

        loaded = self.loaded
        cached = analysiscache.load_findings(self.key) if detail == "grouped" and self.key else None
        if cached is not None:
            system, _left_out = with_proposals(loaded.system, loaded.proposals)
            return State(system=system, catalog=load_catalog(), detail=detail, raw_findings=cached.raw_findings,
                         open_questions=tuple(cached.open_questions), threats=tuple(cached.threats))
        state = identify_system(loaded.system, detail=detail, proposals=loaded.proposals)
        if detail == "grouped" and self.key:
            analysiscache.save(analysiscache.CachedModel(key=self.key, system=loaded.system),
                               analysiscache.CachedFindings(key=self.key, open_questions=list(state.open_questions),
                                                            threats=list(state.threats),
                                                            raw_findings=state.raw_findings))
        return state

    def fresh(self) -> State:
        """The grouped findings with their suggested countermeasures: what the register is reconciled with."""
        if self._fresh is None:
            from dicetm.pipeline.run import fresh_countermeasures

            self._fresh = fresh_countermeasures(self.state())
        return self._fresh

    def threats(self) -> dict[str, Threat]:
        """Threat ids (and member ids of grouped threats) to threats, when the findings are loaded already."""
        if "grouped" not in self._states:
            return {}
        found: dict[str, Threat] = {}
        for threat in self.state().threats:
            found[threat.id] = threat
            for member in threat.members:
                found.setdefault(member, threat)
        return found


class ReviewSession:
    """The review of one workspace. Safe to keep open: every call first checks the model files on disk.

    ``loaded`` pins the session to an already loaded model (it is then never reloaded or cached).
    """

    def __init__(self, path: Path, *, loaded: LoadedModel | None = None,
                 lock_timeout: float = DEFAULT_TIMEOUT) -> None:
        self.workspace = Workspace.open(loaded.path if loaded is not None else Path(path), lock_timeout=lock_timeout)
        self._pinned = loaded is not None
        self._analysis = _Analysis("", loaded) if loaded is not None else None
        self._loading = threading.Lock()  # a web server may call from several threads: load the model once
        self._synced: tuple[str, str | None] | None = None  # (analysis key, register digest) known reconciled

    @property
    def loaded(self) -> LoadedModel:
        """The model as it is on disk now (reloaded when the model or proposals file changed)."""
        return self._current().loaded

    def register(self) -> Register:
        """The register as committed now (read without the write lock)."""
        return self.workspace.read()

    def version_of(self, item_id: str, register: Register | None = None) -> str:
        """The token to pass as ``DecisionInput.seen`` for an item as shown (see ``item_version``): from
        ``register`` (the one the page was rendered from), else from the register reconciled in memory now."""
        if register is None:
            current = self._current()
            register, _changes = reconcile(self.workspace.read(), current.fresh(), current.loaded.system)
        return item_version(register, item_id)

    # ---------------------------------------------------------------------------------- analysis

    def analysis(self, detail: str = "grouped", *, write: bool = False, actor: str = TOOL_ACTOR,
                 today: date | None = None) -> tuple[Register, AnalysisResult]:
        """The register reconciled with the analysis, and the analysis with its decisions applied.

        ``write=True`` records what reconciling changed (new, stale, retired items) under ``actor``;
        ``write=False`` reconciles in memory only and takes no write lock (for read-only commands). ``today``
        is the day residual-risk review-by dates are judged on (default: today in UTC).
        """
        from dicetm.pipeline.run import finish

        current = self._current()
        if write:
            with self.workspace.transaction(actor) as tx:
                self._reconcile(tx, current, force=True)
            register = tx.register
            self._mark_synced(current.key, tx.committed)
        else:
            register, _changes = reconcile(self.workspace.read(), current.fresh(), current.loaded.system)
        result = finish(current.state(detail), register=register, proposals=current.loaded.proposals,
                        source=str(current.loaded.path), today=today)
        return register, result

    def sync(self, actor: str = TOOL_ACTOR) -> Register:
        """Record what the analysis changed in the register (new, stale and retired items) as ``actor``."""
        return self.analysis(write=True, actor=actor)[0]

    # --------------------------------------------------------------------------------- decisions

    def decide(self, decisions: list[DecisionInput], *, reviewer: str, all_of: str | None = None,
               today: date | None = None) -> DecisionOutcome:
        """Apply ``decisions`` by ``reviewer`` in one transaction (one audit record per item).

        ``all_of``: the one explicit bulk form. The first decision is a template applied to every live threat
        of that rule, recorded as one decision per threat (a rejection made so is flagged as bulk). InputError
        (nothing written) when any decision is refused, including what the reviewer typed (``check_inputs``:
        names, reasons, evidence links, and review-by dates not before ``today``, UTC by default); the
        outcome's warnings name decisions on items that changed since the reviewer saw them.
        """
        from dicetm.review.inputcheck import check_inputs

        if not decisions:
            raise InputError([Problem("no decision to record", Location(path="ITEM_ID"))])
        check_inputs(decisions, reviewer=reviewer, workspace=self.workspace.root,
                     today=today or datetime.now(UTC).date())
        current = self._current()
        if any(d.action == "reject" for d in decisions):
            current.state()  # a rejection is flagged by its threat's risk, which the findings hold
        decided: list[str] = []
        warnings: list[DecisionWarning] = []
        with self.workspace.transaction(reviewer) as tx:
            self._reconcile(tx, current, force=False)
            threats = current.threats()
            for decision in expand(decisions, tx.register, all_of):
                warning = apply_decision(tx, decision, threats, current.loaded.system)
                decided.append(decision.item.strip())
                if warning is not None:
                    warnings.append(DecisionWarning(decision.item.strip(), warning))
        self._mark_synced(current.key, tx.committed)
        return DecisionOutcome(register=tx.register, decided=decided, warnings=warnings)

    def _reconcile(self, tx: Transaction, current: _Analysis, *, force: bool) -> None:
        """Bring ``tx.register`` up to date with the analysis (dicetm's records), unless known to be."""
        if not force and self._in_sync(current.key, tx.base):
            return
        register, changes = reconcile(tx.register, current.fresh(), current.loaded.system)
        if changes:
            tx.register = register
            record_changes(tx, changes)

    def _in_sync(self, key: str, digest: str | None) -> bool:
        if not key or digest is None:
            return False
        return self._synced == (key, digest) or analysiscache.synced(key) == digest

    def _mark_synced(self, key: str, digest: str | None) -> None:
        self._synced = (key, digest)
        if key and digest is not None:
            analysiscache.mark_synced(key, digest)

    # -------------------------------------------------------------------------------- model files

    def _current(self) -> _Analysis:
        with self._loading:
            return self._load_current()

    def _load_current(self) -> _Analysis:
        if self._pinned and self._analysis is not None:
            return self._analysis
        path = self.workspace.model_path
        model = read_model_bytes(path)
        proposals_path = path.parent / PROPOSALS_FILENAME
        proposals_bytes = read_bytes(proposals_path, "the proposals file")
        key = analysiscache.analysis_key(model, proposals_bytes, "grouped")
        if self._analysis is not None and self._analysis.key == key:
            return self._analysis
        text = decode_model(model, str(path))
        proposals = parse_proposals(proposals_bytes, str(proposals_path)) if proposals_bytes is not None else None
        cached = analysiscache.load_model(key)
        if cached is not None:
            loaded = LoadedModel(system=cached.system, path=path, locations=LazyLocations(text, str(path)))
        else:
            from dicetm.catalog import load_catalog

            loaded = parse_system_text(text, str(path), known_controls=set(load_catalog().controls))
            loaded = dataclasses.replace(loaded, path=path)
        self._analysis = _Analysis(key, dataclasses.replace(loaded, proposals=proposals))
        return self._analysis


def record_changes(tx: Transaction, changes: list[Change]) -> None:
    """Record reconciling's changes in the audit log, as dicetm's own."""
    for change in changes:
        tx.record(change.action, change.target, change.before, change.after, None, change.details or None,
                  actor=TOOL_ACTOR)


def expand(decisions: list[DecisionInput], register: Register, all_of: str | None) -> list[DecisionInput]:
    """The decisions to apply: as given, or with ``all_of`` the first one for every live threat of that rule."""
    if all_of is None:
        return decisions
    targets = threats_of_rule(register, all_of)
    if not targets:
        raise InputError([Problem(f"no live threat of rule {all_of!r} in the register",
                                  Location(path="--all-of"), hint="check the rule id in the report")])
    return [dataclasses.replace(decisions[0], item=target, seen=None, bulk=True) for target in targets]


def threats_of_rule(register: Register, rule_id: str) -> list[str]:
    """Ids of the live threats of one rule, for an explicit bulk decision (``--all-of RULE``)."""
    return [t.id for t in register.threats if t.rule == rule_id and t.status.value != "retired"]


__all__ = ["DecisionOutcome", "DecisionWarning", "ReviewSession", "expand", "record_changes", "threats_of_rule"]
