"""The evidence pack: one folder a reviewer or auditor can take away and check on their own.

Contents: ``report.html`` and ``report.md`` (the current analysis with review statuses), ``register.json``
(the register as recorded), ``audit.jsonl`` (the audit log up to the register's head), ``model/`` (the model
file the reports were computed from), ``iterations/`` (each snapshot's ``iteration.json`` and ``report.md``,
with ``index.json`` and ``index.md``), ``compliance.md`` and ``compliance.json`` (see ``compliance``), and
``manifest.json`` (sha256 and size of every other file, the dicetm and catalogue versions, creation time, the
day the analysis was judged on, audit head and figures), optionally signed in ``manifest.json.sig``. Building
never writes to the workspace; the folder appears in one rename, so nobody sees half a pack.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dicetm import __version__
from dicetm.errors import InputError, Location, Problem
from dicetm.evidence.compliance import (
    ComplianceInputs,
    ComplianceReport,
    assess,
    render_compliance_json,
    render_compliance_markdown,
)
from dicetm.evidence.verify import (
    AUDIT_COPY,
    ITERATION_INFO,
    ITERATIONS,
    MANIFEST,
    MANIFEST_SIGNATURE,
    MODEL_DIR,
    PACK_FORMAT,
    REGISTER_COPY,
    check_audit,
    sha256_hex,
)
from dicetm.gate.check import quick_items
from dicetm.model import AnalysisResult
from dicetm.model.register import AuditHead, Register
from dicetm.report import markdown as md
from dicetm.report.html import render_html
from dicetm.report.markdown import render_markdown
from dicetm.store.modelfile import LoadedModel
from dicetm.store.proposalsfile import PROPOSALS_FILENAME, dump_proposals
from dicetm.store.sshsig import SigningKey, sign

ITERATION_FILES = (ITERATION_INFO, "report.md")


@dataclass(frozen=True)
class IterationCopy:
    """What the pack keeps of one recorded iteration: its files by name, and iteration.json parsed."""

    number: int
    info: dict[str, Any]
    files: dict[str, bytes]


@dataclass(frozen=True)
class EvidenceInputs:
    loaded: LoadedModel
    result: AnalysisResult
    register: Register  # as recorded: the state the audit chain certifies
    audit: bytes  # the audit log, up to the register's head
    iterations: tuple[IterationCopy, ...] = ()
    unrecorded_changes: int = 0  # items the latest analysis changed that the register does not hold yet
    svg: str | None = None
    model_bytes: bytes | None = None  # the model file as read (None: read it from loaded.path)
    as_of: date | None = None  # the day review-by dates were judged on in ``result``


@dataclass(frozen=True)
class PackSummary:
    out_dir: Path
    files: list[Path]
    compliance: ComplianceReport
    audit_ok: bool
    audit_problems: list[str]


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _head(head: AuditHead | None) -> dict[str, Any] | None:
    return head.model_dump(mode="json") if head is not None else None


def _iteration_files(iterations: tuple[IterationCopy, ...]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    index = []
    for copy in sorted(iterations, key=lambda c: c.number):
        names = sorted(copy.files)
        for name in names:
            files[f"{ITERATIONS}/{copy.number}/{name}"] = copy.files[name]
        info = copy.info
        index.append({"number": copy.number, "reason": info.get("reason"), "actor": info.get("actor"),
                      "time": info.get("time"), "threats": info.get("threats"), "audit_head": info.get("audit_head"),
                      "files": [f"{ITERATIONS}/{copy.number}/{name}" for name in names]})
    files[f"{ITERATIONS}/index.json"] = _json({"iterations": index})
    lines = ["# Iterations", ""]
    if index:
        lines += md.table(["Number", "Time", "By", "Reason", "Threats"],
                          ([str(i["number"]), md.cell(str(i["time"] or "—")), md.cell(str(i["actor"] or "—")),
                            md.cell(str(i["reason"] or "—")), str(i["threats"] if i["threats"] is not None else "—")]
                           for i in index))
    else:
        lines += ["No iteration has been recorded yet.", ""]
    files[f"{ITERATIONS}/index.md"] = ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
    return files


def compliance_of(inputs: EvidenceInputs, today: date) -> ComplianceReport:
    from dicetm.rules.registry import all_rules

    chain, _records = check_audit(inputs.audit, inputs.register)
    return assess(ComplianceInputs(
        result=inputs.result, system=inputs.loaded.system, today=today, rules_run=len(all_rules()),
        audit_records=chain.records, audit_ok=chain.ok,
        audit_problem=chain.problems[0] if chain.problems else None, iterations=len(inputs.iterations),
        unrecorded_changes=inputs.unrecorded_changes, quick_accepts=len(quick_items(inputs.register)),
    ))


def build_pack(inputs: EvidenceInputs, *, created: datetime, today: date,
               signed_by: str | None = None) -> tuple[dict[str, bytes], ComplianceReport]:
    """Every file of the pack by relative path (manifest included), and the compliance map. ``signed_by`` is the
    principal that will sign the manifest, named in it. Pure, but for reading the model file when
    ``inputs.model_bytes`` is None."""
    result, system = inputs.result, inputs.loaded.system
    report = compliance_of(inputs, today)
    model_file = f"{MODEL_DIR}/{inputs.loaded.path.name}"
    files: dict[str, bytes] = {
        model_file: inputs.model_bytes if inputs.model_bytes is not None else inputs.loaded.path.read_bytes(),
        "report.md": render_markdown(result, system).encode("utf-8"),
        "report.html": render_html(result, system, inputs.svg).encode("utf-8"),
        REGISTER_COPY: _json(inputs.register.model_dump(mode="json")),
        AUDIT_COPY: inputs.audit,
        "compliance.md": render_compliance_markdown(report).encode("utf-8"),
        "compliance.json": render_compliance_json(report).encode("utf-8"),
        **_iteration_files(inputs.iterations),
    }
    if inputs.loaded.proposals is not None:  # what models proposed, the scan withheld, and what the runs cost
        files[PROPOSALS_FILENAME] = dump_proposals(inputs.loaded.proposals).encode("utf-8")
    chain, records = check_audit(inputs.audit, inputs.register)
    manifest = {
        "format": PACK_FORMAT, "dicetm_version": __version__, "created": created.astimezone(UTC).isoformat(),
        "system": result.system_name, "model": inputs.loaded.path.name, "model_file": model_file,
        "source": result.source, "catalog_version": result.catalog_version,
        "as_of": (inputs.as_of or today).isoformat(), "signed_by": signed_by,
        "audit_head": {"seq": records[-1].seq, "hash": records[-1].hash} if records else None,
        "audit_records": chain.records, "audit_verified": chain.ok,
        "register_head": _head(inputs.register.audit_head),
        "unrecorded_changes": inputs.unrecorded_changes, "compliance": report.counts,
        "files": [{"path": name, "sha256": sha256_hex(data), "size": len(data)}
                  for name, data in sorted(files.items())],
    }
    files[MANIFEST] = _json(manifest)
    return files, report


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_pack(files: dict[str, bytes], out_dir: Path) -> list[Path]:
    """Write ``files`` as the new folder ``out_dir`` (which must not exist, or be empty), in one rename."""
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError([Problem("the output folder already exists and is not empty", Location(str(out_dir)),
                                  hint="name a new folder: an evidence pack never mixes with other files")])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
        for name, data in sorted(files.items()):
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(staging, out_dir)  # an empty out_dir is replaced; a non-empty one makes this fail
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync(out_dir.parent)
    return [out_dir / name for name in sorted(files)]


# ------------------------------------------------------------------------------ reading a workspace


def _audit_upto(data: bytes, head: AuditHead | None) -> bytes:
    """The log's lines up to and including the register's head record (later ones belong to a newer state)."""
    if head is None:
        return data
    kept = []
    for line in data.splitlines(keepends=True):
        try:
            seq = json.loads(line).get("seq")
        except (ValueError, AttributeError):
            seq = None
        if isinstance(seq, int) and seq > head.seq:
            break
        kept.append(line)
    return b"".join(kept)


def _differences(recorded: Register, current: Register) -> int:
    """How many register items (threats, countermeasures, residual risks) differ between two registers."""
    count = 0
    for section, key in (("threats", "id"), ("countermeasures", "id"), ("residual_risks", "threat")):
        old = {item[key]: item for item in recorded.model_dump(mode="json")[section]}
        new = {item[key]: item for item in current.model_dump(mode="json")[section]}
        count += sum(1 for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return count


def _iterations(workspace: Any) -> tuple[IterationCopy, ...]:
    from dicetm.store.iterations import iteration_dir, list_iterations

    copies = []
    for info in list_iterations(workspace):  # checked against their digests and audit records
        folder = iteration_dir(workspace, info.number)
        files = {name: (folder / name).read_bytes() for name in ITERATION_FILES if (folder / name).is_file()}
        copies.append(IterationCopy(number=info.number, info=info.model_dump(mode="json"), files=files))
    return tuple(copies)


def inputs_for(loaded: LoadedModel, recorded: Register, audit: bytes, iterations: tuple[IterationCopy, ...],
               today: date, *, source: str | None, svg: str | None) -> EvidenceInputs:
    """Everything a pack is built from, computed from a model and its register as recorded: the analysis with the
    decisions (reconciled in memory, judged as of ``today``) and how many items it would change."""
    from dicetm.pipeline.run import analyze
    from dicetm.review import reconcile

    fresh = analyze(loaded.system, source=source, proposals=loaded.proposals)
    current, _changes = reconcile(recorded, fresh, loaded.system)
    result = analyze(loaded.system, source=source, register=current, proposals=loaded.proposals, today=today)
    return EvidenceInputs(loaded=loaded, result=result, register=recorded,
                          audit=_audit_upto(audit, recorded.audit_head), iterations=iterations,
                          unrecorded_changes=_differences(recorded, current), svg=svg, as_of=today)


def collect(path: Path, today: date) -> EvidenceInputs:
    """Read a workspace for a pack without changing it: analysis (reconciled in memory), register, log."""
    from dicetm.api import load
    from dicetm.report.dfd import svg
    from dicetm.store.workspace import Workspace

    loaded = load(path)
    workspace = Workspace.open(loaded.path)
    recorded = workspace.read()
    try:
        audit = workspace.audit_path.read_bytes()
    except FileNotFoundError:
        audit = b""
    return inputs_for(loaded, recorded, audit, _iterations(workspace), today, source=str(loaded.path),
                      svg=svg(loaded.system))


def create_evidence(path: Path, out_dir: Path, *, now: datetime | None = None,
                    sign_key: SigningKey | None = None) -> PackSummary:
    """Build the evidence pack of the workspace at ``path`` into the new folder ``out_dir``; with ``sign_key``
    the manifest is signed (``manifest.json.sig``, an SSH signature in namespace ``dicetm``)."""
    now = now or datetime.now(UTC)
    today = now.astimezone(UTC).date()
    inputs = collect(path, today)
    files, report = build_pack(inputs, created=now, today=today,
                               signed_by=sign_key.principal if sign_key is not None else None)
    if sign_key is not None:
        files[MANIFEST_SIGNATURE] = sign(files[MANIFEST], sign_key).encode("ascii")
    written = write_pack(files, out_dir)
    chain, _records = check_audit(inputs.audit, inputs.register)
    return PackSummary(out_dir=out_dir, files=written, compliance=report, audit_ok=chain.ok,
                       audit_problems=list(chain.problems))
