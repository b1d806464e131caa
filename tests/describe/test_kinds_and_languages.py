"""What a component is, from its own words: models that score, classify, detect or recognise are ``ml_model``,
a language model put to such a job stays an ``llm``, and software that asks a language model is a ``process``."""

from __future__ import annotations

import pytest

from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.readers import read_markdown
from dicetm.model.system import Kind


def _markdown(text: str, name: str = "note.md") -> Document:
    spans, title = read_markdown(name, text)
    return Document(path=name, format="markdown", spans=tuple(spans), sha256="0" * 64, title=title)


@pytest.mark.parametrize(("name", "kind"), [
    ("Spam Classifier", Kind.ml_model), ("Defect Detector", Kind.ml_model), ("Risk Scoring Engine", Kind.ml_model),
    ("Claims OCR", Kind.ml_model), ("Amazon Transcribe", Kind.ml_model), ("Whisper large-v3", Kind.ml_model),
    ("Face Match", Kind.ml_model), ("Classifier Model", Kind.ml_model), ("Churn Model", Kind.ml_model),
    # a language model put to classifying is the language model; a guard that classifies is a guardrail
    ("GPT-4o Intent Classifier", Kind.llm), ("LLM classifier", Kind.llm), ("Tutor Model", Kind.llm),
    ("Toxicity Classifier", Kind.guardrail), ("Jailbreak detector", Kind.guardrail),
    ("Classification Service", Kind.process),
])
def test_a_name_tells_a_model_that_scores_or_recognises_from_a_language_model(name: str, kind: Kind) -> None:
    assert kind_words().kind_of(name) is kind


def test_a_classifier_built_on_a_language_model_or_asking_one_is_not_an_ml_model() -> None:
    text = """# Support triage

## Components

| Component | Technology | Description |
|---|---|---|
| Fraud Detector | XGBoost | Scores every payment between 0 and 1. |
| Intent Classifier | GPT-4o mini | Labels each ticket with an intent. |
| Ticket Scorer | Python | Rates each ticket for urgency. |
| Claude 3.5 Sonnet | Anthropic API | The model. |

## Data flows

The Ticket Scorer sends each ticket to Claude 3.5 Sonnet.
"""
    kinds = {e.name: e.kind for e in extract_draft([_markdown(text)]).system.elements}
    assert kinds["Fraud Detector"] is Kind.ml_model
    assert kinds["Intent Classifier"] is Kind.llm  # its technology is a language model
    assert kinds["Ticket Scorer"] is Kind.process  # it asks a language model: software around the model
    assert kinds["Claude 3.5 Sonnet"] is Kind.llm
