"""LLM family, use of model access: denial of wallet and denial of service (LLM10:2025, LLM06:2026), copying
a valuable model by querying it, evading the access policy around it, and a provider or SaaS key used
directly, bypassing the application.

Findings land on the model (or on the third-party service whose key can leak); the entry points and the
gateways without a limit are listed as further elements, so an inner API gateway carries the finding too,
not only the first exposed hop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from dicetm.model import Classification, Element, Factor, Kind, ModelProvenance, System
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.reach import (
    MODELS,
    OPEN_WEIGHTS,
    RELAYS,
    SENSITIVE,
    CallerReach,
    anonymous_factor,
    caller_reach,
    entry_name,
    exposure_assumption,
    hosted_elsewhere,
    internet_factor,
    kinds,
    loop_owners,
    models,
    name_of,
    rank,
    requests_to,
    spread,
)

SERVICE_KINDS = frozenset({Kind.llm, Kind.model_provider, Kind.tool, Kind.mcp_server, Kind.data_store, Kind.process,
                           Kind.vector_store, Kind.knowledge_source, Kind.registry})


def _limit_assumption(system: System, gate: str, model: Element) -> str:
    return (f"Rate limiting on the path from {name_of(system, gate)} to {model.name} is not stated; "
            "assumed none.")


def _usage_hit(system: System, reach: CallerReach, model: Element, entry: str, note: str, *,
               others: tuple[str, ...], values: dict[str, str], assumptions: list[str],
               references: tuple[str, ...] = (), signed_in: bool = False) -> Hit:
    """``signed_in``: the callers the finding is about sign in at ``entry``, whatever other paths allow."""
    factors = internet_factor(system, reach, model.id, note)
    anonymous, more = ([], []) if signed_in else anonymous_factor(system, reach, model.id)
    more += exposure_assumption(system, reach, entry)
    return Hit(element=model.id, others=others, values={"entry": entry_name(system, entry, model), **values},
               factors=tuple(factors + anonymous), assumptions=tuple(assumptions + more), references=references)


# --------------------------------------------------------------------------------------------------
# T-LLM-014 denial of wallet, T-LLM-019 denial of service


def denial_of_wallet(system: System) -> Iterator[Hit]:
    """A model callers can reach with no token or cost budget: every request is paid for.

    Callers inside the organisation count too (a scripted loop, a stolen account), at a lower likelihood."""
    reach = caller_reach(system, through_models=True)
    for model in loop_owners(system):
        if model.id not in reach.any or model.budget_limited is True:
            continue
        entry = reach.exposed.get(model.id) or reach.any[model.id]
        assumptions = []
        if model.budget_limited is None:
            assumptions.append(f"Token or cost budgets for {model.name} are not stated; assumed none.")
        hit = _usage_hit(system, reach, model, entry, "anyone on the internet can send it requests",
                         others=(entry, *_driven_models(system, model)), values={}, assumptions=assumptions)
        if model.id not in reach.exposed:
            inside = Factor(target="likelihood", delta=-1, fact=f"{entry}.callers=internal",
                            note="only callers inside the organisation reach it")
            hit = dataclasses.replace(hit, factors=(*hit.factors, inside))
        yield hit


def _driven_models(system: System, agent: Element) -> list[str]:
    """The language models an agent calls: its consumption is theirs, so they are named in its finding."""
    if agent.kind is not Kind.agent:
        return []
    return [e.id for e in system.downstream(agent.id) if e.kind is Kind.llm]


def _open_gateways(system: System, model: Element, reach: CallerReach) -> list[str]:
    """Components on the way from callers to the model with no rate limit: where a limit belongs. What callers
    reach only through a model (a browser an agent drives) is not on their way."""
    direct = caller_reach(system, through_models=False).any
    behind = spread(system, {model.id: model.id}, lambda e: e.kind in RELAYS and e.rate_limited is not True,
                    backward=True)
    return [i for i in behind if i != model.id and i in reach.any and i in direct
            and system.element_by_id[i].kind in RELAYS and system.element_by_id[i].rate_limited is not True]


def denial_of_service(system: System) -> Iterator[Hit]:
    """A model outside callers can flood because no component on their path limits the request rate."""
    reach = caller_reach(system, through_models=True)
    for model in [*loop_owners(system), *system.of_kind(Kind.ml_model)]:
        if model.id not in reach.exposed or model.rate_limited is True or model.id not in reach.unthrottled:
            continue
        gate = reach.unthrottled[model.id]
        gateways = _open_gateways(system, model, reach)
        assumptions = []
        if model.rate_limited is None and gate in reach.limit_unstated:
            assumptions.append(_limit_assumption(system, gate, model))
        where = ", ".join(name_of(system, g) for g in gateways) or entry_name(system, gate, model)
        yield _usage_hit(system, reach, model, gate, "anyone on the internet can send it requests",
                         others=tuple(dict.fromkeys([gate, *gateways, *_driven_models(system, model)])),
                         values={"gateways": where},
                         assumptions=assumptions)


# --------------------------------------------------------------------------------------------------
# T-LLM-015 copying the model, T-LLM-016 evading the access policy


def _proprietary(system: System, model: Element) -> bool:
    """Worth copying: a model trained or fine-tuned in house, or a classifier whose weights are not public (a
    copy is the stand-in for evading it, whoever trained it)."""
    if model.model_provenance is ModelProvenance.in_house:
        return True
    if model.kind is Kind.ml_model:
        return model.model_provenance not in OPEN_WEIGHTS
    return any(e.kind is Kind.fine_tuning_pipeline for e in system.upstream(model.id))


def served_models(system: System) -> list[Element]:
    """Language models and agents that answer prompts, and models that score or classify: what callers query."""
    return [*models(system), *system.of_kind(Kind.ml_model)]


def model_extraction_through_queries(system: System) -> Iterator[Hit]:
    """An in-house or fine-tuned model, or a classifier whose weights are not public, that outside callers can
    query without a rate limit. A classifier returning its scores also gives away membership and inversion."""
    reach = caller_reach(system, through_models=True)
    for model in served_models(system):
        if not _proprietary(system, model) or model.id not in reach.exposed:
            continue
        if model.rate_limited is True or model.id not in reach.unthrottled:
            continue
        gate = reach.unthrottled[model.id]
        assumptions = []
        if model.rate_limited is None and gate in reach.limit_unstated:
            assumptions.append(_limit_assumption(system, gate, model))
        # Queried through an application in front of it: access to the model by way of the AI-enabled product.
        references: tuple[str, ...] = ("atlas:AML.T0047",) if gate != model.id else ()
        if model.returns_scores is True:
            references += ("atlas:AML.T0024.000", "atlas:AML.T0024.001")
        yield _usage_hit(system, reach, model, gate, "anyone on the internet can query it",
                         others=(gate,), values={}, assumptions=assumptions, references=references)


def _signed_in_reach(system: System, reach: CallerReach) -> dict[str, str]:
    """Elements reached from an exposed entry point that requires callers to sign in: id -> that entry. An
    open sign-up or status page beside it leaves the accounts it hands out as the policy in front of the model."""
    entries = {e.id: e.id for e in system.elements
               if reach.exposed.get(e.id) == e.id and e.authenticated is True}
    return spread(system, entries, kinds(RELAYS | MODELS)) if entries else {}


def access_policy_evasion(system: System) -> Iterator[Hit]:
    """A valuable model behind an access policy (accounts, rate limits): fraudulent or stolen accounts and
    reseller proxies spread the queries so the policy never triggers. Accounts count as the policy when an
    exposed entry that requires sign-in reaches the model, even if an open path (account registration) does
    too. Where rate limits are part of the policy, queries spread over many accounts still exhaust the model's
    capacity (denial of service)."""
    reach = caller_reach(system, through_models=True)
    signed_in = _signed_in_reach(system, reach)
    for model in models(system):
        if not _proprietary(system, model) or model.id not in reach.exposed:
            continue
        entry = signed_in.get(model.id) or reach.exposed[model.id]
        accounts = model.id not in reach.anonymous or model.id in signed_in
        throttled = model.rate_limited is True or model.id not in reach.unthrottled
        if not accounts and not throttled:
            continue  # no policy to evade: T-LLM-015 covers open querying
        policy = " and ".join(p for p, held in (("accounts", accounts), ("rate limits", throttled)) if held)
        assumptions = []
        if accounts and entry in reach.auth_unstated:
            assumptions.append(f"Whether callers of {name_of(system, entry)} sign in is not stated; assumed "
                               "accounts are needed.")
        yield _usage_hit(system, reach, model, entry, "anyone on the internet can open accounts",
                         others=(entry,), values={"policy": policy}, assumptions=assumptions,
                         references=(("atlas:AML.T0012",) if accounts else ()) + (("atlas:AML.T0029",) if throttled
                                                                                 else ()),
                         signed_in=model.id in signed_in)


# --------------------------------------------------------------------------------------------------
# T-LLM-021: a provider or SaaS key used directly, bypassing the application


def _carried_by_provider(system: System, element: Element) -> bool:
    """An llm served by a model provider element: the provider's account (and key) carries the finding."""
    return element.kind is Kind.llm and any(
        e.kind is Kind.model_provider for e in [*system.upstream(element.id), *system.downstream(element.id)])


def _keyed_service(element: Element) -> bool:
    """A third-party model API (always keyed), or a third-party service that is not open to everyone anyway
    (public web content needs no key)."""
    if element.kind not in SERVICE_KINDS:
        return False
    if element.kind is Kind.registry:  # publishing to a registry or marketplace always takes a key or token
        return True
    if element.kind in MODELS | {Kind.model_provider}:
        return hosted_elsewhere(element) or (element.kind is Kind.model_provider and element.third_party is not False
                                              and element.model_provenance in (None, ModelProvenance.vendor_api))
    if element.untrusted_content is True and element.classification in (None, Classification.public):
        return False
    return element.third_party is True


def _key_holders(system: System, service: Element) -> list[Element]:
    """Own components that call the service with a credential (a flow not stated as unauthenticated)."""
    holders: dict[str, Element] = {}
    callers = requests_to(system, service.id)
    if service.kind is Kind.model_provider:  # the models it serves are called; their callers hold the key
        for served in [*system.upstream(service.id), *system.downstream(service.id)]:
            if served.kind is Kind.llm:
                callers += requests_to(system, served.id)
    for flow in callers:
        caller = system.element_by_id.get(flow.source)
        if caller is None or caller.id == service.id or flow.authenticated is False:
            continue
        if service.kind is Kind.registry and flow.authenticated is not True and caller.holds_credentials is not True:
            continue  # fetching from a registry needs no key; publishing to it (a signed-in flow) does
        if caller.kind in (Kind.external_entity, Kind.model_provider) or caller.third_party is True:
            continue
        if caller.kind is Kind.llm and caller.id in {e.id for e in system.upstream(service.id)}:
            continue
        holders.setdefault(caller.id, caller)
    return list(holders.values())


def provider_key_used_directly(system: System) -> Iterator[Hit]:
    """A key for a third-party model or SaaS service kept by the application, or a token that publishes to a
    registry or marketplace (a signed-in flow into it): once it leaks (a log line, an error message, a commit, an
    environment dump) anyone can call the service, or publish a version every user installs, directly. Services
    reached with the same key holders (one token for several repositories) share one finding; a model provider's
    finding names the models it serves. A key to a model account is also used to list which models and quotas it
    opens, and is billed to you. A key to a platform that deploys or runs the organisation's own components
    (a flow from it to them) can also stop or delete them (denial of service)."""
    buckets: dict[tuple[frozenset[str], bool], list[tuple[Element, list[Element]]]] = {}
    for service in system.elements:
        if not _keyed_service(service) or _carried_by_provider(system, service):
            continue
        holders = _key_holders(system, service)
        if holders:
            is_model = service.kind in MODELS | {Kind.model_provider}
            buckets.setdefault((frozenset(h.id for h in holders), is_model), []).append((service, holders))
    for (_ids, is_model), members in buckets.items():
        services = [service for service, _holders in members]
        publishing = all(s.kind is Kind.registry for s in services)
        holders = members[0][1]
        factors: list[Factor] = []
        logs = [e for h in holders for e in system.downstream(h.id) if e.kind is Kind.log_store]
        if logs:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{logs[0].id}.written_by_key_holder",
                                  note=f"logs and error traces of the key holder go to {logs[0].name}"))
        sensitive = [s for s in services if rank(s.classification) >= SENSITIVE]
        if sensitive:
            factors.append(Factor(target="impact", delta=1, fact=f"{sensitive[0].id}.classification>=confidential",
                                  note=f"{sensitive[0].name} keeps confidential data the key opens"))
        unstated = [h for h in holders if h.holds_credentials is None]
        assumptions = tuple(f"How {h.name} keeps its credential for {_names(services)} is not stated; assumed an "
                            "API key or token in its configuration or environment." for h in unstated)
        served = [e for s in services if s.kind is Kind.model_provider
                  for e in [*system.upstream(s.id), *system.downstream(s.id)] if e.kind is Kind.llm]
        # A platform that deploys or runs the organisation's own components: its key can also stop them.
        controlled = [e for s in services if s.kind is Kind.process for e in system.downstream(s.id)
                      if e.kind is not Kind.external_entity and e.third_party is not True and e.id not in
                      {h.id for h in holders}]
        what = "publishing new versions" if publishing else "the models" if is_model else "the data and API"
        if controlled and not is_model:
            what += f" and control of {_names(controlled)}"
        references = (("atlas:AML.T0034", "atlas:AML.T0075", "owasp-llm:LLM10:2025", "owasp-llm:LLM06:2026")
                      if is_model else ()) + (("atlas:AML.T0029",) if controlled else ())
        yield Hit(element=services[0].id,
                  others=tuple(dict.fromkeys(e.id for e in [*services[1:], *served, *holders, *controlled])),
                  lists={"holders": tuple(h.name for h in holders), "services": tuple(s.name for s in services)},
                  values={"what": what},
                  factors=tuple(factors), assumptions=assumptions, references=references)


def _names(elements: list[Element]) -> str:
    names = [e.name for e in elements]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


FUNCTIONS: dict[str, RuleFunction] = {
    "T-LLM-014": denial_of_wallet,
    "T-LLM-015": model_extraction_through_queries,
    "T-LLM-016": access_policy_evasion,
    "T-LLM-019": denial_of_service,
    "T-LLM-021": provider_key_used_directly,
}
