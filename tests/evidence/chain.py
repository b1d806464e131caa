"""Hand-built audit logs in the store's exact format (store.audit), for packs without a workspace."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from dicetm.model.register import AuditHead, Register
from dicetm.store.audit import ZERO_HASH, AuditRecord, register_digest


def chain(register: Register, actions: list[tuple[str, str, dict[str, Any]]]) -> tuple[bytes, Register]:
    """An audit log of ``actions`` (action, target, details) ending in ``register``; the register with its head."""
    previous, lines, record = ZERO_HASH, [], None
    state = register_digest(register)
    for seq, (action, target, details) in enumerate(actions, start=1):
        record = AuditRecord.sealed({
            "seq": seq, "time": f"2026-01-01T00:00:{seq:02d}.000000Z", "actor": "Dana Lee <dana@example.com>",
            "action": action, "target": target, "before": None, "after": None, "register": state, "reason": None,
            "details": details, "version": "0.1.0", "prev": previous})
        previous = record.hash
        lines.append(record.line())
    head = AuditHead(seq=record.seq, hash=record.hash) if record else None
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    return data, register.model_copy(update={"audit_head": head})


def iteration_info(number: int, report: bytes) -> bytes:
    info = {"number": number, "reason": "design review", "actor": "Dana Lee <dana@example.com>",
            "time": "2026-01-01T00:00:00Z", "threats": 22, "files": {"report.md": hashlib.sha256(report).hexdigest()}}
    return (json.dumps(info, indent=2, sort_keys=True) + "\n").encode("utf-8")
