"""``dicetm scan``, ``dicetm describe`` and ``dicetm propose``: documents in, drafts and proposals out.

A thin skin over :mod:`dicetm.assist.workflow`. ``scan`` and ``describe`` work offline; with an LLM provider
configured (see the README), ``describe`` also asks the model, and ``propose`` needs one. Nothing a model
returns is accepted: drafts carry ``provenance.draft`` and proposals arrive unreviewed.

Exit codes: scan 0 clean / 1 findings / 2 bad input; describe and propose 0 done / 2 bad input or provider
failure (nothing a person decided is touched).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dicetm.cli_common import err, fail, guard_output, out, write_failed
from dicetm.errors import DicetmError
from dicetm.textsafe import json_text

if TYPE_CHECKING:
    from dicetm.ingest.recovery import Recovery
    from dicetm.model.proposals import RunRecord


class ScanFormat(StrEnum):
    text = "text"
    json = "json"


DocsArg = Annotated[list[Path], typer.Argument(help="Documents or folders: Markdown, text, HTML, PDF, DOCX, "
                                                    "OpenAPI (YAML/JSON), Mermaid, PlantUML, Structurizr DSL, "
                                                    "draw.io, docker-compose, MCP configuration.")]
AllowFlagged = Annotated[bool, typer.Option("--allow-flagged", help="Let spans the scan flagged reach the model "
                                                                    "(default: withheld from every prompt).")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Ask the model again even when a cached answer exists.")]


def scan_command(
    docs: DocsArg,
    fmt: Annotated[ScanFormat, typer.Option("--format", "-f", help="text or json.")] = ScanFormat.text,
) -> None:
    """Scan documents for prompt injection and hidden content, offline. Exit 0 clean, 1 findings, 2 bad input."""
    from dicetm.assist.workflow import scan_paths

    try:
        scanned = scan_paths(docs)
    except DicetmError as exc:
        raise fail(exc, writes=False) from None
    if fmt is ScanFormat.json:
        payload = {
            "documents": [{"file": d.path, "format": d.format, "sha256": d.sha256, "spans": len(d.spans)}
                          for d in scanned.documents],
            "findings": [_finding_data(f) for f in scanned.findings],
            "blocking": len(scanned.blocking), "clean": not scanned.blocking,
        }
        sys.stdout.write(json_text(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n")
    else:
        for finding in scanned.findings:
            out.print(f"{finding.span.where}: {finding.severity} {finding.category} ({finding.rule}): "
                      f"{finding.message}\n    {finding.excerpt}", markup=False)
        verdict = "clean" if not scanned.blocking else f"{len(scanned.blocking)} finding(s) to look at"
        out.print(f"scanned {len(scanned.documents)} document(s): {verdict}"
                  + (f"; {len(scanned.findings) - len(scanned.blocking)} informational" if
                     len(scanned.findings) > len(scanned.blocking) else ""), markup=False)
    if scanned.blocking:
        raise typer.Exit(1)


def _finding_data(finding: Any) -> dict[str, Any]:
    return {"file": finding.file, "line": finding.line, "end_line": finding.end_line, "page": finding.page,
            "category": finding.category, "severity": finding.severity, "rule": finding.rule,
            "message": finding.message, "excerpt": finding.excerpt}


def _model_target(path: Path) -> Path:
    return path / "dicetm.yaml" if path.is_dir() else path


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    """A progress bar on stderr for model calls (silent when stderr is not a terminal)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_runs(runs: list[RunRecord]) -> None:
    for run in runs:
        cost = "unknown (no price configured)" if run.cost_usd is None else f"${run.cost_usd:.4f}"
        out.print(f"{run.command} with {run.provider}/{run.model}: {run.calls} call(s), {run.cache_hits} cached, "
                  f"{run.input_tokens} tokens in, {run.output_tokens} out, cost {cost}; kept {run.kept}, dropped "
                  f"{run.dropped_invented} invented, {run.dropped_unverified} unverified, {run.dropped_invalid} "
                  f"invalid", markup=False)
        for warning in run.warnings:
            err.print(f"warning: {warning}", markup=False)


def describe_command(
    docs: DocsArg,
    output: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (or a folder for dicetm.yaml).")]
    = Path("dicetm.yaml"),
    merge: Annotated[bool, typer.Option("--merge", help="Add the drafted items to the existing --out model; "
                                                        "nothing in it is changed.")] = False,
    name: Annotated[str | None, typer.Option(help="System name (default: the first document's title).")] = None,
    llm: Annotated[bool, typer.Option("--llm/--no-llm", help="Use the configured LLM provider, if any "
                                                             "(--no-llm: offline extractor only).")] = True,
    no_cache: NoCache = False,
    allow_flagged: AllowFlagged = False,
) -> None:
    """Draft dicetm.yaml from architecture documents: scan first, extract offline, then (if configured) ask a
    model. Every drafted item cites the document spans it came from and stays a draft until a person confirms it."""
    from dicetm.assist.workflow import WithProgress, describe_documents, llm_from_config

    target = _model_target(output)
    if not merge and not target.exists():  # an existing --out is refused below, with the --merge hint
        guard_output(target, "model", False, "--out")
    try:
        client = llm_from_config(target.parent, no_cache=no_cache, required=False) if llm else None
        with _progress("drafting with the model") as update:
            outcome = describe_documents(docs, target, merge=merge, name=name,
                                         llm=WithProgress(client, update) if client else None,
                                         allow_flagged=allow_flagged)
    except DicetmError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise write_failed(target, exc, "--out must name a file in a folder you can write to") from None
    scanned = outcome.scanned
    if scanned.blocking:
        err.print(f"scan: {len(scanned.blocking)} finding(s) in the documents; "
                  + ("flagged spans were withheld from the model and the extractor (dicetm scan shows them)"
                     if scanned.withheld else "--allow-flagged: flagged spans were used"), markup=False)
    added = ", ".join(f"{count} {section.replace('_', ' ')}" for section, count in outcome.added.items())
    out.print(f"{'merged into' if merge else 'wrote'} {target}: drafted {added} from {len(scanned.documents)} "
              f"document(s)" + ("" if client else " (offline extractor; no LLM configured)"), markup=False)
    _print_runs(outcome.runs)
    for note in outcome.notes:
        out.print(f"note: {escape(note)}")
    _print_recovery(outcome.recovery, target)
    out.print(f"next: review the drafts in {target}, then dicetm analyze {target.parent}", markup=False)


def _print_recovery(summary: Recovery | None, target: Path) -> None:
    """What the documents gave, the statements that could not be resolved, and where the questions went."""
    if summary is None:
        return
    out.print(f"recovered: {summary.elements} element(s), {summary.flows} flow(s), {summary.facts} fact(s), "
              f"{summary.boundaries} trust boundary(ies)", markup=False)
    if summary.unresolved:
        out.print(f"not resolved: {len(summary.unresolved)} statement(s) looked like flows but name no known "
                  "component at one end:", markup=False)
        for line in summary.unresolved:
            out.print(f"  {line}", markup=False)
    asked = len(summary.questions) + len(summary.disagreements)
    if asked:
        out.print(f"open questions: {asked} written at the end of {target} ({len(summary.disagreements)} where the "
                  "documents disagree)", markup=False)


def propose_command(
    path: Annotated[Path, typer.Argument(help="dicetm.yaml, or a folder holding one.")],
    docs: Annotated[list[Path] | None, typer.Option("--docs", help="Documents to give the model as context "
                                                                   "(scanned first; repeat the option).")] = None,
    threats: Annotated[bool, typer.Option("--threats/--no-threats", help="Propose additional threats and "
                                                                         "controls.")] = True,
    impacts: Annotated[bool, typer.Option("--impacts/--no-impacts", help="Draft business-impact wording for open "
                                                                         "residual risks.")] = True,
    no_cache: NoCache = False,
    allow_flagged: AllowFlagged = False,
) -> None:
    """Ask the configured LLM for additional threats, controls and residual-risk wording. Everything arrives
    unreviewed in dicetm-proposals.yaml and the review queue; no rule finding or decision can change."""
    from dicetm.assist.workflow import WithProgress, llm_from_config, propose

    try:
        client = llm_from_config(path, no_cache=no_cache, required=True)
        assert client is not None
        with _progress("asking the model") as update:
            outcome = propose(path, WithProgress(client, update), threats=threats, impacts=impacts,
                              documents=docs or (), allow_flagged=allow_flagged)
    except DicetmError as exc:
        raise fail(exc) from None
    _print_runs(outcome.runs)
    out.print(f"proposed: {len(outcome.added_threats)} new threat(s), {len(outcome.added_controls)} new "
              f"control(s), {outcome.supporting} note(s) attached to rule findings, {outcome.impact_drafts} "
              f"impact draft(s); all unreviewed", markup=False)
    for dropped in outcome.dropped:
        out.print(f"dropped: {escape(dropped)}")
    out.print(f"next: dicetm review {path}", markup=False)


def register_commands(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
    app.command("describe")(describe_command)
    app.command("propose")(propose_command)
