"""Call detail records: one event per finished call, offered at ``occurred_at``."""

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from metrics.events.base import EventBase, Id


class CallOutcome(StrEnum):
    """How the offered call ended."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"


class CallEvent(EventBase):
    """A call offered to a queue; ``wait_s`` is time to answer or to hang-up."""

    type: Literal["call"]
    call_id: Id
    outcome: CallOutcome
    wait_s: float = Field(strict=True, ge=0, le=86_400, description="Seconds from offer to answer or abandon.")
    rings: int | None = Field(None, strict=True, ge=1, le=1_000, description="Ring count if the switch sends it.")
    talk_s: float | None = Field(None, strict=True, ge=0, le=86_400, description="Talk time; answered only.")
    transfers: int = Field(0, strict=True, ge=0, le=100, description="Times the call was transferred.")

    @model_validator(mode="after")
    def _talk_only_when_answered(self) -> Self:
        if self.outcome is CallOutcome.ABANDONED and self.talk_s is not None:
            raise PydanticCustomError("inconsistent", "an abandoned call cannot have talk_s")
        return self
