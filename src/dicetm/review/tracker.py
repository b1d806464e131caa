"""Links from register items to the issues that track them (``dicetm decide ITEM --tracker URL``).

A link is no decision: it changes no status and never counts as a review. It is kept on the register
entry (so the next analysis and every report show it) and recorded in the audit log like any change.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel

from dicetm.errors import InputError, Location, Problem
from dicetm.model.register import CountermeasureEntry, Register, ThreatEntry

TRACK = "track"
MAX_URL = 2000


class _Recorder(Protocol):
    """What this module needs of a decision transaction (``review.decide.Recorder``)."""

    register: Register
    actor: str

    def record(self, action: str, target: str, before: BaseModel | dict[str, Any] | None,
               after: BaseModel | dict[str, Any] | None, reason: str | None = None,
               details: dict[str, Any] | None = None) -> tuple[int, str]: ...


def check_tracker_url(url: str) -> str:
    """An http(s) link to an issue; anything else (javascript:, file:, blanks, control characters) is refused."""
    cleaned = url.strip()
    parts = urlsplit(cleaned)
    if (parts.scheme not in ("http", "https") or not parts.netloc or len(cleaned) > MAX_URL
            or any(c.isspace() or ord(c) < 32 for c in cleaned)):
        raise InputError([Problem(f"{cleaned[:80]!r} is not a link to an issue", Location(path="--tracker"),
                                  "give the issue's http(s) address, e.g. https://github.com/org/repo/issues/12 "
                                  "or https://example.atlassian.net/browse/SEC-7")])
    return cleaned


def record_tracker(tx: _Recorder, item: str, url: str) -> None:
    """Set the tracker link of the threat or countermeasure ``item`` and record the change."""
    link = check_tracker_url(url)
    register = tx.register
    entry: ThreatEntry | CountermeasureEntry | None = next(
        (t for t in register.threats if t.id == item), None) or next(
        (c for c in register.countermeasures if c.id == item), None)
    if entry is None:
        raise InputError([Problem(f"no threat or countermeasure {item!r} in the register", Location(path="ITEM_ID"),
                                  "a tracker link goes on a threat id or a control id")])
    tx.record(TRACK, item, {"tracker": entry.tracker}, {"tracker": link}, None, {"tracker": link})
    if isinstance(entry, ThreatEntry):
        register.threats = [t.model_copy(update={"tracker": link}) if t.id == item else t for t in register.threats]
    else:
        register.countermeasures = [c.model_copy(update={"tracker": link}) if c.id == item else c
                                    for c in register.countermeasures]
