"""A span's sentences, each with the lexicon classes found in it (for ``scan_signals`` and ``scan_headers``)."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

Match = tuple[int, int]  # start and end in the folded text
SENTENCE_END = re.compile(r"[.!?;:](?=\s)|[!?;:](?=[^\x00-\x7f])|[。！？；]|\n\s*\n|\n(?=\s*(?:[-*+>•#|]|\d+[.)]\s))"
                          r"|\s\|\s|$")
LETTER = re.compile(r"[^\W\d_]")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


@dataclass
class Sentence:
    start: int
    end: int
    found: dict[str, list[Match]] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return bool(self.found.get(name))


def is_cell(words: str, sentence: Sentence) -> bool:
    """A table cell: its sentence ends at the bar before the next cell."""
    return words[sentence.start:sentence.end].rstrip().endswith("|")


def sentences_of(words: str, found: dict[str, list[Match]]) -> list[Sentence]:
    """The sentences of ``words`` (a line of a list or a table cell counts as one), each with the matches of
    ``found`` that start in it."""
    sentences: list[Sentence] = []
    start = 0
    for boundary in SENTENCE_END.finditer(words):
        if boundary.end() > start and words[start:boundary.end()].strip():
            sentences.append(Sentence(start, boundary.end()))
        start = boundary.end()
        if start >= len(words):
            break
    starts = [sentence.start for sentence in sentences]
    for name, matches in found.items():
        for match in matches:
            index = bisect_right(starts, match[0]) - 1  # the last sentence that starts at or before the match
            if index >= 0 and match[0] < sentences[index].end:
                sentences[index].found.setdefault(name, []).append(match)
    return sentences
