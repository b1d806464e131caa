"""The products a component is built with or reached through, and the component a product named in passing
stands for.

A component's technology names products: a qualifier ("Case Memory (Redis)", "Claude 3.5 Sonnet on Amazon
Bedrock"), a Technology column, a diagram label's second line, the head of its description ("A Pinecone
serverless index"). Later text that names one of those products in passing ("Pinecone and Zendesk are SaaS",
"Bedrock does not train on our prompts") is about that component, not a new one. A product is also the
component whose name it opens ("Jira" for "Jira Cloud", "Gemini" for "Gemini 2.5 Pro") when exactly one
component of a fitting kind has such a name, and a model provider stands for the one model of its families the
documents name ("Anthropic" for "Claude Sonnet 4"), and a company stands for the component built on the one
service of theirs the documents use ("Microsoft" for the model reached through Azure OpenAI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicetm.ingest.extract_kinds import head_phrase, kind_words
from dicetm.ingest.vocabulary import Hit, vocabulary
from dicetm.model.system import STORE_KINDS, Kind

if TYPE_CHECKING:
    from dicetm.ingest.extract_resolve import Node, Registry

_MODELS = frozenset({Kind.llm, Kind.model_provider})
_MODEL_SERVER = "model-server"  # vocabulary roles: software that serves a model the team runs ...
_HOSTED = "model-provider"  # ... and a provider serving models behind its own API


def product_hits(text: str) -> list[tuple[Hit, Kind]]:
    """The products named in ``text`` (both word lists), leftmost-longest."""
    return [(hit, kind) for hit, kind in kind_words().hits(text) if hit.product is not None]


def fitting(one: Kind, other: Kind) -> bool:
    """Kinds one product and one component may share: the same, two stores, or a model and its provider."""
    return one is other or (one in STORE_KINDS and other in STORE_KINDS) or {one, other} <= _MODELS


class ProductIndex:
    """product key -> the components built with or reached through it."""

    def __init__(self) -> None:
        self._built: dict[str, list[Node]] = {}

    def link(self, node: Node, product: str) -> None:
        nodes = self._built.setdefault(product, [])
        if all(n is not node for n in nodes):
            nodes.append(node)

    def index(self, nodes: list[Node]) -> None:
        """Link every component to the products its technology, qualifiers and description's head name."""
        for node in nodes:
            own = {hit.product for entity in node.entities for hit, _ in product_hits(entity.name)}
            kind = node.kind()
            for entity in node.entities:
                texts = [entity.technology, *entity.aliases, head_phrase(entity.hint) if entity.hint else ""]
                for text in texts:
                    hits = product_hits(text)
                    served = any(hit.role == _MODEL_SERVER for hit, _ in hits)
                    for hit, product_kind in hits:
                        if served and hit.role == _HOSTED:
                            continue  # "vllm/vllm-openai": a server of our own speaking OpenAI's API, not OpenAI
                        if hit.product is not None and hit.product not in own and fitting(product_kind, kind):
                            self.link(node, hit.product)  # not "headless Zoom client": Zoom is not the bot

    def component(self, hit: Hit, words: str, kind: Kind, nodes: list[Node]) -> Node | None:
        """The one component a product named in passing stands for, or None."""
        assert hit.product is not None
        linked = self._built.get(hit.product) or [n for key, ns in self._built.items() if _opens(key, hit.product)
                                                  for n in ns]  # "qwen2.5" for "Qwen2.5-32B-Instruct"
        if len({id(n) for n in linked}) == 1:
            return linked[0]
        if linked:
            return None
        named = [n for n in nodes if (n.structural or n.used) and (fitting(n.kind(), kind) or _app_of(n.kind(), kind))
                 and any(_opens(" ".join(name.casefold().split()), words.casefold())
                         for e in n.entities for name in (e.name, *e.aliases))]
        if len({id(n) for n in named}) == 1:
            return named[0]
        services = vocabulary().operated_by(hit.product)
        operated = [n for n in nodes if any(h.product in services for e in n.entities for h, _ in product_hits(e.name))]
        operated = operated or [n for key in services for n in self._built.get(key, [])]
        if operated:
            return operated[0] if len({id(n) for n in operated}) == 1 else None  # "Microsoft": its Azure OpenAI
        if kind is Kind.model_provider:
            made = [n for n in nodes if n.kind() in (Kind.llm, Kind.agent) and hit.product in self._makers(n)]
            if len({id(n) for n in made}) == 1:
                return made[0]
        return None

    def _makers(self, node: Node) -> set[str]:
        """The providers whose model families the component's names and linked products name."""
        words = vocabulary()
        terms = [hit.term for e in node.entities for text in (e.name, *e.aliases, e.technology)
                 for hit in words.hits(text)]
        terms += [key for key, linked in self._built.items() if any(n is node for n in linked)]
        return {maker for maker in map(words.maker_of, terms) if maker is not None}


def _app_of(component: Kind, product: Kind) -> bool:
    """A model's name opening an agent's ("Claude" for "Claude Desktop", "Copilot" for "Copilot Studio"): the
    vendor's app around the model, which the text shortens to the model's name."""
    return component is Kind.agent and product in _MODELS


def _opens(name: str, start: str) -> bool:
    """``name`` opens with the word(s) ``start``: "jira cloud" with "jira", "qwen2.5-32b-instruct" with "qwen2.5"."""
    start = " ".join(start.split())
    return name.startswith(start) and name[len(start):len(start) + 1] in (" ", "-")


def merge_restatements(registry: Registry, keys: dict[str, Node], diagrammed: set[int]) -> None:
    """A component named only as a product another component is built with, reached through or made by ("-
    Bedrock: no training on our data" beside "Claude 3.7 Sonnet (Bedrock)"; "**Mistral AI** — the Mistral Large
    API"; ``OPENAI_MODELS=gpt-4o`` beside "gpt-4o (OpenAI API)") is that component. Shapes of a diagram are
    left apart: a diagram that draws two boxes means two components."""
    for node in list(registry.nodes):
        if any(id(e) in diagrammed for e in node.entities) or len(node.entities) != 1:
            continue
        name = node.entities[0].name
        hits = product_hits(name)
        if len(hits) != 1 or hits[0][0].start != 0 or hits[0][0].end < len(name.rstrip()):
            continue
        others = [n for n in registry.nodes if n is not node]
        target = registry.products.component(hits[0][0], name, node.kind(), others)
        if target is not None and target is not node:
            registry.merge(target, node, keys)
