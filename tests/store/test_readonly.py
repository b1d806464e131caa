"""Read-only commands take no write lock: they work in a read-only folder and never create the lock file."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.helpers import invoke
from dicetm.store.lock import LOCK_FILENAME

REPO = Path(__file__).resolve().parents[2]
THREAT = "T-LLM-004@hosted-llm"
REVIEWER = "Dana Lee <dana@example.com>"
# Each read-only command with the exit codes it may end with (check fails the default policy here: 1).
WS = "<workspace>"
READ_ONLY = [
    (["check", WS], (0, 1)),
    (["audit", "verify", WS], (0,)),
    (["audit", "log", WS], (0,)),
    (["report", WS, "--format", "md"], (0,)),
    (["validate", WS], (0,)),
    (["diff", WS, "--from", "1"], (0,)),
    (["iteration", "list", WS], (0,)),
]
# Root ignores file modes; without these capabilities (dropped for the child) it meets them like anyone.
DROP_ROOT_POWERS = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DICETM_REVIEWER": REVIEWER, "NO_COLOR": "1", "COLUMNS": "200",
            "DICETM_CACHE_DIR": str(tmp_path / "cache")}


def dicetm(*args: str | Path, cwd: Path, env: dict[str, str], prefix: list[str] | None = None) -> \
        subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "dicetm.cli", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with decisions and one iteration, made by the writing commands."""
    tmp_path = tmp_path_factory.mktemp("recorded")
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "support-chatbot" / "dicetm.yaml", folder / "dicetm.yaml")
    env = _env(tmp_path)
    for args in (["decide", folder, THREAT, "--accept"],
                 ["decide", folder, f"risk:{THREAT}", "--accept", "--owner", "CISO", "--business-impact", "fines",
                  "--review-by", "2099-01-31"],
                 ["iteration", "new", folder, "--reason", "first review", "--reviewer", REVIEWER]):
        done = dicetm(*args, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def copy(recorded: Path, tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "copy"
    shutil.copytree(recorded, folder, ignore=shutil.ignore_patterns(LOCK_FILENAME))
    yield folder
    for path in [folder, *folder.rglob("*")]:  # let pytest clean up
        if path.is_dir():
            path.chmod(0o755)


def _with(args: list[str], folder: Path) -> list[str | Path]:
    return [folder if arg == WS else arg for arg in args]


def _read_only(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    folder.chmod(0o555)


def _prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    return DROP_ROOT_POWERS


@pytest.mark.parametrize(("args", "codes"), READ_ONLY)
def test_read_only_commands_work_in_a_read_only_folder(copy: Path, tmp_path: Path, args: list[str],
                                                      codes: tuple[int, ...]) -> None:
    before = _files(copy)
    _read_only(copy)
    prefix = _prefix()
    probe = subprocess.run([*prefix, "touch", str(copy / "probe")], capture_output=True, check=False)
    assert probe.returncode != 0, "the folder should be read-only for the command"
    done = dicetm(*_with(args, copy), cwd=tmp_path, env=_env(tmp_path), prefix=prefix)
    assert done.returncode in codes, done.stderr
    assert "lock" not in done.stderr
    assert _files(copy) == before and not (copy / LOCK_FILENAME).exists()


@pytest.mark.parametrize(("args", "codes"), READ_ONLY)
def test_read_only_commands_create_no_lock_file(copy: Path, args: list[str], codes: tuple[int, ...]) -> None:
    before = _files(copy)
    done = invoke(*_with(args, copy))
    assert done.code in codes, done.stderr
    assert _files(copy) == before and not (copy / LOCK_FILENAME).exists()


def test_a_read_only_folder_with_a_lock_file_is_read_under_a_shared_lock(recorded: Path, tmp_path: Path) -> None:
    folder = tmp_path / "with-lock"
    shutil.copytree(recorded, folder)
    assert (folder / LOCK_FILENAME).exists()
    _read_only(folder)
    try:
        done = dicetm("audit", "verify", folder, cwd=tmp_path, env=_env(tmp_path), prefix=_prefix())
        assert done.returncode == 0, done.stderr
        assert "audit log intact" in done.stdout
        assert stat.S_IMODE(folder.stat().st_mode) == 0o555
    finally:
        folder.chmod(0o755)


def test_a_writing_command_in_a_read_only_folder_is_a_located_error(copy: Path, tmp_path: Path) -> None:
    before = _files(copy)
    _read_only(copy)
    done = dicetm("decide", copy, "T-LLM-005@hosted-llm", "--accept", cwd=tmp_path, env=_env(tmp_path),
                  prefix=_prefix())
    assert done.returncode == 2, done.stderr
    assert str(copy / LOCK_FILENAME) in done.stderr and "write access" in done.stderr
    assert "Traceback" not in done.stderr
    assert _files(copy) == before
