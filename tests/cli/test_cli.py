"""The command line: exit codes, what goes to stdout and stderr, and what is (not) written to disk.

Most cases run in-process through typer's CliRunner; the ``test_program_*`` tests start the real program
as a child process to prove that the entry points and exit codes work outside the test harness.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer.main
import yaml

from dicetm import __version__
from dicetm.catalog import load_catalog
from dicetm.cli import app
from dicetm.explain import catalog_rows
from dicetm.rules.registry import all_rules

from .helpers import (
    CONSOLE_SCRIPT,
    EXAMPLES,
    EXAMPLES_DIR,
    OUTPUTS,
    Outcome,
    invoke,
    position,
    run,
    run_module,
    snapshot,
)

CHATBOT = EXAMPLES_DIR / "support-chatbot"
COMMANDS = ("validate", "analyze", "report", "schema", "init", "review", "decide", "diff", "import", "export", "check",
            "scan", "describe", "propose", "serve", "catalog", "audit", "iteration", "evidence")
CATALOG_COMMANDS = ("info", "import-atlas", "reset-atlas", "check", "list", "show")

MALFORMED_YAML = """\
name: Broken
elements:
  - id: a
    name: A
   kind: process
"""

# Five mistakes of four sorts. Each expected problem: field path, (line text, value on it, which such line),
# and words in the message or hint.
MISTAKES = """\
name: Broken support bot
elements:
  - id: visitor
    name: Visitor
    kind: external_entity
  - id: chatbot
    name: Chat backend
    kind: procss
    exposure: internett
  - id: model
    name: Hosted model
    kind: spaceship
  - id: visitor
    name: Second visitor
    kind: external_entity
flows:
  - id: ask
    source: visitor
    target: chatbott
    data: questions
"""
EXPECTED_PROBLEMS = [
    ("elements[1].kind", ("kind: procss", "procss", 1), "did you mean 'process'?"),
    ("elements[1].exposure", ("exposure: internett", "internett", 1), "did you mean 'internet'?"),
    ("elements[2].kind", ("kind: spaceship", "spaceship", 1), "allowed: external_entity, process"),
    ("elements[3].id", ("- id: visitor", "visitor", 2), "duplicate id 'visitor'"),
    ("flows[0].target", ("target: chatbott", "chatbott", 1), "did you mean 'chatbot'?"),
]


def write_model(folder: Path, text: str, name: str = "dicetm.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def table_ids(stdout: str) -> list[str]:
    """The first cell of every row of a rich table (continuation lines of a wrapped row are skipped)."""
    ids = []
    for line in stdout.splitlines():
        cells = re.split(r"[│┃|]", line)
        if len(cells) > 2 and cells[0] == "" and cells[1].strip():
            ids.append(cells[1].strip())
    assert ids[:1] == ["id"], "the table has a header row"
    return ids[1:]


def result_json(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    return data


def assert_usage_error(outcome: Outcome, *words: str) -> None:
    assert outcome.code == 2, outcome
    assert outcome.stdout == ""
    for word in words:
        assert word in outcome.stderr


@pytest.fixture(scope="module")
def chatbot_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The support-chatbot example analysed once (grouped); tests compare against these files, never edit them."""
    folder = tmp_path_factory.mktemp("chatbot") / "out"
    outcome = invoke("analyze", CHATBOT, "--out", folder)
    assert outcome.code == 0, outcome
    return folder


# ------------------------------------------------------------------------------------ the real program


def test_program_prints_version(tmp_path: Path) -> None:
    outcome = run_module("--version", cwd=tmp_path)
    assert outcome == Outcome(0, f"dicetm {__version__}\n", "")


def test_program_console_script_help_lists_every_command(tmp_path: Path) -> None:
    if not CONSOLE_SCRIPT.is_file():
        pytest.skip(f"no dicetm console script at {CONSOLE_SCRIPT}")
    outcome = run([str(CONSOLE_SCRIPT)], "--help", cwd=tmp_path)
    assert outcome.code == 0, outcome
    for name in COMMANDS:
        assert re.search(rf"^\W*{name}\s", outcome.stdout, re.MULTILINE), name


def test_program_analyzes_an_example(tmp_path: Path) -> None:
    outcome = run_module("analyze", CHATBOT, "--out", "out", cwd=tmp_path)
    assert outcome.code == 0, outcome
    assert outcome.stderr == ""
    for name in OUTPUTS:
        assert (tmp_path / "out" / name).stat().st_size > 0
        assert f"wrote {Path('out') / name}" in outcome.stdout
    assert "threats: " in outcome.stdout


def test_program_rejects_an_invalid_model_with_exit_2(tmp_path: Path) -> None:
    model = write_model(tmp_path / "broken", MISTAKES)
    outcome = run_module("analyze", model, "--out", tmp_path / "out", cwd=tmp_path)
    assert_usage_error(outcome, "5 problems found", "did you mean 'chatbot'?")
    assert not (tmp_path / "out").exists()


def test_program_exits_2_on_a_bad_option_value(tmp_path: Path) -> None:
    outcome = run_module("analyze", CHATBOT, "--detail", "most", "--out", "out", cwd=tmp_path)
    assert outcome.code == 2, outcome
    assert "--detail" in outcome.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------ version and help


def test_version() -> None:
    assert invoke("--version") == Outcome(0, f"dicetm {__version__}\n", "")


def test_the_command_tree_is_the_documented_one() -> None:
    root: Any = typer.main.get_command(app)
    assert tuple(root.commands) == COMMANDS
    assert tuple(root.commands["catalog"].commands) == CATALOG_COMMANDS


def test_help_lists_every_command() -> None:
    outcome = invoke("--help")
    assert outcome.code == 0, outcome
    assert "Usage: dicetm" in outcome.stdout
    for name in COMMANDS:
        assert re.search(rf"^\W*{name}\s+\w", outcome.stdout, re.MULTILINE), name
    catalog = invoke("catalog", "--help")
    for name in CATALOG_COMMANDS:
        assert re.search(rf"^\W*{name}\s+\w", catalog.stdout, re.MULTILINE), name


@pytest.mark.parametrize("path", [(), ("catalog",)], ids=["dicetm", "catalog"])
def test_no_command_shows_help_and_exits_2(path: tuple[str, ...]) -> None:
    outcome = invoke(*path)
    assert outcome.code == 2
    assert f"Usage: {' '.join(['dicetm', *path])} " in outcome.stdout + outcome.stderr


@pytest.mark.parametrize("path", [*((c,) for c in COMMANDS), *(("catalog", c) for c in CATALOG_COMMANDS)],
                         ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    outcome = invoke(*path, "--help")
    assert outcome.code == 0, outcome
    assert f"Usage: dicetm {' '.join(path)}" in outcome.stdout


def test_unknown_command_exits_2() -> None:
    outcome = invoke("analyse-everything")
    assert outcome.code == 2
    assert "analyse-everything" in outcome.stderr


# ------------------------------------------------------------------------------------ validate


@pytest.mark.parametrize("name", EXAMPLES)
def test_validate_accepts_each_example(name: str) -> None:
    outcome = invoke("validate", EXAMPLES_DIR / name)
    assert outcome.code == 0, outcome
    assert outcome.stderr == ""
    assert re.search(r"dicetm\.yaml: valid \(\d+ elements, \d+ flows, \d+ trust boundaries\)", outcome.stdout)


def test_validate_takes_the_file_itself() -> None:
    assert invoke("validate", CHATBOT / "dicetm.yaml").code == 0


def test_validate_reports_malformed_yaml_with_its_location(tmp_path: Path) -> None:
    model = write_model(tmp_path, MALFORMED_YAML)
    outcome = invoke("validate", tmp_path)
    assert_usage_error(outcome, "1 problem found", "YAML syntax error", "hint:")
    assert f"{model}:{position(MALFORMED_YAML, '   kind', 'kind')}:" in outcome.stderr


def test_validate_reports_every_mistake_with_location_and_hint(tmp_path: Path) -> None:
    model = write_model(tmp_path, MISTAKES)
    outcome = invoke("validate", model)
    assert_usage_error(outcome, f"{len(EXPECTED_PROBLEMS)} problems found")
    lines = outcome.stderr.splitlines()
    located = [line for line in lines if line.startswith(f"  {model}:")]
    assert len(located) == len(EXPECTED_PROBLEMS)
    for (field, where, words), line in zip(EXPECTED_PROBLEMS, located, strict=True):
        assert line.startswith(f"  {model}:{position(MISTAKES, *where)} {field}: "), line
        problem_and_hint = "\n".join(lines[lines.index(line):lines.index(line) + 2])
        assert words in problem_and_hint, problem_and_hint


def test_validate_shows_values_that_look_like_markup_verbatim(tmp_path: Path) -> None:
    """User values are quoted in messages; rich must not read them as markup (it crashed on '[/oops]')."""
    write_model(tmp_path, "name: x\nelements:\n  - {id: a, name: A, kind: '[/oops]'}\n"
                          "  - {id: b, name: B, kind: '[red]proc'}\n")
    outcome = invoke("validate", tmp_path)
    assert_usage_error(outcome, "'[/oops]' is not a valid value", "'[red]proc' is not a valid value")


def test_file_and_system_names_with_brackets_are_printed_as_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "[prod]"
    write_model(folder, "name: '[/x] evil [bold]bot'\nelements:\n  - {id: a, name: A, kind: process}\n")
    validated = invoke("validate", folder)
    assert validated.code == 0, validated
    assert f"{folder / 'dicetm.yaml'}: valid" in validated.stdout
    analysed = invoke("analyze", folder, "--out", tmp_path / "out")
    assert analysed.code == 0, analysed
    assert "[/x] evil [bold]bot: threat model" in analysed.stdout


@pytest.mark.parametrize("command", ["validate", "analyze", "report"])
def test_a_missing_path_exits_2(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "dicetm.yaml"
    outcome = invoke(command, missing)
    assert_usage_error(outcome, f"{missing}: no such file or folder", "hint:")


@pytest.mark.parametrize("command", ["validate", "analyze", "report"])
def test_a_folder_without_a_model_exits_2(command: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a model\n", encoding="utf-8")
    outcome = invoke(command, tmp_path)
    assert_usage_error(outcome, f"{tmp_path}: the folder holds no dicetm.yaml", "dicetm init")
    assert snapshot(tmp_path) == {"notes.txt": b"not a model\n"}


# ------------------------------------------------------------------------------------ analyze


def test_analyze_writes_the_four_outputs_and_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = invoke("analyze", CHATBOT, "--out", out)
    assert outcome.code == 0, outcome
    assert outcome.stderr == ""
    assert sorted(snapshot(out)) == sorted(OUTPUTS)
    for name in OUTPUTS:
        assert f"wrote {out / name}" in outcome.stdout
    result = result_json(out)
    evaluation = result["evaluation"]
    for level in ("critical", "high", "medium", "low"):
        count = evaluation["by_risk"].get(level, 0)
        assert re.search(rf"\b{level}\W+{count}\b", outcome.stdout), level
    assert sum(evaluation["by_risk"].values()) == evaluation["threats_total"] == len(result["threats"])
    assert f"threats: {evaluation['threats_total']} (from {result['raw_findings']} raw findings)" in outcome.stdout
    assert f"uncovered: {len(evaluation['uncovered'])}" in outcome.stdout
    assert f"open questions: {len(result['open_questions'])}" in outcome.stdout
    assert evaluation["uncovered"] and result["open_questions"]  # the example leaves work to do


def test_analyze_ends_with_the_next_step_to_take(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outcome = invoke("analyze", CHATBOT, "--out", out)
    assert outcome.code == 0, outcome
    last = outcome.stdout.strip().splitlines()[-1]
    waiting = re.search(r"review: (\d+) unreviewed, (\d+) stale, (\d+) needs-info", outcome.stdout)
    assert waiting is not None
    count = sum(int(n) for n in waiting.groups())
    assert last == (f"next: read {out / 'report.html'}; {count} threats wait for a person's decision: "
                    f"dicetm review {CHATBOT} (terminal) or dicetm serve {CHATBOT} (browser)")


def test_analyze_with_nothing_to_decide_points_at_the_gate(tmp_path: Path) -> None:
    model = tmp_path / "dicetm.yaml"
    model.write_text("name: Static page\nelements:\n  - {id: page, name: Page, kind: external_entity}\n",
                     encoding="utf-8")
    outcome = invoke("analyze", model, "--out", tmp_path / "out")
    assert outcome.code == 0, outcome
    assert outcome.stdout.strip().splitlines()[-1] == (
        f"next: read {tmp_path / 'out' / 'report.html'}; then dicetm check {model} (the policy gate) and "
        f"dicetm iteration new {model} to record it")


def test_describe_counts_the_drafts_to_confirm_as_the_analysis_will(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "design.md").write_text(
        "# Claims helper\n\n```mermaid\nflowchart LR\n  User((Customer)) -->|question| Api[Claims API]\n"
        "  Api -->|prompt| Llm[Hosted LLM]\n  Api -->|read| Db[(Claims DB)]\n```\n", encoding="utf-8")
    model = tmp_path / "tm" / "dicetm.yaml"
    outcome = invoke("describe", docs, "--out", model, "--no-llm")
    assert outcome.code == 0, outcome
    written = yaml.safe_load(model.read_text(encoding="utf-8"))
    drafted = sum(len(written.get(section) or []) for section in ("elements", "flows", "trust_boundaries"))
    assert drafted > 0
    assert f"to confirm: {drafted} drafted item(s); until you add 'draft: false'" in outcome.stdout
    assert "add 'draft: false'" in model.read_text(encoding="utf-8").split("version:", 1)[0]  # the file's header
    analysed = invoke("analyze", model, "--out", tmp_path / "out")
    assert analysed.code == 0, analysed
    questions = result_json(tmp_path / "out")["open_questions"]
    assert sum(1 for q in questions if q["id"].startswith("Q-DRAFT@")) == drafted


def test_describe_out_a_new_folder_makes_the_folder(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "design.md").write_text("# Helper\n\n```mermaid\nflowchart LR\n  U((User)) -->|question| A[Chat API]\n"
                                    "  A -->|prompt| L[Hosted LLM]\n```\n", encoding="utf-8")
    outcome = invoke("describe", docs, "--out", tmp_path / "claims-tm", "--no-llm")
    assert outcome.code == 0, outcome
    folder = tmp_path / "claims-tm"
    assert folder.is_dir() and (folder / "dicetm.yaml").is_file()
    assert (folder / "dicetm-register.yaml").is_file() and not (tmp_path / "dicetm-register.yaml").exists()
    assert f"next: review the drafts in {folder / 'dicetm.yaml'}, then dicetm analyze {folder}" in outcome.stdout
    named = invoke("describe", docs, "--out", tmp_path / "other" / "model.yaml", "--no-llm")
    assert named.code == 0, named
    assert (tmp_path / "other" / "model.yaml").is_file()  # a file name with its suffix stays a file


def test_help_texts_are_not_cut_where_the_source_lines_end() -> None:
    """A help paragraph flows to the terminal's width; the line breaks of the docstring do not show."""
    listing = invoke("--help").stdout
    assert "draft one from an MCP client" in " ".join(listing.split())  # not "from │ │ an MCP client"
    lines = invoke("decide", "--help").stdout.splitlines()
    cut = [line for line in lines if line.rstrip().endswith("a second, different")]
    assert not cut, cut


def test_analyze_of_an_invalid_model_creates_no_output_folder(tmp_path: Path) -> None:
    write_model(tmp_path / "model", MISTAKES)
    outcome = invoke("analyze", tmp_path / "model", "--out", tmp_path / "out")
    assert_usage_error(outcome, "nothing was written")
    assert not (tmp_path / "out").exists()


def test_analyze_of_an_invalid_model_leaves_earlier_outputs_alone(tmp_path: Path, chatbot_out: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUTS:
        (out / name).write_bytes((chatbot_out / name).read_bytes())
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    write_model(tmp_path / "model", MALFORMED_YAML)
    assert invoke("analyze", tmp_path / "model", "--out", out).code == 2
    assert snapshot(out) == before


def test_analyze_twice_gives_byte_identical_outputs(tmp_path: Path, chatbot_out: Path) -> None:
    first = snapshot(chatbot_out)
    assert invoke("analyze", CHATBOT, "--out", tmp_path / "again").code == 0
    assert snapshot(tmp_path / "again") == first
    assert invoke("analyze", CHATBOT, "--out", tmp_path / "again").code == 0
    assert snapshot(tmp_path / "again") == first


def test_analyze_detail_full_shows_every_raw_finding(tmp_path: Path, chatbot_out: Path) -> None:
    assert invoke("analyze", CHATBOT, "--out", tmp_path / "full", "--detail", "full").code == 0
    grouped, full = result_json(chatbot_out), result_json(tmp_path / "full")
    assert len(full["threats"]) >= len(grouped["threats"])
    assert len(full["threats"]) == full["evaluation"]["threats_total"] == full["raw_findings"]
    assert full["raw_findings"] == grouped["raw_findings"]
    # Every raw finding is a grouped threat, a member of a group or folded into a more specific one.
    behind_grouped = {t["id"] for t in grouped["threats"]}
    for threat in grouped["threats"]:
        behind_grouped.update(threat.get("members") or [], threat.get("folded") or [])
    assert {t["id"] for t in full["threats"]} == behind_grouped


def test_analyze_into_a_file_exits_2(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder\n", encoding="utf-8")
    outcome = invoke("analyze", CHATBOT, "--out", taken)
    assert_usage_error(outcome, f"cannot write {taken}", "hint:")
    assert taken.read_text(encoding="utf-8") == "a file, not a folder\n"


# ------------------------------------------------------------------------------------ report

FORMATS = {"md": "report.md", "html": "report.html", "json": "result.json", "csv": "threats.csv"}


def _check_format(fmt: str, text: str) -> None:
    if fmt == "json":
        assert json.loads(text)["system_name"] == "Support chatbot"
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
    elif fmt == "html":
        assert text.lstrip().lower().startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    else:
        assert text.startswith("# ")


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_to_stdout_matches_the_analyze_output(fmt: str, chatbot_out: Path) -> None:
    outcome = invoke("report", CHATBOT, "--format", fmt)
    assert outcome.code == 0, outcome
    assert outcome.stderr == ""
    _check_format(fmt, outcome.stdout)
    assert outcome.stdout == (chatbot_out / FORMATS[fmt]).read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_to_a_file(fmt: str, tmp_path: Path, chatbot_out: Path) -> None:
    target = tmp_path / "sub" / f"report.{fmt}"
    outcome = invoke("report", CHATBOT, "-f", fmt, "-o", target)
    assert outcome.code == 0, outcome
    assert outcome.stdout == f"wrote {target}\n"
    assert target.read_bytes() == (chatbot_out / FORMATS[fmt]).read_bytes()


def test_report_defaults_to_markdown(chatbot_out: Path) -> None:
    assert invoke("report", CHATBOT).stdout == (chatbot_out / "report.md").read_text(encoding="utf-8")


def test_report_rejects_an_unknown_format(tmp_path: Path) -> None:
    outcome = invoke("report", CHATBOT, "--format", "docx", "-o", tmp_path / "r.docx")
    assert outcome.code == 2
    assert "--format" in outcome.stderr
    assert not (tmp_path / "r.docx").exists()


def test_report_onto_a_folder_exits_2(tmp_path: Path) -> None:
    outcome = invoke("report", CHATBOT, "-o", tmp_path)
    assert_usage_error(outcome, f"cannot write {tmp_path}", "hint:")
    assert snapshot(tmp_path) == {}


def test_report_of_an_invalid_model_writes_nothing(tmp_path: Path) -> None:
    write_model(tmp_path / "model", MISTAKES)
    outcome = invoke("report", tmp_path / "model", "-o", tmp_path / "out" / "report.md")
    assert_usage_error(outcome, "nothing was written")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------ init


def test_init_writes_a_skeleton_that_validates_and_analyses(tmp_path: Path) -> None:
    folder = tmp_path / "new-system"
    outcome = invoke("init", folder)
    assert outcome.code == 0, outcome
    assert f"wrote {folder / 'dicetm.yaml'}" in outcome.stdout
    assert "dicetm analyze" in outcome.stdout
    assert invoke("validate", folder).code == 0
    analysed = invoke("analyze", folder, "--out", folder / "out")
    assert analysed.code == 0, analysed
    assert sorted(snapshot(folder / "out")) == sorted(OUTPUTS)


@pytest.mark.parametrize("name", EXAMPLES)
def test_init_from_each_example(name: str, tmp_path: Path) -> None:
    outcome = invoke("init", tmp_path, "--example", name)
    assert outcome.code == 0, outcome
    assert (tmp_path / "dicetm.yaml").read_bytes() == (EXAMPLES_DIR / name / "dicetm.yaml").read_bytes()
    assert invoke("validate", tmp_path).code == 0


@pytest.mark.parametrize("existing", ["dicetm.yaml", "dicetm.yml"])
def test_init_never_overwrites_a_model(existing: str, tmp_path: Path) -> None:
    write_model(tmp_path, "name: mine, hand-written\n", existing)
    before = snapshot(tmp_path)
    for extra in ([], ["--example", "support-chatbot"]):
        outcome = invoke("init", tmp_path, *extra)
        assert_usage_error(outcome, "already exists", "nothing was written")
        assert snapshot(tmp_path) == before


def test_init_with_an_unknown_example_exits_2_with_the_choices(tmp_path: Path) -> None:
    outcome = invoke("init", tmp_path / "new", "--example", "support-chatbt")
    assert_usage_error(outcome, "unknown example 'support-chatbt'", *EXAMPLES)
    assert not (tmp_path / "new").exists()


def test_init_where_a_file_blocks_the_folder_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x\n", encoding="utf-8")
    outcome = invoke("init", blocker)
    assert_usage_error(outcome, "cannot write", "hint:")
    assert snapshot(tmp_path) == {"taken": b"x\n"}


# ------------------------------------------------------------------------------------ catalog


def test_catalog_list_shows_everything() -> None:
    outcome = invoke("catalog", "list")
    assert outcome.code == 0, outcome
    assert table_ids(outcome.stdout) == [row[0] for row in catalog_rows()]


@pytest.mark.parametrize("namespace", ["rules", "controls", *load_catalog().namespaces()])
def test_catalog_list_one_namespace(namespace: str) -> None:
    outcome = invoke("catalog", "list", namespace)
    assert outcome.code == 0, outcome
    ids = table_ids(outcome.stdout)
    assert ids and ids == [row[0] for row in catalog_rows(namespace)]


def test_catalog_list_atlas_has_every_tactic_technique_and_mitigation() -> None:
    ids = table_ids(invoke("catalog", "list", "atlas").stdout)
    kinds = {"tactic": r"atlas:AML\.TA\d{4}", "technique": r"atlas:AML\.T\d{4}(\.\d{3})?",
             "mitigation": r"atlas:AML\.M\d{4}"}
    counts = {kind: sum(1 for i in ids if re.fullmatch(pattern, i)) for kind, pattern in kinds.items()}
    assert counts == {"tactic": 16, "technique": 170, "mitigation": 35}  # MITRE ATLAS 5.6.0
    assert len(ids) == len(set(ids)) == 221


def test_catalog_list_rules_lists_the_registered_rules() -> None:
    outcome = invoke("catalog", "list", "rules")
    assert table_ids(outcome.stdout) == [rule.meta.id for rule in all_rules()]
    assert all(re.fullmatch(r"T-[A-Z]+-\d{3}", i) for i in table_ids(outcome.stdout))
    assert "atlas:" not in outcome.stdout


def test_catalog_list_unknown_namespace_exits_2_with_the_choices() -> None:
    outcome = invoke("catalog", "list", "nonsense")
    assert_usage_error(outcome, "unknown namespace 'nonsense'", "hint: one of: rules, controls", "atlas", "cwe")
    assert "nothing was written" not in outcome.stderr


def _rule_title(rule_id: str) -> str:
    return next(rule.meta.title for rule in all_rules() if rule.meta.id == rule_id)


SHOW = [
    ("T-LLM-001", "T-LLM-001", None),
    ("T-LLM-001@hosted-llm", "T-LLM-001", None),
    ("C-INP-001", "C-INP-001", None),
    ("LLM01", "owasp-llm:LLM01:2025", "Prompt Injection"),
    ("LLM01:2025", "owasp-llm:LLM01:2025", "Prompt Injection"),
    ("owasp-llm:LLM01:2025", "owasp-llm:LLM01:2025", "Prompt Injection"),
    ("AML.T0051.000", "atlas:AML.T0051.000", "Direct"),
    ("AML.M0015", "atlas:AML.M0015", "Adversarial Input Detection"),
    ("CWE-1427", "cwe:CWE-1427", "Improper Neutralization of Input Used for LLM Prompting"),
    ("stride:S", "stride:S", "Spoofing"),
    ("nist-800-53:SI-10", "nist-800-53:SI-10", "Information Input Validation"),
]


@pytest.mark.parametrize(("item_id", "canonical", "name"), SHOW, ids=[s[0] for s in SHOW])
def test_catalog_show(item_id: str, canonical: str, name: str | None) -> None:
    if name is None:  # our own rules and controls: the name comes from the catalogue, not from this test
        control = load_catalog().controls.get(canonical)
        name = control.name if control else _rule_title(canonical)
    outcome = invoke("catalog", "show", item_id)
    assert outcome.code == 0, outcome
    assert outcome.stderr == ""
    assert outcome.stdout.startswith(f"{canonical}  ")
    assert name in outcome.stdout


def test_catalog_show_a_finding_id_explains_its_rule() -> None:
    assert invoke("catalog", "show", "T-LLM-001@hosted-llm") == invoke("catalog", "show", "T-LLM-001")


@pytest.mark.parametrize(("item_id", "suggestion"), [("C-INP-01", "C-INP-001"),
                                                     ("AML.T0051.00", "atlas:AML.T0051.000"),
                                                     ("CWE-14277", "cwe:CWE-1427")])
def test_catalog_show_unknown_id_suggests_close_ones(item_id: str, suggestion: str) -> None:
    outcome = invoke("catalog", "show", item_id)
    assert_usage_error(outcome, f"unknown id '{item_id}'", "did you mean", suggestion)


def test_catalog_show_without_anything_close_points_to_the_list() -> None:
    assert_usage_error(invoke("catalog", "show", "[/zzz]"), "unknown id '[/zzz]'", "dicetm catalog list")


# ------------------------------------------------------------------------------------ schema


def _schema(*args: str) -> dict[str, Any]:
    outcome = invoke("schema", *args)
    assert outcome.code == 0, outcome
    data: dict[str, Any] = json.loads(outcome.stdout)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def test_schema_defaults_to_the_model() -> None:
    assert _schema() == _schema("model")


def test_schema_result_differs_from_the_model() -> None:
    assert _schema("result") != _schema("model")


def test_schema_model_accepts_the_examples_and_rejects_a_bad_kind() -> None:
    validator = jsonschema.Draft202012Validator(_schema("model"))
    for name in EXAMPLES:
        validator.validate(yaml.safe_load((EXAMPLES_DIR / name / "dicetm.yaml").read_text(encoding="utf-8")))
    errors = list(validator.iter_errors(yaml.safe_load(MISTAKES)))
    assert any("spaceship" in error.message for error in errors)


def test_schema_result_accepts_a_result(chatbot_out: Path) -> None:
    jsonschema.Draft202012Validator(_schema("result")).validate(result_json(chatbot_out))


def test_schema_unknown_exits_2() -> None:
    assert_usage_error(invoke("schema", "nonsense"), "unknown schema 'nonsense'", "'model' or 'result'")
