from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicetm.providers.jsontext import extract_json, schema_instruction

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)
OBJECTS = st.dictionaries(st.text(max_size=8), JSON_VALUES, min_size=1, max_size=5)
PROSE = st.text(alphabet=st.characters(exclude_characters="{}[]`"), max_size=40)


@settings(max_examples=60)
@given(obj=OBJECTS, before=PROSE, after=PROSE)
def test_an_object_is_found_inside_prose(obj: dict[str, object], before: str, after: str) -> None:
    assert extract_json(f"{before} {json.dumps(obj)} {after}") == obj


@settings(max_examples=40)
@given(obj=OBJECTS)
def test_an_object_is_found_inside_a_fence(obj: dict[str, object]) -> None:
    text = f"Here you go:\n```json\n{json.dumps(obj, indent=2)}\n```\nAnything else?"
    assert extract_json(text) == obj


def test_braces_in_the_prose_before_do_not_confuse_it() -> None:
    assert extract_json('Use {name} placeholders, see [1]. {"a": [1, 2]}') == {"a": [1, 2]}


def test_thinking_blocks_are_ignored() -> None:
    assert extract_json('<think>maybe {"a": 0}?</think>\n{"a": 1}') == {"a": 1}


def test_double_encoded_json_is_unwrapped() -> None:
    assert extract_json(json.dumps(json.dumps({"a": 1}))) == {"a": 1}


@pytest.mark.parametrize("text, reason", [("", "empty"), ("   ", "empty"), ("I cannot help.", "no JSON"),
                                          ('{"a": [1, 2', "cut off")])
def test_unusable_text_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        extract_json(text)


def test_schema_instruction_holds_the_schema() -> None:
    text = schema_instruction({"type": "object", "required": ["x"]})
    assert "JSON" in text and '"required": ["x"]' in text
