"""Recompute an evidence pack's reports from its own register and model copy instead of trusting its manifest.

The manifest's hashes only show that files are as the manifest says; whoever edits ``report.md`` can hash it
again. So ``verify_pack`` analyses the pack's copy of the model (``model/``) with its register, as of the day
the pack was made, renders the reports and the compliance map again, and compares them byte for byte, along
with the figures the manifest states. The diagram inside ``report.html`` is taken from the pack as it is (it
depends on the Graphviz installed), and the reports can only be recomputed by the dicetm version and
catalogue that made the pack.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dicetm import __version__
from dicetm.errors import DicetmError
from dicetm.evidence.pack import EvidenceInputs, IterationCopy, build_pack, inputs_for
from dicetm.evidence.verify import ITERATIONS, MODEL_DIR
from dicetm.model.register import Register
from dicetm.store.proposalsfile import PROPOSALS_FILENAME, load_proposals

RECOMPUTED = ("report.md", "report.html", "compliance.md", "compliance.json")
FIGURES = ("audit_records", "audit_verified", "unrecorded_changes", "compliance", "system", "catalog_version")
_SVG = re.compile(r'<div class="dfd">(<svg\b.*?</svg>\s*)</div>', re.S)


def _iterations(root: Path) -> tuple[IterationCopy, ...]:
    copies = []
    folder = root / ITERATIONS
    for info_file in sorted(folder.glob("*/iteration.json")) if folder.is_dir() else []:
        if not info_file.parent.name.isdigit():
            continue
        files = {p.name: p.read_bytes() for p in info_file.parent.iterdir() if p.is_file()}
        copies.append(IterationCopy(number=int(info_file.parent.name), info=json.loads(files["iteration.json"]),
                                    files=files))
    return tuple(copies)


def _first_difference(ours: bytes, theirs: bytes) -> str:
    mine, yours = ours.decode("utf-8", "replace").splitlines(), theirs.decode("utf-8", "replace").splitlines()
    for number, (a, b) in enumerate(zip(mine, yours, strict=False), start=1):
        if a != b:
            start = max(0, next(i for i, pair in enumerate(zip(a + "\0", b + "\0", strict=False))
                                if pair[0] != pair[1]) - 20)
            return f"line {number} reads {b[start:start + 80]!r}, the register and model give {a[start:start + 80]!r}"
    return f"it has {len(yours)} lines, the register and model give {len(mine)}"


def recompute_problems(root: Path, manifest: dict[str, Any], register: Register, audit: bytes) -> list[str]:
    """What in the pack's reports and figures differs from what its register and model copy give."""
    from dicetm.api import load

    made_by = (manifest.get("dicetm_version"), manifest.get("catalog_version"))
    model_file = manifest.get("model_file")
    if not isinstance(model_file, str) or not model_file.startswith(f"{MODEL_DIR}/"):
        return ["the manifest names no model copy, so the reports cannot be recomputed"]
    try:
        loaded = load(root / model_file)
        proposals = load_proposals(root / PROPOSALS_FILENAME)
        as_of = date.fromisoformat(str(manifest.get("as_of")))
        created = datetime.fromisoformat(str(manifest.get("created")))
    except (DicetmError, ValueError) as exc:
        return [f"the reports cannot be recomputed: {exc}"]
    loaded = dataclasses.replace(loaded, proposals=proposals)
    html = (root / "report.html").read_bytes().decode("utf-8", "replace") if (root / "report.html").is_file() else ""
    found = _SVG.search(html)
    inputs: EvidenceInputs = inputs_for(loaded, register, audit, _iterations(root), as_of,
                                        source=manifest.get("source"), svg=found.group(1) if found else None)
    if made_by != (__version__, inputs.result.catalog_version):
        return [f"the pack was made by dicetm {made_by[0]} with catalogue {made_by[1]}; this is dicetm {__version__} "
                f"with catalogue {inputs.result.catalog_version}: verify with the version that made it to recompute "
                "its reports"]
    files, _report = build_pack(inputs, created=created, today=as_of)
    problems = []
    for name in RECOMPUTED:
        on_disk = (root / name).read_bytes() if (root / name).is_file() else b""
        if files[name] != on_disk:
            problems.append(f"{name} does not match its register and model: {_first_difference(files[name], on_disk)}")
    expected = json.loads(files["manifest.json"])
    for key in FIGURES:
        if manifest.get(key) != expected.get(key):
            problems.append(f"manifest.json states {key} {manifest.get(key)!r}, the register and model give "
                            f"{expected.get(key)!r}")
    return problems
