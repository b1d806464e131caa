from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.model import AnalysisResult, System
from dicetm.report import render, render_json, write_outputs


def test_writes_four_files_in_order(tmp_path: Path, system: System, result: AnalysisResult) -> None:
    out = tmp_path / "nested" / "out"
    paths = write_outputs(result, system, out)
    assert [p.name for p in paths] == ["report.md", "report.html", "result.json", "threats.csv"]
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temp files left


def test_rewrite_is_byte_identical(tmp_path: Path, system: System, result: AnalysisResult) -> None:
    first = [p.read_bytes() for p in write_outputs(result, system, tmp_path)]
    second = [p.read_bytes() for p in write_outputs(result, system, tmp_path)]
    assert first == second


def test_render_failure_leaves_existing_files_alone(
    tmp_path: Path, system: System, result: AnalysisResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_outputs(result, system, tmp_path)
    before = [p.read_bytes() for p in paths]

    def broken(*args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("dicetm.report.render_csv", broken)
    with pytest.raises(RuntimeError):
        write_outputs(result, system, tmp_path)
    assert [p.read_bytes() for p in paths] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_render_dispatches_by_format(system: System, result: AnalysisResult) -> None:
    assert render("md", result, system).startswith("# Threat model: Acme support assistant\n")
    assert render("html", result, system).startswith("<!DOCTYPE html>")
    assert render("json", result, system) == render_json(result)
    assert render("csv", result, system).startswith("id,title,risk,")
    with pytest.raises(InputError, match="unknown report format 'pdf'"):
        render("pdf", result, system)
