"""What a component is, from its own words: models that score, classify, detect or recognise are ``ml_model``,
a language model put to such a job stays an ``llm``, and software that asks a language model is a ``process``.
Documents in other languages: names written head first, compounds, and flows in the document's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.extract_facts import statements
from dicetm.ingest.extract_flow_words import ENGLISH, flow_words, language_of
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.readers import read_document, read_markdown
from dicetm.model.system import Kind, Permission


def _markdown(text: str, name: str = "note.md") -> Document:
    spans, title = read_markdown(name, text)
    return Document(path=name, format="markdown", spans=tuple(spans), sha256="0" * 64, title=title)


@pytest.mark.parametrize(("name", "kind"), [
    ("Spam Classifier", Kind.ml_model), ("Defect Detector", Kind.ml_model), ("Risk Scoring Engine", Kind.ml_model),
    ("Claims OCR", Kind.ml_model), ("Amazon Transcribe", Kind.ml_model), ("Whisper large-v3", Kind.ml_model),
    ("Face Match", Kind.ml_model), ("Classifier Model", Kind.ml_model), ("Churn Model", Kind.ml_model),
    # a language model put to classifying is the language model; a guard that classifies is a guardrail
    ("GPT-4o Intent Classifier", Kind.llm), ("LLM classifier", Kind.llm), ("Tutor Model", Kind.llm),
    ("Toxicity Classifier", Kind.guardrail), ("Jailbreak detector", Kind.guardrail),
    ("Classification Service", Kind.process),
])
def test_a_name_tells_a_model_that_scores_or_recognises_from_a_language_model(name: str, kind: Kind) -> None:
    assert kind_words().kind_of(name) is kind


@pytest.mark.parametrize(("name", "kind"), [
    # the agent of operations software a host or pod runs is no AI agent ...
    ("newrelic-agent", Kind.process), ("datadog-agent", Kind.process), ("Splunk agent", Kind.process),
    ("teamcity-agent", Kind.process), ("fluent-bit agent", Kind.process), ("monitoring agent", Kind.process),
    # ... an agent named after its task, its team or the channel it answers in is one
    ("support-agent", Kind.agent), ("Slack agent", Kind.agent), ("Triage Agent", Kind.agent),
    ("coding agent", Kind.agent),
])
def test_name_words_give_an_ai_kind_to_an_ai_agent_only(name: str, kind: Kind) -> None:
    assert kind_words().kind_of(name) is kind


def test_a_classifier_built_on_a_language_model_or_asking_one_is_not_an_ml_model() -> None:
    text = """# Support triage

## Components

| Component | Technology | Description |
|---|---|---|
| Fraud Detector | XGBoost | Scores every payment between 0 and 1. |
| Intent Classifier | GPT-4o mini | Labels each ticket with an intent. |
| Ticket Scorer | Python | Rates each ticket for urgency. |
| Claude 3.5 Sonnet | Anthropic API | The model. |

## Data flows

The Ticket Scorer sends each ticket to Claude 3.5 Sonnet.
"""
    kinds = {e.name: e.kind for e in extract_draft([_markdown(text)]).system.elements}
    assert kinds["Fraud Detector"] is Kind.ml_model
    assert kinds["Intent Classifier"] is Kind.llm  # its technology is a language model
    assert kinds["Ticket Scorer"] is Kind.process  # it asks a language model: software around the model
    assert kinds["Claude 3.5 Sonnet"] is Kind.llm


# ------------------------------------------------------------------------------------------- other languages


def _draft(text: str) -> tuple[dict[str, Kind], set[tuple[str, str]]]:
    system = extract_draft([_markdown(text)]).system
    names = {e.id: e.name for e in system.elements}
    return {e.name: e.kind for e in system.elements}, {(names[f.source], names[f.target]) for f in system.flows}


def test_a_spanish_design_note_names_its_components_head_first_and_reads_its_flows() -> None:
    kinds, flows = _draft("""# Nota técnica

## Funcionamiento

Cada mañana, el Clasificador de Reclamaciones lee los correos nuevos de la Cola de Entrada y escribe el resultado
en la Base de Datos de Casos. El Generador de Respuestas consulta el Índice de Políticas y envía el borrador a
Claude 3.5 Sonnet.
""")
    assert kinds["Clasificador de Reclamaciones"] is Kind.ml_model  # the head comes first: a classifier
    assert kinds["Base de Datos de Casos"] is Kind.data_store
    assert kinds["Índice de Políticas"] is Kind.vector_store
    assert {("Cola de Entrada", "Clasificador de Reclamaciones"),
            ("Clasificador de Reclamaciones", "Base de Datos de Casos"),
            ("Generador de Respuestas", "Índice de Políticas"),
            ("Generador de Respuestas", "Claude 3.5 Sonnet")} <= flows


def test_a_french_note_with_elided_articles_and_lower_case_qualifiers() -> None:
    kinds, flows = _draft("""# Fiche

## Fonctionnement

L'Assistant Juridique reçoit la question du juriste. L'assistant interroge l'Index des contrats, puis
il enregistre la réponse dans le Journal des échanges.
""")
    assert kinds["Assistant Juridique"] is Kind.process
    assert kinds["Journal des échanges"] is Kind.log_store
    assert {("Assistant Juridique", "Index des contrats"),
            ("Assistant Juridique", "Journal des échanges")} <= flows


@pytest.mark.parametrize(("name", "kind"), [
    ("Kundendatenbank", Kind.data_store), ("Modellregister", Kind.data_store), ("Scoring-Dienst", Kind.process),
    ("Registro di audit", Kind.log_store), ("Base de dados de clientes", Kind.data_store),
    ("Index of Policies", Kind.vector_store), ("Department of Motor Vehicles", None),
])
def test_compounds_and_names_joined_by_of_or_de_take_the_kind_of_their_head(name: str, kind: Kind | None) -> None:
    assert kind_words().kind_of(name) is kind


def test_the_language_of_a_text_is_the_one_its_small_words_belong_to() -> None:
    assert language_of("The gateway sends the request to the model and the answer comes back to the user.") == "en"
    assert language_of("El servicio envía la solicitud al modelo y la respuesta vuelve a la aplicación.") == "es"
    assert language_of("Le service envoie la demande au modèle et la réponse revient dans l'application.") == "fr"
    assert language_of("Der Dienst sendet die Anfrage an das Modell und die Antwort geht an die App.") == "de"
    assert language_of("Too short.") == "en"


def test_an_english_text_is_read_with_english_words_only() -> None:
    # "a" is a Spanish preposition: in an English text it stays an article, and nothing is read as a flow to it
    assert flow_words(language_of("The agent sends a summary of the ticket to the Ticket Store.")) is ENGLISH
    _, flows = _draft("## Flows\n\nThe Triage Agent sends a summary to the Ticket Store.\n")
    assert flows == {("Triage Agent", "Ticket Store")}


@pytest.mark.parametrize(("text", "fact"), [
    ("Contiene datos personales de los vecinos.", ("classification", "personal")),
    ("Les échanges sont conservés 12 mois puis supprimés.", ("retention", "360d")),
    ("Die Protokolle werden 90 Tage aufbewahrt.", ("retention", "90d")),
    ("Los anexos se consideran no fiables.", ("untrusted_content", True)),
    ("Il portale è accessibile solo dalla rete interna.", ("exposure", "internal")),
    ("El proveedor no usa nuestras peticiones para entrenar sus modelos.", ("trains_on_user_input", False)),
    ("Le fournisseur n'utilise pas nos questions pour entraîner ses modèles.", ("trains_on_user_input", False)),
    # each language's own file (fact_phrases/<language>.yaml), and negations before, inside and after the phrase
    ("Anrufe werden weder zum Training unserer Modelle verwendet noch weitergegeben.", ("trains_on_user_input", False)),
    ("Der Dienst speichert die Prompts nicht.", ("logs_prompts", False)),
    ("Die Sperre wird sofort ausgeführt, ohne Rückfrage bei einem Mitarbeiter.", ("human_approval_required", False)),
    ("Die Datenbank ist mandantenfähig.", ("multi_tenant", True)),
    ("Microsoft bewaart de prompts ook niet.", ("logs_prompts", False)),
    ("De index wordt na 90 dagen automatisch opgeschoond.", ("retention", "90d")),
    ("Het gesprek is alleen bereikbaar vanaf de IP-reeksen van de leverancier.", ("exposure", "partner")),
    ("Il testo dei prompt non viene registrato.", ("logs_prompts", False)),
    ("Il modello non viene riaddestrato con i dati dei pazienti.", ("trains_on_user_input", False)),
    ("As conversas são gravadas no Firestore.", ("logs_prompts", True)),
    ("A ferramenta tem acesso somente leitura.", ("permissions", "read")),
    ("Rozmowy nie są zapisywane.", ("logs_prompts", False)),
])
def test_facts_stated_in_other_languages_and_their_negations(text: str, fact: tuple[str, object]) -> None:
    assert fact in {(s.field, s.value) for s in statements(text)}


def test_a_word_the_negation_window_cuts_in_two_is_no_negation() -> None:
    # 40 characters before "checks" start inside "pipeline": its last letters "ne" are not the French "ne"
    text = "Once per release the pipeline pins the exact repository commit and checks the SHA-256 digests."
    assert ("model_provenance", "open_weights_verified") in {(s.field, s.value) for s in statements(text)}


def test_a_component_table_with_headers_in_another_language() -> None:
    system = extract_draft([_markdown("""# Fiche

## Données

| Composant | Type | Conservation | Chiffrement |
|---|---|---|---|
| Archive des dossiers | base de données | 5 ans | Oui (au repos) |
| Cache des sessions | cache | 2 jours | Non précisé |
""")]).system
    found = {e.name: e for e in system.elements}
    assert found["Archive des dossiers"].kind is Kind.data_store
    assert (found["Archive des dossiers"].retention, found["Archive des dossiers"].encrypted_at_rest) == ("5y", True)
    assert (found["Cache des sessions"].retention, found["Cache des sessions"].encrypted_at_rest) == ("2d", None)


def test_a_section_of_rejected_alternatives_in_another_language_names_no_component() -> None:
    kinds, _ = _draft("""# Memoria

## Componentes

El Clasificador de Consultas lee la Cola de Entrada.

## Alternativas descartadas

Se valoró contratar el Servicio de Traducción de un proveedor nacional.
""")
    assert "Clasificador de Consultas" in kinds and "Servicio de Traducción" not in kinds


def test_a_model_named_after_the_family_it_was_tuned_from_is_not_the_providers_hosted_model() -> None:
    system = extract_draft([_markdown("""# Models

## Components

- **HS-Mistral**: our own model, a fine-tune served on our GPU nodes.
- **Mistral Large**: reached through the Mistral API.
""")]).system
    found = {e.name: e for e in system.elements}
    assert found["HS-Mistral"].model_provenance is None
    assert found["Mistral Large"].model_provenance == "vendor_api"


def test_what_a_model_is_trained_on_is_a_fact_of_an_ml_model_too() -> None:
    system = extract_draft([_markdown("""# Payments

## Components

- **Fraud Scorer**: a gradient-boosted model; it is never retrained on customer data.
""")]).system
    scorer = next(e for e in system.elements if e.name == "Fraud Scorer")
    assert (scorer.kind, scorer.trains_on_user_input) == (Kind.ml_model, False)


def test_a_store_written_to_keeps_prompts_only_where_the_text_does_not_deny_it() -> None:
    text = """# Design

## Components

- **Chat Service**: the backend service.
- **Audit Log**: the audit log store.
- **Transcript Store**: the transcript store.

## Flows

The Chat Service writes only metadata (time, model version) to the Audit Log: the prompts are not recorded.
The Chat Service writes every conversation to the Transcript Store.
"""
    elements = {e.name: e for e in extract_draft([_markdown(text)]).system.elements}
    assert elements["Transcript Store"].logs_prompts is True
    assert elements["Audit Log"].logs_prompts is not True


def test_articles_of_the_documents_language_refer_to_a_component_by_its_head_or_the_end_of_a_compound() -> None:
    _, flows = _draft("""# Ontwerp

## Componenten

- **Gespreksorchestrator**: de service die het gesprek leidt.
- **Spraakherkenning Whisper**: het model voor spraakherkenning.

## Verloop

De orchestrator knipt de audio in fragmenten en stuurt die naar de spraakherkenning. Een service van de klant
stuurt niets naar het model.
""")
    assert ("Gespreksorchestrator", "Spraakherkenning Whisper") in flows  # "de orchestrator", "de spraakherkenning"


def test_an_indefinite_article_does_not_refer_to_a_component() -> None:
    _, flows = _draft("""# Nota

## Componentes

- **Servicio de Informática**: el equipo de sistemas.
- **Analizador de Expedientes**: un servicio en Python.
- **Índice de Ordenanzas**: una base de datos.

## Flujo

El Analizador de Expedientes, un servicio en Python, recoge el texto de cada expediente, busca en el Índice de
Ordenanzas los artículos aplicables y envía ambos al modelo.
""")
    assert ("Analizador de Expedientes", "Índice de Ordenanzas") in flows
    assert not any("Servicio de Informática" in flow for flow in flows)


def test_names_of_the_same_words_in_another_order_are_one_component(tmp_path: Path) -> None:
    (tmp_path / "design.md").write_text("# Design\n\n## Components\n\n- **Piper TTS**: the speech synthesis service.\n",
                                        encoding="utf-8")
    (tmp_path / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tts-piper\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: tts-piper\n          image: rhasspy/wyoming-piper:1.5\n",
        encoding="utf-8")
    system = extract_draft([read_document(tmp_path / "design.md"), read_document(tmp_path / "deploy.yaml")]).system
    assert len(system.elements) == 1


def test_a_name_a_colon_introduces_and_a_comma_describes_is_a_component_and_a_question_word_is_no_name() -> None:
    kinds, _ = _draft("""# Rollout notes

Reps use Claude Desktop on their laptops. Claude Desktop talks to exactly one remote endpoint: Portcullis, our MCP
gateway in the VPC. The tools are listed in the Larkspur MCP Catalog.

> Which MCP servers will the reps actually have?
""")
    assert kinds["Portcullis"] is Kind.mcp_server
    assert kinds["Claude Desktop"] is Kind.agent  # an MCP host, not the model behind it
    assert kinds["Larkspur MCP Catalog"] is Kind.registry
    assert not any(name.startswith("Which") for name in kinds)


def test_the_ends_of_arrows_in_a_list_are_components_and_a_tools_heading_says_what_its_items_are() -> None:
    kinds, flows = _draft("""# Expense agent

## Tools

- policy_lookup — searches the policy page and returns the relevant sections.
- flag_report — writes a comment on the report.

## Flow of one report

- Employee → Expensify: submits report + receipts
- approve_report / flag_report → Expensify
- get_report ← Expensify; policy_lookup ← T&E Policy page (Notion API)
- Every step of the run (prompts, tool inputs) → Langfuse
""")
    assert {"Employee", "Expensify", "approve_report", "get_report", "T&E Policy page", "Langfuse"} <= set(kinds)
    assert kinds["policy_lookup"] is Kind.tool and kinds["flag_report"] is Kind.tool
    assert not any(name.startswith("Every") for name in kinds)  # prose on one side of an arrow is no name
    assert {("Employee", "Expensify"), ("approve_report", "Expensify"), ("flag_report", "Expensify"),
            ("Expensify", "get_report"), ("T&E Policy page", "policy_lookup")} <= flows


def test_sections_and_tables_in_another_language_name_components_and_their_facts() -> None:
    text = """# Célia

## Les briques

- Widget de chat – composant JavaScript intégré au site.
- Module de recherche – cherche dans l'index les passages les plus proches.

## Ce que Célia peut faire

| Outil | Action | Accès | Validation humaine |
|---|---|---|---|
| statut_commande | lit le statut d'une commande | lecture seule | non |
| creer_ticket | crée un ticket SAV | écriture | oui |
"""
    elements = {e.name: e for e in extract_draft([_markdown(text)]).system.elements}
    assert {"Widget de chat", "Module de recherche", "statut_commande", "creer_ticket"} <= set(elements)
    assert elements["statut_commande"].permissions == [Permission.read]
    assert elements["statut_commande"].human_approval_required is False
    assert elements["creer_ticket"].permissions == [Permission.write]
    assert elements["creer_ticket"].human_approval_required is True


def test_in_polish_a_name_is_found_with_its_case_endings_and_a_bare_head_noun_refers_to_it() -> None:
    _, flows = _draft("""# Notatka

## Komponenty

- Asystent reklamacji – usługa w Lambdzie, która przygotowuje szkic odpowiedzi.
- Baza przejazdów – baza PostgreSQL z historią postojów.

## Przepływ

Asystent pobiera z bazy przejazdów historię postojów dla tej tablicy i przygotowuje szkic. Dane z bazy
przejazdów nie są udostępniane na zewnątrz, a asystent nie zapisuje promptów.
""")
    assert ("Baza przejazdów", "Asystent reklamacji") in flows  # "z bazy przejazdów": fetched from it


def test_a_german_compound_ending_in_a_component_word_is_a_name_and_the_word_alone_is_not() -> None:
    kinds, _ = _draft("""# Architektur

Die Stimmabdrücke liegen in der Stimmabdruck-Datenbank. Die Dialog-Engine schreibt jedes Gespräch in den
Transkriptspeicher. Die Dialog-Engine liest den Kontostand aus dem Kundenarchiv, das in der Datenbank der Bank
liegt.
Das Sprachmodell antwortet nur als Text.
""")
    assert kinds["Stimmabdruck-Datenbank"] is Kind.data_store and kinds["Transkriptspeicher"] is Kind.data_store
    assert kinds["Kundenarchiv"] is Kind.data_store
    assert "Datenbank" not in kinds and "Sprachmodell" not in kinds


def test_an_acronym_in_bold_names_a_component_and_a_stressed_one_does_not() -> None:
    kinds, flows = _draft("""# Postmortem

## What happened

- Twelve **IP cameras** stream RTSP to the **SafeSight edge box**.
- The edge box also sends a clip around each violation to the **NVR**, which keeps clips for 7 days.
- The edge box does **NOT** keep **PII**.
""")
    assert {"IP cameras", "NVR"} <= set(kinds)
    assert "NOT" not in kinds and "PII" not in kinds
    assert ("IP cameras", "SafeSight edge box") in flows


def test_a_bold_label_over_a_list_says_what_its_items_are() -> None:
    text = """# pager-pal

## How it behaves

- **Tools.**
  - `promql_query` — read-only queries against Prometheus.
  - `pagerduty_ack` — acknowledges the incident.
- **Memory.** The agent keeps a scratchpad in Redis.
"""
    elements = {e.name: e for e in extract_draft([_markdown(text)]).system.elements}
    assert elements["promql_query"].kind is Kind.tool and elements["pagerduty_ack"].kind is Kind.tool
    assert elements["promql_query"].permissions == [Permission.read]
