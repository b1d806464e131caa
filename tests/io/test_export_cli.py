"""`dicetm export FORMAT PATH --out FILE`, in-process through typer's runner and once as a real program."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from export_helpers import EXAMPLES_DIR, analysed
from schema_checks import check_threat_dragon
from typer.testing import CliRunner

from dicetm.cli_export import ExportFormat, register_commands
from dicetm.io import exporters
from dicetm.io.exporters import FORMATS, export
from dicetm.report.csv_out import render_csv
from dicetm.report.dfd import dot, mermaid

CHATBOT = EXAMPLES_DIR / "support-chatbot"
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def _app() -> typer.Typer:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _main() -> None:
        """dicetm (export commands only)."""

    register_commands(app)
    return app


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), [str(a) for a in args], env=ENV, prog_name="dicetm")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_every_format_is_offered() -> None:
    assert tuple(f.value for f in ExportFormat) == FORMATS


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "svg"])
def test_export_writes_what_the_library_renders(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"model{exporters.SUFFIXES[fmt]}"
    code, stdout, _stderr = invoke("export", fmt, CHATBOT, "--out", out)
    assert code == 0
    assert f"wrote {out}" in stdout
    loaded, result = analysed("support-chatbot")
    assert out.read_text(encoding="utf-8") == export(fmt, result, loaded)


def test_without_out_the_export_goes_to_stdout() -> None:
    code, stdout, _stderr = invoke("export", "otm", CHATBOT)
    assert code == 0
    assert json.loads(stdout)["otmVersion"] == "0.2.0"


def test_csv_mermaid_and_dot_are_the_report_renderers() -> None:
    loaded, result = analysed("support-chatbot")
    assert export("csv", result, loaded) == render_csv(result)
    assert export("mermaid", result, loaded) == mermaid(loaded.system, result)
    assert export("dot", result, loaded) == dot(loaded.system, result)


def test_svg_is_drawn_when_graphviz_is_installed(tmp_path: Path) -> None:
    if exporters.shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed here")
    out = tmp_path / "dfd.svg"
    code, _stdout, _stderr = invoke("export", "svg", CHATBOT, "--out", out)
    assert code == 0
    assert out.read_text(encoding="utf-8").startswith("<svg")


def test_svg_without_graphviz_exits_2_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exporters.shutil, "which", lambda _name: None)
    out = tmp_path / "dfd.svg"
    code, _stdout, stderr = invoke("export", "svg", CHATBOT, "--out", out)
    assert code == 2
    assert "Graphviz" in stderr and "hint:" in stderr and "install" in stderr
    assert not out.exists()


def test_an_invalid_model_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    model = tmp_path / "dicetm.yaml"
    model.write_text("name: Broken\nelements:\n  - id: a\n    name: A\n    kind: wizard\n", encoding="utf-8")
    out = tmp_path / "out.json"
    out.write_text("previous export", encoding="utf-8")
    code, stdout, stderr = invoke("export", "threat-dragon", model, "--out", out, "--force")
    assert code == 2
    assert f"{model}:5" in stderr and "nothing was written" in stderr
    assert stdout == ""
    assert out.read_text(encoding="utf-8") == "previous export"


def test_a_missing_model_exits_2(tmp_path: Path) -> None:
    code, _stdout, stderr = invoke("export", "otm", tmp_path / "nowhere")
    assert code == 2
    assert "no such file or folder" in stderr


def test_an_unknown_format_is_a_usage_error() -> None:
    code, _stdout, stderr = invoke("export", "visio", CHATBOT)
    assert code == 2
    assert "visio" in stderr


def test_an_unwritable_out_exits_2(tmp_path: Path) -> None:
    code, _stdout, stderr = invoke("export", "otm", CHATBOT, "--out", tmp_path)
    assert code == 2
    assert "cannot write" in stderr and "hint:" in stderr


STATED = """
threats:
  - id: TM-1
    title: Wiki page smuggles instructions into answers
    scenario: Someone edits a wiki page so that the assistant follows their instructions.
    elements: [hosted-llm]
    stride: [T]
    likelihood: 4
    impact: 4
    controls: [C-INP-001]
  - id: TM-2
    title: The vendor stops serving the model
"""


def _with_stated_threats(folder: Path) -> Path:
    folder.mkdir()
    text = (CHATBOT / "dicetm.yaml").read_text(encoding="utf-8") + STATED
    (folder / "dicetm.yaml").write_text(text, encoding="utf-8")
    return folder


def test_stated_threats_only(tmp_path: Path) -> None:
    model = _with_stated_threats(tmp_path / "model")
    out = tmp_path / "td.json"
    code, _stdout, stderr = invoke("export", "threat-dragon", model, "--out", out, "--threats", "stated")
    assert code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert check_threat_dragon(doc) == []
    written = [t for cell in doc["detail"]["diagrams"][0]["cells"] for t in cell.get("data", {}).get("threats", [])]
    assert [t["title"] for t in written] == ["Wiki page smuggles instructions into answers"]
    assert "note: 1 threat names no element or flow" in stderr and "TM-2" in stderr
    composer = tmp_path / "model.tc.json"
    assert invoke("export", "threat-composer", model, "--out", composer, "--threats", "stated")[0] == 0
    statements = json.loads(composer.read_text(encoding="utf-8"))["threats"]
    assert len(statements) == 2  # no diagram there: a threat on the whole system fits too


def test_the_real_program(tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR",)} | ENV
    done = subprocess.run([sys.executable, "-m", "dicetm.cli_export", "export", "threat-dragon", str(CHATBOT),
                           "--out", str(out)], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert check_threat_dragon(json.loads(out.read_text(encoding="utf-8"))) == []
    loaded, result = analysed("support-chatbot")
    other_seed = env | {"PYTHONHASHSEED": "4242"}
    again = subprocess.run([sys.executable, "-m", "dicetm.cli_export", "export", "otm", str(CHATBOT)],
                           capture_output=True, text=True, timeout=120, env=other_seed, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout == export("otm", result, loaded)  # the same bytes in another process
    broken = subprocess.run([sys.executable, "-m", "dicetm.cli_export", "export", "otm", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=120, env=env, check=False)
    assert broken.returncode == 2
    assert "no such file or folder" in broken.stderr
