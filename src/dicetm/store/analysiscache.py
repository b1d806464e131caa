"""Analyses kept by content, so an unchanged model is never analysed twice.

An entry is the validated model (``<key>.model.json``) and what the rules found in it (``<key>.json``:
open questions, threats), keyed by the sha256 of the model file's bytes, the proposals file's bytes, the
detail level and a fingerprint of dicetm itself (its version, its code and data files, the catalogue and
any installed ATLAS data). A changed byte in any of them is a different key, so an entry is never stale;
an entry that cannot be read is a miss. Beside an entry, ``<key>.synced`` names the last register state
(its digest) known to be reconciled with that analysis, which lets a decision skip reconciling; a decision
then reads only the model part.

Entries live per user, in ``$DICETM_CACHE_DIR/analysis`` (else ``$XDG_CACHE_HOME/dicetm/analysis``, else
``~/.cache/dicetm/analysis``), never in the workspace: a read-only or shared workspace stays untouched.
Writing an entry is best effort; a cache that cannot be written only costs speed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from dicetm import __version__
from dicetm.model import OpenQuestion, System, Threat
from dicetm.store.atomic import write_bytes_atomic

FORMAT = 1
KEEP = 32  # analyses kept; older ones are deleted when a new one is stored
_CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json")
_ANALYSIS_PACKAGES = ("model", "catalog", "rules", "pipeline", "store", "review")


_Entry = TypeVar("_Entry", "CachedModel", "CachedFindings")


class CachedModel(BaseModel):
    """A model file as validated (its ``System``)."""

    model_config = ConfigDict(extra="forbid")

    format: int = FORMAT
    key: str
    system: System


class CachedFindings(BaseModel):
    """What the rules found in one model (before any decision is applied)."""

    model_config = ConfigDict(extra="forbid")

    format: int = FORMAT
    key: str
    open_questions: list[OpenQuestion]
    threats: list[Threat]
    raw_findings: int


def cache_root() -> Path:
    """The per-user cache folder dicetm uses (see the module text)."""
    if os.environ.get("DICETM_CACHE_DIR"):
        return Path(os.environ["DICETM_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dicetm"


def analysis_key(model: bytes, proposals: bytes | None, detail: str) -> str:
    """The cache key of an analysis of these exact files at this detail level, by this dicetm."""
    digest = hashlib.sha256()
    for part in (fingerprint().encode(), detail.encode(), hashlib.sha256(model).digest(),
                 b"-" if proposals is None else hashlib.sha256(proposals).digest()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


@functools.cache
def _code_stamp() -> str:
    """Names, sizes and times of the code and data files an analysis depends on: an edited rule is a new
    fingerprint, so an analysis cached before the edit is not used after it."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(__version__.encode())
    for part in _ANALYSIS_PACKAGES:
        for folder, dirs, files in os.walk(package / part):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(_CODE_SUFFIXES):
                    info = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def fingerprint() -> str:
    """dicetm's code and data, the catalogue version and the installed ATLAS data (its manifest)."""
    from dicetm.catalog import userdata
    from dicetm.catalog.loader import CATALOG_VERSION

    digest = hashlib.sha256(f"{_code_stamp()}\0{CATALOG_VERSION}\0".encode())
    try:
        digest.update((userdata.atlas_dir() / userdata.MANIFEST_NAME).read_bytes())
    except OSError:
        digest.update(b"packaged")
    return digest.hexdigest()


def _entry_path(key: str, suffix: str) -> Path:
    return cache_root() / "analysis" / key[:2] / f"{key}{suffix}"


def load_model(key: str) -> CachedModel | None:
    """The validated model stored under ``key``, or None (missing, unreadable, or from another format)."""
    return _load(CachedModel, key, ".model.json")


def load_findings(key: str) -> CachedFindings | None:
    """The findings stored under ``key``, or None (missing, unreadable, or from another format)."""
    return _load(CachedFindings, key, ".json")


def _load(kind: type[_Entry], key: str, suffix: str) -> _Entry | None:
    try:
        entry = kind.model_validate_json(_entry_path(key, suffix).read_bytes())
    except (OSError, ValidationError, ValueError):
        return None
    return entry if entry.key == key and entry.format == FORMAT else None


def save(model: CachedModel, findings: CachedFindings) -> None:
    """Store an entry (best effort): the findings first, as the model part is what a reader looks for. Only
    the newest ``KEEP`` entries are kept: a large model's findings take megabytes, and every edit is a key."""
    with contextlib.suppress(OSError):
        write_bytes_atomic(_entry_path(findings.key, ".json"), findings.model_dump_json().encode("utf-8"),
                           durable=False)
        write_bytes_atomic(_entry_path(model.key, ".model.json"), model.model_dump_json().encode("utf-8"),
                           durable=False)
        _prune()


def _prune() -> None:
    entries = []
    for path in (cache_root() / "analysis").glob("*/*.model.json"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime_ns, path.name.removesuffix(".model.json")))
    for _time, key in sorted(entries, reverse=True)[KEEP:]:
        for suffix in (".model.json", ".json", ".synced"):
            _entry_path(key, suffix).unlink(missing_ok=True)


def synced(key: str) -> str | None:
    """The digest of the last register state known to be reconciled with analysis ``key``."""
    try:
        return _entry_path(key, ".synced").read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def mark_synced(key: str, register_digest: str) -> None:
    """Remember that the register state ``register_digest`` is reconciled with analysis ``key`` (best effort)."""
    with contextlib.suppress(OSError):
        write_bytes_atomic(_entry_path(key, ".synced"), register_digest.encode("ascii") + b"\n", durable=False)


# --------------------------------------------------------------------------------------- audit logs


def verified_log(path: Path, log: bytes) -> int:
    """How many leading bytes of ``log`` (the audit log at ``path``) a verification on this machine has
    already found intact (0 when none): those need not be checked again. Only the check before a write uses
    this; `dicetm audit verify` always checks everything."""
    try:
        size_text, digest = _log_entry(path).read_text(encoding="ascii").split()
        size = int(size_text)
    except (OSError, ValueError, UnicodeDecodeError):
        return 0
    return size if 0 < size <= len(log) and hashlib.sha256(log[:size]).hexdigest() == digest else 0


def remember_verified_log(path: Path, log: bytes) -> None:
    """Remember that ``log`` (the whole audit log at ``path``) verified (best effort)."""
    with contextlib.suppress(OSError):
        entry = f"{len(log)} {hashlib.sha256(log).hexdigest()}\n".encode("ascii")
        write_bytes_atomic(_log_entry(path), entry, durable=False)


def _log_entry(path: Path) -> Path:
    key = hashlib.sha256(os.path.realpath(path).encode("utf-8", "surrogateescape")).hexdigest()
    return cache_root() / "logs" / key[:2] / key
