"""``dicetm audit``: verify, sign and read the tamper-evident audit log of review decisions."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dicetm.cli_common import PathArg, err, out
from dicetm.cli_common import fail as _fail
from dicetm.cli_reviewer import ReviewerOpt, reviewer_name, usage_error
from dicetm.cli_signing import AllowedSignersOpt, SignKeyOpt, signature_report, signing_key
from dicetm.errors import DicetmError, InputError, Location, Problem, StoreError
from dicetm.model.register import recorded_flags
from dicetm.textsafe import json_text, one_line

if TYPE_CHECKING:  # the library is imported inside the commands, so `dicetm --help` stays quick
    from dicetm.store.audit import AuditRecord
    from dicetm.store.workspace import Workspace


audit_app = typer.Typer(help="Check and read the tamper-evident audit log of review decisions.",
                        no_args_is_help=True)


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _workspace(path: Path) -> Workspace:
    from dicetm.store.workspace import Workspace

    try:
        return Workspace.open(path)
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None


def _unreadable(exc: StoreError) -> typer.Exit:
    """A log or register that cannot even be parsed fails the check: it is no evidence as it stands."""
    err.print("audit log check failed: the files cannot be read as they are", markup=False)
    for problem in exc.problems:
        err.print(f"  {problem.location}: {problem.message}", markup=False)
    return typer.Exit(1)


@audit_app.command("verify")
def audit_verify(
    path: PathArg,
    allowed_signers: AllowedSignersOpt = None,
    require_signatures: Annotated[bool, typer.Option(
        "--require-signatures", help="Fail (exit 1) when a record is not signed; also on when the workspace "
                                     "policy sets require_signatures.")] = False,
) -> None:
    """Check the audit log's hash chain, the register and the signatures (exit 1 when not).

    The chain shows edits made without the dicetm library; only signatures show who vouches for the
    log. Unsigned records are reported, and fail the check with --require-signatures.
    """
    from dicetm.cli_signing import workspace_policy

    workspace = _workspace(path)
    try:
        result = workspace.verify()
        policy = workspace_policy(workspace.model_path)
    except StoreError as exc:
        raise _unreadable(exc) from None
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    required = require_signatures or (policy is not None and policy.require_signatures)
    if result.ok:
        out.print(f"audit log intact: {result.records} record(s), register matches the last one", markup=False)
    else:
        where = f"record #{result.first_bad_seq}" if result.first_bad_seq is not None else "the register"
        first = one_line(result.problems[0]) if result.problems else "unknown"
        err.print(f"audit log check failed at {where}: {first}", markup=False)
        for problem in result.problems[1:]:
            err.print(f"  also: {one_line(problem)}", markup=False)
    signed_ok = _report_signatures(workspace, allowed_signers, policy, required, result.records)
    if not (result.ok and signed_ok):
        raise typer.Exit(1)


def _report_signatures(workspace: Workspace, allowed: Path | None, policy: Any, required: bool, records: int) -> bool:
    """Print what the signatures show; False when the check must fail (a bad signature, or unsigned when
    signatures are required)."""
    try:
        report = signature_report(workspace, allowed, policy)
    except StoreError as exc:
        raise _unreadable(exc) from None
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    if report.ok:
        out.print(f"signatures: {report.signatures} valid, covering all {report.signed} record(s)", markup=False)
        return True
    if report.signatures == 0 and not (required or report.checked):
        if records:
            out.print("signatures: none (the hash chain alone cannot show who wrote the log; see dicetm audit sign)",
                      markup=False)
        return True
    failing = bool(report.bad) or required
    label = "signature check failed" if failing else "signatures"
    target = err if failing else out
    for problem in report.problems:
        target.print(f"{label}: {one_line(problem)}", markup=False)
    return not failing


@audit_app.command("sign")
def audit_sign(
    path: PathArg,
    reviewer: ReviewerOpt = None,
    sign_key: SignKeyOpt = None,
) -> None:
    """Sign the audit log as it stands: one sign record vouching for every record before it.

    Use it after commands that record without signing (analyze, iteration new, propose), or after a
    signing failure. Records by another person still need that person's own signature.
    """
    from dicetm.store.signatures import sign_log

    who = reviewer_name(reviewer, path)
    key = signing_key(path, who, sign_key)
    if key is None:
        raise usage_error("no signing key", "--sign-key",
                     "pass --sign-key KEY, set DICETM_SIGNING_KEY, or set signing_key in dicetm-policy.yaml")
    try:
        record = sign_log(_workspace(path), key, who)
    except DicetmError as exc:
        raise _fail(exc) from None
    if record is None:
        out.print("nothing to sign: the audit log is empty or already ends with your signature", markup=False)
        return
    out.print(f"signed the audit log up to record #{record.details['seq']} as {key.principal} "
              f"(record #{record.seq})", markup=False)


def _mentions(record: AuditRecord, item_id: str) -> bool:
    """A record is about an item when it targets it, or when it flags it among quick accepts."""
    details = record.details or {}
    return record.target == item_id or item_id in (details.get("items") or [])


def _row(record: AuditRecord) -> dict[str, Any]:
    return {"seq": record.seq, "time": record.time, "actor": record.actor, "action": record.action,
            "target": record.target, "reason": record.reason, "details": record.details or {}}


@audit_app.command("log")
def audit_log(
    path: PathArg,
    item_id: Annotated[str | None, typer.Argument(help="Only the records about this item.")] = None,
    fmt: Annotated[LogFormat, typer.Option("--format", "-f", help="text or json.")] = LogFormat.text,
) -> None:
    """Print the decision history: seq, time, actor, action, target and reason of every record."""
    try:
        records = _workspace(path).records()
    except DicetmError as exc:
        raise _fail(exc, writes=False) from None
    if item_id:
        chosen = [r for r in records if _mentions(r, item_id)]
        if not chosen:
            import difflib

            close = difflib.get_close_matches(item_id, sorted({r.target for r in records}), n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}?" if close else "run 'dicetm audit log PATH' to see every target"
            raise _fail(InputError([Problem(f"no audit record about {item_id!r}", Location(path="ITEM_ID"),
                                            hint=hint)]), writes=False)
        records = chosen
    rows = [_row(r) for r in records]
    if fmt is LogFormat.json:
        sys.stdout.write(json_text(json.dumps(rows, indent=2, ensure_ascii=False)) + "\n")
        return
    for row in rows:
        reason = f"  reason: {one_line(row['reason'])}" if row["reason"] else ""
        flags = recorded_flags(row["details"])
        flagged = f"  flags: {one_line(', '.join(flags))}" if flags else ""
        out.print(f"#{row['seq']:<4} {one_line(row['time'])}  {one_line(row['actor'])}  {one_line(row['action'])}  "
                  f"{one_line(row['target'])}{reason}{flagged}", markup=False)
