"""Workspace files are never reached through a symbolic link, and outputs never replace what the user owns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dicetm.errors import InputError, StoreError
from dicetm.review import DecisionInput, ReviewSession, decide
from dicetm.store.iterations import snapshot as record_iteration

from .helpers import ACTOR, make_workspace, populate

REPO = Path(__file__).resolve().parents[2]
THREAT = "T-LLM-004@hosted-llm"


@pytest.fixture
def chatbot(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "support-chatbot" / "dicetm.yaml", folder / "dicetm.yaml")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize("name", ["dicetm-audit.jsonl", "dicetm-register.yaml"])
def test_decide_never_writes_through_a_linked_workspace_file(chatbot: Path, tmp_path: Path, name: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    (chatbot / name).symlink_to(victim)
    with pytest.raises(StoreError) as caught:
        decide(chatbot, [DecisionInput(item=THREAT, action="accept")], reviewer=ACTOR)
    problem = caught.value.problems[0]
    assert problem.location.file == str(chatbot / name) and "symbolic link" in problem.message
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (chatbot / name).is_symlink()


def test_readers_refuse_a_linked_audit_log_too(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")
    (tmp_path / "elsewhere.jsonl").write_text("", encoding="utf-8")
    (workspace.root / "dicetm-audit.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")
    for read in (workspace.records, workspace.verify):
        with pytest.raises(StoreError, match="symbolic link"):
            read()


def test_a_linked_iterations_folder_is_refused(chatbot: Path, tmp_path: Path) -> None:
    session = ReviewSession(chatbot)
    register, result = session.analysis(write=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (chatbot / "dicetm-iterations").symlink_to(outside, target_is_directory=True)
    before = _files(chatbot)
    with pytest.raises(StoreError, match="symbolic link") as caught:
        record_iteration(session.workspace, "first review", ACTOR, result, "report")
    assert caught.value.problems[0].location.file == str(chatbot / "dicetm-iterations")
    assert list(outside.iterdir()) == []
    assert _files(chatbot) == before
    assert register.audit_head is not None


def test_a_linked_model_file_is_refused(chatbot: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    (chatbot / "dicetm.yaml").rename(real)
    (chatbot / "dicetm.yaml").symlink_to(real)
    with pytest.raises(InputError, match="symbolic link"):
        decide(chatbot, [DecisionInput(item=THREAT, action="accept")], reviewer=ACTOR)


def test_a_linked_lock_file_is_refused(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")
    target = tmp_path / "target"
    target.write_text("keep", encoding="utf-8")
    workspace.lock_path.symlink_to(target)
    with pytest.raises(StoreError, match="symbolic link"):
        populate(workspace, 1)
    assert target.read_text(encoding="utf-8") == "keep"
