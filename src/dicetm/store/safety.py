"""Never overwrite what a user owns: the check every command makes before it writes an output file.

An output may not replace the model (``dicetm.yaml``), the register, the audit log, the proposals, the
configuration or policy file, the lock, or anything in ``dicetm-iterations/``, nor an existing file that is not
an output of the same kind (a report replaces an earlier report, never someone's notes or a CSV export), unless
the user passes ``--force``. A symlink is judged by what it points to as well as by its own name. The kind of an
existing file is recognised from its first few kilobytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from dicetm.errors import InputError, Location, Problem
from dicetm.store.audit import AUDIT_FILENAME
from dicetm.store.lock import LOCK_FILENAME
from dicetm.store.modelfile import MODEL_FILENAMES
from dicetm.store.proposalsfile import PROPOSALS_FILENAME
from dicetm.store.registerfile import REGISTER_FILENAME
from dicetm.store.wsfiles import ITERATIONS_DIRNAME

OWNED: dict[str, str] = {
    **{name: "the model file" for name in MODEL_FILENAMES},
    REGISTER_FILENAME: "the review register", AUDIT_FILENAME: "the audit log",
    PROPOSALS_FILENAME: "the proposals file", "dicetm-config.yaml": "the configuration file",
    "dicetm-policy.yaml": "the gate policy", LOCK_FILENAME: "the workspace lock",
}
_HEAD = 4096


def _json_with(*keys: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.lstrip().startswith(b"{") and all(b'"' + key + b'"' in head for key in keys)


SNIFFERS: dict[str, Callable[[bytes], bool]] = {
    "markdown": lambda head: head.startswith(b"# Threat model:"),
    "html": lambda head: head.lstrip().lower().startswith(b"<!doctype html") and b"<title>Threat model:" in head,
    "json": _json_with(b"catalog_version", b"countermeasures"),
    "csv": lambda head: head.startswith(b"id,title,risk,"),
    "pdf": lambda head: head.startswith(b"%PDF-"),  # any PDF: the report cannot be told from others by its head
    "sarif": lambda head: b'"$schema"' in head and b"sarif-schema" in head,
    "threat-dragon": _json_with(b"summary", b"version"),
    "otm": _json_with(b"otmVersion"),
    "threat-composer": _json_with(b"applicationInfo"),
    "atlas-navigator": _json_with(b"domain", b"versions"),
    "threagile": lambda head: re.search(rb"^threagile_version:", head, re.M) is not None,
    "github-issues": lambda head: head.lstrip().startswith(b"[") and (head.strip() == b"[]" or b'"labels"' in head),
    "jira": lambda head: head.startswith(b'"Summary","Issue Type",'),
    "mermaid": lambda head: re.match(rb"\s*(flowchart|graph)\b", head) is not None,
    "dot": lambda head: re.match(rb"\s*(strict\s+)?digraph\b", head) is not None,
    "svg": lambda head: re.match(rb"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^>]*>\s*)?<svg\b", head,
                                 re.S) is not None,
    "gate-text": lambda head: head.startswith((b"policy holds:", b"policy failed:")),
    "gate-json": _json_with(b"failures", b"policy", b"threats_checked"),
}
KIND_NAMES = {"markdown": "Markdown report", "html": "HTML report", "json": "JSON result", "csv": "CSV register",
              "pdf": "PDF report", "sarif": "SARIF log", "gate-text": "gate report", "gate-json": "gate report (JSON)",
              "model": "model file", "evidence": "evidence pack"}


def _owned(path: Path) -> str | None:
    """What the workspace keeps at ``path``, or None when it is no workspace file."""
    if ITERATIONS_DIRNAME in path.parts:
        return "an iteration snapshot"
    return OWNED.get(path.name)


def _kind_of(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD)
    except OSError:
        return None
    return next((kind for kind, sniff in SNIFFERS.items() if sniff(head)), None)


def output_problem(path: Path, kind: str, force: bool, protect: Iterable[Path] = ()) -> str | None:
    """Why writing a ``kind`` output at ``path`` would replace something it must not, or None."""
    candidates = [path]
    if path.is_symlink() or path.exists():
        candidates.append(path.resolve())
    protected = {p.resolve() for p in protect}
    for candidate in candidates:
        owned = _owned(candidate)
        if owned is None and candidate.resolve() in protected:
            owned = "the model file"
        if owned == "the model file" and kind == "model":
            continue  # writing a model is the command's job; an existing one is judged below
        if owned is not None and not force:
            via = f" (through the link {path})" if candidate != path else ""
            return f"{candidate} is {owned}{via}; an output must not replace it"
    if force or kind == "evidence" or not (path.is_file() or path.is_symlink()):
        return None  # nothing to replace (a folder in the way is the writer's error to report)
    existing = _kind_of(path)
    if existing == kind:
        return None
    wanted = KIND_NAMES.get(kind, f"{kind} export")
    if existing is None:
        return f"{path} already exists and is not a {wanted} dicetm wrote"
    return f"{path} already exists and is a {KIND_NAMES.get(existing, existing + ' export')}, not a {wanted}"


def check_output_path(path: Path, kind: str, force: bool, *, option: str = "--out",
                      protect: Iterable[Path] = ()) -> None:
    """Raise InputError (located at ``option``) when writing a ``kind`` output at ``path`` would replace a workspace
    file or an existing file of another kind and ``force`` is not set. ``protect`` adds files to keep (e.g. the
    model file of the command, whatever its name)."""
    problem = output_problem(Path(path), kind, force, protect)
    if problem is not None:
        raise InputError([Problem(problem, Location(path=option),
                                  hint="choose another path, or pass --force to replace it")])
