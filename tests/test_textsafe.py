"""Control characters: the one sanitiser, and every renderer and console that goes through it.

Property tests: whatever text a model, a register or a reviewer holds, no output dicetm writes for a terminal,
a Markdown or HTML reader, a spreadsheet or a log carries a control character as it is.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicetm.cli_common import SafeConsole
from dicetm.gate import Policy, check
from dicetm.model import AnalysisResult, System
from dicetm.report import render_csv, render_html, render_json, render_markdown
from dicetm.report.sarif import render_gate_sarif, render_threats_sarif
from dicetm.textsafe import UNSAFE_CLASS, escape, json_text, lines, one_line, unsafe_character
from gate.builders import Verified, chatbot, fresh

UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")
NASTY = "\x1b[2J\x1b]8;;http://evil\x07\r\x08\x00\x7f\x9b31m\u202e\u2066\u2028\n\t"
# Mostly ordinary text with the characters that matter mixed in, and now and then any character at all.
hostile_text = st.one_of(
    st.text(st.sampled_from(list("ab <>|`[]()#*_\\\"'=+-@") + list(NASTY)), max_size=40),
    st.text(max_size=40),
)


def unsafe_in(text: str, allowed: str = "") -> list[str]:
    return [char for char in UNSAFE.findall(text) if char not in allowed]


@given(st.text())
def test_escape_leaves_no_unsafe_character(text: str) -> None:
    assert unsafe_in(escape(text)) == []
    assert unsafe_in(one_line(text)) == []
    assert "\n" not in one_line(text)


@given(st.text())
def test_lines_keeps_only_line_breaks_and_tabs(text: str) -> None:
    assert unsafe_in(lines(text), "\n\t") == []
    assert lines(text).count("\n") == text.count("\n")


@given(st.text(st.characters(exclude_categories=("Cc", "Cf", "Zl", "Zp"))))
def test_safe_text_is_unchanged(text: str) -> None:
    assert escape(text) == text and unsafe_character(text) is None


@given(st.text())
def test_every_unsafe_character_shows_as_an_escape(text: str) -> None:
    shown = escape(text)
    for char in set(UNSAFE.findall(text)):
        code = ord(char)
        assert (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}") in shown


@given(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=4))
def test_json_text_keeps_the_data_and_drops_raw_controls(data: dict[str, str]) -> None:
    text = json_text(json.dumps(data, indent=2, ensure_ascii=False))
    assert json.loads(text) == data
    assert unsafe_in(text, "\n") == []


def test_unsafe_character_is_named() -> None:
    assert unsafe_character("Eve\nFAIL") == "U+000A LINE FEED"
    assert unsafe_character("a\x1b[2J") == "U+001B ESCAPE"
    assert unsafe_character("x\u202ey") == "U+202E RIGHT-TO-LEFT OVERRIDE"
    assert unsafe_character("Zoë Ωmega 😀") is None


def test_the_console_shows_escapes_instead_of_running_them() -> None:
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, highlight=False, soft_wrap=True, force_terminal=False)
    console.print("name: a\x1b[2Jb\u202ec\rd", markup=False)
    assert buffer.getvalue() == "name: a\\x1b[2Jb\\u202ec\\x0dd\n"


def _poisoned(values: list[str]) -> tuple[System, AnalysisResult]:
    """The chatbot example with hostile text in names, descriptions, threat texts and decisions."""
    system = chatbot().system.model_copy(deep=True)
    result = fresh().model_copy(deep=True)
    pick = iter(values * 20)
    system.name = next(pick)
    system.description = next(pick)
    for element in system.elements[:4]:
        element.name, element.description = next(pick), next(pick)
    system.flows[0].data = next(pick)
    system.trust_boundaries[0].name = next(pick)
    for threat in result.threats[:4]:
        threat.title, threat.scenario = next(pick), next(pick)
        threat.status, threat.reviewer, threat.review_reason = "needs-info", next(pick), next(pick)
    result.threats[4].status, result.threats[4].reviewer = "rejected", next(pick)
    result.countermeasures[0].name, result.countermeasures[0].owner = next(pick), next(pick)
    result.countermeasures[0].evidence = next(pick)
    result.system_name = system.name
    return system, result


def _outputs(system: System, result: AnalysisResult) -> dict[str, tuple[str, str]]:
    """Each output and the characters it may keep (line breaks are layout in these formats)."""
    loaded = chatbot()
    gate = check(result, None, Verified(), Policy(block_unreviewed_at_or_above=None), date(2026, 6, 1))
    return {
        "markdown": (render_markdown(result, system), "\n"),
        "html": (render_html(result, system, None), "\n\t"),
        "csv": (render_csv(result), "\n"),
        "json": (render_json(result), "\n"),
        "sarif threats": (render_threats_sarif(result, loaded), "\n"),
        "sarif gate": (render_gate_sarif(gate, loaded), "\n"),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile_text, min_size=1, max_size=6))
def test_no_report_carries_a_control_character(values: list[str]) -> None:
    system, result = _poisoned([*values, NASTY])
    for name, (text, allowed) in _outputs(system, result).items():
        assert unsafe_in(text, allowed) == [], name


def test_every_report_escapes_the_same_poisoned_model() -> None:
    system, result = _poisoned([NASTY, "Eve\nFAIL T-LLM-004@hosted-llm [block-unreviewed] forged"])
    outputs: dict[str, Any] = _outputs(system, result)
    assert "\\\\x1b\\[2J" in outputs["markdown"][0]  # the escape, with Markdown's own escaping of \\ and [
    assert "\\x1b[2J" in outputs["html"][0]
    assert "\\x1b[2J" in outputs["csv"][0]
    assert "\\u001b[2J" in outputs["json"][0]
    assert not any(line.startswith("FAIL") for line in outputs["markdown"][0].splitlines())
