"""Editing dicetm.yaml in place: comments, key order and formatting survive; invalid edits raise and change
nothing; a stale edit is refused."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

pytest.importorskip("ruamel.yaml", reason="model editing needs the [web] extra")

from dicetm.errors import InputError
from dicetm.store.modeledit import edit_text, save_text, text_digest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*/dicetm.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_an_edit_changes_only_the_lines_it_must(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    first = text.split("- id: ", 1)[1].split("\n", 1)[0].strip()
    new, loaded = edit_text(text, path.name, "elements", first, {"name": "Renamed <b>"})
    old_lines, new_lines = text.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].strip() == "name: Renamed <b>"
    assert loaded.system.element_by_id[first].name == "Renamed <b>"
    assert [line for line in new_lines if line.lstrip().startswith("#")] == \
        [line for line in old_lines if line.lstrip().startswith("#")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_adding_and_removing_a_flow_leaves_every_other_line_as_written(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    loaded_ids = [line.split("id:", 1)[1].split(",")[0].strip() for line in text.splitlines()
                  if line.lstrip().startswith("- {id:") or line.lstrip().startswith("- id:")]
    elements = [e for e in loaded_ids if f"- id: {e}" in text or f"- {{id: {e}," in text]
    added, _ = edit_text(text, path.name, "flows", None,
                         {"id": "zz-new-flow", "source": elements[0], "target": elements[1], "data": "test"})
    changes = [op for op in difflib.SequenceMatcher(None, text.splitlines(), added.splitlines()).get_opcodes()
               if op[0] != "equal"]
    assert [op[0] for op in changes] == ["insert"]  # one block inserted, nothing else touched
    assert "id: zz-new-flow" in "\n".join(added.splitlines()[changes[0][3]:changes[0][4]])
    removed, _ = edit_text(added, path.name, "flows", "zz-new-flow", None)
    assert removed == text


def test_unknown_facts_are_removed_and_new_keys_go_last() -> None:
    text = (REPO / "examples/support-chatbot/dicetm.yaml").read_text(encoding="utf-8")
    new, loaded = edit_text(text, "dicetm.yaml", "elements", "chat-ui",
                            {"authenticated": None, "exposure": "internet", "rate_limited": True,
                             "output_rendered_as": ["markdown", "html"]})
    block = new.split("- id: chat-ui", 1)[1].split("\n\n", 1)[0]
    assert "authenticated" not in block and "exposure: internet" in block
    assert block.rstrip().endswith("rate_limited: true")
    assert "output_rendered_as: [markdown, html]" in block  # a flow-style list stays flow style
    assert loaded.system.element_by_id["chat-ui"].authenticated is None


def test_add_and_remove_items() -> None:
    text = (REPO / "examples/support-chatbot/dicetm.yaml").read_text(encoding="utf-8")
    added, loaded = edit_text(text, "dicetm.yaml", "flows", None,
                              {"id": "f-new", "source": "chat-ui", "target": "crm", "data": "exports"})
    assert loaded.system.flow_by_id["f-new"].target == "crm"
    removed, loaded = edit_text(added, "dicetm.yaml", "flows", "f-new", None)
    assert "f-new" not in loaded.system.flow_by_id and removed == text


def test_an_invalid_edit_names_the_field_and_returns_nothing() -> None:
    text = (REPO / "examples/support-chatbot/dicetm.yaml").read_text(encoding="utf-8")
    with pytest.raises(InputError) as caught:
        edit_text(text, "dicetm.yaml", "elements", "chat-ui", {"kind": "robot", "id": "Bad Id"})
    paths = {p.location.path for p in caught.value.problems}
    assert "elements[2].kind" in paths and "elements[2].id" in paths
    with pytest.raises(InputError, match="no element 'ghost'"):
        edit_text(text, "dicetm.yaml", "elements", "ghost", {"name": "x"})


def test_save_refuses_a_file_that_changed_since(tmp_path: Path) -> None:
    model = tmp_path / "dicetm.yaml"
    text = (REPO / "examples/support-chatbot/dicetm.yaml").read_text(encoding="utf-8")
    model.write_text(text, encoding="utf-8")
    new, _ = edit_text(text, "dicetm.yaml", "elements", "chat-ui", {"name": "Chat UI"})
    model.write_text(text + "\n# someone else\n", encoding="utf-8")
    with pytest.raises(InputError, match="changed on disk"):
        save_text(model, text_digest(text), new, "Dana", "model-edit", {})
    assert model.read_text(encoding="utf-8").endswith("# someone else\n")
    assert not (tmp_path / "dicetm-audit.jsonl").exists()
    save_text(model, text_digest(model.read_text(encoding="utf-8")), new, "Dana", "model-edit", {"item": "chat-ui"})
    assert model.read_text(encoding="utf-8") == new
    assert "model-edit" in (tmp_path / "dicetm-audit.jsonl").read_text(encoding="utf-8")
