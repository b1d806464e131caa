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


def test_mermaid_with_threats_marks_elements_by_worst_risk(system: System, result: AnalysisResult) -> None:
    source = dfd.mermaid(system, result.threats)
    assert "class e_llm risk_critical" in source
    assert 'e_orchestrator("Support agent<br/>«agent»<br/>⚠ 2 threats")' in source


def test_mermaid_escapes_hostile_text(hostile: tuple[System, AnalysisResult]) -> None:
    system, result = hostile
    source = dfd.mermaid(system, result.threats)
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


def test_dot_has_clusters_and_shapes(system: System) -> None:
    source = dfd.dot(system)
    assert source.startswith("digraph dfd {")
    assert "subgraph cluster_cloud {" in source and "subgraph cluster_ai_platform {" in source
    assert 'e_crm [label="CRM", shape=cylinder];' in source
    assert 'e_llm [label="Chat model\\n«llm»", shape=box, style="rounded,filled"' in source
    assert "e_orchestrator -> e_llm [" in source and "dir=both" in source


def test_dot_escapes_quotes_backslashes_and_newlines(hostile: tuple[System, AnalysisResult]) -> None:
    system, _ = hostile
    source = dfd.dot(system)
    assert 'label="vendor \\\\N \\"quoted\\" \\\\\\" back\\n«model provider»"' in source
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
