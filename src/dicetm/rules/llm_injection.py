"""LLM family, prompt injection: callers' text (T-LLM-001), retrieved content (T-LLM-002) and tool results
(T-LLM-003) that reach a model's prompt, and a guardrail in front of a model evaded on the way (T-LLM-022).

OWASP Top 10 for LLM Applications 2025 LLM01 (2026: LLM01). Findings land on the ``llm`` / ``agent`` element (the
guardrail for T-LLM-022); the passes in ``rules.reach`` and ``rules.reach_content`` say who can reach what.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import ComputerUse, Element, Factor, Kind, Modality, ModelProvenance, System
from dicetm.rules.base import Hit, RuleFunction, join_words
from dicetm.rules.reach import (
    CONTENT_PATH,
    MODELS,
    anonymous_factor,
    caller_reach,
    entry_name,
    entry_of,
    internet_factor,
    kinds,
    models,
    name_of,
    speaks_to_outside,
    spread,
)
from dicetm.rules.reach_content import (
    from_the_web,
    retrieval_reach,
    tool_reach,
)

# --------------------------------------------------------------------------------------------------
# T-LLM-001 .. 003: prompt injection (LLM01)


def direct_prompt_injection(system: System) -> Iterator[Hit]:
    """A model whose prompt carries text typed by callers, without another model in between; for an agent, the
    model behind it that the text is passed on to is named too."""
    reach = caller_reach(system, through_models=False)
    conversing = _converses_with_people(system) if reach.internet else set()  # once, not once per model
    for model in models(system):
        if model.id not in reach.any:
            continue
        entry = entry_of(reach, model.id)
        factors = internet_factor(system, reach, model.id, "anyone on the internet can send it prompts")
        anonymous, assumptions = anonymous_factor(system, reach, model.id)
        factors += anonymous
        if model.id not in reach.unguarded:
            factors.append(Factor(target="likelihood", delta=-1, fact=f"{model.id}.upstream=guardrail",
                                  note="every path from callers passes a guardrail"))
        public = ""
        if model.id in reach.internet and model.id in conversing:
            public = (" What it is made to say goes back to the public in your name: screenshots of it insulting "
                      "people, promising what you do not offer or praising a competitor do reputational harm.")
        # An agent passes the injected text on to the model behind it, whose refusals a jailbreak works on.
        behind = [e.id for e in system.downstream(model.id) if model.kind is Kind.agent and e.kind is Kind.llm]
        hidden, crafted = _hidden_in_media(model)
        yield Hit(element=model.id, others=(entry, *behind), values={"entry": entry_name(system, entry, model),
                                                             "public": public, "hidden": hidden},
                  factors=tuple(factors), assumptions=tuple(assumptions),
                  references=(*(("atlas:AML.T0048.001",) if public else ()), *crafted))


def _hidden_in_media(model: Element) -> tuple[str, tuple[str, ...]]:
    """A model stated to take in images, audio or video reads instructions people cannot see or hear in them:
    text too faint or small to notice, perturbations and sounds outside human perception (crafted data)."""
    media = [m.value for m in model.input_modality or () if m is not Modality.text]
    if not media:
        return "", ()
    return (f" It also takes in {join_words(media)}, where instructions can hide from the people who look at or "
            "listen to them: faint or tiny text, perturbations and sounds nobody perceives."), (CRAFTED_MEDIA_REF,)


# An injected model that converses with people can be turned on them: it asks for their data or steers them.
SOCIAL_ENGINEERING_REFS = ("atlas:AML.T0052.000", "owasp-agentic:T15")


# Content a model pulls from the open web on its own (browsing, fetching pages): a drive-by compromise.
DRIVE_BY_REF = "atlas:AML.T0078"
MALICIOUS_LINK_REF = "atlas:AML.T0011.003"
# Instructions hidden in images, audio or video a model takes in: adversarial data crafted for it.
CRAFTED_MEDIA_REF = "atlas:AML.T0043"


def _drive_by(system: System, model: Element, origin: str) -> tuple[str, ...]:
    """AML.T0078 when the injected content comes from the open web, or the model browses it itself; and when people
    prompt the model, AML.T0011.003: a person talked into handing it a link (a page, a document) lets it in."""
    source = system.element_by_id.get(origin)
    browses = model.computer_use in (ComputerUse.browser, ComputerUse.desktop)
    if not (browses or (source is not None and from_the_web(system, source))):
        return ()
    prompted = model.id in caller_reach(system, through_models=False).any
    return (DRIVE_BY_REF, *((MALICIOUS_LINK_REF,) if prompted else ()))


def _converses_with_people(system: System) -> set[str]:
    """Models whose own answers go back to the external entities that prompt them (a chat, an assistant)."""
    callers = caller_reach(system, through_models=False)
    audience = speaks_to_outside(system, through_models=False)
    return {m.id for m in models(system) if m.id in callers.any and m.id in audience}


def _written_outside(origin: str, known: bool, note: str,
                     assumption: str) -> tuple[tuple[Factor, ...], tuple[str, ...]]:
    """A likelihood factor when outsiders are stated to write the content that comes from ``origin``; else the
    assumption that they can."""
    if known:
        return (Factor(target="likelihood", delta=1, fact=f"{origin}.content=outside", note=note),), ()
    return (), (assumption,)


def retrieved_content_injection(system: System) -> Iterator[Hit]:
    """A model that reads retrieved content from sources outsiders can write, or whose origin is unknown (when it
    also converses with people, the injected model can be turned into a social engineer against them)."""
    content = retrieval_reach(system)
    conversing = _converses_with_people(system)
    for model in models(system):
        if model.id not in content.any:
            continue
        source = content.known.get(model.id, content.any[model.id])
        factors, assumptions = _written_outside(
            source, model.id in content.known, "people outside the organisation can write content it retrieves",
            f"Who can write the content of {name_of(system, source)} is not stated; assumed outsiders can.")
        social = SOCIAL_ENGINEERING_REFS if model.id in conversing else ()
        hidden, crafted = _hidden_in_media(model)
        yield Hit(element=model.id, others=(source,), values={"source_name": name_of(system, source),
                                                              "hidden": hidden},
                  factors=factors, assumptions=assumptions,
                  references=(*social, *_drive_by(system, model, source), *crafted))


def tool_output_injection(system: System) -> Iterator[Hit]:
    """A model that reads tool results carrying content outsiders can write (when it also converses with
    people, the injected model can be turned into a social engineer against them)."""
    tools = tool_reach(system)
    conversing = _converses_with_people(system)
    for model in models(system):
        if model.id not in tools.any:
            continue
        tool = tools.known.get(model.id, tools.any[model.id])
        origin = tools.source.get(tool, tool)
        factors, assumptions = _written_outside(
            origin, model.id in tools.known, "the tool returns content written outside the organisation",
            f"Whether the content returned by {name_of(system, tool)} can be written by outsiders is not stated; "
            "assumed it can.")
        social = SOCIAL_ENGINEERING_REFS if model.id in conversing else ()
        yield Hit(element=model.id, others=tuple(dict.fromkeys((tool, origin))),
                  values={"tool": name_of(system, tool), "origin": name_of(system, origin)},
                  factors=factors, assumptions=assumptions,
                  references=(*social, *_drive_by(system, model, origin)))



# --------------------------------------------------------------------------------------------------
# T-LLM-022: a guardrail in front of a model can be evaded (LLM01)


OPEN_WEIGHTS = frozenset({ModelProvenance.open_weights_verified, ModelProvenance.open_weights_unverified})
# Attackers with their own copy of the guardrail: full access to the model, and what it detects read from it.
WHITE_BOX = ("atlas:AML.T0044", "atlas:AML.T0013")
WEIGHT_SOURCES = frozenset({Kind.model_provider, Kind.registry, Kind.data_store})


def guardrail_can_be_evaded(system: System) -> Iterator[Hit]:
    """A guardrail that screens text outsiders write (callers' prompts, retrieved content, tool results) on its
    way to a model: inputs crafted or obfuscated to pass it (encodings, hidden text, phrasing for the human
    reader) reach the model as if screened."""
    callers = caller_reach(system, through_models=False)
    content = retrieval_reach(system)
    tools = tool_reach(system)
    # The nearest model each element's content travels on to (one backward search for the whole model).
    guarded = spread(system, {m.id: m.id for m in models(system)}, kinds(CONTENT_PATH), backward=True)
    for guard in system.of_kind(Kind.guardrail):
        source = next((table[guard.id] for table in (callers.any, content.any, tools.any) if guard.id in table), None)
        if source is not None and guard.id in guarded:
            model = system.element_by_id[guarded[guard.id]]
        else:
            consulted = _consulting_model(system, guard, (callers.any, content.any, tools.any))
            if consulted is None:
                continue
            model, source = consulted
        factors: list[Factor] = []
        screened = guard.id if guard.id in guarded else model.id
        outside = callers.internet.get(screened) or content.known.get(screened) or tools.known.get(screened)
        if outside is not None:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{outside}.content=outside",
                                  note=f"people outside the organisation write what it screens "
                                       f"({name_of(system, outside)})"))
        assumptions: tuple[str, ...] = ()
        if outside is None and source in content.unknown_origin | tools.unknown:
            assumptions = (f"Who can write the content {guard.name} screens ({name_of(system, source)}) is not "
                           "stated; assumed outsiders can.",)
        copy = _copy_in_hand(system, guard)
        if copy is not None:
            factors.append(Factor(target="likelihood", delta=1, fact=copy[0], note=copy[1]))
        yield Hit(element=guard.id, others=tuple(dict.fromkeys([model.id, source])),
                  values={"model": model.name, "source_name": name_of(system, source)},
                  factors=tuple(factors), assumptions=assumptions,
                  references=WHITE_BOX if copy is not None else ())


def _copy_in_hand(system: System, guard: Element) -> tuple[str, str] | None:
    """(fact, note) when attackers can hold a copy of the guardrail itself: its weights are published
    (open-weights provenance on it or on a source it is loaded from). They then read what it looks for and tune
    inputs offline against it, with no query limit and nobody watching."""
    hubs = [e for e in system.upstream(guard.id) if e.kind in WEIGHT_SOURCES]  # not a model whose answers it reads
    for holder in [guard, *hubs]:
        if holder.model_provenance in OPEN_WEIGHTS:
            return (f"{holder.id}.model_provenance={holder.model_provenance}",
                    f"its weights are published ({holder.name}), so anyone can study it offline")
    return None


def _consulting_model(system: System, guard: Element,
                      tables: tuple[dict[str, str], ...]) -> tuple[Element, str] | None:
    """A guardrail off the content path that a model or agent consults (a two-way flow: text out, verdict back):
    the model, and where the outsiders' text it hands over comes from. A one-way filter on a model's answers is
    no input screen and is left alone."""
    for flow in system.flows_to.get(guard.id, []):
        if not flow.bidirectional:
            continue
        model = system.element_by_id.get(system.other_end(flow, guard.id))
        if model is None or model.kind not in MODELS:
            continue
        source = next((table[model.id] for table in tables if model.id in table), None)
        if source is not None:
            return model, source
    return None


FUNCTIONS: dict[str, RuleFunction] = {
    "T-LLM-001": direct_prompt_injection,
    "T-LLM-002": retrieved_content_injection,
    "T-LLM-003": tool_output_injection,
    "T-LLM-022": guardrail_can_be_evaded,
}
