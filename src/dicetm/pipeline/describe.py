"""Describe: flag the missing context as open questions.

Each question names the elements (or flows) it concerns and the model field that would answer it.
Questions are derived from unset facts and structural gaps only; nothing is guessed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from dicetm.model import PROCESS_KINDS, STORE_KINDS, Element, Flow, Kind, OpenQuestion, Permission, System
from dicetm.pipeline.state import State

MODEL_KINDS = (Kind.llm, Kind.agent)


def _q(topic: str, target: Element | Flow, question: str, why: str, field: str | None) -> OpenQuestion:
    if isinstance(target, Flow):
        return OpenQuestion(id=f"Q-{topic}@{target.id}", topic=topic, question=question, why=why,
                            flows=[target.id], elements=[target.source, target.target], field=field)
    return OpenQuestion(id=f"Q-{topic}@{target.id}", topic=topic, question=question, why=why,
                        elements=[target.id], field=field)


def _model_questions(system: System, e: Element, exposed: set[str]) -> Iterator[OpenQuestion]:
    if e.kind is Kind.llm and e.model_provenance is None and Kind.model_provider not in _neighbour_kinds(system, e):
        yield _q("MODEL-PROVIDER", e, f"Who provides the model behind {e.name}, and which exact model and "
                 "version is it?", "Supply-chain, data-handling and availability threats depend on it.",
                 "model_provenance")
    if e.logs_prompts is None:
        yield _q("PROMPT-LOGGING", e, f"Are prompts and answers of {e.name} logged, where, and who can read "
                 "them?", "Logged prompts often hold personal or confidential data.", "logs_prompts")
    if e.trains_on_user_input is None:
        yield _q("TRAINING-ON-INPUT", e, f"Is user input to {e.name} fed back into training or fine-tuning "
                 "(by you or the provider)?", "Training on input can leak data and opens a poisoning path.",
                 "trains_on_user_input")
    if e.output_rendered_as is None:
        yield _q("OUTPUT-USE", e, f"Where does the output of {e.name} go, and is it rendered (markdown, HTML) "
                 "or executed (SQL, shell, code) downstream?",
                 "Improper output handling depends on the sink.", "output_rendered_as")
    if e.system_prompt_has_secrets is None:
        yield _q("SYSTEM-PROMPT", e, f"Does the system prompt of {e.name} contain credentials, internal "
                 "URLs or access rules?", "Anything in a system prompt should be assumed extractable.",
                 "system_prompt_has_secrets")
    if e.answers_drive_decisions is None:
        yield _q("DECISIONS", e, f"Do answers of {e.name} drive decisions or actions without independent "
                 "checking?", "Misinformation matters most where answers are acted on.",
                 "answers_drive_decisions")
    if e.id in exposed and (e.rate_limited is None or e.budget_limited is None):
        yield _q("CONSUMPTION-LIMITS", e, f"Are requests to {e.name} rate-limited and are token or cost "
                 "budgets enforced?", "Unbounded use costs money and availability.", "rate_limited")


def _ml_model_questions(e: Element) -> Iterator[OpenQuestion]:
    if e.model_provenance is None:
        yield _q("MODEL-PROVENANCE", e, f"Where does {e.name} come from: trained in house, a vendor's API, or "
                 "downloaded weights?", "Copying, supply-chain and poisoning threats depend on it.",
                 "model_provenance")
    if e.returns_scores is None:
        yield _q("SCORES", e, f"Can callers or readers of logs and headers see the scores or confidences of "
                 f"{e.name}, or only its verdict?", "Scores guide evasion and model copying.", "returns_scores")
    if e.decides_access is None:
        yield _q("ACCESS-DECISION", e, f"Does the verdict of {e.name} alone let something in or keep it out "
                 "(a login, an account, a file, a message, a payment)?",
                 "Evading a model that decides access is an attacker's way in.", "decides_access")
    if e.physical_input is None:
        yield _q("PHYSICAL-INPUT", e, f"Does {e.name} judge input captured by a camera, microphone or sensor?",
                 "Captures from the physical world can be staged, replayed or injected.", "physical_input")


def _neighbour_kinds(system: System, e: Element) -> set[Kind]:
    return {n.kind for n in system.senders.get(e.id, ())} | {n.kind for n in system.receivers.get(e.id, ())}


def _upstream_kinds(system: System, e: Element) -> set[Kind]:
    return {n.kind for n in system.senders.get(e.id, ())}


def _ai_questions(system: System, e: Element, exposed: set[str]) -> Iterator[OpenQuestion]:
    if e.kind in MODEL_KINDS:
        yield from _model_questions(system, e, exposed)
    elif e.kind is Kind.ml_model:
        yield from _ml_model_questions(e)
    elif e.kind is Kind.model_provider:
        if e.model_provenance is None:
            yield _q("MODEL-PROVENANCE", e, f"Which model does {e.name} supply, how is it versioned, and is "
                     "it a hosted API or downloaded weights?", "Decides which supply-chain threats apply.",
                     "model_provenance")
        if e.trains_on_user_input is None:
            yield _q("TRAINING-ON-INPUT", e, f"Do the terms of {e.name} allow it to train on or retain your "
                     "prompts?", "Provider-side retention and training expose your data.",
                     "trains_on_user_input")
    elif e.kind in (Kind.training_data, Kind.fine_tuning_pipeline):
        if e.kind is Kind.training_data and e.training_data_provenance is None:
            yield _q("TRAINING-DATA", e, f"Where does the data in {e.name} come from, and who can add to it?",
                     "Poisoning and licensing risks depend on the origin.", "training_data_provenance")
        if e.kind is Kind.fine_tuning_pipeline and Kind.training_data not in _upstream_kinds(system, e):
            yield _q("TRAINING-DATA", e, f"Which datasets feed {e.name}?", "Without the sources the "
                     "poisoning paths cannot be checked.", None)
    elif e.kind is Kind.vector_store:
        if Kind.embedding_pipeline not in _upstream_kinds(system, e):
            yield _q("EMBEDDING-FEED", e, f"How is {e.name} filled: which embedding pipeline writes to it and "
                     "from which sources?", "Poisoning and leakage enter where the store is fed.", None)
        if e.multi_tenant is None:
            yield _q("TENANCY", e, f"Does {e.name} hold data of several tenants or access levels, and is "
                     "retrieval filtered by the caller's permissions?", "Cross-tenant retrieval leaks data.",
                     "multi_tenant")
    elif e.kind is Kind.embedding_pipeline:
        if not system.senders.get(e.id):
            yield _q("EMBEDDING-FEED", e, f"Which sources does {e.name} read from?",
                     "The sources decide who can poison the index.", None)
    elif e.kind is Kind.knowledge_source:
        if e.untrusted_content is None:
            yield _q("CONTENT-TRUST", e, f"Who can write content in {e.name}: only vetted authors, all "
                     "employees, or outsiders (customers, the web)?", "Anyone who can write here can plant "
                     "instructions the model will read.", "untrusted_content")
    elif e.kind is Kind.retriever:
        if e.multi_tenant is None:
            yield _q("RETRIEVAL-ACCESS", e, f"Does {e.name} filter results by the requesting user's "
                     "permissions or tenant?", "Retrieval without access filters discloses documents.",
                     "multi_tenant")
    elif e.kind is Kind.tool:
        if e.permissions is None:
            yield _q("TOOL-PERMISSIONS", e, f"What may {e.name} do: read, write, execute?",
                     "Excessive agency depends on the tool's permissions.", "permissions")
        if e.acts_on is None:
            yield _q("TOOL-TARGET", e, f"Which system or data does {e.name} act on?",
                     "The impact of tool misuse depends on its target.", "acts_on")
        risky = e.permissions is None or bool({Permission.write, Permission.execute} & set(e.permissions))
        if risky and e.human_approval_required is None:
            yield _q("HUMAN-APPROVAL", e, f"Does a person approve actions of {e.name} before they run?",
                     "Unapproved write or execute actions turn a prompt injection into damage.",
                     "human_approval_required")
        if e.permissions is not None and Permission.execute in e.permissions and e.sandboxed is None:
            yield _q("SANDBOX", e, f"Does what {e.name} executes run in a sandbox (no host credentials, limited "
                     "network and files)?", "Code a model writes or fetches runs with whatever the host allows.",
                     "sandboxed")
    elif e.kind is Kind.mcp_server:
        if e.transport is None:
            yield _q("MCP-TRANSPORT", e, f"Is {e.name} a local process the client starts (stdio) or a remote "
                     "server reached over HTTP?", "Local servers run with the user's rights; remote ones hold "
                     "sessions and tokens.", "transport")
        if e.description_source is None:
            yield _q("TOOL-DESCRIPTIONS", e, f"Who writes the tool descriptions {e.name} gives the model, and "
                     "can they change after approval?", "Descriptions are instructions the model follows.",
                     "description_source")
    elif e.kind is Kind.registry and (e.reviewed is None or e.signed is None):
        yield _q("REGISTRY-VETTING", e, f"Are entries of {e.name} reviewed before they are listed, and signed?",
                 "Unvetted registries ship look-alike and malicious skills and servers.", "reviewed")
    elif e.kind is Kind.memory and e.multi_tenant is None:
        yield _q("MEMORY-SCOPE", e, f"Is {e.name} kept per user and session, or shared?",
                 "Shared memory lets one user's input steer another's session.", "multi_tenant")


def _structural_questions(system: System) -> Iterator[OpenQuestion]:
    for e in system.elements:
        if not system.flows_from.get(e.id) and not system.flows_to.get(e.id):
            yield _q("NO-FLOWS", e, f"What does {e.name} exchange data with?",
                     "An element without flows cannot be analysed for flow threats.", None)
        if e.kind in STORE_KINDS and e.classification is None:
            yield _q("CLASSIFICATION", e, f"What is the most sensitive data held in {e.name}?",
                     "Disclosure impact depends on the classification.", "classification")
        if e.kind in PROCESS_KINDS and e.exposure is None and any(
            system.crosses_boundary(f) for f in system.flows_to.get(e.id, [])
        ):
            yield _q("EXPOSURE", e, f"From where can {e.name} be reached (internet, partners, internal)?",
                     "Exposure drives the likelihood of most attacks.", "exposure")
        if e.kind is Kind.log_store and e.retention is None:
            yield _q("RETENTION", e, f"How long is data kept in {e.name}, and how is it deleted?",
                     "Long retention of prompts multiplies disclosure impact.", "retention")
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
        questions.extend(_ai_questions(system, e, exposed))
    questions.extend(_structural_questions(system))
    questions.extend(_draft_questions(system))
    unique = {q.id: q for q in questions}
    return sorted(unique.values(), key=lambda q: q.id)


def describe(state: State) -> State:
    return dataclasses.replace(state, open_questions=tuple(open_questions(state.system)))
