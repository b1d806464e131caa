from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.errors import StoreError
from dicetm.model import Element, Kind, System, ThreatRecord
from dicetm.model.proposals import ImpactDraft, ProposalFile, RunRecord, WithheldSpan, with_proposals
from dicetm.model.system import SourceInfo
from dicetm.store.proposalsfile import load_proposals, merge_proposals, save_proposals

BY = SourceInfo(by="llm:openai/m", prompt_hash="ab" * 32)


def _threat(threat_id: str, title: str, elements: list[str] | None = None) -> ThreatRecord:
    return ThreatRecord(id=threat_id, title=title, elements=elements or ["api"], source="llm:openai/m",
                        provenance=BY)


def test_round_trip_and_absent_file(tmp_path: Path) -> None:
    path = tmp_path / "dicetm-proposals.yaml"
    assert load_proposals(path) is None
    proposals = ProposalFile(threats=[_threat("P-1@api", "Token replay")],
                             impact_drafts=[ImpactDraft(threat="T-LLM-001@api", text="Refunds.", provenance=BY)],
                             withheld=[WithheldSpan(file="a.md", line=3, category="instruction", severity="high",
                                                    excerpt="ignore the rules")],
                             runs=[RunRecord(command="propose-threats", provider="openai", model="m", at="now")])
    save_proposals(path, proposals)
    assert load_proposals(path) == proposals


def test_a_hand_edit_that_breaks_the_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "dicetm-proposals.yaml"
    path.write_text("version: 1\nthreats:\n  - id: P-1@api\n    titel: x\n", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        load_proposals(path)
    assert any(p.location.line == 4 or p.location.line == 3 for p in caught.value.problems)
    assert all(p.hint for p in caught.value.problems)


def test_merging_never_replaces_what_is_there() -> None:
    old = ProposalFile(threats=[_threat("P-1@api", "First wording")],
                       impact_drafts=[ImpactDraft(threat="T-1@api", text="Old draft", provenance=BY)])
    new = ProposalFile(threats=[_threat("P-1@api", "Rewritten by a later run"), _threat("P-2@api", "New one")],
                       impact_drafts=[ImpactDraft(threat="T-1@api", text="New draft", provenance=BY)])
    merged = merge_proposals(old, new)
    assert [(t.id, t.title) for t in merged.threats] == [("P-1@api", "First wording"), ("P-2@api", "New one")]
    assert [d.text for d in merged.impact_drafts] == ["Old draft"]


def test_proposals_are_appended_and_never_shadow_the_model() -> None:
    system = System(name="s", elements=[Element(id="api", name="API", kind=Kind.process)],
                    threats=[ThreatRecord(id="P-1@api", title="A person's threat", elements=["api"])])
    proposals = ProposalFile(threats=[_threat("P-1@api", "Same id from a model"), _threat("P-2@gone", "x", ["gone"]),
                                      _threat("P-3@api", "Kept")])
    merged, notes = with_proposals(system, proposals)
    assert [(t.id, t.title) for t in merged.threats] == [("P-1@api", "A person's threat"), ("P-3@api", "Kept")]
    assert len(notes) == 2 and "already taken" in notes[0] and "gone" in notes[1]
    assert system.threats == [ThreatRecord(id="P-1@api", title="A person's threat", elements=["api"])]
