"""What ``describe`` recovered from the documents, and what it could not: the closing summary.

Counts of the drafted elements, flows, facts and trust boundaries; the statements that looked like flows but
could not be resolved, with their place; the facts the documents state differently (left unset); and an open
question for every unknown fact a rule would use, from the same place the analysis takes them
(``pipeline.describe.open_questions``), so the person reviewing the draft sees what to find out. The questions
are also written as a comment block at the end of the drafted model file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dicetm.model import OpenQuestion
from dicetm.model.system import Element, Flow, System

if TYPE_CHECKING:
    from dicetm.ingest.extract import Draft

_NOT_FACTS = frozenset({"id", "name", "kind", "description", "tags", "provenance", "source", "target", "data",
                        "bidirectional"})


@dataclass
class Recovery:
    elements: int = 0
    flows: int = 0
    facts: int = 0
    boundaries: int = 0
    unresolved: list[str] = field(default_factory=list)  # "file:line: why: "the words""
    disagreements: list[str] = field(default_factory=list)
    questions: list[OpenQuestion] = field(default_factory=list)


def recovery(system: System, draft: Draft, drafted: Mapping[str, Sequence[object]]) -> Recovery:
    """The summary of a describe run: ``drafted`` holds the items added to ``system`` by section."""
    from dicetm.pipeline.describe import open_questions

    elements = [e for e in drafted.get("elements", []) if isinstance(e, Element)]
    flows = [f for f in drafted.get("flows", []) if isinstance(f, Flow)]
    facts = sum(1 for item in [*elements, *flows]
                for name, value in item if name not in _NOT_FACTS and value is not None)
    unresolved = [f"{u.where.place}: {u.why}: \"{u.where.quote[:120]}\"" for u in draft.unresolved]
    ids = {e.id for e in elements}
    questions = [q for q in open_questions(system)
                 if q.topic != "DRAFT" and q.field is not None and set(q.elements) & ids]
    return Recovery(len(elements), len(flows), facts, len(drafted.get("trust_boundaries", [])), unresolved,
                    list(draft.questions), questions)


def questions_comment(summary: Recovery) -> str:
    """The open questions as a YAML comment block for the end of the model file ('' when there are none)."""
    if not summary.questions and not summary.disagreements:
        return ""
    lines = ["", "# Open questions from dicetm describe: answer them in the model above (or leave the fact unset),",
             "# then delete this block."]
    lines += [f"# - {_one_line(text)}" for text in summary.disagreements]
    lines += [f"# - {q.id}: {_one_line(q.question)} (field: {q.field})" for q in summary.questions]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
