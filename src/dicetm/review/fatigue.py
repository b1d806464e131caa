"""Guard against rubber-stamping: a run of quick accepts by one reviewer is flagged, not blocked.

The reviewer may be right every time; the flag makes the speed visible in the audit log and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from dicetm.model.register import HistoryEntry, Register

QUICK_SECONDS = 5.0
QUICK_RUN = 5
ACCEPT_ACTIONS = frozenset({"accept"})


@dataclass(frozen=True)
class FatiguePolicy:
    seconds: float = QUICK_SECONDS
    run: int = QUICK_RUN


def _entries_by(register: Register, actor: str) -> list[tuple[str, HistoryEntry]]:
    found: list[tuple[str, HistoryEntry]] = []
    for threat in register.threats:
        found += [(threat.id, h) for h in threat.history if h.actor == actor]
    for cm in register.countermeasures:
        found += [(cm.id, h) for h in cm.history if h.actor == actor]
    for risk in register.residual_risks:
        found += [(f"risk:{risk.threat}", h) for h in risk.history if h.actor == actor]
    return sorted(found, key=lambda pair: pair[1].seq)


def quick_run(register: Register, actor: str, policy: FatiguePolicy = FatiguePolicy()) -> list[tuple[str, int]]:
    """The (item id, seq) pairs of the actor's latest run of quick accepts, when it is long enough and not
    yet flagged; empty otherwise. Decisions without a measured screen time (scripts) never count."""
    recent = _entries_by(register, actor)[-policy.run:]
    if len(recent) < policy.run:
        return []
    for _item, entry in recent:
        quick = entry.seconds_on_screen is not None and entry.seconds_on_screen < policy.seconds
        if entry.action not in ACCEPT_ACTIONS or not quick:
            return []
    if all(entry.quick for _item, entry in recent):
        return []
    return [(item, entry.seq) for item, entry in recent]


def mark_quick(register: Register, flagged: list[tuple[str, int]]) -> None:
    """Set ``quick`` on the flagged history entries (in place, on a transaction's private copy)."""
    wanted = {seq for _item, seq in flagged}
    for threat in register.threats:
        for entry in threat.history:
            if entry.seq in wanted:
                entry.quick = True
    for cm in register.countermeasures:
        for entry in cm.history:
            if entry.seq in wanted:
                entry.quick = True
    for risk in register.residual_risks:
        for entry in risk.history:
            if entry.seq in wanted:
                entry.quick = True
