"""STRIDE rules: classic STRIDE per element (S, R, D, E on process-like elements, T and I on stores,
S on external entities) and per flow (T, I, S on flows crossing a trust boundary).

They apply to AI element kinds too: an llm, agent, tool or retriever is process-like and a vector
store, memory, knowledge source, training data set or log store is a store (``PROCESS_KINDS`` and
``STORE_KINDS`` in ``model/system.py``).

Conventions shared by the rules of this module:

- A *zone* is an element's trust boundary (``System.boundary_of``); elements outside every boundary
  share the outside zone. External entities are outside the system by definition, so a flow from one
  always comes "from outside the zone" of its receiver, even when no boundaries are drawn.
- An *outsider* is an element whose input nobody in the organisation controls: an external entity, a
  third-party element, an element holding untrusted content, or one reachable from the internet or
  from partners.
- An unknown classification is taken as ``internal`` (not public, not confidential), so flow rules
  still fire on it and store rules wait for a stated ``confidential`` or higher.
- The three spoofing rules split the ground so that one missing authentication is reported once:
  T-STRIDE-001 reports the process-like entry point that lets anonymous callers in, T-STRIDE-011 the
  external entity whose unauthenticated flows reach anything else, and T-STRIDE-003 the
  unauthenticated flows between internal components in different zones.

The helpers these rules share live in ``rules.stride_common``. Every function reads the model once through the
``System`` indexes, so it runs in time linear in the number of elements and flows, and yields hits in model order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dicetm.model import PROCESS_KINDS, STORE_KINDS, TOOL_KINDS, Classification, Element, Exposure, Factor, Kind, System
from dicetm.model.system import ACTING_KINDS, CLASSIFICATION_RANK
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.injection import unchecked_input
from dicetm.rules.reach import requests_from, requests_to
from dicetm.rules.reach_content import from_the_web
from dicetm.rules.stride_common import (
    ACTOR_KINDS,
    CHANGING_PERMISSIONS,
    CONFIDENTIAL,
    CONTENT_STORE_KINDS,
    ENCRYPTED_PROTOCOLS,
    EXPOSED,
    PERSONAL,
    PLAINTEXT_PROTOCOLS,
    anonymous_entry_points,
    changed_elements,
    factor,
    flow_label,
    from_outside_zone,
    hosts_run_for,
    is_anonymous_outsider,
    is_foreign,
    is_outsider,
    on_public_network,
    origin_phrases,
    protocol_words,
    rank_of,
    secret_places,
    sensitivity,
    serves_outsiders,
    sorted_names,
    zone_of,
)

# ---------------------------------------------------------------- S: spoofing


def unauthenticated_entry_point(system: System) -> Iterator[Hit]:
    """T-STRIDE-001: a process-like element reachable from outside its zone that accepts anonymous calls."""
    entries = anonymous_entry_points(system)
    for element in system.elements:
        entry = entries.get(element.id)
        if entry is None:
            continue
        # Model files it stores or reads (a store a model loads its weights from) are handed to anyone who calls
        # it: AI artefacts to collect, and the model itself to steal.
        models = [s for s in system.downstream(element.id) if s.kind in STORE_KINDS
                  and any(m.kind in (Kind.llm, Kind.ml_model) for m in system.downstream(s.id))]
        yield Hit(
            element=element.id,
            others=(*sorted({c.id for c in entry.callers}), *(s.id for s in models)),
            values={"origin": " and from ".join(entry.origins)},
            lists={"reached_from": _reached_from(element, entry.callers)},
            assumptions=entry.assumptions,
            references=("atlas:AML.T0035", "atlas:AML.T0048.004") if models else (),
        )


def _reached_from(element: Element, callers: Iterable[Element]) -> tuple[str, ...]:
    """Where anonymous requests come from, as names a group of entry points can list once each."""
    place = {Exposure.internet: "the internet", Exposure.partner: "partner networks"}.get(
        element.exposure) if element.exposure else None
    return (*([place] if place else []), *sorted({c.name for c in callers}))


def unauthenticated_flow_crosses_boundary(system: System) -> Iterator[Hit]:
    """T-STRIDE-003: an unauthenticated flow between internal components in different zones.

    Flows from external entities are left to T-STRIDE-011 and flows into anonymous entry points to
    T-STRIDE-001, which already report the same missing authentication.
    """
    entries = anonymous_entry_points(system)
    for flow in system.flows:
        source = system.element_by_id.get(flow.source)
        target = system.element_by_id.get(flow.target)
        if source is None or target is None or not system.crosses_boundary(flow):
            continue
        if source.kind is Kind.external_entity or target.kind not in PROCESS_KINDS | STORE_KINDS:
            continue
        if target.third_party is True:
            continue  # the third party decides how it authenticates its callers
        if target.id in entries or flow.authenticated is True:
            continue
        if flow.authenticated is None and target.authenticated is True:
            continue  # the receiver requires every caller to authenticate
        assumptions: tuple[str, ...] = ()
        if flow.authenticated is None:
            assumptions = (f"Authentication of flow {flow_label(flow)} from {source.name} to {target.name} "
                           "is not stated; assumed none.",)
        factors: tuple[Factor, ...] = ()
        if is_outsider(source):
            factors = (factor("likelihood", 1, f"{source.id}.outsider",
                               f"{source.name} is reachable from outside the organisation, so an attacker "
                               "there is already one step from this flow."),)
        yield Hit(element=target.id, flow=flow.id, others=(source.id,), factors=factors,
                  assumptions=assumptions)


def external_entity_spoofing(system: System) -> Iterator[Hit]:
    """T-STRIDE-011: an external entity whose flows into the system are not authenticated.

    One hit per entity. Flows into an element T-STRIDE-001 reports are left to that rule.
    """
    entries = anonymous_entry_points(system)
    for entity in system.of_kind(Kind.external_entity):
        targets: dict[str, Element] = {}
        labels: list[str] = []
        assumptions: list[str] = []
        for flow in system.flows_from.get(entity.id, []):
            target = system.element_by_id.get(system.other_end(flow, entity.id))
            if target is None or target.kind is Kind.external_entity or target.id in entries:
                continue
            if flow.authenticated is True or (flow.authenticated is None and target.authenticated is True):
                continue
            targets.setdefault(target.id, target)
            labels.append(flow_label(flow))
            if flow.authenticated is None:
                assumptions.append(f"Authentication of flow {flow_label(flow)} from {entity.name} to "
                                   f"{target.name} is not stated; assumed none.")
        if not targets:
            continue
        factors: tuple[Factor, ...] = ()
        sensitive = [t for t in targets.values() if (rank_of(t.classification) or 0) >= CONFIDENTIAL]
        if sensitive:
            first = sensitive[0]
            factors = (factor("impact", 1, f"{first.id}.classification={first.classification}",
                               f"{first.name} holds {first.classification} data."),)
        yield Hit(
            element=entity.id,
            others=tuple(targets),
            values={"targets": sorted_names(targets.values()), "flows": ", ".join(sorted(set(labels)))},
            factors=factors,
            assumptions=tuple(assumptions),
        )


# ---------------------------------------------------------------- T and I on flows


def unencrypted_flow_crosses_boundary(system: System) -> Iterator[Hit]:
    """T-STRIDE-002: a non-public flow crossing a trust boundary without encryption."""
    for flow in system.flows:
        source = system.element_by_id.get(flow.source)
        target = system.element_by_id.get(flow.target)
        if source is None or target is None or not system.crosses_boundary(flow):
            continue
        if flow.encrypted is True or flow.classification is Classification.public:
            continue
        if is_foreign(source) and is_foreign(target):
            continue  # neither end is operated by the organisation
        words = protocol_words(flow.protocol)
        if flow.encrypted is None and words & ENCRYPTED_PROTOCOLS:
            continue
        assumptions: list[str] = []
        if flow.encrypted is None:
            if words & PLAINTEXT_PROTOCOLS:
                assumptions.append(f"Encryption of flow {flow_label(flow)} is not stated and its protocol "
                                   f"({flow.protocol}) is plaintext; assumed unencrypted.")
            else:
                assumptions.append(f"Encryption of flow {flow_label(flow)} is not stated; assumed "
                                   "unencrypted.")
        factors: list[Factor] = []
        if flow.classification is None:
            assumptions.append(f"The classification of flow {flow_label(flow)} is not stated; assumed "
                               "internal (not public).")
            if (rank_of(source.classification) or 0) >= CONFIDENTIAL:
                factors.append(factor("impact", 1, f"{source.id}.classification={source.classification}",
                                       f"The sender holds {source.classification} data that the flow may "
                                       "carry."))
        elif CLASSIFICATION_RANK[flow.classification] >= CONFIDENTIAL:
            factors.append(factor("impact", 1, f"{flow.id}.classification={flow.classification}",
                                   f"The flow carries {flow.classification} data."))
        public_end = next((e for e in (source, target) if on_public_network(e)), None)
        if public_end is not None:
            factors.append(factor("likelihood", 1, f"{public_end.id}.public_network",
                                   "One end sits outside the organisation's network, so the traffic crosses "
                                   "networks others control."))
        yield Hit(element=target.id, flow=flow.id, others=(source.id,), factors=tuple(factors),
                  assumptions=tuple(assumptions))


# ---------------------------------------------------------------- R: repudiation


def _sends_to_log_store(system: System, element: Element) -> bool:
    for flow in system.flows_from.get(element.id, []):
        other = system.element_by_id.get(system.other_end(flow, element.id))
        if other is not None and other.kind is Kind.log_store:
            return True
    return False


def actions_not_attributable(system: System) -> Iterator[Hit]:
    """T-STRIDE-004: a process, agent or tool without audit logging that serves other zones or writes. An agent's
    finding names the language models it asks: what they were prompted with and answered is part of the record."""
    for element in system.elements:
        if element.kind not in ACTOR_KINDS or element.audit_logging is True or element.third_party is True:
            continue
        if element.audit_logging is None and _sends_to_log_store(system, element):
            continue  # a modelled flow into a log store is taken as evidence of logging
        foreign = serves_outsiders(system, element)
        changed, assumptions = changed_elements(system, element)
        acts = element.kind in TOOL_KINDS and not changed and (
            element.permissions is None or bool(CHANGING_PERMISSIONS & set(element.permissions))
        )
        if not (foreign or changed or acts):
            continue
        activities: list[str] = []
        if foreign:
            activities.append("handles requests from outside the organisation")
        activities.extend(f"changes {e.name}" for e in sorted(changed, key=lambda e: e.name))
        if acts:
            activities.append("acts on other systems")
            if element.permissions is None:
                assumptions.append(f"The permissions of {element.name} are not stated; assumed it can write.")
        if element.audit_logging is None:
            assumptions.append(f"Whether {element.name} logs security-relevant actions is not stated; "
                               "assumed it does not.")
        yield Hit(element=element.id, others=tuple(_deciding_models(system, element)),
                  lists={"activity": tuple(activities)}, assumptions=tuple(assumptions))


def _deciding_models(system: System, element: Element) -> list[str]:
    """The language models an agent asks what to do: its actions are traced only with their prompts and answers."""
    if element.kind is not Kind.agent:
        return []
    return list(dict.fromkeys(f.target for f in requests_from(system, element.id)
                              if (model := system.element_by_id.get(f.target)) is not None and model.kind is Kind.llm))


def log_store_tampering(system: System) -> Iterator[Hit]:
    """T-STRIDE-010: a log store the recorded actors write to directly and could alter. A log that a store keeps of
    what is done there (a hosted service's own job or access records) is altered by the accounts that act on that
    store: whoever reaches the store through them can delete the records of what they did."""
    tools_acting_on: dict[str, list[Element]] = {}
    for tool in system.elements:
        if tool.kind in TOOL_KINDS and tool.acts_on:
            tools_acting_on.setdefault(tool.acts_on, []).append(tool)
    for log in system.of_kind(Kind.log_store):
        if log.append_only is True:
            continue
        writers: dict[str, Element] = {}
        keepers: dict[str, Element] = {}
        for flow in system.flows_to.get(log.id, []):
            writer = system.element_by_id.get(system.other_end(flow, log.id))
            if writer is not None and writer.id != log.id:
                (keepers if writer.kind in STORE_KINDS else writers).setdefault(writer.id, writer)
        users = {u.id: u for keeper in keepers.values() for u in _store_users(system, keeper, tools_acting_on)
                 if u.id not in writers}
        if not writers and not users:
            continue
        assumptions = [f"{log.name} is not tagged append-only or tamper-evident; assumed its writers can change or "
                       "delete entries."]
        if users:
            assumptions.append(f"{log.name} is kept by {sorted_names(keepers.values())}, which records what is done "
                               f"there; assumed the accounts that act on it ({sorted_names(users.values())}) can also "
                               "delete those records.")
        factors: tuple[Factor, ...] = ()
        if writers and not users and all(zone_of(system, w) != zone_of(system, log.id) for w in writers):
            factors = (factor("likelihood", -1, f"{log.id}.separate_zone",
                               f"Every writer sits in another trust zone than {log.name}, so compromising "
                               "a writer does not give direct access to the store."),)
        yield Hit(
            element=log.id,
            others=(*writers, *keepers, *users),
            values={"writers": sorted_names([*writers.values(), *users.values()])},
            factors=factors,
            assumptions=tuple(assumptions),
        )


def _store_users(system: System, store: Element, tools_acting_on: dict[str, list[Element]]) -> list[Element]:
    """What acts on a store with its own access: processes, agents and tools that send it data or requests, and
    tools that act on it (``tools_acting_on``: the tools by the id they act on)."""
    found = {f.source: system.element_by_id[f.source] for f in requests_to(system, store.id)
             if f.source in system.element_by_id and system.element_by_id[f.source].kind in ACTING_KINDS}
    for tool in tools_acting_on.get(store.id, ()):
        found.setdefault(tool.id, tool)
    return list(found.values())


# ---------------------------------------------------------------- D: denial of service


def exposed_process_not_rate_limited(system: System) -> Iterator[Hit]:
    """T-STRIDE-005: an internet- or partner-facing process-like element without rate limiting."""
    for element in system.elements:
        if element.kind not in PROCESS_KINDS or element.rate_limited is True or element.third_party is True:
            continue
        assumptions: list[str] = []
        if element.exposure in EXPOSED:
            origin = "the internet" if element.exposure is Exposure.internet else "partner networks"
        elif element.exposure is None:
            callers = [s for f in requests_to(system, element.id)
                       if (s := system.element_by_id.get(system.other_end(f, element.id))) is not None
                       and s.kind is Kind.external_entity]
            if not callers:
                continue
            origin = f"outside the system ({sorted_names(callers)})"
            assumptions.append(f"The exposure of {element.name} is not stated; it receives requests from "
                               f"{sorted_names(callers)}, so it is assumed reachable from outside.")
        else:
            continue
        if element.rate_limited is None:
            assumptions.append(f"Whether requests to {element.name} are rate-limited is not stated; "
                               "assumed not.")
        yield Hit(element=element.id, values={"origin": origin}, assumptions=tuple(assumptions))


# ---------------------------------------------------------------- E: elevation of privilege


def privilege_escalation_across_boundary(system: System) -> Iterator[Hit]:
    """T-STRIDE-006: an element fed from a less trusted zone that writes to or executes on sensitive data: stores it
    writes, a tool's target, and a process stated to run code that it sends commands to one way (the machine it
    starts processes on; a machine compromise, AML.T0112, and for a tool whose call parameters become those command
    lines, argument injection, CWE-88). Keeping credentials or a secret asset counts as secret
    data (AML.T0055). When it fetches content from the open web (a source outsiders write, outside every trust
    zone), no model drives it, and what it can change sits in another zone, the addresses and redirects in that
    content can aim its requests there: server-side request forgery (CWE-918). What a component that is not a model
    passes on to a data store it changes, unless it is stated to validate its input, can carry a path that climbs
    out of its folder (CWE-22) or a value that changes a query (CWE-89, CWE-943); ``file_paths`` says which, and
    unset both are assumed, with the assumption named (``rules.injection``)."""
    for element in system.elements:
        if element.kind not in PROCESS_KINDS:
            continue
        senders = [s for f in requests_to(system, element.id)
                   if (s := from_outside_zone(system, f, element)) is not None and is_outsider(s)]
        if not senders and element.exposure not in EXPOSED:
            continue
        changed, assumptions = changed_elements(system, element)
        sensitive = [t for t in changed if sensitivity(system, t) >= CONFIDENTIAL]
        if not sensitive:
            continue
        hosts = {h.id for h in hosts_run_for(system, element)}
        # A machine it starts processes on is taken over with it (AML.T0112), with the credentials kept there.
        commanded = any(t.id in hosts for t in sensitive)
        references = [*(["atlas:AML.T0112"] if commanded else []),
                      # a tool's call parameters become the command lines it starts there: argument injection
                      *(["cwe:CWE-88"] if commanded and element.kind in TOOL_KINDS else []),
                      *(["atlas:AML.T0055"] if any(t.id in secret_places(system) for t in sensitive) else [])]
        fetch = ""
        pages = [s for s in senders if s.kind in STORE_KINDS and from_the_web(system, s)]
        inner = [t for t in sensitive if zone_of(system, t.id) not in (None, zone_of(system, element.id))]
        fetcher = element.kind not in TOOL_KINDS | {Kind.llm, Kind.agent}  # model-driven fetching: T-AGENT-002
        if fetcher and pages and inner:  # it follows addresses and redirects outsiders write, reaches inward
            references.append("cwe:CWE-918")
            fetch = (f" Because {element.name} fetches what {sorted_names(pages)} points it to, an address or redirect "
                     f"there can aim its requests at {sorted_names(inner)} (server-side request forgery).")
        unchecked = unchecked_input(system, element, sensitive)
        references.extend(unchecked.references)
        origin_parts = list(origin_phrases(element, []))
        if senders:
            origin_parts.append(sorted_names(senders))
        factors: tuple[Factor, ...] = ()
        most = max(sensitive, key=lambda t: rank_of(t.classification) or 0)
        if (rank_of(most.classification) or 0) >= PERSONAL:
            factors = (factor("impact", 1, f"{most.id}.classification={most.classification}",
                               f"{most.name} holds {most.classification} data."),)
        yield Hit(
            element=element.id,
            others=tuple(t.id for t in sensitive),
            values={"targets": sorted_names(sensitive), "origin": " and ".join(origin_parts), "fetch": fetch,
                    "addressing": unchecked.sentence},
            factors=factors,
            assumptions=(*assumptions, *unchecked.assumptions),
            references=tuple(references),
        )


# ---------------------------------------------------------------- T and I on stores


def sensitive_store_unencrypted(system: System) -> Iterator[Hit]:
    """T-STRIDE-007: a store holding confidential or more sensitive data, not encrypted at rest.

    A store stated to keep credentials (``holds_credentials``) with no classification holds secrets whatever its
    classification would say. When its encryption is not stated, the finding says so and counts one step less
    likely than a store stated unencrypted (the rule's ``encrypted_at_rest=unset`` factor)."""
    for element in system.elements:
        if element.kind not in STORE_KINDS or element.encrypted_at_rest is True:
            continue
        credentials_only = element.classification is None and element.holds_credentials is True
        if (rank_of(element.classification) or 0) < CONFIDENTIAL and not credentials_only:
            continue
        assumptions: tuple[str, ...] = ()
        if element.encrypted_at_rest is None:
            assumptions = (f"Whether {element.name} is encrypted at rest is not stated; assumed not.",)
            if credentials_only:
                assumptions = (f"Whether {element.name} keeps its credentials encrypted or hashed is not stated "
                               "(encrypted_at_rest); assumed they are kept in plaintext.",)
        secrets = element.classification is Classification.secret or element.holds_credentials is True
        references = [*(["atlas:AML.T0055"] if secrets else []),
                      *(["cwe:CWE-522"] if element.holds_credentials is True else [])]
        data_class = "secret" if credentials_only else str(element.classification)
        yield Hit(element=element.id, lists={"data_class": (data_class,)},
                  assumptions=assumptions, references=tuple(references))


def store_written_across_boundary(system: System) -> Iterator[Hit]:
    """T-STRIDE-008: a store written from another zone by outsiders nobody vouches for.

    Writers are external entities, third parties, holders of untrusted content, or internet/partner
    facing elements that do not authenticate their callers. Log stores are left to T-STRIDE-010.
    """
    for store in system.elements:
        if store.kind not in CONTENT_STORE_KINDS:
            continue
        writers: dict[str, Element] = {}
        for flow in system.flows_to.get(store.id, []):
            writer = from_outside_zone(system, flow, store)
            if writer is not None and is_anonymous_outsider(writer):
                writers.setdefault(writer.id, writer)
        if not writers:
            continue
        # An outside party supplies data a model is trained on or judges against: a data supply chain
        # (AML.T0010.002) that a poisoned delivery enters (AML.T0019).
        supplied = any(is_foreign(w) for w in writers.values()) and _feeds_ai(system, store)
        yield Hit(element=store.id, others=tuple(writers), values={"writers": sorted_names(writers.values())},
                  references=("atlas:AML.T0010.002", "atlas:AML.T0019") if supplied else ())


def _feeds_ai(system: System, store: Element) -> bool:
    """The store holds data a model is trained on or judged against, not context it reads (RAG poisoning has its
    own rules) nor its weights (a store a model loads from): training data, a data store a training job reads, or
    reference data a component matches a non-generative model's output against (a hash list, a watch list, a
    face gallery)."""
    if store.kind is Kind.training_data:
        return True
    if store.kind is not Kind.data_store:
        return False
    for reader in system.downstream(store.id):
        if reader.kind is Kind.fine_tuning_pipeline:
            return True
        if reader.kind is Kind.process and any(s.kind is Kind.ml_model for s in system.upstream(reader.id)):
            return True
    return False


FUNCTIONS: dict[str, RuleFunction] = {
    "T-STRIDE-001": unauthenticated_entry_point,
    "T-STRIDE-002": unencrypted_flow_crosses_boundary,
    "T-STRIDE-003": unauthenticated_flow_crosses_boundary,
    "T-STRIDE-004": actions_not_attributable,
    "T-STRIDE-005": exposed_process_not_rate_limited,
    "T-STRIDE-006": privilege_escalation_across_boundary,
    "T-STRIDE-007": sensitive_store_unencrypted,
    "T-STRIDE-008": store_written_across_boundary,
    "T-STRIDE-010": log_store_tampering,
    "T-STRIDE-011": external_entity_spoofing,
}
