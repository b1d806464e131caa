"""benchmarks/threat_coverage.py scores by the strict rule of THREAT_CORPUS_FORMAT.md: a reference threat is found
when one threat is tied to one of its elements (its elements or the ends of its flows) and carries one of its refs
(ATLAS sub-technique and parent match both ways; ``stride:`` refs count only when nothing else is listed); refs
are compared in the catalogue's spelling, so ``owasp-asi:ASI01`` and ``owasp-asi:ASI01:2026`` are one id."""

from __future__ import annotations

from types import ModuleType

import pytest
from tests.script_module import load_script

from dicetm.catalog import Catalog, load_catalog
from dicetm.model import System
from dicetm.pipeline.run import analyze


@pytest.fixture(scope="module")
def coverage() -> ModuleType:
    return load_script("benchmarks/threat_coverage.py")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _wanted(coverage: ModuleType, catalog: Catalog, *refs: str) -> set[str]:
    item = coverage.ReferenceThreat(id="R1", elements=["x"], refs=list(refs))
    return coverage.wanted_refs(catalog, item)


@pytest.mark.parametrize("spelling", ["owasp-asi:ASI01:2026", "owasp-asi:ASI01", "OWASP-ASI:asi01"])
def test_both_spellings_of_an_agentic_id_match(coverage: ModuleType, catalog: Catalog, spelling: str) -> None:
    assert coverage.matches(_wanted(coverage, catalog, spelling), {"owasp-asi:ASI01:2026"})


def test_atlas_sub_technique_and_parent_match_both_ways_but_siblings_do_not(coverage: ModuleType,
                                                                          catalog: Catalog) -> None:
    assert coverage.matches(_wanted(coverage, catalog, "atlas:AML.T0051.001"), {"atlas:AML.T0051"})
    assert coverage.matches(_wanted(coverage, catalog, "atlas:AML.T0051"), {"atlas:AML.T0051.000"})
    assert not coverage.matches(_wanted(coverage, catalog, "atlas:AML.T0051.001"), {"atlas:AML.T0051.000"})


def test_stride_counts_only_when_nothing_else_is_listed(coverage: ModuleType, catalog: Catalog) -> None:
    assert _wanted(coverage, catalog, "stride:D") == {"stride:D"}
    assert _wanted(coverage, catalog, "stride:R", "cwe:CWE-778") == {"cwe:CWE-778"}
    assert not coverage.matches(_wanted(coverage, catalog, "stride:R", "cwe:CWE-778"), {"stride:R"})


SYSTEM = System.model_validate({
    "name": "scoring",
    "elements": [
        {"id": "a", "name": "Partner", "kind": "external_entity"},
        {"id": "b", "name": "Intake", "kind": "process", "exposure": "internal"},
        {"id": "c", "name": "Archive", "kind": "data_store"},
    ],
    "flows": [{"id": "f1", "source": "a", "target": "b", "data": "files"},
              {"id": "f2", "source": "b", "target": "c", "data": "records"}],
    "trust_boundaries": [{"id": "inside", "name": "Inside", "elements": ["b", "c"]}],
})


def test_a_threat_is_tied_to_the_ends_of_its_flows(coverage: ModuleType, catalog: Catalog) -> None:
    result = analyze(SYSTEM, catalog=catalog)
    # One threat on element a that names flow f2 (b to c) and cites CWE-287 and stride S.
    threat = result.threats[0].model_copy(update={"elements": ["a"], "flows": ["f2"], "stride": ["S"],
                                                   "references": ["cwe:CWE-287", "owasp-asi:ASI03:2026"]})
    assert coverage.threat_ends(SYSTEM, threat) == {"a", "b", "c"}
    reference = coverage.Reference.model_validate({"threats": [
        {"id": "R1", "elements": ["c"], "refs": ["stride:S"]},  # tied through the flow's end, stride alone
        {"id": "R2", "elements": ["c"], "refs": ["stride:S", "cwe:CWE-306"]},  # stride does not count here
        {"id": "R3", "elements": ["b"], "refs": ["owasp-asi:ASI99", "owasp-asi:ASI03"]},
        {"id": "R4", "elements": ["x-not-modelled"], "refs": ["cwe:CWE-287"]},
    ]})
    scored = coverage.score("scoring", SYSTEM, result.model_copy(update={"threats": [threat]}), reference, catalog)
    assert scored.found == ["R1", "R3"]
    assert [m.id for m in scored.missed] == ["R2", "R4"]
    assert scored.unknown_refs == ["owasp-asi:ASI99"]
    assert scored.unknown_elements == ["x-not-modelled"]


def test_explain_lists_the_threats_on_a_missed_references_elements(coverage: ModuleType, catalog: Catalog) -> None:
    result = analyze(SYSTEM, catalog=catalog)
    threat = result.threats[0].model_copy(update={"elements": ["b"], "flows": [], "rule": "T-STRIDE-001",
                                                   "references": ["cwe:CWE-306"]})
    reference = coverage.Reference.model_validate({"threats": [
        {"id": "R1", "title": "SSRF", "elements": ["b"], "refs": ["cwe:CWE-918"]},
        {"id": "R2", "title": "Nothing there", "elements": ["c"], "refs": ["cwe:CWE-918"]}]})
    scored = coverage.score("scoring", SYSTEM, result.model_copy(update={"threats": [threat]}), reference, catalog)
    lines = coverage.report([scored], catalog, show_missed=False, explain=True)
    at_r1 = lines.index(next(line for line in lines if "missed R1" in line))
    assert lines[at_r1 + 1].strip().startswith("dicetm T-STRIDE-001 on b:") and "cwe:CWE-306" in lines[at_r1 + 1]
    at_r2 = lines.index(next(line for line in lines if "missed R2" in line))
    assert lines[at_r2 + 1].strip() == "dicetm (no threat there)"
    assert not any("dicetm" in line for line in coverage.report([scored], catalog, show_missed=True))
