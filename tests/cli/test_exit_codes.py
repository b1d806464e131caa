"""Exit codes people can rely on: 1 only for a failed gate, 2 for bad usage or input, 3 for a bug (with where to
report it and nothing half-written), 130 for an interruption."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHATBOT = REPO / "examples" / "support-chatbot"


def _run(tmp_path: Path, setup: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``dicetm ARGS`` through the real entry point, after ``setup`` (Python) has broken something."""
    code = f"import sys\n{setup}\nsys.argv = ['dicetm', *sys.argv[1:]]\nfrom dicetm.cli import main\nmain()\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)


def _workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    shutil.copytree(CHATBOT, path)
    return path


def test_an_unexpected_error_has_its_own_code_says_where_to_report_and_writes_nothing(tmp_path: Path) -> None:
    path = _workspace(tmp_path)
    before = sorted(p.name for p in path.iterdir())
    setup = ("import dicetm.pipeline.run as run\n"
             "def broken(*args, **kwargs):\n    raise KeyError('an element the code forgot')\n"
             "run.analyze = broken")
    done = _run(tmp_path, setup, "analyze", str(path), "--out", str(path / "out"))
    assert done.returncode == 3, done.stderr
    assert "unexpected error (KeyError" in done.stderr and "please report it at https://" in done.stderr
    assert "Traceback" not in done.stderr  # the trace only with DICETM_DEBUG=1
    assert sorted(p.name for p in path.iterdir()) == before


def test_an_interrupt_exits_130(tmp_path: Path) -> None:
    path = _workspace(tmp_path)
    setup = ("import dicetm.pipeline.run as run\n"
             "def stop(*args, **kwargs):\n    raise KeyboardInterrupt\n"
             "run.analyze = stop")
    done = _run(tmp_path, setup, "analyze", str(path), "--out", str(path / "out"))
    assert done.returncode == 130
    assert not (path / "out").exists()


def test_usage_and_input_errors_exit_2_and_a_clean_run_0(tmp_path: Path) -> None:
    assert _run(tmp_path, "", "analyze", "--no-such-option").returncode == 2
    assert _run(tmp_path, "", "analyze", str(tmp_path / "missing")).returncode == 2
    assert _run(tmp_path, "", "--version").returncode == 0
