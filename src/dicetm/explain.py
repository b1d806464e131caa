"""`catalog list` and `catalog show`: explain any rule, control or reference id, like Threagile's explain."""

from __future__ import annotations

from dicetm.catalog import Catalog, Control, Entry, load_catalog
from dicetm.errors import InputError, Location, Problem
from dicetm.rules.base import Rule
from dicetm.rules.registry import all_rules


def catalog_rows(namespace: str | None = None) -> list[tuple[str, str, str]]:
    catalog = load_catalog()
    rows: list[tuple[str, str, str]] = []
    if namespace in (None, "rules"):
        rows += [(r.meta.id, f"{r.meta.slug}: {r.meta.title}", f"rule ({r.meta.status.value})")
                 for r in all_rules()]
    if namespace in (None, "controls"):
        rows += [(c.id, c.name, "control") for c in sorted(catalog.controls.values(), key=lambda c: c.id)]
    if namespace not in ("rules", "controls"):
        if namespace is not None and namespace not in catalog.namespaces():
            known = ", ".join(["rules", "controls", *catalog.namespaces()])
            raise InputError([Problem(f"unknown namespace {namespace!r}", Location(path="namespace"),
                                      hint=f"one of: {known}")])
        rows += [(e.ref, e.name, e.namespace) for e in catalog.entries(namespace)]
    return rows


def _rules_citing(ref_or_control: str, catalog: Catalog) -> list[Rule]:
    found = []
    for rule in all_rules():
        refs = {r for r in rule.meta.references}
        if ref_or_control in rule.meta.controls or ref_or_control in refs:
            found.append(rule)
    return found


def _explain_rule(rule: Rule, catalog: Catalog) -> str:
    m = rule.meta
    lines = [f"{m.id}  {m.slug}  [{m.status.value}]", "", m.title, "",
             f"applies to: {', '.join(k.value for k in m.applies_to)}",
             f"STRIDE: {' '.join(m.stride) or '-'}",
             f"default likelihood {m.likelihood}, impact {m.impact}"]
    if m.factors:
        lines.append("factors:")
        lines += [f"  {f.target} {f.delta:+d} when {f.when}: {f.note}" for f in m.factors]
    lines += ["", f"scenario: {m.scenario}", "", f"rationale: {m.rationale}", "",
              f"review question: {m.review_question}", "", "references:"]
    for ref in m.references:
        entry = catalog.get(ref)
        lines.append(f"  {ref}  {entry.name if entry else '(not in catalogue)'}")
    lines.append("suggested controls (most specific first):")
    for control_id in m.controls:
        control = catalog.controls.get(control_id)
        lines.append(f"  {control_id}  {control.name if control else '(not in catalogue)'}")
    if m.supersedes:
        lines.append(f"folds in: {', '.join(m.supersedes)}")
    if m.supersedes_named:
        lines.append(f"folds in, on every element it names: {', '.join(m.supersedes_named)}")
    return "\n".join(lines)


def _explain_control(control: Control, catalog: Catalog) -> str:
    lines = [f"{control.id}  {control.name}", "", control.description, ""]
    cuts = ", ".join(f"{k} -{v}" for k, v in control.reduces.items()) or "none stated"
    lines.append(f"when implemented lowers: {cuts}")
    lines.append("references:")
    for ref in control.references:
        entry = catalog.get(ref)
        lines.append(f"  {ref}  {entry.name if entry else ''}")
    rules = _rules_citing(control.id, catalog)
    lines.append(f"suggested by {len(rules)} rules: {', '.join(r.meta.id for r in rules) or '-'}")
    return "\n".join(lines)


def _explain_entry(entry: Entry, catalog: Catalog) -> str:
    lines = [f"{entry.ref}  {entry.name}", "", entry.description]
    if entry.url:
        lines.append(f"source: {entry.url}")
    for relation, ids in sorted(entry.related.items()):
        if ids:
            lines.append(f"{relation}: {', '.join(ids)}")
    rules = _rules_citing(entry.ref, catalog)
    controls = [c.id for c in catalog.controls.values() if entry.ref in c.references]
    lines.append(f"rules citing it: {', '.join(r.meta.id for r in rules) or '-'}")
    lines.append(f"controls mapped to it: {', '.join(sorted(controls)) or '-'}")
    return "\n".join(lines)


def explain(item_id: str) -> str:
    catalog = load_catalog()
    rules = {r.meta.id: r for r in all_rules()}
    by_slug = {r.meta.slug: r for r in all_rules()}
    key = item_id.strip()
    rule_key = key.split("@", 1)[0].upper()  # a finding id explains its rule
    if rule_key in rules:
        return _explain_rule(rules[rule_key], catalog)
    if key in by_slug:
        return _explain_rule(by_slug[key], catalog)
    found = catalog.get(key)
    if isinstance(found, Control):
        return _explain_control(found, catalog)
    if isinstance(found, Entry):
        return _explain_entry(found, catalog)
    import difflib

    candidates = [*rules, *catalog.controls, *(e.ref for e in catalog.entries())]
    close = difflib.get_close_matches(key, candidates, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else "run 'dicetm catalog list' to see every id"
    raise InputError([Problem(f"unknown id {item_id!r}", Location(path="ID"), hint=hint)])
