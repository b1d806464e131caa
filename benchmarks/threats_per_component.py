"""Threats per component: how long the reviewable list is, on the bundled examples and generated models.

Usage: python benchmarks/threats_per_component.py [--sizes 60,300,1200] [--detail grouped|full] [--limit 3]

Each threat corpus under ``benchmarks/threat_corpus/`` is measured as a whole (all its systems' threats over all
their elements). The generated models are built from the shapes AI systems have (a RAG chatbot, an agent with tools and
memory, a training and serving pipeline), repeated with their facts varied deterministically, so every rule
family gets to fire; the synthetic model of ``benchmarks/scale.py`` is measured too when it is there. Prints
elements, threats and threats per element for each model; exits 1 when one exceeds ``--limit`` (default 3,
the figure default detail must stay at or under).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dicetm.api import load
from dicetm.model import System
from dicetm.pipeline.run import analyze

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CORPORA = REPO / "benchmarks" / "threat_corpus"
Shape = Callable[[str, int], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def _flip(index: int, salt: int) -> bool | None:
    """Deterministic true / false / unset for a fact: about a third each."""
    return (None, True, False)[(index * 7 + salt * 3) % 3]


def _facts(index: int, **names: int) -> dict[str, Any]:
    return {name: value for name, salt in names.items() if (value := _flip(index, salt)) is not None}


def chatbot(p: str, i: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    elements = [
        {"id": f"{p}user", "name": f"User {i}", "kind": "external_entity"},
        {"id": f"{p}web", "name": f"Chat front end {i}", "kind": "process",
         "exposure": ("internet", "internal")[i % 2], **_facts(i, authenticated=1, rate_limited=2)},
        {"id": f"{p}llm", "name": f"Chat model {i}", "kind": "llm",
         "model_provenance": ("vendor_api", "open_weights_verified", "in_house")[i % 3],
         **_facts(i, logs_prompts=3, system_prompt_has_secrets=4, budget_limited=5)},
        {"id": f"{p}retriever", "name": f"Retriever {i}", "kind": "retriever", **_facts(i, multi_tenant=6)},
        {"id": f"{p}vectors", "name": f"Vector index {i}", "kind": "vector_store",
         "classification": ("internal", "confidential", "personal")[i % 3], **_facts(i, encrypted_at_rest=7)},
        {"id": f"{p}kb", "name": f"Knowledge base {i}", "kind": "knowledge_source", **_facts(i, untrusted_content=8)},
        {"id": f"{p}ingest", "name": f"Ingestion {i}", "kind": "embedding_pipeline"},
        {"id": f"{p}logs", "name": f"Chat logs {i}", "kind": "log_store", **_facts(i, logs_prompts=9)},
    ]
    flows = [(f"{p}user", f"{p}web", "questions"), (f"{p}web", f"{p}llm", "prompts"),
             (f"{p}retriever", f"{p}llm", "passages"), (f"{p}vectors", f"{p}retriever", "chunks"),
             (f"{p}kb", f"{p}ingest", "documents"), (f"{p}ingest", f"{p}vectors", "embeddings"),
             (f"{p}web", f"{p}logs", "transcripts")]
    return elements, [{"id": f"{a}-{b}", "source": a, "target": b, "data": d, "bidirectional": d == "prompts"}
                      for a, b, d in flows]


def agent(p: str, i: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    elements = [
        {"id": f"{p}user", "name": f"Operator {i}", "kind": "external_entity"},
        {"id": f"{p}agent", "name": f"Agent {i}", "kind": "agent",
         **_facts(i, human_approval_required=1, budget_limited=2, audit_logging=3, rate_limited=4)},
        {"id": f"{p}model", "name": f"Agent model {i}", "kind": "llm", "third_party": True,
         "model_provenance": "vendor_api"},
        {"id": f"{p}shell", "name": f"Shell tool {i}", "kind": "tool", "permissions": ["execute"],
         "acts_on": f"{p}box", **_facts(i, sandboxed=5)},
        {"id": f"{p}box", "name": f"Workspace {i}", "kind": "process", **_facts(i, holds_credentials=6)},
        {"id": f"{p}crm", "name": f"CRM tool {i}", "kind": "tool", "permissions": ["read", "write"],
         "acts_on": f"{p}records"},
        {"id": f"{p}records", "name": f"Records {i}", "kind": "data_store",
         "classification": ("confidential", "personal")[i % 2], **_facts(i, multi_tenant=7)},
        {"id": f"{p}web", "name": f"Web fetch {i}", "kind": "tool", "permissions": ["read"], "acts_on": f"{p}pages"},
        {"id": f"{p}pages", "name": f"Web pages {i}", "kind": "knowledge_source", "untrusted_content": True},
        {"id": f"{p}memory", "name": f"Agent memory {i}", "kind": "memory", **_facts(i, multi_tenant=8)},
    ]
    flows = [(f"{p}user", f"{p}agent", "tasks", False), (f"{p}agent", f"{p}model", "prompts", True),
             (f"{p}agent", f"{p}shell", "commands", True), (f"{p}shell", f"{p}box", "exec", True),
             (f"{p}agent", f"{p}crm", "calls", True), (f"{p}crm", f"{p}records", "queries", True),
             (f"{p}agent", f"{p}web", "urls", True), (f"{p}web", f"{p}pages", "fetches", True),
             (f"{p}agent", f"{p}memory", "notes", True)]
    return elements, [{"id": f"{a}-{b}", "source": a, "target": b, "data": d, "bidirectional": bi}
                      for a, b, d, bi in flows]


def pipeline(p: str, i: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    elements = [
        {"id": f"{p}data", "name": f"Training set {i}", "kind": "training_data",
         "training_data_provenance": ("public_web", "curated", "user_generated")[i % 3]},
        {"id": f"{p}tune", "name": f"Fine-tuning job {i}", "kind": "fine_tuning_pipeline",
         **_facts(i, dependencies_pinned=1)},
        {"id": f"{p}serve", "name": f"Served model {i}", "kind": "llm", "model_provenance": "in_house",
         "exposure": ("internet", "partner", "internal")[i % 3], **_facts(i, rate_limited=2, authenticated=3)},
        {"id": f"{p}client", "name": f"API client {i}", "kind": "external_entity"},
    ]
    flows = [(f"{p}data", f"{p}tune", "examples"), (f"{p}tune", f"{p}serve", "weights"),
             (f"{p}client", f"{p}serve", "requests")]
    return elements, [{"id": f"{a}-{b}", "source": a, "target": b, "data": d} for a, b, d in flows]


SHAPES: tuple[Shape, ...] = (chatbot, agent, pipeline)


def generated_model(size: int) -> dict[str, Any]:
    """At least ``size`` elements: the shapes repeated, each copy in its own trust boundary."""
    elements: list[dict[str, Any]] = []
    flows: list[dict[str, Any]] = []
    boundaries: list[dict[str, Any]] = []
    index = 0
    while len(elements) < size:
        shape = SHAPES[index % len(SHAPES)]
        made, linked = shape(f"s{index}-", index)
        elements += made
        flows += linked
        inside = [e["id"] for e in made if e["kind"] != "external_entity"]
        boundaries.append({"id": f"zone-{index}", "name": f"Zone {index}", "elements": inside})
        index += 1
    return {"version": 1, "name": f"generated {size}", "elements": elements, "flows": flows,
            "trust_boundaries": boundaries}


def _scale_model(size: int) -> dict[str, Any] | None:
    """benchmarks/scale.py's synthetic model, when that benchmark is present."""
    path = Path(__file__).with_name("scale.py")
    spec = importlib.util.spec_from_file_location("dicetm_scale_benchmark", path)
    if not path.is_file() or spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model: dict[str, Any] = module.synthetic_model(size)
    return model


def measure(system: System, detail: str) -> tuple[int, int, float]:
    threats = len(analyze(system, detail=detail).threats)
    count = len(system.elements)
    return count, threats, threats / count if count else 0.0


def rows(sizes: list[int], detail: str) -> list[tuple[str, int, int, float]]:
    found = []
    for folder in sorted(p for p in EXAMPLES.iterdir() if (p / "dicetm.yaml").is_file()):
        found.append((f"example {folder.name}", *measure(load(folder).system, detail)))
    for corpus in sorted(p for p in CORPORA.iterdir() if p.is_dir()):
        systems = sorted(p for p in corpus.iterdir() if (p / "dicetm.yaml").is_file())
        if systems:
            counts = [measure(load(folder).system, detail) for folder in systems]
            elements, threats = sum(c[0] for c in counts), sum(c[1] for c in counts)
            found.append((f"corpus {corpus.name} ({len(systems)} systems)", elements, threats, threats / elements))
    for size in sizes:
        found.append((f"generated {size}", *measure(System.model_validate(generated_model(size)), detail)))
        scale = _scale_model(size)
        if scale is not None:
            found.append((f"scale.py synthetic {size}", *measure(System.model_validate(scale), detail)))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60,300,1200", help="element counts of the generated models")
    parser.add_argument("--detail", choices=("grouped", "full"), default="grouped")
    parser.add_argument("--limit", type=float, default=3.0, help="exit 1 above this many threats per element")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    table = rows(sizes, args.detail)
    print(f"{'model':<40} {'elements':>8} {'threats':>8} {'per element':>12}")
    for name, elements, threats, ratio in table:
        print(f"{name:<40} {elements:>8} {threats:>8} {ratio:>12.2f}")
    over = [name for name, _e, _t, ratio in table if ratio > args.limit]
    if over:
        print(f"above {args.limit:g} threats per element: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
