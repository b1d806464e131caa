"""Phrase rules that address an AI reader, imitate chat markup, or ask for data to be sent to a URL."""

from __future__ import annotations

from dicetm.ingest.scan_words import AI_NOUN, AI_VOCATIVE, PhraseRule, alt, compile_, rule

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
RENDER_VERB = alt("render", "display", "show", "load", "fetch", "embed", "output", "print", "insert", "zeige",
                  "affiche", "affichez", "muestra", "muestre")
IMAGE_NOUN = alt("image", "picture", "pixel", "markdown image", "img tag", "tracking pixel", "bild", "imagen")

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
    rule("injection.addressed-to-ai", "medium",
         r"(?:^|(?<=[.!?|]\s)|(?<=\n))[^\w\n]*(?:(?:to|for|dear|hey|attention|para|pour|an|fur|a|al)\W+)?"
         r"(?:(?:the|any|all|every|each|an?|whichever|whatever|el|la|los|las|cualquier|le|les|tout|toute|tous|"
         r"der|die|das|jede[rsn]?|alle)\W+)?(?:\w+\W+)?"
         rf"{AI_VOCATIVE}s?(?:\W+(?:\w+\W+){{0,3}}?(?:this|these|the following|esta|este|estas|cette|ce|ces|"
         rf"diese[snm]?)\W+\w+)?\s*[:,][^.!?\n]{{0,120}}?\b{_VOCATIVE_ORDER}\b{_NOT_CODE}",
         "addresses an AI reading the document", anchors=(AI_VOCATIVE, _VOCATIVE_ORDER)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b{NOTE_NOUN}\W+(?:to|for)\W+(?:(?:the|any|all|every|each|an?|our|future)\W+)*{AI_NOUN}s?{_AI_END}",
         "addresses an AI reading the document", anchors=(NOTE_NOUN, AI_NOUN)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b{AI_NOUN}\W{AI_NOTE}s?\s*:", "addresses an AI reading the document", anchors=(AI_NOUN, AI_NOTE)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b{GREETING}\W+(?:(?:the|any|all|every|an?)\W+)*{AI_NOUN}s?\b\s*[,:!]",
         "addresses an AI reading the document", anchors=(GREETING, AI_NOUN)),
    rule("injection.addressed-to-ai", "medium",
         rf"\bif\W+you\W+are\W+(?:an?\W+|the\W+)?(?:\w+\W+){{0,2}}?{SELF_DESCRIPTION}\b",
         "addresses an AI reading the document", anchors=(alt("if"), SELF_DESCRIPTION)),
    rule("injection.addressed-to-ai", "medium",
         rf"\bas\W+an?\W+{AI_IDENTITY}\b\W+(?:\w+\W+){{0,4}}?you\W+(?:must|should|are|will|need|have|cannot|"
         r"shall)\b",
         "addresses an AI reading the document", anchors=(alt("as"), AI_IDENTITY)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b{AI_NOUN}s?\W+(?:\w+\W+)?{READING}\W+(?:\w+\W+){{0,2}}?(?:this|these|the following)\W+"
         r"(?:document|page|file|text|note|readme|design|spec|content|section|material|wiki|report|architecture|"
         r"description|handover|output|adr|record|handbook|manual|questionnaire|form|ticket|email|chapter|"
         r"appendix|documentation|submission)s?\b",
         "addresses an AI reading the document", anchors=(AI_NOUN, READING)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b(?:whoever|whatever)\W+(?:(?:or|and)\W+(?:whoever|whatever)\W+)?(?:is\W+)?{READING}\W+"
         r"(?:\w+\W+){0,5}?(?:this|these)\W+\w+\s*:",
         "addresses whatever reads the document (an AI included)", anchors=(alt("whoever", "whatever"), READING)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b(?:binding|authoritative)\W+(?:for|on|upon|to)\W+(?:any|all|every|each|the)\W+"
         rf"(?:automated\W+(?:analysis|analyses|review|reviews|assessment|assessments|tools?)|{AI_VOCATIVE}s?)\b",
         "declares its content binding on an AI reading the document", anchors=(alt("binding", "authoritative"),)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b{DE_NOTE}\W+(?:an|fur)\W+(?:(?:die|das|den|alle|jede|jedes|jeden)\W+)?{DE_AI}(?:-{DE_AI})?s?{_AI_END}"
         rf"|\bwenn\W+du\W+(?:eine?\W+)?{DE_AI}\W+bist"
         rf"|\bals\W+{DE_AI}\W+(?:\w+\W+){{0,3}}?(?:musst|sollst|darfst|wirst)\W+du\b"
         rf"|\b(?:liebe|lieber|hallo|achtung)\W+{DE_AI}\b"
         rf"|\bfur\W+(?:\w+\W+){{0,3}}?{DE_AI}\w{{0,2}}\W+gilt\s*:",
         "addresses an AI reading the document (German)", anchors=(DE_AI,)),
    rule("injection.addressed-to-ai", "medium",
         rf"\b{FR_NOTE}s?\W+(?:a|pour)\W+(?:l\W?|le\W+|la\W+|les\W+|toute\W+|tout\W+)?{FR_AI}s?{_AI_END}"
         rf"|\bsi\W+(?:tu\W+es|vous\W+etes)\W+(?:une?\W+)?{FR_AI}"
         rf"|\ben\W+tant\W+qu\W?(?:une?\W+)?{FR_AI}\W+(?:\w+\W+){{0,3}}?(?:tu\W+dois|vous\W+devez)"
         rf"|\b(?:chere|cher|bonjour|attention)\W+{FR_AI}\b"
         rf"|\bsi\W+(?:ce|cette|le|la)\W+\w+\W+est\W+(?:lue?|traitee?|analysee?|evaluee?)\W+par\W+"
         rf"(?:une?\W+|l\W?)?(?:\w+\W+){{0,2}}?{FR_AI}\b",
         "addresses an AI reading the document (French)", anchors=(FR_AI,)),
    rule("injection.addressed-to-ai", "medium",
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
    rule("role-markup.special-token", "high", r"<\|\s*[a-z][a-z0-9_]{1,30}\s*\|>",
         "contains a chat-template control token", category="role-markup"),
    rule("role-markup.special-token", "high",
         r"\[/?inst\]|<</?sys>>|\[/?system_prompt\]|<start_of_turn>|<end_of_turn>|\[available_tools\]|"
         r"</s>\s*<s>|<s>\s*\[inst\]",
         "contains a chat-template control token", category="role-markup"),
    rule("role-markup.role-tag", "high",
         r"</?(?:system|system[_-]prompt|system[_-]message|sys|assistant|human|instructions?|developer)"
         r"(?:\s[^<>\n]{0,200})?\s*>",
         "contains a chat role tag", category="role-markup"),
    rule("role-markup.role-heading", "medium",
         r"^\s*#{1,6}\s*(?:system|instruction|instructions|assistant|human)\s*(?:prompt|message)?\s*:",
         "imitates a prompt-format role heading", anchors=(ROLE_NAME,), category="role-markup"),
    rule("role-markup.role-heading", "medium",
         r"^\s*(?:system|instruction|instructions|assistant|human)\s*(?:prompt|message)?\s*:\s*$",
         "imitates a prompt-format role heading", anchors=(ROLE_NAME,), category="role-markup", headings_only=True),
    rule("role-markup.role-turn", "medium",
         r"^[ \t>]*(?:[*_]*|\[)(?:system|assistant|human|user|developer|ai|admin)\s*(?:prompt|message)?"
         rf"(?:[*_]*\s*:|\]\s*:?)[*_]*[ \t]*(?=\W*{_TURN_ORDER})",
         "imitates a chat turn carrying an order", anchors=(ROLE_NAME,), category="role-markup"),
    rule("role-markup.role-json", "medium", r"[\"']role[\"']\s*:\s*[\"'](?:system|developer)[\"']",
         "contains a chat message with a system role", anchors=(alt("role"),), category="role-markup"),
)

EXFIL_RULES: tuple[PhraseRule, ...] = (
    rule("exfiltration.data-to-url", "high", rf"\b{EXFIL_VERB}\b(?!\s*/)",  # not an HTTP method: "POST /files"
         "tells the reader to put conversation or secret data into a URL", anchors=(EXFIL_VERB, DATA_NOUN, URL_WORDS),
         gate="directive", needs=(compile_(rf"\b{DATA_NOUN}\b"), URL_WORD), negatable=True, category="exfiltration"),
    rule("exfiltration.render-image", "medium", rf"\b{RENDER_VERB}\W+(?:\w+\W+){{0,3}}?{IMAGE_NOUN}\b",
         "tells the reader to render an image from a URL", anchors=(RENDER_VERB, IMAGE_NOUN), gate="directive",
         needs=compile_(r"https?://"), category="exfiltration"),
)
