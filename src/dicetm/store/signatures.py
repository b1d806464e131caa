"""Signed audit records: who vouches for the log, checked against an allowed-signers file.

The hash chain shows accidental edits and naive tampering, but anyone who can write the log can re-seal it.
A signature ties the log to a key instead. Signing appends one ``sign`` record to the log; its details hold an
SSH signature (``store.sshsig``) over the seq and hash of the record before it, so it vouches for that record
and, through the chain, for every record before it. The format of the other records does not change.

A record counts as signed when a later ``sign`` record with a valid signature covers it, and:

* for a record made by a person, the signature is by that person's principal (their e-mail address, or their
  name) or by a workspace signer (the policy's ``signing_principal``);
* for dicetm's own records (``dicetm``, ``llm:...``), any allowed signer's signature counts.

Re-sealing the chain changes the hashes that signatures name, so every signature after the change fails;
stripping the ``sign`` records leaves unsigned records, which are reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dicetm.model.register import TOOL_ACTOR
from dicetm.store.audit import AuditRecord
from dicetm.store.sshsig import SigningKey, sign, verify

if TYPE_CHECKING:
    from dicetm.store.workspace import Workspace

SIGN_ACTION = "sign"
TOOL_PREFIXES = ("llm:",)


def signed_message(seq: int, record_hash: str) -> bytes:
    """The bytes a ``sign`` record's signature is over."""
    return f"dicetm audit log\nrecord {seq}\nhash {record_hash}\n".encode("ascii")


def principal_of(actor: str) -> str:
    """The allowed-signers principal of a person: the e-mail address in ``Name <email>``, else the name."""
    start, end = actor.rfind("<"), actor.rfind(">")
    inner = actor[start + 1:end].strip() if 0 <= start < end else ""
    return inner or actor.strip()


def is_tool(actor: str) -> bool:
    return actor == TOOL_ACTOR or actor.startswith(TOOL_PREFIXES)


def sign_details(last: AuditRecord, key: SigningKey) -> dict[str, Any]:
    """The details of a ``sign`` record vouching for ``last`` and everything before it."""
    return {"seq": last.seq, "hash": last.hash, "principal": key.principal,
            "signature": sign(signed_message(last.seq, last.hash), key)}


def sign_log(workspace: Workspace, key: SigningKey, signer: str) -> AuditRecord | None:
    """Append a ``sign`` record by ``signer`` for everything in ``workspace``'s log; None when there is nothing
    new to sign (the log is empty or already ends with this signer's signature)."""
    with workspace.transaction(signer) as tx:
        last = tx.previous
        if last is None or (last.action == SIGN_ACTION and last.actor == signer
                            and last.details.get("principal") == key.principal):
            return None
        tx.record(SIGN_ACTION, f"audit:{last.seq}", None, None, None, sign_details(last, key))
    return workspace.records()[-1]


@dataclass(frozen=True)
class SignatureReport:
    """``ok`` when signatures were checked, none is bad, and they cover every record."""

    checked: bool  # False when there was no allowed-signers file to check against
    bad: list[str] = field(default_factory=list)  # signatures that do not verify: the log was tampered with
    gaps: list[str] = field(default_factory=list)  # records no valid signature covers, grouped by actor
    signatures: int = 0
    signed: int = 0
    unsigned: list[int] = field(default_factory=list)  # seqs of records no valid signature covers

    @property
    def problems(self) -> list[str]:
        return [*self.bad, *self.gaps]

    @property
    def ok(self) -> bool:
        return self.checked and not self.problems


def _valid_signatures(records: Sequence[AuditRecord], allowed: Path) -> tuple[list[tuple[int, str]], list[str]]:
    """``(seq signed up to, principal)`` for each good signature, and a problem for each bad one."""
    by_seq = {record.seq: record for record in records}
    good: list[tuple[int, str]] = []
    problems: list[str] = []
    for record in records:
        if record.action != SIGN_ACTION:
            continue
        details = record.details
        seq, record_hash = details.get("seq"), details.get("hash")
        principal, signature = details.get("principal"), details.get("signature")
        where = f"record #{record.seq} (signature by {principal or record.actor})"
        if not (isinstance(seq, int) and isinstance(record_hash, str) and isinstance(principal, str)
                and isinstance(signature, str)):
            problems.append(f"{where}: not a complete signature record")
            continue
        target = by_seq.get(seq)
        if target is None or target.hash != record_hash or seq >= record.seq:
            problems.append(f"{where}: it signs record #{seq} with a hash the log does not hold (the log was "
                            "rewritten after it was signed)")
            continue
        failure = verify(signed_message(seq, record_hash), signature, principal, allowed)
        if failure is not None:
            problems.append(f"{where}: {failure}")
            continue
        good.append((seq, principal))
    return good, problems


def _ranges(seqs: Iterable[int]) -> str:
    parts: list[str] = []
    ordered = sorted(seqs)
    start = previous = ordered[0]
    for seq in [*ordered[1:], None]:
        if seq is not None and seq == previous + 1:
            previous = seq
            continue
        parts.append(f"#{start}" if start == previous else f"#{start}-#{previous}")
        if seq is not None:
            start = previous = seq
    return ", ".join(parts)


def check_signatures(records: Sequence[AuditRecord], allowed: Path | None,
                     workspace_signers: Iterable[str] = ()) -> SignatureReport:
    """Which records valid signatures cover; problems for bad signatures and for unsigned records."""
    if allowed is None:
        count = sum(1 for record in records if record.action == SIGN_ACTION)
        return SignatureReport(checked=False, signatures=count, gaps=[
            "no allowed-signers file, so no signature could be checked (--allowed-signers, DICETM_ALLOWED_SIGNERS, "
            "the policy's allowed_signers or git's gpg.ssh.allowedSignersFile)"])
    good, bad = _valid_signatures(records, allowed)
    trusted = set(workspace_signers)
    unsigned: dict[int, str] = {}
    for record in records:
        if record.action == SIGN_ACTION:
            continue
        wanted = None if is_tool(record.actor) else principal_of(record.actor)
        if not any(upto >= record.seq and (wanted is None or principal in (wanted, *trusted))
                   for upto, principal in good):
            unsigned[record.seq] = record.actor
    gaps = []
    for actor in sorted(set(unsigned.values())):
        seqs = [seq for seq, who in unsigned.items() if who == actor]
        whose = "any allowed signer" if is_tool(actor) else principal_of(actor)
        gaps.append(f"record{'s' if len(seqs) > 1 else ''} {_ranges(seqs)} by {actor} "
                        f"{'are' if len(seqs) > 1 else 'is'} not signed (by {whose})")
    signed = sum(1 for record in records if record.action != SIGN_ACTION) - len(unsigned)
    count = sum(1 for record in records if record.action == SIGN_ACTION)
    return SignatureReport(checked=True, bad=bad, gaps=gaps, signatures=count, signed=signed,
                           unsigned=sorted(unsigned))
