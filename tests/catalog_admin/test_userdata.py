"""The installed-ATLAS store behind `load_catalog()`: locations, caching, fallbacks, never a crash."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicetm.catalog import Entry, clear_catalog_cache, load_catalog, loader, userdata
from dicetm.catalog.userdata import atlas_status, data_dir, install_atlas, reset_atlas, unresolved_atlas_refs
from dicetm.errors import CatalogError

from .helpers import load_raw, snapshot, write_raw


def test_data_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DICETM_DATA_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "explicit"
    monkeypatch.setenv("DICETM_DATA_DIR", "")
    assert data_dir() == tmp_path / "xdg" / "dicetm"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "dicetm"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("DICETM_DATA_DIR")
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "dicetm"


def test_without_an_installation_the_packaged_data_is_used(data_dir: Path) -> None:
    status = atlas_status()
    assert not status.active and status.manifest is None and status.problems == ()
    assert load_catalog() is loader._packaged()
    assert load_catalog() is load_catalog()


def test_load_catalog_follows_an_import_in_the_same_process(atlas_file: Path, data_dir: Path) -> None:
    packaged = load_catalog()
    install_atlas(atlas_file)
    active = load_catalog()
    assert active is not packaged and atlas_status().active
    assert active is load_catalog()  # built once, then reused
    assert sorted(e.ref for e in active.entries()) == sorted(e.ref for e in packaged.entries())
    for ref in ("atlas:AML.T0051", "atlas:AML.M0020", "atlas:AML.TA0005"):  # our wording is kept for known ids
        ours, now = packaged.get(ref), active.get(ref)
        assert isinstance(ours, Entry) and isinstance(now, Entry) and now.description == ours.description
    m0018 = active.get("atlas:AML.M0018")
    assert isinstance(m0018, Entry) and "atlas:AML.T0052.001" in m0018.related["techniques"]
    reset_atlas()
    assert load_catalog() is packaged


def test_new_ids_get_the_first_paragraph_of_mitre_text(atlas_file: Path, data_dir: Path, tmp_path: Path) -> None:
    document = load_raw(atlas_file)
    document["version"] = "5.7.0"
    document["matrices"][0]["techniques"].append({
        "id": "AML.T0999", "name": "Invented For This Test", "tactics": ["AML.TA0005"],
        "description": "First paragraph, shown.\n\nSecond paragraph, left out.",
    })
    manifest = install_atlas(write_raw(document, tmp_path / "ATLAS-5.7.0.yaml"))
    assert manifest.atlas_version == "5.7.0" and manifest.counts.techniques == 171
    catalog = load_catalog()
    assert catalog.atlas_version == "5.7.0"
    new = catalog.get("AML.T0999")
    assert isinstance(new, Entry) and new.description == "First paragraph, shown."
    assert new.related["tactics"] == ["atlas:AML.TA0005"]


def test_later_runs_read_the_json_cache_not_the_yaml(atlas_file: Path, data_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    install_atlas(atlas_file)
    clear_catalog_cache()  # as a new process would start

    def refuse(*_args: object) -> None:
        raise AssertionError("the installed YAML was parsed although its cache is valid")

    monkeypatch.setattr(userdata, "parse_atlas_text", refuse)
    assert load_catalog().get("AML.T0051") is not None and atlas_status().active


def test_a_damaged_cache_is_rebuilt(atlas_file: Path, data_dir: Path) -> None:
    manifest = install_atlas(atlas_file)
    cache = data_dir / "atlas" / manifest.cache_name
    cache.write_text("{not json", encoding="utf-8")
    clear_catalog_cache()
    assert atlas_status().active and load_catalog().atlas_version == "5.6.0"
    assert cache.read_bytes().startswith(b'{"sha256":"')


def test_a_missing_installed_file_falls_back(atlas_file: Path, data_dir: Path) -> None:
    manifest = install_atlas(atlas_file)
    (data_dir / "atlas" / manifest.file_name).unlink()
    status = atlas_status()  # noticed without clearing any cache: the file's stat changed
    assert not status.active and status.manifest == manifest
    assert "cannot read the installed ATLAS file" in status.problems[0]
    assert load_catalog() is loader._packaged()


def test_an_installed_file_this_dicetm_cannot_parse_falls_back(atlas_file: Path, data_dir: Path) -> None:
    manifest = install_atlas(atlas_file)
    folder = data_dir / "atlas"
    garbage = b"matrices: [\n"
    (folder / manifest.cache_name).unlink()
    forged = manifest.model_copy(update={"sha256": hashlib.sha256(garbage).hexdigest()})
    (folder / forged.file_name).write_bytes(garbage)
    (folder / "atlas.json").write_text(forged.model_dump_json(), encoding="utf-8")
    status = atlas_status()
    assert not status.active and "cannot be read" in status.problems[0] and "invalid YAML" in status.problems[0]
    assert load_catalog() is loader._packaged()


def test_reimporting_replaces_the_previous_files(atlas_file: Path, data_dir: Path, tmp_path: Path) -> None:
    first = install_atlas(atlas_file)
    copy = tmp_path / "ATLAS-copy.yaml"
    copy.write_bytes(atlas_file.read_bytes() + b"\n# a newer download\n")
    second = install_atlas(copy)
    assert first.sha256 != second.sha256
    assert sorted(snapshot(data_dir)) == sorted(f"atlas/{n}" for n in ("atlas.json", second.file_name,
                                                                        second.cache_name))
    assert install_atlas(copy).sha256 == second.sha256  # the same file again keeps its files
    assert len(snapshot(data_dir)) == 3


def test_unresolved_atlas_refs(data_dir: Path) -> None:
    catalog = load_catalog()
    cited = {
        "T-B": ["atlas:AML.T0051", "atlas:AML.T9998", "owasp-llm:LLM01:2025", "cwe:CWE-0"],
        "T-A": ["AML.T9999", "aml.t0054"],
        "T-C": ["atlas:AML.M0020"],
    }
    assert unresolved_atlas_refs(catalog, cited) == {"T-A": ["AML.T9999"], "T-B": ["atlas:AML.T9998"]}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(min_value=0.0, max_value=1.0))
def test_any_truncation_installs_whole_data_or_changes_nothing(atlas_file: Path, fraction: float) -> None:
    content = atlas_file.read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        source = root / "ATLAS-cut.yaml"
        source.write_bytes(content[: int(len(content) * fraction)])
        try:
            manifest = install_atlas(source, root / "data")
        except CatalogError as exc:
            assert exc.problems and all(p.location.file == str(source) for p in exc.problems)
            assert snapshot(root / "data") == {}
        else:
            counts = manifest.counts
            assert counts.tactics and counts.techniques and counts.mitigations
            assert (root / "data" / "atlas" / manifest.file_name).read_bytes() == source.read_bytes()
    clear_catalog_cache()
