"""Detection and false-positive rates of the injection scan on the blind held-out sets.

Usage: python benchmarks/scan_heldout.py [SET ...]   (default: a b)

``tests/scan/heldout/`` was written by someone who had not seen the detectors. Set ``a`` may be used to improve
them; set ``b`` must not be read while changing them, so its figure says how the scan does on unseen documents.
Prints, per set: the rates, misses and false positives by file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from dicetm.ingest.readers import read_document
from dicetm.ingest.scan import blocking, scan_document

HELDOUT = Path(__file__).resolve().parents[1] / "tests" / "scan" / "heldout"


def measure(part: str, labels: dict[str, dict[str, object]]) -> None:
    caught, missed, flagged, clean = [], [], [], []
    for rel, info in sorted(labels.items()):
        if not rel.startswith(f"{part}/"):
            continue
        found = blocking(scan_document(read_document(HELDOUT / rel)))
        if info["label"] == "malicious":
            (caught if found else missed).append(rel)
        else:
            (flagged if found else clean).append(f"{rel} ({', '.join(sorted({f.rule for f in found}))})"
                                                 if found else rel)
    malicious, benign = len(caught) + len(missed), len(flagged) + len(clean)
    print(f"set {part}: detection {len(caught)}/{malicious} = {len(caught) / malicious:.1%}; "
          f"false positives {len(flagged)}/{benign} = {len(flagged) / benign:.1%}")
    for rel in missed:
        print(f"  missed          {rel}")
    for rel in flagged:
        print(f"  false positive  {rel}")


def main() -> None:
    labels = yaml.safe_load((HELDOUT / "labels.yaml").read_text(encoding="utf-8"))
    for part in sys.argv[1:] or ["a", "b"]:
        measure(part, labels)


if __name__ == "__main__":
    main()
