"""What a stale decision was before its facts changed is worked out in one place (review.reconcile) and reads the
same in `dicetm diff`, in the terminal review and in the list of threats a change removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.api import analyze_path
from dicetm.cli_review_text import format_item
from dicetm.model import AnalysisResult
from dicetm.model.register import Register, ThreatEntry, ThreatStatus
from dicetm.review.diff import diff, render_text
from dicetm.review.queue import QueueItem
from dicetm.review.reconcile import earlier_decision_text, standing_decision
from dicetm.store.modelfile import LoadedModel

CHATBOT = Path(__file__).resolve().parents[2] / "examples" / "support-chatbot"


@pytest.fixture(scope="module")
def analysed() -> tuple[LoadedModel, AnalysisResult]:
    return analyze_path(CHATBOT)


def stale(threat_id: str, before: ThreatStatus | None) -> ThreatEntry:
    return ThreatEntry(id=threat_id, rule=threat_id.split("@")[0], title="A threat", status=ThreatStatus.stale,
                       reviewer="Dana Lee", status_before_stale=before,
                       stale_changes=["crm: authenticated true -> false"])


def test_the_earlier_decision_of_a_stale_entry_and_of_one_from_an_older_register() -> None:
    rejected = stale("T-LLM-001@bot", ThreatStatus.rejected)
    unrecorded = stale("T-LLM-002@bot", None)
    live = ThreatEntry(id="T-LLM-003@bot", rule="T-LLM-003", title="A threat", status=ThreatStatus.accepted)
    assert standing_decision(rejected) is ThreatStatus.rejected and earlier_decision_text(rejected) == "rejected"
    assert standing_decision(unrecorded) is None and earlier_decision_text(unrecorded) == "decided"
    assert standing_decision(live) is ThreatStatus.accepted


Analysed = tuple[LoadedModel, AnalysisResult]


def test_diff_and_the_terminal_review_say_the_same_earlier_decision(analysed: Analysed) -> None:
    loaded, result = analysed
    threat = result.threats[0]
    for before, word in ((ThreatStatus.needs_info, "needs-info"), (None, "decided")):
        entry = stale(threat.id, before)
        register = Register(threats=[entry])
        shown = render_text(diff(loaded.system, Register(), None, loaded.system, register, None))
        assert f"[was {word} by Dana Lee, now stale]" in shown
        item = QueueItem(id=threat.id, kind="threat", threat=threat.model_copy(update={"status": "stale"}), entry=entry)
        lines = format_item(item, loaded.system, {}, "1/1")
        assert any(f"stale: it was {word} by Dana Lee" in line for line in lines)
