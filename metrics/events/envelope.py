"""Envelopes: a list of events bound for one partition, sent as one Kafka message.

Items are validated one by one, so a bad item rejects only itself.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MAX_ENVELOPE_EVENTS = 5_000


class Envelope(BaseModel):
    """``{"type": "envelope", "events": [event, ...]}``; at most the configured item count."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["envelope"]
    events: list[dict[str, Any]] = Field(min_length=1)
