"""What the generator yields: one message for one topic, with its truth for tests."""

from datetime import datetime
from typing import Any, NamedTuple


class SimItem(NamedTuple):
    """One message to produce.

    ``kind`` is the topic family (call, ticket, survey) and ``key`` the Kafka key (customer id).
    ``payload`` is a JSON-ready dict, or raw bytes for a deliberately malformed message; treat
    it as read-only. ``valid`` is False only for deliberate defects, and ``defect`` then names
    the rejection reason (:mod:`metrics.events.reasons`) the consumer must report.
    ``occurred_at`` is the event time; ``emitted_at`` the simulated moment of sending, which
    orders the stream (later than ``occurred_at`` for calls, late and duplicate items).
    """

    kind: str
    key: str
    payload: dict[str, Any] | bytes
    valid: bool
    occurred_at: datetime
    emitted_at: datetime
    defect: str | None = None
    duplicate: bool = False


# NamedTuple's own __new__ is a Python function; tuple.__new__ builds an item at half the cost.
_tuple_new = tuple.__new__


def new_item(
    kind: str, key: str, payload: dict[str, Any], occurred_at: datetime, emitted_at: datetime
) -> SimItem:
    """A valid, original :class:`SimItem` (not a fault); runs once per generated event."""
    return _tuple_new(SimItem, (kind, key, payload, True, occurred_at, emitted_at, None, False))
