"""MCP client configuration (``mcp.json``, ``claude_desktop_config.json``, ``.vscode/mcp.json``): every server
under ``mcpServers`` (or ``servers``) is a tool the agent can call, named by its key.

What the configuration says about a server: a read-only flag in its arguments (``--read-only``,
``--readonly``) gives ``permissions: [read]``; an environment variable named after a product
(``SERVICENOW_TOKEN``, ``GITHUB_PERSONAL_ACCESS_TOKEN``) says which system the tool acts on, which becomes an
entity with a relation from the tool; a ``url`` instead of a ``command`` is a remote server run by someone
else (``third_party``). These facts are weak: what the documents say in words wins.
"""

from __future__ import annotations

import re

from dicetm.errors import InputError
from dicetm.ingest.extract_compose import product_of_variable
from dicetm.ingest.extract_ir import EXPLICIT, WEAK, Extraction, Fact, Relation, SourceText
from dicetm.ingest.extract_kinds import classify
from dicetm.ingest.mcp_config import is_local_url, parse_mcp_config, server_entries
from dicetm.model.system import Permission, Transport

_READ_ONLY = re.compile(r"^--?read[-_]?only$|^--?readonly$|^--?ro$", re.I)


def extract_mcp(source: SourceText, out: Extraction, prefix: str) -> bool:
    try:
        data = parse_mcp_config(source.text, "mcp configuration")
    except InputError:
        out.note("an MCP configuration could not be read once the scan's withheld lines were taken out")
        return False
    found = server_entries(data)
    if not found or not found[1]:
        return False
    kind = classify("MCP server")
    for name, config in found[1]:
        index = _line_of(source, name)
        where = source.where(index) if index is not None else None
        if where is None:
            continue
        entity = out.entity(f"{prefix}:{name}", name, where, kind=kind, kind_strength=EXPLICIT)
        if not isinstance(config, dict):
            continue
        args = [str(a) for a in config.get("args", []) if isinstance(a, str | int)]
        entity.technology = " ".join([str(config.get("command") or ""), *args]).strip()
        if any(_READ_ONLY.match(a) for a in args):
            entity.facts.append(Fact("permissions", [Permission.read], where, WEAK))
        remote = next((str(config[k]) for k in ("url", "serverUrl", "httpUrl") if config.get(k)), None)
        if remote and not config.get("command"):
            entity.facts.append(Fact("transport", Transport.http, where, WEAK))
            if not is_local_url(remote):
                entity.facts.append(Fact("third_party", True, where, WEAK))
        elif config.get("command"):
            entity.facts.append(Fact("transport", Transport.stdio, where, WEAK))
        environment = config.get("env")
        environment = environment if isinstance(environment, dict) else {}
        for variable in environment:
            product = product_of_variable(str(variable))
            if product is None:
                continue
            line = _line_of(source, str(variable))
            var_where = (source.where(line) if line is not None else None) or where
            target = out.entity(f"{prefix}:product:{product}", product, var_where, structural=False)
            out.relations.append(Relation(entity.key, target.key, var_where))
    return True


def _line_of(source: SourceText, key: str) -> int | None:
    pattern = re.compile(rf"""(?:^|[\s{{,])["']?{re.escape(key)}["']?\s*:""")
    return next((i for i, line in enumerate(source.lines) if pattern.search(line)), None)
