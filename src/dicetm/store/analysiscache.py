"""Analyses kept by content, so an unchanged model is never analysed twice.

An entry holds the validated model and what the rules found in it (open questions, threats), keyed by the
sha256 of the model file's bytes, the proposals file's bytes, the detail level and a fingerprint of
dicetm itself (its version, its code and data files, the catalogue and any installed ATLAS data). A
changed byte in any of them is a different key, so an entry is never stale; an entry that cannot be read
is a miss. Beside an entry, ``<key>.synced`` names the last register state (its digest) known to be
reconciled with that analysis, which lets a decision skip reconciling.

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

from pydantic import BaseModel, ConfigDict, ValidationError

from dicetm import __version__
from dicetm.model import OpenQuestion, System, Threat
from dicetm.store.atomic import write_bytes_atomic

FORMAT = 1
_CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json")


class CachedAnalysis(BaseModel):
    """What the rules found in one model (before any decision is applied)."""

    model_config = ConfigDict(extra="forbid")

    format: int = FORMAT
    key: str
    system: System
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
    """Names, sizes and times of dicetm's own code and data files: an edited rule is a new fingerprint."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in _CODE_SUFFIXES:
            info = path.stat()
            digest.update(f"{path.relative_to(package)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
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


def load(key: str) -> CachedAnalysis | None:
    """The entry stored under ``key``, or None (missing, unreadable, or from another format)."""
    try:
        entry = CachedAnalysis.model_validate_json(_entry_path(key, ".json").read_bytes())
    except (OSError, ValidationError, ValueError):
        return None
    return entry if entry.key == key and entry.format == FORMAT else None


def save(entry: CachedAnalysis) -> None:
    """Store ``entry`` (best effort)."""
    with contextlib.suppress(OSError):
        write_bytes_atomic(_entry_path(entry.key, ".json"), entry.model_dump_json().encode("utf-8"), durable=False)


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
