"""One chat-completions call through the ``openai`` SDK: OpenAI, Azure OpenAI and compatible local servers.

Servers differ in which parameters they accept (Ollama and LM Studio vary on ``json_schema``; OpenAI's
reasoning models refuse ``max_tokens`` and a non-default ``temperature``). When a server rejects one of
those with a 400 that names it, the call is repeated once without it, and the instance remembers, so
later calls go straight to the form that works.
"""

from __future__ import annotations

import re
from typing import Any

from dicetm.errors import Location, Problem
from dicetm.providers.interface import (
    Completion,
    CompletionRequest,
    PermanentProviderError,
    ProviderError,
    ProviderUnavailable,
)
from dicetm.providers.jsontext import schema_instruction
from dicetm.providers.vendor_errors import message_of, translate_sdk_error

OPENAI_BASE_URL = "https://api.openai.com/v1"
_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")
_REJECTED_PARAMETER_STATUSES = (400, 422)


class OpenAICompatProvider:
    """``Provider`` over chat completions; ``azure=True`` uses the Azure client (model = deployment name)."""

    def __init__(self, *, model: str, api_key: str, base_url: str | None = None, azure: bool = False,
                 api_version: str | None = None, timeout: float = 60.0) -> None:
        try:
            import openai
        except ImportError:
            raise ProviderUnavailable([Problem("the openai package is not installed", Location(path="llm.provider"),
                                               hint="pip install 'dicetm[llm]'")]) from None
        self.name = "azure" if azure else "openai"
        self.model = model
        self._key = api_key
        self._key_variable = "AZURE_OPENAI_API_KEY" if azure else "OPENAI_API_KEY"
        self._openai = openai
        if azure:
            if not base_url or not api_version:
                raise ProviderUnavailable("the azure provider needs an endpoint and an API version",
                                          hint="set AZURE_OPENAI_ENDPOINT and llm.api_version")
            self._client: Any = openai.AzureOpenAI(azure_endpoint=base_url, api_version=api_version,
                                                   api_key=api_key, max_retries=0, timeout=timeout)
        else:
            self._client = openai.OpenAI(base_url=base_url or OPENAI_BASE_URL, api_key=api_key, max_retries=0,
                                         timeout=timeout)
        self._json_mode = "json_schema"  # then "json_object", then "prompt" (schema only in the system prompt)
        self._token_parameter = "max_tokens"
        self._send_temperature = True

    def complete(self, request: CompletionRequest, *, timeout: float) -> Completion:
        while True:
            try:
                response = self._client.chat.completions.create(**self._parameters(request), timeout=timeout)
            except self._openai.OpenAIError as exc:
                error = self._translate(exc)
                if isinstance(error, PermanentProviderError) and self._adapt_to(exc):
                    continue
                raise error from None
            return self._completion(response)

    def _parameters(self, request: CompletionRequest) -> dict[str, Any]:
        system = request.system
        if request.json_schema is not None and self._json_mode != "json_schema":
            system += schema_instruction(request.json_schema)
        messages = [{"role": "system", "content": system}] if system else []
        messages += [{"role": message.role, "content": message.content} for message in request.messages]
        parameters: dict[str, Any] = {"model": self.model, "messages": messages,
                                      self._token_parameter: request.max_tokens}
        if self._send_temperature:
            parameters["temperature"] = request.temperature
        if request.json_schema is not None and self._json_mode == "json_schema":
            name = _SCHEMA_NAME.sub("_", request.schema_name)[:64] or "answer"
            parameters["response_format"] = {"type": "json_schema", "json_schema": {
                "name": name, "schema": request.json_schema, "strict": False}}
        elif request.json_schema is not None and self._json_mode == "json_object":
            parameters["response_format"] = {"type": "json_object"}
        return parameters

    def _adapt_to(self, exc: Exception) -> bool:
        """Drop the parameter a 400 complains about; False when there is nothing left to drop."""
        if getattr(exc, "status_code", None) not in _REJECTED_PARAMETER_STATUSES:
            return False
        text = message_of(exc).lower()
        if ("response_format" in text or "json_schema" in text) and self._json_mode != "prompt":
            self._json_mode = "json_object" if self._json_mode == "json_schema" else "prompt"
            return True
        if "max_tokens" in text and self._token_parameter == "max_tokens":
            self._token_parameter = "max_completion_tokens"
            return True
        if "temperature" in text and self._send_temperature:
            self._send_temperature = False
            return True
        return False

    def _translate(self, exc: Exception) -> ProviderError:
        return translate_sdk_error(self._openai, exc, vendor=self.name, model=self.model, key=self._key,
                                   key_variable=self._key_variable)

    def _completion(self, response: Any) -> Completion:
        choices = getattr(response, "choices", None) or []
        choice = choices[0] if choices else None
        message = getattr(choice, "message", None)
        text = _text_of(getattr(message, "content", None))
        finish_reason = getattr(choice, "finish_reason", None)
        if not text and getattr(message, "refusal", None):
            finish_reason = "refusal"
        usage = getattr(response, "usage", None)
        return Completion(text=text, input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                          output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                          model=str(getattr(response, "model", None) or self.model), finish_reason=finish_reason)


def _text_of(content: object) -> str:
    """Message content as text; some servers send a list of parts instead of a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(getattr(part, "text", ""))
                       for part in content)
    return ""
