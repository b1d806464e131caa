"""Checks on what a reviewer types, made before anything is recorded; every problem is reported at once.

Names (reviewer, owner) and free text (reason, business impact, titles, evidence) may not hold control
characters: they go on one line in the register, the audit log, the reports and the gate's output, where a line
break or an escape sequence would forge or hide something. A reason must meet the floor of
``review.reasons``. A review-by date or a plan's due date in the past is refused: the decision would be
expired, or the plan overdue, the moment it is made. Evidence for an implemented countermeasure must be an
http(s) link or a path in the repository (``dicetm.evidence_link``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dicetm import evidence_link
from dicetm.errors import InputError, Location, Problem
from dicetm.review.identity import name_problem
from dicetm.review.reasons import floor_problem
from dicetm.textsafe import unsafe_character

if TYPE_CHECKING:
    from dicetm.review.decide import DecisionInput

TEXT_FIELDS = ("reason", "title", "scenario", "business_impact", "evidence", "due", "review_by")


def _option(field: str) -> str:
    return f"--{field.replace('_', '-')}"


def _decision_problems(decision: DecisionInput, workspace: Path, today: date) -> Iterable[Problem]:
    for field in TEXT_FIELDS:
        value = getattr(decision, field)
        bad = unsafe_character(value) if isinstance(value, str) else None
        if bad is not None:
            yield Problem(f"{field.replace('_', ' ')} holds a control character ({bad})", Location(path=_option(field)),
                          hint="type it on one line, without escape sequences")
    if decision.owner is not None and decision.owner.strip():
        problem = name_problem(decision.owner, "owner")
        if problem is not None:
            yield Problem(problem, Location(path="--owner"))
    if decision.reason is not None and decision.reason.strip() and unsafe_character(decision.reason) is None:
        problem = floor_problem(decision.reason)
        if problem is not None:
            yield Problem(problem, Location(path="--reason"), hint="say in words why: it is what an auditor reads")
    yield from _date_problems(decision, today)
    if decision.action == "implement" and decision.evidence is not None and decision.evidence.strip():
        problem = evidence_link.link_problem(decision.evidence) or evidence_link.path_problem(decision.evidence,
                                                                                               workspace)
        if problem is not None:
            yield Problem(problem, Location(path="--evidence"), hint=f"evidence is {evidence_link.RULE}")


# Dates a decision looks ahead to: (field, what it is, why a past one is refused, hint).
_FUTURE_DATES = (
    ("review_by", "review-by date", "the decision would be expired the moment it is recorded",
     "give the date by which the owner will look at this risk again"),
    ("due", "due date", "the plan would be overdue the moment it is recorded",
     "give the date by which the owner will have the countermeasure in place"),
)


def _date_problems(decision: DecisionInput, today: date) -> Iterable[Problem]:
    if decision.action == "reopen":
        return
    for field, what, why, hint in _FUTURE_DATES:
        text = getattr(decision, field)
        if text is None:
            continue
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            continue  # decide() names a malformed date itself
        if day < today:
            yield Problem(f"{what} {day.isoformat()} is in the past (today is {today.isoformat()}): {why}",
                          Location(path=_option(field)), hint=hint)


def check_inputs(decisions: Iterable[DecisionInput], *, reviewer: str, workspace: Path, today: date) -> None:
    """Raise one InputError listing every problem with the reviewer and the decisions; nothing when all is well."""
    problems: list[Problem] = []
    problem = name_problem(reviewer)
    if problem is not None:
        problems.append(Problem(problem, Location(path="--reviewer")))
    for decision in decisions:
        problems.extend(_decision_problems(decision, workspace, today))
    if problems:
        raise InputError(problems)
