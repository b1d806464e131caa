"""What a component is, from its own words: the kind words (``data/kinds.yaml``) and the product list
(``data/vocabulary.yaml``), read from the entity's name first and its description second.

The most specific word in a name wins (an AI kind over ``process``, ``data_store`` or ``external_entity``),
and among equally specific words the last one, since English puts the head noun last ("Policy Index" is an
index, "Index Service" a service). A description counts only by its head phrase ("A Python service that
calls the model" is a service, whatever it calls). The same data files say which headings are document
sections ("Data flows", "Security considerations") and which words name a zone of trust.

Other languages are data too (``other_languages`` in ``data/kinds.yaml``): before a connector ("of", "de", "des",
"di") the head comes first ("Índice de Ordenanzas" is an index, "Journal des conversations" a log), and a word with
no kind word of its own may end in one, as German and Dutch compounds do ("Modellregister" is a register). A model
that scores or recognises is ``ml_model``, unless its words also name a language model ("GPT-4o classifier").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from dicetm.errors import CatalogError, Location, Problem
from dicetm.ingest.extract_flow_words import language_of
from dicetm.ingest.vocabulary import Hit, Vocabulary, vocabulary
from dicetm.model.system import AI_KINDS, Kind

_FILE = "data/kinds.yaml"
_SPECIFIC = AI_KINDS | {Kind.log_store}
COLLECTION_KINDS = frozenset({Kind.knowledge_source, Kind.log_store, Kind.training_data, Kind.memory})
_HEAD_ROLES = frozenset({"ui-head", "service-head", "store-head",  # kinds.yaml
                         "frontend", "client-app", "backend", "api-gateway", "proxy", "database", "object-storage"})
_OPERATIONS_PRODUCTS = frozenset({"logs"})  # vocabulary roles whose "<product> agent" is a daemon, unlike "Slack agent"
_SERVICE_HEADS = frozenset({"service-head", "backend", "api-gateway"})
_SPACELESS = "\u3040-\u30ff\u3400-\u9fff"  # kana and ideographs: a script whose compounds run on without a space
_COMPOUND_HEAD = 5  # letters: a component word this long closing a longer word is its head ("Modellregister")
# the suffixed definite article of Swedish, Danish and Norwegian nouns, singular and plural: "indexet", "loggen",
# "verktyget", "kassan", "databasen", "loggene", "filerna", "værktøjerne"
_NORDIC_ARTICLE = r"(?:erne|ene|arna|orna|erna|na|ne|en|et|n|t|a)"
_BARE_MODEL = frozenset({"model", "ai model", "base model", "model endpoint", "model server", "inference service"})
UPGRADES = frozenset({Kind.tool, Kind.agent, Kind.guardrail, Kind.retriever, Kind.embedding_pipeline,
                      Kind.vector_store, Kind.knowledge_source, Kind.log_store, Kind.memory, Kind.training_data})
_HEAD_END = re.compile(r"\s(?:that|which|who|whose|with|for|from|to|of|in|on|at|by|via|using|where|holding|over|across|"
                       r"about|between|against|into|through|behind|under|per|"
                       r"containing|used|backed|running|written|built|hosted|managed|behind|"
                       # relative pronouns and prepositions that end a head noun phrase in the other languages read
                       r"som|der|die|dat|das|que|qui|dont|che|cui|który|która|które|který|která|které|jotka|joka|jota|"
                       r"für|mit|zur|zum|über|pour|avec|dans|para|con|por|sobre|per|med|från|till|över|för|af|fra|"
                       r"til|voor|met|naar|uit|dla|przez)\s|[,;:.()\[\]–—]| - ",
                       re.I)
_LEAD = re.compile(r"^\s*(?:(?:it|this|that)\s+)?(?:(?:is|are|was|acts\s+as|serves\s+as)\b)?\s*"
                   r"(?:(?:a|an|the|our|their|its|one|two|several|some|small|new|existing|separate|dedicated|"
                   r"single|shared|central|internal|external|public|private|simple|custom|lightweight|thin|"
                   r"managed|hosted|self-hosted)\s+)*", re.I)
_WORD = re.compile(r"[A-Za-z][\w'-]*")
_ASIDE = re.compile(r"\s*\([^()]{0,60}\)")
# a description that opens with a third-person verb and its object ("Splits documents", "Reads the ticket")
_VERB_FIRST = re.compile(r"^[A-Za-z][a-z]+(?<!s)s\s+(?!(?:that|which|who|of|for|with|and|or|in|on|from|to|are|is|"
                         r"used|shared|stored|kept|written|held)\b)[a-z]")
_IDENTIFIER = re.compile(r"[^\W\d_][\w.]*(?:[-_][^\W_][\w.]*)+")  # words joined by "-" or "_"
_PREPOSITIONS = frozenset({"for", "of", "about", "on", "from", "to", "with", "by", "in"})
# a function a model calls, written as code: a verb, an underscore, an object ("get_request_status", "set_alert")
FUNCTION_NAME = re.compile(r"(?<![\w./-])`?(?P<name>(?:get|list|search|query|find|lookup|look_up|read|fetch|create|"
                           r"update|delete|remove|set|add|send|post|reset|deploy|run|execute|cancel|book|rebook|refund|"
                           r"submit|check|open|close|assign|approve|schedule|upload|download|generate|notify|issue|"
                           r"transfer|escalate|file|raise|write|save|store|pay)_[a-z0-9]+(?:_[a-z0-9]+)*)`?"
                           r"(?![\w/-]|\.\w)")


@dataclass(frozen=True)
class KindWords:
    words: Vocabulary  # kinds.yaml
    section_words: frozenset[str]
    zone_words: re.Pattern[str]
    connectors: re.Pattern[str]  # "of", "de", "des", "di": a name's head noun comes before them
    connector_words: frozenset[str]
    qualifier: re.Pattern[str]  # a connector and a lower-case noun after a head: " des conversations", " d'affinage"
    articles: frozenset[str]  # "el", "la", "der", "le": an article before a name is not part of it
    foreign: frozenset[str]  # the component words of other languages, whose names may put the head first
    english: frozenset[str]  # the component words of English (some are also words of other languages)
    compound_heads: re.Pattern[str]  # a component word closing a compound: "Modellregister", "Datastore"
    host_agent_leads: re.Pattern[str]  # "newrelic-" before "agent": the agent of operations software

    def hits(self, text: str) -> list[tuple[Hit, Kind]]:
        """Kind-bearing words of ``text`` from both data files, leftmost-longest, not overlapping."""
        found = [(h, self.words.kinds[h.role]) for h in self.words.hits(text)]
        products = vocabulary()
        found += [(h, products.kinds[h.role]) for h in products.hits(text)]
        chosen: list[tuple[Hit, Kind]] = []
        for hit, kind in sorted(found, key=lambda p: (p[0].start, p[0].start - p[0].end)):
            if not chosen or hit.start >= chosen[-1][0].end:
                chosen.append((hit, kind))
        return self._host_agents(text, chosen)

    def _host_agents(self, text: str, chosen: list[tuple[Hit, Kind]]) -> list[tuple[Hit, Kind]]:
        """An "agent" right after a lead word of operations software ("newrelic-agent") or a product that is not
        observability product ("Datadog agent") is that software's daemon: one ``host-agent`` hit for both."""
        out: list[tuple[Hit, Kind]] = []
        for hit, kind in chosen:
            if kind is Kind.agent and hit.product is None and hit.term == "agent":
                before = out[-1] if out else None
                gap = text[before[0].end:hit.start] if before is not None else ""
                if before is not None and before[0].role in _OPERATIONS_PRODUCTS and re.fullmatch(r"[ \t_-]", gap):
                    out[-1] = (Hit(before[0].start, hit.end, "host-agent", None, "host agent"), Kind.process)
                    continue
                lead = self.host_agent_leads.search(text, 0, hit.start)
                if lead is not None and not any(h.start < hit.start and lead.start() < h.end for h, _ in out):
                    out.append((Hit(lead.start(), hit.end, "host-agent", None, "host agent"), Kind.process))
                    continue
            out.append((hit, kind))
        return out

    def kind_of(self, text: str) -> Kind | None:
        """The kind ``text`` names: a head word at its end, else its most specific kind word, the last of
        equally specific ones; a function name written as code ("get_transactions") is a tool. An identifier
        ("conversation-store", "kelpie_logs") is read as the words it joins, when they say more."""
        if FUNCTION_NAME.fullmatch(text.strip()):
            return Kind.tool
        kind = self._kind_of(text)
        if _IDENTIFIER.fullmatch(text.strip()):
            words = re.sub(r"[-_]+", " ", text.strip())
            joined = any(" " in hit.term for hit, _ in self.hits(words))  # "conversation-store", "model-registry"
            spaced = self._kind_of(words)
            if (kind is None or joined) and spaced is not Kind.external_entity:  # "support-agent" is no person
                return spaced or kind
        return kind

    def _kind_of(self, text: str) -> Kind | None:
        found = self.hits(text)
        if not found:
            compound = self.compound_heads.search(text.strip())
            head = compound and (compound.group("head") or compound.group("nordic") or compound.group("spaceless"))
            # a head as long as the text is no part of it: reading it again would not end
            return self.kind_of(head) if head and len(head) < len(text.strip()) else None
        connector = next((c for c in self.connectors.finditer(text)
                          if not any(hit.start < c.start() < hit.end for hit, _ in found)), None)
        if connector is not None and any(hit.end <= connector.start() for hit, _ in found):
            return self.kind_of(text[:connector.start()])  # "Índice de Ordenanzas", "Journal des conversations"
        last, last_kind = found[-1]
        if last.role in _HEAD_ROLES and last.product is None and not text[last.end:].strip(" )]*_`.:"):
            brands = [kind for hit, kind in found[:-1] if hit.product is not None
                      and (kind in _SPECIFIC or last.role in _SERVICE_HEADS)]
            return brands[-1] if brands else last_kind
        specific = [kind for _, kind in found if kind in _SPECIFIC]
        if Kind.ml_model in specific and Kind.llm in specific:
            # "GPT-4o Intent Classifier" is a language model put to classifying; "Classifier Model" is not one
            return Kind.llm if self.names_llm(text) else Kind.ml_model
        if specific:
            return specific[-1]
        first, first_kind = found[0]
        if first.product is not None and first.start == 0 and text[last.end:].strip(" )]*_`.:"):
            return first_kind  # "Salesforce Financial Services Cloud": the product, whatever words follow it
        return last_kind

    def heads_first(self, word: str, text: str) -> bool:
        """Whether ``word`` opens a name head first in ``text``: a component word of another language ("Gestor
        Documental"), or one English shares with it ("Application", "Service") when ``text`` is not English."""
        word = word.lower()
        if word not in self.foreign:
            return False
        return word not in self.english or language_of(text) != "en"

    def names_llm(self, text: str) -> bool:
        """Whether ``text`` names a language model ("GPT-4o mini", "an LLM"), not just "a model"."""
        return any(kind is Kind.llm and hit.term not in _BARE_MODEL for hit, kind in self.hits(text))

    def is_section(self, heading: str) -> bool:
        """A heading made of section words ("Data flows", "3. Security considerations"), not a component."""
        words = [w.lower() for w in _WORD.findall(heading)]
        if not words:
            return True
        head = words[:next((i for i, w in enumerate(words) if w in _PREPOSITIONS and i), len(words))]
        if len(head) < len(words) and all(w in self.section_words for w in head):
            return True  # "Facts for reviewers", "Notes on deployment": the head noun names the section
        if not all(w in self.section_words for w in words):
            return False
        last = words[-1]
        concrete = self.words.hits(last)
        # "Review Service" or "Data API" name a component: several words ending in a singular component noun
        return not (len(words) > 1 and concrete and not last.endswith("s") and heading.strip()[-1:].isalnum()
                    and heading.split()[-1][:1].isupper())

    def names_a_list(self, heading: str) -> bool:
        """A heading naming several components of a kind ("Processors", "Data stores", "The three MCP servers"):
        its last word is the plural of a component word, and a component of that kind is not itself named in the
        plural (unlike "Call Recordings" or "Docs")."""
        return self.listed_kind(heading) is not None

    def listed_kind(self, heading: str) -> Kind | None:
        """The kind of the components a heading lists (see ``names_a_list``): ``tool`` for "Tools", and for
        "Tools of the agent" or "Ferramentas do agente", whose head comes before the connector."""
        connector = self.connectors.search(heading)
        words = _WORD.findall(heading[:connector.start()] if connector is not None else heading)
        if not words or len(words) > 5:
            return None
        last = words[-1].lower()
        if not last.endswith("s") or words[-1].isupper() or last.endswith("ss"):
            return None
        singulars = [last[:-3] + "y"] if last.endswith("ies") else [last[:-1], last[:-2]]
        kind = next((k for k in map(self.kind_of, singulars) if k is not None), None)
        return kind if kind is not None and kind not in COLLECTION_KINDS else None

    def names_person(self, name: str) -> bool:
        """A person or a group of people ("Support agents", "the Clinician")."""
        return any(hit.role == "person" for hit in self.words.hits(name))

    def names_zone(self, text: str) -> bool:
        return bool(self.zone_words.search(text))


@lru_cache(maxsize=1)
def kind_words() -> KindWords:
    """The bundled kind words, loaded once; CatalogError when the data file is broken."""
    source = resources.files("dicetm.ingest").joinpath(_FILE)
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        zones = sorted({str(w) for w in data["zone_words"]}, key=len, reverse=True)
        body = "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in zones)
        others = data.get("other_languages") or []
        words = Vocabulary({**data, "entries": [*data["entries"], *others]})
        connectors = "|".join(re.escape(str(w)) for w in sorted(data["name_connectors"], key=len, reverse=True))
        spaced = "|".join(re.escape(str(w)) for w in data["name_connectors"] if not str(w).endswith("'"))
        elided = "|".join(re.escape(str(w)) for w in data["name_connectors"] if str(w).endswith("'"))
        letters = [w for w in sorted(words.words(), key=len, reverse=True) if re.fullmatch(r"[^\W\d_]+", w)]
        heads = "|".join(re.escape(w) for w in letters if len(w) >= _COMPOUND_HEAD)
        foreign = {" ".join(str(w).lower().split()) for e in others for w in e["generic"]}
        nordic = "|".join(re.escape(w) for w in letters if len(w) >= 3 and w.lower() in foreign)
        spaceless = "|".join(re.escape(w) for w in sorted(words.words(), key=len, reverse=True) if len(w) >= 2)
        return KindWords(words, frozenset(str(w).lower() for w in data["section_words"]),
                         re.compile(rf"(?<![\w-])(?:{body})s?(?![\w-])", re.I),
                         re.compile(rf"\s(?:{connectors})(?:\s|(?<=')(?=\w))", re.I),
                         frozenset(str(w).lower() for w in data["name_connectors"]),
                         re.compile(rf"[ \t]+(?:(?:{spaced})[ \t]+|(?:{elided}))(?-i:[^\W\d_A-Z])[\w-]*", re.I),
                         frozenset(str(w).lower() for w in data["articles"]),
                         frozenset(foreign),
                         frozenset(" ".join(str(w).lower().split()) for e in data["entries"]
                                   for w in e.get("generic", [])),
                         # a compound's head ("Modellregister"), or a word of another language with a Nordic
                         # definite article ("Loggen", "Sökindexet", "Skatteverket")
                         re.compile(rf"(?<![^\W\d_])[^\W\d_]{{3,}}?[-‐]?(?P<head>{heads})$|"
                                    rf"(?<![^\W\d_])(?:[^\W\d_]{{2,}}?[-‐]?)?(?P<nordic>{nordic}){_NORDIC_ARTICLE}$|"
                                    rf"(?<=[{_SPACELESS}])(?P<spaceless>{spaceless})$", re.I),
                         re.compile(rf"(?<![\w-])(?:{_alternatives(data.get('host_agent_leads', []))})[ \t_-]$", re.I))
    except (OSError, yaml.YAMLError, KeyError, ValueError, TypeError, re.error) as exc:
        raise CatalogError([Problem(f"the extractor's kind words cannot be loaded: {exc}",
                                    Location(file=f"dicetm/ingest/{_FILE}"),
                                    "reinstall dicetm; if you edited the file, check its entries")]) from None


def _alternatives(words: list[str]) -> str:
    return "|".join(r"[ \t_-]".join(re.escape(p) for p in re.split(r"[ _-]", str(w)))
                    for w in sorted(words, key=lambda w: -len(str(w)))) or r"(?!x)x"


def head_phrase(description: str) -> str:
    """The head noun phrase a description opens with: "A Python service that ..." -> "Python service";
    "Hybrid (vector + keyword) index over ..." -> "Hybrid index"; "System of record for ..." -> "System of
    record" (a component word that runs on past the cut). A description opening with a verb ("Splits documents
    into chunks") has none."""
    text = _LEAD.sub("", _ASIDE.sub(" ", description), count=1)
    second = re.match(r"\S+\s+([\w-]+)", text)
    if _VERB_FIRST.match(text) and not (second and kind_words().words.hits(second.group(1))):
        return ""  # "Splits documents into chunks", not "Teams bot that ..."
    end = _HEAD_END.search(text)
    cut = end.start() if end else min(len(text), 80)
    for hit in kind_words().words.hits(text[:cut + 40]):
        if hit.start < cut < hit.end:
            cut = hit.end  # "system of record", "model registry"
    return " ".join(text[:cut].split())


def classify(name: str, description: str = "") -> Kind | None:
    """The kind the entity's own name says, else the head phrase of its description; None if neither says."""
    words = kind_words()
    return words.kind_of(name) or (words.kind_of(head_phrase(description)) if description else None)
