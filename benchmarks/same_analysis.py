"""Same analysis: check that a change to the rule engine or the reports leaves every analysis and every report
exactly as it was.

Usage: python benchmarks/same_analysis.py save DIR   (before the change)
       python benchmarks/same_analysis.py check DIR  (after it; exit 1 and a unified diff on any difference)

Analysed, each as a grouped and a full (``--detail full``) result: every ``dicetm.yaml`` under ``examples/``
and ``benchmarks/threat_corpus/``, and the synthetic 10,000-element model of ``benchmarks/scale.py``. The whole
result is dumped as JSON (threats with ids, elements, flows, refs, scores and factors, open questions,
countermeasures, evaluation) with the version and the day fixed, so only a change in what the engine
produces shows up. The four reports of each grouped result (``report.md``, ``report.html``, ``result.json``,
``threats.csv``, written as `dicetm analyze` writes them) are compared byte for byte too; a report that differs
is shown from its first differing line.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from dicetm.api import load
from dicetm.model import AnalysisResult, System
from dicetm.pipeline.run import analyze
from dicetm.report import write_outputs

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 1, 1)


def models() -> Iterator[tuple[str, System]]:
    """(name, System) for every model compared."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import synthetic_model

    paths = sorted((ROOT / "examples").glob("*/dicetm.yaml"))
    paths += sorted((ROOT / "benchmarks" / "threat_corpus").glob("*/*/dicetm.yaml"))
    for path in paths:
        yield str(path.relative_to(ROOT)), load(path).system
    yield "synthetic-10000", System.model_validate(synthetic_model(10_000))


def analysed(system: System, detail: str) -> AnalysisResult:
    return analyze(system, detail=detail, today=DAY).model_copy(update={"dicetm_version": "-"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("save", "check"))
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    compared = differing = 0
    for name, system in models():
        for detail in ("grouped", "full"):
            stem = name.replace("/", "__")
            result = analysed(system, detail)
            texts = {f"{stem}.{detail}.json": (result.model_dump_json(indent=1) + "\n").encode("utf-8")}
            if detail == "grouped":
                with tempfile.TemporaryDirectory() as out:
                    texts.update({f"{stem}.{path.name}": path.read_bytes()
                                  for path in write_outputs(result, system, Path(out))})
            for file_name, text in texts.items():
                file = args.folder / file_name
                compared += 1
                if args.action == "save":
                    file.write_bytes(text)
                elif not file.exists():
                    differing += 1
                    print(f"{file.name}: not saved in {args.folder}")
                elif file.read_bytes() != text:
                    differing += 1
                    print(difference(file.read_bytes(), text, file.name))
    verb = "saved" if args.action == "save" else f"compared, {differing} differ"
    print(f"{compared} analyses and reports {verb} ({args.folder})")
    sys.exit(1 if differing else 0)


def difference(before: bytes, after: bytes, name: str) -> str:
    """A unified diff of the two texts from their first differing line (reports are too long to diff whole)."""
    old, new = before.decode("utf-8").splitlines(), after.decode("utf-8").splitlines()
    first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    start = max(0, first - 2)
    diff = difflib.unified_diff(old[start:first + 30], new[start:first + 30], f"before/{name}", f"after/{name}",
                                lineterm="", n=2)
    return f"{name}: first difference on line {first + 1}\n" + "\n".join(list(diff)[:60])


if __name__ == "__main__":
    main()
