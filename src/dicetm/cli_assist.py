"""``dicetm scan``, ``dicetm describe`` and ``dicetm propose``: documents in, drafts and proposals out.

A thin skin over :mod:`dicetm.assist.workflow`. ``scan`` and ``describe`` work offline; with an LLM provider
configured (see the README), ``describe`` also asks the model, and ``propose`` needs one. Nothing a model
returns is accepted: drafts carry ``provenance.draft`` and proposals arrive unreviewed. Before each batch of
requests leaves, the command prints where it goes and how many characters of which document it carries;
``--dry-run`` prints the prompts instead of sending them and writes nothing.

Exit codes: scan 0 clean / 1 findings (or a credential file among the documents) / 2 bad input; describe and
propose 0 done / 2 bad input or provider failure (nothing a person decided is touched). When the provider fails
during describe, the offline draft is written all the same and the command says so (exit 0).
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
from dicetm.ingest.limits import limits_help
from dicetm.textsafe import json_text

if TYPE_CHECKING:
    from dicetm.assist.outbound import Gate, Outbound
    from dicetm.assist.workflow import Scanned
    from dicetm.ingest.limits import ReadLimits
    from dicetm.ingest.recovery import Recovery
    from dicetm.model.proposals import RunRecord


class ScanFormat(StrEnum):
    text = "text"
    json = "json"


DocsArg = Annotated[list[Path], typer.Argument(help="Documents or folders: Markdown, text, HTML, PDF, DOCX, "
                                                    "OpenAPI (YAML/JSON), Mermaid, PlantUML, Structurizr DSL, "
                                                    "draw.io, docker-compose, Kubernetes manifests, Terraform "
                                                    "(.tf), MCP configuration.")]
AllowFlagged = Annotated[bool, typer.Option("--allow-flagged", help="Let spans the scan flagged reach the model "
                                                                    "(default: withheld from every prompt); spans "
                                                                    "holding a secret stay withheld.")]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Ask the model again even when a cached answer exists.")]
FollowSymlinks = Annotated[bool, typer.Option(
    "--follow-symlinks", help="Read what symbolic links lead to, even outside the paths given (default: a link "
                              "named here, or one leading out of a folder given, is skipped and listed).")]
Limits = Annotated[list[str] | None, typer.Option(
    "--limit", metavar="NAME=VALUE", help="Raise a reading limit (repeat for several): document-mb is one file, "
                                          "total-mb all files, unpacked-mb a DOCX unpacked or a PDF's text, ratio a "
                                          "DOCX part's compression, html-depth nesting, openapi-values YAML aliases "
                                          "expanded, drawio-inflated-mb a draw.io file's compressed pages "
                                          f"inflated. Defaults: {limits_help()}.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Print the prompts that would be sent, send nothing and "
                                                        "write nothing.")]


def scan_command(
    docs: DocsArg,
    fmt: Annotated[ScanFormat, typer.Option("--format", "-f", help="text or json.")] = ScanFormat.text,
    follow_symlinks: FollowSymlinks = False,
    limit: Limits = None,
    lexicon: Annotated[list[Path] | None, typer.Option(
        "--lexicon", help="A scan lexicon of your own (a YAML file, or a folder of them) added to the built-in "
                          "ones: more words and phrases per language, or a language of its own. Repeatable; "
                          "DICETM_SCAN_LEXICON names more.")] = None,
    second: Annotated[bool, typer.Option(
        "--second-opinion", help="Also ask the configured model about the flagged and borderline spans (spans "
                                 "holding a secret are never sent). Its answers can only add findings.")] = False,
    no_cache: NoCache = False,
) -> None:
    """Scan documents for prompt injection, hidden content and secrets, offline unless --second-opinion. Exit 0
    clean, 1 findings (or a credential file among the documents), 2 bad input."""
    from dicetm.assist.workflow import llm_from_config, scan_paths
    from dicetm.ingest.scan_lexicon import use_lexicons

    try:
        use_lexicons(lexicon or ())
        gate = llm_from_config(Path.cwd(), no_cache=no_cache, required=True, announce=_announce) if second else None
        scanned = scan_paths(docs, follow_symlinks=follow_symlinks, limits=_limits(limit), second_opinion=gate)
    except DicetmError as exc:
        raise fail(exc, writes=False) from None
    for note in scanned.notes:
        err.print(f"second opinion: {note}", markup=False)
    credentials = [s for s in scanned.skipped if s.kind == "credentials"]  # fail the scan like a finding
    if fmt is ScanFormat.json:
        payload = {
            "documents": [{"file": d.path, "format": d.format, "sha256": d.sha256, "spans": len(d.spans)}
                          for d in scanned.documents],
            "skipped": [{"file": s.path, "kind": s.kind, "reason": s.reason} for s in scanned.skipped],
            "findings": [_finding_data(f) for f in scanned.findings],
            "blocking": len(scanned.blocking) + len(credentials),
            "clean": not scanned.blocking and not credentials,
        }
        sys.stdout.write(json_text(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n")
    else:
        _print_skipped(scanned, out)
        for finding in scanned.findings:
            out.print(f"{finding.span.where}: {finding.severity} {finding.category} ({finding.rule}): "
                      f"{finding.message}\n    {finding.excerpt}", markup=False)
        problems = [f"{len(scanned.blocking)} finding(s) to look at"] if scanned.blocking else []
        problems += [f"{len(credentials)} credential file(s) not read"] if credentials else []
        out.print(f"scanned {len(scanned.documents)} document(s): {', '.join(problems) or 'clean'}"
                  + (f"; {len(scanned.findings) - len(scanned.blocking)} informational" if
                     len(scanned.findings) > len(scanned.blocking) else ""), markup=False)
    if scanned.blocking or credentials:
        raise typer.Exit(1)


def _limits(settings: list[str] | None) -> ReadLimits:
    from dicetm.ingest.limits import parse_limits

    return parse_limits(settings or ())


def _print_skipped(scanned: Scanned, console: Any = err) -> None:
    """The files not read, and why: links not followed (with the way to follow them) and credential files."""
    for skipped in scanned.skipped:
        console.print(f"{skipped.path}: not read: {skipped.reason}"
                      + (" (--follow-symlinks reads it)" if skipped.kind == "symlink" and "broken" not in skipped.reason
                         else ""), markup=False)


def _announce(batch: Outbound) -> None:
    """Before a batch of requests leaves: where to, and how much of which document."""
    err.print(f"sending to {batch.destination} ({batch.task}): {batch.requests} request(s), "
              f"{batch.characters:,} characters", markup=False)
    for file, size in sorted(batch.documents.items()):
        err.print(f"  {file}: {size:,} characters of its text", markup=False)
    err.print(f"  instructions, the model and findings: {batch.other:,} characters", markup=False)


def _print_prompts(gate: Gate) -> None:
    """What a dry run would have sent, request by request."""
    for number, (task, request) in enumerate(gate.held, start=1):
        out.print(f"===== request {number} of {len(gate.held)} ({task}) to {gate.destination} =====", markup=False)
        out.print(f"----- system -----\n{request.system}", markup=False)
        for message in request.messages:
            out.print(f"----- {message.role} -----\n{message.content}", markup=False)


def _finding_data(finding: Any) -> dict[str, Any]:
    return {"file": finding.file, "line": finding.line, "end_line": finding.end_line, "page": finding.page,
            "category": finding.category, "severity": finding.severity, "rule": finding.rule,
            "message": finding.message, "excerpt": finding.excerpt}


def _model_target(path: Path) -> Path:
    """The model file --out names: a folder (existing, or new and named without a file suffix) holds dicetm.yaml."""
    new_folder = not path.exists() and path.suffix.lower() not in (".yaml", ".yml", ".json")
    return path / "dicetm.yaml" if path.is_dir() or new_folder else path


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
    output: Annotated[Path, typer.Option(
        "--out", "-o", help="Model file to write, or a folder (created if new) for dicetm.yaml.")]
    = Path("dicetm.yaml"),
    merge: Annotated[bool, typer.Option("--merge", help="Add the drafted items to the existing --out model; "
                                                        "nothing in it is changed.")] = False,
    name: Annotated[str | None, typer.Option(help="System name (default: the first document's title).")] = None,
    llm: Annotated[bool, typer.Option("--llm/--no-llm", help="Use the configured LLM provider, if any "
                                                             "(--no-llm: offline extractor only).")] = True,
    no_cache: NoCache = False,
    allow_flagged: AllowFlagged = False,
    follow_symlinks: FollowSymlinks = False,
    limit: Limits = None,
    dry_run: DryRun = False,
) -> None:
    """Draft dicetm.yaml from architecture documents: scan first, extract offline, then (if configured) ask a
    model, saying first what will be sent where. Every drafted item cites the document spans it came from and stays
    a draft until a person confirms it."""
    from dicetm.assist.workflow import WithProgress, describe_documents, llm_from_config

    target = _model_target(output)
    if not merge and not target.exists():  # an existing --out is refused below, with the --merge hint
        guard_output(target, "model", False, "--out")
    try:
        gate = llm_from_config(target.parent, no_cache=no_cache, required=False, announce=_announce,
                               dry_run=dry_run) if llm else None
        with _progress("drafting with the model") as update:
            outcome = describe_documents(docs, target, merge=merge, name=name,
                                         llm=WithProgress(gate, update) if gate else None,
                                         allow_flagged=allow_flagged, follow_symlinks=follow_symlinks,
                                         limits=_limits(limit), dry_run=dry_run, on_scan=_print_skipped)
    except DicetmError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise write_failed(target, exc, "--out must name a file in a folder you can write to") from None
    scanned = outcome.scanned
    if scanned.blocking:
        err.print(f"scan: {len(scanned.blocking)} finding(s) in the documents; "
                  + ("flagged spans were withheld from the model, and only the structure around them was drafted "
                     "(dicetm scan shows them)" if scanned.withheld else "--allow-flagged: flagged spans were used"),
                  markup=False)
    added = ", ".join(f"{count} {section.replace('_', ' ')}" for section, count in outcome.added.items())
    if dry_run:
        if gate is not None:
            _print_prompts(gate)
        out.print(f"dry run: nothing was sent and nothing was written; the offline extractor would draft {added} "
                  f"from {len(scanned.documents)} document(s)"
                  + ("" if gate else " (no model would be asked: nothing would leave the machine)"), markup=False)
        return
    out.print(f"{'merged into' if merge else 'wrote'} {target}: drafted {added} from {len(scanned.documents)} "
              f"document(s)" + ("" if gate else " (offline extractor; no LLM configured)"), markup=False)
    _print_runs(outcome.runs)
    if outcome.provider_error:
        err.print(f"warning: the model provider failed, so {target} holds the offline draft only; once it is "
                  f"reachable, add the model's drafts with: dicetm describe ... --out {target} --merge", markup=False)
    for note in outcome.notes:
        out.print(f"note: {escape(note)}")
    _print_recovery(outcome.recovery, target)
    drafted = sum(outcome.added.get(section, 0) for section in ("elements", "flows", "trust_boundaries"))
    if drafted:
        out.print(f"to confirm: {drafted} drafted item(s); until you add 'draft: false' under an item's provenance "
                  "(or remove its provenance), the analysis asks about it as an open question (Q-DRAFT)",
                  markup=False)
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
    follow_symlinks: FollowSymlinks = False,
    limit: Limits = None,
    dry_run: DryRun = False,
) -> None:
    """Ask the configured LLM for additional threats, controls and residual-risk wording, saying first what will
    be sent where. Everything arrives unreviewed in dicetm-proposals.yaml and the review queue; no rule finding or
    decision can change."""
    from dicetm.assist.workflow import WithProgress, llm_from_config, propose

    try:
        gate = llm_from_config(path, no_cache=no_cache, required=True, announce=_announce, dry_run=dry_run)
        assert gate is not None
        with _progress("asking the model") as update:
            outcome = propose(path, WithProgress(gate, update), threats=threats, impacts=impacts,
                              documents=docs or (), allow_flagged=allow_flagged, follow_symlinks=follow_symlinks,
                              limits=_limits(limit), dry_run=dry_run, on_scan=_print_skipped)
    except DicetmError as exc:
        raise fail(exc) from None
    if dry_run:
        _print_prompts(gate)
        out.print("dry run: nothing was sent and nothing was written", markup=False)
        return
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
