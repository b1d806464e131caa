"""The calling discipline every provider gets: cache, retries, validation, one repair round, accounting.

``LLMClient`` implements ``StructuredLLM``. An answer is either valid against the caller's pydantic schema
or discarded with a warning (``value=None``); nothing half-valid ever reaches the caller, and only valid
answers are cached.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace

from pydantic import ValidationError

from dicetm.errors import StoreError
from dicetm.providers.cache import ResponseCache
from dicetm.providers.interface import Answer, Completion, CompletionRequest, Message, Provider, T, Usage
from dicetm.providers.jsontext import extract_json
from dicetm.providers.retry import call_with_retries

DEFAULT_SCHEMA_NAME = "answer"  # CompletionRequest's default; replaced by the schema class's name
_ERRORS_SHOWN = 3


def prompt_hash(provider: str, model: str, request: CompletionRequest) -> str:
    """sha256 of everything that shapes the answer; the API key is deliberately not part of it."""
    canonical = {
        "provider": provider, "model": model, "system": request.system,
        "messages": [[message.role, message.content] for message in request.messages],
        "schema": request.json_schema, "schema_name": request.schema_name,
        "max_tokens": request.max_tokens, "temperature": request.temperature,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class LLMClient:
    """``StructuredLLM`` over one ``Provider``; safe to use from several threads (``ask_many`` does)."""

    def __init__(self, provider: Provider, *, cache: ResponseCache | None = None, timeout: float = 60.0,
                 max_retries: int = 4, concurrency: int = 4, price_in: float | None = None,
                 price_out: float | None = None, sleep: Callable[[float], None] = time.sleep,
                 rng: Callable[[], float] = random.random) -> None:
        self.provider_name = provider.name
        self.model = provider.model
        self._provider = provider
        self._cache = cache
        self._timeout = timeout
        self._max_retries = max_retries
        self._concurrency = max(1, concurrency)
        self._prices = (price_in, price_out) if price_in is not None and price_out is not None else None
        self._sleep = sleep
        self._rng = rng
        self._lock = threading.Lock()
        self.usage = Usage(cost_usd=0.0 if self._prices else None)

    def ask(self, task: str, request: CompletionRequest, schema: type[T]) -> Answer[T]:
        if request.json_schema is None:
            request = replace(request, json_schema=schema.model_json_schema())
        if request.schema_name == DEFAULT_SCHEMA_NAME:
            request = replace(request, schema_name=schema.__name__)
        key = prompt_hash(self.provider_name, self.model, request)

        cached = self._from_cache(key, schema)
        if cached is not None:
            return Answer(value=cached, prompt_hash=key, cached=True)

        completion = self._call(task, request)
        value, problem = _validated(completion, schema)
        if value is None:
            self._count(repairs=1)
            completion = self._call(task, _repair_request(request, completion, problem))
            value, problem = _validated(completion, schema)
        if value is None:
            warning = f"{task}: answer discarded, still invalid after one repair round: {problem} (prompt {key[:12]})"
            self._count(discarded=1, warning=warning)
            return Answer(value=None, prompt_hash=key, warnings=[warning])

        warnings = self._store(key, completion)
        return Answer(value=value, prompt_hash=key, warnings=warnings)

    def ask_many(self, task: str, requests: Sequence[CompletionRequest], schema: type[T],
                 progress: Callable[[int, int], None] | None = None) -> list[Answer[T]]:
        """Answers in request order, at most ``concurrency`` calls in flight; ``progress(done, total)`` as they land.

        When a request fails (an error that survived its retries: authentication, quota, an outage), the
        requests not yet started are skipped, since they would fail the same way; those in flight finish
        (their valid answers are cached, so a re-run resumes cheaply), then the error of the earliest failed
        request (in request order) is raised.
        """
        total = len(requests)
        answers: list[Answer[T] | None] = [None] * total
        errors: dict[int, Exception] = {}
        done = 0
        failed = threading.Event()

        def run(request: CompletionRequest) -> Answer[T]:
            if failed.is_set():
                raise _Skipped
            try:
                return self.ask(task, request, schema)
            except Exception:
                failed.set()
                raise

        pool = ThreadPoolExecutor(max_workers=min(self._concurrency, total or 1), thread_name_prefix="dicetm-llm")
        try:
            futures: dict[Future[Answer[T]], int] = {
                pool.submit(run, request): index for index, request in enumerate(requests)}
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                index = futures[future]
                try:
                    answers[index] = future.result()
                except _Skipped:
                    continue
                except Exception as exc:
                    errors[index] = exc
                    continue
                done += 1
                if progress is not None:
                    progress(done, total)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if errors:
            raise errors[min(errors)]
        return [answer for answer in answers if answer is not None]

    def _from_cache(self, key: str, schema: type[T]) -> T | None:
        if self._cache is None:
            return None
        entry = self._cache.get(key)
        if entry is None:
            return None
        value, _ = _validated(Completion(entry.text, 0, 0, entry.model, "stop"), schema)
        if value is not None:  # an entry the schema no longer accepts is a miss
            self._count(cache_hits=1)
        return value

    def _store(self, key: str, completion: Completion) -> list[str]:
        if self._cache is None:
            return []
        try:
            self._cache.put(key, completion.text, model=completion.model, input_tokens=completion.input_tokens,
                            output_tokens=completion.output_tokens)
        except StoreError as exc:
            warning = f"answer not cached: {exc}"
            self._count(warning=warning)
            return [warning]
        return []

    def _call(self, task: str, request: CompletionRequest) -> Completion:
        def attempt() -> Completion:
            self._count(calls=1)
            return self._provider.complete(request, timeout=self._timeout)

        completion = call_with_retries(attempt, max_retries=self._max_retries, sleep=self._sleep, rng=self._rng,
                                       on_retry=lambda _delay: self._count(retries=1),
                                       label=f"{self.provider_name}/{self.model} ({task})")
        self._count(input_tokens=completion.input_tokens, output_tokens=completion.output_tokens)
        return completion

    def _count(self, *, calls: int = 0, cache_hits: int = 0, input_tokens: int = 0, output_tokens: int = 0,
               retries: int = 0, repairs: int = 0, discarded: int = 0, warning: str | None = None) -> None:
        with self._lock:
            usage = self.usage
            usage.calls += calls
            usage.cache_hits += cache_hits
            usage.input_tokens += input_tokens
            usage.output_tokens += output_tokens
            usage.retries += retries
            usage.repairs += repairs
            usage.discarded += discarded
            if warning is not None:
                usage.warnings.append(warning)
            if self._prices is not None:
                price_in, price_out = self._prices
                usage.cost_usd = (usage.input_tokens * price_in + usage.output_tokens * price_out) / 1_000_000


class _Skipped(Exception):
    """A request of ``ask_many`` not started because an earlier one failed."""


def _validated(completion: Completion, schema: type[T]) -> tuple[T | None, str]:
    """The answer as a valid ``schema`` instance, or None and a short reason fit to show the model."""
    if completion.finish_reason == "length":
        return None, "the answer was cut off at the output token limit, so its JSON is incomplete"
    try:
        data = extract_json(completion.text)
    except ValueError as exc:
        return None, str(exc)
    try:
        return schema.model_validate(data), ""
    except ValidationError as exc:
        return None, _summary(exc)


def _summary(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for error in errors[:_ERRORS_SHOWN]:
        where = ".".join(str(part) for part in error["loc"]) or "(top level)"
        parts.append(f"{where}: {error['msg']}"[:160])
    more = f" (and {len(errors) - _ERRORS_SHOWN} more)" if len(errors) > _ERRORS_SHOWN else ""
    return f"the JSON does not match the schema: {'; '.join(parts)}{more}"


def _repair_request(request: CompletionRequest, bad: Completion, problem: str) -> CompletionRequest:
    instruction = (f"Your previous answer cannot be used: {problem}. Reply again with only the corrected JSON "
                   "object matching the schema: no prose, no Markdown fence.")
    if bad.finish_reason == "length":
        instruction += " Keep it short enough to finish."
    messages = (*request.messages, Message("assistant", bad.text or "(empty answer)"), Message("user", instruction))
    return replace(request, messages=messages)
