"""History maths: closing by event time, segment days with the replay rule."""

import pytest

from metrics.history import (
    DAY_S,
    HOUR_S,
    SEGMENT_PREFIX,
    HistoryProjector,
    SegmentDays,
    is_closed,
    newly_closed,
)
from metrics.views import View

H = 10 * HOUR_S   # an hour start


@pytest.mark.parametrize(("clock_s", "closed"), [
    (H + HOUR_S + 899, False),     # grace 900 s: one second short
    (H + HOUR_S + 900, True),      # exactly end + grace
    (H + HOUR_S + 5000, True),
])
def test_a_window_closes_at_end_plus_grace(clock_s, closed):
    assert is_closed(H, HOUR_S, 900, clock_s) is closed


@pytest.mark.parametrize(("before", "now", "expected"), [
    (0, H + HOUR_S + 900, [H - HOUR_S, H]),          # first clock: all that is closed
    (H + HOUR_S + 900, H + 2 * HOUR_S + 899, []),    # no boundary crossed
    (H + HOUR_S + 899, H + HOUR_S + 900, [H]),
    (H + HOUR_S + 900, H + HOUR_S + 900, []),        # same clock: nothing again
])
def test_newly_closed(before, now, expected):
    starts = [H - HOUR_S, H, H + HOUR_S]
    assert newly_closed(starts, HOUR_S, 900, before, now) == expected


def test_segment_days_apply_once_per_offset_range_and_count_too_old():
    days = SegmentDays()
    minute = 3 * DAY_S + 60
    bucket = {"calls/offered": 1, "tickets/repair/opened": 1}   # backlog keys stay out
    assert days.apply("cx.calls:0", -1, 5, {minute: bucket}, 0) == ({3 * DAY_S}, 0)
    assert days.apply("cx.calls:0", -1, 5, {minute: bucket}, 0) is None   # a replay
    assert days.apply("cx.calls:0", 5, 9, {minute: bucket, 60: bucket}, DAY_S) == (
        {3 * DAY_S}, 1)
    assert days.days == {3 * DAY_S: {"calls/offered": 2}}
    assert SegmentDays.from_json(days.to_json()) == days
    days.prune(4 * DAY_S)
    assert days.days == {}


def test_the_history_projector_adds_the_full_segment():
    projector = HistoryProjector([View("region", ("region",))])
    segment = "north|phone|q1|residential|usage|old|all"
    out = dict(projector.project(segment, {"calls/offered": 2, "tickets/repair/opened": 1}))
    assert out == {"region|north": {"calls/offered": 2, "tickets/repair/opened": 1},
                   SEGMENT_PREFIX + segment: {"calls/offered": 2}}
