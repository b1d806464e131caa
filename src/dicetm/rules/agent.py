"""AGENT family: excessive agency, tool misuse, memory poisoning and multi-agent threats.

Conventions the rules share:

- A tool is *invoked* by the llm and agent elements that send data to it (upstream of the tool).
- A tool's *targets* are its ``acts_on`` element (first) and its other neighbours that are not
  models or guardrails: the systems and stores it reads from or changes.
- Unset tool permissions count as write access (the risky value) and the hit says so.
- *Untrusted input* starts at external entities (unless their ``untrusted_content`` is false), at
  elements whose ``untrusted_content`` is true and at internet- or partner-exposed elements.
  Knowledge sources whose ``untrusted_content`` is unset count as untrusted too, and a hit that rests
  only on them says so. Reachability is computed once per run with ``System.reachable_from``.
- A tool (or agent, or process) with ``sandboxed: true`` runs what it executes in an isolated environment;
  tags are labels for people and no rule reads them.

Every function is linear in the number of elements and flows and yields hits in model order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dicetm.model import (
    STORE_KINDS,
    TOOL_KINDS,
    Classification,
    ComputerUse,
    DataProvenance,
    Element,
    Factor,
    Kind,
    Permission,
    System,
)
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import Hit, RuleFunction, per_system
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


# --- shared helpers -------------------------------------------------------------------------------


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


def _listed_tools(system: System, server: Element) -> list[Element]:
    """The tool elements an MCP server is stated to expose: what it can do is reported on them, each with its own
    rights, and they name the server."""
    return tools_by_server(system).get(server.id, []) if server.kind is Kind.mcp_server else []


def _server_of(system: System, tool: Element) -> list[Element]:
    server = system.element_by_id.get(tool.server) if tool.server else None
    return [server] if server is not None else []


def target_phrase(targets: list[Element]) -> str:
    return join_names(targets) if targets else "the systems behind it"


def can_act(tool: Element) -> bool:
    """The tool may write or execute (unset permissions count as write)."""
    return tool.permissions is None or bool(ACTING & set(tool.permissions))


def _confined(tool: Element) -> bool:
    """A sandboxed tool whose only acting right is execute: what it runs cannot change anything else."""
    if tool.sandboxed is not True or tool.permissions is None:
        return False
    return Permission.write not in tool.permissions


def _acting_permissions(tool: Element) -> tuple[set[Permission], tuple[str, ...]]:
    """Write/execute permissions of a tool (unset counts as write) and the assumption made."""
    if tool.permissions is None:
        return {Permission.write}, (f"The permissions of {tool.name} are not stated; assumed it can write.",)
    return set(ACTING) & set(tool.permissions), ()


def _actions_phrase(permissions: Iterable[Permission]) -> str:
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


def _keeps_secrets(targets: Iterable[Element]) -> bool:
    """What the tool reaches keeps secrets or credentials (disclosure references are then added)."""
    return any(t.classification is Classification.secret or t.holds_credentials is True for t in targets)


# --- T-AGENT-001 excessive autonomy ---------------------------------------------------------------


def tool_acts_without_human_approval(system: System) -> Iterator[Hit]:
    """A write/execute tool an llm or agent can call with no person approving the action. An MCP server whose
    tools are listed is reported through them; a tool within its invoker's own rights on the same target is
    reported on the invoker (T-AGENT-012)."""
    reach = untrusted_reach(system)
    for tool in system.elements:
        if tool.kind not in TOOL_KINDS or not can_act(tool) or _confined(tool) or _listed_tools(system, tool):
            continue
        owner = own_means(system).get(tool.id)
        if owner is not None and owner.human_approval_required is not True:
            continue  # T-AGENT-012 reports the owner acting on the same target without approval
        invokers = invokers_of(system, tool)
        gap = approval_gap(tool, invokers) if invokers else None
        if gap is None:
            continue
        unapproved, approval_assumptions = gap
        permissions, permission_assumptions = _acting_permissions(tool)
        targets = targets_of(system, tool)
        reach_factors, reach_assumptions = reach.factor(tool)
        # An agent stated to decide without anyone checking: its own pursuit of the goal is a cause, not only
        # what it is told (misaligned and deceptive behaviour).
        deciders = [i for i in unapproved if i.kind is Kind.agent and i.answers_drive_decisions is True]
        own = (f" {join_names(deciders)} is also stated to decide without anyone checking: chasing its goal (a queue "
               "cleared, a case closed) it can take a shortcut nobody intended and explain it convincingly."
               if deciders else "")
        yield Hit(
            element=tool.id,
            others=tuple(e.id for e in [*unapproved, *_server_of(system, tool), *targets]),
            values={"invokers": join_names(unapproved), "target": target_phrase(targets),
                    "actions": _actions_phrase(permissions), "own": own},
            factors=(*reach_factors, *sensitivity_factor(tool, [tool, *targets])),
            assumptions=(*permission_assumptions, *approval_assumptions, *reach_assumptions),
            references=("owasp-agentic:T7", "owasp-asi:ASI10:2026") if deciders else (),
        )


# --- T-AGENT-002 tool misuse ----------------------------------------------------------------------


def _misuse_matters(tool: Element, targets: list[Element]) -> tuple[bool, tuple[str, ...]]:
    """A steered tool matters when it can act, or reads data that is confidential or more sensitive; a
    store whose classification is unset is assumed to be."""
    if can_act(tool) or rank_of(tool) >= CONFIDENTIAL or any(rank_of(t) >= CONFIDENTIAL for t in targets):
        return True, ()
    unknown = [t for t in targets if t.kind in STORE_KINDS and t.classification is None]
    if not unknown:
        return False, ()
    return True, (f"The classification of {join_names(unknown)} is not stated; assumed it holds data outsiders "
                  "must not read.",)


def _fetches_from_the_web(system: System, tool: Element, targets: list[Element]) -> bool:
    """The tool reads from the open web (pages whose provenance is the public web, or an external entity outside
    every trust zone), so it fetches whatever address it is given, and no allow-list limits where it connects."""
    if tool.egress_restricted is True or (tool.permissions is not None and Permission.read not in tool.permissions):
        return False
    return any(t.training_data_provenance is DataProvenance.public_web
               or (t.kind is Kind.external_entity and t.id not in system.boundary_of) for t in targets)


def injected_agent_misuses_tool(system: System) -> Iterator[Hit]:
    """A tool called by an llm/agent that untrusted input reaches, with no check on the calls it gets, when it can
    act, reads sensitive data, or fetches from the web (it can then be pointed at internal addresses: SSRF). An
    MCP server whose tools are listed is reported through them."""
    reach = untrusted_reach(system)
    for tool in system.elements:
        if tool.kind not in TOOL_KINDS or tool.input_validation is True or _listed_tools(system, tool):
            continue
        steered = [i for i in invokers_of(system, tool) if reach.reaches(i.id)]
        if not steered:
            continue
        targets = targets_of(system, tool)
        worth, worth_assumptions = _misuse_matters(tool, targets)
        fetches = _fetches_from_the_web(system, tool, targets)
        if not worth and not fetches:
            continue
        content_factors, reach_assumptions = reach.evidence(*steered)
        factors = list(content_factors)
        if approval_gap(tool, steered) is None:  # a person sees each call: harder, not impossible
            factors.append(likelihood_factor(-1, f"{tool.id}.human_approval_required=true",
                                       "A person approves each call, though an injected request can be worded "
                                       "to look routine."))
        assumptions = [*reach_assumptions, *worth_assumptions]
        if tool.input_validation is None:
            assumptions.append(f"Whether {tool.name} checks the operations and arguments it is called with "
                               "is not stated; assumed it does not.")
        permissions = set(tool.permissions or [])
        if can_act(tool):
            acting, permission_assumptions = _acting_permissions(tool)
            permissions |= acting
            assumptions.extend(permission_assumptions)
            factors.append(impact_factor(1, f"{tool.id}.permissions=write|execute|unset",
                                   f"{tool.name} can change or execute, not only read."))
        fetch = (f" Because {tool.name} fetches whatever address it is given, the model can also point it at internal "
                 "ones (cloud metadata, admin pages, other services): server-side request forgery." if fetches else "")
        yield Hit(
            element=tool.id,
            others=tuple(e.id for e in [*steered, *_server_of(system, tool), *targets]),
            values={"invokers": join_names(steered), "target": target_phrase(targets),
                    "actions": _actions_phrase(permissions), "fetch": fetch},
            factors=(*factors, *sensitivity_factor(tool, [tool, *targets], cap=1)),
            assumptions=tuple(assumptions),
            references=(*(CREDENTIAL_REFS if _keeps_secrets(targets) else ()), *(("cwe:CWE-918",) if fetches else ())),
        )


# --- T-AGENT-003 excessive functionality ----------------------------------------------------------


def _only_reads(system: System, tool: Element) -> bool:
    """The model shows the tool receiving data from what it acts on (its ``acts_on`` element, or any
    non-model element when that is unset) and sending data only back to models."""
    for flow in system.flows_from.get(tool.id, []):
        end = system.element_by_id.get(system.other_end(flow, tool.id))
        if end is not None and end.kind not in NOT_A_TARGET:
            return False
    sources = system.upstream(tool.id)
    if tool.acts_on:
        return any(e.id == tool.acts_on for e in sources)
    return any(e.kind not in NOT_A_TARGET for e in sources)


def _unused_permissions(system: System, tool: Element) -> set[Permission]:
    """Write is unused by a tool that only reads; so is execute when it acts on a store it only reads."""
    granted = set(tool.permissions or [])
    excess = {Permission.write} & granted
    acts_on = system.element_by_id.get(tool.acts_on) if tool.acts_on else None
    if acts_on is not None and acts_on.kind in STORE_KINDS:
        excess |= {Permission.execute} & granted
    return excess


def tool_permissions_exceed_use(system: System) -> Iterator[Hit]:
    """A tool granted write (or execute on a store) although the model shows it only reads."""
    reach = untrusted_reach(system)
    for tool in system.elements:
        if tool.kind not in TOOL_KINDS or not tool.permissions or not invokers_of(system, tool):
            continue
        excess = _unused_permissions(system, tool)
        if not excess or not _only_reads(system, tool):
            continue
        targets = targets_of(system, tool)
        reach_factors, reach_assumptions = reach.factor(tool)
        yield Hit(
            element=tool.id,
            others=tuple(e.id for e in targets),
            values={"excess": " and ".join(p.value for p in sorted(excess)),
                    "target": target_phrase(targets)},
            factors=(*reach_factors[:1], *sensitivity_factor(tool, [tool, *targets])),
            assumptions=reach_assumptions,
        )


# --- T-AGENT-004 privilege compromise -------------------------------------------------------------


def _users_data(store: Element) -> bool:
    """A store holding data of several users or tenants: stated, or assumed for confidential or personal data.
    A store of secrets (keys, tokens) is not users' data unless stated shared; T-AGENT-013 covers it."""
    if store.multi_tenant is not None:
        return store.multi_tenant and rank_of(store) >= CONFIDENTIAL
    return CONFIDENTIAL <= rank_of(store) < CLASSIFICATION_RANK[Classification.secret]


def _serving(system: System, reach: Reach, actor: Element) -> list[Element]:
    """Who puts the actor to work for users an attacker can be among: a tool's invokers, or an agent or
    model-driven process that acts on its stated target itself (``acts_on``)."""
    if actor.kind in TOOL_KINDS:
        callers = invokers_of(system, actor)
    elif actor.kind in (Kind.agent, Kind.process) and actor.acts_on and (
            actor.kind is Kind.agent or talks_to_model(system, actor)):
        callers = [actor]
    else:
        return []
    # An agent stated to serve one user (multi_tenant: false) has no other users' data to mix up.
    return [i for i in callers if i.id in reach.attacker and i.multi_tenant is not False]


def tool_reaches_other_users_data(system: System) -> Iterator[Hit]:
    """A tool of a user-facing llm/agent, or an agent or model-driven process acting on a stated target
    (``acts_on``), that reaches confidential+ data of several users or tenants with one identity."""
    reach = untrusted_reach(system)
    for tool in system.elements:
        serving = _serving(system, reach, tool)
        if not serving:
            continue
        shared = [t for t in targets_of(system, tool) if t.kind in STORE_KINDS and _users_data(t)]
        if not shared:
            continue
        assumptions = [f"Nothing in the model says {tool.name} runs with the requesting user's rights; "
                       "assumed it uses one service identity for every user."]
        assumptions.extend(f"Whether {t.name} holds data of several users or tenants is not stated; "
                           "assumed it does." for t in shared if t.multi_tenant is None)
        factors = list(reach.evidence(tool)[0])
        top = max(shared, key=rank_of)
        if rank_of(top) >= PERSONAL:
            label = top.classification.value if top.classification else "unknown"
            factors.append(impact_factor(1, f"{top.id}.classification={label}", f"{top.name} holds {label} data."))
        actions = "read"
        if can_act(tool):
            assumptions.extend(_acting_permissions(tool)[1])
            actions = "read and change"
            factors.append(impact_factor(1, f"{tool.id}.permissions=write|execute|unset",
                                   f"{tool.name} can change other users' records, not only read them."))
        yield Hit(
            element=tool.id,
            references=("atlas:AML.T0055",) if _keeps_secrets(shared) else (),
            # A tool an MCP server exposes runs there: the server is the deputy holding the one identity.
            others=tuple(dict.fromkeys([*(e.id for e in [*serving, *shared]),
                                        *([tool.server] if tool.server else [])])),
            values={"invokers": join_names(serving), "target": join_names(shared), "actions": actions},
            factors=tuple(factors),
            assumptions=tuple(assumptions),
        )


# --- T-AGENT-005 unexpected code execution --------------------------------------------------------


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


def agent_code_execution_not_sandboxed(system: System) -> Iterator[Hit]:
    """A tool, agent or model-driven process that executes what a model writes, outside a sandbox. When no
    sandbox is stated, whatever confinement there is (a container, a restricted interpreter) is assumed weak
    enough to break out of to the host."""
    reach = untrusted_reach(system)
    for element, writers in executors(system):
        if element.sandboxed is True:
            continue
        assumptions: tuple[str, ...] = ()
        references: tuple[str, ...] = ()
        if element.sandboxed is None:
            assumptions = (f"Whether {element.name} runs code in a sandbox is not stated (sandboxed); assumed it "
                           "runs with the rights and network access of its host.",)
            # Whatever confinement there is (a container, a restricted interpreter) is not a stated sandbox:
            # code that breaks out of it reaches the host.
            references = ("atlas:AML.T0105",)
        reach_factors, reach_assumptions = reach.factor(element)
        targets = targets_of(system, element) if element.kind in TOOL_KINDS else acted_on(system, element)
        invokers = "its own model" if writers == [element] else join_names(writers)
        yield Hit(
            element=element.id,
            others=tuple(e.id for e in [*writers, *means_of(system, element), *targets] if e.id != element.id),
            values={"invokers": invokers, "target": target_phrase(targets)},
            factors=reach_factors,
            assumptions=(*assumptions, *reach_assumptions),
            references=references,
        )


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


FUNCTIONS: dict[str, RuleFunction] = {
    "T-AGENT-001": tool_acts_without_human_approval,
    "T-AGENT-002": injected_agent_misuses_tool,
    "T-AGENT-003": tool_permissions_exceed_use,
    "T-AGENT-004": tool_reaches_other_users_data,
    "T-AGENT-005": agent_code_execution_not_sandboxed,
}
