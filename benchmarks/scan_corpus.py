"""Injection-scan benchmark: detection and false-positive rates on the labelled corpus, and throughput.

Usage: python benchmarks/scan_corpus.py [--synthetic-mb 5]

Reads every document of ``tests/scan/corpus`` (plus the Word and PDF documents the corpus test generates) with
the real readers, scans them and prints: the detection rate (malicious documents with a blocking finding), the
false-positive rate (benign documents with one), a per-category table, the misses and false positives by file,
throughput in files and megabytes per second, and the time to scan one synthetic document of several megabytes.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

from dicetm.ingest.documents import Document, document_from_text
from dicetm.ingest.readers import read_document
from dicetm.ingest.scan import CATEGORIES, SEVERITIES, ScanFinding, blocking, scan_document
from dicetm.ingest.scan_lexicon import lexicon

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "scan" / "corpus"

PROSE = [
    "The gateway forwards requests to the orchestrator, which retrieves context from the vector store.",
    "Responses are filtered for personal data and logged with a request id for thirty days.",
    "The assistant can call the order lookup tool, which has read-only access to the order service.",
    "Operators rotate the provider keys every ninety days; the rotation is audited.",
    "If the provider is unavailable, traffic fails over to the secondary region within two minutes.",
]


def load_corpus(generated: Path) -> list[tuple[str, dict[str, object], Document]]:
    labels: dict[str, dict[str, object]] = yaml.safe_load((CORPUS / "labels.yaml").read_text(encoding="utf-8"))
    documents = [(name, label, read_document(CORPUS / name, display=name)) for name, label in labels.items()]
    spec = importlib.util.spec_from_file_location("scan_corpus_test", REPO / "tests" / "scan" / "test_corpus.py")
    if spec is not None and spec.loader is not None:  # the corpus test knows how to build the Word and PDF files
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, label in module.build_generated(generated).items():
            documents.append((f"generated/{name}", label, read_document(generated / name, display=f"generated/{name}")))
    return documents


def synthetic(megabytes: float) -> Document:
    """A long architecture document: prose, tables, code blocks, hashes and some non-ASCII text."""
    rng = random.Random(7)
    blocks: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        choice = rng.random()
        if choice < 0.7:
            block = " ".join(rng.choice(PROSE) for _ in range(rng.randint(2, 6)))
        elif choice < 0.8:
            block = "| Service | Owner | Notes |\n|---|---|---|\n| api | platform | façade for the Zürich team |"
        elif choice < 0.9:
            block = "```yaml\nreplicas: 3\nimage: registry.internal/api@sha256:" + f"{rng.getrandbits(256):064x}\n```"
        else:
            block = "## Section " + str(len(blocks)) + " \U0001F680"
        blocks.append(block)
        size += len(block) + 2
    return document_from_text("synthetic.md", "\n\n".join(blocks), "markdown")


def category_table(results: list[tuple[str, dict[str, object], list[ScanFinding]]]) -> list[str]:
    expected: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    severities: dict[str, Counter[str]] = {category: Counter() for category in CATEGORIES}
    benign_blocking: Counter[str] = Counter()
    for _, label, findings in results:
        for finding in findings:
            severities[finding.category][finding.severity] += 1
        found = {f.category for f in blocking(findings)}
        if label["expected"] == "malicious":
            for category in label.get("categories", []):  # type: ignore[attr-defined]
                expected[category] += 1
                caught[category] += category in found
        else:
            benign_blocking.update(found)
    header = f"{'category':18} {'expected':>8} {'caught':>7} " + " ".join(f"{s:>6}" for s in SEVERITIES)
    lines = [header + f" {'benign-blocking':>16}", "-" * (len(header) + 17)]
    for category in CATEGORIES:
        counts = " ".join(f"{severities[category][s]:>6}" for s in SEVERITIES)
        lines.append(f"{category:18} {expected[category]:>8} {caught[category]:>7} {counts} "
                     f"{benign_blocking[category]:>16}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic-mb", type=float, default=5.0, help="size of the synthetic document (MB)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        documents = load_corpus(Path(folder))
        read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scan_document(document_from_text("warm-up.md", "Warm-up: the lexicons compile on the first scan.", "markdown"))
    compile_seconds = time.perf_counter() - started
    started = time.perf_counter()
    results = [(name, label, scan_document(document)) for name, label, document in documents]
    scan_seconds = time.perf_counter() - started

    malicious = [name for name, label, _ in results if label["expected"] == "malicious"]
    benign = [name for name, label, _ in results if label["expected"] == "benign"]
    missed = [name for name, label, findings in results if label["expected"] == "malicious" and not blocking(findings)]
    false_positives = [(name, findings) for name, label, findings in results
                       if label["expected"] == "benign" and blocking(findings)]
    print(f"corpus: {len(malicious)} malicious, {len(benign)} benign documents")
    caught = len(malicious) - len(missed)
    print(f"detection rate:      {caught / len(malicious):6.1%}  ({caught}/{len(malicious)})")
    print(f"false-positive rate: {len(false_positives) / len(benign):6.1%}  ({len(false_positives)}/{len(benign)})")
    print()
    print("\n".join(category_table(results)))
    print()
    print("missed (no blocking finding):", ", ".join(missed) or "none")
    print("false positives:", "none" if not false_positives else "")
    for name, findings in false_positives:
        for finding in blocking(findings):
            print(f"  {name}:{finding.line} {finding.severity} {finding.rule}: {finding.excerpt}")
    wrong_category = [(name, sorted(set(label["categories"]) - {f.category for f in blocking(findings)}))  # type: ignore[arg-type]
                      for name, label, findings in results if label["expected"] == "malicious"]
    wrong_category = [(name, lost) for name, lost in wrong_category if lost]
    print("expected categories not found:", ", ".join(f"{n} ({', '.join(c)})" for n, c in wrong_category) or "none")
    print()
    characters = sum(len(span.text) for _, _, document in documents for span in document.spans)
    print(f"throughput: {len(documents) / scan_seconds:,.0f} files/s, {characters / scan_seconds / 1e6:.2f} MB/s "
          f"of text (scan {scan_seconds * 1000:.0f} ms, read {read_seconds * 1000:.0f} ms, {len(documents)} files); "
          f"read and scan together {len(documents) / (scan_seconds + read_seconds):,.0f} files/s")
    print(f"lexicons: {len(lexicon().languages)} languages compiled in {compile_seconds * 1000:.0f} ms, once per run")
    document = synthetic(options.synthetic_mb)
    size = sum(len(span.text) for span in document.spans)
    started, cpu = time.perf_counter(), time.process_time()
    findings = scan_document(document)
    print(f"synthetic document: {size / 1e6:.1f} MB in {len(document.spans):,} spans scanned in "
          f"{time.perf_counter() - started:.2f} s ({time.process_time() - cpu:.2f} s CPU), {len(findings)} findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
