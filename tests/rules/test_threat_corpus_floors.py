"""The released threat corpora (benchmarks/threat_corpus) keep what the rules find: each corpus finds at least
its floor of reference threats under the strict rule, at no more than 3 threats per element. A floor is the
figure measured when it was last raised; a change that loses a reference threat fails here, and one that finds
more may raise the floor."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from tests.script_module import load_script

from dicetm.catalog import load_catalog

REPO = Path(__file__).resolve().parents[2]
CORPORA = REPO / "benchmarks" / "threat_corpus"
# corpus -> reference threats found (of the total), as measured with rules12
FLOORS = {"dev": 52, "final2": 111, "final3": 96, "final4": 106, "final5": 75, "final6": 79, "final7": 68,
          "final8": 69, "final9": 66, "final10": 49, "final11": 56}
MAX_PER_ELEMENT = 3.0


def _coverage() -> ModuleType:
    return load_script("benchmarks/threat_coverage.py")


def test_every_released_corpus_has_a_floor() -> None:
    assert sorted(FLOORS) == sorted(p.name for p in CORPORA.iterdir() if p.is_dir())


@pytest.mark.parametrize("corpus", sorted(FLOORS))
def test_corpus_keeps_its_floor(corpus: str) -> None:
    coverage = _coverage()
    catalog = load_catalog()
    scores = [coverage.run_system(folder, "grouped", catalog) for folder in coverage.systems_of(CORPORA / corpus)]
    found = sum(len(s.found) for s in scores)
    missed = [f"{s.name} {m.id}" for s in scores for m in s.missed]
    assert found >= FLOORS[corpus], f"{corpus}: {found} found, floor {FLOORS[corpus]}; missed: {missed}"
    per_element = sum(s.threats for s in scores) / sum(s.elements for s in scores)
    assert per_element <= MAX_PER_ELEMENT, f"{corpus}: {per_element:.2f} threats per element"
