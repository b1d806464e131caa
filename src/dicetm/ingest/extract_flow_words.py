"""The words flows are written with: the verbs, prepositions and small words ``extract_flows`` reads a clause by,
in English and, for a document in another language, in that language too (``data/flow_words.yaml``).

English is always read, since technical documents in any language quote English names and phrases. A document's
language is the one whose common function words (its ``markers``) it uses most; when that is not English, the
language's words are tried beside the English ones. Word order is the reader's business: German puts a verb's
particle or participle last ("leitet X an Y weiter"), which these patterns do not follow.

Languages written without spaces (Japanese, Chinese) are told by the small words and particles they contain, and
their words are matched inside runs of kana and ideographs. Languages that mark a noun's role by what follows it
(Japanese particles: "X は Y に送信する") list those `postpositions`; the reader then takes each component's role
from the particle after it instead of from the words before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from dicetm.errors import CatalogError, Location, Problem

_FILE = "data/flow_words.yaml"
ENGLISH_MARKERS = frozenset({"the", "and", "of", "to", "is", "are", "with", "for", "from", "by", "which", "that"})
MIN_MARKERS = 5  # function words of a language a text must use before it is read as written in it
SPACELESS = "\u3040-\u30ff\u3400-\u9fff"  # kana and ideographs: words run on without a space between them
_AFTER_WORD = rf"(?<![^\W{SPACELESS}])(?<!-)"  # a word boundary a run of kana or ideographs does not need
_BEFORE_WORD = rf"(?![^\W{SPACELESS}]|-)"
ROLES = ("subject", "object", "to", "from", "by")  # what a postposition says a component does in its clause

SEND = (r"sends?|sent|forwards?|pass(?:es)?|posts?|push(?:es)?|publish(?:es)?|submits?|streams?|uploads?|emits?|"
        r"routes?|relays?|proxies|delivers?|writes?|stores?|saves?|persists?|caches?|logs?|records?|index(?:es)?|"
        r"upserts?|inserts?|puts?|exports?|ships?|hands?|returns?|repl(?:y|ies)|responds?|feeds?|types?|enters?|"
        r"dispatch(?:es)?|enqueues?|appends?|notif(?:y|ies)|alerts?|pushes|hands\s+off|mirrors?|replicates?|"
        r"commits?|opens?|keeps?|hands?\s+over|creates?|adds?|removes?|updates?|deletes?|modif(?:y|ies)|files?|"
        r"raises?")
CALL = (r"calls?|invokes?|quer(?:y|ies)|search(?:es)?|asks?|hits?|contacts?|consults?|talks?\s+to|"
        r"connects?\s+to|uses?|runs?|triggers?|pings?|validates?|checks?|looks?\s+up|sends?\s+requests?\s+to|"
        r"delegates?\s+to|speaks?\s+to|reaches|embeds?\s+(?:[\w-]+\s+){1,3}with|scores?|classifies|moderates?")
FETCH = (r"reads?|fetch(?:es)?|retrieves?|pulls?|loads?|downloads?|gets?|receives?|obtains?|consumes?|takes?|"
         r"ingests?|crawls?|scrapes?|syncs?|imports?|polls?|picks?\s+up|collects?|subscribes?\s+to|"
         r"listens?\s+to|watches")
TWO_WAY = re.compile(r"^(?:quer|search|ask|look|consult|poll|check|validat)", re.I)
# what only people do with an app ("a reviewer approves it in the Console"); a component doing it is no flow
PEOPLE_ONLY = r"reviews?|approves?|accepts?|rejects?|confirms?|signs?\s+off|edits?|listens?\s+to"
PEOPLE_VERB = re.compile(rf"(?:{PEOPLE_ONLY})$", re.I)
PEOPLE_PLACE = re.compile(r"\s+(?:(?!before\b|after\b|when\b|until\b|once\b|while\b|if\b)[\w'’-]+,?\s+){0,5}?"
                          r"(?:in|on|into|inside|through|via|at)\s+(?:the\s+|our\s+|their\s+|its\s+)?[*_`]*", re.I)
USE = (r"opens?|visits?|browses?|clicks?|(?:signs?|logs?)\s+(?:in|on)(?:\s*to)?|"
       r"chats?\s+(?:with|in|on|through)|works?\s+(?:in|with|through|on)|appl(?:y|ies)\s+(?:on|through|via|in)|"
       r"interacts?\s+with|launch(?:es)?|" + PEOPLE_ONLY)  # what people do with an app: both ways
_VERB = r"(?<![\w-])(?:(?P<use>{})|(?P<send>{})|(?P<call>{})|(?P<fetch>{}))(?![\w-])"
VERB = re.compile(_VERB.format(USE, SEND, CALL, FETCH), re.I)
PERSON_LEAD = re.compile(r"(?:^|[.;:]\s+|\b)(?i:a|an|the|each|every|our|any)\s+(?P<who>(?:[a-z][\w-]*\s+){0,2}?"
                         r"[a-z][\w-]*?)(?:s)?\s+(?:(?:first|then|also|simply|usually|just)\s+)?$")
_BE = r"is|are|was|were|gets?|get|being|been|be"
_PARTICIPLES = (r"sent|forwarded|passed|posted|pushed|published|submitted|streamed|uploaded|written|stored|saved|"
                r"logged|recorded|returned|delivered|handed|exported|fed|pulled|read|fetched|retrieved|loaded|"
                r"downloaded|received|collected|consumed|scraped|crawled|called|queried|invoked|used|searched|"
                r"captured|built|indexed|populated|filled|generated|computed|buffered|kept|taken|picked\s+up|shipped|"
                r"routed|relayed|proxied|checked|screened|scanned|validated|filtered|reviewed|moderated|compared|"
                r"classified|scored|transcribed|translated|requested")
_ADVERB = r"\w+ly\s+|also\s+|then\s+|first\s+"
PASSIVE = re.compile(rf"(?<![\w-])(?:{_BE})\s+(?:{_ADVERB})?(?P<participle>{_PARTICIPLES})(?![\w-])", re.I)
PASSIVE_FETCH = frozenset({"pulled", "read", "fetched", "retrieved", "loaded", "downloaded", "received",
                           "collected", "consumed", "scraped", "crawled", "taken", "picked up"})
PASSIVE_CHECK = frozenset({"checked", "screened", "scanned", "validated", "filtered", "reviewed", "moderated",
                           "compared", "classified", "scored", "transcribed", "translated", "requested"})
PASSIVE_CALL = frozenset({"called", "queried", "invoked", "used", "searched", "fed"}) | PASSIVE_CHECK
PASSIVE_BUILD = frozenset({"built", "indexed", "populated", "filled", "generated", "computed"})
TO = re.compile(r"(?<![\w-])(?:back\s+)?(?:to|into|in|on|onto|through|via|with)(?![\w-])", re.I)
DESTINATION = re.compile(r"(?<![\w-])(?:back\s+)?(?:to|into|onto)(?![\w-])", re.I)
FROM = re.compile(r"(?<![\w-])from(?![\w-])", re.I)
BY = re.compile(r"(?<![\w-])by(?![\w-])", re.I)
MOTION = re.compile(r"(?<![\w-])(?:go|goes|went|flow|flows|move|moves|travel|travels|pass|passes|stream|streams|"
                    r"come|comes|reach|reaches|arrive|arrives|"
                    r"is\s+sent|are\s+sent|is\s+forwarded|are\s+forwarded)(?![\w-])", re.I)
MOTION_FROM = re.compile(r"\s+(?:[\w./+-]+\s+){0,4}?from(?![\w-])", re.I)  # "travel over TLS 1.3 from"
ARRIVAL = re.compile(r"(?<![\w-])(?:back\s+)?(?:to|into|towards|at|in)(?![\w-])", re.I)
ARRIVAL_DIRECT = re.compile(r"\s*(?:\w+ly\s+)?")
ARRIVAL_NEXT = re.compile(  # "goes back to", "first goes through", "goes straight to"
   r"\s+(?:(?:back|first|then|straight|directly|on|next|only|always|also)\s+)*(?:to|into|through|towards)(?![\w-])",
   re.I)
PREPOSITION_BEFORE = re.compile(r"\b(?:through|via|with|from|to|into|in|on|onto|by|of|for|using|at|behind|"
                                 r"inside|within|like|unlike)\s+(?:(?:the|a|an|our|their|its)\s+)?[(\"'`*_]*$", re.I)
RELATIVE = re.compile(  # "..., which", "the Research Service, a Python service that"
    r"(?:^|[,;(]\s*|\s(?:is|was)\s+)(?P<described>(?:a|an|the|our|one)\s+[\w\s/-]{0,40}?\s)?(?:which|that|who)\s+"
    r"(?:then\s+|also\s+|in\s+turn\s+)?$", re.I)
NAMED_BEFORE = re.compile(  # a capitalised word right before the verb: "Teams delivers"
    r"(?<![\w-])(?!(?:It|They|This|These|That|Those|He|She|We|You|I|Then|And|Also|Both|Each|Every|All|Only|First|"
    r"Next|Finally|Later|Now|The|A|An|Our|Their|Its|Any|Some|No)\b)[A-Z][\w-]*\s+(?:\w+ly\s+)?$")
TRAILING_PRONOUN = re.compile(r"(?:^|[\s,])(?:it|they|he|she)\s+(?:\w+ly\s+|also\s+|then\s+)?$", re.I)
PRONOUN_OBJECT = re.compile(r"\s+(?:it|them)\b(?!\s+(?:to|into|in|on|onto|through|via|back)\b)", re.I)
BOTH_WAYS = re.compile(r"\s*\(?\b(?:both\s+ways|bidirectional|bi-directional|two-way|in\s+both\s+directions)\b\)?",
                        re.I)
ARROW = re.compile(r"<-+\.?-*>|<=+>|[↔⟷]|-+\.?-*>|=+>|[→⟶⇒➜➔]|<-+\.?-*|<=+|[←⟵]")
ARTIFACT = re.compile(r"\b(?:weights|checkpoints?|model\s+files?|tags?|revisions?|(?:container|docker)\s+images?|"
                       r"packages?|binaries|artifacts?|dependencies)\b", re.I)  # fetched once by a build
NEGATED = re.compile(r"\b(?:not|never|no\s+longer|cannot|can't|doesn't|don't|won't|isn't|aren't|nothing|none|neither|"
                     r"nor|no\s+one)\s+(?:\w+\s+)?$", re.I)
THROUGH = re.compile(r"(?<![\w-])(?:through|via)(?![\w-])", re.I)
CLAUSE_START = re.compile(r",|;|\b(?:and|then|or|but|which|that|who|before|after|while)\b")
_OBJECT_WORDS = r"the|a|an|our|their|its|each|every|this|that|both|all|also|then|directly|back"
DIRECT_OBJECT = re.compile(rf"\s*(?:(?:{_OBJECT_WORDS})\s+){{0,3}}[*_`]*")
DETERMINER = re.compile(r"^(?:the|a|an|our|their|its|his|her|every|each|all|some|any|this|that|these|those)\s+",
                         re.I)
PRONOUN_DATA = frozenset({"it", "them", "this", "that", "these", "those", "everything", "all", "one", "something",
                           "back", "data", "details"})


@dataclass(frozen=True)
class FlowWords:
    """The patterns of one language (English and, for another language, its words beside the English ones)."""

    verb: re.Pattern[str]
    passive: re.Pattern[str]
    passive_fetch: frozenset[str]
    passive_call: frozenset[str]
    to: re.Pattern[str]
    destination: re.Pattern[str]
    source: re.Pattern[str]  # "from"
    by: re.Pattern[str]
    through: re.Pattern[str]
    motion: re.Pattern[str]
    arrival: re.Pattern[str]
    arrival_next: re.Pattern[str]  # right after a motion verb: "goes back to", "part vers"
    direct_object: re.Pattern[str]
    negated: re.Pattern[str]
    clause_start: re.Pattern[str]
    two_way: re.Pattern[str]  # a call that goes both ways: a query, a search
    small: frozenset[str]  # the language's prepositions and articles, trimmed from the data words
    preposition_before: re.Pattern[str] = PREPOSITION_BEFORE  # a component after it is no subject ("from X")
    postposition: re.Pattern[str] | None = None  # right after a component: a word that says its role ...
    roles: tuple[tuple[str, str], ...] = ()  # ... which is one of ROLES
    negated_after: re.Pattern[str] | None = None  # a negative ending right after a verb ("送信しない")
    negated_between: re.Pattern[str] | None = None  # a negation after the verb, before its object ("skickar inte")

    def role_after(self, text: str, at: int) -> str | None:
        """The role the postposition at ``at`` gives the component before it, if one stands there."""
        found = self.postposition.match(text, at) if self.postposition is not None else None
        return dict(self.roles).get(found.group("mark").lower()) if found is not None else None


ENGLISH = FlowWords(VERB, PASSIVE, PASSIVE_FETCH, PASSIVE_CALL, TO, DESTINATION, FROM, BY, THROUGH,
                    MOTION, ARRIVAL, ARRIVAL_NEXT, DIRECT_OBJECT, NEGATED, CLAUSE_START, TWO_WAY, frozenset())


@lru_cache(maxsize=512)  # asked again for each mention search in the same text
def language_of(text: str) -> str:
    """The language ``text`` is written in: the one of the data file whose markers it uses most, English when none
    is used more than English's, or too little is written to tell."""
    words = re.findall(r"[^\W\d_]+(?:['’])?", text.lower())
    counts = {"en": sum(1 for w in words if w in ENGLISH_MARKERS)}
    spaceless = "".join(re.findall(f"[{SPACELESS}]+", text))
    for code, language in _languages().items():
        markers = frozenset(str(m).lower() for m in language.get("markers", []))
        if language.get("spaceless"):  # particles and small words counted where they stand in the runs
            counts[code] = sum(spaceless.count(m) for m in markers) if spaceless else 0
        else:
            counts[code] = sum(1 for w in words if w in markers)
    best = max(counts, key=lambda code: (counts[code], code == "en"))
    return best if counts[best] >= MIN_MARKERS else "en"


@lru_cache(maxsize=16)
def determiners(language: str) -> frozenset[str]:
    """The articles and determiners of ``language`` ("de", "het" in Dutch; "der", "die" in German); none for
    English, whose few are the readers' own."""
    return frozenset(str(w).lower() for w in (_languages().get(language) or {}).get("determiners", []))


@lru_cache(maxsize=16)
def flow_words(language: str) -> FlowWords:
    """The flow words to read a document in ``language`` with."""
    data = _languages().get(language)
    if data is None:
        return ENGLISH

    spaceless = bool(data.get("spaceless"))
    after_word, before_word = (_AFTER_WORD, _BEFORE_WORD) if spaceless else (r"(?<![\w-])", r"(?![\w-])")
    bound = (lambda p: p.replace(r"(?<![\w-])", _AFTER_WORD).replace(r"(?![\w-])", _BEFORE_WORD)) if spaceless \
        else (lambda p: p)

    def words(key: str, source: dict[str, Any] = data) -> str:
        return "|".join(r"\s+".join(re.escape(part) for part in str(w).split())
                        for w in sorted(source.get(key) or [], key=len, reverse=True)) or "(?!x)x"

    def either(key: str, english: re.Pattern[str]) -> re.Pattern[str]:
        return re.compile(rf"{after_word}(?:{words(key)}){before_word}|{bound(english.pattern)}", english.flags)

    participles = data.get("participles") or {}
    synthetic = data.get("passive_verbs") or {}  # passive by their own form: "skickas", "送信される"
    every = [str(p) for group in participles.values() for p in group]
    foreign = "|".join(re.escape(p) for p in sorted(every, key=len, reverse=True)) or "(?!x)x"
    own = words("every", {"every": [p for g in synthetic.values() for p in g]})
    if data.get("participle_last"):  # "werden vom X an Y gesendet": the clause's words stand between
        passive = re.compile(rf"{after_word}(?:(?:{words('be')}|{_BE})(?=\s+(?:[^.;:!?]{{0,80}}?\s)?(?P<participle>"
                             rf"{foreign}|{_PARTICIPLES}){before_word})|(?P<own>{own}){before_word})", re.I)
    else:
        passive = re.compile(rf"{after_word}(?:(?:{words('be')}|{_BE})\s+(?:{_ADVERB})?(?P<participle>{foreign}|"
                             rf"{_PARTICIPLES})|(?P<own>{own})){before_word}", re.I)
    verb = re.compile(bound(_VERB).format(f"{words('use')}|{USE}", f"{words('send')}|{SEND}",
                                          f"{words('call')}|{CALL}", f"{words('fetch')}|{FETCH}"), re.I)
    objects = re.compile(rf"\s*(?:(?:{_OBJECT_WORDS}|(?i:{words('determiners')}))\s+|(?i:{words('elided')})){{0,3}}"
                         r"[*_`]*")
    gap = r"\s*[^\s,，、。；]{0,6}" if spaceless else r"\s+(?:\w+\s+){0,2}"
    negated = re.compile(rf"{after_word}(?:{words('negation')}){gap}$|{NEGATED.pattern}", re.I)
    arrival_next = re.compile(rf"\s{'*' if spaceless else '+'}(?:{words('arrival')}){before_word}|"
                              rf"{ARRIVAL_NEXT.pattern}", re.I)
    clause = re.compile(rf"{after_word}(?:{words('conjunctions')}){before_word}|{CLAUSE_START.pattern}|[、，]", re.I)
    before = re.compile(rf"{after_word}(?:{words('from')}|{words('to')}|{words('through')})\s*"
                        rf"(?:(?:{words('determiners')})\s+)?[(\"'`*_]*$|{PREPOSITION_BEFORE.pattern}", re.I)
    marks = {str(w): role for role in ROLES for w in (data.get("postpositions") or {}).get(role) or []}
    postposition = re.compile(r"\s*[*_`)\]」』]*\s*(?P<mark>" + "|".join(
        re.escape(w) for w in sorted(marks, key=len, reverse=True)) + ")", re.I) if marks else None

    def group(name: str) -> frozenset[str]:
        return frozenset(str(p).lower() for p in [*(participles.get(name) or []), *(synthetic.get(name) or [])])

    return FlowWords(verb, passive, PASSIVE_FETCH | group("fetch"),
                     PASSIVE_CALL | group("call"), either("to", TO), either("destination", DESTINATION),
                     either("from", FROM), either("by", BY), either("through", THROUGH), either("motion", MOTION),
                     either("arrival", ARRIVAL), arrival_next, objects, negated, clause,
                     re.compile(rf"(?:{words('two_way')})$|{TWO_WAY.pattern}", re.I),
                     frozenset(str(w).lower() for key in ("to", "from", "by", "determiners", "elided", "conjunctions")
                               for w in data.get(key) or []), before, postposition,
                     tuple((w.lower(), role) for w, role in marks.items()),
                     re.compile(rf"\w{{0,4}}?(?:{words('negation_after')})") if data.get("negation_after") else None,
                     re.compile(rf"{after_word}(?:{words('negation')}){before_word}", re.I)
                     if data.get("negation_follows") else None)


@lru_cache(maxsize=1)
def _languages() -> dict[str, dict[str, Any]]:
    source = resources.files("dicetm.ingest").joinpath(_FILE)
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return {str(code): dict(words) for code, words in data["languages"].items()}
    except (OSError, yaml.YAMLError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise CatalogError([Problem(f"the extractor's flow words cannot be loaded: {exc}",
                                    Location(file=f"dicetm/ingest/{_FILE}"),
                                    "reinstall dicetm; if you edited the file, check its entries")]) from None
