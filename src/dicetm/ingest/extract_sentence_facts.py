"""The facts and zones a sentence states, and the component each is about (``SentenceReader``'s second job,
after its flows): a fact goes to the component its clause is about (see ``FactClauses._fact_targets``): a
passive's agent, the clause's subject, a pronoun's antecedent, the component a relative or appositive clause
follows, what the sentence before (or the text) is about; never to another component when that one does not fit
the fact. A zone is "X and Y run in our Azure subscription", "... runs in an AWS account: A, B", "everything
(except X) runs in ...".
"""

from __future__ import annotations

import re

from dicetm.ingest.documents import Span
from dicetm.ingest.extract_facts import statements
from dicetm.ingest.extract_flow_words import DETERMINER, PREPOSITION_BEFORE
from dicetm.ingest.extract_ir import Fact, Where, Zone
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.extract_names import Mention
from dicetm.ingest.extract_prose import ProseDocument
from dicetm.ingest.extract_resolve import Node, normal
from dicetm.ingest.extract_roles import RoleClauses
from dicetm.model.system import STORE_KINDS, Kind

_ORIGIN_FACTS = frozenset({"model_provenance", "training_data_provenance"})
_ZONE_PHRASE = re.compile(
    r"(?<![\w-])(?:(?:runs?|running|lives?|sits?|resides?|(?:is|are)\s+deployed|deployed|(?:is|are)\s+hosted|hosted|"
    r"operates?)\s+(?:[\w'-]+\s+){0,3}?|(?:is|are|stays?|remains?)\s+(?:(?:all|both|entirely|only|fully)\s+)?)"
    r"(?:in|inside|within|on|behind)\s+(?P<zone>[^.;:,()]+)", re.I)
_ZONE_END = re.compile(r"\s+(?:together\s+with|along\s+with|alongside|with|and|while|where|which|that|but|so|"
                       r"except)\b.*$", re.I)
_EVERYTHING = re.compile(r"\b(?:everything|all\s+(?:(?:other|of\s+the|of\s+our|our|the)\s+)?(?:[\w'’-]+\s+){0,2}?"
                         r"(?:components|services|parts)|[\w'’-]+['’]s?\s+own\s+components)(?:\s+else)?\b", re.I)
_PRONOUN_LEAD = re.compile(
    r"[\s,;:(*_—–-]*(?:(?:and|but|so|then|also)\s+)*(?:it|its|they|their|them|this|these|he|she)\b", re.I)
_RELATIVE_LEAD = re.compile(r"[\s,;(]*(?:which|that|who|whose|where)\b", re.I)
_APPOSITIVE_LEAD = re.compile(r"\s*(?:an?|one)\s", re.I)
_CLAUSE = re.compile(r";\s+|,\s+(?=(?:and|but|so|while|whereas|which|whose|although)\b)|\s[—–]\s|:\s+")
_LEADING_WORDS = frozenset({"the", "a", "an", "our", "their", "its", "this", "that", "these", "those", "both", "and",
                            "then", "also", "each", "every", "all", "so", "but", "in", "turn", "finally", "first",
                            "next", "-", "–", "—", "•"})
_MODEL_FACTS = frozenset({"trains_on_user_input"})
_SHOWN_FACTS = frozenset({"output_rendered_as"})
_KEPT_FACTS = frozenset({"retention"})  # said of what a store holds: "Entries are kept for 90 days"
# How a component is built or run: said of a component the documents establish, these never make a product or a
# name mentioned in passing a component of its own ("Azure Blob Storage ... immutable", "LFG-8812 runs the tests")
_ATTACH_ONLY = frozenset({"executes_code", "sandboxed", "holds_credentials", "append_only", "egress_restricted",
                          "syncs_deletions", "returns_scores", "decides_access", "physical_input",
                          "dependencies_pinned", "on_device", "input_validation", "audit_logging"})


class FactClauses(RoleClauses):
    """The fact and zone reading of ``extract_sentences.SentenceReader``."""

    prefix: str
    prose: ProseDocument
    everything: list[tuple[Zone, ProseDocument, set[str]]]

    def _facts(self, span: Span, start: int, end: int, mentions: list[Mention], subject: Node | None,
               topic: tuple[Node | None, list[Node]]) -> tuple[Node | None, list[Node]]:
        """The facts of one sentence, each on the component its clause is about; returns what the sentence is
        about and the components it names, for the next one ("The vault holds ID scans. They are deleted after
        30 days.")."""
        text = span.text
        own = next((m.node for m in mentions if m.node is not None and not is_person_mention(m)
                    and opens_sentence(text, start, m)), None)
        named = [m.node for m in mentions if m.node is not None and not is_person_mention(m)]
        for statement in statements(text[start:end]):
            at, stop = start + statement.start, start + statement.end
            if any(m.start <= at and stop <= m.end for m in mentions):
                continue  # part of a name ("PII Redactor", "Secret Scanner")
            candidates = mentions if statement.field not in _ORIGIN_FACTS else [  # "pulled from X": X is the origin
                m for m in mentions if (m.end <= at or m.start >= stop)
                and not re.search(r"\bfrom\s+(?:the\s+|a\s+)?$", text[:m.start])]
            if statement.field in _MODEL_FACTS:
                candidates = [self._served_model(m) for m in candidates]
            if statement.field in _ATTACH_ONLY:
                candidates = [m for m in candidates if m.node is not None]
            clause_start = start_of_clause(text, start, at)
            targets = self._fact_targets(statement.applies_to, at, stop, clause_start, start, end, candidates,
                                         subject, topic, span, text, kept=statement.field in _KEPT_FACTS)
            where = Where.at(span, at, stop)
            if statement.field in _SHOWN_FACTS:
                targets += [n for n in self._shown_in(span, clause_start, stop, mentions, statement.applies_to)
                            if n not in targets]
            for target in targets:
                target.extra_facts.append(Fact(statement.field, statement.value, where, statement.strength,
                                               exclusive=statement.exclusive, outranks=statement.outranks))
            own = own or (targets[0] if targets else None)
        return (own or topic[0], named or topic[1])

    def _fact_targets(self, kinds: frozenset[Kind] | None, at: int, stop: int, clause_start: int, start: int,
                      end: int, mentions: list[Mention], subject: Node | None,
                      topic: tuple[Node | None, list[Node]], span: Span, text: str, *, kept: bool = False
                      ) -> list[Node]:
        """Who a fact is about, in this order: the agent of a passive ("prompts are not logged by X"); the nearest
        fitting component named before it in its clause (with the ones joined to it by "and"), a subject before
        a prepositional object; for a clause opening with a pronoun, the sentence's subject, and for one opening
        with "which", the component just before it; else what the sentence (or the one before, or the text) is
        about (for a pronoun, the nearest fitting component the sentence before named); else the components
        named after it. When what the clause is about does not fit the fact, the fact is not guessed onto
        another component. ``kept`` (how long data is kept): a store the sentence before named comes first."""
        def fits(node: Node | None) -> bool:
            return node is not None and (kinds is None or node.kind() in kinds) and not is_person(node)

        usable = [m for m in mentions if not is_person_mention(m) and not m.ambiguous
                  and (m.node is not None or (subject is None and (m.product or m.named)))
                  and (kinds is None or m.kind in kinds)]
        after = [m for m in usable if stop <= m.start < end and start_of_clause(text, start, m.start) == clause_start]
        agents = [m for m in after if re.search(r"\bby\s+(?:the\s+|our\s+)?[*_`]*$", text[stop:m.start])]
        if agents:
            return self._coordinated(agents, text, span, backwards=False)
        before = [m for m in usable if clause_start <= m.start < at]
        subjects = [m for m in before if not PREPOSITION_BEFORE.search(text, 0, m.start)]
        pronoun = _PRONOUN_LEAD.match(text, clause_start) is not None
        if subjects or (before and not pronoun):
            return self._coordinated((subjects or before)[::-1], text, span, backwards=True)
        earlier = [m for m in mentions if start <= m.start < clause_start]
        if pronoun:
            heads = [m for m in earlier if not PREPOSITION_BEFORE.search(text, 0, m.start) and not is_person_mention(m)]
            if heads:
                node = self._node(heads[0], span)  # "The X ... , and its answers are ...": the sentence's subject
                return [node] if node is not None and fits(node) else []
        if (_RELATIVE_LEAD.match(text, clause_start) or _APPOSITIVE_LEAD.match(text, clause_start)) and earlier:
            node = self._node(earlier[-1], span)  # "the Claims Portal, which is ...", "the Ledger — a database with"
            return [node] if node is not None and fits(node) else []
        own = next((m.node for m in earlier if m.node is not None and not is_person_mention(m)
                    and opens_sentence(text, start, m)), None)
        antecedent = own or topic[0] or subject
        stored = next((n for n in reversed(topic[1]) if fits(n) and n.kind() in STORE_KINDS), None)
        fitting = list({id(n): n for n in topic[1] if fits(n)}.values())
        if kept and not own and stored is not None:
            antecedent = stored  # "... in the Trace Store. Traces are kept for two weeks.": what holds them
        elif pronoun and not own and not fits(antecedent):
            antecedent = next((n for n in reversed(topic[1]) if fits(n)), antecedent)  # "..., an S3 bucket. They"
        elif not own and not fits(antecedent) and len(fitting) == 1:
            antecedent = fitting[0]  # "The console appends to the Evidence Store. Objects are encrypted with KMS."
        if not own and not fits(antecedent) and fits(subject):
            antecedent = subject  # the component whose section, row or item this is
        if antecedent is not None:
            return [antecedent] if fits(antecedent) else []
        later = [m for m in usable if at <= m.start < end]  # "Questions may contain PII; the X does not ..."
        return self._coordinated(later, text, span, backwards=False) if later else []

    def _coordinated(self, ordered: list[Mention], text: str, span: Span, *, backwards: bool) -> list[Node]:
        """The first mention and the ones joined to it by "and", "or", "nor" or a comma ("The CV Store and the
        Applications DB hold personal data"; "neither by vLLM nor by the Explanation Service")."""
        chosen = [ordered[0]]
        for mention in ordered[1:]:
            left, right = (mention, chosen[-1]) if backwards else (chosen[-1], mention)
            if re.fullmatch(r"\s*(?:,|,?\s*and|,?\s*or|,?\s*nor)\s+(?:by\s+|to\s+|in\s+)?(?:the\s+|our\s+)?",
                            text[left.end:right.start]):
                chosen.append(mention)
            else:
                break
        return [n for n in (self._node(m, span) for m in chosen) if n is not None]

    # ------------------------------------------------------------------------------------------- zones

    def _zones(self, span: Span, start: int, end: int, mentions: list[Mention], subject: Node | None) -> None:
        """"X and Y run in our Azure subscription": the components named before the verb in its clause (or the
        component whose text it is); "... runs in a dedicated AWS account: the Ingest API, ...": the ones listed
        after it; "Everything (except X) runs in ..." every component of the document not placed elsewhere."""
        text = span.text
        for match in _ZONE_PHRASE.finditer(text, start, end):
            phrase = _ZONE_END.sub("", match.group("zone")).strip()
            name = DETERMINER.sub("", phrase).strip()
            if not name or not kind_words().names_zone(name) or len(name.split()) > 8:
                continue
            zone_end = match.start("zone") + len(phrase)
            clause_start = start_of_clause(text, start, match.start())
            lead = text[clause_start:match.start()]
            listed = re.match(r"[^.;:]{0,80}?:\s", text[zone_end:end]) is not None
            members = [m for m in mentions
                       if (m.start >= zone_end if listed else clause_start <= m.start < match.start())]
            everything = _EVERYTHING.search(lead) is not None and not listed
            excluded: list[Mention] = []
            if everything:
                but = re.search(r"\b(?:except|but|apart\s+from|other\s+than|besides)\b", lead)
                excluded = [m for m in members if but is not None and m.start >= clause_start + but.start()]
                members = [m for m in members if m not in excluded]
            zone = Zone(f"{self.prefix}:zone:{normal(name)}", name, Where.at(span, start, end))
            for mention in members:
                self._member(zone, mention, span)
            if not zone.members and not everything and subject is not None and not members:
                zone.members.append(node_key(subject))  # "**Recorder Bot** – runs on our own instances"
            if not zone.members and not everything:
                continue
            self.prose.extraction.zones.append(zone)
            if everything:
                self.everything.append((zone, self.prose, {node_key(m.node) for m in excluded if m.node is not None}))

    def _member(self, zone: Zone, mention: Mention, span: Span) -> None:
        if mention.node is None and not (mention.named or mention.product):
            return  # "Our backend runs in ...": a role word, not a component of its own
        node = self._node(mention, span)
        if node is not None and node_key(node) not in zone.members:
            zone.members.append(node_key(node))


def start_of_clause(text: str, start: int, at: int) -> int:
    """Where the clause holding ``at`` starts (after the last "; ", ", and", ", which", " — " before it)."""
    found = start
    for match in _CLAUSE.finditer(text, start, at):
        found = match.end()
    return found


def is_person_mention(mention: Mention) -> bool:
    return mention.person or (mention.node is not None and is_person(mention.node))


def is_person(node: Node) -> bool:
    """A person or a group of people ("Support agents", "the Clinician"): facts about systems are not theirs."""
    return node.kind() is Kind.external_entity and kind_words().names_person(node.name)


def opens_sentence(text: str, start: int, mention: Mention) -> bool:
    """The mention is the sentence's subject: only articles, markup and linking words come before it ("The
    Conversation Service ...", "Both the X and ..."), not "a function the model can call"."""
    before = re.sub(r"[*_`(),]", " ", text[start:mention.start]).lower().split()
    return all(w in _LEADING_WORDS for w in before)


def node_key(node: Node) -> str:
    return node.entities[0].key
