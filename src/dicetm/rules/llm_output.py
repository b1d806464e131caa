"""LLM family, output: improper output handling (LLM05:2025, LLM10:2026), output sent on to outsiders with
nobody checking it, and misinformation relied on by people or by automated steps (LLM09:2025, LLM07:2026).
The lethal trifecta is ``llm_trifecta``.

Output handling fires on the model whose ``output_rendered_as`` says how its output is used (the fact lives
there); the scenario names the component that renders or executes it. Shell/code output handed to a tool with
execute permission is left to T-AGENT-005, which fires on that tool. Output that reaches people goes through
front ends: a process an outsider sends requests to shows them the answers (``reach.front_ends``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from dicetm.model import STORE_KINDS, TOOL_KINDS, Element, Factor, Kind, OutputFormat, Permission, System
from dicetm.rules.base import Hit, RuleFunction, per_system
from dicetm.rules.reach import (
    RELAYS,
    SENSITIVE,
    SHOWN_STORES,
    caller_reach,
    front_ends,
    kinds,
    loop_owners,
    models,
    name_of,
    rank,
    requests_from,
    requests_to,
    speaks_to_outside,
    spread,
)
from dicetm.rules.reach_content import (
    attacker_input,
    grounded,
)

# --------------------------------------------------------------------------------------------------
# T-LLM-008 .. 011: improper output handling (LLM05)


def _direct_consumer(system: System, model: Element, preference: tuple[Kind, ...]) -> str | None:
    """The first element the model sends output to, by kind preference."""
    receivers = [e for e in system.downstream(model.id) if e.kind in preference]
    for kind in preference:
        for element in receivers:
            if element.kind is kind:
                return element.id
    return None


def _database_consumers(system: System) -> dict[str, str]:
    """Elements whose output reaches a data store through relays, tools or a retriever that runs queries:
    id -> data store."""
    starts = {e.id: e.id for e in system.elements if e.kind is Kind.data_store}
    return spread(system, starts, kinds(RELAYS | TOOL_KINDS | {Kind.retriever}), backward=True)


def _output_hit(
    system: System, model: Element, attacker: Mapping[str, str], consumer_id: str | None, fallback: str,
    assumptions: tuple[str, ...] = (), formats: str = "",
) -> Hit:
    factors: list[Factor] = []
    if model.id in attacker:
        source = attacker[model.id]
        factors.append(Factor(target="likelihood", delta=1, fact=f"{model.id}.input_from={source}",
                              note=f"text from outside ({name_of(system, source)}) reaches its prompt"))
    consumer = system.element_by_id.get(consumer_id) if consumer_id else None
    if consumer is not None and rank(consumer.classification) >= SENSITIVE:
        factors.append(Factor(target="impact", delta=1, fact=f"{consumer.id}.classification>=confidential",
                              note="the component acting on the output holds sensitive data"))
    return Hit(element=model.id, others=(consumer.id,) if consumer else (),
               values={"consumer": consumer.name if consumer else fallback, "formats": formats},
               factors=tuple(factors), assumptions=assumptions)


def _near_receivers(system: System, model: Element) -> list[Element]:
    """What takes the model's output: its receivers, and theirs when a receiver is an orchestrator."""
    near = system.downstream(model.id)
    return [*near, *(e for o in near if o.kind in (Kind.process, Kind.retriever) for e in system.downstream(o.id)
                     if e.id != model.id)]


def _sink_models(system: System, sink: OutputFormat) -> list[tuple[Element, tuple[str, ...]]]:
    """Models whose output is used as ``sink``: stated on the model, or (unstated there) on a component that
    takes its output, with the assumption that says so."""
    found: list[tuple[Element, tuple[str, ...]]] = []
    for model in models(system):
        if model.output_rendered_as is not None:
            if sink in model.output_rendered_as:
                found.append((model, ()))
            continue
        users = [e for e in _near_receivers(system, model) if e.output_rendered_as and sink in e.output_rendered_as]
        if users:
            found.append((model, (f"How the output of {model.name} is used is not stated on it; taken from "
                                  f"{_names(users)}, which uses it as {sink.value}.",)))
    return found


@per_system
def _attackers(system: System) -> dict[str, str]:
    return attacker_input(system, caller_reach(system, through_models=False))


def _renderer(system: System, model: Element, speaks: Mapping[str, str]) -> str | None:
    """The front end that shows the model's output to people: a relay on the way to a user, else the user."""
    for element in system.downstream(model.id):
        if element.kind is Kind.process and element.id in speaks:
            return element.id
    return speaks.get(model.id)


def _renders_markup(element: Element) -> bool:
    return bool(set(element.output_rendered_as or ()) & {OutputFormat.html, OutputFormat.markdown})


RENDER_HOPS = 3  # model -> back end -> store -> console: further away is another feature's screen


def _renderers(system: System, model: Element) -> tuple[list[str], list[str]]:
    """Components that show the model's output: processes stated to render HTML or Markdown, and front ends people
    use, within a few hops (those reached through relays only, and those reached through a store the output is
    kept in: a transcript opened in an agent console, a summary shown on a dashboard, where stored markup fires
    later for other people). The search is bounded, so it costs the same on any model size."""
    answering = front_ends(system)
    direct: dict[str, None] = {}
    stored: dict[str, None] = {}
    seen = {(model.id, False)}
    frontier = [(model.id, False)]
    for _hop in range(RENDER_HOPS):
        ahead: list[tuple[str, bool]] = []
        for current, via_store in frontier:
            for receiver in system.downstream(current):
                kept = via_store or receiver.kind in SHOWN_STORES
                if receiver.kind not in RELAYS | SHOWN_STORES or (receiver.id, kept) in seen:
                    continue
                seen.add((receiver.id, kept))
                ahead.append((receiver.id, kept))
                if receiver.kind is Kind.process and (_renders_markup(receiver) or receiver.id in answering):
                    (stored if kept else direct)[receiver.id] = None
        frontier = ahead
    return list(direct), [i for i in stored if i not in direct]


MARKUP = {OutputFormat.html: "HTML", OutputFormat.markdown: "Markdown"}


def output_rendered_as_markup(system: System) -> Iterator[Hit]:
    """Model output rendered as HTML or Markdown: stated on the model, else stated on a component that shows its
    output, else assumed (Markdown) when the output reaches users. The finding names every component that shows
    the output, also those reached through a store it is kept in."""
    attacker = _attackers(system)
    speaks = speaks_to_outside(system, through_models=False)
    for model in models(system):
        direct, stored = _renderers(system, model)
        showing = [system.element_by_id[i] for i in [*direct, *stored]]
        assumptions: tuple[str, ...] = ()
        factors: tuple[Factor, ...] = ()
        if model.output_rendered_as is None:
            shown_as = {f: e for e in reversed(showing) for f in e.output_rendered_as or () if f in MARKUP}
            if shown_as:
                chosen = [MARKUP[f] for f in MARKUP if f in shown_as]
                renderers = list({e.id: e for e in shown_as.values()}.values())
                assumptions = (f"How the output of {model.name} is used is not stated on it; taken from "
                               f"{_names(renderers)}, which renders it as {' and '.join(chosen)}.",)
                if OutputFormat.html in shown_as:
                    factors = (Factor(target="likelihood", delta=1, fact=f"{shown_as[OutputFormat.html].id}."
                                      "output_rendered_as~html", note="raw HTML allows script injection, not only "
                                      "image links"),)
            elif model.id in speaks:
                chosen = ["Markdown"]
                assumptions = (f"How the output of {model.name} is displayed is not stated; assumed it is "
                               "rendered as Markdown, as most chat interfaces do.",)
            else:
                continue
        else:
            chosen = [MARKUP[f] for f in model.output_rendered_as if f in MARKUP]
            if not chosen:
                continue
        renderer = _renderer(system, model, speaks) or next(iter([*direct, *stored]), None)
        hit = _output_hit(system, model, attacker, renderer, "the user's client", assumptions,
                          formats=" and ".join(chosen))
        later = [system.element_by_id[i] for i in stored]
        text = (f" The output is also kept and shown again through {_names(later)}, where a stored payload "
                "fires later, in other people's sessions." if later else "")
        others = dict.fromkeys([*hit.others, *direct, *stored])
        yield dataclasses.replace(hit, others=tuple(others), values={**hit.values, "later": text},
                                  factors=(*hit.factors, *factors))


def output_executed_as_sql(system: System) -> Iterator[Hit]:
    """Model output run as SQL against a database (stated on the model, or on the component that runs it)."""
    sinks = _sink_models(system, OutputFormat.sql)
    if not sinks:
        return
    attacker = _attackers(system)
    databases = _database_consumers(system)
    for model, assumptions in sinks:
        yield _output_hit(system, model, attacker, databases.get(model.id), "the database", assumptions)


def _runs_through_execute_tool(system: System, model: Element) -> bool:
    """The model's output reaches a tool with execute permission, directly or through the orchestrator (a
    process or retriever) that runs its tool calls."""
    return any(e.kind in TOOL_KINDS and e.permissions and Permission.execute in e.permissions
               for e in _near_receivers(system, model))


def _execution_hits(system: System, sink: OutputFormat, fallback: str) -> Iterator[Hit]:
    """Generated commands or code run by application code (a process) or by an executor not modelled.

    When the model hands its output to a tool with execute permission, the AGENT family's
    T-AGENT-005 (agent-code-execution-not-sandboxed) owns the threat on that tool, so it is not
    repeated here on the model.
    """
    sinks = _sink_models(system, sink)
    if not sinks:
        return
    attacker = _attackers(system)
    for model, assumptions in sinks:
        if _runs_through_execute_tool(system, model):
            continue
        consumer = _direct_consumer(system, model, (Kind.process, Kind.tool, Kind.mcp_server))
        yield _output_hit(system, model, attacker, consumer, fallback, assumptions)


def output_executed_as_shell(system: System) -> Iterator[Hit]:
    """Model output run as shell commands (stated on the model, or on the component that runs them)."""
    yield from _execution_hits(system, OutputFormat.shell, "the host that runs the commands")


def output_executed_as_code(system: System) -> Iterator[Hit]:
    """Model output run as program code (stated on the model, or on the component that runs it)."""
    yield from _execution_hits(system, OutputFormat.code, "the runtime that executes it")


# --------------------------------------------------------------------------------------------------
# T-LLM-017: output handed to a component whose handling of it is not stated (LLM05)


def _can_execute(element: Element) -> bool:
    return element.executes_code is True or bool(element.permissions and Permission.execute in element.permissions)


def _automated_receivers(system: System, model: Element, speaks: Mapping[str, str]) -> list[Element]:
    """Components that take the model's output and are not on the way to a person: processes and stores.

    Tools are left to the AGENT family, whose rules ask how a tool checks the calls a model makes, and so is
    what an agent acts on itself (``acts_on``, T-AGENT-012, or a store it writes: an action, not output that
    someone else handles)."""
    kinds_taken = (Kind.process,) if model.kind is Kind.agent else (Kind.process, Kind.data_store)
    return [e for e in system.downstream(model.id)
            if e.kind in kinds_taken and e.id not in speaks and e.id != model.acts_on]


def output_handling_unstated(system: System) -> Iterator[Hit]:
    """Model output reaching a process or store while nothing says how it is used there.

    Rather than stay silent when ``output_rendered_as`` is unset, the finding assumes the receiver treats
    the output as trusted input and says so; output that only reaches people is T-LLM-008's."""
    attacker = _attackers(system)
    speaks = speaks_to_outside(system, through_models=False)
    for model in models(system):
        if model.output_rendered_as is not None:
            continue
        # A receiver stating how it uses the output (output_rendered_as) is T-LLM-008 .. 011's.
        receivers = [e for e in _automated_receivers(system, model, speaks) if e.output_rendered_as is None]
        if not receivers:
            continue
        executing = [e for e in receivers if _can_execute(e)]
        factors: list[Factor] = []
        if model.id in attacker:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{model.id}.input_from={attacker[model.id]}",
                                  note=f"text from outside ({name_of(system, attacker[model.id])}) reaches "
                                       "its prompt"))
        if executing:
            factors.append(Factor(target="impact", delta=1, fact=f"{executing[0].id}.executes",
                                  note=f"{executing[0].name} can execute what it receives"))
        assumptions = (f"How {_names(receivers)} use the output of {model.name} is not stated "
                       "(output_rendered_as); assumed they pass it on unchecked as trusted input.",)
        yield Hit(element=model.id, others=tuple(e.id for e in receivers),
                  values={"receivers": _names(receivers)}, factors=tuple(factors), assumptions=assumptions,
                  references=("atlas:AML.T0050",) if executing else ())


def _names(elements: list[Element]) -> str:
    names = [e.name for e in elements]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------------------------------
# T-LLM-013 and T-LLM-018: misinformation, relied on by people or by automated steps (LLM09)


def _answer_path(system: System, model: Element) -> list[str]:
    """The models an agent drives, and the front ends and stores that show the answers: where the answer is made
    and shown."""
    speaks = speaks_to_outside(system, through_models=False, through_stores=True)
    driven = [e.id for e in system.downstream(model.id) if model.kind is Kind.agent and e.kind is Kind.llm]
    shown = [e.id for e in system.downstream(model.id) if e.kind in SHOWN_STORES | {Kind.process} and e.id in speaks]
    return [*driven, *shown]


def unchecked_answers_drive_decisions(system: System) -> Iterator[Hit]:
    """A model whose answers people act on without independent checking: its output reaches people, directly,
    through a front end or through a store they read (drafted reviews, reports, ticket notes). The finding names
    the models an agent drives, the front ends that show the answers and the stores people read them from too.
    Where outsiders can steer the answer (internet callers, content they write), they can also dress it up as
    trustworthy (citations, links), which the references then say."""
    speaks = speaks_to_outside(system, through_stores=True)
    grounded_by = grounded(system)
    attacker = _attackers(system)
    for model in loop_owners(system):
        if model.answers_drive_decisions is False or model.id not in speaks:
            continue
        factors: list[Factor] = []
        assumptions: list[str] = []
        if model.answers_drive_decisions is None:
            assumptions.append(f"Whether answers of {model.name} are checked before people act on them is "
                               "not stated; assumed they are not.")
        if model.id not in grounded_by:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{model.id}.retrieval=none",
                                  note="no retrieval grounds its answers in your own sources"))
        audience = speaks[model.id]
        others = tuple(dict.fromkeys([*_answer_path(system, model), audience]))
        references = ["atlas:AML.T0067"] if model.id in attacker else []
        liable = ""
        if model.answers_drive_decisions is True and system.element_by_id[audience].kind is Kind.external_entity:
            references.append("atlas:AML.T0048.000")
            liable = (" A wrong answer acted on costs money, and the organisation can be held to what its model "
                      "told people, as to what its staff said.")
        yield Hit(element=model.id, others=others, values={"audience": name_of(system, audience), "liable": liable},
                  factors=tuple(factors), assumptions=tuple(assumptions), references=tuple(references))


def _changes_something(system: System, element: Element) -> bool:
    if element.kind is Kind.data_store:
        return True
    if element.permissions is not None and {Permission.write, Permission.execute} & set(element.permissions):
        return True
    return any(e.kind in STORE_KINDS for e in system.downstream(element.id))


def errors_drive_automated_steps(system: System) -> Iterator[Hit]:
    """A model whose output feeds automated steps (a pipeline process, a tool, a store) with no person checking.

    Kept apart from T-LLM-013: there nobody is there to notice a wrong answer, so an error becomes an action.
    Stated ``answers_drive_decisions: true`` is enough; unset, the receiver must change something."""
    speaks = speaks_to_outside(system)
    for model in models(system):
        if model.answers_drive_decisions is False:
            continue
        receivers = _automated_receivers(system, model, speaks)
        if model.answers_drive_decisions is None:
            receivers = [e for e in receivers if _changes_something(system, e)]
        if not receivers:
            continue
        assumptions: tuple[str, ...] = ()
        if model.answers_drive_decisions is None:
            assumptions = (f"Whether the output of {model.name} is checked before {_names(receivers)} act on "
                           "it is not stated; assumed it is not.",)
        yield Hit(element=model.id, others=tuple(e.id for e in receivers), values={"receivers": _names(receivers)},
                  assumptions=assumptions)


# --------------------------------------------------------------------------------------------------
# T-LLM-023: output sent on to outsiders with nobody checking it (LLM05, LLM06, cascading)


def _recipients(system: System, relay: Element) -> list[Element]:
    """External entities ``relay`` sends to that send it nothing back: recipients of what it sends, not callers
    it answers (a two-way flow, or a request from the entity, makes the entity a caller)."""
    callers = {f.source for f in requests_to(system, relay.id)} | {
        system.other_end(f, relay.id) for f in system.flows_from.get(relay.id, []) if f.bidirectional}
    found: dict[str, Element] = {}
    for flow in requests_from(system, relay.id):
        target = system.element_by_id.get(flow.target)
        if target is not None and target.kind is Kind.external_entity and target.id not in callers:
            found.setdefault(target.id, target)
    return list(found.values())


def output_sent_out_unreviewed(system: System) -> Iterator[Hit]:
    """A model whose output a back-end process sends on to outside recipients (mail, messages, posts to
    partners: external entities that send that process nothing) automatically, with no person approving what
    goes out. Where outsiders can write what the model reads, a planted prompt can copy itself into what is sent
    and spread to the recipients' own assistants."""
    attacker = _attackers(system)
    answering = front_ends(system)
    for model in loop_owners(system):
        if model.human_approval_required is True:
            continue
        # A front end answers its users; what else it fetches (rendered links and images) is T-LLM-008's.
        relays = [e for e in system.downstream(model.id) if e.kind is Kind.process and e.id not in answering
                  and e.human_approval_required is not True]
        sending = [(relay, recipients) for relay in relays if (recipients := _recipients(system, relay))]
        if not sending:
            continue
        recipients = list({r.id: r for _relay, found in sending for r in found}.values())
        factors: list[Factor] = []
        references: tuple[str, ...] = ()
        if model.id in attacker:
            source = attacker[model.id]
            factors.append(Factor(target="likelihood", delta=1, fact=f"{model.id}.input_from={source}",
                                  note=f"outsiders write what it reads ({name_of(system, source)}), and what it "
                                       "writes goes out again"))
            references = ("atlas:AML.T0061",)
        if all(r.egress_restricted is True for r, _f in sending):
            factors.append(Factor(target="likelihood", delta=-1, fact=f"{sending[0][0].id}.egress_restricted",
                                  note="what is sent can only go to allow-listed destinations"))
        unstated = [e for e in (model, *(r for r, _f in sending)) if e.human_approval_required is None]
        assumptions = tuple(f"Whether a person approves what {e.name} sends out is not stated; assumed nobody does."
                            for e in unstated[:1])
        yield Hit(element=model.id, others=tuple(dict.fromkeys([*(r.id for r, _f in sending),
                                                                *(r.id for r in recipients)])),
                  values={"relays": _names([r for r, _f in sending]), "recipients": _names(recipients)},
                  factors=tuple(factors), assumptions=assumptions, references=references)


FUNCTIONS: dict[str, RuleFunction] = {
    "T-LLM-008": output_rendered_as_markup,
    "T-LLM-009": output_executed_as_sql,
    "T-LLM-010": output_executed_as_shell,
    "T-LLM-011": output_executed_as_code,
    "T-LLM-013": unchecked_answers_drive_decisions,
    "T-LLM-017": output_handling_unstated,
    "T-LLM-018": errors_drive_automated_steps,
    "T-LLM-023": output_sent_out_unreviewed,
}
