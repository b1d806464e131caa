"""DATA family, artefacts that run: a component no model drives (a notebook, a training or build job, a worker)
that executes code or model files coming from outside the organisation: model files that run code when loaded,
packages with install scripts, jobs submitted from outside.

Model-driven executors are the AGENT family's (T-AGENT-005, T-AGENT-014); the weights' own integrity is
T-DATA-002. The finding lands on the component the code runs in and names what a foothold there reaches next:
the open network (a reverse shell, data sent out), the credentials it holds, the other AI artefacts beside it.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import (
    STORE_KINDS,
    Classification,
    Element,
    Exposure,
    Factor,
    Kind,
    ModelProvenance,
    Permission,
    System,
)
from dicetm.rules.agent_common import executors, join_names
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.injection import Unchecked, parsed_model_files, unpacked_paths
from dicetm.rules.reach import (
    OPEN_WEIGHTS,
    holds_model_files,
    loaded_weights,
    open_to_internet,
)
from dicetm.rules.reach_content import (
    from_the_web,
)

# Infrastructure that loads and runs artefacts: notebooks, workers, training and embedding jobs (tools and MCP
# servers are installed from registries: the ECO family's ground).
HOSTS = frozenset({Kind.process, Kind.fine_tuning_pipeline, Kind.embedding_pipeline, Kind.retriever})
SUPPLIERS = frozenset({Kind.model_provider, Kind.registry})
# Elements that hold what models are made of: data sets, and the weights a model or training job loads.
MODEL_CONSUMERS = frozenset({Kind.llm, Kind.fine_tuning_pipeline})
SERVED = frozenset({Kind.llm, Kind.ml_model})  # a store these load from holds model files, not only data


def _runs_code(element: Element) -> bool:
    return element.executes_code is True or bool(element.permissions and Permission.execute in element.permissions)


def _outside_sources(system: System, host: Element) -> list[Element]:
    """Elements that send code or artefacts from outside the organisation into ``host``: a model hub or registry,
    a third party, content outsiders write, a store open to the internet (anyone who finds it can replace what
    it holds), the weight files of a downloaded model; and the registry the host
    itself is installed from (a package that runs is its publisher's code). The people who operate the host
    (external entities not stated to be outsiders) are its users, not its suppliers."""
    found = [sender for sender in system.upstream(host.id)
             if sender.kind not in (Kind.llm, Kind.agent) and sender.untrusted_content is not False and (
                 sender.third_party is True or sender.untrusted_content is True or sender.kind in SUPPLIERS
                 or open_to_internet(sender))]
    found += [model for model in system.upstream(host.id) if loaded_weights(system, model) and _downloaded(model)]
    origin = system.element_by_id.get(host.installed_from) if host.installed_from else None
    if origin is not None and origin not in found:
        found.append(origin)
    return found


def _downloaded(model: Element) -> bool:
    return model.third_party is True or model.model_provenance is ModelProvenance.open_weights_unverified


def _tenant_gateways(system: System, host: Element) -> list[Element]:
    """Shared (``multi_tenant``) processes that pass their callers' jobs or code on to the host, or the host itself
    when it is shared and people send to it directly: each tenant's code then runs where the platform runs every
    other tenant's."""
    def takes_from_people(element: Element) -> bool:
        return any(caller.kind is Kind.external_entity for caller in system.upstream(element.id))
    gateways = [sender for sender in system.upstream(host.id)
                if sender.kind is Kind.process and sender.multi_tenant is True and takes_from_people(sender)]
    if host.multi_tenant is True and takes_from_people(host):
        gateways.append(host)
    return gateways


def _open_gateways(system: System, host: Element) -> list[Element]:
    """Processes that answer on the internet without stated sign-in and pass requests on to the host: whoever
    finds them chooses what the host loads and runs (a model to register from a URL, a job, an archive)."""
    return [sender for sender in system.upstream(host.id)
            if sender.kind is Kind.process and sender.exposure is Exposure.internet
            and sender.authenticated is not True]


def _ai_artefacts(system: System, host: Element) -> list[Element]:
    """Stores beside the host that hold AI artefacts: training data, and stores a model or training job loads."""
    found: dict[str, Element] = {}
    for neighbour in [*system.downstream(host.id), *system.upstream(host.id)]:
        if neighbour.kind is Kind.training_data or (neighbour.kind in STORE_KINDS and any(
                e.kind in MODEL_CONSUMERS for e in system.downstream(neighbour.id))):
            found.setdefault(neighbour.id, neighbour)
    return list(found.values())


def _holds_credentials(system: System, host: Element) -> bool:
    """Stated on the host (the fact, secret data, a secret asset kept there) or on a store it reads from."""
    secret_assets = {e for a in system.assets if a.classification is Classification.secret for e in a.stored_in}
    readable = [host, *(e for e in system.upstream(host.id) if e.kind in STORE_KINDS)]
    return any(e.holds_credentials is True or e.classification is Classification.secret or e.id in secret_assets
               for e in readable)


def outside_code_runs_unsandboxed(system: System) -> Iterator[Hit]:
    """A component no model drives that runs code (``executes_code`` or execute permission), is not sandboxed,
    and receives code or artefacts from outside the organisation: a model hub or registry, a third party, content
    outsiders write, or requests passed on by a process that answers on the internet without stated sign-in
    (its callers choose what is loaded: a model registered from any URL, a submitted job). Loading a model file or
    installing a package is running its author's code there. The references add what the foothold reaches: an
    open network (reverse shell, exfiltration; assumed when ``egress_restricted`` is unset), credentials, and AI
    artefacts to discover. With none of these, a store it loads from that people upload to, its content's trust
    unstated, counts as the source: the finding assumes so and is one step less likely. Files it saves and unpacks
    from a data store carry names chosen by whoever wrote them there, which can climb out of its folder (CWE-22),
    unless it is stated not to open paths from its input (``file_paths: false``) or to validate it. A component
    whose running of code is not stated (``executes_code`` and ``permissions`` unset) that loads model files or
    packages from a registry, an open-weights provider or a store a model loads from is assumed to run them as they
    load (pickle, install scripts): the finding names only those sources and is one step less likely."""
    driven = {element.id for element, _writers in executors(system)}
    for host in system.elements:
        if host.kind not in HOSTS or host.id in driven or host.sandboxed is True:
            continue
        factors: tuple[Factor, ...] = ()
        assumptions: list[str] = []
        if not _runs_code(host):
            loaded = _artefact_suppliers(system, host)
            if not loaded:
                continue
            assumptions.append(f"Whether {host.name} runs code is not stated (executes_code); it loads model files or "
                               f"packages from {join_names(loaded)}, and common formats (pickle, Keras Lambda layers, "
                               "install scripts) run code when loaded, so assumed it does.")
            factors = (Factor(target="likelihood", delta=-1, fact=f"{host.id}.executes_code=unset",
                              note="That loading runs code is assumed from what it loads, not stated."),)
        sources = _outside_sources(system, host)
        tenants = _tenant_gateways(system, host)
        gateways = [g for g in _open_gateways(system, host) if g not in sources and g not in tenants]
        if factors:  # only the model files and packages it loads are assumed to run, not what else it is sent
            sources, tenants, gateways = loaded, [], []
        if not sources and not tenants and not gateways and not factors:
            sources = _uploaded_stores(system, host)
            if not sources:
                continue
            assumptions += [f"Whether what {store.name} holds is trusted is not stated (untrusted_content); "
                            f"{join_names(_people_writing(system, store))} upload to it, so assumed a file one of them "
                            "plants there is loaded." for store in sources]
            assumptions += [f"Whether writing to {store.name} needs sign-in is not stated (authenticated); assumed "
                            "not." for store in sources if store.authenticated is None]
            factors = (Factor(target="likelihood", delta=-1, fact=f"{sources[0].id}.untrusted_content=unset",
                              note="That people plant files there is assumed, not stated."),)
        assumptions += [f"Whether {g.name} makes its callers sign in is not stated (authenticated); assumed anyone "
                        "who reaches it can." for g in gateways if g.authenticated is None]
        references = _supply_chain(system, sources)
        parsed = parsed_model_files(host) if "atlas:AML.T0010.003" in references else Unchecked()
        references += parsed.references
        assumptions += parsed.assumptions
        if any(from_the_web(system, s) for s in sources):
            references.append("atlas:AML.T0078")  # pages fetched from the open web: a drive-by compromise
        reaches: list[str] = []
        if gateways:  # what callers send is what it runs: their input reaches its interpreter as code
            references += ["cwe:CWE-94", "atlas:AML.T0050"]
        if tenants:
            references += ["cwe:CWE-653", *([] if gateways else ["atlas:AML.T0050"])]
            reaches.append(f"reach what the platform keeps for the other tenants of {join_names(tenants)}")
        if host.egress_restricted is not True:
            references += ["atlas:AML.T0072", "atlas:AML.T0025"]
            reaches.append("open a reverse shell and send data out over the open network")
            if host.egress_restricted is None:
                assumptions.append(f"Whether {host.name} can connect only to allow-listed destinations is not stated "
                                   "(egress_restricted); assumed it can reach the internet.")
        if _holds_credentials(system, host):
            references.append("atlas:AML.T0055")
            reaches.append("collect the credentials kept there")
        checks = [e for e in system.downstream(host.id) if e.kind is Kind.guardrail]
        if checks:
            references.append("atlas:AML.T0107")
            reaches.append(f"try to switch off or route around {join_names(checks)}, which its own traffic passes")
        artefacts = _ai_artefacts(system, host)
        if artefacts:
            references += ["atlas:AML.T0007", "atlas:AML.T0035"]
            reaches.append(f"find and copy the models and data in {join_names(artefacts)}")
        if host.sandboxed is None:
            assumptions.append(f"Whether {host.name} runs what it loads in a sandbox is not stated (sandboxed); "
                               "assumed it runs with the rights of its host.")
        unpacked = unpacked_paths(system, host, sources)
        references += unpacked.references
        assumptions += unpacked.assumptions
        then = f" From there the attacker can {_join_texts(reaches)}." if reaches else ""
        suppliers = [*sources, *(t for t in tenants if t not in sources), *gateways]
        parts = [join_names(sources)] if sources else []
        if tenants:
            parts.append(f"the tenants of {join_names(tenants)}")
        if gateways:
            parts.append(f"anyone on the internet through {join_names(gateways)}")
        names = " and ".join(parts)
        yield Hit(element=host.id, others=tuple(dict.fromkeys(e.id for e in [*suppliers, *artefacts])),
                  values={"sources": names, "then": then, "unpack": parsed.sentence + unpacked.sentence},
                  factors=factors,
                  assumptions=tuple(assumptions), references=tuple(references))


def _artefact_suppliers(system: System, host: Element) -> list[Element]:
    """For a host whose running of code is not stated (``executes_code`` and ``permissions`` unset): the outside
    sources that hand it model files or packages, which run code as they are loaded: a registry or hub, a model
    provider of open weights, a store models load their files from. A vendor's model API answers requests, it hands
    over no files; the registry the host itself is installed from is its own package (T-DATA-003)."""
    if host.executes_code is not None or host.permissions is not None:
        return []
    senders = {e.id for e in system.upstream(host.id)}
    return [e for e in _outside_sources(system, host) if e.id in senders and (
        e.kind is Kind.registry or (e.kind is Kind.model_provider and e.model_provenance in OPEN_WEIGHTS)
        or (e.kind in STORE_KINDS and any(r.kind in SERVED for r in system.downstream(e.id))))]


def _uploaded_stores(system: System, host: Element) -> list[Element]:
    """Stores the host loads from that people write to directly, their content's trust not stated
    (``untrusted_content`` unset) and writing not stated to need sign-in (``authenticated``): an upload area, an
    artefact or file server. What people upload is what the host deserialises and runs."""
    return [store for store in system.upstream(host.id)
            if store.kind in STORE_KINDS and store.untrusted_content is None and store.authenticated is not True
            and _people_writing(system, store)]


def _people_writing(system: System, store: Element) -> list[Element]:
    return [writer for writer in system.upstream(store.id) if writer.kind is Kind.external_entity]


def _supply_chain(system: System, sources: list[Element]) -> list[str]:
    """How the artefact arrives: a model's weights (AML.T0010.003: from a model, a hub, or a store models load
    their files from; a language model's files also carry the chat template the server renders, CWE-1336), or
    software, code and packages (AML.T0010.001)."""
    weights = [s for s in sources if s.kind in (Kind.llm, Kind.model_provider) or holds_model_files(system, s)]
    references: list[str] = []
    if weights:
        references.append("atlas:AML.T0010.003")
    if any(s.kind is Kind.llm for s in weights):
        references.append("cwe:CWE-1336")  # a language model's files carry a chat template the server renders
    if len(weights) < len(sources):
        references.append("atlas:AML.T0010.001")
    return references


def _join_texts(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-012": outside_code_runs_unsandboxed,
}
