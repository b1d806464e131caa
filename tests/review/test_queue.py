"""The review queue: what is queued, in which order, in which batches, and the stated load."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicetm.api import analyze_path
from dicetm.model import AnalysisResult, Threat
from dicetm.model.register import Register, ThreatEntry, ThreatStatus
from dicetm.review.queue import (
    DEFAULT_MINUTES_PER_ITEM,
    batch_count,
    batches,
    build_queue,
    estimate_load,
    residual_items,
    threat_items,
)

CHATBOT = Path(__file__).resolve().parents[2] / "examples" / "support-chatbot"


@pytest.fixture(scope="module")
def result() -> AnalysisResult:
    return analyze_path(CHATBOT)[1]


def with_threats(result: AnalysisResult, threats: list[Threat]) -> AnalysisResult:
    return result.model_copy(update={"threats": threats})


def restatus(result: AnalysisResult, statuses: dict[str, str]) -> AnalysisResult:
    return with_threats(result, [t.model_copy(update={"status": statuses.get(t.id, t.status)})
                                 for t in result.threats])


def test_every_unreviewed_threat_is_queued_highest_score_first(result: AnalysisResult) -> None:
    queue = build_queue(result, Register())
    assert {t.provenance.source for t in result.threats} == {"rule"}
    assert [item.id for item in queue] == [t.id for t in sorted(result.threats, key=lambda t: (-t.score, t.id))]
    scores = [item.score for item in queue]
    assert scores == sorted(scores, reverse=True)
    assert {item.kind for item in queue} == {"threat"}


def test_llm_proposals_come_first_at_the_same_score_then_ids(result: AnalysisResult) -> None:
    first, second, third = sorted((t for t in result.threats if t.score == 12), key=lambda t: t.id)[:3]
    llm = third.model_copy(update={"provenance": third.provenance.model_copy(update={"source": "llm:openai/m"})})
    queue = threat_items(with_threats(result, [first, second, llm]), Register())
    assert [item.id for item in queue] == [third.id, first.id, second.id]
    assert queue[0].ai_proposed and not queue[1].ai_proposed


def test_a_higher_score_beats_an_llm_proposal(result: AnalysisResult) -> None:
    top = max(result.threats, key=lambda t: t.score)
    low = min(result.threats, key=lambda t: t.score)
    llm = low.model_copy(update={"provenance": low.provenance.model_copy(update={"source": "llm"})})
    assert [item.id for item in threat_items(with_threats(result, [llm, top]), Register())] == [top.id, low.id]


def test_decided_threats_leave_the_queue_but_stale_and_needs_info_stay(result: AnalysisResult) -> None:
    ids = [t.id for t in result.threats[:5]]
    statuses = dict(zip(ids, ["accepted", "rejected", "modified", "stale", "needs-info"], strict=True))
    queue = threat_items(restatus(result, statuses), Register())
    queued = {item.id for item in queue}
    assert queued.isdisjoint(ids[:3])
    assert {ids[3], ids[4]} <= queued
    assert len(queue) == len(result.threats) - 3


def test_queue_items_carry_their_register_entry(result: AnalysisResult) -> None:
    threat = result.threats[0]
    entry = ThreatEntry(id=threat.id, rule=threat.rule, title=threat.title, status=ThreatStatus.stale,
                        stale_changes=["element:x.exposure: 'internal' -> 'internet'"],
                        status_before_stale=ThreatStatus.accepted)
    item = threat_items(restatus(result, {threat.id: "stale"}), Register(threats=[entry]))[0]
    assert item.entry == entry


def test_open_high_residual_risks_of_accepted_threats_follow_the_threats(result: AnalysisResult) -> None:
    serious = [t for t in result.threats if t.score >= 12]
    medium = next(t for t in result.threats if 6 <= t.score < 12)
    accepted = {serious[0].id: "accepted", serious[1].id: "modified", medium.id: "accepted",
                serious[2].id: "rejected"}
    changed = restatus(result, accepted)
    risks = residual_items(changed, Register())
    assert [item.id for item in risks] == [f"risk:{serious[0].id}", f"risk:{serious[1].id}"]
    assert all(item.kind == "residual-risk" and item.level.value in ("high", "critical") for item in risks)
    queue = build_queue(changed, Register())
    assert [item.kind for item in queue][-2:] == ["residual-risk", "residual-risk"]
    assert len(queue) == len(result.threats) - 4 + 2


def test_batches_split_in_order_and_keep_the_remainder(result: AnalysisResult) -> None:
    queue = build_queue(result, Register())
    groups = batches(queue, 10)
    assert [len(g) for g in groups] == [10, 10, len(queue) - 20]
    assert [item for g in groups for item in g] == queue
    assert batch_count(len(queue), 10) == len(groups)
    assert batches([], 10) == []
    with pytest.raises(ValueError, match="at least 1"):
        batches(queue, 0)


def test_the_command_line_defaults_are_the_queue_defaults() -> None:
    from dicetm import cli_review
    from dicetm.review import queue

    assert (cli_review.DEFAULT_BATCH, cli_review.DEFAULT_MINUTES_PER_ITEM) == (queue.DEFAULT_BATCH,
                                                                              queue.DEFAULT_MINUTES_PER_ITEM)


def test_load_states_items_minutes_and_rate(result: AnalysisResult) -> None:
    queue = build_queue(result, Register())
    load = estimate_load(queue)
    assert DEFAULT_MINUTES_PER_ITEM == 1.5
    assert load.minutes == pytest.approx(len(queue) * 1.5)
    expected = f"{len(queue)} items to review, about {len(queue) * 1.5:g} minutes at 1.5 minutes per item"
    assert load.describe() == expected
    assert estimate_load(queue[:1], 2).describe() == "1 item to review, about 2 minutes at 2 minutes per item"
    assert estimate_load(queue[:3], 0.5).describe() == "3 items to review, about 1.5 minutes at 0.5 minutes per item"
