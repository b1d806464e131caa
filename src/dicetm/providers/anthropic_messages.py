"""One Messages API call through the ``anthropic`` SDK.

The schema goes into the system prompt (nothing is prefilled), and the answer is the text blocks joined.
The installed SDK has no ``temperature`` parameter, so the model's default sampling is used; answers are
validated and cached by the client either way.
"""

from __future__ import annotations

from typing import Any

from dicetm.errors import Location, Problem
from dicetm.providers.interface import (
    Completion,
    CompletionRequest,
    ProviderError,
    ProviderUnavailable,
)
from dicetm.providers.jsontext import schema_instruction
from dicetm.providers.vendor_errors import translate_sdk_error

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
KEY_VARIABLE = "ANTHROPIC_API_KEY"
_FINISH_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
                   "model_context_window_exceeded": "length"}


class AnthropicProvider:
    """``Provider`` over Anthropic's Messages API."""

    name = "anthropic"

    def __init__(self, *, model: str, api_key: str, base_url: str | None = None, timeout: float = 60.0) -> None:
        try:
            import anthropic
        except ImportError:
            raise ProviderUnavailable([Problem("the anthropic package is not installed", Location(path="llm.provider"),
                                               hint="pip install 'dicetm[llm]'")]) from None
        self.model = model
        self._key = api_key
        self._anthropic = anthropic
        self._client: Any = anthropic.Anthropic(base_url=base_url or ANTHROPIC_BASE_URL, api_key=api_key,
                                                max_retries=0, timeout=timeout)

    def complete(self, request: CompletionRequest, *, timeout: float) -> Completion:
        system = request.system
        if request.json_schema is not None:
            system += schema_instruction(request.json_schema)
        parameters: dict[str, Any] = {
            "model": self.model, "max_tokens": request.max_tokens,
            "messages": [{"role": message.role, "content": message.content} for message in request.messages]}
        if system:
            parameters["system"] = system
        try:
            response = self._client.messages.create(**parameters, timeout=timeout)
        except self._anthropic.AnthropicError as exc:
            raise self._translate(exc) from None
        return self._completion(response)

    def _translate(self, exc: Exception) -> ProviderError:
        return translate_sdk_error(self._anthropic, exc, vendor=self.name, model=self.model, key=self._key,
                                   key_variable=KEY_VARIABLE)

    def _completion(self, response: Any) -> Completion:
        blocks = getattr(response, "content", None) or []
        text = "".join(str(getattr(block, "text", "")) for block in blocks if getattr(block, "type", None) == "text")
        stop_reason = getattr(response, "stop_reason", None)
        usage = getattr(response, "usage", None)
        return Completion(text=text, input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
                          output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
                          model=str(getattr(response, "model", None) or self.model),
                          finish_reason=_FINISH_REASONS.get(stop_reason, stop_reason) if stop_reason else None)
