"""Loading the model file: every mistake is reported at once, with line, column, field path and hint."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path
from textwrap import dedent

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicetm.errors import InputError, Problem
from dicetm.model import Element, Flow, Kind, System, TrustBoundary
from dicetm.store.modelfile import (
    LoadedModel,
    format_path,
    load_system,
    parse_system_text,
    resolve_model_path,
)
from dicetm.store.modelreader import _Loader

VALID = """\
name: Support bot
description: Answers customer questions from the product docs.
elements:
  - id: user
    name: Customer
    kind: external_entity
  - id: api
    name: Chat API
    kind: process
    exposure: internet
    authenticated: true
  - id: bot
    name: Assistant
    kind: llm
    output_rendered_as: [markdown]
  - id: search
    name: Search tool
    kind: tool
    permissions: [read]
    acts_on: kb
  - id: kb
    name: Knowledge base
    kind: vector_store
flows:
  - id: ask
    source: user
    target: api
  - id: prompt
    source: api
    target: bot
    bidirectional: true
  - id: lookup
    source: search
    target: kb
trust_boundaries:
  - id: internet
    name: Internet
    elements: [user]
  - id: dc
    name: Data centre
    elements: [api, bot, search]
  - id: data
    name: Data zone
    parent: dc
    elements: [kb, search]
assets:
  - id: docs
    name: Product docs
    classification: internal
    stored_in: [kb]
assumptions:
  - id: sso
    text: Staff sign in through SSO.
    elements: [api]
countermeasures:
  - control: C-OUT-005
    status: planned
    due: 2025-01-31
    threats: [T-LLM-001@bot]
residual_risks:
  - threat: T-LLM-002@api@prompt
    owner: Jane Doe
    decision: accept
"""
CONTROLS = {"C-OUT-005", "C-AGT-003", "C-INP-001"}


def problems_of(text: str, known_controls: set[str] | None = None) -> list[Problem]:
    with pytest.raises(InputError) as info:
        parse_system_text(dedent(text), "m.yaml", known_controls)
    return info.value.problems


def one_problem(text: str, known_controls: set[str] | None = None) -> Problem:
    problems = problems_of(text, known_controls)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def at(problem: Problem) -> tuple[int | None, int | None, str | None]:
    return problem.location.line, problem.location.column, problem.location.path


def elements_yaml(*extra: str) -> str:
    """A minimal model: two elements, then any extra top-level lines."""
    head = """\
    name: x
    elements:
      - id: api
        name: API
        kind: process
      - id: bot
        name: Bot
        kind: llm
    """
    return dedent(head) + "".join(dedent(part) for part in extra)


# ------------------------------------------------------------------------------------- valid models


def test_valid_model_loads_with_typed_values() -> None:
    loaded = parse_system_text(VALID, "m.yaml", CONTROLS)
    system = loaded.system
    assert isinstance(loaded, LoadedModel)
    assert loaded.path == Path("m.yaml")
    assert [e.id for e in system.elements] == ["user", "api", "bot", "search", "kb"]
    assert system.element_by_id["api"].authenticated is True
    assert system.element_by_id["kb"].kind is Kind.vector_store
    assert system.flow_by_id["prompt"].bidirectional is True
    assert system.countermeasures[0].due == "2025-01-31"  # a YAML date stays text
    assert system.residual_risks[0].owner == "Jane Doe"


def test_location_map_points_at_values_and_walks_up_for_unknown_paths() -> None:
    loaded = parse_system_text(VALID, "m.yaml")
    assert loaded.locations[("elements", 2, "kind")] == (14, 11)
    assert loaded.locations[("elements", 3, "permissions", 0)] == (19, 19)
    assert loaded.locations[()] == (1, 1)
    kind = loaded.location(("elements", 2, "kind"))
    assert (kind.file, kind.line, kind.column, kind.path) == ("m.yaml", 14, 11, "elements[2].kind")
    # A field that is not written in the file falls back to its element.
    unset = loaded.location(["elements", 2, "exposure"])
    assert (unset.line, unset.column, unset.path) == (12, 5, "elements[2].exposure")
    assert loaded.location(("nothing", 9)).line == 1
    assert str(kind) == "m.yaml:14:11 elements[2].kind"


def at_location(loaded: LoadedModel, item_id: str) -> tuple[int | None, int | None, str | None]:
    location = loaded.location_of_id(item_id)
    return location.line, location.column, location.path


def test_location_of_id_finds_elements_flows_and_boundaries() -> None:
    loaded = parse_system_text(VALID, "m.yaml")
    assert at_location(loaded, "bot") == (12, 5, "elements[2]")
    assert at_location(loaded, "prompt") == (28, 5, "flows[1]")
    assert at_location(loaded, "data") == (42, 5, "trust_boundaries[2]")
    assert loaded.location_of_id("nope").line == 1


def test_format_path() -> None:
    assert format_path(("elements", 2, "kind")) == "elements[2].kind"
    assert format_path(("trust_boundaries", 0, "elements", 3)) == "trust_boundaries[0].elements[3]"
    assert format_path(()) == ""


def test_keys_that_yaml_reads_as_booleans_stay_names() -> None:
    problem = one_problem("name: x\non: 1\n")
    assert problem.message == "unknown field 'on' at the top level"
    assert at(problem) == (2, 1, "on")


def test_anchors_and_merge_keys_are_supported() -> None:
    text = elements_yaml("""\
    flows:
      - &secure {id: f1, source: api, target: bot, encrypted: true, authenticated: true}
      - <<: *secure
        id: f2
        authenticated: false
    """)
    system = parse_system_text(text, "m.yaml").system
    assert system.flow_by_id["f2"].encrypted is True
    assert system.flow_by_id["f2"].authenticated is False  # the mapping's own key wins over the merge
    assert system.flow_by_id["f2"].source == "api"


def test_a_merged_value_is_reported_where_it_is_written() -> None:
    text = elements_yaml("""\
    flows:
      - &base {id: f1, source: api, target: bot, encrypted: maybe}
      - <<: *base
        id: f2
    """)
    problems = problems_of(text)
    assert [(p.message, at(p)) for p in problems] == [
        ("flows[0] (id f1).encrypted must be true or false, but it is 'maybe'", (10, 57, "flows[0].encrypted")),
        ("flows[1] (id f2).encrypted must be true or false, but it is 'maybe'", (10, 57, "flows[1].encrypted")),
    ]


def test_an_unknown_field_from_a_merge_is_reported_at_its_key() -> None:
    text = elements_yaml("""\
    flows:
      - &base {id: f1, source: api, target: bot, colour: red}
      - <<: *base
        id: f2
    """)
    problems = problems_of(text)
    assert [(p.message, at(p)) for p in problems] == [
        ("unknown field 'colour' in flows[0] (id f1)", (10, 46, "flows[0].colour")),
        ("unknown field 'colour' in flows[1] (id f2)", (10, 46, "flows[1].colour")),
    ]


# -------------------------------------------------------------------------------------------- YAML


def test_yaml_syntax_error_is_one_located_problem() -> None:
    problem = one_problem("name: x\nelements: [api, bot\nflows: []\n")
    assert problem.message.startswith("YAML syntax error: did not find expected ',' or ']'")
    assert "while parsing a flow sequence at line 2" in problem.message
    assert at(problem)[:2] == (3, 6)
    assert problem.hint == "close the list with ']' or separate its items with ','"


def test_tab_indentation_gets_a_tab_hint() -> None:
    problem = one_problem("name: x\nelements:\n\t- id: a\n")
    assert problem.message.startswith("YAML syntax error:")
    assert at(problem)[:2] == (3, 1)
    assert problem.hint == "indent with spaces; YAML does not allow tabs for indentation"


def test_unquoted_colon_in_value() -> None:
    problem = one_problem("name: x\ndescription: note: this breaks\n")
    assert problem.message == "YAML syntax error: mapping values are not allowed in this context"
    assert at(problem)[:2] == (2, 18)
    assert problem.hint == "quote a value that contains ': ', or fix the indentation"


def test_second_document_is_rejected() -> None:
    problem = one_problem("name: x\n---\nname: y\n")
    assert problem.message == (
        "YAML syntax error: expected a single document in the stream, but found another document (see line 1)"
    )
    assert at(problem)[:2] == (2, 1)
    assert problem.hint == "the model file holds one document; remove the second '---'"


def test_duplicate_keys_are_located_at_the_second_key() -> None:
    text = """\
    name: x
    elements:
      - id: api
        name: API
        kind: process
        name: Gateway
    """
    problem = one_problem(text)
    assert problem.message == "duplicate key 'name' in elements[0] (id api); the first one is on line 4"
    assert at(problem) == (6, 5, "elements[0].name")
    assert problem.hint == "YAML keeps only one of them; remove or rename the other"


def test_duplicate_top_level_key() -> None:
    problem = one_problem("name: x\nflows: []\nname: y\n")
    assert problem.message == "duplicate key 'name' at the top level; the first one is on line 1"
    assert at(problem) == (3, 1, "name")


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    problem = one_problem(text)
    assert problem.message == "the model file is empty"
    assert at(problem) == (1, 1, None)
    assert problem.hint == "start with `name: <system name>` and a list of `elements:`"


@pytest.mark.parametrize(
    ("text", "shown"), [("- a\n- b\n", "a list"), ("hello\n", "'hello'"), ("42\n", "the number 42")]
)
def test_top_level_must_be_a_mapping(text: str, shown: str) -> None:
    problem = one_problem(text)
    assert problem.message == f"the top level must be a mapping of fields, but it is {shown}"
    assert at(problem) == (1, 1, None)
    assert problem.hint == "start with `name: <system name>`, then `elements:`, `flows:` and so on"


def test_python_tags_are_refused_not_run() -> None:
    problem = one_problem("name: x\ndescription: !!python/object/apply:os.system ['touch /tmp/pwned']\n")
    assert problem.message == "unsupported YAML tag '!!python/object/apply:os.system' at description"
    assert at(problem) == (2, 14, "description")
    assert problem.hint == PLAIN_YAML_ONLY


PLAIN_YAML_ONLY = "the model file uses plain YAML only: text, numbers, true/false, lists and mappings"


def test_local_tags_and_sets_are_refused() -> None:
    problems = problems_of("name: x\ndescription: !secret abc\nversion: !!set {1, 2}\n")
    assert [(p.message, at(p)) for p in problems] == [
        ("unsupported YAML tag '!secret' at description", (2, 14, "description")),
        ("unsupported YAML tag '!!set' at version", (3, 10, "version")),
    ]


def test_bad_explicit_scalar_tag() -> None:
    problem = one_problem("name: x\nversion: !!int one\n")
    assert problem.message == "'one' at version cannot be read as int"
    assert at(problem) == (2, 10, "version")


def test_alias_loop_is_reported() -> None:
    problem = one_problem("name: x\nelements: &all [*all]\n")
    assert problem.message == "the alias at elements[0] refers to a node that contains it"
    assert at(problem) == (2, 11, "elements[0]")


def test_billion_laughs_is_refused_at_once() -> None:
    # Ten to the ninth strings if expanded; aliases share one built value, and their uses are counted.
    anchors = ["  - &a0 [x, x, x, x, x, x, x, x, x, x]"]
    anchors += [f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    problem = one_problem("name: x\nelements:\n" + "\n".join(anchors) + "\n")
    assert problem.message.startswith("the model file expands to more than 2,000,000 values")
    assert problem.location.path is not None and problem.location.path.startswith("elements[")
    assert problem.hint is not None and "DICETM_MAX_MODEL_VALUES" in problem.hint


def test_not_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "dicetm.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    with pytest.raises(InputError) as info:
        load_system(path)
    (problem,) = info.value.problems
    assert problem.message == "the model file is not UTF-8 text (byte 0xe9 cannot be decoded)"
    assert at(problem) == (2, 17, None)
    assert problem.location.file == str(path)
    assert problem.hint == "save the file as UTF-8"


def test_control_character_is_located() -> None:
    problem = one_problem("name: x\ndescription: bad \x07 bell\n")
    assert problem.message == "the file contains a character YAML does not allow (0x0007)"
    assert at(problem) == (2, 18, None)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "dicetm.yaml"
    path.write_bytes("\ufeffname: x\n".encode())
    assert load_system(path).system.name == "x"


# ------------------------------------------------------------------------------------------ schema


def test_misspelt_field_suggests_the_right_one() -> None:
    text = """\
    name: x
    elements:
      - id: api
        name: API
        kind: process
        exposre: internet
    """
    problem = one_problem(text)
    assert problem.message == "unknown field 'exposre' in elements[0] (id api)"
    assert at(problem) == (6, 5, "elements[0].exposre")
    assert problem.hint == "did you mean 'exposure'?"


def test_unknown_field_without_a_close_match_lists_the_fields() -> None:
    problems = problems_of("name: x\nflows:\n  - {id: f, source: a, target: a, colour: red}\n")
    # The flow's other mistakes are reported in the same run (its ends name no element).
    assert [p.location.path for p in problems] == ["flows[0].source", "flows[0].target", "flows[0].colour"]
    problem = problems[2]
    assert problem.message == "unknown field 'colour' in flows[0] (id f)"
    assert at(problem) == (3, 35, "flows[0].colour")
    assert problem.hint == (
        "allowed fields: authenticated, bidirectional, classification, data, encrypted, id, protocol, provenance, "
        "source, source_data, target, token_passthrough"
    )


def test_a_located_problem_names_the_list_item_by_its_id_or_else_its_name() -> None:
    """With 40 elements, `elements[6]` alone sends a person counting: the message names the item too."""
    lines = ["name: x", "elements:"]
    lines += [f"  - {{id: e{n}, name: E{n}, kind: process}}" for n in range(40)]
    lines[2 + 6] = "  - {id: crm-db, name: CRM, kind: databse}"
    lines[2 + 7] = "  - {name: Billing API, kind: process, colour: red}"
    lines += ["flows:", "  - {id: sync, source: crm-db, target: e99}"]
    problems = problems_of("\n".join(lines) + "\n")
    assert [(p.message, at(p)) for p in problems] == [
        ("'databse' is not a valid value for elements[6] (id crm-db).kind", (9, 35, "elements[6].kind")),
        ("elements[7] (name 'Billing API') is missing the required field 'id'", (10, 5, "elements[7]")),
        ("unknown field 'colour' in elements[7] (name 'Billing API')", (10, 40, "elements[7].colour")),
        ("flows[0] (id sync).target names element 'e99', which does not exist", (44, 40, "flows[0].target")),
    ]
    assert str(problems[0]).startswith("m.yaml:9:35 elements[6].kind: 'databse' is not a valid value for "
                                       "elements[6] (id crm-db).kind")


def test_misspelt_enum_value_suggests_the_right_one() -> None:
    text = """\
    name: x
    elements:
      - id: kb
        name: KB
        kind: vectorstore
    """
    problem = one_problem(text)
    assert problem.message == "'vectorstore' is not a valid value for elements[0] (id kb).kind"
    assert at(problem) == (5, 11, "elements[0].kind")
    assert problem.hint is not None
    assert problem.hint.startswith("did you mean 'vector_store'? allowed: external_entity, process, ")
    assert problem.hint.endswith("guardrail, log_store, mcp_server, registry, agent_config")


def test_enum_inside_a_list() -> None:
    text = elements_yaml().replace("kind: llm", "kind: llm\n    output_rendered_as: [html, sqll]")
    problem = one_problem(text)
    assert problem.message == "'sqll' is not a valid value for elements[1] (id bot).output_rendered_as[1]"
    assert at(problem) == (9, 32, "elements[1].output_rendered_as[1]")
    assert problem.hint == "did you mean 'sql'? allowed: text, markdown, html, code, sql, shell"


def test_missing_field_points_at_the_parent_mapping() -> None:
    text = """\
    name: x
    elements:
      - id: api
        name: API
    """
    problem = one_problem(text)
    assert problem.message == "elements[0] (id api) is missing the required field 'kind'"
    assert at(problem) == (3, 5, "elements[0]")
    assert problem.hint is not None
    assert problem.hint.startswith("add `kind: ...` (one of: external_entity, process, data_store, llm,")


def test_missing_system_name() -> None:
    problem = one_problem("description: no name\nelements: []\n")
    assert problem.message == "the model file is missing the required field 'name'"
    assert at(problem) == (1, 1, None)
    assert problem.hint == "add `name: ...`"


def test_yaml_boolean_where_text_is_expected_suggests_quotes() -> None:
    problem = one_problem("name: no\n")
    assert problem.message == "name must be text, but it is the boolean false"
    assert at(problem) == (1, 7, "name")
    assert problem.hint == 'YAML reads no as the boolean false; put it in quotes: "no"'


def test_number_as_id_suggests_quotes() -> None:
    problem = one_problem("name: x\nelements:\n  - {id: 007, name: Bond, kind: process}\n")
    assert problem.message == "elements[0] (name 'Bond').id must be text, but it is the number 7"
    assert at(problem) == (3, 10, "elements[0].id")
    assert problem.hint == 'YAML reads 007 as the number 7; put it in quotes: "007"'


def test_invalid_id_suggests_a_valid_one() -> None:
    problem = one_problem("name: x\nelements:\n  - {id: Chat API, name: Chat, kind: process}\n")
    assert problem.message == "'Chat API' at elements[0] (name 'Chat').id is not a valid id"
    assert at(problem) == (3, 10, "elements[0].id")
    assert problem.hint == (
        "ids use lower-case letters, digits, '.', '_' and '-', and start with a letter or digit, "
        "e.g. 'chat-api'"
    )


def test_empty_list_field_gets_a_hint() -> None:
    problem = one_problem("name: x\nflows:\nelements: []\n")
    assert problem.message == "flows must be a list, but it is empty"
    assert at(problem) == (2, 7, "flows")
    assert problem.hint == "write [] for an empty list, or remove the field"


def test_list_entry_that_is_not_a_mapping() -> None:
    problem = one_problem("name: x\nelements:\n  - api\n")
    assert problem.message == "elements[0] must be a mapping of fields, but it is 'api'"
    assert at(problem) == (3, 5, "elements[0]")
    assert problem.hint == "each entry is a mapping of `field: value` lines, e.g. `- id: api`"


def test_bad_boolean_and_empty_name() -> None:
    problems = problems_of("name: x\nelements:\n  - {id: a, name: '', kind: process, rate_limited: maybe}\n")
    assert [(p.message, at(p), p.hint) for p in problems] == [
        ("elements[0] (id a).name is empty", (3, 19, "elements[0].name"),
         "write some text, or remove the field if optional"),
        ("elements[0] (id a).rate_limited must be true or false, but it is 'maybe'",
         (3, 52, "elements[0].rate_limited"), "write true or false (unknown facts are simply left out)"),
    ]


def test_version_must_be_a_whole_number() -> None:
    problem = one_problem("name: x\nversion: 1.5\n")
    assert problem.message == "version must be a whole number, but it is the number 1.5"
    assert at(problem) == (2, 10, "version")


# ----------------------------------------------------------------------------------------- meaning


SHARED_IDS = "ids are shared by elements, flows, trust boundaries, assets and assumptions; rename one"


def test_duplicate_ids_share_one_namespace() -> None:
    text = elements_yaml("""\
    flows:
      - {id: api, source: api, target: bot}
    trust_boundaries:
      - {id: bot, name: B, elements: [bot]}
    """)
    problems = problems_of(text)
    assert [(p.message, at(p)) for p in problems] == [
        ("duplicate id 'api' at flows[0].id; elements[0] (name 'API') on line 3 already uses it",
         (10, 10, "flows[0].id")),
        ("duplicate id 'bot' at trust_boundaries[0] (name 'B').id; elements[1] (name 'Bot') on line 6 already "
         "uses it",
         (12, 10, "trust_boundaries[0].id")),
    ]
    assert problems[0].hint == SHARED_IDS


def test_duplicate_is_the_later_one_in_the_file_whatever_the_section_order() -> None:
    text = """\
    name: x
    flows:
      - {id: f, source: a, target: b}
    elements:
      - {id: a, name: A, kind: process}
      - {id: b, name: B, kind: process}
      - {id: f, name: F, kind: process}
    """
    problem = one_problem(text)
    assert problem.message == "duplicate id 'f' at elements[2] (name 'F').id; flows[0] on line 3 already uses it"
    assert at(problem) == (7, 10, "elements[2].id")


def test_flow_to_a_misspelt_element_suggests_the_right_id() -> None:
    problem = one_problem(elements_yaml("flows:\n  - {id: f, source: api, target: bto}\n"))
    assert problem.message == "flows[0] (id f).target names element 'bto', which does not exist"
    assert at(problem) == (10, 34, "flows[0].target")
    assert problem.hint == "did you mean 'bot'?"


def test_flow_to_an_unknown_element_without_a_close_match() -> None:
    problem = one_problem(elements_yaml("flows:\n  - {id: f, source: zzzz, target: bot}\n"))
    assert problem.message == "flows[0] (id f).source names element 'zzzz', which does not exist"
    assert at(problem) == (10, 21, "flows[0].source")
    assert problem.hint == "declare it under elements, or fix the id"


def test_flow_to_a_boundary_says_what_the_id_is() -> None:
    text = elements_yaml("""\
    flows:
      - {id: f, source: api, target: zone}
    trust_boundaries:
      - {id: zone, name: Z, elements: [bot]}
    """)
    problem = one_problem(text)
    assert problem.message == "flows[0] (id f).target names 'zone', which is a trust boundary, not an element"
    assert at(problem) == (10, 34, "flows[0].target")
    assert problem.hint == "refer to an element id here"


def test_self_loop_flow() -> None:
    problem = one_problem(elements_yaml("flows:\n  - {id: f, source: bot, target: bot}\n"))
    assert problem.message == "flows[0] (id f) starts and ends at 'bot'"
    assert at(problem) == (10, 34, "flows[0].target")
    assert problem.hint == (
        "a flow connects two different elements; describe work inside one element with its facts instead"
    )


def test_boundary_naming_a_missing_element() -> None:
    problem = one_problem(elements_yaml("trust_boundaries:\n  - {id: z, name: Z, elements: [api, bott]}\n"))
    assert problem.message == "trust_boundaries[0] (id z).elements[1] names element 'bott', which does not exist"
    assert at(problem) == (10, 38, "trust_boundaries[0].elements[1]")
    assert problem.hint == "did you mean 'bot'?"


def test_element_in_two_unrelated_boundaries() -> None:
    text = elements_yaml("""\
    trust_boundaries:
      - id: a
        name: A
        elements: [api, bot]
      - id: b
        name: B
        elements: [bot]
    """)
    problem = one_problem(text)
    assert problem.message == (
        "element 'bot' is in trust boundaries 'a' (line 12) and 'b', which are not nested"
    )
    assert at(problem) == (15, 16, "trust_boundaries[1].elements[0]")
    assert problem.hint == ("an element sits in one zone; if 'b' is inside 'a', set `parent: a` on it, "
                            "otherwise remove one entry")


def test_element_in_nested_boundaries_is_fine() -> None:
    text = elements_yaml("""\
    trust_boundaries:
      - {id: inner, name: Inner, parent: outer, elements: [bot]}
      - {id: outer, name: Outer, elements: [api, bot]}
      - {id: core, name: Core, parent: inner, elements: [bot]}
    """)
    boundaries = parse_system_text(text, "m.yaml").system.trust_boundaries
    assert [b.id for b in boundaries] == ["inner", "outer", "core"]


def test_element_listed_twice_in_one_boundary() -> None:
    problem = one_problem(elements_yaml("trust_boundaries:\n  - id: z\n    name: Z\n    elements:\n"
                                        "      - api\n      - api\n"))
    assert problem.message == "trust boundary 'z' lists 'api' twice (first on line 13)"
    assert at(problem) == (14, 9, "trust_boundaries[0].elements[1]")


def test_boundary_parent_missing_and_cyclic() -> None:
    text = elements_yaml("""\
    trust_boundaries:
      - {id: a, name: A, parent: b}
      - {id: b, name: B, parent: a}
      - {id: c, name: C, parent: dcc}
      - {id: d, name: D, parent: d}
      - {id: e, name: E, parent: api}
    """)
    problems = problems_of(text)
    assert [(p.message, at(p), p.hint) for p in problems] == [
        ("trust boundary parents form a loop: a -> b -> a", (10, 30, "trust_boundaries[0].parent"),
         "a boundary cannot (indirectly) contain itself; remove one `parent`"),
        ("trust_boundaries[2] (id c).parent names trust boundary 'dcc', which does not exist", (12, 30,
         "trust_boundaries[2].parent"), "declare it under trust_boundaries, or fix the id"),
        ("trust boundary parents form a loop: d -> d", (13, 30, "trust_boundaries[3].parent"),
         "a boundary cannot (indirectly) contain itself; remove one `parent`"),
        ("trust_boundaries[4] (id e).parent names 'api', which is an element, not a trust boundary", (14, 30,
         "trust_boundaries[4].parent"), "refer to a trust boundary id here"),
    ]


def test_tool_facts_on_a_non_tool_and_a_missing_target() -> None:
    text = """\
    name: x
    elements:
      - id: search
        name: Search
        kind: tool
        acts_on: kbb
      - id: kb
        name: KB
        kind: vector_store
        permissions: [read]
    """
    problems = problems_of(text)
    assert [(p.message, at(p), p.hint) for p in problems] == [
        ("elements[0] (id search).acts_on names element 'kbb', which does not exist", (6, 14, "elements[0].acts_on"),
         "did you mean 'kb'?"),
        ("elements[1] (id kb).permissions is set, but 'kb' has kind 'vector_store'; permissions only applies to: "
         "agent, mcp_server, process, tool", (10, 18, "elements[1].permissions"),
         "change the kind if it is one of those, or remove `permissions`"),
    ]


def test_assets_and_assumptions_name_existing_elements() -> None:
    text = elements_yaml("""\
    assets:
      - {id: pii, name: PII, stored_in: [api, db]}
    assumptions:
      - {id: a1, text: Trusted, elements: [boot]}
    """)
    problems = problems_of(text)
    assert [(p.message, at(p), p.hint) for p in problems] == [
        ("assets[0] (id pii).stored_in[1] names element 'db', which does not exist",
         (10, 43, "assets[0].stored_in[1]"), "declare it under elements, or fix the id"),
        ("assumptions[0] (id a1).elements[0] names element 'boot', which does not exist",
         (12, 40, "assumptions[0].elements[0]"), "did you mean 'bot'?"),
    ]


def test_unknown_control_suggests_a_catalogue_id() -> None:
    text = elements_yaml("countermeasures:\n  - {control: C-OUT-05, status: planned}\n")
    problem = one_problem(text, CONTROLS)
    assert problem.message == (
        "countermeasures[0].control names control 'C-OUT-05', which is not in the catalogue"
    )
    assert at(problem) == (10, 15, "countermeasures[0].control")
    assert problem.hint == "did you mean 'C-OUT-005'?"
    # Without a catalogue, control ids are not checked.
    assert parse_system_text(text, "m.yaml").system.countermeasures[0].control == "C-OUT-05"


def test_residual_risk_threat_ids() -> None:
    text = elements_yaml("""\
    flows:
      - {id: main, source: api, target: bot}
    residual_risks:
      - threat: T-LLM-001@bot
      - threat: T-LLM-001@bto
      - threat: T-LLM-001@api@mian
      - threat: prompt injection
      - threat: T-LLM-001@bot
    """)
    problems = problems_of(text)
    assert [(p.message, at(p), p.hint) for p in problems] == [
        ("residual_risks[1].threat names element 'bto', which does not exist",
         (13, 13, "residual_risks[1].threat"), "did you mean 'bot'?"),
        ("residual_risks[2].threat names flow 'mian', which does not exist",
         (14, 13, "residual_risks[2].threat"), "did you mean 'main'?"),
        ("residual_risks[3].threat is 'prompt injection', which is not a threat id", (15, 13,
         "residual_risks[3].threat"), "threat ids look like RULE@element or RULE@element@flow, e.g. "
         "T-LLM-001@chatbot; copy them from the analysis output"),
        ("a second residual-risk decision for 'T-LLM-001@bot' (the first is on line 12)", (16, 13,
         "residual_risks[4].threat"), "keep one decision per threat"),
    ]


def test_countermeasure_threat_ids_are_checked_too() -> None:
    text = elements_yaml("countermeasures:\n  - {control: C-OUT-005, status: planned, threats: [T-X-001@no]}")
    problem = one_problem(text, CONTROLS)
    assert problem.message == "countermeasures[0].threats[0] names element 'no', which does not exist"
    assert at(problem) == (10, 53, "countermeasures[0].threats[0]")


# ---------------------------------------------------------------------------------- all at once


def test_several_mistakes_are_reported_together_in_file_order() -> None:
    text = """\
    name: Shop assistant
    elements:
      - id: web
        name: Web shop
        kind: process
        exposre: internet
      - id: kb
        name: Catalogue
        kind: vectorstore
      - id: bot
        name: Assistant
        kind: llm
        name: Helper
    flows:
      - id: f1
        source: wbe
        target: bot
      - id: kb
        source: bot
        target: kb
    residual_risks:
      - threat: not-an-id
    """
    problems = problems_of(text)
    assert [(p.location.line, p.location.path, p.hint) for p in problems] == [
        (6, "elements[0].exposre", "did you mean 'exposure'?"),
        (9, "elements[1].kind", problems[1].hint),
        (13, "elements[2].name", "YAML keeps only one of them; remove or rename the other"),
        (16, "flows[0].source", "did you mean 'web'?"),
        (18, "flows[1].id", SHARED_IDS),
        (22, "residual_risks[0].threat", problems[5].hint),
    ]
    assert problems[1].hint is not None and problems[1].hint.startswith("did you mean 'vector_store'?")
    # The element with the bad kind still counts as declared: the flow to it is not reported as well.
    assert not any("'kb', which does not exist" in p.message for p in problems)
    error_text = str(InputError(problems))
    assert "m.yaml:6:5 elements[0].exposre: unknown field 'exposre' in elements[0]" in error_text


def test_problems_carry_file_line_column_and_path() -> None:
    for problem in problems_of(VALID.replace("kind: llm", "kind: lm").replace("source: user", "source: usr")):
        assert problem.location.file == "m.yaml"
        assert problem.location.line is not None and problem.location.column is not None
        assert problem.location.path
        assert problem.hint


# ------------------------------------------------------------------------------------- model path


def test_resolve_model_path(tmp_path: Path) -> None:
    model = tmp_path / "dicetm.yaml"
    model.write_text("name: x\n")
    assert resolve_model_path(model) == model
    assert resolve_model_path(tmp_path) == model
    assert load_system(tmp_path).path == model
    other = tmp_path / "other"
    other.mkdir()
    (other / "dicetm.yml").write_text("name: y\n")
    assert resolve_model_path(other) == other / "dicetm.yml"


def test_resolve_model_path_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        resolve_model_path(tmp_path)
    assert info.value.problems[0].message == "the folder holds no dicetm.yaml"
    assert info.value.problems[0].hint == "pass the model file itself, or create one with `dicetm init`"
    with pytest.raises(InputError) as info:
        resolve_model_path(tmp_path / "missing.yaml")
    assert info.value.problems[0].message == "no such file or folder"
    assert info.value.problems[0].location.file == str(tmp_path / "missing.yaml")
    (tmp_path / "dicetm.yaml").write_text("name: x\n")
    (tmp_path / "dicetm.yml").write_text("name: x\n")
    with pytest.raises(InputError) as info:
        resolve_model_path(tmp_path)
    assert info.value.problems[0].message == "the folder holds both dicetm.yaml and dicetm.yml"


def test_load_system_reports_the_real_file_name(tmp_path: Path) -> None:
    path = tmp_path / "dicetm.yaml"
    path.write_text("name: x\nelements:\n  - {id: a, name: A, kind: agnet}\n")
    with pytest.raises(InputError) as info:
        load_system(tmp_path)
    (problem,) = info.value.problems
    assert (problem.location.file, problem.location.line, problem.location.column) == (str(path), 3, 28)
    assert problem.hint is not None and problem.hint.startswith("did you mean 'agent'?")


# -------------------------------------------------------------------------------------- larger input


def test_a_large_model_loads_and_locates_a_late_mistake() -> None:
    lines = ["name: big", "elements:"]
    for i in range(2000):
        lines += [f"  - id: e{i}", f"    name: E{i}", "    kind: process"]
    lines.append("flows:")
    for i in range(2000):
        lines.append(f"  - {{id: f{i}, source: e{i}, target: e{(i + 1) % 2000}}}")
    good = "\n".join(lines) + "\n"
    assert len(parse_system_text(good, "m.yaml").system.flows) == 2000
    bad = good.replace("target: e0}", "target: e19999}")
    problem = one_problem(bad)
    assert problem.message == "flows[1999] (id f1999).target names element 'e19999', which does not exist"
    assert at(problem) == (8003, 40, "flows[1999].target")
    assert problem.hint == "did you mean 'e1999'?"


# -------------------------------------------------------------------------------------- properties

YAMLISH = st.lists(
    st.sampled_from([
        *"abc:-[]{}&*!|>#'\"\n\t ,.?%@`~=019", "name", "elements", "id", "kind", "<<", "&a", "*a",
        "!!python/object", "- ", "  ", "\n  ", "flows", "source", "target", "llm", "yes", "null",
    ]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), YAMLISH))
def test_any_text_loads_or_raises_input_error(text: str) -> None:
    try:
        loaded = parse_system_text(text, "f.yaml")
    except InputError as exc:
        assert exc.problems
        assert all(p.message and p.location.file == "f.yaml" for p in exc.problems)
    else:
        assert isinstance(loaded.system, System)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_any_bytes_load_or_raise_input_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dicetm.yaml"
        path.write_bytes(data)
        try:
            load_system(path)
        except InputError as exc:
            assert all(p.location.file == str(path) for p in exc.problems)


IDS = st.sampled_from(["a", "b", "c", "zone", "f", "T-LLM-001@a", "A b", ""])
FIELD_NAMES = sorted({*Element.model_fields, *Flow.model_fields, *TrustBoundary.model_fields, "exposre"})
LEAF = st.one_of(IDS, st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([k.value for k in Kind]))
ITEM = st.dictionaries(st.sampled_from(FIELD_NAMES), st.one_of(LEAF, st.lists(LEAF, max_size=3)), max_size=6)
SECTIONS = (
    "elements", "flows", "trust_boundaries", "assets", "assumptions", "countermeasures", "residual_risks",
)
MODEL = st.fixed_dictionaries(
    {"name": st.one_of(st.just("m"), LEAF)},
    optional={section: st.lists(ITEM, max_size=4) for section in SECTIONS},
)


@settings(max_examples=300, deadline=None)
@given(MODEL)
def test_model_shaped_data_gives_located_problems(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        parse_system_text(text, "f.yaml", known_controls=["C-OUT-005"])
    except InputError as exc:
        lines = text.count("\n") + 1
        for problem in exc.problems:
            assert problem.location.line is not None and 1 <= problem.location.line <= lines
            assert problem.location.column is not None
        assert [p.location.line for p in exc.problems] == sorted(p.location.line or 0 for p in exc.problems)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=string.printable, max_size=12))
def test_fast_resolver_agrees_with_pyyaml(value: str) -> None:
    stock = yaml.resolver.Resolver()
    fast = _Loader("")
    for plain in (True, False):
        implicit = (plain, not plain)
        expected = stock.resolve(yaml.ScalarNode, value, implicit)
        assert fast.resolve(yaml.ScalarNode, value, implicit) == expected
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert fast.resolve(kind, "", (False, False)) == stock.resolve(kind, "", (False, False))


def test_value_limit_stops_at_the_plain_value_that_crosses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Plain text values are counted as they are read (the common case is read without a call per value).
    monkeypatch.setenv("DICETM_MAX_MODEL_VALUES", "10")
    text = "name: x\nelements:\n  - {id: a, name: A, kind: process}\n  - {id: b, name: B, kind: process}\n"
    problem = one_problem(text)
    assert problem.message.startswith("the model file expands to more than 10 values")
    assert problem.message.endswith("stopped at elements[1] (id b).kind")
    assert at(problem) == (4, 28, "elements[1].kind")
    monkeypatch.setenv("DICETM_MAX_MODEL_VALUES", "11")
    assert [e.id for e in parse_system_text(text, "f.yaml").system.elements] == ["a", "b"]
