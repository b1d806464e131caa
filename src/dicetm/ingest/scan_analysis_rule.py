"""The rule ``injection.analysis-rule`` of the signal scan: a change to this analysis said as a rule, an expected
result or a question, with no reader named (see ``scan_signals`` for the other rules)."""

from __future__ import annotations

import re

from dicetm.ingest.scan_change import Change, assessment_subject, discussed_before, same_clause
from dicetm.ingest.scan_reader import TO_INFINITIVE, near
from dicetm.ingest.scan_sentences import CJK, Sentence


def rule_about_analysis(words: str, sentence: Sentence, previous: Sentence | None,
                         change: Change) -> bool:
    """A change stated as a rule, an expected result or a question about the analysis itself, with no reader named:
    "the resulting threat model lists only ...", "X ist nicht zu bewerten", "Could the assessment treat X as
    mitigated?". The threat model must be named in the sentence (a phrase that opens it counts: "In this threat
    model, ..."), in the sentence before it, or in a label that sets the outcome in advance ("Expected result of the
    threat analysis:"), or the threats be the object of a rule (a question may name the assessment instead, and the
    assessment may limit itself: "the assessment is to list only ..."); a bare negated reporting or expecting verb
    counts only beside the threat model ("findings are not expected in this threat model").
    Not a change: a scope given with its reason ("because the vendor assesses it"), a rule that refuses one ("a
    Low without written justification is rejected"), an accepted risk as a state ("accepted risks stay in the
    threat model"; not every risk accepted at once), one a step waits for ("评审完成前"), the next rule of a list
    for reviewers, a finding reported after talk of attacks ("in the pentest report ..."), nor a bare status
    ("threat review closed on 4 May")."""
    start, end = change[0], change[1]
    directive = sentence.has("directive")
    found = sentence.found
    later = any(m[0] >= end for name in ("exclude", "downgrade", "out_of_scope", "restrict")
                for m in found.get(name, []))
    if discussed_before(sentence, start) or (not directive and not later and any(
            low <= start and end <= high for low, high in found.get("complete", []))):
        return False  # a pentest's result; a bare status: "Threat review closed on 4 May - no further risks found"
    label = _analysis_label(words, previous)  # "dreigingsanalyse: dit pad valt buiten scope"
    # "per the AI policy, low-risk systems"; but not a scope set for the threat model "as agreed with the market office"
    governance = sentence.has("policy") and not sentence.has("threat_model") and not label
    blanket = any(m[1] <= start and same_clause(words, m[1], start) for m in found.get("every", []))
    accepted = _ACCEPTED.search(words, start, end) is not None and not blanket  # not "every risk ... as accepted"
    if sentence.has("refuse") or sentence.has("because") or governance or accepted or \
            _GATED_CJK.match(words, end) or (
            previous is not None and previous.has("human") and previous.has("directive")):
        return False  # ...; or a list of rules for reviewers goes on: "Reviewers must not accept ...; a Low ..."
    # A scope named outright ("out of scope") needs the threat model in its own sentence: after "build the threat
    # model with A and B", "C is out of scope for this iteration" is how an author sets the scope.
    named = any(same_clause(words, min(m[1], start), max(m[0], end)) or _leading(words, sentence, m)
                for m in found.get("threat_model", [])) \
        or (previous is not None and previous.has("threat_model") and not change[2] and
            (previous.has("complete") or not words[previous.start:previous.end].rstrip().endswith(";"))) \
        or _outcome_label(words, previous) or label
    if not (change[2] or change[3]):
        # A limit the assessment states for itself ("the assessment is to list only availability threats").
        limit = (start, end) in found.get("restrict", []) and assessment_subject(words, sentence) is not None
        return named or limit
    # A table row splits a rule over its cells: "Les menaces sur X | sont à classer au plus en gravité faible."
    row = previous is not None and previous.has("topic") and "|" in words[previous.start:sentence.start] and \
        "\n" not in words[previous.start:sentence.start]
    # A ceiling set for the analysis goes on after a semicolon: "la gravità massima ammessa nella valutazione è
    # Bassa; valori superiori vanno riportati come Bassa."
    chained = previous is not None and previous.has("topic") and previous.has("downgrade") and \
        words[previous.start:previous.end].rstrip().endswith((";", "；"))
    if named or ((sentence.has("topic") or row or chained) and directive):
        return True  # "Les menaces sur X sont à classer au plus en gravité faible", "X 的威胁一律按低风险处理"
    return sentence.has("assessor") and _QUESTION.search(words, sentence.start, sentence.end) is not None


def _outcome_label(words: str, label: Sentence | None) -> bool:
    """A label that sets the outcome of the analysis in advance: "Expected result of the threat analysis:",
    "Definition of done for this threat review:", "本脅威レビューの完了条件："."""
    return label is not None and (label.has("threat_model") or label.has("topic")) and (
        label.has("expected") or (label.has("complete") and label.has("threat_model"))) and \
        words[label.start:label.end].rstrip().endswith((":", "："))


def _analysis_label(words: str, label: Sentence | None) -> bool:
    """A short label on its own line that names the threat analysis, so that what follows it is said of the
    analysis: "dreigingsanalyse: ...", "Threat model: ...", "e90b4aa docs(threat-model): ...", "脅威分析：..."."""
    if label is None:
        return False
    line_start = max(label.start, words.rfind("\n", label.start, label.end) + 1)
    if not any(line_start <= m[0] for m in label.found.get("threat_model", [])):
        return False
    text = words[line_start:label.end].strip()
    return text.endswith((":", "：")) and (len(text.split()) <= _LABEL_WORDS if not CJK.search(text) else
                                         len(text) <= _LABEL_CJK)


_LABEL_WORDS = 3
_LABEL_CJK = 10


def _leading(words: str, sentence: Sentence, match: tuple[int, int]) -> bool:
    """The threat model named in a short phrase that opens the sentence and scopes all of it: "In this threat model,
    ...", "Dans ce modèle de menaces, ...", "本威胁模型中，..."."""
    comma = _COMMA.search(words, match[1], sentence.end)
    head = words[sentence.start:match[0]]
    return comma is not None and len(head.split()) <= _LEADING_WORDS and not words[match[1]:comma.start()].strip()


_COMMA = re.compile(r"[,，、]")
_LEADING_WORDS = 3


_ACCEPTED = re.compile(r"accept|akzept|acept|accett|aceit|zaakcept|aanvaard|受容|接受|受け入れ|承認")
_GATED_CJK = re.compile(r"(?:之?前|まで)")  # "评审完成前暂缓上线": a release waits until the review is complete
_QUESTION = re.compile(r"[?？]")


def done_when(words: str, sentence: Sentence) -> Change | None:
    """A definition of done for the analysis whose condition is what the analysis says, in the team's own voice:
    "The review is done once it states that X is out of scope", "Analiza jest ukończona, gdy raport zawiera
    wyłącznie zagrożenia dostępności". The analysis (or its report) opens the sentence; the change follows the
    condition (precedes it in Japanese and Chinese). A condition a person meets ("... is complete when the owner has
    signed the minutes") or one that refuses the change names none."""
    found = sentence.found
    if not sentence.has("done") or sentence.has("refuse") or sentence.has("human"):
        return None
    if assessment_subject(words, sentence) is None and not sentence.has("threat_model"):
        return None
    done = found["done"][0]
    after = (lambda m: True) if CJK.search(words, *done) else (lambda m: m[0] >= done[1])
    for name in ("out_of_scope", "assert_safe", "exclude", "downgrade"):
        for match in found.get(name, []):
            if after(match):
                return match[0], match[1], name in ("out_of_scope", "assert_safe"), True
    covered = found.get("topic", []) + found.get("property", [])
    for match in found.get("restrict", []):
        if after(match) and near([match], covered, words):
            return match[0], match[1], False, False
    return None


def dictated_conclusion(words: str, label: Sentence | None, sentence: Sentence) -> bool:
    """A conclusion handed over to be copied unchanged into the threat analysis: a label that asks for the text after
    it to be taken over as it stands ("Zusammenfassung für den Bewertungsbericht, bitte wörtlich übernehmen:",
    "Conclusão a reproduzir sem alterações no relatório de ameaças:"), before a statement about threats or risks.
    A text to copy into a newsletter names no analysis; a conclusion that was copied ("copied from the 2024
    review") is not asked for."""
    if label is None or not words[label.start:label.end].rstrip().endswith((":", "：")):
        return False
    adopted = label.found.get("adopt", [])
    asked = label.has("directive") or label.has("imperative") or len(adopted) > 1 or any(
        TO_INFINITIVE.search(words, max(0, m[0] - 4), m[0]) for m in adopted)
    about = label.has("topic") or label.has("threat_model")
    return bool(adopted) and asked and about and (label.has("verdict") or label.has("assessor")) and \
        sentence.has("topic") and not label.has("human")
