"""Pass 3 of loading the model file: what the data means.

Duplicate ids and cross-references (flow ends, boundary members and nesting, tool targets, stores,
decisions), checked with dict look-ups so a model with tens of thousands of elements (or of boundaries
nested as deep) stays linear. Items that failed the schema are still checked, field by field, so one run
reports every problem.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from dicetm.errors import Problem
from dicetm.model.system import (
    FACT_KINDS,
    REFERENCE_FACTS,
    Asset,
    Assumption,
    CountermeasureSetting,
    CustomControl,
    Element,
    Flow,
    ResidualRiskSetting,
    System,
    ThreatRecord,
    TrustBoundary,
)
from dicetm.store.modelreader import (
    FieldPath,
    Where,
    article,
    close_match,
)

ID_SECTIONS = ("elements", "flows", "trust_boundaries", "assets", "assumptions")
THREAT_ID = re.compile(r"^(?P<rule>T-[A-Z]+-\d{3})@(?P<element>[^@\s]+)(?:@(?P<flow>[^@\s]+))?$")
# Did-you-mean compares the word with every candidate id (microseconds each). Bound the total number of
# comparisons so a large model with many broken references still fails fast, and always the same way.
_SUGGESTION_BUDGET = 100_000
_SINGULAR = {
    "elements": "element", "flows": "flow", "trust_boundaries": "trust boundary", "assets": "asset",
    "assumptions": "assumption",
}



# ------------------------------------------------------------------------------------------- meaning

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class Parts:
    """The items that passed schema validation, each with its index in the file."""

    elements: list[tuple[int, Element]]
    flows: list[tuple[int, Flow]]
    trust_boundaries: list[tuple[int, TrustBoundary]]
    assets: list[tuple[int, Asset]]
    assumptions: list[tuple[int, Assumption]]
    countermeasures: list[tuple[int, CountermeasureSetting]]
    residual_risks: list[tuple[int, ResidualRiskSetting]]
    threats: list[tuple[int, ThreatRecord]]
    controls: list[tuple[int, CustomControl]]

    @classmethod
    def of_system(cls, system: System) -> Parts:
        return cls(
            list(enumerate(system.elements)), list(enumerate(system.flows)),
            list(enumerate(system.trust_boundaries)), list(enumerate(system.assets)),
            list(enumerate(system.assumptions)), list(enumerate(system.countermeasures)),
            list(enumerate(system.residual_risks)), list(enumerate(system.threats)),
            list(enumerate(system.controls)),
        )

    @classmethod
    def of_data(cls, data: dict[str, object]) -> Parts:
        """When the whole file fails validation, still check the cross-references of the valid items."""
        return cls(
            _valid(data, "elements", Element), _valid(data, "flows", Flow),
            _valid(data, "trust_boundaries", TrustBoundary), _valid(data, "assets", Asset),
            _valid(data, "assumptions", Assumption), _valid(data, "countermeasures", CountermeasureSetting),
            _valid(data, "residual_risks", ResidualRiskSetting), _valid(data, "threats", ThreatRecord),
            _valid(data, "controls", CustomControl),
        )


def _valid(data: dict[str, object], section: str, model: type[_M]) -> list[tuple[int, _M]]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    result = []
    for index, item in enumerate(items):
        try:
            result.append((index, model.model_validate(item)))
        except ValidationError as exc:
            if isinstance(item, dict):
                result.append((index, _partial(model, item, exc)))
    return result


def _partial(model: type[_M], item: dict[str, object], error: ValidationError) -> _M:
    """An item that failed validation, with the fields that are valid on their own and None (or the default)
    for the rest: its references are still checked, so fixing one mistake does not reveal the next."""
    broken = {problem["loc"][0] for problem in error.errors() if problem["loc"]}
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in item and name not in broken:
            with contextlib.suppress(ValidationError):
                values[name] = _adapter(model, name).validate_python(item[name])
        if name not in values:
            values[name] = None if info.is_required() else info.get_default(call_default_factory=True)
    return model.model_construct(**values)


@functools.cache
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    annotation: Any = model.model_fields[name].annotation
    return TypeAdapter(annotation)


class Checker:
    """Cross-reference checks. Ids come from the raw data, so a reference to an item that failed schema
    validation (and is already reported) is not reported a second time as missing."""

    def __init__(self, where: Where, parts: Parts, data: dict[str, object],
                 known_controls: Collection[str] | None) -> None:
        self.where = where
        self.parts = parts
        self.data = data
        self.known_controls = known_controls if known_controls is None else frozenset(known_controls)
        self.problems: list[Problem] = []
        self.first_use: dict[str, FieldPath] = {}  # id -> path of the item that declared it first
        self.ids: dict[str, set[str]] = {section: set() for section in ID_SECTIONS}
        self.suggestion_budget = _SUGGESTION_BUDGET

    def run(self) -> list[Problem]:
        self._index_ids()
        self._check_elements()
        self._check_flows()
        self._check_boundaries()
        for index, asset in self.parts.assets:
            self._element_refs(("assets", index, "stored_in"), asset.stored_in)
        for index, assumption in self.parts.assumptions:
            self._element_refs(("assumptions", index, "elements"), assumption.elements)
        self._check_stated_threats()
        self._check_countermeasures()
        self._check_residual_risks()
        return self.problems

    def _check_stated_threats(self) -> None:
        """Threats and custom controls written in the file (by a person or an import)."""
        self.custom_controls: dict[str, FieldPath] = {}
        for index, control in self.parts.controls:
            path: FieldPath = ("controls", index, "id")
            if control.id is None:
                continue
            if control.id in self.custom_controls:
                self.add(path, f"duplicate control id '{control.id}' (first on line "
                         f"{self.where.line_of(self.custom_controls[control.id])})", "rename one")
            self.custom_controls.setdefault(control.id, path)
        self.stated_threats: dict[str, FieldPath] = {}
        for index, threat in self.parts.threats:
            path = ("threats", index, "id")
            if threat.id is not None and threat.id in self.stated_threats:
                self.add(path, f"duplicate threat id '{threat.id}' (first on line "
                         f"{self.where.line_of(self.stated_threats[threat.id])})", "rename one")
            if threat.id is not None:
                self.stated_threats.setdefault(threat.id, path)
            self._element_refs(("threats", index, "elements"), threat.elements)
            for position, flow_id in enumerate(threat.flows):
                self._reference(("threats", index, "flows", position), flow_id, "flows")
            known = set(self.custom_controls) | set(self.known_controls or ())
            for position, control_id in enumerate(threat.controls):
                if self.known_controls is not None and control_id not in known:
                    guess = self.suggest(control_id, known)
                    hint = f"did you mean '{guess}'?" if guess else "declare it under controls (ids start with X-)"
                    shown = self.where.show(("threats", index, "controls"))
                    self.add(("threats", index, "controls", position),
                             f"{shown} names '{control_id}', which is neither a catalogue control nor a custom "
                             "control", hint)

    def add(self, path: FieldPath, message: str, hint: str | None = None) -> None:
        self.problems.append(self.where.problem(path, message, hint))

    def suggest(self, word: str, choices: Collection[str]) -> str | None:
        if len(choices) > self.suggestion_budget:
            return None
        self.suggestion_budget -= len(choices)
        return close_match(word, choices)

    def _index_ids(self) -> None:
        items = self.data.get("elements")
        self.kinds = {item["id"]: item.get("kind") for item in (items if isinstance(items, list) else [])
                      if isinstance(item, dict) and isinstance(item.get("id"), str)}
        declared = []
        for section in ID_SECTIONS:
            items = self.data.get(section)
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    position = self.where.values.get((section, index, "id"), (0, 0))
                    declared.append((position, section, index, item["id"]))
        # Ids share one namespace; "first" means first in the file, whatever order the sections come in.
        for _position, section, index, item_id in sorted(declared, key=lambda d: d[0]):
            self.ids[section].add(item_id)
            path = (section, index, "id")
            first = self.first_use.setdefault(item_id, path)
            if first != path:
                by = ("name",)  # the id they share tells them apart no better than the index
                self.add(path, f"duplicate id '{item_id}' at {self.where.show(path, by)}; "
                         f"{self.where.show(first[:2], by)} on line {self.where.line_of(first)} already uses it",
                         "ids are shared by elements, flows, trust boundaries, assets and assumptions; "
                         "rename one")

    def _reference(self, path: FieldPath, ref: str | None, section: str) -> bool:
        """Report ``ref`` at ``path`` unless it names an item of ``section``; True when it does. None (a value
        the schema refused, and reported) is not reported again."""
        if ref is None:
            return False
        if ref in self.ids[section]:
            return True
        what = _SINGULAR[section]
        other = self.first_use.get(ref)
        if other is not None:
            actual = article(_SINGULAR[str(other[0])])
            self.add(path, f"{self.where.show(path)} names '{ref}', which is {actual}, not {article(what)}",
                     f"refer to {article(what)} id here")
            return False
        guess = self.suggest(ref, self.ids[section])
        hint = f"did you mean '{guess}'?" if guess else f"declare it under {section}, or fix the id"
        self.add(path, f"{self.where.show(path)} names {what} '{ref}', which does not exist", hint)
        return False

    def _element_refs(self, path: FieldPath, refs: list[str]) -> None:
        for position, ref in enumerate(refs):
            self._reference((*path, position), ref, "elements")

    def _check_elements(self) -> None:
        for index, element in self.parts.elements:
            for name, kinds in FACT_KINDS.items():
                if getattr(element, name, None) is not None and element.kind is not None \
                        and element.kind not in kinds:
                    allowed = ", ".join(sorted(k.value for k in kinds))
                    self.add(("elements", index, name),
                             f"{self.where.show(('elements', index, name))} is set, but '{element.id}' has kind "
                             f"'{element.kind.value}'; {name} only applies to: {allowed}",
                             f"change the kind if it is one of those, or remove `{name}`")
            for name, wanted in REFERENCE_FACTS.items():
                value = getattr(element, name, None)
                path: FieldPath = ("elements", index, name)
                if value is None or not self._reference(path, value, "elements") or wanted is None:
                    continue
                target = self.kinds.get(value)
                if target is not None and target != wanted.value:
                    self.add(path, f"{self.where.show(path)} names '{value}', which has kind '{target}', not "
                             f"'{wanted.value}'", f"name an element of kind {wanted.value} here")

    def _check_flows(self) -> None:
        for index, flow in self.parts.flows:
            known_source = self._reference(("flows", index, "source"), flow.source, "elements")
            known_target = self._reference(("flows", index, "target"), flow.target, "elements")
            if flow.source == flow.target and known_source and known_target:
                self.add(("flows", index, "target"),
                         f"{self.where.show(('flows', index))} starts and ends at '{flow.source}'",
                         "a flow connects two different elements; describe work inside one element "
                         "with its facts instead")

    def _check_boundaries(self) -> None:
        by_id: dict[str, tuple[int, TrustBoundary]] = {}
        for index, boundary in self.parts.trust_boundaries:
            if boundary.id is not None:
                by_id.setdefault(boundary.id, (index, boundary))
            if boundary.parent is not None:
                self._reference(("trust_boundaries", index, "parent"), boundary.parent, "trust_boundaries")
        nesting = _Nesting(by_id, self._boundary_cycles(by_id))
        deepest: dict[str, tuple[str, FieldPath]] = {}  # element -> its innermost boundary so far
        for index, boundary in self.parts.trust_boundaries:
            listed: dict[str, FieldPath] = {}
            for position, element_id in enumerate(boundary.elements or []):
                path: FieldPath = ("trust_boundaries", index, "elements", position)
                if element_id in listed:
                    first_line = self.where.line_of(listed[element_id])
                    self.add(path, f"trust boundary '{boundary.id}' lists '{element_id}' twice (first on "
                             f"line {first_line})", "remove the second entry")
                    continue
                listed[element_id] = path
                if self._reference(path, element_id, "elements") and boundary.id in nesting.enter:
                    self._check_home(boundary.id, element_id, path, deepest, nesting)

    def _check_home(self, boundary_id: str, element_id: str, path: FieldPath,
                    deepest: dict[str, tuple[str, FieldPath]], nesting: _Nesting) -> None:
        """An element may sit in several boundaries only when they are nested. The boundaries accepted so far
        lie on one chain, so comparing with the innermost of them is enough."""
        home = deepest.get(element_id)
        if home is None or nesting.contains(home[0], boundary_id):
            deepest[element_id] = (boundary_id, path)
            return
        other_id, other_path = home
        if not nesting.contains(boundary_id, other_id):
            self.add(path, f"element '{element_id}' is in trust boundaries '{other_id}' (line "
                     f"{self.where.line_of(other_path)}) and '{boundary_id}', which are not nested",
                     f"an element sits in one zone; if '{boundary_id}' is inside '{other_id}', "
                     f"set `parent: {other_id}` on it, otherwise remove one entry")

    def _boundary_cycles(self, by_id: dict[str, tuple[int, TrustBoundary]]) -> set[str]:
        """Report each loop of `parent` links once, at the first boundary of the loop in the file."""
        state: dict[str, str] = {}
        cyclic: set[str] = set()
        for start in by_id:
            chain: list[str] = []
            current: str | None = start
            while current in by_id and current not in state:
                state[current] = "open"
                chain.append(current)
                current = by_id[current][1].parent
            if current is not None and state.get(current) == "open":
                loop = chain[chain.index(current):]
                cyclic.update(loop)
                first = min(loop, key=lambda b: by_id[b][0])
                shown = " -> ".join([*loop[loop.index(first):], *loop[:loop.index(first)], first])
                self.add(("trust_boundaries", by_id[first][0], "parent"),
                         f"trust boundary parents form a loop: {shown}",
                         "a boundary cannot (indirectly) contain itself; remove one `parent`")
            for boundary_id in chain:
                state[boundary_id] = "done"
        return cyclic

    def _check_countermeasures(self) -> None:
        known = self.known_controls
        for index, setting in self.parts.countermeasures:
            path: FieldPath = ("countermeasures", index, "control")
            if known is not None and setting.control is not None and setting.control not in known:
                guess = self.suggest(setting.control, known)
                hint = f"did you mean '{guess}'?" if guess else "use a control id from the catalogue"
                self.add(path, f"{self.where.show(path)} names control '{setting.control}', which is not in the "
                         "catalogue", hint)
            for position, threat_id in enumerate(setting.threats or []):
                self._threat_ref(("countermeasures", index, "threats", position), threat_id)

    def _check_residual_risks(self) -> None:
        seen: dict[str, FieldPath] = {}
        for index, setting in self.parts.residual_risks:
            path: FieldPath = ("residual_risks", index, "threat")
            if setting.threat is None:
                continue
            self._threat_ref(path, setting.threat)
            if setting.threat in seen:
                first_line = self.where.line_of(seen[setting.threat])
                self.add(path, f"a second residual-risk decision for '{setting.threat}' (the first is on "
                         f"line {first_line})", "keep one decision per threat")
            seen.setdefault(setting.threat, path)

    def _threat_ref(self, path: FieldPath, threat_id: str) -> None:
        if threat_id in getattr(self, "stated_threats", {}):
            return
        match = THREAT_ID.match(threat_id)
        if match is None:
            self.add(path, f"{self.where.show(path)} is '{threat_id}', which is not a threat id",
                     "threat ids look like RULE@element or RULE@element@flow, e.g. T-LLM-001@chatbot; copy "
                     "them from the analysis output")
            return
        self._reference(path, match["element"], "elements")
        if match["flow"] is not None:
            self._reference(path, match["flow"], "flows")


class _Nesting:
    """Which boundary lies inside which, in constant time per question: each boundary outside a parent loop
    gets the times a depth-first walk of the parent tree enters and leaves it, and a boundary contains
    another when it is entered before and left after it."""

    def __init__(self, by_id: dict[str, tuple[int, TrustBoundary]], cyclic: set[str]) -> None:
        children: dict[str, list[str]] = {}
        roots: list[str] = []
        for boundary_id, (_index, boundary) in by_id.items():
            if boundary_id in cyclic:
                continue
            parent = boundary.parent
            if parent is not None and parent in by_id and parent not in cyclic:
                children.setdefault(parent, []).append(boundary_id)
            else:
                roots.append(boundary_id)
        self.enter: dict[str, int] = {}
        self.leave: dict[str, int] = {}
        clock = 0
        for root in roots:
            stack = [(root, False)]
            while stack:
                node, done = stack.pop()
                clock += 1
                if done:
                    self.leave[node] = clock
                    continue
                self.enter[node] = clock
                stack.append((node, True))
                stack.extend((child, False) for child in children.get(node, ()))

    def contains(self, outer: str, inner: str) -> bool:
        """``outer`` is ``inner`` or one of its ancestors."""
        return self.enter[outer] <= self.enter[inner] and self.leave[inner] <= self.leave[outer]
