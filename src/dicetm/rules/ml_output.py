"""ML family, what a model makes (``output_modality``): content a recognition or translation model writes instead
of a verdict can be invented (T-ML-007), and a voice, image or video any model generates can pass for a real
person (T-ML-008). Each function reads every element and its outgoing flows once.
"""

from __future__ import annotations

from collections.abc import Iterator

from dicetm.model import Element, Kind, Modality, System
from dicetm.rules.base import Hit, RuleFunction, join_words

MEDIA = (Modality.audio, Modality.image, Modality.video)
# Where a model's output is kept or shown to people on its way to a decision.
OUTPUT_KINDS = frozenset({Kind.process, Kind.data_store, Kind.knowledge_source, Kind.external_entity})


def _receivers(system: System, model: Element) -> list[Element]:
    """The processes, stores and people a model's output goes to (a caller on a two-way flow gets its answers)."""
    return [e for e in system.downstream(model.id) if e.kind in OUTPUT_KINDS]


def ml_model_content_invented(system: System) -> Iterator[Hit]:
    """T-ML-007: an ml_model stated to generate content (a transcript, a caption, a translation, a spoken or drawn
    answer) rather than a verdict. A generative recogniser fills gaps with plausible content that was never in its
    input, and nothing in the output tells an invented passage from a faithful one."""
    for model in system.of_kind(Kind.ml_model):
        if not model.output_modality:
            continue
        receivers = _receivers(system, model)
        assumptions: tuple[str, ...] = ()
        if model.answers_drive_decisions is None:
            assumptions = (f"Whether what {model.name} writes is checked against its input before it is relied on "
                           "is not stated; assumed it is not.",)
        elif model.answers_drive_decisions is False:
            continue
        yield Hit(element=model.id, others=tuple(e.id for e in receivers),
                  values={"made": join_words(m.value for m in model.output_modality),
                          "receivers": join_words(e.name for e in receivers) if receivers else "its callers"},
                  assumptions=assumptions)


def generated_media_imitate_people(system: System) -> Iterator[Hit]:
    """T-ML-008: a model, agent or model API stated to generate audio, images or video. What it makes can imitate
    a real person's voice or face (a cloned voice on a call, a photo of an event that never happened), so anyone
    who can prompt it, or steer its prompts, gets material for fraud and impersonation."""
    for model in system.elements:
        made = [m for m in MEDIA if m in (model.output_modality or ())]
        if not made:
            continue
        yield Hit(element=model.id, others=tuple(e.id for e in _receivers(system, model)),
                  values={"media": join_words(m.value for m in made)})


FUNCTIONS: dict[str, RuleFunction] = {
    "T-ML-007": ml_model_content_invented,
    "T-ML-008": generated_media_imitate_people,
}
