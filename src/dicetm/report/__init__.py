"""Rendering only: Markdown, HTML, JSON and CSV reports and data-flow diagrams. No analysis happens here."""

from __future__ import annotations

import os
from pathlib import Path

from dicetm.errors import InputError
from dicetm.gcpause import gc_paused
from dicetm.model import AnalysisResult, System
from dicetm.report import chunks
from dicetm.report.aside import Aside, can_fork
from dicetm.report.csv_out import render_csv
from dicetm.report.dfd import dot, mermaid, svg
from dicetm.report.dfd_model import forget_drawn
from dicetm.report.html import page_pieces, render_html, report_svgs, start_report_svgs
from dicetm.report.json_out import json_chunks, render_json
from dicetm.report.markdown import markdown_lines, render_markdown
from dicetm.store.atomic import write_temp

__all__ = [
    "FORMATS", "dot", "mermaid", "render", "render_csv", "render_html", "render_json", "render_markdown",
    "svg", "write_outputs",
]

FORMATS = ("md", "html", "json", "csv")
OUTPUT_NAMES = ("report.md", "report.html", "result.json", "threats.csv")
# Threats plus elements from which the Markdown, JSON and CSV reports are rendered by a child process: below
# this the reports take a fraction of a second and a fork costs more than it saves.
RENDER_ASIDE_FROM = 2000


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


@gc_paused()  # every report is built from many small acyclic objects; see dicetm.gcpause
def chunks_of(fmt: str, result: AnalysisResult, system: System) -> list[bytes]:
    """``render(fmt, result, system).encode("utf-8")`` in chunks, for writing (see ``report.chunks``)."""
    if fmt == "md":
        return list(chunks.encoded_lines(markdown_lines(result, system)))
    if fmt == "html":
        return list(chunks.encoded(page_pieces(result, system, report_svgs(result, system))))
    if fmt == "json":
        return json_chunks(result)
    return [render(fmt, result, system).encode("utf-8")]


def write_outputs(result: AnalysisResult, system: System, out_dir: Path) -> list[Path]:
    """Write report.md, report.html, result.json and threats.csv into ``out_dir`` (created if missing).

    Each report is written to a temporary file beside its target, and only when all four are written are they
    renamed into place, so a failure never leaves a half-written report next to a current one. Reports can be
    made again from the model at any time, so they are not forced to disk (no fsync) as the workspace's own
    files are. Graphviz draws the HTML report's diagrams while the reports render (the page is rendered with
    places for them); for a large model a forked child renders the other reports (see ``report.aside``) while
    this process renders the page. Returns the paths in the order of ``OUTPUT_NAMES``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = dict(zip(FORMATS, (out_dir / name for name in OUTPUT_NAMES), strict=True))
    others = ("md", "json", "csv")
    temps: dict[str, Path] = {}
    aside: Aside | None = None
    try:
        with gc_paused():  # every report is built from many small acyclic objects; see dicetm.gcpause
            if len(result.threats) + len(system.elements) >= RENDER_ASIDE_FROM and can_fork():
                aside = Aside.start(lambda fmt: chunks_of(fmt, result, system), {fmt: paths[fmt] for fmt in others})
            drawings = start_report_svgs(result, system)
            try:
                if aside is None:
                    for fmt in others:
                        temps[fmt] = write_temp(paths[fmt], chunks_of(fmt, result, system), durable=False)
                page = drawings.page_chunks(result, system)
            finally:
                drawings.cancel()
            temps["html"] = write_temp(paths["html"], page, durable=False)
            del page
            if aside is not None:
                child, aside = aside, None
                made = child.wait()
                for fmt in others:  # when the child failed, render here: any error is raised as usual
                    temps[fmt] = made[fmt] if made else write_temp(paths[fmt], chunks_of(fmt, result, system),
                                                                   durable=False)
        for fmt in FORMATS:
            os.replace(temps.pop(fmt), paths[fmt])
    finally:
        if aside is not None:  # stopped early: the child's files go too
            for temp in (aside.wait() or {}).values():
                temp.unlink(missing_ok=True)
        forget_drawn()
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return list(paths.values())
