"""ECO family: the agent ecosystem: MCP servers and the tool descriptions they ship, registries skills and
plugins come from, agent configuration, computer use, and agents turned into command and control.

Where findings land:

- tool descriptions, local rights, remote sessions, token handling: on the ``mcp_server`` (or the ``tool``
  when no server is modelled for it); tools a server exposes (``server``) are named in its finding.
- malicious skills and plugins: on the ``registry``, naming what is installed from it (``installed_from``).
- configuration rewritten to persist an injection: on the ``agent_config`` store.
- computer use, command and control, tool shadowing across servers: on the ``agent`` (or undriven ``llm``).

Destructive tool actions without approval, credential harvesting and agent-to-agent trust are the AGENT
family's rules (T-AGENT-001, T-AGENT-013, T-AGENT-007/008), which treat MCP servers like tools. Every function
is linear in elements and flows.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import (
    TOOL_KINDS,
    ComputerUse,
    DescriptionSource,
    Element,
    Factor,
    Kind,
    Permission,
    System,
    Transport,
)
from dicetm.rules.agent_common import (
    MODEL_KINDS,
    executors,
    impact_factor,
    invokers_of,
    join_names,
    likelihood_factor,
    tools_by_server,
    untrusted_reach,
)
from dicetm.rules.base import Hit, RuleFunction, per_system
from dicetm.rules.reach import kinds, loop_owners, requests_from, spread

OUTSIDE_DESCRIPTIONS = frozenset({DescriptionSource.third_party, DescriptionSource.runtime})


def _acts(element: Element) -> bool:
    return element.permissions is None or bool({Permission.write, Permission.execute} & set(element.permissions))


# --- T-ECO-001 tool descriptions written outside ---------------------------------------------------


def _description_origin(element: Element) -> tuple[DescriptionSource | None, str | None]:
    """Where the descriptions the model reads come from, and the assumption made when that is not stated."""
    if element.description_source is not None:
        return element.description_source, None
    remote = element.kind is Kind.mcp_server and element.transport is Transport.http
    if element.third_party is True or element.installed_from or remote:
        return DescriptionSource.third_party, (f"Who writes the tool descriptions of {element.name} is not stated "
                                               "(description_source); assumed its publisher.")
    return None, None


@per_system
def outside_descriptions(system: System) -> dict[str, tuple[DescriptionSource, str | None]]:
    """Tools and MCP servers a model calls whose descriptions are written outside the organisation."""
    found: dict[str, tuple[DescriptionSource, str | None]] = {}
    for element in system.elements:
        if element.kind not in TOOL_KINDS or not invokers_of(system, element):
            continue
        origin, assumption = _description_origin(element)
        if origin in OUTSIDE_DESCRIPTIONS and origin is not None:
            found[element.id] = (origin, assumption)
    return found


def tool_description_poisoning(system: System) -> Iterator[Hit]:
    """A tool or MCP server whose descriptions (text the model reads as instructions) come from a third party
    or are fetched at run time: hidden instructions in them steer every agent that loads them."""
    outside = outside_descriptions(system)
    exposed = tools_by_server(system)
    for element_id, (origin, assumption) in outside.items():
        element = system.element_by_id[element_id]
        if element.kind is Kind.tool and element.server in outside:
            continue  # the server's finding names its tools
        tools = exposed.get(element.id, []) if element.kind is Kind.mcp_server else []
        factors: list[Factor] = []
        if origin is DescriptionSource.runtime:
            factors.append(likelihood_factor(1, f"{element.id}.description_source=runtime",
                                             "The descriptions are fetched at run time and can change at any "
                                             "call."))
        if element.description_pinned is True:
            factors.append(likelihood_factor(-1, f"{element.id}.description_pinned=true",
                                             "The approved descriptions are pinned; a change needs a new "
                                             "approval."))
        if _acts(element) or any(_acts(t) for t in tools):
            factors.append(impact_factor(1, f"{element.id}.permissions=write|execute|unset",
                                         "A steered call can change or execute, not only read."))
        readers = invokers_of(system, element)
        yield Hit(element=element.id, others=tuple(e.id for e in [*readers, *tools]),
                  values={"readers": join_names(readers),
                          "tools": join_names(tools) if tools else "its tools"},
                  factors=tuple(factors), assumptions=(assumption,) if assumption else ())


# --- T-ECO-002 malicious or look-alike skills from a registry --------------------------------------------


def registry_can_ship_malicious_skills(system: System) -> Iterator[Hit]:
    """A registry or marketplace that skills, plugins, tools, MCP servers, packages or models are installed from,
    without both review and signing, or with what is installed from it not pinned. The supply-chain references
    follow what takes its entries in (``entry_kinds``); phishing is added when an installed skill or agent talks
    to the system's users. The finding names the organisation's own release pipeline and the source it builds
    from when the model shows them publishing into the registry."""
    for registry in system.of_kind(Kind.registry):
        installed = installed_from(system, registry)
        if not installed:
            continue
        unpinned = [e for e in installed if e.dependencies_pinned is not True and e.description_pinned is not True]
        if registry.reviewed is True and registry.signed is True and not unpinned:
            continue
        factors: list[Factor] = []
        assumptions: list[str] = []
        for fact, note in (("reviewed", "Entries are reviewed before they are listed."),
                           ("signed", "Entries are signed and verified at install.")):
            value = getattr(registry, fact)
            if value is True:
                factors.append(likelihood_factor(-1, f"{registry.id}.{fact}=true", note))
            elif value is None:
                assumptions.append(f"Whether entries of {registry.name} are {fact} is not stated; assumed not.")
        if unpinned:
            factors.append(likelihood_factor(1, f"{unpinned[0].id}.pinned=false|unset",
                                             f"{join_names(unpinned)} take new versions without a new review."))
        if any(_acts(e) for e in installed):
            factors.append(impact_factor(1, f"{installed[0].id}.permissions=write|execute|unset",
                                         "What is installed can change or execute things."))
        publishers = [p for p in _publishers(system, registry) if p not in installed]
        publishing = (f" Your own releases reach it from {join_names(publishers)}: whoever obtains that publishing "
                      "token or gets a change into its source ships a version every user installs." if publishers
                      else "")
        entries, references = entry_kinds(system, registry, installed)
        users = _people_served(system, installed)
        if users:
            references.append("atlas:AML.T0052")
            publishing += (f" What it says reaches {join_names(users)} as if the platform said it, so a malicious "
                           "entry can ask them for passwords or payment details.")
        yield Hit(element=registry.id, others=tuple(e.id for e in [*installed, *publishers]),
                  values={"installed": join_names(installed), "publishing": publishing,
                          "entries": " or ".join(e for e, _r in entries),
                          "rights": " or ".join(r for _e, r in entries)},
                  factors=tuple(factors), assumptions=tuple(assumptions), references=tuple(references))


# What a registry ships, told by what takes it in: (what an entry is, whose rights it runs with, references).
AGENT_ENTRIES = ("skill, plugin or server", "the agent's rights",
                 ("atlas:AML.T0104", "atlas:AML.T0011.002", "atlas:AML.T0010.005", "atlas:AML.T0111"))
MODEL_ENTRIES = ("model", "the rights of the process that loads it",
                 ("atlas:AML.T0010.003", "atlas:AML.T0011.000", "atlas:AML.T0058"))
PACKAGE_ENTRIES = ("package", "the rights of the process that installs or imports it",
                   ("atlas:AML.T0010.001", "atlas:AML.T0011.001"))
MODEL_CARRIERS = frozenset({Kind.process, Kind.data_store, Kind.fine_tuning_pipeline})


def installed_from(system: System, registry: Element) -> list[Element]:
    """What takes entries from a registry: elements naming it in ``installed_from``, and what it sends to."""
    installed = [e for e in system.elements if e.installed_from == registry.id]
    return installed + [e for e in system.downstream(registry.id) if e not in installed and e.kind is not Kind.registry]


def entry_kinds(system: System, registry: Element,
                installed: list[Element]) -> tuple[list[tuple[str, str]], list[str]]:
    """What the entries are (agent tools and skills, models, software packages) and the ATLAS supply-chain ids
    that fit: tools, MCP servers and agents take skills and servers; models, and what carries a registry's files
    on to a model you run, take model files; any other process or job takes software packages (beside skills, a
    process the registry sends to is the platform that runs them, unless it names the registry itself)."""
    found: list[tuple[str, str, tuple[str, ...]]] = []
    skills = any(e.kind in TOOL_KINDS or e.kind in (Kind.agent, Kind.agent_config) for e in installed)
    if skills:
        found.append(AGENT_ENTRIES)
    carried = [e for e in installed if e.kind in MODEL_CARRIERS]
    feeding = spread(system, {e.id: e.id for e in carried}, kinds(MODEL_CARRIERS))
    into_models = {start for element_id, start in feeding.items()
                   for model in system.downstream(element_id) if model.kind in (Kind.llm, Kind.fine_tuning_pipeline)
                   and model.id != start}
    if into_models or any(e.kind in (Kind.llm, Kind.model_provider) for e in installed):
        found.append(MODEL_ENTRIES)
    if any(e.kind in MODEL_CARRIERS | {Kind.embedding_pipeline, Kind.retriever} and e.id not in into_models
           and (not skills or e.installed_from == registry.id) for e in installed):
        found.append(PACKAGE_ENTRIES)
    if not found:
        found.append(AGENT_ENTRIES)
    return [(entry, rights) for entry, rights, _refs in found], [r for *_, refs in found for r in refs]


def _people_served(system: System, installed: list[Element]) -> list[Element]:
    """People an installed skill, plugin or agent talks to: external entities that use the system (they send it
    requests, not only answers) and that its output reaches, directly or through the processes that relay it."""
    talking = [e for e in installed if e.kind in TOOL_KINDS or e.kind is Kind.agent]
    if not talking:
        return []
    relayed = spread(system, {e.id: e.id for e in talking}, kinds(frozenset({Kind.process})))
    speakers = [i for i in relayed if system.element_by_id[i].kind is Kind.process or i in {e.id for e in talking}]
    users: dict[str, Element] = {}
    for element_id in speakers:
        for person in system.downstream(element_id):
            if person.kind is Kind.external_entity and requests_from(system, person.id):
                users.setdefault(person.id, person)
    return list(users.values())


def _publishers(system: System, registry: Element) -> list[Element]:
    """The organisation's own way into the registry: the processes that publish to it (a release pipeline) and
    the processes and stores their releases are built from (its source repository)."""
    behind = spread(system, {registry.id: registry.id}, kinds(frozenset({Kind.process})), backward=True)
    return [system.element_by_id[i] for i in behind
            if i != registry.id and system.element_by_id[i].kind in (Kind.process, Kind.data_store)]


# --- T-ECO-003 agent configuration rewritten to persist an injection ---------------------------------


def _config_writers(system: System, config: Element) -> list[Element]:
    """Who can change an agent configuration: senders into it, tools and servers acting on it."""
    writers = {e.id: e for e in system.upstream(config.id) if e.kind is not Kind.agent_config}
    for element in system.elements:
        if element.acts_on == config.id and element.kind in TOOL_KINDS and _acts(element):
            writers.setdefault(element.id, element)
    return list(writers.values())


def _config_readers(system: System, config: Element) -> list[Element]:
    """The models that load a configuration: directly, or through the client process it configures; failing
    those, the processes that apply it (a container runtime starting the agent from it)."""
    found: dict[str, Element] = {}
    applying: dict[str, Element] = {}
    for receiver in system.downstream(config.id):
        if receiver.kind in MODEL_KINDS:
            found.setdefault(receiver.id, receiver)
        elif receiver.kind is Kind.process:
            applying.setdefault(receiver.id, receiver)
            for model in system.downstream(receiver.id):
                if model.kind in MODEL_KINDS:
                    found.setdefault(model.id, model)
    return list((found or applying).values())


def _outside_writer(element: Element) -> bool:
    """A writer that is itself outside the organisation's control: a person or system outside, a third party,
    content outsiders write, or a registry nobody reviews (configuration copied from a community collection)."""
    return (element.kind is Kind.external_entity or element.third_party is True or element.untrusted_content is True
            or (element.kind is Kind.registry and element.reviewed is not True))


def agent_config_rewritable(system: System) -> Iterator[Hit]:
    """Configuration an agent loads (prompt files, memory files, settings, tool lists), or that a host applies
    when it starts the agent (a container definition), that the agent itself, a tool it drives, code it runs, or
    outsiders can rewrite (including configuration copied from an unreviewed collection or a third party): one
    injection, written there, comes back every session."""
    reach = untrusted_reach(system)
    # Where model-written code runs: the executors, and what an executing tool runs its code in (a container).
    running_code = {i for element, _ in executors(system) for i in (element.id, element.acts_on) if i}
    for config in system.of_kind(Kind.agent_config):
        readers = _config_readers(system, config)
        if not readers:
            continue
        writers = _config_writers(system, config)
        model_driven = [w for w in writers if w.kind in MODEL_KINDS or w.id in running_code or invokers_of(system, w)]
        outsiders = [w for w in writers if (reach.reaches(w.id) or _outside_writer(w)) and w not in model_driven]
        if not model_driven and not outsiders:
            continue
        factors: list[Factor] = []
        if any(w.id in {r.id for r in readers} for w in model_driven):
            factors.append(likelihood_factor(1, f"{config.id}.written_by=reader",
                                             "The agent that loads it can rewrite it, so one injected instruction "
                                             "can make itself permanent."))
        if outsiders:
            fact = "reachable_from=untrusted_input" if reach.reaches(outsiders[0].id) else "outside_writer"
            factors.append(likelihood_factor(1, f"{outsiders[0].id}.{fact}",
                                             f"Its writers ({join_names(outsiders)}) are outside the organisation "
                                             "or fed from outside."))
        yield Hit(element=config.id, others=tuple(dict.fromkeys(e.id for e in [*writers, *readers])),
                  values={"writers": join_names([*model_driven, *outsiders]), "readers": join_names(readers)},
                  factors=tuple(factors))


# --- T-ECO-004 token passthrough and confused deputy -------------------------------------------------


def token_passthrough(system: System) -> Iterator[Hit]:
    """An MCP server or tool that passes its callers' tokens on unchanged, or proxies a third-party API with one
    OAuth client for every user: the server acts with authority nobody checked for it."""
    passed: dict[str, list[str]] = {}
    for flow in system.flows:
        if flow.token_passthrough is True:
            passed.setdefault(flow.target, []).append(flow.id)
    for element in system.elements:
        if element.kind not in TOOL_KINDS | {Kind.process}:
            continue
        flows = passed.get(element.id, [])
        if not flows and element.oauth_proxy is not True:
            continue
        how = []
        if flows:
            how.append("passes the tokens it receives on to the API behind it")
        if element.oauth_proxy is True:
            how.append("uses one OAuth client for every user of the API it proxies")
        callers = [system.element_by_id[system.flow_by_id[f].source] for f in flows]
        yield Hit(element=element.id, others=tuple(c.id for c in callers), values={"how": " and ".join(how)})


# --- T-ECO-005 session hijacking on a remote tool server -----------------------------------------------


def remote_server_session_hijack(system: System) -> Iterator[Hit]:
    """A remote (HTTP) MCP server whose callers are not authenticated on every request: whoever obtains or
    guesses a session id sends requests, or injects events, as another client."""
    for server in system.of_kind(Kind.mcp_server):
        if server.transport is not Transport.http or server.authenticated is True:
            continue
        inbound = [f for f in system.flows_to.get(server.id, []) if f.target == server.id]
        if inbound and all(f.authenticated is True for f in inbound):
            continue
        assumptions: tuple[str, ...] = ()
        if server.authenticated is None:
            assumptions = (f"Whether {server.name} authenticates every request (not only the session) is not "
                           "stated; assumed the session id stands in for it.",)
        callers = [system.element_by_id[f.source] for f in inbound if f.source in system.element_by_id]
        factors = [likelihood_factor(1, f"{server.id}.third_party=true", "It is run by a third party for many "
                                     "clients.")] if server.third_party is True else []
        yield Hit(element=server.id, others=tuple(c.id for c in callers), factors=tuple(factors),
                  assumptions=assumptions)


# --- T-ECO-006 a local tool server with the user's full rights -------------------------------------------


def local_server_full_user_rights(system: System) -> Iterator[Hit]:
    """A local (stdio) MCP server started by the client on the user's machine, not sandboxed: it and every
    call steered into it run with all the user's files, credentials and network access."""
    for server in system.of_kind(Kind.mcp_server):
        if server.transport is not Transport.stdio or server.sandboxed is True:
            continue
        factors: list[Factor] = []
        assumptions: list[str] = []
        if server.sandboxed is None:
            assumptions.append(f"Whether {server.name} runs sandboxed is not stated; assumed it runs as the user.")
        if server.third_party is True or server.installed_from:
            factors.append(likelihood_factor(1, f"{server.id}.third_party=true",
                                             "Its code comes from a third party and runs on install and start."))
        if server.holds_credentials is True:
            factors.append(impact_factor(1, f"{server.id}.holds_credentials=true",
                                         "It is started with credentials in its environment."))
        callers = invokers_of(system, server)
        yield Hit(element=server.id, others=tuple(c.id for c in callers),
                  values={"clients": join_names(callers) if callers else "the client"},
                  factors=tuple(factors), assumptions=tuple(assumptions))


# --- T-ECO-007 computer-use agents ---------------------------------------------------------------------


def computer_use_follows_page_instructions(system: System) -> Iterator[Hit]:
    """An agent that drives a browser or desktop: what is on the screen (a page, a pop-up, a document) can
    tell it to click, type, download or run something."""
    for agent in system.of_kind(Kind.agent):
        if agent.computer_use not in (ComputerUse.browser, ComputerUse.desktop):
            continue
        desktop = agent.computer_use is ComputerUse.desktop
        factors: list[Factor] = []
        if desktop:
            factors.append(impact_factor(1, f"{agent.id}.computer_use=desktop",
                                         "It drives the whole desktop: files, applications and terminals."))
        if agent.human_approval_required is True:
            factors.append(likelihood_factor(-1, f"{agent.id}.human_approval_required=true",
                                             "A person confirms its actions before they run."))
        surface = "desktop" if desktop else "browser"
        yield Hit(element=agent.id, values={"surface": surface}, factors=tuple(factors),
                  references=("atlas:AML.T0112.000",) if desktop else ())


# --- T-ECO-008 an agent turned into command and control ------------------------------------------------


def agent_usable_as_command_and_control(system: System) -> Iterator[Hit]:
    """An agent that reads content outsiders write, can run code or drive a computer, and can reach the
    internet without an allow-list: instructions planted once make it fetch and run an attacker's commands."""
    reach = untrusted_reach(system)
    runners: dict[str, list[Element]] = {}
    for element, writers in executors(system):
        for writer in writers:
            runners.setdefault(writer.id, []).append(element)
    servers = [s for s in system.of_kind(Kind.mcp_server)
               if s.transport is Transport.stdio and s.sandboxed is not True]
    for agent in loop_owners(system):
        capable = list(runners.get(agent.id, []))
        capable += [s for s in servers if agent in invokers_of(system, s) and s not in capable]
        drives = agent.kind is Kind.agent and agent.computer_use in (ComputerUse.browser, ComputerUse.desktop)
        if not capable and not drives:
            continue
        if not (reach.reaches(agent.id) or drives):
            continue
        restricted = [e for e in [agent, *capable] if e.egress_restricted is True]
        if restricted and len(restricted) == len([agent, *capable]):
            continue
        assumptions: tuple[str, ...] = ()
        if agent.egress_restricted is None:
            assumptions = (f"Whether {agent.name} and what it runs can reach only allow-listed destinations is not "
                           "stated (egress_restricted); assumed open internet access.",)
        surface = agent.computer_use.value if agent.computer_use else "computer"
        how = join_names(capable) if capable else f"its control of the {surface}"
        yield Hit(element=agent.id, others=tuple(e.id for e in capable), values={"how": how},
                  factors=tuple(reach.evidence(agent)[0]), assumptions=assumptions)


# --- T-ECO-009 tool shadowing across MCP servers --------------------------------------------------------


def cross_server_tool_shadowing(system: System) -> Iterator[Hit]:
    """An agent connected to several MCP servers, one with descriptions written outside: its descriptions sit
    in the same context as the others' and can redefine how the agent uses their tools."""
    outside = outside_descriptions(system)
    for agent in loop_owners(system):
        servers = [e for e in system.downstream(agent.id) if e.kind is Kind.mcp_server]
        if len(servers) < 2:
            continue
        foreign = [s for s in servers if s.id in outside]
        if not foreign:
            continue
        trusted = [s for s in servers if s not in foreign]
        if trusted:
            values = {"foreign": join_names(foreign), "shadowed": join_names(trusted)}
        else:  # every server's descriptions come from outside: each can steer the others
            values = {"foreign": f"Each of {join_names(foreign)}", "shadowed": "the other servers' tools"}
        yield Hit(element=agent.id, others=tuple(s.id for s in servers), values=values)


FUNCTIONS: dict[str, RuleFunction] = {
    "T-ECO-001": tool_description_poisoning,
    "T-ECO-002": registry_can_ship_malicious_skills,
    "T-ECO-003": agent_config_rewritable,
    "T-ECO-004": token_passthrough,
    "T-ECO-005": remote_server_session_hijack,
    "T-ECO-006": local_server_full_user_rights,
    "T-ECO-007": computer_use_follows_page_instructions,
    "T-ECO-008": agent_usable_as_command_and_control,
    "T-ECO-009": cross_server_tool_shadowing,
}
