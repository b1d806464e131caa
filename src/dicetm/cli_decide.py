"""``dicetm decide``: one decision (or one per threat of a rule), scriptable, written at once to the register
and the audit log."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dicetm.cli_common import PathArg, out
from dicetm.cli_common import fail as _fail
from dicetm.cli_reviewer import ReviewerOpt, reviewer_name, usage_error
from dicetm.cli_signing import SignKeyOpt, sign_recorded, signing_key
from dicetm.errors import DicetmError, InputError, Location, Problem
from dicetm.textsafe import one_line

if TYPE_CHECKING:  # the library is imported inside the commands, so `dicetm --help` stays quick
    from dicetm.model.register import Register
    from dicetm.review import DecisionWarning



def print_warnings(warnings: list[DecisionWarning]) -> None:
    for warning in warnings:
        out.print(f"!! warning: {warning.message}", markup=False, style="bold yellow")


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
        raise usage_error(f"give exactly one action (given: {given})", "action",
                     f"one of {ACTION_FLAGS}; e.g. dicetm decide PATH ITEM_ID --accept")
    return chosen[0].value


def _targets(item_id: str | None, all_of: str | None) -> str:
    if item_id and all_of:
        raise usage_error("give an ITEM_ID or --all-of RULE_ID, not both", "ITEM_ID",
                     "--all-of decides every live threat of one rule")
    if not item_id and not all_of:
        raise usage_error("which item? give an ITEM_ID or --all-of RULE_ID", "ITEM_ID",
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


def print_flags(register: Register, path: Path, item_id: str) -> None:
    """Say when the decision just made on a threat waits for a second reviewer (``bulk``, ``high-risk``)."""
    from dicetm.review.decide import latest_history

    entry = latest_history(register, item_id)
    flags = entry.flags if entry is not None else []
    if flags:
        out.print(f"flagged for a second reviewer ({one_line(', '.join(flags))}): another person "
                  f"confirms it with dicetm decide {path} {one_line(item_id)} --confirm",
                  markup=False, style="bold yellow")


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
    due: Annotated[str | None, typer.Option("--due", help="With --plan: due date, YYYY-MM-DD (today or later).")]
    = None,
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
    who = reviewer_name(reviewer, path)
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
    print_warnings(outcome.warnings)
    decided = threats_of_rule(register, all_of) if all_of else [item]
    for target in decided:
        because = f": {one_line(reason)}" if reason else ""
        because += f" [tracker {one_line(tracker)}]" if tracker else ""
        out.print(f"{one_line(target)}: {action} -> {status_of(register, target)} (by {one_line(who)}){because}",
                  markup=False)
        print_flags(register, path, target)
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
