"""The gate that cannot be emptied (issue 9, item 2): the attack from the issue, the strict preset, reasons of
substance, a second reviewer for flagged rejections, and coverage judged one threat at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.gate import parse_policy
from dicetm.gate.policy import preset_policy
from dicetm.model.register import ThreatStatus
from dicetm.review.reasons import floor_problem, substance_problem

from .builders import CRITICAL, LOW, REVIEWER, fresh
from .cli_app import invoke, snapshot

SECOND = "Sam Roe <sam@example.com>"
RULES = sorted({t.rule for t in fresh().threats})
NO_BLOCK = "block_unreviewed_at_or_above: null\nrequire_signatures: false\n"


def decide(workspace: Path, *args: str, reviewer: str = REVIEWER) -> str:
    done = invoke("decide", workspace, *args, "--reviewer", reviewer)
    assert done.code == 0, done.stderr
    return done.stdout


def failing(done_stdout: str, rule: str) -> list[str]:
    return [line for line in done_stdout.splitlines() if line.startswith("FAIL ") and f"[{rule}]" in line]


def write_policy(workspace: Path, text: str, name: str = "policy.yaml") -> Path:
    path = workspace.parent / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rejecting_everything_with_a_dot_is_refused(workspace: Path) -> None:
    invoke("decide", workspace, CRITICAL, "--accept", "--reviewer", REVIEWER)
    before = snapshot(workspace)
    done = invoke("decide", workspace, "--all-of", RULES[0], "--reject", "--reason", ".", "--reviewer", REVIEWER)
    assert done.code == 2
    assert "--reason: the reason '.' holds no word, only punctuation or symbols" in done.stderr
    assert snapshot(workspace) == before


def test_the_issue_attack_fails_the_strict_gate(workspace: Path) -> None:
    """Every rule rejected in bulk with one pasted reason: the default gate lets it through, strict does not."""
    for rule in RULES:
        decide(workspace, "--all-of", rule, "--reject", "--reason", "not relevant for us")
    default = invoke("check", workspace)
    assert default.code == 0, default.stdout
    policy = write_policy(workspace, "block_unreviewed_at_or_above: high\nmax_quick_accepts: 0\npreset: strict\n"
                                     "require_signatures: false\n")
    for strict in (invoke("check", workspace, "--policy", "strict"), invoke("check", workspace, "--policy", policy)):
        assert strict.code == 1
        reused = failing(strict.stdout, "reason-reused")
        assert len(reused) == len(fresh().threats)
        assert f"rejects threats of {len(RULES)} rules" in reused[0]
        thin = failing(strict.stdout, "reason-of-substance")
        assert thin and "'not relevant for us' has 19 characters; the policy asks for at least 20" in thin[0]
        second = failing(strict.stdout, "second-reviewer")
        assert len(second) == len(fresh().threats)
        assert "the rejection was made in bulk (--all-of)" in second[0]
    assert "require-signatures" in invoke("check", workspace, "--policy", "strict").stdout


def test_the_strict_preset_turns_every_check_on() -> None:
    strict = preset_policy("strict")
    assert (strict.min_reason_length, strict.max_rules_per_reason, strict.max_quick_accepts) == (20, 3, 0)
    assert strict.require_second_reviewer and strict.require_linked_coverage and strict.require_signatures
    default = preset_policy("default")
    assert (default.min_reason_length, default.max_rules_per_reason, default.max_quick_accepts) == (None, None, None)
    assert not (default.require_second_reviewer or default.require_linked_coverage or default.require_signatures)
    # A file starts from its preset; what it writes wins.
    mixed = parse_policy("preset: strict\nrequire_signatures: false\nmin_reason_length: 40\n", "p.yaml")
    assert mixed.require_second_reviewer and not mixed.require_signatures and mixed.min_reason_length == 40


def test_a_bad_preset_is_located() -> None:
    with pytest.raises(Exception) as caught:
        parse_policy("preset: paranoid\n", "p.yaml")
    problem = caught.value.problems[0]  # type: ignore[attr-defined]
    assert (problem.location.line, problem.message) == (1, "preset: 'paranoid' is not a preset")


def test_the_workspace_policy_file_is_read_by_check(workspace: Path) -> None:
    (workspace / "dicetm-policy.yaml").write_text("block_unreviewed_at_or_above: null\n", encoding="utf-8")
    done = invoke("check", workspace)
    assert done.code == 0 and f"checked against {workspace / 'dicetm-policy.yaml'}" in done.stdout


@pytest.mark.parametrize(("reason", "problem"), [
    (".", "holds no word"), ("...", "holds no word"), ("x", "one character repeated"), ("aaaa", "one character"),
    ("----", "holds no word"), ("   ", "blank"),
])
def test_the_floor_refuses_non_reasons(reason: str, problem: str) -> None:
    assert problem in (floor_problem(reason) or "")


@pytest.mark.parametrize("reason", ["why", "no prompt logs are kept", "WORM", "n/a 42"])
def test_the_floor_accepts_short_real_words(reason: str) -> None:
    assert floor_problem(reason) is None


@pytest.mark.parametrize(("reason", "problem"), [
    ("no prompt logs kept", "has 19 characters"),
    ("logs logs logs logs logs logs", "has 1 different word"),
    ("nope nope nope nope nope nope nope nope", "has 1 different word"),
    ("n/a n/a n/a n/a n/a n/a n/a", "has 0 different words"),
    (None, "no reason is recorded"),
])
def test_substance_needs_length_and_different_words(reason: str | None, problem: str) -> None:
    assert problem in (substance_problem(reason, 20) or "")


def test_substance_passes_a_real_reason() -> None:
    assert substance_problem("the log store is WORM and only the audit team reads it", 20) is None


def test_a_flagged_rejection_needs_a_second_different_person(workspace: Path) -> None:
    decide(workspace, CRITICAL, "--reject", "--reason", "the CRM holds no customer data in this deployment")
    policy = write_policy(workspace, NO_BLOCK + "require_second_reviewer: true\n")
    first = invoke("check", workspace, "--policy", policy)
    assert first.code == 1
    [line] = failing(first.stdout, "second-reviewer")
    assert f"rejected by {REVIEWER}: the threat is critical, and no second reviewer has confirmed it" in line
    same = invoke("decide", workspace, CRITICAL, "--confirm", "--reviewer", "dana lee <DANA@example.com>")
    assert same.code == 2 and "a second, different person must confirm it" in same.stderr
    assert f"{CRITICAL}: confirm -> rejected (by {SECOND})" in decide(workspace, CRITICAL, "--confirm", reviewer=SECOND)
    assert invoke("check", workspace, "--policy", policy).code == 0
    again = invoke("decide", workspace, CRITICAL, "--confirm", "--reviewer", SECOND)
    assert again.code == 2 and "has already confirmed" in again.stderr


def test_a_new_decision_needs_a_new_confirmation(workspace: Path) -> None:
    decide(workspace, CRITICAL, "--reject", "--reason", "the CRM holds no customer data in this deployment")
    decide(workspace, CRITICAL, "--confirm", reviewer=SECOND)
    decide(workspace, CRITICAL, "--reject", "--reason", "the CRM connector was removed from the design")
    policy = write_policy(workspace, NO_BLOCK + "require_second_reviewer: true\n")
    assert failing(invoke("check", workspace, "--policy", policy).stdout, "second-reviewer")


def test_an_unflagged_rejection_needs_no_second_reviewer(workspace: Path) -> None:
    decide(workspace, LOW, "--reject", "--reason", "the vector store holds only public wiki pages")
    policy = write_policy(workspace, NO_BLOCK + "require_second_reviewer: true\n")
    assert failing(invoke("check", workspace, "--policy", policy).stdout, "second-reviewer") == []


def test_confirming_needs_a_decision(workspace: Path) -> None:
    done = invoke("decide", workspace, CRITICAL, "--confirm", "--reviewer", SECOND)
    assert done.code == 2 and "there is no decision to confirm" in done.stderr


def test_bulk_and_high_risk_rejections_are_flagged_in_the_record(workspace: Path) -> None:
    from dicetm.store.workspace import Workspace

    rule = CRITICAL.split("@")[0]  # every finding of the critical threat's rule, in one bulk rejection
    decide(workspace, "--all-of", rule, "--reject", "--reason", "the CRM holds no customer data at all")
    records = [r for r in Workspace.open(workspace).records() if r.action == "reject"]
    assert records and all("bulk" in r.details["flags"] for r in records)
    threat = next(t for t in Workspace.open(workspace).read().threats if t.id == CRITICAL)
    assert threat.status is ThreatStatus.rejected and threat.history[-1].details["flags"] == ["bulk", "high-risk"]


def test_coverage_is_judged_per_threat(workspace: Path) -> None:
    """One implemented control no longer covers every threat the catalogue maps it to under strict linking."""
    (workspace / "docs").mkdir()
    (workspace / "docs" / "output-filter.md").write_text("# the filter\n", encoding="utf-8")
    decide(workspace, CRITICAL, "--accept")
    decide(workspace, "C-OUT-001", "--implement", "--evidence", "docs/output-filter.md")
    policy = write_policy(workspace, NO_BLOCK + "require_linked_coverage: true\n")
    loose = invoke("check", workspace, "--policy", write_policy(workspace, NO_BLOCK, "loose.yaml"))
    assert loose.code == 0, loose.stdout
    strict = invoke("check", workspace, "--policy", policy)
    [line] = failing(strict.stdout, "require-coverage")
    assert "C-OUT-001 implemented but not linked to this threat by a person" in line
    decide(workspace, "C-OUT-001", "--implement", "--evidence", "docs/output-filter.md", "--covers", CRITICAL)
    assert invoke("check", workspace, "--policy", policy).code == 0


def test_covers_must_name_a_threat_the_control_mitigates(workspace: Path) -> None:
    done = invoke("decide", workspace, "C-OUT-001", "--plan", "--owner", "Bob", "--due", "2030-01-01", "--covers",
                  LOW, "--reviewer", REVIEWER)
    assert done.code == 2 and f"C-OUT-001 does not mitigate {LOW}" in done.stderr
