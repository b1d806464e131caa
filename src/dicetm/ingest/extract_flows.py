"""Flows in prose: clause by clause around a verb, in the ways people write them (see ``extract_sentences``).

A mixin of ``SentenceReader``: it reads a clause's mentions into relations and leaves the components, the
extraction and the notes to the reader (``_node``, ``_relation``, ``_unresolved``).

- active: "X sends/forwards/writes/returns <data> to Y", "X calls/queries/invokes/uses Y" (a query or a search
  goes both ways), "X reads/fetches/retrieves <data> from Y" and "X reads Y" (data comes from Y);
- passive: "<data> is sent to Y by X", "<data> is pulled from Y by X", "Y is called by X", "Y is fed by X";
- motion: "data flows from X to Y", "requests from X go to Y";
- chained: "X reads from Y and writes to Z" (the subject carries over), "..., which passes it to Z" (the last
  target is the subject), "it"/"they" (the last subject); a clause without a subject under a component's
  heading or in its description is that component's; an unknown subject ("The Reply Drafter loads ...") is
  not guessed;
- arrows: "X -> Y: data", "X → Y → Z", "X <-> Y"; rows of a flow table.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass
from itertools import pairwise

from dicetm.ingest.documents import Span
from dicetm.ingest.extract_clauses import (
    call_data,
    channel,
    clause_starts,
    coordinated,
    data_words,
    inside_mention,
    line_bounds,
    short_gap,
)
from dicetm.ingest.extract_flow_marked import MarkedClauses
from dicetm.ingest.extract_flow_words import (
    ARRIVAL_DIRECT,
    ARROW,
    ARTIFACT,
    BOTH_WAYS,
    ENGLISH,
    MOTION_FROM,
    NAMED_BEFORE,
    PASSIVE_BUILD,
    PASSIVE_CHECK,
    PEOPLE_PLACE,
    PEOPLE_VERB,
    PERSON_LEAD,
    PRONOUN_OBJECT,
    RELATIVE,
    TO,
    TRAILING_PRONOUN,
    FlowWords,
)
from dicetm.ingest.extract_ir import Where
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.extract_mentions import find_mentions
from dicetm.ingest.extract_names import Mention
from dicetm.ingest.extract_prose import FlowRow
from dicetm.ingest.extract_resolve import Node, Registry
from dicetm.model.system import Kind

_OWNER = re.compile(r"['’]s?\s+\w")  # a possessive: the name qualifies the noun after it
_TAKING = re.compile(r"(?:takes?|gets?|receives?|obtains?|consumes?)", re.I)  # "take them into account"


@dataclass
class FlowContext:
    """What the previous clauses of a paragraph or list said: their subject and their target."""

    subject: Node | None = None
    target: Node | None = None
    topic: Node | None = None  # what the sentence before was about: "it" in "The X queries it"
    source: Node | None = None  # who sent to the last target: where "which returns a draft" goes back to
    holder: Node | None = None  # where a passive clause left the data: "... checked by X. Drafts that pass are saved"
    pending: Mention | None = None  # a subject not drafted yet ("Lawyers sign in ... and type ...")
    relative: Node | None = None  # the subject of the relative clause just read ("X, which stores ...")
    people: Mention | None = None  # the people a sentence opened with: who "they" are next


class FlowClauses(MarkedClauses):
    """The flow-reading half of ``SentenceReader``, which drafts the nodes and relations it finds."""

    registry: Registry
    words: FlowWords  # the flow words of the document's language (``extract_flow_words``)

    @abstractmethod
    def _unresolved(self, where: Where, why: str) -> None:
        """Report a sentence that reads like a flow but could not be resolved."""

    def _data(self, text: str) -> str | None:
        return data_words(text, self.words.small)

    def _flows(self, span: Span, start: int, end: int, mentions: list[Mention], subject: Node | None,
               context: FlowContext) -> None:
        text = span.text
        opening = mentions[0] if mentions and len(text[start:mentions[0].start].split()) <= 1 else None
        if opening is not None:  # "Panel reviewers are external academics. They use ...": who "they" are
            context.people = opening if names_people(opening) else None
        if self._motion(span, start, end, mentions, context):
            return
        verbs = [v for v in self.words.verb.finditer(text, start, end) if not inside_mention(v.start(), mentions)
                 and (not v.group(0)[:1].isupper() or subject is not None)]
        passives = [p for p in self.words.passive.finditer(text, start, end)
                    if not inside_mention(p.start(), mentions)]
        # a verb form right before a passive is its subject noun: "De logs worden ... gestuurd", "the logs are sent"
        verbs = [v for v in verbs if not any(p.start() >= v.end() and not text[v.end():p.start()].strip()
                                             for p in passives)]
        events = sorted([(v.start(), "active", v) for v in verbs if not any(p.start() <= v.start() < _reach(p)
                                                                            for p in passives)]
                        + [(p.start(), "passive", p) for p in passives], key=lambda e: e[0])
        events = clause_starts(events, text, mentions, self.words.clause_start)
        if events and self.words.postposition is not None:
            self._marked(span, events, start, end, mentions, subject, context)
            return
        if not events:
            if mentions and mentions[0].start - start < 6 and mentions[0].node is not None:
                context.subject = mentions[0].node
            return
        previous_end, previous_target = start, None
        for index, (position, form, match) in enumerate(events):
            segment_end = events[index + 1][0] if index + 1 < len(events) else end
            lead_start = max(previous_end, previous_target.end if previous_target is not None else start)
            before = [m for m in mentions if lead_start <= m.start < position]
            after = [m for m in mentions if match.end() <= m.start < segment_end]
            lead = text[lead_start:position]
            between = self.words.negated_between
            if self.words.negated.search(lead) or (between is not None and between.search(
                    text, match.end(), after[0].start if after else segment_end)):
                previous_target, previous_end = None, match.end()  # "does not send prompts to Datadog"
                continue
            if form == "passive":
                previous_target = self._passive(span, match, before, after, subject, context, text, start, end)
            else:
                previous_target = self._active(span, match, before, after, lead, subject, context, text, start,
                                               end)
            previous_end = match.end()

    def _motion(self, span: Span, start: int, end: int, mentions: list[Mention], context: FlowContext) -> bool:
        """"Data flows from X to Y", "Messages travel over TLS from X to Y", "Requests from X go to Y", "Chat
        messages from X reach Y": from one component to another; "The reply goes back to Y": from the component
        the text is about."""
        text = span.text
        for motion in self.words.motion.finditer(text, start, end):
            reach = motion.group(0).lower().startswith(("reach", "arriv"))
            origin = MOTION_FROM.match(text, motion.end(), end)
            earlier = [m for m in mentions if start <= m.start < motion.start()]
            if origin is not None:  # "flows from X to Y"
                origin_end = origin.end()
            else:  # "<data> from X go to Y"
                source = next((m for m in reversed(earlier)
                               if self.words.direct_object.fullmatch(text[m.end:motion.start()])), None)
                lead = text[start:source.start] if source is not None else ""
                if source is None or not re.search(r"\bfrom\s+(?:(?:the|a|an|our)\s+)?$", lead, re.I):
                    if not earlier and context.subject is not None and not reach:
                        self._carried(span, start, end, motion, mentions, context)
                    continue
                origin_end = source.start
            source = next((m for m in mentions if m.start >= origin_end and self.words.direct_object.fullmatch(
                text[origin_end:m.start])), None)
            after = max(motion.end(), source.end if source else motion.end())
            named_first = source is not None and source.end > motion.end()  # "reach from X to Y" / "from X reach Y"
            arrival = self.words.arrival.search(text, after, end) if not reach or named_first else \
                ARRIVAL_DIRECT.match(text, motion.end(), end)
            target = next((m for m in mentions if arrival is not None and m.start >= arrival.end()
                           and self.words.direct_object.fullmatch(text[arrival.end():m.start])), None)
            if source is None or target is None:
                continue
            data = self._data(text[start:min(motion.start(), source.start)])
            data = re.sub(r"\s+from$", "", data or "") or None
            self._relation(self._node(source, span), self._node(target, span), Where.at(span, start, end), data,
                           text[start:end])
            return True
        return False

    def _carried(self, span: Span, start: int, end: int, motion: re.Match[str], mentions: list[Mention],
                 context: FlowContext) -> None:
        """"The reply goes back to the RFG": data with no sender named moves from the component the text is
        about (the subject of the sentences before) to the one it goes to."""
        text = span.text
        arrival = self.words.arrival_next.match(text, motion.end(), end)
        target = next((m for m in mentions if arrival is not None and m.start >= arrival.end()
                       and self.words.direct_object.fullmatch(text[arrival.end():m.start])), None)
        if target is None:
            return
        node = self._node(target, span)
        if node is None or node is context.subject:
            return
        self._relation(context.subject, node, Where.at(span, start, end), self._data(text[start:motion.start()]),
                       text[start:end])
        context.source, context.target = context.subject, node

    def _subject(self, before: list[Mention], lead: str, subject: Node | None, context: FlowContext,
                 text: str) -> Mention | Node | None:
        relative = RELATIVE.search(lead)
        if relative is not None:  # "X, which ...": X; "X is a small service that ...", "X, a service that": X
            if not relative.group("described"):
                antecedent = lead[:relative.start()].rstrip(" *_`)]")
                if before and antecedent.endswith(before[-1].words) and context.target is None:
                    return before[-1]  # "Alerts come from the Alerting Service, which watches ...": that service
                return context.target
            if before:
                return before[-1]
            # "X, a service that ...": X, just named; "A nightly job that ..." in X's own text: X
            return context.target if lead[:relative.start()].strip() or relative.group(0).lstrip()[:1] == "," \
                else subject or context.subject
        # the subject is the last component named before the verb that is not the object of a preposition
        # ("Lawyers sign in through Okta and type ...": Lawyers types)
        before = [m for m in before if not m.ambiguous]  # "Lambda polls ...": a role word says nothing of who
        subjects = [m for m in before if not self.words.preposition_before.search(text, 0, m.start)]
        if subjects:
            return subjects[-1]
        if re.search(r"(?:^|\W)(?:and|or|then|but)\s+(?:\w+ly\s+|then\s+|also\s+)?$", lead, re.I):
            # "runs the pipeline and sends ...", "Lawyers sign in through Okta and type ...": the same subject;
            # "X, which stores it and also publishes it": X
            return context.relative or context.pending or context.subject or subject
        if before and not re.search(r"\b(?:the|a|an|our|their|each|every)\s+[A-Za-z]", lead, re.I):
            return before[-1]
        named = NAMED_BEFORE.search(lead)
        if named is not None and kind_words().hits(named.group(0)):
            named = None  # "**Quote Ingestor** Lambda polls ...": what the component is built with
        if (re.search(r"\b(?:the|a|an|our|their|each|every)\s+[A-Za-z][\w-]*\s+(?:\w+\s+)?$", lead, re.I)
                or named) and not TRAILING_PRONOUN.search(lead):
            return None  # "The Reply Drafter loads ...", "Teams delivers ...": a subject the extractor does not know
        if context.people is not None and re.match(r"\s*they\s+(?:\w+ly\s+|also\s+)?$", lead, re.I):
            return context.people  # "Panel reviewers are external academics. They use the Review Portal"
        if subject is not None and TRAILING_PRONOUN.search(lead):
            return subject  # "It reads ..." in a component's own text: that component
        return context.subject or subject  # "it", "and then", or a clause about the component being described

    def _active(self, span: Span, verb: re.Match[str], before: list[Mention], after: list[Mention], lead: str,
                subject: Node | None, context: FlowContext, text: str, start: int, end: int) -> Mention | None:
        found = self._subject(before, lead, subject, context, text)
        which = RELATIVE.search(lead)  # "..., which passes it on": not the paragraph's subject
        relative = which is not None and not which.group("described")
        context.relative = found if relative and isinstance(found, Node) else None
        group = "use" if verb.group("use") else "send" if verb.group("send") else "call" if verb.group("call") \
            else "fetch"
        words = verb.group(0)
        if group == "fetch" and after and not _TAKING.fullmatch(words) and \
                self._carried_to(text[verb.end():after[0].start]):
            group = "send"  # "loads the rows into the warehouse", "lädt die Fotos an die API hoch": it goes there
        if group == "use" and found is None:
            found = self._person(lead, verb, span)  # "A fee earner opens the Lexicon Web App": a person
        people_only = group == "use" and bool(PEOPLE_VERB.match(words))
        if people_only and not names_people(found):
            return None  # "the Checker reviews the draft": what a component does here is not using an app
        targets = self._targets(group, verb, after, text) or self._fronted(group, before, found, text)
        if group == "use":  # people using a product nothing else needs ("chats in #ops on Slack") is not a flow
            targets = [m for m in channel(verb, targets, after, text)
                       if m.node is not None or not (m.product or m.passing or people_only)]
        if people_only:  # "approves it in the Console"; not "confirms the order before the Connector sends it"
            targets = [m for m in targets if PEOPLE_PLACE.fullmatch(text[verb.end():m.start])
                       or self.words.direct_object.fullmatch(text[verb.end():m.start])]
        if group != "send":
            targets = [m for m in targets if not m.person]  # people are not called or read from
        where = Where.at(span, start, end)
        known = found if isinstance(found, Node) else found.node if found is not None else None
        if not relative:
            context.subject = known or context.subject
            context.pending = found if isinstance(found, Mention) and found.node is None else None
        if not targets and group == "send" and context.target is not None and re.match(
                r"\s*(?:\S+\s+){0,5}?(?:back\s+)?(?:to|into|in)\s+(?:it|them)\b", text[verb.end():end]):
            targets = []
            if known is not None and context.target is not known:
                self._relation(known, context.target, where, self._data(text[verb.end():end]), text[start:end])
            return None
        if not targets and known is not None and PRONOUN_OBJECT.match(text, verb.end(), end):
            other = next((n for n in (subject, context.topic) if n is not None and n is not known), None)
            if other is not None:  # "The Conversation Service queries it": the component the text is about
                if group == "fetch":
                    self._relation(other, known, where, None, text[start:end])
                else:
                    self._relation(known, other, where, call_data(text[verb.end():end]) if group == "call" else
                                   self._data(PRONOUN_OBJECT.sub("", text[verb.end():end], count=1)), text[start:end],
                                   bidirectional=group == "call" and bool(self.words.two_way.match(words)))
                context.target = other
            return None
        if not targets and known is not None:
            back = self._back(group, words, known, context, text, verb, end)
            if back is not None:  # "sends the audio to X and receives a transcript", "..., which returns a note"
                carried = self._data(text[verb.end():end])
                self._relation(back, known, where, carried, text[start:end]) if group == "fetch" \
                    else self._relation(known, back, where, carried, text[start:end])
                return None
        if not targets:
            if known is not None and known.structural and group == "send" \
                    and self.words.to.search(text, verb.end(), end):
                self._unresolved(where, f"'{words}' has no known component after it")
            return None
        resolved = [(m, self._node(m, span)) for m in targets]
        if not any(node is not None for _, node in resolved):
            return None
        source = self._node(found, span) if isinstance(found, Mention) else found
        if not relative:
            context.subject = source or context.subject
        for target_mention, target in resolved:
            if source is None:
                self._unresolved(where, f"who '{words}' is not stated")
                continue
            data = self._data(text[verb.end():target_mention.start]) if group in ("send", "fetch") else call_data(
                text[target_mention.end:end])
            if group == "fetch":
                self._relation(target, source, where, data, text[start:end])
            else:
                both = (group == "call" and bool(self.words.two_way.match(words))) or group == "use"
                self._relation(source, target, where, data, text[start:end], bidirectional=both)
                context.source = source
            context.target = target
        return targets[-1]

    def _fronted(self, group: str, before: list[Mention], found: Mention | Node | None, text: str) -> list[Mention]:
        """In another language, the source or destination named before the verb ("从 X 读取", "向 X 发送",
        "z X pobiera"): the component right after a "from" word for a read, after a "to" word for a send."""
        if self.words is ENGLISH or group not in ("fetch", "send") or not before or before[-1] is found:
            return []
        mark = self.words.source if group == "fetch" else self.words.destination
        last = before[-1]
        marks = list(mark.finditer(text, max(0, last.start - 16), last.start))
        return [last] if marks and self.words.direct_object.fullmatch(text[marks[-1].end():last.start]) else []

    def _carried_to(self, gap: str) -> bool:
        """The words between a verb that takes data and its first object end in a destination and name no source."""
        place = next(reversed(list(self.words.destination.finditer(gap))), None)
        return place is not None and short_gap(gap[place.end():]) and self.words.source.search(gap) is None

    def _person(self, lead: str, verb: re.Match[str], span: Span) -> Mention | None:
        """The people a noun phrase names when they do what people do with an app ("A fee earner opens ...",
        "Recruiters work through ..."); not a component (its words name no kind of component)."""
        found = PERSON_LEAD.search(lead)
        if found is None:
            return None
        who = found.group("who")
        kind = kind_words().kind_of(who)
        if kind is not None and not kind_words().names_person(who):
            return None
        at = verb.start() - len(lead) + found.start("who")
        return Mention(at, at + len(who), who, None, Kind.external_entity, person=True)

    @staticmethod
    def _back(group: str, words: str, actor: Node, context: FlowContext, text: str, verb: re.Match[str],
              end: int) -> Node | None:
        """Where a reply without a named target goes: "X calls Y and gets the matches back" (from Y), "Y, which
        returns a draft" (to whoever sent to Y)."""
        if group == "fetch" and context.target is not None and context.target is not actor \
                and re.match(r"(?:receives?|gets?|obtains?)$", words, re.I):
            return context.target
        if group == "send" and re.match(r"(?:returns?|repl(?:y|ies)|responds?)$", words, re.I) \
                and context.target is actor and context.source is not None and context.source is not actor \
                and not TO.search(text, verb.end(), end):
            return context.source
        return None

    def _targets(self, group: str, verb: re.Match[str], after: list[Mention], text: str) -> list[Mention]:
        if not after:
            return []
        gap = text[verb.end():after[0].start]
        if group == "fetch":
            source = self.words.source.search(text, verb.end())
            if source is not None:
                later = [m for m in after if m.start >= source.end()]
                return later[:1]
            return coordinated(after, text) if short_gap(gap) else []
        if group == "send":  # "writes it, with the sender, to X": where it goes ("to"), else where it lands ("in")
            into = self.words.to.search(verb.group(0))  # "写入 X", "发给 X": the verb says where it goes
            if into is not None and into.end() == len(verb.group(0)) and self.words.direct_object.fullmatch(gap):
                return after[:1]
            stop = after[-1].end if after else verb.end()
            for pattern in (self.words.destination, self.words.to):
                for place in pattern.finditer(text, verb.end(), stop):
                    later = [m for m in after if m.start >= place.end()]
                    if later and short_gap(text[place.end():later[0].start]):
                        return later[:1]
            return []
        if self.words.direct_object.fullmatch(gap):
            return after[:1]
        preposition = self.words.to.search(text, verb.end())
        if preposition is None or (re.match(r"runs?$", verb.group(0), re.I)
                                   and not preposition.group(0).lower().endswith(("through", "via"))):
            return []  # "runs in the browser" says where, not what it calls
        later = [m for m in after if m.start >= preposition.end()]
        return later[:1] if later and short_gap(text[preposition.end():later[0].start]) else []

    def _passive(self, span: Span, verb: re.Match[str], before: list[Mention], after: list[Mention],
                 subject: Node | None, context: FlowContext, text: str, start: int, end: int) -> Mention | None:
        participle = (verb.group("participle") or verb.groupdict().get("own") or "").lower()
        where = Where.at(span, start, end)
        agent_match = self.words.by.search(text, verb.end(), end)
        agent = next((m for m in after if agent_match is not None and m.start >= agent_match.end()
                      and short_gap(text[agent_match.end():m.start])), None)
        data = self._data(text[max(start, (before[-1].end if before else start)):verb.start()])
        actor = self._actor(agent, span, context, subject, after, text, verb, end)
        if participle in self.words.passive_call:
            if before and agent is not None:  # "Y is called by X"
                target = self._node(before[-1], span)
                self._relation(self._node(agent, span), target, where, None, text[start:end])
                context.subject = target or context.subject  # the clause is still about Y
            elif agent is not None and participle in PASSIVE_CHECK:
                checker = self._node(agent, span)  # "the draft is checked by the PHI Leak Checker": sent to it
                sender = context.target if context.target is not checker else context.subject
                self._relation(sender, checker, where, data, text[start:end])
                context.source, context.target, context.holder = sender, checker or context.target, checker
            return None
        others = [m for m in after if m is not agent]
        if participle in self.words.passive_fetch or participle in PASSIVE_BUILD:
            origin_match = self.words.source.search(text, verb.end(), end)
            origin = next((m for m in others if origin_match is not None and m.start >= origin_match.end()), None)
            if participle in PASSIVE_BUILD and before and agent is not None:
                self._relation(self._node(agent, span), self._node(before[-1], span), where, None, text[start:end])
            if origin is not None and actor is not None and not (ARTIFACT.search(data or "") and not (
                    origin.node is not None and origin.node.structural)):  # "the weights were downloaded from X"
                self._relation(self._node(origin, span), self._resolve(actor, span), where, data, text[start:end])
            return origin
        preposition = self.words.to.search(text, verb.end(), end)
        reached = next((m for m in others if preposition is not None and m.start >= preposition.end()
                        and not _OWNER.match(text, m.end)), None)  # "with the broker's user ID": not the broker
        if reached is None:
            return None
        if agent_match is None and context.holder is not None \
                and not self.words.through.search(text, verb.end(), end):
            actor = context.holder  # "..., checked by the PHI Leak Checker. Drafts that pass are saved in the DNDB"
        if agent_match is None and names_people(actor):
            return reached  # "Only drafts a broker has approved are passed to X": not the broker's own sending
        if actor is None:
            self._unresolved(where, f"who sends to '{reached.words}' is not stated")
            return reached
        source, target = self._resolve(actor, span), self._node(reached, span)
        self._relation(source, target, where, data, text[start:end])
        context.subject, context.target, context.holder = source or context.subject, target or context.target, target
        return reached

    def _actor(self, agent: Mention | None, span: Span, context: FlowContext, subject: Node | None,
               after: list[Mention], text: str, verb: re.Match[str], end: int) -> Mention | Node | None:
        """Who does what a passive clause states: "by X", else "through/via X" after the target ("is sent back to
        the app through the Edge API"), else the paragraph's subject."""
        via = self.words.through.search(text[verb.end():end])
        if agent is None and via is not None:
            agent = next((m for m in after if m.start >= verb.end() + via.end()), None)
        if agent is not None:
            if agent.node is not None and not any(m.start < agent.start for m in after[:0]):
                context.subject = agent.node
            return agent
        return context.subject or subject

    def _resolve(self, item: Mention | Node | None, span: Span) -> Node | None:
        return self._node(item, span) if isinstance(item, Mention) else item

    def _arrows(self, span: Span, start: int, end: int, mentions: list[Mention]) -> None:
        text = span.text
        statements = [(a + m.start(), a + m.end()) for a, b in line_bounds(text, start, end)
                      for m in re.finditer(r"[^;]+", text[a:b])]  # "A ← B; C ↔ D": two statements
        for line_start, line_end in statements:
            arrows = list(ARROW.finditer(text, line_start, line_end))
            if not arrows:
                continue
            bounds = [line_start, *[p for a in arrows for p in a.span()], line_end]
            segments = [[m for m in mentions if bounds[2 * i] <= m.start < bounds[2 * i + 1]
                         and "(" not in text[bounds[2 * i]:m.start]]  # "T&E page (Notion API)": one component
                        for i in range(len(arrows) + 1)]
            where = Where.at(span, line_start, line_end)
            label = text[line_start:line_end].rsplit(":", 1)
            data = self._data(label[1]) if len(label) == 2 and not ARROW.search(label[1]) else None
            for i, arrow in enumerate(arrows):
                left, right = _joined(text, segments[i]), _joined(text, segments[i + 1])
                if not left or not right:
                    continue
                symbol = arrow.group(0)
                for one, other in ((a, b) for a in left for b in right):  # "approve_report / flag_report → X"
                    source, target = self._node(one, span), self._node(other, span)
                    if (symbol.startswith("<") and not symbol.endswith(">")) or symbol in "←⟵":
                        source, target = target, source
                    both = symbol in "↔⟷" or (symbol.startswith("<") and symbol.endswith(">"))
                    self._relation(source, target, where, data if i == len(arrows) - 1 else None,
                                   text[line_start:line_end], bidirectional=both)

    def _flow_row(self, row: FlowRow) -> None:
        ends = []
        for cell in (row.source, row.target):
            found = find_mentions(row.span.text, self.registry, cell[0], cell[1])
            found = [m for m in found if "(" not in row.span.text[cell[0]:m.start]]  # "Claude 3.7 Sonnet (Bedrock)"
            ends.append(found[0] if len(found) == 1 else None)
        where = Where.at(row.span, 0, len(row.span.text))
        if ends[0] is None or ends[1] is None:
            self._unresolved(where, "a row of a flow table that does not name two known components")
            return
        both = bool(BOTH_WAYS.search(row.data))
        data = BOTH_WAYS.sub("", row.data).strip(" ,;") or None
        self._relation(self._node(ends[0], row.span), self._node(ends[1], row.span), where, data, row.span.text,
                       bidirectional=both)



def _reach(passive: re.Match[str]) -> int:
    """Where a passive ends: its participle, which may close the clause ("werden ... an X gesendet")."""
    return max(passive.end(), passive.end("participle") if passive.group("participle") else 0)


def _joined(text: str, side: list[Mention]) -> list[Mention]:
    """The components one side of an arrow names: one, or several joined by "/", "+", "&", "," or "and"."""
    if len(side) == 1 or all(re.fullmatch(r"[\s*_`)]*(?:/|\+|&|,|and)[\s*_`(]*", text[a.end:b.start])
                             for a, b in pairwise(side)):
        return side
    return []


def names_people(found: Mention | Node | None) -> bool:
    """A people word, or a component that is people ("Support agents")."""
    if isinstance(found, Mention):
        return found.person or (found.node is not None and _person_node(found.node))
    return found is not None and _person_node(found)


def _person_node(node: Node) -> bool:
    return node.kind() is Kind.external_entity and kind_words().names_person(node.name)
