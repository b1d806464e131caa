"""``dicetm decide`` and ``dicetm audit``: what is recorded, what is refused (exit 2, nothing written), and
whether the audit log notices an edited record (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dicetm.store.workspace import Workspace

from .helpers import DECISIONS, REVIEWER, anonymous_env, copy_example, invoke, snapshot

THREAT = "T-LLM-004@hosted-llm"
LLM_5 = ["T-LLM-005@chat-logs", "T-LLM-005@hosted-llm"]  # the chatbot's one rule with two threats


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def decisions(folder: Path) -> list[tuple[str, str, str]]:
    return [(r.action, r.target, r.actor) for r in Workspace.open(folder).records() if r.action in DECISIONS]


def test_accept_one_threat(folder: Path) -> None:
    outcome = invoke("decide", folder, THREAT, "--accept", "--reason", "seen it happen in the pilot")
    assert outcome.code == 0, outcome.stderr
    assert f"{THREAT}: accept -> accepted (by {REVIEWER}): seen it happen in the pilot" in outcome.stdout
    entry = next(t for t in Workspace.open(folder).read().threats if t.id == THREAT)
    assert (entry.status.value, entry.reviewer, entry.reason) == ("accepted", REVIEWER, "seen it happen in the pilot")
    assert entry.history[-1].seconds_on_screen is None  # a script has no screen time
    assert decisions(folder) == [("accept", THREAT, REVIEWER)]


def test_rejecting_a_high_threat_says_it_waits_for_a_second_reviewer(folder: Path) -> None:
    outcome = invoke("decide", folder, LLM_5[0], "--reject", "--reason", "prompts are never logged")
    assert outcome.code == 0, outcome.stderr
    assert (f"flagged for a second reviewer (high-risk): another person confirms it with "
            f"dicetm decide {folder} {LLM_5[0]} --confirm") in outcome.stdout
    confirmed = invoke("decide", folder, LLM_5[0], "--confirm", "--reviewer", "Sam Roe <sam@example.com>")
    assert confirmed.code == 0, confirmed.stderr
    assert "flagged" not in confirmed.stdout


def test_accepting_or_rejecting_a_medium_threat_is_not_flagged(folder: Path) -> None:
    outcome = invoke("decide", folder, "T-LLM-001@hosted-llm", "--reject", "--reason", "no user input reaches it")
    assert outcome.code == 0, outcome.stderr
    assert "flagged" not in outcome.stdout
    assert "flagged" not in invoke("decide", folder, THREAT, "--accept").stdout


def test_reviewer_option_wins(folder: Path) -> None:
    assert invoke("decide", folder, THREAT, "--accept", "--reviewer", "Sam Roe <sam@example.com>").code == 0
    assert decisions(folder) == [("accept", THREAT, "Sam Roe <sam@example.com>")]


def test_modify_keeps_the_change_and_the_reason(folder: Path) -> None:
    outcome = invoke("decide", folder, THREAT, "--modify", "--likelihood", "2", "--title", "Narrower title",
                     "--reason", "only leads can use it")
    assert outcome.code == 0, outcome.stderr
    entry = next(t for t in Workspace.open(folder).read().threats if t.id == THREAT)
    assert entry.modification is not None
    assert (entry.modification.likelihood, entry.modification.title) == (2, "Narrower title")


def test_all_of_records_one_decision_per_threat_of_the_rule(folder: Path) -> None:
    outcome = invoke("decide", folder, "--all-of", "T-LLM-005", "--reject", "--reason", "prompts are never logged")
    assert outcome.code == 0, outcome.stderr
    for target in LLM_5:
        assert f"{target}: reject -> rejected" in outcome.stdout
    assert "2 decision(s) recorded, one per threat of T-LLM-005" in outcome.stdout
    assert sorted(decisions(folder)) == [("reject", target, REVIEWER) for target in LLM_5]


def test_countermeasure_and_residual_risk_decisions(folder: Path) -> None:
    plan = invoke("decide", folder, "C-ACC-003", "--plan", "--owner", "Platform team", "--due", "2027-01-31")
    assert plan.code == 0, plan.stderr
    risk = invoke("decide", folder, f"risk:{THREAT}", "--transfer", "--owner", "CISO", "--business-impact",
                  "fines and lost trust", "--review-by", "2027-06-30", "--reason", "covered by the vendor contract")
    assert risk.code == 0, risk.stderr
    register = Workspace.open(folder).read()
    control = next(c for c in register.countermeasures if c.id == "C-ACC-003")
    assert (control.status.value, control.owner, control.due) == ("planned", "Platform team", "2027-01-31")
    record = register.residual_risks[0]
    assert (record.threat, record.status.value, record.owner) == (THREAT, "transferred", "CISO")
    assert decisions(folder) == [("plan", "C-ACC-003", REVIEWER), ("risk-transfer", f"risk:{THREAT}", REVIEWER)]


@pytest.mark.parametrize(("args", "words"), [
    ([THREAT], ["exactly one action", "--accept", "--needs-info"]),
    ([THREAT, "--accept", "--reject", "--reason", "x"], ["exactly one action", "--accept, --reject"]),
    (["--accept"], ["give an ITEM_ID or --all-of"]),
    ([THREAT, "--all-of", "T-LLM-004", "--accept"], ["not both"]),
    ([THREAT, "--reject"], ["needs reason"]),
    ([THREAT, "--modify", "--reason", "why"], ["--modify needs at least one of"]),
    (["T-LLM-004@hosted-lm", "--accept"], ["no threat 'T-LLM-004@hosted-lm'", f"did you mean {THREAT}"]),
    (["C-ACC-033", "--accept"], ["no countermeasure", "did you mean C-ACC-003"]),
    (["C-ACC-003", "--plan", "--owner", "x", "--due", "soon"], ["is not a date", "YYYY-MM-DD"]),
    ([f"risk:{THREAT}", "--accept", "--owner", "x"], ["needs business_impact"]),
    ([THREAT, "--transfer"], ["not a decision for a threat"]),
    (["--all-of", "T-NOPE-999", "--accept"], ["no live threat of rule 'T-NOPE-999'"]),
])
def test_refused_decisions_exit_2_and_write_nothing(folder: Path, args: list[str], words: list[str]) -> None:
    before = snapshot(folder)
    outcome = invoke("decide", folder, *args)
    assert outcome.code == 2, outcome.stdout
    assert "nothing was written" in outcome.stderr
    for word in words:
        assert word in outcome.stderr
    assert snapshot(folder) == before


def test_likelihood_out_of_range_is_a_usage_error(folder: Path) -> None:
    outcome = invoke("decide", folder, THREAT, "--modify", "--likelihood", "7", "--reason", "x")
    assert outcome.code == 2
    assert snapshot(folder).keys() == {"dicetm.yaml"}


def test_anonymous_decision_is_refused(folder: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    outcome = invoke("decide", folder, THREAT, "--accept", env=anonymous_env(home))
    assert outcome.code == 2
    assert "no reviewer identity" in outcome.stderr and "DICETM_REVIEWER" in outcome.stderr
    assert snapshot(folder).keys() == {"dicetm.yaml"}


@pytest.fixture
def decided(folder: Path) -> Path:
    assert invoke("decide", folder, THREAT, "--accept").code == 0
    assert invoke("decide", folder, LLM_5[0], "--reject", "--reason", "mutual TLS").code == 0
    assert invoke("decide", folder, THREAT, "--needs-info", "--reason", "who can call the CRM tool?").code == 0
    return folder


def test_audit_log_lists_the_history(decided: Path) -> None:
    outcome = invoke("audit", "log", decided)
    assert outcome.code == 0, outcome.stderr
    records = Workspace.open(decided).records()
    lines = outcome.stdout.splitlines()
    assert len(lines) == len(records)
    assert f"{REVIEWER}  accept  {THREAT}" in outcome.stdout
    assert f"reject  {LLM_5[0]}  reason: mutual TLS  flags: high-risk" in outcome.stdout
    assert "flags:" not in next(line for line in lines if f"accept  {THREAT}" in line)
    assert lines[0].startswith("#1 ")


def test_audit_log_of_one_item_as_json(decided: Path) -> None:
    outcome = invoke("audit", "log", decided, THREAT, "--format", "json")
    assert outcome.code == 0, outcome.stderr
    rows = json.loads(outcome.stdout)
    assert {row["target"] for row in rows} == {THREAT}
    assert [row["action"] for row in rows if row["action"] in DECISIONS] == ["accept", "needs-info"]
    assert set(rows[0]) >= {"seq", "time", "actor", "action", "target", "reason"}
    seqs = [row["seq"] for row in rows]
    assert seqs == sorted(seqs)
    assert rows[-1]["reason"] == "who can call the CRM tool?"


def test_audit_log_of_an_unknown_item(decided: Path) -> None:
    outcome = invoke("audit", "log", decided, "T-LLM-004@hosted-lm")
    assert outcome.code == 2
    assert f"did you mean {THREAT}" in outcome.stderr


def test_audit_verify_intact(decided: Path) -> None:
    outcome = invoke("audit", "verify", decided)
    assert outcome.code == 0, outcome.stderr
    count = len(Workspace.open(decided).records())
    assert f"audit log intact: {count} record(s)" in outcome.stdout


def test_audit_verify_names_an_edited_record(decided: Path) -> None:
    log = Workspace.open(decided).audit_path
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if '"mutual TLS"' in line)
    seq = json.loads(lines[index])["seq"]
    lines[index] = lines[index].replace('"mutual TLS"', '"it is fine"')
    log.write_text("".join(lines), encoding="utf-8")
    outcome = invoke("audit", "verify", decided)
    assert outcome.code == 1
    assert f"record #{seq}" in outcome.stderr
