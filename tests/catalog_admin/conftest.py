"""Every test here gets its own empty data directory and a catalogue cache that forgets earlier tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dicetm.catalog import clear_catalog_cache

REPO = Path(__file__).resolve().parents[2]
ATLAS_DIR = REPO.parent / "shared" / "data" / "atlas"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``$DICETM_DATA_DIR`` for the test (not created: a first import must create it)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DICETM_DATA_DIR", str(folder))
    clear_catalog_cache()
    yield folder
    clear_catalog_cache()


@pytest.fixture(scope="session")
def atlas_file() -> Path:
    """MITRE's ATLAS.yaml 5.6.0 from the shared data folder beside the checkout."""
    path = ATLAS_DIR / "ATLAS.yaml"
    if not path.is_file():
        pytest.skip(f"MITRE's ATLAS.yaml not found at {path}: the shared data folder sits beside the repository")
    return path
