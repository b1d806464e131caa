"""What counts as evidence that a countermeasure is implemented: an http(s) link, or a path in the repository.

The first word of the evidence text is the link; anything after it is a note (``https://git.example.com/pr/412
(confirmation dialog)``). A link with another scheme (``data:``, ``javascript:``, ``file:``) or with a user name
or password in it is refused: it proves nothing a reviewer can follow, and some of them run when clicked. A
path is checked against the disk (``path_problem``): it must exist inside the repository holding the workspace
(the nearest folder above it with a ``.git``), or inside the workspace when there is no repository.
``link_problem`` needs no disk, so the analysis can apply it everywhere; ``decide`` and ``check`` apply both.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from dicetm.textsafe import unsafe_character

WEB_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
RULE = ("an http(s) link, or the path of a file or folder in the repository (relative to the workspace or the "
        "repository root); a note may follow the link after a space")


def link_of(evidence: str) -> str:
    """The link part of an evidence text: its first word."""
    words = evidence.split()
    return words[0] if words else ""


def is_web_link(evidence: str) -> bool:
    """True when the evidence is an acceptable http(s) link (the renderers may make it clickable)."""
    return link_problem(evidence) is None and _scheme(link_of(evidence)) in WEB_SCHEMES


def _scheme(link: str) -> str | None:
    found = _SCHEME.match(link)
    if found is None or len(found.group(1)) == 1:  # C:\evidence is a Windows path, not a scheme
        return None
    return found.group(1).lower()


def link_problem(evidence: str | None) -> str | None:
    """Why ``evidence`` cannot count as evidence, judged on the text alone; None when it can."""
    if evidence is None or not evidence.strip():
        return "no evidence is given"
    bad = unsafe_character(evidence)
    if bad is not None:
        return f"the evidence holds a control character ({bad})"
    link = link_of(evidence)
    scheme = _scheme(link)
    if scheme is None:
        return None  # a path; whether it exists is path_problem's question
    if scheme not in WEB_SCHEMES:
        return f"{scheme}: links are not evidence (only http and https links, or repository paths, are)"
    try:
        parts = urlsplit(link)
        hostname = parts.hostname
    except ValueError as exc:
        return f"the link is not a valid URL ({exc})"
    if not hostname:
        return "the link names no host"
    if parts.username is not None or parts.password is not None:
        return "the link holds a user name or password; link to the page without them"
    return None


def repository_root(folder: Path) -> Path:
    """The nearest folder at or above ``folder`` that holds ``.git``; ``folder`` itself when there is none."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def path_problem(evidence: str, workspace: Path) -> str | None:
    """For evidence that is a path: None when it names something that exists inside the repository (or the
    workspace, outside a repository); why not otherwise. Web links always pass here."""
    if _scheme(link_of(evidence)) in WEB_SCHEMES:
        return None
    root = repository_root(workspace)
    workspace = workspace.resolve()
    outside = False
    for text in dict.fromkeys((evidence.strip(), link_of(evidence))):
        for base in dict.fromkeys((workspace, root)):
            candidate = (base / text).resolve()
            if not candidate.is_relative_to(root):
                outside = True
                continue
            if candidate.exists():
                return None
    where = f"the repository {root}" if (root / ".git").exists() else f"the workspace {root}"
    if outside:
        return f"the evidence path {link_of(evidence)!r} leads outside {where}"
    return f"the evidence path {link_of(evidence)!r} does not exist in {where}"
