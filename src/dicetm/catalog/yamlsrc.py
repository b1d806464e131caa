"""YAML reading that remembers where each mapping started, so problems can name a line.

Mappings are loaded as ``LocatedDict`` (a plain dict with a ``line`` attribute). ``line_of`` walks a
pydantic error location (or any key path) into the loaded data and returns the line of the deepest
mapping it reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from dicetm.errors import CatalogError, Location, Problem

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LocatedDict(dict[Any, Any]):
    line: int | None = None


class _Loader(_BaseLoader):
    pass


def _construct_mapping(loader: Any, node: Any) -> LocatedDict:
    loader.flatten_mapping(node)
    data = LocatedDict(loader.construct_pairs(node, deep=True))
    data.line = node.start_mark.line + 1
    return data


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load_yaml(text: str, file: str) -> Any:
    """Parse YAML text; a syntax error becomes a CatalogError located at file:line:column."""
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader derives from the safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        where = Location(file=file, line=line, column=column)
        raise CatalogError([Problem(f"invalid YAML: {exc.problem or exc}", where)]) from exc
    except yaml.YAMLError as exc:
        raise CatalogError([Problem(f"invalid YAML: {exc}", Location(file=file))]) from exc


def line_of(data: Any, path: Sequence[int | str]) -> int | None:
    """Line of the deepest mapping reached by following ``path`` from ``data``."""
    line = getattr(data, "line", None)
    node = data
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", None) or line
    return line


def dotted(path: Sequence[int | str]) -> str:
    """Render a key path as ``techniques[3].tactics[0]``."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
