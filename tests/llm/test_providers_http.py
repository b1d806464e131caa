"""The adapters against the fake server, through the real openai and anthropic SDKs."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from dicetm.providers.anthropic_messages import AnthropicProvider
from dicetm.providers.interface import (
    CompletionRequest,
    Message,
    PermanentProviderError,
    ProviderUnavailable,
    TransientProviderError,
)
from dicetm.providers.openai_compat import OpenAICompatProvider
from dicetm.providers.vendor_errors import parse_retry_after, scrub
from fakellm import FakeLLMServer, Reply

FAKE_KEY = "sk-dicetm-FAKE-KEY-0123456789abcdef"
SCHEMA: dict[str, object] = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
REQUEST = CompletionRequest(system="You list components.", messages=(Message("user", "Describe the system."),),
                            json_schema=SCHEMA, schema_name="Components", max_tokens=300)


def openai_provider(server: FakeLLMServer, model: str = "gpt-test") -> OpenAICompatProvider:
    return OpenAICompatProvider(model=model, api_key=FAKE_KEY, base_url=server.openai_base_url)


def anthropic_provider(server: FakeLLMServer) -> AnthropicProvider:
    return AnthropicProvider(model="claude-test", api_key=FAKE_KEY, base_url=server.anthropic_base_url)


def test_openai_sends_the_schema_and_reads_text_tokens_and_finish_reason(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json({"name": "api"}).with_tokens(321, 45))
    completion = openai_provider(fake_llm).complete(REQUEST, timeout=5)
    assert (completion.text, completion.input_tokens, completion.output_tokens) == ('{"name": "api"}', 321, 45)
    assert (completion.model, completion.finish_reason) == ("gpt-test", "stop")
    sent = fake_llm.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert sent.response_format == {"type": "json_schema",
                                    "json_schema": {"name": "Components", "schema": SCHEMA, "strict": False}}
    assert sent.system == "You list components."
    assert sent.messages == [{"role": "user", "content": "Describe the system."}]
    assert (sent.body["max_tokens"], sent.body["temperature"], sent.body["model"]) == (300, 0.0, "gpt-test")


def test_anthropic_puts_the_schema_in_the_system_prompt_and_joins_text(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.truncated({"name": "a long component name"}).with_tokens(7, 9))
    completion = anthropic_provider(fake_llm).complete(REQUEST, timeout=5)
    sent = fake_llm.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.system.startswith("You list components.") and '"required": ["name"]' in sent.system
    assert sent.messages == [{"role": "user", "content": "Describe the system."}]
    assert sent.body["max_tokens"] == 300 and "response_format" not in sent.body
    assert (completion.input_tokens, completion.output_tokens, completion.finish_reason) == (7, 9, "length")
    assert completion.text.startswith('{"name": "a long')


def test_azure_route_uses_deployment_api_version_and_api_key_header(fake_llm: FakeLLMServer) -> None:
    provider = OpenAICompatProvider(model="my-deployment", api_key=FAKE_KEY, base_url=fake_llm.azure_endpoint,
                                    azure=True, api_version="2024-10-21")
    fake_llm.script(Reply.json({"name": "x"}))
    assert provider.complete(REQUEST, timeout=5).text == '{"name": "x"}'
    sent = fake_llm.requests[0]
    assert (sent.api, sent.deployment, sent.query["api-version"]) == ("azure", "my-deployment", ["2024-10-21"])
    assert sent.headers["api-key"] == FAKE_KEY
    assert provider.name == "azure"


def test_missing_usage_counts_zero_tokens(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply(content="{}", usage=False), Reply(content="{}", usage=False))
    assert openai_provider(fake_llm).complete(REQUEST, timeout=5).input_tokens == 0
    assert anthropic_provider(fake_llm).complete(REQUEST, timeout=5).output_tokens == 0


@pytest.mark.parametrize("make", [openai_provider, anthropic_provider])
def test_rate_limit_is_transient_with_retry_after(fake_llm: FakeLLMServer, make: type) -> None:
    fake_llm.script(Reply.error(429, headers={"Retry-After": "7"}))
    with pytest.raises(TransientProviderError) as caught:
        make(fake_llm).complete(REQUEST, timeout=5)
    assert (caught.value.kind, caught.value.retry_after) == ("rate-limit", 7.0)


@pytest.mark.parametrize("status", [500, 502, 503, 529])
def test_server_errors_are_transient(fake_llm: FakeLLMServer, status: int) -> None:
    fake_llm.script(Reply.error(status), Reply.error(status))
    for provider in (openai_provider(fake_llm), anthropic_provider(fake_llm)):
        with pytest.raises(TransientProviderError) as caught:
            provider.complete(REQUEST, timeout=5)
        assert caught.value.kind == "server"


@pytest.mark.parametrize("status, hint_word", [(401, "OPENAI_API_KEY"), (403, "permissions"), (404, "model name"),
                                               (400, "refused")])
def test_client_errors_are_permanent_with_a_hint(fake_llm: FakeLLMServer, status: int, hint_word: str) -> None:
    fake_llm.script(Reply.error(status))
    with pytest.raises(PermanentProviderError) as caught:
        openai_provider(fake_llm).complete(REQUEST, timeout=5)
    problem = caught.value.problems[0]
    assert f"HTTP {status}" in problem.message and problem.hint and hint_word in problem.hint
    assert fake_llm.calls == 1


def test_anthropic_401_hint_names_its_variable(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.error(401))
    with pytest.raises(PermanentProviderError) as caught:
        anthropic_provider(fake_llm).complete(REQUEST, timeout=5)
    assert "ANTHROPIC_API_KEY" in str(caught.value)


def test_exhausted_quota_is_permanent_not_a_rate_limit(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.error(429, {"error": {"message": "You exceeded your current quota",
                                                "type": "insufficient_quota", "code": "insufficient_quota"}}))
    with pytest.raises(PermanentProviderError, match="quota"):
        openai_provider(fake_llm).complete(REQUEST, timeout=5)


def test_timeout_is_transient(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.hang(3))
    with pytest.raises(TransientProviderError) as caught:
        openai_provider(fake_llm).complete(REQUEST, timeout=0.3)
    assert caught.value.kind == "timeout"


def test_connection_refused_is_transient() -> None:
    with FakeLLMServer() as server:
        url = server.openai_base_url
    provider = OpenAICompatProvider(model="m", api_key=FAKE_KEY, base_url=url)
    with pytest.raises(TransientProviderError) as caught:
        provider.complete(REQUEST, timeout=2)
    assert caught.value.kind == "connection"


def test_rejected_json_schema_falls_back_to_json_object_and_remembers(fake_llm: FakeLLMServer) -> None:
    rejection = {"error": {"message": "response_format type json_schema is not supported", "type": "invalid"}}
    fake_llm.script(Reply.error(400, rejection), Reply.json({"name": "a"}), Reply.json({"name": "b"}))
    provider = openai_provider(fake_llm)
    assert provider.complete(REQUEST, timeout=5).text == '{"name": "a"}'
    assert provider.complete(REQUEST, timeout=5).text == '{"name": "b"}'
    formats = [request.response_format for request in fake_llm.requests]
    assert formats[0] is not None and formats[0]["type"] == "json_schema"
    assert formats[1:] == [{"type": "json_object"}, {"type": "json_object"}]
    assert '"required": ["name"]' in fake_llm.requests[1].system  # the schema moves into the prompt


def test_rejected_max_tokens_and_temperature_are_adapted(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(
        Reply.error(400, {"error": {"message": "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens'."}}),
        Reply.error(400, {"error": {"message": "Unsupported value: 'temperature' does not support 0.0"}}),
        Reply.json({"name": "ok"}))
    assert openai_provider(fake_llm).complete(REQUEST, timeout=5).text == '{"name": "ok"}'
    last = fake_llm.requests[-1].body
    assert last["max_completion_tokens"] == 300 and "max_tokens" not in last and "temperature" not in last


def test_unrelated_400_is_not_retried_by_adaptation(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.error(400, {"error": {"message": "messages: too many"}}))
    with pytest.raises(PermanentProviderError):
        openai_provider(fake_llm).complete(REQUEST, timeout=5)
    assert fake_llm.calls == 1


@pytest.mark.parametrize("make", [openai_provider, anthropic_provider])
def test_key_echoed_by_the_server_is_scrubbed(fake_llm: FakeLLMServer, make: type) -> None:
    masked = FAKE_KEY[:8] + "*" * 10 + FAKE_KEY[-4:]
    fake_llm.script(Reply.error(401, {"error": {"message": f"Incorrect API key provided: {FAKE_KEY} ({masked})"}}))
    with pytest.raises(PermanentProviderError) as caught:
        make(fake_llm).complete(REQUEST, timeout=5)
    text = str(caught.value)
    assert FAKE_KEY not in text and masked not in text and "[redacted]" in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_missing_sdk_is_reported_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(ProviderUnavailable, match=r"dicetm\[llm\]"):
        OpenAICompatProvider(model="m", api_key=FAKE_KEY)
    with pytest.raises(ProviderUnavailable, match=r"dicetm\[llm\]"):
        AnthropicProvider(model="m", api_key=FAKE_KEY)


def test_retry_after_parsing() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after({"Retry-After": later}) or 0) <= 31
    assert parse_retry_after({"Retry-After": "whenever"}) is None
    assert parse_retry_after({}) is None


def test_scrub_leaves_text_without_the_key_alone() -> None:
    assert scrub("model not found", FAKE_KEY) == "model not found"
    assert scrub(f"key={FAKE_KEY}.", FAKE_KEY) == "key=[redacted]."
