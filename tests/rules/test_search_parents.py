"""The one breadth-first search the rules share (``System.search_parents``): what it reaches, from where, in which
direction, and where it stops."""

from __future__ import annotations

from dicetm.model import Kind

from .helpers import system_of

CHAIN = system_of([
    {"id": "a", "name": "A", "kind": "external_entity"},
    {"id": "b", "name": "B", "kind": "process"},
    {"id": "c", "name": "C", "kind": "data_store"},
    {"id": "d", "name": "D", "kind": "process"},
], [("a", "b", False), ("b", "c", False), ("c", "d", False)])


def test_each_reached_element_names_the_one_it_was_reached_from() -> None:
    assert CHAIN.search_parents(["a"]) == {"a": "a", "b": "a", "c": "b", "d": "c"}
    assert CHAIN.reachable_from({"b"}) == {"b", "c", "d"}


def test_backward_follows_flows_against_their_direction() -> None:
    assert CHAIN.search_parents(["d"], backward=True) == {"d": "d", "c": "d", "b": "c", "a": "b"}


def test_expand_records_an_element_but_goes_on_only_through_accepted_kinds() -> None:
    reached = CHAIN.search_parents(["a"], expand=lambda e: e.kind is Kind.process)
    assert reached == {"a": "a", "b": "a", "c": "b"}  # the store is reached, not searched on from
