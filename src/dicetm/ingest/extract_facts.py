"""Facts stated in words (``data/facts.yaml``), negation-aware: "does not log prompts" states
``logs_prompts: false``, never ``true``.

``statements(text)`` finds every phrase of the data file in a text and says which fact and value it states
and where; which component it is about is the caller's business (the prose extractor knows the sentence's
subject and the section it is in). A negation counts when it sits shortly before the phrase in the same
clause ("never used for training", "without human review" is a phrase of its own) or at the ``{not}`` slot
inside it ("prompts are not logged"). A space in a phrase matches any run of whitespace, so a phrase wrapped
across lines still counts; ``{provider}`` stands for every model provider of the vocabulary ("through
Mistral's API"). An entry without a ``value`` states its fact only when negated ("we do not fine-tune it");
one with ``void_after`` is cancelled by those words later in its clause ("PII columns are masked").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from dicetm.errors import CatalogError, Location, Problem
from dicetm.ingest.extract_ir import EXPLICIT, STATED
from dicetm.ingest.vocabulary import vocabulary
from dicetm.model.system import Kind, Permission

_FILE = "data/facts.yaml"
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")  # kana and CJK ideographs
_LANGUAGES = "data/fact_phrases"  # one file per language beside English, in the same format
# the negation a phrase's {not} slot stands for, in English and the languages of fact_phrases/
_NOT = (r"(?P<neg>(?:not|never|no longer|no|nicht|nie|niemals|kein(?:e|en|er)?|niet|nooit|geen|non|mai|pas|jamais|"
        r"não|nunca|nie|inte|ej|aldrig|ikke|aldri|ne|nikdy|není|nejsou)\s+)?")
_NEGATOR = re.compile(r"\b(?:not|never|no|without|cannot|nor|neither|nobody|nothing|none)\b|n't\b"
                      # the same in German, French, Spanish, Italian, Portuguese, Dutch and Polish
                      r"|\b(?:nicht|kein(?:e|en|em|er)?|niemals|ne|pas|jamais|aucun|aucune|sans|nunca|jamás|ni|sin|"
                      r"mai|senza|não|nem|sem|niet|geen|nooit|zonder|nie|nigdy|bez|weder|noch|né|ani)\b|\bn['’]|"
                      r"\bnon\b(?!-)"
                      # Swedish, Danish, Czech (whose "ne-" prefixes the verb: "neukládá", "nejsou")
                      r"|\b(?:inte|ej|aldrig|utan|ingen|inget|inga|ikke|uden|intet|nikdy|žádn[ýáéí]|není|nejsou|"
                      r"ne(?:ukl|zazn|log|sdíl|použ|využ|trén|šifr)\w*)\b"
                      # Chinese: no word edges, the negating characters themselves
                      r"|不|没有|沒有|从不|從不|未|无需|無需|无|無|禁止", re.I)
# a negation right after the phrase, where German, Dutch, Swedish and Danish put it ("bewaart de prompts ook niet",
# "speichert die Prompts nicht", "prompterna lagras inte"), or a state said of the phrase right after it in its
# clause ("encryption at rest is disabled", "rate limiting: none", "prompt logging (off)", "sandboxing - not used")
_NEGATED_AFTER = re.compile(r"(?:\s+(?:ook|auch|gar|helemaal|überhaupt|zeker|sicher))?\s+"
                            r"(?:nicht|niet|nooit|niemals|inte|ej|ikke|aldrig)\b"
                            r"|\s*(?:[:=(—–]\s*|-\s+|\s(?:is|are|was|were|stays|remains|currently|still)\s+)"
                            r"(?:(?:currently|still|always|now|set\s+to|left)\s+)?"
                            r"(?:disabled|deactivated|switched\s+off|turned\s+off|off|none|not\s+(?:enabled|used|"
                            r"configured|set\s+up|in\s+place|applied|required|on)|absent|missing)(?![\w-])", re.I)
_CLAUSE_BREAK = re.compile(r"[.;:!?()。；：！？（）]|\bbut\b|\bwhile\b|\bhowever\b|\bexcept\b|"
                           r",\s*(?:and|so|which)\b", re.I)
_LOOKBACK = 40
_UNITS = {word: unit for unit, words in {  # the units of a duration in other languages
    "hour": "hora horas heure heures stunde stunden ora ore uur uren godzina godziny godzin 時間 "
            "hodina hodiny hodin timme timmar timer 小时 小時",
    "day": "día días dia dias jour jours tag tage tagen giorno giorni dag dagen dzień dni 日 日間 "
           "den dny dní dnů dagar dage 天",
    "week": "semana semanas semaine semaines woche wochen settimana settimane week weken tydzień tygodnie tygodni 週間 "
            "týden týdny týdnů vecka veckor uge uger 周 週",
    "month": "mes meses mois monat monate monaten mese mesi maand maanden miesiąc miesiące miesięcy か月 ヶ月 カ月 "
             "měsíc měsíce měsíců månad månader måned måneder 个月 個月 月",
    "year": "año años ano anos an ans année années jahr jahre jahren anno anni jaar jaren rok lata lat 年 年間 "
            "roky roků år",
}.items() for word in words.split()}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30,
            "sixty": 60, "ninety": 90}
_MISSING = object()
_HOSTED_PROVIDERS = "model-provider"  # the vocabulary role of providers serving models behind their own API


@dataclass(frozen=True)
class _Rule:
    field: str
    value: Any
    negated: Any  # _MISSING: a negated statement is left out
    applies_to: frozenset[Kind] | None
    outranks: frozenset[Any]
    exclusive: bool
    strength: int
    void_after: re.Pattern[str] | None
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Statement:
    """A fact a phrase states: ``text[start:end]`` says ``field`` is ``value``."""

    field: str
    value: Any
    start: int
    end: int
    applies_to: frozenset[Kind] | None = None
    outranks: frozenset[Any] = frozenset()
    exclusive: bool = False  # a list value that replaces the others ("read-only" is read and nothing else)
    strength: int = STATED  # EXPLICIT for a statement that names the value outright ("we classify it as ...")


def statements(text: str) -> list[Statement]:
    """Every fact the phrases of the data file state in ``text``, in order, one per (field, value) and place. A
    "Key: value" line is read first, the way a table cell under that header is ("Sandboxed: no")."""
    found: list[Statement] = _key_values(text)
    for rule in _rules():
        for match in rule.regex.finditer(text):
            value = _value(rule, match, text)
            if value is _MISSING:
                continue
            if rule.void_after is not None and rule.void_after.match(_clause_after(text, match.end())):
                continue
            statement = Statement(rule.field, value, match.start(), match.end(), rule.applies_to, rule.outranks,
                                  rule.exclusive, rule.strength)
            if not any(s.field == statement.field and s.start < statement.end and statement.start < s.end
                       for s in found):
                found.append(statement)
    return sorted(found, key=lambda s: s.start)


# "Auth: none", "**Encrypted**: yes", "- Human approval = required", "Retention: 30 days", a property table's row
# "Auth | SSO": a line (or list item, or row) opening with a key that a table header could be, and its value; read
# the way a table cell under that header is
_KEY_VALUE = re.compile(r"(?:^|\n)[\s>*•·|-]*[*_`]*(?P<key>[^\W\d][^:=|\n*_`]{0,40}?)[*_`]*\s*(?:[:=：]|\s\|)\s*"
                        r"(?P<value>[^\n;；|]{1,80})", re.M)


def _key_values(text: str) -> list[Statement]:
    found = []
    for match in _KEY_VALUE.finditer(text):
        fact = column_fact(match.group("key"), match.group("value"))
        if fact is not None:
            found.append(Statement(fact[0], fact[1], match.start("key"), match.end("value")))
    return found


# a cell that answers a yes/no header (and the same words in German, French, Spanish, Italian, Portuguese, Dutch,
# Polish, Czech, Swedish, Danish and Chinese); "not stated" and "n/a" answer nothing
_YES = re.compile(r"^[\s*_`]*(?:yes|y|true|required|mandatory|always|on|enabled|active|in place|✓|✔|☑|x|"
                  r"ja|oui|sí|si|sim|tak|obligatoire|obligatorio|obbligatorio|erforderlich|ano|povinné|krävs|kræves|"
                  r"påkrævet)(?![\w-])|^[\s*_`]*(?:是|有|需要|必须|必需|开启|開啟|启用|啟用)", re.I)
_NO = re.compile(r"^[\s*_`]*(?!n/?a(?![\w-])|non\s+(?:précisé|renseigné|indiqué|specificato|connu)|"
                 r"no\s+(?:especificado|consta|indicado|consta)|não\s+(?:especificado|informado))"
                 r"(?:no|n|none|false|never|off|disabled|not\s+required|optional|✗|✘|-+|—|–|"
                 r"nein|non|não|nie|nee|kein|keine|aucun|aucune|ninguno|nessuno|jamais|nunca|nie|"
                 r"not\s+(?:used|enabled|configured|in\s+place|applied)|deactivated|inactive|absent|"
                 r"nej|ingen|inget|inga|aldrig|ikke|intet|ne|žádné|žádný|nikdy)(?![\w-])"
                 r"|^[\s*_`]*(?:否|无|無|没有|沒有|不需要|不|关闭|關閉|禁用|停用)", re.I)
_DURATION = re.compile(r"(?<![\w-])(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|"
                       r"fifteen|twenty|thirty|sixty|ninety)[ -]?(?P<unit>hours?|days?|weeks?|months?|years?|"
                       + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")(?![\w-])", re.I)


@dataclass(frozen=True)
class _Column:
    field: str
    header: re.Pattern[str]
    yes: Any
    no: Any
    duration: bool


_PERMISSION_HEADER = re.compile(r"(?:permissions?|access(?:\s+level)?|rights|access\s+rights|"
                                r"(?:zugriff|accès|acceso|accesso|acesso|toegang|dostęp|rechte|droits|derechos|"
                                r"diritti|direitos|rechten|uprawnienia)(?:\s+\S+){0,3})", re.I)


def column_fact(header: str, cell: str) -> tuple[str, Any] | None:
    """The fact a table cell states under a header that names one ("Human approval" / "Yes: in the app" ->
    ``human_approval_required: true``; "Retention" / "30 days" -> ``retention: 30d``); None when the header
    names no fact or the cell does not answer it."""
    header = " ".join(re.sub(r"[*_`?:]", " ", header).split())
    if _PERMISSION_HEADER.fullmatch(header):
        granted = [p for p in Permission if re.search(rf"\b(?:{p.value}|{_permission_words(p.value)})", cell, re.I)]
        return ("permissions", granted) if granted else None
    column = next((c for c in _columns() if c.header.fullmatch(header)), None)
    if column is None:
        return None
    if column.duration:
        found = _DURATION.search(cell)
        value = duration(found) if found is not None else _MISSING
        return (column.field, value) if value is not _MISSING else None
    value = column.yes if _YES.match(cell) else column.no if _NO.match(cell) else None
    return (column.field, value) if value is not None else None


@lru_cache(maxsize=8)
def _permission_words(permission: str) -> str:
    """The words of other languages for ``permission`` in a table cell (``permission_words`` of the data file)."""
    words = (_data().get("permission_words") or {}).get(permission) or []
    return "|".join(_spaced(str(w)) for w in words) or r"(?!x)x"


def duration(match: re.Match[str]) -> Any:
    """"30 days" -> "30d", "six years" -> "6y" (a match with groups ``n`` and ``unit``); _MISSING if not a
    duration."""
    number = match.group("n")
    count = int(number) if number.isdigit() else _NUMBERS.get(number.lower(), 0)
    unit = match.group("unit").lower()
    unit = _UNITS.get(unit, unit.rstrip("s"))
    if not count:
        return _MISSING
    return {"hour": f"{count}h", "day": f"{count}d", "week": f"{count * 7}d", "month": f"{count * 30}d",
            "year": f"{count}y"}.get(unit, _MISSING)


@lru_cache(maxsize=1)
def _columns() -> tuple[_Column, ...]:
    try:
        return tuple(_Column(str(entry["field"]), re.compile("|".join(f"(?:{h})" for h in entry["headers"]), re.I),
                             entry.get("yes_value", True), entry.get("no_value", False), bool(entry.get("duration")))
                     for entry in _data().get("columns", []))
    except (KeyError, TypeError, re.error) as exc:
        raise _broken(exc) from None


def _value(rule: _Rule, match: re.Match[str], text: str) -> Any:
    groups = match.groupdict()
    if rule.field == "retention":
        if groups.get("forever"):
            return "forever"
        return duration(match) if groups.get("n") and groups.get("unit") else _MISSING
    if groups.get("neg") or _negated_before(text, match.start()) or _NEGATED_AFTER.match(text, match.end()):
        return rule.negated
    return _MISSING if rule.value is None else rule.value


def _clause_after(text: str, end: int) -> str:
    after = text[end:end + _LOOKBACK * 2]
    stop = _CLAUSE_BREAK.search(after)
    return after[:stop.start()] if stop else after


def denied(text: str, start: int, end: int) -> bool:
    """Whether the clause holding ``text[start:end]`` negates it, before or after it ("the prompts are not kept",
    "il testo dei prompt non viene registrato", "no prompts are written")."""
    before = text[max(0, start - _LOOKBACK * 2):start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    before = before[breaks[-1].end():] if breaks else before
    return bool(_NEGATOR.search(before) or _NEGATOR.search(_clause_after(text, end)))


def _negated_before(text: str, start: int) -> bool:
    """A negation between the start of the clause (at most ``_LOOKBACK`` characters back) and ``start``."""
    begin = max(0, start - _LOOKBACK)
    before = text[begin:start]
    if begin and text[begin - 1].isalnum():
        before = re.sub(r"^\w+", "", before)  # a word the window cuts ("...ne" of "pipeline") is not a word
    breaks = list(_CLAUSE_BREAK.finditer(before))
    if breaks:
        before = before[breaks[-1].end():]
    return bool(_NEGATOR.search(before))


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    source = resources.files("dicetm.ingest").joinpath(_FILE)
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(data, dict):
            raise TypeError("the file is not a mapping")
        return data
    except (OSError, yaml.YAMLError, TypeError) as exc:
        raise _broken(exc) from None


def _broken(exc: Exception, file: str = _FILE) -> CatalogError:
    return CatalogError([Problem(f"the extractor's fact phrases cannot be loaded: {exc}",
                                 Location(file=f"dicetm/ingest/{file}"),
                                 "reinstall dicetm; if you edited the file, check its entries")])


@lru_cache(maxsize=1)
def _phrase_files() -> tuple[list[dict[str, Any]], ...]:
    """The ``facts`` of every language file of fact_phrases/, in file-name order."""
    folder = resources.files("dicetm.ingest").joinpath(_LANGUAGES)
    found = []
    for file in sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name):
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            if not isinstance(data, dict) or not isinstance(data.get("facts"), list):
                raise TypeError("the file has no list of facts")
        except (OSError, yaml.YAMLError, TypeError) as exc:
            raise _broken(exc, f"{_LANGUAGES}/{file.name}") from None
        found.append(data["facts"])
    return tuple(found)


@lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    try:
        data = _data()
        rules = []
        for entry in [*data["facts"], *(entry for entries in _phrase_files() for entry in entries)]:
            kinds = entry.get("applies_to")
            for phrase in entry["phrases"]:  # one pattern each: phrases reuse group names
                body = _spaced(str(phrase)).replace("{not}", _NOT).replace("{provider}", _providers())
                # a phrase of a script written without spaces (Japanese) has no word edges to keep to
                bounded = rf"(?:{body})" if _UNSPACED.search(str(phrase)) else rf"(?<![\w-])(?:{body})(?![\w-])"
                rules.append(_rule(entry, kinds, re.compile(bounded, re.I)))
        return tuple(sorted(rules, key=lambda r: -r.strength))  # an explicit statement wins over one it overlaps
    except (KeyError, ValueError, TypeError, re.error) as exc:
        raise _broken(exc) from None


def _rule(entry: dict[str, Any], kinds: list[str] | None, regex: re.Pattern[str]) -> _Rule:
    void = entry.get("void_after")
    return _Rule(str(entry["field"]), entry.get("value"), entry.get("negated", _MISSING),
                 frozenset(Kind(k) for k in kinds) if kinds else None,
                 frozenset(entry.get("outranks", [])), bool(entry.get("exclusive")),
                 EXPLICIT if entry.get("strength") == "explicit" else STATED,
                 re.compile(rf"\s*(?:{_spaced(str(void))})", re.I) if void else None, regex)


def _spaced(phrase: str) -> str:
    """A phrase whose spaces (outside character classes) match any whitespace, line breaks included."""
    out, depth = [], 0
    for index, char in enumerate(phrase):
        if char == "[" and (index == 0 or phrase[index - 1] != "\\"):
            depth += 1
        elif char == "]" and depth and phrase[index - 1] != "\\":
            depth -= 1
        if char == " " and not depth:  # an optional space ("sign ?off") stays optional
            optional = phrase[index + 1:index + 2] == "?" and phrase[index + 2:index + 3] not in ("<", ":", "!", "=")
            out.append(r"\s*" if optional else r"\s+")
            continue
        if char == "?" and index and phrase[index - 1] == " " and not depth and out and out[-1] == r"\s*":
            continue
        out.append(char)
    return "".join(out)


@lru_cache(maxsize=1)
def _providers() -> str:
    """The hosted model providers of the vocabulary as an alternation ("azure openai|anthropic|openai|...")."""
    names = sorted(vocabulary().names_of_role(_HOSTED_PROVIDERS), key=len, reverse=True)
    return "(?:" + "|".join(r"\s+".join(re.escape(word) for word in name.split()) for name in names) + ")"
