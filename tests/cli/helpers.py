"""Ways to run dicetm in the CLI tests: in-process through typer's CliRunner (fast), or as the real program."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from dicetm.cli import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "examples"
EXAMPLES = ("coding-agent", "fine-tuning-pipeline", "support-chatbot")
OUTPUTS = ("report.md", "report.html", "result.json", "threats.csv")
CONSOLE_SCRIPT = Path(sys.executable).with_name("dicetm")  # what `pip install` puts beside the interpreter

# A wide, colourless terminal so tables neither wrap nor truncate and no escape codes get in the way.
TERMINAL: dict[str, str | None] = {
    "COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None, "TTY_COMPATIBLE": None,
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    """``text`` without terminal escape codes (a CI runner may force colour at import time)."""
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def invoke(*args: str | Path) -> Outcome:
    """Run ``dicetm ARGS`` in this process. An exception other than an exit is a crash and fails the test."""
    result = CliRunner().invoke(app, [str(arg) for arg in args], env=TERMINAL, prog_name="dicetm")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, plain(result.stdout), plain(result.stderr))




def run(command: list[str], *args: str | Path, cwd: Path) -> Outcome:
    """Run ``command ARGS`` as a child process, with a clean terminal environment."""
    env = {name: value for name, value in os.environ.items() if name not in TERMINAL}
    env.update({name: value for name, value in TERMINAL.items() if value is not None})
    done = subprocess.run([*command, *(str(arg) for arg in args)], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=False)
    return Outcome(done.returncode, plain(done.stdout), plain(done.stderr))


def run_module(*args: str | Path, cwd: Path) -> Outcome:
    """``python -m dicetm.cli ARGS`` with the interpreter running the tests."""
    return run([sys.executable, "-m", "dicetm.cli"], *args, cwd=cwd)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def position(text: str, line_text: str, value: str, occurrence: int = 1) -> str:
    """``line:column`` (1-based) of ``value`` on the ``occurrence``-th line of ``text`` holding ``line_text``."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line_text in line]
    if len(lines) < occurrence:
        raise AssertionError(f"{line_text!r} is not in the text {occurrence} times")
    number, line = lines[occurrence - 1]
    return f"{number}:{line.index(value, line.index(line_text)) + 1}"
