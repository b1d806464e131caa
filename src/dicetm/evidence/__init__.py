"""Evidence packs: the threat-model record as one folder that can be checked on its own, with a map to
EU AI Act Art. 9/15 and Cyber Resilience Act Annex I/VII."""

from dicetm.evidence.compliance import ComplianceInputs, ComplianceItem, ComplianceReport, assess
from dicetm.evidence.pack import EvidenceInputs, IterationCopy, PackSummary, build_pack, create_evidence, write_pack
from dicetm.evidence.verify import PackCheck, verify_pack

__all__ = ["ComplianceInputs", "ComplianceItem", "ComplianceReport", "EvidenceInputs", "IterationCopy", "PackCheck",
           "PackSummary", "assess", "build_pack", "create_evidence", "verify_pack", "write_pack"]
