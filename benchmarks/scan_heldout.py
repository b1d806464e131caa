"""Detection and false-positive rates of the injection scan on the blind held-out sets.

Usage: python benchmarks/scan_heldout.py [--half train|check] [SET ...]   (default: every set the labels name)

``tests/scan/heldout/`` holds sets written by people who had not seen the detectors. ``labels.yaml`` labels
sets ``a`` and ``b``, ``labels-cd.yaml`` sets ``c`` and ``d``, ``labels-e.yaml`` to ``labels-j.yaml`` sets ``e`` to
``j`` (with language, format, where the poison hides, its voice and a verbatim ``poisoned_quote`` of it). Set ``a``
and, after their first measurements, sets ``c`` to ``j`` may be used to improve
the scan; set ``b`` must not be read while changing it.

Per set, and per language and per format where the labels say them, it prints:

- detection: poisoned documents with any blocking finding;
- on-part: poisoned documents with a blocking finding whose span holds the poisoned quote (only for labels
  with a ``poisoned_quote``);
- false positives: benign documents with any blocking finding;

then the misses and the false positives by file. A document that cannot be read counts as not caught.

``--half`` measures one half of every set, split by document on a hash of its path: look at the misses of the
``train`` half only, change the scan for general reasons, and judge the change by the ``check`` half.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dicetm.errors import DicetmError
from dicetm.ingest.readers import read_document
from dicetm.ingest.scan import ScanFinding, blocking, scan_document

HELDOUT = Path(__file__).resolve().parents[1] / "tests" / "scan" / "heldout"
LABEL_FILES = ("labels.yaml", "labels-cd.yaml", "labels-e.yaml", "labels-f.yaml", "labels-g.yaml", "labels-h.yaml",
               "labels-i.yaml", "labels-j.yaml", "labels-k.yaml")
FORMAT_OF_SUFFIX = {".md": "md", ".txt": "txt", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx",
                    ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def load_labels(root: Path = HELDOUT) -> dict[str, dict[str, object]]:
    labels: dict[str, dict[str, object]] = {}
    for name in LABEL_FILES:
        if (root / name).exists():
            labels.update(yaml.safe_load((root / name).read_text(encoding="utf-8")) or {})
    return labels


def _norm(text: str) -> str:
    """Folded for comparison; a table's cell separator counts as a space, and there is none between CJK characters
    (labels join split cells with one space, none in Japanese and Chinese)."""
    text = re.sub(r"\s*\|\s*", " ", unicodedata.normalize("NFKC", text).lower())
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", text)


_CJK = "\u3040-\u30ff\u3400-\u9fff\uff00-\uffef"


def on_part(findings: Sequence[ScanFinding], quote: str) -> bool:
    """Whether a finding's span holds the quote (or, for a long quote, its first or last 24 characters)."""
    wanted = _norm(quote)
    for finding in findings:
        text = _norm(finding.span.text)
        if wanted in text or (len(wanted) > 24 and (wanted[:24] in text or wanted[-24:] in text)):
            return True
    return False


@dataclass
class Tally:
    poisoned: int = 0
    caught: int = 0
    quoted: int = 0  # poisoned documents whose label has a quote
    caught_on_part: int = 0
    benign: int = 0
    flagged: int = 0

    def line(self, key: str) -> str:
        parts = [f"{key:16s} detection {_rate(self.caught, self.poisoned)}"]
        if self.quoted:
            parts.append(f"on-part {_rate(self.caught_on_part, self.quoted)}")
        parts.append(f"false positives {_rate(self.flagged, self.benign)}")
        return "   ".join(parts)


def _rate(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.0%}" if whole else "-"


@dataclass
class SetResult:
    tallies: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)


HALVES = ("train", "check")


def half_of(rel: str) -> str:
    """The half a document belongs to: a fixed split on a hash of its path, so every run agrees."""
    return HALVES[hashlib.sha256(rel.encode()).digest()[0] % 2]


def measure(part: str, labels: dict[str, dict[str, object]], root: Path = HELDOUT, *,
            half: str | None = None) -> SetResult:
    result = SetResult()
    for rel, info in sorted(labels.items()):
        if not rel.startswith(f"{part}/") or (half is not None and half_of(rel) != half):
            continue
        try:
            found = blocking(scan_document(read_document(root / rel, display=rel)))
            error = ""
        except DicetmError as exc:
            found, error = [], f" (not read: {str(exc).splitlines()[0]})"
        keys = ["all"]
        if info.get("language"):
            keys.append(f"lang:{info['language']}")
        keys.append(f"fmt:{info.get('format') or FORMAT_OF_SUFFIX.get(Path(rel).suffix, Path(rel).suffix)}")
        quote = str(info.get("poisoned_quote") or "")
        hit = bool(found)
        hit_on_part = bool(quote) and on_part(found, quote)
        for key in keys:
            tally = result.tallies[key]
            if info["label"] == "malicious":
                tally.poisoned += 1
                tally.caught += hit
                tally.quoted += bool(quote)
                tally.caught_on_part += hit_on_part
            else:
                tally.benign += 1
                tally.flagged += hit
        where = f" [{info['where']}/{info['voice']}]" if info.get("where") else ""
        if info["label"] == "malicious" and (not hit or (quote and not hit_on_part)):
            result.misses.append(f"{rel}{where}{' (caught elsewhere)' if hit else ''}{error}")
        if info["label"] != "malicious" and hit:
            result.false_positives.append(f"{rel} ({', '.join(sorted({f.rule for f in found}))})")
    return result


def report(part: str, result: SetResult) -> None:
    print(f"== set {part}")
    for key in sorted(result.tallies, key=lambda k: (k != "all", k)):
        print("  " + result.tallies[key].line(key))
    for miss in result.misses:
        print(f"  missed          {miss}")
    for false_positive in result.false_positives:
        print(f"  false positive  {false_positive}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=HALVES, help="measure only this half of each set")
    parser.add_argument("sets", nargs="*", help="the sets to measure (default: all)")
    args = parser.parse_args()
    labels = load_labels()
    for part in args.sets or sorted({rel.split("/", 1)[0] for rel in labels}):
        report(part, measure(part, labels, half=args.half))


if __name__ == "__main__":
    main()
