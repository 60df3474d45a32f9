"""Survey responses (回访): one event per answered questionnaire."""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from metrics.events.base import EventBase, Id, Label

Dimension = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w\-.]+$")]


class SurveyEvent(EventBase):
    """Scores per dimension on a ``scale_min``..``scale_max`` integer scale."""

    type: Literal["survey"]
    questionnaire: Label = Field(description="Questionnaire id, e.g. after_sales_10, segue.")
    scale_min: int = Field(1, strict=True, ge=0, le=1)
    scale_max: int = Field(strict=True, ge=2, le=100)
    scores: dict[Dimension, Annotated[int, Field(strict=True)]] = Field(min_length=1, max_length=32)
    ticket_id: Id | None = Field(None, description="Ticket the survey follows up, if any.")
    call_id: Id | None = Field(None, description="Call the survey follows up, if any.")

    @model_validator(mode="after")
    def _scores_inside_scale(self) -> Self:
        for dimension, score in self.scores.items():
            if not self.scale_min <= score <= self.scale_max:
                raise PydanticCustomError(
                    "score_out_of_range",
                    "score {score} for {dimension} is outside {low}..{high}",
                    {"score": score, "dimension": dimension, "low": self.scale_min,
                     "high": self.scale_max},
                )
        return self
