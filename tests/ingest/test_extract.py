"""The deterministic extractor: OpenAPI and prose into a valid drafted model, with provenance and no guesses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dicetm.ingest.documents import Document, document_from_text
from dicetm.ingest.extract import MAX_OPERATION_FLOWS, Draft, extract_draft
from dicetm.ingest.readers import read_document, read_documents, read_markdown
from dicetm.model.system import Element, Exposure, Kind, System
from dicetm.store.modelfile import parse_system_text

from .test_readers import _docx, minimal_pdf

DOCS = Path(__file__).parent / "docs"
FACTS = ("exposure", "authenticated", "classification", "third_party", "encrypted_at_rest", "audit_logging",
         "input_validation", "rate_limited", "dependencies_pinned", "logs_prompts", "trains_on_user_input",
         "retention", "model_provenance", "training_data_provenance", "human_approval_required",
         "output_rendered_as", "system_prompt_has_secrets", "multi_tenant", "untrusted_content",
         "answers_drive_decisions", "budget_limited", "permissions", "acts_on")


def _draft(*names: str, name: str | None = None) -> tuple[Draft, list[Document]]:
    documents = [read_document(DOCS / n, display=f"docs/{n}") for n in names]
    return extract_draft(documents, name=name), documents


def _by_name(system: System) -> dict[str, Element]:
    return {e.name: e for e in system.elements}


def _ends(system: System) -> set[tuple[str, str]]:
    return {(f.source, f.target) for f in system.flows}


def _markdown(text: str, name: str = "note.md") -> Document:
    spans, title = read_markdown(name, text)
    return Document(path=name, format="markdown", spans=tuple(spans), sha256="0" * 64, title=title)


def _assert_valid_model_file(system: System) -> None:
    """The draft passes the same checks as a model file a person writes (ids, flow ends, schema)."""
    text = yaml.safe_dump(system.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)
    parse_system_text(text, "draft.yaml")


def _assert_quotes_are_in_their_spans(system: System, documents: list[Document]) -> None:
    spans = {(s.file, s.line, s.end_line, s.page): s.text for d in documents for s in d.visible_spans}
    items: list[Any] = [*system.elements, *system.flows]
    for item in items:
        assert item.provenance is not None and item.provenance.draft
        for ref in item.provenance.spans:
            text = spans[(ref.file, ref.line, ref.end_line or ref.line, ref.page)]
            assert ref.quote and ref.quote in text, (item.id, ref)


# ----------------------------------------------------------------------------------------------- OpenAPI


def test_openapi_gives_the_api_its_client_and_one_flow_per_operation() -> None:
    draft, documents = _draft("chat-api.yaml")
    system = draft.system
    assert system.name == "Acme Support Chat API"
    api = system.element_by_id["acme-support-chat-api"]
    client = system.element_by_id["api-client"]
    assert (api.kind, client.kind) == (Kind.process, Kind.external_entity)
    assert api.exposure is Exposure.internet  # https://chat.acme-support.io is a public host
    assert api.provenance is not None
    assert api.authenticated is None  # /health is anonymous, the rest need a bearer token
    assert {f.id: f.authenticated for f in system.flows} == {
        "sendmessage": True, "getsession": True, "deletesession": True, "health": False}
    assert [(r.line, r.quote) for r in api.provenance.spans] == [(3, "Acme Support Chat API"),
                                                                 (9, "https://chat.acme-support.io/v1")]
    assert all((f.source, f.target) == ("api-client", "acme-support-chat-api") for f in system.flows)
    assert all(f.protocol == "HTTPS" and f.encrypted is True for f in system.flows)
    send = system.flow_by_id["sendmessage"]
    assert send.data == "POST /chat/messages: Send a chat message and get the answer"
    assert send.provenance is not None and send.provenance.by == "extract:openapi"
    assert [(r.file, r.line, r.end_line, r.quote) for r in send.provenance.spans] == [
        ("docs/chat-api.yaml", 15, 26, "POST /chat/messages")]
    assert any("GET /health" in note and "left unset" in note for note in draft.notes)
    assert any("POST /chat/messages" in note and "LLM" in note for note in draft.notes)
    _assert_valid_model_file(system)
    _assert_quotes_are_in_their_spans(system, documents)


def _spec(security: Any = None, operation_security: Any = None, servers: list[str] | None = None,
          schemes: dict[str, Any] | None = None, swagger: bool = False) -> str:
    operation: dict[str, Any] = {"summary": "Ask"}
    if operation_security is not None:
        operation["security"] = operation_security
    data: dict[str, Any] = {"info": {"title": "Q API", "version": "1"}, "paths": {"/ask": {"post": operation}}}
    if swagger:
        data["swagger"] = "2.0"
        data["securityDefinitions"] = schemes or {}
    else:
        data["openapi"] = "3.0.0"
        data["components"] = {"securitySchemes": schemes or {}}
    if security is not None:
        data["security"] = security
    if servers is not None:
        data["servers"] = [{"url": url} for url in servers]
    return yaml.safe_dump(data)


KEY = {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}


@pytest.mark.parametrize(("security", "operation_security", "swagger", "expected"), [
    ([{"key": []}], None, False, True),  # global requirement
    (None, [{"key": []}], False, True),  # per-operation requirement
    ([{"key": []}], [], False, False),  # operation opts out explicitly
    ([{}, {"key": []}], None, False, False),  # optional authentication: anonymous calls allowed
    (None, None, False, None),  # nothing said: unknown
    ([{"missing": []}], None, False, None),  # names a scheme that is not defined: unknown, with a note
    ([{"key": []}], None, True, True),  # Swagger 2 securityDefinitions
])
def test_authentication_comes_only_from_security_requirements(
        tmp_path: Path, security: Any, operation_security: Any, swagger: bool, expected: bool | None) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(_spec(security, operation_security, schemes=KEY, swagger=swagger), encoding="utf-8")
    draft = extract_draft([read_document(path)])
    api = next(e for e in draft.system.elements if e.kind is Kind.process)
    assert api.authenticated is expected
    assert draft.system.flows[0].authenticated is expected
    assert any("missing" in note for note in draft.notes) == (security == [{"missing": []}])


@pytest.mark.parametrize(("servers", "exposure"), [
    (["https://api.acme-chat.io/v1"], Exposure.internet),
    (["http://localhost:8080", "http://10.1.2.3/api"], Exposure.internal),
    (["https://chat.svc.internal/v1", "http://chat-backend:8000"], Exposure.internal),
    (["https://api.example.com/v1"], None),  # a placeholder domain says nothing
    (["/v1"], None),  # relative to wherever the document is served
    (["https://{region}.acme-chat.io"], None),  # templated host
    ([], None),
])
def test_exposure_only_when_the_servers_make_it_clear(tmp_path: Path, servers: list[str],
                                                      exposure: Exposure | None) -> None:
    path = tmp_path / "api.yaml"
    path.write_text(_spec(servers=servers), encoding="utf-8")
    api = next(e for e in extract_draft([read_document(path)]).system.elements if e.kind is Kind.process)
    assert api.exposure is exposure


def test_many_operations_are_grouped_by_path(tmp_path: Path) -> None:
    paths = {f"/v1/{group}/{n}": {"get": {"summary": f"item {n}"}, "post": {"security": []}}
             for group in ("chat", "admin") for n in range(MAX_OPERATION_FLOWS // 2 + 1)}
    spec = {"openapi": "3.0.0", "info": {"title": "Big", "version": "1"}, "paths": paths}
    # flow style: a YAML file that starts with "{" but is not JSON
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(spec, default_flow_style=True, sort_keys=False),
                                       encoding="utf-8")
    draft = extract_draft([read_document(tmp_path / "big.yaml")])
    assert [f.id for f in draft.system.flows] == ["big-chat", "big-admin"]
    chat = draft.system.flows[0]
    assert chat.data is not None and chat.data.startswith("GET /v1/chat/0, POST /v1/chat/0") and "more" in chat.data
    assert chat.authenticated is None  # the group mixes anonymous and unknown operations
    _assert_valid_model_file(draft.system)


def test_two_apis_with_the_same_title_are_one_component(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(_spec(), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(_spec(), encoding="utf-8")
    system = extract_draft(read_documents([tmp_path])).system
    assert [e.id for e in system.elements] == ["q-api", "api-client"]  # several documents, one model
    api = system.element_by_id["q-api"]
    assert api.provenance is not None and {r.file for r in api.provenance.spans} == {
        str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")}
    _assert_valid_model_file(system)


# ------------------------------------------------------------------------------------------------- prose


def test_architecture_note_yields_the_components_under_their_own_names() -> None:
    draft, documents = _draft("support-chatbot.md")
    kinds = {name: element.kind for name, element in _by_name(draft.system).items()}
    assert kinds == {
        "Customers": Kind.external_entity,
        "React widget": Kind.process,
        "API gateway": Kind.process,
        "Orchestrator": Kind.process,
        "GPT-4o": Kind.llm,  # "GPT-4o via Azure OpenAI": the provider qualifies the model
        "Pinecone": Kind.vector_store,
        "Confluence knowledge base": Kind.knowledge_source,
        "Salesforce CRM": Kind.data_store,
        "Datadog logs": Kind.log_store,
    }
    assert draft.system.name == "Acme support chatbot: architecture note"
    _assert_valid_model_file(draft.system)
    _assert_quotes_are_in_their_spans(draft.system, documents)


def test_provenance_points_at_the_lines_that_name_the_component() -> None:
    draft, _ = _draft("support-chatbot.md")
    elements = _by_name(draft.system)
    pinecone = elements["Pinecone"].provenance
    assert pinecone is not None and pinecone.by == "extract:markdown"
    assert [(r.file, r.line, r.end_line, r.quote) for r in pinecone.spans] == [
        ("docs/support-chatbot.md", 12, None, "Pinecone"), ("docs/support-chatbot.md", 21, 23, "Pinecone")]
    react = elements["React widget"].provenance
    assert react is not None and [(r.line, r.quote) for r in react.spans][:2] == [(8, "React widget"),
                                                                                 (3, "chat widget")]


def test_flows_come_from_sentences_and_flow_tables() -> None:
    draft, _ = _draft("support-chatbot.md")
    system = draft.system
    flows = {(f.source, f.target): f for f in system.flows}
    assert set(flows) == {
        ("customers", "react-widget"), ("react-widget", "api-gateway"), ("api-gateway", "orchestrator"),
        ("orchestrator", "pinecone"), ("orchestrator", "gpt-4o"), ("orchestrator", "datadog-logs"),
        ("orchestrator", "salesforce-crm")}
    assert flows[("react-widget", "api-gateway")].data == "chat messages"
    assert flows[("orchestrator", "datadog-logs")].data == "request logs"
    assert flows[("orchestrator", "pinecone")].bidirectional  # a query comes back with results
    assert not flows[("orchestrator", "gpt-4o")].bidirectional
    gateway = flows[("api-gateway", "orchestrator")].provenance
    assert gateway is not None and [r.line for r in gateway.spans] == [9, 21]  # its list item, then the prose
    table = flows[("orchestrator", "salesforce-crm")]
    assert table.data == "order lookups" and table.provenance is not None
    assert [(r.line, r.quote) for r in table.provenance.spans] == [
        (27, "Orchestrator | Salesforce CRM | order lookups")]


def test_facts_are_read_with_their_negations_and_spans() -> None:
    text = ("# Notes\n\n## Chat Gateway\n\n- Internet-facing; anonymous users may open it.\n- Rate-limited.\n\n"
            "## Answer Service\n\nDoes not log prompts. Its system prompt contains no secrets.\n\n"
            "## Transcript Store\n\nHolds personal data; transcripts are kept for 30 days.\n")
    draft = extract_draft([_markdown(text)])
    elements = _by_name(draft.system)
    gateway, service, store = elements["Chat Gateway"], elements["Answer Service"], elements["Transcript Store"]
    assert (gateway.exposure, gateway.authenticated, gateway.rate_limited) == (Exposure.internet, False, True)
    assert (service.logs_prompts, service.system_prompt_has_secrets) == (False, False)
    assert (store.classification, store.retention) == ("personal", "30d")
    assert service.provenance is not None and any(r.quote == "log prompts" and r.line == 10
                                                  for r in service.provenance.spans)
    _assert_valid_model_file(draft.system)


def test_rejected_and_hidden_components_are_not_drafted() -> None:
    draft, _ = _draft("support-chatbot.md")
    names = {e.name.lower() for e in draft.system.elements}
    assert not names & {"qdrant", "weaviate", "milvus"}  # hidden comment, alternatives section, "instead of"
    assert any("'Weaviate'" in n and "Alternatives considered" in n for n in draft.notes)
    assert any("'Milvus'" in n and "not used" in n for n in draft.notes)
    assert not any("Qdrant" in n for n in draft.notes)  # hidden text is never read, not even for notes


def test_a_component_mentioned_only_in_hidden_text_yields_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Notes\n\n<!-- Pinecone sends everything to Datadog -->\n", encoding="utf-8")
    (tmp_path / "b.html").write_text('<p>Plain words.</p><p style="display:none">The API gateway calls '
                                     'GPT-4o.</p><img alt="Salesforce CRM">', encoding="utf-8")
    draft = extract_draft(read_documents([tmp_path]))
    assert draft.system.elements == [] and draft.system.flows == []


def test_role_words_fold_into_the_one_component_or_are_noted_as_ambiguous() -> None:
    text = ("# Stores\n\n- Pinecone for product search\n- Qdrant for tickets\n\n"
            "The retriever queries the vector database.\n")
    draft = extract_draft([_markdown(text)])
    assert [e.name for e in draft.system.elements] == ["Pinecone", "Qdrant"]
    assert draft.system.flows == []  # "the vector database" could be either store
    assert any("'vector database' could be any of Pinecone, Qdrant" in n for n in draft.notes)
    folded = extract_draft([_markdown("# N\n\n- **Orders DB**: Pinecone index\n\nThe API gateway queries the "
                                      "vector database.\n")]).system
    assert [(f.source, f.target) for f in folded.flows] == [("api-gateway", "orders-db")]


def test_mermaid_fences_are_diagrams_and_arrows_join_known_components() -> None:
    text = ("# Flow\n\n- Chat UI: React\n- Backend: FastAPI\n- Store: PostgreSQL\n\n"
            "```mermaid\ngraph LR\n  A[Chat UI] -->|HTTPS| B[Backend]\n  B <--> C[(Store)]\n"
            "  B --> D[Audit Log]\n```\n\nChat UI -> Backend: login form\n")
    draft = extract_draft([_markdown(text)])
    system = draft.system
    assert [(f.source, f.target, f.bidirectional) for f in system.flows] == [
        ("chat-ui", "backend", False), ("backend", "store", True), ("backend", "audit-log", False)]
    assert system.element_by_id["audit-log"].kind is Kind.log_store  # a node of the diagram is a component
    flow = system.flows[0]
    assert flow.provenance is not None and flow.protocol == "HTTPS" and flow.encrypted is True
    assert {(r.line, r.end_line, r.quote) for r in flow.provenance.spans} == {
        (7, 12, "A[Chat UI] -->|HTTPS| B[Backend]"), (14, None, "Chat UI -> Backend: login form")}


def test_flow_statements_follow_the_data() -> None:
    text = ("# Notes\n\n"
            "The backend reads from Pinecone and writes transcripts to PostgreSQL.\n\n"
            "The backend does not send prompts to Datadog.\n\n"
            "The API gateway receives requests from the web app.\n\n"
            "Answers are returned to the web app by the backend.\n")
    system = extract_draft([_markdown(text)]).system
    flows = {(f.source, f.target): f.data for f in system.flows}
    assert flows == {("pinecone", "backend"): None, ("backend", "postgresql"): "transcripts",
                     ("web-app", "api-gateway"): "requests", ("backend", "web-app"): "Answers"}
    assert "Datadog" not in {e.name for e in system.elements}  # a denied flow drafts nothing


def test_unresolved_flow_statements_are_reported_with_their_place() -> None:
    text = "# N\n\n## Orchestrator\n\nForwards every answer to the audit bucket.\n"
    draft = extract_draft([_markdown(text)])
    assert [(u.where.place, u.where.quote) for u in draft.unresolved] == [
        ("note.md:5", "Forwards every answer to the audit bucket.")]


def test_name_argument_and_fallbacks() -> None:
    untitled = document_from_text("plain.txt", "The backend calls Pinecone.\n")
    assert extract_draft([untitled], name="Payments bot").system.name == "Payments bot"
    assert extract_draft([untitled]).system.name == "Drafted system"
    assert extract_draft([]).system == System(name="Drafted system")


def test_the_same_input_gives_the_same_draft() -> None:
    first, _ = _draft("chat-api.yaml", "support-chatbot.md")
    second, _ = _draft("chat-api.yaml", "support-chatbot.md")
    assert first.system.model_dump() == second.system.model_dump() and first.notes == second.notes
    _assert_valid_model_file(first.system)


def test_pdf_text_is_read_like_any_prose(tmp_path: Path) -> None:
    path = tmp_path / "arch.pdf"
    path.write_bytes(minimal_pdf([["Components"], ["The orchestrator calls Claude through Amazon Bedrock."]]))
    draft = extract_draft([read_document(path)])
    elements = _by_name(draft.system)
    assert {n: e.kind for n, e in elements.items()} == {"orchestrator": Kind.process, "Claude": Kind.llm}
    claude = elements["Claude"]
    assert claude.model_provenance == "vendor_api"  # "through Amazon Bedrock"
    assert claude.provenance is not None and claude.provenance.by == "extract:pdf"
    first = claude.provenance.spans[0]
    assert (first.page, first.line, first.quote) == (2, 1, "Claude")
    assert _ends(draft.system) == {("orchestrator", "claude")}


def test_docx_text_is_read_and_its_hidden_runs_are_not(tmp_path: Path) -> None:
    path = tmp_path / "arch.docx"
    path.write_bytes(_docx())
    draft = extract_draft([read_document(path)])
    names = [e.name for e in draft.system.elements]
    assert "Pinecone" in names and not any("hidden" in n.lower() for n in names)
    pinecone = next(e for e in draft.system.elements if e.name == "Pinecone").provenance
    assert pinecone is not None and pinecone.by == "extract:docx"
    assert [(r.line, r.quote) for r in pinecone.spans] == [(5, "Pinecone")]


def test_role_words_count_only_as_noun_phrases() -> None:
    text = ("# Notes\n\nThe widget shows user messages. We cache answers for an hour.\n\n"
            "The cache holds answers. Customers read them from the cache.\n")
    system = extract_draft([_markdown(text)]).system
    assert [e.name for e in system.elements] == ["cache", "Customers"]  # not "user" (a modifier) nor the verb
    assert _ends(system) == {("cache", "customers")}


def test_component_lists_keep_their_components_apart() -> None:
    text = ("# Tools\n\n- Shell tool: runs commands in a container\n- Web search tool\n"
            "- GitHub MCP server: reads issues\n- Planner agent\n- Research agent\n")
    elements = extract_draft([_markdown(text)]).system.elements
    assert [(e.name, e.kind) for e in elements] == [
        ("Shell tool", Kind.tool), ("Web search tool", Kind.tool),
        ("GitHub MCP server", Kind.mcp_server), ("Planner agent", Kind.agent), ("Research agent", Kind.agent)]


def test_past_maybe_and_negated_mentions_are_noted_not_drafted() -> None:
    text = ("# Design\n\nWe previously used OpenAI. Should we add Llama Guard? Redis is not used.\n"
            "There is no vector database. The backend stores chats in PostgreSQL.\n")
    draft = extract_draft([_markdown(text)])
    assert [e.name for e in draft.system.elements] == ["PostgreSQL", "backend"]
    noted = " ".join(draft.notes)
    assert all(f"'{word}' not drafted" in noted for word in ("OpenAI", "Llama Guard", "Redis"))


def test_a_pronoun_carries_the_subject_of_the_sentence_before() -> None:
    text = "# N\n\nThe orchestrator queries Pinecone and calls GPT-4o. It then writes logs to Datadog.\n"
    system = extract_draft([_markdown(text)]).system
    assert _ends(system) == {("orchestrator", "pinecone"), ("orchestrator", "gpt-4o"), ("orchestrator", "datadog")}
