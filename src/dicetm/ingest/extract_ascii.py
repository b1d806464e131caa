"""Diagrams drawn in text in a document's code blocks, as slides and READMEs draw them: "Bitbucket DC ──► corpus
builder ──► secret scrubber", "client -> gateway -> model", "eval harness ◄── MLflow registry". Each label between
arrows on a line is a component (named as written; a parenthesis after it says what it is built with, as in
"training corpus (S3)"), each arrow a flow in its direction; "<->" goes both ways.

Only arrows along a line are read, with one exception: a branch of a tree ("├──► vector store", "└──► cache",
"+--> queue") starts from the label its vertical connector hangs from, the label straight above it in that
column. Other vertical connectors of a box drawing (│ ▼ ▲ ┘) join boxes this reader cannot pair without guessing,
so they are left out. A block is a diagram only when its arrows join labels that
read as names (a few words, no code punctuation), so a type hint ("def f() -> int:") or a shell pipe is not one.
"""

from __future__ import annotations

import re

from dicetm.ingest.extract_ir import Extraction, Relation, SourceText, split_name
from dicetm.ingest.extract_resolve import normal

_HEAD_RIGHT = r"[>►▶→⟶⇒➜➔]"
_HEAD_LEFT = r"[<◄◀←⟵⇐]"
_SHAFT = r"[-─━=═]"
_ARROW = re.compile(rf"(?P<both>{_HEAD_LEFT}{_SHAFT}+{_HEAD_RIGHT}|[↔⟷])|(?P<right>{_SHAFT}+{_HEAD_RIGHT}|[→⟶⇒➜➔►▶])|"
                    rf"(?P<left>{_HEAD_LEFT}{_SHAFT}+|[←⟵⇐◄◀])")
_DRAWING = re.compile(r"[│┃║┌┐└┘├┤┬┴┼╭╮╯╰▼▲▽△↓↑|+─━═\[\]]")
_CODE = re.compile(r"[=;{}$`\\]|\b(?:def|return|int|str|void|function|const|let|var|import|from|class)\b|::|\(\)")
_BRANCH = re.compile(r"\s*[├└╰┣┗╠╚+|`]\s*")  # what stands before the arrow of a tree branch
_VERTICAL = frozenset("│┃║├┤┬┼┣┗╠╚|+╎┆")
_MAX_WORDS = 6
_MIN_ARROWS = 2  # arrows a block needs before it is read as a diagram


def is_text_diagram(text: str) -> bool:
    """Whether a code block is a diagram drawn in text: at least two arrows, every one between two name-like
    labels."""
    arrows = 0
    for line in text.split("\n"):
        pieces = _pieces(line)
        if pieces is None:
            return False
        arrows += sum(1 for kind, _, _, _ in pieces if kind != "label")
    return arrows >= _MIN_ARROWS


def extract_text_diagram(source: SourceText, out: Extraction, prefix: str) -> bool:
    """Add the diagram's labels as entities and its arrows as relations to ``out``."""
    found = False
    for index, line in enumerate(source.lines):
        pieces = _pieces(line) or []
        for position, (kind, _, _, _) in enumerate(pieces):
            if kind in ("label", "branch"):
                continue
            (left_kind, left, left_start, left_end), (_, right, right_start, right_end) = pieces[position - 1], \
                pieces[position + 1]
            where = source.where(index, left_start, right_end)
            if where is None:
                continue
            if left_kind == "branch":
                source_key = _hanging_from(source, out, prefix, index, left_start)
            else:
                source_key = _entity(source, out, prefix, index, left, left_start, left_end)
            target_key = _entity(source, out, prefix, index, right, right_start, right_end)
            if source_key is None or target_key is None or source_key == target_key:
                continue
            if kind == "left":
                source_key, target_key = target_key, source_key
            out.relations.append(Relation(source_key, target_key, where, bidirectional=kind == "both"))
            found = True
    return found


def _pieces(line: str) -> list[tuple[str, str, int, int]] | None:
    """A line as alternating labels and arrows (kind, text, start, end); [] for a line without arrows; None when
    an arrow does not stand between two name-like labels."""
    arrows = list(_ARROW.finditer(line))
    if not arrows:
        return []
    pieces: list[tuple[str, str, int, int]] = []
    bounds = [0, *(x for m in arrows for x in (m.start(), m.end())), len(line)]
    for number in range(len(arrows) + 1):
        start, end = bounds[2 * number], bounds[2 * number + 1]
        if number == 0 and _BRANCH.fullmatch(line[start:end]):  # "   ├──► store": a branch of the label above
            column = len(line[start:end].rstrip()) - 1
            pieces.append(("branch", "", start + column, start + column + 1))
            pieces.append((arrows[0].lastgroup or "right", arrows[0].group(0), arrows[0].start(), arrows[0].end()))
            continue
        label = _DRAWING.sub(" ", line[start:end])
        if not _names(label):
            return None
        offset = start + len(label) - len(label.lstrip())
        pieces.append(("label", " ".join(label.split()), offset, offset + len(label.strip())))
        if number < len(arrows):
            match = arrows[number]
            pieces.append((match.lastgroup or "right", match.group(0), match.start(), match.end()))
    return pieces


def _hanging_from(source: SourceText, out: Extraction, prefix: str, index: int, column: int) -> str | None:
    """The label a branch at ``column`` of line ``index`` hangs from: up the vertical connectors in that column
    to the first line with a label there; None when a blank breaks the line or no label covers the column."""
    for above in range(index - 1, -1, -1):
        line = source.lines[above]
        mark = line[column] if column < len(line) else " "
        if mark in _VERTICAL:
            continue
        if mark.isspace():
            return None
        label = next((p for p in _pieces(line) or [] if p[0] == "label" and p[2] <= column < p[3]), None)
        return None if label is None else _entity(source, out, prefix, above, label[1], label[2], label[3])
    return None


def _names(label: str) -> bool:
    words = label.split()
    return 0 < len(words) <= 2 * _MAX_WORDS and not _CODE.search(label) and any(c.isalpha() for c in label) and \
        len(split_name(label)[0].split()) <= _MAX_WORDS  # "HF Hub (StarCoder2-7B, pinned)": its name is two words


def _entity(source: SourceText, out: Extraction, prefix: str, index: int, label: str, start: int, end: int
            ) -> str | None:
    name, aliases, qualifier = split_name(label)
    if not name:
        return None
    entity = out.entity(f"{prefix}:{normal(name)}", name, source.where(index, start, end))
    entity.aliases += [a for a in aliases if a not in entity.aliases]
    entity.technology = entity.technology or qualifier
    return entity.key
