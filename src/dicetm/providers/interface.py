"""The provider protocol, the request/answer shapes, and the provider error family.

A provider adapter (OpenAI-compatible, Anthropic) does one HTTP call and translates the vendor's errors
into these classes; retries, repair, caching, concurrency and accounting live in ``client.py`` so every
adapter gets the same discipline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from dicetm.errors import ProviderError


@dataclass(frozen=True)
class Message:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class CompletionRequest:
    system: str
    messages: tuple[Message, ...]
    json_schema: dict[str, object] | None = None  # the answer must be JSON matching this schema
    schema_name: str = "answer"
    max_tokens: int = 4096
    temperature: float = 0.0


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    model: str
    finish_reason: str | None = None  # "stop", "length", ...


class Provider(Protocol):
    name: str  # "openai" or "anthropic"
    model: str

    def complete(self, request: CompletionRequest, *, timeout: float) -> Completion:
        """One call. Raises TransientProviderError (retry may help) or PermanentProviderError."""
        ...


class ProviderUnavailable(ProviderError):
    """No usable provider: the extra is not installed, or the configuration is incomplete."""


class TransientProviderError(ProviderError):
    """Timeout, rate limit (429) or server error (5xx): a later retry may succeed."""

    def __init__(self, message: str, *, kind: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # "timeout", "rate-limit", "server", "connection"
        self.retry_after = retry_after


class PermanentProviderError(ProviderError):
    """Authentication, permission, bad request, unknown model: retrying will not help."""


@dataclass
class Usage:
    """Token and cost accounting for one run (printed and written to the audit log)."""

    calls: int = 0  # HTTP calls that reached the provider (retries included)
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0
    repairs: int = 0
    discarded: int = 0  # answers still invalid after the repair round
    cost_usd: float | None = None  # None when no price is known for the model
    warnings: list[str] = field(default_factory=list)


T = TypeVar("T", bound=BaseModel)


@dataclass
class Answer(Generic[T]):
    """A validated structured answer, or ``value=None`` when it was discarded (see ``warnings``)."""

    value: T | None
    prompt_hash: str  # sha256 of provider, model, system prompt, messages and schema
    cached: bool = False
    warnings: list[str] = field(default_factory=list)


class StructuredLLM(Protocol):
    """What the assist code uses: ``client.LLMClient`` implements it over a Provider.

    ``ask`` fills ``request.json_schema`` from ``schema`` when it is None, validates the answer with pydantic,
    runs one repair round on invalid output, then gives up with a warning (value None). Transient errors are
    retried with backoff; a permanent error raises.
    """

    provider_name: str
    model: str
    usage: Usage

    def ask(self, task: str, request: CompletionRequest, schema: type[T]) -> Answer[T]: ...

    def ask_many(self, task: str, requests: Sequence[CompletionRequest], schema: type[T],
                 progress: Callable[[int, int], None] | None = None) -> list[Answer[T]]:
        """Several independent calls under the concurrency limit; answers in request order."""
        ...
