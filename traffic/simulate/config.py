"""What the simulator generates: volumes, mix, segments, customer pool and deliberate faults.

Every field has a default that produces a plausible after-sales contact centre; docs/simulator.md
describes each one. The object is validated once, so a bad value fails before any event is made.
"""

import math
from typing import Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from metrics.events import Channel, TicketKind
from metrics.events.base import Label
from traffic.simulate.calls import ANSWERED_SHARE
from traffic.simulate.questionnaires import CATALOGUE
from traffic.simulate.tickets import expected_events_per_ticket

JOURNEY_STAGES = (
    "awareness", "selection", "purchase", "handover", "usage", "repair", "complaint", "repurchase",
)

DEFAULT_QUEUES = ("sales", "general", "repairs", "complaints")


class SimulatorConfig(BaseModel):
    """Simulator settings; every weight table is relative (it need not sum to 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(7, description="Seed of every random draw; same seed, same events.")
    start: AwareDatetime | None = Field(
        None, description="Event time of the first arrival; None means the caller uses now."
    )
    rate_per_s: float = Field(
        200.0, gt=0, le=1_000_000,
        description="Mean events per second over a day, all three topics together.",
    )
    call_share: float = Field(0.5, ge=0, le=1, description="Share of events that are calls.")
    ticket_share: float = Field(0.3, ge=0, le=1, description="Share that are ticket events.")
    survey_share: float = Field(0.2, ge=0, le=1, description="Share that are survey responses.")
    utc_offset_h: float = Field(
        8.0, ge=-12, le=14,
        description="Local time of the operation (diurnal curve, timestamps); quarter hours.",
    )
    regions: list[Label] = Field(["north", "east", "south", "west"], min_length=1)
    business_lines: list[Label] = Field(["residential", "commercial", "equipment"], min_length=1)
    business_line_weights: dict[Label, float] | None = Field(
        None, description="Relative share of customers per business line; None: equal.")
    journey_stages: list[Label] = Field(list(JOURNEY_STAGES), min_length=1)
    stage_weights: dict[Label, float] = Field(
        {"awareness": 0.5, "selection": 0.8, "purchase": 1.0, "handover": 0.8, "usage": 2.0,
         "repair": 1.5, "complaint": 1.0, "repurchase": 0.4},
        description="Relative contact volume per journey stage; missing stages weigh 1.",
    )
    stage_satisfaction_shift: dict[Label, float] = Field(
        {"awareness": 0.3, "selection": 0.3, "purchase": 0.2, "handover": -1.0, "usage": 0.0,
         "repair": -1.2, "complaint": -2.0, "repurchase": 0.4},
        description="Points on the 10-point scale per stage: the dive curve. Missing: 0.",
    )
    queues: list[Label] = Field(list(DEFAULT_QUEUES), min_length=1)
    queue_by_stage: dict[Label, Label] = Field(
        {"awareness": "sales", "selection": "sales", "purchase": "sales", "repurchase": "sales",
         "handover": "general", "usage": "general", "repair": "repairs",
         "complaint": "complaints"},
        description="Queue that handles each stage; unmapped stages spread over all queues.",
    )
    queue_wait_median_s: dict[Label, float] = Field(
        {"sales": 4.0, "general": 6.0, "repairs": 8.0, "complaints": 10.0},
        description="Median wait to answer at the daily peak, per queue.",
    )
    default_wait_median_s: float = Field(
        6.0, gt=0, le=3_600, description="Peak median wait of queues missing above."
    )
    value_tier_weights: dict[Label, float] = Field(
        {"standard": 0.60, "silver": 0.25, "gold": 0.12, "platinum": 0.03}, min_length=1
    )
    ticket_kind_weights: dict[TicketKind, float] = Field(
        {TicketKind.COMPLAINT: 0.20, TicketKind.REPAIR: 0.35, TicketKind.INQUIRY: 0.40,
         TicketKind.SUGGESTION: 0.05},
        min_length=1, description="Relative number of tickets opened per kind.",
    )
    ticket_channel_weights: dict[Channel, float] = Field(
        {Channel.PHONE: 0.35, Channel.APP: 0.20, Channel.WECHAT: 0.20, Channel.WEB: 0.10,
         Channel.EMAIL: 0.05, Channel.STORE: 0.10},
        min_length=1, description="Where tickets are opened; calls are always phone.",
    )
    questionnaire_weights: dict[Label, float] = Field(
        {"after_sales_10": 0.6, "segue": 0.2, "servqual": 0.2},
        min_length=1, description="Which questionnaire a survey uses; keys from the catalogue.",
    )
    customers: int = Field(20_000, ge=1, le=1_000_000, description="Customer pool size.")
    agents: int = Field(50, ge=1, le=10_000, description="Agent pool size.")
    invalid_share: float = Field(
        0.0, ge=0, le=0.5, description="Share of emitted items that are deliberately invalid."
    )
    duplicate_share: float = Field(
        0.0, ge=0, le=0.5, description="Share of emitted items that repeat an earlier event."
    )
    late_share: float = Field(
        0.0, ge=0, le=0.5, description="Share of events delivered late_by_s after they happened."
    )
    late_by_s: float = Field(7_200.0, gt=0, le=7 * 86_400, description="Delay of late events.")

    @model_validator(mode="before")
    @classmethod
    def _fit_defaults(cls, data: Any) -> Any:
        """Trim the default stage and queue tables to custom stages and queues.

        A caller who renames the journey stages or queues should not have to restate every
        table keyed by them; tables the caller does pass are still checked strictly.
        """
        if not isinstance(data, dict):
            return data
        data = dict(data)
        stages = data.get("journey_stages", JOURNEY_STAGES)
        queues = data.get("queues", DEFAULT_QUEUES)
        for name in ("stage_weights", "stage_satisfaction_shift"):
            if name not in data:
                default = cls.model_fields[name].default
                data[name] = {k: v for k, v in default.items() if k in stages}
        if "queue_by_stage" not in data:
            default = cls.model_fields["queue_by_stage"].default
            data["queue_by_stage"] = {
                k: v for k, v in default.items() if k in stages and v in queues
            }
        if "queue_wait_median_s" not in data:
            default = cls.model_fields["queue_wait_median_s"].default
            data["queue_wait_median_s"] = {k: v for k, v in default.items() if k in queues}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        shares = self.call_share + self.ticket_share + self.survey_share
        if not math.isclose(shares, 1.0, abs_tol=1e-6):
            raise ValueError(f"call_share + ticket_share + survey_share must be 1, not {shares:g}")
        # Surveys only follow answered calls and resolved tickets, so their share is capped.
        events_per_ticket = expected_events_per_ticket(self.ticket_kind_weights)
        most = ANSWERED_SHARE * self.call_share + self.ticket_share / events_per_ticket
        if self.survey_share > most + 1e-9:
            raise ValueError(
                f"survey_share {self.survey_share:g} exceeds {most:.3f}: every answered call "
                "and resolved ticket would need more than one survey"
            )
        if (self.utc_offset_h * 4) != int(self.utc_offset_h * 4):
            raise ValueError("utc_offset_h must be a whole number of quarter hours")
        for name in ("regions", "business_lines", "journey_stages", "queues"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} has repeated values")
        _keys_within("stage_weights", self.stage_weights, self.journey_stages)
        _keys_within("stage_satisfaction_shift", self.stage_satisfaction_shift,
                     self.journey_stages)
        _keys_within("queue_by_stage", self.queue_by_stage, self.journey_stages)
        _keys_within("queue_by_stage (values)", dict.fromkeys(self.queue_by_stage.values()),
                     self.queues)
        _keys_within("queue_wait_median_s", self.queue_wait_median_s, self.queues)
        _keys_within("questionnaire_weights", self.questionnaire_weights, CATALOGUE)
        for name in ("value_tier_weights", "ticket_kind_weights", "ticket_channel_weights",
                     "questionnaire_weights"):
            _positive_weights(name, getattr(self, name))
        _positive_weights("stage_weights", {
            stage: self.stage_weights.get(stage, 1.0) for stage in self.journey_stages
        })
        if any(not 0 < median_s <= 3_600 for median_s in self.queue_wait_median_s.values()):
            raise ValueError("queue_wait_median_s values must be in (0, 3600] seconds")
        return self


def _keys_within(name: str, table: dict, allowed) -> None:
    unknown = sorted(str(key) for key in table if key not in allowed)
    if unknown:
        raise ValueError(
            f"{name} names {', '.join(unknown)}, not in {', '.join(map(str, allowed))}"
        )


def _positive_weights(name: str, weights: dict) -> None:
    if any(not (w >= 0 and math.isfinite(w)) for w in weights.values()):
        raise ValueError(f"{name} must be finite and non-negative")
    if sum(weights.values()) <= 0:
        raise ValueError(f"{name} needs at least one positive weight")
