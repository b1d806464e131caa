"""Check an evidence pack: every file against the manifest, the audit chain copy against itself, the reports
against the register, and the signatures.

A pack is intact when every file the manifest lists is present with its size and sha256, no file is
unlisted, ``audit.jsonl`` verifies as a hash chain, ``register.json`` is the state its last record
committed, the manifest names that record as the head, each iteration copy matches the digest its
``iteration-new`` audit record carries, and the reports, compliance map and figures are what the register and
the model copy give when computed again (``recompute``): an edited report fails even when its hash in the
manifest was recomputed. Whoever can rewrite the whole pack consistently can still forge it; a signature on
the manifest (``manifest.json.sig``) and on the audit log, checked against an allowed-signers file, ties it to
a key instead, and the audit head can be anchored outside (version control, a release note).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from dicetm.errors import StoreError
from dicetm.model.register import Register
from dicetm.store.audit import AuditRecord, VerifyResult, parse_log, verify

PACK_FORMAT = "dicetm-evidence/2"
MANIFEST = "manifest.json"
MANIFEST_SIGNATURE = "manifest.json.sig"
MODEL_DIR = "model"
AUDIT_COPY = "audit.jsonl"
REGISTER_COPY = "register.json"
ITERATIONS = "iterations"
ITERATION_INFO = "iteration.json"
ITERATION_ACTION = "iteration-new"
ITERATION_DIGEST_KEY = "iteration_json_sha256"


@dataclass(frozen=True)
class PackCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    files: int = 0
    records: int = 0
    notes: list[str] = field(default_factory=list)  # what was not checked or not signed, when that is allowed


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def nothing_recorded(register: Register) -> bool:
    """The register of a workspace where nothing has been recorded yet (no file, no audit record)."""
    return register.audit_head is None and not (register.threats or register.countermeasures
                                                 or register.residual_risks)


def check_audit(audit: bytes, register: Register | None, filename: str = AUDIT_COPY
                ) -> tuple[VerifyResult, list[AuditRecord]]:
    """Verify an audit log's bytes and that ``register`` is its last committed state (None: no register)."""
    try:
        records = parse_log(audit, filename)
    except StoreError as exc:
        return VerifyResult(ok=False, problems=[p.message for p in exc.problems], first_bad_seq=None,
                            records=0), []
    if register is not None and not records and nothing_recorded(register):
        register = None
    return verify(records, register), records


def _safe(name: object) -> str | None:
    """A manifest path that stays inside the pack, as posix text; None for anything else."""
    if not isinstance(name, str) or not name or "\\" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name == MANIFEST:
        return None
    return path.as_posix()


def _read_manifest(root: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads((root / MANIFEST).read_bytes())
    except FileNotFoundError:
        return None, f"no {MANIFEST}: this is not an evidence pack, or its manifest was removed"
    except (OSError, ValueError) as exc:
        return None, f"{MANIFEST} cannot be read as JSON ({exc})"
    if not isinstance(data, dict) or data.get("format") != PACK_FORMAT or not isinstance(data.get("files"), list):
        return None, f"{MANIFEST} is not a {PACK_FORMAT} manifest"
    return data, None


def _check_files(root: Path, entries: list[Any]) -> tuple[list[str], set[str]]:
    problems: list[str] = []
    listed: set[str] = set()
    for entry in entries:
        name = _safe(entry.get("path")) if isinstance(entry, dict) else None
        if name is None or not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("size"), int):
            problems.append(f"{MANIFEST} has a malformed file entry: {entry!r}")
            continue
        listed.add(name)
        try:
            data = (root / name).read_bytes()
        except FileNotFoundError:
            problems.append(f"{name}: missing")
            continue
        except OSError as exc:
            problems.append(f"{name}: cannot be read ({exc.strerror or exc})")
            continue
        if len(data) != entry["size"]:
            problems.append(f"{name}: {len(data)} bytes, the manifest says {entry['size']} (the file was changed)")
        elif sha256_hex(data) != entry["sha256"]:
            problems.append(f"{name}: its sha256 differs from the manifest (the file was changed)")
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    problems += [f"{name}: not listed in the manifest (a file was added)"
                 for name in sorted(on_disk - listed - {MANIFEST, MANIFEST_SIGNATURE})]
    return problems, listed


def _read_register(root: Path) -> tuple[Register | None, str | None]:
    try:
        return Register.model_validate_json((root / REGISTER_COPY).read_bytes()), None
    except FileNotFoundError:
        return None, f"{REGISTER_COPY}: missing"
    except (OSError, ValidationError) as exc:
        return None, f"{REGISTER_COPY} is not a register ({str(exc).splitlines()[0]})"


def _check_head(manifest: dict[str, Any], records: list[AuditRecord]) -> list[str]:
    head = manifest.get("audit_head")
    last = {"seq": records[-1].seq, "hash": records[-1].hash} if records else None
    if head != last:
        return [f"{MANIFEST} names audit head {head!r}, but {AUDIT_COPY} ends at {last!r}"]
    return []


def _check_iterations(root: Path, records: list[AuditRecord]) -> list[str]:
    digests = {r.target: r.details.get(ITERATION_DIGEST_KEY) for r in records if r.action == ITERATION_ACTION}
    problems = []
    folder = root / ITERATIONS
    infos = sorted(folder.glob(f"*/{ITERATION_INFO}")) if folder.is_dir() else []
    for info in infos:
        number = info.parent.name
        expected = digests.get(f"iteration:{number}")
        if expected is None:
            problems.append(f"{ITERATIONS}/{number}: no iteration-new record for it in {AUDIT_COPY}")
            continue
        data = info.read_bytes()
        if sha256_hex(data) != expected:
            problems.append(f"{ITERATIONS}/{number}/{ITERATION_INFO} differs from the digest its audit record holds")
            continue
        try:
            files = json.loads(data).get("files", {})
        except (ValueError, AttributeError):
            files = {}
        for other in sorted(p for p in info.parent.iterdir() if p.is_file() and p.name != ITERATION_INFO):
            if files.get(other.name) != sha256_hex(other.read_bytes()):
                problems.append(f"{ITERATIONS}/{number}/{other.name} differs from the digest in its iteration.json")
    return problems


def _manifest_signature(root: Path, manifest: dict[str, Any], allowed: Path | None,
                        required: bool) -> tuple[list[str], list[str]]:
    """Problems and notes about ``manifest.json.sig``."""
    from dicetm.store.sshsig import verify

    path = root / MANIFEST_SIGNATURE
    signer = manifest.get("signed_by")
    if not path.is_file():
        text = f"{MANIFEST} is not signed"
        return ([text] if required else []), ([] if required else [text])
    if not isinstance(signer, str) or not signer:
        return [f"{MANIFEST_SIGNATURE} is present but {MANIFEST} names no signer (signed_by)"], []
    if allowed is None:
        text = f"{MANIFEST} is signed by {signer}, but no allowed-signers file was given to check the signature"
        return ([text] if required else []), ([] if required else [text])
    failure = verify((root / MANIFEST).read_bytes(), path.read_text(encoding="ascii", errors="replace"), signer,
                     allowed)
    return ([f"{MANIFEST_SIGNATURE}: {failure}"] if failure else []), []


def _log_signatures(records: list[AuditRecord], allowed: Path | None, required: bool) -> tuple[list[str], list[str]]:
    """Problems and notes about the signatures in the audit log copy."""
    from dicetm.store.signatures import check_signatures

    if not records:
        return [], []
    report = check_signatures(records, allowed)
    if report.signatures == 0:
        gaps = [f"{AUDIT_COPY} is not signed"]
    elif not report.checked:
        gaps = [f"the {report.signatures} signature(s) in {AUDIT_COPY} were not checked: no allowed-signers file"]
    else:
        gaps = [f"audit signature: {text}" for text in report.gaps]
    bad = [f"audit signature: {text}" for text in report.bad]
    return (bad + gaps, []) if required else (bad, gaps)


def verify_pack(root: Path, *, allowed_signers: Path | None = None, require_signatures: bool = False) -> PackCheck:
    """Recompute every hash, report and figure of the pack at ``root``, verify its audit chain and signatures;
    problems in a stable order. Unsigned parts are notes unless ``require_signatures``."""
    from dicetm.evidence.recompute import recompute_problems

    manifest, problem = _read_manifest(root)
    if manifest is None:
        return PackCheck(ok=False, problems=[problem or "no manifest"])
    problems, listed = _check_files(root, manifest["files"])
    register, problem = _read_register(root)
    if problem:
        problems.append(problem)
    try:
        audit = (root / AUDIT_COPY).read_bytes()
    except OSError:
        audit = None
        problems.append(f"{AUDIT_COPY}: missing or unreadable")
    records: list[AuditRecord] = []
    notes: list[str] = []
    if audit is not None and register is not None:
        chain, records = check_audit(audit, register)
        problems += [f"audit chain: {text}" for text in chain.problems]
        problems += _check_head(manifest, records)
        problems += _check_iterations(root, records)
        problems += recompute_problems(root, manifest, register, audit)
    for part in (_manifest_signature(root, manifest, allowed_signers, require_signatures),
                 _log_signatures(records, allowed_signers, require_signatures)):
        problems += part[0]
        notes += part[1]
    return PackCheck(ok=not problems, problems=problems, files=len(listed), records=len(records), notes=notes)
