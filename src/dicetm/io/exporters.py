"""Every export format behind one call: ``export(format, result, loaded) -> str``.

Formats for other threat-modeling tools (Threat Dragon, Open Threat Model, Threat Composer, Threagile), for
issue trackers (GitHub issues, Jira CSV: planned countermeasures and accepted threats nothing covers), for
code-scanning and spreadsheets (SARIF, CSV), for MITRE's ATLAS Navigator, and data-flow diagrams
(Mermaid, Graphviz DOT, SVG). The registry sits at the edge: the per-format modules only reshape an
analysis, and the report renderers are reused for the formats dicetm already writes.

``threats="stated"`` keeps only the threats written in the model file (by people or an import) and
leaves out rule findings; ``"all"`` (the default) exports everything the analysis lists.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable

from dicetm.errors import InputError, Location, Problem
from dicetm.io.export_atlas_navigator import render_atlas_navigator
from dicetm.io.export_common import placement
from dicetm.io.export_otm import render_otm
from dicetm.io.export_threagile import render_threagile
from dicetm.io.export_threat_composer import render_threat_composer
from dicetm.io.export_threat_dragon import render_threat_dragon
from dicetm.io.export_trackers import render_github_issues, render_jira_csv
from dicetm.model import AnalysisResult
from dicetm.store.modelfile import LoadedModel

THREAT_SELECTIONS = ("all", "stated")
DIAGRAM_FORMATS = frozenset({"threat-dragon", "otm"})  # threats must hang on a drawn element or flow
SVG_MAX_ELEMENTS = 2000  # Graphviz takes minutes and the drawing is unreadable beyond this

# Format -> the file name ending people use for it (the CLI suggests it; nothing depends on it).
SUFFIXES = {
    "threat-dragon": ".json", "otm": ".otm.json", "threat-composer": ".tc.json", "threagile": ".yaml",
    "sarif": ".sarif", "csv": ".csv", "github-issues": ".issues.json", "jira": ".jira.csv",
    "atlas-navigator": ".layer.json", "mermaid": ".mmd", "dot": ".dot", "svg": ".svg",
}
FORMATS = tuple(SUFFIXES)

Renderer = Callable[[AnalysisResult, LoadedModel], str]


def export(fmt: str, result: AnalysisResult, loaded: LoadedModel, *, threats: str = "all") -> str:
    """The text of ``result`` (analysed from ``loaded``) in format ``fmt``; InputError for unknown choices."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise InputError([Problem(f"unknown export format {fmt!r}", Location(path="format"),
                                  hint=f"use one of {', '.join(FORMATS)}")])
    return renderer(select_threats(result, loaded, threats), loaded)


def left_out(fmt: str, result: AnalysisResult, loaded: LoadedModel, *, threats: str = "all") -> list[str]:
    """Ids of the selected threats that ``fmt`` cannot carry: in diagram formats, those naming no element
    or flow of the model (a threat stated about the system as a whole)."""
    if fmt not in DIAGRAM_FORMATS:
        return []
    return [t.id for t in select_threats(result, loaded, threats).threats if placement(t, loaded.system) is None]


def cross_format(fmt: str, loaded: LoadedModel) -> list[str]:
    """What the model keeps from the tool it was imported from that ``fmt`` cannot carry (one line per kind of
    item); empty for an export to the same tool or a model that was not imported."""
    from dicetm.io import CARRIED
    from dicetm.io.sourcekeep import cross_format_losses

    if fmt not in CARRIED:  # SARIF, CSV, diagrams: reports, not models another tool keeps
        return []
    return cross_format_losses(loaded.system, fmt, CARRIED)


def select_threats(result: AnalysisResult, loaded: LoadedModel, which: str) -> AnalysisResult:
    """``result`` limited to the threats ``which`` names; countermeasures keep only threats still listed."""
    if which not in THREAT_SELECTIONS:
        raise InputError([Problem(f"unknown threat selection {which!r}", Location(path="threats"),
                                  hint="use 'all' (rule findings and stated threats) or 'stated'")])
    if which == "all":
        return result
    stated = {record.id for record in loaded.system.threats}
    threats = [t for t in result.threats if t.id in stated]
    kept = {t.id for t in threats}
    countermeasures = [c.model_copy(update={"threats": [t for t in c.threats if t in kept]})
                       for c in result.countermeasures if kept.intersection(c.threats)]
    return result.model_copy(update={"threats": threats, "countermeasures": countermeasures})


def _sarif(result: AnalysisResult, loaded: LoadedModel) -> str:
    import os

    from dicetm.report.sarif import render_threats_sarif

    return render_threats_sarif(result, loaded, environment=os.environ)


def _csv(result: AnalysisResult, _loaded: LoadedModel) -> str:
    from dicetm.report.csv_out import render_csv

    return render_csv(result)


def _mermaid(result: AnalysisResult, loaded: LoadedModel) -> str:
    from dicetm.report.dfd import mermaid

    return mermaid(loaded.system, result)


def _dot(result: AnalysisResult, loaded: LoadedModel) -> str:
    from dicetm.report.dfd import dot

    return dot(loaded.system, result)


def _svg(result: AnalysisResult, loaded: LoadedModel) -> str:
    from dicetm.report.dfd import svg

    where = Location(file=str(loaded.path))
    if shutil.which("dot") is None:
        raise InputError([Problem("SVG needs Graphviz, and its `dot` program is not installed", where,
                                  hint="install Graphviz (e.g. `apt install graphviz`, `brew install graphviz`), "
                                       "or export `dot` or `mermaid` and draw it elsewhere")])
    count = len(loaded.system.elements)
    if count > SVG_MAX_ELEMENTS:
        raise InputError([Problem(f"the model has {count} elements; SVG export stops at {SVG_MAX_ELEMENTS}",
                                  where, hint="export `dot` and run Graphviz on the parts you need")])
    drawing = svg(loaded.system, max_elements=SVG_MAX_ELEMENTS, result=result)
    if drawing is None:
        raise InputError([Problem("Graphviz `dot` failed or timed out while drawing the diagram", where,
                                  hint="export `dot` and run `dot -Tsvg` yourself to see Graphviz's message")])
    return drawing


_RENDERERS: dict[str, Renderer] = {
    "threat-dragon": lambda result, loaded: render_threat_dragon(result, loaded.system),
    "otm": lambda result, loaded: render_otm(result, loaded.system),
    "threat-composer": lambda result, loaded: render_threat_composer(result, loaded.system),
    "threagile": lambda result, loaded: render_threagile(result, loaded.system),
    "sarif": _sarif,
    "github-issues": lambda result, loaded: render_github_issues(result, loaded.system),
    "jira": lambda result, loaded: render_jira_csv(result, loaded.system),
    "csv": _csv,
    "atlas-navigator": lambda result, loaded: render_atlas_navigator(result, loaded.system),
    "mermaid": _mermaid,
    "dot": _dot,
    "svg": _svg,
}

__all__ = ["FORMATS", "SUFFIXES", "THREAT_SELECTIONS", "cross_format", "export", "left_out", "select_threats"]
