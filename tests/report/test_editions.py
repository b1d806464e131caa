"""Both OWASP Top 10 for LLM Applications editions in every output; which one leads is a setting and an option."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dicetm import cli
from dicetm.api import analyze_path
from dicetm.catalog.editions import ENV_VARIABLE, edition_of
from dicetm.errors import InputError
from dicetm.report import render

REPO = Path(__file__).resolve().parents[2]
CHATBOT = REPO / "examples" / "support-chatbot"


@pytest.fixture
def chatbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_VARIABLE, raising=False)
    shutil.copy(CHATBOT / "dicetm.yaml", tmp_path / "dicetm.yaml")
    return tmp_path


def owasp(refs: list[str]) -> list[str]:
    return [r for r in refs if edition_of(r)]


def test_every_threat_with_an_owasp_llm_id_carries_both_editions(chatbot: Path) -> None:
    _loaded, result = analyze_path(chatbot)
    for threat in result.threats:
        editions = {edition_of(r) for r in threat.references} - {None}
        assert editions in (set(), {"2025", "2026"}), threat.id
    assert result.owasp_llm_edition == "2025"
    first = owasp(result.threats[0].references)
    assert edition_of(first[0]) == "2025"


def test_the_option_lets_2026_lead_without_changing_what_is_found(chatbot: Path) -> None:
    _l, default = analyze_path(chatbot)
    _l, leading = analyze_path(chatbot, edition="2026")
    assert leading.owasp_llm_edition == "2026"
    assert [t.id for t in leading.threats] == [t.id for t in default.threats]
    for before, after in zip(default.threats, leading.threats, strict=True):
        assert sorted(before.references) == sorted(after.references)
        ids = owasp(after.references)
        if ids:
            assert edition_of(ids[0]) == "2026" and edition_of(ids[-1]) == "2025"


def test_the_setting_in_the_config_file_and_the_environment(chatbot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (chatbot / "dicetm-config.yaml").write_text("owasp_llm_edition: 2026\n", encoding="utf-8")
    assert analyze_path(chatbot)[1].owasp_llm_edition == "2026"
    monkeypatch.setenv(ENV_VARIABLE, "2025")
    assert analyze_path(chatbot)[1].owasp_llm_edition == "2025"  # the variable wins over the file
    assert analyze_path(chatbot, edition="2026")[1].owasp_llm_edition == "2026"  # the option wins over both


def test_a_bad_setting_names_file_and_line(chatbot: Path) -> None:
    (chatbot / "dicetm-config.yaml").write_text("llm:\n  provider: none\nowasp_llm_edition: 2024\n",
                                                encoding="utf-8")
    with pytest.raises(InputError) as caught:
        analyze_path(chatbot)
    [problem] = caught.value.problems
    assert problem.location.line == 3 and problem.location.file and problem.location.file.endswith("dicetm-config.yaml")
    assert "2025, 2026" in (problem.hint or "")


def test_csv_json_sarif_and_markdown_carry_both(chatbot: Path) -> None:
    loaded, result = analyze_path(chatbot, edition="2026")
    rows = list(csv.DictReader(io.StringIO(render("csv", result, loaded.system))))
    injection = next(r for r in rows if r["id"] == "T-LLM-001@hosted-llm")
    assert (injection["owasp_llm_2025"], injection["owasp_llm_2026"]) == ("owasp-llm:LLM01:2025",
                                                                          "owasp-llm:LLM01:2026")
    assert injection["references"].startswith("owasp-llm:LLM01:2026 owasp-llm:LLM01:2025")
    data = json.loads(render("json", result, loaded.system))
    assert data["owasp_llm_edition"] == "2026"
    assert {"owasp-llm:LLM08:2026", "owasp-llm:LLM07:2025"} <= {
        r for t in data["threats"] for r in t["references"]}
    markdown = render("md", result, loaded.system)
    assert "OWASP LLM Top 10 2026 ids listed first" in markdown and "LLM10:2026" in markdown

    from dicetm.report.sarif import render_threats_sarif

    log = json.loads(render_threats_sarif(result, loaded))
    run = log["runs"][0]
    assert run["properties"]["owaspLlmEdition"] == "2026"
    found = next(r for r in run["results"] if r["properties"]["threatId"] == "T-LLM-001@hosted-llm")
    assert found["properties"]["owaspLlm2025"] == ["owasp-llm:LLM01:2025"]
    assert found["properties"]["owaspLlm2026"] == ["owasp-llm:LLM01:2026"]


def test_stated_threats_get_the_other_edition(chatbot: Path) -> None:
    path = chatbot / "dicetm.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["threats"] = [{"id": "TM-1", "title": "Tool schemas leak", "elements": ["hosted-llm"],
                        "references": ["owasp-llm:LLM07:2025"]}]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _loaded, result = analyze_path(chatbot)
    stated = next(t for t in result.threats if t.id == "TM-1")
    assert stated.references == ["owasp-llm:LLM07:2025", "owasp-llm:LLM08:2026"]


def test_report_option_on_the_command_line(chatbot: Path) -> None:
    done = CliRunner().invoke(cli.app, ["report", str(chatbot), "-f", "csv", "--owasp-edition", "2026"])
    assert done.exit_code == 0, done.output
    assert "owasp_llm_2025,owasp_llm_2026" in done.output.splitlines()[0]
    bad = CliRunner().invoke(cli.app, ["report", str(chatbot), "--owasp-edition", "2023"])
    assert bad.exit_code == 2
