"""What the gate reports: its rules (the SARIF ruleIds), one failing item, and the whole result."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dicetm.gate.policy import Policy
from dicetm.model import RiskLevel, Threat

AUDIT_FILE = "dicetm-audit.jsonl"

# Policy rules in the order their failures are listed. Ids are the SARIF ruleIds.
BLOCK_UNREVIEWED = "block-unreviewed"
REQUIRE_COVERAGE = "require-coverage"
REASON_OF_SUBSTANCE = "reason-of-substance"
REASON_REUSED = "reason-reused"
SECOND_REVIEWER = "second-reviewer"
REQUIRE_AUDIT_CHAIN = "require-audit-chain"
REQUIRE_SIGNATURES = "require-signatures"
MAX_QUICK_ACCEPTS = "max-quick-accepts"
RULES: dict[str, str] = {
    BLOCK_UNREVIEWED: "A threat at or above the policy's risk level has no decision by a person "
                      "(unreviewed, stale or needs-info).",
    REQUIRE_COVERAGE: "An accepted or modified threat has no countermeasure planned or implemented (with evidence "
                      "that counts, and linked to it when the policy asks) and no owned residual-risk decision "
                      "that is still within its review date.",
    REASON_OF_SUBSTANCE: "A rejected or modified threat rests on a reason shorter or thinner than the policy asks.",
    REASON_REUSED: "One reason text rejects threats of more rules than the policy allows.",
    SECOND_REVIEWER: "A rejection made in bulk, or of a high or critical threat, has no confirmation by a second, "
                     "different person.",
    REQUIRE_AUDIT_CHAIN: "The audit log's hash chain or the register does not verify.",
    REQUIRE_SIGNATURES: "An audit record is not covered by a valid SSH signature of an allowed signer (of the "
                        "person named, for a person's record).",
    MAX_QUICK_ACCEPTS: "More items rest on decisions flagged as quick accepts than the policy allows.",
}
RULE_POLICY_KEYS: dict[str, str] = {
    BLOCK_UNREVIEWED: "block_unreviewed_at_or_above",
    REQUIRE_COVERAGE: "require_coverage_for_accepted",
    REASON_OF_SUBSTANCE: "min_reason_length",
    REASON_REUSED: "max_rules_per_reason",
    SECOND_REVIEWER: "require_second_reviewer",
    REQUIRE_AUDIT_CHAIN: "require_audit_chain",
    REQUIRE_SIGNATURES: "require_signatures",
    MAX_QUICK_ACCEPTS: "max_quick_accepts",
}


class GateFailure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str = Field(description="The policy rule that failed (see RULES).")
    item_id: str = Field(description="Threat id, control id, 'risk:<threat id>' or a workspace file name.")
    message: str
    severity: RiskLevel | None = Field(None, description="Risk of the threat concerned, when there is one.")
    threat_rule: str | None = Field(None, description="Id of the threat rule (T-...) when the item is a threat.")
    status: str | None = Field(None, description="Review status of the item.")
    elements: list[str] = Field(default_factory=list, description="Element ids; the first is the primary.")
    flows: list[str] = Field(default_factory=list)
    file: str | None = Field(None, description="Workspace file the failure is about, when not the model file.")


class GateResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: bool
    today: str = Field(description="The day review_by dates were compared with (ISO 8601).")
    policy: Policy
    threats_checked: int
    failures: list[GateFailure]

    def counts(self) -> dict[str, int]:
        """Failures per policy rule, every rule listed."""
        return {rule: sum(1 for f in self.failures if f.rule == rule) for rule in RULES}


def threat_failure(rule: str, threat: Threat, message: str) -> GateFailure:
    """A failure about one threat, located at its elements and flows."""
    return GateFailure(rule=rule, item_id=threat.id, message=message, severity=threat.risk,
                       threat_rule=threat.rule, status=threat.status, elements=list(threat.elements),
                       flows=list(threat.flows))


def file_failure(rule: str, message: str, file: str = AUDIT_FILE) -> GateFailure:
    """A failure about a workspace file rather than an item of the model."""
    return GateFailure(rule=rule, item_id=file, message=message, file=file)
