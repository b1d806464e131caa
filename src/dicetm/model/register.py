"""The review register: every threat, countermeasure and residual risk with its status and decision history.

Pure data. The register is the workspace's record of human decisions; analysis results are recomputed on
every run, decisions are not. Stored as ``dicetm-register.yaml`` beside ``dicetm.yaml`` (stable order).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ThreatStatus(StrEnum):
    unreviewed = "unreviewed"
    accepted = "accepted"  # real and relevant
    rejected = "rejected"  # not applicable; reason required
    modified = "modified"  # edited by a person; reason required, original kept
    needs_info = "needs-info"
    stale = "stale"  # a decision whose facts changed since it was made
    retired = "retired"  # its rule no longer fires or its element is gone


# A threat in one of these states is waiting for a person's decision; it never counts as accepted.
NEEDS_DECISION = frozenset({ThreatStatus.unreviewed, ThreatStatus.stale, ThreatStatus.needs_info})


class CountermeasureReview(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    planned = "planned"  # owner and due date
    implemented = "implemented"  # evidence link
    rejected = "rejected"  # reason


class ResidualStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    transferred = "transferred"
    avoided = "avoided"
    mitigated = "mitigated"


# The register file format this dicetm writes: 1 was block YAML, 2 is a JSON layout (see store.registerfile).
REGISTER_FORMAT = 2

DECIDED_THREAT_STATUSES = frozenset(
    {ThreatStatus.accepted, ThreatStatus.rejected, ThreatStatus.modified, ThreatStatus.needs_info}
)
TOOL_ACTOR = "dicetm"  # the name dicetm records its own bookkeeping under
CONFIRM = "confirm"  # the history action of a second person confirming the current decision


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HistoryEntry(_Data):
    """One change to one register item, as recorded in the audit log (``seq`` links the two)."""

    seq: int = Field(description="Sequence number of the audit record for this change.")
    at: str = Field(description="UTC time, ISO 8601.")
    actor: str
    action: str = Field(description="accept, reject, modify, needs-info, stale, retire, add, plan, ...")
    status_before: str | None = None
    status_after: str
    reason: str | None = None
    seconds_on_screen: float | None = Field(None, description="How long the item was shown before deciding.")
    quick: bool = Field(False, description="Part of a run of quick accepts flagged as possible rubber-stamping.")
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def flags(self) -> list[str]:
        """Why the decision waits for a second reviewer (``bulk``, ``high-risk``); empty when it does not."""
        return recorded_flags(self.details)


def recorded_flags(details: dict[str, Any]) -> list[str]:
    """The second-reviewer flags in an audit record's or history entry's details."""
    flags = details.get("flags")
    return [str(flag) for flag in flags] if isinstance(flags, list) else []


class ThreatModification(_Data):
    title: str | None = None
    scenario: str | None = None
    likelihood: int | None = Field(None, ge=1, le=5)
    impact: int | None = Field(None, ge=1, le=5)


class ThreatEntry(_Data):
    id: str
    rule: str
    title: str = Field(description="Title as found (the original, even when modified).")
    elements: list[str] = Field(default_factory=list)
    flows: list[str] = Field(default_factory=list)
    origin: str = Field("rule", description="Provenance source: rule, import:<format>, llm, person.")
    status: ThreatStatus = ThreatStatus.unreviewed
    reviewer: str | None = None
    reason: str | None = None
    decided_at: str | None = None
    modification: ThreatModification | None = None
    facts_digest: str | None = Field(None, description="Digest of the facts the current decision rested on.")
    facts: dict[str, Any] | None = Field(None, description="The facts themselves, to show what changed.")
    stale_changes: list[str] = Field(default_factory=list, description="What changed, when stale.")
    status_before_stale: ThreatStatus | None = None
    # Left out of the dump while unset, so registers written before the field existed keep their digest.
    tracker: str | None = Field(None, description="Link to the issue tracking it (dicetm decide --tracker).",
                                exclude_if=lambda value: value is None)
    history: list[HistoryEntry] = Field(default_factory=list)


class CountermeasureEntry(_Data):
    id: str = Field(description="Control id.")
    status: CountermeasureReview = CountermeasureReview.proposed
    owner: str | None = None
    due: str | None = None
    evidence: str | None = None
    reason: str | None = None
    threats: list[str] = Field(default_factory=list, description="Threat ids it mitigates (as last analysed).")
    reviewer: str | None = None
    decided_at: str | None = None
    # Left out of the dump while unset, so registers written before the field existed keep their digest.
    tracker: str | None = Field(None, description="Link to the issue tracking it (dicetm decide --tracker).",
                                exclude_if=lambda value: value is None)
    history: list[HistoryEntry] = Field(default_factory=list)


class ResidualRiskRecord(_Data):
    threat: str
    status: ResidualStatus = ResidualStatus.open
    owner: str | None = None
    business_impact: str | None = None
    review_by: str | None = None
    reason: str | None = None
    reviewer: str | None = None
    decided_at: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)


class AuditHead(_Data):
    seq: int
    hash: str


class Register(_Data):
    version: int = Field(REGISTER_FORMAT, description="Format of the register file (2: the JSON layout).")
    system: str = ""
    iteration: int = 1
    audit_head: AuditHead | None = Field(None, description="The audit record that produced this state.")
    threats: list[ThreatEntry] = Field(default_factory=list)
    countermeasures: list[CountermeasureEntry] = Field(default_factory=list)
    residual_risks: list[ResidualRiskRecord] = Field(default_factory=list)


def current_decision(history: list[HistoryEntry]) -> HistoryEntry | None:
    """The latest decision by a person on an item; confirmations and dicetm's own entries are skipped."""
    for entry in reversed(history):
        if entry.actor != TOOL_ACTOR and entry.action != CONFIRM:
            return entry
    return None


def linked_threats(entry: CountermeasureEntry) -> list[str] | None:
    """The threats the current decision on a countermeasure was linked to (``--covers``); None: all it mitigates."""
    decided = current_decision(entry.history)
    covers = decided.details.get("covers") if decided is not None else None
    return [str(threat) for threat in covers] if isinstance(covers, list) else None
