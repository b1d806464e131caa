"""The knowledge catalogue: counts, references, ATLAS fidelity, own wording, parser errors, lookups."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dicetm.catalog import AtlasData, Catalog, Control, Entry, load_catalog, loader, parse_atlas_file
from dicetm.catalog.atlas_source import AtlasMitigation, AtlasTactic, AtlasTechnique
from dicetm.errors import CatalogError

ATLAS_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "atlas" / "ATLAS.yaml"
# Controls that existed before references were added; ids are never renumbered or dropped.
ORIGINAL_CONTROLS = {
    "INP": 5, "OUT": 5, "PRM": 3, "ACC": 6, "AGT": 6, "DAT": 7, "SUP": 4, "NET": 3, "AVL": 3, "MON": 4,
    "GOV": 5, "VEC": 2,
}
# Families whose controls act on the model, prompts, agents or AI data: each must cite an ATLAS mitigation.
AI_FAMILIES = {"INP", "OUT", "PRM", "AGT", "VEC", "GOV"}
# NIST SP 800-53 has no control for answer grounding or human review of AI output; these cite the AI RMF.
NIST_AI_RMF_ONLY = {"C-GOV-001", "C-GOV-002"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def mitre() -> AtlasData:
    if not ATLAS_FILE.is_file():
        pytest.skip(f"MITRE ATLAS.yaml not found at {ATLAS_FILE} (the shared folder sits beside the repo)")
    return parse_atlas_file(ATLAS_FILE)


@pytest.fixture(scope="module")
def raw(mitre: AtlasData) -> dict[str, Any]:
    """MITRE's matrix read with plain PyYAML, to check our parser against an independent reading."""
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(ATLAS_FILE.read_text(encoding="utf-8"), Loader=loader_class)
    matrix: dict[str, Any] = document["matrices"][0]
    return matrix


def entry_of(catalog: Catalog, ref: str) -> Entry:
    found = catalog.get(ref)
    assert isinstance(found, Entry), ref
    return found


def kinds(catalog: Catalog, *wanted: str) -> list[Entry]:
    return [e for e in catalog.entries("atlas") if e.kind in wanted]


# --- counts and integrity -------------------------------------------------------------------------


def test_counts(catalog: Catalog) -> None:
    assert catalog.atlas_version == "5.6.0"
    assert re.fullmatch(r"\d{4}\.\d{2}", catalog.version)
    assert len(kinds(catalog, "tactic")) == 16
    assert len(kinds(catalog, "technique", "subtechnique")) == 170
    assert len(kinds(catalog, "subtechnique")) == 69
    assert len(kinds(catalog, "mitigation")) == 35
    assert len(catalog.entries("owasp-llm")) == 20  # the 2025 and the 2026 edition
    assert len(catalog.entries("owasp-agentic")) == 15
    assert len(catalog.entries("owasp-asi")) == 10
    assert [e.id for e in catalog.entries("stride")] == list("STRIDE")
    assert len(catalog.entries("cwe")) >= 25
    assert len(catalog.controls) >= 40


def test_every_reference_resolves(catalog: Catalog) -> None:
    assert catalog.problems() == []
    for control in catalog.controls.values():
        for ref in control.references:
            entry = catalog.get(ref)
            assert isinstance(entry, Entry) and entry.ref == ref, f"{control.id}: {ref} is not canonical"


def test_framework_entries_are_complete(catalog: Catalog) -> None:
    for namespace in ("nist-800-53", "iso27001", "iso42001", "nist-ai-rmf", "eu-ai-act", "cra"):
        assert catalog.entries(namespace), namespace
    for ref in ("eu-ai-act:Art.9", "eu-ai-act:Art.15", "eu-ai-act:Annex-IV", "cra:Art.13",
                "cra:Annex-I-Part-I", "cra:Annex-I-Part-II", "cra:Annex-VII", "nist-ai-rmf:MANAGE-2.3",
                "iso42001:A.6.2.6"):
        assert catalog.has(ref), ref
    assert len(catalog.entries("iso42001")) == 38  # every Annex A control of ISO/IEC 42001:2023
    for entry in catalog.entries():
        assert entry.name.strip() and entry.description.strip(), entry.ref


def test_original_control_ids_are_kept(catalog: Catalog) -> None:
    for family, count in ORIGINAL_CONTROLS.items():
        for number in range(1, count + 1):
            control = catalog.controls.get(f"C-{family}-{number:03d}")
            assert control is not None and control.family == family, f"C-{family}-{number:03d}"


def test_controls_map_to_frameworks(catalog: Catalog) -> None:
    for control in catalog.controls.values():
        refs = control.references
        nist = ("nist-800-53:", "nist-ai-rmf:") if control.id in NIST_AI_RMF_ONLY else ("nist-800-53:",)
        assert any(r.startswith(nist) for r in refs), f"{control.id} cites no NIST control"
        assert any(r.startswith(("iso27001:", "iso42001:")) for r in refs), f"{control.id} cites no ISO"
        assert len(refs) == len(set(refs)), f"{control.id} repeats a reference"
        if control.family in AI_FAMILIES:
            assert any(r.startswith("atlas:AML.M") for r in refs), f"{control.id} cites no ATLAS mitigation"
        assert set(control.reduces) <= {"likelihood", "impact"} and control.reduces, control.id


def test_stride_per_element(catalog: Catalog) -> None:
    applies = {e.id: e.attributes["applies_to"] for e in catalog.entries("stride")}
    assert applies == {
        "S": ["external_entity", "process"],
        "T": ["process", "data_store", "data_flow"],
        "R": ["external_entity", "process", "data_store"],
        "I": ["process", "data_store", "data_flow"],
        "D": ["process", "data_store", "data_flow"],
        "E": ["process"],
    }
    assert {e.attributes["property"] for e in catalog.entries("stride")} == {
        "Authentication", "Integrity", "Non-repudiation", "Confidentiality", "Availability", "Authorization"}


def test_owasp_ids_and_names(catalog: Catalog) -> None:
    assert entry_of(catalog, "owasp-llm:LLM07:2025").name == "System Prompt Leakage"
    assert entry_of(catalog, "owasp-llm:LLM08:2026").name == "Hidden Context Exposure"
    assert [e.id for e in catalog.entries("owasp-llm")] == [
        f"LLM{n:02d}:{year}" for year in (2025, 2026) for n in range(1, 11)]
    assert [e.id for e in catalog.entries("owasp-agentic")] == [f"T{n}" for n in range(1, 16)]
    assert [e.id for e in catalog.entries("owasp-asi")] == [f"ASI{n:02d}:2026" for n in range(1, 11)]
    assert all(e.url and e.url.startswith("https://genai.owasp.org/") for e in catalog.entries("owasp-llm")
               if e.id.endswith(":2025"))
    assert {e.attributes["edition"] for e in catalog.entries("owasp-llm")} == {"2025", "2026"}


def test_owasp_2026_names_match_the_published_entries(catalog: Catalog, shared_dir: Path) -> None:
    """Each 2026 entry's heading in the published Markdown names the same id and name as the catalogue."""
    folder = shared_dir / "data" / "owasp-llm-2026"
    headings = {}
    for page in sorted(folder.glob("LLM[0-9][0-9]_*.md")):
        match = re.match(r"^## (LLM\d{2}:2026) (.+)$", page.read_text(encoding="utf-8").splitlines()[0])
        assert match, page.name
        headings[match[1]] = match[2].strip()
    assert headings == {e.id: e.name for e in catalog.entries("owasp-llm") if e.id.endswith(":2026")}


def test_crosswalk_pairs_follow_the_published_table(shared_dir: Path) -> None:
    """The crosswalk data pairs each 2025 id with the 2026 id the edition's own table gives."""
    from dicetm.catalog.editions import crosswalk

    table = (shared_dir / "data" / "owasp-llm-2026" / "README.md").read_text(encoding="utf-8")
    published = dict(re.findall(r"^\| (LLM\d{2}:2025) \|[^|]+\| (LLM\d{2}:2026) \|", table, re.M))
    assert len(published) == 10
    assert {p.from_: p.to for p in crosswalk().pairs} == published
    assert next(p for p in crosswalk().pairs if p.from_ == "LLM07:2025").relation == "wider"


def test_bare_owasp_llm_ids_keep_meaning_2025(catalog: Catalog) -> None:
    assert catalog.resolve("LLM06") == "owasp-llm:LLM06:2025"
    assert catalog.resolve("owasp-llm:LLM06") == "owasp-llm:LLM06:2025"
    assert catalog.resolve("LLM06:2026") == "owasp-llm:LLM06:2026"


# --- lookups and relationships ----------------------------------------------------------------------


@pytest.mark.parametrize(("query", "ref"), [
    ("atlas:AML.T0051", "atlas:AML.T0051"),
    ("AML.T0051", "atlas:AML.T0051"),
    ("aml.t0051.000", "atlas:AML.T0051.000"),
    ("AML.TA0002", "atlas:AML.TA0002"),
    ("AML.M0015", "atlas:AML.M0015"),
    ("LLM01", "owasp-llm:LLM01:2025"),
    ("LLM01:2025", "owasp-llm:LLM01:2025"),
    ("owasp-llm:LLM01", "owasp-llm:LLM01:2025"),
    ("ASI02", "owasp-asi:ASI02:2026"),
    ("owasp-agentic:T2", "owasp-agentic:T2"),
    ("CWE-79", "cwe:CWE-79"),
    ("cwe:CWE-1427", "cwe:CWE-1427"),
    ("stride:S", "stride:S"),
    ("SI-10", "nist-800-53:SI-10"),
    ("nist-ai-rmf:MANAGE 2.3", "nist-ai-rmf:MANAGE-2.3"),
    (" iso27001:A.8.28 ", "iso27001:A.8.28"),
])
def test_get_accepts_bare_and_namespaced_forms(catalog: Catalog, query: str, ref: str) -> None:
    entry = catalog.get(query)
    assert isinstance(entry, Entry) and entry.ref == ref
    assert catalog.has(query)


def test_get_controls_and_unknowns(catalog: Catalog) -> None:
    control = catalog.get("C-INP-001")
    assert isinstance(control, Control) and control.family == "INP"
    assert catalog.get("c-inp-001") is control
    assert catalog.get("AML.T9999") is None
    assert not catalog.has("owasp-llm:LLM11:2025")
    assert catalog.get("A.5.3") is None  # in both ISO 27001 and ISO 42001: ambiguous without a namespace
    assert catalog.get("Art.13") is None  # EU AI Act and CRA


def test_relationships_both_ways(catalog: Catalog) -> None:
    technique = catalog.get("atlas:AML.T0051")
    assert isinstance(technique, Entry)
    assert "atlas:AML.M0020" in technique.related["mitigations"]
    assert "atlas:AML.T0051.001" in technique.related["subtechniques"]
    sub = catalog.get("atlas:AML.T0051.001")
    assert isinstance(sub, Entry) and sub.related["parent"] == ["atlas:AML.T0051"]
    tactic = catalog.get("atlas:AML.TA0005")
    assert isinstance(tactic, Entry) and "atlas:AML.T0051" in tactic.related["techniques"]
    mitigation = catalog.get("atlas:AML.M0020")
    assert isinstance(mitigation, Entry) and "atlas:AML.T0051" in mitigation.related["techniques"]
    assert "C-GOV-005" in mitigation.related["controls"]
    for entry in kinds(catalog, "mitigation"):
        for target in entry.related["techniques"]:
            linked = catalog.get(target)
            assert isinstance(linked, Entry) and entry.ref in linked.related["mitigations"]
    llm01 = catalog.get("LLM01")
    assert isinstance(llm01, Entry) and "C-INP-002" in llm01.related["controls"]


def test_entries_are_stable(catalog: Catalog) -> None:
    assert [e.ref for e in catalog.entries()] == [e.ref for e in load_catalog().entries()]
    assert catalog.namespaces()[:4] == ["stride", "owasp-llm", "owasp-agentic", "owasp-asi"]
    assert set(catalog.namespaces()) == {e.namespace for e in catalog.entries()}
    assert load_catalog() is catalog


# --- fidelity to MITRE's ATLAS.yaml ---------------------------------------------------------------


def test_atlas_ids_and_names_match_mitre(catalog: Catalog, mitre: AtlasData) -> None:
    ours = {e.id: e.name for e in catalog.entries("atlas")}
    theirs = {o.id: o.name for o in mitre.objects()}
    assert ours == theirs
    assert catalog.atlas_version == mitre.version


def test_atlas_relationships_match_mitre(catalog: Catalog, mitre: AtlasData, raw: dict[str, Any]) -> None:
    explicit = {t["id"]: t.get("tactics") for t in raw["techniques"]}
    parents = {t["id"]: t.get("subtechnique-of") for t in raw["techniques"]}
    for technique in mitre.techniques:
        entry = catalog.get(f"atlas:{technique.id}")
        assert isinstance(entry, Entry)
        parent = parents[technique.id]
        expected_tactics = explicit[technique.id] or explicit[parent]
        assert entry.related["tactics"] == [f"atlas:{t}" for t in expected_tactics], technique.id
        assert entry.related.get("parent") == ([f"atlas:{parent}"] if parent else None), technique.id
        assert entry.kind == ("subtechnique" if parent else "technique")
    for mitigation in raw["mitigations"]:
        links = {t["id"] for t in mitigation["techniques"]}
        links |= {x["id"] for x in mitigation.get("ml-lifecycle", []) if isinstance(x, dict)}
        entry = catalog.get(f"atlas:{mitigation['id']}")
        assert isinstance(entry, Entry)
        assert sorted(entry.related["techniques"]) == sorted(f"atlas:{t}" for t in links), mitigation["id"]


def test_atlas_m0018_quirk_is_recovered(catalog: Catalog, mitre: AtlasData) -> None:
    m0018 = next(m for m in mitre.mitigations if m.id == "AML.M0018")
    assert "AML.T0052.001" in m0018.techniques
    assert any("AML.M0018" in w and "AML.T0052.001" in w and "ml-lifecycle" in w for w in mitre.warnings)
    entry = catalog.get("atlas:AML.M0018")
    assert isinstance(entry, Entry) and "atlas:AML.T0052.001" in entry.related["techniques"]
    deepfake_phishing = catalog.get("atlas:AML.T0052.001")
    assert isinstance(deepfake_phishing, Entry)
    assert "atlas:AML.M0018" in deepfake_phishing.related["mitigations"]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _runs(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def test_atlas_descriptions_are_our_own_words(catalog: Catalog, mitre: AtlasData) -> None:
    theirs = {o.id: o.description for o in mitre.objects()}
    copied = []
    for entry in catalog.entries("atlas"):
        shared = _runs(_words(entry.description), 12) & _runs(_words(theirs[entry.id]), 12)
        if shared:
            copied.append(f"{entry.id}: {' '.join(next(iter(shared)))}")
        assert entry.description != theirs[entry.id]
    assert copied == []


def test_atlas_descriptions_are_not_in_the_package() -> None:
    data = Path(loader.__file__).parent / "data" / "atlas.yaml"
    text = data.read_text(encoding="utf-8")
    assert "Adversaries may" not in text  # MITRE's house style; a sign of pasted text


def test_with_atlas_replaces_the_packaged_data(catalog: Catalog, mitre: AtlasData) -> None:
    same = catalog.with_atlas(mitre)
    assert [e.ref for e in same.entries()] != [] and same.problems() == []
    assert entry_of(same, "AML.T0051").description == entry_of(catalog, "AML.T0051").description
    tiny = AtlasData(
        version="9.9.9",
        tactics=[AtlasTactic(id="AML.TA0002", name="Reconnaissance", description="Looking around.")],
        techniques=[AtlasTechnique(id="AML.T0999", name="New Thing", description="First.\n\nSecond.",
                                   tactics=["AML.TA0002"])],
        mitigations=[AtlasMitigation(id="AML.M0015", name="Adversarial Input Detection", description="x",
                                     techniques=["AML.T0999"])],
    )
    replaced = catalog.with_atlas(tiny)
    assert replaced.atlas_version == "9.9.9" and catalog.atlas_version == "5.6.0"
    assert len(replaced.entries("atlas")) == 3
    assert entry_of(replaced, "AML.T0999").description == "First."
    assert entry_of(replaced, "AML.M0015").description == entry_of(catalog, "AML.M0015").description
    assert replaced.namespaces() == catalog.namespaces()
    assert any("atlas:AML.M0020" in p for p in replaced.problems())  # controls cite a mitigation now missing


# --- parser errors --------------------------------------------------------------------------------

GOOD_ATLAS = """\
id: ATLAS
name: test
version: 5.6.0
matrices:
- id: ATLAS
  name: ATLAS Matrix
  tactics:
  - {id: AML.TA0002, name: Reconnaissance, description: d, object-type: tactic}
  techniques:
  - {id: AML.T0000, name: Search, description: d, object-type: technique, tactics: [AML.TA0002]}
  - {id: AML.T0000.000, name: Journals, description: d, object-type: technique, subtechnique-of: AML.T0000}
  mitigations:
  - id: AML.M0018
    name: User Training
    description: d
    techniques:
    - {id: AML.T0000, use: u}
    ml-lifecycle:
    - Deployment
    - {id: AML.T0000.000, use: misplaced}
"""


def test_parse_atlas_minimal_file_with_quirk(tmp_path: Path) -> None:
    path = tmp_path / "ATLAS.yaml"
    path.write_text(GOOD_ATLAS, encoding="utf-8")
    data = parse_atlas_file(path)
    assert data.version == "5.6.0"
    assert data.techniques[1].tactics == ["AML.TA0002"] and data.techniques[1].parent == "AML.T0000"
    assert data.mitigations[0].techniques == ["AML.T0000", "AML.T0000.000"]
    assert len(data.warnings) == 1 and "ml-lifecycle[1]" in data.warnings[0]


def test_parse_atlas_reports_located_problems(tmp_path: Path) -> None:
    bad = GOOD_ATLAS.replace("tactics: [AML.TA0002]", "tactics: [AML.TA0099]").replace(
        "- {id: AML.T0000, use: u}", "- {id: AML.T0404, use: u}")
    path = tmp_path / "ATLAS.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        parse_atlas_file(path)
    problems = info.value.problems
    assert len(problems) == 2  # all problems at once
    tactic, link = problems
    assert "unknown tactic 'AML.TA0099'" in tactic.message
    assert tactic.location.file == str(path) and tactic.location.line == 10
    assert tactic.location.path == "matrices[0].techniques[0].tactics[0]"
    assert "unknown technique 'AML.T0404'" in link.message and link.location.line == 17
    assert f"{path}:10" in str(info.value)


def test_parse_atlas_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "ATLAS.yaml"
    path.write_text("version: 5.6.0\nmatrices: [\n  - {id: x\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        parse_atlas_file(path)
    location = info.value.problems[0].location
    assert location.file == str(path) and location.line is not None and location.column is not None


@pytest.mark.parametrize(("text", "message"), [
    ("- just a list\n", "mapping with `version` and `matrices`"),
    ("version: 1\n", "`matrices` is missing or empty"),
    ("version: 1\nmatrices: {}\n", "`matrices` must be a list"),
    ("version: 1\nmatrices:\n- tactics:\n  - {id: TA1, name: x}\n", "tactic id 'TA1'"),
    ("version: 1\nmatrices:\n- techniques:\n  - {id: AML.T0001, name: x}\n", "neither `tactics` nor"),
])
def test_parse_atlas_shape_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ATLAS.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=re.escape(message)):
        parse_atlas_file(path)


def test_parse_atlas_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read ATLAS file") as info:
        parse_atlas_file(tmp_path / "nope.yaml")
    assert info.value.problems[0].location.file == str(tmp_path / "nope.yaml")


def test_malformed_entry_file_names_file_and_line() -> None:
    text = ("cwe:\n  title: t\n  entries:\n    - {id: CWE-1, name: a, description: b}\n"
            "    - {id: CWE-2, name: a}\n")
    with pytest.raises(CatalogError) as info:
        loader.parse_entry_file(text, "catalog/data/cwe.yaml")
    problem = info.value.problems[0]
    assert problem.location.file == "catalog/data/cwe.yaml" and problem.location.line == 5
    assert problem.location.path == "cwe.entries[1].description" and "required" in problem.message.lower()
    duplicate = text.replace("CWE-2, name: a}", "CWE-1, name: a, description: c}")
    with pytest.raises(CatalogError, match="duplicate id CWE-1"):
        loader.parse_entry_file(duplicate, "catalog/data/cwe.yaml")


def test_malformed_controls_file() -> None:
    text = ("- {id: C-X-001, name: n, family: X, reduces: {likelihood: 1}, description: d}\n"
            "- {id: bad, name: n, family: X, reduces: {speed: 1}, description: d}\n")
    with pytest.raises(CatalogError) as info:
        loader.parse_controls(text, "catalog/data/controls.yaml")
    messages = [(p.location.line, p.location.path, p.message) for p in info.value.problems]
    assert any(line == 2 and path == "[1].id" and "C-FAMILY-NNN" in msg for line, path, msg in messages)
    assert any(path == "[1].reduces" and "not speed" in msg for _line, path, msg in messages)


def test_packaged_atlas_requires_our_descriptions() -> None:
    text = ("version: '5.6.0'\ntactics:\n  - {id: AML.TA0002, name: Reconnaissance}\n"
            "techniques: []\nmitigations: []\n")
    with pytest.raises(CatalogError, match=re.escape("without a description: AML.TA0002")):
        loader.parse_packaged_atlas(text, "catalog/data/atlas.yaml")
