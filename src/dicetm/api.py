"""The library API the CLI (and later the web page) is a thin skin over."""

from __future__ import annotations

from pathlib import Path

from dicetm.model import AnalysisResult
from dicetm.pipeline.run import analyze
from dicetm.store.modelfile import LoadedModel, load_system, resolve_model_path


def load(path: Path) -> LoadedModel:
    """Load and validate a model file (or a folder holding ``dicetm.yaml``), with the workspace's proposals
    file when there is one; InputError (StoreError for the proposals file) lists every problem."""
    import dataclasses

    from dicetm.catalog import load_catalog
    from dicetm.store.proposalsfile import load_proposals, proposals_path

    loaded = load_system(resolve_model_path(path), known_controls=set(load_catalog().controls))
    proposals = load_proposals(proposals_path(loaded.path))
    return loaded if proposals is None else dataclasses.replace(loaded, proposals=proposals)


def analyze_path(path: Path, detail: str = "grouped", edition: str | None = None, *,
                 record: bool = True) -> tuple[LoadedModel, AnalysisResult]:
    """Analyse a model. When the workspace already has a review register, its decisions are carried into
    the result, and with ``record`` new or retired findings are recorded in it; without one, or with
    ``record=False``, nothing is written and no write lock is taken.

    ``edition``: which OWASP Top 10 for LLM Applications edition leads (2025 or 2026); None reads the
    setting (``DICETM_OWASP_LLM_EDITION``, else ``owasp_llm_edition`` in dicetm-config.yaml beside the model)."""
    import os

    from dicetm.catalog.editions import edition_setting
    from dicetm.pipeline.edition import lead_edition
    from dicetm.store.workspace import Workspace

    loaded = load(path)
    leading = edition or edition_setting(loaded.path.parent, os.environ)
    if Workspace.open(loaded.path).exists():
        from dicetm.review import analyze_workspace

        loaded, _register, result = analyze_workspace(loaded.path, write=record, detail=detail, loaded=loaded)
        return loaded, lead_edition(result, leading)
    result = analyze(loaded.system, detail=detail, source=str(loaded.path), proposals=loaded.proposals)
    return loaded, lead_edition(result, leading)


def write_analysis(path: Path, out_dir: Path, detail: str = "grouped",
                   edition: str | None = None) -> tuple[AnalysisResult, list[Path]]:
    """Analyse a model and write report.md, report.html, result.json and threats.csv into ``out_dir``."""
    from dicetm.report import write_outputs

    loaded, result = analyze_path(path, detail, edition)
    return result, write_outputs(result, loaded.system, out_dir)


__all__ = ["analyze", "analyze_path", "load", "write_analysis"]
