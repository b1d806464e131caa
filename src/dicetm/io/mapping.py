"""Shared mapping helpers for the importers: ids, element kinds, classifications, STRIDE, risk levels.

Every function here maps a stated fact; none invents one. Where the source gives nothing usable, the
result is ``None`` (or the family's plain kind), and the importer leaves the field unset.
"""

from __future__ import annotations

import html
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable
from enum import StrEnum

from dicetm.model.system import CLASSIFICATION_RANK, EXTERNAL_ID_PATTERN, ID_PATTERN, Classification, Kind

MAX_ID_LENGTH = 48
_ID = re.compile(ID_PATTERN)
_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)
_CONTROL_ID = re.compile(r"^X-[A-Za-z0-9][A-Za-z0-9_.:-]*$")

# ------------------------------------------------------------------------------------------------- ids


def slug(text: str | None, limit: int = MAX_ID_LENGTH) -> str:
    """``"Web Application (v2)"`` -> ``"web-application-v2"``; accents folded, ``""`` when nothing is left."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    result = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if len(result) > limit:
        cut = result[:limit]
        result = cut.rsplit("-", 1)[0] if "-" in cut[limit // 2:] else cut
    return result.strip("-")


class IdPool:
    """Unique model ids (``^[a-z0-9][a-z0-9_.-]*$``) for one namespace, from names or source ids."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def take(self, *candidates: str | None, fallback: str) -> str:
        """The slug of the first usable candidate (or ``fallback``), with -2, -3... if already taken."""
        base = next((s for s in (slug(c) for c in candidates) if s), "") or slug(fallback) or "item"
        return self._unique(base)

    def _unique(self, base: str) -> str:
        chosen, number = base, 1
        while chosen in self.taken:
            number += 1
            chosen = f"{base}-{number}"
        self.taken.add(chosen)
        return chosen


class ExternalIdPool(IdPool):
    """Unique threat ids: the source's own id when it fits ``EXTERNAL_ID_PATTERN``, else a slug."""

    def take(self, *candidates: str | None, fallback: str) -> str:
        for candidate in candidates:
            cleaned = external_id(candidate)
            if cleaned:
                return self._unique(cleaned)
        return super().take(fallback, fallback=fallback)


class ControlIdPool(IdPool):
    """Unique custom-control ids: ``X-`` plus the source id (or a slug of the name)."""

    def take(self, *candidates: str | None, fallback: str) -> str:
        for candidate in candidates:
            cleaned = external_id(candidate, allowed=r"A-Za-z0-9_.:-")
            if cleaned:
                chosen = self._unique(f"X-{cleaned}")
                if _CONTROL_ID.match(chosen):
                    return chosen
        return self._unique(f"X-{slug(fallback) or 'control'}")


def external_id(text: str | None, allowed: str = r"A-Za-z0-9_.:@/+-") -> str:
    """Keep a foreign id readable: characters outside ``allowed`` become '-', at most 120 characters."""
    if not text:
        return ""
    cleaned = re.sub(f"[^{allowed}]+", "-", text.strip())[:120]
    cleaned = re.sub(r"^[^A-Za-z0-9]+", "", cleaned).rstrip("-")
    return cleaned if cleaned and _EXTERNAL_ID.match(cleaned) else ""


def is_model_id(text: str) -> bool:
    return bool(_ID.match(text))


def reaches(parents: dict[str, str], start: str, goal: str) -> bool:
    """Whether following ``parents`` from ``start`` meets ``goal`` (so linking goal -> start would loop)."""
    seen = set()
    current: str | None = start
    while current is not None and current not in seen:
        if current == goal:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


# ------------------------------------------------------------------------------------------------ kinds


class Family(StrEnum):
    """The classic DFD shape a source states (or that its type names imply)."""

    external = "external"
    process = "process"
    store = "store"


PLAIN_KIND = {Family.external: Kind.external_entity, Family.process: Kind.process, Family.store: Kind.data_store}

# Words (or word pairs) in names, types and tags that name a more specific kind, checked in this order.
# A kind is only chosen inside the family the source states: a box drawn as a process never becomes a store.
_VOCABULARY: dict[Family, list[tuple[Kind, frozenset[str]]]] = {
    Family.process: [
        (Kind.guardrail, frozenset({"guardrail", "guardrails", "moderation", "content filter", "llm firewall"})),
        (Kind.fine_tuning_pipeline, frozenset({"fine tuning", "finetuning", "fine tune", "finetune",
                                               "training pipeline", "model training"})),
        (Kind.embedding_pipeline, frozenset({"embedding", "embeddings", "embedder", "vectorizer",
                                             "vectorisation", "vectorization"})),
        (Kind.retriever, frozenset({"retriever", "retrieval", "rag", "semantic search"})),
        (Kind.agent, frozenset({"agent", "agents", "agentic", "copilot", "assistant agent"})),
        (Kind.tool, frozenset({"tool", "tools", "plugin", "plugins", "mcp", "function calling"})),
        (Kind.ml_model, frozenset({"classifier", "detector", "ml model", "scoring model", "computer vision",
                                   "image recognition", "speech recognition", "face recognition"})),
        (Kind.llm, frozenset({"llm", "llms", "gpt", "chatgpt", "claude", "gemini", "llama", "mistral",
                              "language model", "foundation model", "genai", "ai", "model", "inference"})),
    ],
    Family.store: [
        (Kind.vector_store, frozenset({"vector", "vectors", "vectordb", "pinecone", "weaviate", "chroma",
                                       "chromadb", "faiss", "pgvector", "qdrant", "milvus", "embedding",
                                       "embeddings", "search index"})),
        (Kind.training_data, frozenset({"training data", "training set", "dataset", "datasets", "corpus"})),
        (Kind.knowledge_source, frozenset({"knowledge", "knowledge base", "kb", "wiki", "confluence"})),
        (Kind.memory, frozenset({"memory", "chat history", "conversation history"})),
        (Kind.log_store, frozenset({"log", "logs", "logging", "audit log", "siem", "monitoring"})),
    ],
    Family.external: [
        (Kind.model_provider, frozenset({"openai", "anthropic", "model provider", "llm provider", "llm api",
                                         "bedrock", "azure openai", "vertex ai", "huggingface", "hugging face",
                                         "llm", "gpt", "claude", "gemini"})),
    ],
}

# Words that say which family a component belongs to when the source states no shape (OTM types, names).
# Store words come first: "Customer Database" is a store, whoever's data it holds.
_FAMILY_WORDS: list[tuple[Family, frozenset[str]]] = [
    (Family.external, frozenset({"user", "users", "actor", "browser", "customer", "customers", "client",
                                 "person", "human", "visitor", "end user", "mobile", "android", "ios",
                                 "external", "partner", "third party", "web client"})),
    (Family.store, frozenset({"database", "db", "store", "storage", "datastore", "s3", "bucket", "queue", "mq",
                              "cache", "redis", "postgres", "postgresql", "mysql", "mariadb", "mongo", "mongodb",
                              "dynamodb", "sql", "blob", "filesystem", "file system", "file storage", "log",
                              "logs", "vector", "vectordb", "warehouse", "lake", "repository", "kafka",
                              "memory", "dataset", "knowledge base"})),
]


def words(*texts: str | None) -> set[str]:
    """Lower-case words and adjacent word pairs of the texts (``"Vector DB"`` -> vector, db, "vector db")."""
    found: set[str] = set()
    for text in texts:
        if not text:
            continue
        # Both readings of camel case: "CustomerDatabase" is customer + database, "OpenAI" is openai.
        for variant in (text, re.sub(r"([a-z])([A-Z])", r"\1 \2", text)):
            tokens = re.findall(r"[a-z0-9]+", variant.lower())
            found.update(tokens)
            found.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return found


def guess_family(*texts: str | None) -> Family:
    """The family the first telling text names (pass the type before the name); a process if none does."""
    for text in texts:
        found = words(text)
        for family, vocabulary in sorted(_FAMILY_WORDS, key=lambda entry: entry[0] is not Family.store):
            if found & vocabulary:
                return family
    return Family.process


def guess_kind(family: Family, *texts: str | None) -> Kind:
    """The most specific kind inside ``family`` that the texts name (the plain kind if none)."""
    found = words(*texts)
    for kind, vocabulary in _VOCABULARY[family]:
        if found & vocabulary:
            return kind
    return PLAIN_KIND[family]


# -------------------------------------------------------------------------------------- classification

_LEVEL_CLASSIFICATION = {
    "public": Classification.public,
    "internal": Classification.internal,
    "restricted": Classification.confidential,
    "confidential": Classification.confidential,
    "strictly-confidential": Classification.secret,
    "secret": Classification.secret,
    "personal": Classification.personal,
}


def classification_of(level: str | None) -> Classification | None:
    """Named confidentiality levels (Threagile's public..strictly-confidential) -> our classification."""
    if not level:
        return None
    return _LEVEL_CLASSIFICATION.get(level.strip().lower().replace(" ", "-").replace("_", "-"))


def classification_of_rating(rating: float | None) -> Classification | None:
    """A 0-100 confidentiality rating (OTM) in four bands: <20 public, <50 internal, <80 confidential, secret."""
    if rating is None:
        return None
    if rating < 20:
        return Classification.public
    if rating < 50:
        return Classification.internal
    if rating < 80:
        return Classification.confidential
    return Classification.secret


def highest(classifications: Iterable[Classification | None]) -> Classification | None:
    known = [c for c in classifications if c is not None]
    return max(known, key=lambda c: CLASSIFICATION_RANK[c]) if known else None


# ----------------------------------------------------------------------------------------------- STRIDE

_STRIDE = {
    "s": "S", "spoofing": "S", "spoof": "S",
    "t": "T", "tampering": "T",
    "r": "R", "repudiation": "R",
    "i": "I", "information disclosure": "I", "informationdisclosure": "I", "info disclosure": "I",
    "disclosure of information": "I",
    "d": "D", "denial of service": "D", "denialofservice": "D", "dos": "D",
    "e": "E", "elevation of privilege": "E", "elevation of privileges": "E", "elevationofprivilege": "E",
    "privilege escalation": "E",
    # The CIA triad, as Threat Dragon's CIA diagrams and Threat Composer's impacted goals use it.
    "confidentiality": "I", "integrity": "T", "availability": "D",
}
STRIDE_ORDER = "STRIDE"


def stride_letter(category: str | None) -> str | None:
    """``"Information disclosure"``, ``"elevation-of-privilege"``, ``"I"`` -> the STRIDE letter (None if not STRIDE)."""
    if not category:
        return None
    key = " ".join(re.sub(r"[-_]+", " ", category).lower().split())
    return _STRIDE.get(key)


def stride_letters(categories: Iterable[str | None]) -> list[str]:
    found = {letter for letter in map(stride_letter, categories) if letter}
    return [letter for letter in STRIDE_ORDER if letter in found]


# ------------------------------------------------------------------------------------------ risk levels

_SEVERITY = {
    "info": 1, "informational": 1, "none": 1, "very low": 1, "low": 2, "medium": 3, "moderate": 3,
    "elevated": 3, "high": 4, "very high": 5, "critical": 5,
}


def level_of_severity(severity: str | None) -> int | None:
    """Severity words (Low/Medium/High/Critical) -> 1..5; unknown words (e.g. 'TBA') -> None."""
    if not severity:
        return None
    return _SEVERITY.get(" ".join(re.sub(r"[-_]+", " ", severity).lower().split()))


def level_of_cvss(score: float | None) -> int | None:
    """A 0-10 score in the CVSS bands: none 1, low 2, medium 3, high 4, critical 5."""
    if score is None or not 0 <= score <= 10:
        return None
    if score == 0:
        return 1
    if score < 4:
        return 2
    if score < 7:
        return 3
    if score < 9:
        return 4
    return 5


def level_of_percent(value: float | None) -> int | None:
    """A 0-100 rating -> 1..5 in bands of 20 (0-20: 1, ..., 81-100: 5)."""
    if value is None or not 0 <= value <= 100:
        return None
    return max(1, min(5, math.ceil(value / 20)))


# ------------------------------------------------------------------------------------------------- text


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")  # a tag, not the '<' of "a <- b -> c"


def plain_text(text: str | None) -> str | None:
    """Text without HTML tags and entities (Threagile titles carry <b>...</b>), blank -> None."""
    if not text:
        return None
    cleaned = " ".join(html.unescape(_TAG.sub("", text)).split())
    return cleaned or None


def headline(text: str | None, limit: int = 100) -> str | None:
    """The first line of ``text``, shortened at a word boundary to at most ``limit`` characters."""
    if not text:
        return None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = " ".join(first.split())
    if len(first) <= limit:
        return first or None
    cut = first[: limit - 3]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "..."


def join_text(*parts: str | None, sep: str = "\n\n") -> str | None:
    kept = [p.strip() for p in parts if p and p.strip()]
    return sep.join(kept) or None
