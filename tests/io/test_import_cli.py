"""``dicetm import``: exit codes, the printed report, and what is (not) written to disk.

The command is driven in-process through typer's CliRunner on an app wired the way cli.py wires it; the
``test_program_*`` tests start the real program as a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from import_helpers import samples_dir
from typer.testing import CliRunner

from dicetm.cli_import import import_model
from dicetm.store.modelfile import load_system

TERMINAL = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _main() -> None:
        """dicetm"""

    app.command("import")(import_model)
    return app


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["import", *map(str, args)], env=TERMINAL)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_import_writes_the_model_and_prints_the_report(tmp_path: Path) -> None:
    source = samples_dir() / "threat-dragon/v2-threat-model.json"
    out = tmp_path / "dicetm.yaml"
    code, stdout, _stderr = _run("threat-dragon", source, "--out", out)
    assert code == 0
    assert "7 elements, 9 flows, 0 trust boundaries" in stdout
    assert "not imported (11)" in stdout
    assert "$.detail.diagrams[0].cells[19].source: flow 'Web Request'" in stdout
    assert f"wrote {out}" in stdout
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# dicetm model imported from {source} (OWASP Threat Dragon)")
    assert "#   - $.detail.diagrams[0].cells[16]: trust boundary line" in text
    assert len(load_system(out).system.elements) == 7


def test_out_may_name_a_folder(tmp_path: Path) -> None:
    code, _out, _err = _run("threagile", samples_dir() / "threagile/threagile-example.yaml", "--out", tmp_path)
    assert code == 0 and (tmp_path / "dicetm.yaml").is_file()


def test_an_existing_out_is_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "dicetm.yaml"
    out.write_text("name: mine\n", encoding="utf-8")
    source = samples_dir() / "threat-composer/ThreatComposer.tc.json"
    code, _stdout, stderr = _run("threat-composer", source, "--out", out)
    assert code == 2 and "already exists" in stderr and "--force" in stderr
    assert out.read_text(encoding="utf-8") == "name: mine\n"
    code, _stdout, _stderr = _run("threat-composer", source, "--out", out, "--force")
    assert code == 0 and out.read_text(encoding="utf-8").startswith("# dicetm model imported")


@pytest.mark.parametrize(("content", "fmt", "words"), [
    ('{"summary": {}, "detail": {"diagrams": [', "threat-dragon", ["bad.json:1:", "truncated"]),
    ('{"summary": {}, "detail": {"diagrams": [}]}}', "threat-dragon", ["bad.json:1:", "not valid JSON"]),
    ('{"otmVersion": "0.2.0", "project": {"name": "p", "id": "p"}}', "threat-dragon",
     ["looks like Open Threat Model (OTM) (otm)", "dicetm import otm"]),
    ('{"summary": {}, "detail": {"diagrams": [{"cells": [{"id": "a", "data": 7}]}]}}', "threat-dragon",
     ["$.detail.diagrams[0].cells[0].data", "expected the cell's data"]),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, content: str, fmt: str, words: list[str]) -> None:
    source = tmp_path / "bad.json"
    source.write_text(content, encoding="utf-8")
    before = _files(tmp_path)
    code, _stdout, stderr = _run(fmt, source, "--out", tmp_path / "dicetm.yaml")
    assert code == 2
    assert "nothing was written" in stderr
    for word in words:
        assert word in stderr
    assert _files(tmp_path) == before


def test_a_dangling_flow_reference_is_reported_not_fatal(tmp_path: Path) -> None:
    doc = {"summary": {"title": "x"}, "detail": {"diagrams": [{"cells": [
        {"id": "a", "shape": "process", "data": {"type": "tm.Process", "name": "API"}},
        {"id": "f", "shape": "flow", "source": {"cell": "nope"}, "target": {"cell": "a"},
         "data": {"type": "tm.Flow", "name": "call"}}]}]}}
    source = tmp_path / "dangling.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    code, stdout, _stderr = _run("threat-dragon", source, "--out", tmp_path / "dicetm.yaml")
    assert code == 0
    assert "$.detail.diagrams[0].cells[1].source.cell: flow 'call' (its source names cell 'nope'" in stdout


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    code, _stdout, stderr = _run("otm", tmp_path / "absent.json", "--out", tmp_path / "m.yaml")
    assert code == 2 and "cannot read the file" in stderr
    code, _stdout, _stderr = _run("visio", tmp_path / "absent.json")
    assert code == 2
    assert _files(tmp_path) == {}


# ------------------------------------------------------------------------------------------ real program


def _program(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **TERMINAL}
    return subprocess.run([sys.executable, "-m", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, check=False)


def test_program_imports_and_the_result_analyses(tmp_path: Path) -> None:
    source = samples_dir() / "threat-dragon/three-tier-web-app.json"
    done = _program("dicetm.cli_import", "import", "threat-dragon", source, "--out", "model.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote model.yaml" in done.stdout
    analysed = _program("dicetm.cli", "analyze", "model.yaml", "--out", "out", cwd=tmp_path)
    assert analysed.returncode == 0, analysed.stderr
    assert (tmp_path / "out" / "result.json").is_file()


def test_program_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    done = _program("dicetm.cli_import", "import", "otm", "bad.json", cwd=tmp_path)
    assert done.returncode == 2 and "bad.json:1:2" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_dicetm_import_once_cli_py_wires_it(tmp_path: Path) -> None:
    from dicetm.cli import app

    if "import" not in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        pytest.skip("cli.py does not register `dicetm import` yet")
    done = _program("dicetm.cli", "import", "otm", samples_dir() / "threat-dragon/mobile-cloud.otm.json",
                    "--out", "m.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.yaml").is_file()


def test_the_format_choices_are_the_registered_importers() -> None:
    from dicetm.cli_import import ImportFormat
    from dicetm.io import FORMATS

    assert tuple(f.value for f in ImportFormat) == FORMATS
