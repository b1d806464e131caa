"""Reports written in chunks are the same bytes as the reports rendered as one string."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.model import AnalysisResult, System
from dicetm.pipeline.run import analyze
from dicetm.report import chunks, render, write_outputs
from dicetm.report.json_out import json_chunks, render_json


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few characters or lines, so every report spans many of them."""
    monkeypatch.setattr(chunks, "CHARACTERS", 7)
    monkeypatch.setattr(chunks, "LINES", 3)


def test_encoded_pieces_are_the_encoded_text(tiny_chunks: None) -> None:
    pieces = ["ab", "", "café — ", "😀", "x" * 20, "\u202e", "end"]
    made = list(chunks.encoded(pieces))
    assert len(made) > 2 and b"".join(made) == "".join(pieces).encode("utf-8")
    assert list(chunks.encoded([])) == []


@pytest.mark.parametrize("lines", [[], [""], ["one"], ["a", "b", "", "ü", "e", "f", "g"], ["", "", ""]])
def test_encoded_lines_are_the_joined_lines(tiny_chunks: None, lines: list[str]) -> None:
    assert b"".join(chunks.encoded_lines(lines)) == ("\n".join(lines) + "\n").encode("utf-8")


def test_ascii_json_is_written_as_pydantic_made_it() -> None:
    system = System.model_validate({
        "version": 1, "name": "tiny", "elements": [{"id": "u", "name": "user", "kind": "external_entity"},
                                                   {"id": "bot", "name": "bot", "kind": "llm"}],
        "flows": [{"id": "f", "source": "u", "target": "bot", "data": "questions"}]})
    result = analyze(system)
    made = json_chunks(result)
    assert len(made) == 2 and made[0].isascii()  # no decoding and encoding again
    assert b"".join(made) == render_json(result).encode("utf-8")


@pytest.mark.parametrize(("title", "escape"), [("Müller — café", None), ("right\u202eleft", b"\\u202e"),
                                               ("c1\x85control", b"\\u0085"), ("del\x7f", b"\\u007f")])
def test_json_chunks_escape_what_render_json_escapes(result: AnalysisResult, title: str, escape: bytes | None) -> None:
    changed = result.model_copy(deep=True)
    changed.threats[0].title = title
    written = b"".join(json_chunks(changed))
    assert written == render_json(changed).encode("utf-8")
    assert escape is None or escape in written


@pytest.mark.parametrize("forked", [False, True])
def test_reports_written_in_small_chunks_are_the_rendered_bytes(
    tmp_path: Path, system: System, result: AnalysisResult, tiny_chunks: None, monkeypatch: pytest.MonkeyPatch,
    forked: bool,
) -> None:
    import dicetm.report as report

    monkeypatch.setattr(report, "RENDER_ASIDE_FROM", 0 if forked else 10**9)
    paths = write_outputs(result, system, tmp_path)
    assert [p.read_bytes() for p in paths] == [render(fmt, result, system).encode("utf-8")
                                               for fmt in ("md", "html", "json", "csv")]
