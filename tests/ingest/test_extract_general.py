"""The extractor on the ways people write that are not tied to one document style: facts in any wording, who a
fact is about, products named in passing, sections that are not components, names introduced in running text,
zones stated in tables and lists, notes in diagrams and configuration files."""

from __future__ import annotations

import json
from pathlib import Path

from dicetm.ingest.documents import Document, document_from_text
from dicetm.ingest.extract import Draft, extract_draft
from dicetm.ingest.extract_facts import statements
from dicetm.ingest.readers import read_document, read_markdown
from dicetm.model.system import Element, Kind, System


def _markdown(text: str, name: str = "note.md") -> Document:
    spans, title = read_markdown(name, text)
    return Document(path=name, format="markdown", spans=tuple(spans), sha256="0" * 64, title=title)


def _draft(text: str) -> Draft:
    return extract_draft([_markdown(text)])


def _by_name(system: System) -> dict[str, Element]:
    return {e.name: e for e in system.elements}


def _ends(system: System) -> set[tuple[str, str]]:
    return {(f.source, f.target) for f in system.flows}


def _quotes_are_verbatim(draft: Draft, *documents: Document) -> None:
    texts = [s.text for d in documents for s in d.visible_spans]
    for item in [*draft.system.elements, *draft.system.flows, *draft.system.trust_boundaries]:
        assert item.provenance is not None
        for ref in item.provenance.spans:
            assert ref.quote and any(ref.quote in t for t in texts), (item.id, ref.quote)


# ---------------------------------------------------------------------------------------------- wording


def test_a_phrase_wrapped_over_two_lines_still_states_its_fact() -> None:
    found = statements("The upload endpoint is reachable\nfrom the internet and keeps files for\n14 days.")
    assert [(s.field, s.value) for s in found] == [("exposure", "internet"), ("retention", "14d")]


def test_a_phrase_that_only_counts_negated_and_words_that_void_a_phrase() -> None:
    assert [(s.field, s.value) for s in statements("We never fine-tune it.")] == [("trains_on_user_input", False)]
    assert statements("We fine-tune it every quarter.") == []  # positive: says nothing about user input
    assert [s.field for s in statements("It holds order totals; card numbers are tokenised.")] == []
    assert [s.value for s in statements("Holds customer emails; we classify it as confidential.")
            if s.field == "classification" and s.strength > 2] == ["confidential"]


def test_facts_of_every_kind_in_everyday_wording() -> None:
    said = {(s.field, str(s.value)) for s in statements(
        "Only the legal team can change these pages. Nothing is published until an editor approves it. "
        "Request bodies are not logged. Access is read + write. Capped at 20 tool calls per run. "
        "Data is kept 45 days. Partner data lives in one shared index for all regions.")}
    assert {("untrusted_content", "False"), ("human_approval_required", "True"), ("logs_prompts", "False"),
            ("permissions", "['read', 'write']"), ("budget_limited", "True"), ("retention", "45d"),
            ("multi_tenant", "True")} <= said


# ------------------------------------------------------------------------------------ who a fact is about


def test_a_fact_goes_to_the_passive_agent_the_pronoun_and_the_relative_clause() -> None:
    draft = _draft("# Notes\n\n"
                   "- **Ticket Router**: routes tickets.\n"
                   "- **Router Log**: a log store. Prompts are not logged by the Ticket Router.\n"
                   "- Staff reach the **Help Portal**, which is internet-facing.\n"
                   "- The **Policy Index** holds handbook pages. It is encrypted at rest.\n")
    elements = _by_name(draft.system)
    assert elements["Ticket Router"].logs_prompts is False and elements["Router Log"].logs_prompts is None
    assert elements["Help Portal"].exposure is not None and elements["Help Portal"].exposure.value == "internet"
    assert elements["Policy Index"].encrypted_at_rest is True


def test_a_fact_is_not_guessed_onto_a_component_it_does_not_fit() -> None:
    draft = _draft("# Notes\n\n- **Lookup Tool**: reads stock levels.\n\n"
                   "What does the Pricing Service do? Read-only queries of the price list.\n")
    assert _by_name(draft.system)["Lookup Tool"].permissions is None


# ------------------------------------------------------------------------------- products and components


def test_a_product_a_component_is_built_with_is_not_a_component_of_its_own() -> None:
    draft = _draft("# Design\n\nThe Intake API writes each file to the Blob Store (S3). "
                   "The Session Cache — a Redis hash — expires entries after 2 hours.\n\n"
                   "The Answer Model (Claude 3.5 Sonnet on Amazon Bedrock) drafts replies. Bedrock does not "
                   "train on our prompts. Anthropic does not store them either.\n")
    elements = _by_name(draft.system)
    assert not {"S3", "Redis", "Amazon Bedrock", "Bedrock", "Anthropic", "Claude 3.5 Sonnet"} & set(elements)
    assert ("intake-api", "blob-store") in _ends(draft.system)
    assert elements["Session Cache"].retention == "2h"
    model = elements["Answer Model"]
    assert model.kind is Kind.llm and model.trains_on_user_input is False
    assert model.model_provenance is not None and model.third_party is True  # derived from the hosted API


def test_a_product_named_in_passing_is_not_drafted_but_one_that_takes_part_is() -> None:
    draft = _draft("# Notes\n\nThe team chats in #ops on Slack. Sign-in uses Okta SSO.\n\n"
                   "The Report Builder sends the weekly summary to Snowflake.\n")
    names = set(_by_name(draft.system))
    assert "Slack" not in names and "Okta" not in names and "Okta SSO" not in names
    assert {"Report Builder", "Snowflake"} <= names


def test_a_product_opening_a_longer_name_stands_for_it() -> None:
    draft = _draft("# Parts\n\n- **Jira Cloud**: the issue tracker.\n- **Review Agent**: an agent.\n\n"
                   "The Review Agent reads issues from Jira. Jira is SaaS.\n")
    assert "Jira" not in _by_name(draft.system)
    assert ("jira-cloud", "review-agent") in _ends(draft.system)
    assert _by_name(draft.system)["Jira Cloud"].third_party is True


# --------------------------------------------------------------------------------------- document structure


def test_headings_that_ask_list_or_name_an_activity_are_sections() -> None:
    draft = _draft("# Payroll Bot\n\n## Components\n\n### Payroll Agent\n\nAn agent.\n\n"
                   "## Who talks to whom\n\nThe Payroll Agent calls the Salary DB.\n\n## Processors\n\n"
                   "## Monitoring\n\n## Notes for auditors\n\nNothing.\n")
    names = set(_by_name(draft.system))
    assert names == {"Payroll Agent", "Salary DB"}


def test_a_list_item_naming_a_zone_is_a_zone_and_a_label_is_not_a_component() -> None:
    draft = _draft("# Setup\n\n- **Inside the plant network**: the **Line Monitor** and the **Sensor DB**.\n"
                   "- **Vendor cloud**: the **Forecast Service**.\n\nDecisions\n\n"
                   "- Review cadence: weekly.\n- Token budget: 2M per day.\n")
    zones = {b.name: set(b.elements) for b in draft.system.trust_boundaries}
    assert zones["Inside the plant network"] == {"line-monitor", "sensor-db"}
    assert zones["Vendor cloud"] == {"forecast-service"}
    assert not {"Review cadence", "Token budget", "Inside the plant network"} & set(_by_name(draft.system))
    assert _by_name(draft.system)["Forecast Service"].third_party is True  # a vendor's zone


def test_abbreviations_definite_references_and_pronoun_objects_in_running_text() -> None:
    draft = _draft("# How it works\n\nQuestions reach the Claims Gateway (CGW) first. The CGW forwards them to "
                   "the Triage Worker. The worker queries the Policy Store and sends the result to the Claims "
                   "Model, which returns a verdict.\n\n"
                   "**Policy Store.** A document store of policies. The Triage Worker reads it nightly.\n")
    ends = _ends(draft.system)
    assert {("claims-gateway", "triage-worker"), ("triage-worker", "claims-model"),
            ("claims-model", "triage-worker"), ("policy-store", "triage-worker")} <= ends
    assert "CGW" not in _by_name(draft.system)


def test_a_runs_on_column_names_zones_and_deployment_units(tmp_path: Path) -> None:
    (tmp_path / "design.md").write_text(
        "# Billing helper\n\n| Component | Purpose | Runs on |\n|---|---|---|\n"
        "| Billing API | answers invoices | container `billing-api`, EKS `prod` |\n"
        "| Ledger DB | stores invoices | Ledger SaaS |\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services:\n  billing-api:\n    image: billing:1\n", encoding="utf-8")
    documents = [read_document(tmp_path / "design.md"), read_document(tmp_path / "compose.yaml")]
    draft = extract_draft(documents)
    assert [e.name for e in draft.system.elements] == ["Billing API", "Ledger DB"]
    zones = {b.name: b.elements for b in draft.system.trust_boundaries}
    assert zones["Ledger SaaS"] == ["ledger-db"] and zones["EKS prod"] == ["billing-api"]


def test_the_host_of_an_mcp_configuration_calls_its_servers(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# Desk\n\nThe Ops Console loads `mcp.json` and calls the MCP servers.\n",
                                        encoding="utf-8")
    (tmp_path / "mcp.json").write_text(json.dumps({"mcpServers": {"files": {"command": "npx", "args": ["fs"]}}}),
                                       encoding="utf-8")
    draft = extract_draft([read_document(tmp_path / "README.md"), read_document(tmp_path / "mcp.json")])
    assert ("ops-console", "files") in _ends(draft.system)
    assert _by_name(draft.system)["Ops Console"].kind is Kind.agent


# ---------------------------------------------------------------------------------------- diagram notes


def test_mermaid_comments_and_descriptions_of_diagram_elements_state_facts() -> None:
    text = ("```mermaid\nflowchart LR\n  %% The Fetch Tool is read-only.\n  agent[[Research Agent]] --> "
            "fetch[Fetch Tool]\n  fetch --> web((Public web))\n```\n")
    draft = extract_draft([_markdown(f"# Research\n\n{text}")])
    assert _by_name(draft.system)["Fetch Tool"].permissions is not None
    dsl = document_from_text("model.dsl", 'workspace {\n  model {\n    s = softwareSystem "S" {\n'
                             '      ui = container "Team Portal" "Internal only, SSO sign-in." "React"\n'
                             '    }\n  }\n}\n')
    portal = _by_name(extract_draft([dsl]).system)["Team Portal"]
    assert portal.exposure is not None and portal.exposure.value == "internal" and portal.authenticated is True


def test_everything_except_a_named_component_runs_in_the_zone() -> None:
    draft = _draft("# Hosting\n\nThe Quote API calls the Rates DB and the Pricing Model. Everything except the "
                   "Pricing Model runs in our GCP project.\n")
    zone = draft.system.trust_boundaries[0]
    assert set(zone.elements) == {"quote-api", "rates-db"}
    _quotes_are_verbatim(draft, _markdown("# Hosting\n\nThe Quote API calls the Rates DB and the Pricing Model. "
                                          "Everything except the Pricing Model runs in our GCP project.\n"))


# ---------------------------------------------------------------------------------------------- people and names


def test_people_named_by_a_qualifying_noun_use_the_app_they_work_in() -> None:
    draft = _draft("# Claims\n\n## Case Console\nThe Case Console lists open claims.\n\n"
                   "Claims officers open the Case Console every morning. An IT analyst approves each refund in the "
                   "Case Console. The external auditors met the team in May.\n")
    elements = _by_name(draft.system)
    assert elements["Claims officers"].kind is Kind.external_entity
    assert elements["IT analyst"].kind is Kind.external_entity
    assert "auditors" not in {n.lower() for n in elements} and "external auditors" not in elements  # no app use
    ids = {e.name: e.id for e in draft.system.elements}
    assert {(ids["Claims officers"], ids["Case Console"]), (ids["IT analyst"], ids["Case Console"])} <= \
        _ends(draft.system)


def test_what_only_people_do_is_no_flow_when_a_component_does_it() -> None:
    draft = _draft("# Claims\n\n## Fraud Scorer\nThe Fraud Scorer reviews every claim in the Claims Database.\n\n"
                   "## Claims Database\nPostgreSQL.\n")
    assert _ends(draft.system) == set()


def test_a_verb_or_a_label_before_a_people_word_is_not_part_of_its_name() -> None:
    draft = _draft("# Intake\n\n## Intake Portal\nThe Intake Portal lets residents report potholes.\n\n"
                   "## ADR-0002 Resident notices\nResidents open the Intake Portal to follow a report.\n")
    names = {e.name for e in draft.system.elements}
    assert "lets residents" not in names and not any(n.startswith("ADR") for n in names)


def test_an_identifier_keeps_its_underscores_and_a_server_column_names_the_mcp_server() -> None:
    draft = _draft("# Tools\n\n| Tool | Server | Permission |\n|---|---|---|\n"
                   "| get_order | Orders MCP server | read |\n| refund_order | Orders MCP server | write |\n")
    elements = _by_name(draft.system)
    server = elements["Orders MCP server"]
    assert server.kind is Kind.mcp_server
    assert elements["get_order"].server == server.id and elements["refund_order"].server == server.id
    assert elements["get_order"].acts_on is None  # the server exposes the tool; it is not what the tool changes


def test_an_mcp_configuration_key_names_the_server_the_documents_describe() -> None:
    config = document_from_text("mcp.json", json.dumps({"mcpServers": {"billing-ledger": {"command": "node"}}},
                                                       indent=1), "mcp")
    prose = _markdown("# Agent\n\n## Billing Ledger MCP server\nExposes the ledger tools to the agent.\n")
    system = extract_draft([prose, config]).system
    servers = [e for e in system.elements if e.kind is Kind.mcp_server]
    assert [e.name for e in servers] == ["Billing Ledger MCP server"]


def test_a_shorter_form_of_a_name_in_another_document_is_the_same_component() -> None:
    design = _markdown("# Design\n\n## Ticket Intake Service\nReceives tickets.\n\n"
                       "## Search Service\nAnswers queries.\n\n## Search Service Cache\nRedis.\n", "design.md")
    notes = _markdown("# Notes\n\n| Component | Stack |\n|---|---|\n| intake service | Python |\n"
                      "| Qdrant ticket index | Qdrant |\n\n## Customer Ticket Index\nHolds ticket embeddings.\n",
                      "notes.md")
    names = sorted(e.name for e in extract_draft([design, notes]).system.elements)
    assert "intake service" not in names and "Ticket Intake Service" in names
    assert "Qdrant ticket index" not in names and "Customer Ticket Index" in names  # the product word aside
    assert {"Search Service", "Search Service Cache"} <= set(names)  # not a shorter form: another head noun


def test_a_short_form_may_leave_out_a_generic_head_and_change_the_ending_of_a_word() -> None:
    design = _markdown("# Design\n\n## Notes Embedding Job\nEmbeds notes.\n\n## Clinical Notes Index\nQdrant.\n",
                       "design.md")
    notes = _markdown("# Notes\n\n| Component | Stack |\n|---|---|\n| notes embedder | Python |\n\n"
                      "The notes embedder writes the vectors into the Clinical Notes Index.\n", "notes.md")
    system = extract_draft([design, notes]).system
    ids = {e.name: e.id for e in system.elements}
    assert "notes embedder" not in ids
    assert (ids["Notes Embedding Job"], ids["Clinical Notes Index"]) in _ends(system)


def test_a_heading_naming_two_components_is_two_and_a_topic_heading_is_none() -> None:
    draft = _draft("# Review\n\n## Claim Store and Audit Log\nBoth are PostgreSQL tables.\n\n"
                   "## Prompt and Response Archive\nAn S3 bucket.\n\n"
                   "## Refunds raised by the bot\nThe Refund Agent files refunds in the Claim Store.\n\n"
                   "## Use of transcripts for model training\nNot done.\n")
    names = {e.name for e in draft.system.elements}
    assert {"Claim Store", "Audit Log", "Prompt and Response Archive"} <= names
    assert not any(n.startswith(("Refunds raised", "Use of", "Claim Store and")) for n in names)


def test_the_proper_last_word_of_a_two_word_name_stands_for_it_when_capitalised() -> None:
    draft = _draft("# Spec\n\n## Components\n\n### Harbor Studio\nThe web app editors use.\n\n### Draft Store\n"
                   "Firestore.\n\n## Flow\nStudio saves every draft in the Draft Store. The studio team owns the "
                   "Draft Store.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    assert (ids["Harbor Studio"], ids["Draft Store"]) in _ends(draft.system)
    assert "Studio" not in ids and "studio team" not in {n.lower() for n in ids}


def test_a_store_that_prompts_are_written_to_keeps_prompts() -> None:
    draft = _draft("# Ops\n\n## Claims Agent\nThe Claims Agent writes each prompt and the model's answer to the "
                   "Trace Bucket. It writes the claim decision to the Claims Database.\n\n"
                   "## Conversation Archive\nThe Claims Agent writes the claim number to the Conversation Archive.\n\n"
                   "## Trace Bucket\nAn S3 bucket.\n\n## Claims Database\nPostgreSQL.\n")
    elements = _by_name(draft.system)
    assert elements["Trace Bucket"].logs_prompts is True
    assert elements["Claims Agent"].logs_prompts is True  # it writes them there
    assert elements["Claims Database"].logs_prompts is None
    assert elements["Conversation Archive"].logs_prompts is None  # its own name says nothing of what it holds


def test_function_names_written_as_code_are_tools_and_a_list_of_them_is_what_the_agent_calls() -> None:
    draft = _draft("# Ops\n\n## Order Agent\nThe Order Agent answers customers. It has two tools:\n\n"
                   "- `get_order` reads an order from the Orders DB;\n- call cancel_order, which cancels an order in "
                   "the Orders DB.\n\nThe `order_total` column is computed nightly.\n\n## Orders DB\nPostgreSQL.\n")
    elements = _by_name(draft.system)
    assert elements["get_order"].kind is Kind.tool and elements["cancel_order"].kind is Kind.tool
    assert "order_total" not in elements  # not a verb and an object: a column, not a function
    ids = {e.name: e.id for e in draft.system.elements}
    assert {(ids["Order Agent"], ids["get_order"]), (ids["Order Agent"], ids["cancel_order"])} <= _ends(draft.system)


def test_a_provider_that_does_not_train_on_what_it_serves_says_so_of_the_model() -> None:
    draft = _draft("# Bot\n\n## Answer Service\nThe Answer Service sends each question to Claude 3 Haiku through "
                   "Amazon Bedrock. Neither AWS nor Anthropic uses them to train models.\n")
    elements = _by_name(draft.system)
    assert elements["Claude 3 Haiku"].trains_on_user_input is False
    assert "Anthropic" not in elements  # named only for what it does not do with the data
    assert [(s.field, s.value) for s in statements("The vendor uses our prompts to train its models.")] == \
        [("trains_on_user_input", True)]


def test_a_list_under_a_trust_zones_heading_names_zones_whatever_their_words() -> None:
    draft = _draft("# T\n\n## Components\n\n### Resolver Agent\nAn agent. It writes every run to the Run Log.\n\n"
                   "### Run Log\nLog Analytics.\n\n## Trust zones\n\n"
                   "- Automation Azure subscription – the Resolver Agent and the Run Log.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    zones = {b.name: set(b.elements) for b in draft.system.trust_boundaries}
    assert zones == {"Automation Azure subscription": {ids["Resolver Agent"], ids["Run Log"]}}


def test_a_job_title_is_drafted_only_when_the_text_has_them_use_something() -> None:
    draft = _draft("# Claims\n\n## Claims Portal\nThe Claims Portal lists claims. Retention is still to be confirmed "
                   "by the Records Manager. The Claims Manager opens the Claims Portal every morning.\n")
    names = {e.name for e in draft.system.elements}
    assert "Records Manager" not in names and "Claims Manager" in names


def test_a_numbered_heading_naming_only_a_kind_is_about_the_component_of_that_kind() -> None:
    for heading in ("4. Language model", "C.3 The language model"):
        draft = _draft(f"# Design\n\n## 1. Overview\nThe Answer Service sends each question to Claude 3 Haiku.\n\n"
                       f"## {heading}\nIt does not keep prompts.\n")
        elements = _by_name(draft.system)
        assert set(elements) == {"Answer Service", "Claude 3 Haiku"}, heading


def test_which_after_a_name_is_that_component_and_a_bare_article_is_no_data() -> None:
    draft = _draft("# S\n\n## Components\n\n### Alerting Service\nA service.\n\n### Risk Event Store\nPostgreSQL.\n\n"
                   "## Flow\n\nAlerts come from the Alerting Service, which watches the Risk Event Store for new "
                   "events.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    flows = [(f.source, f.target, f.data) for f in draft.system.flows]
    assert flows == [(ids["Risk Event Store"], ids["Alerting Service"], None)]


def test_a_name_ending_in_a_component_word_is_not_a_short_form_of_a_longer_one() -> None:
    draft = _draft("# S\n\n## Components\n\n### Review Console audit table\nPostgreSQL.\n\n### Sanctions Service\n"
                   "Applies bans.\n\n## Flow\n\nThe Review Console sends each decision to the Sanctions Service.\n\n"
                   "## Decisions\n\n- ADR-0004 Player reports are untrusted input\n")
    names = {e.name for e in draft.system.elements}
    assert {"Review Console", "Sanctions Service"} <= names
    assert not any(n.startswith("ADR") for n in names)  # a people word heading a document's title


def test_a_made_up_name_with_a_platform_word_before_app_is_one_component() -> None:
    draft = _draft("# Review\n\n## Flows\n\n- The customer uses the Fernly mobile app on their phone.\n"
                   "- Receipts are sent by the app to the Fernly API.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    assert "Fernly mobile app" in ids
    assert (ids["Fernly mobile app"], ids["Fernly API"]) in _ends(draft.system)


def test_a_model_deployment_is_the_model() -> None:
    draft = _draft("# Bot\n\n## Answer Service\nThe Answer Service sends each question to the GPT-4o deployment in "
                   "our Azure OpenAI resource.\n")
    assert "GPT-4o" in _by_name(draft.system) and "GPT-4o deployment" not in _by_name(draft.system)


def test_a_permission_column_states_what_a_tool_may_do() -> None:
    draft = _draft("# Tools\n\n| Tool | Permission |\n|---|---|\n| get_order | read |\n"
                   "| refund_order | read, write |\n")
    elements = _by_name(draft.system)
    assert elements["get_order"].permissions == ["read"]
    assert sorted(elements["refund_order"].permissions or []) == ["read", "write"]


def test_a_server_table_says_what_each_server_talks_to_and_its_tools_act_on_that() -> None:
    text = ("# Agent\n\n| MCP server | Transport | Talks to |\n|---|---|---|\n"
            "| Orders MCP server | stdio | Orders Database |\n\nThe agent sees these tools.\n\n"
            "| Tool | Server | Permission |\n|---|---|---|\n| get_order | Orders MCP server | read |\n")
    config = document_from_text("mcp.json", json.dumps({"mcpServers": {"orders": {"command": "node"}}}), "mcp")
    system = extract_draft([_markdown(text), config]).system
    ids = {e.name: e.id for e in system.elements}
    elements = {e.name: e for e in system.elements}
    assert [e.name for e in system.elements if e.kind is Kind.mcp_server] == ["Orders MCP server"]
    assert (ids["Orders MCP server"], ids["Orders Database"]) in _ends(system)
    assert elements["get_order"].acts_on == ids["Orders Database"]


def test_a_name_ending_in_assistant_is_a_component() -> None:
    draft = _draft("# Review\n\n## Flows\n\nQuestions are forwarded by the Fernly API to the Tax\nGuidance Assistant, "
                   "which reads the draft figures from the Returns Database.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    assert {(ids["Fernly API"], ids["Tax Guidance Assistant"]),
            (ids["Returns Database"], ids["Tax Guidance Assistant"])} <= _ends(draft.system)


def test_the_component_an_output_is_shown_in_renders_it() -> None:
    draft = _draft("# S\n\n## Components\n\n### Review Dashboard\nQuickSight.\n\n### Scorer\nThe Scorer sends each "
                   "transcript to Claude 3 Haiku.\n\n## Output\n\nThe model's justification is displayed in the "
                   "dashboard as plain text.\n")
    elements = _by_name(draft.system)
    assert elements["Review Dashboard"].output_rendered_as == ["text"]
    assert elements["Claude 3 Haiku"].output_rendered_as == ["text"]
    assert elements["Scorer"].output_rendered_as is None


def test_how_long_entries_are_kept_is_said_of_the_store_just_named() -> None:
    draft = _draft("# S\n\n## Components\n\n### Resolver Agent\nAn agent. It writes every run to the Run Log, "
                   "with the prompts sent to GPT-4o. Entries are kept for 90 days.\n\n### Run Log\nLog Analytics.\n")
    elements = _by_name(draft.system)
    assert elements["Run Log"].retention == "90d"
    assert elements["GPT-4o"].retention is None and elements["Resolver Agent"].retention is None


def test_all_of_a_named_systems_components_run_in_a_zone() -> None:
    draft = _draft("# Pharos\n\n## Components\n\n### Signal Assistant\nIt reads from the Case Store.\n\n"
                   "### Case Store\nPostgreSQL.\n\n## Hosting\n\nAll Pharos components run in the Safety Azure "
                   "subscription, inside one virtual network.\n")
    zones = {b.name: set(b.elements) for b in draft.system.trust_boundaries}
    assert zones == {"Safety Azure subscription": {e.id for e in draft.system.elements}}


def test_people_where_a_component_shows_something_use_it() -> None:
    draft = _draft("# S\n\n## Flow\n\nEach draft lands in the Claims Review Console, where a claims officer accepts "
                   "or rejects it. The Claims Review Console, where it is stored, is internal.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    assert set(ids) == {"Claims Review Console", "claims officer"}
    assert _ends(draft.system) == {(ids["claims officer"], ids["Claims Review Console"])}


def test_and_after_a_which_clause_goes_on_with_its_subject() -> None:
    draft = _draft("# S\n\n## Components\n\n### Chat Relay\nRelays chat.\n\n### Chat History Store\nScyllaDB.\n\n"
                   "### Toxicity Classifier\nA model.\n\n## Flow\n\nPlayers chat through the Chat Relay, which stores "
                   "every line in the Chat History Store and also publishes it to the Toxicity Classifier.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    assert (ids["Chat Relay"], ids["Toxicity Classifier"]) in _ends(draft.system)
    assert (ids["Players"], ids["Toxicity Classifier"]) not in _ends(draft.system)


def test_people_are_not_the_unstated_sender_of_a_passive() -> None:
    draft = _draft("# S\n\n## Components\n\n### Review Console\nA web app.\n\n### Filing Gateway\nFiles returns.\n\n"
                   "## Flow\n\nA claims officer opens the Review Console. Only returns that the officer has approved "
                   "are passed to the Filing Gateway.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    assert not any(source == ids.get("claims officer") and target == ids["Filing Gateway"]
                   for source, target in _ends(draft.system))


def test_a_product_name_does_not_run_on_into_the_next_line() -> None:
    layout = document_from_text("hosting.txt", "The Screening Service sends each prompt to Llama 3.1 70B Instruct\n"
                                "Fluxx (SaaS) holds the applications the Screening Service reads.\n")
    names = {e.name for e in extract_draft([layout]).system.elements}
    assert "Llama 3.1 70B Instruct" in names and not any(n.endswith("Instruct Fluxx") for n in names)


def test_exposure_said_of_where_a_thing_is_reachable() -> None:
    said = [[(s.field, s.value) for s in statements(t)] for t in (
        "Reviewers use the Review Portal, a web application on the public internet.",
        "It listens on a private tunnel, so it cannot be reached from the internet.",
        "The worklist is available on the hospital network only.",
        "The API is available on the public internet.")]
    assert said == [[("exposure", "internet")], [("exposure", "internal")], [("exposure", "internal")],
                    [("exposure", "internet")]]


def test_they_after_a_sentence_about_people_are_those_people() -> None:
    draft = _draft("# S\n\n## Components\n\n### Score Portal\nA web app.\n\n## Review\n\nPanel reviewers are "
                   "external academics, about forty per round. They use the Score Portal to enter scores.\n")
    ids = {e.name: e.id for e in draft.system.elements}
    assert _ends(draft.system) == {(ids["Panel reviewers"], ids["Score Portal"])}


def test_what_people_do_reaches_only_the_place_they_do_it_in() -> None:
    draft = _draft("# Kiosk\n\n## Order Connector\nCreates orders in the till.\n\n## Flow\n\nThe diner confirms "
                   "every order on screen before the Order Connector submits it.\n")
    assert not any(e.name.lower() == "diner" for e in draft.system.elements)
