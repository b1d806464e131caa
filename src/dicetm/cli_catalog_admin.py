"""``catalog info``, ``catalog import-atlas`` and ``catalog reset-atlas``: which knowledge is in use, and
replacing the packaged MITRE ATLAS data with a newer ATLAS.yaml published by MITRE.

The commands are registered on the ``catalog`` sub-app by ``register``. Exit codes: 0 ok (warnings included),
2 bad usage or a malformed ATLAS file (then nothing was installed and the previous installation is intact).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from dicetm import __version__
from dicetm.cli_common import err, out
from dicetm.cli_common import fail as _fail
from dicetm.errors import DicetmError, InputError, Location, Problem

_ATLAS_KINDS = (("tactics", ("tactic",)), ("techniques", ("technique", "subtechnique")),
                ("mitigations", ("mitigation",)))


@dataclass(frozen=True)
class CatalogInfo:
    """What ``catalog info`` reports; computed here, rendered by the command."""

    catalog_version: str
    atlas_version: str
    source: str  # "installed" or "packaged"
    data_dir: Path
    atlas_file: Path | None  # the installed file in use
    sha256: str | None
    installed_at: str | None
    imported_from: str | None
    atlas_counts: dict[str, int]
    namespaces: dict[str, int]
    controls: int
    fallback: list[str]  # why an installed file is not used
    import_notes: list[str]  # quirks tolerated when the installed file was read
    rules_missing: dict[str, list[str]]  # rule id -> ATLAS refs the active data lacks
    controls_missing: dict[str, list[str]]  # control id -> ATLAS refs the active data lacks

    @property
    def warning_count(self) -> int:
        return len(self.fallback) + len(self.rules_missing) + len(self.controls_missing)

    def to_json(self) -> dict[str, Any]:
        return {
            "catalog_version": self.catalog_version,
            "dicetm_version": __version__,
            "atlas": {
                "version": self.atlas_version, "source": self.source,
                "file": str(self.atlas_file) if self.atlas_file else None, "sha256": self.sha256,
                "installed_at": self.installed_at, "imported_from": self.imported_from,
                "counts": self.atlas_counts, "import_notes": self.import_notes,
            },
            "data_dir": str(self.data_dir),
            "namespaces": self.namespaces,
            "controls": self.controls,
            "warnings": {"fallback": self.fallback, "rules": self.rules_missing, "controls": self.controls_missing},
        }


def gather_info() -> CatalogInfo:
    """The active catalogue and where its ATLAS data came from, with every reference it cannot resolve."""
    from dicetm.catalog import load_catalog
    from dicetm.catalog.userdata import atlas_status, unresolved_atlas_refs
    from dicetm.rules.registry import all_rules

    catalog = load_catalog()
    status = atlas_status()
    manifest = status.manifest if status.active else None
    atlas = catalog.entries("atlas")
    return CatalogInfo(
        catalog_version=catalog.version,
        atlas_version=catalog.atlas_version,
        source="installed" if manifest else "packaged",
        data_dir=status.directory.parent,
        atlas_file=status.path if manifest else None,
        sha256=manifest.sha256 if manifest else None,
        installed_at=manifest.installed_at if manifest else None,
        imported_from=manifest.source if manifest else None,
        atlas_counts={name: sum(1 for e in atlas if e.kind in kinds) for name, kinds in _ATLAS_KINDS},
        namespaces={ns: len(catalog.entries(ns)) for ns in catalog.namespaces()},
        controls=len(catalog.controls),
        fallback=list(status.problems),
        import_notes=list(manifest.warnings) if manifest else [],
        rules_missing=unresolved_atlas_refs(catalog, {r.meta.id: r.meta.references for r in all_rules()}),
        controls_missing=unresolved_atlas_refs(catalog, {c.id: c.references for c in catalog.controls.values()}),
    )


def _counts(counts: dict[str, int]) -> str:
    return (f"{counts['tactics']} tactics, {counts['techniques']} techniques and sub-techniques, "
            f"{counts['mitigations']} mitigations")


def _print(text: str) -> None:
    out.print(text, markup=False)


def _render(info: CatalogInfo) -> None:
    _print(f"catalogue    {info.catalog_version} (dicetm {__version__})")
    if info.source == "installed":
        _print(f"ATLAS        {info.atlas_version}, installed file")
        _print(f"  file       {info.atlas_file}")
        _print(f"  sha256     {info.sha256}")
        _print(f"  imported   {info.installed_at} from {info.imported_from}")
    else:
        _print(f"ATLAS        {info.atlas_version}, packaged with dicetm")
    _print(f"  objects    {_counts(info.atlas_counts)}")
    _print(f"data dir     {info.data_dir}")
    _print("entries by namespace:")
    width = max(len(name) for name in [*info.namespaces, "controls"])
    for name, count in [*info.namespaces.items(), ("controls", info.controls)]:
        _print(f"  {name:<{width}}  {count:>4}")
    if not info.warning_count:
        _print("warnings: none")
    else:
        _print(f"warnings ({info.warning_count}):")
        for reason in info.fallback:
            _print(f"  {reason}")
        for what, missing in (("rule", info.rules_missing), ("control", info.controls_missing)):
            for owner, refs in missing.items():
                _print(f"  {what} {owner} cites ATLAS ids missing from the active data: {', '.join(refs)}")
    if info.import_notes:
        _print(f"tolerated in the installed file ({len(info.import_notes)}):")
        for note in info.import_notes:
            _print(f"  {note}")


def catalog_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print the same facts as JSON.")] = False,
) -> None:
    """Show the active catalogue: versions, where the ATLAS data comes from, counts and warnings."""
    try:
        info = gather_info()
    except DicetmError as exc:
        raise _fail(exc, tail=".") from None
    if as_json:
        sys.stdout.write(json.dumps(info.to_json(), indent=2) + "\n")
    else:
        _render(info)


def _reset() -> None:
    from dicetm.catalog.userdata import atlas_dir, reset_atlas

    try:
        removed = reset_atlas()
    except DicetmError as exc:
        raise _fail(exc, tail="; the installed ATLAS file is still in use.") from None
    if removed:
        _print(f"removed the installed ATLAS data from {atlas_dir()}; using the data packaged with dicetm")
    else:
        _print(f"no ATLAS file is installed in {atlas_dir()}; using the data packaged with dicetm")


def import_atlas(
    file: Annotated[Path | None, typer.Argument(help="MITRE's ATLAS.yaml (legacy format 5.x).", metavar="FILE",
                                                show_default=False)] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Remove the installed file instead (as reset-atlas).")]
    = False,
) -> None:
    """Check MITRE's ATLAS.yaml and install it as the ATLAS data every later run uses.

    It is copied into the data directory ($DICETM_DATA_DIR, else $XDG_DATA_HOME/dicetm, else ~/.local/share/dicetm).
    A malformed file is refused with every problem located, and nothing is installed.
    """
    from dicetm.catalog.userdata import atlas_dir, install_atlas

    if reset and file is None:
        _reset()
        return
    if reset or file is None:
        message = "give either FILE or --reset, not both" if reset else "missing FILE"
        usage = InputError([Problem(message, Location(path="FILE"),
                                    hint="dicetm catalog import-atlas ATLAS.yaml, or --reset to undo an import")])
        raise _fail(usage, tail="; nothing was changed.")
    try:
        manifest = install_atlas(file)
    except DicetmError as exc:
        raise _fail(exc, tail="; nothing was installed.") from None
    _print(f"installed MITRE ATLAS {manifest.atlas_version}: {_counts(manifest.counts.model_dump())}")
    _print(f"  from     {manifest.source}")
    _print(f"  to       {atlas_dir() / manifest.file_name}")
    _print(f"  sha256   {manifest.sha256}")
    if manifest.warnings:
        _print(f"tolerated {len(manifest.warnings)} quirk{'s' if len(manifest.warnings) != 1 else ''} in the file:")
        for note in manifest.warnings:
            _print(f"  {note}")
    info = gather_info()
    for reason in info.fallback:  # only if the file vanished or changed in the meantime
        err.print(f"warning: {reason}", markup=False)
    for what, missing in (("rule", info.rules_missing), ("control", info.controls_missing)):
        for owner, refs in missing.items():
            err.print(f"warning: {what} {owner} cites ATLAS ids missing from this file: {', '.join(refs)}",
                      markup=False)


def reset_atlas() -> None:
    """Remove the installed ATLAS file; the ATLAS data packaged with dicetm is used again."""
    _reset()


def register(catalog_app: typer.Typer) -> None:
    """Add ``info``, ``import-atlas`` and ``reset-atlas`` to the ``catalog`` sub-app."""
    catalog_app.command("info")(catalog_info)
    catalog_app.command("import-atlas")(import_atlas)
    catalog_app.command("reset-atlas")(reset_atlas)
