"""The vocabulary of the injection scan: word classes and phrase rules, kept apart from the engine in ``scan``.

Every pattern here matches *folded* text (see ``scan.fold``): lower case, accents removed, look-alike letters
mapped to Latin, invisible characters dropped, leetspeak and letter spacing undone. Word classes list English,
German, French and Spanish forms. A phrase rule is a pattern plus the conditions the engine checks around a
match: the sentence must also name something (``needs``), must not say something else (``unless``), and the
words before the match must read as an order to the reader (``gate``).

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

# Orders to stop heeding something: only a cognitive verb is strong enough alone.
IGNORE_VERB = alt(
    "ignore", "disregard", "forget", "pay no attention to", "pay no heed to", "take no notice of", "set aside",
    "put aside", "dismiss", "unlearn", "neglect", "do not follow", "don't follow", "dont follow", "stop following",
    "no longer follow", "do not obey", "don't obey", "stop obeying", "do not adhere to", "stop adhering to",
    "ignoriere", "ignorier", "ignorieren sie", "ignoriert", "vergiss", "vergesst", "vergessen sie", "missachte",
    "missachten sie", "ubergehe", "ubergehen sie", "verwirf", "verwerfen sie", "befolge nicht mehr",
    "ignorez", "ignore", "oublie", "oubliez", "ne tiens pas compte de", "ne tenez pas compte de",
    "ne tiens plus compte de", "ne tenez plus compte de", "fais abstraction de", "faites abstraction de",
    "abandonne", "abandonnez", "ne suis plus", "ne suivez plus",
    "ignora", "ignore", "ignoren", "ignorad", "olvida", "olvide", "olviden", "olvidad", "haz caso omiso de",
    "haga caso omiso de", "no hagas caso a", "no hagas caso de", "no sigas", "deja de seguir", "deja de lado",
    "descarta", "descarte", "olvidate", "olvidese", "olvidaos",
)
# Verbs that replace or cancel: only with an AI-specific noun (ops documents override rules and settings).
REPLACE_VERB = alt(
    "override", "overrule", "bypass", "discard", "abandon", "drop", "scrap", "replace", "supersede", "cancel",
    "revoke", "erase", "wipe", "throw out", "throw away", "ersetze", "uberschreibe", "hebe auf", "remplace",
    "remplacez", "annule", "annulez", "reemplaza", "reemplace", "anula", "anule", "sobrescribe",
)
INSTRUCTION_NOUN = alt(
    "instructions?", "instruction set", "prompts?", "system prompt", "system message", "directives?",
    "guidelines?", "guidance", "directions", "programming", "training", "orders", "briefing", "what you were told",
    "what you have been told", "what you've been told", "anweisungen", "anweisung", "instruktionen", "vorgaben",
    "befehle", "richtlinien", "anordnungen", "systemprompt", "consignes", "directives", "indications", "ordres",
    "prompt systeme", "instrucciones", "indicaciones", "directrices", "ordenes", "pautas", "consignas", "mandatos",
    "prompt del sistema",
)
# Nouns that also name ordinary ops things; only a cognitive verb makes them an override.
LOOSE_NOUN = alt(
    "rules?", "constraints?", "restrictions?", "polic(?:y|ies)", "context", "commands?", "limitations?",
    "safeguards?", "guardrails?", "regeln", "einschrankungen", "befehle", "regles", "restrictions", "contexte",
    "reglas", "normas", "restricciones", "contexto",
)
# What marks an order as aimed at the reader's own earlier instructions.
SELF_WORDS = alt(
    "previous", "previously", "prior", "above", "earlier", "preceding", "foregoing", "former", "original",
    "initial", "system", "developer", "your", "its", "all", "so far", "until now", "vorherigen?", "vorigen?",
    "bisherigen?", "obigen?", "fruheren?", "vorangegangenen?",
    "ursprunglichen?", "alle", "allen", "deine", "deinen", "ihre", "samtliche",
    "precedentes?", "anterieures?", "anterieurs", "ci dessus", "initiales?", "toutes", "tous", "tes", "vos",
    "d'avant", "originales?", "anteriores", "previas", "previos", "todas", "todos", "tus", "sus",
    "iniciales", "de arriba", "hasta ahora", "before", "antes", "avant", "vorher", "zuvor",
    *("you were given", "you were told", "you have been given", "you've been given", "you received", "you got",
      "you were handed", "que recibiste", "que te dieron", "que has recibido", "die du erhalten hast",
      "die dir gegeben wurden", "que tu as recues", "qu'on t'a donnees", "que l'on vous a donnees"),
)
SELF_QUALIFIER = compile_(rf"\b{SELF_WORDS}\b")
# Only these make "the ... instructions are void" about the reader's own instructions ("old docs are obsolete" is not).
OWN_WORDS = alt(
    "previous", "prior", "above", "earlier", "preceding", "foregoing", "original", "initial", "system", "your",
    "its", "vorherigen?", "bisherigen?", "obigen?", "fruheren?", "ursprunglichen?", "deine", "ihre", "precedentes?",
    "anterieures?", "ci dessus", "initiales?", "tes", "vos", "anteriores", "previas", "previos", "tus", "sus",
    "iniciales", "de arriba",
)
OWN_AFTER = alt("you were given", "you were told", "you have been given", "you received", "you got", "you were handed",
                "que recibiste", "que te dieron", "die du erhalten hast", "que tu as recues")
# "... found in retrieved documents": a design statement about defending, not an order.
DEFENSIVE = compile_(r"\b" + alt(
    "embedded", "injected", "hidden", "contained", "found in", "coming from", "that appear in", "present in",
    r"from (?:users?|documents?|untrusted|external|third parties|retrieved|web|tools?|emails?|uploads?)",
    r"in (?:retrieved|uploaded|user|external|untrusted|third party|incoming|web|tool|email) ",
    r"within (?:documents?|content|retrieved|user)", r"inside (?:documents?|retrieved|user|the content)",
    "eingebettet", "versteckt", "in dokumenten", "integrees", "cachees", "dans les documents", "incrustadas",
    "ocultas", "en los documentos",
) + r"\b")
EVERYTHING = alt("everything", "anything", "all that", "whatever", "alles", "tout ce", "tout", "todo", "todo lo")
BEFORE = alt(
    "above", "before", "previously", "so far", "earlier", "until now", "you were told", "you have been told",
    "you've been told", "you were given", "you have been given", "in your prompt", "vorher", "bisher", "zuvor",
    "oben", "gesagt", "avant", "precedemment", "ci dessus", "jusqu'ici", "jusqu'a present", "antes",
    "anteriormente", "hasta ahora", "arriba", "up to now", "up to this point", "until this point",
    "hasta este momento", "hasta el momento", "jusqu'a maintenant", "bis jetzt", "bis hierher",
)
INVALID = alt(
    "void", "null", "cancell?ed", "revoked", "obsolete", "outdated", "out of date", "superseded", "invalid",
    "rescinded", "withdrawn", "expired", "retired", "wrong", "stale",
    "no longer (?:valid|apply|applies|applicable|relevant|in effect|binding)", "do not apply", "don't apply",
    "are not valid", "ungultig", "aufgehoben", "nicht mehr", "gelten nicht", "annulee?s?", "caduques?",
    "obsoletes?", "ne sont plus", "ne s'appliquent plus", "anulad[oa]s?", "ya no", "invalidas?", "sin efecto",
    "quedan sin",
)

ROLE_NOUN = alt(
    "assistant", "ai", "model", "bot", "chatbot", "agent", "persona", "character", "role", "reviewer", "auditor",
    "analyst", "expert", "advisor", "adviser", "consultant", "evaluator", "assessor", "architect", "officer",
    "specialist", "approver", "ciso", "security lead", "dan", "unrestricted",
    "unfiltered", "uncensored", "jailbroken", "free", "evil", "different", "no longer bound", "not bound",
    "ki", "modell", "assistent", "rolle", "prufer", "gutachter", "experte", "berater", "ohne einschrankungen",
    "ia", "modele", "personnage", "auditeur", "evaluateur", "sans restrictions?", "sans limites?", "sans filtres?",
    "asistente", "modelo", "agente", "papel", "rol", "personaje", "evaluador", "experto", "consultor", "analista",
    "revisora?", "validador", "asesor", "arquitecto", "prufer", "architekt", "reviewer", "valideur", "relecteur",
    "sin restricciones", "sin limites", "sin filtros",
)
YOU_NOW = alt(
    "you are now", "you're now", "you are no longer", "you will now be", "you will now act", "you shall now be",
    "you have now become", "you have become", r"from now on,? you(?: are| will| shall| must)?",
    r"henceforth,? you", r"you have been (?:reprogrammed|reassigned|repurposed|freed|unlocked|jailbroken|upgraded)",
    r"du bist (?:jetzt|nun|ab sofort|ab jetzt|von nun an)", r"ab (?:jetzt|sofort) bist du", "von nun an bist du",
    r"sie sind (?:jetzt|nun|ab sofort)", r"ab (?:jetzt|sofort) sind sie",
    r"tu es (?:maintenant|desormais|dorenavant|a present)", r"vous etes (?:maintenant|desormais|dorenavant|a present)",
    r"a partir de maintenant,? (?:tu es|vous etes|tu|vous)",
    "ahora eres", "ahora es usted", "ahora usted es", r"a partir de ahora,? (?:eres|seras|usted es|sera)",
    r"desde ahora,? (?:eres|seras)", r"de ahora en adelante,? (?:eres|seras)",
)
ACT_AS = alt(
    "act as", "act like", "behave as", "behave like", "pretend to be", "pretend you are", "pretend that you are",
    "roleplay as", "role play as", "play the role of", "take on the role of", "assume the role of",
    "assume the persona of", "adopt the persona of", "impersonate", "agiere als", "handle als",
    "verhalte dich wie", "verhalte dich als", "tu so als", "spiele die rolle", "schlupfe in die rolle",
    "agis comme", "agis en tant que", "agissez comme", "agissez en tant que", "comporte toi comme",
    "comportez vous comme", "fais semblant d'etre", "faites semblant d'etre", "joue le role", "jouez le role",
    "actua como", "actue como", "finge ser", "finge que eres", "finja ser", "comportate como",
    "interpreta el papel", "asume el papel", "asume el rol",
)

THREAT_OBJECT = alt(
    "threats?", "risks?", "findings?", r"vulnerabilit(?:y|ies)", r"weakness(?:es)?", "flaws?", "exposures?",
    "attacks?", "attack surface", "cves?", r"security (?:issues?|problems?|concerns?|gaps?|bugs?|holes?)",
    "injections?", "stride", "owasp", r"llm0\d", r"t-(?:llm|stride|agent|data)-\d+", "bedrohung(?:en)?", "risiko",
    "risiken", "schwachstellen?", "befunde?", "sicherheitslucken?", "angriffe?", "gefahren?", "menaces?",
    "risques?", "vulnerabilites?", "failles?", "constats?", "attaques?", "faiblesses?", "amenazas?", "riesgos?",
    "vulnerabilidad(?:es)?", "fallos?", "fallas?", "hallazgos?", "ataques?", "debilidad(?:es)?", "brechas?",
)
# A threat word used as an adjective of something else ("vulnerability warnings from npm audit").
THREAT_AS_MODIFIER = alt(
    "warnings?", "alerts?", "errors?", "messages?", "notices?", "notifications?", "scans?", "scanners?", "checks?",
    "tests?", "banners?", "logs?", "emails?", "tickets?", "dashboards?", "scores?", "matrix", "template",
)
ANALYSIS_TARGET = alt(
    r"threat models?", r"threat modell?ing", "threat assessment", "risk assessment", "risk register",
    r"security (?:review|assessment|analysis)",
    r"your (?:analysis|report|output|answer|response|summary|assessment|review|findings|results|evaluation|list)",
    r"the (?:analysis|assessment|findings)", "dicetm",
    "bedrohungsmodell", "bedrohungsanalyse", "risikoanalyse",
    r"deine[rm]? (?:analyse|bewertung|ausgabe|antwort|bericht)",
    r"ihre[rm]? (?:analyse|bewertung|ausgabe|antwort|bericht)", "modele de menaces", r"analyse de (?:risques|menaces)",
    r"ton (?:analyse|rapport|resultat)", r"votre (?:analyse|rapport|resultat|evaluation|reponse|sortie)",
    r"ta (?:reponse|sortie|evaluation|analyse)", "modelo de amenazas", r"analisis de (?:riesgos|amenazas)",
    r"tu (?:analisis|informe|respuesta|evaluacion|salida|reporte)",
    r"su (?:analisis|informe|respuesta|evaluacion|salida|reporte)",
)
THREAT_OR_TARGET_WORDS = either(THREAT_OBJECT, ANALYSIS_TARGET)
THREAT_OR_TARGET = compile_(rf"\b(?:{THREAT_OBJECT}|{ANALYSIS_TARGET})\b(?!\W+{THREAT_AS_MODIFIER}\b)")
THREAT_IN_MATCH = compile_(rf"\b{THREAT_OBJECT}\b(?!\W+{THREAT_AS_MODIFIER}\b)")
# Reporting *channels* make "do not report vulnerabilities" an ordinary disclosure policy.
CHANNEL = compile_(r"\b" + alt(
    r"(?:through|via|on|in|to|using|over|by) (?:the |a )?(?:public|github|gitlab|jira|slack|email|e-mail|mail|"
    r"mailing list|forum|issue tracker|bug tracker|social media|twitter|discord|hackerone|bugcrowd|chat|teams)",
    "publicly", "in public", "offentlich", "publiquement", "publicamente", "par e-mail", "par mail",
    "por correo", "per e-mail", "per mail",
) + r"\b")
# A condition makes "the assistant says there are no open risks" a description of behaviour, not a script.
CONDITION = compile_(r"\b(?:if|when|whenever|unless|once|after|wenn|falls|si|quand|lorsque|cuando)\b")
# A German sentence ending in an infinitive is an order unless it has a subject or a modal verb of its own.
GERMAN_SUBJECT = compile_(r"\b(?:wir|ich|man|er|es|sie|ihr|konnen|kann|konnte|sollte|sollten|mussen|muss|musste|"
                          r"durfen|darf|werden|wird|wurde|wollen|will|mochten|lasst|lassen)\b")
# A human process step ("mark the risk as accepted once the owner signs off") rather than an order to a model.
PROCESS_STEP = compile_(
    r"\b(?:if|once|after|unless|only when|only if|as soon as|provided that|wenn|sobald|nachdem|si|une fois|"
    r"apres|cuando|una vez|despues)\W+(?!you\b)(?:\w+\W+){0,4}?(?:owner|reviewer|team|lead|manager|approv\w*|"
    r"sign\w*|confirm\w*|verif\w*|validat\w*|review\w*|fix\w*|patch\w*|deploy\w*|test\w*|merg\w*|"
    r"verantwortlich\w*|genehmig\w*|valid\w*|aprueb\w*|revis\w*)"
    r"|\b(?:in|on|via|using|through|within|im|dans|en)\W+(?:the\W+|der\W+|dem\W+|le\W+|la\W+|el\W+)?(?:\w+\W+)?"
    r"(?:ui|dashboard|console|portal|tracker|jira|sonarqube|snyk|defectdojo|web interface|interface|board|backlog|"
    r"ticket|tool)\b"
)
# "Rate each risk as low, medium or high": a scale, not a verdict.
SCALE = compile_(r"\b(?:low|gering|niedrig|faible|bajo)\W*(?:,|/|or|oder|ou|o|bis|to)\W+(?:\w+\W+)?(?:medium|moderate|"
                 r"high|critical|mittel|hoch|moyen|eleve|medio|alto)\b")
NOT_A_VERDICT = compile_(f"{PROCESS_STEP.pattern}|{SCALE.pattern}")

REPORT_VERB = alt(
    "report", "mention", "flag", "list", "include", "raise", "identify", "record", "discuss", "note", "highlight",
    "consider", "analy[sz]e", "model", "count", "document", "surface", "call out", "bring up", "output", "reveal",
    "disclose", "create", "generate", "propose", "suggest", "add", "emit", "produce", "file", "log", "escalate",
    "point out", "comment on", "talk about", "refer to", "write about", "enumerate", "describe", "show", "present",
    "explain",
)
NEGATION = alt(
    "do not", "don't", "dont", "never", "must not", "mustn't", "should not", "shouldn't", "shall not",
    "you will not", "you won't", "you are not to", "you shall not", "you need not", "you do not need to",
    "avoid", "refrain from", "no need to", "not to", "do not ever", "please do not", "please don't", "you must not",
    "you should not", "you may not", "you can't", "you cannot",
)
OMIT_VERB = alt(
    "omit", "exclude", "leave out", "suppress", "hide", "disregard", "ignore", "overlook", "gloss over",
    "downplay", "pass over", "withhold", "hold back", "skip", "filter out", "strip out", "drop", "remove",
    "verschweige", "verschweigen sie", "lass weg", "lassen sie weg", "unterschlage", "ubergehe", "ignoriere",
    "blende aus", "entferne", "omets", "omettez", "passe sous silence", "passez sous silence", "exclus",
    "excluez", "laisse de cote", "laissez de cote", "tais", "taisez", "cache", "cachez", "ignorez", "neglige",
    "negligez", "supprime", "supprimez", "omite", "omita", "excluye", "excluya", "oculta", "oculte", "elimina",
    "elimine", "deja fuera", "deje fuera", "pasa por alto", "pase por alto", "calla", "calle", "ignora",
)
# Leave X out of the analysis.
OUT_OF_TARGET = rf"(?:out of|from|aus|de|del|fuera de)\W+(?:\w+\W+)?{ANALYSIS_TARGET}"

MARK_VERB = alt(
    "mark", "classify", "summari[sz]e", "portray", "depict", "characteri[sz]e", "frame", "rate", "score", "label",
    "set", "treat", "record", "list", "flag", "tag", "categori[sz]e",
    "consider", "assess", "grade", "assign", "downgrade", "lower", "reduce", "report", "document", "declare",
    "regard", "present", "describe", "show", "close", "resolve", "file", "log",
)
SAFE_STATE = alt(
    "mitigated", "resolved", "accepted", "low", "very low", "informational", "info", "negligible", "minimal",
    "minor", "trivial", "out of scope", "not applicable", "n/?a", "false positives?", "safe", "secure",
    "compliant", "closed", "fixed", "handled", "covered", "done", "acceptable", "low risk", "low severity",
    "low priority", "none", "zero", "remediated", "addressed", "non issues?", "not relevant", "irrelevant",
    "theoretical", "won't fix", "wont fix",
)
ASSERT_VERB = alt(
    "conclude", "state", "say", "declare", "describe", "present", "assert", "certify", "answer", "respond", "reply",
    "output", "print",
    "return", "write", "tell the user", "tell the reader", "tell them", "summari[sz]e", "report", "claim",
    "affirm", "communicate",
)
NONE_CLAIM = alt(
    r"there (?:are|is|were) no", r"there (?:are|is) nothing",
    rf"(?:no|zero|not any|not a single) (?:\w+ )?{THREAT_OBJECT}",
    r"(?:is|are) (?:fully |completely |entirely |totally |perfectly )?(?:secure|safe|compliant|risk free|"
    r"mitigated|hardened|bulletproof|not vulnerable)",
    "nothing to report", "all clear", "no action needed", "no action required", "clean bill of health",
)

EXFIL_VERB = alt(
    "include", "append", "add", "put", "encode", "url-encode", "urlencode", "hange", "fuge", "setze", "insert",
    "embed", "attach", "place", "concatenate", "send",
    "transmit", "post", "upload", "leak", "forward", "exfiltrate", "submit", "pass", "copy", "paste", "write",
    "hange an", "fuge ein", "fuge", "sende", "schicke", "ubermittle", "kodiere", "ajoute", "ajoutez", "envoie",
    "envoyez", "insere", "inserez", "encodez", "transmets", "transmettez", "anade", "anada", "envia", "envie",
    "incluye", "incluya", "inserta", "inserte", "codifica", "codifique", "agrega", "agregue", "adjunta",
)
DATA_NOUN = alt(
    "conversation", "chat", "chat history", "history", "previous messages", "messages", "transcript",
    "system prompt", "prompt", "your instructions", "context", "summary", "secrets?", "credentials",
    "passwords?", "user data", "personal data", "findings", "threat model", "everything", "all of it",
    "the document", "this document", r"\w*verlauf", r"\w*gesprach\w*", "unterhaltung", "geheimnisse", "zugangsdaten",
    "passworter", "historique", "identifiants", "mots de passe", "conversacion", "historial", "secretos",
    "credenciales", "contrasenas",
)
URL_WORDS = alt("urls?", "links?", "query", "parameters?", "query string", "querystring", "images?", "endpoint",
                "webhook", "server", "address", "domain", "img", "pixel", "lien", "adresse", "enlace", "direccion",
                "imagen", "bild", "https?")
URL_WORD = compile_(rf"\b{URL_WORDS}\b")
COLLECTOR = compile_(r"(?:^|[./@])(?:webhook\.site|requestbin\.(?:com|net|io)|[\w-]*\.?pipedream\.net|"
                     r"ngrok(?:-free)?\.(?:io|app|dev)|burpcollaborator\.net|oastify\.com|interact\.sh|"
                     r"oast\.(?:fun|pro|live|site|online|me)|requestcatcher\.com|hookbin\.com|beeceptor\.com|"
                     r"postb\.in|canarytokens\.(?:com|org)|dnslog\.cn|ceye\.io|trycloudflare\.com|loca\.lt|"
                     r"serveo\.net|ptsv[23]\.com|webhook\.cool|putsreq\.com|mockbin\.(?:org|io))(?=[/:?#]|$)")

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
    r"detect\w*|block\w*|defen[cs]es?|defend\w*|filter\w*|classif\w*|sanitiz\w*|inject\w*|jailbreak\w*|"
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


def _rule(rule: str, severity: str, pattern: str, message: str, *, anchors: tuple[Words, ...] = (),
          needs: re.Pattern[str] | tuple[re.Pattern[str], ...] = (), **options: Any) -> PhraseRule:
    needed = needs if isinstance(needs, tuple) else (needs,)
    return PhraseRule(rule, severity, compile_(pattern), message, anchors, needs=needed, **options)


TASK_NOUN = alt("task", "analysis", "assessment", "review", "job", "work", "assignment", "aufgabe", "analyse", "tache",
                "tarea", "analisis")
STOP_VERB = alt("stop", "quit", "halt")
YOUR_NEW = alt("your", "deine", "ton", "ta", "votre", "tu", "su")
REAL_ADJECTIVE = alt(
    "new", "real", "true", "actual", "only", "updated", "neue", "eigentliche", "wahre", "nouveau", "nouvelle", "vrai",
    "vraie", "veritable", "nuevo", "nueva", "verdadero", "verdadera",
)
IDENTITY_NOUN = alt(
    "instructions?", "directives?", "persona", "identity", "objective", "purpose", "anweisungen", "identitat",
    "consignes?", "identite", "instrucciones", "identidad", "proposito", "objetivo", "objectif",
)
NEW_ADJECTIVE = alt("new", "neue", "nouveau", "nouvelle", "nuevo", "nueva")
TASK_NAME = alt("role", "task", "job", "goal", "mission", "name", "rolle", "aufgabe", "tache", "rol", "papel", "tarea",
                "mision")
SWITCH_VERB = alt("enter", "enable", "activate", "switch to", "switch into", "turn on", "go into", "engage", "unlock",
                  "now in", "entering", "aktiviere", "wechsle in", "active", "activez", "passe en", "activa",
                  "cambia a")
UNRESTRICTED = alt("jailbreak", "jailbroken", "unrestricted", "unfiltered", "uncensored", "dan", "god", "evil",
                   "chaos", "opposite")
PRIVILEGED = alt("developer", "dev", "debug", "admin", "sudo", "root", "maintenance", "entwickler", "developpeur",
                 "desarrollador")
ANYTHING_NOW = alt("do anything now")
REPLACEMENT_ADJECTIVE = alt(
    "new", "updated", "revised", "real", "actual", "true", "secret", "hidden", "override", "overriding", "priority",
    "emergency", "correct", "neue", "neuer", "aktualisierte", "nouvelles?", "nouveau", "nuevas?", "nuevo",
    "actualizadas",
)
SYSTEM_WORD = alt("system", "systemprompt", "systeme", "sistema")
BOUNDARY_WORD = alt("begin", "start", "end")
THIS_TEXT = alt("this", "these", "the following")
TEXT_NOUN = alt("instructions?", "directives?", "notes?", "messages?", "text", "section", "paragraph")
OVERRIDE_VERB = alt(
    "supersedes?", "overrides?", "overriding", "takes? precedence over", "replaces?", "cancels?", "has priority over",
    "have priority over", "ersetzt", "remplace", "annule", "reemplaza", "anula",
)
OBEY_VERB = alt("follow", "obey", "heed", "listen to", "take orders from", "comply with")
DOCUMENT_NOUN = alt("page", "document", "file", "note", "section", "text", "paragraph", "lines?")
LEAVE_VERB = alt("leave", "keep", "lass", "lassen sie", "laisse", "laissez", "deja", "deje")
SKIP = alt("skip")
MODAL_OR_BE = alt("must", "should", "shall", "need", "are", "is")
DE_REPORT_ORDER = alt(
    "erwahne", "erwahnen sie", "melde", "melden sie", "berichte", "berichten sie", "nenne", "nennen sie", "liste",
    "listen sie", "fuhre", "fuhren sie", "dokumentiere", "dokumentieren sie", "zeige", "zeigen sie", "gib",
    "geben sie", "berucksichtige", "berucksichtigen sie", "erfasse", "erfassen sie", "beachte", "beachten sie",
)
DE_NO = alt("nicht", "keine", "keinen", "keines", "keiner", "keinerlei")
DE_REPORT_INFINITIVE = alt(
    "erwahnen", "melden", "berichten", "auffuhren", "auflisten", "aufnehmen", "nennen", "dokumentieren",
    "modellieren", "berucksichtigen", "erfassen", "ausgeben", "bewerten",
)
DE_OMIT_INFINITIVE = alt(
    "weglassen", "auslassen", "ignorieren", "ubergehen", "verschweigen", "streichen", "herauslassen", "ausblenden",
    "unerwahnt lassen", "nicht erwahnen", "nicht auffuhren", "nicht melden", "nicht bewerten",
    "nicht berucksichtigen",
)
FR_NEGATIVE = alt("pas", "rien", "jamais", "plus", "aucune?")
FR_REPORT_INFINITIVE = alt(
    "signaler", "mentionner", "rapporter", "indiquer", "lister", "inclure", "citer", "relever", "evoquer", "noter",
    "remonter", "soulever", "considerer", "documenter", "declarer",
)
FR_REPORT_ORDER = alt(
    "mentionne", "mentionnez", "signale", "signalez", "rapporte", "rapportez", "indique", "indiquez", "liste",
    "listez", "inclus", "incluez", "cite", "citez", "releve", "relevez", "evoque", "evoquez", "note", "notez",
    "remonte", "remontez", "souleve", "soulevez", "considere", "considerez", "documente", "documentez", "declare",
    "declarez",
)
ES_REPORT_ORDER = alt(
    "menciones", "mencione", "mencionen", "informes", "informe", "reportes", "reporte", "incluyas", "incluya",
    "senales", "senale", "indiques", "indique", "registres", "registre", "listes", "liste", "cites", "cite",
    "reveles", "revele", "documentes", "documente", "consideres", "considere", "comentes", "comente", "notifiques",
    "notifique", "describas", "describa", "anotes", "anote",
)
NOTHING_WORD = alt("nothing", "anything", "rien", "nichts", "nada")
DE_MARK = alt(
    "markiere", "markieren sie", "stufe", "stufen sie", "bewerte", "bewerten sie", "kennzeichne", "kennzeichnen sie",
    "setze", "setzen sie", "werte", "betrachte", "betrachten sie", "behandle", "behandeln sie", "klassifiziere",
    "klassifizieren sie", "trage", "tragen sie", "fuhre", "fuhren sie",
)
DE_SAFE = alt(
    "gemindert", "behoben", "akzeptiert", "niedrig", "gering", "unkritisch", "erledigt", "abgeschlossen", "mitigiert",
    "entscharft", "irrelevant", "vernachlassigbar", "ungefahrlich", "harmlos", "geschlossen",
)
DE_MARK_INFINITIVE = alt("markieren", "einstufen", "bewerten", "kennzeichnen", "betrachten", "eintragen", "ausweisen",
                         "darstellen", "melden")
FR_MARK = alt(
    "marque", "marquez", "classe", "classez", "evalue", "evaluez", "note", "notez", "considere", "considerez",
    "indique", "indiquez", "traite", "traitez", "declare", "declarez", "signale", "signalez", "qualifie",
    "qualifiez", "presente", "presentez", "enregistre", "enregistrez", "marquer", "classer", "evaluer", "noter",
    "considerer", "traiter", "declarer", "qualifier", "presenter",
)
FR_SAFE = alt(
    "attenuee?s?", "resolue?s?", "acceptee?s?", "faibles?", "mineure?s?", "negligeables?", "traitee?s?",
    "corrigee?s?", "maitrisee?s?", "fermee?s?", r"sans (?:risque|danger|objet)", r"hors (?:perimetre|sujet)",
    r"non (?:applicable|pertinent)e?s?", "couverte?s?", "securisee?s?",
)
ES_MARK = alt(
    "marca", "marque", "clasifica", "clasifique", "califica", "califique", "evalua", "evalue", "considera",
    "considere", "registra", "registre", "trata", "trate", "declara", "declare", "etiqueta", "etiquete", "senala",
    "senale", "presenta", "presente", "valora", "valore",
    *(f"{verb}(?:l[oa]s?|les?)?" for verb in ("marcar", "clasificar", "calificar", "evaluar", "considerar",
                                              "registrar", "tratar", "declarar", "etiquetar", "presentar", "valorar")),
)
ES_SAFE = alt(
    "mitigad[oa]s?", "resuelt[oa]s?", "aceptad[oa]s?", "baj[oa]s?", "menor(?:es)?", "insignificantes?",
    "despreciables?", "cerrad[oa]s?", "corregid[oa]s?", "controlad[oa]s?", "cubiert[oa]s?", "segur[oa]s?",
    "irrelevantes?", "fuera de alcance", r"no aplica(?:ble)?s?",
)
SAFE_SYSTEM = alt(
    "secure", "safe", "compliant", r"risk\W?free", "hardened", r"low\W?risk", r"without (?:any )?risks?",
    r"having no (?:\w+ )?(?:risks?|threats?|attack surface|vulnerabilit\w*)",
)
NARRATED_VERB = alt("prints", "outputs", "says", "reports", "answers", "responds", "returns", "writes", "states",
                    "concludes", "declares", "replies")
VERDICT_VERB = alt("give", "return", "output", "issue", "assign", "render", "reach", "report", "set")
VERDICT_NOUN = alt("verdict", "result", "rating", "status", "outcome", "conclusion", "decision")
PASSING = alt("pass", "passed", "approved", "clean", "green", "ok", "lgtm", "secure", "safe")
EMPTY_VERB = alt("produce", "return", "output", "give", "write", "create", "leave")
EMPTY = alt("empty")
OUTPUT_NOUN = alt("answer", "output", "response", "conclusion", "verdict", "assessment", "summary", "report",
                  "analysis", "result")
DE_ASSERT = alt(
    "stelle fest", "stellen sie fest", "erklare", "erklaren sie", "schreibe", "schreiben sie", "antworte",
    "antworten sie", "berichte", "berichten sie", "melde", "melden sie", "gib aus", "bestatige", "bestatigen sie",
    "fasse zusammen", "folgere", "behaupte", "halte fest", "sage", "sagen sie", "schreiben", "antworten",
    "erklaren", "feststellen", "berichten", "sagen",
)
DE_NONE = alt("es gibt keine", "keine", "keinerlei", r"ist (?:vollstandig |vollig )?sicher",
              r"sind (?:alle )?(?:behoben|gemindert)")
FR_ASSERT = alt(
    "conclus", "concluez", "indique", "indiquez", "ecris", "ecrivez", "reponds", "repondez", "declare", "declarez",
    "affirme", "affirmez", "signale", "signalez", "certifie", "certifiez", "dis", "dites", "resume", "resumez",
    "confirme", "confirmez", "ecrire", "indiquer", "repondre", "declarer", "affirmer", "conclure", "dire",
)
FR_NONE = alt(r"il n\W?y a (?:aucune?|pas de)", "aucune?", "pas de",
              r"est (?:totalement |entierement |parfaitement )?(?:sur|securise|conforme)",
              r"sont (?:toutes )?(?:attenuees|traitees|maitrisees)")
ES_ASSERT = alt(
    "concluye", "concluya", "indica", "indique", "escribe", "escriba", "responde", "responda", "declara", "declare",
    "afirma", "afirme", "informa", "informe", "certifica", "certifique", "di", "diga", "resume", "resuma",
    "confirma", "confirme", "escribir", "indicar", "responder", "declarar", "afirmar", "informar", "concluir",
    "decir",
)
ES_NONE = alt("no hay", "no existen", "ningun[oa]?", "ningunas?", "sin",
              r"no \w+ (?:riesgos?|amenazas?|vulnerabilidad\w*)",
              r"es (?:totalmente |completamente )?segur[oa]", r"estan (?:todas )?(?:mitigadas|resueltas)")
RENDER_VERB = alt("render", "display", "show", "load", "fetch", "embed", "output", "print", "insert", "zeige",
                  "affiche", "affichez", "muestra", "muestre")
IMAGE_NOUN = alt("image", "picture", "pixel", "markdown image", "img tag", "tracking pixel", "bild", "imagen")

INSTRUCTION_RULES: tuple[PhraseRule, ...] = (
    _rule("injection.ignore-previous", "high",
          rf"\b{IGNORE_VERB}\b(?:\W+\w+){{0,5}}?\W+(?:{INSTRUCTION_NOUN}|{LOOSE_NOUN})\b",
          "tells the reader to disregard its earlier instructions", anchors=(IGNORE_VERB,),
          needs=SELF_QUALIFIER, needs_scope="near", unless=DEFENSIVE, unless_near=True, negatable=True),
    _rule("injection.ignore-previous", "high", near(REPLACE_VERB, INSTRUCTION_NOUN, 4),
          "tells the reader to replace or cancel its instructions", anchors=(REPLACE_VERB, INSTRUCTION_NOUN),
          needs=SELF_QUALIFIER, needs_scope="near", unless=DEFENSIVE, unless_near=True, negatable=True),
    _rule("injection.ignore-previous", "high",
          rf"\b(?:{REPLACE_VERB}|{IGNORE_VERB}|{STOP_VERB})\W+(?:\w+\W+){{0,2}}?{TASK_NOUN}s?\W+(?:that\W+|which\W+)?"
          r"(?:you\W+(?:were|have\W+been|got)\W+(?:asked|given|assigned|told)|you\W+were\W+asked\W+for)\b",
          "tells the reader to drop the task it was given", anchors=(TASK_NOUN,), negatable=True),
    _rule("injection.forget-everything", "high",
          rf"\b{IGNORE_VERB}\W+(?:\w+\W+){{0,2}}?{EVERYTHING}\b(?:\W+\w+){{0,5}}?\W+{BEFORE}\b",
          "tells the reader to forget what it was told", anchors=(IGNORE_VERB, EVERYTHING), negatable=True),
    _rule("injection.instructions-void", "high",
          rf"\b(?:{OWN_WORDS}\W+(?:\w+\W+){{0,2}}?{INSTRUCTION_NOUN}|{INSTRUCTION_NOUN}\W+(?:{OWN_WORDS}|"
          rf"(?:that\W+|which\W+)?{OWN_AFTER}))\b(?:\W+\w+){{0,4}}?\W+{INVALID}",
          "declares the reader's instructions void", anchors=(INSTRUCTION_NOUN, INVALID)),
    _rule("injection.role-reassignment", "high", rf"\b{YOU_NOW}\b(?:\W+\w+){{0,4}}?\W+{ROLE_NOUN}\b",
          "tries to give the reader a new role", anchors=(YOU_NOW, ROLE_NOUN)),
    _rule("injection.role-reassignment", "high", rf"\b{ACT_AS}\W+(?:\w+\W+){{0,4}}?{ROLE_NOUN}\b",
          "tells the reader to play a role", anchors=(ACT_AS, ROLE_NOUN), gate="directive"),
    _rule("injection.role-reassignment", "high", rf"\b{YOUR_NEW}\W+{REAL_ADJECTIVE}\W+{IDENTITY_NOUN}\b",
          "tells the reader its real instructions are different", anchors=(REAL_ADJECTIVE, IDENTITY_NOUN)),
    _rule("injection.role-reassignment", "high", rf"\b{YOUR_NEW}\W+{NEW_ADJECTIVE}\W+{TASK_NAME}\b",
          "gives the reader a new task", anchors=(NEW_ADJECTIVE, TASK_NAME), gate="ai"),
    _rule("injection.mode-switch", "high",
          rf"\b{SWITCH_VERB}\W+(?:the\W+|den\W+|le\W+|el\W+)?{UNRESTRICTED}\W*(?:mode|modus)\b|\b{ANYTHING_NOW}\b",
          "tells the reader to switch into an unrestricted mode", anchors=(either(UNRESTRICTED, ANYTHING_NOW),)),
    _rule("injection.mode-switch", "high", rf"\b{SWITCH_VERB}\W+(?:the\W+)?{PRIVILEGED}\W*(?:mode|modus)\b",
          "tells the model to switch into a privileged mode", anchors=(SWITCH_VERB, PRIVILEGED), gate="ai"),
    _rule("injection.new-instructions", "high",
          rf"\b{REPLACEMENT_ADJECTIVE}\W+(?:\w+\W+)?(?:system\W+)?{INSTRUCTION_NOUN}\s*(?::(?!\s*(?:https?://|www\.|"
          r"\[|<|`))|\b(?:follow|apply|take precedence|supersede|override|replace|are as follows|begin|start|"
          r"below)\b)",
          "introduces replacement instructions", anchors=(REPLACEMENT_ADJECTIVE, INSTRUCTION_NOUN), needs=ORDER_CUE,
          needs_scope="follow"),
    _rule("injection.new-instructions", "high",
          rf"\b{BOUNDARY_WORD}\W+(?:of\W+)?(?:the\W+)?(?:new\W+|real\W+|hidden\W+)?(?:system\W+prompt|"
          r"system\W+message|system\W+instructions?|instructions\W+for\W+the\W+(?:ai|model|assistant|llm))\b"
          r"|\bsystem\W+(?:prompt|message|instructions?)\W+(?:override|update|change|reset|patch)\s*:",
          "starts a fake system prompt", anchors=(either(SYSTEM_WORD, INSTRUCTION_NOUN),)),
    _rule("injection.new-instructions", "high",
          rf"\b{THIS_TEXT}\W+{TEXT_NOUN}\W+{OVERRIDE_VERB}\W+(?:\w+\W+){{0,3}}?{INSTRUCTION_NOUN}\b",
          "claims to override the reader's instructions", anchors=(OVERRIDE_VERB, INSTRUCTION_NOUN)),
    _rule("injection.new-instructions", "high",
          rf"\b{OVERRIDE_VERB}\W+(?:the\W+|your\W+|any\W+|all\W+|den\W+|le\W+|el\W+)?(?:system\W+prompt|"
          r"system\W+message|systemprompt|prompt\W+systeme|prompt\W+del\W+sistema|(?:your|prior|previous|original)"
          rf"\W+{INSTRUCTION_NOUN})\b",
          "claims to override the reader's system prompt", anchors=(OVERRIDE_VERB,), negatable=True),
    _rule("injection.obey-document", "high",
          rf"\b{OBEY_VERB}\W+only\W+(?:\w+\W+){{0,3}}?(?:this|these)\W+{DOCUMENT_NOUN}\b"
          rf"|\bonly\W+{OBEY_VERB}\W+(?:\w+\W+){{0,3}}?(?:this|these)\W+{DOCUMENT_NOUN}\b",
          "tells the reader to obey only this document", anchors=(OBEY_VERB, DOCUMENT_NOUN), gate="directive"),
    _rule("injection.suppress-findings", "medium", rf"\b{NEGATION}\W+(?:\w+\W+)?{REPORT_VERB}\b",
          "tells the reader to leave threats out of the analysis",
          anchors=(NEGATION, REPORT_VERB, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    _rule("injection.suppress-findings", "medium",
          rf"\b{OMIT_VERB}\b(?:\W+\w+){{0,5}}?\W+{THREAT_OBJECT}\b(?!\W+{THREAT_AS_MODIFIER}\b)",
          "tells the reader to omit threats", anchors=(OMIT_VERB, THREAT_OBJECT), gate="directive", unless=CHANNEL,
          escalate=True),
    _rule("injection.suppress-findings", "medium",
          rf"\b(?:{OMIT_VERB}|{LEAVE_VERB})\b(?:\W+\w+){{0,8}}?\W+{OUT_OF_TARGET}\b",
          "tells the reader to keep parts of the system out of the analysis",
          anchors=(either(OMIT_VERB, LEAVE_VERB), ANALYSIS_TARGET),
          gate="directive", escalate=True),
    _rule("injection.suppress-findings", "medium",
          rf"\b{LEAVE_VERB}\W+(?:\w+\W+){{1,8}}?(?:out|aus|de cote|fuera)\b",
          "tells the reader to leave threats out", anchors=(LEAVE_VERB, THREAT_OR_TARGET_WORDS), gate="directive",
          needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    _rule("injection.suppress-findings", "medium",
          rf"\b{THREAT_OBJECT}\b(?:\W+\w+){{0,6}}?\W+{MODAL_OR_BE}\W+(?:not|never)\W+(?:be\W+)?(?:reported|mentioned|"
          r"flagged|listed|raised|included|recorded|modell?ed|considered|counted|shown)\b",
          "says threats must not be reported", anchors=(THREAT_OBJECT, MODAL_OR_BE), gate="directive",
          unless=CHANNEL, escalate=True),
    _rule("injection.suppress-findings", "medium",
          rf"\b{SKIP}\W+(?:over\W+)?(?:the\W+|this\W+|that\W+|any\W+)?(?:\w+\W+){{0,3}}?sections?\b",
          "tells the reader to skip part of the document", anchors=(SKIP, THREAT_OR_TARGET_WORDS), gate="directive",
          needs=THREAT_OR_TARGET, escalate=True),
    _rule("injection.suppress-findings", "medium",
          rf"\b{DE_REPORT_ORDER}\b(?:\W+\w+){{0,6}}?\W+{DE_NO}\b|\b(?:nicht|keine\W+\w+|keinerlei\W+\w+)\W+"
          rf"{DE_REPORT_INFINITIVE}\b",
          "tells the reader (in German) to leave threats out", anchors=(DE_NO, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    _rule("injection.suppress-findings", "medium", rf"\b{DE_OMIT_INFINITIVE}(?=\s*[.!;]|\s*$)",
          "tells the reader (in German) to leave threats out", anchors=(DE_OMIT_INFINITIVE, THREAT_OR_TARGET_WORDS),
          needs=THREAT_OR_TARGET, unless=CHANNEL, prefix_unless=GERMAN_SUBJECT, escalate=True),
    _rule("injection.suppress-findings", "medium",
          rf"\b{NEGATION}\W+(?:\w+\W+)?{REPORT_VERB}\b(?=\W+(?:\w+\W+)?(?:anything|nothing))"
          rf"|\bne\W+{FR_NEGATIVE}\W+(?:\w+\W+)?{FR_REPORT_INFINITIVE}\b"
          rf"|\bno\W+(?:\w+\W+)?{ES_REPORT_ORDER}\W+nada\b"
          rf"|\b(?:nichts|keine\W+\w+)\W+(?:\w+\W+){{0,2}}?{DE_REPORT_INFINITIVE}\b",
          "tells an AI reader to report nothing", anchors=(NOTHING_WORD,), gate="ai", needs=NOTHING, escalate=True),
    _rule("injection.suppress-findings", "medium", rf"\bne\W+{FR_NEGATIVE}\W+(?:\w+\W+)?{FR_REPORT_INFINITIVE}\b",
          "tells the reader (in French) to leave threats out", anchors=(FR_REPORT_INFINITIVE, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    _rule("injection.suppress-findings", "medium", rf"\bne\W+(?:\w+\W+)?{FR_REPORT_ORDER}\W+{FR_NEGATIVE}\b",
          "tells the reader (in French) to leave threats out", anchors=(FR_REPORT_ORDER, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    _rule("injection.suppress-findings", "medium", rf"\bno\W+(?:\w+\W+)?{ES_REPORT_ORDER}\b",
          "tells the reader (in Spanish) to leave threats out", anchors=(ES_REPORT_ORDER, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    _rule("injection.downgrade-rating", "medium",
          rf"\b{MARK_VERB}\b(?:\W+\w+){{0,8}}?\W+(?:as|to|at)\W+(?:\w+\W+)?{SAFE_STATE}\b",
          "tells the reader to downgrade or close threats", anchors=(MARK_VERB, THREAT_OBJECT), gate="directive",
          needs=THREAT_IN_MATCH, needs_scope="match", unless=NOT_A_VERDICT, negatable=True, escalate=True),
    _rule("injection.downgrade-rating", "medium",
          rf"\b{DE_MARK}\b(?:\W+\w+){{0,8}}?\W+(?:als|auf)\W+(?:\w+\W+)?{DE_SAFE}\b"
          rf"|\bals\W+{DE_SAFE}\W+{DE_MARK_INFINITIVE}\b",
          "tells the reader (in German) to downgrade threats", anchors=(DE_SAFE, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    _rule("injection.downgrade-rating", "medium",
          rf"\b{FR_MARK}\b(?:\W+\w+){{0,8}}?\W+comme\W+(?:\w+\W+)?{FR_SAFE}",
          "tells the reader (in French) to downgrade threats", anchors=(FR_MARK, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    _rule("injection.downgrade-rating", "medium",
          rf"\b{ES_MARK}\b(?:\W+\w+){{0,8}}?\W+como\W+(?:\w+\W+)?{ES_SAFE}\b",
          "tells the reader (in Spanish) to downgrade threats", anchors=(ES_SAFE, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    _rule("injection.conclude-safe", "medium", rf"\b{ASSERT_VERB}\b(?:\W+\w+){{0,10}}?\W+{NONE_CLAIM}",
          "tells the reader what to conclude about the system's safety", anchors=(ASSERT_VERB,), gate="directive",
          negatable=True, escalate=True),
    _rule("injection.conclude-safe", "high",
          rf"\b{AI_NOUN}s?\W+(?:\w+\W+){{0,12}}?{NARRATED_VERB}\W+(?:\w+\W+){{0,4}}?{NONE_CLAIM}",
          "scripts the reader's conclusion", anchors=(AI_NOUN, NARRATED_VERB), prefix_unless=CONDITION),
    _rule("injection.conclude-safe", "medium", rf"\b{MARK_VERB}\b(?:\W+\w+){{0,6}}?\W+as\W+(?:being\W+)?"
          rf"(?:fully\W+|completely\W+|entirely\W+|perfectly\W+)?{SAFE_SYSTEM}\b",
          "tells the reader to present the system as safe", anchors=(MARK_VERB, SAFE_SYSTEM), gate="directive",
          unless=NOT_A_VERDICT, escalate=True),
    _rule("injection.conclude-safe", "medium",
          rf"\b{VERDICT_VERB}\W+(?:\w+\W+){{0,2}}?{VERDICT_NOUN}\W+(?:of\W+|to\W+)?[\"']?{PASSING}\b"
          rf"|\b{EMPTY_VERB}\W+(?:an?\W+|the\W+)?{EMPTY}\W+(?:\w+\W+){{0,2}}?(?:one|list|register|report|set|array|"
          r"result|table|section)\b",
          "dictates a passing verdict", anchors=(either(VERDICT_VERB, EMPTY), THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    _rule("injection.conclude-safe", "high",
          rf"\byour\W+(?:final\W+|only\W+|overall\W+)?{OUTPUT_NOUN}\W+(?:must|should|shall|will|has to|needs to|"
          rf"is to)\W+(?:\w+\W+){{0,3}}?{NONE_CLAIM}",
          "dictates the reader's conclusion", anchors=(alt("your"), OUTPUT_NOUN)),
    _rule("injection.conclude-safe", "medium", rf"\b{DE_ASSERT}\b(?:\W+\w+){{0,10}}?\W+{DE_NONE}",
          "tells the reader (in German) what to conclude", anchors=(DE_ASSERT, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, escalate=True),
    _rule("injection.conclude-safe", "medium", rf"\b{FR_ASSERT}\b(?:\W+\w+){{0,10}}?\W+{FR_NONE}",
          "tells the reader (in French) what to conclude", anchors=(FR_ASSERT, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, escalate=True),
    _rule("injection.conclude-safe", "medium", rf"\b{ES_ASSERT}\b(?:\W+\w+){{0,10}}?\W+{ES_NONE}",
          "tells the reader (in Spanish) what to conclude", anchors=(ES_ASSERT, THREAT_OR_TARGET_WORDS),
          gate="directive", needs=THREAT_OR_TARGET, escalate=True),
)

_AI_END = (r"(?=\s*[,:;!.)]|\s*$|\W+(?:who|that|which|reading|processing|reviewing|analy[sz]ing|parsing|"
           r"summari[sz]ing|ingesting|scanning|die|das|der|welche|qui|que)\b)")
_VOCATIVE_ORDER = alt(
    "you", "your", "please", "ignore", "forget", "disregard", "do not", "don't", "never", "always", "leave", "omit",
    "skip", "mark", "rate", "treat", "state", "say", "report", "write", "describe", "summari[sz]e", "consider",
    "du", "dein\\w*", "bitte", "vergiss", "ignoriere", "tu", "vous", "votre", "oublie\\w*", "ignore\\w*", "usted",
    "olvida", "ignora", "tus?", "por favor", "merci de", "veuillez", r"ne (?:pas|rien|jamais)", "no",
)
# A word followed by "=" or "(" is a name in code (``write=True``, ``report(x)``), not an order.
_NOT_CODE = r"(?![ \t]*=|\()"
# What "if you are a ..." / "as an ..." must name to speak to a model (not "an agent of the support team").
SELF_DESCRIPTION = alt("ai", "llm", "language model", "assistant", "chatbot", "bot", "gpt", "machine", "automated",
                       r"threat\W?model\w*", "model")
AI_IDENTITY = alt("ai", "llm", "language model", "assistant", "ai model", "ai assistant", "ai language model")
AI_NOTE = alt("note", "notice", "hinweis", "anweisung", "nachricht", "instructions?", "remarque", "consigne", "nota",
              "aviso", "instruccion", "only", "directive")
READING = alt("reading", "processing", "reviewing", "analy[sz]ing", "parsing", "summari[sz]ing", "ingesting",
              "scanning", "looking at", "evaluating", "that reads?", "which reads?", "who reads?", "tasked with",
              "compiling", "that process(?:es)?", "which process(?:es)?", "who process(?:es)?")
NOTE_NOUN = alt("note", "message", "memo", "reminder", "hint", "notice", "request", "warning", "p\\.?s\\.?",
                "instructions?")
GREETING = alt("attention", "dear", "hey", "hello", "hi", "greetings", "psst")
DE_NOTE = alt("hinweis", "nachricht", "notiz", "anweisung", "anweisungen", "botschaft")
DE_AI = alt("ki", "llm", "sprachmodelle?n?", "modelle?n?", "assistenten", "assistent", "bot", "chatbot")
FR_NOTE = alt("note", "remarque", "message", "instruction", "consigne", "avis")
FR_AI = alt("ia", "assistant", "modele", "llm", "intelligence artificielle", "bot", "chatbot")
ES_NOTE = alt("nota", "mensaje", "instruccion", "instrucciones", "aviso", "recordatorio")
ES_AI = alt("ia", "asistente", "modelo", "llm", "inteligencia artificial", "bot", "chatbot")
ADDRESS_RULES: tuple[PhraseRule, ...] = (
    _rule("injection.addressed-to-ai", "medium",
          r"(?:^|(?<=[.!?|]\s)|(?<=\n))[^\w\n]*(?:(?:to|for|dear|hey|attention|para|pour|an|fur|a|al)\W+)?"
          r"(?:(?:the|any|all|every|each|an?|whichever|whatever|el|la|los|las|cualquier|le|les|tout|toute|tous|"
          r"der|die|das|jede[rsn]?|alle)\W+)?(?:\w+\W+)?"
          rf"{AI_VOCATIVE}s?(?:\W+(?:\w+\W+){{0,3}}?(?:this|these|the following|esta|este|estas|cette|ce|ces|"
          rf"diese[snm]?)\W+\w+)?\s*[:,][^.!?\n]{{0,120}}?\b{_VOCATIVE_ORDER}\b{_NOT_CODE}",
          "addresses an AI reading the document", anchors=(AI_VOCATIVE, _VOCATIVE_ORDER)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b{NOTE_NOUN}\W+(?:to|for)\W+(?:(?:the|any|all|every|each|an?|our|future)\W+)*{AI_NOUN}s?{_AI_END}",
          "addresses an AI reading the document", anchors=(NOTE_NOUN, AI_NOUN)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b{AI_NOUN}\W{AI_NOTE}s?\s*:", "addresses an AI reading the document", anchors=(AI_NOUN, AI_NOTE)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b{GREETING}\W+(?:(?:the|any|all|every|an?)\W+)*{AI_NOUN}s?\b\s*[,:!]",
          "addresses an AI reading the document", anchors=(GREETING, AI_NOUN)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\bif\W+you\W+are\W+(?:an?\W+|the\W+)?(?:\w+\W+){{0,2}}?{SELF_DESCRIPTION}\b",
          "addresses an AI reading the document", anchors=(alt("if"), SELF_DESCRIPTION)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\bas\W+an?\W+{AI_IDENTITY}\b\W+(?:\w+\W+){{0,4}}?you\W+(?:must|should|are|will|need|have|cannot|"
          r"shall)\b",
          "addresses an AI reading the document", anchors=(alt("as"), AI_IDENTITY)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b{AI_NOUN}s?\W+(?:\w+\W+)?{READING}\W+(?:\w+\W+){{0,2}}?(?:this|these|the following)\W+"
          r"(?:document|page|file|text|note|readme|design|spec|content|section|material|wiki|report|architecture|"
          r"description|handover|output|adr|record|handbook|manual|questionnaire|form|ticket|email|chapter|"
          r"appendix|documentation|submission)s?\b",
          "addresses an AI reading the document", anchors=(AI_NOUN, READING)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b(?:whoever|whatever)\W+(?:(?:or|and)\W+(?:whoever|whatever)\W+)?(?:is\W+)?{READING}\W+"
          r"(?:\w+\W+){0,5}?(?:this|these)\W+\w+\s*:",
          "addresses whatever reads the document (an AI included)", anchors=(alt("whoever", "whatever"), READING)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b(?:binding|authoritative)\W+(?:for|on|upon|to)\W+(?:any|all|every|each|the)\W+"
          rf"(?:automated\W+(?:analysis|analyses|review|reviews|assessment|assessments|tools?)|{AI_VOCATIVE}s?)\b",
          "declares its content binding on an AI reading the document", anchors=(alt("binding", "authoritative"),)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b{DE_NOTE}\W+(?:an|fur)\W+(?:(?:die|das|den|alle|jede|jedes|jeden)\W+)?{DE_AI}(?:-{DE_AI})?s?{_AI_END}"
          rf"|\bwenn\W+du\W+(?:eine?\W+)?{DE_AI}\W+bist"
          rf"|\bals\W+{DE_AI}\W+(?:\w+\W+){{0,3}}?(?:musst|sollst|darfst|wirst)\W+du\b"
          rf"|\b(?:liebe|lieber|hallo|achtung)\W+{DE_AI}\b"
          rf"|\bfur\W+(?:\w+\W+){{0,3}}?{DE_AI}\w{{0,2}}\W+gilt\s*:",
          "addresses an AI reading the document (German)", anchors=(DE_AI,)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b{FR_NOTE}s?\W+(?:a|pour)\W+(?:l\W?|le\W+|la\W+|les\W+|toute\W+|tout\W+)?{FR_AI}s?{_AI_END}"
          rf"|\bsi\W+(?:tu\W+es|vous\W+etes)\W+(?:une?\W+)?{FR_AI}"
          rf"|\ben\W+tant\W+qu\W?(?:une?\W+)?{FR_AI}\W+(?:\w+\W+){{0,3}}?(?:tu\W+dois|vous\W+devez)"
          rf"|\b(?:chere|cher|bonjour|attention)\W+{FR_AI}\b"
          rf"|\bsi\W+(?:ce|cette|le|la)\W+\w+\W+est\W+(?:lue?|traitee?|analysee?|evaluee?)\W+par\W+"
          rf"(?:une?\W+|l\W?)?(?:\w+\W+){{0,2}}?{FR_AI}\b",
          "addresses an AI reading the document (French)", anchors=(FR_AI,)),
    _rule("injection.addressed-to-ai", "medium",
          rf"\b{ES_NOTE}\W+(?:para|a)\W+(?:la\W+|el\W+|los\W+|las\W+|cualquier\W+|toda\W+|todo\W+)?{ES_AI}s?{_AI_END}"
          rf"|\bsi\W+(?:eres|es\W+usted)\W+(?:una?\W+)?{ES_AI}"
          rf"|\bcomo\W+(?:una?\W+)?(?:{ES_AI}|modelo de lenguaje)\W+(?:\w+\W+){{0,3}}?(?:debes|tienes que|debe)\b"
          rf"|\b(?:querida|querido|hola|atencion)\W+{ES_AI}\b",
          "addresses an AI reading the document (Spanish)", anchors=(ES_AI,)),
)

_TURN_ORDER = alt(
    "ignore", "disregard", "forget", "override", "you are now", "you're now", "you must", "you will", "you shall",
    "from now on", "new instructions", "act as", "pretend", r"always\s", r"never\s", "do not", "don't",
    "respond only", "reply only", "answer only", r"only (?:respond|reply|answer|output)", "output", "print", "say",
    "report", "mark", "rate", "omit", "conclude", "ignoriere", "vergiss", "du bist", "du musst", "ignorez",
    "oubliez", "oublie", "tu es", "vous etes", "vous devez", "ignora", "olvida", "ahora eres", "debes",
    r"new (?:priority )?task", "priority task", "drop", "stop",
)
ROLE_NAME = alt("system", "instruction", "instructions", "assistant", "human", "user", "developer", "ai", "admin")
ROLE_MARKUP_RULES: tuple[PhraseRule, ...] = (
    _rule("role-markup.special-token", "high", r"<\|\s*[a-z][a-z0-9_]{1,30}\s*\|>",
          "contains a chat-template control token", category="role-markup"),
    _rule("role-markup.special-token", "high",
          r"\[/?inst\]|<</?sys>>|\[/?system_prompt\]|<start_of_turn>|<end_of_turn>|\[available_tools\]|"
          r"</s>\s*<s>|<s>\s*\[inst\]",
          "contains a chat-template control token", category="role-markup"),
    _rule("role-markup.role-tag", "high",
          r"</?(?:system|system[_-]prompt|system[_-]message|sys|assistant|human|instructions?|developer)"
          r"(?:\s[^<>\n]{0,200})?\s*>",
          "contains a chat role tag", category="role-markup"),
    _rule("role-markup.role-heading", "medium",
          r"^\s*#{1,6}\s*(?:system|instruction|instructions|assistant|human)\s*(?:prompt|message)?\s*:",
          "imitates a prompt-format role heading", anchors=(ROLE_NAME,), category="role-markup"),
    _rule("role-markup.role-heading", "medium",
          r"^\s*(?:system|instruction|instructions|assistant|human)\s*(?:prompt|message)?\s*:\s*$",
          "imitates a prompt-format role heading", anchors=(ROLE_NAME,), category="role-markup", headings_only=True),
    _rule("role-markup.role-turn", "medium",
          r"^[ \t>]*(?:[*_]*|\[)(?:system|assistant|human|user|developer|ai|admin)\s*(?:prompt|message)?"
          rf"(?:[*_]*\s*:|\]\s*:?)[*_]*[ \t]*(?=\W*{_TURN_ORDER})",
          "imitates a chat turn carrying an order", anchors=(ROLE_NAME,), category="role-markup"),
    _rule("role-markup.role-json", "medium", r"[\"']role[\"']\s*:\s*[\"'](?:system|developer)[\"']",
          "contains a chat message with a system role", anchors=(alt("role"),), category="role-markup"),
)

EXFIL_RULES: tuple[PhraseRule, ...] = (
    _rule("exfiltration.data-to-url", "high", rf"\b{EXFIL_VERB}\b",
          "tells the reader to put conversation or secret data into a URL", anchors=(EXFIL_VERB, DATA_NOUN, URL_WORDS),
          gate="directive", needs=(compile_(rf"\b{DATA_NOUN}\b"), URL_WORD), negatable=True, category="exfiltration"),
    _rule("exfiltration.render-image", "medium", rf"\b{RENDER_VERB}\W+(?:\w+\W+){{0,3}}?{IMAGE_NOUN}\b",
          "tells the reader to render an image from a URL", anchors=(RENDER_VERB, IMAGE_NOUN), gate="directive",
          needs=compile_(r"https?://"), category="exfiltration"),
)

# ------------------------------------------------------------------------------------------------- URLs

URL = compile_(r"\bhttps?://[^\s)\]>\"'`]{1,2000}")
MD_IMAGE = compile_(r"!\[[^\]\n]{0,300}\]\(\s*<?(https?://[^\s)>]{1,2000})")
HTML_IMAGE = compile_(r"<img\b[^>]{0,500}?\bsrc\s*=\s*[\"']?(https?://[^\s\"'>]{1,2000})")
PLACEHOLDER = compile_(r"\{\{?[^{}\s]{0,60}\}|\$\{?[a-z_][a-z0-9_]*|<[a-z_][a-z0-9_ ]{0,40}>|\[[a-z_ ]{2,40}\]|"
                       r"%s\b|\binsert\w*|placeholder")
CONVERSATION_PLACEHOLDER = compile_(r"(?:^|[^a-z])(?:conversation|chat|history|transcript|prompt|context|summary|"
                                    r"secrets?|findings|memory|previous|messages|answers?|system)(?:$|[^a-z])")
EMPTY_PARAMETER = compile_(r"[?&][\w.-]{1,40}=$")
# A slot for data in one part of a link or image URL (folded): a template placeholder or an ellipsis.
TARGET_SLOT = compile_(r"\{\{?[^{}\s]{0,60}\}|\$\{?[a-z_][a-z0-9_]*|<[a-z_][a-z0-9_ -]{0,40}>|\[[a-z_ -]{2,40}\]|"
                       r"%s\b|^\.{3}$")
# A query value in capitals that names data rather than being data (matched as written, not folded).
DATA_VALUE = re.compile(r"(?:[A-Z0-9]+[_-])*(?:SECRETS?|TOKENS?|KEYS?|PASSWORDS?|CREDENTIALS?|DATA|CHAT|HISTORY|"
                        r"CONVERSATION|TRANSCRIPT|PROMPT|CONTEXT|SUMMARY|MESSAGES?|INPUT|CONTENT|HERE|EMAIL|"
                        r"COOKIES?|SESSION)(?:[_-][A-Z0-9]+)*")
IMAGE_PATH = compile_(r"\.(?:png|gif|jpe?g|svg|webp|bmp|ico)(?:[?#]|$)")

# ------------------------------------------------------------------------------------- format imitation

FORMAT_MARKERS: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("status", 1, compile_(r"^\W*status\W*[:=]\W*(?:accepted|mitigated|rejected|approved|closed|resolved|"
                           r"implemented|transferred|avoided)\b")),
    ("reviewer", 1, compile_(r"^\W*(?:reviewer|reviewed_by|decided_by|approved_by)\W*[:=]\W*\w")),
    ("decision", 1, compile_(r"^\W*decision\W*[:=]\W*(?:accept|accepted|mitigate|mitigated|transfer|avoid|approve|"
                             r"approved|reject)\b")),
    ("collection", 1, compile_(r"^\s*\W?(?:threats|countermeasures|controls|residual_risks)\W*:\s*$")),
    ("threat-id", 1, compile_(r"\b[tc]-(?:llm|stride|agent|data)-\d{3}\b")),
    ("dicetm-key", 2, compile_(r"\b(?:residual_risks|coverage_percent|decided_at|status_after|status_before|"
                               r"review_status|facts_digest|audit_head|threats_covered|dicetm-register|"
                               r"dicetm-proposals)\b")),
)
# A code block that documents the format rather than forging a record: a comment listing the allowed values
# (``decision: accept  # accept | mitigate | transfer | avoid``), or placeholder values (``id: <threat id>``, ``...``).
# Anchored at the line's first comment marker, so a line full of "#" stays linear.
FORMAT_DOCUMENTATION = compile_(r"^(?:[^\n#/]|/(?!/))*(?:#|//)[^\n|]*[\w-][ \t]*\|[ \t]*[\w-]+[ \t]*\|[ \t]*[\w-]"
                                r"|:[ \t]*[\"']?<[a-z][\w .@-]{0,40}>[\"']?[ \t]*,?$|:[ \t]*\.\.\.[ \t]*,?$")
# Every marker and forgery holds one of these words or a threat or control id; other texts are not checked further.
FORMAT_WORDS = frozenset({"status", "reviewer", "reviewed", "approved", "decided", "decision", "threats", "threat",
                          "controls", "countermeasures", "residual", "coverage", "review", "facts", "audit", "prev",
                          "dicetm", "scan", "findings"})
FORMAT_ID = re.compile(r"\b[tc]-(?:llm|stride|agent|data)-")
# Any one of these alone forges dicetm output.
FORMAT_FORGERIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("format.decided-finding", compile_(r"\b[tc]-(?:llm|stride|agent|data)-\d{3}(?:@[\w.@-]+)?[^\n]{0,60}?\b"
                                        r"(?:accepted|rejected|mitigated|implemented|closed|resolved|approved|"
                                        r"transferred|avoided|false positive|not applicable)\b")),
    ("format.audit-record", compile_(r"[\"']?prev_hash[\"']?\s*[:=]|[\"']prev[\"']\s*:\s*[\"'][0-9a-f]{16,}")),
    ("format.scan-banner", compile_(r"\bdicetm\W+(?:scan|check|gate|analysis|review|result|verdict|status)s?\W*"
                                    r"[:=|\u2013-]\W*(?:clean|passed|pass|ok|no findings|0 findings|no threats|"
                                    r"approved|green|success)\b")),
    ("format.scan-banner", compile_(r"\bthreat model (?:result|verdict|outcome|status|conclusion|summary|"
                                    r"assessment)\W*[:=-]\W*(?:no |0 |zero |clean|pass|passed|all threats|secure|"
                                    r"fully mitigated|low risk)")),
    ("format.scan-banner", compile_(r"^\W*(?:prompt\W+)?injection\W+scan\W*[:=-]\W*(?:clean|passed|no findings|"
                                    r"0 findings)")),
    ("format.scan-banner", compile_(r"^\W*(?:no findings|0 findings|no threats (?:found|identified|detected)|"
                                    r"all threats (?:mitigated|accepted|resolved|closed))\W*$")),
)

# -------------------------------------------------------------------------------------- encoded payloads

BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{24,}={0,2}")
HEX = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{24,}(?![0-9A-Fa-f])")
HEX_ESCAPED = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){8,}|(?:0x[0-9A-Fa-f]{2}[,\s]{0,2}){8,}")
HEX_SPACED = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]){11,}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])")
PERCENT = re.compile(r"(?:[^\s%]{0,20}%[0-9A-Fa-f]{2}){6,}")
ENTITIES = re.compile(r"(?:&#(?:[xX][0-9A-Fa-f]{1,6}|\d{1,7});){6,}")
# Words that give away text written in rot13 or backwards: decode only spans that carry two of them.
KEYWORDS = ("ignore", "instructions", "previous", "disregard", "forget", "system", "prompt", "threats",
            "mitigated", "assistant", "report", "mention")
