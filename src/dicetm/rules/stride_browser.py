"""STRIDE rules for browsers and the sessions services keep for them. A browser, or a client that loads outside
content, sends requests the pages it loads address to services that trust it (T-STRIDE-019: cross-site request
forgery, DNS rebinding), and shows and runs what hostile sites serve (T-STRIDE-020: drive-by compromise, phishing,
imitated interfaces); a session that survives the removal of its account keeps a stolen or revoked login working
(T-STRIDE-021); a web front end shows its users what others wrote, unescaped (T-STRIDE-023: stored cross-site
scripting).

A browser is an element stated ``browser: true``. It sends requests with the user's cookies and from the user's
network position, whatever trust zone it sits in; a service it calls relies on that ambient authority when it
takes requests without authentication or keeps signed-in sessions in cookies (``session_cookies``), unless it
refuses cross-origin requests (``cross_origin_checked``). Every function is linear in elements and flows.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import PROCESS_KINDS, Element, Factor, Flow, Kind, OutputFormat, System
from dicetm.model.system import ComputerUse
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.reach import SHOWN_STORES, requests_to
from dicetm.rules.reach_content import from_the_web
from dicetm.rules.stride_common import protocol_words

# Components that can be an application of their own on an open port (tools are reached through a model).
APPLICATION_KINDS = PROCESS_KINDS - {Kind.tool}
AI_DRIVERS = frozenset({Kind.llm, Kind.agent})


def _names(elements: list[Element]) -> str:
    names = [e.name for e in elements]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _outside_feeders(system: System, relay: Element, *, any_zone: bool = False) -> list[Element]:
    """What sends ``relay`` content that outsiders write: an external entity, a source stated to carry outside
    content or to come from the open web; from beyond its zone, or from anywhere when ``any_zone`` (a browser
    loads what it is pointed to, wherever that sits)."""
    zone = system.boundary_of.get(relay.id)
    found: dict[str, Element] = {}
    for flow in system.flows_to.get(relay.id, []):
        feeder = system.element_by_id.get(system.other_end(flow, relay.id))
        if feeder is None or feeder.id == relay.id or (not any_zone and system.boundary_of.get(feeder.id) == zone):
            continue
        if (feeder.kind is Kind.external_entity or feeder.untrusted_content is True
                or from_the_web(system, feeder)):
            found.setdefault(feeder.id, feeder)
    return list(found.values())


def _ambient_trust(service: Element, flow: Flow) -> bool:
    """A browser's request gets in on what it carries by itself: no authentication is stated to be needed, or the
    session is a cookie the browser adds, and cross-origin requests are not stated to be refused."""
    if service.cross_origin_checked is True:
        return False
    return service.authenticated is False or flow.authenticated is False or service.session_cookies is True


# ---------------------------------------------------------------- T-STRIDE-019 requests relayed for outside content


def zone_client_relays_outside_requests(system: System) -> Iterator[Hit]:
    """T-STRIDE-019: a service that takes requests a client relays for content from outside. Either the client is
    a process in the service's own trust zone, not itself stated to be exposed, that loads content from beyond the
    zone (a client on the same machine or network) and the service is stated to take requests without
    authentication (on itself or on the flow); or the client is a stated browser, in any zone, and the service
    trusts what the browser's requests carry by themselves (no authentication, or a session cookie) without
    refusing cross-origin requests. A page or message from outside makes the client send requests of the
    attacker's choosing (cross-site request forgery, DNS rebinding, no check of Origin or Host). A drive-by
    compromise (AML.T0078) when the content comes from the open web or the client is a browser. A service stated
    to keep sessions in cookies that people reach directly, with no browser drawn, is assumed reached through
    one: the finding says so and counts one step less likely than with a drawn browser."""
    for service in system.elements:
        zone = system.boundary_of.get(service.id)
        if service.kind not in APPLICATION_KINDS or service.browser is True:
            continue
        relays: dict[str, Element] = {}
        feeders: dict[str, Element] = {}
        assumptions: list[str] = []
        undrawn: dict[str, Element] = {}  # people who reach a cookie-session service through a browser not drawn
        for flow in requests_to(system, service.id):
            relay = system.element_by_id.get(flow.source)
            if relay is None:
                continue
            if _browser_not_drawn(service, relay):
                undrawn.setdefault(relay.id, relay)
                continue
            if relay.browser is True:
                if not _ambient_trust(service, flow):
                    continue
                relays.setdefault(relay.id, relay)
                feeders.update((e.id, e) for e in _outside_feeders(system, relay, any_zone=True))
                if service.cross_origin_checked is None:
                    assumptions.append(f"Whether {service.name} refuses requests other sites' pages make "
                                       f"{relay.name} send is not stated (cross_origin_checked); assumed not.")
                continue
            if (zone is None or service.authenticated is True or relay.kind is not Kind.process
                    or system.boundary_of.get(relay.id) != zone or relay.exposure is not None):
                continue
            if service.authenticated is not False and flow.authenticated is not False:
                continue  # no missing authentication stated on the service or on this flow
            outside = _outside_feeders(system, relay)
            if outside:
                relays.setdefault(relay.id, relay)
                feeders.update((e.id, e) for e in outside)
        if not relays and undrawn:
            yield _undrawn_browser_hit(service, list(undrawn.values()))
            continue
        if not relays:
            continue
        web = any(from_the_web(system, e) for e in feeders.values()) or any(r.browser is True for r in relays.values())
        yield Hit(element=service.id, others=tuple([*relays, *feeders]),
                  values={"relays": _names(list(relays.values())),
                          "feeders": _names(list(feeders.values())) if feeders else "the sites it visits"},
                  assumptions=tuple(dict.fromkeys(assumptions)),
                  references=("atlas:AML.T0078",) if web else ())


def _browser_not_drawn(service: Element, person: Element) -> bool:
    """A person sends requests straight to a service that keeps signed-in sessions in cookies: cookies are what
    browsers carry, so the person uses one, though the model draws none (``browser`` unset on the person)."""
    return (person.kind is Kind.external_entity and person.browser is None and service.session_cookies is True
            and service.cross_origin_checked is not True)


def _undrawn_browser_hit(service: Element, people: list[Element]) -> Hit:
    """T-STRIDE-019 on a cookie-session service whose users' browsers are not drawn: assumed, one step less likely
    than a drawn browser, and the assumption names the unstated facts."""
    names = _names(people)
    assumptions = [f"{names} reach {service.name}, which keeps sessions in cookies, through a web browser the model "
                   "does not draw (browser); assumed one, so pages they visit can send it requests with those "
                   "cookies."]
    if service.cross_origin_checked is None:
        assumptions.append(f"Whether {service.name} refuses requests other sites' pages send is not stated "
                           "(cross_origin_checked); assumed not.")
    factor = Factor(target="likelihood", delta=-1, fact=f"{people[0].id}.browser=unset",
                    note="The browser is assumed from the session cookies, not drawn.")
    return Hit(element=service.id, others=tuple(p.id for p in people),
               values={"relays": f"the web browsers of {names}", "feeders": "the sites they visit"},
               factors=(factor,), assumptions=tuple(assumptions), references=("atlas:AML.T0078",))


# ---------------------------------------------------------------- T-STRIDE-020 a browser loads hostile pages


def _ai_drivers(system: System, browser: Element, by_zone: dict[str, list[Element]]) -> list[Element]:
    """Models and agents that send the browser where to go or act in it: those with a flow into it, and agents
    stated to drive a browser in its trust zone (``by_zone``: such agents by zone)."""
    found = {e.id: e for e in system.upstream(browser.id) if e.kind in AI_DRIVERS}
    for agent in by_zone.get(system.boundary_of.get(browser.id) or "", ()):
        found.setdefault(agent.id, agent)
    return list(found.values())


def browser_loads_hostile_pages(system: System) -> Iterator[Hit]:
    """T-STRIDE-020: a stated browser. It loads pages outsiders write (the sites drawn sending to it, or any site
    it is pointed to): a page can exploit the browser or what it runs (drive-by compromise), imitate a sign-in
    page, the browser's own interface or an AI assistant shown in it (phishing, masquerading, misrepresented UI).
    When a model or agent points it to pages or acts in it, a page can also bait the agent (AI agent clickbait)
    and abuse the trust people give the assistant's answers."""
    by_zone: dict[str, list[Element]] = {}
    for agent in system.of_kind(Kind.agent):
        zone = system.boundary_of.get(agent.id)
        if agent.computer_use is ComputerUse.browser and zone is not None:
            by_zone.setdefault(zone, []).append(agent)
    for browser in system.elements:
        if browser.browser is not True:
            continue
        feeders = _outside_feeders(system, browser, any_zone=True)
        drivers = _ai_drivers(system, browser, by_zone)
        assumptions: tuple[str, ...] = ()
        if not feeders:
            assumptions = (f"No site outsiders write is drawn sending to {browser.name}; assumed it visits such "
                           "sites, as a browser does.",)
        shown = [e for e in system.downstream(browser.id) if e.kind is Kind.external_entity and e.id not in
                 {f.id for f in feeders}]
        references = ("atlas:AML.T0100", "owasp-asi:ASI09:2026") if drivers else ()
        driven = f" {_names(drivers)} also sends it to pages and acts on what they show." if drivers else ""
        yield Hit(element=browser.id, others=tuple(dict.fromkeys(e.id for e in [*feeders, *drivers, *shown])),
                  values={"feeders": _names(feeders) if feeders else "the sites it is pointed to",
                          "driven": driven},
                  assumptions=assumptions, references=references)


# ---------------------------------------------------------------- T-STRIDE-021 sessions outlive revocation


def sessions_outlive_revocation(system: System) -> Iterator[Hit]:
    """T-STRIDE-021: a component stated to keep sessions or tokens alive after the account behind them is removed,
    demoted or signed out (``sessions_revocable: false``): a revoked administrator, a fired employee or a thief
    holding a copied token keeps what the open session allows until it expires. The callers that hold sessions
    there are named."""
    for element in system.elements:
        if element.kind not in PROCESS_KINDS or element.sessions_revocable is not False:
            continue
        holders = [e for f in requests_to(system, element.id) if (e := system.element_by_id.get(f.source)) is not None
                   and e.id != element.id]
        yield Hit(element=element.id, others=tuple(dict.fromkeys(e.id for e in holders)),
                  values={"holders": _names(holders) if holders else "its callers"})


# ---------------------------------------------------------------- T-STRIDE-023 pages show what others wrote


WEB_PROTOCOLS = frozenset({"http", "https", "websocket", "websockets", "wss"})


def _web_front_end(system: System, element: Element) -> str | None:
    """Why ``element`` serves pages to people's browsers, or None: it keeps sessions in browser cookies, it is
    stated to render HTML, a stated browser sends to it, or a person sends to it over HTTP (the last one an
    assumption the finding states)."""
    if element.kind is not Kind.process or element.browser is True:
        return None
    if element.session_cookies is True or OutputFormat.html in (element.output_rendered_as or ()):
        return "stated"
    web = None
    for flow in requests_to(system, element.id):
        sender = system.element_by_id.get(flow.source)
        if sender is None:
            continue
        if sender.browser is True:
            return "stated"
        over_http = bool(protocol_words(flow.protocol) & WEB_PROTOCOLS)
        if sender.kind is Kind.external_entity and sender.browser is None and over_http:
            web = sender.name
    return web


def _people_behind(system: System, store: Element) -> list[tuple[Element, set[str]]]:
    """The one-way writers of ``store`` that people stand behind, each with those people: an external entity (itself),
    or a process people send requests to."""
    found: dict[str, tuple[Element, set[str]]] = {}
    for flow in system.flows_to.get(store.id, []):
        writer = system.element_by_id.get(flow.source)
        if flow.bidirectional or writer is None or writer.id in found:
            continue
        if writer.kind is Kind.external_entity:
            found[writer.id] = (writer, {writer.id})
        elif writer.kind is Kind.process:
            people = {e.id for f in requests_to(system, writer.id)
                      if (e := system.element_by_id.get(f.source)) is not None and e.kind is Kind.external_entity}
            if people:
                found[writer.id] = (writer, people)
    return list(found.values())


def _written_by_others(system: System, store: Element, front: Element,
                       people_behind: dict[str, list[tuple[Element, set[str]]]]) -> list[Element]:
    """Who writes into ``store`` other than the front end and the people using it: people who do not use it and
    front ends such people send to, or the store itself when it is stated to hold content outsiders write.
    ``people_behind``: ``_people_behind`` per store, filled as stores are met."""
    if store.untrusted_content is False:
        return []
    if store.id not in people_behind:
        people_behind[store.id] = _people_behind(system, store)
    users = {e.id for e in system.upstream(front.id) if e.kind is Kind.external_entity}
    writers = [w for w, people in people_behind[store.id] if w.id != front.id and people - users]
    if not writers and store.untrusted_content is True:
        return [store]
    return writers


def pages_show_what_others_wrote(system: System) -> Iterator[Hit]:
    """T-STRIDE-023: a web front end (cookie sessions, a stated browser calling it, HTML it renders, or, assumed and
    said so, a person sending to it over HTTP) that shows its users content others wrote: a store it reads that
    people who do not use it write to, directly or through another front end, or one stated to hold outside content.
    Content that is not escaped for the page runs as script in the viewer's session (stored cross-site scripting).
    Model output shown there is T-LLM-008's. When ``output_encoded`` is unset the finding assumes no encoding and
    counts one step less likely than stated."""
    people_behind: dict[str, list[tuple[Element, set[str]]]] = {}
    for front in system.elements:
        web = None if front.output_encoded is True else _web_front_end(system, front)
        if web is None:
            continue
        stores: list[Element] = []
        writers: dict[str, Element] = {}
        for store in system.upstream(front.id):
            if store.kind not in SHOWN_STORES:
                continue
            found = _written_by_others(system, store, front, people_behind)
            if found:
                stores.append(store)
                writers.update((w.id, w) for w in found if w.id != store.id)
        if not stores:
            continue
        factors: tuple[Factor, ...] = ()
        assumptions: tuple[str, ...] = ()
        if web != "stated":
            assumptions = (f"{web} reaches {front.name} over HTTP; assumed through web pages it serves (set "
                           "browser or session_cookies to state it).",)
        if front.output_encoded is None:
            assumptions += (f"Whether {front.name} escapes what it shows from {_names(stores)} for the page is not "
                            "stated (output_encoded); assumed not.",)
            factors = (Factor(target="likelihood", delta=-1, fact=f"{front.id}.output_encoded=unset",
                              note="Missing output encoding is assumed, not stated."),)
        authors = _names(list(writers.values())) if writers else "outsiders"
        yield Hit(element=front.id, others=tuple(e.id for e in [*stores, *writers.values()]),
                  values={"stores": _names(stores), "authors": authors},
                  factors=factors, assumptions=assumptions)


FUNCTIONS: dict[str, RuleFunction] = {
    "T-STRIDE-019": zone_client_relays_outside_requests,
    "T-STRIDE-020": browser_loads_hostile_pages,
    "T-STRIDE-021": sessions_outlive_revocation,
    "T-STRIDE-023": pages_show_what_others_wrote,
}
