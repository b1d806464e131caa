"""The system description (Describe phase): elements, flows, trust boundaries, assets, assumptions.

Pure data. Facts a user has not stated stay ``None`` ("unknown"), never ``False``: rules treat
unknown conservatively and say which assumption they made.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from dicetm.model.sourcedata import SourceData

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


class Kind(StrEnum):
    external_entity = "external_entity"
    process = "process"
    data_store = "data_store"
    llm = "llm"
    ml_model = "ml_model"
    model_provider = "model_provider"
    agent = "agent"
    tool = "tool"
    vector_store = "vector_store"
    embedding_pipeline = "embedding_pipeline"
    retriever = "retriever"
    knowledge_source = "knowledge_source"
    training_data = "training_data"
    fine_tuning_pipeline = "fine_tuning_pipeline"
    memory = "memory"
    guardrail = "guardrail"
    log_store = "log_store"
    mcp_server = "mcp_server"
    registry = "registry"
    agent_config = "agent_config"


AI_KINDS = frozenset(
    {
        Kind.llm, Kind.ml_model, Kind.model_provider, Kind.agent, Kind.tool, Kind.vector_store, Kind.embedding_pipeline,
        Kind.retriever, Kind.knowledge_source, Kind.training_data, Kind.fine_tuning_pipeline, Kind.memory,
        Kind.guardrail, Kind.mcp_server, Kind.registry, Kind.agent_config,
    }
)
STORE_KINDS = frozenset(
    {Kind.data_store, Kind.vector_store, Kind.knowledge_source, Kind.training_data, Kind.memory, Kind.log_store,
     Kind.agent_config}
)
PROCESS_KINDS = frozenset(
    {Kind.process, Kind.llm, Kind.ml_model, Kind.agent, Kind.tool, Kind.embedding_pipeline, Kind.retriever,
     Kind.fine_tuning_pipeline, Kind.guardrail, Kind.mcp_server}
)
# What a model calls to act or to fetch: a tool, or an MCP server exposing tools (its tools may be modelled as
# `tool` elements naming it in `server`).
TOOL_KINDS = frozenset({Kind.tool, Kind.mcp_server})


class Exposure(StrEnum):
    internet = "internet"  # reachable from the public internet
    partner = "partner"  # reachable by named third parties
    internal = "internal"  # corporate network only
    isolated = "isolated"  # no inbound network path


class Classification(StrEnum):
    public = "public"
    internal = "internal"
    confidential = "confidential"
    personal = "personal"
    secret = "secret"


CLASSIFICATION_RANK = {
    Classification.public: 0,
    Classification.internal: 1,
    Classification.confidential: 2,
    Classification.personal: 3,
    Classification.secret: 4,
}


class Permission(StrEnum):
    read = "read"
    write = "write"
    execute = "execute"


class OutputFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    html = "html"
    code = "code"
    sql = "sql"
    shell = "shell"


class Modality(StrEnum):
    text = "text"
    audio = "audio"  # speech, a voice or other sound
    image = "image"
    video = "video"


class Transport(StrEnum):
    stdio = "stdio"  # started by the client on the same machine, talking over standard input/output
    http = "http"  # reached over the network (streamable HTTP or server-sent events)


class DescriptionSource(StrEnum):
    first_party = "first_party"  # written and reviewed by the organisation
    third_party = "third_party"  # shipped by the tool's or server's publisher
    runtime = "runtime"  # fetched from the server at run time, whatever it says then


class ComputerUse(StrEnum):
    browser = "browser"  # drives a web browser: reads pages, clicks, types, submits
    desktop = "desktop"  # drives a desktop: screenshots, mouse and keyboard across applications
    none = "none"


class ModelProvenance(StrEnum):
    in_house = "in_house"  # trained or fine-tuned by the organisation
    vendor_api = "vendor_api"  # hosted model behind a vendor's API
    open_weights_verified = "open_weights_verified"  # downloaded weights, pinned and checksum-verified
    open_weights_unverified = "open_weights_unverified"  # downloaded weights, not pinned or verified


class DataProvenance(StrEnum):
    curated = "curated"  # reviewed, owned, versioned
    internal = "internal"  # produced inside the organisation, not curated
    user_generated = "user_generated"  # written by users of the system
    third_party = "third_party"  # bought or licensed datasets
    public_web = "public_web"  # scraped or downloaded from the internet


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False, frozen=False)


class SpanRef(_Strict):
    """A place in a source document: file and lines (and page, for PDF), with the quoted words when known."""

    file: str
    line: int = Field(ge=1)
    end_line: int | None = Field(None, ge=1)
    page: int | None = Field(None, ge=1)
    quote: str | None = Field(None, description="Words quoted from the span, verified to occur there.")
    flagged: str | None = Field(None, description="The document scan flagged the span (these categories): its text "
                                "was withheld from every prompt, and the item rests on the document's structure.")


class SourceInfo(_Strict):
    """Where a drafted or proposed item came from. ``draft: true`` until a person confirms it (removes it)."""

    by: str = Field(description="'extract:openapi', 'extract:markdown', 'llm:<provider>/<model>', 'import:<fmt>'.")
    draft: bool = True
    prompt_hash: str | None = Field(None, description="For LLM drafts: sha256 of the prompt that produced it.")
    spans: list[SpanRef] = Field(default_factory=list, description="The document spans it rests on.")


class Element(_Strict):
    id: str = Field(pattern=ID_PATTERN, description="Stable id, lower case; used in finding ids.")
    name: str = Field(min_length=1, description="Human name, used in threat scenarios.")
    kind: Kind
    description: str | None = None
    # classic facts
    exposure: Exposure | None = Field(None, description="Where callers can reach this element from.")
    authenticated: bool | None = Field(None, description="Callers must authenticate (false: anonymous).")
    classification: Classification | None = Field(None, description="Most sensitive data held or processed.")
    third_party: bool | None = Field(None, description="Operated by a third party.")
    encrypted_at_rest: bool | None = None
    audit_logging: bool | None = Field(None, description="Security-relevant actions are logged.")
    input_validation: bool | None = Field(None, description="Inputs are validated/sanitised at this element.")
    rate_limited: bool | None = None
    dependencies_pinned: bool | None = Field(None, description="Packages, plugins and models are pinned.")
    # AI facts
    logs_prompts: bool | None = Field(None, description="Prompts and/or completions are logged.")
    trains_on_user_input: bool | None = Field(None, description="User input is fed back into training.")
    retention: str | None = Field(None, description="How long data is kept, e.g. '30d', 'forever'.")
    model_provenance: ModelProvenance | None = None
    training_data_provenance: DataProvenance | None = None
    human_approval_required: bool | None = Field(None, description="A person approves actions before they run.")
    output_rendered_as: list[OutputFormat] | None = Field(
        None, description="How model output is used downstream (html is rendered, sql/shell executed...)."
    )
    system_prompt_has_secrets: bool | None = None
    multi_tenant: bool | None = Field(None, description="Serves or stores data of several tenants/customers.")
    untrusted_content: bool | None = Field(
        None, description="Content can be written by people outside the organisation (web pages, tickets, email)."
    )
    answers_drive_decisions: bool | None = Field(
        None, description="Answers drive decisions or actions without independent checking."
    )
    budget_limited: bool | None = Field(None, description="Token, cost or quota limits are enforced.")
    syncs_deletions: bool | None = Field(
        None, description="For vector stores and embedding pipelines: removals and edits at the source are carried "
                          "over, so a deleted document leaves the index.")
    # model facts for non-generative models (ml_model)
    returns_scores: bool | None = Field(
        None, description="For ml_model: callers can see its scores or confidences (in replies, headers, logs), "
                          "not only a final verdict.")
    decides_access: bool | None = Field(
        None, description="For ml_model: its verdict alone lets something in or keeps it out (a login, an account, "
                          "a file, a message, a payment).")
    physical_input: bool | None = Field(
        None, description="For ml_model: its input is captured from the physical world (camera, microphone, "
                          "sensor) rather than sent as data.")
    # what a model makes and where it runs
    output_modality: list[Modality] | None = Field(
        None, description="For models and agents: what they generate (text, audio, image, video); for an ml_model, "
                          "content it writes (a transcript, a caption, a translation) rather than a verdict.")
    input_modality: list[Modality] | None = Field(
        None, description="For models and agents: what they take in (text, audio, image, video).")
    on_device: bool | None = Field(
        None, description="For models and agents: the model runs on the users' own devices, so its file ships to "
                          "them.")
    # browser facts
    browser: bool | None = Field(
        None, description="A web browser: it loads pages from the sites it visits and sends requests to any site "
                          "those pages address, with the user's cookies and network position.")
    session_cookies: bool | None = Field(
        None, description="For web services: signed-in sessions live in browser cookies the browser sends with "
                          "every request to it.")
    cross_origin_checked: bool | None = Field(
        None, description="For web services: requests other sites' pages make a browser send are refused "
                          "(anti-CSRF token, SameSite cookies, Origin or content-type check).")
    output_encoded: bool | None = Field(
        None, description="For web services: what they put in the pages they serve is escaped for where it goes "
                          "(auto-escaping templates, sanitised HTML, a content security policy), so text others "
                          "wrote cannot run as script there.")
    sessions_revocable: bool | None = Field(
        None, description="For services people or clients sign in to: removing an account, changing its rights or "
                          "signing out ends its open sessions and tokens at once.")
    autostart: bool | None = Field(
        None, description="For data stores: what is written here runs by itself later (startup items, scheduled "
                          "jobs, shell profiles, git hooks, CI configuration).")
    # acting facts (tools, and agents or processes that act without a tool element)
    permissions: list[Permission] | None = Field(
        None, description="For tools, agents and processes: what it may do to the element it acts on.")
    acts_on: str | None = Field(
        None, description="For tools, agents and processes: the element it reads or changes (its id).")
    executes_code: bool | None = Field(
        None, description="Runs code or commands as part of its work (generated, fetched or contributed).")
    file_paths: bool | None = Field(
        None, description="For tools, agents and processes: opens files at paths its input names (a path argument, "
                          "a file name in a request, the entries of an archive it unpacks), rather than sending "
                          "queries to what it acts on.")
    sandboxed: bool | None = Field(
        None, description="What it executes runs isolated: no host credentials, limited network and files.")
    holds_credentials: bool | None = Field(
        None, description="Keeps credentials, API keys or tokens (config files, environment variables, vaults).")
    append_only: bool | None = Field(
        None, description="For stores and logs: entries cannot be changed or deleted once written.")
    egress_restricted: bool | None = Field(
        None, description="Outbound network access is limited to an allow-list of destinations.")
    # agent ecosystem facts: MCP servers, tool descriptions, registries, computer use
    transport: Transport | None = Field(
        None, description="For MCP servers: stdio (a local process the client starts) or http (a remote server).")
    server: str | None = Field(None, description="For tools: the MCP server that exposes this tool (its id).")
    description_source: DescriptionSource | None = Field(
        None, description="For tools and MCP servers: who writes the tool descriptions the model reads.")
    description_pinned: bool | None = Field(
        None, description="For tools and MCP servers: the approved descriptions and version are pinned; a change "
                          "needs a new approval.")
    installed_from: str | None = Field(
        None, description="The registry or marketplace (its id) a tool, MCP server, skill or plugin comes from.")
    signed: bool | None = Field(
        None, description="For registries: entries are signed and the signature is verified at install.")
    reviewed: bool | None = Field(
        None, description="For registries: entries are reviewed before they are listed.")
    oauth_proxy: bool | None = Field(
        None, description="For MCP servers: it proxies a third-party API with one OAuth client for all its users.")
    computer_use: ComputerUse | None = Field(
        None, description="For agents: drives a browser or a desktop (clicks, types, reads the screen).")
    tags: list[str] = Field(default_factory=list, description="Your own labels; no rule reads them.")
    provenance: SourceInfo | None = Field(None, description="Set on items drafted from documents.")
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")


# Facts that only make sense on some kinds (the loader reports them elsewhere, with a hint).
ACTING_KINDS = frozenset({Kind.tool, Kind.agent, Kind.process, Kind.mcp_server})
# What makes a model's output: the models themselves and a vendor's model API.
GENERATING_KINDS = frozenset({Kind.llm, Kind.ml_model, Kind.agent, Kind.model_provider})
FACT_KINDS: dict[str, frozenset[Kind]] = {
    "permissions": ACTING_KINDS,
    "acts_on": ACTING_KINDS,
    "syncs_deletions": frozenset({Kind.vector_store, Kind.embedding_pipeline}),
    "transport": frozenset({Kind.mcp_server}),
    "server": frozenset({Kind.tool}),
    "description_source": TOOL_KINDS,
    "description_pinned": TOOL_KINDS,
    "installed_from": frozenset({Kind.tool, Kind.mcp_server, Kind.agent, Kind.process}),
    "signed": frozenset({Kind.registry}),
    "reviewed": frozenset({Kind.registry}),
    "oauth_proxy": frozenset({Kind.mcp_server}),
    "computer_use": frozenset({Kind.agent}),
    "returns_scores": frozenset({Kind.ml_model}),
    "decides_access": frozenset({Kind.ml_model}),
    "physical_input": frozenset({Kind.ml_model}),
    "output_modality": GENERATING_KINDS,
    "input_modality": GENERATING_KINDS - {Kind.model_provider},
    "on_device": GENERATING_KINDS - {Kind.model_provider},
    "browser": frozenset({Kind.process, Kind.external_entity}),
    "session_cookies": PROCESS_KINDS,
    "cross_origin_checked": PROCESS_KINDS,
    "output_encoded": PROCESS_KINDS,
    "file_paths": ACTING_KINDS,
    "sessions_revocable": PROCESS_KINDS,
    "autostart": frozenset({Kind.data_store}),
}
# Facts that name another element of the model (checked like flow ends), with the kind it must have, if any.
REFERENCE_FACTS: dict[str, Kind | None] = {"acts_on": None, "server": Kind.mcp_server, "installed_from": Kind.registry}


class Flow(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    source: str
    target: str
    data: str | None = Field(None, description="What the flow carries.")
    classification: Classification | None = None
    protocol: str | None = None
    authenticated: bool | None = None
    encrypted: bool | None = None
    bidirectional: bool = False
    token_passthrough: bool | None = Field(
        None, description="The caller's access token is passed on unchanged to the API behind the receiver.")
    provenance: SourceInfo | None = None
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")


class TrustBoundary(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    elements: list[str] = Field(default_factory=list)
    parent: str | None = Field(None, description="Enclosing boundary id, for nested zones.")
    description: str | None = None
    provenance: SourceInfo | None = None
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")


class Asset(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    classification: Classification | None = None
    stored_in: list[str] = Field(default_factory=list)
    description: str | None = None
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")


class Assumption(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    text: str
    elements: list[str] = Field(default_factory=list)
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")


class CountermeasureStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    planned = "planned"
    implemented = "implemented"
    rejected = "rejected"


class CountermeasureSetting(_Strict):
    """A person's status for a suggested control, written in the model file."""

    control: str
    status: CountermeasureStatus
    owner: str | None = None
    due: str | None = None
    evidence: str | None = None
    note: str | None = None
    threats: list[str] | None = Field(None, description="Limit to these threat ids (default: all it mitigates).")
    tracker: str | None = Field(None, description="Link to the issue tracking it.")


class RiskDecision(StrEnum):
    accept = "accept"
    mitigate = "mitigate"
    transfer = "transfer"
    avoid = "avoid"


class ResidualRiskSetting(_Strict):
    """A person's residual-risk decision for one threat."""

    threat: str
    owner: str | None = None
    decision: RiskDecision | None = None
    business_impact: str | None = None
    review_by: str | None = None


EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@/+-]*$"


class ThreatRecord(_Strict):
    """A threat stated by a person or imported from another tool, analysed alongside rule findings."""

    id: str = Field(pattern=EXTERNAL_ID_PATTERN, description="Stable id; imported threats keep their source id.")
    title: str = Field(min_length=1)
    scenario: str | None = None
    elements: list[str] = Field(default_factory=list, description="Element ids it threatens.")
    flows: list[str] = Field(default_factory=list)
    stride: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list, description="Namespaced framework ids.")
    likelihood: int | None = Field(None, ge=1, le=5)
    impact: int | None = Field(None, ge=1, le=5)
    controls: list[str] = Field(default_factory=list, description="Catalogue or custom control ids.")
    source: str = Field("person", description="'person', 'import:<format>' or 'llm:<provider>/<model>'.")
    source_ref: str | None = Field(None, description="Where it came from, e.g. a path inside the imported file.")
    source_status: str | None = Field(
        None, description="Status in the source tool (e.g. 'Mitigated'); recorded, never taken as a decision."
    )
    provenance: SourceInfo | None = Field(None, description="For LLM proposals: provider, model, prompt, spans.")
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")


class CustomControl(_Strict):
    """A control not in the catalogue (written by a person or imported), referenced by id from threats."""

    id: str = Field(pattern=r"^X-[A-Za-z0-9][A-Za-z0-9_.:-]*$", description="Custom control ids start with X-.")
    name: str = Field(min_length=1)
    description: str = ""
    references: list[str] = Field(default_factory=list)
    source: str = "person"
    source_ref: str | None = None
    source_status: str | None = None
    provenance: SourceInfo | None = None
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")


class System(_Strict):
    """The whole model file (``dicetm.yaml``)."""

    version: int = Field(1, description="Model file format version.")
    name: str
    description: str | None = None
    elements: list[Element] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    trust_boundaries: list[TrustBoundary] = Field(default_factory=list)
    assets: list[Asset] = Field(default_factory=list)
    assumptions: list[Assumption] = Field(default_factory=list)
    threats: list[ThreatRecord] = Field(default_factory=list, description="Threats stated by people or imported.")
    controls: list[CustomControl] = Field(default_factory=list, description="Controls not in the catalogue.")
    countermeasures: list[CountermeasureSetting] = Field(default_factory=list)
    residual_risks: list[ResidualRiskSetting] = Field(default_factory=list)
    source_data: SourceData | None = Field(None, description="What the tool it was imported from wrote about it.")

    model_config = ConfigDict(extra="forbid", ignored_types=(cached_property,))

    # Derived indexes. Computed once per System instance; a System is not mutated after loading.
    @cached_property
    def element_by_id(self) -> dict[str, Element]:
        return {e.id: e for e in self.elements}

    @cached_property
    def flow_by_id(self) -> dict[str, Flow]:
        return {f.id: f for f in self.flows}

    @cached_property
    def boundary_of(self) -> dict[str, str]:
        """element id -> innermost trust boundary id (elements outside any boundary are absent)."""
        parents = {b.id: b.parent for b in self.trust_boundaries}
        depths: dict[str, int] = {}
        for start in parents:  # each depth once, walking up only to a depth already known: linear
            chain: list[str] = []
            on_chain: set[str] = set()
            current: str | None = start
            while current is not None and current not in depths and current not in on_chain:
                chain.append(current)
                on_chain.add(current)
                current = parents.get(current)
            base = depths.get(current, 0) if current is not None else 0  # a cycle is an error reported elsewhere
            for offset, boundary_id in enumerate(reversed(chain), start=1):
                depths[boundary_id] = base + offset

        result: dict[str, str] = {}
        for boundary in sorted(self.trust_boundaries, key=lambda b: depths[b.id]):
            for element_id in boundary.elements:
                result[element_id] = boundary.id
        return result

    @cached_property
    def flows_from(self) -> dict[str, list[Flow]]:
        index: dict[str, list[Flow]] = {e.id: [] for e in self.elements}
        for flow in self.flows:
            index.setdefault(flow.source, []).append(flow)
            if flow.bidirectional:
                index.setdefault(flow.target, []).append(flow)
        return index

    @cached_property
    def flows_to(self) -> dict[str, list[Flow]]:
        index: dict[str, list[Flow]] = {e.id: [] for e in self.elements}
        for flow in self.flows:
            index.setdefault(flow.target, []).append(flow)
            if flow.bidirectional:
                index.setdefault(flow.source, []).append(flow)
        return index

    def crosses_boundary(self, flow: Flow) -> bool:
        """A flow crosses a trust boundary when its ends sit in different zones (outside = its own zone)."""
        return self.boundary_of.get(flow.source) != self.boundary_of.get(flow.target)

    def of_kind(self, *kinds: Kind) -> list[Element]:
        return [e for e in self.elements if e.kind in kinds]

    @staticmethod
    def other_end(flow: Flow, element_id: str) -> str:
        return flow.target if flow.source == element_id else flow.source

    @cached_property
    def senders(self) -> dict[str, tuple[Element, ...]]:
        """element id -> the elements that send data to it, sorted by id (see ``upstream``)."""
        return {element_id: _other_ends(self, element_id, flows) for element_id, flows in self.flows_to.items()}

    @cached_property
    def receivers(self) -> dict[str, tuple[Element, ...]]:
        """element id -> the elements that receive data from it, sorted by id (see ``downstream``)."""
        return {element_id: _other_ends(self, element_id, flows) for element_id, flows in self.flows_from.items()}

    def upstream(self, element_id: str) -> list[Element]:
        """Elements that send data to ``element_id`` (either end of a bidirectional flow), sorted by id."""
        return list(self.senders.get(element_id, ()))

    def downstream(self, element_id: str) -> list[Element]:
        """Elements that receive data from ``element_id``, sorted by id."""
        return list(self.receivers.get(element_id, ()))

    def reachable_from(self, start_ids: set[str]) -> set[str]:
        """Every element data can reach from ``start_ids`` by following flows (including the starts)."""
        return set(self.search_parents(start_ids))

    def search_parents(self, starts: Iterable[str], *, backward: bool = False,
                       expand: Callable[[Element], bool] | None = None) -> dict[str, str]:
        """One breadth-first search over the flows from ``starts``: every id reached -> the id it was first reached
        from (a start maps to itself), in the order reached, so each one's origin or route can be read back.
        ``backward`` follows flows against their direction; ``expand`` says which reached elements (other than
        the starts) the search goes on from. Linear in elements and flows."""
        index = self.flows_to if backward else self.flows_from
        parent: dict[str, str] = {}
        queue: deque[str] = deque()
        for start in starts:
            if start not in parent:
                parent[start] = start
                queue.append(start)
        while queue:
            current = queue.popleft()
            for flow in index.get(current, []):
                nxt = self.other_end(flow, current)
                if nxt in parent:
                    continue
                parent[nxt] = current
                element = self.element_by_id.get(nxt)
                if expand is None or (element is not None and expand(element)):
                    queue.append(nxt)
        return parent


def _other_ends(system: System, element_id: str, flows: list[Flow]) -> tuple[Element, ...]:
    """The known elements at the other end of ``flows`` (not ``element_id`` itself), once each, sorted by id."""
    ids = {system.other_end(f, element_id) for f in flows}
    ids.discard(element_id)
    return tuple(system.element_by_id[i] for i in sorted(ids) if i in system.element_by_id)
