"""``dicetm evidence PATH --out DIR`` and ``dicetm evidence verify DIR`` on real workspaces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("dicetm.store.workspace", reason="the workspace store (issue 3) is not available yet")
pytest.importorskip("dicetm.store.iterations", reason="iteration snapshots (issue 3) are not available yet")
pytest.importorskip("dicetm.review", reason="the review core (issue 3) is not available yet")

from gate.cli_app import invoke, make_workspace, snapshot


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("template") / "ws", iteration=True)


@pytest.fixture
def workspace(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "ws"))


def test_pack_of_a_workspace_verifies_and_leaves_it_unchanged(workspace: Path, tmp_path: Path) -> None:
    before = snapshot(workspace)
    out = tmp_path / "pack"
    done = invoke("evidence", workspace, "--out", out)
    assert done.code == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith(f"wrote evidence pack {out} (")
    assert "audit chain verified" in done.stdout
    assert snapshot(workspace) == before
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert {"report.html", "report.md", "register.json", "audit.jsonl", "compliance.md", "compliance.json",
            "manifest.json", "iterations/index.json", "iterations/1/iteration.json",
            "iterations/1/report.md"} <= set(names)
    assert (out / "audit.jsonl").read_bytes() == (workspace / "dicetm-audit.jsonl").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["unrecorded_changes"] == 0 and manifest["audit_verified"] is True
    compliance = json.loads((out / "compliance.json").read_text(encoding="utf-8"))
    process = next(i for i in compliance["items"] if i["id"] == "ai-act-9-1")
    assert process["status"] == "met" and "1 iteration recorded as snapshots" in process["answered_by"]
    done = invoke("evidence", "verify", out)
    assert done.code == 0 and done.stdout.startswith(f"evidence pack {out} is intact: ")


def test_explicit_create_and_help(workspace: Path, tmp_path: Path) -> None:
    assert invoke("evidence", "create", workspace, "--out", tmp_path / "pack").code == 0
    text = invoke("evidence", "--help").stdout
    assert "create" in text and "verify" in text


def test_verify_names_the_first_problem(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    invoke("evidence", workspace, "--out", out)
    (out / "report.html").write_text("<p>all good</p>", encoding="utf-8")
    (out / "extra.txt").write_text("x", encoding="utf-8")
    done = invoke("evidence", "verify", out)
    assert done.code == 1
    assert done.stdout.splitlines()[0].startswith(f"evidence pack {out} is NOT intact: report.html: ")
    assert "also: extra.txt: not listed in the manifest" in done.stdout


def test_bad_input(workspace: Path, tmp_path: Path) -> None:
    assert invoke("evidence", "verify", tmp_path / "nowhere").code == 2
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine", encoding="utf-8")
    done = invoke("evidence", workspace, "--out", tmp_path / "full")
    assert done.code == 2 and "already exists and is not empty" in done.stderr
    assert (tmp_path / "full" / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert invoke("evidence", tmp_path / "no-model", "--out", tmp_path / "p").code == 2
    assert invoke("evidence", workspace).code == 2  # --out is required


def test_a_broken_chain_is_packed_but_reported(workspace: Path, tmp_path: Path) -> None:
    register = workspace / "dicetm-register.yaml"
    register.write_text(register.read_text(encoding="utf-8").replace("no prompt logs are kept", "edited", 1),
                        encoding="utf-8")
    out = tmp_path / "pack"
    done = invoke("evidence", workspace, "--out", out)
    assert done.code == 1 and "warning: the audit chain does not verify" in done.stderr
    assert (out / "manifest.json").is_file()
    done = invoke("evidence", "verify", out)
    assert done.code == 1 and "audit chain: the register differs" in done.stdout
