"""The fake LLM server itself, over plain HTTP (no SDK), so its own behaviour is pinned down."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from fakellm import FakeLLMServer, RecordedRequest, Reply


def post(url: str, body: dict[str, Any], timeout: float = 5) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


CHAT = {"model": "m", "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hello"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "Thing", "schema": {"type": "object"}}}}


def test_scripted_replies_are_used_in_order_then_the_route(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json({"n": 1}), Reply.text("two"))
    fake_llm.route(lambda request: Reply.text(f"routed {request.schema_name}"))
    contents = [post(f"{fake_llm.openai_base_url}/chat/completions", CHAT)[2]["choices"][0]["message"]["content"]
                for _ in range(3)]
    assert contents == ['{"n": 1}', "two", "routed Thing"]
    assert fake_llm.pending == 0 and fake_llm.calls == 3


def test_requests_are_recorded(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.json({}))
    post(f"{fake_llm.openai_base_url}/chat/completions", CHAT)
    recorded = fake_llm.requests[0]
    assert (recorded.api, recorded.system, recorded.last_user_text) == ("openai", "sys", "hello")
    assert recorded.schema == {"type": "object"} and recorded.headers["content-type"] == "application/json"


def test_openai_wire_format(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.truncated({"a": "bcdef"}).with_tokens(11, 22))
    status, _, body = post(f"{fake_llm.openai_base_url}/chat/completions", CHAT)
    assert status == 200 and body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"] == {"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33}


def test_anthropic_wire_format(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.fenced({"a": 1}), Reply.error(529))
    message = {"model": "c", "max_tokens": 10, "system": "sys", "messages": [{"role": "user", "content": "hi"}]}
    status, _, body = post(f"{fake_llm.anthropic_base_url}/v1/messages", message)
    assert status == 200 and body["type"] == "message" and body["stop_reason"] == "end_turn"
    assert body["content"][0]["type"] == "text" and "```json" in body["content"][0]["text"]
    assert body["usage"] == {"input_tokens": 100, "output_tokens": 50}
    assert fake_llm.requests[0].system == "sys"
    status, _, body = post(f"{fake_llm.anthropic_base_url}/v1/messages", message)
    assert status == 529 and body["error"]["type"] == "overloaded_error"


def test_azure_route_and_error_headers(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(Reply.error(429, headers={"Retry-After": "3"}))
    status, headers, body = post(f"{fake_llm.azure_endpoint}/openai/deployments/dep/chat/completions"
                                 "?api-version=2024-10-21", CHAT)
    assert (status, headers["Retry-After"], body["error"]["type"]) == (429, "3", "rate_limit_error")
    assert fake_llm.requests[0].deployment == "dep"


def test_unscripted_and_unknown_routes_are_client_errors(fake_llm: FakeLLMServer) -> None:
    assert post(f"{fake_llm.openai_base_url}/chat/completions", CHAT)[0] == 418
    assert post(f"{fake_llm.root_url}/v1/embeddings", CHAT)[0] == 404


def test_a_failing_route_is_reported_not_swallowed(fake_llm: FakeLLMServer) -> None:
    def broken(_request: RecordedRequest) -> Reply:
        raise RuntimeError("route bug")

    fake_llm.route(broken)
    status, _, body = post(f"{fake_llm.openai_base_url}/chat/completions", CHAT)
    assert status == 418 and "route bug" in body["error"]["message"]


def test_in_flight_requests_are_measured(fake_llm: FakeLLMServer) -> None:
    # Every answer waits until all four requests are in: no timing assumption on a busy machine.
    together = threading.Barrier(4, timeout=30)

    def answer_together(_request: RecordedRequest) -> Reply:
        together.wait()
        return Reply.json({})

    fake_llm.route(answer_together)
    threads = [threading.Thread(target=post, args=(f"{fake_llm.openai_base_url}/chat/completions", CHAT))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake_llm.max_in_flight == 4


def test_a_hanging_reply_does_not_hold_up_stop() -> None:
    server = FakeLLMServer().start()
    server.script(Reply.hang(30))
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        post(f"{server.openai_base_url}/chat/completions", CHAT, timeout=0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
