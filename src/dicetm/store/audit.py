"""The hash-chained audit log, ``dicetm-audit.jsonl``: one JSON record per line, each naming the one before.

Every record holds the hash of the previous record, and the register file names the last record that
produced it (``audit_head``). Editing, removing, inserting or reordering records, cutting the log short and
editing the register therefore all show in ``verify``. The chain has no secret key: whoever rewrites the
log and the register together with these functions can make them agree again, so version control history
and signatures (``store.signatures``: ``sign`` records holding SSH signatures over the chain) are the outside
anchors.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from dicetm.errors import Location, Problem, StoreError
from dicetm.model.register import Register

AUDIT_FILENAME = "dicetm-audit.jsonl"
ZERO_HASH = "0" * 64
_DAMAGED_HINT = "only dicetm writes the audit log; restore it from version control"


def canonical_json(obj: object) -> bytes:
    """The one byte form that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(obj: BaseModel | Mapping[str, Any] | None) -> str | None:
    """sha256 of the canonical JSON of a model (its JSON dump) or of a mapping; None stays None."""
    if obj is None:
        return None
    data = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
    return sha256_hex(canonical_json(data))


def register_digest(register: Register) -> str:
    """Digest of the whole register except ``audit_head``, which names the record that holds this digest."""
    return sha256_hex(canonical_json(register.model_dump(mode="json", exclude={"audit_head"})))


def timestamp() -> str:
    """Now, in UTC, as ISO 8601 with microseconds and a 'Z': ``2026-11-26T02:30:00.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


with warnings.catch_warnings():
    # The contract names a field "register", which hides ABCMeta.register on the class (never used here).
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class AuditRecord(BaseModel):
        """One line of the audit log. ``register`` is the digest of the register as committed by the
        transaction that wrote the record (all records of one transaction share it)."""

        model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

        seq: int
        time: str
        actor: str
        action: str
        target: str
        before: str | None
        after: str | None
        register: str
        reason: str | None
        details: dict[str, Any]
        version: str
        prev: str
        hash: str

        _source: str | None = PrivateAttr(default=None)  # the line as read from the file, if it was read

        @classmethod
        def sealed(cls, fields: Mapping[str, Any]) -> AuditRecord:
            """A record from every field but ``hash``, which is computed."""
            record = cls.model_validate({**fields, "hash": ""})
            return record.model_copy(update={"hash": record_hash(record)})

        def line(self) -> str:
            """The record as dicetm writes it, without the newline."""
            return canonical_json(self.model_dump(mode="json")).decode("utf-8")

        def hash_matches(self) -> bool:
            """The stored hash is the hash of the content, and the line was in dicetm's exact form."""
            if self._source is not None and self._source != self.line():
                return False
            return self.hash == record_hash(self)


def record_hash(record: AuditRecord) -> str:
    """sha256 over the canonical JSON of the record without its ``hash`` field."""
    return sha256_hex(canonical_json(record.model_dump(mode="json", exclude={"hash"})))


def parse_record(text: str, filename: str, line: int) -> AuditRecord:
    """One log line (without its newline) as a record; StoreError located at ``filename:line`` otherwise."""
    where = Location(file=filename, line=line)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError([Problem(f"line {line} of the audit log is not JSON ({exc.msg}, column {exc.colno})",
                                  Location(file=filename, line=line, column=exc.colno), _DAMAGED_HINT)]) from None
    try:
        record = AuditRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "the record"
        raise StoreError([Problem(f"line {line} of the audit log is not an audit record: {field}: {first['msg']}",
                                  where, _DAMAGED_HINT)]) from None
    record._source = text
    return record


def parse_log(data: bytes, filename: str) -> list[AuditRecord]:
    """Every record of a log, strictly: each line must be a record and end with a newline."""
    if not data:
        return []
    lines = data.split(b"\n")
    if lines[-1]:
        raise StoreError([Problem(f"line {len(lines)} of the audit log is incomplete (no newline at the end)",
                                  Location(file=filename, line=len(lines)), _DAMAGED_HINT)])
    records = []
    for number, raw in enumerate(lines[:-1], start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StoreError([Problem(f"line {number} of the audit log is not UTF-8 text (byte {exc.start + 1})",
                                      Location(file=filename, line=number), _DAMAGED_HINT)]) from None
        records.append(parse_record(text, filename, number))
    return records


def read_log(path: Path) -> list[AuditRecord]:
    """The records of the log at ``path`` (none if it does not exist); StoreError names a damaged line."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError([Problem(f"cannot read the audit log: {exc.strerror or exc}",
                                  Location(file=str(path)))]) from None
    return parse_log(data, str(path))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    problems: list[str]
    first_bad_seq: int | None  # the seq where the record (or the register) first stops being trustworthy
    records: int


def verify(records: Sequence[AuditRecord], register: Register | None) -> VerifyResult:
    """Check the chain of ``records`` (in file order) and that ``register`` (None: no file) is its last state."""
    found = _chain_problems(records) + register_problems(records[-1] if records else None, register)
    seqs = [seq for seq, _text in found if seq is not None]
    return VerifyResult(ok=not found, problems=[text for _seq, text in found],
                        first_bad_seq=min(seqs) if seqs else None, records=len(records))


def _chain_problems(records: Sequence[AuditRecord]) -> list[tuple[int | None, str]]:
    found: list[tuple[int | None, str]] = []
    expected, previous = 1, ZERO_HASH
    for line, record in enumerate(records, start=1):
        where = f"line {line} (seq {record.seq})"
        if not record.hash_matches():
            # Nothing in an edited record can be trusted, its seq included: count on from its position.
            found.append((expected, f"{where}: the record does not match its hash (it was edited)"))
            expected, previous = expected + 1, record.hash
            continue
        faults = []
        bad = expected
        if record.seq != expected:
            faults.append(f"seq {expected} was expected here (a record was removed, inserted or moved)")
            bad = min(expected, record.seq)
        if record.prev != previous:
            faults.append("it does not link to the record before it (a record was removed, inserted, moved "
                          "or replaced)")
        if faults:
            found.append((bad, f"{where}: " + "; ".join(faults)))
        # Continue from what this record says, so one removal or insertion is reported once, not at every
        # record after it.
        expected, previous = record.seq + 1, record.hash
    return found


def register_problems(last: AuditRecord | None, register: Register | None) -> list[tuple[int | None, str]]:
    """Whether ``register`` (None: no file) is the state ``last`` (None: empty log) committed, as
    ``(first bad seq, problem)`` pairs; empty when it is."""
    if register is None:
        if last is None:
            return []
        return [(last.seq, f"the register file is missing, but the audit log runs to record {last.seq}")]
    head = register.audit_head
    if last is None:
        if head is None:
            return [(None, "the register file is not in the audit log: the log is empty and the register names "
                           "no audit record (it was not written by dicetm)")]
        return [(1, f"the audit log is empty, but the register was produced by record {head.seq} (the log was "
                    "deleted or cut short)")]
    if head is None:
        return [(last.seq, f"the register names no audit record, but the log runs to record {last.seq} (the "
                           "register was replaced)")]
    if head.seq > last.seq:
        return [(last.seq + 1, f"the register was produced by record {head.seq}, but the audit log ends at "
                               f"record {last.seq} (the log was cut short)")]
    if head.seq < last.seq:
        return [(head.seq + 1, f"the register was produced by record {head.seq}, but the audit log runs on to "
                               f"record {last.seq} (the register is older than the log: restored or replaced)")]
    if head.hash != last.hash:
        return [(last.seq, f"the register names a record {head.seq} other than the one in the log (the end of "
                           "the log was rewritten)")]
    if register_digest(register) != last.register:
        return [(last.seq, f"the register differs from the state record {last.seq} committed (the register "
                           "file was edited)")]
    return []
