"""Running Graphviz: DOT source in, SVG for inlining out, several drawings at once (the source is written by
``dfd``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

DOT_TIMEOUT_SECONDS = 20


def render_svg(source: str) -> str | None:
    """Run Graphviz on DOT source; the SVG element for inlining, or None when ``dot`` is missing or fails."""
    executable = shutil.which("dot")
    if executable is None:
        return None
    try:
        completed = subprocess.run([executable, "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                                   timeout=DOT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    text = completed.stdout.decode("utf-8", errors="replace")
    start = text.find("<svg")
    # Everything before <svg> is the XML prolog, doctype and generator comments.
    return text[start:].strip() + "\n" if start >= 0 else None


class Drawings:
    """Graphviz runs under way, several at once (each is a process of its own, so they use every core while
    Python goes on with other work). ``wait`` gives each key's SVG, None where Graphviz failed."""

    def __init__(self, sources: Mapping[str | None, str]) -> None:
        pool = ThreadPoolExecutor(max_workers=max(1, min(len(sources), os.cpu_count() or 1, 4)))
        self._runs = {key: pool.submit(render_svg, source) for key, source in sources.items()}
        pool.shutdown(wait=False)

    def wait(self) -> dict[str | None, str | None]:
        return {key: run.result() for key, run in self._runs.items()}

    def cancel(self) -> None:
        """Drop the runs not started yet (those under way end by themselves, within the timeout)."""
        for run in self._runs.values():
            run.cancel()
