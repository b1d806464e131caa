"""Rendering only: Markdown, HTML, JSON and CSV reports and data-flow diagrams. No analysis happens here."""

from __future__ import annotations

from pathlib import Path

from dicetm.errors import InputError
from dicetm.model import AnalysisResult, System
from dicetm.report.csv_out import render_csv
from dicetm.report.dfd import dot, mermaid, svg
from dicetm.report.html import render_html, report_svgs
from dicetm.report.json_out import render_json
from dicetm.report.markdown import render_markdown
from dicetm.store.atomic import write_bytes_atomic

__all__ = [
    "FORMATS", "dot", "mermaid", "render", "render_csv", "render_html", "render_json", "render_markdown",
    "svg", "write_outputs",
]

FORMATS = ("md", "html", "json", "csv")
OUTPUT_NAMES = ("report.md", "report.html", "result.json", "threats.csv")


def render(fmt: str, result: AnalysisResult, system: System) -> str:
    """One report as text: ``fmt`` is one of FORMATS (the HTML page draws the DFD with Graphviz if it can)."""
    if fmt == "md":
        return render_markdown(result, system)
    if fmt == "html":
        return render_html(result, system, report_svgs(result, system))
    if fmt == "json":
        return render_json(result)
    if fmt == "csv":
        return render_csv(result)
    raise InputError(f"unknown report format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")


def write_outputs(result: AnalysisResult, system: System, out_dir: Path) -> list[Path]:
    """Write report.md, report.html, result.json and threats.csv into ``out_dir`` (created if missing).

    Everything is rendered before anything is written, and each file is replaced atomically, so a
    failure never leaves a half-written report next to a current one. Returns the paths in that order.
    """
    texts = [render(fmt, result, system) for fmt in FORMATS]
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in OUTPUT_NAMES]
    for path, text in zip(paths, texts, strict=True):
        write_bytes_atomic(path, text.encode("utf-8"))
    return paths
