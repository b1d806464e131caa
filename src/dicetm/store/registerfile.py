"""The register file, ``dicetm-register.yaml``: one stable text per register, read back with located errors.

Format 2 (written since the register format change) is a JSON layout, which YAML tools and older dicetm
releases read too: a header comment, then one object whose lists hold one entry per block, each field of
an entry on its own line and each history entry on one line. A decision changes a few lines of one entry
and adds one history line, so the git diff is small and readable. Keys follow the model's field order and
the lists are sorted (threats and countermeasures by id, residual risks by threat).

JSON reads some fifteen times faster than YAML, and an :class:`Encoded` register keeps the text and the
canonical JSON of every entry, so a commit re-encodes only the entries that changed and computes the
register's digest from the parts. Format 1 (block YAML) is still read; the workspace rewrites it in
format 2, with an audit record, at its first write.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dicetm.errors import Location, Problem, StoreError
from dicetm.gcpause import gc_paused
from dicetm.model.register import AuditHead, CountermeasureEntry, Register, ResidualRiskRecord, ThreatEntry
from dicetm.store.modelfile import format_path
from dicetm.store.wsfiles import read_bytes
from dicetm.store.yamlfile import parse_yaml_model

REGISTER_FILENAME = "dicetm-register.yaml"
HEADER = ("# Written by dicetm as JSON (which YAML tools read too). Record decisions with dicetm; the audit log "
          "flags any edit made by hand.\n")
LABEL = "the register"
HINT = "dicetm writes this file; undo the hand edit or restore it from version control"
# The lists of a register, the field that orders each of them, and the model of their entries.
LISTS: dict[str, str] = {"threats": "id", "countermeasures": "id", "residual_risks": "threat"}
_ENTRIES: dict[str, type[BaseModel]] = {"threats": ThreatEntry, "countermeasures": CountermeasureEntry,
                                        "residual_risks": ResidualRiskRecord}

_ENTRY_FIELD, _ENTRY_CLOSE, _HISTORY_LINE = " " * 6, " " * 4, " " * 8
# Characters JSON leaves as they are but YAML readers refuse or read as line breaks: written as escapes.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
# A JSON number with an exponent but no point (1e-05), which YAML 1.1 reads as text; strings are skipped.
_BARE_EXPONENT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\w.])(-?\d+)([eE][-+]?\d+)')
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def canonical(value: object) -> bytes:
    """The byte form that is hashed (the audit log's canonical JSON): sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _compact(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if "e-" in text or "e+" in text:
        text = _BARE_EXPONENT.sub(lambda found: found.group() if found.group(1) is None
                                  else f"{found.group(1)}.0{found.group(2)}", text)
    return _YAML_UNSAFE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def entry_text(entry: Mapping[str, Any]) -> str:
    """One list entry as it stands in the file (from its opening brace; continuation lines indented)."""
    fields = []
    for key, value in entry.items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            items = ",\n".join(_HISTORY_LINE + _compact(item) for item in value)
            fields.append(f"{_ENTRY_FIELD}{_compact(key)}: [\n{items}\n{_ENTRY_FIELD}]")
        else:
            fields.append(f"{_ENTRY_FIELD}{_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(fields) + "\n" + _ENTRY_CLOSE + "}"


@dataclass(frozen=True)
class Encoded:
    """One register state in every form a commit needs.

    ``data`` is the register's JSON form with sorted lists; ``canonical`` the canonical JSON of each list
    entry; ``texts`` maps an entry's canonical JSON to its text in the file, so an unchanged entry is never
    encoded twice; ``digest`` equals ``audit.register_digest`` of the register.
    """

    data: dict[str, Any]
    canonical: dict[str, list[bytes]]
    texts: dict[bytes, str]
    digest: str
    # The Register object a file was parsed into, handed out once by ``register`` (it spares a copy).
    parsed: list[Register] = field(default_factory=list, compare=False, repr=False)

    @property
    def head(self) -> AuditHead | None:
        head = self.data.get("audit_head")
        return AuditHead.model_validate(head) if head is not None else None

    def register(self) -> Register:
        """A new Register object of this state, sharing nothing with it (safe to change)."""
        if self.parsed:
            return self.parsed.pop()
        register = Register.model_validate_json(self.digest_input())
        register.audit_head = self.head
        return register

    def digest_input(self) -> bytes:
        """The canonical JSON of the register without ``audit_head``, assembled from the parts."""
        parts = []
        for key in sorted(k for k in self.data if k != "audit_head"):
            value = b"[" + b",".join(self.canonical[key]) + b"]" if key in LISTS else canonical(self.data[key])
            parts.append(canonical(key) + b":" + value)
        return b"{" + b",".join(parts) + b"}"

    def text(self, head: AuditHead | None = None) -> str:
        """The file text, with ``head`` as its ``audit_head`` (default: the one it has)."""
        lines = []
        for key, value in self.data.items():
            if key == "audit_head" and head is not None:
                value = head.model_dump(mode="json")
            if key in LISTS:
                entries = self.canonical[key]
                body = ",\n".join("    " + self.texts[item] for item in entries)
                lines.append(f"  {_compact(key)}: [\n{body}\n  ]" if entries else f"  {_compact(key)}: []")
            else:
                lines.append(f"  {_compact(key)}: {_compact(value)}")
        return HEADER + "{\n" + ",\n".join(lines) + "\n}\n"


def encode(register: Register, known: Mapping[bytes, str] | None = None) -> Encoded:
    """Validate ``register`` (a copy, with sorted lists) and encode it; ``known`` texts are reused.

    ``known`` maps the canonical JSON of entries already validated (an Encoded state's ``texts``) to their
    text. Every other entry is validated and dumped again, so the digest is the one a reader of the file
    computes (a value set without validation, such as an int in a float field, reads back validated).
    """
    known = known or {}
    data = register.model_dump(mode="json")
    encoded = Register.model_validate({k: v for k, v in data.items() if k not in LISTS}).model_dump(mode="json")
    codes: dict[str, list[bytes]] = {}
    for key, order in LISTS.items():
        pairs = []
        for item in data[key]:
            code = canonical(item)
            if code not in known:
                item = _ENTRIES[key].model_validate(item).model_dump(mode="json")
                code = canonical(item)
            pairs.append((item[order], item, code))
        pairs.sort(key=lambda pair: pair[0])
        encoded[key] = [item for _order, item, _code in pairs]
        codes[key] = [code for _order, _item, code in pairs]
    return _encoded(encoded, known, codes=codes)


def _encoded(data: dict[str, Any], known: Mapping[bytes, str], texts_in_file: Mapping[str, list[str]] | None = None,
             codes: Mapping[str, list[bytes]] | None = None) -> Encoded:
    """Encode ``data`` (a register's JSON form); ``texts_in_file`` holds each list's entry texts as read,
    ``codes`` the canonical JSON of each entry when it is known already."""
    lists: dict[str, list[bytes]] = {}
    texts: dict[bytes, str] = {}
    for key in LISTS:
        given = texts_in_file[key] if texts_in_file is not None else None
        lists[key] = list(codes[key]) if codes is not None else [canonical(item) for item in data[key]]
        for index, (item, code) in enumerate(zip(data[key], lists[key], strict=True)):
            texts[code] = given[index] if given is not None else known.get(code) or entry_text(item)
    partial = Encoded(data, lists, texts, "")
    return Encoded(data, lists, texts, hashlib.sha256(partial.digest_input()).hexdigest())


def normalized(register: Register) -> Register:
    """A validated deep copy of ``register`` with its lists in file order."""
    return encode(register).register()


def dump_register(register: Register) -> str:
    """The file text of a register, in format 2 (pass it through ``normalized`` first for the stable order)."""
    return _encoded(register.model_dump(mode="json"), {}).text()


def load_register(path: Path) -> Register | None:
    """The register stored at ``path``, or None when there is no such file (a symbolic link is refused)."""
    data = read_bytes(Path(path), LABEL)
    return parse_encoded(data, str(path)).register() if data is not None else None


def parse_register(text: str, filename: str) -> Register:
    """Register file text (either format) as a Register; StoreError lists every problem with its line and field."""
    return parse_encoded(text, filename).register()


@gc_paused()  # a large register is read into many small acyclic objects; see dicetm.gcpause
def parse_encoded(raw: bytes | str, filename: str) -> Encoded:
    """Register file bytes or text (either format) as an Encoded state; StoreError locates every problem."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise StoreError([Problem(f"{LABEL} is not UTF-8 text (byte {exc.start + 1})",
                                      Location(file=filename, line=line), HINT)]) from None
    else:
        text = raw
    start = _body_start(text)
    if start < len(text) and text[start] in "{[":
        return _parse_json(text, start, filename)
    register = parse_yaml_model(text, filename, Register, LABEL, HINT)  # format 1
    encoded = _encoded(register.model_dump(mode="json"), {})
    encoded.parsed.append(register)
    return encoded


def _body_start(text: str) -> int:
    """Where the content begins, after blank lines and the header's comment lines."""
    position = 0
    while position < len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end + 1
        if text[position:end].strip() and not text[position:end].lstrip().startswith("#"):
            return position + len(text[position:end]) - len(text[position:end].lstrip())
        position = end
    return position


def _parse_json(text: str, start: int, filename: str) -> Encoded:
    try:
        data, texts = _scan(text, start)
    except (ValueError, IndexError):  # not in the layout dicetm writes: read it as plain JSON
        data, texts = _plain_json(text, start, filename), None
    try:
        register = Register.model_validate(data)
    except ValidationError as exc:
        # JSON is YAML: the YAML reader finds the line and column of every problem.
        parse_yaml_model(text, filename, Register, LABEL, HINT)
        raise StoreError([Problem(f"{LABEL}: {error['msg']}", Location(file=filename, path=format_path(error["loc"])),
                                  HINT) for error in exc.errors()]) from None
    dumped = register.model_dump(mode="json")
    # With defaults filled in or values converted, the entry texts no longer say what the register holds.
    encoded = _encoded(dumped, {}, texts if texts is not None and dumped == data else None)
    encoded.parsed.append(register)
    return encoded


def _plain_json(text: str, start: int, filename: str) -> dict[str, Any]:
    try:
        value, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise StoreError([Problem(f"{LABEL} is not valid JSON: {exc.msg}",
                                  Location(file=filename, line=exc.lineno, column=exc.colno), HINT)]) from None
    except (ValueError, RecursionError):
        raise StoreError([Problem(f"{LABEL} cannot be read as JSON", Location(file=filename), HINT)]) from None
    rest = text[end:]
    if rest.strip():
        line = text.count("\n", 0, end + len(rest) - len(rest.lstrip())) + 1
        raise StoreError([Problem(f"{LABEL} has more text after its closing brace", Location(file=filename, line=line),
                                  HINT)])
    if not isinstance(value, dict):
        raise StoreError([Problem(f"{LABEL} must be a mapping of fields at the top level",
                                  Location(file=filename, line=text.count("\n", 0, start) + 1), HINT)])
    return value


def _skip(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    return match.end() if match else position


def _scan(text: str, position: int) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Parse the top-level object, keeping the text of every list entry; ValueError on anything unexpected."""
    data: dict[str, Any] = {}
    texts: dict[str, list[str]] = {key: [] for key in LISTS}
    if text[position] != "{":
        raise ValueError("no object")
    position = _skip(text, position + 1)
    while text[position] != "}":
        if text[position] != '"':
            raise ValueError("no key")
        key, position = json.decoder.scanstring(text, position + 1)  # type: ignore[attr-defined]
        position = _skip(text, position)
        if text[position] != ":" or key in data:
            raise ValueError("no colon, or a key given twice")
        position = _skip(text, position + 1)
        if key in LISTS and text[position] == "[":
            data[key], position = _scan_list(text, _skip(text, position + 1), texts[key])
        else:
            data[key], position = _DECODER.raw_decode(text, position)
        position = _skip(text, position)
        if text[position] == ",":
            position = _skip(text, position + 1)
            if text[position] == "}":
                raise ValueError("a trailing comma")
        elif text[position] != "}":
            raise ValueError("no comma")
    if text[position + 1:].strip():
        raise ValueError("text after the object")
    return data, texts


def _scan_list(text: str, position: int, texts: list[str]) -> tuple[list[Any], int]:
    items: list[Any] = []
    while text[position] != "]":
        item, end = _DECODER.raw_decode(text, position)
        texts.append(text[position:end])
        items.append(item)
        position = _skip(text, end)
        if text[position] == ",":
            position = _skip(text, position + 1)
            if text[position] == "]":
                raise ValueError("a trailing comma")
        elif text[position] != "]":
            raise ValueError("no comma")
    return items, position + 1


