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


@pytest.fixture
def aside(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every model counts as large, so a forked child renders the Markdown, JSON and CSV reports; the children
    made are listed."""
    import dicetm.report as report
    from dicetm.report.aside import Aside

    made: list[object] = []

    class Recorded(Aside):
        @classmethod
        def start(cls, *args: object, **kwargs: object) -> Aside | None:
            child = super().start(*args, **kwargs)  # type: ignore[arg-type]
            made.append(child)
            return child

    monkeypatch.setattr(report, "RENDER_ASIDE_FROM", 0)
    monkeypatch.setattr(report, "can_fork", lambda: True)
    monkeypatch.setattr(report, "Aside", Recorded)
    return made


def test_a_child_renders_the_same_bytes(tmp_path: Path, system: System, result: AnalysisResult,
                                        aside: list[object]) -> None:
    forked = [p.read_bytes() for p in write_outputs(result, system, tmp_path / "forked")]
    assert len(aside) == 1
    assert forked == [render(fmt, result, system).encode("utf-8") for fmt in ("md", "html", "json", "csv")]
    assert sorted(p.name for p in (tmp_path / "forked").iterdir()) == sorted(
        ["report.md", "report.html", "result.json", "threats.csv"])


def test_a_failing_child_leaves_nothing_and_the_error_is_raised_here(
    tmp_path: Path, system: System, result: AnalysisResult, aside: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = write_outputs(result, system, tmp_path)
    before = [p.read_bytes() for p in paths]

    def broken(*args: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr("dicetm.report.render_csv", broken)
    with pytest.raises(RuntimeError, match="boom"):
        write_outputs(result, system, tmp_path)
    assert len(aside) == 2
    assert [p.read_bytes() for p in paths] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_a_child_that_fails_removes_what_it_wrote(tmp_path: Path) -> None:
    from dicetm.report.aside import Aside

    def render_one(fmt: str) -> list[bytes]:
        if fmt == "csv":
            raise RuntimeError("boom")
        return [f"{fmt} ".encode(), b"text"]

    failing = Aside.start(render_one, {"md": tmp_path / "report.md", "csv": tmp_path / "threats.csv"})
    assert failing is not None and failing.wait() is None
    assert list(tmp_path.iterdir()) == []
    working = Aside.start(render_one, {"md": tmp_path / "report.md"})
    made = working.wait() if working else None
    assert made is not None and made["md"].read_text() == "md text" and made["md"].parent == tmp_path


def test_no_child_when_the_system_cannot_fork(tmp_path: Path, system: System, result: AnalysisResult,
                                              aside: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    def refused() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    paths = write_outputs(result, system, tmp_path)  # rendered here instead
    assert aside == [None]
    assert [p.read_bytes() for p in paths] == [render(fmt, result, system).encode("utf-8")
                                               for fmt in ("md", "html", "json", "csv")]
