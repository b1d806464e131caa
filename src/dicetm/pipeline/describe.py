"""Describe: flag the missing context as open questions.

Each question names the elements (or flows) it concerns and the model field that would answer it.
Questions are derived from unset facts and structural gaps only; nothing is guessed. The questions about
elements are one table (``ASKS``): for which kinds, which unset facts raise each one, its code and its words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dicetm.model import PROCESS_KINDS, STORE_KINDS, Element, Flow, Kind, OpenQuestion, Permission, System
from dicetm.pipeline.state import State

MODEL_KINDS = frozenset({Kind.llm, Kind.agent})

# Whether a question applies beyond its unset facts: (system, element, exposed element ids) -> bool.
Condition = Callable[[System, Element, set[str]], bool]


@dataclass(frozen=True)
class Ask:
    """One question about elements of some kinds, asked when one of the ``unset`` facts is not stated (or, with
    none listed, always) and ``also`` holds. ``question`` names the element as ``{name}``; ``field`` is the model
    field that would answer it."""

    kinds: frozenset[Kind]
    topic: str
    question: str
    why: str
    field: str | None
    unset: tuple[str, ...]
    also: Condition | None = None


def _kinds(*kinds: Kind) -> frozenset[Kind]:
    return frozenset(kinds)


def _no_provider_beside(system: System, e: Element, _exposed: set[str]) -> bool:
    return Kind.model_provider not in _neighbour_kinds(system, e)


def _is_exposed(_system: System, e: Element, exposed: set[str]) -> bool:
    return e.id in exposed


def _not_fed_by(kind: Kind) -> Condition:
    return lambda system, e, _exposed: kind not in _upstream_kinds(system, e)


def _no_senders(system: System, e: Element, _exposed: set[str]) -> bool:
    return not system.senders.get(e.id)


def _may_change_things(_system: System, e: Element, _exposed: set[str]) -> bool:
    return e.permissions is None or bool({Permission.write, Permission.execute} & set(e.permissions))


def _executes(_system: System, e: Element, _exposed: set[str]) -> bool:
    return e.permissions is not None and Permission.execute in e.permissions


def _no_flows(system: System, e: Element, _exposed: set[str]) -> bool:
    return not system.flows_from.get(e.id) and not system.flows_to.get(e.id)


def _reached_across_a_boundary(system: System, e: Element, _exposed: set[str]) -> bool:
    return any(system.crosses_boundary(f) for f in system.flows_to.get(e.id, []))


def _people_sign_in(system: System, e: Element, exposed: set[str]) -> bool:
    """People reach it from outside its zone (an exposed web front end), so how they stay signed in matters."""
    return e.id in exposed and any(n.kind is Kind.external_entity for n in system.senders.get(e.id, ()))


def _written_by_something_that_executes(system: System, e: Element, _exposed: set[str]) -> bool:
    """An agent or tool that runs code writes here (a workspace, a repository, a host's files)."""
    return any(n.kind in (Kind.agent, Kind.tool, Kind.mcp_server)
               and (n.executes_code or _executes(system, n, _exposed)) for n in system.senders.get(e.id, ()))


def _acts_on_a_data_store(system: System, e: Element, _exposed: set[str]) -> bool:
    """Its calls reach a data store, by file path or by query (rules.injection)."""
    target = system.element_by_id.get(e.acts_on) if e.acts_on else None
    return target is not None and target.kind is Kind.data_store


_TOOL = _kinds(Kind.tool)
ASKS = (
    # models
    Ask(_kinds(Kind.llm), "MODEL-PROVIDER", "Who provides the model behind {name}, and which exact model and version "
        "is it?", "Supply-chain, data-handling and availability threats depend on it.", "model_provenance",
        ("model_provenance",), _no_provider_beside),
    Ask(MODEL_KINDS, "PROMPT-LOGGING", "Are prompts and answers of {name} logged, where, and who can read them?",
        "Logged prompts often hold personal or confidential data.", "logs_prompts", ("logs_prompts",)),
    Ask(MODEL_KINDS, "TRAINING-ON-INPUT", "Is user input to {name} fed back into training or fine-tuning (by you or "
        "the provider)?", "Training on input can leak data and opens a poisoning path.", "trains_on_user_input",
        ("trains_on_user_input",)),
    Ask(MODEL_KINDS, "OUTPUT-USE", "Where does the output of {name} go, and is it rendered (markdown, HTML) or "
        "executed (SQL, shell, code) downstream?", "Improper output handling depends on the sink.",
        "output_rendered_as", ("output_rendered_as",)),
    Ask(MODEL_KINDS, "SYSTEM-PROMPT", "Does the system prompt of {name} contain credentials, internal URLs or access "
        "rules?", "Anything in a system prompt should be assumed extractable.", "system_prompt_has_secrets",
        ("system_prompt_has_secrets",)),
    Ask(MODEL_KINDS, "DECISIONS", "Do answers of {name} drive decisions or actions without independent checking?",
        "Misinformation matters most where answers are acted on.", "answers_drive_decisions",
        ("answers_drive_decisions",)),
    Ask(MODEL_KINDS, "CONSUMPTION-LIMITS", "Are requests to {name} rate-limited and are token or cost budgets "
        "enforced?", "Unbounded use costs money and availability.", "rate_limited",
        ("rate_limited", "budget_limited"), _is_exposed),
    Ask(_kinds(Kind.ml_model), "MODEL-PROVENANCE", "Where does {name} come from: trained in house, a vendor's API, "
        "or downloaded weights?", "Copying, supply-chain and poisoning threats depend on it.", "model_provenance",
        ("model_provenance",)),
    Ask(_kinds(Kind.ml_model), "SCORES", "Can callers or readers of logs and headers see the scores or confidences "
        "of {name}, or only its verdict?", "Scores guide evasion and model copying.", "returns_scores",
        ("returns_scores",)),
    Ask(_kinds(Kind.ml_model), "ACCESS-DECISION", "Does the verdict of {name} alone let something in or keep it out "
        "(a login, an account, a file, a message, a payment)?",
        "Evading a model that decides access is an attacker's way in.", "decides_access", ("decides_access",)),
    Ask(_kinds(Kind.ml_model), "PHYSICAL-INPUT", "Does {name} judge input captured by a camera, microphone or "
        "sensor?", "Captures from the physical world can be staged, replayed or injected.", "physical_input",
        ("physical_input",)),
    Ask(_kinds(Kind.llm, Kind.ml_model, Kind.agent), "MODALITY", "Does {name} take in or produce audio, images or "
        "video, or only text?", "Media bring their own threats: instructions hidden in images or audio, cloned "
        "voices, invented transcripts.", "output_modality", ("output_modality", "input_modality")),
    Ask(_kinds(Kind.model_provider), "MODEL-PROVENANCE", "Which model does {name} supply, how is it versioned, and "
        "is it a hosted API or downloaded weights?", "Decides which supply-chain threats apply.",
        "model_provenance", ("model_provenance",)),
    Ask(_kinds(Kind.model_provider), "TRAINING-ON-INPUT", "Do the terms of {name} allow it to train on or retain "
        "your prompts?", "Provider-side retention and training expose your data.", "trains_on_user_input",
        ("trains_on_user_input",)),
    # training data and retrieval
    Ask(_kinds(Kind.training_data), "TRAINING-DATA", "Where does the data in {name} come from, and who can add to "
        "it?", "Poisoning and licensing risks depend on the origin.", "training_data_provenance",
        ("training_data_provenance",)),
    Ask(_kinds(Kind.fine_tuning_pipeline), "TRAINING-DATA", "Which datasets feed {name}?",
        "Without the sources the poisoning paths cannot be checked.", None, (), _not_fed_by(Kind.training_data)),
    Ask(_kinds(Kind.vector_store), "EMBEDDING-FEED", "How is {name} filled: which embedding pipeline writes to it "
        "and from which sources?", "Poisoning and leakage enter where the store is fed.", None, (),
        _not_fed_by(Kind.embedding_pipeline)),
    Ask(_kinds(Kind.vector_store), "TENANCY", "Does {name} hold data of several tenants or access levels, and is "
        "retrieval filtered by the caller's permissions?", "Cross-tenant retrieval leaks data.", "multi_tenant",
        ("multi_tenant",)),
    Ask(_kinds(Kind.embedding_pipeline), "EMBEDDING-FEED", "Which sources does {name} read from?",
        "The sources decide who can poison the index.", None, (), _no_senders),
    Ask(_kinds(Kind.knowledge_source), "CONTENT-TRUST", "Who can write content in {name}: only vetted authors, all "
        "employees, or outsiders (customers, the web)?", "Anyone who can write here can plant instructions the "
        "model will read.", "untrusted_content", ("untrusted_content",)),
    Ask(_kinds(Kind.retriever), "RETRIEVAL-ACCESS", "Does {name} filter results by the requesting user's "
        "permissions or tenant?", "Retrieval without access filters discloses documents.", "multi_tenant",
        ("multi_tenant",)),
    Ask(_kinds(Kind.memory), "MEMORY-SCOPE", "Is {name} kept per user and session, or shared?",
        "Shared memory lets one user's input steer another's session.", "multi_tenant", ("multi_tenant",)),
    # tools and their ecosystem
    Ask(_TOOL, "TOOL-PERMISSIONS", "What may {name} do: read, write, execute?",
        "Excessive agency depends on the tool's permissions.", "permissions", ("permissions",)),
    Ask(_TOOL, "TOOL-TARGET", "Which system or data does {name} act on?",
        "The impact of tool misuse depends on its target.", "acts_on", ("acts_on",)),
    Ask(_TOOL, "HUMAN-APPROVAL", "Does a person approve actions of {name} before they run?",
        "Unapproved write or execute actions turn a prompt injection into damage.", "human_approval_required",
        ("human_approval_required",), _may_change_things),
    Ask(_TOOL, "SANDBOX", "Does what {name} executes run in a sandbox (no host credentials, limited network and "
        "files)?", "Code a model writes or fetches runs with whatever the host allows.", "sandboxed",
        ("sandboxed",), _executes),
    Ask(_TOOL, "FILE-ACCESS", "Does {name} open files at paths named in its calls, or build queries from them, and "
        "does it check those values?", "Unchecked paths climb out of the folder meant (path traversal); unchecked "
        "values change the query (SQL injection).", "file_paths", ("file_paths", "input_validation"),
        _acts_on_a_data_store),
    Ask(_kinds(Kind.mcp_server), "MCP-TRANSPORT", "Is {name} a local process the client starts (stdio) or a remote "
        "server reached over HTTP?", "Local servers run with the user's rights; remote ones hold sessions and "
        "tokens.", "transport", ("transport",)),
    Ask(_kinds(Kind.mcp_server), "TOOL-DESCRIPTIONS", "Who writes the tool descriptions {name} gives the model, and "
        "can they change after approval?", "Descriptions are instructions the model follows.",
        "description_source", ("description_source",)),
    Ask(_kinds(Kind.registry), "REGISTRY-VETTING", "Are entries of {name} reviewed before they are listed, and "
        "signed?", "Unvetted registries ship look-alike and malicious skills and servers.", "reviewed",
        ("reviewed", "signed")),
    # structure, for every kind
    Ask(frozenset(Kind), "NO-FLOWS", "What does {name} exchange data with?",
        "An element without flows cannot be analysed for flow threats.", None, (), _no_flows),
    Ask(STORE_KINDS, "CLASSIFICATION", "What is the most sensitive data held in {name}?",
        "Disclosure impact depends on the classification.", "classification", ("classification",)),
    Ask(PROCESS_KINDS, "EXPOSURE", "From where can {name} be reached (internet, partners, internal)?",
        "Exposure drives the likelihood of most attacks.", "exposure", ("exposure",), _reached_across_a_boundary),
    Ask(_kinds(Kind.process), "SESSIONS", "How do people or clients stay signed in to {name} (cookies or tokens), "
        "are requests that other sites' pages send refused, and does removing an account end its open sessions at "
        "once?",
        "Cookie sessions can be ridden by other sites' pages; sessions that outlive revocation keep attackers in.",
        "session_cookies", ("session_cookies", "sessions_revocable"), _people_sign_in),
    Ask(_kinds(Kind.data_store), "AUTOSTART", "Does anything written to {name} run by itself later (startup items, "
        "scheduled jobs, git hooks, CI configuration)?", "An agent or tool that runs code and writes there can plant "
        "code that outlives its session.", "autostart", ("autostart",), _written_by_something_that_executes),
    Ask(_kinds(Kind.log_store), "RETENTION", "How long is data kept in {name}, and how is it deleted?",
        "Long retention of prompts multiplies disclosure impact.", "retention", ("retention",)),
)
# The questions that may be asked about an element of each kind, in table order.
_ASKS_BY_KIND: dict[Kind, tuple[Ask, ...]] = {kind: tuple(a for a in ASKS if kind in a.kinds) for kind in Kind}


def _q(topic: str, target: Element | Flow, question: str, why: str, field: str | None) -> OpenQuestion:
    if isinstance(target, Flow):
        return OpenQuestion(id=f"Q-{topic}@{target.id}", topic=topic, question=question, why=why,
                            flows=[target.id], elements=[target.source, target.target], field=field)
    return OpenQuestion(id=f"Q-{topic}@{target.id}", topic=topic, question=question, why=why,
                        elements=[target.id], field=field)


def _neighbour_kinds(system: System, e: Element) -> set[Kind]:
    return {n.kind for n in system.senders.get(e.id, ())} | {n.kind for n in system.receivers.get(e.id, ())}


def _upstream_kinds(system: System, e: Element) -> set[Kind]:
    return {n.kind for n in system.senders.get(e.id, ())}


def _element_questions(system: System, e: Element, exposed: set[str]) -> Iterator[OpenQuestion]:
    for ask in _ASKS_BY_KIND[e.kind]:
        for fact in ask.unset:
            if getattr(e, fact) is None:
                break
        else:
            if ask.unset:  # every fact it asks about is stated
                continue
        if ask.also is None or ask.also(system, e, exposed):
            yield _q(ask.topic, e, ask.question.format(name=e.name), ask.why, ask.field)


def _flow_questions(system: System) -> Iterator[OpenQuestion]:
    for flow in system.flows:
        if not system.crosses_boundary(flow):
            continue
        if flow.authenticated is None:
            yield _q("FLOW-AUTH", flow, f"Is the flow '{flow.data or flow.id}' authenticated?",
                     "It crosses a trust boundary.", "authenticated")
        if flow.encrypted is None:
            yield _q("FLOW-ENCRYPTION", flow, f"Is the flow '{flow.data or flow.id}' encrypted in transit?",
                     "It crosses a trust boundary.", "encrypted")


def _draft_questions(system: System) -> Iterator[OpenQuestion]:
    """Items drafted from documents (by the extractor or a model) stay questions until a person confirms them."""
    items: list[Element | Flow] = [*system.elements, *system.flows]
    for item in items:
        if item.provenance is not None and item.provenance.draft:
            cited = ", ".join(s.file + ":" + str(s.line) for s in item.provenance.spans[:3]) or "no span"
            what = "flow" if isinstance(item, Flow) else "element"
            yield _q("DRAFT", item, f"Is the drafted {what} '{item.id}' right? It was drafted by "
                     f"{item.provenance.by} from {cited}.",
                     "Drafted items rest on documents, not on a person's knowledge; confirm or correct them, then "
                     "remove 'provenance.draft' (or set it to false).", "provenance.draft")


def exposed_elements(system: System) -> set[str]:
    """Elements reachable by data from external entities or internet/partner-exposed elements."""
    starts = {e.id for e in system.elements
              if e.kind is Kind.external_entity or e.exposure in ("internet", "partner")}
    return system.reachable_from(starts)


def open_questions(system: System) -> list[OpenQuestion]:
    exposed = exposed_elements(system)
    questions: list[OpenQuestion] = []
    if system.elements and not system.trust_boundaries:
        questions.append(OpenQuestion(
            id="Q-BOUNDARIES@system", topic="BOUNDARIES",
            question="Which trust boundaries separate the components (networks, tenants, vendors)?",
            why="Without boundaries no flow is seen as crossing one; flow threats are underestimated.",
            field="trust_boundaries"))
    for e in system.elements:
        questions.extend(_element_questions(system, e, exposed))
    questions.extend(_flow_questions(system))
    questions.extend(_draft_questions(system))
    unique = {q.id: q for q in questions}
    return sorted(unique.values(), key=lambda q: q.id)


def describe(state: State) -> State:
    return dataclasses.replace(state, open_questions=tuple(open_questions(state.system)))
