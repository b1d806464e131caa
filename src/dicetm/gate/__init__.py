"""The CI gate: a policy file and a pure check of an analysis result, its register and audit chain."""

from dicetm.gate.check import RULES, ChainStatus, GateFailure, GateResult, check, quick_items
from dicetm.gate.policy import Policy, load_policy, parse_policy

__all__ = ["RULES", "ChainStatus", "GateFailure", "GateResult", "Policy", "check", "load_policy", "parse_policy",
           "quick_items"]
