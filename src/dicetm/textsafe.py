"""Untrusted text made safe to show: no control character reaches a terminal, a report or a log as it is.

Names, reasons and descriptions come from model files, documents, registers and reviewers. Some characters in
them are not text but instructions to whatever displays them: ANSI escape sequences recolour or clear a
terminal, a carriage return or backspace overwrites what was shown, a line break forges a line of output,
Unicode bidirectional controls reorder what a reader sees. ``escape`` replaces each of them with a visible
escape (``\\x1b``, ``\\u202e``) so the reader sees that something was there; ``unsafe_character`` names the
first one, for refusing input. Every renderer and console goes through this one module.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI to some terminals), the Unicode line and paragraph
# separators, and the bidirectional marks, embeddings, overrides and isolates.
UNSAFE_CLASS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")
# What json.dumps leaves raw in strings (it escapes C0 controls, and writes line breaks only between values).
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_PATTERNS: dict[str, re.Pattern[str]] = {"": _UNSAFE}


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _pattern(keep: str) -> re.Pattern[str]:
    pattern = _PATTERNS.get(keep)
    if pattern is None:
        kept = "".join(re.escape(char) for char in keep)
        pattern = re.compile(f"(?![{kept}])[{UNSAFE_CLASS}]")
        _PATTERNS[keep] = pattern
    return pattern


def escape(text: str, keep: str = "") -> str:
    """``text`` with every unsafe character except those in ``keep`` (e.g. ``"\\n"``) shown as an escape."""
    if text.isascii() and text.isprintable():  # the common case, checked in C: nothing to replace
        return text
    pattern = _pattern(keep)
    if pattern.search(text) is None:
        return text
    return pattern.sub(_visible, text)


def one_line(text: str) -> str:
    """``text`` for a single line of output: line breaks included, nothing can start a new line."""
    return escape(text)


def lines(text: str) -> str:
    """``text`` for output that may span lines: line breaks and tabs stay, everything else is escaped."""
    return escape(text, keep="\n\t")


def json_text(text: str) -> str:
    """JSON text (from ``json.dumps``) with the unsafe characters it leaves raw written as escapes (``\\u0085``).

    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls but keeps DEL, C1 and bidirectional controls
    as they are. Outside strings JSON holds none of them, so the replacement leaves the data unchanged.
    """
    if text.isascii() and "\x7f" not in text:  # the common case: nothing json.dumps left raw
        return text
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def unsafe_character(text: str) -> str | None:
    """The first unsafe character of ``text`` described for an error message (``U+001B ESCAPE``), or None."""
    found = _UNSAFE.search(text)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "control character")
    return f"U+{ord(char):04X} {name}".rstrip()


_CONTROL_NAMES = {"\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\t": "TAB", "\x1b": "ESCAPE", "\x00": "NULL",
                  "\x08": "BACKSPACE", "\x7f": "DELETE", "\x07": "BELL", "\x0b": "VERTICAL TAB",
                  "\x0c": "FORM FEED", "\x9b": "CONTROL SEQUENCE INTRODUCER"}
