"""`dicetm catalog info`, `import-atlas` and `reset-atlas` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from dicetm.catalog import load_catalog, loader
from dicetm.catalog.userdata import atlas_dir, atlas_status
from dicetm.rules.registry import all_rules

from .helpers import COMMANDS, invoke, load_raw, snapshot, wired, without_technique, write_raw

SHA_5_6_0 = "8a5693df51135721796607b8f29cba8ed33d745d5592ed80efbaaab0fba978f2"
INSTALLED = f"ATLAS-{SHA_5_6_0[:16]}.yaml"


def installed(data_dir: Path) -> Path:
    return data_dir / "atlas" / INSTALLED


# --- import ----------------------------------------------------------------------------------------------------


def test_import_installs_the_file_and_info_shows_it(atlas_file: Path, data_dir: Path) -> None:
    done = invoke("import-atlas", atlas_file)
    assert done.code == 0, done.stderr
    assert "installed MITRE ATLAS 5.6.0: 16 tactics, 170 techniques and sub-techniques, 35 mitigations" in done.stdout
    assert str(installed(data_dir)) in done.stdout
    assert "tolerated 4 quirks" in done.stdout and "AML.M0018 links technique AML.T0052.001" in done.stdout
    assert done.stderr == ""  # every rule and control reference resolves in MITRE's own file
    assert installed(data_dir).read_bytes() == atlas_file.read_bytes()

    manifest = json.loads((data_dir / "atlas" / "atlas.json").read_text(encoding="utf-8"))
    assert manifest["atlas_version"] == "5.6.0"
    assert manifest["sha256"] == SHA_5_6_0
    assert manifest["source"] == str(atlas_file.resolve())
    assert manifest["counts"] == {"tactics": 16, "techniques": 170, "mitigations": 35}
    assert len(manifest["warnings"]) == 4 and manifest["installed_at"].endswith("+00:00")

    info = invoke("info")
    assert info.code == 0, info.stderr
    assert "ATLAS        5.6.0, installed file" in info.stdout
    assert f"file       {installed(data_dir)}" in info.stdout
    assert f"sha256     {SHA_5_6_0}" in info.stdout
    assert f"from {atlas_file.resolve()}" in info.stdout
    assert "16 tactics, 170 techniques and sub-techniques, 35 mitigations" in info.stdout
    assert "warnings: none" in info.stdout
    assert "tolerated in the installed file (4)" in info.stdout


def test_info_as_json(atlas_file: Path, data_dir: Path) -> None:
    before = json.loads(invoke("info", "--json").stdout)
    assert before["atlas"]["source"] == "packaged" and before["atlas"]["file"] is None
    assert before["atlas"]["counts"] == {"tactics": 16, "techniques": 170, "mitigations": 35}
    assert before["namespaces"]["atlas"] == 221 and before["data_dir"] == str(data_dir)
    assert invoke("import-atlas", atlas_file).code == 0
    after = json.loads(invoke("info", "--json").stdout)
    assert after["atlas"] | {"installed_at": None} == {
        "version": "5.6.0", "source": "installed", "file": str(installed(data_dir)), "sha256": SHA_5_6_0,
        "installed_at": None, "imported_from": str(atlas_file.resolve()),
        "counts": {"tactics": 16, "techniques": 170, "mitigations": 35}, "import_notes": after["atlas"]["import_notes"],
    }
    assert after["warnings"] == {"fallback": [], "rules": {}, "controls": {}}
    assert after["namespaces"] == before["namespaces"]


def test_info_on_the_packaged_data(data_dir: Path) -> None:
    info = invoke("info")
    assert info.code == 0, info.stderr
    assert "catalogue    2026.11" in info.stdout
    assert "ATLAS        5.6.0, packaged with dicetm" in info.stdout
    assert "16 tactics, 170 techniques and sub-techniques, 35 mitigations" in info.stdout
    assert f"data dir     {data_dir}" in info.stdout
    for namespace, count in (("owasp-llm", 20), ("atlas", 221), ("stride", 6)):
        assert any(line.split() == [namespace, str(count)] for line in info.stdout.splitlines()), namespace
    assert "warnings: none" in info.stdout
    assert not data_dir.exists()  # looking is not installing


def test_a_file_missing_a_cited_technique_installs_with_warnings(atlas_file: Path, data_dir: Path,
                                                                 tmp_path: Path) -> None:
    gone = "AML.T0054"
    citing = sorted(r.meta.id for r in all_rules() if f"atlas:{gone}" in r.meta.references)
    assert citing, f"no rule cites {gone} any more: pick another technique for this test"
    smaller = write_raw(without_technique(load_raw(atlas_file), gone), tmp_path / "ATLAS-smaller.yaml")

    done = invoke("import-atlas", smaller)
    assert done.code == 0, done.stderr
    assert "169 techniques and sub-techniques" in done.stdout
    for rule_id in citing:
        assert f"warning: rule {rule_id} cites ATLAS ids missing from this file: atlas:{gone}" in done.stderr

    info = invoke("info")
    assert info.code == 0
    assert "169 techniques and sub-techniques" in info.stdout
    assert f"warnings ({len(citing)}):" in info.stdout
    for rule_id in citing:
        assert f"rule {rule_id} cites ATLAS ids missing from the active data: atlas:{gone}" in info.stdout
    assert load_catalog().get(gone) is None
    assert json.loads(invoke("info", "--json").stdout)["warnings"]["rules"] == {r: [f"atlas:{gone}"] for r in citing}


# --- bad input changes nothing ---------------------------------------------------------------------------------


def test_a_truncated_file_is_refused_and_nothing_is_installed(atlas_file: Path, data_dir: Path,
                                                              tmp_path: Path) -> None:
    text = atlas_file.read_text(encoding="utf-8")
    cut = tmp_path / "ATLAS-cut.yaml"
    cut.write_text(text[: text.index("description: 'The adversary", 200_000) + 20], encoding="utf-8")
    done = invoke("import-atlas", cut)
    assert done.code == 2
    assert "nothing was installed" in done.stderr
    assert f"{cut}:" in done.stderr  # located: file:line(:column)
    assert not data_dir.exists()
    assert invoke("info").stdout.count("packaged with dicetm") == 1


def test_a_bad_file_leaves_the_previous_installation_intact(atlas_file: Path, data_dir: Path,
                                                            tmp_path: Path) -> None:
    assert invoke("import-atlas", atlas_file).code == 0
    before = snapshot(data_dir)
    document = load_raw(atlas_file)
    document["matrices"][0]["techniques"][3]["tactics"] = ["AML.TA9999"]
    bad = write_raw(document, tmp_path / "ATLAS-bad.yaml")
    done = invoke("import-atlas", bad)
    assert done.code == 2
    assert "unknown tactic 'AML.TA9999'" in done.stderr
    assert f"{bad}:" in done.stderr and "techniques[3].tactics[0]" in done.stderr
    assert snapshot(data_dir) == before
    assert "5.6.0, installed file" in invoke("info").stdout


def test_a_file_cut_before_its_mitigations_is_refused(atlas_file: Path, data_dir: Path, tmp_path: Path) -> None:
    lines = atlas_file.read_text(encoding="utf-8").splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if line == "  mitigations:\n")
    cut = tmp_path / "ATLAS-no-mitigations.yaml"
    cut.write_text("".join(lines[:end]), encoding="utf-8")  # still valid YAML
    done = invoke("import-atlas", cut)
    assert done.code == 2
    assert f"{cut} mitigations: the ATLAS file has no mitigations" in done.stderr
    assert "may be truncated" in done.stderr
    assert not data_dir.exists()


def test_unreadable_inputs_are_refused(data_dir: Path, tmp_path: Path) -> None:
    missing = invoke("import-atlas", tmp_path / "nope.yaml")
    assert missing.code == 2 and "cannot read ATLAS file" in missing.stderr
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"version: 5.6.0\n\xff\xfe")
    not_text = invoke("import-atlas", binary)
    assert not_text.code == 2 and "not UTF-8" in not_text.stderr
    folder = invoke("import-atlas", tmp_path)
    assert folder.code == 2 and "cannot read ATLAS file" in folder.stderr
    assert not data_dir.exists()


def test_usage_errors(atlas_file: Path, data_dir: Path) -> None:
    neither = invoke("import-atlas")
    assert neither.code == 2 and "missing FILE" in neither.stderr
    both = invoke("import-atlas", atlas_file, "--reset")
    assert both.code == 2 and "not both" in both.stderr
    assert not data_dir.exists()


def test_an_unwritable_data_dir_is_reported(atlas_file: Path, data_dir: Path) -> None:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.write_text("a file where the data directory belongs", encoding="utf-8")
    done = invoke("import-atlas", atlas_file)
    assert done.code == 2
    assert "cannot write the installed ATLAS data" in done.stderr and "DICETM_DATA_DIR" in done.stderr


# --- reset -----------------------------------------------------------------------------------------------------


def test_reset_returns_to_the_packaged_data(atlas_file: Path, data_dir: Path) -> None:
    assert invoke("import-atlas", atlas_file).code == 0
    assert atlas_status().active
    done = invoke("reset-atlas")
    assert done.code == 0, done.stderr
    assert f"removed the installed ATLAS data from {atlas_dir()}" in done.stdout
    assert not (data_dir / "atlas").exists()
    assert load_catalog() is loader._packaged()
    assert "packaged with dicetm" in invoke("info").stdout
    again = invoke("reset-atlas")
    assert again.code == 0 and "no ATLAS file is installed" in again.stdout


def test_import_with_reset_flag(atlas_file: Path, data_dir: Path) -> None:
    assert invoke("import-atlas", atlas_file).code == 0
    done = invoke("import-atlas", "--reset")
    assert done.code == 0 and "removed the installed ATLAS data" in done.stdout
    assert snapshot(data_dir) == {}


# --- a damaged installation ------------------------------------------------------------------------------------


def test_a_corrupted_installed_file_falls_back_with_a_warning(atlas_file: Path, data_dir: Path) -> None:
    assert invoke("import-atlas", atlas_file).code == 0
    with installed(data_dir).open("ab") as handle:
        handle.write(b"\n# edited by hand\n")
    info = invoke("info")
    assert info.code == 0, info.stderr
    assert "ATLAS        5.6.0, packaged with dicetm" in info.stdout
    assert "warnings (1):" in info.stdout
    assert "changed after it was imported" in info.stdout and "using the packaged ATLAS data" in info.stdout
    assert "dicetm catalog reset-atlas" in info.stdout
    assert load_catalog() is loader._packaged()
    assert invoke("reset-atlas").code == 0
    assert "warnings: none" in invoke("info").stdout


def test_a_corrupted_manifest_falls_back_with_a_warning(atlas_file: Path, data_dir: Path) -> None:
    assert invoke("import-atlas", atlas_file).code == 0
    (data_dir / "atlas" / "atlas.json").write_text('{"format": 1, "sha256": "', encoding="utf-8")
    info = invoke("info")
    assert info.code == 0
    assert "packaged with dicetm" in info.stdout and "is not a valid manifest" in info.stdout
    assert load_catalog() is loader._packaged()


def test_commands_are_wired_into_dicetm() -> None:
    """cli.py registers these on its `catalog` sub-app (see register in dicetm.cli_catalog_admin)."""
    assert wired(), f"add `register(catalog_app)` to dicetm/cli.py to expose {', '.join(COMMANDS)}"
