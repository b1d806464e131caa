"""Reading hostile or huge documents: how long dicetm takes and how much memory it uses before it reads or refuses.

Usage: python benchmarks/ingest_limits.py [--bomb-gb 2] [--markdown-mb 20] [--quick]

Each case runs in a child process so its peak memory (max RSS) is its own. Cases:

- a DOCX zip bomb (one part of ``--bomb-gb`` GB of spaces, compressed about a thousandfold): refused from the zip
  central directory, before anything is unpacked;
- HTML nested 10,000 and 50,000 deep: refused at the default depth limit (512), and read with the limit raised to
  show that parsing is linear in the nesting;
- HTML that makes naive parsing quadratic: a megabyte of ``</`` with no ``>`` after it (Python's own parser before
  3.13.4 searches to the end for each) and a megabyte-long ``<style>`` block without braces;
- a Markdown file of ``--markdown-mb`` MB (the default per-document limit is 20 MB), read and scanned; and one
  five times as large, refused by its size before it is read.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

PARAGRAPH = ("The gateway forwards each question to the orchestrator, which retrieves passages from the vector store "
             "and calls the model. Transcripts are kept for thirty days in the log store.\n\n")


def make_bomb(path: Path, gigabytes: float) -> None:
    """A Word document whose one extra part unpacks to ``gigabytes`` GB."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from ingest.files import sample_docx

    chunk = b" " * 16_000_000
    with zipfile.ZipFile(io.BytesIO(sample_docx())) as source, zipfile.ZipFile(path, "w") as out:
        for item in source.infolist():
            out.writestr(item, source.read(item.filename))
        info = zipfile.ZipInfo("word/media/padding.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=True) as part:
            for _ in range(int(gigabytes * 1e9 / len(chunk))):
                part.write(chunk)


def make_html(path: Path, depth: int) -> None:
    path.write_text("<html><body>" + "<div>" * depth + "deep text" + "</div>" * depth + "</body></html>",
                    encoding="utf-8")


def make_markdown(path: Path, megabytes: float) -> None:
    with path.open("w", encoding="utf-8") as out:
        size = number = 0
        while size < megabytes * 1_000_000:
            block = f"## Section {number}\n\n" + PARAGRAPH * 4 + "- the cache\n- the [runbook](https://x.example/r)\n\n"
            out.write(block)
            size += len(block)
            number += 1


def child(path: str, limits: list[str], scan: bool) -> None:
    """Read (and scan) one file; print seconds, outcome and peak memory as JSON."""
    from dicetm.errors import InputError
    from dicetm.ingest.limits import parse_limits
    from dicetm.ingest.readers import read_document
    from dicetm.ingest.scan import scan_documents

    start = time.perf_counter()
    try:
        document = read_document(Path(path), limits=parse_limits(limits))
        read = time.perf_counter() - start
        findings = len(scan_documents([document]).findings) if scan else 0
        outcome = f"read {len(document.spans):,} spans" + (f", {findings} findings" if scan else "")
    except InputError as exc:
        read = time.perf_counter() - start
        outcome = "refused: " + exc.problems[0].message
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"read": read, "total": total, "outcome": outcome, "peak_mb": peak}))


def run(label: str, path: Path, limits: Sequence[str] = (), scan: bool = False) -> None:
    command = [sys.executable, __file__, "--child", str(path), "--scan" if scan else "--no-scan", *limits]
    result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    size = path.stat().st_size / 1e6
    print(f"{label:<50} {size:>6.1f} MB  read {result['read']:7.2f} s  total {result['total']:7.2f} s  "
          f"peak {result['peak_mb']:7.0f} MB  {result['outcome'][:90]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bomb-gb", type=float, default=2.0)
    parser.add_argument("--markdown-mb", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true", help="smaller files, for a smoke run")
    parser.add_argument("--child")
    parser.add_argument("--scan", action=argparse.BooleanOptionalAction, default=False)
    options, limits = parser.parse_known_args()
    if options.child:
        child(options.child, limits, options.scan)
        return
    bomb_gb, markdown_mb = (0.2, 2.0) if options.quick else (options.bomb_gb, options.markdown_mb)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        bomb = folder / "bomb.docx"
        make_bomb(bomb, bomb_gb)
        run(f"DOCX zip bomb ({bomb_gb:g} GB unpacked)", bomb)
        for depth in (10_000, 50_000):
            page = folder / f"deep{depth}.html"
            make_html(page, depth)
            run(f"HTML nested {depth:,} deep", page)
            run(f"HTML nested {depth:,} deep, --limit html-depth={depth + 10}", page, [f"html-depth={depth + 10}"])
        for label, text in (("</" * 500_000, "HTML: 1 MB of '</' and no '>'"),
                            ("<style>" + "a" * 1_000_000 + "</style>", "HTML: a 1 MB <style> without braces")):
            page = folder / "hostile.html"
            page.write_text(label, encoding="utf-8")
            run(text, page)
        markdown = folder / "big.md"
        make_markdown(markdown, markdown_mb)
        run(f"Markdown {markdown_mb:g} MB, read and scanned", markdown, [f"document-mb={markdown_mb + 1:g}"],
            scan=True)
        huge = folder / "huge.md"
        make_markdown(huge, markdown_mb * 5)
        run(f"Markdown {markdown_mb * 5:g} MB", huge)


if __name__ == "__main__":
    main()
