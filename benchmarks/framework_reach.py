"""Framework reach: which framework ids the rules can put on a threat, and which no rule carries.

Usage: python benchmarks/framework_reach.py [--carried] [--framework atlas|llm2025|llm2026|asi|agentic|cwe]
                                           [--kind KIND]

A reference threat on an unseen system can only be found when some rule carries its framework id on that kind of
element, so this measures completeness against the frameworks themselves, not against any corpus. For every ATLAS
technique and sub-technique in the catalogue, every OWASP Top 10 for LLM Applications entry (2025 and 2026), the
OWASP Top 10 for Agentic Applications (ASI01-ASI10), the agentic threats T1-T15 and the CWEs that published
threat models of AI systems commonly cite (``CITED_CWES``), it prints the rules that carry the id (in
``references`` or ``conditional_references``) and the element kinds they apply to, or why no rule does:

- ``carried``: a rule carries the id itself;
- ``via parent/sub``: only an ATLAS parent technique or one of its sub-techniques is carried, which
  ``threat_coverage.py`` counts as a match;
- ``no element``: the id cannot be tied to an element of a system model (reconnaissance, resource development
  on the attacker's side); ``framework_reach_unbound.yaml`` gives the reason for each;
- ``gap``: none of these, the ids a rule could still carry.

By default only the gaps and the totals are printed; ``--carried`` lists every id. ``--kind`` counts only the
rules that apply to that element kind (``ml_model``, ``retriever``...): a reference threat on such an element can
only be found through them; a gap there is often right (a model-extraction id has no business on a log store), so
read that list for the ids the kind should carry. Exit code 0 (2 for an unknown kind).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dicetm.catalog import Catalog, load_catalog
from dicetm.model import Kind
from dicetm.rules.registry import all_rules

UNBOUND_FILE = Path(__file__).with_name("framework_reach_unbound.yaml")

# CWEs that published threat models of LLM, RAG, agent and ML systems commonly cite, compiled from knowledge of
# those models (data exposure, secrets, logging, injection, authorisation, web, deserialisation, resources,
# supply chain, output handling and the two AI-specific entries). Ids and names are MITRE's.
CITED_CWES: dict[str, str] = {
    "CWE-20": "Improper Input Validation",
    "CWE-22": "Path Traversal",
    "CWE-74": "Injection",
    "CWE-77": "Command Injection",
    "CWE-78": "OS Command Injection",
    "CWE-79": "Cross-site Scripting",
    "CWE-88": "Argument Injection",
    "CWE-89": "SQL Injection",
    "CWE-94": "Code Injection",
    "CWE-95": "Eval Injection",
    "CWE-116": "Improper Encoding or Escaping of Output",
    "CWE-117": "Improper Output Neutralization for Logs",
    "CWE-200": "Exposure of Sensitive Information to an Unauthorized Actor",
    "CWE-201": "Insertion of Sensitive Information Into Sent Data",
    "CWE-209": "Generation of Error Message Containing Sensitive Information",
    "CWE-250": "Execution with Unnecessary Privileges",
    "CWE-256": "Plaintext Storage of a Password",
    "CWE-269": "Improper Privilege Management",
    "CWE-276": "Incorrect Default Permissions",
    "CWE-284": "Improper Access Control",
    "CWE-285": "Improper Authorization",
    "CWE-287": "Improper Authentication",
    "CWE-306": "Missing Authentication for Critical Function",
    "CWE-307": "Improper Restriction of Excessive Authentication Attempts",
    "CWE-311": "Missing Encryption of Sensitive Data",
    "CWE-312": "Cleartext Storage of Sensitive Information",
    "CWE-319": "Cleartext Transmission of Sensitive Information",
    "CWE-345": "Insufficient Verification of Data Authenticity",
    "CWE-347": "Improper Verification of Cryptographic Signature",
    "CWE-352": "Cross-Site Request Forgery",
    "CWE-353": "Missing Support for Integrity Check",
    "CWE-359": "Exposure of Private Personal Information to an Unauthorized Actor",
    "CWE-384": "Session Fixation",
    "CWE-400": "Uncontrolled Resource Consumption",
    "CWE-426": "Untrusted Search Path",
    "CWE-427": "Uncontrolled Search Path Element",
    "CWE-434": "Unrestricted Upload of File with Dangerous Type",
    "CWE-441": "Unintended Proxy or Intermediary ('Confused Deputy')",
    "CWE-494": "Download of Code Without Integrity Check",
    "CWE-502": "Deserialization of Untrusted Data",
    "CWE-522": "Insufficiently Protected Credentials",
    "CWE-532": "Insertion of Sensitive Information into Log File",
    "CWE-540": "Inclusion of Sensitive Information in Source Code",
    "CWE-601": "Open Redirect",
    "CWE-613": "Insufficient Session Expiration",
    "CWE-639": "Authorization Bypass Through User-Controlled Key",
    "CWE-668": "Exposure of Resource to Wrong Sphere",
    "CWE-693": "Protection Mechanism Failure",
    "CWE-732": "Incorrect Permission Assignment for Critical Resource",
    "CWE-770": "Allocation of Resources Without Limits or Throttling",
    "CWE-778": "Insufficient Logging",
    "CWE-798": "Use of Hard-coded Credentials",
    "CWE-799": "Improper Control of Interaction Frequency",
    "CWE-829": "Inclusion of Functionality from Untrusted Control Sphere",
    "CWE-862": "Missing Authorization",
    "CWE-863": "Incorrect Authorization",
    "CWE-918": "Server-Side Request Forgery",
    "CWE-1039": "Inadequate Detection or Handling of Adversarial Input Perturbations",
    "CWE-1104": "Use of Unmaintained Third Party Components",
    "CWE-1357": "Reliance on Insufficiently Trustworthy Component",
    "CWE-1395": "Dependency on Vulnerable Third-Party Component",
    "CWE-1426": "Improper Validation of Generative AI Output",
    "CWE-1427": "Improper Neutralization of Input Used for LLM Prompting",
}

FRAMEWORKS = ("atlas", "llm2025", "llm2026", "asi", "agentic", "cwe")


@dataclass
class Reach:
    ref: str
    name: str
    rules: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    via: list[str] = field(default_factory=list)  # parent or sub-technique refs that are carried
    unbound: str = ""  # why it cannot be tied to an element

    @property
    def status(self) -> str:
        if self.rules:
            return "carried"
        if self.via:
            return "via parent/sub"
        if self.unbound:
            return "no element"
        return "gap"


def targets(catalog: Catalog) -> dict[str, list[tuple[str, str]]]:
    """Framework -> (canonical ref, name) for every id measured."""
    llm = catalog.entries("owasp-llm")
    return {
        "atlas": [(e.ref, e.name) for e in catalog.entries("atlas") if e.kind in ("technique", "subtechnique")],
        "llm2025": [(e.ref, e.name) for e in llm if e.ref.endswith(":2025")],
        "llm2026": [(e.ref, e.name) for e in llm if e.ref.endswith(":2026")],
        "asi": [(e.ref, e.name) for e in catalog.entries("owasp-asi")],
        "agentic": [(e.ref, e.name) for e in catalog.entries("owasp-agentic")],
        "cwe": [(f"cwe:{ident}", name) for ident, name in CITED_CWES.items()],
    }


def carriers(catalog: Catalog, kind: str | None = None) -> dict[str, list[tuple[str, list[str]]]]:
    """Canonical ref -> (rule id, element kinds it applies to) of every rule that carries it (that applies to
    ``kind``, when given)."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for rule in all_rules():
        meta = rule.meta
        if kind is not None and kind not in {str(k) for k in meta.applies_to}:
            continue
        for ref in dict.fromkeys([*meta.references, *meta.conditional_references]):
            canonical = catalog.resolve(ref) or ref
            found.setdefault(canonical, []).append((meta.id, [str(k) for k in meta.applies_to]))
    return found


def load_unbound(path: Path = UNBOUND_FILE) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(item["ref"]): str(item["reason"]) for item in data.get("unbound", [])}


def _relatives(ref: str, known: Iterable[str]) -> list[str]:
    """The ATLAS parent of a sub-technique, or the sub-techniques of a technique, among ``known``."""
    if not ref.startswith("atlas:AML.T"):
        return []
    if ref.count(".") == 2:
        return [parent] if (parent := ref.rsplit(".", 1)[0]) in known else []
    return sorted(r for r in known if r.startswith(ref + "."))


def measure(catalog: Catalog, unbound: dict[str, str], kind: str | None = None) -> dict[str, list[Reach]]:
    by_ref = carriers(catalog, kind)
    result: dict[str, list[Reach]] = {}
    for framework, items in targets(catalog).items():
        rows = []
        for ref, name in items:
            reach = Reach(ref=ref, name=name, unbound=unbound.get(ref, ""))
            for rule_id, kinds in by_ref.get(ref, []):
                reach.rules.append(rule_id)
                reach.kinds.update(kinds)
            reach.via = _relatives(ref, by_ref)
            rows.append(reach)
        result[framework] = rows
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--carried", action="store_true", help="list every id, not only the gaps")
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append", help="only these frameworks")
    parser.add_argument("--kind", help="count only rules that apply to this element kind")
    args = parser.parse_args(argv)
    if args.kind is not None and args.kind not in {k.value for k in Kind}:
        print(f"error: unknown element kind {args.kind!r}; one of {', '.join(k.value for k in Kind)}",
              file=sys.stderr)
        return 2
    catalog = load_catalog()
    unbound = load_unbound()
    known = {ref for items in targets(catalog).values() for ref, _ in items}
    for ref in sorted(set(unbound) - known):
        print(f"warning: {UNBOUND_FILE.name} names {ref}, which is not measured")
    result = measure(catalog, unbound, args.kind)
    if args.kind:
        print(f"(only rules that apply to {args.kind})")
    totals: list[str] = []
    for framework in args.framework or FRAMEWORKS:
        rows = result[framework]
        print(f"== {framework} ({len(rows)} ids)")
        for r in rows:
            if r.status == "carried" and args.carried:
                print(f"  {r.ref:28} {r.name[:44]:44} {', '.join(r.rules)}  on {', '.join(sorted(r.kinds))}")
            elif r.status == "via parent/sub" and args.carried:
                print(f"  {r.ref:28} {r.name[:44]:44} via {', '.join(r.via)}")
            elif r.status == "no element" and args.carried:
                print(f"  {r.ref:28} {r.name[:44]:44} no element: {r.unbound}")
            elif r.status == "gap":
                print(f"  GAP {r.ref:24} {r.name}")
        counts = {s: sum(1 for r in rows if r.status == s) for s in ("carried", "via parent/sub", "no element", "gap")}
        totals.append(f"{framework:8} {len(rows):4} ids: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    print("== totals")
    for line in totals:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
