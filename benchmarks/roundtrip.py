"""Round-trip benchmark: what each shared sample keeps when taken into dicetm and exported back.

Usage: python benchmarks/roundtrip.py [--samples DIR]

For every sample in ``../shared/data/samples`` (or DIR): import, analyse, export to the same format with the
stated threats, and count the names, ids, positions, link ends, statuses and texts of the original that the
export lacks (lost) or has in excess (added), as read by ``tests/io/roundtrip_measure.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "io"))

from import_helpers import SAMPLE_FILES  # noqa: E402
from roundtrip_measure import CATEGORIES, compare, read, round_trip  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=REPO.parent / "shared" / "data" / "samples")
    args = parser.parse_args()
    print(f"{'sample':40} " + " ".join(f"{c:>14}" for c in CATEGORIES))
    print(f"{'':40} " + " ".join(f"{'lost/total +add':>14}" for _c in CATEGORIES))
    for fmt, name in SAMPLE_FILES:
        path = args.samples / name
        try:
            _imported, text = round_trip(fmt, path)
        except Exception as exc:  # a missing exporter is a figure too
            print(f"{path.name:40} no round trip: {type(exc).__name__}: {str(exc).splitlines()[0][:80]}")
            continue
        original = read(path)
        exported = json.loads(text) if text.lstrip().startswith("{") else __import__("yaml").safe_load(text)
        result = compare(original, exported)
        cells = [f"{result.lost_count(c)}/{result.total[c]} +{result.added_count(c)}" for c in CATEGORIES]
        print(f"{path.name:40} " + " ".join(f"{cell:>14}" for cell in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
