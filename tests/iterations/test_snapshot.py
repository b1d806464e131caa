"""store.iterations: what a snapshot holds, that it appears whole or not at all, and reading it back."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from dicetm.errors import InputError, StoreError
from dicetm.model import AnalysisResult
from dicetm.model.register import Register

from .helpers import workspace_folder

workspace_module = pytest.importorskip(
    "dicetm.store.workspace", reason="dicetm.store.workspace (the store engineer's Workspace) is not there yet")
iterations = pytest.importorskip("dicetm.store.iterations")

FILES = ["dicetm-register.yaml", "dicetm.yaml", "iteration.json", "report.md", "result.json"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return workspace_folder(tmp_path)


@pytest.fixture
def workspace(folder: Path) -> Any:
    return workspace_module.Workspace.open(folder)


@pytest.fixture
def analysed(folder: Path) -> tuple[AnalysisResult, str]:
    from dicetm.api import analyze_path
    from dicetm.report import render_markdown

    loaded, result = analyze_path(folder)
    return result, render_markdown(result, loaded.system)


def take(workspace: Any, analysed: tuple[AnalysisResult, str], reason: str = "first design review") -> Any:
    result, report = analysed
    return iterations.snapshot(workspace, reason, "Dana Lee <dana@example.com>", result, report)


def on_disk(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_snapshot_holds_model_register_result_report_and_summary(workspace: Any, folder: Path,
                                                                   analysed: tuple[AnalysisResult, str]) -> None:
    result, report = analysed
    info = take(workspace, analysed)
    snap = folder / "dicetm-iterations" / "1"
    assert info.number == 1
    assert sorted(p.name for p in snap.iterdir()) == FILES
    assert (snap / "dicetm.yaml").read_bytes() == (folder / "dicetm.yaml").read_bytes()
    copied = Register.model_validate(yaml.safe_load((snap / "dicetm-register.yaml").read_text(encoding="utf-8")))
    assert copied.iteration == 1 and copied.threats == []  # no register yet: the empty one
    assert AnalysisResult.model_validate_json((snap / "result.json").read_bytes()) == result
    assert (snap / "report.md").read_text(encoding="utf-8") == report
    summary = json.loads((snap / "iteration.json").read_text(encoding="utf-8"))
    assert summary["number"] == 1 and summary["reason"] == "first design review"
    assert summary["actor"] == "Dana Lee <dana@example.com>" and summary["time"].endswith("Z")
    assert summary["threats"] == len(result.threats)
    for name, digest in summary["files"].items():
        assert hashlib.sha256((snap / name).read_bytes()).hexdigest() == digest
    assert sorted(summary["files"]) == sorted(set(FILES) - {"iteration.json"})


def test_snapshot_moves_the_register_on_with_one_audit_record(workspace: Any,
                                                              analysed: tuple[AnalysisResult, str]) -> None:
    before = len(workspace.records())
    take(workspace, analysed, reason="  release 2.3  ")
    assert workspace.read().iteration == 2
    records = workspace.records()
    assert len(records) == before + 1
    record = records[-1]
    assert (record.action, record.target, record.reason) == ("iteration-new", "iteration:1", "release 2.3")
    assert record.actor == "Dana Lee <dana@example.com>"
    summary = (workspace.iterations_dir / "1" / "iteration.json").read_bytes()
    assert record.details["iteration_json_sha256"] == hashlib.sha256(summary).hexdigest()
    assert workspace.verify().ok


def test_second_snapshot_copies_the_register_and_records_its_head(workspace: Any,
                                                                  analysed: tuple[AnalysisResult, str]) -> None:
    take(workspace, analysed)
    register_bytes = workspace.register_path.read_bytes()
    info = take(workspace, analysed, reason="second review")
    snap = workspace.iterations_dir / "2"
    assert info.number == 2
    assert (snap / "dicetm-register.yaml").read_bytes() == register_bytes
    head = workspace.records()[-2]  # the record that produced the copied register
    assert info.audit_head is not None and (info.audit_head.seq, info.audit_head.hash) == (head.seq, head.hash)
    assert workspace.read().iteration == 3


def test_list_and_load_round_trip(workspace: Any, folder: Path, analysed: tuple[AnalysisResult, str]) -> None:
    from dicetm.api import load

    assert iterations.list_iterations(workspace) == []
    first = take(workspace, analysed)
    second = take(workspace, analysed, reason="second review")
    assert iterations.list_iterations(workspace) == [first, second]
    snap = iterations.load_iteration(workspace, 1)
    assert snap.info == first
    assert snap.system == load(folder).system
    assert snap.result == analysed[0]
    assert snap.register.iteration == 1
    assert iterations.load_iteration(workspace, 2).register.iteration == 2


def test_a_failure_mid_snapshot_leaves_no_folder_and_no_record(workspace: Any, folder: Path,
                                                               analysed: tuple[AnalysisResult, str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    take(workspace, analysed)
    before = on_disk(folder)
    written: list[str] = []
    real_write = iterations._write_file

    def failing_write(path: Path, data: bytes) -> None:
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(path.name)
        real_write(path, data)

    monkeypatch.setattr(iterations, "_write_file", failing_write)
    with pytest.raises(StoreError, match="No space left") as caught:  # a located error, not a traceback
        take(workspace, analysed, reason="second review")
    assert caught.value.problems[0].location.file == str(workspace.iterations_dir / "2")
    assert len(written) == 3
    assert on_disk(folder) == before  # no partial folder, no staging folder, register and log untouched
    assert sorted(p.name for p in workspace.iterations_dir.iterdir()) == ["1"]
    monkeypatch.undo()
    assert take(workspace, analysed, reason="second review").number == 2


def test_a_snapshot_whose_commit_fails_is_not_an_iteration(workspace: Any, analysed: tuple[AnalysisResult, str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_commit(*_args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(workspace_module.Workspace, "_commit", failing_commit)
    with pytest.raises(OSError):
        take(workspace, analysed)
    monkeypatch.undo()
    assert (workspace.iterations_dir / "1").is_dir()  # published, but the audit log never vouched for it
    assert iterations.list_iterations(workspace) == []
    assert workspace.read().iteration == 1
    assert take(workspace, analysed).number == 1
    assert [i.number for i in iterations.list_iterations(workspace)] == [1]


def test_a_folder_left_by_an_interrupted_snapshot_is_ignored_then_replaced(
        workspace: Any, analysed: tuple[AnalysisResult, str]) -> None:
    leftover = workspace.iterations_dir / "1"
    leftover.mkdir(parents=True)
    (leftover / "report.md").write_text("half", encoding="utf-8")
    (workspace.iterations_dir / ".1.abc.tmp").mkdir()
    assert iterations.list_iterations(workspace) == []  # never recorded in the audit log
    take(workspace, analysed)
    assert sorted(p.name for p in workspace.iterations_dir.iterdir()) == ["1"]
    assert iterations.load_iteration(workspace, 1).info.number == 1


def test_empty_reason_is_refused_and_nothing_is_written(workspace: Any, folder: Path,
                                                        analysed: tuple[AnalysisResult, str]) -> None:
    before = on_disk(folder)
    with pytest.raises(InputError) as caught:
        take(workspace, analysed, reason="   ")
    problem = caught.value.problems[0]
    assert problem.location.path == "--reason" and "empty" in problem.message and problem.hint
    assert on_disk(folder) == before


def test_unknown_iteration_names_the_ones_that_exist(workspace: Any, analysed: tuple[AnalysisResult, str]) -> None:
    with pytest.raises(InputError) as caught:
        iterations.load_iteration(workspace, 1)
    assert "no iteration is recorded yet" in str(caught.value.problems[0].hint)
    take(workspace, analysed)
    with pytest.raises(InputError) as caught:
        iterations.load_iteration(workspace, 4)
    problem = caught.value.problems[0]
    assert problem.message == "there is no iteration 4"
    assert problem.location.file == str(workspace.iterations_dir / "4")
    assert problem.hint == "recorded iterations: 1"


@pytest.mark.parametrize("name", ["report.md", "dicetm.yaml", "dicetm-register.yaml", "result.json"])
def test_an_edited_snapshot_file_is_reported(workspace: Any, analysed: tuple[AnalysisResult, str], name: str) -> None:
    take(workspace, analysed)
    path = workspace.iterations_dir / "1" / name
    path.write_bytes(path.read_bytes() + b"\n# edited\n")
    for read in (lambda: iterations.load_iteration(workspace, 1), lambda: iterations.list_iterations(workspace)):
        with pytest.raises(StoreError) as caught:
            read()
        problem = caught.value.problems[0]
        assert problem.location.file == str(path) and "sha256" in problem.message


def test_an_edited_summary_is_caught_by_the_audit_record(workspace: Any,
                                                         analysed: tuple[AnalysisResult, str]) -> None:
    take(workspace, analysed)
    path = workspace.iterations_dir / "1" / "iteration.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["reason"] = "something nicer"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StoreError, match="changed after it was recorded"):
        iterations.load_iteration(workspace, 1)


def test_a_missing_folder_is_reported(workspace: Any, analysed: tuple[AnalysisResult, str]) -> None:
    take(workspace, analysed)
    shutil.rmtree(workspace.iterations_dir / "1")
    with pytest.raises(StoreError) as caught:
        iterations.list_iterations(workspace)
    assert "folder is missing" in caught.value.problems[0].message
