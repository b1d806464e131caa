"""Shared ground of the STRIDE-per-element rules in ``rules.stride``: zones, outsiders, anonymous entry points,
what an element changes, and how sensitive what it holds is. The conventions are those in the docstring of
``rules.stride``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dicetm.model import (
    PROCESS_KINDS,
    STORE_KINDS,
    TOOL_KINDS,
    Classification,
    Element,
    Exposure,
    Factor,
    Flow,
    Kind,
    Permission,
    System,
)
from dicetm.model.system import CLASSIFICATION_RANK
from dicetm.rules.base import per_system
from dicetm.rules.reach import requests_from, requests_to

EXPOSED = (Exposure.internet, Exposure.partner)
CONFIDENTIAL = CLASSIFICATION_RANK[Classification.confidential]
PERSONAL = CLASSIFICATION_RANK[Classification.personal]
CHANGING_PERMISSIONS = frozenset({Permission.write, Permission.execute})
# Process-like kinds that act on behalf of callers and whose actions need to be attributable.
ACTOR_KINDS = frozenset({Kind.process, Kind.agent, Kind.tool, Kind.mcp_server})
# Stores whose content is data rather than a record of actions (log stores have their own rule).
CONTENT_STORE_KINDS = STORE_KINDS - {Kind.log_store}
# Protocol words that imply transport encryption, and ones that imply plaintext.
ENCRYPTED_PROTOCOLS = frozenset(
    {"https", "tls", "mtls", "ssl", "grpcs", "wss", "sftp", "ssh", "ftps", "smtps", "imaps", "ldaps",
     "amqps", "mqtts", "ipsec", "wireguard", "vpn"}
)
PLAINTEXT_PROTOCOLS = frozenset(
    {"http", "ftp", "telnet", "ws", "smtp", "imap", "pop3", "ldap", "amqp", "mqtt"}
)



def zone_of(system: System, element_id: str) -> str | None:
    return system.boundary_of.get(element_id)


def sorted_names(elements: Iterable[Element]) -> str:
    """Sorted, de-duplicated element names for a template, e.g. 'Orders DB, Users DB'."""
    return ", ".join(sorted({e.name for e in elements}))


def flow_label(flow: Flow) -> str:
    return f"'{flow.data}'" if flow.data else f"'{flow.id}'"


def rank_of(classification: Classification | None) -> int | None:
    return None if classification is None else CLASSIFICATION_RANK[classification]


def is_outsider(element: Element) -> bool:
    """Input from this element is controlled by people outside the organisation."""
    return (
        element.kind is Kind.external_entity
        or element.third_party is True
        or element.untrusted_content is True
        or element.exposure in EXPOSED
    )


def is_anonymous_outsider(element: Element) -> bool:
    """An outsider whose content reaches the system without anyone vouching for its author."""
    if is_foreign(element) or element.untrusted_content is True:
        return True
    return element.exposure in EXPOSED and element.authenticated is not True


def is_foreign(element: Element) -> bool:
    """Operated by someone else: the organisation cannot change how it authenticates or logs."""
    return element.kind is Kind.external_entity or element.third_party is True


def from_outside_zone(system: System, flow: Flow, receiver: Element) -> Element | None:
    """The sending element when ``flow`` reaches ``receiver`` from another zone or an external entity."""
    sender = system.element_by_id.get(system.other_end(flow, receiver.id))
    if sender is None or sender.id == receiver.id:
        return None
    if sender.kind is Kind.external_entity or zone_of(system, sender.id) != zone_of(system, receiver.id):
        return sender
    return None


def on_public_network(element: Element) -> bool:
    """Traffic to or from this element leaves the organisation's own network."""
    return element.kind in (Kind.external_entity, Kind.model_provider) or element.third_party is True


def protocol_words(protocol: str | None) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", protocol.lower())) if protocol else set()


@dataclass(frozen=True)
class EntryPoint:
    """A process-like element that lets callers from outside its zone in without authentication."""

    origins: tuple[str, ...]
    callers: tuple[Element, ...]
    assumptions: tuple[str, ...]


def origin_phrases(element: Element, callers: Iterable[Element]) -> tuple[str, ...]:
    phrases: list[str] = []
    if element.exposure is Exposure.internet:
        phrases.append("the internet")
    elif element.exposure is Exposure.partner:
        phrases.append("partner networks")
    names = sorted_names(callers)
    if names:
        phrases.append(f"outside its trust zone ({names})")
    return tuple(phrases)


def _entry_point(system: System, element: Element) -> EntryPoint | None:
    if element.kind not in PROCESS_KINDS or element.exposure is Exposure.isolated:
        return None
    if element.authenticated is True or element.third_party is True:
        return None
    entry_flows = [f for f in requests_to(system, element.id) if from_outside_zone(system, f, element)]
    if element.exposure not in EXPOSED and not entry_flows:
        return None
    assumptions: list[str] = []
    open_flows = entry_flows
    if element.authenticated is None:
        open_flows = [f for f in entry_flows if f.authenticated is not True]
        if entry_flows and not open_flows:
            return None  # every modelled caller from outside authenticates
        assumptions.append(f"Whether callers of {element.name} must authenticate is not stated; "
                           "assumed anonymous requests are accepted.")
        assumptions.extend(f"Authentication of flow {flow_label(f)} into {element.name} is not stated; "
                           "assumed none." for f in open_flows if f.authenticated is None)
    callers = [s for f in open_flows if (s := from_outside_zone(system, f, element)) is not None]
    return EntryPoint(origin_phrases(element, callers), tuple(callers), tuple(assumptions))


@per_system
def anonymous_entry_points(system: System) -> dict[str, EntryPoint]:
    """Every element T-STRIDE-001 reports, by id (the other spoofing rules leave them to it)."""
    result: dict[str, EntryPoint] = {}
    for element in system.elements:
        entry = _entry_point(system, element)
        if entry is not None:
            result[element.id] = entry
    return result


def serves_outsiders(system: System, element: Element) -> bool:
    """Requests reach the element from the internet, partners or an outsider in another zone."""
    if element.exposure in EXPOSED:
        return True
    for flow in requests_to(system, element.id):
        sender = from_outside_zone(system, flow, element)
        if sender is not None and is_outsider(sender):
            return True
    return False


def changed_elements(system: System, element: Element) -> tuple[list[Element], list[str]]:
    """Elements ``element`` writes to or executes on: stores it sends data to, and a tool's target.

    A stated permission list without write or execute means nothing is changed. A tool without a
    stated permission list is assumed able to write, and the assumption is returned.
    """
    assumptions: list[str] = []
    if element.permissions is not None and not CHANGING_PERMISSIONS & set(element.permissions):
        return [], assumptions
    if element.kind is Kind.retriever:  # a retriever's flows into a store are queries, not writes
        return [], assumptions
    changed: dict[str, Element] = {}
    for flow in system.flows_from.get(element.id, []):
        other = system.element_by_id.get(system.other_end(flow, element.id))
        if other is not None and other.id != element.id and other.kind in CONTENT_STORE_KINDS:
            changed.setdefault(other.id, other)
    if element.kind in TOOL_KINDS and element.acts_on in system.element_by_id:
        target = system.element_by_id[element.acts_on]
        if target.id != element.id:
            changed.setdefault(target.id, target)
    for host in hosts_run_for(system, element):
        changed.setdefault(host.id, host)
    if changed and element.kind in TOOL_KINDS and element.permissions is None:
        assumptions.append(f"The permissions of {element.name} are not stated; assumed it can write.")
    return list(changed.values()), assumptions


def hosts_run_for(system: System, element: Element) -> list[Element]:
    """Processes stated to run code that ``element`` sends to one way (commands to run, not a question to answer):
    the machine it starts processes on. A model or agent acting on a machine is the AGENT family's ground."""
    if element.kind in (Kind.llm, Kind.agent):
        return []
    return [host for f in requests_from(system, element.id) if not f.bidirectional
            and (host := system.element_by_id.get(f.target)) is not None and host.kind is Kind.process
            and host.executes_code is True]


@per_system
def secret_places(system: System) -> frozenset[str]:
    """Elements stated to keep credentials or secret assets."""
    assets = {e for a in system.assets if a.classification is Classification.secret for e in a.stored_in}
    return frozenset(e.id for e in system.elements if e.holds_credentials is True or e.id in assets)


def sensitivity(system: System, element: Element) -> int:
    """Rank of what an element holds: its classification, or secret when it keeps credentials or secret assets."""
    if element.id in secret_places(system):
        return CLASSIFICATION_RANK[Classification.secret]
    return rank_of(element.classification) or 0


def factor(target: str, delta: int, fact: str, note: str) -> Factor:
    return Factor(target=target, delta=delta, fact=fact, note=note)


# ---------------------------------------------------------------- S: spoofing
