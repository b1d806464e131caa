"""What the opening words of a heading or a list item name (``extract_prose`` reads the structure with them): a
component of its own ("## Policy Index", "### Trip Agent"), one named elsewhere by its kind alone ("The model"),
a zone ("Corporate network", "Anthropic's side"), or a product a list item opens with ("Pinecone for product
search").
"""

from __future__ import annotations

import re

from dicetm.ingest.extract_kinds import kind_words

IDENTIFIER_LIKE = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)+$|[a-z][A-Z]")


def product_lead(text: str) -> int:
    """The end of the product a list item opens with ("Pinecone for product search"), or 0."""
    hits = kind_words().hits(text[:80])
    if not hits or hits[0][0].start != 0 or hits[0][0].product is None:
        return 0
    end = hits[0][0].end
    return end if re.match(r"\s*(?:$|\(|for\b|[—–]|-\s)", text[end:]) else 0


_SECTION_OPENING = re.compile(r"^(?:not|no|non|without|what|why|how|who|where|when|which|whether|our|my|your|"
                              r"[a-z]+ing)\b", re.I)
_CLAUSE_WORDS = re.compile(r"\b(?:who|which|that|can|could|will|would|should|must|is|are|was|were|do|does|not|its|"
                           r"their|it|we|us|you|they)\b", re.I)
_COORDINATION = re.compile(r",|\s(?:and|or|&|vs\.?|versus)\s", re.I)
# a topic, not a name: "Use of conversations for training", "Six weeks of live service", "Orders raised by the bot"
_TOPIC = re.compile(r"^[A-Za-z][\w-]*(?:\s+[a-z][\w-]*)?\s+(?:of|for|about|on)\s+[a-z]|\s[a-z]+ed\s+(?:by|from|in)\s")
_DEFINITE = re.compile(r"^(?:the|our|this)\s+", re.I)
# an indefinite article inside a heading (English, German, French, Spanish, Italian, Portuguese, Dutch, Swedish):
# names do not have one, phrases do
_INDEFINITE_INSIDE = re.compile(r"\s(?:a|an|ein|eine|einem|einen|einer|eines|un|une|uno|una|unos|unas|um|uma|een|"
                                r"ett)\s+\S")


def refers(name: str) -> bool:
    """A heading that names a component by its kind alone ("The model", "Our vector store"): it is about the
    component of that kind named elsewhere, not a component of its own."""
    rest = _DEFINITE.sub("", name)
    if rest == name or not rest or any(w[:1].isupper() for w in rest.split()):
        return False
    hits = kind_words().hits(rest)
    return bool(hits) and all(h.product is None for h, _ in hits) and hits[0][0].start == 0 \
        and hits[-1][0].end >= len(rest.rstrip(" s"))


def heading_names(name: str, listing: bool) -> bool:
    """Whether a heading names a component rather than a part of the text: it reads as a name (not a phrase
    opening with a negation, a question word or an activity, not a clause, not a list of topics such as
    "Memory and logging"), and it ends in a component word or a product, or, in a components section, it is
    a proper name."""
    if _INDEFINITE_INSIDE.search(name):
        return False  # "Drafting with a language model", "Sachverhaltsentwurf mit einem Sprachmodell": a phrase
    words = kind_words()
    hits = words.hits(name)
    product = any(h.product is not None for h, _ in hits)
    proper = product or bool(IDENTIFIER_LIKE.search(name)) or \
        len(re.findall(r"(?<![\w'’-])(?:[A-Z0-9][\w.+-]*)", name)) >= 2 or bool(re.search(r"\b[A-Z]{2,}\b", name))
    if not proper and ((_SECTION_OPENING.match(name) and not (hits and hits[0][0].start == 0))
                       or _CLAUSE_WORDS.search(name) or _COORDINATION.search(name)):
        return False
    if not proper and re.search(r"['’]s?\s+[a-z]", name):
        return False  # "The adviser's review"
    if not proper and _TOPIC.search(name) and words.kind_of(name.split()[0]) is None:
        return False
    headed = bool(hits) and not name[hits[-1][0].end:].strip(" )]*_`.:s")
    return headed or (listing and (proper or (name[:1].isupper() and len(name.split()) == 1
                                   and words.kind_of(name) is not None)))


def names_zone(name: str) -> bool:
    """A name whose head noun names a zone ("Corporate network", "On the agent's laptop", "Anthropic's side"),
    not a product's own cloud ("Jira Cloud", "Splunk Cloud")."""
    words = re.findall(r"[\w'-]+", name)
    if words[-1:] == ["Cloud"] and any(hit.product is not None for hit, _ in kind_words().hits(name)):
        return False
    if words and len(words) > 1 and words[0][:1].isupper() and kind_words().words.hits(words[-1]):
        return False  # "Repo Sandbox": a component named after what it is, not a place
    return bool(words) and kind_words().names_zone(words[-1]) and (
        len(words) > 1 or kind_words().kind_of(name) is None)
