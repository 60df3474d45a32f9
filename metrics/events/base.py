"""Fields every event carries: identity, event time, customer and segment.

Whether ``occurred_at`` is plausible (not too far in the future, not before :data:`EARLIEST`)
depends on the receiver's clock, so :func:`metrics.events.decode.decode_message` checks it
after validation, with one comparison per event instead of a Python validator call.
"""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, NamedTuple

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

DEFAULT_MAX_FUTURE_S = 300.0
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S+$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w\-.]+$")]
AttrKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
AttrValue = Annotated[str, StringConstraints(max_length=256)]


class Channel(StrEnum):
    """The contact channels of domain.md; closed, so a typo is a rejection, not a new series."""

    PHONE = "phone"
    APP = "app"
    WECHAT = "wechat"
    WEB = "web"
    EMAIL = "email"
    STORE = "store"


class Segment(NamedTuple):
    """The default cut of every metric; all values are low-cardinality labels."""

    region: str
    channel: str
    queue: str
    business_line: str
    journey_stage: str
    customer_type: str


def _add_months(day: date, months: int) -> date:
    """Calendar-month addition, clamping the day (Jan 31 + 1 month = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable: day 28 exists in every month")


def customer_type(customer_since: date | None, at: datetime) -> str:
    """Classify a customer by tenure at event time.

    ``new``: first seen at most 3 calendar months before; ``old``: more than 12 months before;
    ``regular``: in between; ``unknown``: no first-seen date was sent.
    """
    if customer_since is None:
        return "unknown"
    day = at.date()
    if day <= _add_months(customer_since, 3):
        return "new"
    if day > _add_months(customer_since, 12):
        return "old"
    return "regular"


class EventBase(BaseModel):
    """Common fields; subclasses add a ``type`` literal and their own payload."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    schema_version: int = Field(1, strict=True, ge=1, le=1, description="Contract version; only 1 exists.")
    event_id: Id = Field(description="Globally unique id; redelivered copies share it.")
    occurred_at: AwareDatetime = Field(description="Event time, with a UTC offset.")
    customer_id: Id = Field(description="Kafka key: every topic is keyed by customer.")
    customer_since: date | None = Field(None, description="First contact date, for new/old.")
    value_tier: Label | None = Field(None, description="Customer value tier, e.g. gold.")
    region: Label
    channel: Channel
    queue: Label = Field(description="Queue or team that handled the contact.")
    business_line: Label = Field(description="Business line or product type.")
    journey_stage: Label = Field(description="Journey stage, from the configured list.")
    agent_id: Id | None = Field(None, description="Optional; exported only when enabled.")
    attributes: dict[AttrKey, AttrValue] = Field(
        default_factory=dict,
        max_length=16,
        description="Free producer extras, kept but never used as labels.",
    )

    @property
    def segment(self) -> Segment:
        """The event's segment labels (customer type derived at event time)."""
        return Segment(
            self.region,
            self.channel.value,
            self.queue,
            self.business_line,
            self.journey_stage,
            customer_type(self.customer_since, self.occurred_at),
        )
