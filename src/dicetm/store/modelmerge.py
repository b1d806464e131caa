"""Add items to an existing ``dicetm.yaml`` without rewriting what a person wrote.

The new items are spliced into the text after the last item of their section (or a new section is added at
the end), so comments, order and formatting of the file stay as they were. The merged text is validated
before anyone writes it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import yaml

from dicetm.errors import InputError, Location, Problem
from dicetm.store.modelfile import LoadedModel, parse_system_text

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def append_items(text: str, filename: str, additions: Mapping[str, Sequence[Mapping[str, Any]]],
                 known_controls: Collection[str] | None = None) -> tuple[str, LoadedModel]:
    """``text`` with ``additions`` (section name -> items as plain data) appended; the merged model loads.

    Raises InputError naming the file when the model's top level is not a block mapping (nothing to splice
    into safely) or when the merged model does not validate.
    """
    root = yaml.compose(text, Loader=_LOADER)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise InputError([Problem("cannot merge into this model file: its top level is not a block mapping",
                                  Location(file=filename, line=1), "merge into a dicetm.yaml written in block style")])
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    sections = {key.value: value for key, value in root.value}
    # Splice from the bottom up so earlier line numbers stay valid.
    edits: list[tuple[int, int, list[str]]] = []  # (start line, end line, replacement lines), 0-based
    appended: list[str] = []
    for section, items in additions.items():
        if not items:
            continue
        node = sections.get(section)
        if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
            indent = node.value[0].start_mark.column - 2
            after = _last_line(node, lines)
            edits.append((after, after, _items_text(items, indent)))
        elif isinstance(node, yaml.SequenceNode) and node.flow_style and not node.value:
            key_line = node.start_mark.line
            key_text = lines[key_line][: node.start_mark.column].rstrip()
            edits.append((key_line, node.end_mark.line + 1,
                          [key_text + "\n", *_items_text(items, 2), *_rest(lines[node.end_mark.line], node)]))
        elif node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
            if node is not None:
                raise InputError([Problem(f"cannot merge into '{section}': it is set to null",
                                          Location(file=filename, line=node.start_mark.line + 1, path=section),
                                          f"write '{section}: []' or remove the key")])
            appended += [f"{section}:\n", *_items_text(items, 2)]
        else:
            raise InputError([Problem(f"cannot merge into '{section}': it is not a list in block style",
                                      Location(file=filename, line=node.start_mark.line + 1, path=section),
                                      "write the section as a block list ('- id: ...' lines)")])
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[start:end] = new
    merged = "".join(lines) + "".join(appended)
    return merged, parse_system_text(merged, filename, known_controls)


def _last_line(node: yaml.SequenceNode, lines: Sequence[str]) -> int:
    """The 0-based line after the last content line of the sequence's last item (blank lines and comments
    that follow it stay below the new items)."""
    last = node.value[-1]
    end = last.end_mark.line + 1 if last.end_mark.column > 0 else last.end_mark.line
    while end - 1 > last.start_mark.line and _blank_or_comment(lines[end - 1]):
        end -= 1
    return end


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _rest(line: str, node: yaml.SequenceNode) -> list[str]:
    tail = line[node.end_mark.column:].strip()
    return [f"# {tail.lstrip('#').strip()}\n"] if tail.startswith("#") else []


def _items_text(items: Sequence[Mapping[str, Any]], indent: int) -> list[str]:
    body = yaml.dump(list(items), Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=False)
    pad = " " * max(indent, 0)
    return [pad + line if line.strip() else line for line in body.splitlines(keepends=True)]
