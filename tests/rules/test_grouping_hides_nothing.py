"""Folding and grouping shorten the list but hide nothing: every element a raw finding is tied to (its elements
and the ends of its flows) and every reference it carries are on the grouped threat that holds it, so a reviewer
looking at one element sees every threat that applies to it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from dicetm.api import load
from dicetm.model import System, Threat
from dicetm.pipeline.run import analyze
from dicetm.store.modelfile import load_system

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if (p / "dicetm.yaml").is_file())
DEV_CORPUS = sorted(p for p in (REPO / "benchmarks" / "threat_corpus").glob("*/*") if (p / "dicetm.yaml").is_file())


def _generated(size: int) -> System:
    spec = importlib.util.spec_from_file_location("tpc", REPO / "benchmarks" / "threats_per_component.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return System.model_validate(module.generated_model(size))


def _ends(system: System, threat: Threat) -> set[str]:
    ends = set(threat.elements)
    for flow_id in threat.flows:
        flow = system.flow_by_id[flow_id]
        ends |= {flow.source, flow.target}
    return ends


def _lost(system: System) -> list[str]:
    holder: dict[str, Threat] = {}
    for threat in analyze(system).threats:
        for finding in (threat.id, *threat.members, *threat.folded):
            holder.setdefault(finding, threat)
    lost = []
    for raw in analyze(system, detail="full").threats:
        kept = holder.get(raw.id)
        if kept is None:
            lost.append(f"{raw.id} is in no grouped threat")
            continue
        elements = _ends(system, raw) - _ends(system, kept)
        references = set(raw.references) - set(kept.references)
        if elements or references:
            lost.append(f"{raw.id} in {kept.id} loses {sorted(elements)} {sorted(references)}")
    return lost


@pytest.mark.parametrize("folder", EXAMPLES + DEV_CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_grouped_threats_keep_every_element_and_reference(folder: Path) -> None:
    system = load(folder).system if folder.parent.name == "examples" else load_system(folder / "dicetm.yaml").system
    assert _lost(system) == []


def test_generated_model_keeps_every_element_and_reference() -> None:
    assert _lost(_generated(120)) == []


def test_a_folded_generic_finding_keeps_its_elements() -> None:
    """T-DATA-005 folds T-STRIDE-008 on a training set stated to hold outsiders' content; T-DATA-005 names no
    writer then, and the writer T-STRIDE-008 names stays on the threat."""
    system = System.model_validate({
        "name": "fold",
        "elements": [
            {"id": "crawler", "name": "Crawler", "kind": "external_entity"},
            {"id": "corpus", "name": "Web corpus", "kind": "training_data", "untrusted_content": True},
            {"id": "tune", "name": "Fine-tuning", "kind": "fine_tuning_pipeline"},
        ],
        "flows": [{"id": "f1", "source": "crawler", "target": "corpus"}, {"id": "f2", "source": "corpus",
                                                                          "target": "tune"}],
    })
    grouped = {t.id: t for t in analyze(system).threats}
    assert "T-STRIDE-008@corpus" in grouped["T-DATA-005@corpus"].folded
    assert "crawler" in grouped["T-DATA-005@corpus"].elements


def test_a_finding_absorbs_the_same_gap_on_an_element_it_names() -> None:
    """T-LLM-019 (flooding a model) names the gateway without a rate limit; the gateway's own 'no rate limit'
    finding (T-STRIDE-005) folds into it, and the gateway keeps the threat with every reference."""
    system = System.model_validate({
        "name": "flood",
        "elements": [
            {"id": "user", "name": "Visitor", "kind": "external_entity"},
            {"id": "gateway", "name": "API gateway", "kind": "process", "exposure": "internet"},
            {"id": "model", "name": "Chat model", "kind": "llm", "model_provenance": "in_house"},
        ],
        "flows": [{"id": "f1", "source": "user", "target": "gateway"},
                  {"id": "f2", "source": "gateway", "target": "model", "bidirectional": True}],
    })
    full = {t.id: t for t in analyze(system, detail="full").threats}
    assert {"T-LLM-019@model", "T-STRIDE-005@gateway"} <= set(full)
    grouped = {t.id: t for t in analyze(system).threats}
    assert "T-STRIDE-005@gateway" not in grouped
    flooding = grouped["T-LLM-019@model"]
    assert "T-STRIDE-005@gateway" in flooding.folded and "gateway" in flooding.elements
    assert set(full["T-STRIDE-005@gateway"].references) <= set(flooding.references)
