"""Running the review commands in the tests: in-process (CliRunner) or as the real terminal program (pexpect)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pexpect
import typer
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
CHATBOT = REPO / "examples" / "support-chatbot"
REVIEWER = "Dana Lee <dana@example.com>"
DECISIONS = frozenset({"accept", "reject", "modify", "needs-info", "plan", "implement", "risk-accept",
                       "risk-transfer", "risk-avoid", "risk-mitigate"})

# A wide, colourless terminal: no wrapping and no escape codes between the words the tests look for.
TERMINAL: dict[str, str | None] = {
    "COLUMNS": "200", "LINES": "50", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None, "TTY_COMPATIBLE": None,
}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def plain(text: str) -> str:
    return _ANSI.sub("", text)


def _wired() -> bool:
    """True once dicetm.cli has the review commands; until then the tests run dicetm.cli_review itself."""
    from dicetm.cli import app

    return any(command.name == "review" for command in app.registered_commands)


def entry_module() -> str:
    return "dicetm.cli" if _wired() else "dicetm.cli_review"


def entry_app() -> typer.Typer:
    if _wired():
        from dicetm.cli import app
    else:
        from dicetm.cli_review import app
    return app


def copy_example(tmp_path: Path) -> Path:
    folder = tmp_path / "chatbot"
    folder.mkdir()
    shutil.copy(CHATBOT / "dicetm.yaml", folder / "dicetm.yaml")
    return folder


def child_env(**changes: str | None) -> dict[str, str]:
    """This process's environment with a plain terminal, a named reviewer and ``changes`` (None removes)."""
    env = {name: value for name, value in os.environ.items() if name not in TERMINAL}
    env.update({name: value for name, value in TERMINAL.items() if value is not None})
    env["DICETM_REVIEWER"] = REVIEWER
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def anonymous_env(home: Path) -> dict[str, str | None]:
    """No DICETM_REVIEWER and a git with no identity: an empty HOME, no system or global config."""
    changes: dict[str, str | None] = {name: None for name in os.environ if name.startswith("GIT_")}
    changes.update({"DICETM_REVIEWER": None, "HOME": str(home), "XDG_CONFIG_HOME": None,
                    "GIT_CONFIG_NOSYSTEM": "1"})
    return changes


def spawn(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> pexpect.spawn:
    """The real program in a pseudo-terminal, as a person would run it."""
    child = pexpect.spawn(sys.executable, ["-m", entry_module(), *(str(a) for a in args)], cwd=str(cwd),
                          env=env or child_env(), encoding="utf-8", timeout=30, dimensions=(50, 200))
    return child


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def invoke(*args: str | Path, env: dict[str, str | None] | None = None) -> Outcome:
    """Run a command in this process; an exception other than an exit fails the test."""
    environment = {**TERMINAL, "DICETM_REVIEWER": REVIEWER, **(env or {})}
    result = CliRunner().invoke(entry_app(), [str(a) for a in args], env=environment, prog_name="dicetm")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, plain(result.stdout), plain(result.stderr))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every data file under ``folder`` (the lock file holds no data and is left out)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".dicetm.lock"}
