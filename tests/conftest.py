from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakellm import FakeLLMServer

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _private_data_dir_for_shared_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same for module- and session-scoped fixtures, which are set up before any test's own fixtures."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DICETM_DATA_DIR", str(tmp_path_factory.mktemp("dicetm-data-shared")))
        patch.setenv("DICETM_CACHE_DIR", str(tmp_path_factory.mktemp("dicetm-cache-shared")))
        yield


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's installed ATLAS data, cached LLM answers and other user data out of the tests."""
    monkeypatch.setenv("DICETM_DATA_DIR", str(tmp_path_factory.mktemp("dicetm-data")))
    monkeypatch.setenv("DICETM_CACHE_DIR", str(tmp_path_factory.mktemp("dicetm-cache")))


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED} (it sits beside the checkout)")
    return SHARED



_LLM_ENV_PREFIXES = ("DICETM_LLM_", "OPENAI_", "AZURE_OPENAI_", "ANTHROPIC_")


@pytest.fixture(autouse=True)
def _no_llm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real LLM keys and settings must never reach a test (or a test the network)."""
    for name in list(os.environ):
        if name.startswith(_LLM_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A started fake LLM server on 127.0.0.1 (see ``tests/fakellm.py``), stopped after the test."""
    with FakeLLMServer() as server:
        yield server
