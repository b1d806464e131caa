"""Item 10: both reports show each threat's review status and reviewer, a review summary near the top,
rejected threats apart with their reason, modified threats with their original values, and never present
an undecided threat as accepted."""

from __future__ import annotations

import re

import pytest

from dicetm.model import AnalysisResult, ReviewSummary, System
from dicetm.report import render_html, render_markdown
from dicetm.report.html import anchor

from .helpers import parse

DANA = "Dana Lee <dana@example.com>"


@pytest.fixture
def reviewed(result: AnalysisResult) -> AnalysisResult:
    """The fixture result after a review: one of each status."""
    result = result.model_copy(deep=True)
    by_id = {t.id: t for t in result.threats}
    by_id["T-LLM-005@llm"].status = "accepted"
    by_id["T-LLM-005@llm"].reviewer = DANA
    stale = by_id["T-LLM-001@web-app"]
    stale.status, stale.reviewer = "stale", DANA
    by_id["T-AGENT-002@crm-tool"].status = "needs-info"
    by_id["T-AGENT-002@crm-tool"].reviewer = "Bob"
    by_id["T-AGENT-002@crm-tool"].review_reason = "which CRM fields can the tool write?"
    modified = by_id["T-DATA-001@kb"]
    modified.original = {"title": modified.title, "scenario": modified.scenario, "likelihood": 3, "impact": 3}
    modified.status, modified.reviewer, modified.review_reason = "modified", DANA, "articles are reviewed weekly"
    modified.title, modified.scenario, modified.likelihood = "Poisoned articles (reviewed weekly)", "Edited.", 2
    rejected = by_id["T-DATA-004@logs"]
    rejected.status, rejected.reviewer, rejected.review_reason = "rejected", DANA, "logs are deleted after 30 days"
    result.evaluation.rejected = ["T-DATA-004@logs"]
    result.evaluation.review = ReviewSummary(
        by_status={"accepted": 1, "modified": 1, "needs-info": 1, "rejected": 1, "stale": 1, "unreviewed": 1},
        unreviewed=1, stale=1, needs_info=1, decided=3, reviewers={DANA: 4, "Bob": 1}, quick_accepts_flagged=2,
        countermeasures_by_status={"proposed": 6, "planned": 1, "implemented": 1})
    return result


def _card(report: str, threat_id: str) -> str:
    return report.split(f"### `{threat_id}`", 1)[1].split("\n### ", 1)[0]


def test_markdown_review_summary_near_the_top(system: System, reviewed: AnalysisResult) -> None:
    report = render_markdown(reviewed, system)
    headings = re.findall(r"^## (.+)$", report, flags=re.M)
    assert headings[:3] == ["Summary", "Review status", "Describe"]
    section = report.split("## Review status", 1)[1].split("## Describe", 1)[0]
    assert "**3 of 6 threats await a decision by a person.**" in section
    for row in ("| Unreviewed threats (not accepted) | 1 |",
                "| Stale decisions (facts changed since; not accepted) | 1 |",
                "| Waiting for information (needs-info; not accepted) | 1 |",
                "| Decided by a person | 3 of 6 (accepted 1, modified 1, rejected 1) |",
                "| Decided by | Dana Lee &lt;dana@example.com&gt; (4 decisions), Bob (1 decision) |",
                "| Quick accepts flagged | 2 (possible rubber-stamping: look at these decisions again) |",
                "| Countermeasures pending | 6 proposed and awaiting a decision, 1 planned but not yet implemented |"):
        assert row in section, row


def test_markdown_marks_every_threat_with_its_status(system: System, reviewed: AnalysisResult) -> None:
    report = render_markdown(reviewed, system)
    assert "### `T-LLM-005@llm`: Model output rendered as HTML without encoding — ACCEPTED" in report
    assert "- **Review:** accepted by Dana Lee &lt;dana@example.com&gt;" in _card(report, "T-LLM-005@llm")
    stale = _card(report, "T-LLM-001@web-app")
    assert stale.startswith(": Prompt injection through the public chat — STALE")
    assert "- **Review:** **STALE: the facts this threat rests on changed since the decision by Dana" in stale
    needs = _card(report, "T-AGENT-002@crm-tool")
    assert "— NEEDS INFO" in needs and "which CRM fields can the tool write?; not accepted**" in needs
    unreviewed = _card(report, "T-STRIDE-004@crm-tool@f-crm")
    assert "— UNREVIEWED" in unreviewed
    assert "**UNREVIEWED: no person has decided on this threat yet; it is not accepted**" in unreviewed


def test_markdown_modified_threat_shows_original_values(system: System, reviewed: AnalysisResult) -> None:
    card = _card(render_markdown(reviewed, system), "T-DATA-001@kb")
    assert card.startswith(": Poisoned articles (reviewed weekly) — MODIFIED")
    assert "- **Review:** modified by Dana Lee &lt;dana@example.com&gt;: articles are reviewed weekly" in card
    assert ("- **As found (before the modification):** title “Poisoned help-centre articles reach answers”; "
            "likelihood 3 × impact 3 = 9 (medium)") in card
    assert "**Scenario.** Edited." in card
    assert "**Scenario as found.** Someone edits a public article" in card


def test_markdown_lists_rejected_threats_apart_with_reason(system: System, reviewed: AnalysisResult) -> None:
    report = render_markdown(reviewed, system)
    assert "### `T-DATA-004@logs`" not in report
    identify = report.split("## Identify", 1)[1].split("## Countermeasures", 1)[0]
    assert "5 threats, highest risk first (3 without a decision by a person; 1 rejected threat is listed" in identify
    rejected = identify.split("### Rejected threats", 1)[1]
    assert ("| `T-DATA-004@logs` | Prompts kept forever in conversation logs | low | Dana Lee &lt;dana@example.com&gt; "
            "| logs are deleted after 30 days |") in rejected


def test_nothing_undecided_is_presented_as_accepted(system: System, reviewed: AnalysisResult) -> None:
    report = render_markdown(reviewed, system)
    for threat in reviewed.threats:
        if threat.status in ("accepted", "modified", "rejected"):
            continue
        card = _card(report, threat.id)
        assert "ACCEPTED" not in card and "accepted by" not in card and "not accepted" in card


def test_a_result_without_review_summary_counts_from_the_threats(system: System, result: AnalysisResult) -> None:
    report = render_markdown(result, system)
    assert "**6 of 6 threats await a decision by a person.**" in report
    assert "| Unreviewed threats (not accepted) | 6 |" in report and "| Decided by | nobody yet |" in report


def test_html_status_badges_are_distinct(system: System, reviewed: AnalysisResult) -> None:
    page = render_html(reviewed, system, None)
    parsed = parse(page)
    assert parsed.errors == [] and parsed.stack == []
    assert len(parsed.ids) == len(set(parsed.ids))
    hrefs = {v["href"] for tag, v in parsed.tags if tag == "a" and v.get("href")}
    assert {h[1:] for h in hrefs if h} <= set(parsed.ids)
    for threat_id, badge in (("T-LLM-005@llm", '<span class="status st-accepted">ACCEPTED</span>'),
                             ("T-LLM-001@web-app", '<span class="status st-stale">STALE</span>'),
                             ("T-AGENT-002@crm-tool", '<span class="status st-needs-info">NEEDS INFO</span>'),
                             ("T-STRIDE-004@crm-tool@f-crm", '<span class="status st-unreviewed">UNREVIEWED</span>'),
                             ("T-DATA-001@kb", '<span class="status st-modified">MODIFIED</span>')):
        card = page.split(f'id="{anchor("threat", threat_id)}"', 1)[1].split("</details>", 1)[0]
        assert f"{badge} <code>{threat_id}</code>" in card
    for css in (".st-unreviewed{", ".st-stale{", "details.undecided{"):
        assert css in page
    undecided = re.findall(r'<details class="threat lvl-\w+ undecided" id="threat-([^"]+)"', page)
    assert sorted(undecided) == ["T-AGENT-002@crm-tool", "T-LLM-001@web-app", "T-STRIDE-004@crm-tool@f-crm"]


def test_html_review_section_rejected_table_and_original_values(system: System, reviewed: AnalysisResult) -> None:
    page = render_html(reviewed, system, None)
    assert page.index('<section id="review">') < page.index('<section id="describe">')
    assert '<a href="#review">Review</a>' in page
    review = page.split('<section id="review">', 1)[1].split("</section>", 1)[0]
    assert "3 of 6 threats await a decision by a person." in review
    assert "<tr><th>Quick accepts flagged</th><td>2 (possible rubber-stamping" in review
    assert 'class="threat lvl-low" id="threat-T-DATA-004@logs"' not in page
    row = page.split('<tr id="threat-T-DATA-004@logs">', 1)[1].split("</tr>", 1)[0]
    assert "logs are deleted after 30 days" in row and "st-rejected" in row
    card = page.split('id="threat-T-DATA-001@kb"', 1)[1].split("</details>", 1)[0]
    assert ("<dt>As found</dt><dd>title “Poisoned help-centre articles reach answers”; likelihood 3 × impact 3 = 9 "
            "(medium) (before the modification)</dd>") in card
    assert "<p><strong>Scenario as found.</strong> Someone edits a public article" in card


def test_unknown_status_is_shown_as_undecided(system: System, result: AnalysisResult) -> None:
    result = result.model_copy(deep=True)
    result.threats[0].status = "retired"
    page = render_html(result, system, None)
    assert '<span class="status st-unreviewed">RETIRED</span>' in page
    report = render_markdown(result, system)
    assert "**RETIRED: not a decision; not accepted**" in report
