"""The data-flow diagram as Mermaid source (Markdown reports, ``dicetm export mermaid``): labels are quoted with every
character Mermaid would read as markup encoded."""

from __future__ import annotations

from dicetm.model import AI_KINDS, PROCESS_KINDS, STORE_KINDS, AnalysisResult, Element, RiskLevel, System, Threat
from dicetm.report.common import kind_text
from dicetm.report.dfd_model import (
    UNDECLARED,
    Ids,
    flow_label_parts,
    flow_notes,
    layout_of,
    open_threats_of,
    worst_level,
)

# Printable ASCII that Mermaid takes literally inside a quoted label; anything else is entity-encoded.
_MERMAID_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:_-/()'+!?*@=~^$")
_RISK_STYLE = {
    RiskLevel.critical: "fill:#f8d0d0,stroke:#b91c1c,stroke-width:2px",
    RiskLevel.high: "fill:#fde2cc,stroke:#c2410c,stroke-width:2px",
    RiskLevel.medium: "fill:#fdf3c4,stroke:#a16207",
    RiskLevel.low: "fill:#dcf2e0,stroke:#15803d",
}


def mermaid_text(text: str) -> str:
    """Encode text for a quoted Mermaid label: unsafe characters become ``#<code>;`` entities."""
    out = []
    for char in text:
        if char in _MERMAID_SAFE or (char.isalnum() and ord(char) > 127):
            out.append(char)
        elif char in "\r\n\t":
            out.append(" ")
        elif char.isprintable():
            out.append(f"#{ord(char)};")
    return "".join(out)


def _mermaid_node(node_id: str, element: Element, extra: str) -> str:
    label = mermaid_text(element.name)
    if element.kind in AI_KINDS:
        label += f"<br/>«{mermaid_text(kind_text(element))}»"
    label += extra
    if element.kind in STORE_KINDS:
        return f'{node_id}[("{label}")]'
    if element.kind in PROCESS_KINDS:
        return f'{node_id}("{label}")'
    return f'{node_id}["{label}"]'


def mermaid(system: System, result: AnalysisResult | None = None,
            open_threats: dict[str, list[Threat]] | None = None) -> str:
    """Mermaid flowchart of the system; with ``result``, elements show their open threats and worst open risk
    (``open_threats``: the same count, when the caller has it already)."""
    node = Ids("e_")
    zone = Ids("b_")
    if open_threats is None:
        open_threats = open_threats_of(result)
    worst = {element_id: worst_level(threats) for element_id, threats in open_threats.items()}
    layout = layout_of(system)
    lines = ["flowchart LR"]

    def add_nodes(elements: list[Element], indent: str) -> None:
        for element in elements:
            count = len(open_threats.get(element.id, ()))
            extra = f"<br/>⚠ {count} open" if count else ""
            lines.append(indent + _mermaid_node(node(element.id), element, extra))

    for action, boundary, depth in layout.events:
        indent = "    " * (depth + 1)
        if action == "close":
            lines.append(indent + "end")
            continue
        lines.append(f'{indent}subgraph {zone(boundary.id)}["{mermaid_text(boundary.name)}"]')
        add_nodes(layout.members.get(boundary.id, []), indent + "    ")
    add_nodes(layout.members.get(None, []), "    ")
    for raw in layout.undeclared:
        lines.append(f'    {node(raw)}["{mermaid_text(raw)} ({UNDECLARED})"]')

    flagged = []
    for index, flow in enumerate(system.flows):
        label = " · ".join(mermaid_text(part) for part in flow_label_parts(flow))
        notes = flow_notes(flow)
        if notes:
            flagged.append(str(index))
            label = (label + " " if label else "") + "⚠ " + ", ".join(notes)
        arrow = "<-->" if flow.bidirectional else "-->"
        text = f'|"{label}"|' if label else ""
        lines.append(f"    {node(flow.source)} {arrow}{text} {node(flow.target)}")
    if flagged:
        lines.append(f"    linkStyle {','.join(flagged)} stroke:#b91c1c,stroke-width:2px")
    for level, style in _RISK_STYLE.items():
        ids = [node(e.id) for e in system.elements if worst.get(e.id) == level]
        if ids:
            lines.append(f"    classDef risk_{level.value} {style}")
            lines.append(f"    class {','.join(ids)} risk_{level.value}")
    return "\n".join(lines) + "\n"
