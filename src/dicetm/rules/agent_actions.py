"""AGENT family, acting without a tool element, credentials within reach and running untrusted code.

- T-AGENT-012: an agent (or a process a model drives) that changes things itself, with ``permissions`` and
  ``acts_on`` stated on it instead of on a tool element (deploys, cloud API calls through plain flows), or
  through the browser or desktop it drives.
- T-AGENT-013: credentials a component that reads files or executes code can get at: the host it runs on,
  a store or configuration it reads, the agent's own configuration.
- T-AGENT-014: code written by outsiders (packages, contributed code, fetched scripts) run as part of a task.
- T-AGENT-016: an auto-start location (``autostart``: startup items, scheduled jobs, shell profiles, git hooks, CI
  configuration) that a model-driven or code-running component can write: what it plants there runs again later.

Conventions are those of ``rules.agent``; every function is linear in elements and flows.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import TOOL_KINDS, Classification, Element, Kind, Permission, System
from dicetm.rules.agent_common import (
    ACTING,
    MODEL_KINDS,
    NOT_A_TARGET,
    acted_on,
    approval_gap,
    can_act,
    drives_computer,
    executors,
    impact_factor,
    invokers_of,
    join_names,
    likelihood_factor,
    means_of,
    own_means,
    screen_reach,
    sensitivity_factor,
    talks_to_model,
    target_phrase,
    targets_of,
    untrusted_reach,
)
from dicetm.rules.base import Hit, RuleFunction

CONFIG_KINDS = frozenset({Kind.agent_config})  # agent configuration: prompt and memory files, settings


# --- T-AGENT-012 an agent or model-driven process acting without approval ---------------------------


def _acting_rights(element: Element) -> tuple[set[Permission], tuple[str, ...]]:
    """The rights stated on an agent or process; an agent driving a browser or desktop with none stated can
    click, type and submit, which is write access to whatever it is logged in to (and the assumption says so)."""
    if element.permissions:
        return set(element.permissions), ()
    if drives_computer(element):
        return {Permission.write}, (f"The permissions of {element.name} are not stated; as it drives a "
                                    f"{element.computer_use.value if element.computer_use else 'computer'}, "
                                    "assumed it can submit forms and change what it is logged in to.",)
    return set(), ()


def _model_driven(system: System, element: Element) -> bool:
    return element.kind is Kind.agent or (element.kind is Kind.process and talks_to_model(system, element))


def agent_acts_without_human_approval(system: System) -> Iterator[Hit]:
    """An agent or model-driven process with stated write/execute rights that no person approves, or an agent
    that drives a browser or desktop with sites, accounts or a browser drawn behind its screen (rights not
    stated: assumed it can submit forms there)."""
    reach = untrusted_reach(system)
    for element in system.elements:
        if element.kind not in (Kind.agent, Kind.process):
            continue
        granted, assumed = _acting_rights(element)
        acting = ACTING & granted
        if not acting or element.human_approval_required is True or not _model_driven(system, element):
            continue
        # Rights assumed from driving a screen are used on what the screen reaches, not on the tools it calls.
        targets = screen_reach(system, element) if assumed else acted_on(system, element)
        if assumed and not targets:
            continue  # nothing drawn behind the screen: what a page makes it do is T-ECO-007's
        assumptions: tuple[str, ...] = assumed
        if element.human_approval_required is None:
            assumptions += (f"Whether a person approves what {element.name} does before it runs is not stated; "
                            "assumed nobody does.",)
        reach_factors, reach_assumptions = reach.factor(element)
        factors = [*reach_factors, *sensitivity_factor(element, targets)]
        if Permission.execute in acting:
            factors.append(impact_factor(1, f"{element.id}.permissions~execute", f"{element.name} can run commands."))
        yield Hit(element=element.id, others=tuple(t.id for t in [*means_of(system, element), *targets]),
                  values={"target": target_phrase(targets),
                          "actions": " and ".join({Permission.write: "change", Permission.execute: "run commands on"}
                                                  [p] for p in sorted(acting))},
                  factors=tuple(factors), assumptions=(*assumptions, *reach_assumptions))


# --- T-AGENT-013 credentials within reach of something that reads files or executes code -------------


def _secret_assets(system: System) -> dict[str, str]:
    """Element id -> name of a secret asset stored there."""
    found: dict[str, str] = {}
    for asset in system.assets:
        if asset.classification is Classification.secret:
            for element_id in asset.stored_in:
                found.setdefault(element_id, asset.name)
    return found


def _holds_credentials(element: Element, assets: dict[str, str]) -> bool | None:
    """True when stated (fact, secret classification or secret asset), None when unknown, False when stated not."""
    if element.holds_credentials is not None:
        return element.holds_credentials
    if element.classification is Classification.secret or element.id in assets:
        return True
    return None


def _readers(system: System) -> Iterator[tuple[Element, list[Element], bool]]:
    """Model-driven components that read files or execute code, what they can read, and whether they execute."""
    executing = {element.id for element, _writers in executors(system)}
    means = own_means(system)
    for element in system.elements:
        runs = element.id in executing
        if element.kind in TOOL_KINDS:
            if not invokers_of(system, element) or element.id in means:
                continue  # a tool that is its owner's own means reads what the owner reads: reported there
            reads = element.permissions is None or Permission.read in element.permissions or runs
            if not reads:
                continue
            yield element, targets_of(system, element), runs
        elif element.kind in (Kind.agent, Kind.process) and _model_driven(system, element):
            # An agent driving a browser or desktop reads whatever the screen shows.
            reads = bool(element.permissions and Permission.read in element.permissions)
            screen = screen_reach(system, element) if drives_computer(element) else []  # it reads what is shown
            if reads or runs or screen:
                places = acted_on(system, element) if reads or runs else []
                yield element, list({e.id: e for e in [*places, *screen]}.values()), runs


def credentials_within_reach(system: System) -> Iterator[Hit]:
    """Credentials that a tool or agent able to read files or execute code can reach, or that the screen of an
    agent driving a browser or desktop shows (a logged-in browser, an account page): injected instructions (or a
    careless plan) read them out through the model."""
    assets = _secret_assets(system)
    reach = untrusted_reach(system)
    for reader, targets, runs in _readers(system):
        places = [t for t in targets if t.kind not in NOT_A_TARGET | {Kind.external_entity}]
        if runs and (reader.kind not in TOOL_KINDS or reader.acts_on not in system.element_by_id):
            places = [reader, *[p for p in places if p.id != reader.id]]  # it runs code in its own environment
        holders: list[Element] = []
        assumed: list[Element] = []
        for place in places:
            held = _holds_credentials(place, assets)
            if held is True:
                holders.append(place)
            elif held is None and (place.kind in CONFIG_KINDS or (runs and place.kind in (Kind.process, *TOOL_KINDS,
                                                                                            Kind.agent))):
                assumed.append(place)
        if not holders and not assumed:
            continue
        assumptions = tuple(f"Whether {p.name} keeps credentials (environment variables, configuration files, "
                            "tokens) is not stated (holds_credentials); assumed it does." for p in assumed)
        factors = list(reach.factor(reader)[0][:1])
        if holders:
            factors.append(likelihood_factor(1, f"{holders[0].id}.holds_credentials=true",
                                       f"{holders[0].name} is stated to keep credentials."))
        everything = [*holders, *assumed]
        config = [p for p in everything if p.kind in CONFIG_KINDS or (p.kind is Kind.agent and p.id == reader.id)]
        references = [*(["atlas:AML.T0083"] if config else []),
                      *(["atlas:AML.T0098"] if reader.kind in TOOL_KINDS else []),
                      *(["atlas:AML.T0090"] if runs else [])]  # code it runs can read process memory and caches
        places_text = join_names([p for p in everything if p.id != reader.id])
        if any(p.id == reader.id for p in everything):
            places_text = "its own environment" + (f" and {places_text}" if len(everything) > 1 else "")
        named = [*means_of(system, reader), *(p for p in everything if p.id != reader.id)]
        yield Hit(element=reader.id, others=tuple(dict.fromkeys(p.id for p in named)),
                  values={"holders": places_text, "how": "runs code" if runs else "reads"},
                  factors=tuple(factors), assumptions=assumptions, references=tuple(references))


# --- T-AGENT-014 running code written by outsiders ---------------------------------------------------


def _outsider_sources(system: System, host: Element) -> list[Element]:
    """Elements that feed code or content written by outsiders directly into ``host``."""
    found = []
    for sender in system.upstream(host.id):
        if sender.kind in MODEL_KINDS:
            continue
        if sender.untrusted_content is True or (sender.kind is Kind.external_entity
                                                and sender.untrusted_content is not False):
            found.append(sender)
    return found


def agent_runs_untrusted_code(system: System) -> Iterator[Hit]:
    """An executor whose host receives code written by outsiders (packages, contributed changes, fetched
    scripts) and runs it as part of the task: builds, tests and linters execute whatever they are given."""
    reach = untrusted_reach(system)
    for element, writers in executors(system):
        hosts = [element, *(acted_on(system, element) if element.kind not in TOOL_KINDS
                            else [t for t in targets_of(system, element) if t.kind is not Kind.external_entity])]
        sources = {s.id: s for host in hosts for s in _outsider_sources(system, host)}
        if not sources:
            continue
        factors = list(reach.factor(element)[0][:1])
        if element.sandboxed is True:
            factors.append(likelihood_factor(-1, f"{element.id}.sandboxed=true", f"{element.name} runs code in a "
                                       "sandbox, which limits what outsiders' code can reach."))
        gap = approval_gap(element, writers) if element.kind in TOOL_KINDS else (
            None if element.human_approval_required is True else (writers, ()))
        if gap is None:
            factors.append(likelihood_factor(-1, f"{element.id}.human_approval_required=true",
                                       "A person approves runs, though a build or test step looks harmless."))
        named = [*sources, *(e.id for e in [*means_of(system, element), *hosts[1:]])]
        yield Hit(element=element.id, others=tuple(dict.fromkeys(e for e in named if e != element.id)),
                  values={"sources": join_names(sources.values()), "host": join_names(hosts[1:2] or hosts[:1])},
                  factors=tuple(factors))


# --- T-AGENT-016 auto-start locations a steerable component writes ------------------------------------


def _steerable(element: Element) -> bool:
    """Can be made to write what an attacker wants: a model, agent or tool, code-running, or an outsider."""
    return (element.kind in MODEL_KINDS | TOOL_KINDS or element.executes_code is True
            or element.kind is Kind.external_entity or element.untrusted_content is True)


def autostart_location_writable(system: System) -> Iterator[Hit]:
    """A data store stated to hold what runs by itself later (``autostart``) that a model, agent or tool, a
    component running code, or an outsider writes to (a flow into it, or a tool acting on it with write access):
    one planted line there is persistent code execution at the next start, login, commit or build, with the rights
    of whatever runs it (the processes it flows to)."""
    for store in system.of_kind(Kind.data_store):
        if store.autostart is not True:
            continue
        writers = {e.id: e for e in system.upstream(store.id) if _steerable(e)}
        for tool in system.elements:
            if tool.kind in TOOL_KINDS and tool.acts_on == store.id and can_act(tool):
                writers.setdefault(tool.id, tool)
        if not writers:
            continue
        runners = [e for e in system.downstream(store.id) if e.kind in (Kind.process, Kind.agent)
                   and e.id not in writers]
        yield Hit(element=store.id, others=tuple(e.id for e in [*writers.values(), *runners]),
                  values={"writers": join_names(writers.values()),
                          "runners": join_names(runners) if runners else "the system that starts it"})


FUNCTIONS: dict[str, RuleFunction] = {
    "T-AGENT-012": agent_acts_without_human_approval,
    "T-AGENT-013": credentials_within_reach,
    "T-AGENT-014": agent_runs_untrusted_code,
    "T-AGENT-016": autostart_location_writable,
}
