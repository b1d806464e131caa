"""One error family for the whole library, split by audience.

Every error carries one or more problems; each problem has a location (file:line:column and a
field path, or an id) and a hint. Validation collects all problems before raising, so a user
sees every mistake at once. Only the CLI turns these into exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    file: str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    path: str | None = None  # field path inside the document, e.g. "elements[2].kind"

    def __str__(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.path:
            parts.append(self.path)
        return " ".join(parts) if parts else "<unknown location>"


@dataclass(frozen=True)
class Problem:
    message: str
    location: Location = field(default_factory=Location)
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class DicetmError(Exception):
    """Base of every error the library raises on purpose."""

    def __init__(self, problems: list[Problem] | str, hint: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, hint=hint)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InputError(DicetmError):
    """The user's input (model file, options, foreign file) is wrong."""


class CatalogError(DicetmError):
    """A catalogue data file is missing or inconsistent."""


class RuleError(DicetmError):
    """A rule's metadata or function is broken (a bug in dicetm or a plugin)."""


class ProviderError(DicetmError):
    """An LLM provider failed or answered something unusable."""


class StoreError(DicetmError):
    """The workspace on disk cannot be read or written."""
