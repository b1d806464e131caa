"""The figures beside the diagram: threats by risk and review status, the likelihood x impact heat map,
coverage. Counting only, over an analysis result; the web page and the HTML report show the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dicetm.model import AnalysisResult, RiskLevel, risk_level
from dicetm.report.common import RISK_DISPLAY_ORDER

STATUS_COLUMNS = ("unreviewed", "stale", "needs-info", "accepted", "modified", "rejected")
SCALE = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class HeatCell:
    likelihood: int
    impact: int
    count: int

    @property
    def level(self) -> RiskLevel:
        return risk_level(self.likelihood * self.impact)


@dataclass(frozen=True)
class RiskRow:
    level: RiskLevel
    by_status: tuple[int, ...]  # in STATUS_COLUMNS order, then any other status
    total: int


@dataclass(frozen=True)
class Figures:
    risk_rows: tuple[RiskRow, ...]
    status_totals: tuple[int, ...]
    heat: tuple[tuple[HeatCell, ...], ...]  # rows of impact 5..1, columns likelihood 1..5
    covered: int
    coverage_total: int
    coverage_percent: float
    undecided: int
    open_questions: int
    open_residual: int
    threats: int

    @property
    def heat_max(self) -> int:
        return max((cell.count for row in self.heat for cell in row), default=0)


def figures(result: AnalysisResult) -> Figures:
    """Count everything the overview shows. Rejected threats are left out of the heat map (a person judged them
    not applicable); every other threat is in it, decided or not."""
    by_level_status: Counter[tuple[RiskLevel, str]] = Counter()
    grid: Counter[tuple[int, int]] = Counter()
    for threat in result.threats:
        status = threat.status if threat.status in STATUS_COLUMNS else "unreviewed"
        by_level_status[(threat.risk, status)] += 1
        if threat.status != "rejected":
            grid[(threat.likelihood, threat.impact)] += 1
    rows = tuple(
        RiskRow(level, tuple(by_level_status[(level, s)] for s in STATUS_COLUMNS),
                sum(by_level_status[(level, s)] for s in STATUS_COLUMNS))
        for level in RISK_DISPLAY_ORDER
    )
    totals = tuple(sum(row.by_status[i] for row in rows) for i in range(len(STATUS_COLUMNS)))
    heat = tuple(tuple(HeatCell(likelihood, impact, grid[(likelihood, impact)]) for likelihood in SCALE)
                 for impact in reversed(SCALE))
    evaluation = result.evaluation
    undecided = sum(totals[i] for i, s in enumerate(STATUS_COLUMNS) if s in ("unreviewed", "stale", "needs-info"))
    return Figures(
        risk_rows=rows, status_totals=totals, heat=heat, covered=evaluation.threats_covered,
        coverage_total=evaluation.threats_total, coverage_percent=evaluation.coverage_percent,
        undecided=undecided, open_questions=len(result.open_questions),
        open_residual=sum(1 for entry in evaluation.residual_risks if entry.open), threats=len(result.threats),
    )
