"""Pure data: the system description and what the pipeline derives from it."""

from dicetm.model.findings import (
    AnalysisResult,
    Countermeasure,
    Evaluation,
    Factor,
    NextStep,
    OpenQuestion,
    Provenance,
    ResidualRiskEntry,
    ReviewSummary,
    RiskLevel,
    Threat,
    ThreatEvaluation,
    risk_level,
)
from dicetm.model.system import (
    AI_KINDS,
    PROCESS_KINDS,
    STORE_KINDS,
    Asset,
    Assumption,
    Classification,
    CountermeasureSetting,
    CountermeasureStatus,
    DataProvenance,
    Element,
    Exposure,
    Flow,
    Kind,
    ModelProvenance,
    OutputFormat,
    Permission,
    ResidualRiskSetting,
    RiskDecision,
    System,
    TrustBoundary,
)

__all__ = [
    "AI_KINDS", "PROCESS_KINDS", "STORE_KINDS", "AnalysisResult", "Asset", "Assumption", "Classification",
    "Countermeasure", "CountermeasureSetting", "CountermeasureStatus", "DataProvenance", "Element",
    "Evaluation", "Exposure", "Factor", "Flow", "Kind", "ModelProvenance", "NextStep", "OpenQuestion",
    "OutputFormat", "Permission", "Provenance", "ResidualRiskEntry", "ResidualRiskSetting",
    "ReviewSummary", "RiskDecision",
    "RiskLevel", "System", "Threat", "ThreatEvaluation", "TrustBoundary", "risk_level",
]
