"""A workspace written by dicetm before the register format change is read as it is and migrated at the first
write, with an audit record; nothing anyone decided is lost. The files in ``legacy/`` were written by that
release (the support-chatbot example, with two decisions)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from dicetm.model.register import REGISTER_FORMAT, Register
from dicetm.review import DecisionInput, ReviewSession
from dicetm.store.workspace import Workspace

LEGACY = Path(__file__).parent / "legacy"
REVIEWER = "Kim Park <kim@example.com>"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    shutil.copytree(LEGACY, folder)
    return folder


def _decisions(register: Register) -> dict[str, tuple[str, str | None, str | None, list[int]]]:
    return {t.id: (t.status.value, t.reviewer, t.reason, [h.seq for h in t.history])
            for t in register.threats if t.history}


def test_an_old_register_is_read_and_verifies_unchanged(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    before = (folder / "dicetm-register.yaml").read_bytes()
    workspace = Workspace.open(folder)
    register = workspace.read()
    assert register.version == 1
    assert register == Register.model_validate(yaml.safe_load(before))
    assert workspace.verify().ok
    assert (folder / "dicetm-register.yaml").read_bytes() == before  # reading migrates nothing


def test_the_first_write_migrates_with_a_record_and_keeps_every_decision(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    workspace = Workspace.open(folder)
    old = workspace.read()
    kept = _decisions(old)
    assert set(kept) == {"T-LLM-004@hosted-llm", "T-LLM-005@hosted-llm"}
    session = ReviewSession(folder)
    threat = next(t.id for t in old.threats if t.status.value == "unreviewed")
    outcome = session.decide([DecisionInput(item=threat, action="accept", seconds_on_screen=12.0)], reviewer=REVIEWER)

    text = (folder / "dicetm-register.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Written by dicetm as JSON") and '\n  "version": 2,\n' in text
    new = workspace.read()
    assert new.version == REGISTER_FORMAT == outcome.register.version
    for item, decision in kept.items():
        assert _decisions(new)[item] == decision
    records = workspace.records()
    migration = [r for r in records if r.action == "migrate-register"]
    assert len(migration) == 1 and migration[0].actor == "dicetm" and migration[0].target == "register"
    assert "no decision changes" in (migration[0].reason or "")
    assert records[-1].target == threat or records[-2].target == threat
    assert workspace.verify().ok
    # Later writes need no second migration.
    other = next(t.id for t in new.threats if t.status.value == "unreviewed")
    session.decide([DecisionInput(item=other, action="accept", seconds_on_screen=12.0)], reviewer=REVIEWER)
    assert [r.action for r in workspace.records()].count("migrate-register") == 1
