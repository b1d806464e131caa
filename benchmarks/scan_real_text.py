"""False alarms of the injection scan on real benign text: public threat models, security guides, AI risk
registers, AI usage policies and prompt-injection test material in the ten lexicon languages.

Usage: python benchmarks/scan_real_text.py [--mirrors DIR] [--show N] [--formats] [LANG ...]

The texts are not kept in the repository (their licences differ); the script reads them from local bare git
mirrors of the public repositories listed in ``SOURCES`` (default folder ``/work/.mirror``, one
``<owner>+<name>/repo`` git directory each, or ``$DICETM_MIRRORS``). A missing mirror is reported and skipped.
Every document of these repositories is benign: any blocking finding on one is a false alarm, and a finding on
prose that quotes an attack as a test case or an example is one too. It prints, per language and per source,
files and paragraphs (spans) scanned and how many were flagged, then every flagged span with its rule.

``--formats`` measures the other formats instead (``FORMAT_SOURCES``): real PDF and Word documents, HTML pages and
OpenAPI descriptions, whose metadata, properties, outlines, attributes, data blocks and structured values the
scan reads besides their text; it prints a line per format too.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from dicetm.errors import DicetmError
from dicetm.ingest.readers import read_document
from dicetm.ingest.scan import blocking, scan_document


@dataclass(frozen=True)
class Source:
    repo: str  # "<owner>+<name>", the mirror's folder name
    pattern: str  # a regular expression a path must match in full
    language: str  # a fixed language, or "" to take it from the path's first group


LANG_OF = {"de-DE": "de", "es-ES": "es", "pt-BR": "pt", "ja-JP": "ja", "zh-CN": "zh", "zh-cn": "zh", "zh-TW": "zh",
           "jp": "ja", "it": "it", "de": "de", "fr": "fr", "es": "es", "pt": "pt", "ja": "ja", "zh": "zh", "nl": "nl",
           "pl": "pl", "en": "en"}
_TEN = r"(de|es|fr|it|ja|nl|pl|pt|zh)"
SOURCES = (
    # OWASP Top 10 for LLM Applications 2025 and its translations: prompt injection explained, attack examples.
    Source("OWASP+www-project-top-10-for-large-language-model-applications", r"2_0_vulns/[^/]+\.md", "en"),
    Source("OWASP+www-project-top-10-for-large-language-model-applications",
           r"2_0_vulns/translations/(de-DE|es-ES|pt-BR|ja-JP|zh-CN)/[^/]+\.md", ""),
    Source("OWASP+www-project-top-10-for-large-language-model-applications",
           r"Archive/1_1_vulns/translations/(it|de|ja|pt|zh)/[^/]+\.md", ""),
    Source("OWASP+www-project-top-10-for-large-language-model-applications",
           r"initiatives/agent_security_initiative/.+\.md", "en"),
    Source("coky-t+owasp-top-10-for-large-language-model-applications-ja", r"Document/2_0_vulns/[^/]+\.md", "ja"),
    # OWASP AI Exchange: threats to AI systems and their controls.
    Source("OWASP+www-project-ai-security-and-privacy-guide", r"content/ai_exchange/content/docs/[^/]+\.md", "en"),
    # FINOS AI governance framework: a risk register and mitigations for LLM use in finance.
    Source("finos+ai-governance-framework", r"docs/_(risks|mitigations)/[^/]+\.md", "en"),
    # OWASP Top 10 (web) 2021 and ASVS 4.0 in several languages: requirements and risks with rationales.
    Source("OWASP+Top10", r"2021/docs/(en|de|es|fr|it|ja|pt-BR|zh-TW)/[^/]+\.md", ""),
    Source("OWASP+ASVS", r"4\.0/(en|de|es|fr|it|pt|zh-cn)/[^/]+\.md", ""),
    # Prompt engineering guide: the risks chapter quotes injections and jailbreaks as examples.
    Source("dair-ai+Prompt-Engineering-Guide", r"pages/risks/[^/]+\.(en|de|es|fr|it|jp|pt|zh)\.mdx", ""),
    # Threat-modelling guides: privacy threat models and AI chat advice in every language, a newsroom's guide.
    Source("privacyguides+i18n", rf"i18n/{_TEN}/(basics/[^/]+|ai-chat)\.md", ""),
    Source("freedomofpress+threat-modeling", r"(README\.md|docs/source/[^/]+\.(md|rst))", "en"),
    # Threat-modelling tools' own documentation.
    Source("OWASP+threat-dragon", r"docs/.+\.md", "en"),
    Source("awslabs+threat-composer", r"(docs/.+|README)\.md", "en"),
    Source("NVIDIA+garak", r"(README\.md|FAQ\.md|docs/source/[^/]+\.rst)", "en"),
    # Dutch government's algorithm framework: AI risk requirements and measures.
    Source("MinBZK+Algoritmekader", r"docs/(voldoen-aan-wetten-en-regels|onderwerpen|soorten-algoritmes-en-ai)/.+\.md",
           "nl"),
    # A Polish project's security documentation, OWASP LLM Top 10 included.
    Source("lukaszzychal+moviemind-api-public", r"docs/.+(?<!\.en)\.md", "pl"),
)
# Real files of the other formats: their parts besides the text (properties, outlines, annotations, attributes,
# JSON-LD, every string of an API description) must not raise false alarms either.
FORMAT_SOURCES = (
    Source("OWASP+Top10", r"(?:2017|2021-2003_Comparison)/.+\.(?:pdf|docx)|20(?:04|13)/.+\.docx", "en"),
    Source("oasis-tcs+sarif-spec", r"sarif-2\.1/prose/.+\.docx", "en"),
    Source("aws-samples+amazon-bedrock-samples", r"(?i).+openapi[^/]*\.(?:json|ya?ml)", "en"),
    Source("OAI+OpenAPI-Specification", r"_archive_/schemas/v3\.0/pass/.+\.yaml", "en"),
    Source("kserve+kserve", r"pkg/openapi/swagger\.json|python/.+/openapi-2\.0\.0\.yaml", "en"),
    Source("lukaszzychal+moviemind-api-public", r"(?i).+openapi[^/]*\.(?:json|ya?ml)", "en"),
    Source("OWASP+www-project-ai-security-and-privacy-guide", r".+\.html", "en"),
    Source("finos+ai-governance-framework", r".+\.html", "en"),
    Source("mermaid-js+mermaid", r"(?:demos|cypress/platform)/[^/]+\.html", "en"),
    Source("GoogleCloudPlatform+microservices-demo", r".+\.html", "en"),
)
SUFFIX = {".mdx": ".md"}


@dataclass
class Tally:
    files: int = 0
    spans: int = 0
    flagged_files: int = 0
    flagged_spans: int = 0


def _git(mirror: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={mirror}", *args], check=True, capture_output=True).stdout


def _files(root: Path, source: Source) -> list[tuple[str, str, bytes]]:
    """(path, language, content) of every file of the source; empty when the mirror is absent."""
    mirror = root / source.repo / "repo"
    if not mirror.is_dir():
        return []
    wanted = re.compile(source.pattern)
    out = []
    for path in _git(mirror, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines():
        match = wanted.fullmatch(path)
        if match is None:
            continue
        language = source.language or LANG_OF.get(match.group(1), match.group(1))
        try:
            out.append((path, language, _git(mirror, "show", f"HEAD:{path}")))
        except subprocess.CalledProcessError:  # a file the mirror lists but does not hold (too large, LFS)
            continue
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("DICETM_MIRRORS", "/work/.mirror")))
    parser.add_argument("--show", type=int, default=200, help="flagged spans to print at most")
    parser.add_argument("--formats", action="store_true", help="PDF, Word, HTML and OpenAPI files instead")
    parser.add_argument("languages", nargs="*")
    args = parser.parse_args(argv)
    tallies: dict[str, Tally] = defaultdict(Tally)
    flags: list[str] = []
    missing: list[str] = []
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for source in FORMAT_SOURCES if args.formats else SOURCES:
            files = _files(args.mirrors, source)
            if not files:
                missing.append(source.repo)
            for path, language, content in files:
                if args.languages and language not in args.languages:
                    continue
                suffix = Path(path).suffix
                local = Path(tmp) / (re.sub(r"\W", "_", path) + SUFFIX.get(suffix, suffix))
                local.write_bytes(content)
                shown = f"{source.repo.split('+')[1]}/{path}"
                try:
                    began = time.perf_counter()
                    document = read_document(local, display=shown)
                    found = blocking(scan_document(document))
                    seconds += time.perf_counter() - began
                except DicetmError as exc:
                    print(f"not read: {shown}: {str(exc).splitlines()[0]}", file=sys.stderr)
                    continue
                spans = {(f.span.line, f.span.text) for f in found}
                for key in ("all", f"lang:{language}", f"repo:{source.repo.split('+')[1]}", f"fmt:{document.format}"):
                    tally = tallies[key]
                    tally.files += 1
                    tally.spans += len(document.spans)
                    tally.flagged_files += bool(found)
                    tally.flagged_spans += len(spans)
                for finding in found:
                    flags.append(f"{language} {finding.where} {finding.rule}: {finding.excerpt[:140]!r}")
    for key in sorted(tallies, key=lambda k: (k != "all", not k.startswith("fmt"), not k.startswith("lang"), k)):
        tally = tallies[key]
        rate = tally.flagged_files / tally.files if tally.files else 0.0
        print(f"{key:42s} files {tally.flagged_files:3d}/{tally.files:4d} flagged ({rate:.1%})   "
              f"spans {tally.flagged_spans:3d}/{tally.spans:6d}")
    if missing:
        print("mirrors not found (skipped): " + ", ".join(sorted(set(missing))))
    total = tallies["all"].files
    if total:
        print(f"read and scan: {total / seconds:.0f} files/s")
    for line in flags[:args.show]:
        print("  flagged " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
