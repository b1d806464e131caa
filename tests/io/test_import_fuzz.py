"""Property tests: whatever document the importers get, they answer with a model or an InputError, never a crash.

Two sources of input: random JSON values (alone and inside each format's top-level skeleton), and the shared
sample files with one part replaced, removed or retyped. An ``InputError`` that reports an importer bug (an
imported model that fails validation) fails the test too.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from import_helpers import SAMPLE_FILES, samples_dir

from dicetm.errors import InputError
from dicetm.io import FORMATS, load_data
from dicetm.io.modelyaml import BUG_MARK

KEYS = st.sampled_from([
    "id", "name", "type", "shape", "data", "cells", "source", "target", "cell", "threats", "title", "status",
    "severity", "score", "mitigation", "position", "size", "x", "y", "width", "height", "parent", "trustZone",
    "component", "components", "dataflows", "destination", "trustZones", "assets", "risk", "likelihood", "impact",
    "categories", "mitigations", "technical_assets", "communication_links", "trust_boundaries",
    "technical_assets_inside", "trust_boundaries_nested", "data_assets", "confidentiality", "protocol",
    "individual_risk_categories", "risks_identified", "risk_tracking", "statement", "metadata", "key", "value",
    "mitigationLinks", "assumptionLinks", "linkedId", "mitigationId", "assumptionId", "content", "isEncrypted",
    "isPublicNetwork", "isALog", "outOfScope", "diagramJson", "labels", "attrs", "text", "stored", "processed",
])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["tm.Actor", "tm.Process", "tm.Store", "tm.Flow",
                                                           "tm.BoundaryBox", "tm.Boundary", "process", "datastore",
                                                           "external-entity", "https", "none", "Spoofing", "High",
                                                           "", "  ", "S", "*", "a@b"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(st.one_of(KEYS, st.text(max_size=5)), inner,
                                                                    max_size=5)), max_leaves=40)
SKELETONS: dict[str, Any] = {
    "threat-dragon": lambda v: {"summary": {"title": "t"}, "detail": {"diagrams": [{"cells": v}]}},
    "otm": lambda v: {"otmVersion": "0.2.0", "project": {"name": "p", "id": "p"}, "components": v, "dataflows": v,
                      "trustZones": v, "threats": v},
    "threagile": lambda v: {"threagile_version": "1.0.0", "technical_assets": v, "trust_boundaries": v,
                            "data_assets": v, "individual_risk_categories": v, "risk_tracking": v},
    "threat-composer": lambda v: {"schema": 1, "threats": v, "mitigations": v, "mitigationLinks": v,
                                  "assumptions": v, "assumptionLinks": v},
    "mcp-config": lambda v: {"mcpServers": {"s": {"command": "npx", "args": v, "env": v}, "r": {"url": v},
                                            "t": v}},
    "tm-bom": lambda v: {"version": "1.0.1", "scope": {"title": "s"}, "trust_zones": v, "actors": v, "components": v,
                         "data_stores": v, "data_sets": v, "data_flows": v, "threats": v, "controls": v, "risks": v,
                         "assumptions": v},
}
# A fixed seed and budget, like the readers' fuzzing: DICETM_FUZZ_SCALE=10 runs ten times as many examples.
FUZZ = settings(max_examples=150 * int(os.environ.get("DICETM_FUZZ_SCALE", "1")), deadline=None, derandomize=True,
                database=None, suppress_health_check=[HealthCheck.too_slow])


def _import(fmt: str, data: object) -> None:
    try:
        result = load_data(fmt, data, "fuzz.json")
    except InputError as exc:
        assert not any(BUG_MARK in p.message for p in exc.problems), str(exc)
        assert all(p.location.file == "fuzz.json" for p in exc.problems if p.location.file)
        return
    assert result.text.startswith("# dicetm model imported from fuzz.json")


@FUZZ
@given(fmt=st.sampled_from(FORMATS), value=JSON)
def test_random_documents_give_a_model_or_an_input_error(fmt: str, value: object) -> None:
    _import(fmt, value)


@FUZZ
@given(fmt=st.sampled_from(FORMATS), value=JSON)
def test_random_content_inside_each_format_gives_a_model_or_an_input_error(fmt: str, value: object) -> None:
    _import(fmt, SKELETONS[fmt](value))


@FUZZ
@given(text=st.text(max_size=200), fmt=st.sampled_from(FORMATS))
def test_random_text_gives_a_model_or_an_input_error(text: str, fmt: str) -> None:
    _import(fmt, text)


def _paths(value: object, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _load_sample(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


@pytest.mark.parametrize(("fmt", "name"), SAMPLE_FILES, ids=[name for _f, name in SAMPLE_FILES])
def test_mutated_samples_give_a_model_or_an_input_error(fmt: str, name: str) -> None:
    original = _load_sample(samples_dir() / name)
    paths = _paths(original)[1:]

    @FUZZ
    @given(index=st.integers(0, len(paths) - 1), action=st.sampled_from(["replace", "delete", "wrap"]),
           value=JSON)
    def mutate(index: int, action: str, value: object) -> None:
        data = copy.deepcopy(original)
        *parents, last = paths[index]
        holder: Any = data
        for part in parents:
            holder = holder[part]
        if action == "delete":
            del holder[last]
        elif action == "wrap":
            holder[last] = [holder[last]]
        else:
            holder[last] = value
        _import(fmt, data)

    mutate()
