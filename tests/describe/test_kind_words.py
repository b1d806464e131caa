"""The kind words: every listed word reads as its kind, Nordic definite forms and compounds are read, and what a
component is comes from its own name before its description."""

from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml

from dicetm.ingest.extract_kinds import classify, head_phrase, kind_words
from dicetm.model.system import Kind


def _data() -> dict[str, list[dict[str, object]]]:
    text = resources.files("dicetm.ingest").joinpath("data/kinds.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def _words(entries: list[dict[str, object]]) -> list[tuple[str, Kind]]:
    return [(str(word), Kind(str(entry["kind"]))) for entry in entries
            for word in entry.get("generic", []) or []]  # type: ignore[attr-defined]


def test_every_listed_word_reads_as_the_kind_of_its_entry() -> None:
    """A word shadowed by a longer word of another kind, or listed under two kinds, would fail here."""
    data = _data()
    wrong = [(word, kind) for word, kind in _words([*data["entries"], *data["other_languages"]])
             if kind_words().kind_of(word) is not kind]
    assert wrong == []


def test_a_word_of_another_language_with_a_nordic_definite_article_closing_a_compound_keeps_its_kind() -> None:
    words = [(word, kind) for word, kind in _words(_data()["other_languages"]) if re.fullmatch(r"[^\W\d_]{3,}", word)]
    assert len(words) > 100
    wrong = [(f"Kund{word.lower()}{suffix}", kind) for word, kind in words for suffix in ("en", "et", "erne")
             if kind_words().kind_of(f"Kund{word.lower()}{suffix}") is not kind]
    assert wrong == []


@pytest.mark.parametrize(("name", "kind"), [
    ("Sökindexet", Kind.vector_store), ("Ärendeloggen", Kind.log_store), ("Loggen", Kind.log_store),
    ("Chat-loggen", Kind.log_store), ("Verktyget", Kind.tool), ("Databasen", Kind.data_store),
    ("Minnet", Kind.memory), ("Samtalshistoriken", Kind.memory), ("Skatteverket", Kind.external_entity),
    ("Försäkringskassan", Kind.external_entity), ("Appen", Kind.process), ("Søgeindekset", Kind.vector_store),
    ("Prüfpfad", Kind.log_store), ("Hakuindeksi", Kind.vector_store), ("Taligenkänning", Kind.ml_model),
    ("Znalostní báze", Kind.knowledge_source), ("Datová sada", Kind.training_data), ("Klasifikátor", Kind.ml_model),
    # English words that only look like a Nordic definite form are not read as one
    ("Tablet", None), ("Happen", None), ("Token", None), ("Garden", None),
])
def test_nordic_definite_forms_and_words_of_more_languages(name: str, kind: Kind | None) -> None:
    assert kind_words().kind_of(name) is kind


@pytest.mark.parametrize(("name", "kind"), [
    ("Demand Forecaster", Kind.ml_model), ("OCR model", Kind.ml_model), ("ANPR", Kind.ml_model),
    ("Entry camera", Kind.process), ("Edge device", Kind.process), ("Package index", Kind.registry),
    ("Update server", Kind.registry), ("Hugging Face", Kind.model_provider), ("Memory Store", Kind.memory),
    ("Summary history", Kind.memory), ("Labelling team", Kind.external_entity),
    ("Moderator Console audit table", Kind.log_store), ("Conversation log", Kind.log_store),
    ("LoRA fine-tune run", Kind.fine_tuning_pipeline), ("Golden set", Kind.training_data),
    ("Chat History Store", Kind.data_store),  # a name ending in "Store" keeps its head
])
def test_classes_of_words_per_kind(name: str, kind: Kind) -> None:
    assert kind_words().kind_of(name) is kind


@pytest.mark.parametrize(("description", "head"), [
    ("En modell som förutsäger efterfrågan utifrån historik", "En modell"),
    ("Ein Index der Urteile, den der Retriever liest", "Ein Index"),
    ("Una base de datos que guarda el historial", "Una base de datos"),
    ("Un modèle qui note les demandes avec l'historique", "Un modèle"),
    ("A gradient-boosted model that forecasts demand from sales history", "gradient-boosted model"),
])
def test_a_description_head_ends_at_a_relative_pronoun_or_preposition_of_its_language(description: str,
                                                                                       head: str) -> None:
    assert head_phrase(description) == head


def test_the_name_says_the_kind_before_the_description_and_the_description_only_when_the_name_does_not() -> None:
    assert classify("Nightly Forecaster", "a job that writes an index of orders") is Kind.ml_model
    assert classify("Nightwatch", "a gradient-boosted model that forecasts returns from the order log") \
        is Kind.ml_model
    assert classify("Nightwatch", "") is None
