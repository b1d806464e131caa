"""The workbench in-process: pages, filters, decisions with the rules of `dicetm review`, iterations."""

from __future__ import annotations

import re
from pathlib import Path

from dicetm.store.workspace import Workspace

from .conftest import REVIEWER, Client

THREAT = "T-LLM-004@hosted-llm"
STAMP = re.compile(r'name="item" value="([^"]+)">\s*<input type="hidden" name="shown" value="([^"]+)"')


def stamp_for(client: Client, path: str, item: str) -> str:
    for found_item, stamp in STAMP.findall(client.get(path).text):
        if found_item == item:
            return stamp
    raise AssertionError(f"no decision form for {item} on {path}")


def decide(client: Client, item: str, action: str, page: str | None = None, **fields: str):  # type: ignore[no-untyped-def]
    page = page or f"/threats/{item}"
    return client.post("/decide", {"item": item, "action": action, "shown": stamp_for(client, page, item),
                                   "next": page, **fields}, follow_redirects=True)


def test_overview_draws_the_diagram_first_with_the_figures(client: Client) -> None:
    page = client.get("/").text
    main = page.split('<main id="main"', 1)[1]
    assert main.index("<svg") < main.index("Threats by review status and risk")
    assert 'href="/elements/hosted-llm"' in page  # clicking an element opens it
    assert "open · critical" in page  # the badge
    assert 'class="heat"' in page and 'href="/threats?likelihood=' in page
    assert "coverage" in page.lower() and "open questions" in page


def test_element_panel_lists_facts_flows_and_threats(client: Client) -> None:
    panel = client.get("/elements/crm-connector", headers={"HX-Request": "true"}).text
    assert "<html" not in panel  # a fragment for the side panel
    assert "permissions" in panel and "read, write" in panel and "human_approval_required" in panel
    assert "CRM REST" in panel and "/threats/T-" in panel
    assert client.get("/elements/nope").status_code == 404


def test_threat_filters_narrow_the_list(client: Client) -> None:
    everything = client.get("/threats").text
    total = int(re.search(r"(\d+) of (\d+) threats", everything).group(2))  # type: ignore[union-attr]
    assert f"{total} of {total}" in client.get("/threats?origin=rule").text  # the example: every threat is a rule's
    for query, check in (("risk=critical", "risk-critical"), ("stride=I", None),
                         ("element=crm", None), ("owasp=owasp-llm:LLM01:2025", None), ("q=prompt", None),
                         ("likelihood=4&impact=5", None)):
        page = client.get(f"/threats?{query}").text
        matched = int(re.search(r"(\d+) of \d+ threats", page).group(1))  # type: ignore[union-attr]
        assert 0 < matched < total, query
        rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert rows.count("<tr>") == matched
        if check:
            assert rows.count(check) == matched
    assert "No threat matches" in client.get("/threats?origin=model").text


def test_threat_page_shows_references_linked_and_history(client: Client) -> None:
    page = client.get(f"/threats/{THREAT}").text
    assert 'href="https://genai.owasp.org/llmrisk/llm022025-sensitive-information-disclosure/"' in page
    assert 'rel="noopener noreferrer"' in page
    assert "Scenario." in page and "Factors" in page and "Suggested controls" in page
    assert "No decision recorded yet." in page


def test_a_browser_decision_is_the_same_register_entry_and_audit_record(client: Client, workspace: Path) -> None:
    done = decide(client, THREAT, "accept")
    assert "recorded: T-LLM-004@hosted-llm accepted by Dana Lee" in done.text
    space = Workspace.open(workspace)
    entry = next(t for t in space.read().threats if t.id == THREAT)
    assert entry.status.value == "accepted" and entry.reviewer == REVIEWER
    assert entry.history[-1].seconds_on_screen is not None and entry.history[-1].actor == REVIEWER
    records = [r for r in space.records() if r.target == THREAT and r.action == "accept"]
    assert len(records) == 1 and records[0].actor == REVIEWER
    assert space.verify().ok
    assert "accept" in client.get(f"/threats/{THREAT}").text.split("Decision history", 1)[1]


def test_a_flagged_rejection_is_confirmed_by_a_second_reviewer_in_the_browser(client: Client, workspace: Path) -> None:
    rejected = decide(client, THREAT, "reject", reason="the vendor contract forbids keeping prompts")
    assert "flagged for a second reviewer (high-risk)" in rejected.text
    own = client.get(f"/threats/{THREAT}").text
    assert "flagged: high-risk" in own and "It waits for a second, different person to confirm it." in own
    assert "You made this decision" in own and 'name="action" value="confirm"' not in own

    second = "Sam Roe <sam@example.com>"
    client.login(second)
    page = client.get(f"/threats/{THREAT}").text
    assert 'name="action" value="confirm"' in page and "You made this decision" not in page
    confirmed = decide(client, THREAT, "confirm")
    assert f"recorded: {THREAT} confirmed by {second}".replace("<", "&lt;").replace(">", "&gt;") in confirmed.text
    entry = next(t for t in Workspace.open(workspace).read().threats if t.id == THREAT)
    assert entry.status.value == "rejected"
    assert (entry.history[-1].action, entry.history[-1].actor) == ("confirm", second)
    after = client.get(f"/threats/{THREAT}").text
    assert f"Confirmed by {second}".replace("<", "&lt;").replace(">", "&gt;") in after
    assert "It waits for a second" not in after and 'name="action" value="confirm"' not in after


def test_reject_and_modify_need_a_reason_and_nothing_is_written_without(client: Client, workspace: Path) -> None:
    before = (workspace / "dicetm-register.yaml").exists()
    refused = decide(client, THREAT, "reject", reason="  ")
    assert "not recorded" in refused.text and "reason" in refused.text
    assert (workspace / "dicetm-register.yaml").exists() == before
    if before:
        assert next(t for t in Workspace.open(workspace).read().threats if t.id == THREAT).status.value != "rejected"
    modified = decide(client, THREAT, "modify", reason="we fixed the score", impact="3", likelihood="4",
                      orig_likelihood="4", orig_impact="5", title="x", orig_title="x")
    assert "modified by" in modified.text
    entry = next(t for t in Workspace.open(workspace).read().threats if t.id == THREAT)
    assert entry.modification is not None and entry.modification.impact == 3
    assert entry.modification.likelihood is None and entry.modification.title is None  # only what changed


def test_no_bulk_decision_and_no_forged_screen_time(client: Client, workspace: Path) -> None:
    stamp = stamp_for(client, "/review", next(i for i, _ in STAMP.findall(client.get("/review").text)))
    two = client.post("/decide", {"item": [THREAT, "T-LLM-001@hosted-llm"], "action": "accept", "shown": stamp,
                                  "next": "/review"}, follow_redirects=True)
    assert "exactly one item" in two.text
    forged = client.post("/decide", {"item": THREAT, "action": "accept", "shown": "1.0.deadbeef", "next": "/review"},
                         follow_redirects=True)
    assert "stale or was altered" in forged.text
    assert not (workspace / "dicetm-audit.jsonl").exists()


def test_quick_accepts_are_flagged_in_the_log_and_on_the_page(client: Client, workspace: Path) -> None:
    seen = []
    for _ in range(5):
        review = client.get("/review").text
        item, stamp = STAMP.findall(review)[0]
        seen.append(item)
        done = client.post("/decide", {"item": item, "action": "accept", "shown": stamp, "next": "/review"},
                           follow_redirects=True)
    assert "flagged in the audit log as possible rubber-stamping" in done.text
    assert any(r.action == "flag-quick-accepts" for r in Workspace.open(workspace).records())
    assert len(set(seen)) == 5  # the queue moved on after each decision


def test_review_skip_moves_to_the_next_item_without_writing(client: Client, workspace: Path) -> None:
    first = STAMP.findall(client.get("/review").text)[0][0]
    client.post("/review/skip", {"item": first}, follow_redirects=True)
    assert STAMP.findall(client.get("/review").text)[0][0] != first
    assert not (workspace / "dicetm-audit.jsonl").exists()


def test_countermeasure_plan_and_residual_risk_owner(client: Client, workspace: Path) -> None:
    page = client.get("/countermeasures").text
    control = re.search(r'name="item" value="(C-[A-Z]+-\d+)"', page).group(1)  # type: ignore[union-attr]
    planned = decide(client, control, "plan", page="/countermeasures", owner="Platform team", due="2027-01-31")
    assert f"recorded: {control} planned" in planned.text
    refused = decide(client, control, "implement", page="/countermeasures", evidence="")
    assert "not recorded" in refused.text
    decide(client, THREAT, "accept")
    assert f"/threats/{THREAT.replace('@', '%40')}#residual" in client.get("/risks").text
    owned = decide(client, f"risk:{THREAT}", "accept", page=f"/threats/{THREAT}", owner="CISO",
                   business_impact="Customer data leaks", review_by="2027-06-30")
    assert "recorded: risk:T-LLM-004@hosted-llm accepted" in owned.text
    register = Workspace.open(workspace).read()
    assert next(c for c in register.countermeasures if c.id == control).owner == "Platform team"
    risk = next(r for r in register.residual_risks if r.threat == THREAT)
    assert risk.owner == "CISO" and risk.review_by == "2027-06-30"


def test_the_pages_say_what_counts_as_coverage_as_the_numbers_do(client: Client) -> None:
    # The evaluation counts an accepted countermeasure as coverage (the gate asks for a plan); the words must agree.
    assert "Only <em>planned</em> or <em>implemented</em>" not in client.get("/countermeasures").text
    assert "the CI gate (<code>dicetm check</code>) asks for <em>planned</em>" in client.get("/countermeasures").text
    assert "an accepted, planned or implemented countermeasure" in client.get("/evaluate").text
    assert "threats have an accepted, planned or implemented countermeasure" in client.get("/").text


def test_iterations_and_diff(client: Client, workspace: Path) -> None:
    from typer.testing import CliRunner

    from dicetm.cli import app

    assert "No iteration is recorded yet" in client.get("/iterations").text
    outcome = CliRunner().invoke(app, ["iteration", "new", str(workspace), "--reason", "first look",
                                       "--reviewer", REVIEWER])
    assert outcome.exit_code == 0, outcome.output
    model = workspace / "dicetm.yaml"
    model.write_text(model.read_text(encoding="utf-8").replace("name: Chat web app", "name: Chat web UI", 1),
                     encoding="utf-8")
    listed = client.get("/iterations").text
    assert "first look" in listed
    changed = client.get("/iterations/diff?old=1&new=working").text
    assert "From iteration 1 to the working copy" in changed and "Chat web UI" in changed
    assert client.get("/iterations/diff?old=7&new=working").status_code == 422


def test_the_diff_page_says_which_decision_a_removed_threat_carried(client: Client, workspace: Path) -> None:
    from typer.testing import CliRunner

    from dicetm.cli import app

    decide(client, "T-LLM-005@chat-logs", "accept")
    outcome = CliRunner().invoke(app, ["iteration", "new", str(workspace), "--reason", "before the log change",
                                       "--reviewer", REVIEWER])
    assert outcome.exit_code == 0, outcome.output
    model = workspace / "dicetm.yaml"
    text = model.read_text(encoding="utf-8")
    model.write_text(text.replace("    logs_prompts: true\n    encrypted_at_rest: true", "    logs_prompts: false\n"
                                  "    encrypted_at_rest: true", 1), encoding="utf-8")
    page = client.get("/iterations/diff?old=1&new=working").text
    removed = page.split("T-LLM-005@chat-logs", 1)[1].split("</li>", 1)[0]
    assert "was accepted by Dana Lee &lt;dana@example.com&gt;; the decision stays in the register" in removed


def test_the_page_follows_the_files_on_disk(client: Client, workspace: Path) -> None:
    first = client.get("/api/version").text
    model = workspace / "dicetm.yaml"
    model.write_text(model.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    assert client.get("/api/version").text != first


def test_report_download_is_the_static_report(client: Client) -> None:
    report = client.get("/report.html")
    assert report.headers["content-disposition"] == 'attachment; filename="report.html"'
    assert "<script" not in report.text and "default-src 'none'" in report.text


def test_a_decision_on_an_item_changed_meanwhile_is_recorded_with_a_warning(client: Client, workspace: Path) -> None:
    from dicetm.review import DecisionInput
    from dicetm.review import decide as decide_from_cli

    stamp = stamp_for(client, f"/threats/{THREAT}", THREAT)  # the page shows the threat unreviewed
    decide_from_cli(workspace, [DecisionInput(item=THREAT, action="accept")], reviewer="Sam Roe <sam@example.com>")
    done = client.post("/decide", {"item": THREAT, "action": "reject", "shown": stamp, "next": f"/threats/{THREAT}",
                                   "reason": "the CRM connector is read-only in production, see ADR-12"},
                       follow_redirects=True)
    assert "changed since you loaded it" in done.text and "Sam Roe" in done.text
    records = [r for r in Workspace.open(workspace).records() if r.target == THREAT and r.action == "reject"]
    assert len(records) == 1 and records[0].details["superseded"]["seen"] == "unreviewed#0"


def test_linked_and_credential_files_are_never_offered_to_describe(client: Client, workspace: Path,
                                                                   tmp_path: Path) -> None:
    outside = tmp_path / "secret-notes.md"
    outside.write_text("# Notes\n\nThe admin password is hunter2.\n", encoding="utf-8")
    (workspace / "notes.md").symlink_to(outside)
    (workspace / "docs").symlink_to(tmp_path, target_is_directory=True)
    (workspace / "design.md").write_text("# Design\n\nThe chat UI calls the backend.\n", encoding="utf-8")
    (workspace / "id_rsa.md").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n", encoding="utf-8")
    page = client.get("/describe").text
    assert "design.md" in page
    assert "notes.md" not in page and "docs/" not in page and "id_rsa" not in page
