"""The assisted commands as library calls: scan, describe from documents, propose threats and impact wording.

Order of trust, enforced here: documents are read and scanned before any model sees them (links out of the
paths given and credential files are skipped, see ``ingest.sources``); flagged spans are withheld from every
prompt (and from the offline extractor's text) unless the caller allows them, and spans holding a secret are
withheld even then; a model's output only ever lands in the proposals file or as new drafted items, and the
analysis before and after is compared so that nothing the rules or a person produced can have gone missing or
changed. What is sent is announced before it leaves (``outbound.Gate``); a dry run sends and writes nothing.
When the provider fails, describe still writes the offline draft and says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dicetm.assist.outbound import Gate, Outbound
from dicetm.errors import InputError, Location, Problem, ProviderError
from dicetm.ingest.documents import Document, Span
from dicetm.ingest.limits import ReadLimits
from dicetm.ingest.scan import ScanFinding
from dicetm.ingest.sources import Skipped
from dicetm.model import AnalysisResult, System
from dicetm.model.proposals import ProposalFile, RunRecord, WithheldSpan
from dicetm.providers.interface import StructuredLLM, Usage
from dicetm.store.audit import timestamp

if TYPE_CHECKING:
    from dicetm.ingest.recovery import Recovery

Progress = Callable[[int, int], None]


@dataclass
class Scanned:
    documents: list[Document]
    findings: list[ScanFinding]  # sorted by file, page and line
    blocking: list[ScanFinding]  # the findings that fail a scan (severity low and above)
    withheld: dict[Span, str]  # span -> the marker that replaces it in prompts
    skipped: list[Skipped] = field(default_factory=list)  # files not read: links not followed, credential files
    notes: list[str] = field(default_factory=list)  # what the second opinion could not do

    def flagged_categories(self) -> dict[Span, str]:
        """Each withheld span with the categories of its findings (``instruction, secret``)."""
        from dicetm.ingest.scan import CATEGORIES

        found: dict[Span, set[str]] = {}
        for finding in self.findings:
            if finding.span in self.withheld:
                found.setdefault(finding.span, set()).add(finding.category)
        return {span: ", ".join(sorted(names, key=CATEGORIES.index)) for span, names in found.items()}

    def withheld_records(self) -> list[WithheldSpan]:
        """One record per withheld span, naming its most severe finding."""
        from dicetm.ingest.scan import withheld_records

        return withheld_records(f for f in self.findings if f.span in self.withheld)


def scan_paths(paths: Sequence[Path], *, allow_flagged: bool = False, follow_symlinks: bool = False,
               limits: ReadLimits | None = None, second_opinion: StructuredLLM | None = None) -> Scanned:
    """Read every document and scan it; the flagged spans are withheld, and with ``allow_flagged`` still those
    holding a secret. ``second_opinion``: a model that is also asked about the flagged and borderline spans (its
    answers can only add findings, see ``assist.second_opinion``)."""
    from dicetm.ingest.readers import read_document_set

    document_set = read_document_set(paths, follow_symlinks=follow_symlinks, limits=limits)
    return scan_read(document_set.documents, allow_flagged=allow_flagged, skipped=document_set.skipped,
                     second_opinion=second_opinion)


def scan_read(documents: list[Document], *, allow_flagged: bool = False, skipped: Sequence[Skipped] = (),
              second_opinion: StructuredLLM | None = None) -> Scanned:
    """Scan documents already read; the flagged spans are withheld, and with ``allow_flagged`` still those
    holding a secret."""
    from dicetm.ingest.scan import blocking, report_order, scan_documents, withheld_marker

    findings = list(scan_documents(documents).findings)
    notes: list[str] = []
    if second_opinion is not None:
        from dicetm.assist.second_opinion import second_opinion as ask_second_opinion

        opinion = ask_second_opinion(documents, findings, second_opinion)
        findings = sorted([*findings, *opinion.findings], key=report_order)
        notes = opinion.warnings
    by_span: dict[Span, list[ScanFinding]] = {}
    for finding in findings:
        by_span.setdefault(finding.span, []).append(finding)
    withheld = {span: withheld_marker(found) for span, found in by_span.items()
                if not allow_flagged or any(f.category == "secret" for f in found)}
    return Scanned(documents, findings, blocking(findings), withheld, list(skipped), notes)


def _without_withheld(documents: Sequence[Document], withheld: dict[Span, str]) -> list[Document]:
    return [dataclasses.replace(d, spans=tuple(s for s in d.spans if s not in withheld)) for d in documents]


def run_record(command: str, llm: StructuredLLM, usage_before: Usage, **counts: Any) -> RunRecord:
    """What one assisted step cost and kept, as the difference of the client's usage before and after."""
    now = llm.usage
    cost = None
    if now.cost_usd is not None:
        cost = round(now.cost_usd - (usage_before.cost_usd or 0.0), 6)
    return RunRecord(command=command, provider=llm.provider_name, model=llm.model, at=timestamp(),
                     calls=now.calls - usage_before.calls, cache_hits=now.cache_hits - usage_before.cache_hits,
                     input_tokens=now.input_tokens - usage_before.input_tokens,
                     output_tokens=now.output_tokens - usage_before.output_tokens, cost_usd=cost,
                     warnings=now.warnings[len(usage_before.warnings):], **counts)


class WithProgress:
    """A StructuredLLM that reports the progress of every ``ask_many`` to ``progress(done, total)``."""

    def __init__(self, llm: StructuredLLM, progress: Progress) -> None:
        self._llm, self._progress = llm, progress
        self.provider_name, self.model = llm.provider_name, llm.model
        self.usage = llm.usage  # the same object: counts stay in one place

    def ask(self, task: str, request: Any, schema: Any) -> Any:
        return self._llm.ask(task, request, schema)

    def ask_many(self, task: str, requests: Sequence[Any], schema: Any,
                 progress: Progress | None = None) -> list[Any]:
        return self._llm.ask_many(task, requests, schema, progress=progress or self._progress)


def _usage_snapshot(llm: StructuredLLM) -> Usage:
    return dataclasses.replace(llm.usage, warnings=list(llm.usage.warnings))


# ------------------------------------------------------------------------------------------------ describe


@dataclass
class DescribeOutcome:
    model_path: Path
    system: System
    added: dict[str, int]  # section -> items added
    scanned: Scanned
    notes: list[str] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    recovery: Recovery | None = None  # what the documents gave and what they did not (counts, questions)
    provider_error: str | None = None  # the model could not be asked: only the offline draft was written
    written: bool = True  # False for a dry run


def _is_new(item: Any, ids: set[str], names: set[str]) -> bool:
    name = getattr(item, "name", None)
    return item.id not in ids and not (name and name.casefold() in names)


def describe_documents(paths: Sequence[Path], out: Path, *, merge: bool = False, name: str | None = None,
                       llm: StructuredLLM | None = None, allow_flagged: bool = False, actor: str = "dicetm",
                       follow_symlinks: bool = False, limits: ReadLimits | None = None,
                       dry_run: bool = False, on_scan: Callable[[Scanned], None] | None = None) -> DescribeOutcome:
    """Draft a model from documents into ``out`` (a new file, or ``merge`` into the existing one).

    The offline extractor always runs; a model, when given, adds what it can cite. Existing items are never
    changed: only new elements, flows and boundaries are added. The scan's withheld spans and the run go into
    the workspace's proposals file and audit log. When the model's provider fails, the offline draft is written
    all the same and ``provider_error`` says why the model added nothing. ``dry_run``: nothing is written (give
    a ``Gate`` in dry-run mode as ``llm`` so that nothing is sent either). ``on_scan`` hears what was read and
    skipped before anything else happens.
    """
    from dicetm.api import load
    from dicetm.catalog import load_catalog
    from dicetm.ingest.extract import extract_draft
    from dicetm.ingest.recovery import questions_comment, recovery
    from dicetm.store.modelmerge import append_items

    scanned = scan_paths(paths, allow_flagged=allow_flagged, follow_symlinks=follow_symlinks, limits=limits)
    if on_scan is not None:
        on_scan(scanned)
    if out.exists() and not merge:
        raise InputError([Problem(f"{out} already exists", Location(file=str(out)),
                                  "pass --merge to add the drafted items to it, or choose another --out")])
    base = load(out).system if merge else None
    visible = _without_withheld(scanned.documents, scanned.withheld)
    draft = extract_draft(visible, name=name if base is None else base.name, flagged=scanned.flagged_categories())
    notes = list(draft.notes)
    drafted = _additions(base, draft.system)
    runs: list[RunRecord] = []
    provider_error: str | None = None
    if llm is not None:
        from dicetm.assist.describe_llm import draft_system

        before = _usage_snapshot(llm)
        combined = _combine(base, draft.system, drafted)
        try:
            outcome = draft_system(scanned.documents, llm, withheld=scanned.withheld, base=combined, name=name,
                                   expected=drafted["elements"])
        except ProviderError as exc:  # unreachable, refused, out of quota: the offline draft still stands
            provider_error = " ".join(str(exc).split())
            runs.append(run_record("describe", llm, before))
            runs[-1].warnings.append(f"the model was not asked to the end: {provider_error}")
        else:
            for section, items in (("elements", outcome.elements), ("flows", outcome.flows),
                                    ("trust_boundaries", outcome.boundaries)):
                drafted[section] += items
            notes += [f"question: {q}" for q in outcome.questions] + outcome.warnings
            runs.append(run_record("describe", llm, before, kept=outcome.kept,
                                   dropped_invented=outcome.dropped_invented,
                                   dropped_unverified=outcome.dropped_unverified,
                                   dropped_invalid=outcome.dropped_invalid))
    known_controls = set(load_catalog().controls)
    additions = {section: [i.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for i in items]
                 for section, items in drafted.items()}
    if merge:
        text, loaded = append_items(out.read_text(encoding="utf-8"), str(out), additions, known_controls)
    else:
        text, loaded = _new_model_text(draft.system, drafted, paths, str(out), known_controls)
    summary = recovery(loaded.system, draft, drafted)
    added = {k: len(v) for k, v in drafted.items()}
    if not dry_run:
        _write_describe(out, text + questions_comment(summary), scanned, runs, actor, added)
    return DescribeOutcome(out, loaded.system, added, scanned, notes, runs, summary, provider_error,
                           written=not dry_run)


@dataclass
class DraftOutcome:
    """What the offline extractor drafts from documents that the model does not have yet; nothing is written."""

    scanned: Scanned
    drafted: dict[str, list[Any]]  # section -> drafted elements, flows or trust boundaries
    notes: list[str]


def draft_from_documents(files: Sequence[Path], base: System | None, root: Path) -> DraftOutcome:
    """Scan the documents, withhold the flagged spans, and draft what the rest states (offline only), for a
    person to accept, edit or drop item by item (the workbench's describe page). Files are named relative to
    ``root`` in spans and provenance, so the model file stays the same on every machine."""
    from dicetm.ingest.extract import extract_draft
    from dicetm.ingest.readers import read_document

    scanned = scan_read([read_document(f, display=f.relative_to(root).as_posix()) for f in files])
    draft = extract_draft(_without_withheld(scanned.documents, scanned.withheld),
                          name=base.name if base is not None else None, flagged=scanned.flagged_categories())
    return DraftOutcome(scanned, _additions(base, draft.system), list(draft.notes))


def _additions(base: System | None, draft: System) -> dict[str, list[Any]]:
    """The drafted items the base model does not have yet (by id, or by name for elements and boundaries)."""
    result: dict[str, list[Any]] = {"elements": [], "flows": [], "trust_boundaries": []}
    for section in result:
        existing = list(getattr(base, section)) if base is not None else []
        ids = {i.id for i in existing}
        names = {i.name.casefold() for i in existing if getattr(i, "name", None)}
        result[section] = [i for i in getattr(draft, section) if _is_new(i, ids, names)]
    if base is not None:  # a drafted flow may point at an element the base names under another id
        known = {e.id for e in base.elements} | {e.id for e in result["elements"]}
        result["flows"] = [f for f in result["flows"] if f.source in known and f.target in known]
        result["trust_boundaries"] = [b.model_copy(update={"elements": [e for e in b.elements if e in known]})
                                      for b in result["trust_boundaries"]]
    return result


def _combine(base: System | None, draft: System, drafted: dict[str, list[Any]]) -> System:
    if base is None:
        return draft
    return base.model_copy(update={"elements": [*base.elements, *drafted["elements"]],
                                   "flows": [*base.flows, *drafted["flows"]],
                                   "trust_boundaries": [*base.trust_boundaries, *drafted["trust_boundaries"]]})


def _new_model_text(draft: System, drafted: dict[str, list[Any]], paths: Sequence[Path], filename: str,
                    known_controls: set[str]) -> tuple[str, Any]:
    import yaml

    from dicetm.store.modelfile import parse_system_text

    system = draft.model_copy(update={"elements": drafted["elements"], "flows": drafted["flows"],
                                      "trust_boundaries": drafted["trust_boundaries"]})
    data = system.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    body = yaml.safe_dump({"version": system.version, **{k: v for k, v in data.items() if k != "version"}},
                          sort_keys=False, allow_unicode=True, width=120)
    sources = ", ".join(str(p) for p in paths)
    header = ("# Drafted by dicetm describe from: " + sources.replace("\n", " ") + "\n"
              "# Every item below is a draft with its provenance (the document spans it rests on).\n"
              "# Check each one and add what the documents do not say. Then mark it checked: add 'draft: false'\n"
              "# under its provenance (until then the analysis asks about it, as open question Q-DRAFT).\n")
    text = header + body
    return text, parse_system_text(text, filename, known_controls)


def _write_describe(out: Path, text: str, scanned: Scanned, runs: list[RunRecord], actor: str,
                    added: dict[str, int]) -> None:
    """Write the model, then record the scan and the run in the proposals file and the audit log."""
    from dicetm.store.atomic import write_text_atomic
    from dicetm.store.proposalsfile import load_proposals, merge_proposals, proposals_path, save_proposals
    from dicetm.store.workspace import Workspace

    out.parent.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(root=out.parent, model_path=out)  # the model file may not exist yet
    with workspace.transaction(actor) as tx:
        write_text_atomic(out, text)
        path = proposals_path(out)
        proposals = merge_proposals(load_proposals(path),
                                    ProposalFile(withheld=scanned.withheld_records(), runs=runs))
        if proposals.withheld or proposals.runs:
            save_proposals(path, proposals)
        tx.record("describe", str(out.name), None, {"added": added}, None, {
            "documents": [{"file": d.path, "sha256": d.sha256, "format": d.format} for d in scanned.documents],
            "added": added, "scan_findings": len(scanned.findings), "withheld": len(scanned.withheld),
            "runs": [r.model_dump(mode="json") for r in runs],
        })


# ------------------------------------------------------------------------------------------------- propose


@dataclass
class ProposeOutcome:
    before: AnalysisResult
    after: AnalysisResult
    runs: list[RunRecord]
    added_threats: list[str]
    added_controls: list[str]
    supporting: int
    impact_drafts: int
    dropped: list[str]
    scanned: Scanned | None


def propose(path: Path, llm: StructuredLLM, *, threats: bool = True, impacts: bool = True,
            documents: Sequence[Path] = (), allow_flagged: bool = False, follow_symlinks: bool = False,
            limits: ReadLimits | None = None, dry_run: bool = False,
            on_scan: Callable[[Scanned], None] | None = None) -> ProposeOutcome:
    """Ask the model for additional threats and controls, and for business-impact wording of open residual
    risks. Everything lands in the proposals file as unreviewed; the register records the new threats.
    ``dry_run``: nothing is written (give a ``Gate`` in dry-run mode as ``llm`` so that nothing is sent either)."""
    from dicetm.api import load
    from dicetm.assist.identify_llm import assert_additions_only
    from dicetm.catalog import load_catalog
    from dicetm.review import analyze_workspace

    loaded = load(path)
    _, _, before = analyze_workspace(loaded.path, write=False, loaded=loaded)
    system = loaded.system
    scanned = scan_paths(documents, allow_flagged=allow_flagged, follow_symlinks=follow_symlinks,
                         limits=limits) if documents else None
    if scanned is not None and on_scan is not None:
        on_scan(scanned)
    new = ProposalFile(withheld=scanned.withheld_records() if scanned else [])
    dropped: list[str] = []
    if threats:
        from dicetm.assist.identify_llm import propose_threats

        usage = _usage_snapshot(llm)
        outcome = propose_threats(system, before, load_catalog(), llm,
                                  documents=scanned.documents if scanned else (),
                                  withheld=scanned.withheld if scanned else {})
        new.threats, new.controls, new.supporting = outcome.threats, outcome.controls, outcome.supporting
        dropped += [str(d) for d in outcome.dropped]
        new.runs.append(run_record("propose-threats", llm, usage, kept=outcome.kept,
                                   dropped_invented=outcome.dropped_invented,
                                   dropped_unverified=outcome.dropped_unverified,
                                   dropped_invalid=outcome.dropped_invalid,
                                   attached_to_rules=outcome.attached_to_rules))
    if impacts:
        from dicetm.assist.evaluate_llm import draft_impacts

        usage = _usage_snapshot(llm)
        drafts = draft_impacts(system, before, llm)
        new.impact_drafts = drafts.drafts
        dropped += [str(d) for d in drafts.dropped]
        new.runs.append(run_record("draft-impacts", llm, usage, kept=len(drafts.drafts),
                                   dropped_invented=drafts.dropped_invented, dropped_invalid=drafts.dropped_invalid))
    if dry_run:
        return ProposeOutcome(before, before, new.runs, [], [], 0, 0, dropped, scanned)
    _store_proposals(loaded.path, new, llm)
    reloaded = load(loaded.path)
    _, _, after = analyze_workspace(reloaded.path, write=True, loaded=reloaded)
    assert_additions_only(before, after)
    before_ids = {t.id for t in before.threats}
    return ProposeOutcome(before, after, new.runs, [t.id for t in after.threats if t.id not in before_ids],
                          [c.id for c in new.controls], len(new.supporting), len(new.impact_drafts), dropped,
                          scanned)


def _store_proposals(model_path: Path, new: ProposalFile, llm: StructuredLLM) -> None:
    from dicetm.store.audit import digest
    from dicetm.store.proposalsfile import load_proposals, merge_proposals, proposals_path, save_proposals
    from dicetm.store.workspace import Workspace

    path = proposals_path(model_path)
    with Workspace.open(model_path).transaction(f"llm:{llm.provider_name}/{llm.model}") as tx:
        old = load_proposals(path)
        merged = merge_proposals(old, new)
        save_proposals(path, merged)
        tx.record("llm-proposals", path.name, old, merged, None, {
            "threats": [t.id for t in new.threats], "controls": [c.id for c in new.controls],
            "supporting": [n.threat for n in new.supporting], "impact_drafts": [d.threat for d in new.impact_drafts],
            "runs": [r.model_dump(mode="json") for r in new.runs], "proposals_digest": digest(merged),
        })


def llm_from_config(model_path: Path, *, no_cache: bool, required: bool,
                    announce: Callable[[Outbound], None] | None = None, dry_run: bool = False) -> Gate | None:
    """The configured client for the workspace holding ``model_path`` (None when offline and not required),
    behind a ``Gate`` that calls ``announce`` before each batch leaves and, in a ``dry_run``, sends nothing (an
    API key is then not needed)."""
    import os

    from dicetm.providers import make_client
    from dicetm.providers.config import KEY_VARIABLES, describe_config, load_llm_config

    folder = model_path if model_path.is_dir() else model_path.parent
    env = dict(os.environ)
    if dry_run:  # nothing is sent, so no key is needed; a real one is never shown
        env.update({variable: env.get(variable) or "dry-run" for variable in KEY_VARIABLES.values()})
    config = load_llm_config(folder, env)
    if config is None:
        if required:
            raise InputError([Problem("no LLM provider is configured", Location(file=str(folder)),
                                      "set DICETM_LLM_PROVIDER and DICETM_LLM_MODEL (see README: LLM providers), "
                                      "or add an 'llm:' section to dicetm-config.yaml")])
        return None
    client = make_client(config, cache_dir=cache_root() / "llm", no_cache=no_cache, env=env)
    return Gate(client, describe_config(config).partition(";")[0], announce, dry_run=dry_run)


def cache_root() -> Path:
    """Where answers are cached: ``$DICETM_CACHE_DIR``, else ``$XDG_CACHE_HOME/dicetm``, else ``~/.cache/dicetm``.

    Per user rather than per workspace, so describing the same documents into a new folder reuses answers;
    entries are keyed by provider, model and the whole prompt, so nothing is shared across different inputs.
    """
    import os

    if os.environ.get("DICETM_CACHE_DIR"):
        return Path(os.environ["DICETM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dicetm"
