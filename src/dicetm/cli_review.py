"""Commands for the human review: ``review`` (interactive), ``decide`` (one decision, scriptable) and ``audit``.

A thin skin over :mod:`dicetm.review` and the workspace store. The interactive review reads plain lines with
``input()`` (it works in any terminal, over a pipe and under pexpect); every decision is written the moment it
is made, one ``decide`` call per decision, so stopping or crashing loses nothing already decided.

Exit codes: 0 ok, 1 the audit log failed verification, 2 bad usage or input (nothing written).
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dicetm.cli_audit import audit_app
from dicetm.cli_common import PathArg, out
from dicetm.cli_common import fail as _fail
from dicetm.cli_decide import decide_command, print_flags, print_warnings
from dicetm.cli_review_prompts import (
    RISK_KEYS,
    RISK_MENU,
    THREAT_KEYS,
    THREAT_MENU,
    EndOfInput,
    ask,
    read_key,
    risk_decision,
    threat_decision,
)
from dicetm.cli_review_text import format_item
from dicetm.cli_reviewer import ReviewerOpt, reviewer_name
from dicetm.cli_signing import SignKeyOpt, sign_recorded, signing_key
from dicetm.errors import DicetmError, InputError
from dicetm.textsafe import one_line

if TYPE_CHECKING:  # the library is imported inside the commands, so `dicetm --help` stays quick
    from dicetm.model import System
    from dicetm.model.register import Register
    from dicetm.review import DecisionInput, ReviewSession
    from dicetm.review.queue import QueueItem

# The same values as dicetm.review.queue.DEFAULT_BATCH and DEFAULT_MINUTES_PER_ITEM (a test keeps them equal).
DEFAULT_BATCH = 10
DEFAULT_MINUTES_PER_ITEM = 1.5


# --- one review session --------------------------------------------------------------------------------------

OUTCOME = {"accept": "accepted", "reject": "rejected", "modify": "modified", "needs-info": "needs-info",
           "transfer": "transferred", "avoid": "avoided", "mitigate": "mitigated", "skip": "skipped"}
SUMMARY_ORDER = ("accepted", "rejected", "modified", "needs-info", "transferred", "avoided", "mitigated",
                 "skipped")


@dataclass
class Session:
    path: Path
    reviewer: str
    system: System
    control_names: dict[str, str]
    total: int
    review: ReviewSession | None = None  # the workspace, loaded once for the whole session
    seen: dict[str, str] = field(default_factory=dict)  # item id -> its version when the queue was built
    decided: int = 0
    skipped: int = 0
    tally: Counter[str] = field(default_factory=Counter)


def _warn_if_quick(register: Register, item_id: str) -> None:
    from dicetm.review.decide import latest_history
    from dicetm.review.fatigue import QUICK_RUN, QUICK_SECONDS

    entry = latest_history(register, item_id)
    if entry is not None and entry.quick:
        out.print(f"!! warning: your last {QUICK_RUN} accepts each took less than {QUICK_SECONDS:g} seconds. "
                  "They are flagged in the audit log as possible rubber-stamping. "
                  "Take the time to read each item before you decide.", markup=False, style="bold yellow")


def _persist(session: Session, decision: DecisionInput) -> Register | None:
    """Write one decision now. A refused decision is shown and the reviewer chooses again."""
    from dicetm.review import ReviewSession

    if session.review is None:
        session.review = ReviewSession(session.path)
    decision = dataclasses.replace(decision, seen=session.seen.get(decision.item))
    try:
        outcome = session.review.decide([decision], reviewer=session.reviewer)
    except InputError as exc:
        for problem in exc.problems:
            hint = f" (hint: {problem.hint})" if problem.hint else ""
            out.print(f"not recorded: {one_line(problem.message)}{one_line(hint)}", markup=False, style="red")
        return None
    print_warnings(outcome.warnings)
    return outcome.register


def review_item(session: Session, item: QueueItem, position: str) -> str:
    """Show one item, take one decision and write it. Returns the outcome word, or 'quit'."""
    for line in format_item(item, session.system, session.control_names, position):
        out.print(one_line(line), markup=False)  # a line break inside a name or title cannot start a line
    shown = time.monotonic()
    keys, menu = (RISK_KEYS, RISK_MENU) if item.kind == "residual-risk" else (THREAT_KEYS, THREAT_MENU)
    while True:
        action = read_key(menu, keys)
        seconds = round(time.monotonic() - shown, 3)
        if action == "quit":
            return "quit"
        if action == "skip":
            return "skipped"
        ask = risk_decision if item.kind == "residual-risk" else threat_decision
        decision = ask(item, action, seconds)
        if decision is None:
            continue
        register = _persist(session, decision)
        if register is None:
            continue
        out.print(f"recorded: {item.id} {OUTCOME[action]} by {session.reviewer} "
                  f"({seconds:.1f} s on screen)", markup=False)
        _warn_if_quick(register, item.id)
        print_flags(register, session.path, item.id)
        return OUTCOME[action]


def _summary(counts: Counter[str]) -> str:
    """Threat outcomes and skips always; residual-risk outcomes only when there were any."""
    always = {"accepted", "rejected", "modified", "needs-info", "skipped"}
    return ", ".join(f"{name} {counts[name]}" for name in SUMMARY_ORDER if name in always or counts[name])


def _remaining(session: Session) -> str:
    left = session.total - session.decided
    return f"{left} still waiting for a decision" + (f" ({session.skipped} skipped)" if session.skipped else "")


def run_batch(session: Session, items: list[QueueItem], number: int, of: int) -> bool:
    """Review one batch; False when the reviewer quit."""
    counts: Counter[str] = Counter()
    quit_now = False
    for index, item in enumerate(items, start=1):
        outcome = review_item(session, item, f"batch {number} of {of}, item {index} of {len(items)}")
        if outcome == "quit":
            quit_now = True
            break
        counts[outcome] += 1
        session.tally[outcome] += 1
        if outcome == "skipped":
            session.skipped += 1
        else:
            session.decided += 1
    out.print(f"batch {number} of {of} done: {_summary(counts)}; {_remaining(session)}", markup=False)
    return not quit_now


def _continue(prompt: str, yes: str, no: str) -> bool:
    while True:
        answer = ask(prompt).lower()
        if answer in (yes, yes[0]):
            return True
        if answer in (no, no[0]):
            return False
        out.print(f"please type {yes[0]} or {no[0]}", markup=False)


def run_session(session: Session, queue: list[QueueItem], size: int) -> None:
    from dicetm.review.queue import batches

    groups = batches(queue, size)
    for number, group in enumerate(groups, start=1):
        if not run_batch(session, group, number, len(groups)):
            return
        if number < len(groups) and not _continue("[c]ontinue with the next batch or [s]top? > ",
                                                  "continue", "stop"):
            return


def _start(session: Session, queue: list[QueueItem], size: int, rate: float) -> bool:
    from dicetm.review.queue import batch_count, estimate_load

    load = estimate_load(queue, rate)
    out.print(f"reviewer: {session.reviewer}", markup=False)
    out.print(f"{load.describe()} (an estimate at a stated rate, not a measurement); "
              f"{batch_count(len(queue), size)} batch(es) of up to {size}", markup=False)
    return _continue("start reviewing? [y]es / [n]o > ", "yes", "no")


def _bring_register_up_to_date(session: Session) -> None:
    """Record what the analysis found (new, stale, retired items) as dicetm's own changes, so the reviewer's
    name in the audit log stands only on the reviewer's decisions."""
    try:
        if session.review is not None:
            session.review.sync()
    except DicetmError as exc:
        raise _fail(exc) from None


def review(
    path: PathArg,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Items per batch; you may stop after each.")]
    = DEFAULT_BATCH,
    reviewer: ReviewerOpt = None,
    minutes_per_item: Annotated[float, typer.Option(
        "--minutes-per-item", min=0.1, help="Rate used to estimate how long the review takes.")]
    = DEFAULT_MINUTES_PER_ITEM,
    sign_key: SignKeyOpt = None,
) -> None:
    """Review, item by item in the terminal, every threat still waiting for a decision (highest risk first).

    Then the open high and critical residual risks of accepted threats. Each decision is written to
    the register and the audit log the moment you make it; with a signing key the log is signed when
    the session ends.
    """
    from dicetm.review import ReviewSession, item_version
    from dicetm.review.queue import build_queue

    who = reviewer_name(reviewer, path)
    key = signing_key(path, who, sign_key)
    try:
        workspace = ReviewSession(path)
        register, result = workspace.analysis(write=False)
        loaded = workspace.loaded
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    queue = build_queue(result, register)
    if not queue:
        out.print("nothing is waiting for a decision.", markup=False)
        return
    names = {c.id: c.name for c in result.countermeasures}
    session = Session(path=path, reviewer=who, system=loaded.system, control_names=names, total=len(queue),
                      review=workspace, seen={item.id: item_version(register, item.id) for item in queue})
    try:
        if _start(session, queue, batch, minutes_per_item):
            _bring_register_up_to_date(session)
            run_session(session, queue, batch)
    except EndOfInput:
        pass
    except KeyboardInterrupt:
        out.print(f"\ninterrupted; {session.decided} decision(s) of this session are saved.", markup=False)
        if session.decided:
            sign_recorded(path, key, who)
        raise typer.Exit(130) from None
    out.print(f"session over: {session.decided} decided ({_summary(session.tally)}); {_remaining(session)}.",
              markup=False)
    if session.decided:
        sign_recorded(path, key, who)



def register_commands(parent: typer.Typer) -> None:
    """Add ``review``, ``decide`` and the ``audit`` group to a typer app (the main ``dicetm`` app)."""
    parent.command("review")(review)
    parent.command("decide")(decide_command)
    parent.add_typer(audit_app, name="audit")


app = typer.Typer(name="dicetm", help="Review decisions and their audit log.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
register_commands(app)


if __name__ == "__main__":
    app()
