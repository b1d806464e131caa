"""Read one git configuration value, as git itself resolves it for a folder (repository, global, system)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git_config(key: str, cwd: Path) -> str | None:
    """The value of ``key`` for the repository at ``cwd`` (or the global setting); None when unset or no git."""
    try:
        done = subprocess.run(["git", "config", "--get", key], cwd=cwd, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None
