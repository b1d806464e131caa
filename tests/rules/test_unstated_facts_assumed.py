"""A rule whose deciding fact is unstated raises its finding with an assumption naming that fact, one step less
likely than when the fact is stated unsafe, and stays quiet when the model states the defence."""

from __future__ import annotations

from typing import Any

import pytest
from tests.rules.helpers import findings, system_of


def _credential_store(**facts: Any) -> dict[str, Any]:
    return {"id": "users", "name": "User accounts DB", "kind": "data_store", "holds_credentials": True, **facts}


def _plaintext_credentials(**facts: Any) -> dict[str, Any]:
    system = system_of([{"id": "api", "name": "API", "kind": "process"}, _credential_store(**facts)],
                       [("api", "users", True)])
    return {t.id: t for t in findings("T-STRIDE-007", system).values()}


def _cookie_console(person: dict[str, Any], **facts: Any) -> dict[str, Any]:
    console = {"id": "console", "name": "Admin console", "kind": "process", "session_cookies": True, **facts}
    return findings("T-STRIDE-019", system_of([person, console], [("admin", "console", False)]))


def _artefact_loader(**store_facts: Any) -> dict[str, Any]:
    elements = [{"id": "member", "name": "Project member", "kind": "external_entity"},
                {"id": "files", "name": "Artefact server", "kind": "data_store", **store_facts},
                {"id": "worker", "name": "Evaluation worker", "kind": "process", "executes_code": True,
                 "egress_restricted": True}]
    return findings("T-DATA-012", system_of(elements, [("member", "files", False), ("files", "worker", False)]))


CASES = [
    ("T-STRIDE-007@users", _plaintext_credentials, {"encrypted_at_rest": False}, {}, {"encrypted_at_rest": True},
     "(encrypted_at_rest)"),
    ("T-DATA-012@worker", _artefact_loader, {"untrusted_content": True}, {}, {"untrusted_content": False},
     "(untrusted_content)"),
]


@pytest.mark.parametrize(("finding", "build", "unsafe", "unstated", "safe", "named"), CASES,
                         ids=[c[0] for c in CASES])
def test_unstated_fact_is_assumed_one_step_lower(finding, build, unsafe, unstated, safe, named):  # type: ignore[no-untyped-def]
    stated = build(**unsafe)[finding]
    assumed = build(**unstated)[finding]
    assert assumed.likelihood == stated.likelihood - 1
    assert any(named in text for text in assumed.assumptions)
    assert not any(named in text for text in stated.assumptions)
    assert finding not in build(**safe)


def test_people_uploading_to_a_store_that_needs_sign_in_is_not_assumed_hostile():
    assert _artefact_loader(authenticated=True) == {}
    assumed = _artefact_loader()["T-DATA-012@worker"]
    assert any("(authenticated)" in text for text in assumed.assumptions)


def test_cookie_session_without_a_drawn_browser_is_assumed_one_step_lower():
    drawn = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity", "browser": True},
                            cross_origin_checked=False)["T-STRIDE-019@console"]
    assumed = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity"},
                              cross_origin_checked=False)["T-STRIDE-019@console"]
    assert assumed.likelihood == drawn.likelihood - 1
    assert any("(browser)" in text for text in assumed.assumptions)
    assert "web browsers of Administrator" in assumed.title
    quiet = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity"},
                            cross_origin_checked=True)
    assert quiet == {}
    not_a_browser = _cookie_console({"id": "admin", "name": "Administrator", "kind": "external_entity",
                                     "browser": False})
    assert not_a_browser == {}


def test_credential_store_with_a_classification_keeps_its_own_wording():
    threat = _plaintext_credentials(classification="confidential")["T-STRIDE-007@users"]
    assert "confidential" in threat.title
    assert threat.factors == [] or all(f.delta != -1 for f in threat.factors)


def test_a_store_both_loaded_and_beside_the_loader_is_named_once():
    elements = [{"id": "member", "name": "Project member", "kind": "external_entity"},
                {"id": "registry", "name": "Model registry", "kind": "data_store"},
                {"id": "job", "name": "Training job", "kind": "fine_tuning_pipeline", "executes_code": True}]
    system = system_of(elements, [("member", "registry", False), ("registry", "job", True)])
    threat = findings("T-DATA-012", system)["T-DATA-012@job"]
    assert threat.elements.count("registry") == 1


def test_a_person_with_two_flows_to_the_service_is_named_once():
    system = system_of([{"id": "admin", "name": "Administrator", "kind": "external_entity"},
                        {"id": "console", "name": "Admin console", "kind": "process", "session_cookies": True}],
                       [("admin", "console", False), ("admin", "console", True)])
    threat = findings("T-STRIDE-019", system)["T-STRIDE-019@console"]
    assert threat.title.count("Administrator") == 1
