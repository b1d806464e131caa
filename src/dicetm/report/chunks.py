"""Reports as UTF-8 chunks for writing, instead of one string.

The report of a 10,000-element model is tens of megabytes of text. Built as one string it takes twice its size
in memory once a single character is outside Latin-1 (an em dash or an arrow is enough), and joining, encoding
and writing it copies it three times more: at 10,000 elements the page faults of those copies alone cost a third
of a second, and they double the peak memory. Chunks of a few hundred kilobytes are encoded as they are made and
written one after the other: the bytes are the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

CHARACTERS = 1 << 18  # about this many characters per chunk
LINES = 4096  # lines per chunk


def encoded(pieces: Iterable[str]) -> Iterator[bytes]:
    """``"".join(pieces).encode("utf-8")``, in chunks of about CHARACTERS characters."""
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHARACTERS:
            yield "".join(batch).encode("utf-8")
            batch, size = [], 0
    if batch:
        yield "".join(batch).encode("utf-8")


def encoded_lines(lines: Sequence[str]) -> Iterator[bytes]:
    """``("\\n".join(lines) + "\\n").encode("utf-8")``, in chunks of LINES lines."""
    if not lines:
        yield b"\n"
    for start in range(0, len(lines), LINES):
        yield "\n".join(lines[start:start + LINES]).encode("utf-8") + b"\n"
