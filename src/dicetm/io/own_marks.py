"""What dicetm itself wrote into another tool's file on export, read back on import.

A model sent to Threat Dragon or OTM and taken in again keeps its element ids, kinds and (OTM) stated facts,
so the finding ids built from them, and the decisions resting on those, survive the trip. The marks are
Threat Dragon's ``data.dicetmKind`` and OTM's ``attributes["dicetm.kind"]`` with the facts beside it; a file
without them is read as any other file of its tool.

The threats dicetm's rules found are marked too (Threat Dragon's ``dicetmId``, OTM's ``attributes["dicetm.rule"]``
on a threat whose id is a finding id, Threagile's ``detection_logic: dicetm rule ...``): on import they are left to
the rules (:class:`OwnFindings`), so a round trip does not list them twice. Threat Dragon files dicetm wrote
before ``dicetmId`` carry the finding id only inside the threat's id, a name-based UUID made from it
(:func:`hidden_finding_id` finds it again); a UUID Threat Dragon or a person made never matches one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from dicetm.io.export_common import stable_uuid_key
from dicetm.io.ledger import Ledger
from dicetm.io.mapping import IdPool
from dicetm.model.system import ID_PATTERN, REFERENCE_FACTS, Element, Kind

_ID = re.compile(ID_PATTERN)


def own_kind(text: str | None) -> Kind | None:
    """The kind dicetm wrote on export, when it is one of ours."""
    try:
        return Kind(text) if text else None
    except ValueError:
        return None


def own_id(candidate: str | None, pool: IdPool) -> str | None:
    """Keep the id dicetm gave the item, when it is a valid id nobody in this import has taken yet."""
    if not candidate or not _ID.fullmatch(candidate) or candidate in pool.taken:
        return None
    pool.taken.add(candidate)
    return candidate


@functools.lru_cache(maxsize=256)
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    annotation: Any = model.model_fields[name].annotation
    return TypeAdapter(annotation)


def facts_from_text(model: type[BaseModel], texts: Mapping[str, object], skip: frozenset[str]) -> dict[str, Any]:
    """The fields of ``model`` written as text (``"true"``, ``"internal"``, ``"read,write"``), parsed back;
    a key that is not a field, or whose text does not parse, is left out."""
    facts: dict[str, Any] = {}
    for name, text in texts.items():
        if name in skip or name not in model.model_fields or not isinstance(text, str):
            continue
        adapter = _adapter(model, name)
        for value in (text, [part for part in text.split(",") if part]):
            try:
                facts[name] = adapter.validate_python(value)
                break
            except ValidationError:
                continue
    return facts


def with_facts(element: Element, facts: Mapping[str, Any]) -> Element:
    """``element`` with the facts laid over, or unchanged when they do not hold together for its kind."""
    if not facts:
        return element
    try:
        return Element.model_validate({**element.model_dump(exclude_none=True), **facts})
    except ValidationError:
        return element


def without_dangling_references(elements: list[Element]) -> tuple[list[Element], list[str]]:
    """Elements whose reference facts (``acts_on``, ``server``, ``installed_from``) name an element that did not
    come through lose that fact; the second value says which, for the import's notes."""
    ids = {e.id for e in elements}
    kept: list[Element] = []
    dropped: list[str] = []
    for element in elements:
        gone = {name: None for name in REFERENCE_FACTS if getattr(element, name) not in (None, *ids)}
        dropped += [f"{element.id}.{name} = {getattr(element, name)!r}" for name in gone]
        kept.append(element.model_copy(update=gone) if gone else element)
    return kept, dropped


# ------------------------------------------------------------------------------- own rule findings

_RULE_ID = re.compile(r"T-[A-Z]+-\d{3}")
_FINDING_ID = re.compile(r"T-[A-Z]+-\d{3}@[^@\s]+(?:@[^@\s]+)?")


def rule_id(text: str | None) -> str | None:
    """``text`` when it is a dicetm rule id (``T-LLM-001``)."""
    return text if text and _RULE_ID.fullmatch(text) else None


def finding_id(text: str | None) -> str | None:
    """``text`` when it is the id of a finding of dicetm's rules (``T-LLM-001@chatbot[@flow]``)."""
    return text if text and _FINDING_ID.fullmatch(text) else None


@functools.cache
def _rule_ids() -> tuple[str, ...]:
    from dicetm.rules.registry import all_rules

    return tuple(rule.meta.id for rule in all_rules())


def hidden_finding_id(threat_id: str | None, elements: Iterable[str], flow: str | None) -> str | None:
    """The finding id that an export by an older dicetm hid in ``threat_id`` (``stable_uuid("threat", id)``), for
    a threat drawn on the cell of one of ``elements``, or on the flow ``flow`` between them.

    The exporter draws a finding on its flow, else on its primary element, and the finding id names that element
    (for a flow, one of its ends) first: so only those ids are tried, with every rule id.
    """
    at = [f"@{element}@{flow}" if flow else f"@{element}" for element in dict.fromkeys(elements)]
    return stable_uuid_key("threat", threat_id, (rule + tail for tail in at for rule in _rule_ids()))


@dataclass
class OwnFindings:
    """Threats that dicetm exported from its own rules, met again on import.

    They are not imported as threats: the rules find them again from the imported elements and flows, under
    the same ids (the marks keep element ids), so the decisions on them still apply. Importing them as well
    would list every such threat twice, and a second round trip would add them again.
    """

    tool: str
    exported_status: str | None = None  # the status dicetm writes on export: not a change worth naming
    found: list[tuple[str, str | None]] = field(default_factory=list)

    def claim(self, label: str, status: str | None = None) -> None:
        self.found.append((label, None if status == self.exported_status else status))

    def note(self, ledger: Ledger) -> None:
        if not self.found:
            return
        one = len(self.found) == 1
        text = (f"{len(self.found)} {'threat' if one else 'threats'} that dicetm exported from its own rules "
                f"{'was' if one else 'were'} left to the rules, which find {'it' if one else 'them'} again under "
                "the same ids (decisions made in dicetm still apply)")
        marked = sorted({f"{label}: {status}" for label, status in self.found if status})
        if marked:
            text += f"; their status in {self.tool} is not a decision in dicetm: {', '.join(marked[:10])}"
            text += f" and {len(marked) - 10} more" if len(marked) > 10 else ""
        ledger.note(text)
