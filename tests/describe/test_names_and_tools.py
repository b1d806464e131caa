"""Identifiers of configuration files that abbreviate the documents' names, the tools a table lists per server, and
phrases whose spaces are optional."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.ingest.extract import extract_draft
from dicetm.ingest.extract_facts import statements
from dicetm.ingest.readers import read_document
from dicetm.model.system import Kind, Permission, System


def _draft(tmp_path: Path, files: dict[str, str]) -> System:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return extract_draft([read_document(tmp_path / name) for name in files]).system


_COMPOSE = """services:
  gestor:
    image: example/gestor:1.0
    environment:
      REGISTRO_URL: http://registro-pedidos:5432
      OBS_URL: http://tempo:3200
  registro-pedidos:
    image: postgres:16
  tempo:
    image: grafana/tempo:2.4
  rev-console:
    image: example/console:2
    environment:
      DB: postgres://registro-pedidos:5432/p
"""


def test_a_service_name_that_abbreviates_one_named_component_is_that_component(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"design.md": """# Pedidos

## Componentes

- **Gestor Nocturno**: el servicio que agrupa los pedidos.
- **Registro de pedidos**: la base de datos de pedidos.
- **Grafana Tempo**: las trazas de cada llamada.
- **Review console**: where a clerk checks an order.
""", "compose.yaml": _COMPOSE})
    names = {e.name for e in system.elements}
    assert {"Gestor Nocturno", "Registro de pedidos", "Grafana Tempo", "Review console"} <= names
    assert not names & {"gestor", "registro-pedidos", "tempo", "rev-console"}
    ids = {e.name: e.id for e in system.elements}
    flows = {(f.source, f.target) for f in system.flows}
    assert (ids["Gestor Nocturno"], ids["Registro de pedidos"]) in flows
    assert (ids["Gestor Nocturno"], ids["Grafana Tempo"]) in flows


def test_a_service_name_is_not_merged_by_a_stem_or_when_it_could_be_two_components(tmp_path: Path) -> None:
    compose = "services:\n  ledger-indexer:\n    image: example/indexer:1\n  tally:\n    image: example/tally:3\n"
    system = _draft(tmp_path, {"design.md": """# Ledger

## Components

- **Ledger index**: what the search page reads.
- **Grand Tally**: the books of the day.
- **Tally Nightly**: the books of past days.
""", "compose.yaml": compose})
    names = {e.name for e in system.elements}
    assert {"ledger-indexer", "tally"} <= names  # an indexer is not an index; "tally" could be either of two


def test_a_tools_column_lists_the_tools_of_each_server_with_what_they_may_do(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"agent.md": """# Field service agent

## MCP servers

| MCP server | Transport | Tools | Backend |
|---|---|---|---|
| parts-mcp | HTTP | `lookup_part` (read), `order_part` (creates an order) | Parts Catalogue |
| visits-mcp | stdio | `list_visits` (read-only) | Visit Planner |
"""})
    by_name = {e.name: e for e in system.elements}
    ids = {e.id: e.name for e in system.elements}
    lookup, order, visits = by_name["lookup_part"], by_name["order_part"], by_name["list_visits"]
    assert {lookup.kind, order.kind, visits.kind} == {Kind.tool}
    assert ids[lookup.server or ""] == "parts-mcp" and ids[visits.server or ""] == "visits-mcp"
    assert lookup.permissions == [Permission.read] and visits.permissions == [Permission.read]
    assert order.permissions == [Permission.write]
    assert ids[order.acts_on or ""] == "Parts Catalogue"


@pytest.mark.parametrize(("text", "value"), [
    ("The export tool does not need approval.", False),
    ("Every refund requires approval.", True),
    ("A booking needs a manager's approval.", True),
])
def test_a_phrase_with_an_optional_space_matches_without_it(text: str, value: bool) -> None:
    found = [(s.field, s.value) for s in statements(text)]
    assert ("human_approval_required", value) in found


def test_an_item_and_detail_table_describes_components_and_a_users_app_is_named_by_its_qualifier(
        tmp_path: Path) -> None:
    system = _draft(tmp_path, {"design.md": """# Lending desk

## How it works

Borrowers use the Quayside customer app. A borrower's request goes from the app to the Loan API.

## Index

| Item | Detail |
|---|---|
| Rate Sheet Indexer | Hourly job: reads the rate sheets and writes to the Rate Index |
| Rate Index | Qdrant collection, one point per paragraph |
"""})
    ids = {e.name: e.id for e in system.elements}
    flows = {(f.source, f.target) for f in system.flows}
    assert (ids["Quayside customer app"], ids["Loan API"]) in flows
    assert (ids["Rate Sheet Indexer"], ids["Rate Index"]) in flows
    assert "Item" not in ids and "Hourly job" not in ids


def _markdown_draft(text: str) -> tuple[set[str], set[tuple[str, str]]]:
    from dicetm.ingest.documents import Document
    from dicetm.ingest.readers import read_markdown

    spans, title = read_markdown("note.md", text)
    system = extract_draft([Document(path="note.md", format="markdown", spans=tuple(spans), sha256="0" * 64,
                                     title=title)]).system
    names = {e.id: e.name for e in system.elements}
    return set(names.values()), {(names[f.source], names[f.target]) for f in system.flows}


def test_a_german_article_and_the_head_after_a_hyphen_refer_to_that_compound() -> None:
    names, flows = _markdown_draft("""# Lieferschein-Erkennung

## Komponenten

- **Liefer-App**: Android-App der Fahrer.
- **Beleg-API**: nimmt Scans entgegen.

## Ablauf

Der Fahrer öffnet die Liefer-App. Die App lädt jeden Scan an die Beleg-API hoch. Die API gibt das Ergebnis an die
App weiter.

## Modell und Training

Der Klassifikator wird monatlich neu trainiert.
""")
    assert ("Liefer-App", "Beleg-API") in flows  # "lädt ... an": it goes there, though "laden" also fetches
    assert ("Beleg-API", "Liefer-App") in flows
    assert "Modell und Training" not in names  # a section of the page, not a component


def test_a_verb_that_takes_data_sends_it_where_a_destination_says_but_taking_into_account_is_no_flow() -> None:
    _, flows = _markdown_draft("""# Warehouse

The Nightly Sync Job loads the order rows into the Sales Warehouse. The Forecast Service takes the returns into
the Sales Warehouse figures.
""")
    assert ("Nightly Sync Job", "Sales Warehouse") in flows
    assert ("Forecast Service", "Sales Warehouse") not in flows


@pytest.mark.parametrize(("heading", "section"), [
    ("Sicherheit & Datenschutz", True), ("Riesgos abiertos", True), ("Contesto e decisione", True),
    ("Oś czasu", True), ("Memoria de reglas", False), ("Modell-Registry", False),
])
def test_section_headings_of_other_languages_name_no_component(heading: str, section: bool) -> None:
    from dicetm.ingest.extract_kinds import kind_words

    assert kind_words().is_section(heading) is section


@pytest.mark.parametrize(("text", "fact"), [
    ("受付APIはインターネットに公開されています。", ("exposure", "internet")),
    ("1ユーザーあたり1分間に20回までに制限しています。", ("rate_limited", True)),
    ("プロンプトはベンダー側に保存されません。", ("logs_prompts", False)),
    ("入力がモデルの学習に使われることはありません。", ("trains_on_user_input", False)),
    ("履歴は暗号化して保存します。保存期間は30日です。", ("retention", "30d")),
])
def test_japanese_facts_are_read_without_word_edges(text: str, fact: tuple[str, object]) -> None:
    assert fact in [(s.field, s.value) for s in statements(text)]


def test_a_name_inside_japanese_text_is_found_though_no_space_sets_it_apart() -> None:
    from dicetm.ingest.documents import Document
    from dicetm.ingest.readers import read_markdown

    text = """# 配送ボット

## 構成要素

| 名前 | 役割 |
|---|---|
| 受付API | Webhook の受け口 |

## セキュリティ

- 受付APIはインターネットに公開されています。1ユーザーあたり1分間に20回までに制限しています。
"""
    spans, title = read_markdown("note.md", text)
    system = extract_draft([Document(path="note.md", format="markdown", spans=tuple(spans), sha256="0" * 64,
                                     title=title)]).system
    api = next(e for e in system.elements if e.name == "受付API")
    assert api.exposure is not None and api.exposure.value == "internet"
    assert api.rate_limited is True


def test_an_identity_provider_in_a_services_environment_says_it_signs_its_users_in(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"compose.yaml": """services:
  portal:
    image: example/portal:1
    environment:
      OIDC_ISSUER: https://login.example.com
  worker:
    image: example/worker:1
    environment:
      AUTHOR_NAME: ops
"""})
    by_name = {e.name: e for e in system.elements}
    assert by_name["portal"].authenticated is True
    assert by_name["worker"].authenticated is None


@pytest.mark.parametrize(("name", "kind"), [
    ("問い合わせログ", Kind.log_store), ("商品インデックス", Kind.vector_store), ("商品検索", Kind.retriever),
    ("個人情報マスキング", Kind.guardrail), ("在庫台帳", Kind.data_store), ("注文API", Kind.process),
    ("ChatApp", None),  # a Latin name is not cut at a short word inside it
])
def test_a_japanese_compound_takes_the_kind_of_the_word_closing_it(name: str, kind: Kind | None) -> None:
    from dicetm.ingest.extract_kinds import kind_words

    assert kind_words().kind_of(name) is kind


def test_a_spanish_contracted_article_refers_to_a_component_named_head_first() -> None:
    _, flows = _markdown_draft("""# Nota técnica

## Funcionamiento

El Generador de Informes lee los datos de la Base de Datos de Casos y envía el borrador al Revisor de Estilo. El
Revisor de Estilo devuelve el texto corregido al generador.
""")
    assert ("Revisor de Estilo", "Generador de Informes") in flows  # "al generador": a + el, then the head


@pytest.mark.parametrize(("text", "fact"), [
    ("Runs as a sidecar over stdio.", ("transport", "stdio")),
    ("Streamable HTTP behind the gateway", ("transport", "http")),
    ("The server is reached over HTTPS.", ("transport", "http")),
    ("Both servers ship tool descriptions written by us.", ("description_source", "first_party")),
    ("Its descriptions come from its publisher.", ("description_source", "third_party")),
    ("The tool descriptions are reviewed and pinned.", ("description_pinned", True)),
])
def test_what_the_text_says_of_an_mcp_servers_transport_and_tool_descriptions(text: str,
                                                                              fact: tuple[str, object]) -> None:
    assert fact in [(s.field, s.value) for s in statements(text)]
