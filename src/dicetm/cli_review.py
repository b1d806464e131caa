"""Commands for the human review: ``review`` (interactive), ``decide`` (one decision, scriptable) and ``audit``.

A thin skin over :mod:`dicetm.review` and the workspace store. The interactive review reads plain lines with
``input()`` (it works in any terminal, over a pipe and under pexpect); every decision is written the moment it
is made, one ``decide`` call per decision, so stopping or crashing loses nothing already decided.

Exit codes: 0 ok, 1 the audit log failed verification, 2 bad usage or input (nothing written).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dicetm.cli_common import PathArg, err, out
from dicetm.cli_common import fail as _fail
from dicetm.cli_signing import AllowedSignersOpt, SignKeyOpt, sign_recorded, signature_report, signing_key
from dicetm.errors import DicetmError, InputError, Location, Problem, StoreError
from dicetm.textsafe import json_text, one_line

if TYPE_CHECKING:  # the library is imported inside the commands, so `dicetm --help` stays quick
    from dicetm.model import System
    from dicetm.model.register import Register
    from dicetm.review import DecisionInput, DecisionWarning, ReviewSession
    from dicetm.review.queue import QueueItem
    from dicetm.store.audit import AuditRecord
    from dicetm.store.workspace import Workspace


audit_app = typer.Typer(help="Check and read the tamper-evident audit log of review decisions.",
                        no_args_is_help=True)

# The same values as dicetm.review.queue.DEFAULT_BATCH and DEFAULT_MINUTES_PER_ITEM (a test keeps them equal).
DEFAULT_BATCH = 10
DEFAULT_MINUTES_PER_ITEM = 1.5

ReviewerOpt = Annotated[str | None, typer.Option(
    "--reviewer", help="Who decides, e.g. 'Dana Lee <dana@example.com>' (default: DICETM_REVIEWER, then git).")]


# --- shared error output -------------------------------------------------------------------------------------

def _usage(message: str, where: str, hint: str) -> typer.Exit:
    return _fail(InputError([Problem(message, Location(path=where), hint=hint)]))


def _folder(path: Path) -> Path:
    """Where to ask git for the reviewer: the model's folder (a repository's own config applies there)."""
    return path if path.is_dir() else path.parent


def _reviewer(explicit: str | None, path: Path) -> str:
    from dicetm.review import resolve_reviewer

    try:
        return resolve_reviewer(explicit, _folder(path))
    except DicetmError as exc:
        raise _fail(exc) from None


# --- showing one item ----------------------------------------------------------------------------------------

_NOT_SHOWN = {"id", "name", "kind", "description", "tags"}


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value)


def element_line(system: System, element_id: str) -> str:
    """``id (kind, name): fact=value, ...`` for one element; its trust boundary counts as a fact."""
    element = system.element_by_id.get(element_id)
    if element is None:
        return f"{element_id} (no longer in the model)"
    facts = element.model_dump(mode="json", exclude=_NOT_SHOWN, exclude_none=True)
    boundary = system.boundary_of.get(element_id)
    if boundary:
        facts["boundary"] = boundary
    listed = ", ".join(f"{key}={_value(value)}" for key, value in facts.items()) or "no facts stated"
    return f"{element.id} ({element.kind.value}, {element.name}): {listed}"


def flow_line(system: System, flow_id: str) -> str:
    flow = system.flow_by_id.get(flow_id)
    if flow is None:
        return f"{flow_id} (no longer in the model)"
    facts = flow.model_dump(mode="json", exclude={"id", "source", "target", "data"}, exclude_none=True)
    listed = ", ".join(f"{key}={_value(value)}" for key, value in facts.items())
    carries = f" carrying {flow.data}" if flow.data else ""
    return f"{flow.id}: {flow.source} -> {flow.target}{carries}" + (f" ({listed})" if listed else "")


def _status_lines(item: QueueItem) -> list[str]:
    entry = item.entry
    if item.kind == "residual-risk":
        decided = f" by {entry.reviewer}" if entry and entry.reviewer else ""
        return [f"status:      residual risk open; the threat was {item.threat.status}{decided}"]
    status = item.threat.status
    if status == "stale" and entry is not None:
        earlier = entry.status_before_stale.value if entry.status_before_stale else "decided"
        who = f" by {entry.reviewer}" if entry.reviewer else ""
        when = f" on {entry.decided_at}" if entry.decided_at else ""
        because = f" ({entry.reason})" if entry.reason else ""
        lines = [f"status:      stale: it was {earlier}{who}{when}{because}; since then the facts changed:"]
        lines += [f"               - {change}" for change in entry.stale_changes or ["(no detail recorded)"]]
        return lines
    if status == "needs-info" and entry is not None:
        asked = f": {entry.reviewer} asked for: {entry.reason}" if entry.reason else ""
        return [f"status:      needs-info{asked}"]
    return [f"status:      {status}"]


def _indented(label: str, values: list[str], empty: str = "none") -> list[str]:
    if not values:
        return [f"{label:<13}{empty}"]
    return [f"{label:<13}{values[0]}", *(f"{'':<13}{value}" for value in values[1:])]


def _provenance(item: QueueItem) -> str:
    from dicetm.report.common import provenance_text

    text = provenance_text(item.threat.provenance)
    return text + ("  [proposed by an LLM: check it against the model]" if item.ai_proposed else "")


def _risk_line(item: QueueItem) -> str:
    threat = item.threat
    inherent = f"{threat.likelihood} x {threat.impact} = {threat.score} ({threat.risk.value})"
    if item.kind == "residual-risk":
        return f"risk:        residual {item.score} ({item.level.value}); inherent {inherent}"
    return f"risk:        {inherent}"


def format_item(item: QueueItem, system: System, control_names: dict[str, str], position: str) -> list[str]:
    """The lines that describe one queue item to its reviewer."""
    threat = item.threat
    heading = "residual risk of " if item.kind == "residual-risk" else ""
    lines = [f"--- {position} ---", f"id:          {item.id}", f"title:       {heading}{threat.title}",
             _risk_line(item), *_status_lines(item)]
    lines += _indented("elements:", [element_line(system, e) for e in threat.elements])
    if threat.flows:
        lines += _indented("flows:", [flow_line(system, f) for f in threat.flows])
    lines += [f"scenario:    {threat.scenario}", f"rationale:   {threat.rationale or '(none given)'}"]
    lines += _indented("factors:", [f"{f.delta:+d} {f.target}: {f.fact} ({f.note})" for f in threat.factors])
    lines += _indented("assumptions:", list(threat.assumptions))
    lines.append(f"provenance:  {_provenance(item)}")
    lines += _indented("frameworks:", [", ".join(threat.references)] if threat.references else [])
    lines += _indented("controls:", [f"{c} {control_names.get(c, '')}".rstrip() for c in threat.controls])
    lines.append(f"question:    {threat.review_question or '(none given)'}")
    return lines


# --- reading answers -----------------------------------------------------------------------------------------

class _EndOfInput(Exception):
    """Standard input closed: treated like [q]uit."""


def _ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        out.print()
        raise _EndOfInput from None


THREAT_KEYS = {"a": "accept", "r": "reject", "m": "modify", "n": "needs-info", "s": "skip", "q": "quit"}
RISK_KEYS = {"a": "accept", "t": "transfer", "v": "avoid", "m": "mitigate", "s": "skip", "q": "quit"}
THREAT_MENU = "[a]ccept  [r]eject  [m]odify  [n]eeds-info  [s]kip  [q]uit > "
RISK_MENU = "[a]ccept  [t]ransfer  a[v]oid  [m]itigate  [s]kip  [q]uit > "
MODIFIABLE = ("title", "scenario", "likelihood", "impact")


def read_key(menu: str, keys: dict[str, str]) -> str:
    """Ask until the answer is one of the keys (or its full word); there is no default answer."""
    words = {word: word for word in keys.values()}
    while True:
        answer = _ask(menu).lower()
        chosen = keys.get(answer) or words.get(answer)
        if chosen:
            return chosen
        out.print(f"please type one of: {', '.join(keys)}", markup=False)


def _ask_text(prompt: str, note: str = "blank line to go back") -> str | None:
    """A required answer; a blank line means: go back to the choice of action."""
    answer = _ask(f"{prompt} ({note}): ")
    return answer or None


def _ask_score(name: str) -> int | None:
    while True:
        answer = _ask(f"new {name}, 1 to 5 (blank line to go back): ")
        if not answer:
            return None
        if answer.isdigit() and 1 <= int(answer) <= 5:
            return int(answer)
        out.print(f"{name} must be a whole number from 1 to 5", markup=False)


def _ask_date(prompt: str) -> str | None:
    while True:
        answer = _ask(f"{prompt}, YYYY-MM-DD (blank line to go back): ")
        if not answer:
            return None
        try:
            date.fromisoformat(answer)
        except ValueError:
            out.print(f"{answer!r} is not a date; use YYYY-MM-DD", markup=False)
            continue
        return answer


def _ask_fields() -> list[str] | None:
    while True:
        answer = _ask(f"change which fields? ({', '.join(MODIFIABLE)}; comma-separated, blank line to go back): ")
        if not answer:
            return None
        chosen = [part.strip().lower() for part in answer.replace(" ", ",").split(",") if part.strip()]
        unknown = [name for name in chosen if name not in MODIFIABLE]
        if not unknown:
            return list(dict.fromkeys(chosen))
        out.print(f"not a field you can change: {', '.join(unknown)}", markup=False)


def _modification(fields: list[str]) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    for name in fields:
        value: str | int | None = _ask_score(name) if name in ("likelihood", "impact") else _ask_text(f"new {name}")
        if value is None:
            return None
        values[name] = value
    return values


def threat_decision(item: QueueItem, action: str, seconds: float) -> DecisionInput | None:
    """Ask what the action needs; None when the reviewer went back."""
    from dicetm.review import DecisionInput

    if action == "accept":
        return DecisionInput(item=item.id, action=action, seconds_on_screen=seconds)
    if action == "needs-info":
        missing = _ask_text("what is missing to decide?")
        if missing is None:
            return None
        return DecisionInput(item=item.id, action=action, reason=missing, seconds_on_screen=seconds)
    values: dict[str, Any] = {}
    if action == "modify":
        fields = _ask_fields()
        changed = _modification(fields) if fields else None
        if changed is None:
            return None
        values = changed
    reason = _ask_text(f"reason to {action}", "required; blank line to go back")
    if reason is None:
        return None
    return DecisionInput(item=item.id, action=action, reason=reason, seconds_on_screen=seconds, **values)


def _business_impact(item: QueueItem) -> str | None:
    """The owner writes the business impact, or types 'draft' to confirm the wording a model drafted."""
    draft = item.residual.business_impact_draft if item.residual else None
    if not draft:
        return _ask_text("business impact if it happens")
    out.print(f"drafted by {item.residual.draft_source if item.residual else 'a model'} (not confirmed): {draft}",
              markup=False)
    answer = _ask_text("business impact if it happens", "'draft' to confirm the draft; blank line to go back")
    return draft if answer is not None and answer.strip().lower() == "draft" else answer


def risk_decision(item: QueueItem, action: str, seconds: float) -> DecisionInput | None:
    """A residual-risk decision needs an owner, the business impact and a date to look at it again."""
    from dicetm.review import DecisionInput

    owner = _ask_text("owner of this risk")
    if owner is None:
        return None
    business_impact = _business_impact(item)
    if business_impact is None:
        return None
    review_by = _ask_date("review it again by")
    if review_by is None:
        return None
    reason = _ask("reason (optional, blank for none): ") or None
    return DecisionInput(item=item.id, action=action, reason=reason, seconds_on_screen=seconds, owner=owner,
                         business_impact=business_impact, review_by=review_by)


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
    _warn(outcome.warnings)
    return outcome.register


def _warn(warnings: list[DecisionWarning]) -> None:
    for warning in warnings:
        out.print(f"!! warning: {warning.message}", markup=False, style="bold yellow")


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
        answer = _ask(prompt).lower()
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

    who = _reviewer(reviewer, path)
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
    except _EndOfInput:
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


# --- one scripted decision -----------------------------------------------------------------------------------

class Action(StrEnum):
    accept = "accept"
    reject = "reject"
    modify = "modify"
    needs_info = "needs-info"
    plan = "plan"
    implement = "implement"
    transfer = "transfer"
    avoid = "avoid"
    mitigate = "mitigate"
    confirm = "confirm"


ACTION_FLAGS = ", ".join(f"--{action.value}" for action in Action)


def _one_action(flags: dict[Action, bool]) -> str:
    chosen = [action for action, on in flags.items() if on]
    if len(chosen) != 1:
        given = ", ".join(f"--{a.value}" for a in chosen) or "none"
        raise _usage(f"give exactly one action (given: {given})", "action",
                     f"one of {ACTION_FLAGS}; e.g. dicetm decide PATH ITEM_ID --accept")
    return chosen[0].value


def _targets(item_id: str | None, all_of: str | None) -> str:
    if item_id and all_of:
        raise _usage("give an ITEM_ID or --all-of RULE_ID, not both", "ITEM_ID",
                     "--all-of decides every live threat of one rule")
    if not item_id and not all_of:
        raise _usage("which item? give an ITEM_ID or --all-of RULE_ID", "ITEM_ID",
                     "a threat id (T-LLM-001@hosted-llm), a control id (C-INP-001) or risk:<threat id>")
    return item_id or ""


def status_of(register: Register, item_id: str) -> str:
    """The status an item has in the register now, for the confirmation line."""
    if item_id.startswith("risk:"):
        found = [r.status.value for r in register.residual_risks if r.threat == item_id.removeprefix("risk:")]
    else:
        found = [t.status.value for t in register.threats if t.id == item_id]
        found += [c.status.value for c in register.countermeasures if c.id == item_id]
    return found[0] if found else "unknown"


def decide_command(
    path: PathArg,
    item_id: Annotated[str | None, typer.Argument(
        help="Threat id, control id (countermeasure) or risk:<threat id>; omit with --all-of.")] = None,
    accept: Annotated[bool, typer.Option("--accept", help="Threat, countermeasure or residual risk.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Threat or countermeasure; needs --reason.")] = False,
    modify: Annotated[bool, typer.Option(
        "--modify", help="Threat; needs --reason and one of --title/--scenario/--likelihood/--impact.")] = False,
    needs_info: Annotated[bool, typer.Option("--needs-info", help="Threat; --reason says what is missing.")]
    = False,
    plan: Annotated[bool, typer.Option("--plan", help="Countermeasure; needs --owner and --due.")] = False,
    implement: Annotated[bool, typer.Option("--implement", help="Countermeasure; needs --evidence.")] = False,
    transfer: Annotated[bool, typer.Option("--transfer", help="Residual risk.")] = False,
    avoid: Annotated[bool, typer.Option("--avoid", help="Residual risk.")] = False,
    mitigate: Annotated[bool, typer.Option("--mitigate", help="Residual risk.")] = False,
    confirm: Annotated[bool, typer.Option(
        "--confirm", help="Threat: confirm another person's decision on it as a second reviewer.")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required to reject, modify, needs-info).")]
    = None,
    reviewer: ReviewerOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="With --modify: the new title.")] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", help="With --modify: the new scenario.")] = None,
    likelihood: Annotated[int | None, typer.Option("--likelihood", min=1, max=5, help="With --modify: 1-5.")]
    = None,
    impact: Annotated[int | None, typer.Option("--impact", min=1, max=5, help="With --modify: 1-5.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner (plan, residual-risk decisions).")] = None,
    due: Annotated[str | None, typer.Option("--due", help="With --plan: due date, YYYY-MM-DD.")] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="With --implement: link to evidence.")]
    = None,
    business_impact: Annotated[str | None, typer.Option(
        "--business-impact", help="Residual-risk decisions: what it would cost the business.")] = None,
    review_by: Annotated[str | None, typer.Option(
        "--review-by", help="Residual-risk decisions: date to look again, YYYY-MM-DD.")] = None,
    use_draft: Annotated[bool, typer.Option(
        "--use-draft", help="Residual-risk decisions: confirm the business-impact wording a model drafted "
                            "(dicetm propose) instead of writing --business-impact.")] = False,
    all_of: Annotated[str | None, typer.Option(
        "--all-of", help="Decide every live threat of this rule (one recorded decision per threat; a rejection "
                         "made so is flagged for a second reviewer).")] = None,
    covers: Annotated[list[str] | None, typer.Option(
        "--covers", help="Countermeasure (accept, plan, implement): a threat id this decision covers; repeat it. "
                         "Without it the decision applies to every threat the control mitigates.")] = None,
    tracker: Annotated[str | None, typer.Option(
        "--tracker", help="Link to the issue tracking this threat or countermeasure (http(s) URL); alone it "
                          "records only the link, with an action it is recorded beside the decision. The next "
                          "analysis and the reports show it.")] = None,
    sign_key: SignKeyOpt = None,
) -> None:
    """Record one decision on one item (or on every threat of one rule with --all-of), with a named reviewer.

    A rejection with --all-of, or of a high or critical threat, is flagged; a second, different
    person confirms it with --confirm. With a signing key (--sign-key, DICETM_SIGNING_KEY or the
    policy's signing_key) the audit log is signed after the decision is recorded.
    """
    from dicetm.review import DecisionInput, ReviewSession, threats_of_rule

    flags = {Action.accept: accept, Action.reject: reject, Action.modify: modify, Action.needs_info: needs_info,
             Action.plan: plan, Action.implement: implement, Action.transfer: transfer, Action.avoid: avoid,
             Action.mitigate: mitigate, Action.confirm: confirm}
    action = "track" if tracker is not None and not any(flags.values()) and not all_of else _one_action(flags)
    item = _targets(item_id, all_of)
    who = _reviewer(reviewer, path)
    key = signing_key(path, who, sign_key)
    if use_draft:
        business_impact = _drafted_impact(path, item, business_impact)
    decision = DecisionInput(item=item, action=action, reason=reason, title=title, scenario=scenario,
                             likelihood=likelihood, impact=impact, owner=owner, due=due, evidence=evidence,
                             business_impact=business_impact, review_by=review_by, covers=tuple(covers or ()),
                             tracker=tracker)
    try:
        outcome = ReviewSession(path).decide([decision], reviewer=who, all_of=all_of)
    except DicetmError as exc:
        raise _fail(exc) from None
    register = outcome.register
    _warn(outcome.warnings)
    decided = threats_of_rule(register, all_of) if all_of else [item]
    for target in decided:
        because = f": {one_line(reason)}" if reason else ""
        because += f" [tracker {one_line(tracker)}]" if tracker else ""
        out.print(f"{one_line(target)}: {action} -> {status_of(register, target)} (by {one_line(who)}){because}",
                  markup=False)
    if all_of:
        out.print(f"{len(decided)} decision(s) recorded, one per threat of {one_line(all_of)}", markup=False)
    sign_recorded(path, key, who)


def _drafted_impact(path: Path, item: str, given: str | None) -> str:
    """The model-drafted business impact for ``risk:<threat>``, which the reviewer confirms by deciding."""
    from dicetm.api import load

    problem = None
    if given is not None:
        problem = "--use-draft and --business-impact both give the business impact; pass one"
    elif not item.startswith("risk:"):
        problem = "--use-draft applies to residual-risk decisions (risk:<threat id>)"
    if problem is None:
        try:
            proposals = load(path).proposals
        except DicetmError as exc:
            raise _fail(exc) from None
        draft = next((d for d in (proposals.impact_drafts if proposals else []) if d.threat == item[5:]), None)
        if draft is not None:
            out.print(f"using the wording drafted by {draft.provenance.by}: {draft.text}", markup=False)
            return draft.text
        problem = f"no drafted business impact for {item}"
    raise _fail(InputError([Problem(problem, Location(path="--use-draft"),
                                    "dicetm propose drafts the wording; or write --business-impact yourself")]),
                writes=False)


# --- the audit log -------------------------------------------------------------------------------------------

class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _workspace(path: Path) -> Workspace:
    from dicetm.store.workspace import Workspace

    try:
        return Workspace.open(path)
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None


def _unreadable(exc: StoreError) -> typer.Exit:
    """A log or register that cannot even be parsed fails the check: it is no evidence as it stands."""
    err.print("audit log check failed: the files cannot be read as they are", markup=False)
    for problem in exc.problems:
        err.print(f"  {problem.location}: {problem.message}", markup=False)
    return typer.Exit(1)


@audit_app.command("verify")
def audit_verify(
    path: PathArg,
    allowed_signers: AllowedSignersOpt = None,
    require_signatures: Annotated[bool, typer.Option(
        "--require-signatures", help="Fail (exit 1) when a record is not signed; also on when the workspace "
                                     "policy sets require_signatures.")] = False,
) -> None:
    """Check the audit log's hash chain, the register and the signatures (exit 1 when not).

    The chain shows edits made without the dicetm library; only signatures show who vouches for the
    log. Unsigned records are reported, and fail the check with --require-signatures.
    """
    from dicetm.cli_signing import workspace_policy

    workspace = _workspace(path)
    try:
        result = workspace.verify()
        policy = workspace_policy(workspace.model_path)
    except StoreError as exc:
        raise _unreadable(exc) from None
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    required = require_signatures or (policy is not None and policy.require_signatures)
    if result.ok:
        out.print(f"audit log intact: {result.records} record(s), register matches the last one", markup=False)
    else:
        where = f"record #{result.first_bad_seq}" if result.first_bad_seq is not None else "the register"
        first = one_line(result.problems[0]) if result.problems else "unknown"
        err.print(f"audit log check failed at {where}: {first}", markup=False)
        for problem in result.problems[1:]:
            err.print(f"  also: {one_line(problem)}", markup=False)
    signed_ok = _report_signatures(workspace, allowed_signers, policy, required, result.records)
    if not (result.ok and signed_ok):
        raise typer.Exit(1)


def _report_signatures(workspace: Workspace, allowed: Path | None, policy: Any, required: bool, records: int) -> bool:
    """Print what the signatures show; False when the check must fail (a bad signature, or unsigned when
    signatures are required)."""
    try:
        report = signature_report(workspace, allowed, policy)
    except StoreError as exc:
        raise _unreadable(exc) from None
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    if report.ok:
        out.print(f"signatures: {report.signatures} valid, covering all {report.signed} record(s)", markup=False)
        return True
    if report.signatures == 0 and not (required or report.checked):
        if records:
            out.print("signatures: none (the hash chain alone cannot show who wrote the log; see dicetm audit sign)",
                      markup=False)
        return True
    failing = bool(report.bad) or required
    label = "signature check failed" if failing else "signatures"
    target = err if failing else out
    for problem in report.problems:
        target.print(f"{label}: {one_line(problem)}", markup=False)
    return not failing


@audit_app.command("sign")
def audit_sign(
    path: PathArg,
    reviewer: ReviewerOpt = None,
    sign_key: SignKeyOpt = None,
) -> None:
    """Sign the audit log as it stands: one sign record vouching for every record before it.

    Use it after commands that record without signing (analyze, iteration new, propose), or after a
    signing failure. Records by another person still need that person's own signature.
    """
    from dicetm.store.signatures import sign_log

    who = _reviewer(reviewer, path)
    key = signing_key(path, who, sign_key)
    if key is None:
        raise _usage("no signing key", "--sign-key",
                     "pass --sign-key KEY, set DICETM_SIGNING_KEY, or set signing_key in dicetm-policy.yaml")
    try:
        record = sign_log(_workspace(path), key, who)
    except DicetmError as exc:
        raise _fail(exc) from None
    if record is None:
        out.print("nothing to sign: the audit log is empty or already ends with your signature", markup=False)
        return
    out.print(f"signed the audit log up to record #{record.details['seq']} as {key.principal} "
              f"(record #{record.seq})", markup=False)


def _mentions(record: AuditRecord, item_id: str) -> bool:
    """A record is about an item when it targets it, or when it flags it among quick accepts."""
    details = record.details or {}
    return record.target == item_id or item_id in (details.get("items") or [])


def _row(record: AuditRecord) -> dict[str, Any]:
    return {"seq": record.seq, "time": record.time, "actor": record.actor, "action": record.action,
            "target": record.target, "reason": record.reason, "details": record.details or {}}


@audit_app.command("log")
def audit_log(
    path: PathArg,
    item_id: Annotated[str | None, typer.Argument(help="Only the records about this item.")] = None,
    fmt: Annotated[LogFormat, typer.Option("--format", "-f", help="text or json.")] = LogFormat.text,
) -> None:
    """Print the decision history: seq, time, actor, action, target and reason of every record."""
    try:
        records = _workspace(path).records()
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    if item_id:
        chosen = [r for r in records if _mentions(r, item_id)]
        if not chosen:
            import difflib

            close = difflib.get_close_matches(item_id, sorted({r.target for r in records}), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "run 'dicetm audit log PATH' to see every target"
            raise _fail(InputError([Problem(f"no audit record about {item_id!r}", Location(path="ITEM_ID"),
                                            hint=hint)]), writes=False)
        records = chosen
    rows = [_row(r) for r in records]
    if fmt is LogFormat.json:
        sys.stdout.write(json_text(json.dumps(rows, indent=2, ensure_ascii=False)) + "\n")
        return
    for row in rows:
        reason = f"  reason: {one_line(row['reason'])}" if row["reason"] else ""
        out.print(f"#{row['seq']:<4} {one_line(row['time'])}  {one_line(row['actor'])}  {one_line(row['action'])}  "
                  f"{one_line(row['target'])}{reason}", markup=False)


# --- wiring --------------------------------------------------------------------------------------------------

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
