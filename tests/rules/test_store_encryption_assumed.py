"""T-STRIDE-007 on a store whose encryption at rest is not stated: the finding assumes none, and like every
other rule that scores an assumed fact, the likelihood is one step lower than when "not encrypted" is stated."""

from __future__ import annotations

import yaml

from dicetm.model import System, Threat
from dicetm.rules.base import build_threat
from dicetm.rules.registry import all_rules

STORES = """
name: Two stores
elements:
  - {id: api, name: Web API, kind: process}
  - {id: said, name: Said DB, kind: data_store, classification: confidential, encrypted_at_rest: false}
  - {id: unsaid, name: Unsaid DB, kind: data_store, classification: confidential}
  - {id: keys, name: Key store, kind: data_store, classification: secret, holds_credentials: true}
flows:
  - {id: a, source: api, target: said, data: records}
  - {id: b, source: api, target: unsaid, data: records}
  - {id: c, source: api, target: keys, data: api keys}
"""


def findings() -> dict[str, Threat]:
    system = System.model_validate(yaml.safe_load(STORES))
    [rule] = [r for r in all_rules() if r.meta.id == "T-STRIDE-007"]
    return {hit.element: build_threat(rule.meta, hit, system, "test") for hit in rule.evaluate(system)}


def test_an_unstated_encryption_lowers_the_likelihood_one_step_and_says_why() -> None:
    found = findings()
    said, unsaid, keys = found["said"], found["unsaid"], found["keys"]
    assert said.likelihood == 2 and not [f for f in said.factors if f.target == "likelihood"]
    assert unsaid.likelihood == said.likelihood - 1
    assert [(f.target, f.delta, f.fact) for f in unsaid.factors] == [
        ("likelihood", -1, "unsaid.encrypted_at_rest=unset")]
    assert "assumed" in unsaid.factors[0].note
    assert any("encrypted at rest is not stated" in a for a in unsaid.assumptions)
    # a credential store with a classification: the same step, next to its impact factor
    assert keys.likelihood == 1 and keys.impact == 4
    assert ("likelihood", -1, "keys.encrypted_at_rest=unset") in [(f.target, f.delta, f.fact) for f in keys.factors]
