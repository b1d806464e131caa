"""The facts a browser, an on-device model and a generating model state, and the findings that rest on them: a
stated browser relays forged requests to services that trust its cookies or its place (T-STRIDE-019) and loads
hostile pages (T-STRIDE-020); a model shipped to devices is in attackers' hands (T-ML-002); a sensor model's
commands are carried out (T-ML-006); generated content can be invented (T-ML-007) or imitate people (T-ML-008);
an outside supplier of data a model works from is a data supply chain (T-STRIDE-008); callers' requests run by an
interpreter are code injection (T-DATA-012). Bad values are refused with the file, line and a hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dicetm.errors import InputError
from dicetm.model import System
from dicetm.store.modelfile import load_system

from .helpers import findings, system_of

SITE = {"id": "site", "name": "Attacker page", "kind": "external_entity"}


def _browser_calls(service: dict[str, Any], browser: bool = True) -> System:
    """A browser on a workstation zone calling a service in a platform zone; an outside page feeds the browser."""
    system = system_of([SITE, {"id": "browser", "name": "Analyst browser", "kind": "process", "browser": browser},
                        {"id": "svc", "name": "Tracking server", "kind": "process", **service}],
                       [("site", "browser", False), ("browser", "svc", False)])
    return System.model_validate({**system.model_dump(exclude_none=True), "trust_boundaries": [
        {"id": "ws", "name": "Workstation", "elements": ["browser"]},
        {"id": "platform", "name": "Platform", "elements": ["svc"]}]})


@pytest.mark.parametrize("service", [{"authenticated": False}, {"authenticated": True, "session_cookies": True}])
def test_a_browser_in_another_zone_relays_forged_requests(service: dict[str, Any]) -> None:
    threat = findings("T-STRIDE-019", _browser_calls(service))["T-STRIDE-019@svc"]
    assert "atlas:AML.T0078" in threat.references and "cwe:CWE-352" in threat.references
    assert any("cross_origin_checked" in a for a in threat.assumptions)


@pytest.mark.parametrize("service", [{"authenticated": False, "cross_origin_checked": True},
                                     {"authenticated": True}])
def test_a_service_that_refuses_cross_origin_requests_or_wants_a_token_is_not_forged(service: dict[str, Any]) -> None:
    assert findings("T-STRIDE-019", _browser_calls(service)) == {}


def test_an_ordinary_client_in_another_zone_is_no_relay() -> None:
    assert findings("T-STRIDE-019", _browser_calls({"authenticated": False}, browser=False)) == {}


def test_a_browser_an_agent_drives_can_bait_the_agent() -> None:
    elements = [SITE, {"id": "browser", "name": "Browser", "kind": "process", "browser": True},
                {"id": "helper", "name": "Assistant", "kind": "agent", "computer_use": "browser"}]
    driven = findings("T-STRIDE-020", system_of(elements, [("site", "browser", False), ("helper", "browser", False)]))
    alone = findings("T-STRIDE-020", system_of(elements[:2], [("site", "browser", False)]))
    assert {"atlas:AML.T0100", "owasp-asi:ASI09:2026"} <= set(driven["T-STRIDE-020@browser"].references)
    assert "atlas:AML.T0100" not in alone["T-STRIDE-020@browser"].references
    assert {"atlas:AML.T0078", "atlas:AML.T0052", "cwe:CWE-451"} <= set(alone["T-STRIDE-020@browser"].references)
    assert alone["T-STRIDE-020@browser"].assumptions == []


def test_a_browser_with_no_site_drawn_is_assumed_to_visit_some() -> None:
    system = system_of([{"id": "browser", "name": "Browser", "kind": "process", "browser": True},
                        {"id": "user", "name": "User", "kind": "external_entity"}], [("browser", "user", False)])
    threat = findings("T-STRIDE-020", system)["T-STRIDE-020@browser"]
    assert "the sites it is pointed to" in threat.title and threat.assumptions


def _hash_model(**facts: Any) -> System:
    return system_of([{"id": "attacker", "name": "Attacker", "kind": "external_entity"},
                      {"id": "app", "name": "Photos app", "kind": "process"},
                      {"id": "hash", "name": "Perceptual hash model", "kind": "ml_model", "returns_scores": True,
                       **facts}],
                     [("attacker", "app", False), ("app", "hash", True)])


def test_a_model_on_users_devices_is_open_to_white_box_attacks_and_inversion() -> None:
    on_device = findings("T-ML-002", _hash_model(on_device=True))["T-ML-002@hash"]
    in_cloud = findings("T-ML-002", _hash_model(on_device=False))["T-ML-002@hash"]
    assert {"atlas:AML.T0044", "atlas:AML.T0024.001"} <= set(on_device.references)
    assert "users' own devices" in on_device.scenario
    assert "atlas:AML.T0044" not in in_cloud.references and "atlas:AML.T0024.001" not in in_cloud.references


def _voice_commands(physical_input: bool | None) -> System:
    return system_of([{"id": "mic", "name": "Microphone", "kind": "process"},
                      {"id": "asr", "name": "Speech recogniser", "kind": "ml_model", "physical_input": physical_input},
                      {"id": "runner", "name": "Command runner", "kind": "process"},
                      {"id": "settings", "name": "Device settings", "kind": "data_store"}],
                     [("mic", "asr", False), ("asr", "runner", False), ("runner", "settings", False)])


def test_commands_recognised_from_sound_are_carried_out_with_tampering_and_denial() -> None:
    threat = findings("T-ML-006", _voice_commands(True))["T-ML-006@runner"]
    assert {"T", "D"} <= set(threat.stride) and set(threat.elements) >= {"runner", "asr", "settings"}
    assert findings("T-ML-006", _voice_commands(None)) == {}


def _transcriber(**facts: Any) -> System:
    return system_of([{"id": "app", "name": "Recorder", "kind": "process"},
                      {"id": "stt", "name": "Speech-to-text", "kind": "ml_model", **facts},
                      {"id": "notes", "name": "Notes", "kind": "data_store"}],
                     [("app", "stt", False), ("stt", "notes", False)])


def test_a_model_stated_to_write_text_can_invent_it_unless_its_output_is_checked() -> None:
    threat = findings("T-ML-007", _transcriber(output_modality=["text"]))["T-ML-007@stt"]
    assert "owasp-llm:LLM09:2025" in threat.references and "notes" in threat.elements
    assert findings("T-ML-007", _transcriber(output_modality=["text"], answers_drive_decisions=False)) == {}
    assert findings("T-ML-007", _transcriber()) == {}


def test_only_generated_voice_image_or_video_imitates_people() -> None:
    voice = findings("T-ML-008", _transcriber(output_modality=["audio", "text"]))["T-ML-008@stt"]
    assert {"atlas:AML.T0088", "atlas:AML.T0073"} <= set(voice.references) and "audio" in voice.title
    assert findings("T-ML-008", _transcriber(output_modality=["text"])) == {}


def _supplied(reader_kind: str) -> System:
    return system_of([{"id": "supplier", "name": "Data supplier", "kind": "external_entity"},
                      {"id": "refs", "name": "Reference list", "kind": "data_store"},
                      {"id": "matcher", "name": "Matcher", "kind": "process"},
                      {"id": "reader", "name": "Reader", "kind": reader_kind}],
                     [("supplier", "refs", False), ("refs", "matcher", False), ("reader", "matcher", False)])


def test_an_outside_supplier_of_data_matched_against_a_model_is_a_data_supply_chain() -> None:
    threat = findings("T-STRIDE-008", _supplied("ml_model"))["T-STRIDE-008@refs"]
    assert {"atlas:AML.T0010.002", "atlas:AML.T0019"} <= set(threat.references)
    plain = findings("T-STRIDE-008", _supplied("process"))["T-STRIDE-008@refs"]
    assert "atlas:AML.T0010.002" not in plain.references


def test_callers_requests_an_interpreter_runs_are_code_injection() -> None:
    system = system_of([{"id": "caller", "name": "Caller", "kind": "external_entity"},
                        {"id": "hook", "name": "Webhook endpoint", "kind": "process", "exposure": "internet"},
                        {"id": "engine", "name": "Workflow engine", "kind": "process", "executes_code": True,
                         "egress_restricted": True}],
                       [("caller", "hook", False), ("hook", "engine", False)])
    threat = findings("T-DATA-012", system)["T-DATA-012@engine"]
    assert {"cwe:CWE-94", "atlas:AML.T0050"} <= set(threat.references)


@pytest.mark.parametrize(("line", "field", "hint"), [
    ("{id: m, name: M, kind: ml_model, output_modality: [text, smell]}", "output_modality", "text, audio"),
    ("{id: d, name: D, kind: data_store, browser: true}", "browser", "only applies to"),
    ("{id: d, name: D, kind: data_store, on_device: true}", "on_device", "only applies to"),
])
def test_bad_facts_are_refused_with_line_and_hint(tmp_path: Path, line: str, field: str, hint: str) -> None:
    path = tmp_path / "dicetm.yaml"
    path.write_text(f"version: 1\nname: x\nelements:\n  - {line}\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(InputError) as caught:
        load_system(path)
    text = str(caught.value)
    assert f"{path}:4" in text and field in text and hint in text
    assert path.read_bytes() == before


def _startup_writer(writer: dict[str, Any]) -> System:
    return system_of([writer, {"id": "cron", "name": "Scheduled jobs", "kind": "data_store", "autostart": True},
                      {"id": "host", "name": "Host scheduler", "kind": "process", "executes_code": True}],
                     [(writer["id"], "cron", False), ("cron", "host", False)])


def test_an_agent_that_writes_an_autostart_location_can_persist() -> None:
    threat = findings("T-AGENT-016", _startup_writer({"id": "bot", "name": "Ops agent", "kind": "agent"}))
    assert set(threat["T-AGENT-016@cron"].elements) == {"cron", "bot", "host"}
    assert "owasp-asi:ASI05:2026" in threat["T-AGENT-016@cron"].references


def test_a_plain_backend_writing_its_own_schedule_is_no_persistence_path() -> None:
    assert findings("T-AGENT-016", _startup_writer({"id": "deploy", "name": "Deploy job", "kind": "process"})) == {}


def test_only_sessions_stated_to_outlive_revocation_are_reported() -> None:
    def chat(revocable: bool | None) -> System:
        return system_of([{"id": "user", "name": "User", "kind": "external_entity"},
                          {"id": "socket", "name": "Socket server", "kind": "process",
                           "sessions_revocable": revocable}], [("user", "socket", True)])
    threat = findings("T-STRIDE-021", chat(False))["T-STRIDE-021@socket"]
    assert "cwe:CWE-613" in threat.references and "user" in threat.elements
    assert findings("T-STRIDE-021", chat(None)) == {} and findings("T-STRIDE-021", chat(True)) == {}


def test_an_anonymous_entry_point_to_model_files_hands_out_the_model() -> None:
    def server(reader: str) -> System:
        return system_of([{"id": "anyone", "name": "Anyone", "kind": "external_entity"},
                          {"id": "api", "name": "Tracking API", "kind": "process", "authenticated": False},
                          {"id": "registry", "name": "Model registry", "kind": "data_store"},
                          {"id": "reader", "name": "Reader", "kind": reader}],
                         [("anyone", "api", False), ("api", "registry", True), ("registry", "reader", False)])
    threat = findings("T-STRIDE-001", server("llm"))["T-STRIDE-001@api"]
    assert {"atlas:AML.T0035", "atlas:AML.T0048.004"} <= set(threat.references) and "registry" in threat.elements
    plain = findings("T-STRIDE-001", server("process"))["T-STRIDE-001@api"]
    assert "atlas:AML.T0035" not in plain.references and "registry" not in plain.elements


def test_a_model_that_takes_in_images_reads_instructions_hidden_in_them() -> None:
    def chat(modality: list[str] | None) -> System:
        return system_of([{"id": "user", "name": "User", "kind": "external_entity"},
                          {"id": "chat", "name": "Vision chat model", "kind": "llm", "input_modality": modality}],
                         [("user", "chat", True)])
    seeing = findings("T-LLM-001", chat(["text", "image"]))["T-LLM-001@chat"]
    assert "atlas:AML.T0043" in seeing.references and "takes in image" in seeing.scenario
    for modality in (["text"], None):
        reading = findings("T-LLM-001", chat(modality))["T-LLM-001@chat"]
        assert "atlas:AML.T0043" not in reading.references and "takes in" not in reading.scenario
