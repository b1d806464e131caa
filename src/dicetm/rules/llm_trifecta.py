"""LLM family, the lethal trifecta (LLM01 + LLM02): a model that reads content outsiders can write, reaches
sensitive data and has a channel out, computed as one finding per agent (or undriven model)."""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import TOOL_KINDS, Element, Factor, Kind, OutputFormat, System
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.reach import (
    MODELS,
    SENSITIVE,
    loop_owners,
    name_of,
    rank,
    speaks_to_outside,
)
from dicetm.rules.reach_content import (
    ContentReach,
    retrieval_reach,
    sensitive_reach,
    tool_reach,
)

INDEX_KINDS = frozenset({Kind.retriever, Kind.vector_store})
# How far back from a model an index that mixes its context is looked for (orchestrator, search, index).
INDEX_DEPTH = 4


def _names(elements: list[Element]) -> str:
    names = [e.name for e in elements]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _mixing_indexes(system: System, model: Element, content: ContentReach,
                    sensitive: dict[str, str]) -> list[Element]:
    """Retrievers and vector stores on the way to the model that both outsiders' content and sensitive data
    flow into: one index returns them together, so a planted chunk is retrieved next to the data it asks for."""
    found: dict[str, Element] = {}
    frontier = [model.id]
    seen = {model.id}
    for _depth in range(INDEX_DEPTH):
        nxt: list[str] = []
        for element_id in frontier:
            for sender in system.upstream(element_id):
                if sender.id in seen or sender.kind in MODELS or sender.kind is Kind.external_entity:
                    continue
                seen.add(sender.id)
                nxt.append(sender.id)
                if sender.kind in INDEX_KINDS and sender.id in content.any and sender.id in sensitive:
                    found[sender.id] = sender
        frontier = nxt
    return list(found.values())


# --------------------------------------------------------------------------------------------------
# T-LLM-020: the lethal trifecta (LLM01 + LLM02): untrusted content, sensitive data and a way out


def _outbound_tools(system: System, model: Element) -> list[Element]:
    """Tools the model calls that can carry data out: they write to, or fetch from, something outside."""
    found = []
    for tool in system.downstream(model.id):
        if tool.kind not in TOOL_KINDS:
            continue
        targets = [system.element_by_id[tool.acts_on]] if tool.acts_on in system.element_by_id else [
            e for e in system.downstream(tool.id) if e.kind not in MODELS]
        if any(t.kind is Kind.external_entity or t.third_party is True or t.untrusted_content is True
               for t in targets):
            found.append(tool)
    return found


def lethal_trifecta(system: System) -> Iterator[Hit]:
    """A model that reads content outsiders can write, reaches sensitive data and has a channel out.

    One computed finding per agent (or undriven model). With all three legs present likelihood goes up; with
    one leg missing the finding stays, downgraded, and says which leg is missing and why."""
    content = retrieval_reach(system)
    tools = tool_reach(system)
    sensitive = sensitive_reach(system)
    speaks = speaks_to_outside(system, through_models=False)
    for model in loop_owners(system):
        source = content.known.get(model.id) or tools.known.get(model.id)
        assumed_source = source is None and (model.id in content.any or model.id in tools.any)
        if assumed_source:
            source = content.any.get(model.id) or tools.any.get(model.id)
        holder = sensitive.get(model.id)
        if holder is None and rank(model.classification) >= SENSITIVE:
            holder = model.id
        outbound = _outbound_tools(system, model)
        rendered = model.id in speaks and (model.output_rendered_as is None or bool(
            {OutputFormat.markdown, OutputFormat.html} & set(model.output_rendered_as)))
        legs = {"untrusted content": source is not None, "sensitive data": holder is not None,
                "outbound channel": bool(outbound) or rendered}
        present = [leg for leg, held in legs.items() if held]
        if len(present) < 2:
            continue
        missing = [leg for leg, held in legs.items() if not held]
        factors: list[Factor] = []
        assumptions: list[str] = []
        if missing:
            factors.append(Factor(target="likelihood", delta=-1, fact=f"{model.id}.trifecta=incomplete",
                                  note=f"one leg is missing: no {missing[0]} is modelled, so the attack needs a "
                                       "path the model does not show"))
        else:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{model.id}.trifecta=complete",
                                  note="all three legs are present: one planted instruction can read and send "
                                       "out the data"))
        if assumed_source and source is not None:
            assumptions.append(f"Who can write the content {model.name} reads through {name_of(system, source)} "
                               "is not stated; assumed outsiders can.")
        if rendered and model.output_rendered_as is None and not outbound:
            assumptions.append(f"How the output of {model.name} is displayed is not stated; assumed links and "
                               "images in it are rendered.")
        channel = (_names(outbound) if outbound else "rendered links and images in its answers") if legs[
            "outbound channel"] else "no channel out"
        references = [*(["atlas:AML.T0086"] if outbound else []), *(["atlas:AML.T0077"] if rendered else [])]
        mixing = _mixing_indexes(system, model, content, sensitive) if source and holder else []
        if mixing:
            references += ["atlas:AML.T0085.000", "owasp-llm:LLM08:2025", "owasp-llm:LLM09:2026"]
        others = [x for x in (source, holder, *(t.id for t in outbound), *(e.id for e in mixing))
                  if x is not None and x != model.id]
        yield Hit(element=model.id, others=tuple(dict.fromkeys(others)),
                  values={"legs": " and ".join("an outbound channel" if p == "outbound channel" else p for p in present)
                          if missing else
                          "untrusted content, sensitive data and an outbound channel",
                          "missing": f", but no {missing[0]} is modelled" if missing else "",
                          "source": name_of(system, source) if source else "no untrusted source",
                          "holder": name_of(system, holder) if holder else "no sensitive data",
                          "channel": channel},
                  factors=tuple(factors), assumptions=tuple(assumptions), references=tuple(references))


FUNCTIONS: dict[str, RuleFunction] = {
    "T-LLM-020": lethal_trifecta,
}
