"""customer_type at its calendar boundaries, and the segment an event reports."""

from datetime import UTC, date, datetime

import pytest

from metrics.events import CallEvent, Segment
from metrics.events.base import customer_type
from tests import factories


def _noon(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


@pytest.mark.parametrize(
    ("customer_since", "event_day", "expected"),
    [
        (None, "2026-03-01", "unknown"),
        (date(2026, 3, 1), "2026-03-01", "new"),
        (date(2026, 3, 1), "2026-02-01", "new"),  # first contact after the event
        # 3 calendar months: at most = new, a day later = regular
        (date(2026, 1, 15), "2026-04-15", "new"),
        (date(2026, 1, 15), "2026-04-16", "regular"),
        # 12 calendar months: at most = regular, a day later = old
        (date(2025, 1, 15), "2026-01-15", "regular"),
        (date(2025, 1, 15), "2026-01-16", "old"),
        # month ends clamp: Nov 30 + 3 months = Feb 28 (Feb 29 in a leap year)
        (date(2025, 11, 30), "2026-02-28", "new"),
        (date(2025, 11, 30), "2026-03-01", "regular"),
        (date(2023, 11, 30), "2024-02-29", "new"),
        (date(2023, 11, 30), "2024-03-01", "regular"),
        (date(2026, 5, 31), "2026-08-31", "new"),
        (date(2026, 5, 31), "2026-09-01", "regular"),
        # Feb 29 + 12 months = Feb 28 of the next year
        (date(2024, 2, 29), "2025-02-28", "regular"),
        (date(2024, 2, 29), "2025-03-01", "old"),
        # across a year end
        (date(2025, 10, 31), "2026-01-31", "new"),
        (date(2025, 10, 31), "2026-02-01", "regular"),
    ],
)
def test_customer_type(customer_since, event_day, expected):
    assert customer_type(customer_since, _noon(event_day)) == expected


@pytest.mark.parametrize(
    ("customer_since", "expected_type"),
    [(None, "unknown"), ("2026-10-01", "new"), ("2026-01-01", "regular"), ("2020-01-01", "old")],
)
def test_segment(customer_since, expected_type):
    fields = factories.call(
        region="华东", channel="wechat", queue="q-repair", business_line="commercial",
        journey_stage="after_sales", customer_since=customer_since,
        occurred_at="2026-11-02T09:30:00+00:00",
    )
    event = CallEvent.model_validate(fields)

    assert event.segment == Segment(
        region="华东", channel="wechat", queue="q-repair", business_line="commercial",
        journey_stage="after_sales", customer_type=expected_type,
    )
    assert all(isinstance(label, str) for label in event.segment)
