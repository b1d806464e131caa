"""The calling discipline (retries, repair, cache, concurrency, accounting) against the fake server."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from dicetm.errors import ProviderError
from dicetm.providers import make_client
from dicetm.providers.anthropic_messages import AnthropicProvider
from dicetm.providers.cache import ResponseCache
from dicetm.providers.client import LLMClient, prompt_hash
from dicetm.providers.config import LLMConfig, describe_config
from dicetm.providers.interface import (
    Completion,
    CompletionRequest,
    Message,
    PermanentProviderError,
    Provider,
    StructuredLLM,
    TransientProviderError,
)
from dicetm.providers.openai_compat import OpenAICompatProvider
from dicetm.providers.retry import MAX_BACKOFF, MAX_RETRY_AFTER, backoff_delay
from fakellm import FakeLLMServer, RecordedRequest, Reply

FAKE_KEY = "sk-dicetm-FAKE-KEY-0123456789abcdef"
GOOD = {"name": "gateway", "trust": 3}


class Component(BaseModel):
    name: str
    trust: int


def request(text: str = "Describe the gateway.") -> CompletionRequest:
    return CompletionRequest(system="You describe components.", messages=(Message("user", text),))


class Harness:
    """An LLMClient on the fake server whose sleeps are recorded instead of slept."""

    def __init__(self, server: FakeLLMServer, cache_dir: Path | None = None, *, model: str = "gpt-test",
                 anthropic: bool = False, **options: object) -> None:
        self.sleeps: list[float] = []
        provider: Provider
        if anthropic:
            provider = AnthropicProvider(model=model, api_key=FAKE_KEY, base_url=server.anthropic_base_url)
        else:
            provider = OpenAICompatProvider(model=model, api_key=FAKE_KEY, base_url=server.openai_base_url)
        self.client = LLMClient(provider, cache=ResponseCache(cache_dir) if cache_dir else None,
                                sleep=self.sleeps.append, rng=lambda: 0.5, **options)  # type: ignore[arg-type]


def test_client_satisfies_the_protocol(fake_llm: FakeLLMServer) -> None:
    client: StructuredLLM = Harness(fake_llm).client
    assert (client.provider_name, client.model) == ("openai", "gpt-test")


@pytest.mark.parametrize("anthropic", [False, True])
def test_valid_answer_is_returned_and_counted(fake_llm: FakeLLMServer, anthropic: bool) -> None:
    fake_llm.script(Reply.json(GOOD))
    harness = Harness(fake_llm, anthropic=anthropic)
    answer = harness.client.ask("describe", request(), Component)
    assert answer.value == Component(**GOOD) and not answer.cached and not answer.warnings
    usage = harness.client.usage
    assert (usage.calls, usage.input_tokens, usage.output_tokens, usage.retries, usage.repairs) == (1, 100, 50, 0, 0)
    assert len(answer.prompt_hash) == 64


def test_schema_is_filled_in_from_the_model_class(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json(GOOD))
    Harness(fake_llm).client.ask("describe", request(), Component)
    sent = fake_llm.requests[0]
    assert sent.schema_name == "Component"
    assert sent.schema == Component.model_json_schema()


def test_rate_limit_waits_the_advertised_delay(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.error(429, headers={"Retry-After": "1"}),
                    Reply.error(429, headers={"retry-after-ms": "2500"}), Reply.json(GOOD))
    harness = Harness(fake_llm)
    assert harness.client.ask("describe", request(), Component).value == Component(**GOOD)
    assert harness.sleeps == [1.0, 2.5]
    assert (harness.client.usage.retries, harness.client.usage.calls, fake_llm.calls) == (2, 3, 3)


def test_server_errors_back_off_exponentially_with_jitter(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.error(500), Reply.error(503), Reply.json(GOOD))
    harness = Harness(fake_llm)
    assert harness.client.ask("describe", request(), Component).value is not None
    assert harness.sleeps == [0.5, 1.0]  # rng 0.5 times the ceilings 1 s and 2 s


def test_backoff_is_capped() -> None:
    assert backoff_delay(20, None, lambda: 1.0) == MAX_BACKOFF
    assert backoff_delay(3, None, lambda: 0.25) == 1.0
    assert backoff_delay(1, 10_000.0, lambda: 0.0) == MAX_RETRY_AFTER
    assert backoff_delay(1, -5.0, lambda: 0.0) == 0.0


def test_timeouts_are_retried_then_give_up_clearly(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.hang(3), Reply.hang(3), Reply.hang(3))
    harness = Harness(fake_llm, max_retries=2, timeout=0.3)
    with pytest.raises(ProviderError) as caught:
        harness.client.ask("describe", request(), Component)
    error = caught.value
    assert not isinstance(error, TransientProviderError)
    assert "gave up after 3 attempts" in str(error) and "timeout" in str(error)
    assert error.problems[0].hint and "llm.timeout" in error.problems[0].hint
    assert fake_llm.calls == 3 and len(harness.sleeps) == 2 and harness.client.usage.retries == 2


def test_authentication_error_is_not_retried(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.error(401), Reply.json(GOOD))
    harness = Harness(fake_llm)
    with pytest.raises(PermanentProviderError) as caught:
        harness.client.ask("describe", request(), Component)
    assert caught.value.problems[0].hint and "OPENAI_API_KEY" in caught.value.problems[0].hint
    assert fake_llm.calls == 1 and harness.sleeps == []


def test_truncated_answer_is_repaired_once(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    fake_llm.script(Reply.truncated(GOOD), Reply.json(GOOD))
    harness = Harness(fake_llm, tmp_path)
    answer = harness.client.ask("describe", request(), Component)
    assert answer.value == Component(**GOOD)
    repair = fake_llm.requests[1]
    assert [m["role"] for m in repair.messages] == ["user", "assistant", "user"]
    assert repair.messages[1] == {"role": "assistant", "content": Reply.truncated(GOOD).content}
    assert "cut off" in repair.last_user_text and "JSON" in repair.last_user_text
    usage = harness.client.usage
    assert (usage.calls, usage.repairs, usage.discarded, usage.input_tokens) == (2, 1, 0, 200)
    assert ResponseCache(tmp_path).get(answer.prompt_hash) is not None  # the repaired answer is cached


def test_answer_still_invalid_after_repair_is_discarded_and_not_cached(fake_llm: FakeLLMServer,
                                                                        tmp_path: Path) -> None:
    fake_llm.script(Reply.truncated(GOOD), Reply.truncated(GOOD))
    harness = Harness(fake_llm, tmp_path)
    answer = harness.client.ask("describe", request(), Component)
    assert answer.value is None and len(answer.warnings) == 1
    assert "describe" in answer.warnings[0] and "cut off" in answer.warnings[0]
    usage = harness.client.usage
    assert (usage.calls, usage.repairs, usage.discarded, usage.warnings) == (2, 1, 1, answer.warnings)
    assert list(tmp_path.rglob("*.json")) == []


def test_schema_violation_is_repaired_with_the_errors_listed(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json({"name": "gateway", "trust": "high"}), Reply.json(GOOD))
    answer = Harness(fake_llm).client.ask("describe", request(), Component)
    assert answer.value == Component(**GOOD)
    repair_text = fake_llm.requests[1].last_user_text
    assert "trust" in repair_text and "integer" in repair_text
    assert fake_llm.requests[1].messages[1] == {"role": "assistant", "content": '{"name": "gateway", "trust": "high"}'}


def test_schema_violation_twice_is_discarded(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json({"name": "gateway"}), Reply.text("Sorry, I cannot help with that."))
    harness = Harness(fake_llm)
    answer = harness.client.ask("describe", request(), Component)
    assert answer.value is None and "no JSON object" in answer.warnings[0]
    assert harness.client.usage.discarded == 1


@pytest.mark.parametrize("reply", [Reply.fenced(GOOD), Reply.text(f"Sure! {json.dumps(GOOD)} Hope that helps.")])
def test_fenced_or_wrapped_json_is_accepted_without_repair(fake_llm: FakeLLMServer, reply: Reply) -> None:
    fake_llm.script(reply)
    harness = Harness(fake_llm)
    assert harness.client.ask("describe", request(), Component).value == Component(**GOOD)
    assert harness.client.usage.repairs == 0


def test_second_identical_ask_is_served_from_the_cache(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    fake_llm.script(Reply.json(GOOD))
    first = Harness(fake_llm, tmp_path).client.ask("describe", request(), Component)
    again = Harness(fake_llm, tmp_path)
    answer = again.client.ask("describe", request(), Component)
    assert answer.cached and answer.value == first.value and answer.prompt_hash == first.prompt_hash
    assert fake_llm.calls == 1
    usage = again.client.usage
    assert (usage.calls, usage.cache_hits, usage.input_tokens) == (0, 1, 0)
    entry = json.loads(ResponseCache(tmp_path).path_for(first.prompt_hash).read_text())
    assert (entry["model"], entry["input_tokens"], entry["output_tokens"]) == ("gpt-test", 100, 50)
    assert entry["text"] == json.dumps(GOOD) and entry["created"]


def test_changing_model_or_prompt_misses_the_cache(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    fake_llm.route(lambda _request: Reply.json(GOOD))
    Harness(fake_llm, tmp_path).client.ask("describe", request(), Component)
    Harness(fake_llm, tmp_path, model="gpt-other").client.ask("describe", request(), Component)
    Harness(fake_llm, tmp_path).client.ask("describe", request("Describe the database."), Component)
    assert fake_llm.calls == 3
    assert len(list(tmp_path.rglob("*.json"))) == 3


def test_without_a_cache_every_ask_calls(fake_llm: FakeLLMServer) -> None:
    fake_llm.route(lambda _request: Reply.json(GOOD))
    harness = Harness(fake_llm)
    harness.client.ask("describe", request(), Component)
    assert not harness.client.ask("describe", request(), Component).cached
    assert fake_llm.calls == 2 and harness.client.usage.cache_hits == 0


def test_corrupt_cache_entry_is_a_miss_and_is_overwritten(fake_llm: FakeLLMServer, tmp_path: Path) -> None:
    fake_llm.route(lambda _request: Reply.json(GOOD))
    key = Harness(fake_llm, tmp_path).client.ask("describe", request(), Component).prompt_hash
    path = ResponseCache(tmp_path).path_for(key)
    path.write_text("{not json", encoding="utf-8")
    assert not Harness(fake_llm, tmp_path).client.ask("describe", request(), Component).cached
    assert json.loads(path.read_text())["text"] == json.dumps(GOOD)


def test_prompt_hash_covers_provider_model_prompt_and_schema() -> None:
    base = request()
    hashes = {prompt_hash("openai", "m", base), prompt_hash("anthropic", "m", base),
              prompt_hash("openai", "n", base), prompt_hash("openai", "m", request("other")),
              prompt_hash("openai", "m", CompletionRequest(base.system, base.messages, json_schema={"type": "object"}))}
    assert len(hashes) == 5
    assert prompt_hash("openai", "m", base) == prompt_hash("openai", "m", request())


class Together:
    """A route that answers requests only in groups of ``parties`` waiting at once, and counts the most that ever
    waited together (until the answer leaves the route, which is before the client has it, so a client that
    keeps to its limit can never push the count past it). A client running fewer requests at once makes the
    barrier time out, and its asks fail. Each group is held a tenth of a second more, so that a request beyond
    the limit, if the client sent one, is counted; a client within its limit passes whatever the timing."""

    def __init__(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties, action=lambda: time.sleep(0.1), timeout=30)
        self._lock = threading.Lock()
        self._waiting = 0
        self.most = 0

    def __call__(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._waiting += 1
            self.most = max(self.most, self._waiting)
        try:
            self._barrier.wait()
            number = int(request.last_user_text.split()[-1])
            return Reply.json({"name": f"component {number}", "trust": number})
        finally:
            with self._lock:
                self._waiting -= 1


def test_ask_many_respects_the_concurrency_limit_and_keeps_order(fake_llm: FakeLLMServer) -> None:
    # Deterministic on a busy machine: no answer leaves before three requests are in flight together.
    together = Together(3)
    fake_llm.route(together)
    harness = Harness(fake_llm, concurrency=3)
    seen: list[tuple[int, int]] = []
    answers = harness.client.ask_many("describe", [request(f"item {n}") for n in range(12)], Component,
                                      progress=lambda done, total: seen.append((done, total)))
    assert [answer.value.trust for answer in answers if answer.value] == list(range(12))
    assert together.most == 3
    assert seen == [(n, 12) for n in range(1, 13)]
    assert harness.client.usage.calls == 12 and harness.client.usage.input_tokens == 1200


def test_ask_many_raises_the_first_error_and_skips_unstarted_requests(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json(GOOD), Reply.error(401))
    fake_llm.route(lambda _request: Reply.json(GOOD))
    harness = Harness(fake_llm, concurrency=1)
    with pytest.raises(PermanentProviderError):
        harness.client.ask_many("describe", [request(f"item {n}") for n in range(6)], Component)
    assert fake_llm.calls == 2


def test_ask_many_of_nothing_is_empty(fake_llm: FakeLLMServer) -> None:
    assert Harness(fake_llm).client.ask_many("describe", [], Component) == []


def test_usage_is_consistent_under_concurrency(fake_llm: FakeLLMServer) -> None:
    fake_llm.route(lambda _request: Reply.json(GOOD).with_tokens(10, 1))
    harness = Harness(fake_llm, concurrency=8)
    harness.client.ask_many("describe", [request(f"item {n}") for n in range(40)], Component)
    usage = harness.client.usage
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (40, 400, 40)


def test_cost_is_computed_from_prices_for_every_call(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json({"name": "x"}).with_tokens(1000, 500), Reply.json(GOOD).with_tokens(3000, 250))
    harness = Harness(fake_llm, price_in=2.0, price_out=8.0)
    assert harness.client.usage.cost_usd == 0.0
    harness.client.ask("describe", request(), Component)
    usage = harness.client.usage
    assert (usage.input_tokens, usage.output_tokens, usage.repairs) == (4000, 750, 1)
    assert usage.cost_usd == pytest.approx((4000 * 2.0 + 750 * 8.0) / 1_000_000)


def test_cost_is_unknown_without_prices(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json(GOOD))
    harness = Harness(fake_llm)
    harness.client.ask("describe", request(), Component)
    assert harness.client.usage.cost_usd is None


def test_the_key_never_reaches_cache_warnings_errors_or_descriptions(fake_llm: FakeLLMServer,
                                                                     tmp_path: Path) -> None:
    fake_llm.script(Reply.json(GOOD), Reply.text(f"my key is {FAKE_KEY}?"), Reply.text("no"),
                    Reply.error(401, {"error": {"message": f"Incorrect API key provided: {FAKE_KEY}"}}))
    harness = Harness(fake_llm, tmp_path)
    harness.client.ask("describe", request("one"), Component)
    discarded = harness.client.ask("describe", request("two"), Component)
    with pytest.raises(PermanentProviderError) as caught:
        harness.client.ask("describe", request("three"), Component)
    config = LLMConfig(provider="openai", model="gpt-test", base_url=fake_llm.openai_base_url)
    texts = [path.read_text() for path in tmp_path.rglob("*") if path.is_file()]
    texts += [*discarded.warnings, *harness.client.usage.warnings, str(caught.value), describe_config(config)]
    assert texts and all(FAKE_KEY not in text for text in texts)


def test_make_client_reads_the_key_from_the_environment_and_caches(fake_llm: FakeLLMServer, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    config = LLMConfig(provider="anthropic", model="claude-test", base_url=fake_llm.anthropic_base_url,
                       max_retries=1)
    fake_llm.script(Reply.error(529), Reply.json(GOOD))
    sleeps: list[float] = []
    client = make_client(config, cache_dir=tmp_path / "cache", sleep=sleeps.append)
    assert client.ask("describe", request(), Component).value == Component(**GOOD)
    assert len(sleeps) == 1 and fake_llm.requests[0].headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1
    uncached = make_client(config, cache_dir=tmp_path / "cache", no_cache=True)
    fake_llm.script(Reply.json(GOOD))
    assert not uncached.ask("describe", request(), Component).cached and fake_llm.calls == 3


def test_make_client_uses_a_placeholder_key_for_a_local_server(fake_llm: FakeLLMServer) -> None:
    config = LLMConfig(provider="openai", model="llama3", base_url=fake_llm.openai_base_url)
    fake_llm.script(Reply.json(GOOD))
    client = make_client(config, cache_dir=None, env={})
    assert client.ask("describe", request(), Component).value is not None
    assert fake_llm.requests[0].headers["authorization"].startswith("Bearer dicetm-local")


def test_transient_error_class_carries_kind_and_delay() -> None:
    calls: list[int] = []
    lock = threading.Lock()

    class Flaky:
        name, model = "openai", "m"

        def complete(self, request: CompletionRequest, *, timeout: float) -> Completion:
            with lock:
                calls.append(1)
            raise TransientProviderError("busy", kind="server", retry_after=4.0)

    sleeps: list[float] = []
    client = LLMClient(Flaky(), max_retries=3, sleep=sleeps.append)
    with pytest.raises(ProviderError, match=r"gave up after 4 attempts; last error \(server\): busy"):
        client.ask("describe", request(), Component)
    assert sleeps == [4.0, 4.0, 4.0] and len(calls) == 4


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_answer(fake_llm: FakeLLMServer,
                                                                      tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    fake_llm.script(Reply.json(GOOD))
    harness = Harness(fake_llm, blocker)
    answer = harness.client.ask("describe", request(), Component)
    assert answer.value == Component(**GOOD)
    assert len(answer.warnings) == 1 and "cannot write the LLM answer cache" in answer.warnings[0]
    assert harness.client.usage.warnings == answer.warnings


def test_cache_paths_accept_only_sha256_digests(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    with pytest.raises(ValueError):
        cache.path_for("../../etc/passwd")
    digest = "ab" + "0" * 62
    assert cache.path_for(digest) == tmp_path / "ab" / f"{digest}.json"
    assert cache.get(digest) is None
