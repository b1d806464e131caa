"""The register file: one stable text per register, and loading with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dicetm.errors import StoreError
from dicetm.model.register import (
    CountermeasureEntry,
    HistoryEntry,
    Register,
    ResidualRiskRecord,
    ThreatEntry,
    ThreatStatus,
)
from dicetm.store.audit import register_digest
from dicetm.store.registerfile import dump_register, encode, load_register, normalized, parse_encoded, parse_register


def sample() -> Register:
    history = [HistoryEntry(seq=1, at="2026-11-26T02:30:00.000001Z", actor="Dana", action="accept",
                            status_after="accepted", reason="yes: it's real", seconds_on_screen=12.5,
                            details={"b": [1, 2.5, None], "a": {"on": "no"}})]
    return Register(
        system="demo",
        threats=[ThreatEntry(id="T-LLM-002@bot", rule="T-LLM-002", title="b", status=ThreatStatus.accepted,
                             history=history),
                 ThreatEntry(id="T-LLM-001@bot", rule="T-LLM-001", title="a", facts={"x": "2026-01-01"})],
        countermeasures=[CountermeasureEntry(id="C-LLM-002"), CountermeasureEntry(id="C-LLM-001")],
        residual_risks=[ResidualRiskRecord(threat="T-LLM-002@bot"), ResidualRiskRecord(threat="T-LLM-001@bot")],
    )


def test_lists_are_sorted_and_keys_follow_the_model() -> None:
    register = normalized(sample())
    assert [t.id for t in register.threats] == ["T-LLM-001@bot", "T-LLM-002@bot"]
    assert [c.id for c in register.countermeasures] == ["C-LLM-001", "C-LLM-002"]
    assert [r.threat for r in register.residual_risks] == ["T-LLM-001@bot", "T-LLM-002@bot"]
    data = yaml.safe_load(dump_register(register))
    assert list(data) == list(Register.model_fields)
    unset_hidden = [name for name, info in ThreatEntry.model_fields.items() if info.exclude_if is None]
    assert list(data["threats"][0]) == unset_hidden  # a field left out while unset (tracker) keeps old digests
    assert list(data["threats"][1]["history"][0]) == list(HistoryEntry.model_fields)


def test_round_trip_is_exact_and_text_is_stable() -> None:
    register = normalized(sample())
    text = dump_register(register)
    loaded = parse_register(text, "r.yaml")
    assert loaded == register and register_digest(loaded) == register_digest(register)
    assert dump_register(loaded) == text
    assert text.startswith("# Written by dicetm")
    assert '"at": "2026-11-26T02:30:00.000001Z"' in text  # text that YAML would read as a timestamp stays text
    assert Register.model_validate(yaml.safe_load(text)) == register  # YAML tools read the file too


def test_missing_file_is_none(tmp_path: Path) -> None:
    assert load_register(tmp_path / "dicetm-register.yaml") is None


@pytest.mark.parametrize(("text", "line", "column", "fragment"), [
    ("threats: [\n", 2, 1, "not valid YAML"),
    ("threats:\n  - id: T-1\n    rule: T\n    title: x\n    status: approved\n", 5, 13, "threats[0].status"),
    ("threats:\n  - id: T-1\n    title: x\n", 2, 5, "threats[0].rule"),
    ("surprise: 1\n", 1, 11, "surprise"),
    ("- a\n", 1, None, "mapping"),
    ("# nothing\n", 1, None, "empty"),
    ("threats:\n  - id: T-1\n    rule: T\n    title: x\n    decided_at: 2026-01-01\n", 5, 17, "decided_at"),
])
def test_broken_register_is_a_located_store_error(tmp_path: Path, text: str, line: int, column: int | None,
                                                  fragment: str) -> None:
    path = tmp_path / "dicetm-register.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        load_register(path)
    problem = caught.value.problems[0]
    assert fragment in problem.message
    assert (problem.location.file, problem.location.line, problem.location.column) == (str(path), line, column)
    assert problem.hint and "version control" in problem.hint
    assert path.read_text(encoding="utf-8") == text  # reported, never reset


def test_every_schema_problem_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "dicetm-register.yaml"
    path.write_text("iteration: many\nthreats:\n  - id: T-1\n    rule: T\n    title: x\n    status: nope\n",
                    encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        load_register(path)
    assert [p.location.line for p in caught.value.problems] == [1, 6]


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "dicetm-register.yaml"
    path.write_bytes(b"system: ok\nthreats: []\n# \xff\n")
    with pytest.raises(StoreError, match="not UTF-8") as caught:
        load_register(path)
    assert caught.value.problems[0].location.line == 3


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-(2**70), 2**70) | TEXT
                           | st.floats(allow_nan=False),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=100, deadline=None)
@given(reason=TEXT, title=TEXT, details=st.dictionaries(TEXT, JSON_VALUES, max_size=4),
       seconds=st.none() | st.floats(min_value=0, allow_nan=False))
def test_any_text_and_details_survive_the_file(reason: str, title: str, details: dict[str, object],
                                              seconds: float | None) -> None:
    entry = ThreatEntry(id="T-LLM-001@bot", rule="T-LLM-001", title=title, reason=reason, history=[
        HistoryEntry(seq=1, at="2026-11-26T02:30:00.000001Z", actor=title, action="modify", status_after="modified",
                     reason=reason, seconds_on_screen=seconds, details=details)])
    register = normalized(Register(system=reason, threats=[entry]))
    loaded = parse_register(dump_register(register), "r.yaml")
    assert register_digest(loaded) == register_digest(register)


# --------------------------------------------------------------------------------------- format 2


@settings(max_examples=60, deadline=None)
@given(reason=TEXT, title=TEXT, details=st.dictionaries(TEXT, JSON_VALUES, max_size=4))
def test_yaml_tools_read_the_same_register(reason: str, title: str, details: dict[str, object]) -> None:
    """The JSON layout is also YAML: any YAML reader (and an older dicetm) gets the same data."""
    entry = ThreatEntry(id="T-LLM-001@bot", rule="T-LLM-001", title=title, reason=reason, history=[
        HistoryEntry(seq=1, at="2026-11-26T02:30:00.000001Z", actor=title, action="modify", status_after="modified",
                     reason=reason, details=details)])
    register = normalized(Register(system=reason, threats=[entry]))
    text = dump_register(register)
    if "Infinity" not in text:  # JSON's spelling of an infinite float, which YAML reads as text
        assert Register.model_validate(yaml.safe_load(text)) == register


def test_a_decision_changes_a_few_lines_of_one_entry(tmp_path: Path) -> None:
    entries = [ThreatEntry(id=f"T-LLM-00{n}@bot", rule=f"T-LLM-00{n}", title=f"threat {n}") for n in range(1, 6)]
    register = normalized(Register(system="demo", threats=entries))
    before = dump_register(register).splitlines()
    decided = register.model_copy(deep=True)
    decided.threats[2].status = ThreatStatus.accepted
    decided.threats[2].reviewer = "Dana"
    decided.threats[2].history.append(HistoryEntry(seq=7, at="2026-11-26T02:30:00.000001Z", actor="Dana",
                                                   action="accept", status_after="accepted"))
    after = dump_register(normalized(decided)).splitlines()
    changed = [line for line in after if line not in before]
    assert len(after) - len(before) == 2  # the history entry's own line and the closing bracket
    assert changed == ['      "status": "accepted",', '      "reviewer": "Dana",', '      "history": [',
                       next(line for line in after if '"seq": 7' in line), "      ]"]


def test_encoding_reuses_unchanged_entries_and_digests_like_the_audit_log() -> None:
    register = normalized(sample())
    first = encode(register)
    assert first.digest == register_digest(register)
    decided = first.register()
    decided.threats[0].reason = "now decided"
    second = encode(decided, first.texts)
    assert second.digest == register_digest(decided) != first.digest
    assert second.texts[second.canonical["threats"][1]] is first.texts[first.canonical["threats"][1]]


def test_the_file_is_read_back_with_its_entry_texts(tmp_path: Path) -> None:
    text = dump_register(normalized(sample()))
    encoded = parse_encoded(text.encode("utf-8"), "r.yaml")
    assert encoded.text() == text
    assert set(encoded.texts.values()) <= {line for line in [text[text.index(v):text.index(v) + len(v)]
                                                             for v in encoded.texts.values()]}


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ('{\n  "version": 2,\n  "threats": [\n    {"id": "T-1",\n', 5, "not valid JSON"),
    ('{\n  "version": 2\n}\ntrailing\n', 4, "more text after"),
    ('{\n  "threats": [\n    {"id": "T-1", "rule": "T", "title": "x", "status": "approved"}\n  ]\n}\n', 3,
     "threats[0].status"),
    ('{\n  "iteration": "many"\n}\n', 2, "iteration"),
    ('[1, 2]\n', 1, "mapping"),
])
def test_a_broken_format_2_file_is_located(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "dicetm-register.yaml"
    path.write_text("# Written by dicetm\n" + text, encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        load_register(path)
    problem = caught.value.problems[0]
    assert fragment in problem.message
    assert (problem.location.file, problem.location.line) == (str(path), line + 1)


def test_a_register_from_a_newer_dicetm_is_not_written(tmp_path: Path) -> None:
    from dicetm.store.workspace import Workspace

    (tmp_path / "dicetm.yaml").write_text("name: x\n", encoding="utf-8")
    workspace = Workspace.open(tmp_path)
    with workspace.transaction("Dana") as tx:  # as a later release would write it
        tx.register.version = 9
        tx.record("note", "x", None, None)
    assert workspace.verify().ok and workspace.read().version == 9
    with pytest.raises(StoreError, match="format 9, written by a newer dicetm"), workspace.transaction("Dana"):
        pass
