"""Retrying a provider call after a transient failure: exponential backoff with full jitter.

A server that says how long to wait (``Retry-After``) is believed, within a cap; otherwise the wait is a
random fraction of an exponentially growing ceiling, so many clients hitting one rate limit spread out.
"""

from __future__ import annotations

from collections.abc import Callable

from dicetm.errors import Location, Problem
from dicetm.providers.interface import Completion, ProviderError, TransientProviderError

BASE_DELAY = 1.0
FACTOR = 2.0
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 120.0

_HINTS = {
    "timeout": "raise llm.timeout in dicetm-config.yaml (or DICETM_LLM_TIMEOUT), or send smaller documents",
    "rate-limit": "lower llm.concurrency, wait a little, or raise the account's rate limit",
    "server": "the provider is failing or overloaded; try again later",
    "connection": "check the base URL, the network and that the server is running",
}


def backoff_delay(retry: int, retry_after: float | None, rng: Callable[[], float]) -> float:
    """Seconds to wait before retry number ``retry`` (1-based)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    ceiling = min(MAX_BACKOFF, BASE_DELAY * FACTOR ** (retry - 1))
    return rng() * ceiling


def call_with_retries(call: Callable[[], Completion], *, max_retries: int, sleep: Callable[[float], None],
                      rng: Callable[[], float], on_retry: Callable[[float], None] | None = None,
                      label: str = "the provider") -> Completion:
    """``call()``, repeated up to ``max_retries`` times after transient errors; permanent errors pass through.

    ``on_retry(delay)`` runs before each wait. Giving up raises a ProviderError naming the attempts and the
    last cause.
    """
    retry = 0
    while True:
        try:
            return call()
        except TransientProviderError as exc:
            if retry >= max_retries:
                cause = "; ".join(problem.message for problem in exc.problems)
                raise ProviderError([Problem(
                    f"gave up after {retry + 1} attempt{'s' if retry else ''}; last error ({exc.kind}): {cause}",
                    Location(path=label), hint=_HINTS.get(exc.kind, "try again later"))]) from None
            retry += 1
            delay = backoff_delay(retry, exc.retry_after, rng)
            if on_retry is not None:
                on_retry(delay)
            sleep(delay)
