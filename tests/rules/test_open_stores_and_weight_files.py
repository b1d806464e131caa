"""A store open to the internet, and the files a model's weights are loaded from: what the store rule, the
weights rule and the loader rule name and carry on these drawings, and their close variants."""

from __future__ import annotations

from typing import Any

from tests.rules.helpers import findings, system_of

from dicetm.model import System


def _checkpoints(**store: Any) -> System:
    """A bucket of published checkpoints, a model loaded from it, and a user's job that loads the files."""
    return system_of([
        {"id": "team", "name": "Research team", "kind": "external_entity"},
        {"id": "bucket", "name": "Checkpoint bucket", "kind": "data_store", **store},
        {"id": "model", "name": "Published classifier", "kind": "ml_model", "model_provenance": "in_house"},
        {"id": "job", "name": "User's training job", "kind": "process", "executes_code": True},
    ], [("team", "bucket", False), ("bucket", "model", False), ("bucket", "job", False), ("model", "job", False)])


def test_an_open_store_of_model_files_is_a_supply_chain_risk_and_names_the_models() -> None:
    threat = findings("T-STRIDE-017", _checkpoints(exposure="internet"))["T-STRIDE-017@bucket"]
    assert "atlas:AML.T0010.003" in threat.references and {"model", "job"} <= set(threat.elements)
    assert any("authenticated" in a for a in threat.assumptions)
    anonymous = findings("T-STRIDE-017", _checkpoints(exposure="internet", authenticated=False))
    assert anonymous["T-STRIDE-017@bucket"].likelihood == threat.likelihood + 1
    assert findings("T-STRIDE-017", _checkpoints(exposure="internet", authenticated=True)) == {}
    assert findings("T-STRIDE-017", _checkpoints(exposure="internal")) == {}


def test_an_open_store_without_access_logs_leaks_unnoticed() -> None:
    unlogged = findings("T-STRIDE-017", _checkpoints(exposure="internet"))["T-STRIDE-017@bucket"]
    logged = findings("T-STRIDE-017", _checkpoints(exposure="internet", audit_logging=True))["T-STRIDE-017@bucket"]
    assert "cwe:CWE-778" in unlogged.references and "Nothing records who reads it" in unlogged.scenario
    assert "cwe:CWE-778" not in logged.references and "Nothing records" not in logged.scenario


def test_files_loaded_from_a_store_anyone_can_write_run_their_authors_code() -> None:
    threat = findings("T-DATA-012", _checkpoints(exposure="internet"))["T-DATA-012@job"]
    assert "atlas:AML.T0010.003" in threat.references and "bucket" in threat.elements
    assert findings("T-DATA-012", _checkpoints(exposure="internet", authenticated=True)) == {}


def _bundled(delivered_by: str) -> System:
    return system_of([
        {"id": "shop", "name": "App store", "kind": "external_entity"},
        {"id": "ci", "name": "Release build", "kind": "process"},
        {"id": "file", "name": "Bundled model file", "kind": "data_store"},
        {"id": "model", "name": "On-device recogniser", "kind": "ml_model"},
    ], [(delivered_by, "file", False), ("file", "model", False)])


def test_unverified_weights_name_the_file_they_are_loaded_from_and_who_delivers_it() -> None:
    shipped = findings("T-DATA-002", _bundled("shop"))["T-DATA-002@model"]
    assert {"file", "shop"} <= set(shipped.elements)
    built = findings("T-DATA-002", _bundled("ci"))["T-DATA-002@model"]
    assert "file" in built.elements and "ci" not in built.elements
