"""Map the threat-model record to EU AI Act Art. 9 and 15 and Cyber Resilience Act Annex I and VII.

Every statement is computed from the record: figures ("facts") are counted once, and each item of
``data/compliance.yaml`` names the figures that answer it, the ones that must be above zero and the ones
that must be zero. The status is plain arithmetic over those figures:

* **missing** when any figure the item ``requires`` is 0;
* **met** when no required figure is 0, every ``gaps`` figure is 0 and the item has no ``cap``;
* **partial** otherwise (some gap is above zero, or the threat model can only answer part of the item).

This is a map of where the record helps, not legal advice and not a conformity assessment.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dicetm.errors import CatalogError, Location, Problem
from dicetm.evidence.figures import AREA_FACT_NAMES, FACT_NAMES, Area, ComplianceInputs, Fact, area_facts, facts
from dicetm.report import markdown as md

Status = Literal["met", "partial", "missing"]
DATA_FILE = "compliance.yaml"
STATUS_RULE = ("missing when any required figure is 0; met when every required figure is above 0, every gap "
               "figure is 0 and the item is not capped; partial otherwise")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemSpec(_Spec):
    id: str
    framework: str
    reference: str
    title: str
    text: str
    area: Area | None = None
    shows: list[str] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)
    cap: Literal["partial"] | None = None


class ComplianceItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    framework: str
    reference: str
    title: str
    text: str
    status: Status
    answered_by: list[str] = Field(description="What in the record answers the item (computed).")
    missing: list[str] = Field(description="What is missing or still open (computed).")
    figures: dict[str, int] = Field(description="The figures the status was computed from.")
    rule: str = Field(description="The status arithmetic with this item's figures.")


class ComplianceReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str
    dicetm_version: str
    today: str
    status_rule: str = STATUS_RULE
    counts: dict[str, int]
    items: list[ComplianceItem]


@cache
def item_specs() -> tuple[ItemSpec, ...]:
    """The items of data/compliance.yaml, checked: valid fields, unique ids, only known figure names."""
    text = resources.files("dicetm.evidence").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    raw = (yaml.safe_load(text) or {}).get("items", [])
    where = f"evidence/data/{DATA_FILE}"
    problems: list[Problem] = []
    specs: list[ItemSpec] = []
    for index, item in enumerate(raw):
        try:
            spec = ItemSpec.model_validate(item)
        except ValidationError as exc:
            problems += [Problem(f"{'.'.join(map(str, e['loc']))}: {e['msg']}", Location(where, path=f"items[{index}]"))
                         for e in exc.errors()]
            continue
        names = [*spec.shows, *spec.requires, *spec.gaps]
        known = FACT_NAMES | (AREA_FACT_NAMES if spec.area else frozenset())
        problems += [Problem(f"{spec.id}: unknown figure {name!r}", Location(where, path=f"items[{index}]"))
                     for name in names if name not in known]
        specs.append(spec)
    ids = [s.id for s in specs]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    problems += [Problem(f"item id {i} used twice", Location(where)) for i in twice]
    if problems:
        raise CatalogError(problems)
    return tuple(specs)


# ----------------------------------------------------------------------------------------- status


def status_of(spec: ItemSpec, figures: dict[str, int]) -> Status:
    if any(figures[name] == 0 for name in spec.requires):
        return "missing"
    if any(figures[name] > 0 for name in spec.gaps) or spec.cap is not None:
        return "partial"
    return "met"


def _rule_text(spec: ItemSpec, figures: dict[str, int], status: Status) -> str:
    parts = []
    if spec.requires:
        parts.append("requires above 0: " + ", ".join(f"{n} = {figures[n]}" for n in spec.requires))
    if spec.gaps:
        parts.append("gaps must be 0: " + ", ".join(f"{n} = {figures[n]}" for n in spec.gaps))
    if spec.cap:
        parts.append(f"capped at {spec.cap}")
    return "; ".join(parts) + f" → {status}"


def _item(spec: ItemSpec, table: dict[str, Fact], inputs: ComplianceInputs) -> ComplianceItem:
    local = dict(table)
    if spec.area is not None:
        local.update(area_facts(inputs, spec.area))
    names = list(dict.fromkeys([*spec.shows, *spec.requires, *spec.gaps]))
    figures = {name: local[name].value for name in names}
    answered = [local[n].answer for n in spec.shows if local[n].answer and (local[n].value > 0 or local[n].always)]
    missing = [local[n].absent for n in spec.requires if local[n].value == 0 and local[n].absent]
    missing += [local[n].gap for n in spec.gaps if local[n].value > 0 and local[n].gap]
    if spec.cap is not None:
        missing.append("evidence from outside the threat model (see the item text)")
    status = status_of(spec, figures)
    return ComplianceItem(id=spec.id, framework=spec.framework, reference=spec.reference, title=spec.title,
                          text=spec.text, status=status, answered_by=answered, missing=missing, figures=figures,
                          rule=_rule_text(spec, figures, status))


def assess(inputs: ComplianceInputs) -> ComplianceReport:
    """The compliance map for one record, items in the data file's order."""
    table = facts(inputs)
    items = [_item(spec, table, inputs) for spec in item_specs()]
    counts = {status: sum(1 for item in items if item.status == status) for status in ("met", "partial", "missing")}
    return ComplianceReport(system=inputs.result.system_name, dicetm_version=inputs.result.dicetm_version,
                            today=inputs.today.isoformat(), counts=counts, items=items)


# -------------------------------------------------------------------------------------- rendering

_BADGE = {"met": "MET", "partial": "PARTIAL", "missing": "MISSING"}


def render_compliance_json(report: ComplianceReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_compliance_markdown(report: ComplianceReport) -> str:
    lines = [f"# Compliance map: {md.text(md.common.one_line(report.system))}", "",
             f"_dicetm {md.text(report.dicetm_version)} · figures as of {report.today}_", "",
             "This map shows which parts of the threat-model record speak to each requirement and what is still "
             "missing. The item texts summarise the requirements in dicetm's own words; read the regulations "
             "themselves for the binding wording. This is not legal advice and not a conformity assessment.", "",
             "## How the status is decided", "",
             "Each item names computed figures. It is **MISSING** when any figure it requires is 0, **MET** when "
             "every required figure is above 0, every gap figure is 0 and the item is not capped, and **PARTIAL** "
             "otherwise. Items that a threat model can only ever answer in part are capped at PARTIAL.", "",
             f"Totals: {report.counts['met']} met, {report.counts['partial']} partial, "
             f"{report.counts['missing']} missing.", "", "## Summary", ""]
    lines += md.table(["Framework", "Reference", "Item", "Status"],
                      ([md.cell(i.framework), md.cell(i.reference), md.cell(i.title), _BADGE[i.status]]
                       for i in report.items))
    framework = None
    for item in report.items:
        if item.framework != framework:
            framework = item.framework
            lines += [f"## {md.text(framework)}", ""]
        lines += [f"### {md.text(item.reference)}: {md.text(item.title)} ({_BADGE[item.status]})", "",
                  md.paragraph(item.text), "", "**Answered by the record:**", ""]
        lines += [f"- {md.text(a)}" for a in item.answered_by] or ["- nothing yet"]
        lines += ["", "**Missing or open:**", ""]
        lines += [f"- {md.text(m)}" for m in item.missing] or ["- nothing"]
        lines += ["", f"_Status rule: {md.text(item.rule)}._", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["AREA_FACT_NAMES", "FACT_NAMES", "ComplianceInputs", "ComplianceItem", "ComplianceReport", "ItemSpec",
           "assess", "facts", "item_specs", "render_compliance_json", "render_compliance_markdown", "status_of"]
