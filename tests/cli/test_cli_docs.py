"""docs/cli.md must match the --help of every command; regenerate it with scripts/gen_cli_docs.py."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer.main

from dicetm.cli import app

from .helpers import REPO

SCRIPT = REPO / "scripts" / "gen_cli_docs.py"
DOCS = REPO / "docs" / "cli.md"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """The script as a module (importing it changes no environment variable; running it as a script does)."""
    spec = importlib.util.spec_from_file_location("gen_cli_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def command_names(generator: ModuleType) -> list[str]:
    root: Any = typer.main.get_command(app)
    return [" ".join(["dicetm", *path]) for path in generator.command_paths(root)]


def test_cli_docs_are_up_to_date() -> None:
    """The check CI relies on: it fails when a --help text changed and docs/cli.md was not regenerated."""
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"


def test_cli_docs_cover_every_command(generator: ModuleType) -> None:
    text = DOCS.read_text(encoding="utf-8")
    names = command_names(generator)
    assert names[:2] == ["dicetm", "dicetm validate"] and "dicetm catalog show" in names
    for name in names:
        assert f"## `{name}`" in text
        assert f"Usage: {name} " in text
    assert text.count("```text") == len(names)


def test_check_fails_on_a_stale_file_and_passes_once_regenerated(generator: ModuleType, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "cli.md"
    assert generator.main(["--check", "--path", str(target)]) == 1  # missing
    target.write_text("# Command-line reference\n\nold text\n", encoding="utf-8")
    assert generator.main(["--check", "--path", str(target)]) == 1
    captured = capsys.readouterr()
    assert "-old text" in captured.out
    assert "out of date: run `python scripts/gen_cli_docs.py`" in captured.err
    assert generator.main(["--path", str(target)]) == 0
    assert generator.main(["--check", "--path", str(target)]) == 0
    assert target.read_text(encoding="utf-8").count("```text") == len(command_names(generator))
