"""``dicetm-proposals.yaml``: what LLM assistance and the document scan left in a workspace.

dicetm writes it; people review its threats through the register like any other threat. Merging is additions
only: an item already in the file is never replaced, so a later run cannot rewrite an earlier proposal.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from dicetm.model.proposals import ProposalFile
from dicetm.store.atomic import write_text_atomic
from dicetm.store.yamlfile import decode_yaml_model, read_yaml_model

PROPOSALS_FILENAME = "dicetm-proposals.yaml"
HEADER = ("# Written by dicetm: proposals from LLM assistance and what the document scan withheld.\n"
          "# Nothing here counts until a named person reviews it (dicetm review).\n")
_HINT = "dicetm writes this file; restore it from version control or delete it to drop every proposal"
_LABEL = "the proposals file"
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def proposals_path(model_path: Path) -> Path:
    return Path(model_path).parent / PROPOSALS_FILENAME


def load_proposals(path: Path) -> ProposalFile | None:
    """The proposals stored at ``path``, or None when there is no such file."""
    return read_yaml_model(path, ProposalFile, _LABEL, _HINT)


def parse_proposals(data: bytes, filename: str) -> ProposalFile:
    """Proposals file bytes as a ProposalFile; StoreError locates every problem."""
    return decode_yaml_model(data, filename, ProposalFile, _LABEL, _HINT)


def dump_proposals(proposals: ProposalFile) -> str:
    data = proposals.model_dump(mode="json", exclude_none=True)
    return HEADER + yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True)


def save_proposals(path: Path, proposals: ProposalFile) -> None:
    write_text_atomic(path, dump_proposals(proposals))


def merge_proposals(old: ProposalFile | None, new: ProposalFile) -> ProposalFile:
    """``old`` plus what ``new`` adds. Existing items win: ids already present are not replaced.

    The withheld list is the union (a span withheld once stays listed); runs are appended.
    """
    if old is None:
        return new
    threat_ids = {t.id for t in old.threats}
    control_ids = {c.id for c in old.controls}
    notes = {(n.threat, n.text) for n in old.supporting}
    drafted = {d.threat for d in old.impact_drafts}
    withheld = {(w.file, w.page, w.line, w.category) for w in old.withheld}
    return ProposalFile(
        threats=[*old.threats, *(t for t in new.threats if t.id not in threat_ids)],
        controls=[*old.controls, *(c for c in new.controls if c.id not in control_ids)],
        supporting=[*old.supporting, *(n for n in new.supporting if (n.threat, n.text) not in notes)],
        impact_drafts=[*old.impact_drafts, *(d for d in new.impact_drafts if d.threat not in drafted)],
        withheld=[*old.withheld, *(w for w in new.withheld if (w.file, w.page, w.line, w.category) not in withheld)],
        runs=[*old.runs, *new.runs],
    )
