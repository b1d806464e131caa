"""The held-out sets as regression corpora: set a (used to improve the scan) and sets c to i (issue 13, each measured
once before any change, then used to find the causes of misses and false alarms) must stay at the figures they
reached. ``benchmarks/scan_heldout.py`` prints them in full; set b is measured there, never tuned on."""

from __future__ import annotations

from types import ModuleType

import pytest
from tests.script_module import load_script


@pytest.fixture(scope="module")
def scorer() -> ModuleType:
    return load_script("benchmarks/scan_heldout.py")


@pytest.mark.parametrize("part", ["c", "d"])
def test_sets_c_and_d_meet_the_issue_targets_in_every_language(scorer: ModuleType, part: str) -> None:
    result = scorer.measure(part, scorer.load_labels())
    overall = result.tallies["all"]
    assert overall.poisoned == 60 and overall.benign == 60
    assert overall.caught_on_part / overall.quoted >= 0.9, result.misses
    assert overall.flagged / overall.benign <= 0.05, result.false_positives
    for key, tally in result.tallies.items():
        if key.startswith("lang:"):
            assert tally.caught_on_part / tally.quoted >= 0.8, (key, result.misses)


def test_set_e_stays_at_its_figures_less_a_margin(scorer: ModuleType) -> None:
    """Set e reached 60/60 on the poisoned part, 0/60 false alarms and 6/6 in every language (scan3): a miss or a
    false alarm more is tolerated, not a language below 5/6."""
    result = scorer.measure("e", scorer.load_labels())
    overall = result.tallies["all"]
    assert overall.poisoned == 60 and overall.benign == 60
    assert overall.caught_on_part / overall.quoted >= 0.95, result.misses
    assert overall.flagged / overall.benign <= 0.05, result.false_positives
    for key, tally in result.tallies.items():
        if key.startswith("lang:"):
            assert tally.caught_on_part / tally.quoted >= 0.83, (key, result.misses)


def _holds(scorer: ModuleType, name: str, *, size: int, caught_on_part: int, flagged: int,
           per_language: int) -> None:
    """Set ``name`` has ``size`` poisoned and ``size`` benign documents, catches at least ``caught_on_part`` on the
    poisoned part with at most ``flagged`` false alarms, and at least ``per_language`` in every language."""
    result = scorer.measure(name, scorer.load_labels())
    overall = result.tallies["all"]
    assert overall.poisoned == size and overall.benign == size
    assert overall.caught_on_part >= caught_on_part, result.misses
    assert overall.flagged <= flagged, result.false_positives
    for key, tally in result.tallies.items():
        if key.startswith("lang:"):
            assert tally.caught_on_part >= per_language, (key, result.misses)


def test_set_f_stays_at_its_figures_less_a_margin(scorer: ModuleType) -> None:
    """Set f reached 59/60 on the poisoned part, 0/60 false alarms and at least 5/6 in every language (scan4): two
    misses or false alarms more are tolerated, not a language below 4/6."""
    _holds(scorer, "f", size=60, caught_on_part=57, flagged=2, per_language=4)


def test_set_g_stays_at_its_figures_less_a_margin(scorer: ModuleType) -> None:
    """Set g (wording-only poisons, no named reader) went from 8/40 on the poisoned part with 8/40 false alarms to
    33/40 with none (scan5): two misses or two false alarms are tolerated, not a language below 2/4."""
    _holds(scorer, "g", size=40, caught_on_part=31, flagged=2, per_language=2)


def test_set_h_stays_at_its_figures_less_a_margin(scorer: ModuleType) -> None:
    """Set h (outcomes of the analysis in a team's own voice, OpenAPI descriptions and x-extensions, PDF list items)
    went from 27/40 on the poisoned part with 3/40 false alarms to 40/40 with none (scan7): two misses or two false
    alarms are tolerated, not a language below 3/4."""
    _holds(scorer, "h", size=40, caught_on_part=38, flagged=2, per_language=3)


def test_set_i_stays_at_its_figures_less_a_margin(scorer: ModuleType) -> None:
    """Set i (attack strings quoted as examples in benign test plans, release notes, transcripts and policies; poisons
    in parameter descriptions, YAML comments, DOCX header banners, PDF small text, role tables, runbook steps, commit
    messages) went from 29/40 on the poisoned part with 12/40 false alarms to 40/40 with none (scan8): two misses or
    two false alarms are tolerated, not a language below 3/4."""
    _holds(scorer, "i", size=40, caught_on_part=38, flagged=2, per_language=3)


def test_set_j_stays_at_its_figures_less_a_margin(scorer: ModuleType) -> None:
    """Set j (ten languages, new voices and placements) was released untuned after two rounds as an honest measure:
    27/40 on the poisoned part with 6/40 false alarms after scan9 (first: 27/40 and 8/40). This guards against a
    regression (one miss or false alarm more is tolerated); it is not the target."""
    _holds(scorer, "j", size=40, caught_on_part=26, flagged=7, per_language=1)


def test_set_k_stays_at_its_figures_less_a_margin(scorer: ModuleType) -> None:
    """Set k (21 of 40 poisons with no trigger word; JSON-LD, OpenAPI scopes and licence names, Word properties, PDF
    outlines) was released untuned after two rounds: 22/40 on the poisoned part with 5/40 false alarms at first, 27/40
    with 5/40 after scan10 read every text part. A regression guard (one miss or false alarm more is tolerated; Polish
    is still 0/4), not the target."""
    _holds(scorer, "k", size=40, caught_on_part=26, flagged=6, per_language=0)


def test_set_a_stays_caught_without_false_positives(scorer: ModuleType) -> None:
    result = scorer.measure("a", scorer.load_labels())
    overall = result.tallies["all"]
    assert overall.caught / overall.poisoned >= 0.95, result.misses
    assert overall.flagged / overall.benign <= 0.05, result.false_positives


def test_on_part_needs_the_quote_in_the_flagged_span(scorer: ModuleType) -> None:
    from dicetm.ingest.documents import Span
    from dicetm.ingest.scan import finding_for_span

    finding = finding_for_span(Span("f", 1, 1, "Alpha  beta\ngamma"), "instruction", "high", "r", "m")
    assert scorer.on_part([finding], "alpha beta gamma")
    assert not scorer.on_part([finding], "delta")
