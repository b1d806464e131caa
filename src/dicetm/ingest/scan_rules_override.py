"""Phrase rules that tell a model to drop its instructions or take another role (English, German, French,
Spanish): "ignore your previous instructions", "you are now ...", "new instructions:", "obey only this page"."""

from __future__ import annotations

from dicetm.ingest.scan_words import ORDER_CUE, PhraseRule, alt, compile_, either, near, rule

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


TASK_NOUN = alt("task", "analysis", "assessment", "review", "job", "work", "assignment", "aufgabe", "analyse", "tache",
         "tarea", "analisis")
STOP_VERB = alt("stop", "quit", "halt")
YOUR_NEW = alt("your", "deine", "ton", "ta", "votre", "tu", "su")
REAL_ADJECTIVE = alt(
    "new", "real", "true", "actual", "only", "updated", "neue", "eigentliche", "wahre", "nouveau", "nouvelle", "vrai",
    "vraie", "veritable", "nuevo", "nueva", "verdadero", "verdadera",
)
IDENTITY_NOUN = alt(
    "instructions?", "directives?", "anweisungen", "consignes?", "instrucciones",
)
# "Your real identity" is a person's in a privacy guide; said to an AI it is a new persona.
PERSONA_NOUN = alt(
    "persona", "identity", "objective", "purpose", "identitat", "identite", "identidad", "proposito", "objetivo",
    "objectif",
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

OVERRIDE_RULES: tuple[PhraseRule, ...] = (
    rule("injection.ignore-previous", "high",
         rf"\b{IGNORE_VERB}\b(?:\W+\w+){{0,5}}?\W+(?:{INSTRUCTION_NOUN}|{LOOSE_NOUN})\b",
         "tells the reader to disregard its earlier instructions", anchors=(IGNORE_VERB,),
         needs=SELF_QUALIFIER, needs_scope="near", unless=DEFENSIVE, unless_near=True, negatable=True),
    rule("injection.ignore-previous", "high", near(REPLACE_VERB, INSTRUCTION_NOUN, 4),
         "tells the reader to replace or cancel its instructions", anchors=(REPLACE_VERB, INSTRUCTION_NOUN),
         needs=SELF_QUALIFIER, needs_scope="near", unless=DEFENSIVE, unless_near=True, negatable=True),
    rule("injection.ignore-previous", "high",
         rf"\b(?:{REPLACE_VERB}|{IGNORE_VERB}|{STOP_VERB})\W+(?:\w+\W+){{0,2}}?{TASK_NOUN}s?\W+(?:that\W+|which\W+)?"
         r"(?:you\W+(?:were|have\W+been|got)\W+(?:asked|given|assigned|told)|you\W+were\W+asked\W+for)\b",
         "tells the reader to drop the task it was given", anchors=(TASK_NOUN,), negatable=True),
    rule("injection.forget-everything", "high",
         rf"\b{IGNORE_VERB}\W+(?:\w+\W+){{0,2}}?{EVERYTHING}\b(?:\W+\w+){{0,5}}?\W+{BEFORE}\b",
         "tells the reader to forget what it was told", anchors=(IGNORE_VERB, EVERYTHING), negatable=True),
    rule("injection.instructions-void", "high",
         rf"\b(?:{OWN_WORDS}\W+(?:\w+\W+){{0,2}}?{INSTRUCTION_NOUN}|{INSTRUCTION_NOUN}\W+(?:{OWN_WORDS}|"
         rf"(?:that\W+|which\W+)?{OWN_AFTER}))\b(?:\W+\w+){{0,4}}?\W+{INVALID}",
         "declares the reader's instructions void", anchors=(INSTRUCTION_NOUN, INVALID)),
    rule("injection.role-reassignment", "high", rf"\b{YOU_NOW}\b(?:\W+\w+){{0,4}}?\W+{ROLE_NOUN}\b",
         "tries to give the reader a new role", anchors=(YOU_NOW, ROLE_NOUN)),
    rule("injection.role-reassignment", "high", rf"\b{ACT_AS}\W+(?:\w+\W+){{0,4}}?{ROLE_NOUN}\b",
         "tells the reader to play a role", anchors=(ACT_AS, ROLE_NOUN), gate="directive"),
    rule("injection.role-reassignment", "high", rf"\b{YOUR_NEW}\W+{REAL_ADJECTIVE}\W+{IDENTITY_NOUN}\b",
         "tells the reader its real instructions are different", anchors=(REAL_ADJECTIVE, IDENTITY_NOUN)),
    rule("injection.role-reassignment", "high", rf"\b{YOUR_NEW}\W+{REAL_ADJECTIVE}\W+{PERSONA_NOUN}\b",
         "tells an AI its real identity is different", anchors=(REAL_ADJECTIVE, PERSONA_NOUN), gate="ai"),
    rule("injection.role-reassignment", "high", rf"\b{YOUR_NEW}\W+{NEW_ADJECTIVE}\W+{TASK_NAME}\b",
         "gives the reader a new task", anchors=(NEW_ADJECTIVE, TASK_NAME), gate="ai"),
    rule("injection.mode-switch", "high",
         rf"\b{SWITCH_VERB}\W+(?:the\W+|den\W+|le\W+|el\W+)?{UNRESTRICTED}\W*(?:mode|modus)\b|\b{ANYTHING_NOW}\b",
         "tells the reader to switch into an unrestricted mode", anchors=(either(UNRESTRICTED, ANYTHING_NOW),)),
    rule("injection.mode-switch", "high", rf"\b{SWITCH_VERB}\W+(?:the\W+)?{PRIVILEGED}\W*(?:mode|modus)\b",
         "tells the model to switch into a privileged mode", anchors=(SWITCH_VERB, PRIVILEGED), gate="ai"),
    rule("injection.new-instructions", "high",
         rf"\b{REPLACEMENT_ADJECTIVE}\W+(?:\w+\W+)?(?:system\W+)?{INSTRUCTION_NOUN}\s*(?::(?!\s*(?:https?://|www\.|"
         r"\[|<|`))|\b(?:follow|apply|take precedence|supersede|override|replace|are as follows|begin|start|"
         r"below)\b)",
         "introduces replacement instructions", anchors=(REPLACEMENT_ADJECTIVE, INSTRUCTION_NOUN), needs=ORDER_CUE,
         needs_scope="follow"),
    rule("injection.new-instructions", "high",
         rf"\b{BOUNDARY_WORD}\W+(?:of\W+)?(?:the\W+)?(?:new\W+|real\W+|hidden\W+)?(?:system\W+prompt|"
         r"system\W+message|system\W+instructions?|instructions\W+for\W+the\W+(?:ai|model|assistant|llm))\b"
         r"|\bsystem\W+(?:prompt|message|instructions?)\W+(?:override|update|change|reset|patch)\s*:",
         "starts a fake system prompt", anchors=(either(SYSTEM_WORD, INSTRUCTION_NOUN),)),
    rule("injection.new-instructions", "high",
         rf"\b{THIS_TEXT}\W+{TEXT_NOUN}\W+{OVERRIDE_VERB}\W+(?:\w+\W+){{0,3}}?{INSTRUCTION_NOUN}\b",
         "claims to override the reader's instructions", anchors=(OVERRIDE_VERB, INSTRUCTION_NOUN)),
    rule("injection.new-instructions", "high",
         rf"\b{OVERRIDE_VERB}\W+(?:the\W+|your\W+|any\W+|all\W+|den\W+|le\W+|el\W+)?(?:system\W+prompt|"
         r"system\W+message|systemprompt|prompt\W+systeme|prompt\W+del\W+sistema|(?:your|prior|previous|original)"
         rf"\W+{INSTRUCTION_NOUN})\b",
         "claims to override the reader's system prompt", anchors=(OVERRIDE_VERB,), negatable=True),
    rule("injection.obey-document", "high",
         rf"\b{OBEY_VERB}\W+only\W+(?:\w+\W+){{0,3}}?(?:this|these)\W+{DOCUMENT_NOUN}\b"
         rf"|\bonly\W+{OBEY_VERB}\W+(?:\w+\W+){{0,3}}?(?:this|these)\W+{DOCUMENT_NOUN}\b",
         "tells the reader to obey only this document", anchors=(OBEY_VERB, DOCUMENT_NOUN), gate="directive"),
)
