"""Flows in a language that marks a component's role by the word after its name: Japanese particles ("X は Y に
送信する": X sends to Y; "Y から取得する": read from Y; "X によって Y に保存される": saved to Y by X) and Finnish
endings after a colon or a hyphenated word ("Order DB:hen", "Order Service -palveluun"). A mixin of
``FlowClauses``, which reads the other languages by the words before a name (``extract_flows``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from dicetm.ingest.documents import Span
from dicetm.ingest.extract_flow_words import FlowWords
from dicetm.ingest.extract_ir import Where
from dicetm.ingest.extract_names import Mention
from dicetm.ingest.extract_resolve import Node

if TYPE_CHECKING:
    from dicetm.ingest.extract_flows import FlowContext


class MarkedClauses(ABC):
    """Reads a clause by the roles its postpositions give the components it names."""

    words: FlowWords

    @abstractmethod
    def _node(self, mention: Mention, span: Span) -> Node | None:
        """The node ``mention`` stands for, drafted if needed (None: it cannot be one)."""

    @abstractmethod
    def _relation(self, source: Node | None, target: Node | None, where: Where, data: str | None, sentence: str,
                  *, bidirectional: bool = False) -> None:
        """Record a flow from ``source`` to ``target`` (a missing end is reported, not drafted)."""

    def _marked(self, span: Span, events: list[tuple[int, str, re.Match[str]]], start: int, end: int,
                mentions: list[Mention], subject: Node | None, context: FlowContext) -> None:
        """A language that marks a component's role by the word after it (Japanese "X は Y に送信する", "Y から
        取得する", "X によって Y に保存される"): each verb takes the components named since the verb before, by
        their roles; an unmarked one before the verb is its subject, after it its object. A clause without a
        subject is about the paragraph's subject."""
        text, previous = span.text, start
        for index, (position, form, match) in enumerate(events):
            following = events[index + 1][0] if index + 1 < len(events) else end
            roles: dict[str, Mention] = {}
            for mention in (m for m in mentions if previous <= m.start < following):
                role = self.words.role_after(text, mention.end) or ("subject" if mention.start < position
                                                                    else "object")
                roles.setdefault(role, mention)
            previous = match.end()
            negative = self.words.negated_after
            if self.words.negated.search(text, start, position) or (
                    negative is not None and negative.match(text, match.end())):
                continue
            found = roles.get("subject")
            actor = self._node(found, span) if found is not None else context.subject or subject
            where, sentence = Where.at(span, start, end), text[start:end]
            if form == "passive":
                participle = (match.groupdict().get("own") or match.group("participle") or "").lower()
                agent = self._node(roles["by"], span) if "by" in roles else actor
                if participle in self.words.passive_fetch and "from" in roles:
                    self._relation(self._node(roles["from"], span), agent, where, None, sentence)
                elif participle in self.words.passive_call and "by" in roles and found is not None:
                    self._relation(agent, self._node(found, span), where, None, sentence)  # "Y は X に呼び出される"
                elif "to" in roles:
                    self._relation(agent, self._node(roles["to"], span), where, None, sentence)
                context.subject = agent or context.subject
                continue
            group = "use" if match.group("use") else "send" if match.group("send") else "call" \
                if match.group("call") else "fetch"
            other = roles.get("to") or roles.get("object")
            if group == "fetch":
                origin = roles.get("from") or roles.get("object")
                if origin is not None:
                    self._relation(self._node(origin, span), actor, where, None, sentence)
            elif group == "send" and "to" in roles:
                self._relation(actor, self._node(roles["to"], span), where, None, sentence)
            elif group in ("call", "use") and other is not None:
                self._relation(actor, self._node(other, span), where, None, sentence, bidirectional=group == "use"
                               or bool(self.words.two_way.search(match.group(0))))
            context.subject = actor or context.subject

