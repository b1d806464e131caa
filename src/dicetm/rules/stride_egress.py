"""STRIDE rules for what leaves without a break-in. Sensitive data sent to a third party, and the copies it keeps
(T-STRIDE-009). A host that runs code, with open egress, reaching a public AI service API (T-STRIDE-016): traffic
to a well-known AI service is trusted and encrypted, so code planted on the host can use the service (an account of
the attacker's own) to receive commands and send data out unseen. And a secret written into a place the public
reads (T-STRIDE-022): a token committed to a public repository is found by the scanners that crawl it within
minutes.

A language model or agent calling its own model is the ordinary design and is not reported here; an agent
turned into a remote control is T-ECO-008. Linear in elements and flows.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import PROCESS_KINDS, STORE_KINDS, Classification, Element, Factor, Kind, ModelProvenance, System
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import Hit, RuleFunction, per_system
from dicetm.rules.reach import RELAYS, name_of, spread
from dicetm.rules.stride_common import CONFIDENTIAL, PERSONAL, factor, flow_label, is_foreign, secret_places

AI_SERVICE_KINDS = frozenset({Kind.llm, Kind.ml_model, Kind.model_provider})


def _hosted_ai_service(system: System, element: Element) -> bool:
    """A model API run by a third party: a hosted model or provider, or a third-party service wired to one."""
    if element.kind in AI_SERVICE_KINDS:
        return element.third_party is True or element.model_provenance is ModelProvenance.vendor_api
    return element.third_party is True and any(
        n.kind is Kind.model_provider for n in (*system.upstream(element.id), *system.downstream(element.id)))


@per_system
def _ai_services(system: System) -> dict[str, str]:
    return {e.id: e.id for e in system.elements if _hosted_ai_service(system, e)}


def ai_service_as_covert_channel(system: System) -> Iterator[Hit]:
    """A process of the organisation that runs code, outside a sandbox and without an egress allow-list, whose
    requests reach a hosted AI service API through processes that pass them on."""
    services = _ai_services(system)
    if not services:
        return
    # One backward search from every AI service: which elements' requests reach one, through relays.
    reached = spread(system, services, lambda e: e.kind in RELAYS and e.id not in services, backward=True)
    for host in system.of_kind(Kind.process):
        if (host.executes_code is not True or host.sandboxed is True or host.egress_restricted is True
                or host.third_party is True or host.id in services or host.id not in reached):
            continue
        service = reached[host.id]
        relays = [e.id for e in system.downstream(host.id) if e.kind in RELAYS and e.id in reached
                  and e.id not in services]
        assumptions: tuple[str, ...] = ()
        if host.egress_restricted is None:
            assumptions = (f"Whether outbound traffic from {host.name} is limited to an allow-list is not stated "
                           "(egress_restricted); assumed open.",)
        yield Hit(element=host.id, others=(*relays, service), values={"service": name_of(system, service)},
                  assumptions=assumptions)


def secret_kept_in_public_place(system: System) -> Iterator[Hit]:
    """A store stated public (``classification: public``) that keeps a secret: it is stated to hold credentials or
    a secret asset, or a flow classified secret is written into it. Whoever reads the public place (anyone,
    crawlers that scan for keys) has the secret; the finding names who wrote it there, who reads it, and the
    services those readers sign in to (where a found token works). A place whose content outsiders write
    (``untrusted_content``), not stated to keep the secret, is someone else's: a secret sent there (credentials
    typed into a phishing page, a form) goes to whoever runs it and is not published. An agent configuration
    kept in public is also the attacker's resource (AML.T0002.002)."""
    kept = secret_places(system)
    for store in system.elements:
        if store.kind not in STORE_KINDS or store.classification is not Classification.public:
            continue
        writes = [f for f in system.flows_to.get(store.id, []) if f.classification is Classification.secret]
        if store.id not in kept and (not writes or store.untrusted_content is True):
            continue
        writers = [f.source for f in writes]
        readers = [e.id for e in system.downstream(store.id) if e.kind is Kind.external_entity]
        opened = [e.id for r in readers for e in system.downstream(r)
                  if e.kind in PROCESS_KINDS and e.authenticated is True]
        yield Hit(element=store.id, others=tuple(dict.fromkeys([*writers, *readers, *opened])),
                  values={"how": "written into" if writes else "kept in"},
                  references=("atlas:AML.T0002.002",) if store.kind is Kind.agent_config else ())


def sensitive_data_to_third_party(system: System) -> Iterator[Hit]:
    """T-STRIDE-009: confidential or more sensitive data flowing to an element a third party operates. The stores
    of that third party the receiver writes into are named with it (CWE-459): the copies it keeps there outlive
    the contract unless deleting them is agreed and checked."""
    for flow in system.flows:
        source = system.element_by_id.get(flow.source)
        target = system.element_by_id.get(flow.target)
        if source is None or target is None or source.id == target.id:
            continue
        third_party = target.third_party is True or (target.third_party is None
                                                     and target.kind is Kind.model_provider)
        if not third_party or is_foreign(source):
            continue  # only data the organisation sends is its disclosure
        assumptions: list[str] = []
        if target.third_party is None:
            assumptions.append(f"Who operates {target.name} is not stated; a model provider is assumed to be "
                               "a third party.")
        carried = flow.classification
        if carried is None:
            carried = source.classification
            if carried is not None and CLASSIFICATION_RANK[carried] >= CONFIDENTIAL:
                assumptions.append(f"The classification of flow {flow_label(flow)} is not stated; "
                                   f"assumed it can carry the {carried} data {source.name} holds.")
        if carried is None or CLASSIFICATION_RANK[carried] < CONFIDENTIAL:
            continue
        factors: tuple[Factor, ...] = ()
        if CLASSIFICATION_RANK[carried] >= PERSONAL:
            holder = flow.id if flow.classification is not None else source.id
            factors = (factor("impact", 1, f"{holder}.classification={carried}",
                               f"{carried.value.capitalize()} data brings legal duties (privacy law, "
                               "contracts) that follow it to the third party."),)
        copies = _copies_kept_by(system, target)
        yield Hit(element=target.id, flow=flow.id, others=(source.id, *copies), lists={"data_class": (carried.value,)},
                  factors=factors, assumptions=tuple(assumptions),
                  references=("cwe:CWE-459",) if copies else ())


def _copies_kept_by(system: System, receiver: Element) -> tuple[str, ...]:
    """Stores the same third party keeps what it receives in (flows out of the receiver into third-party stores):
    the copies that outlive the contract unless deleting them is agreed and checked."""
    return tuple(dict.fromkeys(e.id for e in system.downstream(receiver.id)
                               if e.kind in STORE_KINDS and e.third_party is True and e.id != receiver.id))


FUNCTIONS: dict[str, RuleFunction] = {"T-STRIDE-009": sensitive_data_to_third_party,
                                      "T-STRIDE-016": ai_service_as_covert_channel,
                                      "T-STRIDE-022": secret_kept_in_public_place}
