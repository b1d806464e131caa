"""The one place the workbench calls the library. Routes parse a request, call one function here, render.

Everything that reads or writes the workspace goes through :class:`Workbench`, which keeps one
``review.ReviewSession`` for the server's life: the analysis is cached by the model's content hash, so a page
does not run the rules again while the model files stay the same, and a decision is the same register entry and
audit record as ``dicetm decide``. No analysis or storage logic lives here either: each method is a call into
``dicetm.api``, ``dicetm.review``, ``dicetm.store`` or ``dicetm.assist``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dicetm.errors import InputError, Location, Problem
from dicetm.model import AnalysisResult
from dicetm.model.register import HistoryEntry, Register
from dicetm.review.decide import DecisionInput
from dicetm.review.diff import ModelDiff
from dicetm.review.queue import QueueItem
from dicetm.store.iterations import IterationInfo
from dicetm.store.modelfile import LoadedModel

WORKING_COPY = "working"
# Files in the workspace folder that are dicetm's own, never offered as documents to describe from.
_OWN_FILES = ("dicetm.yaml", "dicetm.yml", "dicetm-register.yaml", "dicetm-proposals.yaml", "dicetm-config.yaml")
_OWN_DIRS = ("dicetm-iterations", "dicetm-out", "node_modules")


@dataclass(frozen=True)
class Snapshot:
    """The workspace as one page sees it: the model, the register and the analysis with review statuses."""

    loaded: LoadedModel
    register: Register
    result: AnalysisResult
    # Diagrams drawn from this snapshot, by (view, zone): Graphviz takes seconds on a large model, and the
    # snapshot is replaced whenever a workspace file changes, so what is kept here is never out of date.
    drawings: dict[tuple[bool, str | None], str | None] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Preview:
    old_text: str
    new_text: str

    @property
    def base_digest(self) -> str:
        from dicetm.store.modeledit import text_digest

        return text_digest(self.old_text)

    def unified_diff(self, name: str) -> list[str]:
        import difflib

        return list(difflib.unified_diff(self.old_text.splitlines(), self.new_text.splitlines(), f"a/{name}",
                                         f"b/{name}", lineterm="", n=2))


@dataclass(frozen=True)
class Decided:
    register: Register
    quick_flagged: bool  # the decision completed a run of quick accepts, now flagged in the audit log
    warnings: list[str]  # e.g. the item changed since the page showed it; the decision was still recorded
    flags: list[str] = field(default_factory=list)  # why the decision waits for a second reviewer (bulk, high-risk)


class Workbench:
    def __init__(self, path: Path) -> None:
        from dicetm.store.modelfile import resolve_model_path

        self.model_path = resolve_model_path(path).resolve()
        self.root = self.model_path.parent
        self._session: Any = None
        self._snapshot: tuple[str, Snapshot] | None = None  # (version() and day it was made for, the snapshot)

    @property
    def session(self) -> Any:
        """The review session (``dicetm.review.ReviewSession``), opened on first use."""
        if self._session is None:
            from dicetm.review import ReviewSession

            self._session = ReviewSession(self.model_path)
        return self._session

    # --- reading -----------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The analysis with the register's decisions overlaid; nothing on disk changes, and the rules run only
        when the model files changed since the last page."""
        from datetime import UTC, datetime

        key = f"{self.version()}|{datetime.now(UTC).date()}"  # review-by dates are judged on today's date
        if self._snapshot is not None and self._snapshot[0] == key:
            return self._snapshot[1]
        register, result = self.session.analysis(write=False)
        snap = Snapshot(self.session.loaded, register, result)
        self._snapshot = (key, snap)
        return snap

    def system(self) -> Any:
        """The model as written (validated, not analysed): for forms that only need its ids and names."""
        from dicetm.api import load

        return load(self.model_path).system

    def version(self) -> str:
        """Changes whenever the model, the register or the proposals file changes on disk (cheap: file stats)."""
        parts = []
        for name in ("dicetm-register.yaml", "dicetm-proposals.yaml"):
            parts.append(_stat(self.root / name))
        parts.append(_stat(self.model_path))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def model_text(self) -> str:
        return self.model_path.read_text(encoding="utf-8")

    def queue(self, snap: Snapshot) -> list[QueueItem]:
        from dicetm.review.queue import build_queue

        return build_queue(snap.result, snap.register)

    def control_names(self, snap: Snapshot) -> dict[str, str]:
        return {c.id: c.name for c in snap.result.countermeasures}

    def history(self, snap: Snapshot, item_id: str) -> list[HistoryEntry]:
        """The decision history of a threat, countermeasure or ``risk:<threat>`` item, oldest first."""
        return _history(snap.register, item_id)

    # --- deciding ----------------------------------------------------------------------------------------

    def decide(self, decision: DecisionInput, reviewer: str) -> Decided:
        """One decision by a named person: the same register entry and audit record as ``dicetm decide``."""
        outcome = self.session.decide([decision], reviewer=reviewer)
        history = _history(outcome.register, decision.item.strip())
        return Decided(outcome.register, bool(history and history[-1].quick), [w.message for w in outcome.warnings],
                       history[-1].flags if history else [])

    # --- iterations --------------------------------------------------------------------------------------

    def iterations(self) -> list[IterationInfo]:
        from dicetm.store.iterations import list_iterations
        from dicetm.store.workspace import Workspace

        return list_iterations(Workspace.open(self.model_path))

    def diff(self, old: str, new: str) -> ModelDiff:
        """What changed from one side to the other; a side is an iteration number or ``working``."""
        from dicetm.review.diff import diff

        numbers = {str(info.number) for info in self.iterations()}
        sides = []
        for side, option in ((old, "from"), (new, "to")):
            if side != WORKING_COPY and side not in numbers:
                raise InputError([Problem(f"there is no iteration {side!r}", Location(path=option),
                                          f"choose one of: {', '.join(sorted(numbers, key=int)) or 'none yet'}")])
            sides.append(self._side(side))
        (old_system, old_register, old_result, old_label), (new_system, new_register, new_result, new_label) = sides
        changes = diff(old_system, old_register, old_result, new_system, new_register, new_result)
        return changes.model_copy(update={"from_label": old_label, "to_label": new_label})

    def _side(self, side: str) -> tuple[Any, Register, AnalysisResult | None, str]:
        if side == WORKING_COPY:
            snap = self.snapshot()
            return snap.loaded.system, snap.register, snap.result, "the working copy"
        from dicetm.store.iterations import load_iteration
        from dicetm.store.workspace import Workspace

        snap_it = load_iteration(Workspace.open(self.model_path), int(side))
        return snap_it.system, snap_it.register, snap_it.result, f"iteration {side}"

    # --- describe ----------------------------------------------------------------------------------------

    def documents(self) -> list[str]:
        """Documents in the workspace folder that dicetm can read, relative to it, in a stable order. A symbolic
        link (or a file under a linked folder) and a credential store are never offered: the page reads only
        files that are really inside the workspace, as ``dicetm describe`` does without --follow-symlinks."""
        from dicetm.ingest.readers import FORMAT_OF_SUFFIX
        from dicetm.ingest.secrets import credential_file

        found = []
        for file in sorted(self.root.rglob("*")):
            relative = file.relative_to(self.root)
            hidden = any(part.startswith(".") or part in _OWN_DIRS for part in relative.parts)
            if hidden or file.name in _OWN_FILES or file.suffix.lower() not in FORMAT_OF_SUFFIX or not file.suffix:
                continue
            linked = any((self.root / Path(*relative.parts[:depth])).is_symlink()
                         for depth in range(1, len(relative.parts) + 1))
            if linked or not file.is_file() or credential_file(relative, _head(file)) is not None:
                continue
            found.append(relative.as_posix())
        return found

    def resolve_document(self, relative: str) -> Path:
        """A document the describe page offered, as a path inside the workspace (InputError otherwise)."""
        if relative not in self.documents():
            raise InputError([Problem(f"{relative!r} is not a document in the workspace folder",
                                      Location(file=str(self.root), path="documents"),
                                      "choose from the list; only files inside the workspace can be read")])
        return self.root / relative

    def draft(self, relatives: list[str]) -> Any:
        """Scan and draft from documents of the workspace (nothing is written); an ``assist.workflow.DraftOutcome``."""
        from dicetm.api import load
        from dicetm.assist.workflow import draft_from_documents

        files = [self.resolve_document(r) for r in relatives]
        return draft_from_documents(files, load(self.model_path).system, self.root)

    # --- editing the model -------------------------------------------------------------------------------

    def preview_edit(self, section: str, item_id: str | None, values: dict[str, Any] | None) -> Preview:
        """The edited text beside the current one, validated as ``dicetm validate`` does (InputError otherwise).
        ``item_id`` None adds an item; ``values`` None removes it."""
        from dicetm.store.modeledit import edit_text

        text = self.model_text()
        new_text, _loaded = edit_text(text, self.model_path.name, section, item_id, values, _known_controls())
        return Preview(text, new_text)

    def preview_additions(self, additions: dict[str, list[dict[str, Any]]]) -> Preview:
        """The model with whole items appended (accepted drafts), validated."""
        from dicetm.store.modeledit import append_text

        text = self.model_text()
        new_text, _loaded = append_text(text, self.model_path.name, additions, _known_controls())
        return Preview(text, new_text)

    def save(self, preview: Preview, base_digest: str, actor: str, action: str, details: dict[str, Any]) -> None:
        """Write an edit prepared on the text whose digest is ``base_digest``; refused (InputError) when the file
        changed on disk since, so nobody's edit is overwritten unseen."""
        from dicetm.store.modeledit import save_text

        save_text(self.model_path, base_digest, preview.new_text, actor, action, details)

    # --- report ------------------------------------------------------------------------------------------

    def report_html(self, snap: Snapshot) -> str:
        from dicetm.report.html import render_html, report_svgs

        return render_html(snap.result, snap.loaded.system, report_svgs(snap.result, snap.loaded.system))


def _known_controls() -> set[str]:
    from dicetm.catalog import load_catalog

    return set(load_catalog().controls)


def _history(register: Register, item_id: str) -> list[HistoryEntry]:
    if item_id.startswith("risk:"):
        found = [r.history for r in register.residual_risks if r.threat == item_id.removeprefix("risk:")]
    else:
        found = [t.history for t in register.threats if t.id == item_id]
        found += [c.history for c in register.countermeasures if c.id == item_id]
    return sorted((entry for history in found for entry in history), key=lambda entry: entry.seq)


def _head(file: Path) -> bytes:
    """The first bytes of a file, for the credential check (empty when it cannot be read)."""
    try:
        with file.open("rb") as handle:
            return handle.read(65536)
    except OSError:
        return b""


def _stat(path: Path) -> str:
    try:
        info = path.stat()
    except OSError:
        return "-"
    return f"{info.st_ino}:{info.st_mtime_ns}:{info.st_size}"  # an atomic write is a new inode
