"""Input a component passes on to a store, unchecked: the query it builds from it (SQL injection, CWE-89, or another
query language, CWE-943) or the file path it opens with it (path traversal, CWE-22); and model files a loader parses
unchecked (out-of-bounds write and read in a native parser, CWE-787, CWE-125).

Which of the two applies is the fact ``file_paths`` on the component: true, it opens files at paths its input names;
false, it sends queries. Unset, a database-like store (``data_store``) may be either, so both are assumed and the
assumption says so; an agent's configuration is files. ``input_validation`` stated true on the component, or on the
MCP server that exposes a tool, rules both out. A model or agent writes whole queries and paths itself: that is
output handling (T-LLM-009) and tool misuse, not this.

The rules that already report the component's input reaching the store (T-AGENT-002 for a model's tool call,
T-STRIDE-006 for input from a less trusted zone) fold these weaknesses into their finding, with the assumption,
rather than raise one more finding on the same element.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dicetm.model import Element, Kind, System
from dicetm.rules.agent_common import join_names

QUERIED = frozenset({Kind.data_store})  # a database, or a file or object store: the model does not say which
FILES = frozenset({Kind.agent_config})  # rules, memory and settings files an agent loads
MODEL_KINDS = frozenset({Kind.llm, Kind.agent, Kind.ml_model})
QUERY_REFS = ("cwe:CWE-89", "cwe:CWE-943")
PATH_REFS = ("cwe:CWE-22",)
PARSER_REFS = ("cwe:CWE-787", "cwe:CWE-125")


@dataclass(frozen=True)
class Unchecked:
    references: tuple[str, ...] = ()
    sentence: str = ""  # for the scenario: what the unchecked input can do there
    assumptions: tuple[str, ...] = ()  # the unset facts it rests on, input_validation last


def validation_stated(system: System, actor: Element) -> bool | None:
    """``input_validation`` of the component, else of the MCP server that exposes it (a tool's own fact wins)."""
    if actor.input_validation is not None:
        return actor.input_validation
    server = system.element_by_id.get(actor.server) if actor.server else None
    return server.input_validation if server is not None else None


def unchecked_input(system: System, actor: Element, stores: Iterable[Element], *,
                    validation_said: bool = False) -> Unchecked:
    """What input ``actor`` passes on unchecked can do to ``stores`` it reads or writes (see the module text).
    ``validation_said``: the caller's finding already assumes unset ``input_validation``."""
    if actor.kind in MODEL_KINDS or validation_stated(system, actor) is True:
        return Unchecked()
    targets = list(stores)
    queried = [s for s in targets if s.kind in QUERIED]
    files = [s for s in targets if s.kind in FILES]
    paths = actor.file_paths is not False and bool(queried or files)
    queries = actor.file_paths is not True and bool(queried)
    if not paths and not queries:
        return Unchecked()
    names = join_names([*queried, *files])
    assumptions: list[str] = []
    if paths and queries:
        assumptions.append(f"Whether {actor.name} opens files at paths taken from its input or builds queries to "
                           f"{names} from it is not stated (file_paths); assumed either.")
    if validation_stated(system, actor) is None and not validation_said:
        assumptions.append(f"Whether {actor.name} checks the values it passes on to {names} is not stated "
                           "(input_validation); assumed not.")
    harms = [*(["a path with '../' or a link that reaches files outside the folder meant (path traversal)"]
               if paths else []),
             *(["a value with quotes or operators that changes the query itself (SQL or query injection)"]
               if queries else [])]
    sentence = f" What it passes on to {names} can also carry " + " or ".join(harms) + "."
    return Unchecked(references=(*(PATH_REFS if paths else ()), *(QUERY_REFS if queries else ())),
                     sentence=sentence, assumptions=tuple(assumptions))


def unpacked_paths(system: System, host: Element, stores: Iterable[Element]) -> Unchecked:
    """Files ``host`` downloads from ``stores`` and saves or unpacks: names chosen by whoever wrote them there
    (``../`` in an archive entry, an absolute path, a link) can land outside its folder, unless the host is stated not
    to open paths from its input (``file_paths: false``) or to check them (``input_validation``)."""
    files = [s for s in stores if s.kind in QUERIED]
    if not files or host.file_paths is False or validation_stated(system, host) is True:
        return Unchecked()
    names = join_names(files)
    assumptions = () if validation_stated(system, host) is False else (
        f"Whether {host.name} checks the names of the files it saves and unpacks from {names} is not stated "
        "(input_validation); assumed not.",)
    sentence = (f" The names of files it saves and unpacks from {names} are chosen there too: an entry named with "
                "'../' or a link writes outside its folder (path traversal), over code or settings it runs later.")
    return Unchecked(references=PATH_REFS, sentence=sentence, assumptions=assumptions)


def parsed_model_files(loader: Element) -> Unchecked:
    """Model files from outside that ``loader`` parses: most runtimes parse weight formats (GGUF, ONNX, TFLite,
    SavedModel) in C or C++, where a header with lying sizes or offsets makes the parser read or write out of bounds
    and take the process over, with no code in the file. Unless the loader is stated to validate its input. A model
    provider supplies the files: whatever loads them parses them."""
    if loader.input_validation is True:
        return Unchecked()
    who = (f"what loads the model files of {loader.name} checks them" if loader.kind is Kind.model_provider
           else f"{loader.name} checks model files")
    assumptions = () if loader.input_validation is False else (
        f"Whether {who} before parsing them is not stated (input_validation); assumed a malformed one reaches a "
        "native parser.",)
    sentence = (" A malformed model file can also overflow the native code that parses it (sizes and offsets that "
                "read or write out of bounds), taking the process over with no code in the file.")
    return Unchecked(references=PARSER_REFS, sentence=sentence, assumptions=assumptions)
