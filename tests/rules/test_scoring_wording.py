"""Scores and wording a reviewer can trust, and the bugs found while measuring (issue 12, items 4 and 5)."""

from __future__ import annotations

from typing import Any

import yaml

from dicetm.model import System, Threat
from dicetm.pipeline.run import analyze


def system(text: str) -> System:
    return System.model_validate(yaml.safe_load(text))


def threats(text: str, detail: str = "grouped") -> list[Threat]:
    return analyze(system(text), detail=detail).threats


def by_id(found: list[Threat]) -> dict[str, Threat]:
    return {t.id: t for t in found}


def facts(threat: Threat) -> list[tuple[str, str, int]]:
    return [(f.target, f.fact, f.delta) for f in threat.factors]


PUBLIC_BOT = """
name: Public bot
elements:
  - {id: visitor, name: Visitor, kind: external_entity}
  - {id: bot, name: Bot, kind: llm, exposure: internet, authenticated: true}
flows:
  - {id: ask, source: visitor, target: bot, data: questions, authenticated: true}
"""

VENDOR_BACKED = """
name: Internal assistant on a vendor API
elements:
  - {id: staff, name: Staff, kind: external_entity}
  - {id: app, name: Assistant app, kind: process, exposure: internal, authenticated: true}
  - {id: model, name: Vendor model, kind: llm, exposure: internet, third_party: true, model_provenance: vendor_api,
     system_prompt_has_secrets: true}
flows:
  - {id: f1, source: staff, target: app, data: questions}
  - {id: f2, source: app, target: model, data: prompts, bidirectional: true}
"""


# --- item 5: scores ------------------------------------------------------------------------------------


def test_a_fact_counts_once_per_threat() -> None:
    """The model is both internet-exposed and the entry point: one +1, not two."""
    injection = by_id(threats(PUBLIC_BOT))["T-LLM-001@bot"]
    internet = [f for f in injection.factors if f.fact.endswith("exposure=internet")]
    assert len(internet) == 1 and injection.likelihood == 4


def test_a_vendor_api_is_not_an_internet_entry_point() -> None:
    found = by_id(threats(VENDOR_BACKED))
    assert "T-LLM-019@model" not in found  # nobody outside reaches it: no flooding from the internet
    secrets = found["T-LLM-012@model"]
    assert not any("internet" in f.note for f in secrets.factors)
    assert all("its own interface" not in t.title for t in found.values())


def test_model_provenance_is_respected() -> None:
    """Weights from a hub run at home: the hub neither hosts the model nor sees the prompts."""
    found = by_id(threats("""
name: Self-hosted model
elements:
  - {id: user, name: User, kind: external_entity}
  - {id: app, name: App, kind: process}
  - {id: model, name: vLLM model, kind: llm, model_provenance: open_weights_unverified}
  - {id: hub, name: Model hub, kind: model_provider, third_party: true, model_provenance: open_weights_unverified}
flows:
  - {id: f1, source: user, target: app, data: questions}
  - {id: f2, source: app, target: model, data: prompts, bidirectional: true}
  - {id: f3, source: hub, target: model, data: weights}
"""))
    assert not any(t.rule in ("T-DATA-001", "T-LLM-006", "T-LLM-021") for t in found.values())
    assert any(t.rule == "T-DATA-002" for t in found.values())  # the download itself is still a risk


def test_human_approval_lowers_misuse_it_does_not_remove_it() -> None:
    base = """
name: Refund agent
elements:
  - {id: customer, name: Customer, kind: external_entity}
  - {id: agent, name: Refund agent, kind: agent}
  - {id: refunds, name: Refund tool, kind: tool, permissions: [write], acts_on: payments%s}
  - {id: payments, name: Payments, kind: data_store, classification: confidential}
flows:
  - {id: f1, source: customer, target: agent, data: requests}
  - {id: f2, source: agent, target: refunds, data: refund calls}
"""
    without = by_id(threats(base % ""))["T-AGENT-002@refunds"]
    with_approval = by_id(threats(base % ", human_approval_required: true"))["T-AGENT-002@refunds"]
    assert with_approval.likelihood == without.likelihood - 1


def test_the_reply_on_a_two_way_flow_is_not_a_request_from_outside() -> None:
    found = by_id(threats("""
name: Backend calling an outside API
elements:
  - {id: backend, name: Backend, kind: process, exposure: internal}
  - {id: weather, name: Weather API, kind: process, third_party: true}
flows:
  - {id: f1, source: backend, target: weather, data: forecast requests and answers, bidirectional: true}
trust_boundaries:
  - {id: app, name: App, elements: [backend]}
  - {id: vendor, name: Vendor, elements: [weather]}
"""))
    assert "T-STRIDE-001@backend" not in found


def test_an_admin_console_gets_its_threats() -> None:
    found = threats("""
name: Assistant with an admin console
elements:
  - {id: admin, name: Administrator, kind: external_entity}
  - {id: console, name: Admin console, kind: process, exposure: internet, authenticated: true}
  - {id: prompts, name: Prompt store, kind: data_store, classification: confidential}
  - {id: agent, name: Agent, kind: agent}
flows:
  - {id: f1, source: admin, target: console, data: prompt edits}
  - {id: f2, source: console, target: prompts, data: prompts}
  - {id: f3, source: prompts, target: agent, data: system prompt}
trust_boundaries:
  - {id: app, name: App, elements: [console, prompts, agent]}
""")
    on_console = {t.rule for t in found if "console" in t.elements}
    assert {"T-STRIDE-006", "T-STRIDE-005"} <= on_console


def test_controls_are_ranked_by_risk_reduced() -> None:
    result = analyze(system(VENDOR_BACKED))
    ranks = [c.rank for c in result.countermeasures]
    assert sorted(ranks) == list(range(1, len(ranks) + 1))  # one place each, no pile of first places
    from dicetm.catalog import load_catalog

    controls = load_catalog().controls
    by_threat = {t.id: t for t in result.threats}

    def reduced(cm: Any) -> int:
        total = 0
        for tid in cm.threats:
            t, cut = by_threat[tid], controls[cm.id].reduces
            total += t.score - max(1, t.likelihood - cut.get("likelihood", 0)) * max(1, t.impact - cut.get("impact", 0))
        return total

    ordered = sorted(result.countermeasures, key=lambda c: c.rank)
    assert [reduced(c) for c in ordered] == sorted((reduced(c) for c in ordered), reverse=True)


# --- item 4: bugs ----------------------------------------------------------------------------------------


def test_logs_prompts_on_the_log_store_counts() -> None:
    found = by_id(threats("""
name: Logged chat
elements:
  - {id: user, name: User, kind: external_entity}
  - {id: shipper, name: Log shipper, kind: process}
  - {id: model, name: Model, kind: llm, logs_prompts: false}
  - {id: logs, name: Transcript store, kind: log_store, logs_prompts: true, classification: personal}
flows:
  - {id: f1, source: user, target: model, data: questions}
  - {id: f2, source: shipper, target: logs, data: transcripts}
"""))
    assert "T-LLM-005@logs" in found  # stated on the store, whoever writes it


def test_an_ordinary_backend_writing_logs_is_assumed_to_log_the_conversation() -> None:
    found = by_id(threats("""
name: Backend logging
elements:
  - {id: user, name: User, kind: external_entity}
  - {id: backend, name: Backend, kind: process}
  - {id: model, name: Model, kind: llm, logs_prompts: false}
  - {id: logs, name: App logs, kind: log_store}
flows:
  - {id: f1, source: user, target: backend, data: questions}
  - {id: f2, source: backend, target: model, data: prompts, bidirectional: true}
  - {id: f3, source: backend, target: logs, data: request logs}
"""))
    finding = found["T-LLM-005@logs"]
    assert any("Backend" in a and "not stated" in a for a in finding.assumptions)


def test_sandboxing_is_a_fact_and_tags_are_not_read() -> None:
    text = """
name: Runner
elements:
  - {id: dev, name: Developer, kind: external_entity}
  - {id: agent, name: Agent, kind: agent}
  - {id: runner, name: Runner, kind: tool, permissions: [execute]%s}
flows:
  - {id: f1, source: dev, target: agent, data: task}
  - {id: f2, source: agent, target: runner, data: code}
"""
    assert "T-AGENT-005@runner" in by_id(threats(text % ", tags: [sandboxed]"))
    assert "T-AGENT-005@runner" not in by_id(threats(text % ", sandboxed: true"))


def test_a_single_user_secret_store_is_not_every_users_data() -> None:
    found = by_id(threats("""
name: Agent with a key vault tool
elements:
  - {id: user, name: User, kind: external_entity}
  - {id: agent, name: Agent, kind: agent}
  - {id: vault-tool, name: Vault tool, kind: tool, permissions: [read], acts_on: vault}
  - {id: vault, name: Key vault, kind: data_store, classification: secret}
flows:
  - {id: f1, source: user, target: agent, data: task}
  - {id: f2, source: agent, target: vault-tool, data: lookups, bidirectional: true}
  - {id: f3, source: vault-tool, target: vault, data: reads, bidirectional: true}
"""))
    assert "T-AGENT-004@vault-tool" not in found
    credentials = found["T-AGENT-013@vault-tool"]
    assert {"owasp-llm:LLM02:2025", "atlas:AML.T0055"} <= set(credentials.references)
    assert {"owasp-llm:LLM02:2025", "atlas:AML.T0055"} <= set(found["T-AGENT-002@vault-tool"].references)


GROUPED_FLOWS = """
name: Two plaintext flows
elements:
  - {id: a, name: Alpha, kind: process}
  - {id: b, name: Bravo, kind: data_store}
  - {id: c, name: Charlie, kind: process}
  - {id: d, name: Delta, kind: data_store}
flows:
  - {id: f1, source: a, target: b, data: orders}
  - {id: f2, source: c, target: d, data: invoices}
trust_boundaries:
  - {id: z1, name: Zone 1, elements: [a, c]}
  - {id: z2, name: Zone 2, elements: [b, d]}
"""


def test_grouped_flow_findings_keep_each_flow_with_its_own_ends() -> None:
    [group] = [t for t in threats(GROUPED_FLOWS) if t.rule == "T-STRIDE-002"]
    assert group.members == ["T-STRIDE-002@b@f1", "T-STRIDE-002@d@f2"]
    assert "'orders' (Alpha to Bravo) and 'invoices' (Charlie to Delta)" in group.title
    assert "orders and invoices" not in group.scenario and "Alpha and Charlie" not in group.scenario
    single = next(t for t in threats(GROUPED_FLOWS, detail="full") if t.rule == "T-STRIDE-002")
    assert "'orders'" in single.title and "Alpha" in single.title


def test_grouped_titles_are_plural() -> None:
    found = threats("""
name: Two unencrypted stores
elements:
  - {id: x, name: Orders DB, kind: data_store, classification: confidential}
  - {id: y, name: Billing DB, kind: data_store, classification: confidential}
""")
    [group] = [t for t in found if t.rule == "T-STRIDE-007"]
    assert group.title == "Orders DB and Billing DB hold confidential data without encryption at rest"
