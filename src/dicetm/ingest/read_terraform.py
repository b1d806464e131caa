"""Terraform files into resources: HCL2 parsed with python-hcl2, each ``resource``, ``data`` and ``module`` block
with the line of its header and the addresses each of its attributes refers to. A file the parser cannot read
is a note naming its line, not an error (the parser may lag behind HCL); ``count``/``for_each`` and ``dynamic``
blocks are noted, since they are not evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from lark.exceptions import LarkError

from dicetm.ingest.documents import string_values
from dicetm.ingest.extract_ir import Extraction, SourceText

_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
_HEADER = re.compile(r'^\s*(resource|data|module)\s+"?([\w-]+)"?\s*(?:"?([\w-]+)"?)?\s*\{')
_REFERENCE = re.compile(r"(?<![\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+|module)\.([A-Za-z_][\w-]*)")
# attributes that order or multiply resources, not data they use
NOT_DATA = frozenset({"depends_on", "count", "for_each", "lifecycle", "provider", "tags", "tags_all", "timeouts"})


@dataclass
class Resource:
    mode: str  # "resource", "data" or "module" (a module's type is "module", its label its name)
    type: str
    label: str
    body: dict[str, Any]
    line: int  # source line index of its header
    end: int  # index of the next block's header (where to look for its attribute lines)
    refs: dict[str, set[str]] = field(default_factory=dict)  # top-level attribute -> addresses it refers to

    @property
    def address(self) -> str:
        return f"{self.mode}.{self.label}" if self.mode == "module" else \
            f"data.{self.type}.{self.label}" if self.mode == "data" else f"{self.type}.{self.label}"

    @property
    def source(self) -> str:
        """A module's source ("terraform-aws-modules/s3-bucket/aws", "./modules/api")."""
        return str(self.body.get("source") or "") if self.mode == "module" else ""

    def referenced(self) -> set[str]:
        return {a for key, found in self.refs.items() if key not in NOT_DATA for a in found}


def read_resources(source: SourceText, out: Extraction) -> list[Resource]:
    """The resources of a Terraform file (none, with a note, when it cannot be parsed)."""
    try:
        tree = hcl2.loads(source.text + "\n", serialization_options=_OPTIONS)
    except (LarkError, ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        line = getattr(exc, "line", None)
        where = source.where(line - 1) if isinstance(line, int) and line > 0 else None
        place = where.place if where is not None else file_of(source)
        out.note(f"{place}: this Terraform file could not be parsed ({type(exc).__name__}: "
                 f"{str(exc).splitlines()[0][:120] if str(exc) else 'no detail'}); its resources were not drafted")
        return []
    return _resources(source, tree, out) if isinstance(tree, dict) else []


def _resources(source: SourceText, tree: dict[str, Any], out: Extraction) -> list[Resource]:
    headers: dict[tuple[str, str, str], int] = {}
    starts = []
    for index, line in enumerate(source.lines):
        match = _HEADER.match(line)
        if match is not None:
            headers.setdefault((match.group(1), match.group(2), match.group(3) or ""), index)
            starts.append(index)
    found: list[Resource] = []
    counted: list[str] = []
    modules = [{"module": dict(items(block))} for block in as_list(tree.get("module"))]  # as if of type "module"
    for mode in ("resource", "data", "module"):
        for block in as_list(tree.get(mode)) if mode != "module" else modules:
            for resource_type, labelled in items(block):
                for label, body in items(labelled):
                    header = headers.get((mode, resource_type, label) if mode != "module" else (mode, label, ""))
                    if header is None or not isinstance(body, dict):
                        continue  # a block on a withheld line, or one the parser read differently
                    end = next((s for s in starts if s > header), len(source.lines))
                    resource = Resource(mode, resource_type, label, body, header, end)
                    resource.refs = {key: set(references_in(value)) for key, value in body.items()}
                    found.append(resource)
                    if "count" in body or "for_each" in body:
                        counted.append(resource.address)
    file = file_of(source)
    if counted:
        out.note(f"{file}: {len(counted)} resource(s) use count or for_each and are drafted as one element each: "
                 f"{', '.join(counted[:8])}{' ...' if len(counted) > 8 else ''}")
    dynamic = [r.address for r in found if "dynamic" in r.body]
    if dynamic:
        out.note(f"{file}: dynamic blocks are read once, as written (their for_each is not evaluated): "
                 f"{', '.join(dynamic[:8])}{' ...' if len(dynamic) > 8 else ''}")
    return found


def file_of(source: SourceText) -> str:
    home = next((h for h in source.homes if h is not None), None)
    return home[0].file if home is not None else "a Terraform file"


def references_in(value: Any) -> Iterator[str]:
    """The resource addresses (``aws_s3_bucket.docs``, ``data.aws_iam_policy_document.read``) an expression
    refers to."""
    for text in string_values(value):
        if "${" not in text and not _REFERENCE.fullmatch(text):
            continue
        for match in _REFERENCE.finditer(text):
            mode, resource_type, label = match.groups()
            yield f"data.{resource_type}.{label}" if mode else f"{resource_type}.{label}"


def text_of(value: Any) -> str:
    return " ".join(string_values(value))


def values_at(value: Any, path: str) -> list[Any]:
    """The values at a dotted path, lists flattened at every step (blocks are lists of mappings)."""
    current = [value]
    for part in path.split("."):
        following: list[Any] = []
        for item in current:
            for mapping in item if isinstance(item, list) else [item]:
                if isinstance(mapping, dict) and part in mapping:
                    found = mapping[part]
                    following += found if isinstance(found, list) else [found]
        current = following
    return current


def blocks_of(body: dict[str, Any], name: str | None) -> list[dict[str, Any]]:
    """The blocks of a name in a body, the content of ``dynamic "name"`` blocks included."""
    if name is None:
        return [body]
    found = [b for b in values_at(body, name) if isinstance(b, dict)]
    for dynamic in as_list(body.get("dynamic")):
        if isinstance(dynamic, dict) and isinstance(dynamic.get(name), dict):
            found += [b for b in values_at(dynamic[name], "content") if isinstance(b, dict)]
    return found


def as_paths(paths: str | list[str]) -> list[str]:
    return [paths] if isinstance(paths, str) else list(paths)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def items(value: Any) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in value.items()] if isinstance(value, dict) else []
