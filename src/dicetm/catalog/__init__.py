"""Knowledge catalogue: external framework entries and dicetm's controls, loaded from ``catalog/data``.

Ids, names and relationships are facts copied from their sources; every description is dicetm's own
wording. References are namespaced ids (exact spelling):

=============  ==========================  =============================================================
namespace      example                     source (data file)
=============  ==========================  =============================================================
stride         stride:S                    STRIDE per element (stride.yaml)
owasp-llm      owasp-llm:LLM01:2025        OWASP Top 10 for LLM Applications 2025 (owasp_llm.yaml)
owasp-agentic  owasp-agentic:T1            OWASP Agentic AI Threats and Mitigations (owasp_agentic.yaml)
owasp-asi      owasp-asi:ASI01:2026        OWASP Top 10 for Agentic Applications 2026 (owasp_agentic.yaml)
atlas          atlas:AML.T0051.000         MITRE ATLAS 5.6.0 techniques and sub-techniques (atlas.yaml)
atlas          atlas:AML.TA0002            MITRE ATLAS tactics
atlas          atlas:AML.M0015             MITRE ATLAS mitigations
cwe            cwe:CWE-1427                CWE entries relevant to AI systems (cwe.yaml)
nist-800-53    nist-800-53:SI-10           NIST SP 800-53 Rev. 5 (frameworks.yaml)
iso27001       iso27001:A.8.28             ISO/IEC 27001:2022 Annex A (frameworks.yaml)
iso42001       iso42001:A.6.2.6            ISO/IEC 42001:2023 Annex A (frameworks.yaml)
nist-ai-rmf    nist-ai-rmf:MANAGE-2.3      NIST AI RMF 1.0 subcategories (frameworks.yaml)
eu-ai-act      eu-ai-act:Art.9             EU AI Act, Regulation (EU) 2024/1689 (frameworks.yaml)
cra            cra:Annex-I-Part-I          Cyber Resilience Act, Regulation (EU) 2024/2847 (frameworks.yaml)
(none)         C-INP-001                   dicetm controls (controls.yaml)
=============  ==========================  =============================================================

``Catalog.get`` also accepts bare ids where they are unambiguous ("AML.T0051", "LLM01", "LLM01:2025",
"ASI01", "CWE-79", "AC-6") and is case-insensitive.

``load_catalog()`` takes its ATLAS entries from a MITRE ATLAS.yaml the user installed with
``dicetm catalog import-atlas`` when there is one (``catalog.userdata``), else from the packaged data.
"""

from dicetm.catalog.atlas_source import (
    AtlasData,
    AtlasMitigation,
    AtlasObject,
    AtlasTactic,
    AtlasTechnique,
    parse_atlas_file,
    parse_atlas_text,
)
from dicetm.catalog.entries import Control, Entry
from dicetm.catalog.index import Catalog
from dicetm.catalog.loader import CATALOG_VERSION, clear_catalog_cache, load_catalog

__all__ = [
    "CATALOG_VERSION", "AtlasData", "AtlasMitigation", "AtlasObject", "AtlasTactic", "AtlasTechnique",
    "Catalog", "Control", "Entry", "clear_catalog_cache", "load_catalog", "parse_atlas_file", "parse_atlas_text",
]
