"""`dicetm catalog check`: passes on the shipped catalogue, fails (exit 1) on a planted wrong id or name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dicetm.catalog import Catalog, load_catalog
from dicetm.catalog.check import check_catalog, check_references
from dicetm.catalog_check import rule_problems, run_check
from dicetm.errors import Location
from dicetm.rules import registry
from dicetm.rules.base import Rule

from .helpers import invoke

REPO = Path(__file__).resolve().parents[2]


def model_with(tmp_path: Path, references: list[str], control_refs: list[str] | None = None) -> Path:
    """The chatbot example with one stated threat (and one custom control) citing ``references``."""
    data = yaml.safe_load((REPO / "examples" / "support-chatbot" / "dicetm.yaml").read_text(encoding="utf-8"))
    data["threats"] = [{"id": "TM-1", "title": "Hand-written threat", "elements": ["hosted-llm"],
                        "references": references}]
    data["controls"] = [{"id": "X-1", "name": "Custom control", "references": control_refs or []}]
    path = tmp_path / "dicetm.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_catalogue_and_rules_pass(atlas_file: Path) -> None:
    done = invoke("check", "--atlas", atlas_file)
    assert done.code == 0, done.stdout + done.stderr
    assert "cite only current framework ids and names" in done.stdout
    assert run_check() == []


def test_a_model_citing_current_ids_passes(tmp_path: Path) -> None:
    path = model_with(tmp_path, ["owasp-llm:LLM06:2025", "owasp-llm:LLM03:2026", "AML.T0051", "cwe:CWE-352",
                                 "owasp-asi:ASI02:2026"])
    assert invoke("check", path).code == 0


def test_planted_wrong_ids_in_a_model_fail_with_their_line(tmp_path: Path) -> None:
    path = model_with(tmp_path, ["owasp-llm:LLM11:2025", "atlas:AML.T9999", "owasp-asi:ASI01:2025"],
                      ["owasp-llm:LLM06:2023", "owasp-llm:LLM06"])
    done = invoke("check", path)
    assert done.code == 1
    text = done.stdout
    assert "5 problems" in text
    assert "owasp-llm:LLM11:2025 is unknown" in text
    assert "atlas:AML.T9999 is unknown in ATLAS 5.6.0" in text
    assert "did you mean owasp-asi:ASI01:2026" in text
    assert "owasp-llm:LLM06:2023 (Sensitive Information Disclosure) is from the outdated 2023 edition" in text
    assert "use owasp-llm:LLM02:2025 (2026: owasp-llm:LLM02:2026)" in text
    assert "owasp-llm:LLM06 is ambiguous" in text and "owasp-llm:LLM03:2026" not in text.split("ambiguous")[0]
    assert f"{path}:" in text and "threats[0].references[0]" in text and "controls[0].references[1]" in text


def test_planted_wrong_id_in_rule_metadata_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = registry.all_rules()[0]
    broken = Rule(meta=rule.meta.model_copy(update={"references": [*rule.meta.references, "atlas:AML.T0999"]}),
                  evaluate=rule.evaluate)
    rules = (broken, *registry.all_rules()[1:])
    monkeypatch.setattr("dicetm.catalog_check.all_rules", lambda: rules)
    problems = rule_problems()
    assert [p.message for p in problems] == ["atlas:AML.T0999 is unknown in ATLAS 5.6.0"]
    assert problems[0].location.path == f"{rule.meta.id}.references"
    assert invoke("check").code == 1


def test_a_rule_missing_the_other_edition_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = next(r for r in registry.all_rules() if "owasp-llm:LLM07:2025" in r.meta.references)
    refs = [r for r in rule.meta.references if r != "owasp-llm:LLM08:2026"]
    broken = Rule(meta=rule.meta.model_copy(update={"references": refs}), evaluate=rule.evaluate)
    monkeypatch.setattr("dicetm.catalog_check.all_rules", lambda: (broken,))
    assert [p.message for p in rule_problems()] == [
        "owasp-llm:LLM07:2025 needs owasp-llm:LLM08:2026 or, when the subject is outside that entry, one of "
        "owasp-asi:ASI06:2026"]


def _catalog_renaming(ref: str, name: str) -> Catalog:
    catalog = load_catalog()
    # The entries as loaded (forward links only); the Catalog adds the reverse links itself.
    entries = [e.model_copy(update={"name": name}) if e.ref == ref else e for e in catalog._base]
    return Catalog(entries, catalog.controls.values(), catalog.version, catalog.atlas_version)


def test_an_outdated_name_in_the_catalogue_fails() -> None:
    # The 2025 name under the 2026 id: exactly the mix-up the renumbering invites.
    problems = check_catalog(_catalog_renaming("owasp-llm:LLM06:2026", "Excessive Agency"))
    assert [p.message for p in problems] == [
        "owasp-llm:LLM06:2026 is named 'Excessive Agency', but the published name is 'Unbounded Consumption'"]


def test_a_renamed_atlas_technique_fails_by_fingerprint_and_by_file(atlas_file: Path) -> None:
    from dicetm.catalog import parse_atlas_file

    catalog = _catalog_renaming("atlas:AML.T0051", "Prompt Injection")
    messages = [p.message for p in check_catalog(catalog)]
    assert messages == ["the ATLAS 5.6.0 ids and names differ from ATLAS 5.6.0 as published"]
    messages = [p.message for p in check_catalog(catalog, atlas=parse_atlas_file(atlas_file))]
    assert "atlas:AML.T0051 is named 'Prompt Injection', but ATLAS 5.6.0 names it 'LLM Prompt Injection'" in messages


def test_canonical_spelling_is_required_of_rules_only() -> None:
    catalog = load_catalog()
    cited = [("AML.T0051", Location(path="x")), ("LLM01:2025", Location(path="y"))]
    assert check_references(catalog, cited) == []
    problems = check_references(catalog, cited, canonical=True)
    assert [p.hint for p in problems] == ["write atlas:AML.T0051", "write owasp-llm:LLM01:2025"]


def test_an_invalid_model_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "dicetm.yaml").write_text("name: x\nelements: [{id: a}]\n", encoding="utf-8")
    done = invoke("check", tmp_path)
    assert done.code == 2 and "missing the required field" in done.stderr
