"""Ticket maths: response and resolution bands, on-time closure, totals, backlog age."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from metrics.errors import MetricInputError
from metrics.tickets import (
    FIRST_CONTACT,
    OVER_1D,
    WITHIN_1D,
    BacklogAge,
    ResponseBands,
    TicketTotals,
    backlog_age_s,
    closed_on_time,
    elapsed_s,
    resolution_band,
    response_band_points,
)

H = 3600.0
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("elapsed", "points"),
    [
        pytest.param(0.0, 5, id="instant"),
        pytest.param(H - 0.000001, 5, id="1us-before-1h"),
        pytest.param(H, 4, id="1h-opens-band-4"),
        pytest.param(3 * H - 0.000001, 4, id="1us-before-3h"),
        pytest.param(3 * H, 3, id="3h-opens-band-3"),
        pytest.param(24 * H - 0.000001, 3, id="1us-before-24h"),
        pytest.param(24 * H, 3, id="24h-itself-still-3"),
        pytest.param(24 * H + 0.000001, 1, id="1us-after-24h"),
        pytest.param(30 * 24 * H, 1, id="a-month"),
    ],
)
def test_response_band_points_defaults(elapsed, points):
    assert response_band_points(elapsed) == points


@pytest.mark.parametrize(
    ("delta", "points"),
    [
        pytest.param(timedelta(hours=1) - US, 5, id="1us-before-1h"),
        pytest.param(timedelta(hours=1), 4, id="exactly-1h"),
        pytest.param(timedelta(hours=24), 3, id="exactly-24h"),
        pytest.param(timedelta(hours=24) + US, 1, id="1us-after-24h"),
    ],
)
def test_response_band_points_from_datetimes_is_exact_at_microseconds(delta, points):
    assert response_band_points(elapsed_s(T0, T0 + delta)) == points


CUSTOM = ResponseBands(edges_s=(600.0, 1800.0), points=(3, 2, 0))


@pytest.mark.parametrize(
    ("elapsed", "points"),
    [(0.0, 3), (599.9, 3), (600.0, 2), (1800.0, 2), (1800.1, 0)],
)
def test_response_band_points_custom_edges_last_edge_inclusive(elapsed, points):
    assert response_band_points(elapsed, CUSTOM) == points


@pytest.mark.parametrize("elapsed", [-0.000001, -H, float("nan")])
def test_response_band_points_rejects_negative_elapsed(elapsed):
    with pytest.raises(ValueError):
        response_band_points(elapsed)


@pytest.mark.parametrize(
    ("edges_s", "points"),
    [
        pytest.param((), (5,), id="no-edges"),
        pytest.param((H, 3 * H), (5, 4), id="too-few-points"),
        pytest.param((H, 3 * H), (5, 4, 3, 1), id="too-many-points"),
        pytest.param((3 * H, H), (5, 4, 3), id="decreasing"),
        pytest.param((H, H), (5, 4, 3), id="equal-edges"),
        pytest.param((0.0, H), (5, 4, 3), id="zero-first-edge"),
    ],
)
def test_response_bands_validate(edges_s, points):
    with pytest.raises(MetricInputError):
        ResponseBands(edges_s, points)


def test_elapsed_s_rejects_end_before_start():
    with pytest.raises(MetricInputError):
        elapsed_s(T0, T0 - US)


@pytest.mark.parametrize(
    ("first_contact", "delta", "band"),
    [
        pytest.param(True, timedelta(days=5), FIRST_CONTACT, id="flag-wins-over-time"),
        pytest.param(False, timedelta(0), WITHIN_1D, id="same-instant-without-flag"),
        pytest.param(None, timedelta(hours=3), WITHIN_1D, id="flag-absent-counts-as-false"),
        pytest.param(False, timedelta(hours=24), WITHIN_1D, id="exactly-24h-within"),
        pytest.param(False, timedelta(hours=24) + US, OVER_1D, id="1us-over-24h"),
        pytest.param(False, timedelta(days=10), OVER_1D, id="ten-days"),
    ],
)
def test_resolution_band(first_contact, delta, band):
    assert resolution_band(first_contact, T0, T0 + delta) == band


def test_resolution_band_rejects_resolution_before_creation():
    with pytest.raises(MetricInputError):
        resolution_band(False, T0, T0 - US)


@pytest.mark.parametrize(
    ("closed_at", "due_at", "on_time"),
    [
        pytest.param(T0 - US, T0, True, id="before-due"),
        pytest.param(T0, T0, True, id="exactly-at-due-is-on-time"),
        pytest.param(T0 + US, T0, False, id="1us-late"),
        pytest.param(T0, None, None, id="no-due-date"),
        pytest.param(T0, datetime(2026, 11, 2, 17, 0, tzinfo=BEIJING), True,
                     id="17h-beijing-is-9h-utc-so-at-due"),
    ],
)
def test_closed_on_time(closed_at, due_at, on_time):
    assert closed_on_time(closed_at, due_at) is on_time


def _complaints() -> TicketTotals:
    totals = TicketTotals()
    for repeat in (False, False, True, False):
        totals.add_created(repeat=repeat)
    for points in (5, 5, 3, 1):
        totals.add_first_response(points)
    for band in (FIRST_CONTACT, WITHIN_1D, WITHIN_1D):
        totals.add_resolved(band)
    for on_time in (True, False, None):
        totals.add_closed(on_time)
    totals.add_reopened()
    return totals


def test_ticket_totals_components():
    assert _complaints().as_dict() == {
        "created": 4, "repeats": 1, "first_responses": 4, "first_response_points_sum": 14,
        "first_response_by_points": {"5": 2, "3": 1, "1": 1}, "resolved": 3,
        "resolved_by_band": {FIRST_CONTACT: 1, WITHIN_1D: 2}, "closed": 3,
        "closed_with_due_date": 2, "closed_on_time": 1, "reopened": 1,
    }


@pytest.mark.parametrize(
    ("ratio", "filled", "empty"),
    [
        pytest.param("closure_rate", 3 / 5, None, id="closed-over-created-plus-reopened"),
        pytest.param("on_time_rate", 1 / 2, None, id="on-time-over-closes-with-due-date"),
        pytest.param("repeat_rate", 1 / 4, None, id="repeats-over-created"),
        pytest.param("reopen_rate", 1 / 3, None, id="reopened-over-closed"),
        pytest.param("mean_first_response_points", 14 / 4, None, id="mean-points"),
    ],
)
def test_ticket_totals_ratios(ratio, filled, empty):
    assert getattr(_complaints(), ratio)() == filled
    assert getattr(TicketTotals(), ratio)() is empty


@pytest.mark.parametrize(
    ("band", "share"),
    [(FIRST_CONTACT, 1 / 3), (WITHIN_1D, 2 / 3), (OVER_1D, 0.0)],
)
def test_resolution_share(band, share):
    assert _complaints().resolution_share(band) == share
    assert TicketTotals().resolution_share(band) is None


def test_on_time_rate_without_due_dates_is_not_published():
    totals = TicketTotals()
    totals.add_closed(None)
    assert totals.on_time_rate() is None
    assert totals.closure_rate() is None


@pytest.mark.parametrize("call", ["add_resolved", "resolution_share"])
def test_unknown_resolution_band_is_rejected(call):
    with pytest.raises(MetricInputError):
        getattr(TicketTotals(), call)("someday")


def test_ticket_totals_merge_and_json_round_trip():
    merged = _complaints()
    merged.merge(_complaints())
    assert merged.created == 8 and merged.first_response_by_points == {5: 4, 3: 2, 1: 2}
    assert merged.resolved_by_band == {FIRST_CONTACT: 2, WITHIN_1D: 4}
    assert merged.closure_rate() == _complaints().closure_rate()
    assert TicketTotals.from_dict(json.loads(json.dumps(merged.as_dict()))) == merged


@pytest.mark.parametrize(
    ("created", "summary"),
    [
        pytest.param([], BacklogAge(0, None, None, None), id="empty"),
        pytest.param([T0 - timedelta(hours=2)],
                     BacklogAge(1, 2 * H, 2 * H, T0 - timedelta(hours=2)),
                     id="one"),
        pytest.param([T0 - timedelta(hours=1), T0 - timedelta(hours=3), T0],
                     BacklogAge(3, 4 * H / 3, 3 * H, T0 - timedelta(hours=3)),
                     id="three-including-one-created-now"),
        pytest.param([T0 - timedelta(hours=1), T0 + US],
                     BacklogAge(1, H, H, T0 - timedelta(hours=1)),
                     id="created-after-now-not-open-yet"),
    ],
)
def test_backlog_age(created, summary):
    assert backlog_age_s(created, T0) == summary
