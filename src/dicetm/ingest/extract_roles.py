"""Who does what, beyond a verb and its object: the second helper half of ``SentenceReader``.

- People where a component shows something use it ("..., where a claims officer accepts it").
- A list after "The agent has three tools:" or "it can:" is what that component calls, item by item.
- A tool named in the text about an MCP server ("Two tools: `get_reservation` and ...") is one that server provides.
- The component an output is shown in renders it ("displayed in the dashboard as plain text").
- A provider named only for what it does with the data it serves stands for the model it serves ("Azure OpenAI
  does not use our prompts to train models": the GPT-4o the system calls).
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import pairwise

from dicetm.ingest.documents import Span
from dicetm.ingest.extract_flows import FlowClauses, names_people
from dicetm.ingest.extract_ir import Fact, Where
from dicetm.ingest.extract_names import Mention
from dicetm.ingest.extract_prose import Block
from dicetm.ingest.extract_resolve import Node, normal
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import Kind

INTRODUCES_TOOLS = re.compile(r"\b(?:tools?|functions?|actions?|can|may)\s*[*_`]*:\s*$", re.I)
_ITEM_LEAD = re.compile(r"[\s*_`]*(?:(?:call|calls|use|uses|invoke|run)\s+(?:the\s+)?[*_`]*)?", re.I)
_WHERE_PEOPLE = re.compile(r"[*_`)\]]*,?\s+where\s+(?:a|an|the|one|our|their|each|every)\s+", re.I)
_PLACE_BEFORE = re.compile(r"\b(?:in|on|into|inside)\s+(?:the\s+|our\s+|its\s+|their\s+)?[*_`]*$", re.I)


class RoleClauses(FlowClauses):
    lister: Node | None  # who the list that follows is about

    def _people_there(self, span: Span, mentions: list[Mention]) -> None:
        """"... lands in the Review Console, where a customs broker accepts it": those people use that component."""
        text = span.text
        for place, who in pairwise(mentions):
            if place.node is None or names_people(place) or not names_people(who) or \
                    not _WHERE_PEOPLE.fullmatch(text[place.end:who.start]):
                continue
            person = self._node(who, span)
            self._relation(person, place.node, Where.at(span, place.start, who.end), None,
                           text[place.start:who.end], bidirectional=True)

    def _listed_tool(self, block: Block, mentions: list[Mention]) -> None:
        """A list item that opens with a tool, after "The agent has three tools:" or "it can:": the agent
        calls that tool."""
        span = block.span
        if span.kind != "list-item":
            self.lister = None
            return
        lead = next((m for m in mentions if m.start >= block.start), None)
        if self.lister is None or lead is None or lead.kind is not Kind.tool or \
                not _ITEM_LEAD.fullmatch(span.text[block.start:lead.start]):
            return
        tool = self._node(lead, span)
        self._relation(self.lister, tool, Where.at(span, lead.start, lead.end), None,
                       span.text[block.start:block.end])

    def _served_tools(self, span: Span, server: Node, mentions: list[Mention]) -> None:
        """A tool named by its own name in the text about an MCP server is one that server provides."""
        for mention in mentions:
            known = mention.node is not None and normal(mention.words) == normal(mention.node.name)
            if mention.kind is not Kind.tool or not (mention.named or known) or mention.node is server:
                continue
            tool = self._node(mention, span)
            if tool is None or tool is server:
                continue
            where = Where.at(span, mention.start, mention.end)
            tool.extra_facts.append(Fact("server", server.entities[0].key, where))
            self._relation(server, tool, where, None, span.text[mention.start:mention.end])

    def _shown_in(self, span: Span, start: int, stop: int, mentions: list[Mention],
                  kinds: frozenset[Kind] | None) -> list[Node]:
        """Where an output is shown ("displayed in the dashboard as plain text"): that component renders it."""
        text = span.text
        for mention in reversed(mentions):
            if start <= mention.start < stop and _PLACE_BEFORE.search(text, 0, mention.start) \
                    and not names_people(mention):
                node = self._node(mention, span)
                return [node] if node is not None and (kinds is None or node.kind() in kinds) else []
        return []

    def _served_model(self, mention: Mention) -> Mention:
        """A provider named only for what it does with the data it serves ("Azure OpenAI does not use our prompts
        to train models") stands for the model of the system it serves: its one model of that maker, else the
        system's one model."""
        if mention.node is not None or mention.kind is not Kind.model_provider or not mention.product_key:
            return mention
        models = {id(n): n for n in self.registry.nodes if (n.used or n.structural) and n.kind() is Kind.llm}
        made = [n for n in models.values() if _maker_matches(n.name, mention.product_key)]
        model = made[0] if len(made) == 1 else next(iter(models.values())) if len(models) == 1 else None
        return mention if model is None else replace(mention, node=model, kind=Kind.llm, product=False,
                                                      product_key=None)


def _maker_matches(model: str, provider: str) -> bool:
    maker = vocabulary().maker_of(model)
    return maker is not None and (maker == provider or maker in provider.split() or
                                  provider in vocabulary().operated_by(maker))
