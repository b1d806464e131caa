"""Fixtures for the report tests: a realistic RAG support assistant with an agent and a CRM tool, the
analysis result the pipeline would produce for it, a hostile variant, and a synthetic large model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dicetm.model import (
    AnalysisResult,
    Asset,
    Assumption,
    Countermeasure,
    CountermeasureStatus,
    Element,
    Evaluation,
    Factor,
    Flow,
    Kind,
    NextStep,
    OpenQuestion,
    Provenance,
    ResidualRiskEntry,
    RiskDecision,
    System,
    Threat,
    ThreatEvaluation,
    TrustBoundary,
    risk_level,
)

CATALOG = "2025.06"


def build_system() -> System:
    return System(
        name="Acme support assistant",
        description="Customers ask questions in a web chat; an agent answers from the knowledge base "
        "and can update CRM records.",
        elements=[
            Element(id="customer", name="Customer", kind=Kind.external_entity, exposure="internet"),
            Element(id="web-app", name="Support web app", kind=Kind.process, exposure="internet",
                    authenticated=False, rate_limited=True),
            Element(id="orchestrator", name="Support agent", kind=Kind.agent, human_approval_required=False,
                    logs_prompts=True),
            Element(id="llm", name="Chat model", kind=Kind.llm, output_rendered_as=["html", "markdown"],
                    system_prompt_has_secrets=True),
            Element(id="openai", name="OpenAI API", kind=Kind.model_provider, third_party=True,
                    model_provenance="vendor_api"),
            Element(id="vector-db", name="Vector index", kind=Kind.vector_store,
                    classification="confidential", multi_tenant=True, encrypted_at_rest=True),
            Element(id="kb", name="Help-centre articles", kind=Kind.knowledge_source, untrusted_content=True),
            Element(id="crm-tool", name="CRM update tool", kind=Kind.tool, permissions=["read", "write"],
                    acts_on="crm"),
            Element(id="crm", name="CRM", kind=Kind.data_store, classification="personal", third_party=True),
            Element(id="logs", name="Conversation logs", kind=Kind.log_store, retention="forever"),
        ],
        flows=[
            Flow(id="f-chat", source="customer", target="web-app", data="chat messages", protocol="HTTPS",
                 encrypted=True, authenticated=False),
            Flow(id="f-question", source="web-app", target="orchestrator", data="user question",
                 protocol="gRPC"),
            Flow(id="f-llm", source="orchestrator", target="llm", data="prompt and completion",
                 bidirectional=True),
            Flow(id="f-api", source="llm", target="openai", data="API request", protocol="HTTPS",
                 encrypted=True, authenticated=True),
            Flow(id="f-retrieve", source="orchestrator", target="vector-db", data="similar chunks"),
            Flow(id="f-ingest", source="kb", target="vector-db", data="document chunks"),
            Flow(id="f-tool", source="orchestrator", target="crm-tool", data="tool call"),
            Flow(id="f-crm", source="crm-tool", target="crm", data="customer records", protocol="HTTP",
                 classification="personal", encrypted=False, authenticated=False),
            Flow(id="f-log", source="orchestrator", target="logs", data="prompts and answers"),
        ],
        trust_boundaries=[
            TrustBoundary(id="cloud", name="Acme cloud account", elements=["web-app"]),
            TrustBoundary(id="ai-platform", name="AI platform", parent="cloud",
                          elements=["orchestrator", "llm", "vector-db", "kb", "crm-tool", "logs"]),
            TrustBoundary(id="crm-saas", name="CRM vendor", elements=["crm"]),
            TrustBoundary(id="model-vendor", name="Model vendor", elements=["openai"]),
        ],
        assets=[Asset(id="customer-data", name="Customer personal data", classification="personal",
                      stored_in=["crm", "logs"])],
        assumptions=[Assumption(id="a-sso", text="Staff reach the admin pages only through SSO.",
                                elements=["web-app"])],
    )


def _rule(rule: str) -> Provenance:
    return Provenance(source="rule", rule=rule, catalog_version=CATALOG)


def build_threats() -> list[Threat]:
    return [
        Threat(
            id="T-LLM-001@web-app", rule="T-LLM-001", title="Prompt injection through the public chat",
            scenario="A customer writes instructions into the chat that make Support agent ignore its rules.",
            elements=["web-app", "orchestrator"], flows=["f-chat"], stride=["T", "E"],
            references=["owasp-llm:LLM01:2025", "atlas:AML.T0051.000", "stride:T"],
            likelihood=4, impact=4,
            factors=[Factor(target="likelihood", delta=1, fact="web-app.exposure=internet",
                            note="anyone on the internet can send text")],
            assumptions=["Input validation at Support web app is not stated; assumed none."],
            rationale="User text and instructions share one channel.",
            review_question="Which inputs reach the prompt without screening?",
            controls=["C-INP-001", "C-INP-002", "C-PRM-001"], provenance=_rule("T-LLM-001"),
            members=["T-LLM-001@web-app", "T-LLM-001@orchestrator"],
        ),
        Threat(
            id="T-LLM-005@llm", rule="T-LLM-005", title="Model output rendered as HTML without encoding",
            scenario="Chat model output containing markup runs in the support agent's browser.",
            elements=["llm"], stride=["T"], references=["owasp-llm:LLM05:2025", "cwe:CWE-79"],
            likelihood=4, impact=5,
            factors=[Factor(target="impact", delta=1, fact="llm.output_rendered_as~html",
                            note="rendered HTML can run script")],
            rationale="Model output is attacker-influenced text.",
            review_question="Where is output rendered?",
            controls=["C-OUT-002"], provenance=_rule("T-LLM-005"),
        ),
        Threat(
            id="T-AGENT-002@crm-tool", rule="T-AGENT-002", title="Agent changes CRM records without approval",
            scenario="A manipulated Support agent uses CRM update tool to overwrite customer records.",
            elements=["crm-tool", "orchestrator"], stride=["T", "E"],
            references=["owasp-asi:ASI02:2026", "owasp-llm:LLM06:2025", "owasp-agentic:T2"],
            likelihood=3, impact=5, rationale="The tool can write and no person confirms.",
            review_question="Which tool actions need a human decision?",
            controls=["C-AGT-001", "C-AGT-002"], provenance=_rule("T-AGENT-002"),
        ),
        Threat(
            id="T-DATA-001@kb", rule="T-DATA-001", title="Poisoned help-centre articles reach answers",
            scenario="Someone edits a public article so that retrieval feeds false instructions to the "
            "model.",
            elements=["kb", "vector-db"], flows=["f-ingest"], stride=["T"],
            references=["owasp-llm:LLM04:2025", "atlas:AML.T0070"], likelihood=3, impact=3,
            controls=["C-DAT-002", "C-INP-004"], provenance=_rule("T-DATA-001"), folded=["T-STRIDE-002@kb"],
        ),
        Threat(
            id="T-STRIDE-004@crm-tool@f-crm", rule="T-STRIDE-004", title="Customer records sent unencrypted",
            scenario="Customer records travel from CRM update tool to CRM over HTTP.",
            elements=["crm-tool", "crm"], flows=["f-crm"], stride=["I"],
            references=["stride:I", "cwe:CWE-319"],
            likelihood=2, impact=4, controls=["C-NET-001"], provenance=_rule("T-STRIDE-004"),
        ),
        Threat(
            id="T-DATA-004@logs", rule="T-DATA-004", title="Prompts kept forever in conversation logs",
            scenario="Conversation logs keep personal data from prompts without a deletion date.",
            elements=["logs"], stride=["I"], references=["owasp-llm:LLM02:2025", "iso27001:A.8.10"],
            likelihood=2, impact=2, controls=["C-DAT-004"], provenance=_rule("T-DATA-004"),
        ),
    ]


_CONTROLS = {
    # id: (name, rank, status, owner, threats)
    "C-INP-001": ("Input validation at the API boundary", 1, "implemented", "alice", ["T-LLM-001@web-app"]),
    "C-INP-002": ("Prompt injection detection on user input", 2, "proposed", None, ["T-LLM-001@web-app"]),
    "C-PRM-001": ("Hardened system prompt", 3, "proposed", None, ["T-LLM-001@web-app"]),
    "C-OUT-002": ("Context-aware output encoding before rendering", 1, "planned", "bob", ["T-LLM-005@llm"]),
    "C-AGT-001": ("Mandatory human approval before high-stakes actions", 1, "proposed", None,
                  ["T-AGENT-002@crm-tool"]),
    "C-AGT-002": ("Least-privilege tool permissions", 2, "proposed", None, ["T-AGENT-002@crm-tool"]),
    "C-DAT-002": ("Reviewed change workflow for knowledge sources", 1, "accepted", "dana", ["T-DATA-001@kb"]),
    "C-INP-004": ("Sanitise retrieved and tool content", 2, "proposed", None, ["T-DATA-001@kb"]),
    "C-NET-001": ("Encrypt data in transit", 1, "proposed", None, ["T-STRIDE-004@crm-tool@f-crm"]),
    "C-DAT-004": ("Retention limits for prompts and logs", 1, "rejected", None, ["T-DATA-004@logs"]),
}


def build_countermeasures() -> list[Countermeasure]:
    countermeasures = [
        Countermeasure(id=cid, name=name, description=f"{name}: described in the controls catalogue.",
                       threats=threats, rank=rank, status=CountermeasureStatus(status), owner=owner,
                       due="2025-09-30" if status == "planned" else None,
                       references=["nist-800-53:SI-10"], provenance=_rule(threats[0].split("@")[0]))
        for cid, (name, rank, status, owner, threats) in _CONTROLS.items()
    ]
    # A person limited the planned status of C-OUT-002 to one threat.
    next(c for c in countermeasures if c.id == "C-OUT-002").limited_to = ["T-LLM-005@llm"]
    return countermeasures


def _evaluate(threat: Threat, covered_by: list[str], residual: tuple[int, int], why: str) -> ThreatEvaluation:
    by_status: dict[str, list[str]] = {}
    for cid, (_name, _rank, status, _owner, threats) in _CONTROLS.items():
        if threat.id in threats:
            by_status.setdefault(status, []).append(cid)
    likelihood, impact = residual
    return ThreatEvaluation(
        threat=threat.id, covered=bool(covered_by), covered_by=covered_by,
        countermeasures_by_status=by_status,
        inherent_likelihood=threat.likelihood, inherent_impact=threat.impact, inherent_score=threat.score,
        inherent_risk=threat.risk, residual_likelihood=likelihood, residual_impact=impact,
        residual_score=likelihood * impact, residual_risk=risk_level(likelihood * impact),
        arithmetic=f"{threat.likelihood} × {threat.impact} = {threat.score}; {why}; "
        f"{likelihood} × {impact} = {likelihood * impact}",
    )


def build_result(system: System) -> AnalysisResult:
    threats = build_threats()
    t = {threat.id: threat for threat in threats}
    matrix = [
        _evaluate(t["T-LLM-001@web-app"], ["C-INP-001"], (3, 4), "C-INP-001 implemented: likelihood -1"),
        _evaluate(t["T-LLM-005@llm"], ["C-OUT-002"], (4, 5), "C-OUT-002 planned, not yet implemented"),
        _evaluate(t["T-AGENT-002@crm-tool"], [], (3, 5), "no countermeasure in force"),
        _evaluate(t["T-DATA-001@kb"], ["C-DAT-002"], (3, 3), "C-DAT-002 accepted, not yet implemented"),
        _evaluate(t["T-STRIDE-004@crm-tool@f-crm"], [], (2, 4), "no countermeasure in force"),
        _evaluate(t["T-DATA-004@logs"], ["residual-risk"], (2, 2), "risk accepted by carol"),
    ]
    residual = [
        ResidualRiskEntry(threat=m.threat, residual_risk=m.residual_risk, open=True,
                          owner="alice" if m.threat == "T-LLM-001@web-app" else None)
        for m in matrix if m.threat != "T-DATA-004@logs"
    ]
    residual.append(ResidualRiskEntry(threat="T-DATA-004@logs", residual_risk=risk_level(4), owner="carol",
                                      decision=RiskDecision.accept, business_impact="Storage cost only",
                                      review_by="2026-01-31", open=False))
    covered = sum(1 for m in matrix if m.covered)
    return AnalysisResult(
        dicetm_version="0.1.0", catalog_version=CATALOG, system_name=system.name, source="dicetm.yaml",
        open_questions=[
            OpenQuestion(id="Q-AUTH@orchestrator", topic="AUTH", question="Must callers of Support agent "
                         "authenticate?", why="Anonymous callers raise the likelihood of abuse.",
                         elements=["orchestrator"], field="authenticated"),
            OpenQuestion(id="Q-ENCRYPT@f-question", topic="ENCRYPT", question="Is user question encrypted in "
                         "transit?", why="Unencrypted flows can be read on the network.",
                         flows=["f-question"], field="encrypted"),
        ],
        threats=threats,
        countermeasures=build_countermeasures(),
        evaluation=Evaluation(
            threats_total=len(matrix), threats_covered=covered,
            coverage_percent=round(100 * covered / len(matrix), 1),
            by_risk={"critical": 1, "high": 2, "medium": 2, "low": 1},
            uncovered=[m.threat for m in matrix if not m.covered], matrix=matrix, residual_risks=residual,
            next_steps=[
                NextStep(priority=1, kind="open-question", text="Answer 2 open questions.",
                         refs=["Q-AUTH@orchestrator", "Q-ENCRYPT@f-question"]),
                NextStep(priority=2, kind="uncovered-threat", text="Choose countermeasures for 2 threats.",
                         refs=["T-AGENT-002@crm-tool", "T-STRIDE-004@crm-tool@f-crm"]),
                NextStep(priority=3, kind="unowned-residual-risk", text="Name owners for 4 residual risks."),
            ],
        ),
        raw_findings=9,
    )


HOSTILE_NAME = '<script>alert("pwned")</script><img src="https://evil.example/x.png">'
FORMULA_TITLE = '=HYPERLINK("http://evil.example","click")'


def make_hostile(system: System, result: AnalysisResult) -> tuple[System, AnalysisResult]:
    """Model text written by an attacker: markup, Mermaid/DOT syntax, table separators, formulas."""
    system = system.model_copy(deep=True)
    system.elements[1].name = HOSTILE_NAME
    system.elements[2].name = 'agent"] --> x[pwned]; click x "https://evil.example"'
    system.elements[3].description = "line one\nline two | with a pipe"
    system.flows[0].data = 'msgs"|> evil\n%% comment'
    system.trust_boundaries[0].name = 'zone"]\nend\nsubgraph y["x'
    system.elements[4].name = 'vendor \\N "quoted" \\" back'
    system.elements[5].name = "![track](https://evil.example/pixel.png)"
    system.description = "```\n# injected heading\n<iframe src=//evil.example>"
    result = result.model_copy(deep=True)
    result.threats[0].title = FORMULA_TITLE
    result.threats[1].title = "+cmd|' /C calc'!A0"
    result.threats[2].title = "-2+3"
    result.threats[3].title = "@SUM(A1:A2)"
    result.threats[0].scenario = "<b>bold</b> | pipe\nsecond line"
    result.countermeasures[0].name = "<img src=x onerror=alert(1)>"
    return system, result


@pytest.fixture
def system() -> System:
    return build_system()


@pytest.fixture
def result(system: System) -> AnalysisResult:
    return build_result(system)


@pytest.fixture
def hostile(system: System, result: AnalysisResult) -> tuple[System, AnalysisResult]:
    return make_hostile(system, result)


def build_large(elements: int, threats_per_element: int = 2) -> tuple[System, AnalysisResult]:
    """A synthetic model of the given size: a chain of elements in 10 zones, threats on every element."""
    kinds = list(Kind)
    system = System(
        name=f"synthetic {elements}",
        elements=[Element(id=f"e{i}", name=f"Element {i}", kind=kinds[i % len(kinds)],
                          exposure="internal", authenticated=i % 3 == 0) for i in range(elements)],
        flows=[Flow(id=f"f{i}", source=f"e{i}", target=f"e{(i + 1) % elements}", data="records",
                    protocol="HTTPS", encrypted=i % 7 != 0) for i in range(elements)],
        trust_boundaries=[
            TrustBoundary(id=f"z{z}", name=f"Zone {z}", parent=f"z{z - 1}" if z % 5 else None,
                          elements=[f"e{i}" for i in range(z, elements, 10)])
            for z in range(10)
        ],
    )
    threats = [
        Threat(id=f"T-LLM-{n:03d}@e{i}", rule=f"T-LLM-{n:03d}", title=f"Threat {n} on element {i}",
               scenario=f"Something bad happens to Element {i}.", elements=[f"e{i}"], flows=[f"f{i}"],
               stride=["T", "I"], references=["owasp-llm:LLM01:2025", "stride:T"],
               likelihood=1 + (i + n) % 5, impact=1 + (i * n) % 5,
               factors=[Factor(target="likelihood", delta=1, fact=f"e{i}.exposure=internal",
                               note="reachable")],
               assumptions=["nothing stated"], rationale="Because.", review_question="Is it?",
               controls=["C-INP-001", "C-OUT-002"], provenance=_rule(f"T-LLM-{n:03d}"))
        for i in range(elements) for n in range(1, threats_per_element + 1)
    ]
    ids = [t.id for t in threats]
    matrix = [
        ThreatEvaluation(threat=t.id, covered=k % 2 == 0, covered_by=["C-INP-001"] if k % 2 == 0 else [],
                         countermeasures_by_status={"implemented": ["C-INP-001"], "proposed": ["C-OUT-002"]},
                         inherent_likelihood=t.likelihood, inherent_impact=t.impact, inherent_score=t.score,
                         inherent_risk=t.risk, residual_likelihood=t.likelihood, residual_impact=t.impact,
                         residual_score=t.score, residual_risk=t.risk, arithmetic="unchanged")
        for k, t in enumerate(threats)
    ]
    result = AnalysisResult(
        dicetm_version="0.1.0", catalog_version=CATALOG, system_name=system.name, open_questions=[],
        threats=threats,
        countermeasures=[
            Countermeasure(id="C-INP-001", name="Input validation", description="Validate.", threats=ids,
                           rank=1, status=CountermeasureStatus.implemented, provenance=_rule("T-LLM-001")),
            Countermeasure(id="C-OUT-002", name="Output encoding", description="Encode.", threats=ids,
                           rank=2, provenance=_rule("T-LLM-001")),
        ],
        evaluation=Evaluation(
            threats_total=len(threats), threats_covered=len(threats) // 2, coverage_percent=50.0, by_risk={},
            uncovered=[m.threat for m in matrix if not m.covered], matrix=matrix,
            residual_risks=[ResidualRiskEntry(threat=m.threat, residual_risk=m.residual_risk, open=True)
                            for m in matrix],
            next_steps=[],
        ),
        raw_findings=len(threats),
    )
    return system, result


@pytest.fixture
def large() -> Callable[[int], tuple[System, AnalysisResult]]:
    return build_large
