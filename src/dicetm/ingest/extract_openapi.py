"""OpenAPI descriptions: the API as a process, one shared "API client" and a flow per operation (per path
group when there are more than ``MAX_OPERATION_FLOWS``).

``authenticated`` comes from the security requirements (an empty list, or an empty requirement object, means
anonymous callers are allowed; no requirement anywhere means unknown; the API itself only gets a value when
all operations agree), ``exposure`` from the server hosts (``internet`` when a server has a public host;
``internal`` when every server is loopback, a private address, a single-label name or an ``.internal``-style
name; relative, templated and ``example.com``-style placeholder hosts say nothing), ``protocol``/``encrypted``
from the URL schemes when they all agree. An operation whose span the scan flagged still gets its flow, from
the document's structure alone: its span reference is marked ``flagged`` and none of its text (summary,
description) is copied into the model, so that withholding text from prompts never removes structure. An
operation with no span at all is left out, with a note.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dicetm.ingest.documents import Document, Span
from dicetm.ingest.extract_ir import EXPLICIT, Extraction, Fact, Relation, Remark, Where
from dicetm.ingest.read_openapi import operations
from dicetm.ingest.secrets import redact
from dicetm.model.system import Exposure, Kind

MAX_OPERATION_FLOWS = 25
CLIENT = "API client"  # the caller the description implies; the documents may name it (see ``name_the_client``)
MAX_LISTED_OPERATIONS = 12  # operations named in the `data` of a grouped flow
_LLM_WORDS = re.compile(r"\b(chat|completions?|generate|generation|ask|prompts?|agents?|embed(?:dings?)?)\b", re.I)
_PLACEHOLDER_HOSTS = re.compile(r"(^|\.)(example\.(com|org|net)|[^.]+\.(example|test|invalid))$")
_PRIVATE_SUFFIXES = (".internal", ".local", ".localhost", ".lan", ".corp", ".intranet", ".home.arpa", ".svc",
                     ".private", ".localdomain")


def name_the_client(extractions: list[Extraction], keys: dict[str, Any], registry: Any) -> None:
    """When the other documents name the one component that calls an API ("the app calls the Onboarding API"),
    the API's implied "API client" is that component: its operation flows are that component's."""
    for extraction in (e for e in extractions if e.by == "extract:openapi"):
        for key, entity in extraction.entities.items():
            if entity.name != CLIENT or key not in keys:
                continue
            client, api = keys[key], keys.get(key.rsplit(":", 1)[0] + ":api")
            callers = {id(keys[r.source]): keys[r.source] for e in extractions if e is not extraction
                       for r in e.relations if r.target in keys and keys[r.target] is api and r.source in keys
                       and keys[r.source] is not client and keys[r.source] is not api}
            if len(callers) == 1:
                entity.kind = None  # what the caller is, its own documents say
                registry.merge(next(iter(callers.values())), client, keys)


def extract_openapi(document: Document, out: Extraction, prefix: str,
                    flagged: Mapping[Span, str] | None = None) -> bool:
    """``flagged``: spans the scan withheld, with their finding categories (see the module docstring)."""
    if document.format != "openapi" or not isinstance(document.data, dict):
        return False
    _OpenApi(document, document.data, out, prefix, flagged or {}).add()
    return True


class _OpenApi:
    def __init__(self, document: Document, data: dict[str, Any], out: Extraction, prefix: str,
                 flagged: Mapping[Span, str]) -> None:
        self.document, self.data, self.out, self.prefix = document, data, out, prefix
        self.flagged = {span: why for span, why in flagged.items() if span.file == document.path}
        self.where = document.path

    def add(self) -> None:
        spans = self.document.visible_spans
        title_span = next((s for s in spans if s.kind == "heading"), None)
        name = title_span.text if title_span else Path(self.document.path).stem
        api = self.out.entity(f"{self.prefix}:api", name, Where.whole(title_span) if title_span else None,
                              kind=Kind.process, kind_strength=EXPLICIT)
        server_spans = [s for s in spans if s.kind == "text" and s.text.split()]
        urls = [s.text.split()[0] for s in server_spans]
        exposure = _exposure(urls)
        if exposure is not None:
            for span, url in zip(server_spans, urls, strict=True):
                api.facts.append(Fact("exposure", exposure, Where.at(span, 0, len(url))))
        first_operation = next((s.line for s in spans if s.kind == "operation"), None)
        for span in spans:  # the API's description and its servers' descriptions: read for facts
            if span.kind == "paragraph" and (first_operation is None or span.line < first_operation):
                self.out.remarks.append(Remark(span, 0, len(span.text), api.key))
        client = self.out.entity(f"{self.prefix}:client", CLIENT, api.where[0] if api.where else None,
                                 kind=Kind.external_entity, kind_strength=EXPLICIT)
        transport = _transport(urls)
        found = self._operations()
        results = [self._security(operation, f"{method.upper()} {path}") for path, method, operation in found]
        known = set(results)
        uniform = len(known) == 1 and bool(found) and None not in known
        if True in known and False in known:
            anonymous = [f"{m.upper()} {p}" for (p, m, _), r in zip(found, results, strict=True) if r is False]
            self.out.note(f"{self.where}: some operations require authentication and some do not "
                          f"({', '.join(anonymous[:5])}); the API's `authenticated` is left unset")
        grouped = len(found) > MAX_OPERATION_FLOWS
        groups: dict[str, list[tuple[str, Span, bool | None, dict[str, Any]]]] = {}
        for (path, method, operation), authenticated in zip(found, results, strict=True):
            head = redact(f"{method.upper()} {path}")
            operation_span, why = self._span_of(method, path)
            if operation_span is None:
                self.out.note(f"{self.where}: {head} is not among the document's spans; no flow drafted for it")
                continue
            if why is not None:
                self.out.note(f"{self.where}: the scan flagged {head} ({why}); its flow is drafted from the "
                              "document's structure only, none of its text")
                operation = {}  # nothing of its text (summary, description) goes into the model
            if uniform:
                api.facts.append(Fact("authenticated", results[0], self._where(operation_span, head, why)))
            slug = (f"{Path(self.document.path).stem}-{_path_group(path)}" if grouped
                    else str(operation.get("operationId") or f"{method}-{path}"))
            groups.setdefault(slug, []).append((head, operation_span, authenticated, operation))
        for slug, members in groups.items():
            self._flow(client.key, api.key, slug, members, transport)
        llm_like = [f"{method.upper()} {path}" for path, method, operation in found
                    if _LLM_WORDS.search(f"{path} {operation.get('summary', '')} {operation.get('operationId', '')}")]
        if llm_like:
            listed = ", ".join(llm_like[:5]) + (f" and {len(llm_like) - 5} more" if len(llm_like) > 5 else "")
            self.out.note(f"{self.where}: {listed} look like LLM functions (chat, completion, generation, prompt, "
                          "agent or embedding); the description does not say which model serves them, so no "
                          "model element was drafted")

    def _flow(self, client: str, api: str, slug: str, members: list[tuple[str, Span, bool | None, dict[str, Any]]],
              transport: tuple[str, bool] | None) -> None:
        head, span, _, operation = members[0]
        where = self._where(span, head, self.flagged.get(span))
        if len(members) > 1 or slug.startswith(f"{Path(self.document.path).stem}-"):
            heads = [m[0] for m in members]
            more = len(heads) - MAX_LISTED_OPERATIONS
            data = ", ".join(heads[:MAX_LISTED_OPERATIONS]) + (f" and {more} more" if more > 0 else "")
        else:
            summary = str(operation.get("summary") or "").strip()
            data = f"{head}: {summary}" if summary else head
        facts = []
        values = {m[2] for m in members}
        if len(values) == 1 and None not in values:
            facts.append(Fact("authenticated", values.pop(), where))
        if transport is not None:
            facts += [Fact("protocol", transport[0], where), Fact("encrypted", transport[1], where)]
        self.out.relations.append(Relation(client, api, where, data, facts=facts, slug=slug))

    def _operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        paths = self.data.get("paths")
        if not isinstance(paths, dict):
            return []
        return [(str(path), method, operation) for path, item in paths.items()
                for method, operation in operations(item)]

    def _span_of(self, method: str, path: str) -> tuple[Span | None, str | None]:
        """The operation's span, and why the scan flagged it (None when it did not)."""
        head = f"{method.upper()} {path}"
        for spans in (self.document.visible_spans, self.flagged):
            span = next((s for s in spans if s.kind == "operation" and s.text.split(" — ")[0] == head), None)
            if span is not None:
                return span, self.flagged.get(span)
        return None, None

    @staticmethod
    def _where(span: Span, head: str, flagged: str | None) -> Where:
        """The operation's head as the quote; a flagged span is marked so and quotes only the (redacted) head."""
        where = Where.at(span, 0, len(head))
        return where if flagged is None else dataclasses.replace(where, quote=head, flagged=flagged)

    def _security(self, operation: dict[str, Any], head: str) -> bool | None:
        """True: a defined scheme is required; False: anonymous calls are allowed; None: not stated."""
        requirements = operation["security"] if "security" in operation else self.data.get("security")
        if requirements is None:
            return None
        if not isinstance(requirements, list) or not all(isinstance(r, dict) for r in requirements):
            self.out.note(f"{self.where}: {head}: `security` is not a list of requirements; authentication "
                          "left unset")
            return None
        if not requirements or any(not r for r in requirements):
            return False
        components = self.data.get("components")
        schemes = (components.get("securitySchemes") if isinstance(components, dict) else None) or \
            self.data.get("securityDefinitions")
        missing = sorted({str(n) for r in requirements for n in r} - set(schemes if isinstance(schemes, dict) else ()))
        if missing:
            self.out.note(f"{self.where}: {head} requires the security scheme(s) {', '.join(missing)}, which the "
                          "document does not define; authentication left unset")
            return None
        return True


def _path_group(path: str) -> str:
    """The first path segment that is not a version or ``api`` (``/v1/chat/messages`` -> ``chat``)."""
    for segment in path.strip("/").split("/"):
        if segment and not re.fullmatch(r"(v\d+(\.\d+)*|api)", segment, re.I):
            return segment
    return "root"


def _host_class(url: str) -> str | None:
    """ "public", "private" or None (relative, templated or placeholder host: nothing can be said)."""
    parts = urlsplit(url if "//" in url else f"//{url}" if re.match(r"^[\w.-]+(:\d+)?(/|$)", url) else url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or "{" in url.split("//", 1)[-1].split("/", 1)[0] or _PLACEHOLDER_HOSTS.search(host):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or "." not in host or host.endswith(_PRIVATE_SUFFIXES):
            return "private"
        return "public"
    return "private" if address.is_private or address.is_loopback or address.is_link_local else "public"


def _exposure(urls: list[str]) -> Exposure | None:
    classes = {_host_class(url) for url in urls}
    if "public" in classes:
        return Exposure.internet
    if classes == {"private"}:
        return Exposure.internal
    return None


def _transport(urls: list[str]) -> tuple[str, bool] | None:
    schemes = {urlsplit(url).scheme.lower() for url in urls if "://" in url}
    if schemes == {"https"}:
        return ("HTTPS", True)
    if schemes == {"http"}:
        return ("HTTP", False)
    return None
