"""Describe asks for the facts the media, session and auto-start rules read, and stops once they are stated."""

from __future__ import annotations

from typing import Any

from tests.rules.helpers import system_of

from dicetm.model import System
from dicetm.pipeline.describe import open_questions


def _topics(system: System, element: str) -> set[str]:
    return {q.topic for q in open_questions(system) if q.elements == [element]}


def _web_app(app: dict[str, Any] | None = None, model: dict[str, Any] | None = None) -> System:
    return system_of([
        {"id": "user", "name": "Customer", "kind": "external_entity"},
        {"id": "app", "name": "Claims portal", "kind": "process", "exposure": "internet", **(app or {})},
        {"id": "model", "name": "Claims assistant", "kind": "llm", **(model or {})},
    ], [("user", "app", True), ("app", "model", True)])


def test_a_model_is_asked_what_media_it_handles_until_both_directions_are_stated() -> None:
    assert "MODALITY" in _topics(_web_app(), "model")
    assert "MODALITY" in _topics(_web_app(model={"output_modality": ["text"]}), "model")
    assert "MODALITY" not in _topics(_web_app(model={"output_modality": ["text"], "input_modality": ["audio"]}),
                                     "model")


def test_a_front_end_people_reach_is_asked_how_sessions_work() -> None:
    assert "SESSIONS" in _topics(_web_app(), "app")
    answered = {"session_cookies": True, "sessions_revocable": False}
    assert "SESSIONS" not in _topics(_web_app(app=answered), "app")


def test_an_inner_process_no_person_reaches_is_not_asked_about_sessions() -> None:
    system = system_of([
        {"id": "job", "name": "Nightly export", "kind": "process"},
        {"id": "db", "name": "Claims DB", "kind": "data_store"},
    ], [("job", "db", False)])
    assert "SESSIONS" not in _topics(system, "job")


def _workspace(agent: dict[str, Any]) -> System:
    return system_of([
        {"id": "agent", "name": "Repair agent", "kind": "agent", **agent},
        {"id": "files", "name": "Host files", "kind": "data_store"},
    ], [("agent", "files", False)])


def test_a_store_an_executing_agent_writes_is_asked_whether_it_starts_things() -> None:
    assert "AUTOSTART" in _topics(_workspace({"executes_code": True}), "files")
    assert "AUTOSTART" in _topics(_workspace({"permissions": ["read", "execute"]}), "files")
    assert "AUTOSTART" not in _topics(_workspace({"permissions": ["read", "write"]}), "files")
    stated = _workspace({"executes_code": True})
    stated = stated.model_copy(update={"elements": [
        e.model_copy(update={"autostart": False}) if e.id == "files" else e for e in stated.elements]})
    assert "AUTOSTART" not in _topics(stated, "files")


def _store_tool(**facts: Any) -> System:
    elements = [{"id": "tool", "name": "Records tool", "kind": "tool", "acts_on": "records", **facts},
                {"id": "records", "name": "Records", "kind": "data_store"}]
    return system_of(elements, [("tool", "records", True)])


def test_a_tool_acting_on_a_data_store_is_asked_how_it_addresses_it() -> None:
    assert "FILE-ACCESS" in _topics(_store_tool(), "tool")
    assert "FILE-ACCESS" in _topics(_store_tool(file_paths=False), "tool")  # are the query values checked?
    assert "FILE-ACCESS" not in _topics(_store_tool(file_paths=True, input_validation=True), "tool")
    elsewhere = system_of([{"id": "tool", "name": "Mailer", "kind": "tool", "acts_on": "people"},
                           {"id": "people", "name": "Recipients", "kind": "external_entity"}],
                          [("tool", "people", False)])
    assert "FILE-ACCESS" not in _topics(elsewhere, "tool")
