"""What leaves the machine: said before it is sent, or only shown (a dry run).

``Gate`` wraps the model client of an assisted command. Before each batch of requests goes out it tells the
caller what the batch carries (``Outbound``: the destination, how many characters of which document, and
how many characters of instructions, model and findings) so the CLI can print it before any call. In a dry run
nothing is sent: the requests are kept for the caller to show, and every answer is empty, as if the model had
returned nothing usable, so the rest of the command runs unchanged and proves that nothing would be kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dicetm.assist.prompts import document_characters
from dicetm.providers.interface import Answer, CompletionRequest, StructuredLLM


@dataclass
class Outbound:
    """One batch of requests about to leave: where to, and what of each document it carries."""

    destination: str  # "openai/gpt-4o-mini at https://api.openai.com/v1"
    task: str  # "describe", "propose-threats", "draft-impacts"
    requests: int
    characters: int  # everything sent: instructions, data blocks and the rest
    documents: dict[str, int] = field(default_factory=dict)  # file -> characters of its text in data blocks

    @property
    def other(self) -> int:
        """Characters that are not document text: instructions, the model's elements, rule findings."""
        return self.characters - sum(self.documents.values())


def outbound(destination: str, task: str, requests: Sequence[CompletionRequest]) -> Outbound:
    documents: dict[str, int] = {}
    characters = 0
    for request in requests:
        characters += len(request.system) + sum(len(message.content) for message in request.messages)
        for message in request.messages:
            for file, size in document_characters(message.content).items():
                documents[file] = documents.get(file, 0) + size
    return Outbound(destination, task, len(requests), characters, documents)


class Gate:
    """A StructuredLLM that announces every batch before it is sent, and in a dry run sends nothing."""

    def __init__(self, llm: StructuredLLM, destination: str, announce: Callable[[Outbound], None] | None = None,
                 *, dry_run: bool = False) -> None:
        self._llm = llm
        self._announce = announce
        self.destination = destination
        self.dry_run = dry_run
        self.provider_name, self.model = llm.provider_name, llm.model
        self.usage = llm.usage
        self.held: list[tuple[str, CompletionRequest]] = []  # dry run: (task, request) in the order asked

    def ask(self, task: str, request: CompletionRequest, schema: Any) -> Answer[Any]:
        return self.ask_many(task, [request], schema)[0]

    def ask_many(self, task: str, requests: Sequence[CompletionRequest], schema: Any,
                 progress: Callable[[int, int], None] | None = None) -> list[Answer[Any]]:
        if not requests:
            return []
        if self._announce is not None:
            self._announce(outbound(self.destination, task, requests))
        if not self.dry_run:
            return self._llm.ask_many(task, requests, schema, progress=progress)
        from dicetm.providers.client import prompt_hash

        self.held += [(task, request) for request in requests]
        return [Answer(value=None, prompt_hash=prompt_hash(self.provider_name, self.model, request),
                       warnings=["dry run: not sent"]) for request in requests]
