"""The interactive review's questions: one key per action, then what that action needs (reason, fields, dates)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from dicetm.cli_common import out

if TYPE_CHECKING:
    from dicetm.review import DecisionInput
    from dicetm.review.queue import QueueItem


# --- reading answers -----------------------------------------------------------------------------------------

class EndOfInput(Exception):
    """Standard input closed: treated like [q]uit."""


def ask(prompt: str) -> str:
    try:
        return input(prompt).strip()
    except EOFError:
        out.print()
        raise EndOfInput from None


THREAT_KEYS = {"a": "accept", "r": "reject", "m": "modify", "n": "needs-info", "s": "skip", "q": "quit"}
RISK_KEYS = {"a": "accept", "t": "transfer", "v": "avoid", "m": "mitigate", "s": "skip", "q": "quit"}
THREAT_MENU = "[a]ccept  [r]eject  [m]odify  [n]eeds-info  [s]kip  [q]uit > "
RISK_MENU = "[a]ccept  [t]ransfer  a[v]oid  [m]itigate  [s]kip  [q]uit > "
MODIFIABLE = ("title", "scenario", "likelihood", "impact")


def read_key(menu: str, keys: dict[str, str]) -> str:
    """Ask until the answer is one of the keys (or its full word); there is no default answer."""
    words = {word: word for word in keys.values()}
    while True:
        answer = ask(menu).lower()
        chosen = keys.get(answer) or words.get(answer)
        if chosen:
            return chosen
        out.print(f"please type one of: {', '.join(keys)}", markup=False)


def _ask_text(prompt: str, note: str = "blank line to go back") -> str | None:
    """A required answer; a blank line means: go back to the choice of action."""
    answer = ask(f"{prompt} ({note}): ")
    return answer or None


def _ask_score(name: str) -> int | None:
    while True:
        answer = ask(f"new {name}, 1 to 5 (blank line to go back): ")
        if not answer:
            return None
        if answer.isdigit() and 1 <= int(answer) <= 5:
            return int(answer)
        out.print(f"{name} must be a whole number from 1 to 5", markup=False)


def _ask_date(prompt: str) -> str | None:
    while True:
        answer = ask(f"{prompt}, YYYY-MM-DD (blank line to go back): ")
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
        answer = ask(f"change which fields? ({', '.join(MODIFIABLE)}; comma-separated, blank line to go back): ")
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
    reason = ask("reason (optional, blank for none): ") or None
    return DecisionInput(item=item.id, action=action, reason=reason, seconds_on_screen=seconds, owner=owner,
                         business_impact=business_impact, review_by=review_by)
