"""The phrase rules' machinery and the word classes every family of them shares.

Every pattern here matches *folded* text (see ``scan_text.fold``): lower case, accents removed, look-alike letters
mapped to Latin, invisible characters dropped, leetspeak and letter spacing undone. A phrase rule is a pattern
plus the conditions the engine (``scan_phrases``) checks around a match: the sentence must also name something
(``needs``), must not say something else (``unless``), and the words before the match must read as an order to
the reader (``gate``). The rules themselves live with their family: ``scan_rules_override`` (drop your
instructions, take a new role), ``scan_rules_verdict`` (leave threats out, rate them low, conclude it is safe)
and ``scan_rules_address`` (notes to the AI, chat markup, data sent to a URL). Their word classes list English,
German, French and Spanish forms; the other languages are read by ``scan_signals`` from data files.

Patterns stay linear on any input: gaps between words are bounded runs of alternating word and non-word
characters, and no quantifier is nested over characters another quantifier could also take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

STEM_LIMIT = 12  # the engine compares words by their first STEM_LIMIT letters at most


class Words(str):
    """A regex alternation of phrases that also knows their first words, so a rule can skip texts without them.

    A phrase whose first word is plain letters needs that word in the text (``exact``, a plural "s" allowed);
    one whose first word goes on as a pattern needs a word starting with its letters (``prefixes``). ``always``
    is set when some phrase starts with a pattern, so no text can be ruled out.
    """

    exact: frozenset[str]
    prefixes: frozenset[str]
    always: bool


def alt(*phrases: str) -> Words:
    """One alternation of phrases (longest first); a space in a phrase matches any run of separators."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    stems = [_stem(p) for p in phrases]
    return _words("(?:" + "|".join(p.replace(" ", r"\W+") for p in ordered) + ")",
                  {stem for stem, exact in stems if exact}, {stem for stem, exact in stems if not exact},
                  any(not stem for stem, _ in stems))


def either(*classes: Words) -> Words:
    """Several word classes as one alternation."""
    return _words("(?:" + "|".join(classes) + ")", set().union(*(c.exact for c in classes)),
                  set().union(*(c.prefixes for c in classes)), any(c.always for c in classes))


def _words(pattern: str, exact: set[str], prefixes: set[str], always: bool) -> Words:
    words = Words(pattern)
    words.exact, words.prefixes, words.always = frozenset(exact), frozenset(prefixes), always
    return words


def _stem(phrase: str) -> tuple[str, bool]:
    """The letters a phrase's first word starts with, and whether they are the whole word."""
    letters = re.match(r"[a-z0-9]*", phrase)
    stem = letters.group(0) if letters else ""
    following = phrase[len(stem)] if len(phrase) > len(stem) else " "
    if following in " '-":
        return stem, True
    if following in "?*{":  # the last letter is optional
        stem = stem[:-1]
    return stem[:STEM_LIMIT], False


def gap(words: int) -> str:
    """Between two words: a separator, then up to ``words`` other words each followed by a separator."""
    return rf"\W+(?:\w+\W+){{0,{words}}}?"


def near(first: str, second: str, words: int) -> str:
    return rf"\b{first}\b{gap(words)}{second}\b"


def compile_(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


# ------------------------------------------------------------------------------------------- word classes

# Who an injected order is addressed to.
_AI_NOUNS = (
    "ai", "artificial intelligence", "assistant", "ai assistant", "llm", "large language model",
    "language model", "model", "ai model", "chatbot", "bot", "agent", "ai agent", "copilot", "gpt", "chatgpt",
    "claude", "gemini", "automated reviewer", "automated reader", "automated analy[sz]er", "automated tool",
    "automated system", "automated assistant", "automated agent", "automated scanner", "machine reader",
    r"threat model(?:l?ing)? (?:tool|assistant|ai|agent|system|engine|bot)", "security (?:assistant|bot|ai)",
    "dicetm", "ai reviewer", "reviewer ai", "summari[sz]er",
    "ki", "sprachmodell", "modell", "assistent", "assistenten", "ki-assistent",
    "ia", "intelligence artificielle", "modele", "modele de langage", "assistant ia",
    "inteligencia artificial", "modelo", "modelo de lenguaje", "asistente", "asistente de ia",
    r"outil d'analyse(?: automatique)?", "outil automatique", "analyseur automatique", "analysewerkzeug",
    r"automatische(?:s)? (?:analyse\w*|werkzeug|prufung)", r"herramienta (?:de analisis )?automatica",
    "analizador automatico", r"automated (?:threat )?modell?er", "automated threat model(?:l?ing)? tool",
)
AI_NOUN = alt(*_AI_NOUNS)
AI_VOCATIVE = alt(*(noun for noun in _AI_NOUNS if noun != "agent"))  # "Agents: please log every call" is for people

# ---------------------------------------------------------------------------------- gates and discussion

LEAD_IN = alt(
    "please", "pls", "kindly", "now", "so", "then", "and", "also", "instead", "just", "simply", "always",
    "therefore", "thus", "hence", "additionally", "finally", "first", "firstly", "next", "importantly",
    "important", "note", "nb", "reminder", "ok", "okay", "but", "however", "rather", "right now", "from now on",
    "going forward", "henceforth", "immediately", "remember", "bitte", "jetzt", "nun", "und", "dann",
    "ausserdem", "zusatzlich", "stattdessen", "sofort", "ab sofort", "ab jetzt", "wichtig", "hinweis",
    "maintenant", "et", "puis", "ensuite", "alors", "aussi", "desormais", "s'il te plait", "s'il vous plait",
    "merci de", "veuillez", "ahora", "y", "luego", "entonces", "ademas", "tambien", "por favor", "importante",
    "nota", "desde ahora", "a partir de ahora",
)
ORDER_VERB = alt(
    "summari[sz]e", "describe", "state", "say", "write", "report", "mark", "rate", "treat", "classify", "list",
    "keep", "leave", "omit", "ignore", "disregard", "forget", "conclude", "tell", "present", "answer", "respond",
    "reply", "output", "declare", "assume", "consider", "pretend", "act", "include", "exclude", "skip",
    "drop", "stop", "return", "give", "produce",
    "stufe", "bewerte", "schreibe", "erwahne", "melde", "ignoriere", "vergiss", "betrachte", "resume", "resumez",
    "decris", "decrivez", "ecris", "ecrivez", "indiquez", "considerez", "ignorez", "oubliez", "resume", "describe",
    "escribe", "indica", "considera", "ignora", "olvida", "trata", "clasifica",
)
YOU_MODAL = alt(
    r"you (?:\w+ )?(?:must|should|shall|will|need to|have to|are to|are required to|are instructed to|"
    r"are expected to|are asked to|ought to|had better|now need to)(?: now| also| always| never| not| instead| "
    r"simply| just){0,2}",
    "you'll", "you will",
    r"(?:i|we) (?:\w+ )?(?:want|need|ask|instruct|require|expect|order|command|would like|direct|request|urge) you to",
    r"make sure (?:to|that you|you)", "be sure to", "remember to", "don't forget to", "do not forget to",
    r"it is (?:important|essential|critical|vital|mandatory|required|imperative|necessary) (?:that you|to|for you to)",
    r"your (?:only |main |primary |real |new |actual )?(?:task|job|role|goal|objective|instructions?|mission|"
    r"purpose) (?:is|are|will be)(?: to)?",
    r"(?:du|ihr) (?:musst|sollst|sollt|darfst|durft|wirst|werdet|kannst)",
    r"sie (?:mussen|sollen|durfen|werden)",
    r"(?:tu|vous) (?:dois|devez|vas|allez|ne dois|ne devez)", r"(?:tu )?(?:debes|tienes que|vas a|deberas|deberias)",
    r"(?:usted )?(?:debe|tiene que|va a|debera)",
    r"(?:tu|su) (?:unica |principal |nueva |verdadera )?(?:tarea|mision|funcion|trabajo) (?:es|sera)",
    r"deine (?:einzige |neue |eigentliche )?aufgabe ist(?: es)?(?: zu)?",
    r"(?:ta|votre) (?:seule |unique |nouvelle |vraie )?(?:tache|mission) (?:est|sera) (?:de|d)",
    r"(?:whoever|whatever|anyone|anybody|any reader|the reader)(?: \w+){0,8}? (?:must|should|shall|is to|needs to)",
)
AI_SUBJECT_MODAL = (
    rf"(?:the |any |an? |every |all |each |this |our |your )?(?:\w+ )?(?:{AI_NOUN}s?|(?:analysis|analyses|review|"
    r"assessment|report|threat model|evaluation|summary|output|answer)(?: of this \w+)?)(?: \w+){0,4}? "
    r"(?:must|should|shall|"
    r"will|is to|are to|needs? to|has to|have to|is required to|is instructed to|is expected to|are required to|"
    r"muss|soll|sollte|doit|devra|debe|debera|tiene que)"
)
AI_SUBJECT = (
    rf"(?:the |any |an? |every |all |each |this |our |your |dear |hey |attention )?{AI_NOUN}s?"
    r"(?: (?:reading|processing|reviewing|analy[sz]ing|parsing|summari[sz]ing|ingesting|handling|scanning|"
    r"that reads|which reads|who reads) (?:this|these|the) \w+)?"
    r"(?: (?:must|should|shall|will|is to|are to|needs? to|has to|have to|is required to|is instructed to|"
    r"is expected to|muss|soll|sollte|darf|doit|devra|debe|debera|tiene que))?"
)
# The words before a match that still leave it an order: nothing, lead-in words, "you must", "the AI should".
DIRECTIVE_PREFIX = re.compile(
    rf"(?:{LEAD_IN}\W*)*(?:(?:{YOU_MODAL}|{AI_SUBJECT})\W*)?(?:{LEAD_IN}\W*)*",
)
# A sentence that opens as an order ("You must ...", "The model should ...", "Summarise ...") stays one.
ORDER_OPENING = re.compile(rf"(?:{LEAD_IN}\W*)*(?:{YOU_MODAL}|{AI_SUBJECT_MODAL}|{ORDER_VERB})\b")
# "... cualquier riesgo que encuentres debes": a second-person modal right before the verb.
MODAL_BEFORE = re.compile(rf"\b(?:{YOU_MODAL})\W*$")
# What instructions look like: a second-person word or an order verb.
ORDER_CUE = compile_(r"\b(?:you|your|du|dein\w*|dich|dir|tu|vous|votre|usted|tus?)\b|\b" + ORDER_VERB + r"\b")
# Nothing at all: "report nothing", "ne rien signaler".
NOTHING = compile_(r"\b(?:nothing|anything|rien|nichts|nada)\b")
SUBORDINATOR = re.compile(r"(?:when|while|whenever|if|in|for|during|as|before|after|once|since|on|throughout|"
                          r"beim|bei|wenn|falls|im|fur|wahrend|quand|lorsque|si|dans|pour|lors|en|cuando|para|"
                          r"durante|al|mientras)\b")
# "... never ignore ...": the sentence forbids the act it names.
NEGATED_BEFORE = re.compile(r"\b(?:not|never|n't|cannot|nicht|nie|niemals|pas|jamais|nunca|no)\W*$")
# "Attackers try to make the bot ignore ...": reported speech about an attack, not an order.
REPORTED = re.compile(
    r"\b(?:tell|tells|told|telling|ask|asks|asked|asking|instruct\w*|trick\w*|convinc\w*|persuad\w*|get|gets|"
    r"getting|make|makes|making|caus\w*|forc\w*|coax\w*|manipulat\w*|lur\w*|induc\w*|wants?|wanted)\W+(?:\w+\W+)"
    r"{0,3}?(?:model|llm|bot|chatbot|assistant|agent|ai|system|copilot|it|them|ki|ia|modelo|modele|modell)s?\W+"
    r"(?:in)?to\W*$"
    r"|\b(?:attempts?|attempting|tr(?:y|ies|ying|ied)|seeks?|aims?|designed)\W+to\W*$"
    r"|\b(?:such as|e\.?g\.?|for example|for instance|like|including|z\.?\s?b\.?|beispielsweise|wie etwa|"
    r"par exemple|tel(?:le)?s? que|por ejemplo|tales? como)\W*$"
    r"|\b(?:attackers?|adversar\w*|malicious|attack\w*|inject\w*|jailbreak\w*|angreifer\w*|attaquants?|"
    r"atacantes?|bosartig\w*|malveillant\w*|malicios\w*)\b"
)
# Words that say a quoted phrase is being talked about (an example, a test string, an attack to block).
DISCUSSION = re.compile(
    r"\b(?:attack\w*|attackers?|adversar\w*|malicious|examples?|e\.?g\.?|for instance|such as|payloads?|"
    r"detect\w*|block\w*|defen[cs]es?|defend\w*|filter\w*|classifiers?|classification|sanitiz\w*|inject\w*|jailbreak\w*|"
    r"red[- ]team\w*|test cases?|phrases?|strings?|patterns?|samples?|threat actors?|prompts?|templates?|"
    r"signatures?|heuristics?|regex\w*|beispiel\w*|angriff\w*|z\.?\s?b\.?|exemples?|attaques?|par exemple|"
    r"ejemplos?|ataques?|por ejemplo|format|looks like|such|illustrat\w*|demonstrat\w*|probes?|verbatim|planted|"
    r"quot(?:e|es|ed|ing)|tokens?|neutrali[sz]\w*|transcripts?|conversations?|dialogues?|the line reads|"
    r"(?:containing|contains|with) the (?:line|text|sentence|string))\b"
)


# ------------------------------------------------------------------------------------------- phrase rules


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each rule is one object
class PhraseRule:
    rule: str
    severity: str  # when the conditions hold; "escalate" rules become high in AI-addressed or hidden text
    pattern: re.Pattern[str]
    message: str
    anchors: tuple[Words, ...]  # a text can only match when it holds a word of each
    gate: str = "none"  # "none", "directive" (an order or AI-addressed), "ai" (AI-addressed or hidden only)
    needs: tuple[re.Pattern[str], ...] = ()  # each must also occur where ``needs_scope`` says
    needs_scope: str = "sentence"  # "sentence", "match", "near" (the match and a few words after it), or
    # "follow" (the rest of the line, or the lines below when the match ends its line)
    headings_only: bool = False  # applies to heading spans only (a reader strips the "###" from them)
    unless: re.Pattern[str] | None = None  # must not occur from the match to the end of the sentence
    unless_near: bool = False  # ``unless`` only counts in the match and the few words after it
    negatable: bool = False  # "never ignore ..." forbids rather than orders
    prefix_unless: re.Pattern[str] | None = None  # the sentence before the match must not contain this
    escalate: bool = False
    category: str = "instruction"


def rule(name: str, severity: str, pattern: str, message: str, *, anchors: tuple[Words, ...] = (),
         needs: re.Pattern[str] | tuple[re.Pattern[str], ...] = (), **options: Any) -> PhraseRule:
    needed = needs if isinstance(needs, tuple) else (needs,)
    return PhraseRule(name, severity, compile_(pattern), message, anchors, needs=needed, **options)
