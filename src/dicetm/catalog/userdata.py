"""An ATLAS.yaml the user installed with ``dicetm catalog import-atlas``, kept in the user's data directory.

The data directory is ``$DICETM_DATA_DIR`` if set, else ``$XDG_DATA_HOME/dicetm``, else
``~/.local/share/dicetm``. Everything lives in its ``atlas/`` folder:

``atlas.json``
    The manifest (ATLAS version, source path, sha256, install time, counts, tolerated quirks). It is written
    last, so replacing it is the moment an installation takes effect; without it the packaged data is used.
``ATLAS-<sha256[:16]>.yaml``
    MITRE's file, copied byte for byte. A new import writes a new name, so the previous installation stays
    whole until the new manifest replaces the old one.
``ATLAS-<sha256[:16]>.parsed.json``
    The parsed data as JSON, so later runs skip the YAML parse. Rebuilt whenever it is missing or stale.

``installed_atlas`` reads the installation once per process and checks it again only when the manifest or the
installed file changes on disk (one ``stat`` each). A missing, changed or unreadable installation never
raises: the caller gets the packaged data and ``AtlasStatus.problems`` says why.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dicetm import __version__
from dicetm.catalog.atlas_source import AtlasData, parse_atlas_text
from dicetm.errors import CatalogError, Location, Problem

if TYPE_CHECKING:
    from dicetm.catalog.index import Catalog

MANIFEST_NAME = "atlas.json"
_REDO_HINT = "run `dicetm catalog import-atlas FILE` again, or `dicetm catalog reset-atlas`"


class AtlasCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tactics: int
    techniques: int = Field(description="Techniques and sub-techniques.")
    mitigations: int


class AtlasManifest(BaseModel):
    """What ``atlas.json`` records about the installed file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1] = 1
    atlas_version: str
    source: str = Field(description="Absolute path of the file that was imported.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int
    installed_at: str = Field(description="UTC time of the import, ISO 8601.")
    installed_by: str = Field(description="dicetm version that imported the file.")
    counts: AtlasCounts
    warnings: list[str] = Field(default_factory=list, description="Quirks of the file tolerated while reading it.")

    @property
    def file_name(self) -> str:
        return f"ATLAS-{self.sha256[:16]}.yaml"

    @property
    def cache_name(self) -> str:
        return f"ATLAS-{self.sha256[:16]}.parsed.json"


class _ParsedCache(BaseModel):
    """The parsed-data cache; valid only for the same file (sha256) read by the same dicetm version."""

    model_config = ConfigDict(extra="forbid")

    sha256: str
    parser: str
    atlas: AtlasData


@dataclass(frozen=True)
class AtlasStatus:
    """Which ATLAS data the default catalogue uses, and why."""

    directory: Path  # the atlas/ folder of the data directory
    manifest: AtlasManifest | None = None  # the installation found on disk (used or not)
    path: Path | None = None  # the installed ATLAS file the manifest names
    problems: tuple[str, ...] = ()  # why an installation was ignored in favour of the packaged data

    @property
    def active(self) -> bool:
        """True when the installed file is the one in use."""
        return self.manifest is not None and not self.problems


# --- locations -------------------------------------------------------------------------------------------------

def data_dir() -> Path:
    """The user's dicetm data directory (it may not exist yet)."""
    explicit = os.environ.get("DICETM_DATA_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative value
        return Path(xdg) / "dicetm"
    return Path.home() / ".local" / "share" / "dicetm"


def atlas_dir(directory: Path | None = None) -> Path:
    return (directory if directory is not None else data_dir()) / "atlas"


# --- install and reset -----------------------------------------------------------------------------------------

def install_atlas(source: str | Path, directory: Path | None = None) -> AtlasManifest:
    """Validate MITRE's ATLAS.yaml at ``source`` and make it the active ATLAS data.

    ``directory`` is the data directory (default: ``data_dir()``). Raise CatalogError with located problems if
    the file is unreadable, malformed or incomplete (then nothing on disk has changed), or if the data directory
    cannot be written (then the previous installation, if any, stays in use).
    """
    label = str(source)
    content = _read_source(Path(source), label)
    data = parse_atlas_text(_decode(content, label), label)
    _require_every_kind(data, label)
    counts = AtlasCounts(tactics=len(data.tactics), techniques=len(data.techniques),
                         mitigations=len(data.mitigations))
    digest = hashlib.sha256(content).hexdigest()
    manifest = AtlasManifest(atlas_version=data.version, source=str(Path(source).resolve()), sha256=digest,
                             size=len(content), installed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                             installed_by=__version__, counts=counts, warnings=list(data.warnings))
    folder = atlas_dir(directory)
    previous = _read_manifest(folder / MANIFEST_NAME)
    try:
        _write_atomic(folder / manifest.file_name, content)
        _write_atomic(folder / manifest.cache_name, _cache_bytes(manifest.sha256, data))
        _write_atomic(folder / MANIFEST_NAME, manifest.model_dump_json(indent=2).encode("utf-8") + b"\n")
    except OSError as exc:
        if previous is None or previous.sha256 != manifest.sha256:
            _remove_quietly([folder / manifest.file_name, folder / manifest.cache_name])
        problem = Problem(f"cannot write the installed ATLAS data: {exc.strerror or exc}",
                          Location(file=str(getattr(exc, "filename", None) or folder)),
                          hint="set DICETM_DATA_DIR to a folder you can write to")
        raise CatalogError([problem]) from exc
    if previous is not None and previous.sha256 != manifest.sha256:
        _remove_quietly([folder / previous.file_name, folder / previous.cache_name])
    clear_cache()
    return manifest


def reset_atlas(directory: Path | None = None) -> list[Path]:
    """Remove the installed ATLAS file so the packaged data is used again; return the paths removed."""
    folder = atlas_dir(directory)
    manifest = folder / MANIFEST_NAME
    removed = _remove_quietly([manifest])  # first: from here on the packaged data is in use
    if manifest.exists():
        raise CatalogError([Problem("cannot remove the ATLAS manifest", Location(file=str(manifest)),
                                    hint="check the folder's permissions, or delete the file by hand")])
    if folder.is_dir():
        removed += _remove_quietly(sorted([*folder.glob("ATLAS-*.yaml"), *folder.glob("ATLAS-*.parsed.json")]))
        with contextlib.suppress(OSError):  # not empty (files we do not own) or already gone
            folder.rmdir()
    clear_cache()
    return removed


def _read_source(path: Path, label: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CatalogError([Problem(f"cannot read ATLAS file: {exc.strerror or exc}", Location(file=label))]) from exc


def _decode(content: bytes, label: str) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem(f"ATLAS file is not UTF-8 text: {exc.reason} at byte {exc.start}", Location(file=label))
        raise CatalogError([problem]) from exc


def _require_every_kind(data: AtlasData, label: str) -> None:
    """A file cut short can still be valid YAML; a catalogue without one of the three kinds is not usable."""
    empty = [kind for kind, items in (("tactics", data.tactics), ("techniques", data.techniques),
                                      ("mitigations", data.mitigations)) if not items]
    if empty:
        raise CatalogError([Problem(f"the ATLAS file has no {kind}", Location(file=label, path=kind),
                                    hint="the file may be truncated: download ATLAS.yaml again")
                            for kind in empty])


def _cache_bytes(digest: str, data: AtlasData) -> bytes:
    return _ParsedCache(sha256=digest, parser=__version__, atlas=data).model_dump_json().encode("utf-8")


def _write_atomic(path: Path, content: bytes) -> None:
    """Write beside the target, fsync, rename over it, fsync the folder: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual mode of a new file
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    try:
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open a folder; the rename is still atomic
    try:
        with contextlib.suppress(OSError):
            os.fsync(folder)
    finally:
        os.close(folder)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_quietly(paths: Iterable[Path]) -> list[Path]:
    removed = []
    for path in paths:
        try:
            path.unlink()
        except OSError:
            continue  # already gone, or not ours to remove; the caller checks what matters
        removed.append(path)
    return removed


# --- reading the installation ----------------------------------------------------------------------------------

@dataclass
class _Memo:
    key: tuple[object, ...]
    status: AtlasStatus
    data: AtlasData | None


_memo: _Memo | None = None


def clear_cache() -> None:
    """Forget what ``installed_atlas`` read; the next call looks at the disk again."""
    global _memo
    _memo = None


def installed_atlas() -> tuple[AtlasStatus, AtlasData | None]:
    """The installation's status and its data (None when the packaged data is to be used). Never raises."""
    global _memo
    folder = atlas_dir()
    previous = _memo if _memo is not None and _memo.status.directory == folder else None
    key = _key(folder, previous.status.path if previous else None)
    if previous is not None and previous.key == key:
        return previous.status, previous.data
    status, data = _resolve(folder)
    _memo = _Memo(_key(folder, status.path), status, data)
    return status, data


def atlas_status() -> AtlasStatus:
    return installed_atlas()[0]


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _key(folder: Path, installed: Path | None) -> tuple[object, ...]:
    return folder, _stamp(folder / MANIFEST_NAME), installed, _stamp(installed) if installed else None


def _read_manifest(path: Path) -> AtlasManifest | None:
    """The manifest, or None if it is absent or unusable (``_resolve`` says why)."""
    try:
        return AtlasManifest.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def _resolve(folder: Path) -> tuple[AtlasStatus, AtlasData | None]:
    manifest_path = folder / MANIFEST_NAME
    try:
        raw = manifest_path.read_bytes()
    except FileNotFoundError:
        return AtlasStatus(folder), None
    except OSError as exc:
        return _broken(folder, None, None, f"cannot read {manifest_path}: {exc.strerror or exc}"), None
    try:
        manifest = AtlasManifest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        return _broken(folder, None, None, f"{manifest_path} is not a valid manifest: {where}: {first['msg']}"), None
    path = folder / manifest.file_name
    try:
        content = path.read_bytes()
    except OSError as exc:
        return _broken(folder, manifest, path, f"cannot read the installed ATLAS file {path}: "
                                               f"{exc.strerror or exc}"), None
    if hashlib.sha256(content).hexdigest() != manifest.sha256:
        return _broken(folder, manifest, path, f"the installed ATLAS file {path} changed after it was imported "
                                               "(its sha256 no longer matches atlas.json)"), None
    data = _read_cache(folder / manifest.cache_name, manifest.sha256)
    if data is None:
        try:
            data = parse_atlas_text(_decode(content, str(path)), str(path))
        except CatalogError as exc:
            return _broken(folder, manifest, path, f"the installed ATLAS file cannot be read: {exc.problems[0]}"), None
        with contextlib.suppress(OSError):  # a read-only data directory only costs a parse per process
            _write_atomic(folder / manifest.cache_name, _cache_bytes(manifest.sha256, data))
    return AtlasStatus(folder, manifest, path), data


def _broken(folder: Path, manifest: AtlasManifest | None, path: Path | None, reason: str) -> AtlasStatus:
    return AtlasStatus(folder, manifest, path, (f"{reason}; using the packaged ATLAS data ({_REDO_HINT})",))


def _read_cache(path: Path, digest: str) -> AtlasData | None:
    try:
        cache = _ParsedCache.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None
    return cache.atlas if cache.sha256 == digest and cache.parser == __version__ else None


# --- references the active data lacks --------------------------------------------------------------------------

def unresolved_atlas_refs(catalog: Catalog, cited: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """For each owner (a rule or control id) the ATLAS references it cites that ``catalog`` does not hold."""
    missing: dict[str, list[str]] = {}
    for owner, refs in sorted(cited.items()):
        gaps = [ref for ref in refs if _is_atlas(ref) and not catalog.has(ref)]
        if gaps:
            missing[owner] = gaps
    return missing


def _is_atlas(ref: str) -> bool:
    key = ref.strip().casefold()
    return key.startswith(("atlas:", "aml."))
