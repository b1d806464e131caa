"""The loaded catalogue: entries and controls with lookups and relationship indexes both ways."""

from __future__ import annotations

from collections.abc import Iterable

from dicetm.catalog.atlas_source import AtlasData
from dicetm.catalog.entries import Control, Entry

# Reverse relation name for a forward link made by an entry of this kind, e.g. a technique listing
# its tactics appears under the tactic's "techniques"; a mitigation listing techniques appears
# under each technique's "mitigations". Other kinds use their namespace as the relation name.
_REVERSE = {"technique": "techniques", "subtechnique": "subtechniques", "mitigation": "mitigations"}
_FORWARD_ONLY = {"parent"}  # the reverse of "parent" is "subtechniques", handled by the kind table
# A bare OWASP LLM id without its year ("LLM06") names the 2025 entry, the stable primary id, although the
# 2026 edition reuses the number for another risk; `catalog check` reports such ids in a model as ambiguous.
_PRIMARY_YEAR = ":2025"


def atlas_entries(data: AtlasData, descriptions: dict[str, str] | None = None) -> list[Entry]:
    """ATLAS objects as entries with forward links only; ``descriptions`` (ours) win over MITRE's text."""
    ours = descriptions or {}

    def describe(ident: str, text: str) -> str:
        if ident in ours:
            return ours[ident]
        return text.split("\n\n", 1)[0].strip()  # user-supplied file: first paragraph of MITRE's text

    entries = [Entry(ref=f"atlas:{t.id}", namespace="atlas", id=t.id, name=t.name, kind="tactic",
                     description=describe(t.id, t.description), url=f"https://atlas.mitre.org/tactics/{t.id}")
               for t in data.tactics]
    for t in data.techniques:
        related = {"tactics": [f"atlas:{x}" for x in t.tactics]}
        if t.parent:
            related["parent"] = [f"atlas:{t.parent}"]
        entries.append(Entry(ref=f"atlas:{t.id}", namespace="atlas", id=t.id, name=t.name,
                             kind="subtechnique" if t.parent else "technique", related=related,
                             description=describe(t.id, t.description),
                             url=f"https://atlas.mitre.org/techniques/{t.id}"))
    for m in data.mitigations:
        entries.append(Entry(ref=f"atlas:{m.id}", namespace="atlas", id=m.id, name=m.name, kind="mitigation",
                             related={"techniques": [f"atlas:{x}" for x in m.techniques]},
                             description=describe(m.id, m.description),
                             url=f"https://atlas.mitre.org/mitigations/{m.id}"))
    return entries


class Catalog:
    """Every knowledge entry and control, looked up by namespaced or bare id. Read-only once built."""

    def __init__(self, entries: Iterable[Entry], controls: Iterable[Control], version: str,
                 atlas_version: str) -> None:
        self.version = version
        self.atlas_version = atlas_version
        self._base = list(entries)  # forward links only, as loaded; with_atlas() rebuilds from these
        self.controls: dict[str, Control] = {c.id: c for c in controls}
        self._entries = self._with_reverse_links(self._base)
        self._by_ref: dict[str, Entry] = {e.ref: e for e in self._entries}
        self._namespaces = list(dict.fromkeys(e.namespace for e in self._entries))
        self._lookup = self._build_lookup()

    def _with_reverse_links(self, base: list[Entry]) -> list[Entry]:
        extra: dict[str, dict[str, list[str]]] = {}
        for entry in base:
            for relation, targets in entry.related.items():
                name = ("subtechniques" if relation in _FORWARD_ONLY
                        else _REVERSE.get(entry.kind, entry.namespace))
                for target in targets:
                    extra.setdefault(target, {}).setdefault(name, []).append(entry.ref)
        for control in self.controls.values():
            for target in control.references:
                extra.setdefault(target, {}).setdefault("controls", []).append(control.id)
        result = []
        for entry in base:
            added = extra.get(entry.ref)
            if not added:
                result.append(entry)
                continue
            related = {k: list(v) for k, v in entry.related.items()}
            for name, refs in added.items():
                merged = related.setdefault(name, [])
                merged.extend(r for r in refs if r not in merged)
            result.append(entry.model_copy(update={"related": related}))
        return result

    def _build_lookup(self) -> dict[str, str]:
        """Case-insensitive aliases -> canonical ref. Bare ids are kept only where they are unambiguous."""
        lookup: dict[str, str] = {}
        bare: dict[str, set[str]] = {}
        for entry in self._entries:
            lookup[entry.ref.casefold()] = entry.ref
            bare.setdefault(entry.id.casefold(), set()).add(entry.ref)
            short = entry.id.split(":", 1)[0]
            if short != entry.id:  # "LLM01:2025" is also reachable as "LLM01" and "owasp-llm:LLM01"
                bare.setdefault(short.casefold(), set()).add(entry.ref)
                lookup.setdefault(f"{entry.namespace}:{short}".casefold(), entry.ref)
        for control in self.controls.values():
            lookup[control.id.casefold()] = control.id
        for key, refs in bare.items():
            primary = [r for r in refs if r.startswith("owasp-llm:") and r.endswith(_PRIMARY_YEAR)]
            if len(refs) == 1:
                lookup.setdefault(key, next(iter(refs)))
            elif len(primary) == 1 and all(r.startswith("owasp-llm:") for r in refs):
                lookup.setdefault(key, primary[0])
        return lookup

    def resolve(self, ref: str) -> str | None:
        """Canonical ref for any accepted spelling ("AML.T0051", "LLM01", "cwe-79"...), or None."""
        key = ref.strip().casefold()
        found = self._lookup.get(key)
        if found is None and key.startswith("nist-ai-rmf:"):
            found = self._lookup.get(key.replace(" ", "-"))
        return found

    def get(self, ref: str) -> Entry | Control | None:
        canonical = self.resolve(ref)
        if canonical is None:
            return None
        return self.controls.get(canonical) or self._by_ref.get(canonical)

    def has(self, ref: str) -> bool:
        return self.resolve(ref) is not None

    def entries(self, namespace: str | None = None) -> list[Entry]:
        """Entries in stable order: namespaces in load order, items in file order."""
        if namespace is None:
            return list(self._entries)
        return [e for e in self._entries if e.namespace == namespace]

    def namespaces(self) -> list[str]:
        return list(self._namespaces)

    def problems(self) -> list[str]:
        """References that do not resolve to a canonical ref, e.g. a control citing a missing id."""
        found: list[str] = []
        for control in self.controls.values():
            found += [f"{control.id}: reference {r} does not resolve" for r in control.references
                      if r not in self._by_ref]
        for entry in self._base:
            for relation, targets in entry.related.items():
                found += [f"{entry.ref}: {relation} {t} does not resolve"
                          for t in targets if t not in self._by_ref]
        return found

    def with_atlas(self, data: AtlasData) -> Catalog:
        """A copy whose ATLAS entries come from ``data`` (e.g. a newer file the user installed).

        Our descriptions are kept for ids that still exist; new ids get the first paragraph of MITRE's text.
        """
        ours = {e.id: e.description for e in self._base if e.namespace == "atlas"}
        others = [e for e in self._base if e.namespace != "atlas"]
        position = next((i for i, e in enumerate(self._base) if e.namespace == "atlas"), len(others))
        entries = [*others[:position], *atlas_entries(data, ours), *others[position:]]
        return Catalog(entries, self.controls.values(), self.version, data.version)
