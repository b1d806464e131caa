"""The component vocabulary (``data/vocabulary.yaml``) and the matcher that finds its words in text.

Matching is leftmost-longest on word boundaries, so "Azure OpenAI" wins over "OpenAI" and "vector
database" over "database"; words may be split across lines. Each hit says which role it names, which
product (a canonical key) or ``None`` for the role's generic words, and the canonical term it matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from dicetm.errors import CatalogError, Location, Problem
from dicetm.model.system import Kind

_FILE = "data/vocabulary.yaml"
_PLURAL = r"(?:e?s)?"


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    role: str
    product: str | None  # canonical key of the product, None for a generic word of the role
    term: str  # the canonical (lower-case) product name or generic word matched


@dataclass(frozen=True)
class _Pattern:
    role: str
    regex: re.Pattern[str]


class Vocabulary:
    def __init__(self, data: dict[str, Any]) -> None:
        self.kinds: dict[str, Kind] = {}
        self.distinct: set[str] = set()  # roles whose generic words name different components
        self.suffixes = frozenset(str(s).lower() for s in data.get("suffixes", []))
        self.modifiers = frozenset(str(s).lower() for s in data.get("modifiers", []))
        self.determiners = frozenset(str(s).lower() for s in data.get("determiners", []))
        self._terms: dict[str, tuple[str, str | None, str]] = {}  # normalised word -> (role, product, term)
        self.display: dict[str, str] = {}  # product key -> its canonical name as the data file writes it
        self._patterns: list[_Pattern] = []
        self._names: dict[str, list[str]] = {}  # product names (aliases too) by role
        self._makers = {_normal(str(maker)): tuple(_normal(str(f)) for f in families)
                        for maker, families in (data.get("makers") or {}).items()}
        self._operators = {_normal(str(company)): [str(p) for p in services]
                           for company, services in (data.get("operators") or {}).items()}
        folded: list[str] = []
        exact: list[str] = []
        for entry in data["entries"]:
            role = entry["role"]
            self.kinds[role] = Kind(entry["kind"])
            if entry.get("distinct"):
                self.distinct.add(role)
            exact_case = {str(word) for word in entry.get("exact_case", [])}
            for product in entry.get("products", []):
                names = [str(n) for n in (product if isinstance(product, list) else [product])]
                self.display.setdefault(_normal(names[0]), names[0])
                for name in names:
                    self._add(name, role, _normal(names[0]), _normal(names[0]))
                    self._names.setdefault(role, []).append(name)
                    (exact if name in exact_case else folded).append(name)
            for word in entry.get("generic", []):
                self._add(str(word), role, None, _normal(str(word)))
                folded.append(str(word))
            for pattern in entry.get("patterns", []):
                self._patterns.append(_Pattern(role, re.compile(rf"(?<!\w)(?:{pattern})(?!\w)(?!-[A-Za-z])", re.I)))
        self._folded = _alternation(folded, re.I)
        self._exact = _alternation(exact, 0)

    def _add(self, word: str, role: str, product: str | None, term: str) -> None:
        key = _normal(word)
        if key in self._terms and self._terms[key] != (role, product, term):
            raise ValueError(f"'{word}' is listed twice, for {self._terms[key][0]} and {role}")
        self._terms[key] = (role, product, term)

    def hits(self, text: str) -> list[Hit]:
        """Every component word in ``text``, leftmost-longest, not overlapping."""
        candidates: list[Hit] = []
        for regex in (self._folded, self._exact):
            for match in regex.finditer(text):
                found = self._lookup(match.group(0))
                if found is not None:
                    candidates.append(Hit(match.start(), match.end(), *found))
        for pattern in self._patterns:
            for match in pattern.regex.finditer(text):
                key = _normal(match.group(0))
                candidates.append(Hit(match.start(), match.end(), pattern.role, key, key))
        chosen: list[Hit] = []
        for hit in sorted(candidates, key=lambda h: (h.start, h.start - h.end)):
            if not chosen or hit.start >= chosen[-1].end:
                chosen.append(hit)
        return chosen

    def words(self) -> list[str]:
        """Every generic word and product name, normalised."""
        return list(self._terms)

    def names_of_role(self, role: str) -> list[str]:
        """Every product name (and alias) of ``role``."""
        return list(self._names.get(role, []))

    def maker_of(self, model: str) -> str | None:
        """The provider (its normalised name) whose model family ``model`` belongs to: "claude 3.5 sonnet" ->
        "anthropic"; None when the family is not listed."""
        key = _normal(model)
        for maker, families in self._makers.items():
            if any(key == f or key.startswith((f + " ", f + "-")) or (key.startswith(f) and key[len(f):len(f) + 1]
                                                                      .isdigit()) for f in families):
                return maker
        return None

    def operated_by(self, company: str) -> list[str]:
        """The product keys of the services ``company`` (a product key) runs."""
        services = self._operators.get(company, [])
        return [found[1] for found in (self._lookup(s) for s in services) if found is not None and found[1]]

    def _lookup(self, words: str) -> tuple[str, str | None, str] | None:
        key = _normal(words)
        for candidate in (key, key[:-1] if key.endswith("s") else None, key[:-2] if key.endswith("es") else None):
            if candidate is not None and candidate in self._terms:
                return self._terms[candidate]
        return None


def _normal(words: str) -> str:
    return " ".join(words.lower().split())


def _alternation(words: list[str], flags: int) -> re.Pattern[str]:
    if not words:
        return re.compile(r"(?!x)x")
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    body = "|".join(r"\s+".join(re.escape(part) for part in word.split()) for word in ordered)
    return re.compile(rf"(?<!\w)(?:{body}){_PLURAL}(?!\w)", flags)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The bundled vocabulary, loaded once; CatalogError when the data file is broken."""
    source = resources.files("dicetm.ingest").joinpath(_FILE)
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return Vocabulary(data)
    except (OSError, yaml.YAMLError, KeyError, ValueError, TypeError, re.error) as exc:
        raise CatalogError([Problem(f"the extractor vocabulary cannot be loaded: {exc}",
                                    Location(file=f"dicetm/ingest/{_FILE}"),
                                    "reinstall dicetm; if you edited the file, check its entries")]) from None
