"""STRIDE rules for what a component open to outsiders or to other tenants offers an attacker beyond a missing
check: a flaw in the application itself (T-STRIDE-012), the accounts people sign in with (T-STRIDE-013), records
fetched by identifiers callers choose (T-STRIDE-014), capacity tenants share (T-STRIDE-015), and a store that
answers on the internet itself, beside the application in front of it (T-STRIDE-017), and a shared store whose
records can be served to the wrong person (T-STRIDE-018). Requests a client or browser relays for outside content
are in ``rules.stride_browser``.

They sit beside ``rules.stride``: T-STRIDE-001 reports an entry point that lets anonymous callers in,
T-STRIDE-013 the one that does authenticate (its accounts are then what an attacker goes after), so every
internet-facing entry point gets exactly one spoofing finding.

Stated facts make an element internet-facing here (``exposure: internet``); T-STRIDE-012 also takes a component
with no stated exposure that a caller outside every trust zone reaches directly over a network protocol. A
vendor's model API is the vendor's public application, not one of this system's. Every function is linear in
elements and flows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dicetm.model import PROCESS_KINDS, STORE_KINDS, Classification, Element, Exposure, Factor, Kind, System
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import Hit, RuleFunction, per_system
from dicetm.rules.reach import (
    MODEL_FILE_READERS,
    holds_model_files,
    hosted_elsewhere,
    kinds,
    open_to_internet,
    requests_from,
    requests_to,
    spread,
)
from dicetm.rules.reach_content import (
    sensitive_reach,
)

# Components that can be an application of their own on an open port (tools are reached through a model).
APPLICATION_KINDS = PROCESS_KINDS - {Kind.tool}
MODEL_KINDS = frozenset({Kind.llm, Kind.agent, Kind.ml_model})
# Protocol words of a service listening on a network port.
NETWORK_PROTOCOLS = frozenset({"http", "https", "grpc", "grpcs", "ws", "wss", "websocket", "websockets", "sse",
                               "rest", "graphql", "tcp", "rpc", "jsonrpc"})
# Where requests travel on from an entry point towards the data it opens.
FORWARDING_KINDS = PROCESS_KINDS
# Components several tenants can share (models have their own flooding rule).
SHARED_KINDS = (PROCESS_KINDS | STORE_KINDS) - {Kind.llm, Kind.agent}
# Stores whose records an API hands out one by one.
RECORD_STORES = frozenset({Kind.data_store, Kind.log_store})
# What an application's own requests reach that is no target for forged ones: model APIs (a fixed vendor
# endpoint), and stores (read and written through their own protocol, T-STRIDE-006's ground).
SERVICE_EXCLUDED = STORE_KINDS | {Kind.llm, Kind.agent, Kind.model_provider}
CONFIDENTIAL = CLASSIFICATION_RANK[Classification.confidential]
PERSONAL = CLASSIFICATION_RANK[Classification.personal]


def _rank(classification: Classification | None) -> int:
    return -1 if classification is None else CLASSIFICATION_RANK[classification]


def _internet_application(element: Element) -> bool:
    """An own component that answers on the public internet (not a vendor's hosted model API)."""
    return (element.kind in APPLICATION_KINDS and element.exposure is Exposure.internet
            and element.third_party is not True and not hosted_elsewhere(element))


def _called_from_open_network(system: System, element: Element) -> Element | None:
    """An own component with no stated exposure and no stated sign-in that an external entity outside every trust
    zone (the open network, by the model's convention) sends requests to directly over a network protocol (HTTP,
    gRPC, WebSocket...), on a flow not stated to authenticate: the first such caller. A person at a desktop app or
    the scene in front of a camera is outside every zone too, but sends nothing over the network; models and
    agents are left out (a person prompting one is its user)."""
    if (element.kind not in APPLICATION_KINDS - MODEL_KINDS or element.exposure is not None
            or element.third_party is True or element.authenticated is True):
        return None
    for flow in requests_to(system, element.id):
        caller = system.element_by_id.get(flow.source)
        if (caller is not None and caller.kind is Kind.external_entity and caller.id not in system.boundary_of
                and flow.authenticated is not True and _network_protocol(flow.protocol)):
            return caller
    return None


def _network_protocol(protocol: str | None) -> bool:
    """The flow's protocol is one a service answers on a network port with (JSON-RPC over stdio is local)."""
    words = set(re.split(r"[^a-z0-9]+", protocol.lower())) if protocol else set()
    return bool(NETWORK_PROTOCOLS & words) and "stdio" not in words


def _people_sign_in(system: System, element: Element) -> bool:
    return any((s := system.element_by_id.get(f.source)) is not None and s.kind is Kind.external_entity
               for f in requests_to(system, element.id))


@per_system
def _sensitive_ahead(system: System) -> dict[str, str]:
    """Element id -> the most sensitive (confidential or above) element its requests can get to through
    process-like hops. One backward search per classification level, most sensitive first, so linear."""
    holders = [e for e in system.elements if e.kind is not Kind.external_entity and _rank(e.classification)
               >= CONFIDENTIAL]
    found: dict[str, str] = {}
    for level in sorted({_rank(e.classification) for e in holders}, reverse=True):
        tier = {e.id: e.id for e in holders if _rank(e.classification) == level}
        for element_id, holder in spread(system, tier, kinds(FORWARDING_KINDS), backward=True).items():
            found.setdefault(element_id, holder)
    return found


def _opened_data(system: System, element: Element, received: dict[str, str]) -> Element | None:
    """The most sensitive element a foothold on ``element`` gets at: itself, what its requests can get to, and
    what sensitive data flows into it (``received``: ``reach.sensitive_reach``)."""
    holders = [element.id, _sensitive_ahead(system).get(element.id), received.get(element.id)]
    ranked = [system.element_by_id[h] for h in holders if h is not None]
    best = max(ranked, key=lambda e: _rank(e.classification))
    return best if _rank(best.classification) >= CONFIDENTIAL else None


def _names(elements: list[Element]) -> str:
    names = [e.name for e in elements]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------- T-STRIDE-012 exploitable application


def _requests_into_other_zones(system: System, element: Element) -> list[Element]:
    """Services in another trust zone, out of the internet's reach, that ``element`` itself sends requests to (not
    its callers, not a model API, not a store it reads or writes): where crafted input can point its server-side
    requests at what the attacker cannot reach directly. An external entity drawn inside a zone is a service
    there; one outside every zone is on the open internet, which the attacker reaches anyway."""
    callers = {f.source for f in requests_to(system, element.id)}
    zone = system.boundary_of.get(element.id)
    found: dict[str, Element] = {}
    for flow in requests_from(system, element.id):
        target = system.element_by_id.get(flow.target)
        if target is None or target.id in callers or target.kind in SERVICE_EXCLUDED:
            continue
        target_zone = system.boundary_of.get(target.id)
        if target_zone is None or target_zone == zone or target.exposure in (Exposure.internet, Exposure.partner):
            continue
        found.setdefault(target.id, target)
    return list(found.values())


def public_facing_application_exploitable(system: System) -> Iterator[Hit]:
    """T-STRIDE-012: an own component that answers on the public internet: scanners find it and try known
    exploits for its framework and packages and flaws in its own input handling. A component with no stated
    exposure that an external entity outside every trust zone calls directly over a network protocol, with no
    sign-in stated on it or on that flow, counts too, with that assumption; when it sits inside a zone it may
    listen on more interfaces than meant (CWE-1327). Fires whatever its other facts say; stated facts (pinned
    dependencies, validated input, sign-in) move the score. When it sends requests of its own to services in
    another trust zone, the finding names them and adds server-side request forgery (CWE-918): crafted input
    points those requests at addresses the attacker cannot reach."""
    received = sensitive_reach(system)
    for element in system.elements:
        internet = _internet_application(element)
        caller = None if internet else _called_from_open_network(system, element)
        if not internet and caller is None:
            continue
        factors: list[Factor] = []
        opened = _opened_data(system, element, received)
        if opened is not None:
            where = "it handles" if opened.id == element.id else f"of {opened.name}, which it receives or requests"
            factors.append(Factor(target="impact", delta=1, fact=f"{opened.id}.classification>=confidential",
                                  note=f"a foothold here gets the {opened.classification} data {where}"))
        assumptions: list[str] = []
        if element.dependencies_pinned is None:
            assumptions.append(f"Whether the frameworks and packages of {element.name} are pinned and scanned for "
                               "known vulnerabilities is not stated (dependencies_pinned); assumed they are not.")
        services = _requests_into_other_zones(system, element)
        forwards = (f" The requests it sends on to {_names(services)} in another zone can be pointed at other "
                    "addresses there (server-side request forgery)." if services else "")
        references = ["cwe:CWE-918"] if services else []
        if caller is not None:
            assumptions.append(f"Where {element.name} can be reached from is not stated (exposure); {caller.name}, "
                               "outside every trust zone, sends it requests directly, so assumed it answers on an "
                               "open network.")
            if element.id in system.boundary_of:
                references.append("cwe:CWE-1327")  # a component inside a zone that listens beyond it
                forwards += (f" If {element.name} is meant to serve only its own zone, it listens on more network "
                             "interfaces than it should.")
        if element.holds_credentials is True or element.classification is Classification.secret:
            references += ["atlas:AML.T0055", "atlas:AML.T0106"]
            forwards += " The keys and tokens it holds (environment, configuration) come with the foothold."
        channels = _outbound_channels(system, element)
        if channels:
            references.append("atlas:AML.T0025")
            forwards += (f" Data read there can leave through its own connection to {_names(channels)}, which "
                         "nobody would notice as unusual traffic.")
        yield Hit(element=element.id, others=tuple(e.id for e in [*services, *channels]),
                  values={"forwards": forwards}, factors=tuple(factors), assumptions=tuple(assumptions),
                  references=tuple(references))


def _outbound_channels(system: System, element: Element) -> list[Element]:
    """Outside parties ``element`` sends confidential or more sensitive data to on a one-way flow of its own (a
    push, an upload, a webhook; not the answer to a caller's two-way request), unless its egress is restricted:
    a ready-made channel for taking data out."""
    if element.egress_restricted is True:
        return []
    found: dict[str, Element] = {}
    for flow in system.flows_from.get(element.id, []):
        target = system.element_by_id.get(flow.target)
        if (flow.source == element.id and not flow.bidirectional and target is not None
                and target.kind is Kind.external_entity and _rank(flow.classification) >= CONFIDENTIAL):
            found.setdefault(target.id, target)
    return list(found.values())


# ---------------------------------------------------------------- T-STRIDE-013 accounts at an internet sign-in


def internet_sign_in_accounts(system: System) -> Iterator[Hit]:
    """T-STRIDE-013: a component on the public internet that makes callers sign in: their accounts (passwords,
    API keys) are what an attacker goes after, by guessing, stuffing leaked passwords, phishing or default and
    test accounts left in place. A sign-in a vendor runs counts when people sign in to it directly. The stores it
    writes are named with it: a taken-over account changes or deletes what is kept there."""
    received = sensitive_reach(system)
    for element in system.elements:
        if element.kind not in APPLICATION_KINDS or element.exposure is not Exposure.internet:
            continue
        if element.authenticated is not True or hosted_elsewhere(element):
            continue
        if element.third_party is True and not _people_sign_in(system, element):
            continue
        opened = _opened_data(system, element, received)
        factors: tuple[Factor, ...] = ()
        if opened is not None:
            factors = (Factor(target="impact", delta=1, fact=f"{opened.id}.classification>=confidential",
                              note=f"an account gets at {opened.classification} data ({opened.name})"),)
        callers = [s for f in requests_to(system, element.id)
                   if (s := system.element_by_id.get(f.source)) is not None and s.kind is Kind.external_entity]
        written = [e for e in system.downstream(element.id) if e.kind in STORE_KINDS]
        yield Hit(element=element.id, others=tuple(dict.fromkeys(e.id for e in [*callers, *written])),
                  values={"callers": _names(callers) if callers else "its users"}, factors=factors)


# ---------------------------------------------------------------- T-STRIDE-014 records by caller-chosen ids


def _serves_outsiders(system: System, element: Element) -> bool:
    """Outsiders call it: it is exposed to the internet or partners, or an external entity sends it requests."""
    if element.exposure in (Exposure.internet, Exposure.partner):
        return True
    return any((s := system.element_by_id.get(f.source)) is not None and s.kind is Kind.external_entity
               for f in requests_to(system, element.id))


def _records_of_many(store: Element) -> bool | None:
    """True when the store holds records of many people or tenants (stated), None when assumed from personal
    data (records about people), False otherwise (a secret store holds keys, not people's records)."""
    if store.multi_tenant is not None:
        return store.multi_tenant
    return None if store.classification is Classification.personal else False


def records_fetched_by_caller_ids(system: System) -> Iterator[Hit]:
    """T-STRIDE-014: a process that outsiders call reads records of many people or tenants from a store (stated
    multi_tenant, or personal data): unless every lookup checks that the caller may see that record, changing
    an identifier in a request returns someone else's record. When callers are stated to sign in, the weakness
    is an incorrect check rather than a missing one (CWE-863): a route, header or method that checks the wrong
    thing."""
    for element in system.elements:
        if element.kind is not Kind.process or not _serves_outsiders(system, element):
            continue
        stores: list[Element] = []
        assumed: list[Element] = []
        for flow in system.flows_to.get(element.id, []):
            store = system.element_by_id.get(system.other_end(flow, element.id))
            if store is None or store.kind not in RECORD_STORES or store.id in {s.id for s in stores + assumed}:
                continue
            many = _records_of_many(store)
            if many is True:
                stores.append(store)
            elif many is None:
                assumed.append(store)
        if not stores and not assumed:
            continue
        read = [*stores, *assumed]
        factors: list[Factor] = []
        personal = [s for s in read if _rank(s.classification) >= PERSONAL]
        if personal:
            factors.append(Factor(target="impact", delta=1, fact=f"{personal[0].id}.classification>=personal",
                                  note=f"{personal[0].name} holds {personal[0].classification} data"))
        if element.multi_tenant is True:
            factors.append(Factor(target="likelihood", delta=1, fact=f"{element.id}.multi_tenant=true",
                                  note="callers of several tenants share it, so another tenant's ids are near"))
        assumptions = tuple(f"Whether {s.name} holds records of several people or tenants is not stated "
                            "(multi_tenant); assumed it does, since it holds personal data." for s in assumed)
        references = ["cwe:CWE-359"] if personal else []
        checked = ""
        if element.authenticated is True:  # a check exists after sign-in; the flaw is in where and how it is made
            references.append("cwe:CWE-863")
            checked = (" Because callers sign in, the checks exist but are made per endpoint: one route, header or "
                       "method that checks the wrong thing (or a stale grant) lets an account past the limits set "
                       "for it.")
        yield Hit(element=element.id, others=tuple(s.id for s in read),
                  values={"stores": _names(read), "checked": checked},
                  factors=tuple(factors), assumptions=assumptions, references=tuple(references))


# ---------------------------------------------------------------- T-STRIDE-015 a resource tenants share


def shared_resource_without_quotas(system: System) -> Iterator[Hit]:
    """T-STRIDE-015: a store or service stated to serve several tenants (``multi_tenant: true``) with no stated
    limit per caller: one tenant's heavy or abusive load slows it down or fills it up for all the others (a noisy
    neighbour). Models have their own flooding finding (T-LLM-019)."""
    for element in system.elements:
        if element.multi_tenant is not True or element.kind not in SHARED_KINDS or element.rate_limited is True:
            continue
        if element.third_party is True:
            continue  # the provider sizes and limits its own shared service
        assumptions: tuple[str, ...] = ()
        if element.rate_limited is None:
            assumptions = (f"Whether {element.name} limits load per tenant (quotas, rate limits) is not stated; "
                           "assumed it does not.",)
        yield Hit(element=element.id, assumptions=assumptions)


# ---------------------------------------------------------------- T-STRIDE-017 a store open to the internet


def store_open_to_the_internet(system: System) -> Iterator[Hit]:
    """T-STRIDE-017: a store of this system (not a third party's) stated to be reachable from the internet
    (``exposure: internet``), not stated to make callers authenticate, and not holding only public data: whoever
    finds it (open databases, buckets and shared links are indexed at internet scale) reads its data, and often
    changes it, without passing the application in front of it. The processes that normally read and write it
    are named: the checks they make are the ones bypassed. When a model or training job loads its files from it,
    a file replaced there is a tampered model (a supply-chain compromise), and the models are named too. Without
    stated access logging (``audit_logging``) nobody can tell who read it."""
    for store in system.elements:
        if not open_to_internet(store) or store.third_party is True:
            continue  # someone else's store (the public web, a SaaS) is theirs to lock
        if store.classification is Classification.public and store.holds_credentials is not True:
            continue  # meant to be read by anyone
        factors: tuple[Factor, ...] = ()
        assumptions: tuple[str, ...] = ()
        if store.authenticated is False:
            factors = (Factor(target="likelihood", delta=1, fact=f"{store.id}.authenticated=false",
                              note="it is stated to need no credentials at all"),)
        else:
            assumptions = (f"Whether {store.name} makes callers from the internet authenticate is not stated "
                           "(authenticated); assumed a link or no credentials are enough.",)
        users = [e for e in [*system.upstream(store.id), *system.downstream(store.id)] if e.kind in PROCESS_KINDS]
        references: list[str] = []
        if store.holds_credentials is True:
            references.append("atlas:AML.T0055")
        models = [e for e in system.downstream(store.id) if e.kind in MODEL_FILE_READERS]
        if holds_model_files(system, store):
            references.append("atlas:AML.T0010.003")  # a tampered model file reaches whatever loads it
        unnoticed = ""
        if store.audit_logging is not True:
            references.append("cwe:CWE-778")
            unnoticed = (" Nothing records who reads it, so the exposure can go on for years and nobody can tell "
                         "afterwards what was taken.")
        yield Hit(element=store.id, others=tuple(dict.fromkeys(e.id for e in [*users, *models])),
                  values={"users": _names(users) if users else "the application", "unnoticed": unnoticed},
                  factors=factors, assumptions=assumptions, references=tuple(references))


# ---------------------------------------------------------------- T-STRIDE-018 one user's data served to another


def _answering_near(system: System, readers: list[Element]) -> list[Element]:
    """The processes that hand a store's records to people: its readers, or the processes up to two steps on from
    them, that send to an external entity (a page, an email). A bounded look, so the rule stays linear."""
    found: dict[str, Element] = {}
    frontier = readers
    for _step in range(3):  # the readers themselves, then two steps on
        ahead: list[Element] = []
        for process in frontier:
            receivers = system.downstream(process.id)
            if any(e.kind is Kind.external_entity for e in receivers):
                found.setdefault(process.id, process)
            ahead += [e for e in receivers if e.kind is Kind.process]
        frontier = ahead
    return list(found.values())


def data_served_to_the_wrong_user(system: System) -> Iterator[Hit]:
    """T-STRIDE-018: a store stated to hold the data of several users or tenants (``multi_tenant``), or read
    through a shared component that is (a pooled client library, a shared cache layer), whose data is not stated
    to be public or internal, and whose records go out to people through the processes that read it (within two
    steps). A mixed-up cache key, a connection reused across requests or a race between sessions then serves one
    person's records to another, with no attacker needed. The readers and the components that answer people are
    named: that is where each request's identity must stay attached to its data."""
    for store in system.elements:
        if store.kind not in STORE_KINDS or _rank(store.classification) in (0, 1):
            continue
        readers = [e for e in system.downstream(store.id) if e.kind is Kind.process]
        shared = [e for e in [store, *readers] if e.multi_tenant is True]
        if not shared:
            continue
        answering = _answering_near(system, readers)
        if not answering:
            continue
        assumptions: tuple[str, ...] = ()
        if store.classification is None:
            assumptions = (f"What {store.name} holds is not stated (classification); assumed records of the people "
                           "it serves.",)
        yield Hit(element=store.id, others=tuple(dict.fromkeys(e.id for e in [*readers, *answering])),
                  values={"shared": _names(shared), "answering": _names(answering)}, assumptions=assumptions)


FUNCTIONS: dict[str, RuleFunction] = {
    "T-STRIDE-012": public_facing_application_exploitable,
    "T-STRIDE-013": internet_sign_in_accounts,
    "T-STRIDE-014": records_fetched_by_caller_ids,
    "T-STRIDE-015": shared_resource_without_quotas,
    "T-STRIDE-017": store_open_to_the_internet,
    "T-STRIDE-018": data_served_to_the_wrong_user,
}
