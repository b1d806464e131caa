"""Golden tests: each bundled example surfaces the threats and controls a reviewer would expect, offline,
with stable output, full OWASP LLM 2025 coverage for the chatbot and only ATLAS ids that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dicetm.api import analyze_path
from dicetm.catalog import load_catalog
from dicetm.report import render

REPO = Path(__file__).resolve().parents[2]
EXPECTATIONS = yaml.safe_load((Path(__file__).parent / "expectations.yaml").read_text(encoding="utf-8"))
EXAMPLES = sorted(EXPECTATIONS)


@pytest.fixture(scope="module", params=EXAMPLES)
def analysed(request):  # type: ignore[no-untyped-def]
    loaded, result = analyze_path(REPO / "examples" / request.param)
    return request.param, loaded, result


def test_expected_threats_surface(analysed) -> None:  # type: ignore[no-untyped-def]
    name, _loaded, result = analysed
    missing = []
    for expected in EXPECTATIONS[name]["threats"]:
        if not any(t.rule == expected["rule"] and expected["element"] in t.elements for t in result.threats):
            missing.append(f"{expected['rule']} on {expected['element']} ({expected['why']})")
    assert not missing, f"{name}: missing threats: {missing}"


def test_expected_controls_suggested(analysed) -> None:  # type: ignore[no-untyped-def]
    name, _loaded, result = analysed
    suggested = {c.id for c in result.countermeasures}
    missing = [f"{c['id']} ({c['why']})" for c in EXPECTATIONS[name]["controls"] if c["id"] not in suggested]
    assert not missing, f"{name}: missing controls: {missing}"


def test_list_stays_reviewable(analysed) -> None:  # type: ignore[no-untyped-def]
    name, loaded, result = analysed
    per_component = len(result.threats) / len(loaded.system.elements)
    assert per_component <= 3.0, f"{name}: {per_component:.2f} threats per component"
    assert result.raw_findings >= len(result.threats)
    ids = [t.id for t in result.threats]
    assert len(ids) == len(set(ids))


def test_nothing_is_covered_before_a_person_decides(analysed) -> None:  # type: ignore[no-untyped-def]
    _name, _loaded, result = analysed
    assert all(c.status.value == "proposed" for c in result.countermeasures)
    assert result.evaluation.threats_covered == 0
    assert all(entry.open for entry in result.evaluation.residual_risks)


def test_output_is_stable(analysed) -> None:  # type: ignore[no-untyped-def]
    name, loaded, result = analysed
    _again_loaded, again = analyze_path(REPO / "examples" / name)
    for fmt in ("json", "md", "csv", "html"):
        assert render(fmt, result, loaded.system) == render(fmt, again, loaded.system)


def test_atlas_ids_exist(analysed) -> None:  # type: ignore[no-untyped-def]
    _name, loaded, result = analysed
    catalog = load_catalog()
    text = render("json", result, loaded.system)
    atlas_ids = set(re.findall(r"atlas:AML\.[A-Z]+\d{4}(?:\.\d{3})?", text))
    assert atlas_ids, "no ATLAS technique named"
    assert all(catalog.has(ref) for ref in atlas_ids)


def test_chatbot_covers_every_owasp_llm_item() -> None:
    loaded, result = analyze_path(REPO / "examples" / "support-chatbot")
    text = render("json", result, loaded.system)
    for n in range(1, 11):
        assert f"owasp-llm:LLM{n:02d}:2025" in text


def test_atlas_ids_match_mitre_file(shared_dir: Path) -> None:
    """Every ATLAS id the chatbot analysis mentions exists in MITRE's ATLAS 5.6.0 file."""
    atlas_file = shared_dir / "data" / "atlas" / "ATLAS.yaml"
    mitre_ids = set(re.findall(r"^\s*(?:- )?id: (AML\.[A-Z]+\d{4}(?:\.\d{3})?)\s*$", atlas_file.read_text(), re.M))
    loaded, result = analyze_path(REPO / "examples" / "support-chatbot")
    mentioned = set(re.findall(r"AML\.[A-Z]+\d{4}(?:\.\d{3})?", render("json", result, loaded.system)))
    assert mentioned and mentioned <= mitre_ids, mentioned - mitre_ids


def test_decisions_cover_threats(tmp_path: Path) -> None:
    """A person's settings in the model file change coverage and residual risk; nothing else does."""
    source = (REPO / "examples" / "support-chatbot" / "dicetm.yaml").read_text(encoding="utf-8")
    _loaded, before = analyze_path(REPO / "examples" / "support-chatbot")
    target = next(t for t in before.threats if t.rule == "T-AGENT-001")
    decided = source.replace("countermeasures: []", "countermeasures:\n  - control: C-AGT-001\n"
                             "    status: implemented\n    owner: Dana Lee\n    evidence: https://example.invalid/x\n")
    decided = decided.replace("residual_risks: []", f"residual_risks:\n  - threat: {before.threats[-1].id}\n"
                              "    owner: Sam Ortiz\n    decision: accept\n    business_impact: Minor.\n"
                              "    review_by: '2027-06-30'\n")
    assert decided != source
    (tmp_path / "dicetm.yaml").write_text(decided, encoding="utf-8")
    _loaded, after = analyze_path(tmp_path)
    row = next(m for m in after.evaluation.matrix if m.threat == target.id)
    assert row.covered and "C-AGT-001" in row.covered_by
    assert row.residual_score < row.inherent_score
    assert "C-AGT-001 implemented" in row.arithmetic
    accepted = next(m for m in after.evaluation.matrix if m.threat == before.threats[-1].id)
    assert "residual-risk" in accepted.covered_by
    assert after.evaluation.threats_covered > before.evaluation.threats_covered
