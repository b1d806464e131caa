"""AGENT family, the agent loop: memory poisoning, agent-to-agent trust, unbounded loops, untraceable actions
and human approval wearing down. Conventions are those of ``rules.agent``; every function is linear in the
model."""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import TOOL_KINDS, Element, Exposure, Factor, Flow, Kind, System
from dicetm.rules.agent_common import (
    ACTING,
    MANY_APPROVAL_GATES,
    MODEL_KINDS,
    Reach,
    acting_factors,
    acting_tool_factor,
    approval_gap,
    can_act,
    impact_factor,
    invokers_of,
    join_names,
    likelihood_factor,
    rank_of,
    sensitivity_factor,
    talks_to_model,
    targets_of,
    tools_of,
    untrusted_reach,
)
from dicetm.rules.base import Hit, RuleFunction

# --- T-AGENT-006 memory poisoning -----------------------------------------------------------------

# Elements that pass stored content on to a model's context without being a model themselves.
CONTEXT_RELAYS = frozenset({Kind.process, Kind.retriever, Kind.guardrail})
OPEN_EXPOSURE = frozenset({Exposure.internet, Exposure.partner})
HISTORY_EDIT_REFS = ("atlas:AML.T0092",)


def _shared_memory_factor(memory: Element) -> tuple[tuple[Factor, ...], tuple[str, ...]]:
    if memory.multi_tenant is False:
        return (), ()
    state = "true" if memory.multi_tenant else "unset"
    factor = impact_factor(1, f"{memory.id}.multi_tenant={state}", f"Entries in {memory.name} reach other users' "
                     "sessions.")
    if memory.multi_tenant is None:
        return (factor,), (f"Whether {memory.name} is kept per user and session is not stated; assumed it "
                           "is shared.",)
    return (factor,), ()


def agent_memory_poisonable(system: System) -> Iterator[Hit]:
    """A memory an llm/agent reads back that untrusted input can write."""
    reach = untrusted_reach(system)
    by_model = acting_factors(system)
    for memory in system.elements:
        if memory.kind is not Kind.memory or not reach.reaches(memory.id):
            continue
        readers = context_readers(system, memory.id)
        if not readers:
            continue
        writers = [e for e in system.upstream(memory.id) if reach.reaches(e.id)]
        # Written through an interface open to the internet: whoever holds a user's session can also edit or
        # delete the stored history, to plant instructions or hide them afterwards.
        edited = tuple(HISTORY_EDIT_REFS) if any(w.exposure in OPEN_EXPOSURE and w.kind not in MODEL_KINDS
                                                 for w in system.upstream(memory.id)) else ()
        content_factors, reach_assumptions = reach.evidence(memory)
        shared_factors, shared_assumptions = _shared_memory_factor(memory)
        acting = next((by_model[r.id] for r in readers if r.id in by_model), ())
        # No record of who wrote an entry: a planted one cannot be traced to the input that carried it.
        untraced = ("owasp-agentic:T8",) if memory.audit_logging is not True else ()
        trace_assumptions = ((f"Whether writes to {memory.name} are logged with their source is not stated "
                              "(audit_logging); assumed not.",) if memory.audit_logging is None else ())
        yield Hit(
            element=memory.id,
            others=tuple(dict.fromkeys(e.id for e in [*writers, *readers])),
            values={"writers": join_names(writers) if writers else "content written by outsiders",
                    "readers": join_names(readers)},
            factors=(*content_factors, *shared_factors, *acting),
            assumptions=(*reach_assumptions, *shared_assumptions, *trace_assumptions),
            references=edited + untraced,
        )


def context_readers(system: System, store_id: str) -> list[Element]:
    """The models and agents whose context a store feeds: read directly, or handed on by processes, retrievers
    or guardrails in between (an orchestrator that hydrates the prompt from memory). Linear in the model."""
    readers: dict[str, Element] = {}
    seen = {store_id}
    stack = [store_id]
    while stack:
        for nxt in system.downstream(stack.pop()):
            if nxt.id in seen:
                continue
            seen.add(nxt.id)
            if nxt.kind in MODEL_KINDS:
                readers[nxt.id] = nxt
            elif nxt.kind in CONTEXT_RELAYS:
                stack.append(nxt.id)
    return sorted(readers.values(), key=lambda e: e.id)


# --- T-AGENT-015 an agent's own mistakes kept in memory -------------------------------------------


def memory_keeps_agent_mistakes(system: System) -> Iterator[Hit]:
    """A memory a model or agent writes to itself and that feeds a model's context again, with no check on what
    is stored: a wrong fact, a failed approach or a hallucinated rule is read back later as established
    knowledge and reinforced, session after session (quiet when entries are validated before they are
    stored)."""
    for memory in system.of_kind(Kind.memory):
        if memory.input_validation is True:
            continue
        writers = [e for e in system.upstream(memory.id) if e.kind in MODEL_KINDS]
        readers = context_readers(system, memory.id)
        if not writers or not readers:
            continue
        shared, shared_assumptions = _shared_memory_factor(memory)
        assumptions = shared_assumptions
        if memory.input_validation is None:
            assumptions = (f"Whether entries are checked before {memory.name} stores them is not stated; assumed "
                           "they are stored as the model wrote them.", *assumptions)
        yield Hit(element=memory.id, others=tuple(dict.fromkeys(e.id for e in [*writers, *readers])),
                  values={"writers": join_names(writers), "readers": join_names(readers)},
                  factors=shared, assumptions=assumptions)


# --- T-AGENT-007 inter-agent spoofing -------------------------------------------------------------


def _agent_flow_receivers(system: System, flow: Flow) -> list[tuple[Element, Element]]:
    """(receiver, sender) pairs of an agent-to-agent flow; both ends receive on a bidirectional flow."""
    source = system.element_by_id.get(flow.source)
    target = system.element_by_id.get(flow.target)
    if source is None or target is None or source.id == target.id:
        return []
    if source.kind is not Kind.agent or target.kind is not Kind.agent:
        return []
    pairs = [(target, source)]
    if flow.bidirectional:
        pairs.append((source, target))
    return pairs


def inter_agent_message_unauthenticated(system: System) -> Iterator[Hit]:
    """An agent accepting messages from another agent over a flow without authentication."""
    by_model = acting_factors(system)
    for flow in system.flows:
        if flow.authenticated is True:
            continue
        assumptions: tuple[str, ...] = ()
        if flow.authenticated is None:
            assumptions = (f"Authentication of the flow '{flow.data or flow.id}' is not stated; "
                           "assumed none.",)
        for receiver, sender in _agent_flow_receivers(system, flow):
            factors: list[Factor] = []
            if system.crosses_boundary(flow):
                factors.append(likelihood_factor(1, f"{flow.id}.crosses_boundary",
                                           "The messages cross a trust boundary."))
            if sender.third_party is True:
                factors.append(likelihood_factor(1, f"{sender.id}.third_party=true",
                                           f"{sender.name} is operated by a third party."))
            factors.extend(by_model.get(receiver.id, ()))
            yield Hit(element=receiver.id, flow=flow.id, others=(sender.id,),
                      values={"sender": sender.name, "receiver": receiver.name},
                      factors=tuple(factors), assumptions=assumptions)


# --- T-AGENT-008 cascading failures / rogue peers --------------------------------------------------


def agent_trusts_peer_agent_output(system: System) -> Iterator[Hit]:
    """An agent fed directly by another agent, with no guardrail between them. When untrusted input reaches the
    peer and this agent has tools that act, people outside can use the delegation to get those actions
    (human attacks on multi-agent systems, agentic T14)."""
    reach = untrusted_reach(system)
    for agent in system.elements:
        if agent.kind is not Kind.agent:
            continue
        peers = [e for e in system.upstream(agent.id) if e.kind is Kind.agent]
        if not peers:
            continue
        factors: list[Factor] = []
        exposed = [p for p in peers if reach.reaches(p.id)]
        if exposed:
            factors.append(likelihood_factor(1, f"{exposed[0].id}.reachable_from=untrusted_input",
                                       f"Untrusted input reaches {join_names(exposed)}; an injection can "
                                       "travel on."))
        acting = acting_tool_factor([agent], tools_of(system, agent))
        factors.extend(acting)
        # Outsiders who reach a peer can use the delegation to get what only this agent's tools can do.
        delegated = ("owasp-agentic:T14",) if exposed and acting else ()
        yield Hit(element=agent.id, others=tuple(p.id for p in peers),
                  values={"peers": join_names(peers)}, factors=tuple(factors), references=delegated)


# --- T-AGENT-009 resource overload -----------------------------------------------------------------


def agent_tool_loop_unbounded(system: System) -> Iterator[Hit]:
    """An llm/agent that calls write/execute tools with no step, token or cost budget."""
    reach = untrusted_reach(system)
    for agent in system.elements:
        if agent.kind not in MODEL_KINDS or agent.budget_limited is True:
            continue
        acting = [t for t in tools_of(system, agent) if can_act(t)]
        if not acting:
            continue
        assumptions: tuple[str, ...] = ()
        if agent.budget_limited is None:
            assumptions = (f"Whether {agent.name} has a step, token or cost budget is not stated; "
                           "assumed none.",)
        reach_factors, reach_assumptions = reach.factor(agent)
        yield Hit(element=agent.id, others=tuple(t.id for t in acting), values={"tools": join_names(acting)},
                  factors=tuple(reach_factors[:1]), assumptions=(*assumptions, *reach_assumptions))


# --- T-AGENT-010 repudiation ------------------------------------------------------------------------


def agent_actions_not_traceable(system: System) -> Iterator[Hit]:
    """An llm/agent that can change things through tools but keeps no audit trail."""
    top_targets: dict[str, Element | None] = {}
    for agent in system.elements:
        if agent.kind not in MODEL_KINDS or agent.audit_logging is True:
            continue
        acting = [t for t in tools_of(system, agent) if can_act(t)]
        if not acting:
            continue
        assumptions: tuple[str, ...] = ()
        if agent.audit_logging is None:
            assumptions = (f"Whether {agent.name} logs its tool calls with the user behind them is not "
                           "stated; assumed it does not.",)
        factors: list[Factor] = []
        if all(t.audit_logging is True for t in acting):
            factors.append(impact_factor(-1, f"{acting[0].id}.audit_logging=true",
                                   f"{join_names(acting)} log what they do, though not the prompt or user that "
                                   "caused it."))
        tops = [top for tool in acting if (top := _top_target(system, tool, top_targets)) is not None]
        factors.extend(sensitivity_factor(agent, tops, cap=1))
        yield Hit(element=agent.id, others=tuple(t.id for t in acting), values={"tools": join_names(acting)},
                  factors=tuple(factors), assumptions=assumptions)


def _top_target(system: System, tool: Element, cache: dict[str, Element | None]) -> Element | None:
    """The most sensitive classified target of ``tool`` (cached: a tool shared by many agents is expanded
    once)."""
    if tool.id not in cache:
        ranked = [t for t in targets_of(system, tool) if t.classification is not None]
        cache[tool.id] = max(ranked, key=rank_of) if ranked else None
    return cache[tool.id]


# --- T-AGENT-011 overwhelming the human in the loop -----------------------------------------------


def acts(element: Element) -> bool:
    """Changes or executes something: a tool that can act, or an agent/process with stated write/execute rights."""
    if element.kind in TOOL_KINDS:
        return can_act(element)
    return bool(element.permissions and ACTING & set(element.permissions)) or element.executes_code is True


def _people_at(system: System, element: Element) -> list[Element]:
    """The people (external entities) who send to or read from ``element``."""
    return [e for e in (*system.upstream(element.id), *system.downstream(element.id)) if e.kind is Kind.external_entity]


def _fatigue_hit(system: System, reach: Reach, gate: Element, gated: list[Element]) -> Hit:
    factors: list[Factor] = []
    assumptions: list[str] = []
    if reach.reaches(gate.id):
        content_factors, reach_assumptions = reach.evidence(gate)
        factors.append(likelihood_factor(1, f"{gate.id}.reachable_from=untrusted_input",
                                   f"Outsiders can drive {gate.name}, so they decide how many requests arrive."))
        factors.extend(content_factors)
        assumptions.extend(reach_assumptions)
    if gate.rate_limited is True:
        factors.append(likelihood_factor(-1, f"{gate.id}.rate_limited=true", "Requests are rate-limited, which bounds "
                                   "how many approvals can pile up."))
    if len(gated) >= MANY_APPROVAL_GATES:
        factors.append(likelihood_factor(1, f"{gate.id}.approval_gated_tools={len(gated)}",
                                   f"{len(gated)} tools wait for approval; reviewers see many requests."))
    tools = f"{join_names(gated)} of {gate.name}" if gated else f"the actions of {gate.name}"
    # The people or review queues the approval requests go to, when the model shows them: a process a person
    # works in (one sends to it or reads from it) is where the requests pile up, and the person is named too.
    reviewers = [e for step in [gate, *gated] for e in system.downstream(step.id)
                 if e.kind is Kind.external_entity or (e.kind is Kind.process and (
                     e.human_approval_required is True or _people_at(system, e)))]
    people = [p for e in reviewers if e.kind is Kind.process for p in _people_at(system, e)]
    others = dict.fromkeys(e.id for e in [*gated, *reviewers, *people] if e.id != gate.id)
    return Hit(element=gate.id, others=tuple(others), values={"tools": tools},
               factors=tuple(factors), assumptions=tuple(assumptions))


def _review_loop(system: System, model: Element) -> list[Element]:
    """People who check a model's work: an external entity it sends to on a one-way flow and that sends back to
    it on another, while the work itself comes in as content outsiders write (submissions, tickets). Only
    for a model whose output matters: it acts (a tool that can act, or rights of its own) or drives decisions."""
    if not (model.answers_drive_decisions is True or acts(model)
            or any(can_act(t) for t in tools_of(system, model))):
        return []
    sent = {f.target for f in system.flows_from.get(model.id, []) if f.source == model.id and not f.bidirectional}
    back = {f.source for f in system.flows_to.get(model.id, []) if f.target == model.id and not f.bidirectional}
    people = [system.element_by_id[p] for p in sorted(sent & back)
              if system.element_by_id[p].kind is Kind.external_entity]
    # The cases come in as content (submissions, tickets, documents), not as a person's questions: a chat drawn as
    # two one-way flows has no such source.
    work = [e for e in system.upstream(model.id) if e.kind is not Kind.external_entity and e.kind not in TOOL_KINDS
            and e.untrusted_content is True]
    return people if work else []


def _review_hit(system: System, reach: Reach, model: Element, reviewers: list[Element]) -> Hit:
    hit = _fatigue_hit(system, reach, model, [])
    names = join_names(reviewers)
    assumption = (f"{names} receives the work of {model.name} and sends decisions back to it: taken as a review "
                  "step (state human_approval_required to say what waits for a person).")
    return Hit(element=hit.element, others=tuple(dict.fromkeys([*hit.others, *(r.id for r in reviewers)])),
               values={"tools": f"the cases {model.name} refers to {names}"}, factors=hit.factors,
               assumptions=(*hit.assumptions, assumption))


def human_approval_can_wear_down(system: System) -> Iterator[Hit]:
    """Every approval step a model's actions pass: an agent whose tools (or own actions) wait for a person, a
    gated tool or process no agent owns, a queue (a process stated to wait for a person) that a model's verdicts
    or drafts reach within three steps, or a review loop drawn as flows (a model that acts or drives decisions
    sends work to a person who sends decisions back, while the work comes from elsewhere). Volume and routine
    wear the check down into rubber-stamping, whether or not outsiders add to the volume (they raise the
    likelihood)."""
    reach = untrusted_reach(system)
    covered: set[str] = set()
    for agent in system.elements:
        if agent.kind not in MODEL_KINDS:
            continue
        gated = [t for t in tools_of(system, agent) if can_act(t) and approval_gap(t, [agent]) is None]
        if not gated and not (agent.human_approval_required is True and acts(agent)):
            reviewers = _review_loop(system, agent)
            if reviewers:
                yield _review_hit(system, reach, agent, reviewers)
            continue
        covered.update(t.id for t in gated)
        yield _fatigue_hit(system, reach, agent, gated)
    for element in system.elements:
        if element.id in covered or element.human_approval_required is not True or element.kind not in (
                *TOOL_KINDS, Kind.process):
            continue
        if element.kind is Kind.process and not talks_to_model(system, element) and _verdicts_reach(system, element):
            hit = _fatigue_hit(system, reach, element, [])  # a queue where people confirm what a model flagged
            people = tuple(p.id for p in _people_at(system, element))
            yield Hit(element=hit.element, others=tuple(dict.fromkeys([*hit.others, *people])),
                      values={"tools": f"what waits in {element.name}"},
                      factors=hit.factors, assumptions=hit.assumptions)
            continue
        if not acts(element) or not (invokers_of(system, element) if element.kind in TOOL_KINDS
                                      else talks_to_model(system, element)):
            continue
        yield _fatigue_hit(system, reach, element, [])


def _verdicts_reach(system: System, element: Element) -> bool:
    """A model's output arrives at ``element`` within three steps through processes: a review queue of what a
    classifier or a language model flagged, held or drafted."""
    frontier = [element]
    seen = {element.id}
    for _step in range(3):
        ahead = [e for f in frontier for e in system.upstream(f.id) if e.id not in seen]
        if any(e.kind in (*MODEL_KINDS, Kind.ml_model) for e in ahead):
            return True
        seen.update(e.id for e in ahead)
        frontier = [e for e in ahead if e.kind is Kind.process]
    return False


FUNCTIONS: dict[str, RuleFunction] = {
    "T-AGENT-006": agent_memory_poisonable,
    "T-AGENT-007": inter_agent_message_unauthenticated,
    "T-AGENT-008": agent_trusts_peer_agent_output,
    "T-AGENT-009": agent_tool_loop_unbounded,
    "T-AGENT-010": agent_actions_not_traceable,
    "T-AGENT-011": human_approval_can_wear_down,
    "T-AGENT-015": memory_keeps_agent_mistakes,
}
