"""When a reason is a reason: the floor every decision meets, and the policy's test of substance.

A rejection takes a threat out of the gate, so the words behind it are what an auditor reads. Three tests:

* the floor (always, when ``decide`` records a reason): it holds a letter or a digit and is not one character
  repeated, so ``.``, ``...``, ``x`` and ``----`` are refused;
* substance (the policy's ``min_reason_length``): at least that many characters once runs of spaces are
  collapsed, and at least ``MIN_DISTINCT_WORDS`` different words of two or more letters, so neither padding
  nor one word repeated passes;
* reuse (the policy's ``max_rules_per_reason``): one reason text, compared without case, spacing or closing
  punctuation, may back rejections of threats of at most that many rules. Rejecting every threat of one rule
  with one reason (``--all-of``) is one thought; the same words across many rules read pasted.
"""

from __future__ import annotations

import re
import unicodedata

MIN_DISTINCT_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{2,}")  # two or more letters, in any script


def _has_letter_or_digit(text: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in text)


def floor_problem(reason: str) -> str | None:
    """Why ``reason`` is no reason at all, or None."""
    text = reason.strip()
    if not text:
        return "the reason is blank"
    if not _has_letter_or_digit(text):
        return f"the reason {text!r} holds no word, only punctuation or symbols"
    if len(set(text.replace(" ", ""))) == 1:
        return f"the reason {text!r} is one character repeated"
    return None


def collapsed(reason: str) -> str:
    return " ".join(reason.split())


def substance_problem(reason: str | None, min_length: int) -> str | None:
    """Why ``reason`` falls short of the policy's substance test, or None when it passes."""
    if reason is None or not reason.strip():
        return "no reason is recorded"
    floor = floor_problem(reason)
    if floor is not None:
        return floor
    text = collapsed(reason)
    if len(text) < min_length:
        return f"the reason {text!r} has {len(text)} characters; the policy asks for at least {min_length}"
    words = {word.casefold() for word in _WORD.findall(text)}
    if len(words) < MIN_DISTINCT_WORDS:
        return (f"the reason {text!r} has {len(words)} different word{'s' if len(words) != 1 else ''}; "
                f"the policy asks for at least {MIN_DISTINCT_WORDS}")
    return None


def reuse_key(reason: str) -> str:
    """The form two reasons are compared in: no case, single spaces, no closing punctuation."""
    return collapsed(reason).casefold().rstrip(" .!;,:")
