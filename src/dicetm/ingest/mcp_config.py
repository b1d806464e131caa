"""Draft the agent side of a system from an MCP client configuration file.

MCP clients list the servers they connect to in a small JSON (or YAML) file: ``mcpServers`` in Claude
Desktop's ``claude_desktop_config.json``, Cursor's and Claude Code's ``.mcp.json``, Windsurf, Cline and most
others; ``servers`` in VS Code's ``.vscode/mcp.json`` (which allows comments and trailing commas); the same
under ``mcp.servers`` in VS Code settings; ``context_servers`` in Zed. A server entry either starts a local
process (``command`` and ``args``, ``env``) or points at a remote one (``url`` / ``serverUrl`` / ``httpUrl``,
``headers``, ``type: http|sse|streamable-http``).

From that the draft holds (every item ``provenance.draft: true``, by ``extract:mcp-config``):

- one ``agent`` for the client, and one ``agent_config`` for the file itself, which the client loads;
- one ``mcp_server`` per enabled server, with ``transport`` (stdio or http), ``third_party`` (a remote host that
  is not local), ``holds_credentials`` (an environment variable or header whose name says key, token, secret
  or password), ``human_approval_required: false`` when the entry auto-approves tools, and
  ``installed_from`` + ``dependencies_pinned`` when the command installs a package (npx, bunx, uvx, pipx,
  docker/podman run);
- one ``registry`` per package source used (npm, PyPI, a container registry);
- a flow from the client to each server (``MCP over stdio`` / ``MCP over HTTPS``; encrypted for https, not
  for plain http to a remote host; authenticated when an authorisation header is configured) and from the
  file to the client.

Credential values never enter the draft or its provenance: names only. When the file itself holds a literal
secret (not a ``${input:...}`` / ``${env:...}`` reference), the configuration element says
``holds_credentials: true``. Nothing else is guessed; what could not be read is said in ``notes``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import yaml

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.documents import Span
from dicetm.model.system import Element, Flow, Kind, SourceInfo, SpanRef, Transport

EXTRACTOR = "extract:mcp-config"
FORMAT = "mcp-config"
SERVER_SECTIONS = (("mcpServers",), ("servers",), ("mcp_servers",), ("mcp", "servers"), ("context_servers",))
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw|api[_-]?key|apikey|private[_-]?key|credential|auth|(^|_)pat$|"
                          r"(^|_)key$)")
_REFERENCE = re.compile(r"^\s*\$\{?[A-Za-z_][\w:.-]*\}?\s*$|\$\{(input|env|secret):")
_REMOTE_TYPES = frozenset({"http", "sse", "streamable-http", "streamablehttp", "streamable_http"})
_APPROVE_KEYS = ("autoApprove", "alwaysAllow", "auto_approve")
_NPM_RUNNERS = {"npx": 0, "bunx": 0, "pnpx": 0}
_PACKAGE_RUNNERS = {"pnpm": "dlx", "yarn": "dlx", "npm": "exec", "uv": "run", "pipx": "run"}


@dataclass
class McpDraft:
    """Elements and flows drafted from one configuration file, and what could not be read."""

    elements: list[Element] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Package:
    registry: str  # registry element id
    registry_name: str
    name: str
    pinned: bool


# ----------------------------------------------------------------------------------------------- reading


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas (VS Code's JSONC) as plain JSON; strings are left alone and line
    numbers are kept."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            j = _string_end(text, i)
            out.append(text[i:j])
            i = j
        elif text.startswith("//", i) or text.startswith("/*", i):
            j = _comment_end(text, i)
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif char == "," and _next_significant(text, i + 1) in ("}", "]"):
            i += 1  # a trailing comma
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    j = start + 1
    while j < len(text) and text[j] != '"':
        j += 2 if text[j] == "\\" else 1
    return min(j + 1, len(text))


def _comment_end(text: str, start: int) -> int:
    if text.startswith("//", start):
        end = text.find("\n", start)
        return len(text) if end < 0 else end
    end = text.find("*/", start + 2)
    return len(text) if end < 0 else end + 2


def _next_significant(text: str, start: int) -> str:
    """The next character that is neither white space nor inside a comment ('' at the end)."""
    i = start
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("//", i) or text.startswith("/*", i):
            i = _comment_end(text, i)
        else:
            return text[i]
    return ""


def parse_mcp_config(text: str, file: str) -> Any:
    """The configuration as plain data (JSON, JSONC or YAML); InputError names the line and column."""
    body = text.lstrip("\ufeff")
    if not body.strip():
        raise InputError([Problem("the file is empty", Location(file=file), "pass an MCP client configuration")])
    if _next_significant(body, 0) in ("{", "["):
        try:
            return json.loads(strip_jsonc(body))
        except json.JSONDecodeError as exc:
            raise InputError([Problem(f"the file is not valid JSON: {exc.msg}",
                                      Location(file=file, line=exc.lineno, column=exc.colno),
                                      "check the JSON syntax (commas, quotes, brackets)")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise InputError([Problem(f"the file is not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                  where, "check the indentation and quoting")]) from None


def server_entries(data: object) -> tuple[str, list[tuple[str, Any]]] | None:
    """The section holding the servers (``mcpServers``...) and its (name, entry) pairs; None when there is none.

    A section may map names to entries, or list entries that carry a ``name``."""
    if not isinstance(data, Mapping):
        return None
    for path in SERVER_SECTIONS:
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            return ".".join(path), [(str(name), entry) for name, entry in node.items()]
        if isinstance(node, list):
            return ".".join(path), [(str(e.get("name") or f"server-{i + 1}") if isinstance(e, Mapping) else
                                     f"server-{i + 1}", e) for i, e in enumerate(node)]
    return None


def looks_like_mcp_config(data: object) -> bool:
    """A mapping with a server section whose entries start a command or name a URL."""
    found = server_entries(data)
    if found is None or not found[1]:
        return False
    return any(isinstance(entry, Mapping) and ({"command", "url", "serverUrl", "httpUrl"} & set(entry))
               for _name, entry in found[1])


def server_lines(text: str, names: list[str]) -> dict[str, int]:
    """1-based line of each server's key in the text (its first occurrence as a key), for provenance."""
    lines: dict[str, int] = {}
    for name in names:
        match = re.search(rf'^[ \t]*(?:"{re.escape(name)}"|{re.escape(name)})[ \t]*:', text, re.M)
        if match is None:
            match = re.search(rf'name["\']?\s*:\s*["\']?{re.escape(name)}\b', text)
        if match is not None:
            lines[name] = text.count("\n", 0, match.start()) + 1
    return lines


def read_mcp_config(file: str, text: str) -> tuple[list[Span], str | None, Any]:
    """Reader registration: spans (one per server, credential values withheld), a title and the parsed data.

    The same shape as ``read_openapi``, so ``readers.read_document`` can route ``FORMAT`` files here."""
    data = parse_mcp_config(text, file)
    found = server_entries(data)
    if found is None:
        raise InputError([Problem("no MCP server list found (mcpServers, servers, mcp.servers or context_servers)",
                                  Location(file=file, line=1), "pass an MCP client configuration file")])
    _section, entries = found
    lines = server_lines(text, [name for name, _entry in entries])
    total = text.count("\n") + 1
    spans = []
    starts = sorted(lines.values())
    for name, entry in entries:
        line = lines.get(name, 1)
        following = [s for s in starts if s > line]
        spans.append(Span(file=file, line=line, end_line=(following[0] - 1) if following else total,
                          text=describe_entry(name, entry), kind="list-item"))
    return spans, "MCP client configuration", data


def describe_entry(name: str, entry: Any) -> str:
    """One readable line for a server entry, with credential values replaced by their names."""
    if not isinstance(entry, Mapping):
        return f"{name}: (not a server entry)"
    parts = [name + ":"]
    command: Any = entry.get("command")
    args: Any = entry.get("args")
    if isinstance(command, Mapping):  # Zed's older shape: {"path": ..., "args": [...]}
        args = command.get("args")
        command = command.get("path")
    words = [str(a) for a in args if isinstance(a, str | int | float)] if isinstance(args, list) else []
    if isinstance(command, str) and command:
        parts.append(" ".join(["command", command, *words]))
    url = next((u for u in (entry.get(k) for k in ("url", "serverUrl", "httpUrl")) if isinstance(u, str)), None)
    if url:
        parts.append(f"url {url}")
    for label, values in (("env", entry.get("env")), ("headers", entry.get("headers"))):
        if isinstance(values, Mapping) and values:
            parts.append(f"{label} " + ", ".join(
                f"{k} (value withheld)" if _secret(k) else f"{k}={v}" for k, v in values.items()))
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------- drafting


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "server"


def _secret(name: object) -> bool:
    return bool(_SECRET_NAME.search(str(name)))


def _literal(value: object) -> bool:
    """A value written into the file itself rather than a reference to a variable or a prompted input."""
    return isinstance(value, str) and bool(value.strip()) and not _REFERENCE.search(value)


def is_local_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return address.is_loopback or address.is_private or address.is_link_local


def _npm_pinned(spec: str) -> bool:
    _name, _sep, version = spec[1:].partition("@") if spec.startswith("@") else spec.partition("@")
    return bool(version) and version not in ("latest", "next") and not version.startswith(("^", "~", ">", "<", "*"))


def installed_package(command: str, args: list[str]) -> _Package | None:
    """The package a launcher command installs and runs, with its registry and whether it is pinned."""
    program = command.rsplit("/", 1)[-1].lower().removesuffix(".cmd").removesuffix(".exe")
    rest = [a for a in args if isinstance(a, str)]
    if program in _PACKAGE_RUNNERS:
        if not rest or rest[0] != _PACKAGE_RUNNERS[program]:
            return None
        rest = rest[1:]
        program = {"pnpm": "npx", "yarn": "npx", "npm": "npx", "uv": "uvx", "pipx": "uvx"}[program]
    positional = [a for a in rest if not a.startswith("-")]
    if program in _NPM_RUNNERS and positional:
        spec = positional[0]
        return _Package("npm", "npm registry", spec, _npm_pinned(spec))
    if program == "uvx" and positional:
        spec = positional[0]
        if "--from" in rest and rest.index("--from") + 1 < len(rest):
            spec = rest[rest.index("--from") + 1]
        pinned = "==" in spec or bool(re.search(r"@\d", spec))
        return _Package("pypi", "Python Package Index", spec, pinned)
    if program in ("docker", "podman") and rest[:1] == ["run"]:
        image = next((a for a in _docker_positional(rest[1:])), None)
        if image is None:
            return None
        host = image.split("/", 1)[0] if "/" in image and ("." in image.split("/", 1)[0] or ":" in
                                                            image.split("/", 1)[0]) else "docker.io"
        return _Package(_slug(host) + "-registry", f"Container registry {host}", image, "@sha256:" in image)
    return None


def _docker_positional(args: list[str]) -> list[str]:
    """Positional arguments of ``docker run`` (skipping options and their values)."""
    with_value = {"-e", "--env", "-v", "--volume", "-p", "--publish", "--name", "--network", "--env-file", "-w",
                  "--workdir", "-u", "--user", "--mount", "--entrypoint", "--platform"}
    found, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in with_value:
            skip = True
        elif not arg.startswith("-"):
            found.append(arg)
    return found


class _Drafter:
    def __init__(self, source: str, lines: Mapping[str, int], client_name: str | None) -> None:
        self.source = source
        self.lines = lines
        self.draft = McpDraft()
        self.taken: set[str] = set()
        self.registries: dict[str, Element] = {}
        self.file_holds_secrets = False
        name = client_name or "Agent (MCP client)"
        self.client = self._element("mcp-client", name, Kind.agent, line=1,
                                    description=f"The agent whose MCP servers {source} lists.")

    def _id(self, base: str) -> str:
        candidate, number = base, 1
        while candidate in self.taken:
            number += 1
            candidate = f"{base}-{number}"
        self.taken.add(candidate)
        return candidate

    def _provenance(self, line: int | None, quote: str | None) -> SourceInfo:
        spans = [SpanRef(file=self.source, line=line, quote=quote)] if line else []
        return SourceInfo(by=EXTRACTOR, spans=spans)

    def _element(self, base: str, name: str, kind: Kind, *, line: int | None, quote: str | None = None,
                 **facts: Any) -> Element:
        element = Element(id=self._id(base), name=name, kind=kind, provenance=self._provenance(line, quote), **facts)
        self.draft.elements.append(element)
        return element

    def _flow(self, source: Element, target: Element, data: str, line: int | None, **facts: Any) -> None:
        self.draft.flows.append(Flow(id=self._id(f"{source.id}-to-{target.id}"), source=source.id,
                                     target=target.id, data=data, provenance=self._provenance(line, None), **facts))

    def server(self, name: str, entry: Any, section: str) -> None:
        line = self.lines.get(name)
        if not isinstance(entry, Mapping):
            self.draft.notes.append(f"{section}.{name}: not a server entry (expected a mapping); left out")
            return
        if entry.get("disabled") is True or entry.get("enabled") is False:
            self.draft.notes.append(f"{section}.{name}: disabled in the file; left out")
            return
        command = entry.get("command")
        args = entry.get("args")
        if isinstance(command, Mapping):  # Zed: {"path": ..., "args": [...], "env": {...}}
            args, entry = command.get("args"), {**entry, "env": command.get("env") or entry.get("env")}
            command = command.get("path")
        command = command if isinstance(command, str) and command.strip() else None
        args = [str(a) for a in args if isinstance(a, str | int | float)] if isinstance(args, list) else []
        url = next((u for u in (entry.get(k) for k in ("url", "serverUrl", "httpUrl")) if isinstance(u, str)), None)
        kind_text = str(entry.get("type") or entry.get("transport") or "").lower()
        remote = bool(url) and (kind_text in _REMOTE_TYPES or not command)
        if not command and not url:
            self.draft.notes.append(f"{section}.{name}: neither a command nor a URL; left out")
            return
        facts: dict[str, Any] = {"transport": Transport.http if remote else Transport.stdio}
        secrets = self._secrets(entry)
        if secrets and not remote:  # a local server is started with them in its environment
            facts["holds_credentials"] = True
        approved = [tools for key in _APPROVE_KEYS if isinstance(tools := entry.get(key), list) and tools]
        if approved:
            facts["human_approval_required"] = False
        package = None if remote or command is None else installed_package(command, args)
        if remote and isinstance(url, str):
            facts["third_party"] = None if is_local_url(url) else True
        if package is not None:
            facts["installed_from"] = self._registry(package).id
            facts["dependencies_pinned"] = package.pinned
        description = describe_entry(name, entry)
        server = self._element(f"mcp-{_slug(name)}", f"{name} MCP server", Kind.mcp_server, line=line, quote=name,
                               description=description,
                               **{k: v for k, v in facts.items() if v is not None})
        flow_facts: dict[str, Any] = {"bidirectional": True}
        if remote and isinstance(url, str):
            scheme = urlsplit(url).scheme.lower()
            flow_facts["protocol"] = f"MCP over {scheme.upper() or 'HTTP'}"
            if scheme == "https":
                flow_facts["encrypted"] = True
            elif scheme == "http" and not is_local_url(url):
                flow_facts["encrypted"] = False
            headers = entry.get("headers")
            if isinstance(headers, Mapping) and any(_secret(k) for k in headers):
                flow_facts["authenticated"] = True
        else:
            flow_facts["protocol"] = "MCP over stdio"
        self._flow(self.client, server, "tool calls and results", line, **flow_facts)

    def _secrets(self, entry: Mapping[str, Any]) -> list[str]:
        """Names of credential-looking variables and headers; notes when the file holds a literal value."""
        names = []
        for section in ("env", "headers"):
            values = entry.get(section)
            if not isinstance(values, Mapping):
                continue
            for key, value in values.items():
                if _secret(key):
                    names.append(str(key))
                    if _literal(value):
                        self.file_holds_secrets = True
        return names

    def _registry(self, package: _Package) -> Element:
        if package.registry not in self.registries:
            self.registries[package.registry] = self._element(package.registry, package.registry_name, Kind.registry,
                                                              line=None, third_party=True)
        return self.registries[package.registry]

    def finish(self) -> McpDraft:
        facts: dict[str, Any] = {"holds_credentials": True} if self.file_holds_secrets else {}
        config = self._element("mcp-config", f"MCP client configuration ({self.source})", Kind.agent_config,
                               line=1, description="The file that lists the servers the client starts or connects to.",
                               **facts)
        self._flow(config, self.client, "server list, launch commands and environment", 1)
        if self.file_holds_secrets:
            self.draft.notes.append(f"{self.source} holds credential values itself (not references to variables "
                                    "or prompted inputs); only their names were read")
        return self.draft


def draft_from_mcp_config(config: Mapping[str, Any], source: str, lines: Mapping[str, int] | None = None, *,
                          client_name: str | None = None) -> McpDraft:
    """Drafted elements and flows (with provenance) for an MCP client configuration already parsed.

    ``lines``: the line of each server's entry (``server_lines``), for provenance; ``client_name`` names the
    agent (default "Agent (MCP client)"). An InputError when the data has no server list."""
    found = server_entries(config)
    if found is None:
        raise InputError([Problem("no MCP server list found (mcpServers, servers, mcp.servers or context_servers)",
                                  Location(file=source, path="$"), "pass an MCP client configuration file")])
    section, entries = found
    drafter = _Drafter(source, lines or {}, client_name)
    for name, entry in entries:
        drafter.server(name, entry, section)
    if not any(e.kind is Kind.mcp_server for e in drafter.draft.elements):
        drafter.draft.notes.append(f"{section} lists no server that could be drafted")
    return drafter.finish()


__all__ = ["EXTRACTOR", "FORMAT", "McpDraft", "describe_entry", "draft_from_mcp_config", "installed_package",
           "looks_like_mcp_config",
           "parse_mcp_config", "read_mcp_config", "server_entries", "server_lines", "strip_jsonc"]
