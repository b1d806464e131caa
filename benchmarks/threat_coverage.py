"""Threat coverage: how many threats named by public sources dicetm finds, on systems written as dicetm.yaml.

Usage: python benchmarks/threat_coverage.py CORPUS [--detail grouped|full] [--missed] [--explain] [--json]

A corpus is one folder per system holding ``dicetm.yaml`` and ``reference.yaml`` (see
THREAT_CORPUS_FORMAT.md beside the repository). A reference threat is *found* when at least one threat of the
analysis is tied to one of its elements (the threat's elements or the ends of its flows) and carries at least
one of its refs, where:

- refs are compared in the catalogue's canonical spelling (``owasp-asi:ASI01`` is ``owasp-asi:ASI01:2026``,
  ``LLM01`` is ``owasp-llm:LLM01:2025``); a ref the catalogue does not know (a typo, an id of another
  edition) is reported, since no rule can carry it (any well-formed CWE id is accepted);
- an ATLAS sub-technique in the reference also matches its parent technique in the threat, and vice versa;
- ``stride:`` refs count only when the reference lists no other kind of ref.

Printed per system and in total: reference threats found / total, dicetm threats per element (the chosen
detail, grouped by default) and the refs most often missed. ``--explain`` lists every missed reference threat
with its elements and refs and, under it, the dicetm threats tied to those elements with their refs, so a miss
can be told apart as a missing pattern, the right threat without the id, or the right threat elsewhere. A system
whose files do not load is reported with file, line and field, skipped, and makes the exit code 2; otherwise the
exit code is 0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dicetm.catalog import Catalog, load_catalog
from dicetm.errors import DicetmError, InputError, Location, Problem
from dicetm.model import AnalysisResult, System, Threat
from dicetm.pipeline.run import analyze
from dicetm.store.modelfile import load_system

MODEL_FILE = "dicetm.yaml"
REFERENCE_FILE = "reference.yaml"
TOP_MISSED = 10
ANY_CWE = re.compile(r"^cwe:CWE-[1-9]\d*$", re.IGNORECASE)


class ReferenceThreat(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    title: str = ""
    elements: list[str] = Field(min_length=1)
    refs: list[str] = Field(min_length=1)


class Reference(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source: str = ""
    threats: list[ReferenceThreat]


@dataclass
class SystemScore:
    name: str
    found: list[str] = field(default_factory=list)
    missed: list[ReferenceThreat] = field(default_factory=list)
    nearby: dict[str, list[str]] = field(default_factory=dict)  # missed reference id -> threats on its elements
    threats: int = 0
    elements: int = 0
    unknown_elements: list[str] = field(default_factory=list)
    unknown_refs: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.found) + len(self.missed)

    @property
    def per_element(self) -> float:
        return self.threats / self.elements if self.elements else 0.0


def load_reference(path: Path) -> Reference:
    """reference.yaml, or an InputError naming the file, line and field of every problem."""
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise InputError([Problem(f"cannot read: {exc.strerror or exc}", Location(file=str(path)))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        raise InputError([Problem(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", where)]) from None
    try:
        return Reference.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(e["msg"], Location(str(path), _line(root, e["loc"]),
                                                     path=".".join(map(str, e["loc"])) or None),
                                  hint="see THREAT_CORPUS_FORMAT.md") for e in exc.errors()]) from None


def _line(node: Any, path: tuple[Any, ...]) -> int | None:
    """Line of the deepest YAML node ``path`` reaches."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _canonical(catalog: Catalog, ref: str) -> str:
    return catalog.resolve(ref) or ref.strip()


def _atlas_parent(ref: str) -> str | None:
    """The technique of an ATLAS sub-technique ref (``atlas:AML.T0051.001`` -> ``atlas:AML.T0051``), else None."""
    if not ref.startswith("atlas:AML.T"):
        return None
    parts = ref.split(".")
    return ".".join(parts[:2]) if len(parts) == 3 else None


def wanted_refs(catalog: Catalog, reference: ReferenceThreat) -> set[str]:
    """The reference's refs in canonical spelling; ``stride:`` ones only when it lists nothing else."""
    refs = {_canonical(catalog, r) for r in reference.refs}
    others = {r for r in refs if not r.startswith("stride:")}
    return others or refs


def ref_matches(wanted: str, threat_refs: set[str]) -> bool:
    """Exact match, or an ATLAS sub-technique against its parent technique in either direction."""
    if wanted in threat_refs:
        return True
    parent = _atlas_parent(wanted)
    if parent is not None:
        return parent in threat_refs
    return any(_atlas_parent(r) == wanted for r in threat_refs)


def matches(wanted: set[str], threat_refs: set[str]) -> bool:
    return any(ref_matches(w, threat_refs) for w in wanted)


def threat_ends(system: System, threat: Threat) -> set[str]:
    ends = set(threat.elements)
    for flow_id in threat.flows:
        flow = system.flow_by_id.get(flow_id)
        if flow is not None:
            ends |= {flow.source, flow.target}
    return ends


def score(name: str, system: System, result: AnalysisResult, reference: Reference, catalog: Catalog) -> SystemScore:
    found = SystemScore(name=name, threats=len(result.threats), elements=len(system.elements))
    indexed = [(t, threat_ends(system, t), {_canonical(catalog, r) for r in t.references} |
                {f"stride:{s}" for s in t.stride}) for t in result.threats]
    for item in reference.threats:
        found.unknown_elements += [e for e in item.elements if e not in system.element_by_id]
        found.unknown_refs += [r for r in item.refs if catalog.resolve(r) is None and not ANY_CWE.match(r.strip())]
        wanted = wanted_refs(catalog, item)
        if any(set(item.elements) & ends and matches(wanted, refs) for _, ends, refs in indexed):
            found.found.append(item.id)
        else:
            found.missed.append(item)
            found.nearby[item.id] = [_describe(threat, ends & set(item.elements), refs)
                                     for threat, ends, refs in indexed if ends & set(item.elements)]
    return found


def _describe(threat: Threat, on: set[str], refs: set[str]) -> str:
    """One line for ``--explain``: a threat on the missed reference's elements, with its refs."""
    shown = sorted(r for r in refs if not r.startswith("stride:"))
    return f"{threat.rule or threat.id} on {', '.join(sorted(on))}: {threat.title} [{', '.join(shown)}]"


def run_system(folder: Path, detail: str, catalog: Catalog) -> SystemScore:
    loaded = load_system(folder / MODEL_FILE, known_controls=set(catalog.controls))
    reference = load_reference(folder / REFERENCE_FILE)
    result = analyze(loaded.system, catalog=catalog, detail=detail)
    return score(folder.name, loaded.system, result, reference, catalog)


def systems_of(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_dir() and (p / MODEL_FILE).is_file())


def report(scores: list[SystemScore], catalog: Catalog, show_missed: bool, explain: bool = False) -> list[str]:
    lines = [f"{'system':<34} {'found':>9} {'threats/element':>16}"]
    missed_refs: Counter[str] = Counter()
    for s in scores:
        lines.append(f"{s.name:<34} {len(s.found):>4}/{s.total:<4} {s.per_element:>16.2f}")
        for item in s.missed:
            missed_refs.update(wanted_refs(catalog, item))
            if show_missed or explain:
                lines.append(f"    missed {item.id}: {item.title} [{', '.join(item.refs)}] "
                             f"on {', '.join(item.elements)}")
            if explain:
                lines.extend(f"        dicetm {line}" for line in s.nearby.get(item.id, []) or ["(no threat there)"])
        if s.unknown_elements:
            lines.append(f"    reference names elements the model lacks: {', '.join(sorted(set(s.unknown_elements)))}")
        if s.unknown_refs:
            unknown = ', '.join(sorted(set(s.unknown_refs)))
            lines.append(f"    reference cites ids the catalogue does not know: {unknown}")
    found = sum(len(s.found) for s in scores)
    total = sum(s.total for s in scores)
    threats = sum(s.threats for s in scores)
    elements = sum(s.elements for s in scores)
    share = 100.0 * found / total if total else 0.0
    lines.append(f"{'TOTAL':<34} {found:>4}/{total:<4} {threats / elements if elements else 0:>16.2f}"
                 f"   ({share:.1f}% found)")
    if missed_refs:
        common = missed_refs.most_common(TOP_MISSED)
        lines.append("refs most often missed: " + ", ".join(f"{r} ({n})" for r, n in common))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder with one sub-folder per system")
    parser.add_argument("--detail", choices=("grouped", "full"), default="grouped")
    parser.add_argument("--missed", action="store_true", help="list every reference threat not found")
    parser.add_argument("--explain", action="store_true",
                        help="list every missed reference threat with the dicetm threats on its elements")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"error: {args.corpus}: not a folder (hint: pass the corpus folder)", file=sys.stderr)
        return 2
    catalog = load_catalog()
    scores: list[SystemScore] = []
    failed = False
    for folder in systems_of(args.corpus):
        try:
            scores.append(run_system(folder, args.detail, catalog))
        except DicetmError as exc:
            failed = True
            print(f"error: {folder.name} skipped:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps({"systems": [{"name": s.name, "found": len(s.found), "total": s.total,
                                       "threats_per_element": round(s.per_element, 3),
                                       "missed": [m.id for m in s.missed]} for s in scores],
                          "found": sum(len(s.found) for s in scores), "total": sum(s.total for s in scores)},
                         indent=2))
    else:
        print("\n".join(report(scores, catalog, args.missed, args.explain)))
    return 2 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
