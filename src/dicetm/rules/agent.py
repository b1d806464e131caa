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

The helpers these rules share live in ``rules.agent_common``. Every function is linear in the number of elements
and flows and yields hits in model order.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import (
    STORE_KINDS,
    TOOL_KINDS,
    Classification,
    DataProvenance,
    Element,
    Kind,
    Permission,
    System,
)
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.agent_common import (
    CONFIDENTIAL,
    CREDENTIAL_REFS,
    NOT_A_TARGET,
    PERSONAL,
    Reach,
    acted_on,
    acting_permissions,
    actions_phrase,
    approval_gap,
    can_act,
    confined,
    executors,
    impact_factor,
    invokers_of,
    join_names,
    keeps_secrets,
    likelihood_factor,
    means_of,
    own_means,
    rank_of,
    reported_through_tools,
    sensitivity_factor,
    server_of,
    talks_to_model,
    target_phrase,
    targets_of,
    untrusted_reach,
)
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.injection import unchecked_input

# --- T-AGENT-001 excessive autonomy ---------------------------------------------------------------


def tool_acts_without_human_approval(system: System) -> Iterator[Hit]:
    """A write/execute tool an llm or agent can call with no person approving the action. An MCP server whose
    tools are listed is reported through them; a tool within its invoker's own rights on the same target is
    reported on the invoker (T-AGENT-012)."""
    reach = untrusted_reach(system)
    for tool in system.elements:
        if (tool.kind not in TOOL_KINDS or not can_act(tool) or confined(tool)
                or reported_through_tools(system, tool)):
            continue
        owner = own_means(system).get(tool.id)
        if owner is not None and owner.human_approval_required is not True:
            continue  # T-AGENT-012 reports the owner acting on the same target without approval
        invokers = invokers_of(system, tool)
        gap = approval_gap(tool, invokers) if invokers else None
        if gap is None:
            continue
        unapproved, approval_assumptions = gap
        permissions, permission_assumptions = acting_permissions(tool)
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
            others=tuple(e.id for e in [*unapproved, *server_of(system, tool), *targets]),
            values={"invokers": join_names(unapproved), "target": target_phrase(targets),
                    "actions": actions_phrase(permissions), "own": own},
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
    MCP server whose tools are listed is reported through them. Arguments it passes on to a data store or an
    agent's configuration unchecked (``input_validation`` not stated true on it or its server) can also carry a
    path that climbs out of its folder (CWE-22) or a value that changes a query (CWE-89, CWE-943); ``file_paths``
    says which, and unset both are assumed, with the assumption named (``rules.injection``)."""
    reach = untrusted_reach(system)
    for tool in system.elements:
        if tool.kind not in TOOL_KINDS or tool.input_validation is True or reported_through_tools(system, tool):
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
            acting, permission_assumptions = acting_permissions(tool)
            permissions |= acting
            assumptions.extend(permission_assumptions)
            factors.append(impact_factor(1, f"{tool.id}.permissions=write|execute|unset",
                                   f"{tool.name} can change or execute, not only read."))
        unchecked = unchecked_input(system, tool, targets, validation_said=tool.input_validation is None)
        assumptions.extend(unchecked.assumptions)
        fetch = (f" Because {tool.name} fetches whatever address it is given, the model can also point it at internal "
                 "ones (cloud metadata, admin pages, other services): server-side request forgery." if fetches else "")
        yield Hit(
            element=tool.id,
            others=tuple(e.id for e in [*steered, *server_of(system, tool), *targets]),
            values={"invokers": join_names(steered), "target": target_phrase(targets),
                    "actions": actions_phrase(permissions), "fetch": fetch, "addressing": unchecked.sentence},
            factors=(*factors, *sensitivity_factor(tool, [tool, *targets], cap=1)),
            assumptions=tuple(assumptions),
            references=(*(CREDENTIAL_REFS if keeps_secrets(targets) else ()), *(("cwe:CWE-918",) if fetches else ()),
                        *unchecked.references),
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
            assumptions.extend(acting_permissions(tool)[1])
            actions = "read and change"
            factors.append(impact_factor(1, f"{tool.id}.permissions=write|execute|unset",
                                   f"{tool.name} can change other users' records, not only read them."))
        yield Hit(
            element=tool.id,
            references=("atlas:AML.T0055",) if keeps_secrets(shared) else (),
            # A tool an MCP server exposes runs there: the server is the deputy holding the one identity.
            others=tuple(dict.fromkeys([*(e.id for e in [*serving, *shared]),
                                        *([tool.server] if tool.server else [])])),
            values={"invokers": join_names(serving), "target": join_names(shared), "actions": actions},
            factors=tuple(factors),
            assumptions=tuple(assumptions),
        )


# --- T-AGENT-005 unexpected code execution --------------------------------------------------------

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



FUNCTIONS: dict[str, RuleFunction] = {
    "T-AGENT-001": tool_acts_without_human_approval,
    "T-AGENT-002": injected_agent_misuses_tool,
    "T-AGENT-003": tool_permissions_exceed_use,
    "T-AGENT-004": tool_reaches_other_users_data,
    "T-AGENT-005": agent_code_execution_not_sandboxed,
}
