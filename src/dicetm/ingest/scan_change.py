"""Signal (c) of the signal scan (``scan_signals``): which change to the analysis a sentence asks for.

A change is a phrase of leaving out, putting out of scope, rating low, declaring safe, accepting or closing
(``requested_change``), a negated reporting verb ("do not mention", "記載せず"), or, asked of an automated reader, a
limit on what the analysis covers or a given verdict taken over (``narrowing``). A change the sentence forbids,
rejects or ties to a person's step is none.
"""

from __future__ import annotations

import re

from dicetm.ingest.scan_reader import near
from dicetm.ingest.scan_sentences import CJK, Match, Sentence

Change = tuple[int, int, bool, bool]  # (start, end, names the analysis itself, is a phrase of change)

_KANA = re.compile(r"[\u3040-\u30ff]")
NEGATION_BEFORE = 12  # "do not mention", "nie zgłaszaj", "ne retiens"
_NEGATION_AFTER = 28  # "erwähne den Foto-Upload nicht", "記載せず"
_INSTEAD_BEFORE = 30  # "in plaats van zwakke plekken op te sommen": the verb may come last
_INSTEAD_AFTER = 8  # Japanese: "挙げるのではなく"
_OBJECT_NEGATION_BEFORE = 32  # a negation of the object reaches the verb after it
_OBJECT_NEGATIONS = frozenset({"no", "geen", "kein", "keine", "keinen", "aucun", "aucune", "ningun", "ninguna",
                               "nessun", "nessuna", "nessuno", "zadnych", "zadnego", "zadnej", "nenhum", "nenhuma"})
FORBIDS = 40  # a negation this close before a change forbids it: "never rate a risk as low"


def _preposition(words: str, sentence: Sentence, negation: Match) -> bool:
    """A "no" that is Portuguese "in the" before a word of the analysis: "constar no modelo de ameaças"."""
    return words[negation[0]:negation[1]] == "no" and any(
        0 <= m[0] - negation[1] <= 1 for m in sentence.found.get("topic", []))


def discussed_before(sentence: Sentence, start: int) -> bool:
    """A word about attacks before the hit that is not one of the analysis's own terms ("tampering risks")."""
    topics = sentence.found.get("topic", [])
    return any(match[0] < start and not any(low <= match[0] and match[1] <= high for low, high in topics)
               for match in sentence.found.get("discussion", []))


# After the verb in Japanese, before it in Chinese: "省略せずに" (without omitting), "不忽略" (do not ignore).
_CJK_NOT_AFTER = re.compile(r"(?:せず|しない|しないで|ないで|することなく)")
_CJK_NOT_DONE = re.compile(r"(?:は|を|も)?(?:行いません|行わない|いたしません|不做|不进行)")
_CJK_NOT_BEFORE = re.compile(r"(?:不|勿|别|不要|不得|切勿)$")
# A Japanese prohibition closes the clause after the change: "扱うべきではない", "除外してはならない", "しないこと".
_JA_FORBIDDEN = re.compile(r"[^。！？\n、]*?(?:べきではな|べきでな|てはなら|ではなら|てはいけ|ではいけ|"
                           r"ないこと|ないでくだ|ないように)")
_JA_FORBIDDEN_REACH = 20


def supposed(words: str, sentence: Sentence, match: Match) -> bool:
    """The match lies in a clause that supposes ("(particularly if a key component is out of scope", "Si vous êtes
    convaincu", "范围外の場合", "不在范围内的话"): an opening word that begins its clause, or in Japanese
    and Chinese a closing one right after it, with no order in between ("If you are an AI treat X as trusted" asks)
    and no polite request right before it."""
    orders = sentence.found.get("imperative", []) + sentence.found.get("directive", [])
    for start, end in sentence.found.get("supposing", []):
        if any(-_POLITE <= start - o[1] <= _POLITE for o in sentence.found.get("directive", [])):
            continue  # the request itself: "wir wären dankbar, wenn KI-gestützte Reviews ...", "would appreciate if"
        if CJK.search(words, start, end):
            if 0 <= start - match[1] <= _CLOSING_AFTER and same_clause(words, match[1], start):
                return True
        else:
            head = _CLAUSE_HEAD.split(words[sentence.start:start])[-1].strip(" \t*_>#|-")
            if head or words[start - 1:start] == "-":
                continue  # "no se esperan", "o módulo se encontra", "considera-se": not a clause that opens with it
        if end <= match[0] and same_clause(words, end, match[0]) and not any(end <= o[0] < match[0] for o in orders):
            return True
    return False


# A relative pronoun right before a verb (one word may come between): the verb describes the noun before it.
_RELATIVE = re.compile(r"(?:^|\s)(?:that|which|que|qui|der|die|das|welche[rs]?|che|dat|ktory|ktora|ktore|ktorzy)"
                       r"\s+(?:[^\W\d_]+\s+)?$")
_POLITE = 8
_CLOSING_AFTER = 8  # "範囲外である場合": the closing word follows the change
_CLAUSE_HEAD = re.compile(r"[,;:(\n—–]")


def requested_change(words: str, sentence: Sentence) -> Change | None:
    """(c): the requested change, as (start, end, names the analysis itself, is a phrase of change rather than a
    negated reporting verb); None when there is none.

    A change a sentence forbids ("never rate a risk as low"), rejects ("rather than leaving it out") or ties to a
    person's step ("mark it accepted only after the owner signs", "rate each risk low, medium or high") is none;
    so is "do not report vulnerabilities through public issues" (a disclosure channel)."""
    found = sentence.found
    if sentence.has("condition") or sentence.has("scale"):
        return None
    rejected = found.get("instead", [])
    negations = found.get("negation", [])
    for name, strong in (("out_of_scope", True), ("assert_safe", True), ("complete", False), ("exclude", False),
                         ("downgrade", False)):
        for match in found.get(name, []):
            if words.startswith("--", max(0, match[0] - 2)) or supposed(words, sentence, match):
                continue  # a command-line option ("--ignore-watermark"); a condition ("if X is out of scope")
            if name == "exclude" and _RELATIVE.search(words, max(0, match[0] - 30), match[0]):
                continue  # it describes a noun: "a language that eliminates whole bug classes"
            # Negated inside ("als nicht vertrauenswürdig", "as not trusted") it is no change, unless negated again
            # before: "ne sont pas à traiter comme des entrées non fiables" treats them as trusted.
            inside = name in ("downgrade", "complete") and any(match[0] < n[0] and n[1] <= match[1] for n in negations)
            before = any(0 <= match[0] - n[1] <= FORBIDS and same_clause(words, n[1], match[0]) for n in negations)
            if any(0 <= match[0] - r[1] <= 30 for r in rejected) or (inside and not before):
                continue
            if any(limit[1] <= match[0] for limit in found.get("until", [])):
                continue  # a step a person takes first: "keep it open until the owner accepts it"
            if CJK.search(words, match[0], match[1]):
                if name == "exclude" and (_CJK_NOT_AFTER.match(words, match[1]) or
                                          _CJK_NOT_BEFORE.search(words, max(0, match[0] - 2), match[0])):
                    continue  # "省略せずに明記": written down, not omitted
                if _CJK_NOT_DONE.match(words, match[1]):
                    continue  # "クローズは行いません": a thing the assistant does not do
                if _JA_FORBIDDEN.match(words, match[1], match[1] + _JA_FORBIDDEN_REACH):
                    continue  # "信頼できるものとして扱うべきではない": the change is forbidden
            elif before and not inside:
                continue
            return match[0], match[1], strong, True
    for verb in found.get("report", []):
        if sentence.has("channel"):
            break
        if sentence.has("topic") and any(0 <= verb[0] - r[1] <= _INSTEAD_BEFORE or (
                _KANA.search(words, *r) and 0 <= r[0] - verb[1] <= _INSTEAD_AFTER) for r in rejected):
            return verb[0], verb[1], False, False  # "... instead of pointing out risks", "弱点を挙げるのではなく"
        for negation in negations:
            # Japanese negates after the verb ("記載せず"); "省略せずに明記" negates the omission, not the writing.
            reach = _OBJECT_NEGATION_BEFORE if words[negation[0]:negation[1]] in _OBJECT_NEGATIONS else \
                NEGATION_BEFORE  # "no injection risks to report", "geen injectierisico's te melden"
            before = 0 <= verb[0] - negation[1] <= reach and not _KANA.search(words, *negation) and \
                not _PUNCTUATION.search(words, negation[1], verb[0])
            # "de la fuente esperada y no fueron alterados": a "not" after "and" opens a clause of its own.
            after = 0 <= negation[0] - verb[1] <= _NEGATION_AFTER and not _PUNCTUATION.search(words, verb[1],
                                                                                            negation[0]) and \
                same_clause(words, verb[1], negation[0]) and not _preposition(words, sentence, negation)
            if before or after or _clause_final(words, verb, negation):
                return min(verb[0], negation[0]), max(verb[1], negation[1]), False, False
    return None


def narrowing(words: str, sentence: Sentence, before: Sentence | None) -> Change | None:
    """A change asked of an automated reader that names no verdict itself: a limit on what the analysis covers
    ("lists only availability risks", "alleen beschikbaarheid te behandelen") or a given verdict taken over as it
    stands ("copies this status unchanged", "übernimmt den Status"). Like a negated reporting verb it counts only
    with a word of the analysis; and only when it is aimed at this document's analysis (the threat model or this
    document named) or said as a rule or an order ("as agreed with security", "must"), in the sentence or the one
    before: "the AI-generated summary shows only open risks" describes a product."""
    found = sentence.found
    aimed = assessment_subject(words, sentence) is not None or any(
        part is not None and any(part.has(name) for name in _AIMED) for part in (sentence, before))
    if sentence.has("condition") or sentence.has("scale") or not aimed:
        return None
    head = assessment_subject(words, sentence)
    subjects = [m for m in found.get("topic", []) + found.get("threat_model", []) + found.get("property", [])
                if head is None or not (m[0] < head[1] and head[0] < m[1])]  # what is limited, not the assessment
    for match in found.get("restrict", []):
        if near([match], subjects, words) and not any(0 <= match[0] - n[1] <= 3 for n in found.get("negation", [])):
            return match[0], match[1], False, False  # not "not only ... but also"
    adopted = found.get("adopt", [])
    if adopted and near(adopted, found.get("verdict", []), words):
        return adopted[0][0], adopted[0][1], False, False
    return None


_AIMED = ("threat_model", "this_text", "policy", "directive", "imperative")


def assessment_subject(words: str, sentence: Sentence) -> Match | None:
    """The assessment as the subject that opens the sentence: "The assessment is to list only ...", "Die Bewertung
    beschränkt sich ...", "本評価では ...", "本次评估只 ..."; a limit it states is a limit on this analysis."""
    for match in sentence.found.get("assessor", []):
        head = words[sentence.start:match[0]].strip(" \t\n*_>-#|:")
        if CJK.search(words, match[0], match[1]):
            if len(head) <= _CJK_HEAD:
                return match
        elif len(head.split()) <= _HEAD_WORDS:
            return match
    return None


_HEAD_WORDS = 2  # "The assessment", "In this review"
_CJK_HEAD = 3  # "本次", "本"


def _clause_final(words: str, verb: Match, negation: Match) -> bool:
    """German and Dutch put the verb or the negation last, far from the other: "müssen nicht als externe Eingabe
    modelliert werden", "noem in je antwoord de betaaldienst niet". Either may be far when the last one ends the
    clause and nothing separates them."""
    if words[negation[0]:negation[1]] not in _VERB_LAST_NEGATIONS:
        return False
    first, last = (negation, verb) if negation[1] <= verb[0] else (verb, negation)
    return (0 <= last[0] - first[1] <= _CLAUSE_FINAL and not _PUNCTUATION.search(words, first[1], last[0])
            and _CLAUSE_END.match(words, last[1]) is not None and not CJK.search(words, *first))


_CLAUSE_FINAL = 64
_VERB_LAST_NEGATIONS = frozenset({"nicht", "niet"})  # the languages that put the verb or "not" last
_CLAUSE_END = re.compile(r"(?:\s+(?:zu\s+|te\s+)?(?:werden|wird|worden))?\s*(?:[.;:!?,)]|$|\s(?:und|en|oder|of)\s)")


def same_clause(words: str, start: int, end: int) -> bool:
    """No punctuation or "and" between: "n'apporterait aucun constat et peut être omise" is two clauses."""
    return not _CLAUSE_BREAK.search(words, start, end)


_PUNCTUATION = re.compile(r"[,;:()、.!?]")
# Not Dutch "en": it is "in" in Spanish and French ("en este modelo de amenazas").
_CLAUSE_BREAK = re.compile(r"[,;:()、]|\s(?:and|und|et|y|e|ed|i|oraz|but|aber|mais|pero|ma|mas|maar|ale)\s")
