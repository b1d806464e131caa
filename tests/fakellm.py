"""A fake LLM HTTP server on 127.0.0.1 for tests: OpenAI chat completions, Azure and Anthropic Messages.

The real SDKs talk to it over HTTP, so tests exercise the adapters' wire formats, timeouts and error
handling. Answers are scripted (``script``) or computed from the request (``route``); every request is
recorded with its path, headers and parsed body, and the server measures how many were in flight at once.

    with FakeLLMServer() as server:
        server.script(Reply.error(429, headers={"Retry-After": "2"}), Reply.json({"ok": True}))
        ... OpenAI(base_url=server.openai_base_url, ...) ...
        assert server.calls == 2
"""

from __future__ import annotations

import itertools
import json
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_INPUT_TOKENS = 100
DEFAULT_OUTPUT_TOKENS = 50


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``content`` is the model's text; ``status`` other than 200 makes an error reply."""

    content: str = ""
    status: int = 200
    finish_reason: str = "stop"  # OpenAI spelling; Anthropic replies map it ("length" -> "max_tokens")
    input_tokens: int = DEFAULT_INPUT_TOKENS
    output_tokens: int = DEFAULT_OUTPUT_TOKENS
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # error replies: the JSON body (a default one in the API's own shape when None)
    delay: float = 0.0  # seconds to wait before answering
    usage: bool = True  # False: leave the usage block out

    @classmethod
    def json(cls, obj: Any, **options: Any) -> Reply:
        return cls(content=json.dumps(obj), **options)

    @classmethod
    def text(cls, text: str, **options: Any) -> Reply:
        return cls(content=text, **options)

    @classmethod
    def fenced(cls, obj: Any, **options: Any) -> Reply:
        return cls(content=f"Here is the JSON you asked for:\n\n```json\n{json.dumps(obj, indent=2)}\n```\n",
                   **options)

    @classmethod
    def truncated(cls, obj: Any, **options: Any) -> Reply:
        text = json.dumps(obj)
        return cls(content=text[: max(1, len(text) // 2)], finish_reason="length", **options)

    @classmethod
    def error(cls, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return cls(status=status, body=body, headers=dict(headers or {}))

    @classmethod
    def hang(cls, seconds: float, then: Reply | None = None) -> Reply:
        """Wait ``seconds`` before answering (``then``, or an empty JSON object): a client timeout."""
        return replace(then or cls.json({}), delay=seconds)

    def after(self, seconds: float) -> Reply:
        """The same reply, sent ``seconds`` late (to keep requests in flight together)."""
        return replace(self, delay=seconds)

    def with_tokens(self, input_tokens: int, output_tokens: int) -> Reply:
        return replace(self, input_tokens=input_tokens, output_tokens=output_tokens)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: Any

    @property
    def api(self) -> str:
        """"openai", "azure" or "anthropic", from the route."""
        if self.path.startswith("/openai/deployments/"):
            return "azure"
        return "anthropic" if self.path.endswith("/messages") else "openai"

    @property
    def deployment(self) -> str | None:
        parts = self.path.split("/")
        return parts[3] if self.api == "azure" and len(parts) > 3 else None

    @property
    def system(self) -> str:
        body = self.body if isinstance(self.body, dict) else {}
        if self.api == "anthropic":
            system = body.get("system", "")
            return system if isinstance(system, str) else "".join(part.get("text", "") for part in system)
        return "\n".join(str(m.get("content", "")) for m in body.get("messages", []) if m.get("role") == "system")

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation without the system prompt."""
        body = self.body if isinstance(self.body, dict) else {}
        return [m for m in body.get("messages", []) if m.get("role") != "system"]

    @property
    def last_user_text(self) -> str:
        users = [m for m in self.messages if m.get("role") == "user"]
        return str(users[-1].get("content", "")) if users else ""

    @property
    def response_format(self) -> dict[str, Any] | None:
        body = self.body if isinstance(self.body, dict) else {}
        return body.get("response_format")

    @property
    def schema_name(self) -> str | None:
        """The JSON schema's name as the OpenAI API was told it (None for Anthropic and json_object)."""
        return ((self.response_format or {}).get("json_schema") or {}).get("name")

    @property
    def schema(self) -> dict[str, Any] | None:
        return ((self.response_format or {}).get("json_schema") or {}).get("schema")


class FakeLLMServer:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._queue: deque[Reply] = deque()
        self._router: Callable[[RecordedRequest], Reply] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        httpd = _Server(("127.0.0.1", 0), handler)
        self._httpd = httpd
        self._stopping.clear()
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakellm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes every hanging reply at once
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not started"
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.root_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.root_url

    @property
    def azure_endpoint(self) -> str:
        return self.root_url

    def base_url(self, provider: str) -> str:
        """The base URL an adapter for ``provider`` ("openai", "azure", "anthropic") should be given."""
        return self.openai_base_url if provider == "openai" else self.root_url

    # -- scripting ---------------------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        """Queue replies, consumed one per request in order (before the route is asked)."""
        with self._lock:
            self._queue.extend(replies)

    def route(self, fn: Callable[[RecordedRequest], Reply] | None) -> None:
        """Answer with ``fn(request)`` whenever the queue is empty."""
        self._router = fn

    @property
    def calls(self) -> int:
        return len(self.requests)

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._queue)

    # -- used by the handler -----------------------------------------------------------------------------
    def _receive(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            scripted = self._queue.popleft() if self._queue else None
        if scripted is not None:
            return scripted
        if self._router is None:
            return Reply.error(418, {"error": {"message": f"fakellm: no reply scripted for {request.path}",
                                               "type": "fakellm_unscripted"}})
        try:
            return self._router(request)
        except Exception:
            return Reply.error(418, {"error": {"message": "fakellm: the route failed: " + traceback.format_exc(),
                                               "type": "fakellm_route_error"}})

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _next_id(self) -> int:
        return next(self._ids)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a hanging reply
    request_queue_size = 128  # the default 5 drops connections when tests send many requests at once


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        parts = urlsplit(self.path)
        request = RecordedRequest(method="POST", path=parts.path, query=parse_qs(parts.query),
                                  headers={name.lower(): value for name, value in self.headers.items()}, body=body)
        known = parts.path in ("/v1/chat/completions", "/v1/messages") or (
            parts.path.startswith("/openai/deployments/") and parts.path.endswith("/chat/completions"))
        if not known:
            self._send(404, {"error": {"message": f"fakellm: no route {parts.path}", "type": "not_found"}}, {})
            return
        reply = self.fake._receive(request)
        try:
            if reply.delay:
                self.fake._wait(reply.delay)
            status, payload = self._payload(request, reply)
            self._send(status, payload, reply.headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before the answer
        finally:
            self.fake._done()

    def _payload(self, request: RecordedRequest, reply: Reply) -> tuple[int, Any]:
        anthropic = request.api == "anthropic"
        if reply.status != 200:
            if reply.body is not None:
                return reply.status, reply.body
            return reply.status, _error_body(reply.status, anthropic)
        model = (request.body or {}).get("model", "fake-model") if isinstance(request.body, dict) else "fake-model"
        number = self.fake._next_id()
        if anthropic:
            stop = {"stop": "end_turn", "length": "max_tokens"}.get(reply.finish_reason, reply.finish_reason)
            payload: dict[str, Any] = {
                "id": f"msg_fake{number:06d}", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": reply.content}], "stop_reason": stop, "stop_sequence": None}
            if reply.usage:
                payload["usage"] = {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens}
            return 200, payload
        payload = {
            "id": f"chatcmpl-fake{number:06d}", "object": "chat.completion", "created": 1_700_000_000,
            "model": model, "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                                         "message": {"role": "assistant", "content": reply.content}}]}
        if reply.usage:
            payload["usage"] = {"prompt_tokens": reply.input_tokens, "completion_tokens": reply.output_tokens,
                                "total_tokens": reply.input_tokens + reply.output_tokens}
        return 200, payload

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(payload, str) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


def _error_body(status: int, anthropic: bool) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(status, "api_error")
    message = f"fakellm scripted error {status}"
    if anthropic:
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
