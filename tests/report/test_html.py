from __future__ import annotations

import re
from collections.abc import Callable

from dicetm.model import AnalysisResult, System
from dicetm.report import dfd, render_html
from dicetm.report.html import anchor

from .conftest import HOSTILE_NAME
from .helpers import parse

HAS_DOT = dfd.shutil.which("dot") is not None


def test_every_threat_with_risk_references_and_open_marker(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, None)
    for threat in result.threats:
        assert f'id="{anchor("threat", threat.id)}"' in page
        assert f"<code>{threat.id}</code> {threat.title}</summary>" in page
        level = threat.risk.value
        assert f'<span class="risk risk-{level}">{level} {threat.score}</span>' in page
        for reference in threat.references:
            assert f"<code>{reference}</code>" in page
    assert page.count('<span class="badge open">OPEN</span>') == 1 + 5  # legend + open entries
    for section in ("summary", "describe", "identify", "countermeasures", "evaluate"):
        assert f'<section id="{section}">' in page


def test_page_is_well_formed_and_every_link_lands(system: System, result: AnalysisResult) -> None:
    for drawing in (None, dfd.svg(system)):
        parsed = parse(render_html(result, system, drawing))
        assert parsed.errors == [] and parsed.stack == []
        assert len(parsed.ids) == len(set(parsed.ids))
        hrefs = {v["href"] for tag, v in parsed.tags if tag == "a" and v.get("href")}
        assert hrefs and all(h is not None and h.startswith("#") for h in hrefs)
        assert {h[1:] for h in hrefs if h} <= set(parsed.ids)


def test_threats_and_countermeasures_link_both_ways(system: System, result: AnalysisResult) -> None:
    page = render_html(result, system, None)
    threat_card = page.split('id="threat-T-LLM-001@web-app"', 1)[1].split("</details>", 1)[0]
    assert '<a href="#cm-C-INP-001"><code>C-INP-001</code></a>' in threat_card
    assert '<a href="#cov-T-LLM-001@web-app">covered</a> by <a href="#cm-C-INP-001">' in threat_card
    row = page.split('<tr id="cm-C-INP-001">', 1)[1].split("</tr>", 1)[0]
    assert '<a href="#threat-T-LLM-001@web-app"><code>T-LLM-001@web-app</code></a>' in row
    limited = page.split('<tr id="cm-C-OUT-002">', 1)[1].split("</tr>", 1)[0]
    assert '<span class="badge">planned</span><br>only for <a href="#threat-T-LLM-005@llm">' in limited


def test_hostile_model_text_is_escaped(hostile: tuple[System, AnalysisResult]) -> None:
    system, result = hostile
    page = render_html(result, system, dfd.svg(system) if HAS_DOT else None)
    parsed = parse(page)
    assert parsed.errors == []
    assert not any(tag in {"script", "img", "iframe", "object", "embed", "link"} for tag, _ in parsed.tags)
    assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert HOSTILE_NAME in "".join(parsed.text)  # shown as text, exactly as written


def test_nothing_is_loaded_from_outside(hostile: tuple[System, AnalysisResult]) -> None:
    system, result = hostile
    for drawing in (None, dfd.svg(system)):
        page = render_html(result, system, drawing)
        parsed = parse(page)
        for tag, attrs in parsed.tags:
            assert tag not in {"script", "link", "iframe"}
            for name in ("src", "href", "xlink:href", "action", "data"):
                value = attrs.get(name) or ""
                assert not re.match(r"\s*(https?:)?//", value), (tag, name, value)
        assert not re.search(r"<script\b[^>]*\bsrc=", page, flags=re.I)
        assert "@import" not in page and "url(" not in page
        assert "default-src 'none'" in page


def test_diagram_is_inline_svg_or_mermaid_source(system: System, result: AnalysisResult) -> None:
    fallback = render_html(result, system, None)
    assert "Graphviz (<code>dot</code>) was not found" in fallback
    assert "<pre>flowchart LR\n" in fallback
    drawn = render_html(result, system, '<svg xmlns="http://www.w3.org/2000/svg"><g id="graph0"></g></svg>\n')
    assert '<div class="dfd"><svg xmlns="http://www.w3.org/2000/svg"><g id="graph0">' in drawn
    assert "<pre>flowchart LR" not in drawn


def test_output_is_stable(system: System, result: AnalysisResult) -> None:
    assert render_html(result, system, None).encode() == render_html(result, system, None).encode()


def test_large_model_collapses_long_tables(large: Callable[[int], tuple[System, AnalysisResult]]) -> None:
    system, result = large(300)
    page = render_html(result, system, dfd.svg(system, max_elements=100))
    assert "<details><summary>Show all 300 elements</summary>" in page
    assert "<details><summary>Show the Mermaid source</summary>" in page
    assert '<details class="threat lvl-' in page and '" open>' not in page
    parsed = parse(page)
    assert parsed.errors == [] and parsed.stack == []
