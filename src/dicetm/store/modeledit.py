"""Edit one element, flow or trust boundary of ``dicetm.yaml`` in place, keeping the person's comments, key
order and formatting (ruamel.yaml round trip), and write the result only once it validates.

``edit_text`` is pure: text in, text out, validated exactly as ``dicetm validate`` does (the InputError it
raises names every problem with its field path). ``save_text`` writes under the workspace lock with one audit
record, and refuses when the file changed since the caller read it, so an edit made on a stale view never
overwrites someone else's.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from dicetm.errors import InputError, Location, Problem
from dicetm.store.modelfile import LoadedModel, parse_system_text

EDITABLE_SECTIONS = ("elements", "flows", "trust_boundaries")
_SEQUENCE_ITEM = re.compile(r"^( *)- \S", re.M)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _yaml(text: str) -> Any:
    from ruamel.yaml import YAML

    handler = YAML()
    handler.preserve_quotes = True
    handler.width = 4096  # never re-wrap a person's long lines
    found = _SEQUENCE_ITEM.search(text)
    offset = len(found.group(1)) if found else 2
    handler.indent(mapping=2, sequence=offset + 2, offset=offset)
    return handler


def _plain(value: Any, flow_lists: bool) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    if isinstance(value, list):
        seq = CommentedSeq(value)
        if flow_lists:
            seq.fa.set_flow_style()
        return seq
    return value


def _update(item: Any, values: Mapping[str, Any]) -> None:
    """Set or remove the keys of ``values`` in a round-trip mapping; keys not in ``values`` stay as they are.
    A value of None (or an empty list) removes the key; new keys go at the end."""
    for key, value in values.items():
        if value is None or value == []:
            if key in item:
                del item[key]
            continue
        old = item.get(key)
        if old == value:
            continue
        if isinstance(value, Mapping) and isinstance(old, dict):
            _update(old, value)  # a nested mapping (provenance) keeps its own comments and order
            continue
        flow = not isinstance(old, list) or getattr(getattr(old, "fa", None), "flow_style", lambda: True)()
        item[key] = _plain(value, flow)


def edit_text(text: str, filename: str, section: str, item_id: str | None, values: Mapping[str, Any] | None,
              known_controls: Collection[str] | None = None) -> tuple[str, LoadedModel]:
    """``text`` with one item of ``section`` changed (``values``: the keys to set, None values remove a key),
    added (``item_id`` None) or removed (``values`` None). Returns the new text and the validated model;
    InputError lists every problem of the edited model (nothing is written here)."""
    if section not in EDITABLE_SECTIONS:
        raise InputError([Problem(f"{section!r} cannot be edited here", Location(file=filename, path=section),
                                  f"one of: {', '.join(EDITABLE_SECTIONS)}")])
    handler = _yaml(text)
    data = handler.load(text)
    original = handler.load(text)  # untouched, for the places of the items in ``text``
    if not isinstance(data, dict):
        raise InputError([Problem("the model's top level is not a mapping", Location(file=filename, line=1))])
    items = data.get(section)
    if items is None:
        from ruamel.yaml.comments import CommentedSeq

        items = data[section] = CommentedSeq()
    if item_id is None:
        if values is None:
            raise InputError([Problem("nothing to add", Location(file=filename, path=section))])
        from ruamel.yaml.comments import CommentedMap

        item = CommentedMap()
        _update(item, values)
        items.append(item)
        index = len(items) - 1
    else:
        found = next((i for i, entry in enumerate(items) if isinstance(entry, dict) and entry.get("id") == item_id),
                     None)
        if found is None:
            raise InputError([Problem(f"no {section[:-1].replace('_', ' ')} {item_id!r} in the model",
                                      Location(file=filename, path=section), "reload the page: the file changed")])
        index = found
        if values is None:
            del items[index]
        else:
            _update(items[index], values)
    out = io.StringIO()
    handler.dump(data, out)
    dumped = out.getvalue()
    new_text = dumped
    if original.get(section):  # splice: every other line stays as the person wrote it
        new_text = _splice(text, original, dumped, handler.load(dumped), section, index,
                           added=item_id is None, removed=values is None)
    return new_text, parse_system_text(new_text, filename, known_controls)


def _regions(data: Any, section: str, line_count: int) -> list[tuple[int, int]]:
    """(first line, end line) of every item of ``section``, 0-based; an item runs to the next one (or to the next
    top-level key), so comments before an item travel with the item above it, as ruamel keeps them."""
    items = data[section]
    keys = list(data.keys())
    position = keys.index(section)
    end = data.lc.key(keys[position + 1])[0] if position + 1 < len(keys) else line_count
    starts = [items.lc.item(i)[0] for i in range(len(items))]
    return list(zip(starts, [*starts[1:], end], strict=True))


def _splice(text: str, original: Any, dumped: str, new: Any, section: str, index: int, *, added: bool,
            removed: bool) -> str:
    """``text`` with only the edited item's lines replaced by their new form (``dumped`` re-wraps other lines a
    person wrote, such as multi-line flow mappings, which a diff before saving must not show)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    old = _regions(original, section, len(lines))
    new_lines = dumped.splitlines(keepends=True)
    if removed:
        start, end = old[index]
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1  # blank lines and a comment heading the next item stay
        return "".join(lines[:start] + lines[end:])
    start, end = _regions(new, section, len(new_lines))[index]
    replacement = new_lines[start:end]
    if added:
        while len(replacement) > 1 and (not replacement[-1].strip() or replacement[-1].lstrip().startswith("#")):
            replacement.pop()  # what follows the last item in the dump is already in ``text``
        at = old[-1][1]
        while at > old[-1][0] + 1 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
            at -= 1  # after the last item itself, before comments and blank lines that head the next section
        return "".join(lines[:at] + replacement + lines[at:])
    first, last = old[index]
    return "".join(lines[:first] + replacement + lines[last:])


def append_text(text: str, filename: str, additions: Mapping[str, Sequence[Mapping[str, Any]]],
                known_controls: Collection[str] | None = None) -> tuple[str, LoadedModel]:
    """``text`` with whole items appended to their sections (see ``modelmerge.append_items``), validated."""
    from dicetm.store.modelmerge import append_items

    return append_items(text, filename, additions, known_controls)


def save_text(path: Path, base_digest: str, new_text: str, actor: str, action: str,
              details: dict[str, Any]) -> None:
    """Write ``new_text`` over the model file under the workspace lock, with one audit record. StoreError-free
    refusal (InputError) when the file on disk is no longer the text the edit was made on."""
    from dicetm.store.atomic import write_text_atomic
    from dicetm.store.workspace import Workspace

    workspace = Workspace.open(path)
    with workspace.transaction(actor) as tx:
        current = workspace.model_path.read_text(encoding="utf-8")
        if text_digest(current) != base_digest:
            raise InputError([Problem("the model file changed on disk since this edit was prepared; nothing was "
                                      "written", Location(file=str(workspace.model_path)),
                                      "look at the diff again and save once more")])
        write_text_atomic(workspace.model_path, new_text)
        tx.record(action, workspace.model_path.name, None, None, None,
                  {**details, "before_sha256": base_digest, "after_sha256": text_digest(new_text)})
