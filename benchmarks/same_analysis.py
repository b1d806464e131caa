"""Same analysis: check that a change to the rule engine leaves every analysis exactly as it was.

Usage: python benchmarks/same_analysis.py save DIR   (before the change)
       python benchmarks/same_analysis.py check DIR  (after it; exit 1 and a unified diff on any difference)

Analysed, each as a grouped and a full (``--detail full``) result: every ``dicetm.yaml`` under ``examples/``
and ``benchmarks/threat_corpus/``, and the synthetic 10,000-element model of ``benchmarks/scale.py``. The whole
result is dumped as JSON (threats with ids, elements, flows, refs, scores and factors, open questions,
countermeasures, evaluation) with the version and the day fixed, so only a change in what the engine
produces shows up.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from dicetm.api import load
from dicetm.model import System
from dicetm.pipeline.run import analyze

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


def dumps(system: System, detail: str) -> str:
    result = analyze(system, detail=detail, today=DAY)
    return result.model_copy(update={"dicetm_version": "-"}).model_dump_json(indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("save", "check"))
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    compared = differing = 0
    for name, system in models():
        for detail in ("grouped", "full"):
            file = args.folder / (name.replace("/", "__") + f".{detail}.json")
            text = dumps(system, detail)
            compared += 1
            if args.action == "save":
                file.write_text(text, encoding="utf-8")
                continue
            before = file.read_text(encoding="utf-8")
            if before != text:
                differing += 1
                diff = difflib.unified_diff(before.splitlines(), text.splitlines(), f"before/{file.name}",
                                            f"after/{file.name}", lineterm="", n=2)
                print("\n".join(list(diff)[:60]))
    verb = "saved" if args.action == "save" else f"compared, {differing} differ"
    print(f"{compared} analyses {verb} ({args.folder})")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
