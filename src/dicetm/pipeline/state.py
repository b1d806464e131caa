"""The value passed between phases. Each phase returns a new State; none mutates its input."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from dicetm.model import Countermeasure, Evaluation, OpenQuestion, System, Threat
from dicetm.model.register import Register

if TYPE_CHECKING:
    from dicetm.catalog import Catalog


@dataclass(frozen=True)
class State:
    system: System
    catalog: Catalog
    detail: str = "grouped"
    open_questions: tuple[OpenQuestion, ...] = ()
    threats: tuple[Threat, ...] = ()
    raw_findings: int = 0
    countermeasures: tuple[Countermeasure, ...] = ()
    evaluation: Evaluation | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    register: Register | None = None
    today: date | None = None  # what review-by dates are compared with; None: today in UTC
