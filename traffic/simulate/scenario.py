"""Scenario files: timed effects that degrade (or improve) service for one segment.

A scenario is YAML with a list of effects; each applies from ``from_minute`` until
``until_minute`` (minutes of event time after the simulation start; open-ended when omitted) to
the contacts that match every given field. See docs/simulator.md for the format and an example.
"""

from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from metrics.events import Channel
from metrics.events.base import Label
from traffic.simulate.errors import ScenarioError

ContactKind = Literal["call", "complaint", "repair", "inquiry", "suggestion"]


class Match(BaseModel):
    """Which contacts an effect touches; omitted fields match anything.

    ``kind`` is ``call`` or a ticket kind; a survey matches the kind of the contact it follows.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: Label | None = None
    queue: Label | None = None
    business_line: Label | None = None
    journey_stage: Label | None = None
    channel: Channel | None = None
    kind: ContactKind | None = None


class Effect(BaseModel):
    """One timed change; factors multiply, the satisfaction shift adds (10-point points)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_minute: float = Field(ge=0, description="Start, minutes after the simulation start.")
    until_minute: float | None = Field(None, description="End (exclusive); None: to the end.")
    match: Match = Field(default_factory=Match)
    response_delay_factor: float = Field(
        1.0, gt=0, le=1_000, description="Multiplies a ticket's time to first response."
    )
    wait_factor: float = Field(1.0, gt=0, le=1_000, description="Multiplies a call's wait.")
    abandon_factor: float = Field(
        1.0, gt=0, le=1_000, description="Divides caller patience: 2 roughly doubles abandons."
    )
    satisfaction_shift: float = Field(
        0.0, ge=-9, le=9,
        description="Points on the 10-point scale added to every score; scaled for 5 points.",
    )
    ramp_minutes: float = Field(
        0.0, ge=0, description="The shift grows linearly from 0 to its full size over this "
                               "many minutes after from_minute (a slow slide); 0: at once.",
    )

    @model_validator(mode="after")
    def _meaningful(self) -> Self:
        if self.until_minute is not None and self.until_minute <= self.from_minute:
            raise ValueError("until_minute must be after from_minute")
        calls_only = self.wait_factor != 1.0 or self.abandon_factor != 1.0
        if calls_only and self.match.kind not in (None, "call"):
            raise ValueError(
                f"wait_factor and abandon_factor change calls, but match.kind is "
                f"{self.match.kind}"
            )
        if self.response_delay_factor != 1.0 and self.match.kind == "call":
            raise ValueError("response_delay_factor changes tickets, but match.kind is call")
        neutral = (self.response_delay_factor, self.wait_factor, self.abandon_factor,
                   self.satisfaction_shift) == (1.0, 1.0, 1.0, 0.0)
        if neutral:
            raise ValueError("the effect changes nothing: set a factor or satisfaction_shift")
        return self


class Scenario(BaseModel):
    """A named list of effects; overlapping effects combine (factors multiply, shifts add)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = None
    effects: list[Effect] = Field(min_length=1)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises :class:`ScenarioError` naming the file and, for invalid content, every bad field as
    a dotted path such as ``effects[0].match.kind``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read the scenario: {error}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping with an 'effects' list")
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(f"{path}: {describe(error)}") from None


def describe(error: ValidationError) -> str:
    """Every error of ``error`` as ``field.path: message``, joined with ``; ``."""
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ""
        for part in item["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
        parts.append(f"{where or 'scenario'}: {item['msg']}")
    return "; ".join(parts)
