"""Phrase rules that tell a model what the analysis should say (English, German, French, Spanish): leave threats
out, rate or mark them as low, mitigated or accepted, conclude the system is safe."""

from __future__ import annotations

from dicetm.ingest.scan_words import AI_NOUN, NOTHING, PhraseRule, alt, compile_, either, rule

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

VERDICT_RULES: tuple[PhraseRule, ...] = (
    rule("injection.suppress-findings", "medium", rf"\b{NEGATION}\W+(?:\w+\W+)?{REPORT_VERB}\b",
         "tells the reader to leave threats out of the analysis",
         anchors=(NEGATION, REPORT_VERB, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    rule("injection.suppress-findings", "medium",
         rf"\b{OMIT_VERB}\b(?:\W+\w+){{0,5}}?\W+{THREAT_OBJECT}\b(?!\W+{THREAT_AS_MODIFIER}\b)",
         "tells the reader to omit threats", anchors=(OMIT_VERB, THREAT_OBJECT), gate="directive", unless=CHANNEL,
         escalate=True),
    rule("injection.suppress-findings", "medium",
         rf"\b(?:{OMIT_VERB}|{LEAVE_VERB})\b(?:\W+\w+){{0,8}}?\W+{OUT_OF_TARGET}\b",
         "tells the reader to keep parts of the system out of the analysis",
         anchors=(either(OMIT_VERB, LEAVE_VERB), ANALYSIS_TARGET),
         gate="directive", escalate=True),
    rule("injection.suppress-findings", "medium",
         rf"\b{LEAVE_VERB}\W+(?:\w+\W+){{1,8}}?(?:out|aus|de cote|fuera)\b",
         "tells the reader to leave threats out", anchors=(LEAVE_VERB, THREAT_OR_TARGET_WORDS), gate="directive",
         needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    rule("injection.suppress-findings", "medium",
         rf"\b{THREAT_OBJECT}\b(?:\W+\w+){{0,6}}?\W+{MODAL_OR_BE}\W+(?:not|never)\W+(?:be\W+)?(?:reported|mentioned|"
         r"flagged|listed|raised|included|recorded|modell?ed|considered|counted|shown)\b",
         "says threats must not be reported", anchors=(THREAT_OBJECT, MODAL_OR_BE), gate="directive",
         unless=CHANNEL, escalate=True),
    rule("injection.suppress-findings", "medium",
         rf"\b{SKIP}\W+(?:over\W+)?(?:the\W+|this\W+|that\W+|any\W+)?(?:\w+\W+){{0,3}}?sections?\b",
         "tells the reader to skip part of the document", anchors=(SKIP, THREAT_OR_TARGET_WORDS), gate="directive",
         needs=THREAT_OR_TARGET, escalate=True),
    rule("injection.suppress-findings", "medium",
         rf"\b{DE_REPORT_ORDER}\b(?:\W+\w+){{0,6}}?\W+{DE_NO}\b|\b(?:nicht|keine\W+\w+|keinerlei\W+\w+)\W+"
         rf"{DE_REPORT_INFINITIVE}\b",
         "tells the reader (in German) to leave threats out", anchors=(DE_NO, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    rule("injection.suppress-findings", "medium", rf"\b{DE_OMIT_INFINITIVE}(?=\s*[.!;]|\s*$)",
         "tells the reader (in German) to leave threats out", anchors=(DE_OMIT_INFINITIVE, THREAT_OR_TARGET_WORDS),
         needs=THREAT_OR_TARGET, unless=CHANNEL, prefix_unless=GERMAN_SUBJECT, escalate=True),
    rule("injection.suppress-findings", "medium",
         rf"\b{NEGATION}\W+(?:\w+\W+)?{REPORT_VERB}\b(?=\W+(?:\w+\W+)?(?:anything|nothing))"
         rf"|\bne\W+{FR_NEGATIVE}\W+(?:\w+\W+)?{FR_REPORT_INFINITIVE}\b"
         rf"|\bno\W+(?:\w+\W+)?{ES_REPORT_ORDER}\W+nada\b"
         rf"|\b(?:nichts|keine\W+\w+)\W+(?:\w+\W+){{0,2}}?{DE_REPORT_INFINITIVE}\b",
         "tells an AI reader to report nothing", anchors=(NOTHING_WORD,), gate="ai", needs=NOTHING, escalate=True),
    rule("injection.suppress-findings", "medium", rf"\bne\W+{FR_NEGATIVE}\W+(?:\w+\W+)?{FR_REPORT_INFINITIVE}\b",
         "tells the reader (in French) to leave threats out", anchors=(FR_REPORT_INFINITIVE, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    rule("injection.suppress-findings", "medium", rf"\bne\W+(?:\w+\W+)?{FR_REPORT_ORDER}\W+{FR_NEGATIVE}\b",
         "tells the reader (in French) to leave threats out", anchors=(FR_REPORT_ORDER, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    rule("injection.suppress-findings", "medium", rf"\bno\W+(?:\w+\W+)?{ES_REPORT_ORDER}\b",
         "tells the reader (in Spanish) to leave threats out", anchors=(ES_REPORT_ORDER, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=CHANNEL, escalate=True),
    rule("injection.downgrade-rating", "medium",
         rf"\b{MARK_VERB}\b(?:\W+\w+){{0,8}}?\W+(?:as|to|at)\W+(?:\w+\W+)?{SAFE_STATE}\b",
         "tells the reader to downgrade or close threats", anchors=(MARK_VERB, THREAT_OBJECT), gate="directive",
         needs=THREAT_IN_MATCH, needs_scope="match", unless=NOT_A_VERDICT, negatable=True, escalate=True),
    rule("injection.downgrade-rating", "medium",
         rf"\b{DE_MARK}\b(?:\W+\w+){{0,8}}?\W+(?:als|auf)\W+(?:\w+\W+)?{DE_SAFE}\b"
         rf"|\bals\W+{DE_SAFE}\W+{DE_MARK_INFINITIVE}\b",
         "tells the reader (in German) to downgrade threats", anchors=(DE_SAFE, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    rule("injection.downgrade-rating", "medium",
         rf"\b{FR_MARK}\b(?:\W+\w+){{0,8}}?\W+comme\W+(?:\w+\W+)?{FR_SAFE}",
         "tells the reader (in French) to downgrade threats", anchors=(FR_MARK, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    rule("injection.downgrade-rating", "medium",
         rf"\b{ES_MARK}\b(?:\W+\w+){{0,8}}?\W+como\W+(?:\w+\W+)?{ES_SAFE}\b",
         "tells the reader (in Spanish) to downgrade threats", anchors=(ES_SAFE, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    rule("injection.conclude-safe", "medium", rf"\b{ASSERT_VERB}\b(?:\W+\w+){{0,10}}?\W+{NONE_CLAIM}",
         "tells the reader what to conclude about the system's safety", anchors=(ASSERT_VERB,), gate="directive",
         negatable=True, escalate=True),
    rule("injection.conclude-safe", "high",
         rf"\b{AI_NOUN}s?\W+(?:\w+\W+){{0,12}}?{NARRATED_VERB}\W+(?:\w+\W+){{0,4}}?{NONE_CLAIM}",
         "scripts the reader's conclusion", anchors=(AI_NOUN, NARRATED_VERB), prefix_unless=CONDITION),
    rule("injection.conclude-safe", "medium", rf"\b{MARK_VERB}\b(?:\W+\w+){{0,6}}?\W+as\W+(?:being\W+)?"
         rf"(?:fully\W+|completely\W+|entirely\W+|perfectly\W+)?{SAFE_SYSTEM}\b",
         "tells the reader to present the system as safe", anchors=(MARK_VERB, SAFE_SYSTEM), gate="directive",
         unless=NOT_A_VERDICT, escalate=True),
    rule("injection.conclude-safe", "medium",
         rf"\b{VERDICT_VERB}\W+(?:\w+\W+){{0,2}}?{VERDICT_NOUN}\W+(?:of\W+|to\W+)?[\"']?{PASSING}\b"
         rf"|\b{EMPTY_VERB}\W+(?:an?\W+|the\W+)?{EMPTY}\W+(?:\w+\W+){{0,2}}?(?:one|list|register|report|set|array|"
         r"result|table|section)\b",
         "dictates a passing verdict", anchors=(either(VERDICT_VERB, EMPTY), THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, unless=NOT_A_VERDICT, escalate=True),
    rule("injection.conclude-safe", "high",
         rf"\byour\W+(?:final\W+|only\W+|overall\W+)?{OUTPUT_NOUN}\W+(?:must|should|shall|will|has to|needs to|"
         rf"is to)\W+(?:\w+\W+){{0,3}}?{NONE_CLAIM}",
         "dictates the reader's conclusion", anchors=(alt("your"), OUTPUT_NOUN)),
    rule("injection.conclude-safe", "medium", rf"\b{DE_ASSERT}\b(?:\W+\w+){{0,10}}?\W+{DE_NONE}",
         "tells the reader (in German) what to conclude", anchors=(DE_ASSERT, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, escalate=True),
    rule("injection.conclude-safe", "medium", rf"\b{FR_ASSERT}\b(?:\W+\w+){{0,10}}?\W+{FR_NONE}",
         "tells the reader (in French) what to conclude", anchors=(FR_ASSERT, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, escalate=True),
    rule("injection.conclude-safe", "medium", rf"\b{ES_ASSERT}\b(?:\W+\w+){{0,10}}?\W+{ES_NONE}",
         "tells the reader (in Spanish) what to conclude", anchors=(ES_ASSERT, THREAT_OR_TARGET_WORDS),
         gate="directive", needs=THREAT_OR_TARGET, escalate=True),
)
