"""DATA family, what a public registry hands you beyond a look-alike entry (T-ECO-002): a package under a name a
model keeps inventing (T-DATA-014), and a model file built to slip past the scanner that vouches for it
(T-DATA-015).

Both land on what the attacker uses: the registry that takes any unused name, the scanner whose verdict people
trust. Linear in elements and flows.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import Element, Kind, ModelProvenance, OutputFormat, System
from dicetm.rules.agent_common import executors, join_names, likelihood_factor
from dicetm.rules.base import Hit, RuleFunction
from dicetm.rules.ecosystem import PACKAGE_ENTRIES, entry_kinds, installed_from
from dicetm.rules.reach import models

CODE_OUTPUT = frozenset({OutputFormat.code, OutputFormat.shell})
OPEN_WEIGHTS = frozenset({ModelProvenance.open_weights_verified, ModelProvenance.open_weights_unverified})


def _publishes_files(element: Element) -> bool:
    """Where the files a scanner vouches for are published: a registry, or a hub handing out model weights (not
    a vendor's model API, whose guardrails screen prompts)."""
    return element.kind is Kind.registry or (element.kind is Kind.model_provider
                                             and element.model_provenance in OPEN_WEIGHTS)


def _code_writers(system: System) -> list[Element]:
    """Models whose output is code or commands: stated, or run by a component that executes what they write."""
    running = {w.id for _element, writers in executors(system) for w in writers}
    return [m for m in models(system)
            if m.id in running or bool(m.output_rendered_as and CODE_OUTPUT & set(m.output_rendered_as))]


def hallucinated_package_registrable(system: System) -> Iterator[Hit]:
    """A registry software packages are installed from, in a system where a model writes code or commands: the
    package names it invents can be registered there, and the next install of its advice runs the attacker's
    package. Packages, not skills or model files: ``installed_from`` and flows out of the registry decide."""
    writers = _code_writers(system)
    if not writers:
        return
    for registry in system.of_kind(Kind.registry):
        installed = installed_from(system, registry)
        entries, _references = entry_kinds(system, registry, installed)
        if not any(entry == PACKAGE_ENTRIES[0] for entry, _rights in entries):
            continue
        installers = [e for e in installed if e.kind not in (Kind.llm, Kind.model_provider, Kind.guardrail)]
        factors = [likelihood_factor(-1, f"{registry.id}.reviewed=true", "Entries are reviewed before they are "
                                     "listed, which slows down but does not stop a new harmless-looking package.")
                   ] if registry.reviewed is True else []
        yield Hit(element=registry.id, others=tuple(e.id for e in [*writers, *installers]),
                  values={"models": join_names(writers), "installers": join_names(installers)},
                  factors=tuple(factors))


def artefact_scanner_evaded(system: System) -> Iterator[Hit]:
    """A guardrail that screens what a registry or model hub publishes (flows between them either way): files
    built so the scanner cannot parse them still load and run their payload."""
    for guard in system.of_kind(Kind.guardrail):
        sources = [e for e in [*system.upstream(guard.id), *system.downstream(guard.id)] if _publishes_files(e)]
        sources = list({e.id: e for e in sources}.values())
        if not sources:
            continue
        yield Hit(element=guard.id, others=tuple(e.id for e in sources), values={"registry": join_names(sources)})


FUNCTIONS: dict[str, RuleFunction] = {
    "T-DATA-014": hallucinated_package_registrable,
    "T-DATA-015": artefact_scanner_evaded,
}
