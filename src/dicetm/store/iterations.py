"""Iteration snapshots: a frozen copy of the model, the register, the result and the report.

``snapshot`` writes ``dicetm-iterations/<N>/`` (N is the register's current iteration) and then moves the
register on to N+1 with one audit record. The folder is assembled under a hidden temporary name and renamed
into place, so a reader never sees half a snapshot. The audit record carries the digest of the snapshot's
``iteration.json``, which in turn carries the digest of every other file: an edited snapshot is detected by
``load_iteration`` and ``list_iterations``.

An iteration counts once the audit log has its ``iteration-new`` record. A folder without one is the
leftover of an interrupted snapshot: it is never listed, and the next snapshot replaces it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dicetm import __version__
from dicetm.errors import InputError, Location, Problem, StoreError
from dicetm.model import AnalysisResult, System
from dicetm.model.register import AuditHead, Register
from dicetm.store import atomic
from dicetm.store.audit import AuditRecord, read_log
from dicetm.store.modelfile import parse_system_text, read_model_bytes
from dicetm.store.proposalsfile import PROPOSALS_FILENAME
from dicetm.store.registerfile import dump_register, normalized, parse_register
from dicetm.store.workspace import Workspace
from dicetm.store.wsfiles import disk_error, read_bytes, refuse_links

ACTION = "iteration-new"
MODEL_FILE = "dicetm.yaml"
REGISTER_FILE = "dicetm-register.yaml"
RESULT_FILE = "result.json"
REPORT_FILE = "report.md"
INFO_FILE = "iteration.json"
SNAPSHOT_FILES = (MODEL_FILE, REGISTER_FILE, RESULT_FILE, REPORT_FILE)
DIGEST_KEY = "iteration_json_sha256"  # in the audit record's details


class IterationInfo(BaseModel):
    """The contents of ``iteration.json``."""

    model_config = ConfigDict(extra="forbid")

    number: int = Field(ge=1)
    reason: str
    actor: str
    time: str = Field(description="UTC time the snapshot was taken, ISO 8601.")
    system: str = Field("", description="The system's name at the time.")
    threats: int = Field(0, description="How many threats the snapshot's result holds.")
    audit_head: AuditHead | None = Field(None, description="The audit record the snapshot's register rests on.")
    files: dict[str, str] = Field(description="sha256 of every other file in the snapshot folder.")
    dicetm_version: str


@dataclass(frozen=True)
class IterationSnapshot:
    """One recorded iteration read back from disk. ``result`` is None when this dicetm cannot read it."""

    system: System
    register: Register
    result: AnalysisResult | None
    info: IterationInfo


def check_reason(reason: str) -> str:
    """The reason, trimmed; InputError when there is none."""
    text = reason.strip()
    if not text:
        raise InputError([Problem("the reason for a new iteration is empty", Location(path="--reason"),
                                  hint="say why this state is worth keeping, e.g. --reason 'design review 2'")])
    return text


def iteration_dir(workspace: Workspace, number: int) -> Path:
    return workspace.iterations_dir / str(number)


def snapshot(workspace: Workspace, reason: str, actor: str, result: AnalysisResult, report_md: str) -> IterationInfo:
    """Record the workspace as iteration N and start iteration N+1 (one audit record)."""
    reason = check_reason(reason)
    with workspace.transaction(actor) as tx:
        number = tx.register.iteration
        recorded = _recorded(read_log(workspace.audit_path))  # read directly: the transaction holds the lock
        if number in recorded:
            raise StoreError([Problem(
                f"iteration {number} is already recorded (audit record {recorded[number].seq}) but the register "
                "still says it is the current one", Location(file=str(workspace.register_path), path="iteration"),
                hint="run `dicetm verify`: the register was probably replaced by an older copy")])
        refuse_links(workspace.root, workspace.iterations_dir)
        files = _snapshot_files(workspace, tx.register, result, report_md)
        info = IterationInfo(number=number, reason=reason, actor=actor, time=_now(), system=result.system_name,
                             threats=len(result.threats), audit_head=tx.register.audit_head,
                             files={name: _sha256(data) for name, data in files.items()},
                             dicetm_version=__version__)
        info_bytes = _info_bytes(info)
        try:
            _publish(workspace.iterations_dir, number, {**files, INFO_FILE: info_bytes})
        except OSError as exc:
            raise disk_error(iteration_dir(workspace, number), exc,
                             "cannot write the iteration; nothing was recorded") from None
        tx.register.iteration = number + 1
        tx.record(ACTION, f"iteration:{number}", {"iteration": number}, {"iteration": number + 1}, reason,
                  {DIGEST_KEY: _sha256(info_bytes)})
    return info


def list_iterations(workspace: Workspace) -> list[IterationInfo]:
    """Every recorded iteration, oldest first, each checked against its digests."""
    recorded = _recorded(workspace.records())
    return [_verified_info(workspace, number, record) for number, record in sorted(recorded.items())]


def load_iteration(workspace: Workspace, number: int) -> IterationSnapshot:
    """Read iteration ``number`` back; InputError if it was never recorded, StoreError if it is damaged."""
    recorded = _recorded(workspace.records())
    if number not in recorded:
        raise InputError([Problem(f"there is no iteration {number}",
                                  Location(file=str(iteration_dir(workspace, number))),
                                  hint=available_hint(sorted(recorded)))])
    info = _verified_info(workspace, number, recorded[number])
    folder = iteration_dir(workspace, number)
    return IterationSnapshot(system=_read_system(folder / MODEL_FILE), register=_read_register(folder / REGISTER_FILE),
                             result=_read_result(folder / RESULT_FILE), info=info)


def available_hint(numbers: list[int]) -> str:
    if not numbers:
        return "no iteration is recorded yet; record one with `dicetm iteration new PATH --reason TEXT`"
    return "recorded iterations: " + ", ".join(str(n) for n in numbers)


# --- writing -----------------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _info_bytes(info: IterationInfo) -> bytes:
    return (json.dumps(info.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _register_bytes(workspace: Workspace, register: Register) -> bytes:
    """The register file as it is on disk, or the (empty) register the workspace reads when there is none."""
    data = read_bytes(workspace.register_path, "the register")
    return data if data is not None else dump_register(normalized(register)).encode("utf-8")


def _snapshot_files(workspace: Workspace, register: Register, result: AnalysisResult,
                    report_md: str) -> dict[str, bytes]:
    result_json = json.dumps(result.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    files = {
        MODEL_FILE: read_model_bytes(workspace.model_path),
        REGISTER_FILE: _register_bytes(workspace, register),
        RESULT_FILE: result_json.encode("utf-8"),
        REPORT_FILE: report_md.encode("utf-8"),
    }
    proposals = read_bytes(workspace.root / PROPOSALS_FILENAME, "the proposals file")
    if proposals is not None:  # what models proposed is part of the record of the iteration
        files[PROPOSALS_FILENAME] = proposals
    return files


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        atomic.write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(parent: Path, number: int, files: dict[str, bytes]) -> None:
    """Write ``files`` into a hidden folder beside ``parent/<number>``, then rename it into place."""
    parent.mkdir(parents=True, exist_ok=True)
    for leftover in parent.glob(".*.tmp"):  # staging folders of snapshots that died (we hold the lock)
        shutil.rmtree(leftover, ignore_errors=True)
    final = parent / str(number)
    if final.exists():  # not in the audit log (checked by the caller): left by an interrupted snapshot
        shutil.rmtree(final)
    staging = Path(tempfile.mkdtemp(prefix=f".{number}.", suffix=".tmp", dir=parent))
    try:
        for name, data in files.items():
            _write_file(staging / name, data)
        _fsync_dir(staging)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(parent)


# --- reading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """What the ``iteration-new`` audit record says about a snapshot."""

    seq: int
    digest: str | None


def _recorded(records: Iterable[AuditRecord]) -> dict[int, _Record]:
    """Iteration number -> what its ``iteration-new`` audit record says."""
    found: dict[int, _Record] = {}
    for record in records:
        if record.action != ACTION or not record.target.startswith("iteration:"):
            continue
        number = record.target.removeprefix("iteration:")
        if number.isdigit():
            found[int(number)] = _Record(seq=record.seq, digest=(record.details or {}).get(DIGEST_KEY))
    return found


def _damaged(path: Path, message: str, hint: str | None = None) -> StoreError:
    return StoreError([Problem(message, Location(file=str(path)),
                               hint=hint or "restore the iteration folder from version control or a backup")])


def _read_bytes(path: Path, what: str) -> bytes:
    data = read_bytes(path, what)
    if data is None:
        raise _damaged(path, f"cannot read {what}: it is missing")
    return data


def _verified_info(workspace: Workspace, number: int, record: _Record) -> IterationInfo:
    folder = iteration_dir(workspace, number)
    refuse_links(workspace.root, folder)
    if not folder.is_dir():
        raise _damaged(folder, f"iteration {number} is recorded (audit record {record.seq}) but its folder is missing")
    path = folder / INFO_FILE
    data = _read_bytes(path, "the iteration summary")
    if record.digest is not None and _sha256(data) != record.digest:
        raise _damaged(path, f"changed after it was recorded (audit record {record.seq} holds another digest)")
    try:
        info = IterationInfo.model_validate_json(data)
    except ValidationError as exc:
        raise _damaged(path, f"not a valid iteration summary: {exc.errors()[0]['msg']}") from None
    if info.number != number:
        raise _damaged(path, f"says it is iteration {info.number}, but it sits in folder {number}")
    for name in SNAPSHOT_FILES:
        file = folder / name
        if _sha256(_read_bytes(file, name)) != info.files.get(name):
            raise _damaged(file, f"changed after iteration {number} was recorded (its sha256 differs)")
    return info


def _read_system(path: Path) -> System:
    data = _read_bytes(path, "the model copy")
    try:
        # No control list: a snapshot is history and may name controls a later catalogue dropped.
        return parse_system_text(data.decode("utf-8-sig"), str(path)).system
    except (UnicodeDecodeError, InputError) as exc:
        raise _damaged(path, f"the model copy cannot be read: {exc}") from None


def _read_register(path: Path) -> Register:
    data = _read_bytes(path, "the register copy")
    try:
        return parse_register(data.decode("utf-8"), str(path))
    except UnicodeDecodeError as exc:
        raise _damaged(path, f"the register copy is not UTF-8 text (byte {exc.start + 1})") from None


def _read_result(path: Path) -> AnalysisResult | None:
    """The digest already proved the file intact; a result this version cannot parse came from another one."""
    try:
        return AnalysisResult.model_validate_json(_read_bytes(path, "the result"))
    except ValidationError:
        return None
