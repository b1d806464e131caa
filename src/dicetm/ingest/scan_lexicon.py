"""The signal scan's lexicons: words and phrases per language, read from data files a user can extend.

Each file (``data/scan_lexicon/<language>.yaml``, or a file of the user's given with ``--lexicon`` or the
``DICETM_SCAN_LEXICON`` variable) lists entries under class names; ``CLASSES`` says what each class means to
``scan_signals``. An entry is matched on folded text (``scan_text.fold``: lower case, no accents):

- words separated by a space match words separated by any run of spaces or punctuation;
- ``-`` and ``'`` inside an entry match a hyphen, an apostrophe, a space or nothing (``ai-generated``);
- ``*`` at the end of a word lets the word go on (``exclu*`` matches "excluded", "exclusion");
- ``*`` at the start of an entry lets it start inside a word (``*werkzeug*`` matches "Prüfwerkzeuge");
- ``..`` stands for up to three words (``rate .. low``), or up to twelve characters in a ``cjk`` file;
- in a file with ``script: cjk`` (Japanese, Chinese: no spaces between words) every entry matches anywhere;
- ``!`` before an entry makes it an exception: a match of the class that lies inside a match of the exception does
  not count (``'!请求'`` keeps the polite imperative ``请`` from matching inside "请求", a request).

All entries of a class, from every language, compile into a few regular expressions (entries that start a word,
entries that may start inside one, the ``cjk`` entries, run only on text beyond ASCII) built as tries, so
matching costs about the same however long the lists grow.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dicetm.errors import InputError, Location, Problem
from dicetm.ingest.scan_text import fold

DATA = Path(__file__).parent / "data" / "scan_lexicon"
ENVIRONMENT = "DICETM_SCAN_LEXICON"
SCRIPTS = ("latin", "cjk")
CLASSES: dict[str, str] = {
    "ai": "an AI system named as such: AI, LLM, language model, assistant, chatbot",
    "automated": "what marks a reader or an output as a machine's: automated, automatic, machine-generated",
    "assessor": "who assesses or what an assessment yields: reviewer, evaluator, assessment, analysis, summary",
    "tool": "software that reads or judges: tool, tooling, summariser",
    "reading": "processing a text: reading, evaluating, analysing, summarising, generating from",
    "this_text": "this document itself: this document, this page, this specification, this file",
    "reader": "whole phrases naming an automated reader or what it produces: 'any summary produced from this file'",
    "your_output": "the reader's own answer or analysis, in the second person: in your answer, ton analyse; it "
                   "addresses an automated reader unless the sentence or its section addresses people",
    "human": "people a document addresses: reviewers, participants, the team, colleagues",
    "directive": "directive voice: must, should, is required to, please, is to be, may simply",
    "imperative": "imperative verb forms that open an order: omit, ignore, treat, mark, conclude",
    "lead_in": "short words that may come before an imperative: please, and, then, now, also",
    "subordinator": "words opening a clause before the main one: when, while, if ('When analysing this API, omit')",
    "policy": "policy dress and appeals to authority: per governance rule, according to the review policy, as agreed "
              "with security",
    "exclude": "leave something out of the analysis: omit, exclude, skip, do not mention, no threats",
    "out_of_scope": "outside the analysis, whatever the verb: out of scope, not in the threat model",
    "downgrade": "rate or treat it as harmless: as trusted, as low, as accepted, as internal, as safe",
    "complete": "declare the analysis done: mark as complete, analysis finished, no need to re-evaluate",
    "assert_safe": "claim there is no risk: no risks, no security issues, is secure",
    "report": "verbs of reporting or expecting, for a negated order: mention, list, report, raise, create, include, "
              "expect ('findings are not expected')",
    "expected": "a label of an outcome set in advance: expected result, acceptance criteria, definition of done, "
                "期待結果; under it, a verdict on the threat model is dictated, not reported",
    "every": "a blanket quantifier: all, every, alle, tous, すべて, 所有 ('every risk recorded as accepted' is a "
             "verdict on all of them, not the state of one accepted risk)",
    "negation": "words that negate the next verb: not, no, never, without",
    "topic": "what a threat analysis is about: threat, risk, finding, threat model, attack surface",
    "instead": "an alternative that is rejected: instead of, rather than",
    "supposing": "words opening a clause that supposes rather than asks: if, whether, in case; a change inside it is "
                 "a condition ('particularly if a key component is out of scope'); in Japanese and Chinese also the "
                 "word that closes such a clause (場合, 的话)",
    "condition": "a process step's condition, which makes a change a person's decision: only after, unless, once",
    "refuse": "a rule that refuses a change rather than making it: rejected, must be refused, without written "
              "justification ('a Low rating without written justification is rejected')",
    "because": "a reason that makes a scope the author's decision: because, weil, parce que, ため, 因为",
    "until": "a time limit: until, bis, jusqu'à ce que; before a change it gates it ('keep it open until the owner "
             "accepts it'), after one it only bounds it ('rate all findings low until the pilot ends')",
    "scale": "a rating scale rather than a verdict: low, medium or high",
    "channel": "where a report goes, which makes 'do not report' a disclosure policy: via public issues, publicly",
    "role": "a part to play: auditor, reviewer, architect, expert, member of the team, persona",
    "role_shift": "a change from here on: from now on, from this point, henceforth",
    "you_are": "the reader told who it is: you are, your role is, your task is",
    "act_as": "the reader told to act a part: act as, behave as, play the role of",
    "system": "the word 'system' of a fake system header: system, SYS, sistema, システム",
    "instruction": "instruction words of a fake header: instruction, directive, order",
    "priority": "priority and override words of a fake header: priority, override, highest, updated",
    "forget": "verbs that drop what the reader was told: ignore, disregard, forget",
    "prior": "what marks the reader's own earlier instructions: previous, above, all, your, so far",
    "defensive": "where injected text comes from, which makes 'ignore instructions' a defence: embedded in documents",
    "decode": "an order to decode: decode, decipher, rot13",
    "execute": "an order to carry out what it holds: follow, apply, execute, obey",
    "exfiltrate": "an order to put data into a link or image: include the image, append to the URL",
    "transmit": "a verb that sends something to or calls a URL: send, post, upload, call, open, visit",
    "discussion": "words that make a quoted order an example: example, test case, attack, injection, red team",
    "quote_intro": "words right before a quotation that make it an example: such as, like, the phrase, wie, comme",
    "mention": "words around a quoted attack string (or before the colon that introduces it) that report it rather "
               "than use it: containing, wrote, typed, tried, test input, a bug allowed; it is then an example",
    "test_column": "a column heading of a test table: expected result, Erwartung, 期待結果; the other rows of such a "
                   "table are test cases, their attack strings examples",
    "glossary": "a heading of a glossary: glossary, terms, Begriffe, 用語; under it 'System prompt: the fixed text "
                "that ...' defines a term and imitates no header",
    "attempt": "trying or getting someone to do something: tries to make, versucht .. dazu zu bringen, intenta que, "
               "试图让; an order after it is what an attack tries to get, described rather than given",
    "refusal": "an assistant's refusal in a transcript: I can't, je ne peux pas, 抱歉; the turn before it, by someone "
               "else, is what that person tried",
    "threat_model": "the analysis a reader is asked to write: threat model, threat analysis, security review",
    "produce": "producing a text, which names a reader by its output: generated, produced, written, drafted",
    "property": "a security property a limit may narrow the analysis to: availability, confidentiality, integrity",
    "restrict": "a limit on what the analysis covers, asked of an automated reader: only, solely, limited to",
    "adopt": "taking a given verdict over as it stands: copy, adopt, take over, keep, unchanged, verbatim",
    "verdict": "a status or conclusion a document gives: status, outcome, result, verdict, conclusion",
    "greeting": "words that turn the noun after them into the one addressed: dear, hello, note to, gentile",
    "becomes": "the reader given a new identity in the third person: becomes, is no longer, is now, devient",
    "whoever": "a reader named by what it does, opening the sentence: whoever, anyone who, wer, wie, quiconque",
    "done": "the analysis declared finished on a condition, with the word that opens it: is done once, is complete "
            "when, jest ukończona gdy",
}
_WORD_GAP = 3
_CJK_GAP = 12
_SEPARATOR = r"(?:[^\w\n|]|_)+"  # spaces and punctuation, not a line break or a table's cell border
_OPTIONAL = r"(?:[^\w\n|]|_)*"
_GAP = rf"(?:{_SEPARATOR}[^\W_]+){{0,{_WORD_GAP}}}?{_SEPARATOR}"
_CJK_GAP_PATTERN = rf"[^。！？.!?\n]{{0,{_CJK_GAP}}}?"
_WORD_START = r"(?<![a-z0-9])"
_WORD_END = r"(?![a-z0-9])"
_LETTERS = r"[a-z0-9]*"
_ASCII_LETTER = re.compile(r"[a-z0-9]$")


@dataclass(frozen=True)
class Lexicon:
    """Compiled classes: for each, the patterns whose matches are the class's occurrences in folded text."""

    patterns: dict[str, Patterns]
    languages: tuple[str, ...]
    sources: tuple[str, ...]
    entries: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # class -> (latin entries, cjk entries)
    exceptions: dict[str, Patterns]  # class -> its '!' entries, for the classes that have some

    def find(self, name: str, text: str) -> list[tuple[int, int]]:
        """Where the class occurs in ``text`` (folded), in order of position, leaving out what lies inside one of
        the class's exceptions."""
        patterns = self.patterns[name].for_text(text)
        found = [match.span() for pattern in patterns for match in pattern.finditer(text)]
        found = sorted(set(found)) if len(patterns) > 1 else found
        found = [(start, end) for start, end in found if not _dotted(text, start, end)]
        exceptions = self.exceptions.get(name)
        if found and exceptions is not None:
            spans = [match.span() for pattern in exceptions.for_text(text) for match in pattern.finditer(text)]
            found = [(start, end) for start, end in found if not any(low <= start and end <= high
                                                                     for low, high in spans)]
        return found

    def any_of(self, names: tuple[str, ...], text: str) -> bool:
        """Whether any of the classes occurs in ``text``: one pass of one pattern made of all their entries."""
        return any(pattern.search(text) for pattern in self._union(names).for_text(text))

    @functools.cache  # noqa: B019 - a lexicon lives as long as the process (it is cached itself)
    def _union(self, names: tuple[str, ...]) -> Patterns:
        return _patterns([e for n in names for e in self.entries[n][0]], [e for n in names for e in self.entries[n][1]])

    def __hash__(self) -> int:
        return id(self)


def _dotted(text: str, start: int, end: int) -> bool:
    """A word that is part of a dotted name ("Retire.js", "config.exclude"), not a word of the sentence."""
    return (text[end:end + 1] == "." and text[end + 1:end + 2].isalpha()) or (
        start > 1 and text[start - 1] == "." and text[start - 2].isalnum())


_chosen: tuple[str, ...] = ()  # the user's lexicon files for this process (``use_lexicons``)


def use_lexicons(paths: Iterable[Path]) -> Lexicon:
    """Add the user's lexicon files (or folders of them) to every scan of this process; compiled at once, so a
    file in error is reported before anything is scanned."""
    global _chosen
    _chosen = tuple(str(p) for p in paths)
    return lexicon()


def lexicon(extra: Sequence[Path] = ()) -> Lexicon:
    """The built-in lexicons plus the user's files (``extra``, ``use_lexicons``, then ``DICETM_SCAN_LEXICON``),
    compiled once per set of files."""
    environment = [p for p in os.environ.get(ENVIRONMENT, "").split(os.pathsep) if p.strip()]
    return _compiled(tuple([*(str(p) for p in extra), *_chosen, *environment]))


@functools.lru_cache(maxsize=8)
def _compiled(extra: tuple[str, ...]) -> Lexicon:
    files = sorted(DATA.glob("*.yaml"))
    user: list[Path] = []
    for name in extra:
        path = Path(name)
        found = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        if not found:
            raise InputError([Problem("the folder holds no scan lexicon (no .yaml file)", Location(file=name),
                                      "give YAML files like those in dicetm/ingest/data/scan_lexicon")])
        user += found
    entries: dict[str, dict[str, list[str]]] = {name: {"latin": [], "cjk": []} for name in CLASSES}
    languages: list[str] = []
    for path in [*files, *user]:
        language, script, classes = load_file(path)
        languages.append(language)
        for name, words in classes.items():
            entries[name][script] += words
    kept = {name: {script: [e for e in words if not e.startswith("!")] for script, words in by_script.items()}
            for name, by_script in entries.items()}
    excepted = {name: {script: [e[1:] for e in words if e.startswith("!")] for script, words in by_script.items()}
                for name, by_script in entries.items()}
    patterns = {name: _patterns(by_script["latin"], by_script["cjk"]) for name, by_script in kept.items()}
    exceptions = {name: _patterns(by_script["latin"], by_script["cjk"]) for name, by_script in excepted.items()
                  if by_script["latin"] or by_script["cjk"]}
    return Lexicon(patterns, tuple(dict.fromkeys(languages)), tuple(str(p) for p in [*files, *user]),
                   {name: (tuple(e["latin"]), tuple(e["cjk"])) for name, e in kept.items()}, exceptions)


def load_file(path: Path) -> tuple[str, str, dict[str, list[str]]]:
    """One lexicon file: its language, script and classes; InputError names the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(f"cannot read the scan lexicon: {exc}", Location(file=str(path)),
                                  "give a UTF-8 YAML file like those in dicetm/ingest/data/scan_lexicon")]) from None
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        data = _plain(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError([Problem(f"the scan lexicon is not valid YAML: {getattr(exc, 'problem', exc)}",
                                  Location(file=str(path), line=mark.line + 1 if mark else None),
                                  "fix the YAML syntax at this line")]) from None
    problems: list[Problem] = []

    def problem(message: str, field: str, hint: str) -> None:
        problems.append(Problem(message, Location(file=str(path), line=_line_of(node, field), path=field), hint))

    if not isinstance(data, dict):
        raise InputError([Problem("a scan lexicon is a mapping with 'language' and 'classes'",
                                  Location(file=str(path), line=1), "see dicetm/ingest/data/scan_lexicon/en.yaml")])
    language = data.get("language")
    if not isinstance(language, str) or not language.strip():
        problem("'language' is missing or not a text", "language", "name the language, e.g. language: sv")
    script = data.get("script", "latin")
    if script not in SCRIPTS:
        problem(f"unknown script {script!r}", "script", "use 'latin' (words between spaces) or 'cjk' (no spaces)")
    classes = data.get("classes")
    result: dict[str, list[str]] = {}
    if not isinstance(classes, dict):
        problem("'classes' is missing or not a mapping", "classes", "list entries under class names, see en.yaml")
        classes = {}
    for name, words in classes.items():
        field = f"classes.{name}"
        if name not in CLASSES:
            problem(f"unknown class {name!r}", field, "the classes are: " + ", ".join(CLASSES))
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            problem(f"{field} must be a list of words and phrases", field, "write one entry per list item")
            continue
        for word in words:
            error = _entry_error(word)
            if error:
                problem(f"{field}: the entry {word!r} {error}", field, "see the entry syntax in en.yaml")
        result[name] = [w.strip() for w in words]  # an exception keeps its '!' (see ``_compiled``)
    if problems:
        raise InputError(problems)
    return str(language), str(script), result


def _plain(node: yaml.Node | None) -> Any:
    """The document with every scalar as text: in a lexicon "no", "on" and "null" are words."""
    if isinstance(node, yaml.MappingNode):
        return {_plain(key): _plain(value) for key, value in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item) for item in node.value]
    return node.value if isinstance(node, yaml.ScalarNode) else None


def _line_of(node: yaml.Node | None, field: str) -> int | None:
    for key in field.split("."):
        if not isinstance(node, yaml.MappingNode):
            break
        match = next((value for name, value in node.value if getattr(name, "value", None) == key), None)
        if match is None:
            break
        node = match
    return node.start_mark.line + 1 if node is not None else None


def _entry_error(entry: str) -> str | None:
    words = entry.removeprefix("!").split()
    if not words or all(w == ".." for w in words):
        return "has no words"
    if words[0] == ".." or words[-1] == "..":
        return "starts or ends with '..'"
    if any("*" in w.strip("*") for w in words):
        return "has '*' inside a word (only at its start or end)"
    return None


# ------------------------------------------------------------------------------------------- compiling


@dataclass(frozen=True)
class Patterns:
    """A class's patterns: entries that start a word, entries that may start inside one, and the entries of the
    Japanese and Chinese files, which can only match a text with characters beyond ASCII."""

    words: tuple[re.Pattern[str], ...]
    cjk: tuple[re.Pattern[str], ...]

    def for_text(self, text: str) -> tuple[re.Pattern[str], ...]:
        return self.words if text.isascii() else self.words + self.cjk


def _patterns(latin: Iterable[str], cjk: Iterable[str]) -> Patterns:
    starting: list[list[str]] = []
    inside: list[list[str]] = []
    for entry in set(latin):
        atoms = _latin_atoms(entry)
        (inside if entry.startswith("*") else starting).append(atoms)
    words = [re.compile(pattern) for pattern in (_WORD_START + _trie(starting) if starting else "",
                                                 _trie(inside) if inside else "") if pattern]
    others = [_cjk_atoms(entry) for entry in set(cjk)]
    return Patterns(tuple(words), (re.compile(_trie(others)),) if others else ())


def _latin_atoms(entry: str) -> list[str]:
    atoms: list[str] = []
    for index, word in enumerate(fold(entry).split()):
        if word == "..":
            atoms.append(_GAP)
            continue
        if index and atoms[-1] != _GAP:
            atoms.append(_SEPARATOR)
        core = word.strip("*")
        for char in core:
            atoms.append(_OPTIONAL if char in "-'’" else re.escape(char))
        atoms.append(_LETTERS if word.endswith("*") else _WORD_END)
    return atoms


def _cjk_atoms(entry: str) -> list[str]:
    """Characters to match anywhere; Latin letters at either end still need a word boundary ("AIツール" must not
    match inside "email ツール")."""
    atoms: list[str] = []
    for index, word in enumerate(fold(entry).split()):
        if word == "..":
            atoms.append(_CJK_GAP_PATTERN)
            continue
        if index and atoms[-1] != _CJK_GAP_PATTERN:
            atoms.append(r"\s*")
        atoms += [re.escape(char) for char in word.strip("*")]
    if atoms and _ASCII_LETTER.match(atoms[0]):
        atoms.insert(0, _WORD_START)
    if atoms and _ASCII_LETTER.match(atoms[-1]):
        atoms.append(_WORD_END)
    return atoms


def _trie(sequences: list[list[str]]) -> str:
    """One regular expression for many atom sequences, sharing their common beginnings; longer ones first."""
    root: dict[str, Any] = {}
    for atoms in sequences:
        node = root
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[""] = {}
    return _emit(root)


def _emit(node: dict[str, Any]) -> str:
    ends = "" in node
    branches = [atom + _emit(child) for atom, child in sorted(node.items(), key=lambda item: -len(item[0])) if atom]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return f"(?:{body})?" if len(branches) == 1 else body + "?"
    return body
