from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from dicetm.model import AnalysisResult, Element, Flow, Kind, System, TrustBoundary
from dicetm.report import dfd

HAS_DOT = shutil.which("dot") is not None
NODE_LINE = re.compile(r'^\s*e_\w+(\[\(|\(|\[)"[^"]*"(\)\]|\)|\])$')
EDGE_LINE = re.compile(r'^\s*e_\w+ (-->|<-->)(\|"[^"]*"\|)? e_\w+$')
SUBGRAPH_LINE = re.compile(r'^\s*subgraph b_\w+\["[^"]*"\]$')


def _statements(source: str) -> list[str]:
    return source.splitlines()[1:]


def test_mermaid_draws_boundaries_as_nested_subgraphs(system: System) -> None:
    source = dfd.mermaid(system)
    assert source.startswith("flowchart LR\n")
    lines = source.splitlines()
    cloud = lines.index('    subgraph b_cloud["Acme cloud account"]')
    platform = lines.index('        subgraph b_ai_platform["AI platform"]')
    assert cloud < platform
    # the nested subgraph closes before its parent does
    ends = [i for i, line in enumerate(lines) if line.strip() == "end"]
    assert lines[ends[0]] == "        end" and ends[0] > platform
    for name in ("CRM vendor", "Model vendor"):
        assert f'["{name}"]' in source


def test_mermaid_has_every_element_once_with_shape_by_kind(system: System) -> None:
    source = dfd.mermaid(system)
    for element in system.elements:
        node = "e_" + re.sub(r"[^A-Za-z0-9]", "_", element.id)
        assert len(re.findall(rf"^\s*{node}[\[(]", source, flags=re.M)) == 1, element.id
    assert 'e_customer["Customer"]' in source  # external entity: rectangle
    assert 'e_web_app("Support web app")' in source  # process: rounded
    assert 'e_crm[("CRM")]' in source  # store: cylinder
    assert 'e_llm("Chat model<br/>«llm»")' in source  # AI kinds show their kind
    assert 'e_vector_db[("Vector index<br/>«vector store»")]' in source


def test_mermaid_flows_are_labelled_and_weak_flows_marked(system: System) -> None:
    source = dfd.mermaid(system)
    assert 'e_customer -->|"chat messages · HTTPS ⚠ unauthenticated"| e_web_app' in source
    assert 'e_crm_tool -->|"customer records · HTTP ⚠ unencrypted, unauthenticated"| e_crm' in source
    assert 'e_orchestrator <-->|"prompt and completion"| e_llm' in source
    assert "linkStyle 0,7 stroke:#b91c1c" in source


def test_mermaid_with_threats_marks_elements_by_worst_open_risk(system: System, result: AnalysisResult) -> None:
    source = dfd.mermaid(system, result)
    found = dfd.open_threats_by_element(result)
    assert found, "the fixture has open threats"
    for element_id, threats in found.items():
        level = dfd.worst_level(threats)
        assert level is not None
        node = "e_" + re.sub(r"[^A-Za-z0-9]", "_", element_id)
        assert re.search(rf"class [^\n]*\b{node}\b[^\n]* risk_{level.value}", source), element_id
        assert f"⚠ {len(threats)} open" in source


def test_graphviz_and_mermaid_agree_on_open_threats(system: System, result: AnalysisResult) -> None:
    """One count for both drawings: not rejected and not covered."""
    counts = {element: len(threats) for element, threats in dfd.open_threats_by_element(result).items()}
    covered = {m.threat for m in result.evaluation.matrix if m.covered}
    expected: dict[str, int] = {}
    for threat in result.threats:
        if threat.status not in ("rejected", "retired") and threat.id not in covered:
            for element in set(threat.elements):
                expected[element] = expected.get(element, 0) + 1
    assert counts == expected and counts
    mermaid_counts = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^\s*e_(\w+)\W.*?⚠ (\d+) open", dfd.mermaid(system, result), flags=re.M)}
    dot_counts = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^\s*e_(\w+) \[label=<.*?<B> (\d+) open", dfd.dot(system, result), flags=re.M)}
    normalised = {re.sub(r"[^A-Za-z0-9]", "_", k): v for k, v in counts.items()}
    assert mermaid_counts == normalised == dot_counts


def test_an_accepted_and_covered_threat_is_no_longer_open(system: System, result: AnalysisResult) -> None:
    found = dfd.open_threats_by_element(result)
    target = next(iter(found.values()))[0]
    matrix = [m.model_copy(update={"covered": True}) if m.threat == target.id else m
              for m in result.evaluation.matrix]
    closed = result.model_copy(update={"evaluation": result.evaluation.model_copy(update={"matrix": matrix})})
    before = dfd.open_threats_by_element(result)
    after = dfd.open_threats_by_element(closed)
    assert target in before[target.elements[0]] and target not in after.get(target.elements[0], [])


def test_mermaid_escapes_hostile_text(hostile: tuple[System, AnalysisResult]) -> None:
    system, result = hostile
    source = dfd.mermaid(system, result)
    assert "<script" not in source and "#60;script#62;" in source
    for line in _statements(source):
        stripped = line.strip()
        if stripped == "end" or stripped.startswith(("linkStyle", "classDef", "class ")):
            continue
        assert NODE_LINE.match(line) or EDGE_LINE.match(line) or SUBGRAPH_LINE.match(line), line


def test_mermaid_ids_never_collide_and_undeclared_ends_get_a_node() -> None:
    system = System(
        name="ids",
        elements=[Element(id="a.b", name="dot", kind=Kind.process),
                  Element(id="a-b", name="dash", kind=Kind.process)],
        flows=[Flow(id="f1", source="a.b", target="ghost end"), Flow(id="f2", source="a-b", target="a.b")],
    )
    source = dfd.mermaid(system)
    assert 'e_a_b("dot")' in source and 'e_a_b_2("dash")' in source
    assert "e_a_b_2 --> e_a_b" in source
    assert 'e_ghost_end["ghost end (undeclared)"]' in source


def test_boundary_cycles_and_unknown_parents_do_not_loop() -> None:
    system = System(
        name="cycle",
        elements=[Element(id="x", name="X", kind=Kind.process)],
        trust_boundaries=[
            TrustBoundary(id="a", name="A", parent="b", elements=["x"]),
            TrustBoundary(id="b", name="B", parent="a"),
            TrustBoundary(id="c", name="C", parent="missing"),
        ],
    )
    source = dfd.mermaid(system)
    assert source.count("subgraph") == 3
    assert source.count("subgraph") == sum(1 for line in source.splitlines() if line.strip() == "end")


def test_dot_has_clusters_shapes_links_and_tooltips(system: System, result: AnalysisResult) -> None:
    source = dfd.dot(system, result, link=lambda kind, raw: f"/{kind}/{raw}")
    assert source.startswith("digraph dfd {")
    assert "subgraph cluster_cloud {" in source and "subgraph cluster_ai_platform {" in source
    crm = next(line for line in source.splitlines() if line.strip().startswith("e_crm ["))
    assert "<TD>CRM</TD>" in crm and 'shape="cylinder"' in crm and 'URL="/el/crm"' in crm
    assert 'id="dfd-el-crm"' in crm and "tooltip=" in crm
    llm = next(line for line in source.splitlines() if line.strip().startswith("e_llm ["))
    assert "«llm»" in llm and 'style="rounded,filled"' in llm
    for element_id, threats in dfd.open_threats_by_element(result).items():
        node = next(line for line in source.splitlines() if f'id="dfd-el-{element_id}"' in line)
        assert f" {len(threats)} open · {dfd.worst_level(threats)} " in node
    assert "e_orchestrator -> e_llm [" in source and 'dir="both"' in source


def test_flow_labels_are_brief_with_the_full_data_in_the_tooltip() -> None:
    long_data = "a very long description of everything this flow carries between the two ends"
    system = System(name="s", elements=[Element(id="a", name="A", kind=Kind.process),
                                        Element(id="b", name="B", kind=Kind.data_store)],
                    flows=[Flow(id="f", source="a", target="b", data=long_data, protocol="HTTPS")])
    line = next(x for x in dfd.dot(system).splitlines() if "e_a -> e_b" in x)
    label = re.search(r'label="([^"]*)"', line)
    assert label and len(label.group(1)) <= dfd.FLOW_LABEL_CHARS and label.group(1).endswith("…")
    assert long_data in line and "protocol HTTPS" in line


def test_large_models_collapse_to_boundaries_and_open_one_boundary() -> None:
    elements = [Element(id=f"e{i}", name=f"E {i}", kind=Kind.process) for i in range(12)]
    flows = [Flow(id=f"f{i}", source=f"e{i}", target=f"e{(i + 5) % 12}") for i in range(12)]
    zones = [TrustBoundary(id="z1", name="Zone one", elements=[f"e{i}" for i in range(6)]),
             TrustBoundary(id="z2", name="Zone two", elements=[f"e{i}" for i in range(6, 10)])]
    system = System(name="s", elements=elements, flows=flows, trust_boundaries=zones)
    collapsed = dfd.dot(system, collapsed=True, link=lambda kind, raw: f"/{kind}/{raw}")
    assert 'URL="/zone/z1"' in collapsed and "6 elements" in collapsed and "e_e3 [" not in collapsed
    assert "e_e10 [" in collapsed  # outside every boundary: drawn as itself
    assert dfd.drawn_nodes(system, collapsed=True) == 2 + 2
    focused = dfd.dot(system, focus="z2")
    assert "subgraph cluster_z2" in focused and "cluster_z1" not in focused
    assert "in z1" in focused  # a neighbour outside the boundary says where it lives


def test_the_overview_draws_the_busiest_zone_connections_and_says_how_many_it_left_out() -> None:
    zones = 40  # 40 x 39 possible connections: more than the overview draws
    elements = [Element(id=f"e{i}", name=f"E {i}", kind=Kind.process) for i in range(zones * 2)]
    boundaries = [TrustBoundary(id=f"z{i}", name=f"Zone {i}", elements=[f"e{2 * i}", f"e{2 * i + 1}"])
                  for i in range(zones)]
    flows = [Flow(id=f"f{a}-{b}", source=f"e{2 * a}", target=f"e{2 * b}") for a in range(zones) for b in range(zones)
             if a != b]
    flows.append(Flow(id="busy", source="e1", target="e3"))  # zone 0 -> zone 1 twice: the busiest pair
    system = System(name="s", elements=elements, flows=flows, trust_boundaries=boundaries)
    source = dfd.dot(system, collapsed=True)
    edges = [line for line in source.splitlines() if " -> " in line]
    assert len(edges) == dfd.OVERVIEW_EDGES
    assert any('label="2 flows"' in line for line in edges)  # kept: the busiest
    left = zones * (zones - 1) - dfd.OVERVIEW_EDGES
    assert f"{left} more connections ({left} flows) are not drawn here" in source



def test_many_edges_get_labels_placed_after_the_layout() -> None:
    def chain(count: int) -> System:
        elements = [Element(id=f"e{i}", name=f"E {i}", kind=Kind.process) for i in range(count + 1)]
        flows = [Flow(id=f"f{i}", source=f"e{i}", target=f"e{i + 1}", data=f"data {i}") for i in range(count)]
        return System(name="s", elements=elements, flows=flows)

    few = [line for line in dfd.dot(chain(dfd.LAID_OUT_LABELS)).splitlines() if " -> " in line]
    many = [line for line in dfd.dot(chain(dfd.LAID_OUT_LABELS + 1)).splitlines() if " -> " in line]
    assert all(' [label="data ' in line for line in few)
    assert all(' [xlabel="data ' in line for line in many)

def test_dot_escapes_quotes_backslashes_and_newlines(hostile: tuple[System, AnalysisResult]) -> None:
    system, _ = hostile
    source = dfd.dot(system)
    assert "vendor \\\u200bN &quot;quoted&quot; \\\u200b&quot;" in source  # an HTML-like label: entities
    drawing = dfd.svg(system) if HAS_DOT else None
    if drawing is not None:  # Graphviz shows the text as written, never the node's name for \\N
        assert "vendor \\\u200bN &quot;quoted&quot;" in drawing and "e_openai &quot;" not in drawing
    assert 'label="zone\\"]\\nend\\nsubgraph y[\\"x"' in source


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("which", ["plain", "hostile"])
def test_dot_output_parses_with_graphviz(
    which: str, system: System, hostile: tuple[System, AnalysisResult]
) -> None:
    model = system if which == "plain" else hostile[0]
    completed = subprocess.run(["dot", "-Tcanon"], input=dfd.dot(model).encode(), capture_output=True,
                               timeout=20, check=False)
    assert completed.returncode == 0, completed.stderr.decode()
    assert b"cluster_ai_platform" in completed.stdout


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
def test_svg_is_inlineable(hostile: tuple[System, AnalysisResult]) -> None:
    drawing = dfd.svg(hostile[0])
    assert drawing is not None
    assert drawing.startswith("<svg") and drawing.rstrip().endswith("</svg>")
    assert "<?xml" not in drawing and "<!DOCTYPE" not in drawing
    assert "<script" not in drawing and "&lt;script&gt;" in drawing


def test_svg_is_none_when_too_large(system: System) -> None:
    assert dfd.svg(system, max_elements=len(system.elements) - 1) is None


def test_svg_is_none_without_graphviz(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dfd.shutil, "which", lambda name: None)
    assert dfd.svg(system) is None


def test_svg_is_none_when_graphviz_fails(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    false = shutil.which("false")
    if false is None:
        pytest.skip("no 'false' executable")
    monkeypatch.setattr(dfd.shutil, "which", lambda name: false)
    assert dfd.svg(system) is None


def test_svg_is_none_when_graphviz_times_out(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="dot", timeout=20)

    monkeypatch.setattr(dfd.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(dfd.subprocess, "run", slow)
    assert dfd.svg(system) is None


def test_an_overview_of_chosen_zones_groups_the_others_into_one_box_and_counts_their_flows() -> None:
    elements = [Element(id=f"e{i}", name=f"E {i}", kind=Kind.process) for i in range(10)]
    boundaries = [TrustBoundary(id=f"z{i}", name=f"Zone {i}", elements=[f"e{2 * i}", f"e{2 * i + 1}"])
                  for i in range(5)]
    flows = [Flow(id="near", source="e0", target="e2"),  # z0 -> z1: both drawn, so drawn
             Flow(id="far", source="e1", target="e6"), Flow(id="back", source="e8", target="e3"),  # with others
             Flow(id="among", source="e4", target="e9")]  # z2 -> z4: inside the grouped box
    system = System(name="s", elements=elements, flows=flows, trust_boundaries=boundaries)
    source = dfd.dot(system, collapsed=True, zones={"z0", "z1"})
    edges = [line for line in source.splitlines() if " -> " in line]
    assert len(edges) == 1 and "e_zone_z0 -> e_zone_z1" in edges[0]
    assert "3 other trust" in source and "6 elements" in source  # z2, z3, z4 as one box (its title wraps)
    assert "2 elements · 1 flows with others" in source  # z0 (far) and z1 (back) each count theirs
    assert source.count("flows with others") == 2 and 'rankdir="TB"' in source
    assert "the 2 trust boundaries with the most open threats; the other 3 are one box" in source
    everything = dfd.dot(system, collapsed=True)  # no choice: every boundary is a box, as before
    assert "other trust boundaries" not in everything and 'rankdir="LR"' in everything
    assert len([line for line in everything.splitlines() if " -> " in line]) == 4


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot is not installed")
def test_drawings_share_graphviz_runs_and_a_bad_source_costs_only_its_own_drawing() -> None:
    from dicetm.report.dfd_graphviz import Drawings, render_svg, render_svgs

    sources = [f'digraph g{i} {{ a{i} [label="node {i}"]; a{i} -> b{i}; }}\n' for i in range(5)]
    alone = [render_svg(source) for source in sources]
    assert all(alone) and render_svgs(sources) == alone  # one run draws what five runs draw
    broken = [*sources[:2], "digraph { a -> ; }\n", *sources[2:]]
    assert render_svgs(broken) == [*alone[:2], None, *alone[2:]]
    keys = ["z4", None, "z1", "z3", "z2", "z0"]
    drawn = Drawings(dict(zip(keys, broken, strict=True))).wait()
    assert list(drawn) == keys  # in the order they were given, whatever run drew them
    assert [drawn[key] for key in keys] == [*alone[:2], None, *alone[2:]]
