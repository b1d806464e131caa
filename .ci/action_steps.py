"""Run the steps of ``action.yml`` as GitHub would, on this machine, and check what they leave behind.

Usage: python .ci/action_steps.py

Each ``run:`` step is executed with bash exactly as written, its ``${{ ... }}`` expressions filled in the way
the runner fills them (inputs with their defaults or the overrides below, ``github.action_path`` = this
repository, step outputs read from ``$GITHUB_OUTPUT``). ``actions/setup-python`` is replaced by a fresh
virtual environment of this Python (checked against the ``python-version`` input); the SARIF upload is
replaced by a check of the file it would upload (valid JSON, SARIF 2.1.0, dicetm as the driver).

Scenarios: the bundled support chatbot (unreviewed threats: the gate fails, exit 1, SARIF written), and a
missing model (bad input: exit 2 from the check step itself, nothing to upload).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _value(expression: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    if expression.startswith("inputs."):
        return inputs[expression.removeprefix("inputs.")]
    if expression == "github.action_path":
        return str(REPO)
    match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
    if match:
        return outputs.get(match.group(1), {}).get(match.group(2), "")
    raise SystemExit(f"action.yml uses an expression this runner does not know: {expression}")


def _fill(text: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    return EXPRESSION.sub(lambda m: _value(m.group(1), inputs, outputs), text)


def run_action(workspace: Path, overrides: dict[str, str], venv: Path) -> tuple[int, dict[str, dict[str, str]]]:
    """Run every step; return the exit code of the first failing step (0 if none) and the step outputs."""
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(overrides)
    outputs: dict[str, dict[str, str]] = {}
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    for step in action["runs"]["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/setup-python"):
            wanted = tuple(int(p) for p in _fill(step["with"]["python-version"], inputs, outputs).split("."))
            assert sys.version_info[:len(wanted)] >= wanted, f"this Python is older than {wanted}"
            continue
        if uses.startswith("github/codeql-action/upload-sarif"):
            sarif = workspace / _fill(step["with"]["sarif_file"], inputs, outputs)
            if inputs["upload-sarif"] == "true" and sarif.is_file():
                log = json.loads(sarif.read_text(encoding="utf-8"))
                assert log["version"] == "2.1.0" and log["runs"][0]["tool"]["driver"]["name"] == "dicetm", sarif
                print(f"  upload-sarif would upload {sarif.name} ({len(log['runs'][0]['results'])} results)")
            continue
        output_file = workspace / f".github_output_{step.get('id', 'step')}"
        output_file.write_text("", encoding="utf-8")
        step_env = {**env, "GITHUB_OUTPUT": str(output_file),
                    **{k: _fill(str(v), inputs, outputs) for k, v in (step.get("env") or {}).items()}}
        script = _fill(step["run"], inputs, outputs)
        print(f"  step: {step.get('name', step.get('id'))}")
        done = subprocess.run(["bash", "-e", "-c", script], cwd=workspace, env=step_env, timeout=900)
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in
                                       output_file.read_text(encoding="utf-8").splitlines() if "=" in line)
        if done.returncode != 0:
            return done.returncode, outputs
    return 0, outputs


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dicetm-action-") as folder:
        root = Path(folder)
        venv = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        workspace = root / "checkout"
        shutil.copytree(REPO / "examples" / "support-chatbot", workspace / "threat-model")

        print("scenario: a model with unreviewed threats (the gate fails)")
        code, outputs = run_action(workspace, {"path": "threat-model"}, venv)
        assert code == 1, f"expected the gate to fail with 1, got {code}"
        assert outputs["check"]["exit-code"] == "1", outputs
        assert (workspace / "dicetm.sarif").is_file()

        print("scenario: a path with no model (bad input)")
        (workspace / "dicetm.sarif").unlink()
        code, outputs = run_action(workspace, {"path": "no-such-folder"}, venv)
        assert code == 2 and outputs["check"]["exit-code"] == "2", (code, outputs)
        assert not (workspace / "dicetm.sarif").exists()
    print("action.yml: every step ran as written; 2 scenarios checked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
