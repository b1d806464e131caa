"""Shared ground of the AGENT rules (``rules.agent``, ``rules.agent_loop``, ``rules.agent_actions``) and of the
rules elsewhere that ask who invokes a tool, what it acts on, which components execute code and how far
untrusted input reaches. The conventions are those in the docstring of ``rules.agent``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dicetm.model import (
    TOOL_KINDS,
    Classification,
    ComputerUse,
    Element,
    Factor,
    Kind,
    Permission,
    System,
)
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import per_system
from dicetm.rules.reach import front_ends, loaded_weights

MODEL_KINDS = frozenset({Kind.llm, Kind.agent})
NOT_A_TARGET = frozenset({Kind.llm, Kind.agent, Kind.guardrail})
ACTING = frozenset({Permission.write, Permission.execute})
# Components that run the tool calls a model asks for when no agent element does (function calling).
ORCHESTRATORS = frozenset({Kind.process, Kind.retriever})
# What a browser or desktop an agent drives is drawn as: the browser itself, and the sites and accounts behind it.
SCREEN_KINDS = frozenset({Kind.process, Kind.data_store, Kind.knowledge_source})
MANY_APPROVAL_GATES = 3
CONFIDENTIAL = CLASSIFICATION_RANK[Classification.confidential]
PERSONAL = CLASSIFICATION_RANK[Classification.personal]




def join_names(elements: Iterable[Element]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [e.name for e in elements]
    if not names:
        return "nothing"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def likelihood_factor(delta: int, fact: str, note: str) -> Factor:
    return Factor(target="likelihood", delta=delta, fact=fact, note=note)


def impact_factor(delta: int, fact: str, note: str) -> Factor:
    return Factor(target="impact", delta=delta, fact=fact, note=note)


def rank_of(element: Element) -> int:
    return -1 if element.classification is None else CLASSIFICATION_RANK[element.classification]


def talks_to_model(system: System, element: Element) -> bool:
    return any(n.kind in MODEL_KINDS for n in (*system.downstream(element.id), *system.upstream(element.id)))


def invokers_of(system: System, tool: Element) -> list[Element]:
    """The elements that call ``tool`` on a model's behalf.

    Either an llm/agent sends to the tool directly, or (function calling) an orchestrator that exchanges data
    with a model runs the tool calls the model asks for: a tool is by definition model-invoked. Orchestrators
    are modelled as processes or, when their main job is fetching context, as retrievers. A tool an MCP
    server exposes (``server``) is called through that server, so the server's callers call it. A check drawn
    between caller and tool (a guardrail: a command allow-list, a policy engine) passes the calls on, so what
    sends to it calls the tool.
    """
    callers = system.upstream(tool.id)
    server = system.element_by_id.get(tool.server) if tool.server else None
    if server is not None:
        callers = [*callers, *system.upstream(server.id)]
    callers += [e for check in callers if check.kind is Kind.guardrail for e in system.upstream(check.id)]
    direct = list({e.id: e for e in callers if e.kind in MODEL_KINDS}.values())
    if direct:
        return direct
    return [e for e in callers if e.kind in ORCHESTRATORS and talks_to_model(system, e)]


def tools_of(system: System, caller: Element) -> list[Element]:
    """The tools and MCP servers ``caller`` calls (sends data to, directly or through a guardrail that checks
    the calls), and the tools those servers expose."""
    near = system.downstream(caller.id)
    near += [e for check in near if check.kind is Kind.guardrail for e in system.downstream(check.id)]
    called = [e for e in near if e.kind in TOOL_KINDS]
    exposed = tools_by_server(system)
    found = [*called, *(t for e in called if e.kind is Kind.mcp_server for t in exposed.get(e.id, []))]
    return list({e.id: e for e in found}.values())


@per_system
def tools_by_server(system: System) -> dict[str, list[Element]]:
    """MCP server id -> the tool elements that name it in ``server``."""
    found: dict[str, list[Element]] = {}
    for element in system.elements:
        if element.kind is Kind.tool and element.server:
            found.setdefault(element.server, []).append(element)
    return found


def targets_of(system: System, tool: Element) -> list[Element]:
    """What a tool reads or changes: its ``acts_on`` element, else its non-model neighbours."""
    result: list[Element] = []
    acts_on = system.element_by_id.get(tool.acts_on) if tool.acts_on else None
    if acts_on is not None and acts_on.id != tool.id:
        return [acts_on]  # a stated target is the answer; neighbours are callers and readers
    seen = {tool.id, *(e.id for e in result)}
    for neighbour in [*system.downstream(tool.id), *system.upstream(tool.id)]:
        if neighbour.id not in seen and neighbour.kind not in NOT_A_TARGET:
            seen.add(neighbour.id)
            result.append(neighbour)
    return result


@per_system
def own_means(system: System) -> dict[str, Element]:
    """Tool id -> the agent or process that calls it and itself acts on the same stated target with at least the
    tool's rights: the tool is only how that invoker does what it may do anyway (a terminal an agent that runs
    commands on the machine types into). What the tool can do is then reported once, on the invoker."""
    found: dict[str, Element] = {}
    for tool in system.elements:
        if tool.kind not in TOOL_KINDS or not tool.acts_on or tool.permissions is None:
            continue
        for invoker in invokers_of(system, tool):
            if (invoker.kind in (Kind.agent, Kind.process) and invoker.acts_on == tool.acts_on
                    and set(tool.permissions) <= set(invoker.permissions or ())):
                found[tool.id] = invoker
                break
    return found


@per_system
def _means_by_owner(system: System) -> dict[str, list[Element]]:
    found: dict[str, list[Element]] = {}
    for tool_id, owner in own_means(system).items():
        found.setdefault(owner.id, []).append(system.element_by_id[tool_id])
    return found


def means_of(system: System, owner: Element) -> list[Element]:
    """The tools that are ``owner``'s own means (see ``own_means``), in model order."""
    return _means_by_owner(system).get(owner.id, [])


def listed_tools(system: System, server: Element) -> list[Element]:
    """The tool elements an MCP server is stated to expose: what it can do is reported on them, each with its own
    rights, and they name the server."""
    return tools_by_server(system).get(server.id, []) if server.kind is Kind.mcp_server else []


def reported_through_tools(system: System, server: Element) -> bool:
    """An MCP server whose listed tools carry what it does: it has listed tools, and when it states a target one of
    them acts on that target too (a tool added for something else must not hide what the server itself does)."""
    tools = listed_tools(system, server)
    if not tools or not server.acts_on:
        return bool(tools)
    return any(target.id == server.acts_on for tool in tools for target in targets_of(system, tool))


def server_of(system: System, tool: Element) -> list[Element]:
    server = system.element_by_id.get(tool.server) if tool.server else None
    return [server] if server is not None else []


def target_phrase(targets: list[Element]) -> str:
    return join_names(targets) if targets else "the systems behind it"


def can_act(tool: Element) -> bool:
    """The tool may write or execute (unset permissions count as write)."""
    return tool.permissions is None or bool(ACTING & set(tool.permissions))


def confined(tool: Element) -> bool:
    """A sandboxed tool whose only acting right is execute: what it runs cannot change anything else."""
    if tool.sandboxed is not True or tool.permissions is None:
        return False
    return Permission.write not in tool.permissions


def acting_permissions(tool: Element) -> tuple[set[Permission], tuple[str, ...]]:
    """Write/execute permissions of a tool (unset counts as write) and the assumption made."""
    if tool.permissions is None:
        return {Permission.write}, (f"The permissions of {tool.name} are not stated; assumed it can write.",)
    return set(ACTING) & set(tool.permissions), ()


def actions_phrase(permissions: Iterable[Permission]) -> str:
    words = {Permission.read: "read", Permission.write: "change", Permission.execute: "run commands on"}
    parts = [words[p] for p in sorted(set(permissions))]
    return " and ".join(parts) if parts else "read"


def sensitivity_factor(subject: Element, elements: Iterable[Element], cap: int = 2) -> tuple[Factor, ...]:
    """Impact up by the most sensitive classification among ``elements``: confidential +1, personal or
    secret +2 (at most ``cap``)."""
    ranked = [e for e in elements if e.classification is not None]
    if not ranked:
        return ()
    top = max(ranked, key=rank_of)
    if rank_of(top) < CONFIDENTIAL:
        return ()
    label = top.classification.value if top.classification else "unknown"
    delta = min(cap, 2 if rank_of(top) >= PERSONAL else 1)
    return (impact_factor(delta, f"{top.id}.classification={label}",
                    f"{subject.name} reaches {top.name} ({label} data)."),)


def acting_tool_factor(actors: list[Element], tools: list[Element]) -> tuple[Factor, ...]:
    """Impact +1 when ``actors`` call tools that can write or execute."""
    acting = list({t.id: t for t in tools if can_act(t)}.values())
    if not acting:
        return ()
    return (impact_factor(1, f"{acting[0].id}.permissions=write|execute|unset",
                    f"{join_names(actors)} can act through {join_names(acting)}, which can change or execute "
                    "things."),)


@per_system
def acting_factors(system: System) -> dict[str, tuple[Factor, ...]]:
    """The acting-tool impact factor of every llm/agent that calls write/execute tools, computed once per
    rule so that hub elements are not expanded again for each flow or memory that leads to them."""
    result: dict[str, tuple[Factor, ...]] = {}
    for element in system.elements:
        if element.kind in MODEL_KINDS:
            factor = acting_tool_factor([element], tools_of(system, element))
            if factor:
                result[element.id] = factor
    return result


@dataclass(frozen=True)
class Reach:
    """Which elements untrusted input can reach."""

    attacker: frozenset[str]  # from external entities, outsiders' content and exposed elements
    content: frozenset[str]  # from elements whose content outsiders write (indirect injection)
    assumed: frozenset[str]  # from knowledge sources whose trust is not stated

    def reaches(self, element_id: str) -> bool:
        return element_id in self.attacker or element_id in self.assumed

    def evidence(self, *elements: Element) -> tuple[tuple[Factor, ...], tuple[str, ...]]:
        """Likelihood +1 when outsiders' content reaches any of ``elements`` (indirect injection), and the
        assumption made when only knowledge sources of unstated trust reach them."""
        factors: tuple[Factor, ...] = ()
        assumptions: tuple[str, ...] = ()
        fed = [e for e in elements if e.id in self.content]
        if fed:
            factors = (likelihood_factor(1, f"{fed[0].id}.upstream.untrusted_content=true",
                                   f"Content written by outsiders reaches {join_names(fed)}; an injected "
                                   "instruction needs no action by the victim."),)
        if not any(e.id in self.attacker for e in elements) and any(e.id in self.assumed for e in elements):
            assumptions = (f"Who can write the knowledge sources upstream of {join_names(elements)} is not "
                           "stated; assumed outsiders can.",)
        return factors, assumptions

    def factor(self, element: Element) -> tuple[tuple[Factor, ...], tuple[str, ...]]:
        """Likelihood +1 when untrusted input reaches ``element``, plus the indirect-injection evidence."""
        if not self.reaches(element.id):
            return (), ()
        extra, assumptions = self.evidence(element)
        base = likelihood_factor(1, f"{element.id}.reachable_from=untrusted_input",
                           f"Input from outside the organisation reaches {element.name}.")
        return (base, *extra), assumptions


def _is_untrusted_source(element: Element) -> bool:
    if element.untrusted_content is True:
        return True
    if element.kind is Kind.external_entity and element.untrusted_content is not False:
        return True
    return element.exposure is not None and element.exposure.value in ("internet", "partner")


@per_system
def untrusted_reach(system: System) -> Reach:
    """Three reachability passes over the model (each linear): attacker, outsiders' content, assumed."""
    starts = {e.id for e in system.elements if _is_untrusted_source(e)}
    content = {e.id for e in system.elements if e.untrusted_content is True}
    assumed = {e.id for e in system.elements
               if e.kind is Kind.knowledge_source and e.untrusted_content is None}

    def reach(ids: set[str]) -> frozenset[str]:
        return frozenset(system.reachable_from(ids)) if ids else frozenset()

    return Reach(attacker=reach(starts), content=reach(content), assumed=reach(assumed))


def approval_gap(tool: Element, invokers: list[Element]) -> tuple[list[Element], tuple[str, ...]] | None:
    """Invokers whose calls to ``tool`` run unapproved (and the assumption made), or None when a person
    approves every call. An explicit value on the tool wins over the invokers' values."""
    if tool.human_approval_required is True:
        return None
    if tool.human_approval_required is False:
        return invokers, ()
    unapproved = [i for i in invokers if i.human_approval_required is not True]
    if not unapproved:
        return None
    unset = [i for i in unapproved if i.human_approval_required is None]
    if not unset:
        return unapproved, ()
    return unapproved, (f"Whether a person approves calls to {tool.name} is not stated on the tool or on "
                        f"{join_names(unset)}; assumed nobody does.",)


CREDENTIAL_REFS = ("owasp-llm:LLM02:2025", "owasp-llm:LLM02:2026", "atlas:AML.T0055")


def keeps_secrets(targets: Iterable[Element]) -> bool:
    """What the tool reaches keeps secrets or credentials (disclosure references are then added)."""
    return any(t.classification is Classification.secret or t.holds_credentials is True for t in targets)



def _executes(element: Element) -> bool:
    if element.kind in TOOL_KINDS:
        return bool(element.permissions and Permission.execute in element.permissions)
    return element.executes_code is True or bool(element.permissions and Permission.execute in element.permissions)


def executors(system: System) -> Iterator[tuple[Element, list[Element]]]:
    """Model-driven components that execute code, with who writes what they run: tools with execute
    permission (their invokers), agents that execute code themselves (their own model), and processes that
    do so for a model they talk to (that model; a model whose weight files the process only loads writes
    nothing it runs: T-DATA-012's ground)."""
    means = own_means(system)
    for element in system.elements:
        if element.kind not in (*TOOL_KINDS, Kind.agent, Kind.process) or not _executes(element):
            continue
        if element.id in means and _executes(means[element.id]):
            continue  # its owner executes on the same target: reported there
        if element.kind in TOOL_KINDS:
            writers = invokers_of(system, element)
        elif element.kind is Kind.agent:
            writers = [element]
        else:
            writers = [e for e in [*system.upstream(element.id), *system.downstream(element.id)]
                       if e.kind in MODEL_KINDS and not loaded_weights(system, e)]
            if writers and all(w.kind is Kind.agent and w.acts_on == element.id and _executes(w) for w in writers):
                continue  # the machine its agents run commands on: reported on those agents, which name it
        if writers:
            yield element, list({w.id: w for w in writers}.values())



def acted_on(system: System, element: Element) -> list[Element]:
    """What an agent or process acts on: its ``acts_on`` element, else the stores and tools it sends to."""
    if element.acts_on in system.element_by_id:
        return [system.element_by_id[element.acts_on]]
    return [e for e in system.downstream(element.id) if e.kind not in NOT_A_TARGET | {Kind.external_entity}]


def drives_computer(element: Element) -> bool:
    """An agent that drives a browser or a desktop: it reads the screen and clicks, types and submits."""
    return element.kind is Kind.agent and element.computer_use in (ComputerUse.browser, ComputerUse.desktop)


def screen_reach(system: System, agent: Element) -> list[Element]:
    """What a computer-use agent's clicks and typing reach: the browser, desktop, sites and accounts it sends its
    actions to (not a front end people use; tools and its own configuration are called, not clicked) and what a
    browser or desktop drawn as a process reaches in turn."""
    answering = front_ends(system)
    driven = [e for e in system.downstream(agent.id) if e.kind in SCREEN_KINDS and e.id not in answering]
    behind = [e for d in driven if d.kind is Kind.process for e in system.downstream(d.id)
              if e.kind in SCREEN_KINDS and e.id != agent.id]
    return list({e.id: e for e in [*driven, *behind]}.values())

