"""The workspace beside a model file: the review register, its audit log and the lock that guards both.

Writing holds the lock exclusively and first recovers from a writer that died mid-commit. A transaction
refuses to start when the audit chain is broken or the register is not the state the log's last record
committed. A commit goes:

1. the new register is written to a temp file beside the register and fsynced, and so is the folder (the
   temp file's name must outlive a power cut before the log can vouch for its content);
2. the transaction's records are appended to the audit log and fsynced: from here on the change is
   committed, because recovery can finish the rest from the temp file;
3. the temp file is renamed over the register and the folder fsynced.

A failure on the way (a full disk) takes everything back: the temp file is deleted and the log cut back to
its old end, and the caller gets a located StoreError.

Recovery looks at each temp file left beside the register. When the log ends with the complete set of
records that produced it (its ``audit_head`` is the log's last line and its digest is in those records),
the rename is completed. When the log ends with only part of them (complete records and perhaps a cut-off
line, all carrying that digest and chained from the register's head), the transaction never committed:
the log is cut back to the register's head. Any other temp file is deleted. Recovery never touches a log
or register that no temp file explains; ``verify`` reports those, and transactions refuse to run on them.

Reading takes the lock shared, only when the lock file exists, and never writes: it works in a read-only
folder, and it resolves a crashed writer's leftovers in memory the way recovery would on disk.

A Workspace object remembers the files as it last read or wrote them, so the next transaction re-parses
neither an unchanged register nor the verified part of the log.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel

from dicetm import __version__
from dicetm.errors import InputError, Location, Problem, StoreError
from dicetm.gcpause import gc_paused
from dicetm.model.register import REGISTER_FORMAT, AuditHead, Register
from dicetm.store import analysiscache, atomic
from dicetm.store.atomic import sync_folder, temp_pattern, write_temp
from dicetm.store.audit import (
    AUDIT_FILENAME,
    ZERO_HASH,
    AuditRecord,
    VerifyResult,
    canonical_json,
    digest,
    parse_log,
    parse_record,
    register_digest,
    timestamp,
    verify,
)
from dicetm.store.lock import DEFAULT_TIMEOUT, LOCK_FILENAME, WorkspaceLock
from dicetm.store.modelfile import resolve_model_path
from dicetm.store.registerfile import LISTS, REGISTER_FILENAME, Encoded, encode, parse_encoded
from dicetm.store.wsfiles import ITERATIONS_DIRNAME, disk_error, open_append, read_bytes

TOOL_ACTOR = "dicetm"  # the actor of changes dicetm makes on its own (reconciling, migrating the register)
CRASH_EXIT_CODE = 137  # what a shell reports for a process killed with SIGKILL
_BLOCK = 1 << 16
_REGISTER = "the register"
_LOG = "the audit log"


@dataclass
class _Seen:
    """The workspace files as this object last read or wrote them. Only read and changed under the exclusive
    lock, which also serialises threads (each takes its own flock)."""

    register: bytes | None = None
    encoded: Encoded | None = None
    log: bytes = b""  # a prefix of the audit log whose chain is verified
    last: AuditRecord | None = None  # the last record of ``log``


@dataclass(frozen=True)
class Workspace:
    root: Path
    model_path: Path
    lock_timeout: float = DEFAULT_TIMEOUT
    _seen: _Seen = field(default_factory=_Seen, compare=False, repr=False)

    @classmethod
    def open(cls, path: Path, *, lock_timeout: float = DEFAULT_TIMEOUT) -> Workspace:
        """The workspace of a model file, or of the folder holding ``dicetm.yaml`` (InputError if none)."""
        model_path = resolve_model_path(Path(path))
        return cls(root=model_path.parent, model_path=model_path, lock_timeout=lock_timeout)

    @property
    def register_path(self) -> Path:
        return self.root / REGISTER_FILENAME

    @property
    def audit_path(self) -> Path:
        return self.root / AUDIT_FILENAME

    @property
    def iterations_dir(self) -> Path:
        return self.root / ITERATIONS_DIRNAME

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_FILENAME

    def exists(self) -> bool:
        return self.register_path.is_file() and not self.register_path.is_symlink()

    # ------------------------------------------------------------------------------------- reading

    def read(self) -> Register:
        """The current register (an empty one before the first transaction)."""
        encoded = self.read_encoded()
        return encoded.register() if encoded is not None else Register()

    def read_encoded(self) -> Encoded | None:
        """The current register as an Encoded state (None before the first transaction)."""
        register, _log = self._snapshot()
        return parse_encoded(register, str(self.register_path)) if register is not None else None

    def records(self) -> list[AuditRecord]:
        """Every record of the audit log; StoreError names the first line that is not a record."""
        _register, log = self._snapshot()
        return parse_log(log, str(self.audit_path))

    def verify(self) -> VerifyResult:
        """Check the whole hash chain and that the register is the state its last record committed."""
        register, log = self._snapshot()
        encoded = parse_encoded(register, str(self.register_path)) if register is not None else None
        return verify(parse_log(log, str(self.audit_path)), encoded.register() if encoded else None)

    def _snapshot(self) -> tuple[bytes | None, bytes]:
        """The register and log bytes as committed, read without writing anything (see the module text)."""
        with WorkspaceLock(self.lock_path, self.lock_timeout, shared=True):
            register = read_bytes(self.register_path, _REGISTER)
            log = read_bytes(self.audit_path, _LOG) or b""
            temps = [(path, read_bytes(path, "a temp file")) for path in self._temps()]
        if not temps:  # the common case: nothing half-committed, so no need to parse the register for its head
            return register, log
        head = _head_of(register)
        for _path, pending in temps:
            plan = _plan(pending, head, log, str(self.audit_path))
            if plan.complete is not None:
                register, head = pending, plan.complete
            elif plan.cut is not None:
                log = log[:plan.cut]
        return register, log

    def _temps(self) -> list[Path]:
        return sorted(path for path in self.root.glob(temp_pattern(self.register_path)) if not path.is_symlink())

    # ------------------------------------------------------------------------------------- writing

    @contextmanager
    def transaction(self, actor: str) -> Iterator[Transaction]:
        """Lock, recover, load the register and yield a Transaction; commit on normal exit, write nothing
        when the block raises. Refuses (StoreError) when the audit chain is broken or the register and the
        log do not agree."""
        if not actor.strip():
            raise InputError([Problem("a transaction needs an actor: the person or tool making the change",
                                      Location(file=str(self.audit_path)))])
        with WorkspaceLock(self.lock_path, self.lock_timeout):
            self._recover()
            encoded, log = self._load()
            if encoded is not None and encoded.data.get("version", REGISTER_FORMAT) > REGISTER_FORMAT:
                raise StoreError([Problem(
                    f"the register is in format {encoded.data['version']}, written by a newer dicetm",
                    Location(file=str(self.register_path), path="version"), "upgrade dicetm")])
            last = self._seen.last
            tx = Transaction(encoded.register() if encoded else Register(), actor, last.seq + 1 if last else 1,
                             previous=last)
            tx.base = tx.committed = encoded.digest if encoded is not None else None
            as_found = tx.register.model_dump_json()  # a fast first check that nothing changed unrecorded
            try:
                yield tx
            finally:
                tx._closed = True
            self._commit(tx, encoded, log, as_found)

    @gc_paused()  # the register and the audit log are read into many small acyclic objects; see dicetm.gcpause
    def _load(self) -> tuple[Encoded | None, bytes]:
        """The register and log under the exclusive lock, checked; reuses what this object saw last, and
        the part of the log a verification on this machine found intact already (``analysiscache``)."""
        seen = self._seen
        register = read_bytes(self.register_path, _REGISTER)
        log = read_bytes(self.audit_path, _LOG) or b""
        if register is None:
            encoded = None
        elif register == seen.register and seen.encoded is not None:
            encoded = seen.encoded
        else:
            encoded = parse_encoded(register, str(self.register_path))
        if seen.last is None or not log.startswith(seen.log):
            seen.log, seen.last = b"", None
            start = analysiscache.verified_log(self.audit_path, log)
            if start:
                seen.log, seen.last = log[:start], _last_record(log[:start], str(self.audit_path))
        new = _parse_from(log, len(seen.log), str(self.audit_path))
        last = new[-1] if new else seen.last
        if not _continues(new, seen.last) or not _matches(last, encoded):
            self._refuse(log, encoded)
        if new:
            analysiscache.remember_verified_log(self.audit_path, log)
        seen.register, seen.encoded, seen.log, seen.last = register, encoded, log, last
        return encoded, log

    def _refuse(self, log: bytes, encoded: Encoded | None) -> None:
        records = parse_log(log, str(self.audit_path))
        result = verify(records, encoded.register() if encoded is not None else None)
        problems = result.problems or ["the register and the audit log do not agree"]
        self._seen.register, self._seen.encoded, self._seen.log, self._seen.last = None, None, b"", None
        raise StoreError([Problem(
            f"{text}; nothing can be recorded until the audit log verifies",
            Location(file=str(self.register_path if "register" in text else self.audit_path)),
            f"run `dicetm audit verify`, then restore {REGISTER_FILENAME} and {AUDIT_FILENAME} together from "
            "version control") for text in problems])

    def _commit(self, tx: Transaction, before: Encoded | None, log: bytes, as_found: str) -> None:
        last = self._seen.last
        if not tx._pending and tx.register.model_dump_json() == as_found:
            return
        if tx._pending and tx.register.version < REGISTER_FORMAT:
            old = tx.register.version
            tx.register.version = REGISTER_FORMAT
            tx._reserve("migrate-register", "register", {"version": old}, {"version": REGISTER_FORMAT},
                        f"the register file is rewritten in format {REGISTER_FORMAT}; no decision changes",
                        None, TOOL_ACTOR)
        state = encode(tx.register, before.texts if before is not None else None)
        if not tx._pending:
            unchanged = before.digest if before is not None else register_digest(Register())
            if state.digest != unchanged:
                raise StoreError([Problem(
                    "the transaction changed the register without recording the change",
                    Location(file=str(self.register_path)), "call tx.record(...) for every change")])
            return
        records: list[AuditRecord] = []
        previous = last.hash if last else ZERO_HASH
        for change in tx._pending:
            records.append(change.seal(change.actor or tx.actor, state.digest, previous))
            previous = records[-1].hash
        head = AuditHead(seq=records[-1].seq, hash=records[-1].hash)
        text = state.text(head).encode("utf-8")
        lines = "".join(record.line() + "\n" for record in records).encode("utf-8")
        self._write(text, lines, len(log) if log or self.audit_path.exists() else None)
        tx.committed = state.digest
        for key, order in LISTS.items():  # the caller's register now reads as the committed one
            getattr(tx.register, key).sort(key=lambda item, order=order: getattr(item, order))
        tx.register.audit_head = head
        committed = Encoded({**state.data, "audit_head": head.model_dump(mode="json")}, state.canonical,
                            state.texts, state.digest)
        self._seen.register, self._seen.encoded = text, committed
        self._seen.log, self._seen.last = log + lines, records[-1]
        analysiscache.remember_verified_log(self.audit_path, self._seen.log)

    def _write(self, text: bytes, lines: bytes, log_size: int | None) -> None:
        """Steps 1-3 of a commit; on failure nothing is left changed and a located StoreError is raised."""
        try:
            temp = write_temp(self.register_path, text)
        except OSError as exc:
            raise disk_error(self.register_path, exc, "cannot write the register; nothing was recorded") from None
        try:
            sync_folder(self.root)
            _test_fault("written")
            self._append(lines, log_size)
        except BaseException as exc:
            temp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise disk_error(self.audit_path, exc, "cannot append to the audit log; nothing was recorded") \
                    from None
            raise
        _test_fault("appended")
        try:
            os.replace(temp, self.register_path)
        except BaseException as exc:
            # Still under the lock, so nobody has seen the records: take them back. Should that fail too,
            # the temp file stays, and recovery completes the commit instead.
            self._truncate(log_size or 0)
            temp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise disk_error(self.register_path, exc, "cannot replace the register; nothing was recorded") \
                    from None
            raise
        _test_fault("renamed")
        sync_folder(self.root)

    def _append(self, lines: bytes, log_size: int | None) -> None:
        fd = open_append(self.audit_path, _LOG)
        try:
            if _crash_point() == "append":
                os.write(fd, lines[:-20])  # the end of the last record is missing, as after a kill mid-write
                os._exit(CRASH_EXIT_CODE)
            atomic.write_all(fd, lines)
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, log_size or 0)
            raise
        finally:
            os.close(fd)
        if log_size is None:
            sync_folder(self.root)  # a new log's name must be durable before the register points into it

    def _truncate(self, size: int) -> None:
        fd = os.open(self.audit_path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)

    # ------------------------------------------------------------------------------------ recovery

    def _recover(self) -> None:
        temps = self._temps()
        if not temps:
            return
        head = _head_of(read_bytes(self.register_path, _REGISTER))
        for temp in temps:
            plan = _plan(read_bytes(temp, "a temp file"), head, read_bytes(self.audit_path, _LOG) or b"",
                         str(self.audit_path))
            try:
                if plan.complete is not None:
                    os.replace(temp, self.register_path)
                    sync_folder(self.root)
                    head = plan.complete
                    continue
                if plan.cut is not None:
                    self._truncate(plan.cut)  # before the temp file goes: a crash here just repeats this
                temp.unlink(missing_ok=True)
                sync_folder(self.root)
            except OSError as exc:
                raise disk_error(temp, exc, "cannot finish an interrupted commit") from None


@dataclass(frozen=True)
class _Plan:
    """What to do with a temp file: complete its commit (the head it commits), cut the log back to ``cut``
    (an uncommitted transaction's partial records), or neither (drop it)."""

    complete: AuditHead | None = None
    cut: int | None = None


def _plan(pending_bytes: bytes | None, head: AuditHead | None, log: bytes, filename: str) -> _Plan:
    pending = _read_pending(pending_bytes)
    if pending is None or pending.audit_head is None or (head is not None and pending.audit_head.seq <= head.seq):
        return _Plan()
    tail = _tail_after(log, head, register_digest(pending), filename)
    target = pending.audit_head
    if tail is not None and not tail.partial and tail.records and (
            tail.records[-1].seq, tail.records[-1].hash) == (target.seq, target.hash):
        return _Plan(complete=target)
    if tail is not None and all(record.seq < target.seq for record in tail.records) and (
            tail.partial or tail.records):
        return _Plan(cut=tail.cut)
    return _Plan()


def _head_of(register: bytes | None) -> AuditHead | None:
    pending = _read_pending(register)
    return pending.audit_head if pending is not None else None


def _read_pending(data: bytes | None) -> Register | None:
    """The register in some bytes, or None if there are none or they are unreadable (e.g. cut short)."""
    if data is None:
        return None
    try:
        return parse_encoded(data, "").register()
    except StoreError:
        return None


def _tail_after(log: bytes, head: AuditHead | None, state: str, filename: str) -> _Tail | None:
    """The log after the record ``head`` if all of it can belong to the commit of the register ``state``
    (records chained from ``head`` that carry ``state``, then perhaps a cut-off line); None otherwise."""
    if not log:
        return _Tail(cut=0) if head is None else None
    tail = _Tail(cut=0)
    found_head = head is None
    for offset, line, complete in _lines_backward(io.BytesIO(log), len(log)):
        if not complete:
            tail.partial = True
            continue
        try:
            record = parse_record(line.decode("utf-8"), filename, 0)
        except (StoreError, UnicodeDecodeError):
            return None
        if head is not None and (record.seq, record.hash) == (head.seq, head.hash):
            tail.cut, found_head = offset + len(line) + 1, True
            break
        if record.register != state:
            return None
        tail.records.append(record)
    if not found_head:
        return None
    tail.records.reverse()
    return tail if _continues(tail.records, head) else None


def _last_record(log: bytes, filename: str) -> AuditRecord | None:
    """The last record of a log known to be intact."""
    end = log.rstrip(b"\n").rfind(b"\n") + 1
    return parse_record(log[end:].rstrip(b"\n").decode("utf-8"), filename, 0) if log else None


def _parse_from(log: bytes, start: int, filename: str) -> list[AuditRecord]:
    """The records of ``log`` from byte ``start`` (a line start); StoreError names a damaged line."""
    if start >= len(log):
        return []
    try:
        return parse_log(log[start:], filename)
    except StoreError:
        return parse_log(log, filename)[log.count(b"\n", 0, start):]  # the same error, with the true line number


def _continues(records: list[AuditRecord], last: AuditRecord | AuditHead | None) -> bool:
    """``records`` are intact and chained on from ``last`` (None: from the start of the log)."""
    seq, previous = (last.seq, last.hash) if last is not None else (0, ZERO_HASH)
    for record in records:
        if record.seq != seq + 1 or record.prev != previous or not record.hash_matches():
            return False
        seq, previous = record.seq, record.hash
    return True


def _matches(last: AuditRecord | None, encoded: Encoded | None) -> bool:
    """The register is the state the log's last record committed (both absent counts)."""
    if last is None or encoded is None:
        return last is None and encoded is None
    head = encoded.head
    return head is not None and (head.seq, head.hash) == (last.seq, last.hash) and encoded.digest == last.register


class Transaction:
    """The changes of one locked read-modify-write: mutate ``register`` (or assign a new one) and call
    ``record`` once per change. The records and the register are written when the ``with`` block ends.

    ``base`` is the digest of the register as the transaction found it (None: no register file yet) and
    ``committed`` the digest of the register after it (equal to ``base`` when nothing was written).
    """

    def __init__(self, register: Register, actor: str, next_seq: int, previous: AuditRecord | None = None) -> None:
        self.register = register
        self.actor = actor
        self.previous = previous  # the log's last record before this transaction (None: the log is empty)
        self.base: str | None = None
        self.committed: str | None = None
        self._next_seq = next_seq
        self._pending: list[_Change] = []
        self._closed = False

    def record(self, action: str, target: str, before: BaseModel | Mapping[str, Any] | None,
               after: BaseModel | Mapping[str, Any] | None, reason: str | None = None,
               details: Mapping[str, Any] | None = None, *, actor: str | None = None) -> tuple[int, str]:
        """Reserve the next audit record: returns its ``(seq, time)``. ``before`` is digested now and
        ``after`` at commit, so changes made to ``after`` later in the block (such as the history entry
        that carries the returned seq) are part of its digest. ``actor`` overrides the transaction's actor
        for this record (dicetm's own changes in a reviewer's transaction)."""
        if self._closed:
            raise RuntimeError("this transaction has ended; open a new one")
        return self._reserve(action, target, before, after, reason, details, actor)

    def _reserve(self, action: str, target: str, before: BaseModel | Mapping[str, Any] | None,
                 after: BaseModel | Mapping[str, Any] | None, reason: str | None,
                 details: Mapping[str, Any] | None, actor: str | None) -> tuple[int, str]:
        seq, at = self._next_seq + len(self._pending), timestamp()
        # A JSON round trip copies details (later changes to the caller's dict do not leak into the record)
        # and fails here, not at commit, when something in it has no JSON form.
        copied = json.loads(canonical_json(dict(details or {})))
        self._pending.append(_Change(seq, at, action, target, digest(before), after, reason, copied, actor))
        return seq, at


@dataclass
class _Change:
    seq: int
    time: str
    action: str
    target: str
    before: str | None
    after: BaseModel | Mapping[str, Any] | None
    reason: str | None
    details: dict[str, Any]
    actor: str | None = None

    def seal(self, actor: str, state: str, previous: str) -> AuditRecord:
        return AuditRecord.sealed({
            "seq": self.seq, "time": self.time, "actor": actor, "action": self.action, "target": self.target,
            "before": self.before, "after": digest(self.after), "register": state, "reason": self.reason,
            "details": self.details, "version": __version__, "prev": previous,
        })


@dataclass
class _Tail:
    cut: int  # byte offset just after the register's head record (0: the start of the log)
    records: list[AuditRecord] = field(default_factory=list)
    partial: bool = False  # the log ends with a line cut off before its newline


def _lines_backward(handle: BinaryIO, size: int) -> Iterator[tuple[int, bytes, bool]]:
    """``(offset, line, complete)`` from the last line of a file to the first, reading blocks from the end.
    Newlines are stripped; only the last line can be incomplete (no newline after it)."""
    position, buffer, last = size, b"", True
    while True:
        cut = buffer.rfind(b"\n")
        if cut < 0 and position > 0:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            buffer = handle.read(step) + buffer
            continue
        line = buffer[cut + 1:]
        if line or not last:  # the empty piece after a final newline is not a line
            yield position + cut + 1, line, not last
        last = False
        if cut < 0:
            return
        buffer = buffer[:cut]


def _crash_point() -> str | None:
    return os.environ.get("DICETM_TEST_CRASH_AT")


def _test_fault(point: str) -> None:
    """Test-only fault injection for the crash tests in tests/store; both variables are unset in real use.

    DICETM_TEST_CRASH_AT=<point> ends the process at that point of a commit ("written", "append" (mid-way
    through the log write), "appended", "renamed") with os._exit: no cleanup and no flushing, as after a
    kill -9. DICETM_TEST_SLOW_COMMIT=<seconds> sleeps between the synced log append and the rename, to widen
    the window that the random kills of those tests aim at.
    """
    if _crash_point() == point:
        os._exit(CRASH_EXIT_CODE)
    pause = os.environ.get("DICETM_TEST_SLOW_COMMIT")
    if point == "appended" and pause:
        time.sleep(float(pause))
