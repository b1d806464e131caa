"""A tool that is only how its invoker does what the invoker may do anyway (a terminal an agent that runs commands
on the machine types into) is reported once, on the invoker, which names the tool; a tool with rights of its own
keeps its findings."""

from __future__ import annotations

from typing import Any

from dicetm.model import System

from .helpers import findings, system_of


def _desktop(terminal_permissions: list[str]) -> System:
    elements: list[dict[str, Any]] = [
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "agent", "name": "Desktop agent", "kind": "agent", "permissions": ["read", "execute"],
         "acts_on": "host"},
        {"id": "terminal", "name": "Terminal", "kind": "tool", "permissions": terminal_permissions,
         "acts_on": "host"},
        {"id": "host", "name": "Workstation", "kind": "process", "executes_code": True},
    ]
    return system_of(elements, [("user", "agent", True), ("agent", "terminal", False), ("terminal", "host", False)])


def test_a_tool_within_its_invokers_rights_is_reported_on_the_invoker() -> None:
    system = _desktop(["execute"])
    for rule in ("T-AGENT-001", "T-AGENT-005", "T-AGENT-013"):
        assert not any(t.startswith(f"{rule}@terminal") for t in findings(rule, system)), rule
    assert "terminal" in findings("T-AGENT-005", system)["T-AGENT-005@agent"].elements
    assert "terminal" in findings("T-AGENT-012", system)["T-AGENT-012@agent"].elements


def test_a_tool_with_rights_its_invoker_lacks_keeps_its_own_findings() -> None:
    system = _desktop(["execute", "write"])
    assert "T-AGENT-001@terminal" in findings("T-AGENT-001", system)
    assert "T-AGENT-005@terminal" in findings("T-AGENT-005", system)


def test_the_machine_an_agent_runs_commands_on_is_named_by_the_agent_not_reported_again() -> None:
    elements: list[dict[str, Any]] = [
        {"id": "user", "name": "Developer", "kind": "external_entity"},
        {"id": "agent", "name": "Coding agent", "kind": "agent", "permissions": ["execute"], "acts_on": "host"},
        {"id": "host", "name": "Workstation", "kind": "process", "executes_code": True},
    ]
    system = system_of(elements, [("user", "agent", True), ("agent", "host", True)])
    found = findings("T-AGENT-005", system)
    assert set(found) == {"T-AGENT-005@agent"} and "host" in found["T-AGENT-005@agent"].elements


def _server_with_tools(listed: bool) -> System:
    elements: list[dict[str, Any]] = [
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "agent", "name": "Assistant", "kind": "agent"},
        {"id": "server", "name": "Project MCP server", "kind": "mcp_server"},
        {"id": "projects", "name": "Projects", "kind": "data_store", "classification": "confidential"},
    ]
    flows = [("user", "agent", True), ("agent", "server", True), ("server", "projects", True)]
    if listed:
        elements.append({"id": "edit", "name": "Edit task tool", "kind": "tool", "server": "server",
                         "permissions": ["write"], "acts_on": "projects"})
    return system_of(elements, flows)


def test_an_mcp_server_whose_tools_are_listed_is_reported_through_its_tools() -> None:
    for rule in ("T-AGENT-001", "T-AGENT-002"):
        found = findings(rule, _server_with_tools(True))
        assert f"{rule}@server" not in found and "server" in found[f"{rule}@edit"].elements, rule
        assert f"{rule}@server" in findings(rule, _server_with_tools(False)), rule


def test_a_listed_tool_for_something_else_does_not_hide_what_the_server_itself_acts_on() -> None:
    elements: list[dict[str, Any]] = [
        {"id": "user", "name": "User", "kind": "external_entity"},
        {"id": "agent", "name": "Claims agent", "kind": "agent"},
        {"id": "server", "name": "Payments MCP server", "kind": "mcp_server", "permissions": ["write"],
         "acts_on": "payments"},
        {"id": "payments", "name": "Payment provider", "kind": "process"},
        {"id": "customer", "name": "Customer mailbox", "kind": "data_store"},
        {"id": "mail", "name": "Email tool", "kind": "tool", "server": "server", "permissions": ["write"],
         "acts_on": "customer"},
    ]
    flows = [("user", "agent", True), ("agent", "server", True), ("server", "payments", True),
             ("server", "customer", False)]
    system = system_of(elements, flows)
    for rule in ("T-AGENT-001", "T-AGENT-002"):
        found = findings(rule, system)
        assert f"{rule}@server" in found and "payments" in found[f"{rule}@server"].elements, rule
        assert f"{rule}@mail" in found, rule
