"""Identify and counter with a model: threats and controls beyond the rule findings, as additions only.

A proposal is kept only when everything it names exists: element and flow ids in the model, references
in the catalogue, control ids in the catalogue or the model (a new control it describes becomes a custom
control ``X-LLM-<sha8>``). Likelihood and impact are 1..5 or unset. Quotes it cites from documents are
verified like drafted elements' (``evidence``). The model never chooses an id: a kept threat gets
``P-<sha8 of normalised title and elements>@<first element>``, never equal to an existing id.

Duplicates. A proposal repeats an existing threat when they share an element and at least one OWASP LLM,
OWASP agentic or ATLAS reference, or when their titles are near-identical (Jaccard similarity of their
word sets, small words ignored, >= 0.6). It then becomes a ``SupportingNote`` on the closest such threat
(most shared references, then most similar title); when that threat is itself an earlier model proposal,
the repeat is just dropped. Repeats within one run are dropped too.

``assert_additions_only`` checks the result of a run with the proposals against the result without them.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from dicetm.assist.answers import Dropped, IdentifyAnswer, NewControlAnswer, ThreatAnswer, plain_text
from dicetm.assist.describe_llm import ELEMENT_FACTS, FLOW_FACTS, normalise_id
from dicetm.assist.evidence import SpanIndex, check_evidence
from dicetm.assist.prompts import DEFAULT_BUDGET, IDENTIFY_INSTRUCTIONS, pack_documents, prompt_with_rules
from dicetm.catalog import Catalog
from dicetm.errors import Location, Problem, ProviderError
from dicetm.ingest.documents import Document, Span
from dicetm.model.findings import AnalysisResult, Threat
from dicetm.model.proposals import SupportingNote
from dicetm.model.system import CustomControl, SourceInfo, SpanRef, System, ThreatRecord
from dicetm.providers.interface import CompletionRequest, Message, StructuredLLM

DUPLICATE_NAMESPACES = ("owasp-llm", "owasp-agentic", "owasp-asi", "atlas")
TITLE_JACCARD = 0.6
GUIDE_NAMESPACES = ("stride", "owasp-llm", "owasp-agentic", "owasp-asi", "atlas", "cwe")
_STRIDE = {"s": "S", "spoofing": "S", "t": "T", "tampering": "T", "r": "R", "repudiation": "R",
           "i": "I", "information disclosure": "I", "d": "D", "denial of service": "D",
           "e": "E", "elevation of privilege": "E"}
_SMALL_WORDS = frozenset({"a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from", "in", "into", "is",
                          "it", "its", "of", "on", "or", "the", "their", "to", "with"})
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script
CHECKED_FIELDS = ("title", "scenario", "likelihood", "impact", "status", "controls")


@dataclass
class ProposalOutcome:
    threats: list[ThreatRecord] = field(default_factory=list)
    controls: list[CustomControl] = field(default_factory=list)
    supporting: list[SupportingNote] = field(default_factory=list)
    kept: int = 0
    dropped_invented: int = 0  # names an element, flow, reference or control that does not exist
    dropped_invalid: int = 0  # malformed items, and answers the client discarded
    dropped_unverified: int = 0  # cites document words that are not in the cited span, or a withheld span
    dropped_repeated: int = 0  # repeats an earlier model proposal
    attached_to_rules: int = 0
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def title_words(title: str) -> set[str]:
    words = _WORD.findall(unicodedata.normalize("NFKC", title).casefold())
    return {w for w in words if w not in _SMALL_WORDS}


def title_similarity(first: str, second: str) -> float:
    """Jaccard similarity of the two titles' word sets (small words ignored)."""
    a, b = title_words(first), title_words(second)
    return len(a & b) / len(a | b) if a and b else 0.0


def proposal_digest(title: str, elements: Sequence[str]) -> str:
    """sha8 of the normalised title (its word set) and the sorted element ids."""
    key = " ".join(sorted(title_words(title))) + "|" + ",".join(sorted(elements))
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def proposal_id(title: str, elements: Sequence[str], taken: Collection[str]) -> str:
    """``P-<sha8>@<first element>``, with a numeric suffix in the unlikely case it is taken."""
    digest = proposal_digest(title, elements)
    candidate, number = f"P-{digest}@{elements[0]}", 2
    while candidate in taken:
        candidate, number = f"P-{digest}-{number}@{elements[0]}", number + 1
    return candidate


def control_id(name: str) -> str:
    return "X-LLM-" + hashlib.sha256(" ".join(sorted(title_words(name))).encode()).hexdigest()[:8]


def reference_guide(catalog: Catalog) -> str:
    """The reference ids and control ids a model may use, one per line (stable: cached with the prompt)."""
    lines = ["Reference list (namespaced id, name):"]
    for namespace in GUIDE_NAMESPACES:
        lines += [f"{e.ref} {e.name}" for e in catalog.entries(namespace)
                  if e.kind not in ("tactic", "mitigation")]
    lines.append("Control list (id, name):")
    lines += [f"{c.id} {c.name}" for c in catalog.controls.values()]
    return "\n".join(lines)


def _facts(item: Any, names: Sequence[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name in names:
        value = getattr(item, name)
        if value is None or (name == "bidirectional" and value is False):
            continue  # unknown, or the default
        facts[name] = [_plain(v) for v in value] if isinstance(value, list) else _plain(value)
    return facts


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def system_view(system: System, result: AnalysisResult) -> str:
    """The compact view a model gets: elements, flows, boundaries, custom controls and the findings."""
    def line(data: dict[str, Any]) -> str:
        return json.dumps({k: v for k, v in data.items() if v not in (None, [], {})}, ensure_ascii=False)

    lines = [f"System: {json.dumps(system.name, ensure_ascii=False)}", "Elements:"]
    lines += [line({"id": e.id, "kind": e.kind.value, "name": e.name,
                    "description": e.description and plain_text(e.description, 200),
                    "facts": _facts(e, ELEMENT_FACTS)}) for e in system.elements]
    lines.append("Flows:")
    lines += [line({"id": f.id, "source": f.source, "target": f.target, "data": f.data,
                    "facts": _facts(f, FLOW_FACTS)}) for f in system.flows]
    lines.append("Trust boundaries:")
    lines += [line({"id": b.id, "name": b.name, "parent": b.parent, "elements": b.elements})
              for b in system.trust_boundaries]
    if system.controls:
        lines.append("Custom controls (may be used in controls):")
        lines += [line({"id": c.id, "name": c.name}) for c in system.controls]
    lines.append("Threats already found (propose only threats these do not cover):")
    # Earlier model proposals are left out: model-written text never goes back into a prompt (no second-order
    # injection), and the prompt, hence the cache key, stays the same when a run is repeated.
    lines += [line({"id": t.id, "title": t.title, "elements": t.elements, "references": t.references,
                    "controls": t.controls}) for t in result.threats if not t.provenance.source.startswith("llm:")]
    return "\n".join(lines)


def propose_threats(system: System, result: AnalysisResult, catalog: Catalog, llm: StructuredLLM, *,
                    documents: Sequence[Document] = (), withheld: Mapping[Span, str] | Collection[Span] = (),
                    include_hidden: bool = False, budget: int = DEFAULT_BUDGET) -> ProposalOutcome:
    """Ask for threats beyond ``result``'s and keep only valid, new, verifiable ones (see the module doc).

    With ``documents``, one call per chunk of them (each with the whole system view); else one call.
    """
    system_prompt = prompt_with_rules(f"{IDENTIFY_INSTRUCTIONS}\n\n{reference_guide(catalog)}")
    view = system_view(system, result)
    chunks = pack_documents(documents, withheld, budget=budget, include_hidden=include_hidden) or [""]
    requests = [CompletionRequest(system=system_prompt, messages=(Message("user", f"{view}\n\n{chunk}".strip()),),
                                  schema_name="propose_threats", max_tokens=8192) for chunk in chunks]
    answers = llm.ask_many("propose-threats", requests, IdentifyAnswer)
    judge = _Judge(system, result, catalog, SpanIndex(documents, withheld, include_hidden=include_hidden),
                   f"llm:{llm.provider_name}/{llm.model}")
    for answer in answers:
        judge.out.warnings.extend(answer.warnings)
        if answer.value is None:
            judge.drop("answer", "discarded by the client (invalid after repair)", "invalid")
            continue
        for threat in answer.value.threats:
            judge.consider(threat, answer.prompt_hash)
    judge.out.kept = len(judge.out.threats)
    return judge.out


class _Rejected(Exception):
    def __init__(self, reason: str, category: str) -> None:
        super().__init__(reason)
        self.reason, self.category = reason, category


class _Judge:
    def __init__(self, system: System, result: AnalysisResult, catalog: Catalog, index: SpanIndex,
                 by: str) -> None:
        self.system, self.result, self.catalog, self.index, self.by = system, result, catalog, index, by
        self.out = ProposalOutcome()
        self.taken = {t.id for t in result.threats} | {t.id for t in system.threats}
        self.custom = {c.id: c for c in system.controls}
        self.control_names = {c.name.casefold(): c.id for c in catalog.controls.values()}
        self.control_names.update({c.name.casefold(): c.id for c in system.controls})
        self.new_controls: dict[str, CustomControl] = {}
        self.notes: set[tuple[str, str]] = set()

    def drop(self, item: str, reason: str, category: str) -> None:
        self.out.dropped.append(Dropped(item, reason, category))
        counter = f"dropped_{category}"
        setattr(self.out, counter, getattr(self.out, counter) + 1)

    def consider(self, answer: ThreatAnswer, prompt_hash: str) -> None:
        title = plain_text(answer.title, 200)
        label = f"threat '{title or answer.title[:60]}'"
        try:
            record, controls = self._record(answer, title, prompt_hash)
        except _Rejected as rejected:
            self.drop(label, rejected.reason, rejected.category)
            return
        existing = self._closest(record, self.result.threats)
        if existing is not None:
            if existing.rule.startswith("llm:"):
                self.drop(label, f"repeats the earlier proposal {existing.id}", "repeated")
            else:
                self._support(existing.id, record)
            return
        earlier = next((t for t in self.out.threats if title_similarity(t.title, record.title) >= TITLE_JACCARD),
                       None)
        if earlier is not None:
            self.drop(label, f"repeats {earlier.id} from this run", "repeated")
            return
        record.id = proposal_id(record.title, record.elements, self.taken)
        self.taken.add(record.id)
        self.out.threats.append(record)
        for control in controls:
            if control.id not in self.new_controls:
                self.new_controls[control.id] = control
                self.out.controls.append(control)

    def _record(self, answer: ThreatAnswer, title: str,
                prompt_hash: str) -> tuple[ThreatRecord, list[CustomControl]]:
        if not title:
            raise _Rejected("has no title", "invalid")
        elements = self._ids(answer.elements, self.system.element_by_id, "element")
        if not elements:
            raise _Rejected("names no element", "invalid")
        flows = self._ids(answer.flows, self.system.flow_by_id, "flow")
        for score in (answer.likelihood, answer.impact):
            if score is not None and not 1 <= score <= 5:
                raise _Rejected(f"likelihood and impact must be 1..5, got {score}", "invalid")
        references, controls = self._references(answer.references)
        controls += self._controls(answer.controls, controls)
        source = SourceInfo(by=self.by, draft=True, prompt_hash=prompt_hash, spans=self._spans(answer))
        known, custom = self._new_controls(answer.new_controls, source)
        controls += [c for c in known if c not in controls]
        record = ThreatRecord(
            id="P-pending", title=title, scenario=plain_text(answer.scenario, 2000) or None, elements=elements,
            flows=flows, stride=self._stride(answer.stride), references=references, likelihood=answer.likelihood,
            impact=answer.impact, controls=controls, source=self.by, provenance=source,
        )
        return record, custom

    def _ids(self, refs: list[str], known: Mapping[str, object], what: str) -> list[str]:
        found: list[str] = []
        for ref in refs:
            item = ref.strip() if ref.strip() in known else normalise_id(ref)
            if item not in known:
                raise _Rejected(f"names {what} '{plain_text(ref, 60)}', which is not in the model", "invented")
            if item not in found:
                found.append(item)
        return found

    def _references(self, refs: list[str]) -> tuple[list[str], list[str]]:
        references: list[str] = []
        controls: list[str] = []
        for ref in refs:
            canonical = self.catalog.resolve(ref)
            if canonical is None:
                raise _Rejected(f"reference '{plain_text(ref, 60)}' is not in the catalogue", "invented")
            bucket = controls if canonical in self.catalog.controls else references
            if canonical not in bucket:
                bucket.append(canonical)
        return references, controls

    def _controls(self, refs: list[str], already: list[str]) -> list[str]:
        found: list[str] = []
        for ref in refs:
            canonical = ref.strip() if ref.strip() in self.custom else self.catalog.resolve(ref)
            if canonical is None or (canonical not in self.catalog.controls and canonical not in self.custom):
                raise _Rejected(f"control '{plain_text(ref, 60)}' is neither in the catalogue nor in the model",
                                "invented")
            if canonical not in found and canonical not in already:
                found.append(canonical)
        return found

    def _new_controls(self, answers: list[NewControlAnswer],
                      source: SourceInfo) -> tuple[list[str], list[CustomControl]]:
        """Control ids for the described controls; a name that an existing control has maps to that one."""
        ids: list[str] = []
        created: list[CustomControl] = []
        for answer in answers:
            name = plain_text(answer.name, 120)
            if not name:
                continue
            known = self.control_names.get(name.casefold())
            if known is None and control_id(name) in self.custom:
                known = control_id(name)  # accepted from an earlier run
            if known is None:
                known = control_id(name)
                created.append(CustomControl(id=known, name=name, description=plain_text(answer.description, 600),
                                             source=self.by, provenance=source.model_copy(update={"spans": []})))
            ids.append(known)
        return ids, created

    def _stride(self, letters: list[str]) -> list[str]:
        found: list[str] = []
        for raw in letters:
            letter = _STRIDE.get(plain_text(raw, 40).casefold().replace("-", " ").strip(" ."))
            if letter is None:
                self.out.warnings.append(f"ignored STRIDE letter '{plain_text(raw, 20)}'")
            elif letter not in found:
                found.append(letter)
        return found

    def _spans(self, answer: ThreatAnswer) -> list[SpanRef]:
        evidence = check_evidence(answer.evidence, self.index)
        problem = evidence.problem(required=False)
        if problem:
            raise _Rejected(problem, "unverified")
        return evidence.refs

    def _closest(self, record: ThreatRecord, threats: Sequence[Threat]) -> Threat | None:
        """The existing threat this proposal repeats (see the module doc), or None."""
        ours = {r for r in record.references if r.split(":", 1)[0] in DUPLICATE_NAMESPACES}
        best: tuple[int, float] = (0, 0.0)
        found = None
        for threat in threats:
            similarity = title_similarity(record.title, threat.title)
            shared = 0
            if set(record.elements) & set(threat.elements):
                shared = len(ours & {self.catalog.resolve(r) or r for r in threat.references})
            if (shared or similarity >= TITLE_JACCARD) and (shared, similarity) > best:
                best, found = (shared, similarity), threat
        return found

    def _support(self, threat_id: str, record: ThreatRecord) -> None:
        text = record.scenario or record.title
        if (threat_id, text.casefold()) in self.notes:
            return
        self.notes.add((threat_id, text.casefold()))
        assert record.provenance is not None
        self.out.supporting.append(SupportingNote(threat=threat_id, text=text, provenance=record.provenance))
        self.out.attached_to_rules += 1


def assert_additions_only(before: AnalysisResult, after: AnalysisResult) -> None:
    """Raise ProviderError when a threat of ``before`` is missing from ``after`` or has a different title,
    scenario, likelihood, impact, review status or control list: a model may only add."""
    now = {t.id: t for t in after.threats}
    problems = []
    for threat in before.threats:
        location = Location(path=f"threats[{threat.id}]")
        later = now.get(threat.id)
        if later is None:
            problems.append(Problem(f"threat {threat.id} disappeared after adding model proposals", location,
                                    "model proposals may only add; discard this run's proposals and report it"))
            continue
        for name in CHECKED_FIELDS:
            old, new = getattr(threat, name), getattr(later, name)
            if old != new:
                problems.append(Problem(
                    f"threat {threat.id}: {name} changed from {old!r} to {new!r} after adding model proposals",
                    Location(path=f"threats[{threat.id}].{name}"),
                    "model proposals may only add; discard this run's proposals and report it"))
    if problems:
        raise ProviderError(problems)
