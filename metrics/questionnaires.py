"""The questionnaire catalogue (data) and the check of a survey event against it.

Questionnaires are configuration: :func:`catalogue` builds a validated catalogue from any
questionnaires, and :data:`CATALOGUE` holds the domain's default sets. docs/metrics.md
("Questionnaires") lists them.
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


AGREEMENT_LABELS = (
    (5, "非常同意 strongly agree"),
    (4, "同意 agree"),
    (3, "一般 neutral"),
    (2, "不同意 disagree"),
    (1, "非常不同意 strongly disagree"),
)

CATALOGUE: Mapping[str, Questionnaire] = catalogue((
    # 服务技能, 服务态度, 服务及时性, 配件供应, 服务综合
    Questionnaire("after_sales_10", 1, 10,
                  ("service_skill", "attitude", "timeliness", "parts_supply", "overall")),
    Questionnaire("segue", 1, 5,
                  ("satisfactory", "efficient", "genuine", "understanding", "effective")),
    Questionnaire("servqual", 1, 5,
                  ("reliability", "responsiveness", "assurance", "tangibles", "empathy")),
    # Agreement statements after a contact; 5 = strongly agree, so higher is better everywhere.
    Questionnaire("agreement", 1, 5,
                  ("problem_solved", "easy_to_reach", "kept_informed", "agent_knowledgeable",
                   "would_recommend"),
                  AGREEMENT_LABELS),
))


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


def check_survey(
    survey: SurveyLike, questionnaires: Mapping[str, Questionnaire] = CATALOGUE
) -> str | None:
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
