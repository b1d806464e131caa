"""MCP client configuration files -> drafted agent, configuration, servers, registries and flows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicetm.errors import InputError
from dicetm.ingest.mcp_config import (
    draft_from_mcp_config,
    looks_like_mcp_config,
    parse_mcp_config,
    read_mcp_config,
    server_entries,
    server_lines,
    strip_jsonc,
)
from dicetm.io import load_file
from dicetm.model import Kind, System, Transport
from dicetm.pipeline.run import analyze

CLAUDE_DESKTOP = """{
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_s3cr3tValueNobodyMaySee"}
    },
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.3.28", "/Users/me/Documents"]
    },
    "fetch": {"command": "uvx", "args": ["mcp-server-fetch==2025.4.7"]},
    "sqlite": {"command": "docker", "args": ["run", "--rm", "-i", "-v", "data:/mcp", "mcp/sqlite"],
               "autoApprove": ["read_query"]},
    "linear": {"url": "https://mcp.linear.app/sse"},
    "old": {"command": "node", "args": ["old.js"], "disabled": true}
  }
}
"""

VSCODE = """// Workspace MCP servers
{
  "inputs": [{"type": "promptString", "id": "gh-token", "description": "GitHub token", "password": true}],
  "servers": {
    /* a remote server */
    "remote-docs": {
      "type": "http",
      "url": "http://docs.partner.example.net/mcp",
      "headers": {"Authorization": "Bearer ${input:gh-token}"},
    },
    "playwright": {"type": "stdio", "command": "npx", "args": ["@playwright/mcp@latest"]},
  },
}
"""


def draft(text: str, source: str = "mcp.json"):  # type: ignore[no-untyped-def]
    data = parse_mcp_config(text, source)
    names = [name for name, _entry in server_entries(data)[1]]  # type: ignore[index]
    return draft_from_mcp_config(data, source, server_lines(text, names))


def by_id(found):  # type: ignore[no-untyped-def]
    return {e.id: e for e in found.elements}


def test_claude_desktop_servers_become_typed_elements() -> None:
    found = draft(CLAUDE_DESKTOP)
    elements = by_id(found)
    github, fs, fetch = elements["mcp-github"], elements["mcp-filesystem"], elements["mcp-fetch"]
    assert github.kind is Kind.mcp_server and github.transport is Transport.stdio
    assert (github.installed_from, github.dependencies_pinned, github.holds_credentials) == ("npm", False, True)
    assert (fs.installed_from, fs.dependencies_pinned) == ("npm", True)
    assert (fetch.installed_from, fetch.dependencies_pinned) == ("pypi", True)
    sqlite = elements["mcp-sqlite"]
    assert sqlite.installed_from == "docker-io-registry" and sqlite.human_approval_required is False
    linear = elements["mcp-linear"]
    assert (linear.transport, linear.third_party) == (Transport.http, True)
    assert "mcp-old" not in elements and any("old: disabled" in n for n in found.notes)
    assert {e.kind for e in found.elements} >= {Kind.agent, Kind.agent_config, Kind.registry}
    assert elements["mcp-config"].holds_credentials is True  # a literal token sits in the file
    flow = next(f for f in found.flows if f.target == "mcp-linear")
    assert (flow.source, flow.protocol, flow.encrypted, flow.bidirectional) == ("mcp-client", "MCP over HTTPS",
                                                                               True, True)
    assert any(f.source == "mcp-config" and f.target == "mcp-client" for f in found.flows)


def test_every_item_is_a_located_draft_and_no_secret_leaks() -> None:
    found = draft(CLAUDE_DESKTOP)
    github = by_id(found)["mcp-github"]
    assert github.provenance is not None and github.provenance.by == "extract:mcp-config" and github.provenance.draft
    assert [(s.file, s.line, s.quote) for s in github.provenance.spans] == [("mcp.json", 3, "github")]
    dumped = json.dumps([e.model_dump(mode="json") for e in found.elements] +
                        [f.model_dump(mode="json") for f in found.flows]) + " ".join(found.notes)
    assert "ghp_s3cr3t" not in dumped and "GITHUB_PERSONAL_ACCESS_TOKEN" in dumped
    spans, title, _data = read_mcp_config("mcp.json", CLAUDE_DESKTOP)
    assert title == "MCP client configuration" and all("ghp_s3cr3t" not in s.text for s in spans)
    assert [(s.line, s.kind) for s in spans][:2] == [(3, "list-item"), (8, "list-item")]


def test_vscode_jsonc_with_inputs_and_remote_http() -> None:
    found = draft(VSCODE, ".vscode/mcp.json")
    elements = by_id(found)
    remote = elements["mcp-remote-docs"]
    assert (remote.transport, remote.third_party, remote.holds_credentials) == (Transport.http, True, None)
    flow = next(f for f in found.flows if f.target == "mcp-remote-docs")
    assert (flow.encrypted, flow.authenticated, flow.protocol) == (False, True, "MCP over HTTP")
    assert elements["mcp-playwright"].dependencies_pinned is False  # @latest is no pin
    assert elements["mcp-config"].holds_credentials is None  # the token is prompted, not stored


def test_zed_and_list_shaped_configurations() -> None:
    zed = {"context_servers": {"postgres": {"command": {"path": "uvx", "args": ["mcp-server-postgres"],
                                                        "env": {"DATABASE_PASSWORD": "${env:PG}"}}}}}
    found = draft_from_mcp_config(zed, "settings.json")
    server = by_id(found)["mcp-postgres"]
    assert (server.installed_from, server.holds_credentials) == ("pypi", True)
    listed = "mcpServers:\n  - name: search\n    command: npx\n    args: [-y, brave-search-mcp]\n"
    data = parse_mcp_config(listed, "config.yaml")
    assert looks_like_mcp_config(data)
    assert by_id(draft_from_mcp_config(data, "config.yaml"))["mcp-search"].installed_from == "npm"


def test_drafted_model_validates_and_gets_ecosystem_threats() -> None:
    found = draft(CLAUDE_DESKTOP)
    system = System(name="Drafted", elements=found.elements, flows=found.flows)
    rules = {t.rule for t in analyze(system).threats}
    assert {"T-ECO-001", "T-ECO-002", "T-ECO-006", "T-ECO-009"} <= rules


def test_bad_input_names_file_and_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_mcp_config('{\n  "mcpServers": {\n    "a": {"command": "npx",,}\n  }\n}', "bad.json")
    [problem] = caught.value.problems
    assert (problem.location.file, problem.location.line) == ("bad.json", 3)
    with pytest.raises(InputError) as caught:
        draft_from_mcp_config({"servers": "nope", "name": "x"}, "other.json")
    assert "no MCP server list" in caught.value.problems[0].message
    assert not looks_like_mcp_config({"mcpServers": {}}) and not looks_like_mcp_config(["x"])


def test_import_command_path(tmp_path: Path) -> None:
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(CLAUDE_DESKTOP, encoding="utf-8")
    result = load_file("mcp-config", path)
    assert [u.path for u in result.unmapped] == ["$.mcpServers.old"]
    assert "ghp_s3cr3t" not in result.text and "kind: mcp_server" in result.text
    assert {e.kind for e in result.system.elements} >= {Kind.mcp_server, Kind.registry, Kind.agent_config}


@given(st.text(alphabet='ab/*", \n{}[]:\\', max_size=40))
def test_strip_jsonc_keeps_plain_json_unchanged(text: str) -> None:
    document = json.dumps({"k": text, "list": [1, 2]})
    assert json.loads(strip_jsonc(document)) == json.loads(document)
