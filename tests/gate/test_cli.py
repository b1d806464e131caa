"""``dicetm check``: exit 0 when the policy holds, 1 when it does not (each failing item printed), 2 on bad
input, and nothing in the workspace changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("dicetm.store.workspace", reason="the workspace store (issue 3) is not available yet")
pytest.importorskip("dicetm.review", reason="the review core (issue 3) is not available yet")

from .builders import CRITICAL, HIGH, fresh
from .cli_app import invoke, make_workspace, snapshot
from .sarif_check import sarif_problems

LENIENT = "block_unreviewed_at_or_above: null\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_workspace(tmp_path_factory.mktemp("template") / "ws")


@pytest.fixture
def workspace(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "ws"))


def test_check_fails_and_lists_each_failing_item(workspace: Path) -> None:
    before = snapshot(workspace)
    done = invoke("check", workspace)
    assert done.code == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("policy failed: ") and "checked against the default policy" in lines[0]
    failing = [line for line in lines if line.startswith("FAIL ")]
    assert len(failing) == int(lines[0].split()[2])
    assert all("[block-unreviewed]" in line for line in failing)
    assert not any(CRITICAL in line or HIGH in line for line in failing)  # decided and covered
    first = failing[0]
    assert "high threat not reviewed by anyone yet" in first and f"({workspace / 'dicetm.yaml'}:" in first
    assert snapshot(workspace) == before  # check writes nothing
    assert lines[-1] == (f"next: decide what is listed with dicetm review {workspace} (terminal) or dicetm serve "
                         f"{workspace} (browser), or one item with dicetm decide {workspace} ITEM_ID ...")


def test_a_check_that_holds_or_writes_a_file_prints_no_next_step(workspace: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    assert "next:" not in invoke("check", workspace, "--policy", policy).stdout
    assert "next:" not in invoke("check", workspace, "--format", "json").stdout
    assert (tmp_path / "gate.txt").exists() is False
    written = invoke("check", workspace, "--output", tmp_path / "gate.txt")
    assert written.code == 1 and "next:" not in (tmp_path / "gate.txt").read_text(encoding="utf-8")


def test_check_on_a_fresh_model_writes_no_data(tmp_path: Path) -> None:
    shutil.copy(Path(__file__).resolve().parents[2] / "examples" / "support-chatbot" / "dicetm.yaml", tmp_path)
    before = snapshot(tmp_path)
    assert invoke("check", tmp_path).code == 1
    after = snapshot(tmp_path)
    # The store's lock file (.dicetm.lock, always empty) is the only thing reading a workspace may create.
    assert {k: v for k, v in after.items() if k != ".dicetm.lock"} == before
    assert after.get(".dicetm.lock", b"") == b""


def test_check_passes_under_a_policy_that_holds(workspace: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    done = invoke("check", workspace, "--policy", policy)
    assert done.code == 0, done.stdout + done.stderr
    total = len(fresh().threats)  # what the rules find in the chatbot example today
    assert done.stdout.startswith(f"policy holds: {total} threats checked against {policy}")


def test_check_json_and_sarif(workspace: Path, tmp_path: Path) -> None:
    data = json.loads(invoke("check", workspace, "--format", "json").stdout)
    assert data["ok"] is False and data["failures"][0]["rule"] == "block-unreviewed"
    output = tmp_path / "gate.sarif"
    done = invoke("check", workspace, "-f", "sarif", "--output", output)
    assert done.code == 1
    assert done.stdout.splitlines()[0].startswith("policy failed:") and f"wrote {output}" in done.stdout
    log = json.loads(output.read_text(encoding="utf-8"))
    assert sarif_problems(log) == []
    assert len(log["runs"][0]["results"]) == len(data["failures"])



def test_check_sarif_inside_an_azure_pipelines_job_has_its_automation_details(
        workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SYSTEM_DEFINITIONID": "7", "BUILD_DEFINITIONNAME": "threat-model",
                        "SYSTEM_PHASEID": "0f6c2d1e-4b3a-4c5d-8e7f-9a0b1c2d3e4f", "SYSTEM_PHASENAME": "Gate"}.items():
        monkeypatch.setenv(name, value)
    output = tmp_path / "gate.sarif"
    assert invoke("check", workspace, "-f", "sarif", "--output", output).code == 1
    details = json.loads(output.read_text(encoding="utf-8"))["runs"][0]["automationDetails"]
    assert details["id"].startswith("azuredevops/pipeline/build/7/0f6c2d1e-4b3a-4c5d-8e7f-9a0b1c2d3e4f/dicetm-check-")
    assert details["properties"]["azuredevops/pipeline/build/phaseName"] == "Gate"

def test_a_tampered_audit_log_fails_the_chain_rule(workspace: Path, tmp_path: Path) -> None:
    log = workspace / "dicetm-audit.jsonl"
    log.write_bytes(log.read_bytes().replace(b'"reason":"no prompt logs are kept"', b'"reason":"whatever"', 1))
    policy = tmp_path / "policy.yaml"
    policy.write_text(LENIENT, encoding="utf-8")
    done = invoke("check", workspace, "--policy", policy)
    assert done.code == 1
    chain = [line for line in done.stdout.splitlines() if "[require-audit-chain]" in line]
    assert len(chain) == 1 and "the record does not match its hash (it was edited)" in chain[0]


def test_bad_input_exits_2(workspace: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("block_unreviewed_at_or_above: severe\n", encoding="utf-8")
    done = invoke("check", workspace, "--policy", policy)
    assert done.code == 2 and f"{policy}:1:31" in done.stderr and "is not a risk level" in done.stderr
    assert invoke("check", tmp_path / "nowhere").code == 2
    assert invoke("check", workspace, "--format", "xml").code == 2
    folder = tmp_path / "a-folder"
    folder.mkdir()
    done = invoke("check", workspace, "--output", folder)
    assert done.code == 2 and "cannot write" in done.stderr
