from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.errors import InputError
from dicetm.store.modelmerge import append_items

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "dicetm" / "examples"


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(line in it for line in small)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_merge_keeps_every_line_of_the_original(example: str) -> None:
    text = (EXAMPLES / example / "dicetm.yaml").read_text(encoding="utf-8")
    first = text.split("elements:", 1)[1].split("id:", 1)[1].split()[0]
    merged, loaded = append_items(text, "dicetm.yaml", {
        "elements": [{"id": "drafted-cache", "name": "Drafted cache", "kind": "data_store"}],
        "flows": [{"id": "drafted-flow", "source": first, "target": "drafted-cache"}],
    })
    assert _is_subsequence(text.splitlines(), merged.splitlines())
    ids = [e.id for e in loaded.system.elements]
    assert ids[-1] == "drafted-cache" and len(ids) == len(set(ids))
    assert loaded.system.flows[-1].id == "drafted-flow"


def test_comments_and_blank_lines_after_a_section_stay_below_the_new_items() -> None:
    text = ("name: demo\nelements:\n  - id: a\n    name: A\n    kind: process\n\n# flows follow\n"
            "flows: []  # none yet\n")
    merged, loaded = append_items(text, "m.yaml", {
        "elements": [{"id": "b", "name": "B", "kind": "data_store"}],
        "flows": [{"id": "a-to-b", "source": "a", "target": "b"}],
    })
    assert merged == ("name: demo\nelements:\n  - id: a\n    name: A\n    kind: process\n  - id: b\n    name: B\n"
                      "    kind: data_store\n\n# flows follow\nflows:\n  - id: a-to-b\n    source: a\n    target: b\n"
                      "# none yet\n")
    assert [f.id for f in loaded.system.flows] == ["a-to-b"]


def test_a_missing_section_is_added_at_the_end() -> None:
    merged, loaded = append_items("name: demo\nelements:\n- id: a\n  name: A\n  kind: process", "m.yaml",
                                  {"trust_boundaries": [{"id": "corp", "name": "Corp", "elements": ["a"]}]})
    assert merged.endswith("trust_boundaries:\n  - id: corp\n    name: Corp\n    elements:\n    - a\n")
    assert loaded.system.boundary_of == {"a": "corp"}


def test_a_merge_that_breaks_the_model_is_refused_with_its_location() -> None:
    with pytest.raises(InputError) as caught:
        append_items("name: demo\nelements: []\n", "m.yaml", {"flows": [{"id": "x", "source": "a", "target": "b"}]})
    assert any(p.location.file == "m.yaml" and "flows" in str(p.location) for p in caught.value.problems)


@pytest.mark.parametrize(("text", "message"), [
    ("name: demo\nelements:\n", "set to null"),
    ("name: demo\nelements: [{id: a, name: A, kind: process}]\n", "not a list in block style"),
    ("{name: demo}\n", "not a block mapping"),
])
def test_sections_that_cannot_be_spliced_are_named(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        append_items(text, "m.yaml", {"elements": [{"id": "b", "name": "B", "kind": "process"}]})
    assert message in str(caught.value)
    assert caught.value.problems[0].hint
