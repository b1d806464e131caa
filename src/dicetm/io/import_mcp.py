"""MCP client configuration files (``mcpServers`` / ``servers`` lists) as a starting model.

The mapping is ``dicetm.ingest.mcp_config``'s (the same one ``describe`` uses): the agent, its configuration
file, one MCP server per entry, the registries packages come from, and the flows between them, every item a
draft. Credential values are never copied; entries that are disabled or not servers are listed as unmapped.
"""

from __future__ import annotations

from typing import Any

from dicetm.ingest.mcp_config import FORMAT, draft_from_mcp_config, looks_like_mcp_config, server_entries
from dicetm.io.interface import Draft, Unmapped
from dicetm.model.system import System


class McpConfigImporter:
    name = FORMAT
    title = "MCP client configuration"
    carried: frozenset[str] = frozenset()  # a configuration, not a model: nothing is kept to be written back

    def detect(self, data: object) -> bool:
        return looks_like_mcp_config(data)

    def convert(self, data: object, source: str) -> Draft:
        assert isinstance(data, dict)  # detect() said so
        drafted = draft_from_mcp_config(data, source)
        section = (server_entries(data) or ("mcpServers", []))[0]
        unmapped = [Unmapped(path=f"$.{section}.{note.split(':', 1)[0].split('.', 1)[-1]}",
                             what="server entry", why=note.split(": ", 1)[-1])
                    for note in drafted.notes if note.startswith(f"{section}.")]
        notes = [n for n in drafted.notes if not n.startswith(f"{section}.")]
        system = System(name=_name(data, source), elements=drafted.elements, flows=drafted.flows)
        return Draft(system=system, unmapped=unmapped, notes=notes)


def _name(data: dict[str, Any], source: str) -> str:
    return f"Agent with the MCP servers of {source.rsplit('/', 1)[-1]}"
