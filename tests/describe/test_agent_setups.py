"""How teams write down an agent's setup: MCP client configurations where the clients keep them, the files an
agent loads, the tools a server provides, tree-shaped text diagrams, and list items that are sentences."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.extract_ir import split_name
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.readers import read_document, read_documents
from dicetm.model.system import Kind, System

FIXTURES = Path(__file__).parent / "fixtures" / "mcp"


def _draft(tmp_path: Path, files: dict[str, str]) -> System:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return extract_draft(read_documents([tmp_path])).system


def _by_name(system: System) -> dict[str, object]:
    return {e.name: e for e in system.elements}


def test_a_folder_walk_reads_the_vscode_mcp_json_of_a_real_workspace_but_no_other_hidden_file(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    shutil.copy(FIXTURES / "vscode-workspace-mcp.json", tmp_path / ".vscode" / "mcp.json")
    (tmp_path / ".secret-notes.md").write_text("# Hidden\n\nThe Billing DB stores invoices.\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Workspace\n\nThe agent reads the servers in `.vscode/mcp.json`.\n",
                                        encoding="utf-8")
    documents = read_documents([tmp_path])
    assert sorted(Path(d.path).name for d in documents) == ["README.md", "mcp.json"]
    assert next(d for d in documents if Path(d.path).name == "mcp.json").format == "mcp"
    system = extract_draft(documents).system
    names = _by_name(system)
    assert names["vscode-playwright-mcp"].kind is Kind.mcp_server
    assert names[".vscode/mcp.json"].kind is Kind.agent_config  # the file itself, named as the README names it
    assert "Billing DB" not in names
    assert not any(e.kind is Kind.registry for e in system.elements)  # "npm run" installs nothing
    assert all(e.provenance and e.provenance.draft and e.provenance.spans for e in system.elements)


def test_a_server_started_by_a_package_runner_comes_from_that_registry(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"claude_desktop_config.json": """{
  "mcpServers": {
    "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"]},
    "fetch": {"command": "uvx", "args": ["mcp-server-fetch"]}
  }
}
"""})
    names = _by_name(system)
    ids = {e.id: e for e in system.elements}
    github, fetch = names["github"], names["fetch"]
    assert ids[github.installed_from].kind is Kind.registry and ids[github.installed_from].name == "npm registry"
    assert github.dependencies_pinned is True
    assert ids[fetch.installed_from].name == "PyPI" and fetch.dependencies_pinned is False
    assert fetch.acts_on is None  # where it was installed from is not what it acts on
    flows = {(f.source, f.target) for f in system.flows}
    assert (github.installed_from, github.id) in flows


def test_the_client_that_loads_the_configuration_calls_its_servers_and_reads_the_file(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"mcp.json": (FIXTURES / "github-claude-desktop.json").read_text(encoding="utf-8"),
                               "design.md": """# Release helper

## Components

- **Release agent**: an LLM agent that prepares release notes.

## Tools

The agent gets its tools from the MCP servers listed in `mcp.json`, which the agent reads at start-up.
"""})
    names = _by_name(system)
    agent, server, config = names["Release agent"], names["github"], names["mcp.json"]
    flows = {(f.source, f.target) for f in system.flows}
    assert (agent.id, server.id) in flows or any(
        f.source == server.id and f.target == agent.id and f.bidirectional for f in system.flows)
    assert (config.id, agent.id) in flows
    assert not any(f.source == config.id and f.target == server.id for f in system.flows)


def test_tools_quoted_as_code_in_a_servers_paragraph_are_that_servers_tools(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"notes.md": """# Concierge

## Tools, via MCP

- **Ledger MCP server** - written by us, runs beside the agent. Two tools: `get_booking` (reads the booking)
  and `request_refund` (files a refund request).
- **Events MCP server** - installed from a public registry. Its `find_concerts` tool reads public listings.
"""})
    names = _by_name(system)
    for tool, server in (("get_booking", "Ledger MCP server"), ("request_refund", "Ledger MCP server"),
                         ("find_concerts", "Events MCP server")):
        assert names[tool].kind is Kind.tool
        assert names[tool].server == names[server].id
        assert (names[server].id, names[tool].id) in {(f.source, f.target) for f in system.flows}


def test_an_identifier_quoted_as_code_is_no_tool_where_the_text_speaks_of_none(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"notes.md": """# Settings

- **Chat API** - a FastAPI service. It sets `max_tokens` and `top_p` on every request.
"""})
    assert not {"max_tokens", "top_p"} & set(_by_name(system))


def test_a_list_under_a_heading_naming_tools_in_another_language_lists_tools(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"arquitetura.md": """# Atendente

## Ferramentas do agente

- consultar_pedido – somente leitura; busca o status do pedido.
- abrir_caso – cria um caso para o SAC.
"""})
    names = _by_name(system)
    assert names["consultar_pedido"].kind is Kind.tool and names["abrir_caso"].kind is Kind.tool
    assert kind_words().listed_kind("Outils de l'agent") is Kind.tool
    assert kind_words().listed_kind("Tools of the agent") is Kind.tool


def test_a_branch_of_a_tree_diagram_starts_at_the_label_it_hangs_from(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"README.md": """# Analyst helper

```
Analyst ──► Helper agent ◄──► Hosted LLM
                 │
                 ├──► warehouse-mcp ──► Sales DB
                 └──► charts-mcp ──► charts/ (workspace)
```
"""})
    ids = {e.name: e.id for e in system.elements}
    flows = {(f.source, f.target) for f in system.flows}
    assert (ids["Helper agent"], ids["warehouse-mcp"]) in flows
    assert (ids["Helper agent"], ids["charts-mcp"]) in flows
    assert (ids["warehouse-mcp"], ids["Sales DB"]) in flows
    assert (ids["Analyst"], ids["Helper agent"]) in flows


def test_a_branch_under_a_blank_column_joins_nothing(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"README.md": """# Helper

```
Analyst ──► Helper agent ──► Hosted LLM

     ├──► Sales DB
```
"""})
    ids = {e.name: e.id for e in system.elements}
    assert not any(f.target == ids.get("Sales DB") for f in system.flows)


def test_a_bare_kind_word_beside_a_name_says_what_it_is(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"README.md": """# Helper

```
Helper agent ──► Copilot service (model)
Helper agent ──► Ledger (database)
Helper agent ──► Billing Copilot (Azure)
```
"""})
    names = _by_name(system)
    assert names["Copilot service"].kind is Kind.llm
    assert names["Ledger"].kind is Kind.data_store
    assert names["Billing Copilot"].kind is Kind.agent  # a product or place in brackets is no kind


def test_agent_instruction_files_and_package_registries_named_in_prose(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"README.md": """# Repo automation

The Patch Agent reads `AGENTS.md` at start-up.

The Patch Agent reads `.github/copilot-instructions.md` too.

The Patch Agent downloads packages from PyPI.
"""})
    names = _by_name(system)
    assert names["AGENTS.md"].kind is Kind.agent_config
    assert names[".github/copilot-instructions.md"].kind is Kind.agent_config
    assert names["PyPI"].kind is Kind.registry
    assert all(f.data != "`" for f in system.flows)  # the quotes around a file name are not what flows


def test_a_hidden_files_name_keeps_its_dot() -> None:
    assert split_name(".vscode/mcp.json")[0] == ".vscode/mcp.json"
    assert split_name(".cursorrules")[0] == ".cursorrules"
    assert split_name("Transcripts.")[0] == "Transcripts"
    assert split_name(". Audit Log")[0] == "Audit Log"


def test_an_identifier_is_read_by_the_words_it_joins() -> None:
    words = kind_words()
    assert words.kind_of("conversation-store") is Kind.log_store
    assert words.kind_of("kelpie_logs") is Kind.log_store
    assert words.kind_of("gw-model-registry") is Kind.data_store
    assert words.kind_of("text-embedding-3-small") is Kind.embedding_pipeline
    assert words.kind_of("gpt-4o-mini") is Kind.llm


def test_list_items_that_are_sentences_are_no_components(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"minutes.txt": """Review minutes

- Somebody suggested a Cursor pilot instead — parked, not in scope.
- Screening ops confirmed the operating model: the detector scores every scan.
- In the Gantry console - open the camera list.
- Yes - agreed by all.
- Alert Router - a small service that pages the on-call engineer.
"""})
    names = set(_by_name(system))
    assert not names & {"Somebody suggested a Cursor pilot instead", "Screening ops confirmed the operating model",
                        "In the Gantry console", "Yes"}
    assert "Alert Router" in names


def test_a_component_that_keeps_recordings_is_a_store(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"postmortem.md": """# Missed alerts

- The edge box sends a clip around each violation to the **NVR**, which keeps clips for 7 days.
"""})
    assert _by_name(system)["NVR"].kind is Kind.data_store


def test_a_vscode_server_list_with_comments_is_read_and_a_broken_one_is_reported(tmp_path: Path) -> None:
    good = tmp_path / "mcp.json"
    good.write_text('{\n  // local servers\n  "servers": {"db": {"command": "node", "args": ["db.js"],},},\n}\n',
                    encoding="utf-8")
    assert read_document(good).format == "mcp"
    broken = tmp_path / "broken" / "mcp.json"
    broken.parent.mkdir()
    broken.write_text('{\n  "servers": {"db": {"command": "node" "args": []}}\n}\n', encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_document(broken)
    assert raised.value.problems[0].location.line == 2


def test_the_labels_of_a_documents_header_are_no_components(tmp_path: Path) -> None:
    system = _draft(tmp_path, {"postmortem.md": """# Postmortem: answers leaked

**Author:** platform team · **Status:** Final

* Reviewers: Security (R. Hale), Legal
* Owner: Ops on-call

## What happened

- **Answer Service**: a Python service that drafts answers.
"""})
    names = set(_by_name(system))
    assert not names & {"Author", "Status", "Reviewers", "Owner"}
    assert "Answer Service" in names
