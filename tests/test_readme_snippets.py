"""The README's snippets work as written: every dicetm command and option exists, the pre-commit and Action
snippets name hooks and inputs this repository defines, and the Dockerfile is a slim non-root image with
Graphviz whose COPY sources exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dicetm.cli import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def _command_lines() -> list[list[str]]:
    lines = []
    for block in _blocks("sh"):
        for raw in block.replace("\\\n", " ").splitlines():
            line = raw.split("  #")[0].strip()
            if line.startswith("dicetm ") and "<<<" not in line:
                lines.append(shlex.split(line))
    return lines


@pytest.mark.parametrize("words", _command_lines(), ids=lambda w: " ".join(w[:3]))
def test_every_dicetm_command_in_the_readme_exists_with_its_options(words: list[str]) -> None:
    runner = CliRunner()
    path: list[str] = []
    for word in words[1:]:
        if word.startswith("-"):
            break
        probe = runner.invoke(app, [*path, word, "--help"], terminal_width=200)
        if probe.exit_code != 0 or (not path and word not in probe.output):
            break
        path.append(word)
        if "Commands" not in probe.output:
            break
    assert path or words[1].startswith("--"), f"no such command: {' '.join(words)}"
    help_text = runner.invoke(app, [*path, "--help"], terminal_width=200).output
    assert help_text.startswith("\n Usage") or "Usage" in help_text
    for option in (w.split("=")[0] for w in words if w.startswith("--")):
        assert option in help_text, f"`dicetm {' '.join(path)}` has no option {option}"


def test_the_pre_commit_snippet_names_hooks_this_repository_defines() -> None:
    hooks = {hook["id"] for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    snippet = next(yaml.safe_load(b) for b in _blocks("yaml") if "repos:" in b)
    used = {hook["id"] for repo in snippet["repos"] for hook in repo["hooks"]}
    assert used and used <= hooks
    for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")):
        assert hook["language"] == "python" and hook["entry"].split()[0] == "dicetm"


def test_the_action_snippet_uses_inputs_the_action_has() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    snippet = next(yaml.safe_load(b) for b in _blocks("yaml") if "dicetm/dicetm@" in b)
    step = next(s for job in snippet["jobs"].values() for s in job["steps"] if "dicetm/dicetm@" in s.get("uses", ""))
    assert set(step["with"]) <= set(action["inputs"])
    assert snippet["jobs"]["threat-model"]["permissions"]["security-events"] == "write"
    assert action["runs"]["using"] == "composite"


def test_the_dockerfile_is_slim_non_root_with_graphviz() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.split(None, 1) for line in re.sub(r"\\\n\s*", " ", text).splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    stages = [rest for op, rest in instructions if op == "FROM"]
    assert stages and all("-slim" in stage for stage in stages)
    final = instructions[max(i for i, (op, _r) in enumerate(instructions) if op == "FROM"):]
    users = [rest.strip() for op, rest in final if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert any(op == "RUN" and "graphviz" in rest for op, rest in final)
    assert any(op == "ENTRYPOINT" and "dicetm" in rest for op, rest in final)
    for op, rest in instructions:
        if op == "COPY" and "--from" not in rest:
            for source in rest.split()[:-1]:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
