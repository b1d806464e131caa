"""AWS Threat Composer workspaces (``.tc.json``) -> a dicetm System.

Threat Composer records threats, mitigations and assumptions, but no data-flow elements. So that the
threats have something to sit on, the import creates ONE placeholder element (kind process) standing for
the whole application, and says so in the import report; the user replaces it with the real elements.

Mapping:

- applicationInfo -> the model's name and description (the architecture and data-flow descriptions are
  appended to it; their images are not kept).
- threats -> threats: the composed threat statement is the title, the ``STRIDE`` metadata the letters,
  the ``Comments`` metadata the scenario, the status the source status.
- mitigations -> custom controls (content, comments, status), linked from threats via ``mitigationLinks``.
- assumptions -> assumptions on the placeholder element. The model links assumptions to elements only;
  each assumption keeps its own ``assumptionLinks`` as source data, so an export gives the same links back.

Every threat, mitigation and assumption keeps the item as read (ids, statement parts, tags, statuses,
metadata) as source data, and the model keeps the application, architecture and data-flow sections.

Threat Composer has no likelihood or impact; its ``Priority`` metadata is reported, not guessed into one.
Links that name a threat, mitigation or assumption missing from the file are reported as not imported.
"""

from __future__ import annotations

import html

from dicetm.io.document import Node, root
from dicetm.io.interface import Draft
from dicetm.io.ledger import Ledger
from dicetm.io.mapping import ControlIdPool, ExternalIdPool, IdPool, headline, join_text, stride_letters
from dicetm.io.sourcekeep import document, kept
from dicetm.model.system import Assumption, CustomControl, Element, Kind, System, ThreatRecord

NAME = "threat-composer"
TITLE = "AWS Threat Composer"
SOURCE = f"import:{NAME}"
HINT = "a Threat Composer workspace is a JSON object with `schema`, `applicationInfo` and `threats`"

_TOP = frozenset({"schema", "applicationInfo", "architecture", "dataflow", "assumptions", "mitigations",
                  "assumptionLinks", "mitigationLinks", "threats"})
_THREAT_KEYS = frozenset({"id", "numericId", "displayOrder", "metadata", "statement", "displayedStatement",
                          "threatSource", "prerequisites", "threatAction", "threatImpact", "impactedGoal",
                          "impactedAssets", "status", "customTemplate"})
_ITEM_KEYS = frozenset({"id", "numericId", "displayOrder", "metadata", "content", "status"})
_ITEMS = ("assumptions", "mitigations", "assumptionLinks", "mitigationLinks", "threats")


class ThreatComposerImporter:
    name = NAME
    title = TITLE
    carried = frozenset({"statement", "content", "applicationInfo.name", "applicationInfo.description",
                         "architecture.description", "dataflow.description", "metadata"})

    def detect(self, data: object) -> bool:
        return (isinstance(data, dict) and "schema" in data
                and any(key in data for key in ("threats", "mitigations", "assumptions", "applicationInfo")))

    def convert(self, data: object, source: str) -> Draft:
        return _Conversion(root(data, source, HINT)).run()


class _Conversion:
    def __init__(self, doc: Node) -> None:
        self.doc = doc.require_map("a Threat Composer workspace (a JSON object)")
        self.ledger = Ledger()
        self.ids = IdPool()  # elements and assumptions share one id namespace
        self.threat_ids: dict[str, int] = {}  # Threat Composer id -> index in self.threats
        self.controls: dict[str, CustomControl] = {}  # Threat Composer id -> control
        self.assumption_ids: set[str] = set()
        self.threats: list[ThreatRecord] = []
        self.parts: dict[str, object] = {}  # links naming items the file lacks, kept for the round trip

    def run(self) -> Draft:
        info = self.doc.child("applicationInfo")
        name = (_text(info, "name") if info.is_map() else None) or "Threat Composer model"
        description = join_text(_text(info, "description") if info.is_map() else None,
                                self._section("architecture", "Architecture"), self._section("dataflow", "Data flow"))
        placeholder = Element(
            id=self.ids.take(name, fallback="application"), name=name, kind=Kind.process,
            description="Placeholder for the whole application: Threat Composer files describe no data-flow "
                        "elements. Replace it with the real elements and move the threats onto them.")
        self.ledger.note(f"Threat Composer has no data-flow elements: one placeholder element '{placeholder.id}' "
                         "(kind process) stands for the whole application and carries every threat")
        for key in self.doc.names():
            if key not in _TOP and self.doc.child(key).value not in (None, "", [], {}):
                self.ledger.skip(self.doc.child(key).path, f"section '{key}'", "not part of the workspace format")
        self._mitigations()
        pool = ExternalIdPool()
        for node in self.doc.child("threats").items():
            self._threat(node, placeholder.id, pool)
        self._mitigation_links()
        assumptions = self._assumptions(placeholder.id)
        self._assumption_links()
        system = System(name=name, description=description, elements=[placeholder], assumptions=assumptions,
                        threats=self.threats, controls=list(self.controls.values()),
                        source_data=document(NAME, self.doc.value, drop=_ITEMS, parts=self.parts))
        return Draft(system, self.ledger.report(), self.ledger.notes)

    def _section(self, key: str, heading: str) -> str | None:
        node = self.doc.child(key)
        if not node.is_map():
            return None
        if node.text("image"):
            self.ledger.skip(node.child("image").path, f"{heading.lower()} diagram image", "images are not kept")
        text = _text(node, "description")
        return f"{heading}:\n\n{text}" if text else None

    def _extra(self, node: Node, known: frozenset[str], what: str) -> None:
        for key in node.names():
            value = node.child(key)
            if key in known or value.value in (None, "", [], {}):
                continue
            why = "tags have no place on this item in the model" if key == "tags" else "no equivalent in the model"
            self.ledger.skip_field(value.path, f"{what} {key}", why)

    def _metadata(self, node: Node, what: str) -> dict[str, Node]:
        """Metadata entries by key; the ones the caller does not use are reported."""
        found = {}
        for entry in node.child("metadata").items():
            if not entry.is_map() or entry.text("key") is None:
                self.ledger.skip(entry.path, f"{what} metadata entry", "it has no key")
                continue
            found[entry.text("key") or ""] = entry.child("value")
        return found

    def _leftover_metadata(self, metadata: dict[str, Node], used: set[str], what: str) -> None:
        for key, value in metadata.items():
            if key not in used and value.value not in (None, "", []):
                why = ("Threat Composer's priority is neither a likelihood nor an impact" if key == "Priority"
                       else "no equivalent in the model")
                self.ledger.skip_field(value.path, f"{what} metadata '{key}'", why)

    # ----------------------------------------------------------------------------------- threats

    def _threat(self, node: Node, element_id: str, pool: ExternalIdPool) -> None:
        node.require_map("a threat (an object)")
        metadata = self._metadata(node, "threat")
        stride_node = metadata.get("STRIDE")
        letters = stride_letters(_texts(stride_node)) if stride_node is not None else []
        self._leftover_metadata(metadata, {"STRIDE", "Comments"}, "threat")
        self._extra(node, _THREAT_KEYS, "threat")
        tc_id = node.text("id")
        threat = kept(ThreatRecord(
            id=pool.take(tc_id, fallback=f"threat-{node.text('numericId') or len(self.threats) + 1}"),
            title=_text(node, "statement") or _compose(node) or "Untitled threat",
            scenario=_comment(metadata), elements=[element_id], stride=letters,
            source=SOURCE, source_ref=node.path, source_status=node.text("status")), NAME, node.path, node.value)
        if tc_id is not None and tc_id not in self.threat_ids:
            self.threat_ids[tc_id] = len(self.threats)
        self.threats.append(threat)

    def _mitigations(self) -> None:
        pool = ControlIdPool()
        for node in self.doc.child("mitigations").items():
            node.require_map("a mitigation (an object)")
            metadata = self._metadata(node, "mitigation")
            self._leftover_metadata(metadata, {"Comments"}, "mitigation")
            self._extra(node, _ITEM_KEYS, "mitigation")
            content = _text(node, "content") or "Mitigation"
            control = kept(CustomControl(
                id=pool.take(node.text("id"), fallback=content), name=headline(content, 100) or "Mitigation",
                description=join_text(content, _comment(metadata)) or "", source=SOURCE, source_ref=node.path,
                source_status=node.text("status")), NAME, node.path, node.value)
            self.controls.setdefault(node.text("id") or control.id, control)

    def _mitigation_links(self) -> None:
        for link in self.doc.child("mitigationLinks").items():
            link.require_map("a mitigation link (an object)")
            mitigation, threat = link.text("mitigationId"), link.text("linkedId")
            control = self.controls.get(mitigation or "")
            index = self.threat_ids.get(threat or "")
            if control is None or index is None:
                missing = (f"mitigation '{mitigation}'" if control is None else f"threat '{threat}'")
                self.ledger.skip(link.path, "mitigation link", f"it names {missing}, which is not in the file")
                self.parts[link.path] = link.value  # written back as it was: nothing here can mend it
                continue
            record = self.threats[index]
            if control.id not in record.controls:
                self.threats[index] = record.model_copy(update={"controls": [*record.controls, control.id]})

    # ------------------------------------------------------------------------------- assumptions

    def _assumptions(self, element_id: str) -> list[Assumption]:
        assumptions = []
        for node in self.doc.child("assumptions").items():
            node.require_map("an assumption (an object)")
            metadata = self._metadata(node, "assumption")
            self._leftover_metadata(metadata, {"Comments"}, "assumption")
            self._extra(node, _ITEM_KEYS, "assumption")
            text = join_text(_text(node, "content"), _comment(metadata))
            if text is None:
                self.ledger.skip(node.path, "empty assumption", "it has no content")
                continue
            number = node.text("numericId")
            assumption = Assumption(id=self.ids.take(f"assumption-{number}" if number else None, text,
                                                     fallback="assumption"), text=text, elements=[element_id])
            links = [dict(link.value) for link in self.doc.child("assumptionLinks").items()
                     if isinstance(link.value, dict) and link.text("assumptionId") == node.text("id")]
            assumptions.append(kept(assumption, NAME, node.path, node.value, links=links))
            self.assumption_ids.add(node.text("id") or "")
        return assumptions

    def _assumption_links(self) -> None:
        linked = 0
        for link in self.doc.child("assumptionLinks").items():
            link.require_map("an assumption link (an object)")
            assumption, target = link.text("assumptionId"), link.text("linkedId")
            kind = (link.text("type") or "").lower()
            exists = target in self.threat_ids if kind == "threat" else target in self.controls
            if assumption not in self.assumption_ids or not exists:
                missing = (f"assumption '{assumption}'" if assumption not in self.assumption_ids
                           else f"{kind or 'item'} '{target}'")
                self.ledger.skip(link.path, "assumption link", f"it names {missing}, which is not in the file")
                if assumption not in self.assumption_ids:  # links of a known assumption travel with it
                    self.parts[link.path] = link.value
            else:
                linked += 1
        if linked:
            self.ledger.note(f"{linked} links from assumptions to threats or mitigations are kept with each "
                             "assumption and written back by `dicetm export threat-composer`; the analysis links "
                             "assumptions to elements only (here the placeholder element)")


def _text(node: Node, key: str) -> str | None:
    """A text as the person wrote it: Threat Composer's import runs every string through sanitize-html,
    which stores '->' as '-&gt;'; the entities it adds are decoded here."""
    value = node.text(key)
    return html.unescape(value) if value and "&" in value else value


def _texts(node: Node) -> list[str]:
    if isinstance(node.value, str):
        return [node.value]
    return [str(v) for v in node.value if isinstance(v, str)] if isinstance(node.value, list) else []


def _comment(metadata: dict[str, Node]) -> str | None:
    node = metadata.get("Comments")
    if node is None or not isinstance(node.value, str):
        return None
    return html.unescape(node.value).strip() or None


def _compose(node: Node) -> str | None:
    """A threat statement from its parts, in Threat Composer's sentence pattern."""
    source, action = _text(node, "threatSource"), _text(node, "threatAction")
    if not source or not action:
        return None
    prerequisites, impact = _text(node, "prerequisites"), _text(node, "threatImpact")
    sentence = f"A {source}"
    if prerequisites:
        sentence += f" {prerequisites}"
    sentence += f" can {action}"
    if impact:
        sentence += f", which leads to {impact}"
    goals, assets = node.strings("impactedGoal"), node.strings("impactedAssets")
    if goals:
        sentence += f", resulting in reduced {' and '.join(goals)}"
        if assets:
            sentence += f" of {', '.join(assets)}"
    return sentence
