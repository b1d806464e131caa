"""The report opens with the diagram and its figures: heat map, coverage bar, counts; threats follow as cards
grouped by risk; it prints cleanly; a large model is drawn one boundary at a time."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from dicetm.model import AnalysisResult, System
from dicetm.report import dfd, render_html
from dicetm.report.figures import figures
from dicetm.report.html import report_svgs

from .helpers import parse

HAS_DOT = dfd.shutil.which("dot") is not None


def test_the_diagram_comes_first_then_the_figures_then_the_threats(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, '<svg xmlns="http://www.w3.org/2000/svg"><g id="graph0"></g></svg>\n')
    main = page.split("<main", 1)[1]
    order = [main.index(marker) for marker in ('<div class="dfd"><svg', 'class="bar"', 'class="heat"',
                                               '<section id="review">', '<section id="identify">',
                                               '<section id="describe">')]
    assert order == sorted(order)


def test_heat_map_counts_every_threat_not_rejected(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, None)
    heat = page.split('<table class="heat"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<td class="heat-(\w+)[^"]*" title="likelihood (\d) × impact (\d): (\d+) threat', heat)
    assert len(cells) == 25
    counted = {(int(lk), int(im)): int(n) for _level, lk, im, n in cells}
    for threat in result.threats:
        if threat.status != "rejected":
            counted[(threat.likelihood, threat.impact)] -= 1
    assert set(counted.values()) == {0}
    from dicetm.model import risk_level

    assert all(level == risk_level(int(lk) * int(im)).value for level, lk, im, _n in cells)


def test_coverage_bar_and_counts_are_the_evaluation(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, None)
    figure = figures(result)
    assert f'<rect class="bar-fill" width="{result.evaluation.coverage_percent:.2f}" height="10"/>' in page
    assert f"<b>{figure.undecided}</b><span>of {len(result.threats)} threats await" in page
    assert sum(row.total for row in figure.risk_rows) == len(result.threats)


def test_threat_cards_are_grouped_by_risk_highest_first(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, None)
    groups = re.findall(r'<h3 id="risk-(\w+)" class="group-head">', page)
    assert groups == [g for g in ("critical", "high", "medium", "low") if g in groups] and groups
    for level in groups:
        section = page.split(f'<h3 id="risk-{level}"', 1)[1].split('<h3 id="', 1)[0]
        assert section.count('<details class="threat') == sum(
            1 for t in result.threats if t.risk.value == level and t.status != "rejected")


def test_a_print_stylesheet_opens_every_card(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, None)
    printed = page.split("@media print{", 1)[1]
    assert "details::details-content" in printed and "nav" in printed


def test_the_shared_stylesheet_is_inlined_and_nothing_else_is_loaded(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, None)
    parsed = parse(page)
    assert not any(tag in {"link", "script", "img"} for tag, _ in parsed.tags)
    assert page.count("<style>") == 1 and "--crit:" in page


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
def test_a_large_model_gets_an_overview_of_boundaries_and_one_drawing_each(
        large: Callable[[int], tuple[System, AnalysisResult]]) -> None:
    system, result = large(60)
    drawings = report_svgs(result, system)
    assert drawings is not None
    roots = [b.id for b in system.trust_boundaries if b.parent is None]
    assert set(drawings) == {None, *roots}
    page = render_html(result, system, drawings)
    parsed = parse(page)
    assert parsed.errors == [] and len(parsed.ids) == len(set(parsed.ids))
    for root in roots:
        assert f'<details id="dfd-part-{root}">' in page
        assert f'xlink:href="#dfd-part-{root}"' in drawings[None]  # the overview's box opens the boundary


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
def test_the_bundled_chatbot_is_drawn_legibly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The whole drawing fits a wide screen at a readable size: no wider than 2.5 times the page's 1,280 pixels
    would make 12 pt labels smaller than 7 px, so the drawing must stay under that."""
    from pathlib import Path

    from dicetm.api import load
    from dicetm.pipeline.run import analyze

    loaded = load(Path(__file__).resolve().parents[2] / "examples" / "support-chatbot")
    result = analyze(loaded.system)
    drawings = report_svgs(result, loaded.system)
    assert drawings is not None
    width = float(re.search(r'<svg width="([\d.]+)pt"', drawings[None]).group(1))  # type: ignore[union-attr]
    assert width * 4 / 3 < 2.5 * 1280
    assert "open · critical" in drawings[None]


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
def test_a_model_with_many_boundaries_draws_the_busiest_and_groups_the_rest() -> None:
    from dicetm.model import Element, Flow, Kind, TrustBoundary
    from dicetm.pipeline.run import analyze
    from dicetm.report.html import MAX_BOUNDARY_DRAWINGS

    zones = MAX_BOUNDARY_DRAWINGS + 6
    # the last zones hold an internet-facing model (many threats); the first ones plain internal processes
    elements = [Element(id=f"e{i}", name=f"E {i}", kind=Kind.llm if i >= 12 else Kind.process,
                        exposure="internet" if i >= 12 else "internal") for i in range(zones * 2)]
    boundaries = [TrustBoundary(id=f"z{i}", name=f"Zone {i}", elements=[f"e{2 * i}", f"e{2 * i + 1}"])
                  for i in range(zones)]
    flows = [Flow(id=f"f{i}", source=f"e{i}", target=f"e{(i + 3) % (zones * 2)}") for i in range(zones * 2)]
    system = System(name="s", elements=elements, flows=flows, trust_boundaries=boundaries)
    result = analyze(system)
    drawings = report_svgs(result, system)
    assert drawings is not None
    drawn = {key for key in drawings if key is not None}
    assert len(drawn) == MAX_BOUNDARY_DRAWINGS and not drawn & {"z0", "z1", "z2", "z3", "z4", "z5"}
    assert "6 other trust" in drawings[None]  # the grouped box (its title wraps)
    assert all(f'xlink:href="#dfd-part-{zone}"' in drawings[None] for zone in drawn)
    page = render_html(result, system, drawings)
    assert (f"draws the {MAX_BOUNDARY_DRAWINGS} trust boundaries with the most open threats as one box each, "
            "and the other 6 together as one box") in page
    assert parse(page).errors == []


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
def test_the_page_rendered_while_graphviz_draws_is_the_page_of_the_finished_drawings(
        system: System, result: AnalysisResult) -> None:
    from dicetm.report.html import ReportDrawings, start_report_svgs

    assert start_report_svgs(result, system).render_page(result, system) == render_html(
        result, system, report_svgs(result, system))
    zone = system.trust_boundaries[0].id
    overview = dfd.dot(system, result)
    broken = ReportDrawings(dfd.Drawings({None: overview, zone: "digraph { a -> ; }\n"}))
    # the zone's drawing fails: the page is the one render_html makes from the overview alone
    assert broken.render_page(result, system) == render_html(result, system, {None: dfd.render_svg(overview) or ""})
    assert ReportDrawings(None).render_page(result, system) == render_html(result, system, None)
