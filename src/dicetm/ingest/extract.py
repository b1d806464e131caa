"""Draft a system model from documents without any LLM: the deterministic half of "describe from documents".

The coordinator. Each document goes to the extractor of its kind, which reads it into the shared
intermediate representation (``extract_ir``): OpenAPI descriptions (``extract_openapi``), Mermaid
(``extract_mermaid``), PlantUML (``extract_plantuml``), Structurizr DSL (``extract_structurizr``), draw.io
(``extract_drawio``), docker-compose (``extract_compose``), Kubernetes (``extract_kubernetes``), Terraform
(``extract_terraform``) and MCP configuration (``extract_mcp``) files, and
the structure of prose documents (``extract_prose``, ``extract_tables``), whose code blocks may hold diagrams
of their own (those kinds, or arrows drawn in text: ``extract_ascii``). The resolver (``extract_resolve``)
merges the components of all documents; then the sentences of the prose are read against everything known
(``extract_sentences``, ``extract_sentence_facts``) for flows, facts and zones, and the
resolver turns it all into one model (``extract_mentions`` finds components in text, ``extract_flows`` reads the
flows of a clause, ``extract_roles`` who uses, calls or shows what beyond a verb and its object, ``extract_facts``
and ``extract_kinds`` the data files of phrases and words).

Nothing is guessed: every element, flow and boundary carries ``provenance`` (``draft: true``) with the spans
and the exact words it rests on; a fact is set only where a document states it, and facts the documents state
differently are left unset with a question naming both places. What could not be mapped is said: ``notes``,
``unresolved`` (statements that looked like flows, with their place) and ``questions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dicetm.ingest.documents import Document, Span
from dicetm.ingest.extract_ascii import extract_text_diagram, is_text_diagram
from dicetm.ingest.extract_compose import extract_compose
from dicetm.ingest.extract_derive import derive_facts
from dicetm.ingest.extract_drawio import extract_drawio
from dicetm.ingest.extract_ir import Extraction, Remark, SourceText, Unresolved, follow_the_data
from dicetm.ingest.extract_kubernetes import extract_kubernetes
from dicetm.ingest.extract_mcp import connect_the_host, extract_mcp
from dicetm.ingest.extract_mentions import find_mentions
from dicetm.ingest.extract_mermaid import extract_mermaid, is_mermaid
from dicetm.ingest.extract_model import draft_system
from dicetm.ingest.extract_openapi import MAX_OPERATION_FLOWS, extract_openapi, name_the_client
from dicetm.ingest.extract_plantuml import extract_plantuml, is_plantuml
from dicetm.ingest.extract_products import merge_restatements
from dicetm.ingest.extract_prose import PROSE_FORMATS, ProseDocument, read_structure
from dicetm.ingest.extract_resolve import Node, Registry
from dicetm.ingest.extract_sentences import SentenceReader
from dicetm.ingest.extract_structurizr import extract_structurizr, is_structurizr
from dicetm.ingest.extract_terraform import extract_terraform
from dicetm.model.system import Kind, System

__all__ = ["MAX_OPERATION_FLOWS", "Draft", "extract_draft"]

_DIAGRAMS = frozenset({"extract:mermaid", "extract:plantuml", "extract:structurizr", "extract:drawio",
                       "extract:text-diagram"})
_TEXT_SOURCES: dict[str, Callable[[SourceText, Extraction, str], bool]] = {
    "mermaid": extract_mermaid, "plantuml": extract_plantuml, "structurizr": extract_structurizr,
    "compose": extract_compose, "mcp": extract_mcp, "kubernetes": extract_kubernetes, "terraform": extract_terraform,
}


@dataclass
class Draft:
    """A drafted model (valid, every item marked ``draft``) and what the extractor could not do."""

    system: System
    notes: list[str] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)  # statements that looked like flows
    questions: list[str] = field(default_factory=list)  # facts the documents state differently


def extract_draft(documents: Sequence[Document], *, name: str | None = None,
                  flagged: Mapping[Span, str] | None = None) -> Draft:
    """Draft the components, flows and zones the documents state, without any LLM (see the module docstring).

    ``flagged``: the spans the scan withheld (left out of ``documents``), each with its finding categories; an
    OpenAPI operation among them still gives its flow, from the structure alone (see ``extract_openapi``).
    """
    extractions: list[Extraction] = []
    proses: list[tuple[ProseDocument, str]] = []
    others: list[tuple[ProseDocument, str]] = []  # diagrams and configurations, for their remarks
    for index, document in enumerate(documents):
        prefix = f"d{index + 1}"
        if document.format in PROSE_FORMATS:
            prose = read_structure(document, prefix)
            proses.append((prose, prefix))
            extractions.append(prose.extraction)
            diagrams = _diagrams_in(prose, prefix)
            extractions += diagrams
            others += [(ProseDocument(document, d), prefix) for d in diagrams]
        else:
            extraction = Extraction(f"extract:{document.format}")
            if document.format == "openapi":
                extract_openapi(document, extraction, prefix, flagged or {})
            elif document.format == "drawio":
                extract_drawio(document, extraction, prefix)
            elif document.format in _TEXT_SOURCES:
                _TEXT_SOURCES[document.format](SourceText.of_lines(document.visible_spans), extraction, prefix)
            extractions.append(extraction)
            others.append((ProseDocument(document, extraction), prefix))
    for extraction in extractions:
        if extraction.by in _DIAGRAMS:
            for relation in extraction.relations:
                follow_the_data(relation)
    registry = Registry()
    keys: dict[str, Node] = {}
    for extraction in extractions:
        keys.update(registry.add_extraction(extraction))
    registry.products.index(registry.nodes)
    reader = SentenceReader(registry, keys)
    reader.discover(proses)  # every component the prose names is known before any sentence is read for flows
    registry.merge_bare_headings(keys)
    registry.merge_short_names(keys)
    registry.merge_reordered_names(keys)
    registry.merge_identifier_names(keys)
    for prose, prefix in proses:
        reader.read(prose, prefix)
    for other, prefix in others:
        _describing(other.extraction)
        reader.read_remarks(other, prefix)
    diagrammed = {id(entity) for e in extractions if e.by in _DIAGRAMS for entity in e.entities.values()}
    merge_restatements(registry, keys, diagrammed)
    for extraction in (e for e in extractions if e.by == "extract:mcp"):
        connect_the_host(extraction, keys, reader.mcp_hosts)
    name_the_client(extractions, keys, registry)
    derive_facts(extractions, keys)
    for zone, prose, excluded in reader.everything:
        placed = {m for e in extractions for z in e.zones if z is not zone for m in z.members} | excluded
        for key, node in keys.items():
            if key.startswith(_prefix_of(prose, proses)) and key not in placed and node.used and \
                    node.kind() is not Kind.external_entity and key not in zone.members:
                zone.members.append(key)
    title = name or next((d.title for d in documents if d.title), None) or next(
        (s.text for d in documents for s in d.visible_spans if s.kind == "heading"), None)
    system = draft_system(registry, title or "Drafted system", extractions, keys)
    notes = [n for e in extractions for n in e.notes] + reader.notes + registry.notes
    for prose, _ in proses:
        for span, heading in prose.excluded:
            for mention in find_mentions(span.text, registry, denied=True):
                if mention.node is None or not mention.node.used:
                    notes.append(f"{span.where}: '{mention.words}' not drafted: it is in the section '{heading}'")
    unresolved = [u for e in extractions for u in e.unresolved] + reader.unresolved
    return Draft(system, _unique(notes), unresolved, registry.questions)


def _diagrams_in(prose: ProseDocument, prefix: str) -> list[Extraction]:
    """Mermaid, PlantUML and Structurizr diagrams, and diagrams drawn in text, in the code blocks of a prose
    document."""
    found = []
    for number, span in enumerate(s for s in prose.document.visible_spans if s.kind == "code"):
        source = SourceText.of_block(span)
        for test, extractor, by in ((is_mermaid, extract_mermaid, "mermaid"), (is_plantuml, extract_plantuml,
                                                                                  "plantuml"),
                                    (is_structurizr, extract_structurizr, "structurizr"),
                                    (is_text_diagram, extract_text_diagram, "text-diagram")):
            if test(span.text):
                extraction = Extraction(f"extract:{by}")
                extractor(source, extraction, f"{prefix}:code{number}")
                found.append(extraction)
                prose.blocks = [b for b in prose.blocks if b.span is not span]
                break
    return found


def _describing(extraction: Extraction) -> None:
    """The description a diagram or a configuration gives an element ("Search UI. Internal only, Okta sign-in.")
    is a remark about that element."""
    for entity in extraction.entities.values():
        if not entity.hint or not entity.where:
            continue
        span = entity.where[0].span
        start = span.text.find(entity.hint)
        if start >= 0:
            extraction.remarks.append(Remark(span, start, start + len(entity.hint), entity.key))


def _prefix_of(prose: ProseDocument, proses: list[tuple[ProseDocument, str]]) -> str:
    return next(prefix for p, prefix in proses if p is prose) + ":"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
