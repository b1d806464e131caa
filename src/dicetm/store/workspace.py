"""The workspace beside a model file: the review register, its audit log and the lock that guards both.

Every read and write holds the lock and first recovers from a writer that died mid-commit. A commit goes:

1. the new register is written to a temp file beside the register and fsynced, and so is the folder (the
   temp file's name must outlive a power cut before the log can vouch for its content);
2. the transaction's records are appended to the audit log and fsynced: from here on the change is
   committed, because recovery can finish the rest from the temp file;
3. the temp file is renamed over the register and the folder fsynced.

Recovery looks at each temp file left beside the register. When the log ends with the complete set of
records that produced it (its ``audit_head`` is the log's last line and its digest is in those records),
the rename is completed. When the log ends with only part of them (complete records and perhaps a cut-off
line, all carrying that digest and chained from the register's head), the transaction never committed:
the log is cut back to the register's head. Any other temp file is deleted. Recovery never touches a log
or register that no temp file explains; ``verify`` reports those, and transactions refuse to run on them.
"""

from __future__ import annotations

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
from dicetm.model.register import AuditHead, Register
from dicetm.store.atomic import sync_folder, temp_pattern, write_temp
from dicetm.store.audit import (
    AUDIT_FILENAME,
    ZERO_HASH,
    AuditRecord,
    VerifyResult,
    canonical_json,
    digest,
    parse_record,
    read_log,
    register_digest,
    register_problems,
    timestamp,
    verify,
)
from dicetm.store.lock import DEFAULT_TIMEOUT, LOCK_FILENAME, WorkspaceLock
from dicetm.store.modelfile import resolve_model_path
from dicetm.store.registerfile import REGISTER_FILENAME, dump_register, load_register, normalized, parse_register

ITERATIONS_DIRNAME = "dicetm-iterations"
CRASH_EXIT_CODE = 137  # what a shell reports for a process killed with SIGKILL
_BLOCK = 1 << 16


@dataclass(frozen=True)
class Workspace:
    root: Path
    model_path: Path
    lock_timeout: float = DEFAULT_TIMEOUT

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
        return self.register_path.is_file()

    def read(self) -> Register:
        """The current register (an empty one before the first transaction)."""
        with self._locked():
            register = load_register(self.register_path)
        return register if register is not None else Register()

    def records(self) -> list[AuditRecord]:
        """Every record of the audit log; StoreError names the first line that is not a record."""
        with self._locked():
            return read_log(self.audit_path)

    def verify(self) -> VerifyResult:
        """Check the whole hash chain and that the register is the state its last record committed."""
        with self._locked():
            return verify(read_log(self.audit_path), load_register(self.register_path))

    @contextmanager
    def transaction(self, actor: str) -> Iterator[Transaction]:
        """Lock, recover, load the register and yield a Transaction; commit on normal exit, write nothing
        when the block raises. Refuses (StoreError) when the register and the log do not agree."""
        if not actor.strip():
            raise InputError([Problem("a transaction needs an actor: the person or tool making the change",
                                      Location(file=str(self.audit_path)))])
        with self._locked():
            register = load_register(self.register_path)
            last, log_size = self._last_record()
            disagreements = register_problems(last, register)
            if disagreements:
                raise StoreError([Problem(
                    f"{text}; nothing can be recorded until the register and the audit log agree",
                    Location(file=str(self.register_path)),
                    f"restore {REGISTER_FILENAME} and {AUDIT_FILENAME} together from version control")
                    for _seq, text in disagreements])
            tx = Transaction(register if register is not None else Register(), actor, last.seq + 1 if last else 1,
                             previous=last)
            try:
                yield tx
            finally:
                tx._closed = True
            self._commit(tx, last, log_size)

    # --------------------------------------------------------------------------------------- commit

    def _commit(self, tx: Transaction, last: AuditRecord | None, log_size: int | None) -> None:
        register = normalized(tx.register)
        state = register_digest(register)
        if not tx._pending:
            if state != (last.register if last else register_digest(Register())):
                raise StoreError([Problem(
                    "the transaction changed the register without recording the change",
                    Location(file=str(self.register_path)), "call tx.record(...) for every change")])
            return
        records: list[AuditRecord] = []
        previous = last.hash if last else ZERO_HASH
        for change in tx._pending:
            records.append(change.seal(tx.actor, state, previous))
            previous = records[-1].hash
        register.audit_head = AuditHead(seq=records[-1].seq, hash=records[-1].hash)
        text = dump_register(register).encode("utf-8")
        lines = "".join(record.line() + "\n" for record in records).encode("utf-8")

        temp = write_temp(self.register_path, text)
        try:
            sync_folder(self.root)
            _test_fault("written")
            self._append(lines, log_size)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _test_fault("appended")
        try:
            os.replace(temp, self.register_path)
        except BaseException:
            # Still under the lock, so nobody has seen the records: take them back. Should that fail too,
            # the temp file stays, and recovery completes the commit instead.
            self._truncate(log_size or 0)
            temp.unlink(missing_ok=True)
            raise
        _test_fault("renamed")
        sync_folder(self.root)

    def _append(self, lines: bytes, log_size: int | None) -> None:
        fd = os.open(self.audit_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            if _crash_point() == "append":
                os.write(fd, lines[:-20])  # the end of the last record is missing, as after a kill mid-write
                os._exit(CRASH_EXIT_CODE)
            view = memoryview(lines)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, log_size or 0)
            raise
        finally:
            os.close(fd)
        if log_size is None:
            sync_folder(self.root)  # a new log's name must be durable before the register points into it

    def _truncate(self, size: int) -> None:
        with open(self.audit_path, "r+b") as handle:
            handle.truncate(size)
            handle.flush()
            os.fsync(handle.fileno())

    # ------------------------------------------------------------------------------------- reading

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with WorkspaceLock(self.lock_path, self.lock_timeout):
            self._recover()
            yield

    def _last_record(self) -> tuple[AuditRecord | None, int | None]:
        """The log's last record and the log's size (None: no log file)."""
        if not self.audit_path.exists():
            return None, None
        with open(self.audit_path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            for offset, line, complete in _lines_backward(handle, size):
                if not complete:
                    number = self._line_number(offset)
                    raise StoreError([Problem(
                        f"line {number} of the audit log is incomplete (no newline at the end)",
                        Location(file=str(self.audit_path), line=number),
                        "only dicetm writes the audit log; restore it from version control")])
                return self._parse_at(line, offset), size
        return None, size

    def _parse_at(self, line: bytes, offset: int) -> AuditRecord:
        filename = str(self.audit_path)
        try:
            return parse_record(line.decode("utf-8"), filename, 0)
        except (StoreError, UnicodeDecodeError):
            pass
        # A damaged line: count lines to say where (only now, as that reads the whole log).
        number = self._line_number(offset)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StoreError([Problem(f"line {number} of the audit log is not UTF-8 text (byte {exc.start + 1})",
                                      Location(file=filename, line=number))]) from None
        return parse_record(text, filename, number)

    def _line_number(self, offset: int) -> int:
        with open(self.audit_path, "rb") as handle:
            return handle.read(offset).count(b"\n") + 1

    # ------------------------------------------------------------------------------------ recovery

    def _recover(self) -> None:
        temps = sorted(self.root.glob(temp_pattern(self.register_path)))
        if not temps:
            return
        register = load_register(self.register_path)
        head = register.audit_head if register is not None else None
        for temp in temps:
            head = self._settle(temp, head)

    def _settle(self, temp: Path, head: AuditHead | None) -> AuditHead | None:
        """Finish or undo the commit that left ``temp`` behind; return the register's head afterwards."""
        pending = _read_pending(temp)
        if pending is not None and pending.audit_head is not None and (
                head is None or pending.audit_head.seq > head.seq):
            tail = self._tail_after(head, register_digest(pending))
            target = pending.audit_head
            if tail is not None and not tail.partial and tail.records and (
                    tail.records[-1].seq, tail.records[-1].hash) == (target.seq, target.hash):
                os.replace(temp, self.register_path)
                sync_folder(self.root)
                return target
            if tail is not None and all(record.seq < target.seq for record in tail.records) and (
                    tail.partial or tail.records):
                self._truncate(tail.cut)  # before the temp file goes: a crash here just repeats this
        temp.unlink(missing_ok=True)
        sync_folder(self.root)
        return head

    def _tail_after(self, head: AuditHead | None, state: str) -> _Tail | None:
        """The log after the record ``head`` if all of it can belong to the commit of the register ``state``
        (records chained from ``head`` that carry ``state``, then perhaps a cut-off line); None otherwise."""
        if not self.audit_path.exists():
            return _Tail(cut=0) if head is None else None
        tail = _Tail(cut=0)
        with open(self.audit_path, "rb") as handle:
            found_head = head is None
            for offset, line, complete in _lines_backward(handle, os.fstat(handle.fileno()).st_size):
                if not complete:
                    tail.partial = True
                    continue
                try:
                    record = parse_record(line.decode("utf-8"), str(self.audit_path), 0)
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
        seq, previous = (head.seq, head.hash) if head else (0, ZERO_HASH)
        for record in tail.records:
            if record.seq != seq + 1 or record.prev != previous or not record.hash_matches():
                return None
            seq, previous = record.seq, record.hash
        return tail


class Transaction:
    """The changes of one locked read-modify-write: mutate ``register`` (or assign a new one) and call
    ``record`` once per change. The records and the register are written when the ``with`` block ends."""

    def __init__(self, register: Register, actor: str, next_seq: int, previous: AuditRecord | None = None) -> None:
        self.register = register
        self.actor = actor
        self.previous = previous  # the log's last record before this transaction (None: the log is empty)
        self._next_seq = next_seq
        self._pending: list[_Change] = []
        self._closed = False

    def record(self, action: str, target: str, before: BaseModel | Mapping[str, Any] | None,
               after: BaseModel | Mapping[str, Any] | None, reason: str | None = None,
               details: Mapping[str, Any] | None = None) -> tuple[int, str]:
        """Reserve the next audit record: returns its ``(seq, time)``. ``before`` is digested now and
        ``after`` at commit, so changes made to ``after`` later in the block (such as the history entry
        that carries the returned seq) are part of its digest."""
        if self._closed:
            raise RuntimeError("this transaction has ended; open a new one")
        seq, at = self._next_seq + len(self._pending), timestamp()
        # A JSON round trip copies details (later changes to the caller's dict do not leak into the record)
        # and fails here, not at commit, when something in it has no JSON form.
        copied = json.loads(canonical_json(dict(details or {})))
        self._pending.append(_Change(seq, at, action, target, digest(before), after, reason, copied))
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


def _read_pending(temp: Path) -> Register | None:
    """The register in a temp file, or None if it is unreadable (e.g. cut short by a crash)."""
    try:
        return parse_register(temp.read_bytes().decode("utf-8"), str(temp))
    except (OSError, UnicodeDecodeError, StoreError):
        return None


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
