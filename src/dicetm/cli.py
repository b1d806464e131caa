"""Command-line interface: parse, call the library, render, choose the exit code.

Exit codes: 0 ok, 1 policy gate failed, 2 bad usage or invalid input, 3 unexpected error (a bug; the message
says where to report it), 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dicetm import __version__
from dicetm.cli_assist import register_commands as register_assist_commands
from dicetm.cli_catalog_admin import register as register_catalog_admin
from dicetm.cli_catalog_check import register as register_catalog_check
from dicetm.cli_common import REPORT_KINDS, Detail, ForceOpt, emit, err, guard_output, model_file, out
from dicetm.cli_common import fail as _fail
from dicetm.cli_common import write_failed as _write_failed
from dicetm.cli_export import register_commands as register_export_commands
from dicetm.cli_gate import register_commands as register_gate_commands
from dicetm.cli_import import import_model
from dicetm.cli_iterations import register_commands as register_iteration_commands
from dicetm.cli_review import register_commands as register_review_commands
from dicetm.cli_web import register_commands as register_web_commands
from dicetm.errors import DicetmError, Location, Problem
from dicetm.textsafe import one_line

app = typer.Typer(
    name="dicetm",
    help="Threat modeling for AI systems: Describe, Identify, Countermeasures, Evaluate. Offline by default.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish and PowerShell
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Explain rules, controls, OWASP, ATLAS, CWE and framework ids.",
                          no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
register_catalog_admin(catalog_app)
register_catalog_check(catalog_app)


RISK_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "green"}




class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"
    csv = "csv"
    pdf = "pdf"


class Edition(StrEnum):
    e2025 = "2025"
    e2026 = "2026"


EditionOption = Annotated[Edition | None, typer.Option(
    "--owasp-edition", help="Which OWASP Top 10 for LLM Applications edition leads (listed first); threats carry "
    "both. Default: DICETM_OWASP_LLM_EDITION, else owasp_llm_edition in dicetm-config.yaml, else 2025.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"dicetm {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """dicetm: threat modeling for AI systems."""


@app.command()
def validate(path: Annotated[Path, typer.Argument(help="dicetm.yaml, or a folder holding one.")]) -> None:
    """Check a model file and report every problem with file:line:column, field and hint."""
    from dicetm.api import load

    try:
        loaded = load(path)
    except DicetmError as exc:
        raise _fail(exc) from None
    system = loaded.system
    out.print(f"{escape(str(loaded.path))}: valid ({len(system.elements)} elements, {len(system.flows)} flows, "
              f"{len(system.trust_boundaries)} trust boundaries)")


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help="dicetm.yaml, or a folder holding one.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")] = Path("dicetm-out"),
    detail: Annotated[Detail, typer.Option(help="grouped: the reviewable list; full: every raw finding.")]
    = Detail.grouped,
    force: ForceOpt = False,
    edition: EditionOption = None,
) -> None:
    """Run all four phases offline; write report.md, report.html, result.json and threats.csv.

    An existing file of those names is replaced only by the same kind of report (or with --force).
    """
    from dicetm.api import write_analysis
    from dicetm.report import FORMATS, OUTPUT_NAMES

    model = model_file(path)
    for name, fmt in zip(OUTPUT_NAMES, FORMATS, strict=True):
        guard_output(out_dir / name, REPORT_KINDS[fmt], force, "--out", model)
    try:
        result, paths = write_analysis(path, out_dir, detail.value, edition.value if edition else None)
    except DicetmError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _write_failed(out_dir, exc, "--out must name a folder you can write to") from None
    evaluation = result.evaluation
    table = Table(title=f"{escape(result.system_name)}: threat model", show_header=True)
    table.add_column("risk")
    table.add_column("threats", justify="right")
    for level in ("critical", "high", "medium", "low"):
        table.add_row(f"[{RISK_STYLE[level]}]{level}[/]", str(evaluation.by_risk.get(level, 0)))
    out.print(table)
    out.print(f"threats: {evaluation.threats_total} (from {result.raw_findings} raw findings), "
              f"covered: {evaluation.threats_covered} ({evaluation.coverage_percent}%), "
              f"uncovered: {len(evaluation.uncovered)}")
    out.print(f"open questions: {len(result.open_questions)}; countermeasures suggested: "
              f"{len(result.countermeasures)}; open residual risks: "
              f"{sum(1 for r in evaluation.residual_risks if r.open)}")
    review = evaluation.review
    if review is not None:
        out.print(f"review: {review.unreviewed} unreviewed, {review.stale} stale, {review.needs_info} needs-info, "
                  f"{review.decided} decided; quick accepts flagged: {review.quick_accepts_flagged}")
    for written in paths:
        out.print(f"wrote {written}", markup=False)
    waiting = review.unreviewed + review.stale + review.needs_info if review is not None else 0
    out.print(_next_after_analysis(path, out_dir, waiting), markup=False)


def _next_after_analysis(path: Path, out_dir: Path, waiting: int) -> str:
    """What a person does after reading the report: decide what waits, else run the gate."""
    read = f"next: read {out_dir / 'report.html'}"
    if waiting:
        noun = "threat waits" if waiting == 1 else "threats wait"
        return (f"{read}; {waiting} {noun} for a person's decision: dicetm review {path} (terminal) or "
                f"dicetm serve {path} (browser)")
    return f"{read}; then dicetm check {path} (the policy gate) and dicetm iteration new {path} to record it"


@app.command()
def report(
    path: Annotated[Path, typer.Argument(help="dicetm.yaml, or a folder holding one.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = ReportFormat.md,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]
    = None,
    detail: Annotated[Detail, typer.Option(help="grouped or full.")] = Detail.grouped,
    force: ForceOpt = False,
    edition: EditionOption = None,
) -> None:
    """Analyse and print one report (Markdown, HTML, JSON or CSV) to stdout or a file; PDF (the HTML report
    printed by a headless Chromium) needs --output.

    -o replaces an existing file only when it is a report of the same format, or with --force. Reads the
    workspace and records nothing in it (`dicetm analyze` records new findings).
    """
    from dicetm.api import analyze_path
    from dicetm.report import render

    if fmt is ReportFormat.pdf and output is None:
        raise _fail(DicetmError([Problem("a PDF is written to a file", Location(path="--output"),
                                         "add --output report.pdf")]), writes=False)
    if output is not None:
        guard_output(output, REPORT_KINDS[fmt.value], force, "--output", model_file(path))
    try:
        loaded, result = analyze_path(path, detail.value, edition.value if edition else None, record=False)
        if fmt is ReportFormat.pdf and output is not None:
            from dicetm.report.pdf import write_pdf

            write_pdf(render("html", result, loaded.system), output)
            out.print(f"wrote {output}", markup=False)
            return
    except DicetmError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _write_failed(output or Path("."), exc, "--output must name a file you can write to") from None
    if emit(render(fmt.value, result, loaded.system), output, "--output"):
        out.print(f"wrote {output}", markup=False)


@app.command()
def schema(
    which: Annotated[str, typer.Argument(help="'model' (dicetm.yaml) or 'result' (result.json).")] = "model",
) -> None:
    """Print the JSON Schema of the model file (for editors) or of result.json."""
    from dicetm.schema import result_json_schema, system_json_schema

    if which not in ("model", "result"):
        err.print(f"error: unknown schema {which!r}; use 'model' or 'result'", markup=False)
        raise typer.Exit(2)
    data = system_json_schema() if which == "model" else result_json_schema()
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _examples() -> list[str]:
    root = resources.files("dicetm").joinpath("examples")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the model in.")] = Path("."),
    example: Annotated[str | None, typer.Option(help="Start from a bundled example, e.g. support-chatbot.")]
    = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing dicetm.yaml.")] = False,
) -> None:
    """Create a dicetm.yaml to start from (a commented skeleton, or a bundled example).

    An existing model in the folder is never replaced without --force.
    """
    from dicetm.store.atomic import write_text_atomic
    from dicetm.store.modelfile import MODEL_FILENAMES

    target = directory / "dicetm.yaml"
    for existing in (directory / name for name in MODEL_FILENAMES):
        if (existing.exists() or existing.is_symlink()) and not force:
            err.print(f"error: {existing} already exists; nothing was written (hint: choose another folder, or "
                      "pass --force to replace it)", markup=False)
            raise typer.Exit(2)
    if example is None:
        text = resources.files("dicetm").joinpath("templates", "skeleton.yaml").read_text(encoding="utf-8")
    else:
        names = _examples()
        if example not in names:
            err.print(f"error: unknown example {example!r} (hint: one of {', '.join(names)})", markup=False)
            raise typer.Exit(2)
        text = resources.files("dicetm").joinpath("examples", example, "dicetm.yaml").read_text(encoding="utf-8")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, text)
    except OSError as exc:
        raise _write_failed(target, exc, "pass a folder you can write to") from None
    out.print(f"wrote {target}; next: dicetm analyze {directory} --out {directory / 'dicetm-out'}", markup=False)


@catalog_app.command("list")
def catalog_list(
    namespace: Annotated[str | None, typer.Argument(
        help="rules, controls, or a reference namespace: stride, owasp-llm, owasp-agentic, owasp-asi, atlas, "
             "cwe, nist-800-53, iso27001, iso42001, ...")] = None,
) -> None:
    """List rules, controls and catalogue entries (all namespaces, or one)."""
    from dicetm.explain import catalog_rows

    try:
        rows = catalog_rows(namespace)
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    table = Table(show_header=True)
    for column in ("id", "name", "kind"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    out.print(table)


@catalog_app.command("show")
def catalog_show(item_id: Annotated[str, typer.Argument(help="A rule, control or reference id.")]) -> None:
    """Explain one id: a rule (T-LLM-001), control (C-INP-001), OWASP (LLM01), ATLAS (AML.T0051), CWE..."""
    from dicetm.explain import explain

    try:
        text = explain(item_id)
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    out.print(text, markup=False)


register_review_commands(app)
register_iteration_commands(app)
app.command("import")(import_model)
register_export_commands(app)
register_gate_commands(app)
register_assist_commands(app)
register_web_commands(app)


def _one_line_paragraphs(text: str) -> str:
    """A docstring's paragraphs, each on one line: typer prints a help text's line breaks as they are, so the
    breaks made for the source width would cut sentences in the middle of the terminal."""
    import inspect

    return "\n\n".join(" ".join(part.split()) for part in inspect.cleandoc(text).split("\n\n"))


def _unwrap_help(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        text = command.help or (command.callback.__doc__ if command.callback else None)
        if text:
            command.help = _one_line_paragraphs(text)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _unwrap_help(group.typer_instance)


_unwrap_help(app)


UNEXPECTED = 3  # an error dicetm did not expect: a bug, never "the gate failed" (1) or "bad input" (2)
INTERRUPTED = 130
ISSUES_URL = "https://github.com/dicetm/dicetm/issues"


def main() -> None:
    """Run the CLI; every way out has its own exit code, and an unexpected error says where to report it.

    Files are written atomically and the workspace lock is released on the way out, so an error in the middle
    of a command leaves what was on disk as it was.
    """
    try:
        code = app(standalone_mode=False)
    except (KeyboardInterrupt, EOFError) as exc:
        _interrupted(exc)
    except Exception as exc:  # the one place that turns a bug into its own exit code
        if _is_click(exc, "Abort"):
            _interrupted(exc)
        if _is_click(exc, "ClickException"):  # bad usage: unknown option, missing argument
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        _report_bug(exc)
        sys.exit(UNEXPECTED)
    sys.exit(code if isinstance(code, int) else 0)


def _is_click(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is click's ``name`` exception (click as typer vendors it, or the click package)."""
    return any(cls.__name__ == name and (cls.__module__.split(".")[0] == "click" or "_click" in cls.__module__
                                         or cls.__module__ == "typer.exceptions") for cls in type(exc).__mro__)


def _interrupted(_exc: BaseException) -> None:
    err.print("interrupted; files are written whole or not at all, so nothing was left half-written", markup=False)
    sys.exit(INTERRUPTED)


def _report_bug(exc: BaseException) -> None:
    import os
    import traceback

    err.print(f"error: dicetm stopped on an unexpected error ({type(exc).__name__}: {one_line(str(exc))[:300]}). "
              "This is a bug in dicetm, not a problem with your model. Files are written whole or not at all, so "
              "nothing was left half-written.", markup=False)
    err.print(f"    please report it at {ISSUES_URL} with the command you ran and the lines below "
              "(set DICETM_DEBUG=1 for the full traceback)", markup=False)
    frames = traceback.extract_tb(exc.__traceback__)
    if os.environ.get("DICETM_DEBUG"):
        err.print("".join(traceback.format_exception(exc)), markup=False)
    elif frames:
        last = frames[-1]
        err.print(f"    at {Path(last.filename).name}:{last.lineno} in {last.name}", markup=False)


if __name__ == "__main__":
    main()
