"""Flows written as arrows in a list item or a line of text ("Employee → Expensify: submits report",
"get_report ← Expensify; read_receipt ↔ Textract", "approve_report / flag_report → Expensify"): the labels the
arrows join name components, as the boxes of a diagram do, so the document's structure names them before its
sentences are read (``extract_prose``); the arrows themselves are read as flows with the sentences
(``extract_flows``).

A label names a component when it reads as a name: a few words opening with a capital letter, a digit or an
identifier ("get_report", "crm-mcp"), not a phrase of prose ("Every step of the run", "approved reports sync
nightly Expensify"). Words after a colon are the data, not a label; a semicolon starts another statement, a
slash or a plus sign joins several names on one side.
"""

from __future__ import annotations

import re

from dicetm.ingest.extract_flow_words import ARROW

_STATEMENT = re.compile(r"[^;\n]+")
_SEVERAL = re.compile(r"\s+(?:/|\+|&)\s+|\s*,\s+")
_NAME_WORDS = 5
_LEADS = frozenset({"every", "each", "all", "any", "some", "the", "a", "an", "this", "that", "these", "those", "then",
                    "when", "if", "after", "before", "once", "and", "or", "but", "only", "no", "not"})
_ANSWERS = frozenset({"yes", "no", "ja", "nein", "oui", "non", "sí", "si", "não", "sim", "nee", "tak", "nie", "ok",
                      "n/a", "none", "tbd"})
_IDENTIFIER = re.compile(r"[A-Za-z][\w.-]*[_.-][\w.-]+|[a-z]+[A-Z]\w*")


def arrow_labels(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Where the name-like labels the arrows of ``text[start:end]`` join are, as (start, end) offsets."""
    end = len(text) if end is None else end
    found: list[tuple[int, int]] = []
    for statement in _STATEMENT.finditer(text, start, end):
        body_end = statement.end()
        arrows = list(ARROW.finditer(text, statement.start(), body_end))
        if not arrows:
            continue
        colon = text.find(":", arrows[-1].end(), body_end)
        body_end = colon if colon >= 0 else body_end
        bounds = [statement.start(), *(p for a in arrows for p in a.span()), body_end]
        for index in range(len(arrows) + 1):
            side_start, side_end = bounds[2 * index], bounds[2 * index + 1]
            position = side_start
            for part in [*_SEVERAL.split(text[side_start:side_end]), ""]:
                offset = text.find(part, position, side_end) if part else -1
                if offset < 0:
                    continue
                position = offset + len(part)
                label = part.strip(" \t*_`-•")
                if _names(label):
                    at = text.find(label, offset)
                    found.append((at, at + len(label)))
    return found


def _names(label: str) -> bool:
    words = re.sub(r"\([^()]*\)", " ", label).split()
    if not words or len(words) > _NAME_WORDS or words[0].lower() in _LEADS or label.endswith(("?", "!")) or \
            label.lower().strip(" .") in _ANSWERS:
        return False  # "Are prompts logged? -> NO": a question and its answer
    return label[:1].isupper() or label[:1].isdigit() or bool(_IDENTIFIER.match(words[0]))
