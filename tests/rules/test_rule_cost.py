"""Rules stay linear in the size of the model: what a rule works out about the whole system is worked out once
per analysis, not once per element (a per-model recomputation made 20,000 elements take 2.5x as long as 10,000)."""

from __future__ import annotations

import pytest

from dicetm.model import Element, Flow, Kind, System
from dicetm.rules import llm_injection


def _public_chats(count: int) -> System:
    """``count`` web chats on the internet, each with its own model answering visitors through it."""
    elements: list[Element] = []
    flows: list[Flow] = []
    for i in range(count):
        elements += [Element(id=f"visitor{i}", name=f"Visitor {i}", kind=Kind.external_entity),
                     Element(id=f"site{i}", name=f"Web chat {i}", kind=Kind.process, exposure="internet"),
                     Element(id=f"bot{i}", name=f"Chat model {i}", kind=Kind.llm)]
        flows += [Flow(id=f"f{i}-{a}-{b}", source=f"{a}{i}", target=f"{b}{i}")
                  for a, b in (("visitor", "site"), ("site", "bot"), ("bot", "site"), ("site", "visitor"))]
    return System(name="many public chats", elements=elements, flows=flows)


def test_direct_injection_works_out_who_converses_once_per_system(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = llm_injection._converses_with_people

    def counted(system: System) -> set[str]:
        calls.append(1)
        return original(system)

    monkeypatch.setattr(llm_injection, "_converses_with_people", counted)
    hits = list(llm_injection.direct_prompt_injection(_public_chats(12)))
    assert len(hits) == 12 and all("atlas:AML.T0048.001" in hit.references for hit in hits)
    assert len(calls) == 1
