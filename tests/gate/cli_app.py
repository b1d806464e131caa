"""Run ``dicetm check`` / ``dicetm evidence`` in-process through the real CLI app, and build real
workspaces with decisions recorded."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli.helpers import Outcome, invoke

from .builders import CHATBOT, CRITICAL, HIGH, REVIEWER

REJECTED = "T-LLM-005@chat-logs"
__all__ = ["Outcome", "invoke", "make_workspace", "snapshot"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def make_workspace(folder: Path, *, iteration: bool = False) -> Path:
    """The chatbot example with a few decisions recorded (and optionally one iteration snapshot)."""
    from dicetm.report import render_markdown
    from dicetm.review import DecisionInput, analyze_workspace, decide
    from dicetm.store.iterations import snapshot as record_iteration
    from dicetm.store.workspace import Workspace

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CHATBOT / "dicetm.yaml", folder / "dicetm.yaml")
    analyze_workspace(folder, write=True)
    decide(folder, [DecisionInput(item=CRITICAL, action="accept", seconds_on_screen=40.0),
                    DecisionInput(item="C-OUT-001", action="plan", owner="Bob", due="2030-01-01"),
                    DecisionInput(item=HIGH, action="accept", seconds_on_screen=30.0),
                    DecisionInput(item=f"risk:{HIGH}", action="accept", owner="Carol", business_impact="small",
                                  review_by="2999-01-01"),
                    DecisionInput(item=REJECTED, action="reject", reason="no prompt logs are kept")],
           reviewer=REVIEWER)
    if iteration:
        loaded, _register, result = analyze_workspace(folder, write=True)
        record_iteration(Workspace.open(folder), "design review 1", REVIEWER, result,
                         render_markdown(result, loaded.system))
    return folder
