"""Command line for the CI gate and evidence packs: ``dicetm check`` and ``dicetm evidence [create|verify]``.

``register_commands(app)`` adds them to the main typer app. Like the rest of the CLI this module only
parses, calls the library, renders and picks the exit code: 0 ok, 1 the policy (or the pack's integrity)
does not hold, 2 bad usage or input.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from dicetm.cli_common import ForceOpt, PathArg, emit, guard_output, model_file
from dicetm.cli_common import err as _err
from dicetm.cli_common import fail as _fail
from dicetm.cli_common import out as _out
from dicetm.cli_common import write_failed as _write_failed
from dicetm.cli_signing import AllowedSignersOpt, SignKeyOpt, configured_signing_key, signature_report
from dicetm.errors import DicetmError
from dicetm.textsafe import json_text, one_line

if TYPE_CHECKING:
    from dicetm.gate import GateResult, Policy
    from dicetm.store.modelfile import LoadedModel

DEFAULT_COMMAND = "create"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


# ------------------------------------------------------------------------------------------- check


def _text(gate: GateResult, loaded: LoadedModel, policy_name: str) -> str:
    """One summary line, then one line per failure; every value on it is kept on its one line."""
    policy_name = one_line(policy_name)
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
        lines.append(f"FAIL {one_line(failure.item_id)} [{failure.rule}] {one_line(failure.message)} "
                     f"({one_line(where)})")
    return "\n".join(lines) + "\n"


def _render(fmt: CheckFormat, gate: GateResult, loaded: LoadedModel, policy_name: str) -> str:
    if fmt is CheckFormat.json:
        return json_text(json.dumps(gate.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)) + "\n"
    if fmt is CheckFormat.sarif:
        from dicetm.report.sarif import render_gate_sarif

        return render_gate_sarif(gate, loaded, base=Path.cwd(), environment=os.environ)
    return _text(gate, loaded, policy_name)


def _policy(policy_file: str | None, model_path: Path) -> tuple[Policy, str]:
    """The policy to check against and how to name it: a preset, a file, the workspace's file, or the default."""
    from dicetm.gate.policy import POLICY_FILENAME, PRESETS, load_policy, preset_policy

    if policy_file in PRESETS:
        return preset_policy(policy_file), f"the {policy_file} policy"
    if policy_file is not None:
        return load_policy(Path(policy_file)), policy_file
    beside = model_path.parent / POLICY_FILENAME
    if beside.is_file():
        return load_policy(beside), str(beside)
    return preset_policy("default"), "the default policy"


def check_command(
    path: PathArg,
    policy_file: Annotated[str | None, typer.Option(
        "--policy", help="'strict', 'default', or a policy YAML file (see README: the CI gate). Default: "
                         "dicetm-policy.yaml beside the model if there is one, else the default policy.")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", help="text, json, or sarif (SARIF 2.1.0).")]
    = CheckFormat.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]
    = None,
    allowed_signers: AllowedSignersOpt = None,
    force: ForceOpt = False,
) -> None:
    """Check the threat model against a policy for CI: exit 0 when it holds, 1 when it does not.

    Reads the workspace and records nothing in it. Fails for threats at or above the policy's risk
    level that no person has decided on (unreviewed, stale, needs-info), accepted threats with neither
    a planned or implemented countermeasure (with evidence that counts) nor a current owned
    residual-risk decision, and an audit chain that does not verify. The strict policy also fails for
    thin or pasted rejection reasons, unconfirmed bulk or high-risk rejections, countermeasures not
    linked to the threat, unsigned records and any quick accept.
    """
    from dicetm.gate import check
    from dicetm.review import analyze_workspace
    from dicetm.store.workspace import Workspace

    if output is not None:
        guard_output(output, {CheckFormat.text: "gate-text", CheckFormat.json: "gate-json",
                              CheckFormat.sarif: "sarif"}[fmt], force, "--output", model_file(path))
    today = datetime.now(UTC).date()
    try:
        loaded, register, result = analyze_workspace(path, write=False, today=today)
        policy, policy_name = _policy(policy_file, loaded.path)
        workspace = Workspace.open(loaded.path)
        verified = workspace.verify()
        signatures = signature_report(workspace, allowed_signers, policy) if policy.require_signatures else None
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    gate = check(result, register, verified, policy, today, workspace=loaded.path.parent, signatures=signatures)
    if emit(_render(fmt, gate, loaded, policy_name), output, "--output"):
        _out.print(_text(gate, loaded, policy_name).splitlines()[0], markup=False)
        _out.print(f"wrote {output}", markup=False)
    if not gate.ok:
        if fmt is CheckFormat.text and output is None:
            _out.print(f"next: decide what is listed with dicetm review {path} (terminal) or dicetm serve {path} "
                       f"(browser), or one item with dicetm decide {path} ITEM_ID ...", markup=False)
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
    sign_key: SignKeyOpt = None,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="Who signs the pack, when it is signed (default: DICETM_REVIEWER, then git).")] = None,
) -> None:
    """Write reports, register, audit log, model, iterations, compliance map and a manifest of hashes.

    The workspace is read, never changed; an existing folder is never replaced. With a signing key the
    manifest is signed (manifest.json.sig). Exits 1 (after writing the pack) when its audit chain does
    not verify.
    """
    from dicetm.evidence import create_evidence

    guard_output(out_dir, "evidence", False, "--out")
    key = configured_signing_key(path, sign_key, reviewer)
    try:
        summary = create_evidence(path, out_dir, sign_key=key)
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
    if key is not None:
        _out.print(f"manifest signed as {key.principal}", markup=False)


@evidence_app.command("verify")
def evidence_verify(
    directory: Annotated[Path, typer.Argument(help="The evidence pack folder.")],
    allowed_signers: AllowedSignersOpt = None,
    require_signatures: Annotated[bool, typer.Option(
        "--require-signatures", help="Fail when the manifest or an audit record is not signed.")] = False,
) -> None:
    """Check a pack's hashes, audit chain, signatures, and reports recomputed: exit 0 intact, 1 not.

    Every hash in the manifest is recomputed, the audit chain copy and the register verified, and the
    reports, compliance map and figures computed again from the register and the model copy; an
    edited report fails even when its hash in the manifest was recomputed.
    """
    import os

    from dicetm.evidence import verify_pack
    from dicetm.store.sshsig import resolve_allowed_signers

    if not directory.is_dir():
        _err.print(f"error: {directory}: no such folder (hint: pass the folder `dicetm evidence` wrote)",
                   markup=False)
        raise typer.Exit(2)
    try:
        allowed = resolve_allowed_signers(allowed_signers, Path.cwd(), os.environ)
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    report = verify_pack(directory, allowed_signers=allowed, require_signatures=require_signatures)
    if report.ok:
        _out.print(f"evidence pack {directory} is intact: {report.files} files match the manifest, reports match "
                   f"the register, audit chain of {report.records} records verified", markup=False)
        for note in report.notes:
            _out.print(f"note: {one_line(note)}", markup=False)
        return
    _out.print(f"evidence pack {directory} is NOT intact: {one_line(report.problems[0])}", markup=False)
    for problem in report.problems[1:]:
        _out.print(f"  also: {one_line(problem)}", markup=False)
    raise typer.Exit(1)


def register_commands(app: typer.Typer) -> None:
    """Add ``check`` and the ``evidence`` group to the main app."""
    app.command("check")(check_command)
    app.add_typer(evidence_app, name="evidence")
