"""Work for an issue tracker: GitHub issues (JSON) and Jira (CSV import), one issue per item to act on.

An item to act on is a planned countermeasure (a person gave it an owner and a due date) or an accepted
threat that nothing covers yet (no accepted, planned or implemented countermeasure, no residual-risk
decision). Items that already carry a tracker link (``dicetm decide ITEM --tracker URL``) are left out: they
are tracked. Every issue names its dicetm ids in the title, the body and the labels, so a person can record
the link back and the next export skips it.

- ``github-issues``: a JSON array of objects with the fields GitHub's REST API takes to create an issue
  (``POST /repos/{owner}/{repo}/issues``: ``title``, ``body``, ``labels``), one per issue.
- ``jira``: CSV for Jira's importer: a header row with ``Summary`` (required), ``Issue Type``,
  ``Priority``, ``Description``, ``Due date`` and one ``Labels`` column per label (Jira joins repeated
  columns into one multi-valued field; labels hold no spaces).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

from dicetm.io.export_common import ordered_threats
from dicetm.model import AnalysisResult, Countermeasure, CountermeasureStatus, RiskLevel, System, Threat

TITLE_MAX = 256  # GitHub's limit on an issue title; Jira's summary allows 255
SUMMARY_MAX = 255
ACCEPTED = frozenset({"accepted", "modified"})
_PRIORITY = {RiskLevel.critical: "Highest", RiskLevel.high: "High", RiskLevel.medium: "Medium",
             RiskLevel.low: "Low"}


@dataclass(frozen=True)
class WorkItem:
    """One issue to open: its title, Markdown body, labels, priority and due date."""

    key: str  # the dicetm id the issue is about (control id or threat id)
    title: str
    body: str
    labels: tuple[str, ...]
    priority: str
    due: str | None


def work_items(result: AnalysisResult, system: System) -> list[WorkItem]:
    """Planned countermeasures first (by rank), then accepted threats nothing covers (highest risk first)."""
    threats = {t.id: t for t in result.threats}
    names = {e.id: e.name for e in system.elements}
    items = [_countermeasure(c, threats) for c in sorted(result.countermeasures, key=lambda c: (c.rank, c.id))
             if c.status is CountermeasureStatus.planned and not c.tracker]
    rows = {row.threat: row for row in result.evaluation.matrix}
    items += [_threat(t, names) for t in ordered_threats(result.threats)
              if t.status in ACCEPTED and not t.tracker and t.id in rows and not rows[t.id].covered]
    return items


def _label(text: str) -> str:
    """A label without spaces (Jira refuses them), at most 50 characters (GitHub's limit)."""
    return re.sub(r"\s+", "-", text.strip())[:50]


def _countermeasure(cm: Countermeasure, threats: dict[str, Threat]) -> WorkItem:
    covered = [threats[t] for t in cm.threats if t in threats and (cm.limited_to is None or t in cm.limited_to)]
    worst = max((t.risk for t in covered), key=list(RiskLevel).index, default=RiskLevel.low)
    lines = [f"**dicetm countermeasure `{cm.id}`**: {cm.name}", "", cm.description, "",
             f"- Owner: {cm.owner or 'not set'}", f"- Due: {cm.due or 'not set'}", "", "Threats it mitigates:"]
    lines += [f"- `{t.id}` ({t.risk.value} risk, {t.status}): {t.title}" for t in covered]
    lines += ["", f"When this issue exists, record it: `dicetm decide PATH {cm.id} --tracker ISSUE_URL`."]
    labels = ("dicetm", "threat-model", "countermeasure", _label(cm.id), f"risk-{worst.value}")
    return WorkItem(cm.id, _clip(f"[dicetm {cm.id}] {cm.name}", TITLE_MAX), "\n".join(lines), labels,
                    _PRIORITY[worst], cm.due)


def _threat(threat: Threat, names: dict[str, str]) -> WorkItem:
    where = ", ".join(names.get(e, e) for e in threat.elements) or "the system as a whole"
    lines = [f"**dicetm threat `{threat.id}`** (rule `{threat.rule}`), accepted by {threat.reviewer or 'a reviewer'}"
             f" and not yet covered.", "", threat.scenario, "",
             f"- Risk: {threat.risk.value} (likelihood {threat.likelihood} x impact {threat.impact})",
             f"- Where: {where}"]
    if threat.controls:
        lines += ["", "Suggested controls:", *(f"- `{c}`" for c in threat.controls)]
    lines += ["", "Cover it with a countermeasure or an owned residual-risk decision, then record this issue: "
              f"`dicetm decide PATH {threat.id} --tracker ISSUE_URL`."]
    labels = ("dicetm", "threat-model", "threat", _label(threat.rule), f"risk-{threat.risk.value}")
    return WorkItem(threat.id, _clip(f"[dicetm {threat.id}] {threat.title}", TITLE_MAX), "\n".join(lines), labels,
                    _PRIORITY[threat.risk], None)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_github_issues(result: AnalysisResult, system: System) -> str:
    """A JSON array; each object is the body of one ``POST /repos/{owner}/{repo}/issues`` request."""
    issues = [{"title": item.title, "body": item.body, "labels": list(item.labels)}
              for item in work_items(result, system)]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def render_jira_csv(result: AnalysisResult, system: System) -> str:
    """Jira's CSV import: Summary, Issue Type, Priority, Description, Due date, then one Labels column per label."""
    items = work_items(result, system)
    width = max((len(item.labels) for item in items), default=1)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Summary", "Issue Type", "Priority", "Description", "Due date", *(["Labels"] * width)])
    for item in items:
        labels = list(item.labels) + [""] * (width - len(item.labels))
        writer.writerow([_clip(item.title, SUMMARY_MAX), "Task", item.priority, item.body, item.due or "", *labels])
    return out.getvalue()
