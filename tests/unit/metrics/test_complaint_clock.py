"""Complaint clocks: 24 h response, 72 h solution, 2 h off-hours rule, pauses; business time."""

import math
import subprocess
import sys
from datetime import datetime, time, timedelta

import pytest

from metrics.business_hours import SHANGHAI, BusinessCalendar
from metrics.complaint_clock import (
    Clock,
    ClockState,
    ClockStatus,
    ComplaintClock,
    clock_deadline,
    elapsed_business_s,
)
from metrics.errors import ConfigError

H = 3600.0
CAL = BusinessCalendar()
LUNCH = BusinessCalendar(windows=((time(9), time(12)), (time(13), time(18))))
RULE = ComplaintClock()


def sh(text: str) -> datetime:
    """'2025-03-03 10:00' as an aware Asia/Shanghai datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def pauses_of(*pairs: tuple[str, str | None]) -> list[tuple[datetime, datetime | None]]:
    """Pause intervals from ('paused', 'resumed' or None) strings."""
    return [(sh(paused), None if resumed is None else sh(resumed)) for paused, resumed in pairs]


# 2025-03-03 is a Monday; 2025-03-03..07 and 2025-03-10..14 are ordinary working weeks.
# With 9 h days, 24 business hours = 2 days 6 h and 72 = exactly 8 days. Created Monday 10:00:
# Monday gives 8 h, Tuesday 9 h (17 h), Wednesday 09:00 + 7 h = 16:00 -> Wednesday 16:00.
@pytest.mark.parametrize(
    ("calendar", "created", "deadline"),
    [
        pytest.param(CAL, "2025-03-03 10:00", "2025-03-05 16:00", id="in-hours-24h-monday-10"),
        pytest.param(CAL, "2025-03-03 09:00", "2025-03-05 15:00",
                     id="created-exactly-at-opening-is-in-hours"),
        pytest.param(CAL, "2025-03-03 17:59", "2025-03-06 14:59",
                     id="created-one-minute-before-closing"),
        pytest.param(CAL, "2025-03-03 18:00", "2025-03-04 11:00",
                     id="created-exactly-at-closing-is-off-hours"),
        pytest.param(CAL, "2025-03-03 07:00", "2025-03-03 11:00",
                     id="off-hours-before-opening"),
        pytest.param(CAL, "2025-03-03 08:59:59", "2025-03-03 11:00",
                     id="off-hours-one-second-before-opening"),
        pytest.param(CAL, "2025-03-07 22:00", "2025-03-10 11:00",
                     id="off-hours-friday-22-before-normal-monday"),
        pytest.param(CAL, "2025-03-08 12:00", "2025-03-10 11:00", id="off-hours-saturday"),
        pytest.param(CAL, "2025-01-27 18:30", "2025-02-05 11:00",
                     id="off-hours-into-spring-festival-2025"),
        pytest.param(CAL, "2025-01-29 10:00", "2025-02-05 11:00",
                     id="created-on-spring-festival-holiday"),
        pytest.param(CAL, "2025-01-27 10:00", "2025-02-06 16:00",
                     id="in-hours-across-spring-festival-2025"),
        pytest.param(CAL, "2025-02-07 22:00", "2025-02-08 11:00",
                     id="off-hours-before-makeup-saturday"),
        pytest.param(CAL, "2025-01-25 10:00", "2025-01-26 11:00",
                     id="saturday-before-makeup-sunday"),
        pytest.param(CAL, "2025-10-01 10:00", "2025-10-09 11:00",
                     id="created-on-national-day-2025"),
        pytest.param(CAL, "2025-09-30 10:00", "2025-10-10 16:00",
                     id="in-hours-across-national-day-2025"),
        # lunch calendar: 8 h days; Monday 10-12 and 13-18 give 7 h, Tuesday 15, Wednesday 23
        pytest.param(LUNCH, "2025-03-03 10:00", "2025-03-06 10:00", id="lunch-calendar-24h"),
        pytest.param(LUNCH, "2025-03-03 12:30", "2025-03-03 15:00",
                     id="created-in-lunch-break-is-off-hours"),
    ],
)
def test_response_deadline(calendar, created, deadline):
    assert RULE.response_deadline(sh(created), calendar) == sh(deadline)


OFF_HOURS = ["2025-03-03 07:00", "2025-03-03 18:00", "2025-03-07 22:00", "2025-03-08 12:00",
             "2025-01-27 18:30", "2025-01-29 10:00", "2025-02-07 22:00", "2025-10-01 10:00"]


@pytest.mark.parametrize("created", OFF_HOURS)
def test_off_hours_deadline_is_two_business_hours_after_next_opening(created):
    expected = CAL.add_business_seconds(CAL.next_opening(sh(created)), 2 * H)
    assert RULE.response_deadline(sh(created), CAL) == expected
    # the earlier of (next opening + 2 h) and the 24-business-hour deadline is always the former
    assert expected < CAL.add_business_seconds(sh(created), 24 * H)


@pytest.mark.parametrize(
    ("created", "deadline"),
    [
        pytest.param("2025-03-03 10:00", "2025-03-13 10:00", id="72h-from-monday-10"),
        # the budget is spent exactly at closing on Wednesday 03-12; the clock runs again at 09:00
        pytest.param("2025-03-03 09:00", "2025-03-13 09:00", id="72h-landing-on-closing"),
        pytest.param("2025-03-07 22:00", "2025-03-20 09:00",
                     id="off-hours-has-no-2h-rule-for-solution"),
        # 09-26 8 h, 09-28 (调休 Sunday) 17, 09-29 26, 09-30 35, 10-09 44, 10-10 53,
        # 10-11 (调休 Saturday) 62, 10-13 71, 10-14 09:00 + 1 h
        pytest.param("2025-09-26 10:00", "2025-10-14 10:00",
                     id="across-national-day-with-both-makeup-days"),
        # 01-24 8 h, 01-26 (调休 Sunday) 17, 01-27 26, 02-05 35, 02-06 44, 02-07 53,
        # 02-08 (调休 Saturday) 62, 02-10 71, 02-11 09:00 + 1 h
        pytest.param("2025-01-24 10:00", "2025-02-11 10:00",
                     id="across-spring-festival-with-both-makeup-days"),
    ],
)
def test_solution_deadline(created, deadline):
    assert RULE.solution_deadline(sh(created), CAL) == sh(deadline)


# created Monday 2025-03-03 10:00; without pauses the response is due Wednesday 16:00
@pytest.mark.parametrize(
    ("pauses", "deadline"),
    [
        pytest.param([], "2025-03-05 16:00", id="no-pause"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00")], "2025-03-05 17:00",
                     id="one-pause"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 11:30"),
                      ("2025-03-04 10:00", "2025-03-04 10:30")], "2025-03-05 17:00",
                     id="several-pauses"),
        pytest.param([("2025-03-04 10:00", "2025-03-04 10:30"),
                      ("2025-03-03 11:00", "2025-03-03 11:30")], "2025-03-05 17:00",
                     id="pauses-out-of-order"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00"),
                      ("2025-03-03 11:30", "2025-03-03 12:30")], "2025-03-05 17:30",
                     id="overlapping-pauses-count-once"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00"),
                      ("2025-03-03 11:00", "2025-03-03 12:00")], "2025-03-05 17:00",
                     id="duplicate-pauses-count-once"),
        # 3 h paused: Wednesday 16:00 + 2 h reaches closing, the last hour is Thursday 09-10
        pytest.param([("2025-03-03 11:00", "2025-03-03 14:00"),
                      ("2025-03-03 12:00", "2025-03-03 13:00")], "2025-03-06 10:00",
                     id="nested-pauses"),
        # 2 h paused lands the budget exactly on Wednesday's closing: due at Thursday's opening
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00"),
                      ("2025-03-03 12:00", "2025-03-03 13:00")], "2025-03-06 09:00",
                     id="adjacent-pauses-landing-on-closing"),
        pytest.param([("2025-03-03 19:00", "2025-03-04 08:00")], "2025-03-05 16:00",
                     id="pause-outside-hours-has-no-effect"),
        pytest.param([("2025-03-03 07:00", "2025-03-03 09:30")], "2025-03-05 16:00",
                     id="pause-before-creation-has-no-effect"),
        pytest.param([("2025-03-03 09:00", "2025-03-03 11:00")], "2025-03-05 17:00",
                     id="pause-straddling-creation-counts-from-creation"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 11:00")], "2025-03-05 16:00",
                     id="zero-length-pause"),
        pytest.param([("2025-03-03 11:00", None)], None, id="open-ended-pause-holds-the-clock"),
        pytest.param([("2025-03-06 10:00", None)], "2025-03-05 16:00",
                     id="open-ended-pause-after-the-deadline"),
        pytest.param([("2025-03-05 16:00", None)], None,
                     id="open-ended-pause-from-the-exact-deadline"),
        pytest.param([("2025-03-05 16:00", "2025-03-05 17:00")], "2025-03-05 17:00",
                     id="pause-from-the-exact-deadline-moves-it-to-resume"),
        pytest.param([("2025-03-05 15:00", "2025-03-05 16:30")], "2025-03-05 17:30",
                     id="pause-spanning-the-deadline"),
        pytest.param([("2025-03-05 15:00", "2025-03-05 20:00")], "2025-03-06 10:00",
                     id="pause-resuming-off-hours"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00"),
                      ("2025-03-03 14:00", None)], None,
                     id="closed-then-open-ended-pause"),
    ],
)
def test_pauses_shift_the_response_deadline(pauses, deadline):
    got = RULE.response_deadline(sh("2025-03-03 10:00"), CAL, pauses_of(*pauses))
    assert got == (None if deadline is None else sh(deadline))


@pytest.mark.parametrize(
    ("created", "pauses", "deadline"),
    [
        pytest.param("2025-03-07 10:00", [("2025-03-07 18:00", "2025-03-10 09:00")],
                     "2025-03-11 16:00", id="pause-over-weekend-has-no-effect"),
        pytest.param("2025-03-07 22:00", [("2025-03-08 10:00", "2025-03-10 10:00")],
                     "2025-03-10 12:00", id="off-hours-clock-starts-when-pause-ends"),
        pytest.param("2025-03-07 22:00", [("2025-03-10 09:30", "2025-03-10 10:30")],
                     "2025-03-10 12:00", id="off-hours-with-pause-after-opening"),
        # 09-30 1 h, 10-09 10 h, 10-10 19 h, then 5 h on the make-up Saturday 10-11
        pytest.param("2025-09-30 17:00", [("2025-10-01 09:00", "2025-10-08 18:00")],
                     "2025-10-11 14:00", id="pause-over-national-day-has-no-effect"),
    ],
)
def test_pauses_shift_the_response_deadline_of_other_creations(created, pauses, deadline):
    assert RULE.response_deadline(sh(created), CAL, pauses_of(*pauses)) == sh(deadline)


def test_pauses_shift_the_solution_deadline():
    pauses = pauses_of(("2025-03-04 09:00", "2025-03-05 09:00"))  # all of Tuesday
    assert RULE.solution_deadline(sh("2025-03-03 10:00"), CAL, pauses) == sh("2025-03-14 10:00")


# start Monday 2025-03-03 10:00, end Wednesday 16:00: 24 business hours without pauses
@pytest.mark.parametrize(
    ("pauses", "expected_s"),
    [
        pytest.param([], 24 * H, id="no-pause"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00")], 23 * H, id="one-pause"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00"),
                      ("2025-03-03 11:30", "2025-03-03 12:30")], 22.5 * H, id="overlapping"),
        pytest.param([("2025-03-03 11:00", "2025-03-03 12:00"),
                      ("2025-03-04 11:00", "2025-03-04 13:00")], 21 * H, id="several"),
        pytest.param([("2025-03-04 09:00", None)], 8 * H, id="open-ended-runs-to-end"),
        pytest.param([("2025-03-01 00:00", None)], 0.0, id="paused-throughout"),
        pytest.param([("2025-03-03 19:00", "2025-03-04 08:00")], 24 * H, id="outside-hours"),
        pytest.param([("2025-03-02 10:00", "2025-03-03 09:00")], 24 * H, id="before-start"),
        pytest.param([("2025-03-05 15:00", "2025-03-06 12:00")], 23 * H, id="beyond-end"),
        pytest.param([("2025-03-05 16:00", "2025-03-05 17:00")], 24 * H, id="starting-at-end"),
        pytest.param([("2025-03-03 09:00", "2025-03-03 10:00")], 24 * H, id="ending-at-start"),
    ],
)
def test_elapsed_business_s(pauses, expected_s):
    got = elapsed_business_s(sh("2025-03-03 10:00"), sh("2025-03-05 16:00"), pauses_of(*pauses),
                             CAL)
    assert got == expected_s


def test_elapsed_business_s_of_an_empty_interval_is_zero():
    assert elapsed_business_s(sh("2025-03-03 10:00"), sh("2025-03-03 10:00"), [], CAL) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: elapsed_business_s(sh("2025-03-03 10:00"), sh("2025-03-03 09:00"),
                                                [], CAL), id="end-before-start"),
        pytest.param(lambda: elapsed_business_s(
            sh("2025-03-03 10:00"), sh("2025-03-03 12:00"),
            pauses_of(("2025-03-03 11:00", "2025-03-03 10:30")), CAL),
            id="pause-resumes-before-it-starts"),
        pytest.param(lambda: elapsed_business_s(
            sh("2025-03-03 10:00"), sh("2025-03-03 12:00"),
            [(datetime(2025, 3, 3, 11), None)], CAL), id="naive-pause"),
        pytest.param(lambda: RULE.response_on_time(sh("2025-03-03 10:00"), sh("2025-03-03 09:59"),
                                                   [], CAL), id="response-before-creation"),
        pytest.param(lambda: RULE.solution_on_time(sh("2025-03-03 10:00"), sh("2025-03-02 10:00"),
                                                   [], CAL), id="solution-before-creation"),
        pytest.param(lambda: RULE.status_at(sh("2025-03-03 09:00"), sh("2025-03-03 10:00"),
                                            [], CAL), id="status-before-creation"),
        pytest.param(lambda: RULE.response_deadline(datetime(2025, 3, 3, 10), CAL),
                     id="naive-creation"),
    ],
)
def test_invalid_instants_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    ("created", "responded", "pauses", "on_time"),
    [
        pytest.param("2025-03-03 10:00", "2025-03-05 16:00", [], True, id="exactly-at-deadline"),
        pytest.param("2025-03-03 10:00", "2025-03-05 16:00:00.000001", [], False,
                     id="one-microsecond-late"),
        pytest.param("2025-03-03 10:00", "2025-03-03 10:05", [], True, id="quick"),
        pytest.param("2025-03-07 22:00", "2025-03-10 11:00", [], True,
                     id="off-hours-exactly-two-hours-after-opening"),
        pytest.param("2025-03-07 22:00", "2025-03-10 11:00:01", [], False,
                     id="off-hours-one-second-late"),
        pytest.param("2025-03-07 22:00", "2025-03-08 10:00", [], True,
                     id="off-hours-answered-on-the-weekend"),
        pytest.param("2025-03-03 10:00", "2025-03-05 17:00",
                     [("2025-03-03 11:00", "2025-03-03 12:00")], True, id="pause-buys-an-hour"),
        pytest.param("2025-03-03 10:00", "2025-03-05 17:00:01",
                     [("2025-03-03 11:00", "2025-03-03 12:00")], False,
                     id="pause-bought-only-an-hour"),
        pytest.param("2025-03-03 10:00", "2025-03-14 10:00", [("2025-03-03 11:00", None)], True,
                     id="still-paused-when-answered"),
        # deadline landing on closing: answering that evening used no more business time
        pytest.param("2025-03-03 10:00", "2025-03-05 20:00",
                     [("2025-03-03 11:00", "2025-03-03 13:00")], True,
                     id="answered-after-closing-on-the-landing-day"),
        pytest.param("2025-03-03 10:00", "2025-03-06 09:00",
                     [("2025-03-03 11:00", "2025-03-03 13:00")], True,
                     id="answered-at-next-opening-after-landing"),
    ],
)
def test_response_on_time(created, responded, pauses, on_time):
    assert RULE.response_on_time(sh(created), sh(responded), pauses_of(*pauses), CAL) is on_time


@pytest.mark.parametrize(
    ("created", "resolved", "on_time"),
    [
        pytest.param("2025-03-03 10:00", "2025-03-13 10:00", True, id="exactly-72h"),
        pytest.param("2025-03-03 10:00", "2025-03-13 10:00:00.000001", False, id="just-late"),
        pytest.param("2025-03-03 09:00", "2025-03-12 23:00", True,
                     id="evening-after-budget-spent-at-closing"),
        pytest.param("2025-03-03 09:00", "2025-03-13 09:00:00.000001", False,
                     id="first-microsecond-next-morning"),
        pytest.param("2025-03-07 22:00", "2025-03-10 12:00", True,
                     id="off-hours-2h-rule-is-only-for-response"),
    ],
)
def test_solution_on_time(created, resolved, on_time):
    assert RULE.solution_on_time(sh(created), sh(resolved), [], CAL) is on_time


SCENARIOS = [
    ("2025-03-03 10:00", []),
    ("2025-03-03 09:00", []),
    ("2025-03-07 22:00", []),
    ("2025-01-27 10:00", []),
    ("2025-03-03 10:00", [("2025-03-03 11:00", "2025-03-03 13:00")]),
    ("2025-03-03 10:00", [("2025-03-05 15:00", "2025-03-05 20:00"),
                          ("2025-03-04 17:00", "2025-03-04 17:30")]),
    ("2025-03-07 22:00", [("2025-03-10 10:00", "2025-03-10 12:00")]),
]
OFFSETS = [timedelta(microseconds=-1), timedelta(0), timedelta(microseconds=1),
           timedelta(hours=-1), timedelta(hours=1), timedelta(hours=-10)]


@pytest.mark.parametrize("clock", list(Clock))
@pytest.mark.parametrize(("created", "pauses"), SCENARIOS)
@pytest.mark.parametrize("offset", OFFSETS, ids=str)
def test_on_time_exactly_when_not_after_the_deadline(clock, created, pauses, offset):
    paused = pauses_of(*pauses)
    if clock is Clock.RESPONSE:
        deadline = RULE.response_deadline(sh(created), CAL, paused)
        on_time = RULE.response_on_time
    else:
        deadline = RULE.solution_deadline(sh(created), CAL, paused)
        on_time = RULE.solution_on_time
    done = max(deadline + offset, sh(created))
    assert on_time(sh(created), done, paused, CAL) is (done <= deadline)


@pytest.mark.parametrize(
    ("now", "created", "pauses", "clock", "expected"),
    [
        pytest.param("2025-03-03 12:00", "2025-03-03 10:00", [], Clock.RESPONSE,
                     ClockStatus(ClockState.ON_TRACK, 24 * H, 2 * H, 22 * H,
                                 sh("2025-03-05 16:00"), False), id="on-track"),
        pytest.param("2025-03-05 16:00", "2025-03-03 10:00", [], Clock.RESPONSE,
                     ClockStatus(ClockState.ON_TRACK, 24 * H, 24 * H, 0.0,
                                 sh("2025-03-05 16:00"), False), id="exactly-at-deadline"),
        pytest.param("2025-03-05 16:00:01", "2025-03-03 10:00", [], Clock.RESPONSE,
                     ClockStatus(ClockState.BREACHED, 24 * H, 24 * H + 1, -1.0,
                                 sh("2025-03-05 16:00"), False), id="one-second-late"),
        pytest.param("2025-03-05 20:00", "2025-03-03 10:00", [], Clock.RESPONSE,
                     ClockStatus(ClockState.BREACHED, 24 * H, 26 * H, -2 * H,
                                 sh("2025-03-05 16:00"), False), id="breached-evening"),
        pytest.param("2025-03-04 12:00", "2025-03-03 10:00", [("2025-03-03 11:00", None)],
                     Clock.RESPONSE,
                     ClockStatus(ClockState.ON_TRACK, 24 * H, 1 * H, 23 * H, None, True),
                     id="waiting-on-customer"),
        pytest.param("2025-03-04 12:00", "2025-03-03 10:00",
                     [("2025-03-03 11:00", "2025-03-04 11:00")], Clock.RESPONSE,
                     ClockStatus(ClockState.ON_TRACK, 24 * H, 2 * H, 22 * H,
                                 sh("2025-03-06 16:00"), False), id="resumed"),
        pytest.param("2025-03-10 11:30", "2025-03-07 22:00", [], Clock.RESPONSE,
                     ClockStatus(ClockState.BREACHED, 2 * H, 2.5 * H, -0.5 * H,
                                 sh("2025-03-10 11:00"), False), id="off-hours-breached"),
        pytest.param("2025-03-08 10:00", "2025-03-07 22:00", [], Clock.RESPONSE,
                     ClockStatus(ClockState.ON_TRACK, 2 * H, 0.0, 2 * H,
                                 sh("2025-03-10 11:00"), False), id="off-hours-not-started"),
        pytest.param("2025-03-13 10:00", "2025-03-03 10:00", [], Clock.SOLUTION,
                     ClockStatus(ClockState.ON_TRACK, 72 * H, 72 * H, 0.0,
                                 sh("2025-03-13 10:00"), False), id="solution-at-deadline"),
        pytest.param("2025-03-10 11:30", "2025-03-07 22:00", [], Clock.SOLUTION,
                     ClockStatus(ClockState.ON_TRACK, 72 * H, 2.5 * H, 69.5 * H,
                                 sh("2025-03-20 09:00"), False), id="solution-off-hours"),
    ],
)
def test_status_at(now, created, pauses, clock, expected):
    got = RULE.status_at(sh(now), sh(created), pauses_of(*pauses), CAL, clock)
    assert got == expected


def test_status_at_pause_boundaries_are_half_open():
    pauses = pauses_of(("2025-03-03 11:00", "2025-03-03 12:00"))
    created = sh("2025-03-03 10:00")
    assert RULE.status_at(sh("2025-03-03 11:00"), created, pauses, CAL).paused is True
    assert RULE.status_at(sh("2025-03-03 12:00"), created, pauses, CAL).paused is False


def test_custom_budgets():
    rule = ComplaintClock(response_budget_s=4 * H, solution_budget_s=9 * H,
                          off_hours_response_s=0.5 * H)
    assert rule.response_deadline(sh("2025-03-03 10:00"), CAL) == sh("2025-03-03 14:00")
    assert rule.solution_deadline(sh("2025-03-03 10:00"), CAL) == sh("2025-03-04 10:00")
    assert rule.response_deadline(sh("2025-03-07 22:00"), CAL) == sh("2025-03-10 09:30")


def test_clock_deadline_of_a_zero_budget_is_the_next_running_instant():
    pauses = pauses_of(("2025-03-10 09:00", "2025-03-10 10:00"))
    assert clock_deadline(sh("2025-03-07 22:00"), 0.0, pauses, CAL) == sh("2025-03-10 10:00")


@pytest.mark.parametrize("setting", ["response_budget_s", "solution_budget_s",
                                     "off_hours_response_s"])
@pytest.mark.parametrize("value", [0.0, -1.0, math.inf, math.nan])
def test_invalid_budgets_name_the_setting(setting, value):
    with pytest.raises(ConfigError, match=f"^{setting}:"):
        ComplaintClock(**{setting: value})


def test_clock_modules_import_no_stream_or_exposition_library():
    forbidden = ("faust", "aiokafka", "kafka", "prometheus_client", "mode")
    check = ("import sys, metrics.business_hours, metrics.complaint_clock; "
             f"print(sorted(set(sys.modules) & set({forbidden!r})))")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
