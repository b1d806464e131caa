"""Kubernetes manifests into objects: every object of every YAML document of a file (``kind: List`` items
included), each mapping remembering the line of each of its keys so the extractor can cite it.

Only the kinds the extractor reads are parsed (an install manifest is mostly CustomResourceDefinitions). A Helm
chart template is read without rendering it: its ``{{ }}`` actions are blanked (lines kept), and objects whose
name is templated are left out, with a note. A document that is not YAML is noted and skipped; the others are
read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from dicetm.ingest.extract_ir import Extraction, SourceText

WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet",
                       "ReplicationController", "DeploymentConfig"})
_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)
TEMPLATED = "__templated__"  # what a template action in a value is replaced by
_DOCUMENT_START = re.compile(r"^---(?:\s|$)")
_TOP_KIND = re.compile(r"^kind\s*:\s*[\"']?(\w+)", re.M)
_READ = WORKLOADS | {"Service", "Ingress", "NetworkPolicy", "Namespace", "ConfigMap", "List", "InferenceService"}


class Lines(dict[Any, Any]):
    """A YAML mapping that remembers the line (0-based, within its document) of each key."""

    lines: dict[Any, int]


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _mapping(loader: Any, node: yaml.MappingNode) -> Lines:
    loader.flatten_mapping(node)
    data = Lines()
    data.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = key_node.start_mark.line
    return data


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@dataclass
class K8sObject:
    kind: str
    api: str
    name: str
    namespace: str | None
    body: Lines
    offset: int  # index of the document's first line in the source

    def line(self, mapping: Any, key: str) -> int:
        """The source line index of ``key`` in ``mapping`` (a mapping of this object), else the object's first."""
        lines = getattr(mapping, "lines", {})
        return self.offset + lines[key] if key in lines else self.offset + self.body.lines.get("kind", 0)



def looks_like_kubernetes(head: str) -> bool:
    """Text that holds a Kubernetes object: top-level ``apiVersion`` and ``kind`` keys."""
    return bool(re.search(r"^apiVersion\s*:", head, re.M) and re.search(r"^kind\s*:", head, re.M))


def read_objects(source: SourceText, out: Extraction) -> list[K8sObject]:
    """Every object of every YAML document in the source (``kind: List`` items included)."""
    found: list[K8sObject] = []
    templated = False
    start = 0
    lines = list(source.lines)
    bounds = [i for i, line in enumerate(lines) if _DOCUMENT_START.match(line)]
    for end in [*bounds, len(lines)]:
        text = "\n".join(lines[start:end])
        offset, start = start, end + 1
        kind = _TOP_KIND.search(text)
        if not text.strip() or (kind is not None and kind.group(1) not in _READ):
            continue
        if "{{" in text:
            templated = True
            text = _untemplate(text)
        try:
            data = yaml.load(text, Loader=_LineLoader)  # a safe loader: plain data only
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = source.where(offset + (mark.line if mark is not None else 0))
            place = where.place if where is not None else "a Kubernetes manifest"
            out.note(f"{place}: this YAML document could not be read ({getattr(exc, 'problem', exc)}); its objects "
                     "were not drafted")
            continue
        items = data.get("items") if isinstance(data, Lines) and data.get("kind") == "List" else [data]
        for item in items if isinstance(items, list) else []:
            obj = _object(item, offset)
            if obj is not None:
                found.append(obj)
    if templated:
        where = source.where(0) or next((source.where(i) for i in range(len(lines)) if source.homes[i]), None)
        out.note(f"{where.span.file if where else 'a manifest'}: a Helm template ({{{{ }}}} actions) was read "
                 "without rendering it; objects with a templated name were left out. Describe the output of "
                 "`helm template` for a full draft")
    return found


def _untemplate(text: str) -> str:
    """Template actions out, lines kept: a line that is only actions becomes blank, an action inside a value
    becomes a marker (so a templated name is recognised and left out)."""
    def replace(match: re.Match[str]) -> str:
        return TEMPLATED + "\n" * match.group(0).count("\n")

    result = []
    for line in _TEMPLATE.sub(replace, text).split("\n"):
        bare = line.replace(TEMPLATED, "").strip()
        result.append("" if not bare or bare == "-" else line)
    return "\n".join(result)


def _object(item: Any, offset: int) -> K8sObject | None:
    if not isinstance(item, Lines):
        return None
    kind, api, metadata = item.get("kind"), item.get("apiVersion"), item.get("metadata")
    if not isinstance(kind, str) or not isinstance(api, str) or not isinstance(metadata, dict):
        return None
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if not isinstance(name, str) or not name or TEMPLATED in name:
        return None
    namespace = namespace if isinstance(namespace, str) and TEMPLATED not in namespace else None
    return K8sObject(kind, api, name, namespace, item, offset)


def child(value: Any, key: str) -> Lines:
    """``value[key]`` when it is a mapping, else an empty one."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, Lines) else _EMPTY


def entries(value: Any, key: str) -> list[Any]:
    """``value[key]`` when it is a list, else an empty one."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, list) else []


_EMPTY = Lines()
_EMPTY.lines = {}
