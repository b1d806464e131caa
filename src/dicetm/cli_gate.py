"""Command line for the CI gate and evidence packs: ``dicetm check`` and ``dicetm evidence [create|verify]``.

``register_commands(app)`` adds them to the main typer app. Like the rest of the CLI this module only
parses, calls the library, renders and picks the exit code: 0 ok, 1 the policy (or the pack's integrity)
does not hold, 2 bad usage or input.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from dicetm.cli_common import PathArg, emit
from dicetm.cli_common import err as _err
from dicetm.cli_common import fail as _fail
from dicetm.cli_common import out as _out
from dicetm.cli_common import write_failed as _write_failed
from dicetm.errors import DicetmError

if TYPE_CHECKING:
    from dicetm.gate import GateResult
    from dicetm.store.modelfile import LoadedModel

DEFAULT_COMMAND = "create"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


# ------------------------------------------------------------------------------------------- check


def _text(gate: GateResult, loaded: LoadedModel, policy_name: str) -> str:
    if gate.ok:
        return f"policy holds: {gate.threats_checked} threats checked against {policy_name}\n"
    counts = ", ".join(f"{rule} {n}" for rule, n in gate.counts().items() if n)
    lines = [f"policy failed: {len(gate.failures)} failing item{'s' if len(gate.failures) != 1 else ''} "
             f"({counts}), checked against {policy_name}"]
    for failure in gate.failures:
        if failure.file is not None:
            where = str(loaded.path.parent / failure.file)
        elif failure.elements:
            where = str(loaded.location_of_id(failure.elements[0]))
        else:
            where = str(loaded.path)
        lines.append(f"FAIL {failure.item_id} [{failure.rule}] {failure.message} ({where})")
    return "\n".join(lines) + "\n"


def _render(fmt: CheckFormat, gate: GateResult, loaded: LoadedModel, policy_name: str) -> str:
    if fmt is CheckFormat.json:
        return json.dumps(gate.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if fmt is CheckFormat.sarif:
        from dicetm.report.sarif import render_gate_sarif

        return render_gate_sarif(gate, loaded, base=Path.cwd())
    return _text(gate, loaded, policy_name)


def check_command(
    path: PathArg,
    policy_file: Annotated[Path | None, typer.Option(
        "--policy", help="Policy YAML (block_unreviewed_at_or_above, require_coverage_for_accepted, "
                         "require_audit_chain, max_quick_accepts). Default: the built-in strict policy.")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="text, json, or sarif (SARIF 2.1.0).")]
    = CheckFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]
    = None,
) -> None:
    """Check the threat model against a policy for CI: exit 0 when it holds, 1 when it does not.

    Reads the workspace and records nothing in it. Fails for threats at or above the policy's risk level
    that no person has decided on (unreviewed, stale, needs-info), accepted threats with neither a planned or
    implemented countermeasure nor a current owned residual-risk decision, an audit chain that does not
    verify, and (optionally) too many quick accepts.
    """
    from dicetm.gate import Policy, check, load_policy
    from dicetm.review import analyze_workspace
    from dicetm.store.workspace import Workspace

    try:
        policy = load_policy(policy_file) if policy_file is not None else Policy()
        loaded, register, result = analyze_workspace(path, write=False)
        verified = Workspace.open(loaded.path).verify()
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    gate = check(result, register, verified, policy, datetime.now(UTC).date())
    policy_name = str(policy_file) if policy_file is not None else "the default policy"
    if emit(_render(fmt, gate, loaded, policy_name), output, "--output"):
        _out.print(_text(gate, loaded, policy_name).splitlines()[0], markup=False)
        _out.print(f"wrote {output}", markup=False)
    if not gate.ok:
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------- evidence


class _DefaultCreate(TyperGroup):
    """``dicetm evidence PATH --out DIR`` is short for ``dicetm evidence create PATH --out DIR``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


evidence_app = typer.Typer(
    cls=_DefaultCreate, no_args_is_help=True,
    help="Build an evidence pack from a workspace (`dicetm evidence PATH --out DIR`, short for `create`), "
         "or check one (`dicetm evidence verify DIR`).",
)


@evidence_app.command(DEFAULT_COMMAND)
def evidence_create(
    path: PathArg,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="New folder for the pack (must not exist, or be "
                                                              "empty).")],
) -> None:
    """Write reports, register, audit log copy, iterations, compliance map and a manifest of hashes.

    The workspace is read, never changed. Exits 1 (after writing the pack) when its audit chain does not verify.
    """
    from dicetm.evidence import create_evidence

    try:
        summary = create_evidence(path, out_dir)
    except DicetmError as exc:
        raise _fail(exc, writes=True) from None
    except OSError as exc:
        raise _write_failed(out_dir, exc, "--out must name a new folder you can write to") from None
    counts = summary.compliance.counts
    _out.print(f"wrote evidence pack {out_dir} ({len(summary.files)} files)", markup=False)
    _out.print(f"compliance map: {counts['met']} met, {counts['partial']} partial, {counts['missing']} missing "
               f"(see {out_dir / 'compliance.md'})", markup=False)
    if not summary.audit_ok:
        _err.print(f"warning: the audit chain does not verify: {summary.audit_problems[0]}", markup=False)
        raise typer.Exit(1)
    _out.print("audit chain verified", markup=False)


@evidence_app.command("verify")
def evidence_verify(
    directory: Annotated[Path, typer.Argument(help="The evidence pack folder.")],
) -> None:
    """Recompute every hash in the pack's manifest and verify its audit chain copy: exit 0 intact, 1 not."""
    from dicetm.evidence import verify_pack

    if not directory.is_dir():
        _err.print(f"error: {directory}: no such folder (hint: pass the folder `dicetm evidence` wrote)",
                   markup=False)
        raise typer.Exit(2)
    report = verify_pack(directory)
    if report.ok:
        _out.print(f"evidence pack {directory} is intact: {report.files} files match the manifest, audit chain "
                   f"of {report.records} records verified", markup=False)
        return
    _out.print(f"evidence pack {directory} is NOT intact: {report.problems[0]}", markup=False)
    for problem in report.problems[1:]:
        _out.print(f"  also: {problem}", markup=False)
    raise typer.Exit(1)


def register_commands(app: typer.Typer) -> None:
    """Add ``check`` and the ``evidence`` group to the main app."""
    app.command("check")(check_command)
    app.add_typer(evidence_app, name="evidence")
