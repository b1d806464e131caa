"""A scripted, in-process ``StructuredLLM``: answers are dicts validated through the schema, like the client."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dicetm.providers.interface import Answer, CompletionRequest, Usage

T = TypeVar("T", bound=BaseModel)
Script = dict[str, Any] | None | Callable[[CompletionRequest], dict[str, Any] | None]


@dataclass
class Asked:
    task: str
    request: CompletionRequest
    schema: type[BaseModel]

    @property
    def user_text(self) -> str:
        return "\n".join(m.content for m in self.request.messages)


@dataclass
class ScriptedLLM:
    """Answers requests in order from ``script``; the last entry repeats when the script runs out.

    An entry is a dict (validated through the schema; invalid -> value None with a warning, as the real client
    discards it), None (a discarded answer), or a callable taking the request and returning either.
    """

    script: list[Script]
    provider_name: str = "fake"
    model: str = "scripted-1"
    usage: Usage = field(default_factory=Usage)
    asked: list[Asked] = field(default_factory=list)

    def ask(self, task: str, request: CompletionRequest, schema: type[T]) -> Answer[T]:
        self.asked.append(Asked(task, request, schema))
        self.usage.calls += 1
        entry = self.script[min(len(self.asked), len(self.script)) - 1]
        data = entry(request) if callable(entry) else entry
        key = hashlib.sha256(json.dumps([self.provider_name, self.model, request.system,
                                         [m.content for m in request.messages]]).encode()).hexdigest()
        if data is None:
            return Answer(value=None, prompt_hash=key, warnings=["scripted: answer discarded"])
        try:
            value = schema.model_validate(data)
        except ValidationError as exc:
            self.usage.discarded += 1
            warning = f"{task}: invalid answer discarded: {exc.errors()[0]['msg']}"
            return Answer(value=None, prompt_hash=key, warnings=[warning])
        return Answer(value=value, prompt_hash=key)

    def ask_many(self, task: str, requests: Sequence[CompletionRequest], schema: type[T],
                 progress: Callable[[int, int], None] | None = None) -> list[Answer[T]]:
        return [self.ask(task, request, schema) for request in requests]
