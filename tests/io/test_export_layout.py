"""The diagram layout: membership by geometry for any nesting, and every exporter on odd and large models."""

from __future__ import annotations

import json
import random
from itertools import combinations
from typing import Any

from export_helpers import analysed
from hypothesis import given, settings
from hypothesis import strategies as st
from schema_checks import check_navigator, check_otm, check_sarif, check_threat_composer, check_threat_dragon

from dicetm.catalog import load_catalog
from dicetm.io.export_layout import Rect, boundary_parents, compute_layout
from dicetm.io.exporters import FORMATS, export
from dicetm.model import Element, Flow, Kind, System, TrustBoundary
from dicetm.pipeline.run import analyze
from dicetm.store.modelfile import LoadedModel

KINDS = [Kind.external_entity, Kind.process, Kind.llm, Kind.data_store, Kind.tool, Kind.vector_store]


def _size(element: Element) -> tuple[int, int]:
    return (160, 80) if element.kind != Kind.process else (100, 100)


@st.composite
def systems(draw: st.DrawFn) -> System:
    count = draw(st.integers(0, 14))
    boundary_count = draw(st.integers(0, 6))
    boundaries = []
    for index in range(boundary_count):
        parent = draw(st.one_of(st.none(), st.integers(0, index - 1))) if index else None
        boundaries.append({"id": f"b{index}", "parent": None if parent is None else f"b{parent}", "elements": []})
    elements = []
    for index in range(count):
        elements.append(Element(id=f"e{index}", name=f"E {index}", kind=draw(st.sampled_from(KINDS))))
        if boundaries and draw(st.booleans()):
            boundaries[draw(st.integers(0, boundary_count - 1))]["elements"].append(f"e{index}")
    flows = [Flow(id=f"f{i}", source=f"e{i}", target=f"e{(i * 7 + 1) % count}") for i in range(count)
             if count > 1 and f"e{i}" != f"e{(i * 7 + 1) % count}"]
    return System(name="generated", elements=elements, flows=flows,
                  trust_boundaries=[TrustBoundary(name=b["id"].upper(), **b) for b in boundaries])


def _overlap(a: Rect, b: Rect) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


@given(systems())
@settings(max_examples=150, deadline=None)
def test_every_element_lies_in_exactly_its_boundaries_boxes(system: System) -> None:
    layout = compute_layout(system, _size)
    parents = boundary_parents(system)
    for element in system.elements:
        expected, home = set(), system.boundary_of.get(element.id)
        while home is not None:
            expected.add(home)
            home = parents[home]
        found = {b for b, box in layout.boundaries.items() if box.contains(layout.elements[element.id])}
        touching = {b for b, box in layout.boundaries.items() if _overlap(box, layout.elements[element.id])}
        assert found == expected == touching
    for first, second in combinations(layout.elements.values(), 2):
        assert not _overlap(first, second)
    for (a_id, a), (b_id, b) in combinations(layout.boundaries.items(), 2):
        nested = a.contains(b) or b.contains(a)
        assert nested or not _overlap(a, b), (a_id, b_id)
    for rect in [*layout.elements.values(), *layout.boundaries.values()]:
        assert rect.x >= 0 and rect.y >= 0
        assert rect.x + rect.width <= layout.width and rect.y + rect.height <= layout.height


def _loaded(system: System) -> tuple[LoadedModel, Any]:
    from pathlib import Path

    loaded = LoadedModel(system=system, path=Path("generated/dicetm.yaml"), locations={})
    return loaded, analyze(system, source=str(loaded.path))


@given(systems())
@settings(max_examples=25, deadline=None)
def test_generated_models_export_to_valid_documents(system: System) -> None:
    loaded, result = _loaded(system)
    catalog = load_catalog()
    checks = {"threat-dragon": check_threat_dragon, "otm": check_otm, "threat-composer": check_threat_composer,
              "sarif": check_sarif, "atlas-navigator": lambda doc: check_navigator(doc, catalog)}
    for fmt, check in checks.items():
        assert check(json.loads(export(fmt, result, loaded))) == [], fmt


def test_deep_nesting_and_a_large_model() -> None:
    depth = 300  # deeper than Python's comfortable recursion for a naive layout
    boundaries = [TrustBoundary(id=f"z{i}", name=f"Zone {i}", parent=f"z{i - 1}" if i else None,
                                elements=[f"e{i}"]) for i in range(depth)]
    elements = [Element(id=f"e{i}", name=f"Element {i}", kind=KINDS[i % len(KINDS)]) for i in range(1000)]
    flows = [Flow(id=f"f{i}", source=f"e{i}", target=f"e{i + 1}") for i in range(999)]
    system = System(name="big", elements=elements, flows=flows, trust_boundaries=boundaries)
    loaded, result = _loaded(system)
    doc = json.loads(export("threat-dragon", result, loaded))
    assert check_threat_dragon(doc) == []
    layout = compute_layout(system, _size)
    assert layout.boundaries["z0"].contains(layout.boundaries[f"z{depth - 1}"])
    assert layout.boundaries[f"z{depth - 1}"].contains(layout.elements[f"e{depth - 1}"])
    assert check_otm(json.loads(export("otm", result, loaded))) == []


def test_an_empty_model_exports_everywhere() -> None:
    loaded, result = _loaded(System(name="empty"))
    for fmt in FORMATS:
        if fmt != "svg":
            assert export(fmt, result, loaded)


def _mutations(doc: Any, rng: random.Random) -> Any:
    """``doc`` with one randomly chosen value replaced by something of another type."""
    paths: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, value in items:
            paths.append((node, key))
            stack.append(value)
    if paths:
        parent, key = rng.choice(paths)
        parent[key] = rng.choice([None, "", 0, -1, [], {}, "x" * 50, True, [None], {"": None}])
    return doc


def test_validators_report_instead_of_crashing_on_mangled_documents() -> None:
    loaded, result = analysed("support-chatbot")
    catalog = load_catalog()
    checks = {"threat-dragon": check_threat_dragon, "otm": check_otm, "threat-composer": check_threat_composer,
              "sarif": check_sarif, "atlas-navigator": lambda doc: check_navigator(doc, catalog)}
    rng = random.Random(20260)
    for fmt, check in checks.items():
        text = export(fmt, result, loaded)
        for _round in range(80):
            problems = check(_mutations(json.loads(text), rng))
            assert isinstance(problems, list)
        for garbage in (None, [], "text", 3, {"unexpected": True}):
            assert check(garbage), (fmt, garbage)
