"""ML family: attacks on models that score, classify, detect or recognise (``ml_model``) rather than answer
prompts: evasion at inference, adversarial inputs crafted offline against a proxy, scores that show attackers
how close they are, physical-world inputs and the commands recognised from them, poisoning of the training
that feeds the model, and floods of inputs built to be flagged for the people who check its verdicts. What a
model generates is in ``rules.ml_output``.

What is the same threat for any model (copying it through its API, its supply chain, flooding it) is not
repeated here: those rules of the LLM and DATA families take ``ml_model`` too.

Findings land on the model; the element outsiders' input comes from, the elements their input passes on the
way, and whoever sees the model's output are listed as further elements. Each function walks the model a fixed
number of times (multi-source breadth-first searches with parent links; the training behind a model is looked
for a few hops back), so cost grows linearly with elements and flows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dicetm.model import STORE_KINDS, Classification, DataProvenance, Element, Factor, Kind, System
from dicetm.rules.base import Hit, RuleFunction, join_words, per_system
from dicetm.rules.reach import EXPOSED, OPEN_WEIGHTS, front_ends, weight_files

ML = Kind.ml_model
# What carries outsiders' input towards a model: software passing requests on, and stores it is kept in.
INPUT_PATH = frozenset({Kind.process, Kind.guardrail, Kind.agent, Kind.llm, Kind.tool, Kind.mcp_server,
                        Kind.data_store, Kind.knowledge_source})
# What carries a model's verdicts and scores towards people: software, and the stores and logs they read.
OUTPUT_PATH = frozenset({Kind.process, Kind.guardrail, Kind.agent, Kind.llm, Kind.data_store, Kind.log_store,
                         Kind.knowledge_source})
# What a model's training comes through: the training job, its data sets, and the stores and steps between.
TRAINING_PATH = frozenset({Kind.fine_tuning_pipeline, Kind.training_data, Kind.data_store, Kind.process})
TRAINING_KINDS = frozenset({Kind.fine_tuning_pipeline, Kind.training_data})
# How far back from a model its training is looked for: data set -> training job -> model store -> model.
TRAINING_DEPTH = 4
# Where the decisions taken on a verdict land: the records a let-in attacker gets to.
GUARDED_KINDS = frozenset({Kind.data_store, Kind.knowledge_source, Kind.memory})
OUTSIDE_DATA = frozenset({DataProvenance.public_web, DataProvenance.user_generated, DataProvenance.third_party})
# A model whose verdict alone lets someone in, on a capture anyone can fake: authentication by one copyable trait.
ACCESS_BY_TRAIT = ("cwe:CWE-290", "cwe:CWE-287", "cwe:CWE-308")


@dataclass(frozen=True)
class Route:
    """The nearest element found from a model, and the elements between them (nearest to the model first)."""

    end: str
    between: tuple[str, ...]


def _routes(system: System, sources: list[str], through: frozenset[Kind], *, backward: bool) -> dict[str, Route]:
    """ml_model id -> route to the nearest of ``sources``: one multi-source breadth-first search from the sources
    (with the flows, or against them when ``backward``), expanding only through ``through`` kinds, with parent
    links to read each route back. Linear in the model."""
    parent = system.search_parents(sources, backward=backward, expand=lambda e: e.kind in through)
    routes: dict[str, Route] = {}
    for model in system.of_kind(ML):
        if model.id not in parent or parent[model.id] == model.id:
            continue
        between: list[str] = []
        step = parent[model.id]
        while parent[step] != step:
            between.append(step)
            step = parent[step]
        routes[model.id] = Route(end=step, between=tuple(between))
    return routes


def _outsider(element: Element) -> bool:
    return element.kind is Kind.external_entity or element.untrusted_content is True


def _exposed(element: Element) -> bool:
    return element.exposure is not None and element.exposure.value in EXPOSED


@per_system
def outside_input(system: System) -> dict[str, Route]:
    """ml_model id -> route back to the nearest outsider whose input reaches it: an external entity or content
    outsiders write; failing those, an element exposed to the internet or partners (its callers are not drawn)."""
    drawn = _routes(system, [e.id for e in system.elements if _outsider(e)], INPUT_PATH, backward=False)
    exposed = _routes(system, [e.id for e in system.elements if _exposed(e) and e.kind is not ML], INPUT_PATH,
                      backward=False)
    return {**exposed, **drawn}


@per_system
def output_seen_outside(system: System) -> dict[str, Route]:
    """ml_model id -> route to the nearest outsider who sees its output (verdicts, scores, replies, logs): an
    external entity, or a front end (it answers the outsiders who call it)."""
    fronts = front_ends(system)
    viewers = [e.id for e in system.elements if e.kind is Kind.external_entity or e.id in fronts]
    return _routes(system, viewers, OUTPUT_PATH, backward=True)


def _internet_factor(system: System, route: Route, note: str) -> tuple[Factor, ...]:
    for element_id in (route.end, *reversed(route.between)):
        element = system.element_by_id[element_id]
        if element.exposure is not None and element.exposure.value == "internet":
            return (Factor(target="likelihood", delta=1, fact=f"{element_id}.exposure=internet", note=note),)
    return ()


def _names(system: System, ids: tuple[str, ...]) -> str:
    return join_words(system.element_by_id[i].name for i in ids)


# --------------------------------------------------------------------------------------------------
# T-ML-001 evasion at inference


def evasion_at_inference(system: System) -> Iterator[Hit]:
    """An ml_model outsiders' input reaches: inputs changed just enough get the verdict they want. Likelier when
    the input comes from the internet; worse when the verdict alone lets something in (``decides_access``, or
    ``answers_drive_decisions`` when that is unset), and then the harm lands on what it guards (the stores those
    acting on the verdict, up to three steps on, write to); when people other than those whose input it judged
    get what it let through (comments a moderation verdict publishes, a page a phishing verdict shows), the harm
    lands on them too (AML.T0048.003). With both unset and the
    verdict going back to the product the input came through, that product is assumed to act on it: the harm is
    named, the score stays. A model that judges people (physical input, or personal data on the way in) can be
    evaded with generated media of a person (deepfakes), and a decisive one lets the attacker in as that person
    (impersonation, CWE-290)."""
    routes = outside_input(system)
    for model in system.of_kind(ML):
        route = routes.get(model.id)
        if route is None:
            continue
        factors = list(_internet_factor(system, route, "anyone on the internet can submit inputs to try"))
        decisive = True
        assumptions: tuple[str, ...] = ()
        caller = (*route.between, route.end)[0]
        if model.decides_access is True:
            factors.append(Factor(target="impact", delta=1, fact=f"{model.id}.decides_access",
                                  note="its verdict alone lets something in or keeps it out"))
        elif model.decides_access is None and model.answers_drive_decisions is True:
            factors.append(Factor(target="impact", delta=1, fact=f"{model.id}.answers_drive_decisions",
                                  note="its verdict is acted on without an independent check"))
        elif (model.decides_access is None and model.answers_drive_decisions is None
              and _answers(system, model, caller)):
            # Unstated: the product the input came through gets the verdict back and acts on it. The harm is
            # named, the score is not raised on an assumption.
            assumptions = (f"Whether {system.element_by_id[caller].name} acts on the verdict of {model.name} without "
                           "another check is not stated (decides_access); assumed it does.",)
        else:
            decisive = False
        deciders = _acting_on_verdict(system, model) if decisive else [
            e for e in system.downstream(model.id) if e.kind is not Kind.external_entity]
        # What the verdict guards: the stores those acting on it write to (accounts opened, mail delivered).
        guarded = [e for d in deciders for e in system.downstream(d.id)
                   if e.kind in GUARDED_KINDS and e.id != model.id] if decisive else []
        references: list[str] = []
        # People other than those whose input it judged who get what it let through: published, shown, sent.
        harmed = [r for e in [*deciders, *guarded] for r in system.downstream(e.id)
                  if r.kind is Kind.external_entity and r.id != route.end] if decisive else []
        if decisive:
            references.append("atlas:AML.T0048")
        if harmed:
            references.append("atlas:AML.T0048.003")
        if _judges_people(system, model, route):
            references += ["atlas:AML.T0087", "atlas:AML.T0088",
                           *(["atlas:AML.T0073", "cwe:CWE-290"] if decisive else [])]
        yield Hit(element=model.id,
                  others=tuple(dict.fromkeys([*route.between, route.end, *(d.id for d in deciders),
                                              *(g.id for g in guarded), *(h.id for h in harmed)])),
                  values={"source": system.element_by_id[route.end].name},
                  factors=tuple(factors), assumptions=assumptions, references=tuple(references))


def _acting_on_verdict(system: System, model: Element) -> list[Element]:
    """The software its verdict reaches, up to three steps on through processes and guardrails (an API in front
    of the model, then the product that calls it and acts on the answer): where what it lets through is let in."""
    found: dict[str, Element] = {}
    frontier = [model]
    for _step in range(3):
        ahead = [e for m in frontier for e in system.downstream(m.id)
                 if e.kind in (Kind.process, Kind.guardrail) and e.id not in found]
        found.update((e.id, e) for e in ahead)
        frontier = ahead
    return list(found.values())


def _judges_people(system: System, model: Element, route: Route) -> bool:
    """The model judges media of people: it reads the physical world, or personal data arrives on the way in
    (faces, voices, identity documents: a flow classified personal, or one read from a store of personal data).
    Synthetic media of a person (deepfakes), made from the victim's photos or recordings, are then a way to evade
    it."""
    if model.physical_input is True:
        return True
    on_route = {model.id, *route.between, route.end}
    return any(f.classification is Classification.personal
               or system.element_by_id[f.source].classification is Classification.personal
               for element_id in on_route for f in system.flows_to.get(element_id, []))


# --------------------------------------------------------------------------------------------------
# T-ML-002 adversarial inputs crafted offline


def _public_training(system: System, model: Element) -> Element | None:
    return next((e for e in _training_feeders(system, model)
                 if e.training_data_provenance is DataProvenance.public_web), None)


def _answers(system: System, model: Element, caller: str) -> bool:
    """The model's verdict goes back to the element that sends it the input (a reply, or a two-way flow)."""
    return any(flow.target == caller or flow.bidirectional for flow in system.flows_from.get(model.id, [])
               if system.other_end(flow, model.id) == caller)


def _weights_shipped(system: System, model: Element) -> Element | None:
    """A store the model's weights are loaded from that an outside party delivers (an app or firmware package
    from a store or an update channel): whoever gets the package gets the weights."""
    files = weight_files(system, model)
    delivered = any(e.kind is Kind.external_entity for e in files)
    return next((e for e in files if e.kind in STORE_KINDS), None) if delivered else None


def adversarial_inputs_crafted_offline(system: System) -> Iterator[Hit]:
    """An ml_model facing outsiders' input for which attackers can build a stand-in to work on offline: they see
    its verdicts or scores (and can check candidates against it), its verdicts go back to the product their
    input passes through (the product answers whether a file, face or message got through), or its weights or
    training data are public. With the weights in hand (public, or shipped in a package outsiders download) the
    stand-in is the model itself: full white-box access. The elements the input passes on its way are named:
    they are the product attackers probe."""
    inputs = outside_input(system)
    outputs = output_seen_outside(system)
    for model in system.of_kind(ML):
        route = inputs.get(model.id)
        if route is None:
            continue
        seen = outputs.get(model.id)
        public_data = _public_training(system, model)
        shipped = _weights_shipped(system, model)
        caller = (*route.between, route.end)[0]
        reasons: list[str] = []
        others: list[str] = []
        references: list[str] = []
        if seen is not None or model.returns_scores is True or _answers(system, model, caller):
            reasons.append("its verdicts can be observed and candidates checked against it")
            if seen is not None:
                others.append(seen.end)
        if model.model_provenance in OPEN_WEIGHTS or shipped is not None:
            reasons.append("its weights are public" if shipped is None
                           else f"its weights ship in {shipped.name}, which outsiders can unpack")
            references.append("atlas:AML.T0044")
            if shipped is not None:
                others.append(shipped.id)
        if model.on_device is True:
            # The model file sits on every user's device: whoever holds one holds the model itself, and can also
            # run it backwards to learn what its outputs say about their inputs.
            reasons.append("it runs on users' own devices, from which its model file can be pulled out")
            references.extend(r for r in ("atlas:AML.T0044", "atlas:AML.T0024.001") if r not in references)
        if public_data is not None:
            reasons.append("it is trained on data from the public web")
            others.append(public_data.id)
        if not reasons:
            continue
        # Reached through a product built on it (an agent, a gateway, a scanner): the product is the test bench.
        product = route.between[:1]
        if product:
            references.append("atlas:AML.T0047")
        values = {"reasons": join_words(reasons),
                  "product": f" through {_names(system, product)}" if product else ""}
        yield Hit(element=model.id, others=tuple(dict.fromkeys([*route.between, *others])), values=values,
                  references=tuple(references))


# --------------------------------------------------------------------------------------------------
# T-ML-003 scores visible to outsiders


def scores_visible_outside(system: System) -> Iterator[Hit]:
    """An ml_model whose scores or confidences reach outsiders (stated, or its output reaches them with
    ``returns_scores`` unset): they show an attacker how close each try came, and what the model has learnt."""
    outputs = output_seen_outside(system)
    for model in system.of_kind(ML):
        if model.returns_scores is False:
            continue
        seen = outputs.get(model.id)
        if seen is None and model.returns_scores is not True:
            continue
        assumptions: tuple[str, ...] = ()
        if seen is not None and model.returns_scores is None:
            assumptions = (f"Whether {model.name}'s scores or confidences reach {system.element_by_id[seen.end].name} "
                           "with its verdicts is not stated (returns_scores); assumed they do.",)
        path = (*seen.between, seen.end) if seen else ()
        where = _names(system, path) if path else "its callers"
        yield Hit(element=model.id, others=path, values={"where": where}, assumptions=assumptions)


# --------------------------------------------------------------------------------------------------
# T-ML-004 physical-world input


def physical_world_input(system: System) -> Iterator[Hit]:
    """An ml_model reading a camera, microphone or sensor (``physical_input``): whoever can act on what the
    sensor picks up (a printed patch, a replayed recording, light or sound outside human perception, a
    replaced camera feed) feeds it input no software check upstream has seen. When its verdict alone lets
    someone in (``decides_access``), that is an authentication bypass by spoofing (CWE-290): a single factor (CWE-308)
    others can record or copy makes the whole authentication (CWE-287)."""
    routes = outside_input(system)
    for model in system.of_kind(ML):
        if model.physical_input is not True:
            continue
        route = routes.get(model.id)
        path = (*route.between, route.end) if route else tuple(e.id for e in system.upstream(model.id))
        capture = _names(system, path) if path else "its sensor"
        # A verdict that alone lets someone in, given on a spoofed capture, is an authentication bypass.
        yield Hit(element=model.id, others=path, values={"capture": capture},
                  references=ACCESS_BY_TRAIT if model.decides_access is True else ())


# --------------------------------------------------------------------------------------------------
# T-ML-006 what a sensor model recognises is carried out


def recognised_commands_carried_out(system: System) -> Iterator[Hit]:
    """A process or agent whose only modelled input is what an ml_model reading the physical world
    (``physical_input``) recognises, and which acts on other components (sends to them). What the model hears or
    sees is its instruction: whoever can make the sensor pick something up (a voice across the room, ultrasound
    nobody hears, a sign in view) makes it act with the owner's rights, changing data, sending messages, turning
    the device off the network. Only the executors of such a model are reported, once each."""
    for executor in system.elements:
        if executor.kind not in (Kind.process, Kind.agent):
            continue
        senders = system.upstream(executor.id)
        if not senders or any(s.kind is not ML or s.physical_input is not True for s in senders):
            continue
        acted = [e for e in system.downstream(executor.id)
                 if e.kind is not Kind.external_entity and e.id not in {s.id for s in senders}]
        if not acted:
            continue
        yield Hit(element=executor.id, others=tuple(e.id for e in [*senders, *acted]),
                  values={"model": _names(system, tuple(s.id for s in senders)),
                          "acted": _names(system, tuple(e.id for e in acted))})


# --------------------------------------------------------------------------------------------------
# T-ML-009 a model shipped to users' devices


def model_on_user_devices(system: System) -> Iterator[Hit]:
    """A model or agent stated to run on the users' own devices (``on_device``): its file ships with the app or
    the operating system, so anyone holding a device can copy it, run it outside the app (without the checks
    around it), study it and change it. The processes that feed it and receive its output on the device are
    named."""
    for model in system.elements:
        if model.kind not in (ML, Kind.llm, Kind.agent) or model.on_device is not True:
            continue
        around = [e for e in [*system.upstream(model.id), *system.downstream(model.id)] if e.kind is Kind.process]
        yield Hit(element=model.id, others=tuple(dict.fromkeys(e.id for e in around)))


# --------------------------------------------------------------------------------------------------
# T-ML-005 poisoned training of the model


def _training_feeders(system: System, model: Element) -> list[Element]:
    """Training jobs and data sets behind the model, nearest first, up to ``TRAINING_DEPTH`` hops back through
    training steps and the stores and processes between them (a model registry, a conversion step)."""
    found: dict[str, Element] = {}
    seen = {model.id}
    frontier = [model]
    for _depth in range(TRAINING_DEPTH):
        ahead: list[Element] = []
        for current in frontier:
            for sender in system.upstream(current.id):
                if sender.id in seen or sender.kind not in TRAINING_PATH:
                    continue
                seen.add(sender.id)
                ahead.append(sender)
                if sender.kind in TRAINING_KINDS:
                    found[sender.id] = sender
        frontier = ahead
    return list(found.values())


def poisoned_training(system: System) -> Iterator[Hit]:
    """An ml_model that a training job or data set in the model feeds: poisoned examples plant a backdoor (a
    trigger that flips its verdict) or shift what it learns. Likelier when the data comes from outside the
    organisation."""
    for model in system.of_kind(ML):
        feeders = _training_feeders(system, model)
        if not feeders:
            continue
        outside = [e for e in feeders if e.training_data_provenance in OUTSIDE_DATA or e.untrusted_content is True]
        factors: tuple[Factor, ...] = ()
        assumptions: tuple[str, ...] = ()
        if outside:
            factors = (Factor(target="likelihood", delta=1, fact=f"{outside[0].id}.training_data_provenance",
                              note="training data comes from outside the organisation"),)
        elif all(e.training_data_provenance is None for e in feeders):
            assumptions = (f"Where the training data of {model.name} comes from is not stated "
                           "(training_data_provenance); assumed not curated.",)
        yield Hit(element=model.id, others=tuple(e.id for e in feeders),
                  values={"feeders": join_words(e.name for e in feeders)}, factors=factors, assumptions=assumptions)


# --------------------------------------------------------------------------------------------------
# T-ML-010 chaff for the people who check the verdicts


def chaff_floods_reviewers(system: System) -> Iterator[Hit]:
    """An ml_model outsiders' input reaches, whose verdicts a person checks before anything is done: the model or
    the software acting on its verdict has ``human_approval_required``, or the model's ``answers_drive_decisions``
    is false (checked before being acted on; assumed by a person, and said so). Inputs built to be flagged fill
    that review with false alarms (AML.T0046)."""
    routes = outside_input(system)
    for model in system.of_kind(ML):
        route = routes.get(model.id)
        if route is None:
            continue
        approvers = [e for e in _acting_on_verdict(system, model) if e.human_approval_required is True]
        if not approvers and model.answers_drive_decisions is not False and model.human_approval_required is not True:
            continue
        where = f" at {join_words(e.name for e in approvers)}" if approvers else ""
        assumptions: tuple[str, ...] = ()
        if not approvers and model.human_approval_required is not True:
            assumptions = (f"The verdicts of {model.name} are checked before they are acted on "
                           "(answers_drive_decisions is false); assumed the check is a person's.",)
        yield Hit(element=model.id,
                  others=tuple(dict.fromkeys([*route.between, route.end, *(e.id for e in approvers)])),
                  values={"source": system.element_by_id[route.end].name, "where": where}, assumptions=assumptions,
                  factors=_internet_factor(system, route, "anyone on the internet can submit inputs to be flagged"))


FUNCTIONS: dict[str, RuleFunction] = {
    "T-ML-001": evasion_at_inference,
    "T-ML-002": adversarial_inputs_crafted_offline,
    "T-ML-003": scores_visible_outside,
    "T-ML-004": physical_world_input,
    "T-ML-005": poisoned_training,
    "T-ML-006": recognised_commands_carried_out,
    "T-ML-009": model_on_user_devices,
    "T-ML-010": chaff_floods_reviewers,
}
