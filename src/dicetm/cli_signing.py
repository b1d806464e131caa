"""What the commands that sign or check signatures share: the options, the workspace's policy settings, and
signing the audit log after a command has recorded something.

Keys and allowed-signers files are found as ``store.sshsig`` describes; the workspace's ``dicetm-policy.yaml``
(when there is one) may name a workspace key, its principal, the allowed-signers file and whether signatures
are required.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dicetm.cli_common import fail, out

if TYPE_CHECKING:
    from dicetm.gate.policy import Policy
    from dicetm.store.signatures import SignatureReport
    from dicetm.store.sshsig import SigningKey
    from dicetm.store.workspace import Workspace

SignKeyOpt = Annotated[str | None, typer.Option(
    "--sign-key", help="SSH key to sign the audit log with: a path, key::<public key> (ssh-agent), or 'git' for "
                       "git's user.signingkey (default: DICETM_SIGNING_KEY, then the policy's signing_key).")]
AllowedSignersOpt = Annotated[Path | None, typer.Option(
    "--allowed-signers", help="Allowed-signers file to check signatures against (default: "
                              "DICETM_ALLOWED_SIGNERS, the policy's allowed_signers, then git's "
                              "gpg.ssh.allowedSignersFile).")]


def workspace_policy(model_path: Path) -> Policy | None:
    """The policy file beside the model, or None when there is none."""
    from dicetm.gate.policy import POLICY_FILENAME, load_policy

    beside = model_path.parent / POLICY_FILENAME
    return load_policy(beside) if beside.is_file() else None


def signing_key(path: Path, reviewer: str, explicit: str | None) -> SigningKey | None:
    """The key this command signs with, or None; exit 2 with the reason when a configured key cannot be used."""
    from dicetm.errors import DicetmError
    from dicetm.store.modelfile import resolve_model_path
    from dicetm.store.signatures import principal_of
    from dicetm.store.sshsig import resolve_signing_key

    try:
        model_path = resolve_model_path(path)
        policy = workspace_policy(model_path)
        return resolve_signing_key(explicit, principal_of(reviewer), model_path.parent, os.environ,
                                   workspace_key=policy.signing_key if policy else None,
                                   workspace_principal=policy.signing_principal if policy else None)
    except DicetmError as exc:
        raise fail(exc, writes=False) from None


def configured_signing_key(path: Path, explicit: str | None, reviewer: str | None) -> SigningKey | None:
    """The signing key when one is configured at all, resolving the reviewer (whose principal it signs as) only
    then: for commands that sign but record no decision (``evidence``)."""
    from dicetm.errors import DicetmError
    from dicetm.review.identity import resolve_reviewer
    from dicetm.store.modelfile import resolve_model_path
    from dicetm.store.sshsig import KEY_VARIABLE

    try:
        policy = workspace_policy(resolve_model_path(path))
        if explicit is None and KEY_VARIABLE not in os.environ and (policy is None or not policy.signing_key):
            return None
        who = resolve_reviewer(reviewer, path if path.is_dir() else path.parent)
    except DicetmError as exc:
        raise fail(exc, writes=False) from None
    return signing_key(path, who, explicit)


def sign_recorded(path: Path, key: SigningKey | None, reviewer: str) -> None:
    """Append a signature for what was just recorded; a failure is reported but loses no decision."""
    if key is None:
        return
    from dicetm.errors import DicetmError
    from dicetm.store.signatures import sign_log
    from dicetm.store.workspace import Workspace

    try:
        record = sign_log(Workspace.open(path), key, reviewer)
    except DicetmError as exc:
        raise fail(exc, tail=": what was recorded stays recorded, unsigned; run `dicetm audit sign` once the key "
                             "works.") from None
    if record is not None:
        out.print(f"signed the audit log up to record #{record.details['seq']} as {key.principal} "
                  f"(record #{record.seq})", markup=False)


def signature_report(workspace: Workspace, allowed: Path | None,
                     policy: Policy | None) -> SignatureReport:
    """Check the signatures of ``workspace``'s audit log; InputError (the caller's to show) for a bad setting."""
    from dicetm.store.signatures import check_signatures
    from dicetm.store.sshsig import resolve_allowed_signers

    allowed_file = resolve_allowed_signers(allowed, workspace.root, os.environ,
                                           policy.allowed_signers if policy else None)
    signers = [policy.signing_principal] if policy is not None and policy.signing_principal else []
    return check_signatures(workspace.records(), allowed_file, signers)
