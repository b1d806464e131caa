"""Models that score, classify or recognise (kind ml_model): what their facts and structure change in the ML
family's findings, and the LLM and DATA rules that take them too (copying, flooding, supply chain)."""

from __future__ import annotations

from typing import Any

from tests.rules.helpers import findings, system_of

from dicetm.model import System
from dicetm.pipeline.describe import open_questions


def _classifier(model: dict[str, Any] | None = None, *, entry: dict[str, Any] | None = None,
                personal: bool = False) -> System:
    """An outsider -> an entry process -> a classifier, whose verdict the entry process acts on."""
    system = system_of([
        {"id": "user", "name": "Applicant", "kind": "external_entity"},
        {"id": "entry", "name": "Sign-up API", "kind": "process", **(entry or {"exposure": "internet"})},
        {"id": "model", "name": "Face match", "kind": "ml_model", **(model or {})},
    ], [("user", "entry", True), ("entry", "model", True)])
    if not personal:
        return system
    data = system.model_dump(mode="json", exclude_none=True)
    data["flows"][0]["classification"] = "personal"
    return System.model_validate(data)


def _factors(threat: Any) -> set[str]:
    return {f.fact for f in threat.factors}


def test_evasion_impact_follows_the_access_decision() -> None:
    plain = findings("T-ML-001", _classifier())["T-ML-001@model"]
    deciding = findings("T-ML-001", _classifier({"decides_access": True}))["T-ML-001@model"]
    unchecked = findings("T-ML-001", _classifier({"answers_drive_decisions": True}))["T-ML-001@model"]
    assert deciding.impact == plain.impact + 1 and "model.decides_access" in _factors(deciding)
    assert unchecked.impact == plain.impact + 1
    # decides_access stated false: answers_drive_decisions does not stand in for it
    stated = findings("T-ML-001", _classifier({"decides_access": False, "answers_drive_decisions": True}))
    assert stated["T-ML-001@model"].impact == plain.impact


def test_a_verdict_returned_to_its_caller_is_assumed_acted_on_without_raising_the_score() -> None:
    assumed = findings("T-ML-001", _classifier())["T-ML-001@model"]
    assert "atlas:AML.T0048" in assumed.references and any("decides_access" in a for a in assumed.assumptions)
    stated_not = findings("T-ML-001", _classifier({"decides_access": False}))["T-ML-001@model"]
    assert "atlas:AML.T0048" not in stated_not.references and stated_not.impact == assumed.impact
    one_way = system_of([
        {"id": "user", "name": "Applicant", "kind": "external_entity"},
        {"id": "entry", "name": "Sign-up API", "kind": "process"},
        {"id": "model", "name": "Face match", "kind": "ml_model"},
    ], [("user", "entry", True), ("entry", "model", False)])
    assert "atlas:AML.T0048" not in findings("T-ML-001", one_way)["T-ML-001@model"].references


def test_evasion_likelier_from_the_internet_and_names_the_path() -> None:
    internet = findings("T-ML-001", _classifier())["T-ML-001@model"]
    internal = findings("T-ML-001", _classifier(entry={"exposure": "internal"}))["T-ML-001@model"]
    assert internet.likelihood == internal.likelihood + 1
    assert {"entry", "user"} <= set(internet.elements)


def test_deepfakes_only_for_models_that_judge_people() -> None:
    assert "atlas:AML.T0088" not in findings("T-ML-001", _classifier())["T-ML-001@model"].references
    by_data = findings("T-ML-001", _classifier(personal=True))["T-ML-001@model"]
    by_fact = findings("T-ML-001", _classifier({"physical_input": True}))["T-ML-001@model"]
    assert "atlas:AML.T0088" in by_data.references and "atlas:AML.T0088" in by_fact.references


def test_no_outsider_input_no_evasion_finding() -> None:
    system = system_of([
        {"id": "job", "name": "Batch job", "kind": "process", "exposure": "internal"},
        {"id": "model", "name": "Forecaster", "kind": "ml_model"},
    ], [("job", "model", True)])
    assert findings("T-ML-001", system) == {}
    assert findings("T-ML-002", system) == {}


def test_stand_in_needs_a_way_to_build_it() -> None:
    hidden = system_of([
        {"id": "user", "name": "Uploader", "kind": "external_entity"},
        {"id": "entry", "name": "Scanner", "kind": "process"},
        {"id": "model", "name": "Detector", "kind": "ml_model", "model_provenance": "in_house"},
        {"id": "store", "name": "Quarantine", "kind": "data_store"},
    ], [("user", "entry", False), ("entry", "model", False), ("model", "store", False)])
    assert findings("T-ML-002", hidden) == {}
    open_weights = system_of([
        {"id": "user", "name": "Uploader", "kind": "external_entity"},
        {"id": "model", "name": "Detector", "kind": "ml_model", "model_provenance": "open_weights_verified"},
    ], [("user", "model", False)])
    threat = findings("T-ML-002", open_weights)["T-ML-002@model"]
    assert "its weights are public" in threat.scenario
    assert "atlas:AML.T0047" not in threat.references  # reached directly, not through a product
    through_product = findings("T-ML-002", _classifier())["T-ML-002@model"]
    assert "atlas:AML.T0047" in through_product.references and "Sign-up API" in through_product.scenario


def test_a_verdict_returned_to_the_product_the_input_passes_is_an_oracle() -> None:
    def scanner(reply: bool) -> System:
        return system_of([
            {"id": "files", "name": "Files on the endpoint", "kind": "data_store", "untrusted_content": True},
            {"id": "client", "name": "Endpoint client", "kind": "process"},
            {"id": "api", "name": "Detection API", "kind": "process"},
            {"id": "model", "name": "Detector", "kind": "ml_model", "model_provenance": "in_house"},
            {"id": "store", "name": "Verdict archive", "kind": "data_store"},
        ], [("files", "client", False), ("client", "api", False), ("api", "model", reply),
            ("model", "store", False)])
    threat = findings("T-ML-002", scanner(reply=True))["T-ML-002@model"]
    assert {"api", "client"} <= set(threat.elements)  # the product probed, all along the input's way
    assert "atlas:AML.T0047" in threat.references and "atlas:AML.T0044" not in threat.references
    assert findings("T-ML-002", scanner(reply=False)) == {}  # verdicts only archived: nothing to check against


def test_weights_shipped_in_a_package_outsiders_download_give_white_box_access() -> None:
    def app(shipped_by: str) -> System:
        return system_of([
            {"id": "store", "name": "App store", "kind": "external_entity"},
            {"id": "build", "name": "Build server", "kind": "process"},
            {"id": "scene", "name": "Camera scene", "kind": "external_entity"},
            {"id": "app", "name": "Mobile app", "kind": "process"},
            {"id": "file", "name": "Bundled model file", "kind": "data_store"},
            {"id": "model", "name": "On-device recogniser", "kind": "ml_model", "model_provenance": "in_house"},
        ], [(shipped_by, "file", False), ("file", "model", False), ("scene", "app", False), ("app", "model", False)])
    threat = findings("T-ML-002", app("store"))["T-ML-002@model"]
    assert "atlas:AML.T0044" in threat.references and "file" in threat.elements
    assert "Bundled model file" in threat.scenario
    assert findings("T-ML-002", app("build")) == {}  # built in-house, verdict not returned: no stand-in


def test_a_reference_photo_from_a_store_of_personal_data_makes_a_model_judge_people() -> None:
    system = system_of([
        {"id": "user", "name": "Applicant", "kind": "external_entity"},
        {"id": "entry", "name": "Sign-up API", "kind": "process", "exposure": "internet"},
        {"id": "ids", "name": "Identity photos", "kind": "data_store", "classification": "personal"},
        {"id": "model", "name": "Face match", "kind": "ml_model"},
    ], [("user", "entry", True), ("ids", "entry", False), ("entry", "model", True)])
    references = findings("T-ML-001", system)["T-ML-001@model"].references
    assert {"atlas:AML.T0087", "atlas:AML.T0088"} <= set(references)
    assert "atlas:AML.T0087" not in findings("T-ML-001", _classifier())["T-ML-001@model"].references


def test_scores_finding_follows_returns_scores() -> None:
    assumed = findings("T-ML-003", _classifier())["T-ML-003@model"]
    assert any("returns_scores" in a for a in assumed.assumptions)
    stated = findings("T-ML-003", _classifier({"returns_scores": True}))["T-ML-003@model"]
    assert stated.assumptions == []
    assert findings("T-ML-003", _classifier({"returns_scores": False})) == {}


def test_model_extraction_takes_classifiers_and_inversion_needs_scores() -> None:
    verdicts = findings("T-LLM-015", _classifier())["T-LLM-015@model"]
    assert "atlas:AML.T0024.001" not in verdicts.references
    scores = findings("T-LLM-015", _classifier({"returns_scores": True}))["T-LLM-015@model"]
    assert {"atlas:AML.T0024.000", "atlas:AML.T0024.001", "atlas:AML.T0047"} <= set(scores.references)
    # public weights: nothing to copy
    assert findings("T-LLM-015", _classifier({"model_provenance": "open_weights_verified"})) == {}
    assert findings("T-LLM-015", _classifier({"rate_limited": True})) == {}


def test_flooding_and_hosted_dependency_take_classifiers() -> None:
    assert "T-LLM-019@model" in findings("T-LLM-019", _classifier())
    hosted = _classifier({"model_provenance": "vendor_api"})
    assert "T-DATA-001@model" in findings("T-DATA-001", hosted)
    assert "T-DATA-002@model" in findings("T-DATA-002", _classifier({"model_provenance": "open_weights_unverified"}))


def test_training_poisoning_likelier_with_outside_data() -> None:
    def trained(provenance: str | None) -> System:
        data = {"id": "data", "name": "Labelled set", "kind": "training_data"}
        if provenance:
            data["training_data_provenance"] = provenance
        return system_of([data, {"id": "job", "name": "Trainer", "kind": "fine_tuning_pipeline"},
                          {"id": "model", "name": "Classifier", "kind": "ml_model"}],
                         [("data", "job", False), ("job", "model", False)])
    outside = findings("T-ML-005", trained("public_web"))["T-ML-005@model"]
    curated = findings("T-ML-005", trained("curated"))["T-ML-005@model"]
    unknown = findings("T-ML-005", trained(None))["T-ML-005@model"]
    assert outside.likelihood == curated.likelihood + 1
    assert set(outside.elements) == {"model", "data", "job"}
    assert unknown.assumptions and not curated.assumptions


def test_physical_input_lists_the_capture_path() -> None:
    threat = findings("T-ML-004", _classifier({"physical_input": True}))["T-ML-004@model"]
    assert {"entry", "user"} <= set(threat.elements)
    assert findings("T-ML-004", _classifier()) == {}


def test_memory_poisoning_untraceable_without_logged_writes() -> None:
    def memory(**facts: Any) -> System:
        return system_of([
            {"id": "mail", "name": "Inbox", "kind": "knowledge_source", "untrusted_content": True},
            {"id": "agent", "name": "Mail agent", "kind": "agent"},
            {"id": "mem", "name": "Agent memory", "kind": "memory", **facts},
        ], [("mail", "agent", False), ("agent", "mem", True)])
    unset = findings("T-AGENT-006", memory())["T-AGENT-006@mem"]
    assert "owasp-agentic:T8" in unset.references and any("audit_logging" in a for a in unset.assumptions)
    logged = findings("T-AGENT-006", memory(audit_logging=True))["T-AGENT-006@mem"]
    assert "owasp-agentic:T8" not in logged.references


def test_covert_channel_needs_code_open_egress_and_a_hosted_ai_service() -> None:
    def host(service: dict[str, Any], **facts: Any) -> System:
        return system_of([{"id": "host", "name": "Server", "kind": "process", "executes_code": True, **facts},
                          {"id": "svc", "name": "AI API", **service}], [("host", "svc", True)])
    hosted = {"kind": "llm", "model_provenance": "vendor_api"}
    assert "T-STRIDE-016@host" in findings("T-STRIDE-016", host(hosted))
    assert findings("T-STRIDE-016", host(hosted, sandboxed=True)) == {}
    assert findings("T-STRIDE-016", host(hosted, egress_restricted=True)) == {}
    assert findings("T-STRIDE-016", host({"kind": "llm", "model_provenance": "in_house"})) == {}
    # a third-party service wired to a model provider counts as the provider's API
    system = system_of([
        {"id": "host", "name": "Server", "kind": "process", "executes_code": True, "egress_restricted": False},
        {"id": "api", "name": "Assistants API", "kind": "process", "third_party": True},
        {"id": "acct", "name": "AI vendor", "kind": "model_provider"},
    ], [("host", "api", True), ("acct", "api", False)])
    threat = findings("T-STRIDE-016", system)["T-STRIDE-016@host"]
    assert "api" in threat.elements and threat.assumptions == []


def test_a_decisive_verdict_names_what_it_guards_and_its_harm() -> None:
    def guarded(model: dict[str, Any], personal: bool = False) -> System:
        base = _classifier(model, personal=personal)
        data = base.model_dump(mode="json", exclude_none=True)
        data["elements"].append({"id": "accounts", "name": "Customer accounts", "kind": "data_store"})
        data["flows"].append({"id": "open", "source": "entry", "target": "accounts"})
        return System.model_validate(data)
    advisory = findings("T-ML-001", guarded({"decides_access": False}))["T-ML-001@model"]
    assert "accounts" not in advisory.elements and "atlas:AML.T0048" not in advisory.references
    decisive = findings("T-ML-001", guarded({"decides_access": True}))["T-ML-001@model"]
    assert "accounts" in decisive.elements and "atlas:AML.T0048" in decisive.references
    assert "atlas:AML.T0073" not in decisive.references  # nothing says it judges people
    people = findings("T-ML-001", guarded({"decides_access": True}, personal=True))["T-ML-001@model"]
    assert {"atlas:AML.T0088", "atlas:AML.T0073"} <= set(people.references)


def test_describe_asks_for_the_facts_of_an_ml_model() -> None:
    def topics(model: dict[str, Any]) -> set[str]:
        return {q.topic for q in open_questions(_classifier(model)) if q.elements == ["model"]}
    assert {"MODEL-PROVENANCE", "SCORES", "ACCESS-DECISION", "PHYSICAL-INPUT"} <= topics({})
    answered = {"model_provenance": "in_house", "returns_scores": False, "decides_access": True,
                "physical_input": False}
    assert not {"MODEL-PROVENANCE", "SCORES", "ACCESS-DECISION", "PHYSICAL-INPUT"} & topics(answered)


def test_supply_chain_of_a_classifier_follows_its_provider_and_training() -> None:
    vendor = system_of([
        {"id": "vendor", "name": "Scoring vendor", "kind": "model_provider", "model_provenance": "vendor_api"},
        {"id": "model", "name": "Fraud score", "kind": "ml_model"},
        {"id": "app", "name": "Checkout", "kind": "process"},
    ], [("vendor", "model", False), ("app", "model", True)])
    hosted = findings("T-DATA-001", vendor)
    assert list(hosted) == ["T-DATA-001@vendor"] and "model" in hosted["T-DATA-001@vendor"].elements
    assert findings("T-DATA-002", vendor) == {}  # the vendor serves it: no weights of its own to verify
    trained = system_of([
        {"id": "job", "name": "Trainer", "kind": "fine_tuning_pipeline", "model_provenance": "in_house"},
        {"id": "model", "name": "Fraud score", "kind": "ml_model"},
    ], [("job", "model", False)])
    assert "T-DATA-002@model" not in findings("T-DATA-002", trained)
    downloaded = system_of([{"id": "model", "name": "Fraud score", "kind": "ml_model"}], [])
    assert findings("T-DATA-002", downloaded)["T-DATA-002@model"].assumptions


def _moderation(published_to_readers: bool) -> System:
    elements: list[dict[str, Any]] = [
        {"id": "poster", "name": "Poster", "kind": "external_entity"},
        {"id": "forum", "name": "Forum service", "kind": "process"},
        {"id": "api", "name": "Moderation API", "kind": "process"},
        {"id": "model", "name": "Abuse classifier", "kind": "ml_model", "decides_access": True},
        {"id": "posts", "name": "Published posts", "kind": "data_store"},
        {"id": "readers", "name": "Readers", "kind": "external_entity"},
    ]
    flows = [("poster", "forum", False), ("forum", "api", True), ("api", "model", True), ("forum", "posts", False)]
    return system_of(elements, [*flows, *([("posts", "readers", False)] if published_to_readers else [])])


def test_evading_a_moderation_verdict_harms_the_people_who_read_what_it_let_through() -> None:
    threat = findings("T-ML-001", _moderation(True))["T-ML-001@model"]
    assert "atlas:AML.T0048.003" in threat.references
    assert {"forum", "posts"} <= set(threat.elements)  # the product two steps on acts on the verdict


def test_a_verdict_whose_results_nobody_outside_reads_names_no_user_harm() -> None:
    assert "atlas:AML.T0048.003" not in findings("T-ML-001", _moderation(False))["T-ML-001@model"].references


def test_a_decisive_verdict_on_a_spoofed_capture_is_an_authentication_bypass() -> None:
    deciding = findings("T-ML-004", _classifier({"physical_input": True, "decides_access": True}))
    advisory = findings("T-ML-004", _classifier({"physical_input": True, "decides_access": False}))
    assert "cwe:CWE-290" in deciding["T-ML-004@model"].references
    assert "cwe:CWE-290" not in advisory["T-ML-004@model"].references


def test_the_verdict_going_back_to_whoever_sent_the_input_is_no_harm_to_others() -> None:
    threat = findings("T-ML-001", _classifier({"decides_access": True}))["T-ML-001@model"]
    assert "atlas:AML.T0048" in threat.references and "atlas:AML.T0048.003" not in threat.references
