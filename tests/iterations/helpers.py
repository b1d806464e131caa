"""Hand-built systems, registers and results for the iteration and diff tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from dicetm.model import (
    AnalysisResult,
    Element,
    Evaluation,
    Flow,
    Kind,
    Provenance,
    System,
    Threat,
    TrustBoundary,
)
from dicetm.model.register import Register, ThreatEntry, ThreatStatus

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "src" / "dicetm" / "examples" / "support-chatbot" / "dicetm.yaml"


def system(*, elements: list[Element] | None = None, flows: list[Flow] | None = None,
           boundaries: list[TrustBoundary] | None = None, name: str = "Shop assistant") -> System:
    return System(name=name, elements=elements or [], flows=flows or [], trust_boundaries=boundaries or [])


def element(element_id: str, kind: Kind = Kind.process, **facts: object) -> Element:
    return Element.model_validate({"id": element_id, "name": element_id.replace("-", " ").title(),
                                   "kind": kind, **facts})


def flow(flow_id: str, source: str, target: str, **facts: object) -> Flow:
    return Flow.model_validate({"id": flow_id, "source": source, "target": target, **facts})


def threat(threat_id: str, title: str = "") -> Threat:
    rule, _, target = threat_id.partition("@")
    return Threat(id=threat_id, rule=rule, title=title or f"{rule} on {target}", scenario="-", elements=[target],
                  likelihood=3, impact=3, provenance=Provenance(source="rule", rule=rule))


def result(*threat_ids: str) -> AnalysisResult:
    threats = [threat(t) for t in threat_ids]
    evaluation = Evaluation(threats_total=len(threats), threats_covered=0, coverage_percent=0.0, by_risk={},
                            uncovered=[t.id for t in threats], matrix=[], residual_risks=[], next_steps=[])
    return AnalysisResult(dicetm_version="0.1.0", catalog_version="test", system_name="Shop assistant",
                          open_questions=[], threats=threats, countermeasures=[], evaluation=evaluation,
                          raw_findings=len(threats))


def entry(threat_id: str, status: ThreatStatus = ThreatStatus.unreviewed, **fields: object) -> ThreatEntry:
    rule, _, target = threat_id.partition("@")
    return ThreatEntry.model_validate({"id": threat_id, "rule": rule, "title": f"{rule} on {target}",
                                       "elements": [target], "status": status, **fields})


def register(*entries: ThreatEntry, **fields: object) -> Register:
    return Register.model_validate({"system": "Shop assistant", "threats": sorted(entries, key=lambda e: e.id),
                                    **fields})


def workspace_folder(tmp_path: Path) -> Path:
    """A folder holding a copy of the bundled support-chatbot model."""
    folder = tmp_path / "ws"
    folder.mkdir()
    shutil.copyfile(EXAMPLE, folder / "dicetm.yaml")
    return folder
