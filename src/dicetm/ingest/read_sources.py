"""Diagram and configuration files as documents: Mermaid, PlantUML, Structurizr DSL, draw.io, docker-compose
and MCP client configuration (``mcp.json``).

Text formats become one span per non-blank line (kind ``code``), so the injection scan reads every line and
the extractors can cite the exact line of a node or an edge; the extractors parse the text back from the
spans they are given, which leaves out whatever the scan withheld. draw.io files are XML (maybe compressed)
and are read by ``read_drawio``. Which format a file is comes from its name (``.mmd``, ``.puml``, ``.dsl``,
``.drawio``, ``.tf``...) and, for ``.yaml``/``.json``/``.xml``/``.svg`` files, from a look at its text: a top-level
``services:`` key is docker-compose, ``apiVersion:`` and ``kind:`` keys a Kubernetes manifest, an ``mcpServers``
key an MCP configuration, an ``<mxfile>`` draw.io. Kubernetes manifests and Terraform files are not parsed
here: Helm templates and HCL the parser cannot read still give the objects that can be read, with a note.
"""

from __future__ import annotations

import re

import yaml

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.documents import Document, Span, sha256_of, split_lines
from dicetm.ingest.limits import ReadLimits
from dicetm.ingest.mcp_config import parse_mcp_config
from dicetm.ingest.read_kubernetes import looks_like_kubernetes

SOURCE_FORMATS = ("mermaid", "plantuml", "structurizr", "drawio", "compose", "mcp", "kubernetes", "terraform")
_BY_SUFFIX = {".mmd": "mermaid", ".mermaid": "mermaid", ".puml": "plantuml", ".plantuml": "plantuml",
              ".pu": "plantuml", ".iuml": "plantuml", ".wsd": "plantuml", ".dsl": "structurizr",
              ".drawio": "drawio", ".dio": "drawio", ".tf": "terraform"}
_SNIFFED = frozenset({".yaml", ".yml", ".json", ".xml", ".svg"})
_COMPOSE = re.compile(r"^services\s*:", re.M)
_MCP = re.compile(r"""["']?(?:mcpServers|context_servers)["']?\s*:|["']mcp["']\s*:\s*\{\s*["']servers["']\s*:""")
_SERVERS = re.compile(r"""["']servers["']\s*:""")  # VS Code's mcp.json: "servers", beside "inputs"
SOURCE_HINT = ("diagrams and configuration: Mermaid (.mmd), PlantUML (.puml), Structurizr DSL (.dsl), draw.io "
               "(.drawio, .drawio.svg, .xml), docker-compose, Kubernetes manifests and MCP configuration (.yaml, "
               ".yml, .json), Terraform (.tf)")


def may_be_source(name: str) -> bool:
    """Whether a file of this name could be a diagram or configuration file (its text decides for some)."""
    lower = name.lower()
    return lower[lower.rfind("."):] in _BY_SUFFIX.keys() | _SNIFFED if "." in lower else False


def source_format(name: str, head: str | None) -> str | None:
    """The source format of a file called ``name`` whose text starts with ``head`` (None: not one of them).

    ``head`` is only needed for the suffixes several formats share; pass None to ask by name alone (then a
    ``.yaml`` or ``.svg`` file is not claimed).
    """
    lower = name.lower()
    suffix = lower[lower.rfind("."):] if "." in lower else ""
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if suffix not in _SNIFFED or head is None:
        return None
    if suffix in (".xml", ".svg"):
        from dicetm.ingest.read_drawio import looks_like_drawio

        return "drawio" if looks_like_drawio(head) else None
    if suffix == ".json":
        named = lower.rsplit("/", 1)[-1].endswith("mcp.json")
        return "mcp" if _MCP.search(head) or (named and _SERVERS.search(head)) else None
    if _COMPOSE.search(head) and not re.search(r"^(?:openapi|swagger)\s*:", head, re.M):
        return "compose"
    if looks_like_kubernetes(head):
        return "kubernetes"
    return "mcp" if _MCP.search(head) else None


def read_source(file: str, text: str, fmt: str, raw: bytes, limits: ReadLimits | None = None) -> Document:
    """One diagram or configuration file as a Document; InputError for a file that cannot be parsed or that goes
    past one of ``limits``."""
    title: str | None = None
    data: object | None = None
    if fmt == "drawio":
        from dicetm.ingest.read_drawio import read_drawio

        spans, title, data = read_drawio(file, text, limits)
    else:
        if fmt == "mcp":  # JSON with comments and trailing commas (VS Code), or YAML
            parse_mcp_config(text, file)  # a broken file is reported here; the extractor re-reads the spans
        elif fmt == "compose":
            _parse_compose(file, text)
        spans = line_spans(file, text)
    return Document(path=file, format=fmt, spans=tuple(spans), sha256=sha256_of(raw), title=title, data=data)


def line_spans(file: str, text: str) -> list[Span]:
    return [Span(file, number, number, line, kind="code")
            for number, line in enumerate(split_lines(text), start=1) if line.strip()]


def _parse_compose(file: str, text: str) -> object:
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise InputError([Problem(f"the docker-compose file cannot be parsed: {getattr(exc, 'problem', exc)}",
                                  Location(file=file, line=line), "check the YAML/JSON syntax at that line")]
                         ) from None
    if not isinstance(data, dict):
        raise InputError([Problem("the file is not a mapping of keys", Location(file=file, line=1),
                                  "a docker-compose file has a top-level `services:` key")])
    return data
