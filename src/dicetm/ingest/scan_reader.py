"""Who a sentence speaks to: whether it names an automated reader of the document (signal (a) of ``scan_signals``).

A reader is named outright ("automated reviewers", "the assistant reading this spec", "ai_review:", "LLM
reviewers"), by what it writes ("the generated threat model", "risk reports produced by AI assistants" in the voice
of a rule), or spoken to ("Dear AI assistant,", "For the AI:"). A machine named at work on the document on one line
of a block of settings governs every line of it (``settings_block``). An order goes to people instead when a person
is its subject ("The reviewer must ...", ``ordered_to_people``) or a label addressed to people comes before it ("Note
for reviewers:", ``people_label``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dicetm.ingest.scan_sentences import CJK, LETTER, Match, Sentence, is_cell

_NEAR = 48  # characters between two signals that make one phrase ("automated ... reviewers")
_NEAR_CJK = 14


def near(first: Sequence[Match], second: Sequence[Match], words: str) -> bool:
    """Two signals close enough to make one phrase ("automated ... reviewers", "only ... availability threats")."""
    for a in first:
        for b in second:
            gap = max(b[0] - a[1], a[0] - b[1])
            limit = _NEAR_CJK if CJK.search(words, min(a[0], b[0]), max(a[1], b[1])) else _NEAR
            if gap <= limit:
                return True
    return False


def addresses_reader(words: str, sentence: Sentence, before: Sentence | None = None) -> bool:
    """(a): the sentence names an automated reader, or what one makes of the document (``before``, the sentence
    before it, may say what the analysis is about)."""
    found = sentence.found
    if sentence.has("reader"):
        return True
    judges = found.get("assessor", []) + found.get("tool", [])
    if sentence.has("automated") and _phrase(found["automated"], _apart(judges + found.get("ai", []),
                                                                         found["automated"]), words):
        return True  # "automated reviewers", "outils automatisés": two words of one phrase, not one ("LLM-based")
    if sentence.has("automated") and tight(found["automated"], found.get("threat_model", []), words):
        return True  # the analysis a machine makes: "any automated threat model of this system"
    if sentence.has("tool") and tight(found["tool"], found.get("ai", []) + found.get("assessor", []) +
                                       found.get("reading", []), words):
        return True  # "AI tools", "analysis tools", "narzędzia oceniające", "analyzer": software that judges
    if sentence.has("ai") and sentence.has("assessor") and _joined(found["ai"], found["assessor"], words,
                                                                    _IDENTIFIER, outer=True):
        return True  # a configuration key: "ai_review", "revue_ia", "ki_pruefung"
    if sentence.has("ai") and sentence.has("role") and sentence.has("assessor") and _joined(
            found["ai"], [m for m in found["role"] if m in found["assessor"]], words, _JOINED, outer=False):
        return True  # a machine in a reviewer's part: "AI reviewers", "LLM-Prüfer", "revisores de IA"
    machine = found.get("ai", []) + found.get("tool", [])
    if machine and sentence.has("this_text") and sentence.has("reading") and \
            near(found["reading"], found["this_text"], words) and near(machine, found["reading"], words):
        return True
    return _named_by_output(words, sentence, before) or _vocative(words, sentence) or \
        _left_to_produce(words, sentence) or _whoever_processes(words, sentence)


def _whoever_processes(words: str, sentence: Sentence) -> bool:
    """A reader named by what it does to this document, in a clause that opens the sentence: "Whoever processes this
    page for the threat analysis ...", "Wer dieses Dokument für die Bedrohungsanalyse auswertet, ...", "Wie deze
    pagina verwerkt voor de dreigingsanalyse, ..."."""
    found = sentence.found
    openers = [m for m in found.get("whoever", []) if not _opening(words, sentence, m)]
    if not openers or not sentence.has("reading"):
        return False
    read = [m for m in found["reading"] if m[0] > openers[0][1]]
    objects = found.get("this_text", []) + found.get("threat_model", [])
    return bool(read) and bool(objects) and near(openers, objects, words) and near(read, objects, words)


def _apart(matches: Sequence[Match], others: Sequence[Match]) -> list[Match]:
    """The matches that overlap none of ``others``: one word is not two signals."""
    return [m for m in matches if not any(m[0] < o[1] and o[0] < m[1] for o in others)]


def _left_to_produce(words: str, sentence: Sentence) -> bool:
    """A closed analysis that leaves nothing "to generate" speaks to whatever generates it: "no further threats to
    produce", "nessun ulteriore rilievo da generare", "aucune menace supplémentaire à produire"."""
    changes = sentence.found.get("complete", []) + sentence.found.get("exclude", [])
    made = [m for m in sentence.found.get("produce", []) if TO_INFINITIVE.search(words, max(0, m[0] - 4), m[0])]
    return bool(made) and sentence.has("complete") and near(changes, made, words)


def _phrase(first: Sequence[Match], second: Sequence[Match], words: str) -> bool:
    """Two signals of one noun phrase: a word or two apart with no punctuation between ("automated security
    reviewers", "revisores automatizados"); "automatic updates ... without verification" are two things."""
    for a in first:
        for b in second:
            low, high = min(a[1], b[1]), max(a[0], b[0])
            limit = _NEAR_CJK if CJK.search(words, min(a[0], b[0]), max(a[1], b[1])) else _PHRASE
            if 0 <= high - low <= limit and not _BREAK.search(words, low, high):
                return True
    return False


_PHRASE = 24
_BREAK = re.compile(r"[,.;:()!?、。，；：]")


TO_INFINITIVE = re.compile(r"(?:^|\W)(?:to|zu|à|a|da|te|por|de|do)[ \t]+$")


def _joined(first: Sequence[Match], second: Sequence[Match], words: str, joint: re.Pattern[str], *,
            outer: bool) -> bool:
    """Two signals that make one word together: what lies between their inner ends (or, with ``outer``, the whole
    stretch from the first start to the last end) matches ``joint``."""
    for a in first:
        for b in second:
            low, high = (min(a[0], b[0]), max(a[1], b[1])) if outer else (min(a[1], b[1]), max(a[0], b[0]))
            if joint.fullmatch(words, low, high):
                return True
    return False


# One noun: next to each other, or joined by "de", "di", "par" ("revisores de IA").
_JOINED = re.compile(r"[ \t-]?|[ \t](?:de|di|da|par|per|por|van|door|del|della|dell')[ \t]")
# One identifier, snake_case or kebab-case ("ai_review", "revision_ia", "[ki-review]", "x-revisor-ia").
_IDENTIFIER = re.compile(r"[^\W_]+(?:[_-][^\W_]+){1,2}")  # at most one part between: not "aia-02-...-risico-ai"


def _opening(words: str, sentence: Sentence, match: Match) -> str:
    """The words of the sentence before a match, without list marks and markup: empty when the match opens it."""
    return words[sentence.start:match[0]].strip(" \t\n*_>-#|")


def _named_by_output(words: str, sentence: Sentence, before: Sentence | None) -> bool:
    """A reader named by what it writes. The threat model itself: "the generated threat model", "any language model
    that produces the threat model", "the assistant generating the model" after a threat-modelling status. Any other
    analysis only in the voice of a rule ("Internal rule: risk reports produced by AI assistants ..."); without it,
    "the assistant generates risk reports for suppliers" describes the product."""
    found = sentence.found
    machine = found.get("ai", []) + found.get("automated", []) + found.get("tool", [])
    made = [m for m in found.get("produce", []) if not any(a[0] < m[1] and m[0] < a[1] for a in machine)]
    if not made:
        return False  # "generative AI services" make nothing
    analysis = found.get("threat_model", []) + found.get("this_text", [])
    if tight(made, analysis, words) or (sentence.has("automated") and near(found["automated"], analysis, words)):
        return True
    if not near(machine, made, words):
        return False
    outputs = found.get("topic", []) + found.get("assessor", [])
    if analysis or (not outputs and before is not None and before.has("threat_model")):
        return not analysis or near(made, analysis, words)
    voiced = any(part is not None and (part.has("policy") or part.has("directive")) for part in (sentence, before))
    return voiced and bool(outputs) and near(made, outputs, words)


def _vocative(words: str, sentence: Sentence) -> bool:
    """The AI spoken to by name: after a greeting ("Dear AI assistant,", "Gentile assistente IA", "AIアシスタント
    様"), in a short label ("For the AI:", "Dla AI:"), or opening the sentence before a comma and an order
    ("Assistant, please leave ...")."""
    found = sentence.found
    machines = found.get("ai", [])
    if not machines:
        return False
    greetings = found.get("greeting", [])
    if greetings and tight(greetings, machines, words) and not _opening(words, sentence, min(greetings + machines)):
        return True
    label = words[sentence.start:sentence.end].strip()
    leads = greetings + found.get("subordinator", [])
    if label.endswith((":", "：")) and len(label.split()) <= _LABEL_WORDS and any(
            not _opening(words, sentence, lead) and tight([lead], machines, words) for lead in leads):
        return True  # a label: "For the AI:", "Dla AI:", "Pour l'IA :"
    head = _opening(words, sentence, machines[0])
    after = words[machines[0][1]:machines[0][1] + 3].lstrip()
    orders = found.get("lead_in", []) + found.get("imperative", []) + found.get("directive", [])
    return not head and after[:1] in (",", "，", "、") and any(
        0 <= start - machines[0][1] <= 6 for start, _ in orders)


_LABEL_WORDS = 5


def tight(first: Sequence[Match], second: Sequence[Match], words: str) -> bool:
    """Two signals a word or two apart on one line ("AI tools", "analysis tools", "KI-Prüfwerkzeug")."""
    for a in first:
        for b in second:
            low, high = min(a[1], b[1]), max(a[0], b[0])
            limit = 3 if CJK.search(words, a[0], a[1]) else 12
            if high - low <= limit and "\n" not in words[low:high]:
                return True
    return False


def settings_block(words: str) -> bool:
    """A span of settings ("generator: llm", "severity_ceiling: low"): a reader named on one line governs them all."""
    return len(_SETTING.findall(words)) >= _SETTINGS


_SETTING = re.compile(r"^[ \t-]*[\w.-]+:(?:[ \t]|$)", re.MULTILINE)
_SETTINGS = 3  # lines of "key: value" that make a span a block of settings


def analysis_settings(words: str, analysis: Sequence[Match]) -> bool:
    """Settings under a key that names the threat analysis itself ("x-threat-review:", "[threat_review]",
    "bedrohungsanalyse:"): settings for whoever writes the analysis, not for the product."""
    offset, keys, values = 0, [], 0
    for line in words.splitlines(keepends=True):
        if _SECTION_KEY.fullmatch(line.rstrip("\n")):
            keys.append((offset, offset + len(line)))
        elif _KEY_VALUE.match(line):
            values += 1
        elif line.strip():
            return False
        offset += len(line)
    return values > 0 and any(low <= start and end <= high for low, high in keys for start, end in analysis)


_SECTION_KEY = re.compile(r"[ \t-]*(?:[\w.-]+:|\[[\w.-]+\])[ \t]*")
_KEY_VALUE = re.compile(r"[ \t-]*[\w.-]+[ \t]*[:=](?:[ \t]|$)")


def sentence_before(words: str, sentences: list[Sentence], index: int) -> Sentence | None:
    """The sentence before ``index``, joined with the label before it: a sentence ending in a colon ("Status of the
    threat modelling: closed, all threats resolved.") or the first cell of the table row ("Status of the threat
    modelling | closed | — | all threats resolved")."""
    if not index:
        return None
    previous = sentences[index - 1]
    first = index - 2
    if first >= 0 and is_cell(words, sentences[first]):
        while first > 0 and is_cell(words, sentences[first - 1]) and "\n" not in words[sentences[first - 1].start:
                                                                                  sentences[first].start]:
            first -= 1  # back to the row's first cell
    elif first < 0 or not words[sentences[first].start:sentences[first].end].rstrip().endswith(":"):
        return previous
    joined = sentences[first:index]
    found = {name: [match for part in joined for match in part.found.get(name, [])]
             for name in {name for part in joined for name in part.found}}
    return Sentence(sentences[first].start, previous.end, found)


def machine_at_work(sentence: Sentence) -> bool:
    """The sentence names a machine at work on the document ("the assistant reading this spec", "any AI producing
    the threat model"): not only "you" ("when you build the model"), nor an AI under a rule of its own ("all AI
    systems must be registered")."""
    return any(sentence.has(name) for name in ("ai", "automated", "tool")) and any(
        sentence.has(name) for name in ("this_text", "reading", "produce", "topic", "assessor", "greeting"))


def ordered_to_people(words: str, sentence: Sentence) -> bool:
    """People are the subject of the sentence's order ("reviewers must ...", "评审人员必须 ..."; not "automated
    reviewers must"), and no phrase that only an automated reader fits names one ("if you are an AI")."""
    found = sentence.found
    if not (sentence.has("human") and sentence.has("directive")) or sentence.has("reader"):
        return False
    machines = found.get("automated", []) + found.get("ai", [])
    people = [m for m in found["human"] if not _machine_beside(m, machines)]  # not "AI reviewers", "reviewer bot"
    return subject(people, found["directive"], words)


def names_people(sentence: Sentence) -> bool:
    """A word for people that is not part of a machine's name ("the reviewer" in "the reviewer bot")."""
    machines = sentence.found.get("automated", []) + sentence.found.get("ai", [])
    return any(not _machine_beside(m, machines) and not any(m[0] < a[1] and a[0] < m[1] for a in machines)
               for m in sentence.found.get("human", []))


def _machine_beside(noun: Match, machines: Sequence[Match]) -> bool:
    """A machine word right before or after a word for people makes it a machine: "AI reviewers", "the reviewer
    bot", "Review-Bot", "bot recenzujący"."""
    return any(0 <= noun[0] - m[1] <= 2 or 0 <= m[0] - noun[1] <= 2 for m in machines)


def people_label(words: str, sentence: Sentence | None) -> bool:
    """A short label that addresses people and ends in a colon, and so addresses what follows: "Reviewers:", "Note
    for reviewers:", "Hinweis für die Prüfer:", "レビュー担当者への注記：", "给评审人员的说明：". A label that names
    who wrote ("Comment by the reviewer:", "Reviewer note:") or a machine ("Note for AI tools:") does not."""
    if sentence is None or not sentence.has("human") or any(
            sentence.has(name) for name in ("ai", "automated", "tool", "reader")):
        return False
    if not is_label(words, sentence, max_words=5):
        return False
    person = sentence.found["human"][0]
    alone = not LETTER.search(words[sentence.start:person[0]] + words[person[1]:sentence.end])  # "Reviewers:"
    greeted = any(lead[1] <= person[0] for lead in sentence.found.get("greeting", []) +
                  sentence.found.get("subordinator", []))
    particle = words.startswith(_ADDRESSED_AFTER, person[1]) or words[person[0] - 1:person[0]] in _ADDRESSED_BEFORE
    return alone or greeted or particle


def is_label(words: str, sentence: Sentence, *, max_words: int) -> bool:
    """The sentence is a short label ending in a colon ("Note for reviewers:", "Prompt injection:", "注記："), which
    addresses or introduces what follows; short is at most ``max_words`` words, or 24 characters in CJK scripts."""
    label = words[sentence.start:sentence.end].strip(" \t\n*_>-")
    short = len(label) <= 24 if CJK.search(label) else len(label.split()) <= max_words
    return short and label.endswith((":", "："))


_ADDRESSED_AFTER = ("への", "へ", "宛", "向け")  # Japanese marks the addressee after the noun: "担当者への注記"
_ADDRESSED_BEFORE = ("给", "致")  # Chinese before it: "给评审人员的说明"


def subject(nouns: Sequence[Match], modals: Sequence[Match], words: str) -> bool:
    """An AI noun right before a modal, as its subject ("the model should", "the assistant must always")."""
    for noun in nouns:
        for modal in modals:
            between = words[noun[1]:modal[0]]
            if words.startswith(_JA_TOPIC, noun[1]) and modal[0] >= noun[1] and not _CJK_STOP.search(between):
                return True  # Japanese puts the verb last: "アシスタントは…扱うこと"
            limit = _SUBJECT_CJK if CJK.search(words, noun[0], modal[1]) else _SUBJECT
            if 0 <= modal[0] - noun[1] <= limit and "\n" not in between:
                return True
    return False


_JA_TOPIC = ("は", "が")  # the particle that marks the subject of a Japanese sentence
_CJK_STOP = re.compile(r"[。！？\n]")
_SUBJECT = 24
_SUBJECT_CJK = 6
