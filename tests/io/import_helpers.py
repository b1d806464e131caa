"""What the import tests share: where the shared sample files are, and which format each one has."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "data" / "samples"

# (format, path inside the samples folder): every sample file, each with the format it is in.
SAMPLE_FILES = [
    ("threat-dragon", "threat-dragon/demo-threat-model.json"),
    ("threat-dragon", "threat-dragon/iot-device.json"),
    ("threat-dragon", "threat-dragon/three-tier-web-app.json"),
    ("threat-dragon", "threat-dragon/v2-threat-model.json"),
    ("otm", "threat-dragon/example-open-threat-model.otm.json"),
    ("otm", "threat-dragon/mobile-cloud.otm.json"),
    ("threagile", "threagile/threagile-example.yaml"),
    ("threat-composer", "threat-composer/ThreatComposer.tc.json"),
    ("threat-composer", "threat-composer/Workshop_GenAI-ex1.tc.json"),
]


def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES} (they sit beside the checkout, in ../shared)")
    return SAMPLES
