"""``dicetm review`` driven as the real terminal program (pexpect), then checked through the workspace store."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pexpect

from dicetm.api import load
from dicetm.pipeline.run import analyze
from dicetm.review import DecisionInput, decide
from dicetm.store.workspace import Workspace

from .helpers import DECISIONS, REVIEWER, anonymous_env, child_env, copy_example, entry_module, invoke, plain, spawn

MENU = r"\[q\]uit > "
ITEM_ID = r"id:\s+(\S+)"


def next_item(child: pexpect.spawn) -> str:
    """Wait for the next item and its menu; return its id."""
    child.expect(ITEM_ID)
    item = str(child.match.group(1))
    child.expect(MENU)
    return item


def start(child: pexpect.spawn, total: int | None = None) -> None:
    child.expect(r"(\d+) items? to review, about ([\d.]+) minutes at 1\.5 minutes per item")
    items, minutes = int(child.match.group(1)), float(child.match.group(2))
    assert minutes == items * 1.5
    if total is not None:
        assert items == total
    child.expect(r"start reviewing\? \[y\]es / \[n\]o > ")
    child.sendline("y")


def finish(child: pexpect.spawn) -> str:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return plain(str(child.before))


def test_one_batch_with_every_kind_of_decision(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    total = len(analyze(load(folder).system).threats)  # what the rules find in the example today
    child = spawn("review", folder, "--batch", "5", cwd=tmp_path)
    start(child, total=total)

    accepted = next_item(child)
    time.sleep(1.0)  # a considered accept: the time on screen must show it
    child.sendline("a")

    rejected = next_item(child)
    child.sendline("r")
    child.expect(r"reason to reject \(required; blank line to go back\): ")
    child.sendline("")  # a blank reason goes back to the menu: nothing is recorded
    child.expect(MENU)
    child.sendline("r")
    child.expect(r"reason to reject")
    child.sendline("The model cannot reach these records in our deployment")
    # The queue is highest risk first, so the second item is high: its rejection waits for a second person.
    child.expect(r"flagged for a second reviewer \(high-risk\): another person confirms it with\s+dicetm decide")

    modified = next_item(child)
    child.sendline("m")
    child.expect(r"change which fields\?")
    child.sendline("likelihood, title")
    child.expect(r"new likelihood, 1 to 5")
    child.sendline("9")
    child.expect(r"must be a whole number from 1 to 5")
    child.sendline("2")
    child.expect(r"new title")
    child.sendline("CRM connector can be steered to change records")
    child.expect(r"reason to modify")
    child.sendline("Only two support leads can use the tool")

    needs_info = next_item(child)
    child.sendline("x")
    child.expect(r"please type one of")
    child.sendline("n")
    child.expect(r"what is missing to decide\?")
    child.sendline("Does the vendor keep our prompts?")

    skipped = next_item(child)
    child.sendline("s")

    child.expect(r"batch 1 of 5 done: accepted 1, rejected 1, modified 1, needs-info 1, skipped 1; "
                 rf"{total - 4} still waiting for a decision \(1 skipped\)")
    child.expect(r"\[c\]ontinue with the next batch or \[s\]top\? > ")
    child.sendline("s")
    tail = finish(child)
    assert "session over: 4 decided" in tail

    workspace = Workspace.open(folder)
    register = workspace.read()
    threats = {t.id: t for t in register.threats}
    expected = {accepted: "accepted", rejected: "rejected", modified: "modified", needs_info: "needs-info"}
    for item, status in expected.items():
        entry = threats[item]
        assert entry.status.value == status
        assert entry.reviewer == REVIEWER
        last = entry.history[-1]
        assert last.actor == REVIEWER and last.seconds_on_screen is not None and last.seconds_on_screen >= 0
    assert threats[accepted].history[-1].seconds_on_screen >= 1.0
    assert threats[rejected].reason == "The model cannot reach these records in our deployment"
    modification = threats[modified].modification
    assert modification is not None
    assert (modification.likelihood, modification.title) == (2, "CRM connector can be steered to change records")
    assert threats[needs_info].reason == "Does the vendor keep our prompts?"
    assert threats[skipped].status.value == "unreviewed" and not threats[skipped].reviewer
    assert sum(1 for t in register.threats if t.reviewer) == 4

    decisions = [r for r in workspace.records() if r.action in DECISIONS]
    assert [(r.action, r.target, r.actor) for r in decisions] == [
        ("accept", accepted, REVIEWER), ("reject", rejected, REVIEWER), ("modify", modified, REVIEWER),
        ("needs-info", needs_info, REVIEWER)]
    for record in decisions:
        assert threats[record.target].history[-1].seq == record.seq
    assert not [r for r in workspace.records() if r.action == "flag-quick-accepts"]
    # What the analysis found is recorded as dicetm's doing, not the reviewer's.
    assert {r.actor for r in workspace.records() if r.action not in DECISIONS} == {"dicetm"}

    verified = invoke("audit", "verify", folder)
    assert verified.code == 0, verified.stderr
    assert "intact" in verified.stdout


def test_five_quick_accepts_are_flagged_and_warned_about(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    child = spawn("review", folder, "--batch", "5", cwd=tmp_path)
    start(child)
    ids = []
    for number in range(5):
        ids.append(next_item(child))
        assert "warning" not in str(child.before)
        child.sendline("a")
        if number < 4:
            child.expect(r"recorded: \S+ accepted")
    child.expect(r"warning: your last 5 accepts each took less than 5 seconds")
    child.expect(r"\[s\]top\? > ")
    child.sendline("s")
    finish(child)

    workspace = Workspace.open(folder)
    flags = [r for r in workspace.records() if r.action == "flag-quick-accepts"]
    assert len(flags) == 1
    assert flags[0].actor == REVIEWER and flags[0].details["items"] == ids
    register = workspace.read()
    assert all(t.history[-1].quick for t in register.threats if t.id in ids)
    logged = invoke("audit", "log", folder, ids[0])
    assert "flag-quick-accepts" in logged.stdout


def test_declining_at_the_load_writes_nothing(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    child = spawn("review", folder, cwd=tmp_path)
    child.expect(r"\d+ items to review")
    child.expect(r"\[n\]o > ")
    child.sendline("n")
    finish(child)
    assert sorted(p.name for p in folder.iterdir() if p.name != ".dicetm.lock") == ["dicetm.yaml"]


def test_quit_stops_at_once_and_keeps_earlier_decisions(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    child = spawn("review", folder, cwd=tmp_path)
    start(child)
    first = next_item(child)
    child.sendline("a")
    next_item(child)
    child.sendline("q")
    tail = finish(child)
    assert "session over: 1 decided" in tail
    register = Workspace.open(folder).read()
    assert [t.id for t in register.threats if t.reviewer] == [first]


def test_anonymous_reviewer_is_refused(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    child = spawn("review", folder, cwd=tmp_path, env=child_env(**anonymous_env(home)))
    child.expect(r"no reviewer identity")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert sorted(p.name for p in folder.iterdir()) == ["dicetm.yaml"]


def test_answers_can_come_from_a_pipe(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    done = subprocess.run([sys.executable, "-m", entry_module(), "review", str(folder), "--batch", "3"],
                          input="y\na\ns\n", capture_output=True, text=True, env=child_env(), timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "session over: 1 decided" in plain(done.stdout)  # the input ended: treated as quit
    register = Workspace.open(folder).read()
    assert sum(1 for t in register.threats if t.status.value == "accepted") == 1


def test_residual_risk_of_an_accepted_threat_is_owned_then_nothing_is_left(tmp_path: Path) -> None:
    folder = copy_example(tmp_path)
    assert invoke("decide", folder, "T-LLM-004@hosted-llm", "--accept").code == 0
    others = [t.id for t in Workspace.open(folder).read().threats if t.status.value == "unreviewed"]
    decide(folder, [DecisionInput(item, "reject", "out of scope here") for item in others], reviewer=REVIEWER)

    child = spawn("review", folder, cwd=tmp_path)
    start(child, total=1)
    assert next_item(child) == "risk:T-LLM-004@hosted-llm"
    assert "residual 15 (high)" in plain(str(child.before))  # 3 x 5: only a made-up internet reach made it 4
    child.sendline("a")
    child.expect("owner of this risk")
    child.sendline("Head of Support")
    child.expect("business impact if it happens")
    child.sendline("Customer data shown to the wrong employee")
    child.expect("review it again by, YYYY-MM-DD")
    child.sendline("next spring")
    child.expect("not a date")
    child.sendline("2027-03-01")
    child.expect(r"reason \(optional")
    child.sendline("Access checks ship next quarter")
    child.expect(r"recorded: risk:T-LLM-004@hosted-llm accepted")
    finish(child)

    risk = Workspace.open(folder).read().residual_risks[0]
    assert (risk.threat, risk.status.value, risk.owner, risk.review_by, risk.reviewer) == (
        "T-LLM-004@hosted-llm", "accepted", "Head of Support", "2027-03-01", REVIEWER)
    assert risk.history[-1].seconds_on_screen is not None
    outcome = invoke("review", folder)
    assert outcome.code == 0
    assert "nothing is waiting for a decision" in outcome.stdout
