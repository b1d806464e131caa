"""The phrase-rule engine: which rules can match a text (their anchor words), each match's conditions, and
whether a match sits in a passage that quotes or discusses an attack rather than making one."""

from __future__ import annotations

import functools
import re

from dicetm.ingest import scan_words as vocab
from dicetm.ingest.scan_lexicon import lexicon
from dicetm.ingest.scan_mention import BRACKETS, SPEAKER, inside_quotes, mentioned
from dicetm.ingest.scan_rules_address import ADDRESS_RULES, EXFIL_RULES, ROLE_MARKUP_RULES
from dicetm.ingest.scan_rules_override import OVERRIDE_RULES
from dicetm.ingest.scan_rules_verdict import VERDICT_RULES
from dicetm.ingest.scan_text import Hit, Text

INSTRUCTION_RULES = (*OVERRIDE_RULES, *VERDICT_RULES)
_RULE_GROUPS = {"address": ADDRESS_RULES,
                "content": (*INSTRUCTION_RULES, *ROLE_MARKUP_RULES, *EXFIL_RULES),
                "markup": ROLE_MARKUP_RULES}
_PHRASE_RULES = tuple(rule for rules in _RULE_GROUPS.values() for rule in rules)
_RULE_ANCHORS = {id(rule): frozenset(id(anchor) for anchor in rule.anchors) for rule in _PHRASE_RULES}
_ANCHOR_CLASSES = {id(anchor): anchor for rule in _PHRASE_RULES for anchor in rule.anchors}
_ALWAYS = frozenset(key for key, anchor in _ANCHOR_CLASSES.items() if anchor.always)
_LONGEST_PREFIX = max((len(stem) for anchor in _ANCHOR_CLASSES.values() for stem in anchor.prefixes), default=0)


def runnable(text: Text, group: str) -> tuple[vocab.PhraseRule, ...]:
    """The rules of a group whose anchor classes all occur in the text: only they can match."""
    if text.anchors is None:
        text.anchors = frozenset(_ALWAYS.union(*map(_token_anchors, text.tokens)))
    return _rules_with_anchors(group, text.anchors)


@functools.lru_cache(maxsize=1 << 12)
def _rules_with_anchors(group: str, present: frozenset[int]) -> tuple[vocab.PhraseRule, ...]:
    return tuple(rule for rule in _RULE_GROUPS[group] if _RULE_ANCHORS[id(rule)] <= present)


@functools.lru_cache(maxsize=1 << 16)
def _token_anchors(token: str) -> frozenset[int]:
    """The anchor classes one word belongs to: as a whole word (a plural "s" allowed) or by its first letters."""
    whole = {token, token[:-1]} if token.endswith("s") else {token}
    starts = {token[:length] for length in range(1, min(len(token), _LONGEST_PREFIX) + 1)}
    return frozenset(key for key, anchor in _ANCHOR_CLASSES.items()
                     if not anchor.exact.isdisjoint(whole) or not anchor.prefixes.isdisjoint(starts))


PhraseHit = tuple[int, int, vocab.PhraseRule, str]  # start, end (folded offsets), rule, severity


def make_hit(text: Text, start: int, end: int, category: str, severity: str, rule: str, message: str,
             quotable: bool, previous: str, heading: str = "", columns: str = "") -> Hit:
    """A match as a hit, at ``info`` when it is a quoted example in a passage about attacks or an attack string the
    text mentions (``scan_mention``) rather than uses; ``columns`` is the first row of a table row's table."""
    if quotable and severity != "info" and (quoted_discussion(text, start, end, previous, heading) or mentioned(
            text, start, end, rule, category, previous, columns)):
        severity = "info"
    return Hit(text.original_offset(start), text.original_offset(end), category, severity, rule, message)


def phrase_hits(text: Text, group: str, addressed: bool) -> list[PhraseHit]:
    """Each match of the group's rules whose conditions hold, with its severity."""
    words = text.words
    found: list[PhraseHit] = []
    dialogue: bool | None = None
    for rule in runnable(text, group):
        if rule.headings_only and text.span.kind != "heading":
            continue
        for match in rule.pattern.finditer(words):
            start, end = match.span()
            severity = _judge(rule, match, words, addressed)
            if severity is not None and rule.rule == "injection.addressed-to-ai" and text.span.hidden is None:
                dialogue = _is_dialogue(words) if dialogue is None else dialogue
                opens_line = not words[words.rfind("\n", 0, start) + 1:start].strip(" \t>*_-")
                if dialogue and opens_line:
                    severity = "info"  # "Assistant: I can't do that here": a speaker in a transcript
                elif opens_line and text.span.kind == "example" and _FIELD.match(words, start):
                    severity = "info"  # "model: a hosted GPT-4 model; no provider access": a field of an example
                elif opens_line and _DEFINITION.match(words, start):
                    severity = "info"  # "Assistant: the chatbot that answers tenants; ...": a glossary entry
            if severity is not None:
                found.append((start, end, rule, severity))
    return found


_FIELD = re.compile(r"[ \t>*_-]*[\w-]+:[ \t]")  # a one-word key opening a line of a data value
# A term and its definition, which opens with an article: "Assistant: the chatbot that ...", "Assistent: der Chatbot".
_DEFINITION = re.compile(r"[ \t>*_-]*[^\W\d_][\w -]{0,30}?[ \t*_]*:[ \t]+(?:the|an?|der|die|das|eine?|le|la|les|une?|"
                         r"el|los|las|il|lo|gli|de|het|een|os?|as?|uma?)[ \t]")


def _is_dialogue(words: str) -> bool:
    """A transcript: at least two lines that open with a speaker's label, and at least two different speakers."""
    speakers = [match.group(1).strip() for match in SPEAKER.finditer(words)]
    return len(speakers) >= 2 and len(set(speakers)) >= 2


def _judge(rule: vocab.PhraseRule, match: re.Match[str], words: str, addressed: bool) -> str | None:
    """The severity of one match, or None when its conditions do not hold."""
    start, end = match.span()
    sentence_start, sentence_end = _sentence(words, start, end)
    scope = _scope(words, rule.needs_scope, match, sentence_start, sentence_end)
    if any(needed.search(scope) is None for needed in rule.needs):
        return None
    unless_end = min(sentence_end, end + 40) if rule.unless_near else sentence_end
    if rule.unless is not None and rule.unless.search(words, start, unless_end):
        return None
    prefix = "" if rule.rule == "role-markup.role-turn" else words[sentence_start:start]
    if rule.negatable and vocab.NEGATED_BEFORE.search(prefix):
        return None
    if rule.prefix_unless is not None and rule.prefix_unless.search(prefix):
        return None
    if (rule.gate == "ai" and not addressed) or (rule.gate == "directive" and not addressed
                                                 and not _is_directive(prefix)):
        return None
    if rule.category == "instruction" and vocab.REPORTED.search(prefix):
        return "info"  # "attackers try to make the bot ignore ...": describes an attack
    if rule.category == "role-markup" and vocab.DISCUSSION.search(prefix):
        return "info"  # "the gateway strips tokens such as <|im_start|>": talks about the token
    return "high" if rule.escalate and addressed else rule.severity


def _scope(words: str, scope: str, match: re.Match[str], sentence_start: int, sentence_end: int) -> str:
    if scope == "match":
        return match.group(0)
    if scope == "near":
        return words[match.start():min(sentence_end, match.end() + 40)]
    if scope == "follow":  # the rest of the line, or the lines below when the match ends its line
        line_end = words.find("\n", match.end())
        rest = words[match.end():line_end if line_end >= 0 else len(words)]
        return rest if rest.strip() else words[match.end():match.end() + 200]
    return words[sentence_start:sentence_end]


# Sentence and clause edges; a "|" counts only between spaces, as between table cells (not in "<|im_start|>").
_BOUNDARY_BACK = re.compile(r"[.!?;:\"`(\[\]](?=\s|$)|[\"`:(\[]|\s\|(?=\s)|\n\s*\n|\n(?=\s*(?:[-*+>#]|\d+[.)])\s)")
_BOUNDARY_AHEAD = re.compile(r"[.!?;](?=\s|$)|\s\|(?=\s)|\n\s*\n|\n(?=\s*(?:[-*+>#]|\d+[.)])\s)")
_LIST_MARK = re.compile(r"^[\s\-*+>#|\d.)\[\]_~]*")


def _sentence(words: str, start: int, end: int) -> tuple[int, int]:
    low = max(0, start - 300)
    sentence_start = low
    for boundary in _BOUNDARY_BACK.finditer(words, low, start):
        sentence_start = boundary.end()
    ahead = _BOUNDARY_AHEAD.search(words, end, min(len(words), end + 300))
    return sentence_start, ahead.start() if ahead else min(len(words), end + 300)


def _is_directive(prefix: str) -> bool:
    """Whether the words before a phrase leave it an order.

    Yes when they are only lead-ins ("please", "you must", "the AI should"), when the sentence opens as an order
    ("You must ...", "Summarise ... and"), when a second-person modal comes right before, or when they are a
    subordinate clause followed by one of these ("When you write the report, ...").
    """
    text = _LIST_MARK.sub("", prefix).strip()
    if _order_words(text.strip(" ,*_")):
        return True
    head, comma, tail = text.rpartition(",")
    if comma and vocab.SUBORDINATOR.match(head.strip(" *_")) and len(head.split()) <= 14:
        return _order_words(tail.strip(" ,*_"))
    return False


def _order_words(text: str) -> bool:
    return bool(vocab.DIRECTIVE_PREFIX.fullmatch(text) or vocab.ORDER_OPENING.match(text)
                or vocab.MODAL_BEFORE.search(text))


def quoted_discussion(text: Text, start: int, end: int, previous: str, heading: str = "") -> bool:
    """A phrase quoted in a passage about attacks, examples or detection, in any language: inside quotes, a code
    block or an example value; in a table row or list item under a heading about them; or in a block that a
    lead-in about them introduces ("a tester placed the following paragraph in a test article:")."""
    words = text.words
    while start < end and words[start].isspace():
        start += 1
    if start < end and words[start] in "\"`'" and words.find(words[start], start + 1, end) < 0:
        start += 1  # the match begins with the quote mark that opens a quotation around it
    low, high = max(0, start - 240), min(len(words), end + 240)
    # A table row cut at a line break (a PDF cell) may open a quotation that the next row closes.
    quoted = inside_quotes(words, start, end) or (text.span.kind in _ROWS and words.count('"', 0, start) % 2 == 1)
    introduced = quoted and _introduced_as_example(words, start)
    if text.span.hidden is not None:
        # A collapsed section may quote attacks too, but hiding is also how they are planted: only a quotation
        # introduced as an example in a passage about attacks, or a table row under a heading about them, is one.
        return (introduced and (_discusses(words[low:high]) or _discusses(heading))) or (
            " | " in _line(words, start, end) and _discusses(heading))
    if introduced or _bracketed_example(words, start):
        return True  # 'sentences such as "ignore all rules"', 'une phrase comme « tu es désormais ... »'
    set_off = text.code or _set_off(text, previous)
    if set_off and not quoted and _COMMENT_LINE.match(_line(words, start, end)):
        return _discusses(_line(words, start, end))  # a comment in a config sample speaks for itself
    if set_off or quoted:
        return _discusses(words[low:high]) or _discusses(previous) or _discusses(heading)
    if text.span.kind in _ROWS and _discusses(heading):
        return not _row_about_analysis(_line(words, start, end))
    return previous.rstrip().endswith(":") and _discusses(previous[-300:])


_ROWS = frozenset({"table-row", "list-item"})


def _row_about_analysis(line: str) -> bool:
    """A table row whose first cell labels it as about this threat analysis ("Consigne d'analyse | ...",
    "Toelichting dreigingsanalyse | ...", "Estado de la revisión automática | ..."): what follows is a rule for the
    analysis, not a quoted test input."""
    if " | " not in line:
        return False
    label = line.split(" | ", 1)[0]
    found = lexicon().find
    return bool(found("threat_model", label)) or bool(
        found("assessor", label) and (found("instruction", label) or found("automated", label)))
_COMMENT_LINE = re.compile(r"[ \t]*(?:#|//|--|;|<!--)")


def _bracketed_example(words: str, start: int) -> bool:
    """The match is named in a parenthesis that opens with "e.g.", "z. B.", "par exemple": "(z. B. Anweisungen an
    die KI)"."""
    opening = words.rfind("(", max(0, start - 60), start)
    if opening < 0 or words.find(")", opening, start) >= 0:
        return False
    return any(found <= 1 for found, _ in lexicon().find("quote_intro", words[opening + 1:start]))


def _line(words: str, start: int, end: int) -> str:
    """The line of ``words`` that holds the match."""
    stop = words.find("\n", end)
    return words[words.rfind("\n", 0, start) + 1:stop if stop >= 0 else len(words)]


_INDENTED = re.compile(r"(?:(?: {4}|\t)[^\n]*\S[^\n]*(?:\n[ \t]*)*)+")
_LISTED_QUOTE = re.compile(r"[\"`」』]\s*(?:,|/|or|ou|oder|o|of|lub|albo|或|或者|または|、)?\s*$")
_OPENING = {'"': '"', "`": "`", **dict(BRACKETS)}  # folded text: every other quote mark is '"'


def _set_off(text: Text, previous: str) -> bool:
    """Plain text quoted as a block: every line indented, after a lead-in that ends in a colon."""
    return previous.rstrip().endswith(":") and text.span.kind in ("paragraph", "text") and \
        _INDENTED.fullmatch(text.original) is not None


def _introduced_as_example(words: str, start: int) -> bool:
    """The quotation around ``start`` comes right after "such as", "like", "the phrase" in any lexicon language, or
    right before "のような", "といった" (Japanese puts them after)."""
    opening = max(words.rfind(quote, max(0, start - 300), start + 1) for quote in _OPENING)
    if opening < 0:
        return False
    lead = words[max(0, opening - 40):opening]
    listed = _LISTED_QUOTE.search(lead)  # 'comme « A » ou « B »': B is introduced as A is
    if listed is not None:
        return _introduced_as_example(words, max(0, opening - 40) + listed.start() - 1)
    if any(not lead[end:].strip(" \t\n:,") for _, end in lexicon().find("quote_intro", lead)):
        return True
    closing = words.find(_OPENING[words[opening]], start)
    after = words[closing + 1:closing + 12] if closing >= 0 and not words.isascii() else ""
    return any(found <= 1 for found, _ in lexicon().find("quote_intro", after))


def _discusses(text: str) -> bool:
    """Whether the text talks about attacks or examples. The reserved host name in a link does not ("example.net"
    is not an example), nor do the analysis's own terms ("attack surface", "superficie di attacco")."""
    if not text:
        return False
    text = _RESERVED_HOST.sub(" ", text)
    found = [m.span() for m in vocab.DISCUSSION.finditer(text)] + lexicon().find("discussion", text)
    if not found:
        return False
    topics = lexicon().find("topic", text)
    return any(not any(low <= start and end <= high for low, high in topics) for start, end in found)


_RESERVED_HOST = re.compile(r"\bexample(?=\.[a-z]{2,}\b)|(?<=\.)example\b")  # a reserved host name: "api.example.net"
