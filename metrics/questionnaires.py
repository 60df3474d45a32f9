"""Questionnaires and the check of a survey event against a catalogue of them.

Questionnaires are data: the configuration file (streams/dataconfig.py, default
streams/dataconfig.yaml) lists them, and :func:`catalogue` builds the validated name ->
questionnaire mapping the stream checks surveys against. docs/metrics.md ("Questionnaires")
describes the default ones.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from metrics.errors import MetricInputError


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """A questionnaire id, its integer scale ``scale_min..scale_max`` and its dimensions.

    ``scale_labels`` optionally names scale points for display (score -> label).
    """

    name: str
    scale_min: int
    scale_max: int
    dimensions: tuple[str, ...]
    scale_labels: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.scale_min < self.scale_max:
            raise MetricInputError(
                f"{self.name}: scale {self.scale_min}..{self.scale_max} is empty"
            )
        if not self.dimensions or len(set(self.dimensions)) != len(self.dimensions):
            raise MetricInputError(f"{self.name}: dimensions must be non-empty and unique")
        off_scale = [s for s, _ in self.scale_labels if not self.scale_min <= s <= self.scale_max]
        if off_scale:
            raise MetricInputError(f"{self.name}: labels for scores off the scale: {off_scale}")


def catalogue(questionnaires: Iterable[Questionnaire]) -> dict[str, Questionnaire]:
    """A name -> questionnaire mapping; MetricInputError on a duplicate name."""
    out: dict[str, Questionnaire] = {}
    for questionnaire in questionnaires:
        if questionnaire.name in out:
            raise MetricInputError(f"questionnaire {questionnaire.name} is defined twice")
        out[questionnaire.name] = questionnaire
    return out


class SurveyLike(Protocol):
    """What :func:`check_survey` reads; metrics.events.SurveyEvent satisfies it."""

    @property
    def questionnaire(self) -> str: ...
    @property
    def scale_min(self) -> int: ...
    @property
    def scale_max(self) -> int: ...
    @property
    def scores(self) -> Mapping[str, int]: ...


def check_survey(survey: SurveyLike, questionnaires: Mapping[str, Questionnaire]) -> str | None:
    """None when ``survey`` fits its questionnaire, else the reason as one line of text.

    Errors: unknown questionnaire; scale (min and max) different from the catalogue's; a scored
    dimension the questionnaire does not have. Answering only some dimensions is allowed
    (parts_supply is asked on repairs only).
    """
    known = questionnaires.get(survey.questionnaire)
    if known is None:
        names = ", ".join(sorted(questionnaires))
        return f"unknown questionnaire {survey.questionnaire!r}; known: {names}"
    if (survey.scale_min, survey.scale_max) != (known.scale_min, known.scale_max):
        return (
            f"scale {survey.scale_min}..{survey.scale_max} differs from {known.name}'s "
            f"{known.scale_min}..{known.scale_max}"
        )
    unknown = sorted(set(survey.scores) - set(known.dimensions))
    if unknown:
        return f"dimensions not in {known.name}: {', '.join(unknown)}"
    return None
