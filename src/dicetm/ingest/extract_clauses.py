"""The pieces of a clause ``extract_flows`` reads: where clauses start, the objects a verb joins ("X, Y and Z"),
the words a flow carries ("sends the draft reply to"), and a sentence split at its semicolons or lines."""

from __future__ import annotations

import re

from dicetm.ingest.extract_flow_words import DETERMINER, PRONOUN_DATA
from dicetm.ingest.extract_names import Mention


def channel(verb: re.Match[str], targets: list[Mention], after: list[Mention], text: str) -> list[Mention]:
    """What people use: "chat with X in Slack" is Slack, the app they chat in; "sign in with Okta" names how they
    sign in, not something they use (that is a fact); "sign in to X" is X."""
    if re.match(r"(?:signs?|logs?)\s+(?:in|on)$", verb.group(0), re.I):
        return []  # "signs in with Okta": how, not where
    if not targets:
        return targets
    for place in re.finditer(r"\s(?:in|on|through|via)\s+(?:the\s+|our\s+|a\s+)?[*_`]*", text[targets[0].end:]):
        at = targets[0].end + place.end()
        channel = next((m for m in after if m.start == at), None)
        if channel is not None and short_gap(text[targets[0].end:at]):
            return [channel]
        break
    return targets


def inside_mention(position: int, mentions: list[Mention]) -> bool:
    return any(m.start <= position < m.end for m in mentions)


def short_gap(text: str) -> bool:
    """Between a verb (or a preposition) and its object: a few words, no clause break."""
    return not re.search(r"[.;:!?]|,\s*(?:and|but|which|while|so)\b", text) and len(text.split()) <= 8


def coordinated(after: list[Mention], text: str) -> list[Mention]:
    """"reads X, Y and Z": the objects joined by commas and "and"."""
    chosen = [after[0]]
    for mention in after[1:]:
        gap = text[chosen[-1].end:mention.start]
        if re.fullmatch(r"\s*(?:,|,?\s+and|,?\s+or)\s+(?:(?:the|a|an|our|its|their)\s+)?", gap):
            chosen.append(mention)
        else:
            break
    return chosen


def call_data(text: str) -> str | None:
    """What a call carries, when the sentence says: "queries X for the top passages", "calls Y with the prompt"."""
    found = re.match(r"\s*(?:for|with|about)\s+(.*)", text)
    return data_words(found.group(1)) if found else None


def clause_starts(events: list[tuple[int, str, re.Match[str]]], text: str, mentions: list[Mention],
                   clause_start: re.Pattern[str]) -> list[tuple[int, str, re.Match[str]]]:
    """Verbs that start a clause: the first, and each one after a conjunction, a comma or a component's name
    ("writes request logs to ...": "logs" is part of the object, not a second verb)."""
    kept: list[tuple[int, str, re.Match[str]]] = []
    for event in events:
        if kept:
            between = text[kept[-1][2].end():event[0]]
            starts = clause_start.search(between) or \
                any(kept[-1][2].end() <= m.start < event[0] for m in mentions)
            if not starts:
                continue
        kept.append(event)
    return kept


def data_words(text: str, small: frozenset[str] = frozenset()) -> str | None:
    """The data a flow carries, from the words around its verb; ``small`` are another language's prepositions and
    articles, trimmed from both ends ("las ordenanzas del" -> "ordenanzas")."""
    words = re.sub(r"^[\s,]+|[\s,.;:]+$", "", text)
    if small:
        parts = words.split()
        while parts and parts[0].lower() in small:
            parts.pop(0)
        while parts and parts[-1].lower() in small:
            parts.pop()
        words = " ".join(parts)
    words = re.sub(r"^(?:to|into|from|with|for|through|via|over|on|in)\b\s*", "", words, flags=re.I)
    words = re.sub(r"^(?:back|also|then)\s+", "", words, flags=re.I)
    words = re.split(r"\s+(?:to|into|from|with|for|through|via|over|on|in|and then|when|if|every)(?:\s+|$)", words)[0]
    words = DETERMINER.sub("", words.strip()).strip(" ,")
    if not re.search(r"\w", words):  # the closing quote of a name written as code ("reads `AGENTS.md`")
        return None
    if not words or words.lower() in PRONOUN_DATA or len(words.split()) > 10 or DETERMINER.match(words + " "):
        return None  # "reads the X": "the" is no data
    return words


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence split at its semicolons."""
    bounds, position = [], start
    for match in re.finditer(r";\s+", text[start:end]):
        bounds.append((position, start + match.start()))
        position = start + match.end()
    bounds.append((position, end))
    return [(a, b) for a, b in bounds if text[a:b].strip()]


def line_bounds(text: str, start: int, end: int) -> list[tuple[int, int]]:
    bounds, position = [], start
    for line in text[start:end].split("\n"):
        bounds.append((position, position + len(line)))
        position += len(line) + 1
    return [(a, b) for a, b in bounds if b > a]
