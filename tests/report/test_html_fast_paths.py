"""The HTML and diagram fast paths give exactly what the plain definitions give, for any input."""

from __future__ import annotations

import html
import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from dicetm import textsafe
from dicetm.model import Element, Kind
from dicetm.model.findings import RISK_ORDER
from dicetm.report import common, dfd
from dicetm.report.dfd_model import worst_level
from dicetm.report.views import escape, markup_text

from .conftest import build_threats

# Markup characters, control, bidirectional and other unprintable characters, and printable non-ASCII text.
PIECES = st.sampled_from([*"ab Z&<>\"'-.\t\n\r", "\x1b", "\x7f", "\x85", "\u061c", "\u200e", "\u2028", "\u202e",
                          "\u2066", "\xa0", "\u3000", "\u200b", "—", "→", "é", "\U0001f600"])
TRICKY = st.lists(PIECES, max_size=40).map("".join)
ANY = st.one_of(TRICKY, st.text(max_size=60))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(ANY)
def test_escaping_is_html_escape_of_safe_text(value: str) -> None:
    assert markup_text(value) == html.escape(value)
    assert escape(value) == html.escape(textsafe.lines(value))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(ANY)
def test_diagram_labels_wrap_as_textwrap_does(value: str) -> None:
    wrapped = textwrap.wrap(" ".join(value.split()), dfd.LABEL_WIDTH, break_long_words=True) or [""]
    if len(wrapped) > 3:
        wrapped = [*wrapped[:2], wrapped[2][:dfd.LABEL_WIDTH - 1] + "…"]
    assert dfd._wrapped(value) == wrapped


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), max_size=6))
def test_worst_level_is_the_highest_risk(scores: list[tuple[int, int]]) -> None:
    found = build_threats()[0]
    threats = [found.model_copy(update={"likelihood": likelihood, "impact": impact}) for likelihood, impact in scores]
    expected = max((t.risk for t in threats), key=RISK_ORDER.__getitem__, default=None)
    assert worst_level(threats) == expected


def test_element_facts_lists_every_stated_fact_in_field_order() -> None:
    element = Element(id="a", name="A", kind=Kind.tool, exposure="internet", permissions=["read", "write"],
                      authenticated=False, acts_on="b")
    stated = [f"{name}={common._fact_value(getattr(element, name))}" for name in common.FACT_FIELDS
              if getattr(element, name) not in (None, [])]
    assert common.element_facts(element) == stated
    assert "authenticated=no" in stated and "permissions=read, write" in stated
