"""Never overwrite what a user owns (issue 9, item 3, the commands' side): no command that writes a file replaces
the model, the register, the audit log, an iteration or an output of another kind without --force."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dicetm.store.safety import check_output_path, output_problem

from .helpers import EXAMPLES_DIR, invoke, snapshot

REVIEWER = "Dana Lee <dana@example.com>"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "ws"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / "support-chatbot" / "dicetm.yaml", folder / "dicetm.yaml")
    assert invoke("decide", folder, "T-LLM-004@hosted-llm", "--accept", "--reviewer", REVIEWER).code == 0
    assert invoke("iteration", "new", folder, "--reason", "first look", "--reviewer", REVIEWER).code == 0
    return folder


@pytest.fixture
def workspace(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "ws"))


OWNED = ["dicetm.yaml", "dicetm-register.yaml", "dicetm-audit.jsonl", "dicetm-iterations/1/report.md"]
COMMANDS = {
    "report -o": lambda ws, target: ("report", ws, "-o", target),
    "report -f csv -o": lambda ws, target: ("report", ws, "-f", "csv", "-o", target),
    "export csv --out": lambda ws, target: ("export", "csv", ws, "--out", target),
    "export threat-dragon --out": lambda ws, target: ("export", "threat-dragon", ws, "--out", target),
    "check -o": lambda ws, target: ("check", ws, "-o", target),
}


@pytest.mark.parametrize("owned", OWNED)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_output_replaces_a_workspace_file(workspace: Path, command: str, owned: str) -> None:
    before = snapshot(workspace)
    done = invoke(*COMMANDS[command](workspace, workspace / owned))
    assert done.code == 2, (done.stdout, done.stderr)
    assert f"{workspace / owned} is " in done.stderr and "an output must not replace it" in done.stderr
    assert "pass --force" in done.stderr
    assert snapshot(workspace) == before


def test_a_symlink_to_a_workspace_file_is_seen_through(workspace: Path, tmp_path: Path) -> None:
    link = tmp_path / "innocent.md"
    link.symlink_to(workspace / "dicetm-register.yaml")
    before = snapshot(workspace)
    done = invoke("report", workspace, "-o", link)
    assert done.code == 2 and "is the review register (through the link" in done.stderr
    assert snapshot(workspace) == before and link.is_symlink()


def test_analyze_into_the_workspace_does_not_replace_a_file_of_another_kind(workspace: Path) -> None:
    (workspace / "report.md").write_text("my own notes\n", encoding="utf-8")
    done = invoke("analyze", workspace, "--out", workspace)
    assert done.code == 2 and "report.md already exists and is not a Markdown report dicetm wrote" in done.stderr
    assert (workspace / "report.md").read_text(encoding="utf-8") == "my own notes\n"
    assert not (workspace / "result.json").exists()  # every output is checked before any is written


def test_an_output_of_the_same_kind_is_replaced(workspace: Path, tmp_path: Path) -> None:
    target = tmp_path / "threats.csv"
    assert invoke("report", workspace, "-f", "csv", "-o", target).code == 0
    assert invoke("report", workspace, "-f", "csv", "-o", target).code == 0
    other = invoke("report", workspace, "-f", "md", "-o", target)
    assert other.code == 2 and "already exists and is a CSV register, not a Markdown report" in other.stderr
    assert invoke("export", "csv", workspace, "--out", target).code == 0  # the CSV export is the same register


def test_force_replaces(workspace: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("mine\n", encoding="utf-8")
    assert invoke("report", workspace, "-o", notes).code == 2
    assert invoke("report", workspace, "-o", notes, "--force").code == 0
    assert notes.read_text(encoding="utf-8").startswith("# Threat model:")


def test_evidence_never_writes_into_the_iterations(workspace: Path) -> None:
    done = invoke("evidence", workspace, "--out", workspace / "dicetm-iterations" / "9")
    assert done.code == 2 and "is an iteration snapshot" in done.stderr


def test_init_refuses_an_existing_model_unless_forced(workspace: Path) -> None:
    original = (workspace / "dicetm.yaml").read_bytes()
    done = invoke("init", workspace)
    assert done.code == 2 and "already exists" in done.stderr and "--force" in done.stderr
    assert (workspace / "dicetm.yaml").read_bytes() == original
    assert invoke("init", workspace, "--force").code == 0
    assert (workspace / "dicetm.yaml").read_bytes() != original


def test_import_refuses_the_register_even_when_it_would_be_new(tmp_path: Path) -> None:
    target = tmp_path / "dicetm-iterations" / "dicetm.yaml"
    assert "is an iteration snapshot" in (output_problem(target, "model", False) or "")
    assert output_problem(tmp_path / "dicetm.yaml", "model", False) is None  # writing a new model is allowed


def test_the_library_check_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "dicetm-audit.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(Exception, match="the audit log; an output must not replace it") as caught:
        check_output_path(tmp_path / "dicetm-audit.jsonl", "markdown", False, option="--output")
    assert caught.value.problems[0].location.path == "--output"  # type: ignore[attr-defined]
    check_output_path(tmp_path / "dicetm-audit.jsonl", "markdown", True)  # --force
