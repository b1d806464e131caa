"""Describe-quality benchmark: how much of a hand-written model the offline ``dicetm describe`` drafts.

Usage: python benchmarks/describe_quality.py [CORPUS] [--case NAME] [--json]

CORPUS (default ``tests/describe/corpus``) holds one folder per case: ``docs/`` (the documents, handed to
``describe`` as a folder, exactly as a user would), ``expected.yaml`` (the model a careful engineer drafts from
those documents only) and optionally ``aliases.yaml`` (``{element name: [other names]}``). The format is
described in ``tests/describe/corpus/README.md``.

Each case is drafted with the library call behind ``dicetm describe --no-llm`` into a temporary folder, then
compared with the expected model:

- elements: names compared case-insensitively after collapsing whitespace and dropping a leading "the" (names
  written exactly the same are paired first); an alias counts as the name. Matching is one to one (a second
  drafted element with the same name is spurious).
  Recall = expected elements matched, precision = drafted elements matched, kind accuracy over matched ones;
- flows: an expected flow is recovered when a drafted flow joins the two matched elements in the same
  direction (a bidirectional flow on either side matches both directions); precision = drafted flows that
  recover an expected flow;
- facts: per (expected element, fact) set in expected.yaml: recovered (same value), wrong (another value) or
  missed (unset); "unstated" counts facts the draft sets on matched elements that expected.yaml leaves unset.
  Retention is compared as a duration ("30 days" = "30d", "12mo" = "360d"), lists as sets, ``acts_on`` and
  ``server`` through the matching;
- boundaries: matched one to one by name, or by member sets with Jaccard >= 0.5 (members through the matching);
- threat reach: both models analysed offline with ``detail=full``; the share of the expected model's
  (rule, element) findings that the draft's findings also have (draft elements through the matching).

A case whose documents cannot all be read is drafted from the files that can be, and the table says so.

``--facts`` adds a fact diagnostic: per fact field, recovered / missed / wrong, and each miss or wrong value in
one bucket (see ``fact_bucket``): the element was not drafted; no text names it; the text about it (sentences
naming it, the section under a heading naming it, table rows naming it) has no cue for the field; a cue for the
field is in that text but the draft put the value on another element, or on none; the drafted value is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from dicetm.errors import DicetmError
from dicetm.model.system import Element, System

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "describe" / "corpus"
NOT_FACTS = frozenset({"id", "name", "kind", "description", "tags", "provenance"})
FACTS = tuple(f for f in Element.model_fields if f not in NOT_FACTS)
_UNITS = {"d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7, "m": 30, "mo": 30, "month": 30, "months": 30,
          "y": 365, "year": 365, "years": 365, "h": 1 / 24, "hour": 1 / 24, "hours": 1 / 24}


@dataclass
class Case:
    name: str
    folder: Path
    expected: System
    aliases: dict[str, list[str]]


@dataclass
class Score:
    """Counts for one case (or the sum of several)."""

    expected_elements: int = 0
    drafted_elements: int = 0
    matched_elements: int = 0
    right_kinds: int = 0
    expected_flows: int = 0
    drafted_flows: int = 0
    recovered_flows: int = 0
    precise_flows: int = 0
    expected_facts: int = 0
    recovered_facts: int = 0
    wrong_facts: int = 0
    unstated_facts: int = 0
    expected_boundaries: int = 0
    drafted_boundaries: int = 0
    matched_boundaries: int = 0
    expected_findings: int = 0
    reached_findings: int = 0
    unread_files: int = 0
    details: dict[str, list[str]] = field(default_factory=dict)
    fact_fields: dict[str, Counter[str]] = field(default_factory=dict)  # field -> outcome or bucket -> count

    def add(self, other: Score) -> None:
        for name, value in asdict(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        for name, counts in other.fact_fields.items():
            self.fact_fields.setdefault(name, Counter()).update(counts)


def normal_name(name: str) -> str:
    text = " ".join(name.split()).casefold()
    return text[4:] if text.startswith("the ") else text


def load_case(folder: Path) -> Case:
    from dicetm.store.modelfile import load_system

    expected = load_system(folder / "expected.yaml").system
    aliases_file = folder / "aliases.yaml"
    aliases = yaml.safe_load(aliases_file.read_text(encoding="utf-8")) if aliases_file.exists() else {}
    return Case(folder.name, folder, expected, {str(k): [str(v) for v in vs] for k, vs in (aliases or {}).items()})


def draft_case(case: Case) -> tuple[System, int]:
    """The offline draft ``dicetm describe docs/`` writes, and how many files could not be read."""
    from dicetm.api import load
    from dicetm.assist.workflow import describe_documents
    from dicetm.ingest.readers import read_document

    docs = case.folder / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "dicetm.yaml"
        try:
            describe_documents([docs], target, llm=None)
            return load(target).system, 0
        except DicetmError:
            readable = []
            for file in sorted(p for p in docs.rglob("*") if p.is_file()):
                try:
                    read_document(file)
                    readable.append(file)
                except DicetmError:
                    continue
            unread = sum(1 for p in docs.rglob("*") if p.is_file()) - len(readable)
            if not readable:
                return System(name=case.name), unread
            try:
                describe_documents(readable, target, llm=None)
            except DicetmError:
                return System(name=case.name), unread + len(readable)
            return load(target).system, unread


def match_elements(expected: System, aliases: dict[str, list[str]], draft: System) -> dict[str, str]:
    """drafted element id -> expected element id, one to one: exact names first, then aliases."""
    exact = {" ".join(e.name.split()): e.id for e in expected.elements}
    by_name = {normal_name(e.name): e.id for e in expected.elements}
    by_alias: dict[str, str] = {}
    for element in expected.elements:
        for alias in aliases.get(element.name, []):
            by_alias.setdefault(normal_name(alias), element.id)
    matched: dict[str, str] = {}
    taken: set[str] = set()
    for table, key in ((exact, lambda n: " ".join(n.split())), (by_name, normal_name), (by_alias, normal_name)):
        for element in draft.elements:
            target = table.get(key(element.name))
            if element.id not in matched and target is not None and target not in taken:
                matched[element.id] = target
                taken.add(target)
    return matched


def _duration(text: str) -> float | None:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-?\s*([a-z]+)\s*", text.casefold())
    if found and found.group(2) in _UNITS:
        return float(found.group(1)) * _UNITS[found.group(2)]
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return sorted(str(_plain(v)) for v in value)
    return value


def same_fact(name: str, want: Any, got: Any, matched: dict[str, str]) -> bool:
    if name in ("acts_on", "server"):  # a reference to another element: through the matching
        return matched.get(str(got)) == want
    if name == "retention":
        a, b = _duration(str(want)), _duration(str(got))
        return a == b if a is not None and b is not None else str(want).casefold() == str(got).casefold()
    return bool(_plain(want) == _plain(got))


def findings(system: System) -> set[tuple[str, str]]:
    from dicetm.pipeline.run import analyze

    result = analyze(system, detail="full")
    return {(t.rule, e) for t in result.threats for e in t.elements if t.provenance.source == "rule"}


def score_case(case: Case, draft: System, texts: list[list[tuple[str, str]]] | None = None) -> Score:
    """The scores of ``draft`` against the case; with ``texts`` (see ``document_texts``) also the fact buckets."""
    expected = case.expected
    score = Score(expected_elements=len(expected.elements), drafted_elements=len(draft.elements),
                  expected_flows=len(expected.flows), drafted_flows=len(draft.flows),
                  expected_boundaries=len(expected.trust_boundaries),
                  drafted_boundaries=len(draft.trust_boundaries))
    details: dict[str, list[str]] = {"missed elements": [], "spurious elements": [], "wrong kinds": [],
                                     "missed flows": [], "spurious flows": [], "wrong facts": [],
                                     "missed facts": [], "unstated facts": [], "missed boundaries": []}
    matched = match_elements(expected, case.aliases, draft)
    reverse = {v: k for k, v in matched.items()}
    score.matched_elements = len(matched)
    for element in draft.elements:
        if element.id not in matched:
            details["spurious elements"].append(f"{element.name} ({element.kind.value})")
    for element in expected.elements:
        got = draft.element_by_id.get(reverse.get(element.id, ""))
        if got is None:
            details["missed elements"].append(element.name)
            stated = [f"{element.name}.{name}" for name in FACTS if getattr(element, name) is not None]
            score.expected_facts += len(stated)
            details["missed facts"] += stated
            for name in (n for n in FACTS if getattr(element, n) is not None) if texts is not None else ():
                score.fact_fields.setdefault(name, Counter()).update(["missed", NOT_DRAFTED])
            continue
        about = None if texts is None else about_element(texts, [element.name, *case.aliases.get(element.name, [])])
        if got.kind is element.kind:
            score.right_kinds += 1
        else:
            details["wrong kinds"].append(f"{element.name}: {got.kind.value}, expected {element.kind.value}")
        for name in FACTS:
            want, have = getattr(element, name), getattr(got, name)
            if want is None:
                if have is not None:
                    score.unstated_facts += 1
                    details["unstated facts"].append(f"{element.name}.{name}={_plain(have)}")
                continue
            score.expected_facts += 1
            if have is None:
                details["missed facts"].append(f"{element.name}.{name}={_plain(want)}")
                outcome = "missed"
            elif same_fact(name, want, have, matched):
                score.recovered_facts += 1
                outcome = "recovered"
            else:
                score.wrong_facts += 1
                details["wrong facts"].append(f"{element.name}.{name}={_plain(have)}, expected {_plain(want)}")
                outcome = "wrong"
            if about is not None:
                counts = score.fact_fields.setdefault(name, Counter())
                counts[outcome] += 1
                if outcome != "recovered":
                    bucket = fact_bucket(name, want, have, about, [e for e in draft.elements if e is not got], matched)
                    counts[bucket] += 1
                    details.setdefault(f"facts {bucket}", []).append(f"{element.name}.{name}={_plain(want)}")
    drafted = [(matched.get(f.source), matched.get(f.target), f.bidirectional) for f in draft.flows]
    names = {e.id: e.name for e in expected.elements}
    for flow in expected.flows:
        ends = (flow.source, flow.target)
        if any((s, t) == ends or ((t, s) == ends and (bi or flow.bidirectional)) for s, t, bi in drafted):
            score.recovered_flows += 1
        else:
            details["missed flows"].append(f"{names[flow.source]} -> {names[flow.target]}")
    wanted = {(f.source, f.target, f.bidirectional) for f in expected.flows}
    for flow, (s, t, bi) in zip(draft.flows, drafted, strict=True):
        if any((s, t) == (a, b) or ((t, s) == (a, b) and (bi or both)) for a, b, both in wanted):
            score.precise_flows += 1
        else:
            ends = draft.element_by_id
            details["spurious flows"].append(f"{ends[flow.source].name} -> {ends[flow.target].name}")
    taken: set[str] = set()
    for boundary in expected.trust_boundaries:
        members = set(boundary.elements)
        for candidate in draft.trust_boundaries:
            if candidate.id in taken:
                continue
            mapped = {matched[m] for m in candidate.elements if m in matched}
            union = members | mapped
            jaccard = len(members & mapped) / len(union) if union else 0.0
            if normal_name(candidate.name) == normal_name(boundary.name) or jaccard >= 0.5:
                taken.add(candidate.id)
                score.matched_boundaries += 1
                break
        else:
            details["missed boundaries"].append(boundary.name)
    want_findings = findings(expected)
    got_findings = {(rule, matched[e]) for rule, e in findings(draft) if e in matched}
    score.expected_findings = len(want_findings)
    score.reached_findings = len(want_findings & got_findings)
    score.details = {k: v for k, v in details.items() if v}
    return score


# the buckets: element not drafted; no text names it; its text has no cue for the field; a cue matched but the
# value went to another element; a cue matched but the draft kept no value; the drafted value is wrong
NOT_DRAFTED, NO_TEXT, NO_CUE, OTHER_ELEMENT, CUE_DROPPED, WRONG_VALUE = (
    "not drafted", "no text", "no cue", "other element", "dropped", "wrong value")
BUCKETS = (NOT_DRAFTED, NO_TEXT, NO_CUE, OTHER_ELEMENT, CUE_DROPPED, WRONG_VALUE)


def document_texts(case: Case) -> list[list[tuple[str, str]]]:
    """Each readable document of the case as its visible spans, (kind, text) in order."""
    from dicetm.ingest.readers import read_document

    texts = []
    for file in sorted(p for p in (case.folder / "docs").rglob("*") if p.is_file()):
        try:
            texts.append([(s.kind, s.text) for s in read_document(file).visible_spans])
        except DicetmError:
            continue
    return texts


def about_element(texts: list[list[tuple[str, str]]], names: list[str]) -> list[tuple[str, str]]:
    """The text about an element: spans naming it, every span of a section whose heading names it, and table rows
    naming it (each paired with its table's header row as "header\tcell" lines, so header facts count)."""
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(' '.join(n.split()))}(?!\w)" for n in names if n.strip()),
                         re.I)
    found: list[tuple[str, str]] = []
    for spans in texts:
        in_section, header = False, None
        for kind, text in spans:
            named = bool(pattern.search(" ".join(text.split())))
            if kind == "heading":
                in_section = named
            if kind != "table-row":
                header = None
            elif header is None:
                header = text
            if kind == "table-row" and named and header is not text:
                pairs = zip([c.strip() for c in header.split("|")], [c.strip() for c in text.split("|")],
                            strict=False)
                found.append(("table-row", text + "\n" + "\n".join(f"{h}\t{c}" for h, c in pairs)))
            elif named or in_section:
                found.append((kind, text))
    return found


def fact_bucket(name: str, want: Any, have: Any, about: list[tuple[str, str]], others: list[Element],
                matched: dict[str, str]) -> str:
    """Why the draft misses (or gets wrong) ``name`` = ``want`` on an element whose text is ``about``."""
    from dicetm.ingest.extract_facts import column_fact, statements

    if have is not None:
        return WRONG_VALUE
    if not about:
        return NO_TEXT
    cued = False
    for kind, text in about:
        cued = cued or any(s.field == name for s in statements(text))
        for line in text.split("\n")[1:] if kind == "table-row" else ():
            header, _, cell = line.partition("\t")
            fact = column_fact(header, cell)
            cued = cued or (fact is not None and fact[0] == name)
    if not cued:
        return NO_CUE
    if any(getattr(e, name) is not None and same_fact(name, want, getattr(e, name), matched) for e in others):
        return OTHER_ELEMENT
    return CUE_DROPPED


def fact_table(total: Score) -> str:
    """Per fact field: recovered, missed, wrong, and the misses and wrong values by bucket."""
    rows = [["field", "expected", "recovered", "missed", "wrong", *BUCKETS]]
    for name in sorted(total.fact_fields, key=lambda n: -sum(total.fact_fields[n][o] for o in
                                                            ("recovered", "missed", "wrong"))):
        counts = total.fact_fields[name]
        rows.append([name, str(counts["recovered"] + counts["missed"] + counts["wrong"]),
                     *(str(counts[k]) for k in ("recovered", "missed", "wrong", *BUCKETS))])
    sums = Counter[str]()
    for counts in total.fact_fields.values():
        sums.update(counts)
    rows.append(["TOTAL", str(sums["recovered"] + sums["missed"] + sums["wrong"]),
                 *(str(sums[k]) for k in ("recovered", "missed", "wrong", *BUCKETS))])
    return table(rows)


def _ratio(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    - "


COLUMNS = ("case", "el rec", "el prec", "kind", "fl rec", "fl prec", "fact rec", "wrong", "unstated",
           "bd rec", "bd prec", "reach")


def row(name: str, s: Score) -> list[str]:
    return [name + (f" ({s.unread_files} unread)" if s.unread_files else ""),
            _ratio(s.matched_elements, s.expected_elements), _ratio(s.matched_elements, s.drafted_elements),
            _ratio(s.right_kinds, s.matched_elements), _ratio(s.recovered_flows, s.expected_flows),
            _ratio(s.precise_flows, s.drafted_flows), _ratio(s.recovered_facts, s.expected_facts),
            _ratio(s.wrong_facts, s.expected_facts), str(s.unstated_facts),
            _ratio(s.matched_boundaries, s.expected_boundaries),
            _ratio(s.matched_boundaries, s.drafted_boundaries), _ratio(s.reached_findings, s.expected_findings)]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r))
             for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def totals_text(total: Score) -> str:
    return "\n".join([
        f"elements:   {total.matched_elements}/{total.expected_elements} recovered "
        f"({_ratio(total.matched_elements, total.expected_elements).strip()}), "
        f"{total.drafted_elements - total.matched_elements}/{total.drafted_elements} drafted are spurious "
        f"({_ratio(total.drafted_elements - total.matched_elements, total.drafted_elements).strip()}), "
        f"kind right for {total.right_kinds}/{total.matched_elements}",
        f"flows:      {total.recovered_flows}/{total.expected_flows} recovered "
        f"({_ratio(total.recovered_flows, total.expected_flows).strip()}), {total.precise_flows}/"
        f"{total.drafted_flows} drafted are right ({_ratio(total.precise_flows, total.drafted_flows).strip()})",
        f"facts:      {total.recovered_facts}/{total.expected_facts} recovered "
        f"({_ratio(total.recovered_facts, total.expected_facts).strip()}), {total.wrong_facts} wrong "
        f"({_ratio(total.wrong_facts, total.expected_facts).strip()}), {total.unstated_facts} unstated guesses",
        f"boundaries: {total.matched_boundaries}/{total.expected_boundaries} recovered, "
        f"{total.matched_boundaries}/{total.drafted_boundaries} drafted match",
        f"threat reach: {total.reached_findings}/{total.expected_findings} "
        f"({_ratio(total.reached_findings, total.expected_findings).strip()}) of the expected model's "
        "(rule, element) findings",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS, help="folder of cases")
    parser.add_argument("--case", action="append", default=[], help="only this case (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON instead of tables")
    parser.add_argument("--details", action="store_true", help="list what each case missed or added")
    parser.add_argument("--facts", action="store_true",
                        help="add the fact diagnostic: per field, recovered / missed / wrong, misses by cause")
    args = parser.parse_args(argv)
    folders = sorted(p for p in args.corpus.iterdir() if (p / "expected.yaml").exists())
    if args.case:
        folders = [p for p in folders if p.name in args.case]
    if not folders:
        print(f"no cases (folders with expected.yaml) in {args.corpus}", file=sys.stderr)
        return 2
    total = Score()
    scores: dict[str, Score] = {}
    for folder in folders:
        case = load_case(folder)
        draft, unread = draft_case(case)
        score = score_case(case, draft, document_texts(case) if args.facts else None)
        score.unread_files = unread
        scores[case.name] = score
        total.add(score)
    if args.json:
        print(json.dumps({"cases": {k: asdict(v) for k, v in scores.items()}, "total": asdict(total)}, indent=2))
        return 0
    print(f"corpus: {args.corpus} ({len(scores)} cases)\n")
    print(table([list(COLUMNS), *[row(name, s) for name, s in scores.items()], row("TOTAL", total)]))
    print()
    print(totals_text(total))
    if args.facts:
        print("\nfacts by field; each miss or wrong value in one bucket: element not drafted, no text names it, no cue "
              "in its text,\ncue matched but the value is on another element, cue matched but dropped, value wrong\n")
        print(fact_table(total))
    if args.details:
        for name, s in scores.items():
            if s.details:
                print(f"\n== {name}")
                for label, items in s.details.items():
                    print(f"  {label}: " + "; ".join(items))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
