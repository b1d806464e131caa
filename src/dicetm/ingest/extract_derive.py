"""Facts that follow from what the documents state elsewhere, weaker than any fact stated in words.

- A component in a zone the documents name as someone else's ("Third-party SaaS", "Vendor: OpenAI", "Anthropic's
  side", "AWS-managed Bedrock", a zone named after a hosted model provider) is run by a third party; a model in
  a zone named after a hosted model provider is that provider's hosted model.
- A model reached through a hosted provider's API ("Claude 3 Haiku on Bedrock", "GPT-4o mini (Azure OpenAI)",
  a component named "Anthropic API") is a vendor-hosted model, and a vendor-hosted model is run by a third party.
- A store that prompts or conversations are written to ("writes the prompt and the model's answer to the Audit
  Log") keeps prompts (``logs_prompts``).
- What a tool may do follows from its flows: a flow from the tool to a store means it writes there, one from a
  store or an outside system to the tool that it reads; a query both ways is a read.

Each derived fact rests on the span that states its premise (the zone, the name, the flow). Being weak, a
derived fact never overrides, and never contradicts, a fact a document states in words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dicetm.ingest.extract_facts import denied
from dicetm.ingest.extract_ir import WEAK, Extraction, Fact
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.extract_products import product_hits
from dicetm.ingest.extract_resolve import Node
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import STORE_KINDS, TOOL_KINDS, Kind, ModelProvenance, Permission

_THEIRS = re.compile(r"\b(?:saas|vendors?|third[- ]party|providers?)\b|['’]s?\s+side\b|"
                     r"[\w-]+-(?:managed|operated|hosted)\b", re.I)
_OURS = re.compile(r"\b(?:our|self|customer|internal)\b|\bself-|customer-", re.I)
_HOSTED_ROLE = "model-provider"
_CALLERS = frozenset({Kind.agent, Kind.llm, Kind.model_provider, Kind.process, *TOOL_KINDS})
_PROMPTS = re.compile(r"\b(?:prompts?|conversations?|completions|chat\s+(?:history|turns?|messages)|"
                      r"(?:question|turn)s?\s+and\s+(?:the\s+)?(?:model['’]s\s+)?(?:answers?|responses?)|"
                      r"model['’]s\s+(?:answers?|responses?|replies)|transcripts?|"
                      # the same in German, Dutch, French, Italian, Spanish, Portuguese and Polish
                      r"transkripte?|gespräche?|gesprächsverl\w+|transcripten|gesprekken|gesprek|"
                      r"transcriptions?|conversazion[ei]|trascrizion[ei]|conversaci[oó]n(?:es)?|transcripci[oó]n(?:es)?|"
                      r"conversas?|transcri[çc][ãõ]o|transcri[çc][õo]es|rozmow[ayę]|rozmów|transkrypcj[aei])\b", re.I)
_PROMPT_STORES = frozenset({Kind.log_store, Kind.data_store})


def derive_facts(extractions: Sequence[Extraction], keys: dict[str, Node]) -> None:
    """Add the derived facts (weak) to the nodes of ``keys`` (see the module docstring)."""
    for extraction in extractions:
        for zone in extraction.zones:
            if _THEIRS.search(zone.name) or _names_hosted_provider(zone.name):
                if _OURS.search(zone.name):
                    continue
                for member in zone.members:
                    node = keys.get(member)
                    if node is not None and not _is_person(node):
                        node.extra_facts.append(Fact("third_party", True, zone.where, WEAK))
                        if node.kind() is Kind.llm and _names_hosted_provider(zone.name):  # "Vendor: OpenAI"
                            node.extra_facts.append(Fact("model_provenance", ModelProvenance.vendor_api.value,
                                                         zone.where, WEAK))
    for node in {id(n): n for n in keys.values()}.values():
        if node.kind() is Kind.llm:
            _hosted_model(node)
    for extraction in extractions:
        for relation in extraction.relations:
            source, target = keys.get(relation.source), keys.get(relation.target)
            if source is None or target is None or source is target:
                continue
            if target.kind() in _PROMPT_STORES and not relation.bidirectional and \
                    _writes_prompts(_without_names(f"{relation.data or ''} {relation.where.quote}", source, target)):
                target.extra_facts.append(Fact("logs_prompts", True, relation.where, WEAK))
                if source.kind() in (Kind.agent, Kind.process):
                    source.extra_facts.append(Fact("logs_prompts", True, relation.where, WEAK))  # who writes them
            for tool, other, writes in ((source, target, True), (target, source, False)):
                if tool.kind() not in TOOL_KINDS or other.kind() in _CALLERS:
                    continue
                if writes and not relation.bidirectional and other.kind() not in STORE_KINDS:
                    continue  # a request to a web site or an outside system says nothing about writing there
                permission = Permission.read if relation.bidirectional or not writes else Permission.write
                tool.extra_facts.append(Fact("permissions", [permission], relation.where, WEAK))


def _writes_prompts(text: str) -> bool:
    """Prompts are named as what is written, and not denied ("the text of the prompts is not recorded")."""
    return any(not denied(text, m.start(), m.end()) for m in _PROMPTS.finditer(text))


def _hosted_model(node: Node) -> None:
    """A model named after, qualified by, or built on a hosted provider's API: vendor-hosted, run by a vendor."""
    for entity in node.entities:
        for text in (entity.name, *entity.aliases, entity.technology):
            if _names_hosted_provider(text):
                where = next(iter(entity.where), None)
                if where is None:
                    continue
                node.extra_facts.append(Fact("model_provenance", ModelProvenance.vendor_api.value, where, WEAK))
                node.extra_facts.append(Fact("third_party", True, where, WEAK))
                return
    stated = [f for f in node.facts if f.field == "model_provenance" and f.value == ModelProvenance.vendor_api.value]
    if stated:
        node.extra_facts.append(Fact("third_party", True, stated[0].where, WEAK))


def _names_hosted_provider(text: str) -> bool:
    """A hosted provider named in ``text`` on its own ("Mistral API", "GPT-4o (Azure OpenAI)"), not as the end of a
    name of the team's own ("HS-Mistral": a model named after the family it was tuned from)."""
    hosted = {n.casefold() for n in vocabulary().names_of_role(_HOSTED_ROLE)}
    return any(text[hit.start:hit.end].casefold() in hosted and not text[:hit.start].endswith("-")
               for hit, _ in product_hits(text))


def _is_person(node: Node) -> bool:
    return node.kind() is Kind.external_entity and kind_words().names_person(node.name)


def _without_names(text: str, *nodes: Node) -> str:
    """The words of a statement without the names of its components ("Chat History Store" says nothing of
    what is written to it)."""
    text = " ".join(text.replace("-", " ").split()).casefold()
    for name in sorted((n for node in nodes for n in node.names), key=len, reverse=True):
        text = text.replace(name, " ")
    return text
