"""Infrastructure-code robustness benchmark: the offline describe over every Kubernetes manifest and Terraform file
under some folders (checkouts of public repositories), one file at a time, and then each folder of ``.tf`` files
as one module.

Usage: python benchmarks/iac_sources.py FOLDER [FOLDER ...]

Prints, per format: files read as that format, files the reader refused (a YAML file that is neither a manifest
nor another format dicetm reads), extractions that raised (must be 0), the elements, flows, boundaries and notes
drafted, and the total and slowest times (reading, scanning and extracting). Nothing is written.
"""

from __future__ import annotations

import argparse
import time
import traceback
from collections import Counter
from pathlib import Path

from dicetm.errors import DicetmError
from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.readers import read_document

_SUFFIXES = {".tf": "terraform", ".yaml": "kubernetes", ".yml": "kubernetes"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    folders = parser.parse_args().folders
    counts: dict[str, Counter[str]] = {"kubernetes": Counter(), "terraform": Counter(), "terraform module": Counter()}
    times: dict[str, list[tuple[float, str]]] = {name: [] for name in counts}
    modules: dict[Path, list[Document]] = {}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _SUFFIXES):
            fmt = _SUFFIXES[path.suffix]
            start = time.perf_counter()
            try:
                document = read_document(path)
            except DicetmError:
                counts[fmt]["refused"] += 1
                continue
            if document.format != fmt:
                continue
            if fmt == "terraform":
                modules.setdefault(path.parent, []).append(document)
            _draft(fmt, [document], str(path), start, counts, times)
    for folder, documents in modules.items():
        _draft("terraform module", documents, str(folder), time.perf_counter(), counts, times)
    print(f"{'source':<17} {'read':>5} {'refused':>7} {'raised':>6} {'elements':>8} {'flows':>6} {'zones':>6} "
          f"{'notes':>6} {'total s':>8}  slowest")
    for name, count in counts.items():
        slowest = max(times[name], default=(0.0, "-"))
        print(f"{name:<17} {count['read']:>5} {count['refused']:>7} {count['raised']:>6} {count['elements']:>8} "
              f"{count['flows']:>6} {count['zones']:>6} {count['notes']:>6} "
              f"{sum(t for t, _ in times[name]):>8.1f}  {slowest[0]:.2f}s {slowest[1]}")


def _draft(name: str, documents: list[Document], label: str, start: float, counts: dict[str, Counter[str]],
           times: dict[str, list[tuple[float, str]]]) -> None:
    count = counts[name]
    count["read"] += len(documents)
    try:
        draft = extract_draft(documents)
    except Exception:  # the figure this benchmark exists for: it must stay 0
        count["raised"] += 1
        print(f"RAISED on {label}")
        traceback.print_exc(limit=4)
        return
    times[name].append((time.perf_counter() - start, label))
    system = draft.system
    count.update(elements=len(system.elements), flows=len(system.flows), zones=len(system.trust_boundaries),
                 notes=len(draft.notes))


if __name__ == "__main__":
    main()
