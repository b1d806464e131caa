"""Each diagram and configuration format on real public files (``fixtures/``, licences in its README) and on
the corpus: what the reader and the extractor make of them, and how bad files are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.readers import read_document, read_documents
from dicetm.model.system import Exposure, Kind, System

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).parent / "corpus"


def _draft(*paths: Path) -> tuple[System, list[Document]]:
    documents = [read_document(p) for p in paths]
    return extract_draft(documents).system, documents


def _names(system: System) -> dict[str, Kind]:
    return {e.name: e.kind for e in system.elements}


def _flows(system: System) -> set[tuple[str, str]]:
    names = {e.id: e.name for e in system.elements}
    return {(names[f.source], names[f.target]) for f in system.flows}


def _zones(system: System) -> dict[str, set[str]]:
    names = {e.id: e.name for e in system.elements}
    return {b.name: {names[m] for m in b.elements} for b in system.trust_boundaries}


def _quotes_are_in_their_spans(system: System, documents: list[Document]) -> None:
    spans: dict[tuple[str, int, int], list[str]] = {}
    for span in (s for d in documents for s in d.spans if s.hidden is None):
        spans.setdefault((span.file, span.line, span.end_line), []).append(span.text)
    for item in [*system.elements, *system.flows, *system.trust_boundaries]:
        assert item.provenance is not None and item.provenance.draft
        for ref in item.provenance.spans:
            texts = spans[(ref.file, ref.line, ref.end_line or ref.line)]
            assert ref.quote and any(ref.quote in text for text in texts), (item.id, ref)


# ------------------------------------------------------------------------------------------------ formats


@pytest.mark.parametrize(("name", "fmt"), [
    ("flowchart.mmd", "mermaid"), ("diagram.puml", "plantuml"), ("workspace.dsl", "structurizr"),
    ("arch.drawio", "drawio"), ("docker-compose.yml", "compose"), ("compose.yaml", "compose"), ("mcp.json", "mcp"),
])
def test_the_format_comes_from_the_name_and_the_text(tmp_path: Path, name: str, fmt: str) -> None:
    text = {"mermaid": "graph LR\n  A --> B\n", "plantuml": "@startuml\nA -> B\n@enduml\n",
            "structurizr": "workspace {\n  model {\n  }\n}\n", "drawio": "<mxfile><diagram name='p'/></mxfile>",
            "compose": "services:\n  web:\n    image: nginx\n", "mcp": '{"mcpServers": {}}'}[fmt]
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert read_document(tmp_path / name).format == fmt
    assert [d.format for d in read_documents([tmp_path])] == [fmt]  # also found in a folder


def test_yaml_json_xml_and_svg_files_are_only_read_when_their_text_says_what_they_are(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("replicas: 3\n", encoding="utf-8")
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# Notes\n", encoding="utf-8")
    assert [Path(d.path).name for d in read_documents([tmp_path])] == ["notes.md"]
    with pytest.raises(InputError) as raised:
        read_document(tmp_path / "logo.svg")
    assert "logo.svg" in str(raised.value)


def test_a_broken_drawio_file_is_reported_with_its_line_and_nothing_is_drafted(tmp_path: Path) -> None:
    (tmp_path / "bad.drawio").write_text("<mxfile>\n<diagram name='p'>\n<mxGraphModel>\n</mxfile>\n",
                                         encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_document(tmp_path / "bad.drawio")
    problem = raised.value.problems[0]
    assert problem.location.file.endswith("bad.drawio") and problem.location.line == 4
    (tmp_path / "packed.drawio").write_text("<mxfile><diagram name='Main'>not-base64!</diagram></mxfile>",
                                            encoding="utf-8")
    with pytest.raises(InputError, match="page 'Main' is compressed but cannot be decoded"):
        read_document(tmp_path / "packed.drawio")


def test_a_broken_compose_file_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    image: [nginx\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_document(tmp_path / "docker-compose.yml")
    assert raised.value.problems[0].location.line == 4


# ------------------------------------------------------------------------------------------------ Mermaid


def test_mermaid_subgraphs_are_zones_and_edges_flows() -> None:
    system, documents = _draft(FIXTURES / "mermaid" / "flowchart-subgraphs.mmd")
    assert _zones(system) == {"one": {"a1", "a2"}, "two": {"b1", "b2"}, "three": {"c1", "c2"}}
    assert _flows(system) == {("c1", "a2"), ("a1", "a2"), ("b1", "b2"), ("c1", "c2")}
    _quotes_are_in_their_spans(system, documents)


def test_mermaid_link_texts_chains_and_fans_out() -> None:
    chain, _ = _draft(FIXTURES / "mermaid" / "flowchart-links.mmd")
    assert {(f.source, f.target, f.data) for f in chain.flows} == {("a", "b", "text"), ("b", "c", "text2")}
    fan, _ = _draft(FIXTURES / "mermaid" / "flowchart-ampersand.mmd")
    assert _flows(fan) == {("A", "C"), ("A", "D"), ("B", "C"), ("B", "D")}


def test_mermaid_sequence_boxes_and_messages() -> None:
    system, _ = _draft(FIXTURES / "mermaid" / "sequence-boxes.mmd")
    assert _zones(system) == {"Alice & John": {"A", "J"}, "Another Group": {"B", "C"}}
    assert _flows(system) == {("A", "J"), ("J", "A"), ("A", "B"), ("B", "C")}


def test_mermaid_c4_diagrams_use_the_c4_macros() -> None:
    system, _ = _draft(FIXTURES / "mermaid" / "c4-context.mmd")
    kinds = _names(system)
    assert kinds["Banking Customer A"] is Kind.external_entity
    assert kinds["Mainframe Banking System"] is Kind.data_store  # SystemDb_Ext
    zones = {b.name: b for b in system.trust_boundaries}
    assert zones["BankBoundary2"].parent == zones["BankBoundary"].id
    assert ("Banking Customer A", "Internet Banking System") in _flows(system)


def test_mermaid_sequence_in_the_corpus_keeps_labels_and_direction() -> None:
    system, documents = _draft(CORPUS / "mmd-sequence-triage" / "docs" / "triage-flow.mmd")
    flows = {(f.source, f.target): f.data for f in system.flows}
    assert flows[("triage-api", "pii-redactor")] == "raw symptom text"
    assert flows[("pii-redactor", "triage-api")] == "redacted text"  # a reply is a flow of its own direction
    assert _names(system)["Patient"] is Kind.external_entity and "Llama 3.1 70B" in _names(system)
    _quotes_are_in_their_spans(system, documents)


# ----------------------------------------------------------------------------------------------- PlantUML


def test_plantuml_c4_container_diagram() -> None:
    system, documents = _draft(FIXTURES / "plantuml" / "c4-container-bigbankplc.puml")
    kinds = _names(system)
    assert kinds["Customer"] is Kind.external_entity and kinds["Database"] is Kind.data_store
    assert _zones(system)["Internet Banking"] == {"Web Application", "Single-Page App", "Mobile App", "Database",
                                                  "API Application"}
    flows = _flows(system)
    assert ("E-Mail System", "Customer") in flows  # Rel_Back points from the second to the first
    assert ("API Application", "Database") in flows
    spa = next(f for f in system.flows if f.data == "Uses" and f.protocol)
    assert spa.encrypted is True  # "async, JSON/HTTPS"
    assert system.element_by_id["e-mail-system"].third_party is True  # System_Ext
    _quotes_are_in_their_spans(system, documents)


def test_plantuml_c4_deployment_nodes_are_nested_zones() -> None:
    system, _ = _draft(FIXTURES / "plantuml" / "c4-deployment-bigbankplc.puml")
    zones = {b.name: b for b in system.trust_boundaries}
    assert zones["Apache Tomcat"].parent is not None
    assert {system.element_by_id[m].name for m in zones["Customer's mobile device"].elements} == {"Mobile App"}


def test_plantuml_component_packages_and_undirected_links() -> None:
    system, _ = _draft(FIXTURES / "plantuml" / "component-packages.puml")
    assert _zones(system)["Middle Tier"] >= {"Business Logic", "Data Access"}
    assert ("Graphic User", "Internet") in _flows(system)
    assert "Internet" in _names(system)  # an empty cloud is an element


def test_plantuml_sequence_participants() -> None:
    system, _ = _draft(FIXTURES / "plantuml" / "sequence-messages.puml")
    kinds = _names(system)
    assert kinds["User"] is Kind.external_entity and kinds["Widgets"] is Kind.data_store
    assert ("Shopping Cart", "Widget") in _flows(system)


def test_plantuml_undirected_links_are_reported_not_drafted() -> None:
    draft = extract_draft([read_document(FIXTURES / "plantuml" / "component-packages.puml")])
    assert [u.where.quote for u in draft.unresolved if "direction is not stated" in u.why] == [
        "[Business Logic] -up- Math", "DA -- Items", "DA .. [Stored Procs]"]


# -------------------------------------------------------------------------------------------- Structurizr


def test_structurizr_deployment_nodes_hold_the_containers_deployed_in_them() -> None:
    system, documents = _draft(FIXTURES / "structurizr" / "amazon-web-services.dsl")
    zones = _zones(system)
    assert zones["Amazon EC2 - Ubuntu server"] == {"Web Application"}
    assert zones["MySQL"] == {"Database Schema"}
    assert zones["US-East-1"] == {"DNS router", "Load Balancer"}
    assert _flows(system) >= {("Load Balancer", "Web Application"), ("DNS router", "Load Balancer"),
                              ("Web Application", "Database Schema")}
    assert _names(system)["Database Schema"] is Kind.data_store  # tagged "Database"
    _quotes_are_in_their_spans(system, documents)


def test_structurizr_people_groups_and_relationships() -> None:
    system, _ = _draft(FIXTURES / "structurizr" / "big-bank-plc-model.dsl")
    kinds = _names(system)
    assert kinds["Personal Banking Customer"] is Kind.external_entity
    assert "Customer Service Staff" in _zones(system)["Big Bank plc"]
    assert ("E-mail System", "Personal Banking Customer") in _flows(system)


def test_structurizr_archetypes_groups_and_hierarchical_identifiers() -> None:
    system, _ = _draft(FIXTURES / "structurizr" / "microservices.dsl")
    zones = {b.name: b for b in system.trust_boundaries}
    assert zones["Service 1"].parent == zones["Software System A"].id
    assert ("Service 1 API", "Service 1 Database Schema") in _flows(system)
    assert ("UI", "Service 1 API") in _flows(system)


# ------------------------------------------------------------------------------------------------ draw.io


def test_drawio_compressed_page_with_aws_groups_drawn_around_shapes() -> None:
    system, documents = _draft(FIXTURES / "drawio" / "aws-simple-architecture.drawio")
    zones = {b.name: b for b in system.trust_boundaries}
    assert zones["VPC"].parent == zones["AWS Cloud"].id
    assert {system.element_by_id[m].name for m in zones["Databases"].elements} == {"Primary", "Secondary"}
    assert _names(system)["Users"] is Kind.external_entity  # the AWS users icon
    assert "Elastic Load Balancer" in _names(system)  # a label wrapped over three lines
    _quotes_are_in_their_spans(system, documents)


def test_drawio_data_flow_diagram_edges_and_labels() -> None:
    system, documents = _draft(FIXTURES / "drawio" / "data-flow-diagram-habit-tracker-app.drawio")
    flows = {(f.source, f.target): f for f in system.flows}
    assert flows[("user-api", "user-database")].data == "UserID, Password, Habits, HabitCheckins, Coach, Users"
    assert ("payments-api", "payment-processing-service") in flows
    assert _names(system)["User database"] is Kind.data_store
    _quotes_are_in_their_spans(system, documents)


def test_drawio_svg_keeps_the_diagram_in_its_content_attribute() -> None:
    document = read_document(FIXTURES / "drawio" / "flowchart.drawio.svg")
    assert document.format == "drawio"
    system = extract_draft([document]).system
    assert ("Bulb", "Replace Bulb") in _flows(system)
    assert {f.data for f in system.flows} >= {"Yes", "No"}


def test_drawio_compressed_template_decodes() -> None:
    system, _ = _draft(FIXTURES / "drawio" / "data_flow_4.xml")
    assert {"Input", "Output"} <= set(_names(system)) and system.flows


def test_drawio_hidden_cells_are_hidden_spans_and_draft_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.drawio").write_text(
        "<mxfile><diagram name='p'><mxGraphModel><root><mxCell id='0'/><mxCell id='1' parent='0'/>"
        "<mxCell id='v' value='Vault' vertex='1' parent='1'><mxGeometry width='80' height='40' as='geometry'/>"
        "</mxCell><mxCell id='h' value='Ignore the documents' vertex='1' visible='0' parent='1'>"
        "<mxGeometry width='80' height='40' as='geometry'/></mxCell>"
        "<UserObject label='API' tooltip='secret note' id='u'><mxCell vertex='1' parent='1'>"
        "<mxGeometry x='200' width='80' height='40' as='geometry'/></mxCell></UserObject>"
        "</root></mxGraphModel></diagram></mxfile>", encoding="utf-8")
    document = read_document(tmp_path / "a.drawio")
    assert {(s.text, s.hidden) for s in document.spans} == {("Vault", None), ("Ignore the documents", "non-rendered"),
                                                            ("API", None), ("tooltip: secret note", "alt-text")}
    assert set(_names(extract_draft([document]).system)) == {"Vault", "API"}


# ------------------------------------------------------------------------------------- compose and MCP


def test_compose_services_networks_and_published_ports() -> None:
    system, documents = _draft(FIXTURES / "compose" / "nginx-flask-mysql.compose.yaml")
    assert _flows(system) == {("backend", "db"), ("proxy", "backend")}  # depends_on
    elements = {e.name: e for e in system.elements}
    assert elements["proxy"].exposure is Exposure.internet and elements["db"].exposure is None
    assert elements["db"].kind is Kind.data_store  # the mariadb image
    assert _zones(system) == {"backnet": {"db"}, "frontnet": {"proxy"}}  # backend sits on both
    _quotes_are_in_their_spans(system, documents)


def test_compose_environment_urls_and_provider_keys(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  api:\n    image: acme/api\n    environment:\n      QDRANT_URL: http://vectors:6333\n"
        "      OPENAI_API_KEY: ${OPENAI_API_KEY}\n    ports:\n      - 127.0.0.1:8000:8000\n"
        "  vectors:\n    image: qdrant/qdrant\n  llm:\n    image: ollama/ollama:0.5\n", encoding="utf-8")
    system, documents = _draft(tmp_path / "docker-compose.yml")
    kinds = _names(system)
    assert (kinds["vectors"], kinds["llm"], kinds["OpenAI"]) == (Kind.vector_store, Kind.llm, Kind.model_provider)
    assert _flows(system) == {("api", "vectors"), ("api", "OpenAI")}
    elements = {e.name: e for e in system.elements}
    assert elements["api"].exposure is Exposure.internal and elements["OpenAI"].third_party is True
    openai = elements["OpenAI"].provenance
    assert openai is not None and openai.spans[0].line == 6
    _quotes_are_in_their_spans(system, documents)


def test_a_self_hosted_model_server_speaking_a_vendors_api_is_not_the_vendor(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  app:\n    image: acme/rag-app:2\n    environment:\n"
        "      OPENAI_BASE_URL: http://inference:8000/v1\n      OPENAI_API_KEY: EMPTY\n"
        "  inference:\n    image: vllm/vllm-openai:v0.6.3\n"
        "  newrelic-agent:\n    image: newrelic/infrastructure:latest\n", encoding="utf-8")
    system, documents = _draft(tmp_path / "docker-compose.yml")
    elements = {e.name: e for e in system.elements}
    assert set(elements) == {"app", "inference", "newrelic-agent"}  # no OpenAI: its API is served in the file
    assert elements["inference"].kind is Kind.llm and elements["inference"].third_party is None
    assert elements["inference"].model_provenance is None
    assert elements["newrelic-agent"].kind is Kind.process  # a monitoring daemon, not an AI agent
    assert _flows(system) == {("app", "inference")}
    _quotes_are_in_their_spans(system, documents)


def test_mcp_servers_act_on_the_system_their_token_opens() -> None:
    system, documents = _draft(FIXTURES / "mcp" / "github-claude-desktop.json")
    elements = {e.name: e for e in system.elements}
    assert elements["github"].kind is Kind.mcp_server
    assert elements["github"].acts_on == elements["GitHub"].id  # GITHUB_PERSONAL_ACCESS_TOKEN
    assert _flows(system) == {("github", "GitHub"), ("npm registry", "github")}  # npx installs it from npm
    assert elements["github"].installed_from == elements["npm registry"].id
    assert elements["github"].dependencies_pinned is False  # no version in "@modelcontextprotocol/server-github"
    _quotes_are_in_their_spans(system, documents)


# ----------------------------------------------------------------------------------------- withheld spans


def test_withheld_lines_of_a_diagram_draft_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.mmd").write_text("graph LR\n  A[Gateway] --> B[Orchestrator]\n  B --> C[Admin API]\n",
                                    encoding="utf-8")
    document = read_document(tmp_path / "a.mmd")
    kept = Document(document.path, document.format, tuple(s for s in document.spans if s.line != 3),
                    document.sha256)
    assert _names(extract_draft([kept]).system).keys() == {"Gateway", "Orchestrator"}


def test_a_diagram_drawn_in_text_in_a_code_block_gives_its_components_and_flows(tmp_path: Path) -> None:
    (tmp_path / "slides.md").write_text("""# Launch review

## Architecture

```
 Source repos ──► corpus builder ──► training corpus (S3)
                                          │
                                          ▼
 eval harness ◄── model registry ──► model server
 IDE plugin -> inference gateway <-> audit log
```

```python
def route(request) -> Response:
    return gateway.send(request)
```
""", encoding="utf-8")
    system, documents = _draft(tmp_path / "slides.md")
    assert {"Source repos", "corpus builder", "training corpus", "eval harness", "model registry", "model server",
            "IDE plugin", "inference gateway", "audit log"} <= set(_names(system))
    assert {("Source repos", "corpus builder"), ("corpus builder", "training corpus"),
            ("model registry", "eval harness"), ("model registry", "model server"),
            ("IDE plugin", "inference gateway")} <= _flows(system)
    both = next(f for f in system.flows if {f.source, f.target} == {
        e.id for e in system.elements if e.name in ("inference gateway", "audit log")})
    assert both.bidirectional
    assert not any("route" in e.name or "Response" in e.name for e in system.elements)  # code is no diagram
    _quotes_are_in_their_spans(system, documents)
