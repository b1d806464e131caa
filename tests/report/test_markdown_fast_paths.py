"""The Markdown report's fast paths give exactly the text the plain definitions give, for any input."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dicetm import textsafe
from dicetm.report import common
from dicetm.report.markdown import _BLOCK_MARKER, _LIST_NUMBER, cell, code, code_cell, inline, paragraph, text

# Text that exercises every branch: escapable characters, URLs, spaces, line breaks, control and other
# non-printable characters, digits of other scripts.
PIECES = st.sampled_from([*"ab Z\\<>[]`|#>+*=_~-.)1 \t\n\r", "://", "www.", "WWW.", "\x1b", "\x85", "\u2028", "\xa0",
                          "\u0663", "é", "\u200b"])
TRICKY = st.lists(PIECES, max_size=15).map("".join)
ANY = st.one_of(TRICKY, st.text(max_size=30))


def _text_reference(value: str) -> str:
    value = textsafe.escape(value, keep="\n")  # control characters shown as escapes first (issue 9)
    escapes = str.maketrans({"\\": "\\\\", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "`": "\\`", "|": "\\|"})
    url = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>`|\\\[\]()]+")
    parts, start = [], 0
    for found in url.finditer(value):
        parts += [value[start:found.start()].translate(escapes), f"`{found.group()}`"]
        start = found.end()
    return "".join([*parts, value[start:].translate(escapes)])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(ANY)
def test_fast_paths_change_nothing(value: str) -> None:
    assert text(value) == _text_reference(value)
    assert inline(value) == _text_reference(common.one_line(value))
    lines = _text_reference(value).splitlines()
    assert cell(value) == ("<br>".join(line.strip() for line in lines) if len(lines) > 1 else "".join(lines))
    assert code(value) == "`" + textsafe.escape(common.one_line(value)).replace("`", "'") + "`"
    assert code_cell(value) == (cell(value) if "\\" in value or "|" in value else code(value))
    line = _text_reference(common.one_line(value))
    assert paragraph(value) == _LIST_NUMBER.sub(r"\1\\\2", _BLOCK_MARKER.sub(r"\\\1", line))
