"""Data-flow diagrams: Graphviz source, and SVG drawn by Graphviz when it is installed (Mermaid source is in
``dfd_mermaid``, what both draw from in ``dfd_model``, the Graphviz runs in ``dfd_graphviz``; their public names
are available here too).

Both drawings show, per element, the threats still open and the highest risk among them; one function
(``open_threats_by_element``) counts them, so the two never disagree. Model text is untrusted, so nothing
from the model is ever written raw: node ids are generated from element ids with every unsafe character
replaced, and labels are quoted with unsafe characters encoded.
"""

from __future__ import annotations

# Not used here since the Graphviz runs moved to dfd_graphviz; callers and tests still reach them through dfd.
import shutil  # noqa: F401
import subprocess  # noqa: F401
import textwrap
from collections.abc import Callable, Collection, Mapping

from dicetm.model import (
    AI_KINDS,
    PROCESS_KINDS,
    STORE_KINDS,
    AnalysisResult,
    Element,
    Flow,
    RiskLevel,
    System,
    Threat,
    TrustBoundary,
)
from dicetm.report import common
from dicetm.report.common import kind_text
from dicetm.report.dfd_graphviz import DOT_TIMEOUT_SECONDS, Drawings, render_svg
from dicetm.report.dfd_mermaid import mermaid, mermaid_text
from dicetm.report.dfd_model import (
    CLOSED_STATUSES,
    UNDECLARED,
    Ids,
    Layout,
    flow_notes,
    is_open,
    layout_of,
    open_threats_by_element,
    open_threats_of,
    worst_level,
)

__all__ = [
    "CLOSED_STATUSES", "DOT_TIMEOUT_SECONDS", "UNDECLARED", "Drawings", "dot", "drawn_nodes", "is_open", "mermaid",
    "mermaid_text", "open_threats_by_element", "open_threats_of", "render_svg", "svg", "worst_level",
]


# (kind, model id) -> href, or None for no link. Kinds: "el" (element), "flow", "zone" (trust boundary).
Link = Callable[[str, str], str | None]

LABEL_WIDTH = 22  # characters per line of an element name
FLOW_LABEL_CHARS = 26  # a flow's label on the drawing; the full data is in its tooltip
COLLAPSE_ABOVE = 60  # elements: above this the overview draws each top-level boundary as one node
# Graphviz lays out a few hundred edges in well under a second, but takes minutes past a thousand, and a drawing
# is a tangle long before that: the overview draws the busiest connections between zones, flagged ones first,
# few enough that their labels take part in the layout (see LAID_OUT_LABELS), and says how many it left to the
# flow tables.
OVERVIEW_EDGES = 80
# Edge labels take part in the layout as nodes of their own, which is what makes dot slow on many edges (250
# labelled edges between 38 zones: 15 s; placed after the layout as xlabels: 0.5 s). Above this many edges the
# labels are placed after the layout.
LAID_OUT_LABELS = 80
MAX_DRAWN_NODES = 400  # a drawing with more nodes is unreadable and slow to lay out: none is made
_FILL = {
    RiskLevel.critical: ("#fde2e2", "#b91c1c"),
    RiskLevel.high: ("#ffedd5", "#c2410c"),
    RiskLevel.medium: ("#fef9c3", "#a16207"),
    RiskLevel.low: ("#dcfce7", "#15803d"),
}
_NO_OPEN = ("#f8fafc", "#64748b")
_BADGE = {RiskLevel.critical: "#991b1b", RiskLevel.high: "#9a3412", RiskLevel.medium: "#854d0e",
          RiskLevel.low: "#166534"}


def dot_text(text: str) -> str:
    """Quote text as a DOT string; backslashes are doubled so Graphviz escapes like ``\\N`` stay literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    if escaped.isprintable():  # the common case, checked in C
        return f'"{escaped}"'
    return '"' + "".join(c for c in escaped if c.isprintable()) + '"'


def html_label_text(text: str) -> str:
    """Text for a Graphviz HTML-like label: markup characters become entities, control characters go."""
    plain = "".join(c if c.isprintable() else " " for c in text)
    escaped = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _no_escapes(escaped)


def _no_escapes(text: str) -> str:
    """Graphviz expands ``\\N``, ``\\G``, ``\\L``... even in HTML labels; a zero-width space after each backslash
    keeps the text as written."""
    return text.replace("\\", "\\\u200b")


def _quoted(text: str) -> str:
    """A quoted attribute (tooltip, cluster label): its backslashes are shown as the look-alike U+29F5, because
    Graphviz expands ``\\N`` in them after unquoting and a zero-width character would be dropped as unprintable."""
    return dot_text(text.replace("\\", "\u29f5"))


def _wrapped(text: str, width: int = LABEL_WIDTH, lines: int = 3) -> list[str]:
    words = " ".join(text.split())
    if len(words) <= width:  # one line, as textwrap would give it, without its slow splitting
        return [words]
    wrapped = textwrap.wrap(words, width, break_long_words=True)
    if len(wrapped) > lines:
        wrapped = [*wrapped[:lines - 1], wrapped[lines - 1][:width - 1] + "…"]
    return wrapped


def _brief(text: str, limit: int = FLOW_LABEL_CHARS) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[:limit - 1].rstrip() + "…"


def badge_text(threats: list[Threat]) -> str:
    level = worst_level(threats)
    return f"{len(threats)} open · {level.value}" if level is not None else ""


class HtmlLabel(str):
    """A Graphviz HTML-like label built here from escaped parts (written as ``<...>``, never quoted)."""


def _label(title: str, subtitle: str | None, threats: list[Threat]) -> HtmlLabel:
    rows = [f"<TR><TD>{html_label_text(line)}</TD></TR>" for line in _wrapped(title)]
    if subtitle:
        rows.append(f'<TR><TD><FONT POINT-SIZE="9" COLOR="#374151">{html_label_text(subtitle)}</FONT></TD></TR>')
    level = worst_level(threats)
    if level is not None:
        rows.append(f'<TR><TD BGCOLOR="{_BADGE[level]}"><FONT COLOR="#ffffff" POINT-SIZE="10"><B> '
                    f"{html_label_text(badge_text(threats))} </B></FONT></TD></TR>")
    return HtmlLabel('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">' + "".join(rows)
                     + "</TABLE>>")


def _attrs(pairs: Mapping[str, str | None]) -> str:
    """``key=value`` pairs; every value is quoted except the HTML-like labels built by ``_label``."""
    parts = []
    for key, value in pairs.items():
        if value is None:
            continue
        parts.append(f"{key}={value if isinstance(value, HtmlLabel) else _quoted(value)}")
    return ", ".join(parts)


def _shape(element: Element) -> dict[str, str | None]:
    if element.kind in STORE_KINDS:
        return {"shape": "cylinder", "style": "filled"}
    if element.kind in PROCESS_KINDS:
        return {"shape": "box", "style": "rounded,filled"}
    return {"shape": "box", "style": "filled"}


def _colours(threats: list[Threat]) -> dict[str, str | None]:
    level = worst_level(threats)
    fill, line = _FILL[level] if level is not None else _NO_OPEN
    heavy = level in (RiskLevel.critical, RiskLevel.high)
    return {"fillcolor": fill, "color": line, "penwidth": "2" if heavy else None}


def _element_tooltip(element: Element, system: System, threats: list[Threat]) -> str:
    lines = [f"{common.one_line(element.name)} ({kind_text(element)}, id {element.id})"]
    zone = system.boundary_of.get(element.id)
    if zone:
        lines.append(f"trust boundary: {zone}")
    facts = common.element_facts(element)
    if facts:
        lines.append("facts: " + ", ".join(facts))
    lines.append(f"{len(threats)} open threat(s)" + (f", highest risk {worst_level(threats)}" if threats else ""))
    return "\n".join(lines)


def _flow_tooltip(flow: Flow, system: System) -> str:
    def name(element_id: str) -> str:
        element = system.element_by_id.get(element_id)
        return common.one_line(element.name) if element else f"{element_id} ({UNDECLARED})"

    arrow = "↔" if flow.bidirectional else "→"
    lines = [f"{name(flow.source)} {arrow} {name(flow.target)} (flow {flow.id})"]
    if flow.data:
        lines.append(f"carries: {common.one_line(flow.data)}")
    facts = [f"protocol {flow.protocol}" if flow.protocol else "",
             f"classification {flow.classification.value}" if flow.classification else "",
             f"authenticated: {common.yes_no(flow.authenticated)}", f"encrypted: {common.yes_no(flow.encrypted)}"]
    lines.append(", ".join(fact for fact in facts if fact))
    return "\n".join(lines)


class _Dot:
    """Builds one Graphviz drawing: node and edge statements with labels, colours, ids, links and tooltips."""

    def __init__(self, system: System, result: AnalysisResult | None, link: Link | None, prefix: str,
                 rankdir: str = "LR") -> None:
        self.system = system
        self.layout, self.open = layout_of(system), open_threats_of(result)
        self.link = link or (lambda _kind, _id: None)
        self.prefix = prefix
        self.node = Ids("e_")
        self.zone = Ids("cluster_")
        self.edge_label = "label"
        self.lines = [
            "digraph dfd {",
            f"    graph [{_attrs({'id': prefix, 'rankdir': rankdir, 'fontname': 'Helvetica', 'fontsize': '12', 'nodesep': '0.3', 'ranksep': '0.55', 'bgcolor': 'transparent'})}];",  # noqa: E501
            '    node [fontname="Helvetica", fontsize=12, margin="0.12,0.06"];',
            '    edge [fontname="Helvetica", fontsize=10, color="#475569", fontcolor="#1f2937"];',
        ]

    def dom_id(self, kind: str, raw: str) -> str:
        return common.anchor(f"{self.prefix}-{kind}", raw)

    def element(self, element: Element, indent: str, outside: str | None = None) -> None:
        threats = self.open.get(element.id, [])
        subtitle = f"«{kind_text(element)}»" if element.kind in AI_KINDS else None
        attrs: dict[str, str | None] = {"label": _label(element.name, outside or subtitle, threats)}
        attrs |= _shape(element) | _colours(threats)
        if outside:
            attrs |= {"style": f"{attrs['style']},dashed", "fillcolor": "#ffffff"}
        attrs |= {"id": self.dom_id("el", element.id), "URL": self.link("el", element.id),
                  "tooltip": _element_tooltip(element, self.system, threats), "target": "_top"}
        self.lines.append(f"{indent}{self.node(element.id)} [{_attrs(attrs)}];")

    def undeclared(self, raw: str, indent: str = "    ") -> None:
        attrs = {"label": f"{raw} ({UNDECLARED})", "shape": "box", "style": "dotted",
                 "id": self.dom_id("el", raw), "tooltip": f"{raw}: named by a flow but not declared"}
        self.lines.append(f"{indent}{self.node(raw)} [{_attrs(attrs)}];")

    def open_zone(self, boundary: TrustBoundary, indent: str, members: int) -> None:
        attrs = {"label": boundary.name, "id": self.dom_id("zone", boundary.id), "URL": self.link("zone", boundary.id),
                 "tooltip": f"trust boundary {common.one_line(boundary.name)} ({members} element(s))",
                 "target": "_top"}
        self.lines.append(f"{indent}subgraph {self.zone(boundary.id)} {{")
        self.lines.append(f'{indent}    graph [{_attrs(attrs)}, style="dashed,rounded", color="#b91c1c", '
                          'fontcolor="#7f1d1d", fontsize=12, margin=12];')

    def zone_box(self, boundary: TrustBoundary, size: int, threats: list[Threat], to_others: int = 0) -> None:
        """A top-level boundary drawn as one box (the overview of a large model); ``to_others``: its flows to and
        from the boundaries the overview groups, which are not drawn."""
        subtitle = f"trust boundary · {size} elements"
        if to_others:  # a grouped overview: the flows with the others replace "trust boundary", to keep boxes narrow
            subtitle = f"{size} elements · {to_others} flows with others"
        attrs: dict[str, str | None] = {
            "label": _label(boundary.name, subtitle, threats),
            "shape": "folder", "style": "filled", **_colours(threats),
            "id": self.dom_id("zone", boundary.id), "URL": self.link("zone", boundary.id),
            "tooltip": f"{common.one_line(boundary.name)}: {size} element(s), "
                       f"{len(threats)} open threat(s); open it to see its elements",
            "target": "_top",
        }
        self.lines.append(f"    {self.node('zone:' + boundary.id)} [{_attrs(attrs)}];")

    def others_box(self, boundaries: list[TrustBoundary], size: int, threats: list[Threat]) -> None:
        """The top-level boundaries an overview leaves out, drawn together as one box."""
        names = ", ".join(common.one_line(b.name) for b in boundaries[:12])
        more = f" and {len(boundaries) - 12} more" if len(boundaries) > 12 else ""
        attrs: dict[str, str | None] = {
            "label": _label(f"{len(boundaries)} other trust boundaries", f"{size} elements", threats),
            "shape": "folder", "style": "filled,dashed", **_colours(threats),
            "id": self.dom_id("zone", "*"), "URL": self.link("zone", "*"),
            "tooltip": f"{names}{more}: {size} element(s), {len(threats)} open threat(s)", "target": "_top",
        }
        self.lines.append(f"    {self.node('zone:*')} [{_attrs(attrs)}];")

    def expect_edges(self, count: int) -> None:
        """Say how many edges the drawing will have, before adding them (see ``LAID_OUT_LABELS``)."""
        self.edge_label = "label" if count <= LAID_OUT_LABELS else "xlabel"

    def flow(self, flow: Flow, source: str | None = None, target: str | None = None) -> None:
        notes = flow_notes(flow)
        brief = _brief(flow.data) if flow.data else ""
        label = ("⚠ " + brief if brief else "⚠ " + ", ".join(notes)) if notes else brief
        attrs: dict[str, str | None] = {
            self.edge_label: label or None, "id": self.dom_id("flow", flow.id), "URL": self.link("flow", flow.id),
            "tooltip": _flow_tooltip(flow, self.system), "target": "_top",
            "dir": "both" if flow.bidirectional else None,
        }
        if notes:
            attrs |= {"color": "#b91c1c", "fontcolor": "#991b1b", "penwidth": "1.6"}
        ends = f"{self.node(source or flow.source)} -> {self.node(target or flow.target)}"
        self.lines.append(f"    {ends} [{_attrs(attrs)}];")

    def text(self) -> str:
        return "\n".join([*self.lines, "}"]) + "\n"


def _roots(layout: Layout) -> dict[str, str]:
    """Every boundary id -> the id of the top-level boundary it sits in."""
    root_of: dict[str, str] = {}
    current = ""
    for action, boundary, depth in layout.events:
        if action == "open":
            current = boundary.id if depth == 0 else current
            root_of[boundary.id] = current
    return root_of


def _subtree(layout: Layout, focus: str) -> set[str]:
    inside: set[str] = set()
    depth_in: int | None = None
    for action, boundary, depth in layout.events:
        if action == "open" and boundary.id == focus:
            depth_in = depth
        if depth_in is not None and action == "open":
            inside.add(boundary.id)
        if action == "close" and boundary.id == focus:
            break
    return inside


def dot(system: System, result: AnalysisResult | None = None, *, link: Link | None = None,
        collapsed: bool = False, focus: str | None = None, prefix: str = "dfd",
        zones: Collection[str] | None = None) -> str:
    """Graphviz source: trust boundaries as nested clusters, node shapes by kind, colour and badge by the open
    threats of ``result``, links and tooltips for the web page and the report.

    ``collapsed`` draws each top-level boundary as one node (for large models), or only those in ``zones`` with
    all the others as one more node; ``focus`` draws one boundary with the elements just outside it that its
    flows reach.
    """
    if focus is not None:
        return _focused(system, result, link, focus, prefix)
    if collapsed:
        return _collapsed(system, result, link, prefix, zones)
    out = _Dot(system, result, link, prefix)
    layout = out.layout
    for action, boundary, depth in layout.events:
        indent = "    " * (depth + 1)
        if action == "close":
            out.lines.append(indent + "}")
            continue
        members = layout.members.get(boundary.id, [])
        out.open_zone(boundary, indent, len(members))
        for element in members:
            out.element(element, indent + "    ")
    for element in layout.members.get(None, []):
        out.element(element, "    ")
    for raw in layout.undeclared:
        out.undeclared(raw)
    out.expect_edges(len(system.flows))
    for flow in system.flows:
        out.flow(flow)
    return out.text()


def _collapsed(system: System, result: AnalysisResult | None, link: Link | None, prefix: str,
               zones: Collection[str] | None) -> str:
    layout = layout_of(system)
    tops = [boundary for action, boundary, depth in layout.events if action == "open" and depth == 0]
    others = [b for b in tops if zones is not None and b.id not in zones]
    # Boxes of boundaries picked for their open threats are seldom linked in a chain: top to bottom they fill
    # the width of a page instead of running off to the right.
    out = _Dot(system, result, link, prefix, rankdir="TB" if others else "LR")
    root_of = _roots(layout)
    grouped = {b.id for b in others}
    box_of = {b.id: "zone:" + ("*" if b.id in grouped else b.id) for b in tops}
    zone_of = {e.id: box_of[root_of[b]] for e, b in ((e, system.boundary_of.get(e.id)) for e in system.elements)
               if b}
    sizes: dict[str, int] = {}
    threats: dict[str, dict[str, Threat]] = {}
    for element_id, box in zone_of.items():
        sizes[box] = sizes.get(box, 0) + 1
        for threat in out.open.get(element_id, []):
            threats.setdefault(box, {})[threat.id] = threat
    edges: dict[tuple[str, str], list[Flow]] = {}
    to_others: dict[str, int] = {}  # box -> flows between it and the grouped boundaries: counted, not drawn
    for flow in system.flows:
        ends = tuple(zone_of.get(end, end) for end in (flow.source, flow.target))
        if ends[0] == ends[1]:
            continue
        if "zone:*" in ends and ends[0].startswith("zone:") and ends[1].startswith("zone:"):
            box = ends[1] if ends[0] == "zone:*" else ends[0]
            to_others[box] = to_others.get(box, 0) + 1
            continue
        edges.setdefault((ends[0], ends[1]), []).append(flow)
    for boundary in tops:
        if boundary.id not in grouped:
            box = box_of[boundary.id]
            out.zone_box(boundary, sizes.get(box, 0), _by_risk(threats.get(box, {})), to_others.get(box, 0))
    if others:
        out.others_box(others, sizes.get("zone:*", 0), _by_risk(threats.get("zone:*", {})))
    for element in layout.members.get(None, []):
        out.element(element, "    ")
    for raw in layout.undeclared:
        out.undeclared(raw)
    ranked = sorted(edges.items(), key=lambda item: (not any(flow_notes(f) for f in item[1]), -len(item[1])))
    notes: list[str] = []
    if others:
        notes.append(f"the {len(tops) - len(others)} trust boundaries with the most open threats; the other "
                     f"{len(others)} are one box, and each boundary's box counts its flows with them")
    if len(ranked) > OVERVIEW_EDGES:
        left = ranked[OVERVIEW_EDGES:]
        ranked = ranked[:OVERVIEW_EDGES]
        hidden = sum(len(flows) for _ends, flows in left)
        notes.append(f"{len(left)} more connections ({hidden} flows) are not drawn here: see the flow tables")
    if notes:
        out.lines.append(f"    label={_quoted('; '.join(notes))}; labelloc=b;")
    out.expect_edges(len(ranked))
    for (source, target), flows in ranked:
        if len(flows) == 1:
            out.flow(flows[0], source, target)
            continue
        flagged = any(flow_notes(f) for f in flows)
        shown = "\n".join(_flow_tooltip(f, system).split("\n", 1)[0] for f in flows[:8])
        more = f"\n… and {len(flows) - 8} more" if len(flows) > 8 else ""
        attrs = {out.edge_label: f"{'⚠ ' if flagged else ''}{len(flows)} flows", "tooltip": shown + more,
                 "penwidth": "1.6" if flagged else None, "color": "#b91c1c" if flagged else None}
        out.lines.append(f"    {out.node(source)} -> {out.node(target)} [{_attrs(attrs)}];")
    return out.text()


def _by_risk(threats: dict[str, Threat]) -> list[Threat]:
    return sorted(threats.values(), key=lambda t: (-t.score, t.id))


def _inside(layout: Layout, zones: set[str]) -> set[str]:
    """The ids of the elements in ``zones``."""
    return {element.id for zone in zones for element in layout.members.get(zone, ())}


def _flows_touching(system: System, layout: Layout, elements: set[str]) -> list[Flow]:
    """The flows that start or end at one of ``elements``, in model order."""
    positions = sorted({index for element_id in elements for index in layout.flows_at.get(element_id, ())})
    return [system.flows[index] for index in positions]


def _focused(system: System, result: AnalysisResult | None, link: Link | None, focus: str, prefix: str) -> str:
    out = _Dot(system, result, link, prefix)
    layout = out.layout
    inside_zones = _subtree(layout, focus)
    inside = _inside(layout, inside_zones)
    for action, boundary, depth in layout.events:
        if boundary.id not in inside_zones:
            continue
        indent = "    " * (depth + 1)
        if action == "close":
            out.lines.append(indent + "}")
            continue
        members = layout.members.get(boundary.id, [])
        out.open_zone(boundary, indent, len(members))
        for element in members:
            out.element(element, indent + "    ")
    drawn: set[str] = set()
    touching = _flows_touching(system, layout, inside)
    out.expect_edges(len(touching))
    for flow in touching:
        ends = (flow.source in inside, flow.target in inside)
        for end, is_inside in zip((flow.source, flow.target), ends, strict=True):
            if is_inside or end in drawn:
                continue
            drawn.add(end)
            neighbour = system.element_by_id.get(end)
            if neighbour is None:
                out.undeclared(end)
            else:
                zone = system.boundary_of.get(end)
                out.element(neighbour, "    ", outside=f"in {zone}" if zone else "outside every boundary")
        out.flow(flow)
    return out.text()


def drawn_nodes(system: System, *, collapsed: bool = False, focus: str | None = None) -> int:
    """How many nodes a drawing would have (to decide whether it is worth laying out)."""
    if focus is not None:
        layout = layout_of(system)
        inside = _inside(layout, _subtree(layout, focus))
        outside = {end for f in _flows_touching(system, layout, inside) for end in (f.source, f.target)} - inside
        return len(inside) + len(outside)
    if collapsed:
        roots = sum(1 for b in system.trust_boundaries if b.parent is None)
        return roots + sum(1 for e in system.elements if e.id not in system.boundary_of)
    return len(system.elements)


def svg(system: System, max_elements: int = MAX_DRAWN_NODES, result: AnalysisResult | None = None, *,
        link: Link | None = None, collapsed: bool = False, focus: str | None = None, prefix: str = "dfd") -> str | None:
    """Draw the DFD with Graphviz for inlining in HTML.

    Returns None when ``dot`` is not installed, fails, times out, or the drawing would have more than
    ``max_elements`` nodes (a drawing that size is unreadable and slow to lay out).
    """
    if drawn_nodes(system, collapsed=collapsed, focus=focus) > max_elements:
        return None
    return render_svg(dot(system, result, link=link, collapsed=collapsed, focus=focus, prefix=prefix))
