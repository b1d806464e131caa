"""Running Graphviz: DOT source in, SVG for inlining out, several drawings at once (the source is written by
``dfd``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

DOT_TIMEOUT_SECONDS = 20
# In one run, Graphviz gives the top group of every drawing after the first a page prefix (id="page0,1_dfd").
_PAGE_PREFIX = re.compile(r'<g id="page\d+,\d+_')


def render_svg(source: str) -> str | None:
    """Run Graphviz on DOT source; the SVG element for inlining, or None when ``dot`` is missing or fails."""
    drawn = _run(source)
    return _svg_element(drawn) if drawn is not None else None


def render_svgs(sources: list[str]) -> list[str | None]:
    """``render_svg`` of each source, from one Graphviz run when it can: each run costs 10-15 ms of CPU before it
    draws anything, most of the time a small drawing takes. When the run fails, or does not give one drawing per
    source, each source is run on its own, so a bad one costs only its own drawing."""
    if len(sources) > 1:
        drawn = _run("".join(sources))
        # Each drawing starts with the XML prolog; model text never holds "<?xml" (labels encode "<").
        documents = drawn.split("<?xml ")[1:] if drawn is not None else []
        if len(documents) == len(sources):
            return [_svg_element(_PAGE_PREFIX.sub('<g id="', document, count=1)) for document in documents]
    return [render_svg(source) for source in sources]


def _run(source: str) -> str | None:
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
    return completed.stdout.decode("utf-8", errors="replace")


def _svg_element(document: str) -> str | None:
    start = document.find("<svg")
    # Everything before <svg> is the XML prolog, doctype and generator comments.
    return document[start:].strip() + "\n" if start >= 0 else None


class Drawings:
    """Graphviz runs under way, several at once (each is a process of its own, so they use every core while
    Python goes on with other work), each drawing a share of the sources. ``wait`` gives each key's SVG, None
    where Graphviz failed."""

    def __init__(self, sources: Mapping[str | None, str]) -> None:
        workers = max(1, min(len(sources), os.cpu_count() or 1, 4))
        self._keys = list(sources)
        self._shares = [self._keys[index::workers] for index in range(workers)]
        pool = ThreadPoolExecutor(max_workers=workers)
        self._runs = [pool.submit(render_svgs, [sources[key] for key in share]) for share in self._shares]
        pool.shutdown(wait=False)

    def keys(self) -> list[str | None]:
        return list(self._keys)

    def wait(self) -> dict[str | None, str | None]:
        drawn: dict[str | None, str | None] = {}
        for share, run in zip(self._shares, self._runs, strict=True):
            drawn.update(zip(share, run.result(), strict=True))
        return {key: drawn[key] for key in self._keys}  # in the order of the sources

    def cancel(self) -> None:
        """Drop the runs not started yet (those under way end by themselves, within the timeout)."""
        for run in self._runs:
            run.cancel()
