"""Describe with a model: draft elements, flows and trust boundaries from architecture documents.

What comes back is only ever an addition, and only what the documents support:

- every item cites spans; its quotes are verified (``evidence``). An item with no verified quote, or one
  citing a withheld span, is dropped and counted;
- a fact (exposure, authenticated, ...) is kept only with a verified quote of its own and a value the
  model field accepts; otherwise it is dropped, and a question asks a person for it. Values that disagree
  between chunks are both dropped the same way;
- kinds must be valid; ids are normalised to the id pattern and kept unique among the model's ids;
- items the base model already has (same id, or same name ignoring case) are not proposed again, and
  nothing in the base model is changed: its elements can be flow ends or boundary members, nothing more;
- the offline draft is the starting point: its elements are listed in every request, and the model is asked to
  name the ones its part of the documents mentions. Every element of the offline draft (``expected``) that no
  chunk names, as an element or a flow end, is reported: "the documents name X; the model's draft has no
  element for it". That catches plain omission and a document telling the model to leave something out;
- a flow must connect two known elements (base or drafted); a boundary must list known elements, and
  never one that already sits in a zone.

Chunks: documents are packed into requests of whole data blocks under a size budget (``prompts``), one
call per request, all sent together with ``ask_many``. Chunks cannot see each other's answers, so every
request lists the base model's elements, and answers are merged afterwards: by normalised id, else by name
(ignoring case). Flow ends and boundary members are resolved only after all chunks are merged, so a flow
found in one chunk may connect elements found in another.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from dicetm.assist.answers import (
    BoundaryAnswer,
    DescribeAnswer,
    Dropped,
    ElementAnswer,
    FactAnswer,
    FlowAnswer,
    plain_text,
)
from dicetm.assist.evidence import SpanIndex, check_evidence, merge_refs
from dicetm.assist.prompts import DEFAULT_BUDGET, DESCRIBE_INSTRUCTIONS, pack_documents, prompt_with_rules
from dicetm.ingest.documents import Document, Span
from dicetm.model.system import Element, Flow, Kind, SourceInfo, SpanRef, System, TrustBoundary
from dicetm.providers.interface import CompletionRequest, Message, StructuredLLM

ELEMENT_FACTS = tuple(f for f in Element.model_fields if f not in {"id", "name", "kind", "description", "tags",
                                                                    "provenance"})
FLOW_FACTS = tuple(f for f in Flow.model_fields if f not in {"id", "source", "target", "data", "provenance"})
TOOL_ONLY_FACTS = frozenset({"permissions", "acts_on"})
KNOWN_ELEMENTS_SHOWN = 300  # base elements listed in each request; more only cost tokens
_ID_CHARS = re.compile(r"[^a-z0-9_.-]+")
_KINDS = frozenset(k.value for k in Kind)


@dataclass
class DescribeOutcome:
    """Drafted additions (each with ``provenance.draft`` true), questions for a person, and the counts."""

    elements: list[Element] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    boundaries: list[TrustBoundary] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    kept: int = 0
    dropped_unverified: int = 0
    dropped_invalid: int = 0  # invalid items, and answers the client discarded
    dropped_invented: int = 0  # flows or boundaries naming elements nobody described
    already_known: int = 0  # items the base model already has (not proposed again)
    facts_dropped: int = 0
    dropped: list[Dropped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)  # names of offline-drafted elements the model's draft lacks
    name: str | None = None

    def as_system(self, base: System | None = None) -> System:
        """``base`` with the drafted items appended (or a new system named after ``name``)."""
        if base is None:
            return System(name=self.name or "Drafted system", elements=self.elements, flows=self.flows,
                          trust_boundaries=self.boundaries)
        return base.model_copy(update={
            "elements": [*base.elements, *self.elements], "flows": [*base.flows, *self.flows],
            "trust_boundaries": [*base.trust_boundaries, *self.boundaries],
        })


def normalise_id(raw: str) -> str:
    """``raw`` in the id pattern (lower case, ``[a-z0-9_.-]``, starting with a letter or digit), or ''."""
    text = _ID_CHARS.sub("-", unicodedata.normalize("NFKC", raw).casefold().strip())
    text = re.sub(r"-{2,}", "-", text).strip("_.-")
    return text[:64].rstrip("_.-")


def fact_guide() -> str:
    """The fact fields a model may state, with their allowed values, generated from the model classes."""
    lines = ["Element facts, as field (allowed values): meaning"]
    lines += [_fact_line(Element, name) for name in ELEMENT_FACTS]
    lines.append("Flow facts:")
    lines += [_fact_line(Flow, name) for name in FLOW_FACTS]
    lines.append(f"Element kinds: {', '.join(k.value for k in Kind)}. permissions and acts_on apply to tools only.")
    return "\n".join(lines)


def _fact_line(model: type[BaseModel], name: str) -> str:
    info = model.model_fields[name]
    text = f"- {name} ({_type_text(info.annotation)})"
    return f"{text}: {info.description}" if info.description else text


def _type_text(annotation: Any) -> str:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        annotation = args[0] if len(args) == 1 else annotation
    if get_origin(annotation) is list:
        return "a list, each " + _type_text(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(str(m.value) for m in annotation)
    if annotation is bool:
        return "true or false"
    return "text"


def draft_system(documents: Sequence[Document], llm: StructuredLLM, *,
                 withheld: Mapping[Span, str] | Collection[Span] = (), base: System | None = None,
                 name: str | None = None, include_hidden: bool = False,
                 budget: int = DEFAULT_BUDGET, expected: Sequence[Element] = ()) -> DescribeOutcome:
    """Draft the elements, flows and trust boundaries ``documents`` describe, as additions to ``base``.

    ``withheld`` spans (from the injection scan) are shown only as markers and cannot be cited; hidden
    spans are left out unless ``include_hidden``. One call per chunk of at most ``budget`` characters.
    ``expected``: elements of ``base`` the documents name (the offline draft); those the model's draft lacks
    are reported in ``omitted`` and the warnings.
    """
    name = name or (base.name if base is not None else None)
    outcome = DescribeOutcome(name=name)
    payloads = pack_documents(documents, withheld, budget=budget, include_hidden=include_hidden)
    if not payloads:
        outcome.warnings.append("no document text to describe")
        return outcome
    system_prompt = prompt_with_rules(f"{DESCRIBE_INSTRUCTIONS}\n\n{fact_guide()}")
    preface = _preface(base, name)
    requests = [CompletionRequest(system=system_prompt, messages=(Message("user", preface + payload),),
                                  schema_name="describe", max_tokens=8192) for payload in payloads]
    answers = llm.ask_many("describe", requests, DescribeAnswer)
    drafter = _Drafter(base, SpanIndex(documents, withheld, include_hidden=include_hidden),
                       f"llm:{llm.provider_name}/{llm.model}", outcome)
    for answer in answers:
        outcome.warnings.extend(answer.warnings)
        if answer.value is None:
            outcome.dropped_invalid += 1
            outcome.dropped.append(Dropped("answer", "discarded by the client (invalid after repair)", "invalid"))
            continue
        drafter.add(answer.value, answer.prompt_hash)
    drafter.finish()
    outcome.kept = len(outcome.elements) + len(outcome.flows) + len(outcome.boundaries)
    if any(answer.value is not None for answer in answers):
        for element in expected:
            if element.id not in drafter.covered:
                cited = ", ".join(f"{r.file}:{r.line}" for r in (element.provenance.spans if element.provenance
                                                                  else [])[:2])
                outcome.omitted.append(element.name)
                outcome.warnings.append(f"the documents name {element.name} ({cited or 'offline draft'}); the "
                                        "model's draft has no element for it: check whether a document tells the "
                                        "model to leave it out")
    return outcome


def _preface(base: System | None, name: str | None) -> str:
    lines = [f"The system being described is called {json.dumps(name)}." if name else ""]
    if base is not None and base.elements:
        lines.append("The model file already has these elements. Do not change them. When your part of the "
                     "documents names one of them, list it under elements with its id, name, kind and evidence "
                     "(so the draft can be checked for omissions), and use its id in flows and boundaries:")
        lines += [json.dumps({"id": e.id, "name": e.name, "kind": e.kind.value})
                  for e in base.elements[:KNOWN_ELEMENTS_SHOWN]]
    text = "\n".join(line for line in lines if line)
    return f"{text}\n\n" if text else ""


def _kind(raw: str) -> Kind | None:
    token = normalise_id(raw).replace("-", "_").replace(".", "_")
    return Kind(token) if token in _KINDS else None


@dataclass
class _Fact:
    value: Any
    refs: list[SpanRef]


@dataclass
class _Draft:
    """An item being assembled from one or more chunks."""

    id: str
    name: str
    prompt_hash: str
    refs: list[SpanRef]
    facts: dict[str, list[_Fact]] = field(default_factory=dict)
    kind: Kind | None = None
    description: str | None = None
    source: str = ""
    target: str = ""
    members: list[str] = field(default_factory=list)


class _Drafter:
    def __init__(self, base: System | None, index: SpanIndex, by: str, outcome: DescribeOutcome) -> None:
        self.base = base or System(name="base")
        self.index = index
        self.by = by
        self.out = outcome
        self.taken: set[str] = {item.id for section in (self.base.elements, self.base.flows,
                                                         self.base.trust_boundaries, self.base.assets,
                                                         self.base.assumptions) for item in section}
        self.base_elements = {e.id for e in self.base.elements}
        # proposed id or folded name -> final element id (base or drafted)
        self.element_alias: dict[str, str] = {}
        for element in self.base.elements:
            self.element_alias[element.id] = element.id
            self.element_alias.setdefault(element.name.casefold(), element.id)
        self.elements: dict[str, _Draft] = {}
        self.dropped_elements: set[str] = set()
        self.flow_answers: list[tuple[FlowAnswer, str]] = []
        self.boundary_answers: list[tuple[BoundaryAnswer, str]] = []
        self.question_keys: set[str] = set()
        self.covered: set[str] = set()  # base element ids an answer named (as an element or a flow end)

    # ---------------------------------------------------------------------------------------- intake

    def add(self, answer: DescribeAnswer, prompt_hash: str) -> None:
        for element in answer.elements:
            self._add_element(element, prompt_hash)
        self.flow_answers += [(flow, prompt_hash) for flow in answer.flows]
        self.boundary_answers += [(boundary, prompt_hash) for boundary in answer.boundaries]
        for question in answer.questions:
            text = plain_text(question.question, 300)
            about = plain_text(question.about or "", 80)
            if text:
                self._ask(f"{about}: {text}" if about else text)

    def _drop(self, item: str, reason: str, category: str) -> None:
        self.out.dropped.append(Dropped(item, reason, category))
        counter = f"dropped_{category}"
        setattr(self.out, counter, getattr(self.out, counter) + 1)

    def _ask(self, question: str) -> None:
        key = question.casefold()
        if key not in self.question_keys:
            self.question_keys.add(key)
            self.out.questions.append(question)

    def _new_id(self, wanted: str) -> str:
        candidate, number = wanted, 2
        while candidate in self.taken:
            candidate, number = f"{wanted}-{number}", number + 1
        self.taken.add(candidate)
        return candidate

    def _add_element(self, answer: ElementAnswer, prompt_hash: str) -> None:
        name = plain_text(answer.name, 120)
        proposed = normalise_id(answer.id) or normalise_id(name)
        label = f"element '{name or answer.id}'"
        if not name or not proposed:
            self._drop(label, "no usable name or id", "invalid")
            return
        kind = _kind(answer.kind)
        if kind is None:
            self._drop(label, f"kind '{answer.kind}' is not one of dicetm's kinds", "invalid")
            self.dropped_elements.update({proposed, name.casefold()})
            return
        evidence = check_evidence(answer.evidence, self.index)
        problem = evidence.problem(required=True)
        if problem:
            self._drop(label, problem, "unverified")
            self.dropped_elements.update({proposed, name.casefold()})
            return
        known = self.element_alias.get(proposed) or self.element_alias.get(name.casefold())
        if known in self.base_elements:
            self.out.already_known += 1
            self.covered.add(known)
            self.element_alias.setdefault(proposed, known)
            return
        draft = self.elements.get(known) if known else None
        if draft is None:
            draft = _Draft(id=self._new_id(proposed), name=name, kind=kind, prompt_hash=prompt_hash, refs=[])
            self.elements[draft.id] = draft
        elif draft.kind is not kind:
            self.out.warnings.append(f"element '{draft.id}': chunks disagree on its kind "
                                     f"({draft.kind and draft.kind.value} / {kind.value}); kept the first")
        self.element_alias.setdefault(proposed, draft.id)
        self.element_alias.setdefault(name.casefold(), draft.id)
        draft.refs = merge_refs(draft.refs, evidence.refs)
        if draft.description is None and answer.description:
            draft.description = plain_text(answer.description, 400) or None
        self._add_facts(draft, answer.facts, ELEMENT_FACTS, draft.kind)

    def _add_facts(self, draft: _Draft, facts: Iterable[FactAnswer], allowed: Sequence[str],
                   kind: Kind | None) -> None:
        for fact in facts:
            field_name = fact.field.strip()
            if field_name not in allowed or (field_name in TOOL_ONLY_FACTS and kind is not Kind.tool):
                self.out.facts_dropped += 1
                self.out.warnings.append(f"'{draft.id}': '{plain_text(field_name, 40)}' is not a fact this item "
                                         "can have; dropped")
                continue
            if fact.value is None:  # the model says the documents leave it open
                self._ask(f"{draft.name} ({draft.id}): what is its {field_name}? The documents do not say.")
                continue
            evidence = check_evidence(fact.evidence, self.index)
            problem = evidence.problem(required=True)
            if problem:
                self.out.facts_dropped += 1
                self._ask(f"{draft.name} ({draft.id}): what is its {field_name}? The documents do not state it "
                          f"with verifiable words ({problem}).")
                continue
            draft.facts.setdefault(field_name, []).append(_Fact(fact.value, evidence.refs))

    # ---------------------------------------------------------------------------------------- assembly

    def finish(self) -> None:
        for draft in self.elements.values():
            self._emit_element(draft)
        flows: dict[str, _Draft] = {}
        for answer, prompt_hash in self.flow_answers:
            self._add_flow(answer, prompt_hash, flows)
        for draft in _once(flows.values()):
            self._emit_flow(draft)
        boundaries: dict[str, _Draft] = {}
        for boundary, prompt_hash in self.boundary_answers:
            self._add_boundary(boundary, prompt_hash, boundaries)
        placed = {member for b in self.base.trust_boundaries for member in b.elements}
        for draft in _once(boundaries.values()):
            self._emit_boundary(draft, placed)

    def _source(self, draft: _Draft, facts: dict[str, _Fact]) -> SourceInfo:
        """Provenance: the item's own quotes, then those of the facts it keeps."""
        refs = merge_refs(draft.refs, *(fact.refs for fact in facts.values()))
        return SourceInfo(by=self.by, draft=True, prompt_hash=draft.prompt_hash, spans=refs)

    def _settled_facts(self, draft: _Draft, model: type[BaseModel], frame: dict[str, Any]) -> dict[str, _Fact]:
        """One validated value per fact; a value the field rejects, or values that disagree, become questions."""
        settled: dict[str, _Fact] = {}
        for field_name, candidates in draft.facts.items():
            found: list[_Fact] = []
            for candidate in candidates:
                value = self._fact_value(model, frame, field_name, candidate.value)
                if value is None:
                    self.out.facts_dropped += 1
                    self._ask(f"{draft.name} ({draft.id}): what is its {field_name}? A model read "
                              f"'{plain_text(str(candidate.value), 60)}', which is not a valid value.")
                    continue
                same = next((f for f in found if f.value == value), None)
                if same is None:
                    found.append(_Fact(value, list(candidate.refs)))
                else:
                    same.refs = merge_refs(same.refs, candidate.refs)
            if len(found) > 1:
                self.out.facts_dropped += 1
                shown = " / ".join(plain_text(str(_plain(f.value)), 40) for f in found)
                self._ask(f"{draft.name} ({draft.id}): the documents disagree on its {field_name} ({shown}); "
                          "which is right?")
            elif found:
                settled[field_name] = found[0]
        return settled

    def _fact_value(self, model: type[BaseModel], frame: dict[str, Any], field_name: str, raw: Any) -> Any:
        if field_name == "acts_on":
            return self.element_alias.get(normalise_id(str(raw))) or self.element_alias.get(str(raw).casefold())
        candidates = [raw]
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            candidates.append(str(raw))
        if isinstance(raw, str):
            token = normalise_id(raw).replace("-", "_")
            candidates += [token, [raw], [token]]
        elif isinstance(raw, list):
            candidates.append([normalise_id(str(v)).replace("-", "_") for v in raw])
        for candidate in candidates:
            try:
                value = getattr(model.model_validate({**frame, field_name: candidate}), field_name)
            except ValidationError:
                continue
            if value is not None:
                return value
        return None

    def _emit_element(self, draft: _Draft) -> None:
        assert draft.kind is not None
        frame: dict[str, Any] = {"id": draft.id, "name": draft.name, "kind": draft.kind}
        facts = self._settled_facts(draft, Element, frame)
        values = {name: fact.value for name, fact in facts.items()}
        try:
            element = Element(**frame, description=draft.description, **values,
                              provenance=self._source(draft, facts))
        except ValidationError as exc:
            self._drop(f"element '{draft.id}'", f"not a valid element: {exc.errors()[0]['msg']}", "invalid")
            return
        self.out.elements.append(element)

    def _element(self, ref: str) -> str | None:
        return self.element_alias.get(normalise_id(ref)) or self.element_alias.get(plain_text(ref, 120).casefold())

    def _missing(self, label: str, role: str, ref: str) -> None:
        if normalise_id(ref) in self.dropped_elements or ref.casefold() in self.dropped_elements:
            self._drop(label, f"{role} '{ref}' was itself dropped", "invalid")
        else:
            self._drop(label, f"{role} '{ref}' is not an element of the model or the draft", "invented")

    def _add_flow(self, answer: FlowAnswer, prompt_hash: str, flows: dict[str, _Draft]) -> None:
        label = f"flow '{answer.id or f'{answer.source} -> {answer.target}'}'"
        source, target = self._element(answer.source), self._element(answer.target)
        if source is None or target is None:
            self._missing(label, "source" if source is None else "target",
                          answer.source if source is None else answer.target)
            return
        if source == target:
            self._drop(label, "starts and ends at the same element", "invalid")
            return
        evidence = check_evidence(answer.evidence, self.index)
        problem = evidence.problem(required=True)
        if problem:
            self._drop(label, problem, "unverified")
            return
        self.covered.update((source, target))
        data = plain_text(answer.data or "", 200) or None
        proposed = normalise_id(answer.id) or normalise_id(f"{source}-to-{target}")
        if self._flow_exists(proposed, source, target, data):
            self.out.already_known += 1
            return
        key = f"{source}\n{target}\n{(data or '').casefold()}"
        draft = flows.get(proposed) or flows.get(key)
        if draft is None:
            draft = _Draft(id=self._new_id(proposed), name=label, prompt_hash=prompt_hash, refs=[], source=source,
                           target=target, description=data)
            flows[proposed] = flows[key] = draft
        draft.refs = merge_refs(draft.refs, evidence.refs)
        self._add_facts(draft, answer.facts, FLOW_FACTS, None)

    def _flow_exists(self, proposed: str, source: str, target: str, data: str | None) -> bool:
        for flow in self.base.flows:
            same_ends = (flow.source, flow.target) == (source, target)
            if flow.id == proposed or (same_ends and (flow.data or "").casefold() == (data or "").casefold()):
                return True
        return False

    def _emit_flow(self, draft: _Draft) -> None:
        frame: dict[str, Any] = {"id": draft.id, "source": draft.source, "target": draft.target}
        facts = self._settled_facts(draft, Flow, frame)
        try:
            flow = Flow(**frame, data=draft.description, **{name: fact.value for name, fact in facts.items()},
                        provenance=self._source(draft, facts))
        except ValidationError as exc:
            self._drop(f"flow '{draft.id}'", f"not a valid flow: {exc.errors()[0]['msg']}", "invalid")
            return
        self.out.flows.append(flow)

    def _add_boundary(self, answer: BoundaryAnswer, prompt_hash: str, boundaries: dict[str, _Draft]) -> None:
        name = plain_text(answer.name, 120)
        proposed = normalise_id(answer.id) or normalise_id(name)
        label = f"trust boundary '{name or answer.id}'"
        if not name or not proposed:
            self._drop(label, "no usable name or id", "invalid")
            return
        members: list[str] = []
        for ref in answer.elements:
            member = self._element(ref)
            if member is None:
                if normalise_id(ref) not in self.dropped_elements and ref.casefold() not in self.dropped_elements:
                    self._missing(label, "member", ref)
                    return
                self.out.warnings.append(f"{label}: member '{ref}' was dropped, so it is left out")
            elif member not in members:
                members.append(member)
        evidence = check_evidence(answer.evidence, self.index)
        problem = evidence.problem(required=True)
        if problem:
            self._drop(label, problem, "unverified")
            return
        if any(b.id == proposed or b.name.casefold() == name.casefold() for b in self.base.trust_boundaries):
            self.out.already_known += 1
            return
        draft = boundaries.get(proposed) or boundaries.get(name.casefold())
        if draft is None:
            draft = _Draft(id=self._new_id(proposed), name=name, prompt_hash=prompt_hash, refs=[])
            boundaries[proposed] = boundaries[name.casefold()] = draft
        draft.refs = merge_refs(draft.refs, evidence.refs)
        draft.members += [m for m in members if m not in draft.members]

    def _emit_boundary(self, draft: _Draft, placed: set[str]) -> None:
        members = [m for m in draft.members if m not in placed]
        for member in draft.members:
            if member in placed:
                self.out.warnings.append(f"trust boundary '{draft.id}': '{member}' already sits in a trust "
                                         "boundary, so it is left out")
        if not members:
            self._drop(f"trust boundary '{draft.id}'", "no element left to put in it", "invalid")
            return
        placed.update(members)
        self.out.boundaries.append(TrustBoundary(id=draft.id, name=draft.name, elements=members,
                                                 provenance=self._source(draft, {})))


def _once(drafts: Iterable[_Draft]) -> list[_Draft]:
    """Each draft once, in first-seen order (the merge index reaches a draft under several keys)."""
    return list({id(d): d for d in drafts}.values())


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return ", ".join(str(_plain(v)) for v in value)
    return value


__all__ = ["DescribeOutcome", "draft_system", "fact_guide", "normalise_id"]
