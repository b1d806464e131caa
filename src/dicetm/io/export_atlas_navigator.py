"""MITRE ATLAS Navigator layer (the ATT&CK Navigator layer format 4.x, domain ``atlas-atlas``).

One technique entry per ATLAS technique or sub-technique that the model's threats name, and no other:
the score is the highest risk score (likelihood x impact, 1-25) among those threats, the colour is that
score's risk band, and the comment lists the threats. The ``tactic`` field is left out on purpose: the
Navigator then shows the annotation under every tactic the technique belongs to, which is what a
threat that names a technique means. Tactic names go into the technique's metadata instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dicetm.catalog import Catalog, Entry, load_catalog
from dicetm.io.export_common import json_text, ordered_threats
from dicetm.model import AnalysisResult, RiskLevel, System, Threat, risk_level

DOMAIN = "atlas-atlas"
LAYER_VERSION = "4.3"  # what the ATLAS Navigator (a 4.6 Navigator) reads
NAVIGATOR_VERSION = "4.6.4"
PREFIX = "atlas:"
TECHNIQUE_KINDS = frozenset({"technique", "subtechnique"})
COLOURS = {RiskLevel.low: "#86efac", RiskLevel.medium: "#facc15", RiskLevel.high: "#fb923c",
           RiskLevel.critical: "#f87171"}
BANDS = ((RiskLevel.critical, "20-25"), (RiskLevel.high, "12-19"), (RiskLevel.medium, "6-11"),
         (RiskLevel.low, "1-5"))


@dataclass
class _Named:
    entry: Entry
    threats: list[Threat] = field(default_factory=list)


def named_techniques(threats: list[Threat], catalog: Catalog) -> dict[str, _Named]:
    """Technique id (without 'atlas:') -> the threats naming it, in threat order; tactics and mitigations skipped."""
    named: dict[str, _Named] = {}
    for threat in threats:
        for reference in dict.fromkeys(threat.references):
            entry = catalog.get(reference) if reference.startswith(PREFIX) else None
            if not isinstance(entry, Entry) or entry.kind not in TECHNIQUE_KINDS:
                continue
            named.setdefault(entry.id, _Named(entry)).threats.append(threat)
    return named


def render_atlas_navigator(result: AnalysisResult, system: System) -> str:
    catalog = load_catalog()
    named = named_techniques(ordered_threats(result.threats), catalog)
    techniques = [_technique(named[key], catalog) for key in sorted(named)]
    layer = {
        "name": f"{system.name}: ATLAS techniques",
        "versions": {"layer": LAYER_VERSION, "navigator": NAVIGATOR_VERSION},
        "domain": DOMAIN,
        "description": (f"ATLAS techniques named by the {len(result.threats)} threats dicetm found for "
                        f"{system.name}. Score: the highest risk score (likelihood x impact, 1-25) of the "
                        "threats naming the technique; the comment lists them."),
        "sorting": 3,
        "layout": {"layout": "side", "showID": True, "showName": True, "expandedSubtechniques": "annotated"},
        "hideDisabled": False,
        "techniques": techniques,
        "gradient": {"colors": [COLOURS[RiskLevel.low], COLOURS[RiskLevel.medium], COLOURS[RiskLevel.critical]],
                     "minValue": 1, "maxValue": 25},
        "legendItems": [{"label": f"{level.value} risk ({span})", "color": COLOURS[level]} for level, span in BANDS],
        "metadata": [
            {"name": "generator", "value": f"dicetm {result.dicetm_version}"},
            {"name": "catalogue", "value": result.catalog_version},
            {"name": "ATLAS data", "value": catalog.atlas_version},
        ],
    }
    return json_text(layer, expand=4)


def _technique(named: _Named, catalog: Catalog) -> dict[str, Any]:
    worst = max(t.score for t in named.threats)
    listed = "; ".join(f"{t.id} ({t.risk.value}, {t.score})" for t in named.threats)
    tactics = [catalog.get(ref) for ref in named.entry.related.get("tactics", [])]
    return {
        "techniqueID": named.entry.id,
        "score": worst,
        "color": COLOURS[risk_level(worst)],
        "comment": f"{_full_name(named.entry, catalog)}. Named by {len(named.threats)} threat"
                   f"{'s' if len(named.threats) != 1 else ''}: {listed}",
        "enabled": True,
        "metadata": [
            {"name": "threats", "value": str(len(named.threats))},
            {"name": "tactics", "value": ", ".join(f"{t.id} {t.name}" for t in tactics if isinstance(t, Entry))},
        ],
    }


def _full_name(entry: Entry, catalog: Catalog) -> str:
    """Sub-techniques carry short names ("Direct"); prefix the parent's ("LLM Prompt Injection: Direct")."""
    parents = entry.related.get("parent", [])
    parent = catalog.get(parents[0]) if parents else None
    return f"{parent.name}: {entry.name}" if isinstance(parent, Entry) else entry.name
