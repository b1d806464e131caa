"""Who decides, and what they type (issue 9, items 5 and 7): a name given on purpose is used or refused, never
replaced by git's; the tool's own names are reserved; control characters are refused in names, reasons and
owners, and a line break in a name cannot forge a line of ``dicetm check`` output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.helpers import invoke
from dicetm.errors import InputError
from dicetm.review.identity import resolve_reviewer, same_person

from .helpers import CHATBOT, REVIEWER

THREAT = "T-LLM-004@hosted-llm"
HIGH = "T-LLM-008@hosted-llm"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(CHATBOT / "dicetm.yaml", folder / "dicetm.yaml")
    return folder


@pytest.fixture
def git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git configuration that names someone, so a fallback to git would succeed if it happened."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Git Person\n\temail = git@example.com\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("DICETM_REVIEWER", raising=False)


def test_git_is_used_when_nothing_is_given(git_identity: None, tmp_path: Path) -> None:
    assert resolve_reviewer(None, tmp_path) == "Git Person <git@example.com>"


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_flag_is_refused_not_replaced_by_git(git_identity: None, workspace: Path, blank: str) -> None:
    done = invoke("decide", workspace, THREAT, "--accept", "--reviewer", blank)
    assert done.code == 2 and "--reviewer: the reviewer name is blank" in done.stderr
    assert not (workspace / "dicetm-audit.jsonl").exists()


def test_a_blank_variable_is_refused_not_replaced_by_git(git_identity: None, workspace: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DICETM_REVIEWER", " ")
    done = invoke("decide", workspace, THREAT, "--accept")
    assert done.code == 2 and "DICETM_REVIEWER: the reviewer name is blank" in done.stderr


@pytest.mark.parametrize("name", ["dicetm", "DiceTM", " dicetm ", "llm:openai/gpt-4o", "dicetm:bot"])
def test_the_tools_own_names_are_reserved(workspace: Path, name: str) -> None:
    done = invoke("decide", workspace, THREAT, "--accept", "--reviewer", name)
    assert done.code == 2 and "is reserved for dicetm's own records" in done.stderr


@pytest.mark.parametrize(("name", "shown"), [("Eve\nFAIL T-LLM-004", "U+000A LINE FEED"),
                                             ("Eve\x1b[2J", "U+001B ESCAPE"), ("Eve\u202e", "U+202E")])
def test_a_name_with_a_control_character_is_refused(workspace: Path, name: str, shown: str) -> None:
    done = invoke("decide", workspace, THREAT, "--accept", "--reviewer", name)
    assert done.code == 2 and shown in done.stderr and "holds a control character" in done.stderr
    assert not (workspace / "dicetm-audit.jsonl").exists()


def test_the_library_refuses_such_names_too(workspace: Path) -> None:
    from dicetm.review import DecisionInput, decide

    with pytest.raises(InputError, match="holds a control character"):
        decide(workspace, [DecisionInput(item=THREAT, action="accept")], reviewer="Eve\nMallory")
    with pytest.raises(InputError, match="reserved"):
        decide(workspace, [DecisionInput(item=THREAT, action="accept")], reviewer="dicetm")


@pytest.mark.parametrize(("option", "value", "field"), [
    ("--reason", "fine\x1b[2J", "reason holds a control character"),
    ("--reason", "line one\nFAIL forged", "reason holds a control character (U+000A LINE FEED)"),
    ("--owner", "CISO\nFAIL forged", "owner name holds a control character"),
])
def test_reasons_and_owners_with_control_characters_are_refused(workspace: Path, option: str, value: str,
                                                                 field: str) -> None:
    action = ["--reject"] if option == "--reason" else ["--plan", "--due", "2030-01-01"]
    item = THREAT if option == "--reason" else "C-OUT-001"
    args = [*action, option, value] + (["--reason", "a plain reason"] if option != "--reason" else [])
    done = invoke("decide", workspace, item, *args, "--reviewer", REVIEWER)
    assert done.code == 2 and field in done.stderr


def test_a_line_break_in_a_name_cannot_forge_a_line_of_check_output(workspace: Path) -> None:
    """The model file is not validated by decide: an owner written there with a line break stays on its line."""
    assert invoke("decide", workspace, HIGH, "--accept", "--reviewer", REVIEWER).code == 0
    model = workspace / "dicetm.yaml"
    forged = "Eve\\nFAIL T-LLM-004@hosted-llm [block-unreviewed] forged line\\x1b[2J"
    model.write_text(model.read_text(encoding="utf-8").replace(
        "\nresidual_risks: []\n", f'\nresidual_risks:\n  - threat: {HIGH}\n    owner: "{forged}"\n'
                                  '    decision: accept\n    review_by: "2021-01-01"\n'), encoding="utf-8")
    policy = workspace.parent / "p.yaml"
    policy.write_text("block_unreviewed_at_or_above: null\n", encoding="utf-8")
    done = invoke("check", workspace, "--policy", policy)
    assert done.code == 1
    lines = done.stdout.splitlines()
    assert len([line for line in lines if line.startswith("FAIL ")]) == int(lines[0].split()[2])
    assert not any(line.startswith("FAIL T-LLM-004") for line in lines)
    assert "by Eve\\x0aFAIL T-LLM-004@hosted-llm [block-unreviewed] forged line\\x1b[2J expired" in done.stdout
    assert "\x1b" not in done.stdout


def test_one_person_under_two_spellings() -> None:
    assert same_person("Dana Lee <dana@example.com>", "dana  lee <dana@example.com>")
    assert same_person("Dana Lee <dana@example.com>", "D. Lee <DANA@example.com>")
    assert not same_person("Dana Lee <dana@example.com>", "Sam Roe <sam@example.com>")
    assert not same_person("Dana", "Sam")
