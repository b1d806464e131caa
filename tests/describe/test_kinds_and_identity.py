"""What a component is and when two names are one: people by their job title are external entities (an "agent"
only when the words say a person does the job), a model that is fine-tuned or hosted is a model, a store named by
another head noun or in the plural is the same store, and a heading that reads as a phrase names no component."""

from __future__ import annotations

import pytest

from dicetm.ingest.documents import Document
from dicetm.ingest.extract import extract_draft
from dicetm.ingest.extract_kinds import kind_words
from dicetm.ingest.readers import read_markdown
from dicetm.model.system import Kind


def _elements(text: str) -> dict[str, Kind]:
    spans, title = read_markdown("note.md", text)
    document = Document(path="note.md", format="markdown", spans=tuple(spans), sha256="0" * 64, title=title)
    return {e.name: e.kind for e in extract_draft([document]).system.elements}


@pytest.mark.parametrize("name", ["Claims Adjuster", "Loan Officer", "Contact Centre Agent", "Live Agent",
                                  "Data Protection Officer", "Radiologist", "Sachbearbeiterin", "Handläggare",
                                  "Sagsbehandler", "Käyttäjä", "Lékař", "审核员"])
def test_a_job_title_names_people(name: str) -> None:
    assert kind_words().kind_of(name) is Kind.external_entity
    assert kind_words().names_person(name)


@pytest.mark.parametrize(("name", "kind"), [
    ("IT Helpdesk Agent", Kind.agent), ("Booking Agent", Kind.agent),  # software as often as a person
    ("LLM Judge", Kind.llm), ("Code Interpreter", Kind.tool),  # words that are people elsewhere
    ("Fine-tune Job", Kind.fine_tuning_pipeline),
])
def test_words_that_name_software_as_often_as_people_are_not_read_as_people(name: str, kind: Kind) -> None:
    assert kind_words().kind_of(name) is kind


@pytest.mark.parametrize("description", ["a fine-tuned model served with vLLM", "our fine-tune of an open model",
                                         "an in-house model trained on past claims", "a self-hosted model"])
def test_a_model_described_as_tuned_trained_or_hosted_is_a_model(description: str) -> None:
    kinds = _elements(f"# Design\n\n## Components\n\n- Claims Brain: {description}.\n- Claims API: the service "
                      "that calls it.\n")
    assert kinds["Claims Brain"] is Kind.llm


def test_a_store_written_with_another_head_noun_or_in_the_plural_is_one_store() -> None:
    kinds = _elements("""# Design

## Components

- Transcript Store: a PostgreSQL database of call transcripts.
- Voice Gateway: the service the drivers call.

## Flows

The Voice Gateway writes each transcript to the transcripts database. Later the Voice Gateway reads the
Transcripts DB again.
""")
    assert set(kinds) == {"Transcript Store", "Voice Gateway"}  # "Transcripts DB" is the Transcript Store


def test_a_heading_with_an_indefinite_article_is_a_section_and_an_article_is_not_part_of_a_name() -> None:
    kinds = _elements("""# Ontwerp

## Onderdelen

- Chat Gateway: het onderdeel dat de berichten van de klanten ontvangt en ze doorstuurt.
- Order Service: het onderdeel dat de bestellingen van de winkel beheert.

## Samenvatten met een taalmodel

De Chat Gateway stuurt de vragen naar de Order Service.
""")
    assert set(kinds) == {"Chat Gateway", "Order Service"}
