"""Fixtures shared by the gate tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .builders import CHATBOT


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh workspace holding a copy of the bundled support chatbot's model and nothing else."""
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copy(CHATBOT / "dicetm.yaml", folder / "dicetm.yaml")
    return folder
