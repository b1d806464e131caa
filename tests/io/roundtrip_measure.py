"""What a foreign file keeps through dicetm and back: names, ids, positions, links, statuses and text.

A sample is imported, written as a model file, analysed and exported again to its own format with the
stated threats only. Both documents are then read without knowing anything about the format: every value
under a key that names a name, an id, a position, a link end, a status or a text is collected (as a
multiset, so 21 links that come back as 140 count 119 as added), and the two collections compared.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CATEGORIES = ("names", "ids", "positions", "links", "statuses", "text")
_NAME_KEYS = frozenset({"name", "title"})
_ID_KEYS = frozenset({"id"})
_STATUS_KEYS = frozenset({"status", "state"})
_TEXT_KEYS = frozenset({"description", "statement", "content", "mitigation", "reasonOutOfScope", "value",
                        "justification_out_of_scope", "action", "impact", "threatSource", "prerequisites",
                        "threatAction", "threatImpact", "text"})
# Keys whose value names another item: a link end.
_LINK_KEYS = ("source", "target", "destination", "cell", "trustZone", "component", "linkedId", "assumptionId",
              "mitigationId", "threat", "mitigation", "technical_assets_inside", "data_assets_sent",
              "data_assets_received", "most_relevant_technical_asset", "most_relevant_communication_link",
              "trust_boundaries_nested", "data_assets_stored", "data_assets_processed")


@dataclass
class Comparison:
    lost: dict[str, Counter[str]] = field(default_factory=dict)
    added: dict[str, Counter[str]] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)

    def lost_count(self, category: str) -> int:
        return sum(self.lost.get(category, Counter()).values())

    def added_count(self, category: str) -> int:
        return sum(self.added.get(category, Counter()).values())


def read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if text.lstrip().startswith(("{", "[")) else yaml.safe_load(text)


def collect(doc: Any) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {c: Counter() for c in CATEGORIES}
    for node in _dicts(doc):
        for key, value in node.items():
            if key in _NAME_KEYS and isinstance(value, str) and value:
                found["names"][value] += 1
            elif key in _ID_KEYS and isinstance(value, str | int) and value != "":
                found["ids"][str(value)] += 1
            elif key in _STATUS_KEYS and isinstance(value, str) and value:
                found["statuses"][f"{node.get('id', node.get('threat', ''))}={value}"] += 1
            elif key in _TEXT_KEYS and isinstance(value, str) and value.strip():
                found["text"][value] += 1
        position = node.get("position")
        if isinstance(position, dict) and {"x", "y"} <= position.keys():
            found["positions"][f"{node.get('id', '')}@{position['x']},{position['y']}"] += 1
        ends = [_end(node[key]) for key in _LINK_KEYS if key in node]
        ends = [e for e in ends if e]
        if ends:
            found["links"]["|".join(ends)] += 1
    return found


def _end(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("cell") or value.get("id") or value.get("trustZone") or value.get("component") or "")
    if isinstance(value, list):
        return ",".join(sorted(str(v) for v in value if isinstance(v, str | int)))
    return str(value) if isinstance(value, str | int) else ""


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def compare(original: Any, exported: Any) -> Comparison:
    before, after = collect(original), collect(exported)
    result = Comparison()
    for category in CATEGORIES:
        result.lost[category] = before[category] - after[category]
        result.added[category] = after[category] - before[category]
        result.total[category] = sum(before[category].values())
    return result


def round_trip(fmt: str, path: Path, target: str | None = None) -> tuple[Any, str]:
    """Import ``path`` (in ``fmt``), analyse it, export it to ``target`` (default: the same format)."""
    from dicetm.api import analyze_path
    from dicetm.io import load_file
    from dicetm.io.exporters import export

    imported = load_file(fmt, path)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "dicetm.yaml").write_text(imported.text, encoding="utf-8")
        loaded, result = analyze_path(Path(folder))
        text = export(target or fmt, result, loaded, threats="stated")
    return imported, text
