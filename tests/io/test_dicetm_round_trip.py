"""A dicetm model sent to another tool and taken in again keeps what the finding ids rest on.

Threat Dragon and OTM exports carry dicetm's own marks (the element kind, and for OTM the stated facts); the
importers read them back, so the element ids, kinds and facts, and with them the threat ids that decisions are
recorded against, come through unchanged. A file another tool wrote is read as before (the shared samples'
round trips check that).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from export_helpers import EXAMPLES, analysed

from dicetm.io import load_data
from dicetm.io.exporters import export
from dicetm.model import Element, Flow
from dicetm.pipeline.run import analyze

_NOT_COMPARED = {"provenance", "source_data"}


def _facts(item: Element | Flow) -> dict[str, Any]:
    return {k: v for k, v in item.model_dump(exclude_none=True).items() if k not in _NOT_COMPARED and v not in ([],)}


@pytest.mark.parametrize("example", EXAMPLES)
def test_otm_out_and_back_keeps_ids_kinds_facts_and_threat_ids(example: str) -> None:
    loaded, result = analysed(example)
    back = load_data("otm", json.loads(export("otm", result, loaded)), "model.otm.json").system
    assert {e.id: _facts(e) for e in back.elements} == {e.id: _facts(e) for e in loaded.system.elements}
    original_flows = {f.id: _facts(f) for f in loaded.system.flows}
    assert {f.id: _facts(f) for f in back.flows} == original_flows
    assert {t.id for t in analyze(back).threats} == {t.id for t in result.threats}


@pytest.mark.parametrize("example", EXAMPLES)
def test_threat_dragon_out_and_back_keeps_element_ids_and_kinds(example: str) -> None:
    loaded, result = analysed(example)
    imported = load_data("threat-dragon", export("threat-dragon", result, loaded), "model.json")
    back = imported.system
    assert {e.id: e.kind for e in back.elements} == {e.id: e.kind for e in loaded.system.elements}
    assert not [u for u in imported.unmapped if "dicetmKind" in str(u)]  # read, not reported as dropped
