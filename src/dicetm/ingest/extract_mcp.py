"""MCP client configuration (``mcp.json``, ``claude_desktop_config.json``, ``.vscode/mcp.json``): every server
in the file's server section (``mcpServers``, ``servers``... read by ``mcp_config``) is an MCP server the agent
can call, named by its key.

What the configuration says about a server: a read-only flag in its arguments (``--read-only``, ``--readonly``)
gives ``permissions: [read]``; an environment variable named after a product (``SERVICENOW_TOKEN``,
``GITHUB_PERSONAL_ACCESS_TOKEN``) says which system the tool acts on, which becomes an entity with a relation
from the tool; a ``command`` is a local server (``transport: stdio``), a ``url`` a remote one (``transport:
http``) run by someone else (``third_party``), unless its host is a bare service name
("http://mcp-github:8080"): then it is that service of the deployment, named so in a compose file. These facts
are weak: what the documents say in words wins; the server's description is read for facts like any text about
it.

The file itself is an ``agent_config`` element, named by its file name, with the hidden folder it sits in (what
the documents call it: "the servers in `.vscode/mcp.json`"): it decides which servers the client starts. A server
started through a package runner (``npx``, ``uvx``, ``docker run``...) comes from that package registry
(``installed_from``, with ``dependencies_pinned`` from the version written in the arguments), which becomes a
``registry`` element named as documents name it ("PyPI").
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any
from urllib.parse import urlparse

from dicetm.errors import InputError
from dicetm.ingest.extract_compose import product_of_variable
from dicetm.ingest.extract_ir import EXPLICIT, WEAK, Entity, Extraction, Fact, Relation, SourceText, Where
from dicetm.ingest.extract_kinds import classify
from dicetm.ingest.mcp_config import installed_package, is_local_url, parse_mcp_config, server_entries
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import TOOL_KINDS, Kind, Permission, Transport

_READ_ONLY = re.compile(r"^--?read[-_]?only$|^--?readonly$|^--?ro$", re.I)


def extract_mcp(source: SourceText, out: Extraction, prefix: str) -> bool:
    try:
        data = parse_mcp_config(source.text, "mcp configuration")  # JSON with comments (VS Code), or YAML
    except InputError:
        out.note("an MCP configuration could not be read once the scan's withheld lines were taken out")
        return False
    found = server_entries(data)
    if not found or not found[1]:
        return False
    kind = classify("MCP server")
    _the_file(source, out, prefix)
    for name, config in found[1]:
        index = _line_of(source, name)
        where = source.where(index) if index is not None else None
        if where is None:
            continue
        entity = out.entity(f"{prefix}:{name}", name, where, kind=kind, kind_strength=EXPLICIT)
        words = " ".join(w for w in re.split(r"[-_.\s]+", name) if w and w.lower() not in ("mcp", "server"))
        if words:  # "entra-admin" is the "Entra Admin MCP server" the documents describe
            entity.aliases += [a for a in (f"{words} MCP server", f"{words} server") if a not in entity.aliases]
        if not isinstance(config, dict):
            continue
        args = [str(a) for a in config.get("args", []) if isinstance(a, str | int)]
        entity.technology = " ".join([str(config.get("command") or ""), *args]).strip()
        _the_package(out, entity, prefix, str(config.get("command") or ""), args, where)
        if any(_READ_ONLY.match(a) for a in args):
            entity.facts.append(Fact("permissions", [Permission.read], where, WEAK))
        remote = next((str(config[k]) for k in ("url", "serverUrl", "httpUrl") if config.get(k)), "")
        host = urlparse(remote).hostname or ""
        if config.get("command"):
            entity.facts.append(Fact("transport", Transport.stdio, where, WEAK))
        elif remote:
            entity.facts.append(Fact("transport", Transport.http, where, WEAK))
        if host and "." not in host and host != "localhost" and host != name:
            # "http://mcp-github:8080/mcp": the compose service mcp-github, under the name the deployment uses
            entity.name, entity.aliases = host, [name, *entity.aliases]
        elif host and not config.get("command") and not is_local_url(remote):
            entity.facts.append(Fact("third_party", True, where, WEAK))
        if isinstance(config.get("description"), str):
            entity.hint = config["description"]
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


def _the_file(source: SourceText, out: Extraction, prefix: str) -> None:
    """The configuration file as the ``agent_config`` element it is, named by its file name; a hidden folder it
    sits in is part of the name documents use (".vscode/mcp.json", ".cursor/mcp.json"), the bare file name an
    alias."""
    index = next((i for i, home in enumerate(source.homes) if home is not None), None)
    where = source.where(index) if index is not None else None
    if where is None:
        return
    parts = PurePath(where.span.file).parts
    if not parts:
        return
    hidden = len(parts) > 1 and parts[-2].startswith(".") and len(parts[-2]) > 1
    name = "/".join(parts[-2:]) if hidden else parts[-1]
    entity = out.entity(f"{prefix}:file", name, where, kind=Kind.agent_config, kind_strength=EXPLICIT)
    if hidden:
        entity.aliases.append(parts[-1])


def _the_package(out: Extraction, server: Entity, prefix: str, command: str, args: list[str], where: Where
                 ) -> None:
    """A server a package runner installs comes from that registry, pinned or not."""
    package = installed_package(command, args) if command else None
    if package is None:
        return
    known = next((h for h in vocabulary().hits(package.registry_name) if h.product is not None), None)
    name = vocabulary().display.get(known.product, package.registry_name) if known and known.product else \
        package.registry_name  # "PyPI", as documents write it, for "Python Package Index"
    registry = out.entity(f"{prefix}:registry:{package.registry}", name, where,
                          kind=Kind.registry, kind_strength=EXPLICIT)
    if name != package.registry_name:
        registry.aliases.append(package.registry_name)
    server.facts.append(Fact("installed_from", registry.key, where, WEAK))
    server.facts.append(Fact("dependencies_pinned", package.pinned, where, WEAK))
    out.relations.append(Relation(registry.key, server.key, where, "package"))


def _line_of(source: SourceText, key: str) -> int | None:
    pattern = re.compile(rf"""(?:^|[\s{{,])["']?{re.escape(key)}["']?\s*:""")
    return next((i for i, line in enumerate(source.lines) if pattern.search(line)), None)


def connect_the_host(extraction: Extraction, keys: dict[str, Any], hosts: list[Any]) -> None:
    """The servers of an MCP configuration are called by its host, the application that loads it: the component
    the documents name most often beside "MCP servers" or the configuration file ("`mcp.json` is mounted into
    chat-ui", "Claude Desktop with three MCP servers"), never another configuration file. The host runs the
    tool-calling loop: an agent, and it loads the file."""
    servers = [key for key in extraction.entities if key in keys and keys[key].kind() in TOOL_KINDS]
    nodes = {id(keys[k]) for k in servers}
    files = [key for key in extraction.entities if key in keys and keys[key].kind() is Kind.agent_config]
    nodes |= {id(keys[k]) for k in files}
    counts: dict[int, int] = {}
    for node in hosts:
        if id(node) not in nodes and node.kind() is not Kind.agent_config:
            counts[id(node)] = counts.get(id(node), 0) + 1
    if not servers or not counts:
        return
    best = max(counts.values())
    chosen = [n for n in hosts if counts.get(id(n)) == best]
    if len({id(n) for n in chosen}) != 1:
        return
    host = chosen[0]
    host.implied_kind = Kind.agent
    for key in servers:
        where = extraction.entities[key].where[0] if extraction.entities[key].where else None
        if where is not None:
            extraction.relations.append(Relation(host.entities[0].key, key, where, "MCP tool calls",
                                                 bidirectional=True))
    for key in files:  # the client loads the file
        where = extraction.entities[key].where[0] if extraction.entities[key].where else None
        if where is not None:
            extraction.relations.append(Relation(key, host.entities[0].key, where, "MCP server list"))
