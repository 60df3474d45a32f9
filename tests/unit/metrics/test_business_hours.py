"""BusinessCalendar: working days from chinese_calendar, half-open windows, exact arithmetic."""

import math
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from metrics.business_hours import SHANGHAI, BusinessCalendar, CalendarOutOfRange
from metrics.errors import ConfigError, CxpulseError

H = 3600.0
CAL = BusinessCalendar()
LUNCH = BusinessCalendar(windows=((time(9), time(12)), (time(13), time(18))))
WEEKDAYS = BusinessCalendar(fallback="weekdays")


def sh(text: str) -> datetime:
    """'2025-03-03 10:00' as an aware Asia/Shanghai datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# The calendar facts every table below relies on, checked against chinese_calendar itself so a
# package upgrade that changed them would fail here first, not somewhere obscure.
@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param("2025-03-03", True, id="ordinary-monday"),
        pytest.param("2025-03-08", False, id="ordinary-saturday"),
        pytest.param("2025-03-09", False, id="ordinary-sunday"),
        pytest.param("2025-01-26", True, id="spring-festival-makeup-sunday"),
        pytest.param("2025-01-27", True, id="spring-festival-last-day-before"),
        pytest.param("2025-01-28", False, id="spring-festival-eve-holiday"),
        pytest.param("2025-02-04", False, id="spring-festival-last-holiday"),
        pytest.param("2025-02-05", True, id="spring-festival-first-day-back"),
        pytest.param("2025-02-08", True, id="spring-festival-makeup-saturday"),
        pytest.param("2025-09-28", True, id="national-day-makeup-sunday"),
        pytest.param("2025-09-30", True, id="national-day-last-day-before"),
        pytest.param("2025-10-01", False, id="national-day-first-holiday"),
        pytest.param("2025-10-06", False, id="national-day-monday-holiday"),
        pytest.param("2025-10-08", False, id="national-day-last-holiday"),
        pytest.param("2025-10-09", True, id="national-day-first-day-back"),
        pytest.param("2025-10-11", True, id="national-day-makeup-saturday"),
        pytest.param("2026-01-01", False, id="new-year-2026"),
        pytest.param("2026-01-04", True, id="new-year-2026-makeup-sunday"),
    ],
)
def test_working_days_follow_chinese_calendar(day, working):
    as_date = date.fromisoformat(day)
    assert chinese_calendar.is_workday(as_date) is working
    assert CAL.is_working_day(as_date) is working


@pytest.mark.parametrize(
    ("start", "end", "expected_s"),
    [
        pytest.param("2025-03-03 10:00", "2025-03-03 12:30", 2.5 * H, id="inside-hours"),
        pytest.param("2025-03-03 10:00", "2025-03-03 10:00", 0.0, id="empty-interval"),
        pytest.param("2025-03-03 07:00", "2025-03-03 10:00", 1 * H, id="start-before-opening"),
        pytest.param("2025-03-03 17:00", "2025-03-03 23:00", 1 * H, id="end-after-closing"),
        pytest.param("2025-03-03 06:00", "2025-03-03 22:00", 9 * H, id="whole-day"),
        pytest.param("2025-03-03 19:00", "2025-03-04 08:00", 0.0, id="overnight-closed"),
        pytest.param("2025-03-03 17:00", "2025-03-04 10:00", 2 * H, id="across-night"),
        pytest.param("2025-03-07 17:00", "2025-03-10 10:00", 2 * H, id="across-weekend"),
        pytest.param("2025-03-08 10:00", "2025-03-09 17:00", 0.0, id="inside-weekend"),
        pytest.param("2025-03-03 00:00", "2025-03-10 00:00", 45 * H, id="whole-week"),
        pytest.param("2025-03-03 09:00", "2025-03-03 10:00", 1 * H, id="start-exactly-at-opening"),
        pytest.param("2025-03-03 17:00", "2025-03-03 18:00", 1 * H, id="end-exactly-at-closing"),
        pytest.param("2025-03-03 18:00", "2025-03-04 09:00", 0.0, id="closing-to-opening"),
        pytest.param("2025-03-03 08:00", "2025-03-03 09:00", 0.0, id="end-exactly-at-opening"),
        pytest.param("2025-03-03 17:59:59.999999", "2025-03-03 18:00", 1e-6,
                     id="last-microsecond-before-closing"),
        pytest.param("2025-03-03 09:00", "2025-03-03 09:00:00.000001", 1e-6,
                     id="first-microsecond-after-opening"),
        pytest.param("2025-01-27 17:00", "2025-02-05 10:00", 2 * H,
                     id="across-spring-festival-2025"),
        pytest.param("2025-01-25 10:00", "2025-01-27 10:00", 10 * H,
                     id="makeup-sunday-2025-01-26-counts"),
        pytest.param("2025-02-07 17:00", "2025-02-10 10:00", 11 * H,
                     id="makeup-saturday-2025-02-08-counts"),
        pytest.param("2025-09-30 17:00", "2025-10-09 10:00", 2 * H,
                     id="across-national-day-2025"),
        pytest.param("2025-09-27 12:00", "2025-09-29 09:00", 9 * H,
                     id="makeup-sunday-2025-09-28-counts"),
        pytest.param("2025-10-10 17:00", "2025-10-13 10:00", 11 * H,
                     id="makeup-saturday-2025-10-11-counts"),
        pytest.param("2025-10-01 09:00", "2025-10-08 18:00", 0.0, id="inside-national-day"),
        pytest.param("2026-12-31 10:00", "2027-01-01 00:00", 8 * H,
                     id="end-at-midnight-does-not-ask-about-next-year"),
    ],
)
def test_business_seconds_between(start, end, expected_s):
    assert CAL.business_seconds_between(sh(start), sh(end)) == expected_s


@pytest.mark.parametrize(
    ("start", "end", "expected_s"),
    [
        pytest.param("2025-03-03 11:00", "2025-03-03 14:00", 2 * H, id="across-lunch"),
        pytest.param("2025-03-03 12:00", "2025-03-03 13:00", 0.0, id="inside-lunch"),
        pytest.param("2025-03-03 11:30", "2025-03-03 12:30", 0.5 * H, id="into-lunch"),
        pytest.param("2025-03-03 00:00", "2025-03-04 00:00", 8 * H, id="whole-day-with-lunch"),
    ],
)
def test_business_seconds_between_with_lunch_break(start, end, expected_s):
    assert LUNCH.business_seconds_between(sh(start), sh(end)) == expected_s


def test_business_seconds_between_converts_other_timezones():
    start = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
    end = datetime(2025, 3, 3, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 18:00 in Shanghai
    assert CAL.business_seconds_between(start, end) == 9 * H


def test_calendar_in_another_timezone_uses_its_local_windows():
    berlin = BusinessCalendar(tz=ZoneInfo("Europe/Berlin"))
    assert berlin.is_open(datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc))  # 09:00 CET
    assert not berlin.is_open(datetime(2025, 3, 3, 7, 59, tzinfo=timezone.utc))
    assert not CAL.is_open(datetime(2025, 3, 3, 12, 0, tzinfo=timezone.utc))  # 20:00 CST


def test_a_year_of_business_time_counts_every_2025_working_day():
    seconds = CAL.business_seconds_between(sh("2025-01-01 00:00"), sh("2026-01-01 00:00"))
    # 248 working days in 2025 (two extra statutory holidays that year)
    assert seconds == 248 * 9 * H
    # spent exactly on 2025-12-31 18:00; the clock runs again on the make-up Sunday 2026-01-04
    assert CAL.add_business_seconds(sh("2025-01-01 00:00"), seconds) == sh("2026-01-04 09:00")


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(sh("2025-03-03 10:00"), sh("2025-03-03 09:59:59.999999"), id="end-first"),
        pytest.param(datetime(2025, 3, 3, 10), sh("2025-03-03 11:00"), id="naive-start"),
        pytest.param(sh("2025-03-03 10:00"), datetime(2025, 3, 3, 11), id="naive-end"),
    ],
)
def test_business_seconds_between_rejects(start, end):
    with pytest.raises(ValueError):
        CAL.business_seconds_between(start, end)


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        pytest.param("2025-03-03 10:00", 1 * H, "2025-03-03 11:00", id="inside-hours"),
        pytest.param("2025-03-03 07:00", 1 * H, "2025-03-03 10:00", id="start-before-opening"),
        pytest.param("2025-03-03 20:00", 1 * H, "2025-03-04 10:00", id="start-after-closing"),
        pytest.param("2025-03-03 10:00", 0.0, "2025-03-03 10:00", id="zero-inside-is-start"),
        pytest.param("2025-03-03 07:00", 0.0, "2025-03-03 09:00",
                     id="zero-off-hours-is-next-opening"),
        pytest.param("2025-03-03 18:00", 0.0, "2025-03-04 09:00",
                     id="zero-at-closing-is-next-opening"),
        pytest.param("2025-03-03 09:00", 0.0, "2025-03-03 09:00", id="zero-at-opening"),
        pytest.param("2025-03-03 17:00", 1 * H, "2025-03-04 09:00",
                     id="landing-on-closing-moves-to-next-opening"),
        pytest.param("2025-03-03 17:00", 1 * H - 1e-6, "2025-03-03 17:59:59.999999",
                     id="one-microsecond-short-of-closing"),
        pytest.param("2025-03-03 17:00", 1 * H + 1e-6, "2025-03-04 09:00:00.000001",
                     id="one-microsecond-past-closing"),
        pytest.param("2025-03-07 17:00", 2 * H, "2025-03-10 10:00", id="across-weekend"),
        pytest.param("2025-03-08 12:00", 1 * H, "2025-03-10 10:00", id="start-on-saturday"),
        pytest.param("2025-01-27 17:00", 2 * H, "2025-02-05 10:00",
                     id="across-spring-festival-2025"),
        pytest.param("2025-01-25 10:00", 1 * H, "2025-01-26 10:00",
                     id="makeup-sunday-2025-01-26"),
        pytest.param("2025-02-07 17:00", 2 * H, "2025-02-08 10:00",
                     id="makeup-saturday-2025-02-08"),
        pytest.param("2025-09-30 17:00", 2 * H, "2025-10-09 10:00",
                     id="across-national-day-2025"),
        pytest.param("2025-10-03 10:00", 0.0, "2025-10-09 09:00",
                     id="zero-inside-national-day"),
        pytest.param("2025-10-10 17:00", 2 * H, "2025-10-11 10:00",
                     id="makeup-saturday-2025-10-11"),
        pytest.param("2025-03-03 10:00", 24 * H, "2025-03-05 16:00", id="24h-from-monday-10"),
        pytest.param("2025-03-03 10:00", 72 * H, "2025-03-13 10:00", id="72h-from-monday-10"),
        pytest.param("2025-03-03 09:00", 72 * H, "2025-03-13 09:00",
                     id="72h-from-opening-spends-8-whole-days"),
    ],
)
def test_add_business_seconds(start, seconds, expected):
    got = CAL.add_business_seconds(sh(start), seconds)
    assert got == sh(expected)
    assert got.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        pytest.param("2025-03-03 11:30", 1 * H, "2025-03-03 13:30", id="across-lunch"),
        pytest.param("2025-03-03 11:00", 1 * H, "2025-03-03 13:00",
                     id="landing-on-lunch-moves-to-afternoon"),
        pytest.param("2025-03-03 12:15", 0.0, "2025-03-03 13:00", id="zero-at-lunch"),
    ],
)
def test_add_business_seconds_with_lunch_break(start, seconds, expected):
    assert LUNCH.add_business_seconds(sh(start), seconds) == sh(expected)


@pytest.mark.parametrize("seconds", [-1e-6, -1.0, math.nan, math.inf],
                         ids=["tiny-negative", "negative", "nan", "inf"])
def test_add_business_seconds_rejects(seconds):
    with pytest.raises(ValueError):
        CAL.add_business_seconds(sh("2025-03-03 10:00"), seconds)


def test_add_business_seconds_rejects_naive_start():
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_business_seconds(datetime(2025, 3, 3, 10), 1.0)


@pytest.mark.parametrize(
    ("at", "opening"),
    [
        pytest.param("2025-03-03 10:00", "2025-03-03 10:00", id="open-is-itself"),
        pytest.param("2025-03-03 09:00", "2025-03-03 09:00", id="exactly-at-opening"),
        pytest.param("2025-03-03 08:59:59", "2025-03-03 09:00", id="before-opening"),
        pytest.param("2025-03-03 18:00", "2025-03-04 09:00", id="exactly-at-closing"),
        pytest.param("2025-03-07 22:00", "2025-03-10 09:00", id="friday-night"),
        pytest.param("2025-01-27 18:00", "2025-02-05 09:00", id="spring-festival-2025"),
        pytest.param("2025-01-25 20:00", "2025-01-26 09:00", id="makeup-sunday-next"),
        pytest.param("2025-02-07 22:00", "2025-02-08 09:00", id="makeup-saturday-next"),
        pytest.param("2025-09-30 22:00", "2025-10-09 09:00", id="national-day-2025"),
    ],
)
def test_next_opening(at, opening):
    assert CAL.next_opening(sh(at)) == sh(opening)


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [
        pytest.param(CAL, "2025-03-03 09:00", True, id="at-opening-is-open"),
        pytest.param(CAL, "2025-03-03 17:59:59.999999", True, id="last-microsecond-is-open"),
        pytest.param(CAL, "2025-03-03 18:00", False, id="at-closing-is-closed"),
        pytest.param(CAL, "2025-03-03 08:59:59.999999", False, id="before-opening"),
        pytest.param(CAL, "2025-03-08 10:00", False, id="saturday"),
        pytest.param(CAL, "2025-02-08 10:00", True, id="makeup-saturday"),
        pytest.param(CAL, "2025-01-26 10:00", True, id="makeup-sunday"),
        pytest.param(CAL, "2025-10-06 10:00", False, id="national-day-monday"),
        pytest.param(CAL, "2025-01-29 10:00", False, id="spring-festival-wednesday"),
        pytest.param(LUNCH, "2025-03-03 12:00", False, id="lunch-starts-closed"),
        pytest.param(LUNCH, "2025-03-03 13:00", True, id="afternoon-opens"),
        pytest.param(CAL, "2026-12-31 20:00", False,
                     id="closed-on-last-covered-day-needs-no-next-year"),
    ],
)
def test_is_open(calendar, at, expected):
    assert calendar.is_open(sh(at)) is expected


ROUND_TRIP_STARTS = [
    "2025-03-03 09:00", "2025-03-03 13:37:12.5", "2025-03-03 18:00", "2025-03-07 22:00",
    "2025-01-24 17:30", "2025-01-25 12:00", "2025-02-07 18:00", "2025-09-30 08:00",
    "2025-10-04 15:00",
]
ROUND_TRIP_AMOUNTS = [0.0, 1e-6, 1.0, 3599.5, H, 3 * H, 9 * H, 24 * H, 72 * H, 1000 * H]


@pytest.mark.parametrize("calendar", [CAL, LUNCH], ids=["office", "lunch"])
@pytest.mark.parametrize("start", ROUND_TRIP_STARTS)
@pytest.mark.parametrize("seconds", ROUND_TRIP_AMOUNTS)
def test_add_then_measure_round_trips(calendar, start, seconds):
    end = calendar.add_business_seconds(sh(start), seconds)
    assert calendar.business_seconds_between(sh(start), end) == seconds
    assert calendar.is_open(end)


@pytest.mark.parametrize("calendar", [CAL, LUNCH], ids=["office", "lunch"])
@pytest.mark.parametrize("start", ROUND_TRIP_STARTS)
@pytest.mark.parametrize("hours_later", [0, 1, 9.5, 15, 50, 240])
def test_measure_then_add_lands_on_the_next_running_instant(calendar, start, hours_later):
    end = sh(start) + timedelta(hours=hours_later)
    seconds = calendar.business_seconds_between(sh(start), end)
    assert calendar.add_business_seconds(sh(start), seconds) == calendar.next_opening(end)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: CAL.is_working_day(date(2030, 1, 2)), id="is-working-day"),
        pytest.param(lambda: CAL.is_open(sh("2030-01-02 10:00")), id="is-open"),
        pytest.param(lambda: CAL.business_seconds_between(sh("2026-12-31 10:00"),
                                                          sh("2027-01-04 10:00")),
                     id="span-into-2027"),
        pytest.param(lambda: CAL.next_opening(sh("2026-12-31 20:00")),
                     id="next-opening-in-2027"),
        pytest.param(lambda: CAL.add_business_seconds(sh("2026-12-31 17:00"), 2 * H),
                     id="add-into-2027"),
    ],
)
def test_years_outside_chinese_calendar_raise_calendar_out_of_range(call):
    with pytest.raises(CalendarOutOfRange) as caught:
        call()
    message = str(caught.value)
    assert "2004-2026" in message
    assert "fallback='weekdays'" in message
    assert caught.value.year in (2027, 2030)
    assert str(caught.value.year) in message
    assert isinstance(caught.value, CxpulseError)
    assert isinstance(caught.value.__cause__, NotImplementedError)


def test_years_before_chinese_calendar_raise_too():
    with pytest.raises(CalendarOutOfRange, match=r"for 2003: .* covers 2004-2026"):
        CAL.is_working_day(date(2003, 12, 31))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param("2030-01-01", True, id="new-year-2030-tuesday-is-a-plain-weekday"),
        pytest.param("2030-01-05", False, id="saturday-2030"),
        pytest.param("2030-01-06", False, id="sunday-2030"),
        pytest.param("2003-12-31", True, id="wednesday-2003"),
        pytest.param("2025-10-01", False, id="covered-years-still-use-holidays"),
        pytest.param("2025-10-11", True, id="covered-years-still-use-makeup-days"),
    ],
)
def test_weekday_fallback_outside_the_covered_years(day, working):
    assert WEEKDAYS.is_working_day(date.fromisoformat(day)) is working


def test_weekday_fallback_arithmetic_across_the_end_of_the_data():
    # 2026-12-31 Thursday 17:00: 1 h, Friday 2027-01-01 9 h (no holiday data), then Monday
    assert WEEKDAYS.business_seconds_between(sh("2026-12-31 17:00"),
                                             sh("2027-01-04 10:00")) == 11 * H
    assert WEEKDAYS.add_business_seconds(sh("2026-12-31 17:00"), 11 * H) == sh("2027-01-04 10:00")


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        pytest.param({"windows": ()}, "windows", id="no-window"),
        pytest.param({"windows": ((time(18), time(9)),)}, "windows", id="ends-before-start"),
        pytest.param({"windows": ((time(9), time(9)),)}, "windows", id="empty-window"),
        pytest.param({"windows": ((time(9), time(13)), (time(12), time(18)))}, "windows",
                     id="overlapping"),
        pytest.param({"windows": ((time(13), time(18)), (time(9), time(12)))}, "windows",
                     id="unsorted"),
        pytest.param({"windows": ((time(9, tzinfo=timezone.utc), time(18)),)}, "windows",
                     id="aware-time"),
        pytest.param({"fallback": "mondays"}, "fallback", id="unknown-fallback"),
        pytest.param({"holidays": frozenset({date(2027, 1, 1)}),
                      "workdays": frozenset({date(2027, 1, 1)})}, "holidays and workdays",
                     id="holiday-and-workday"),
    ],
)
def test_invalid_calendar_settings_name_the_setting(kwargs, setting):
    with pytest.raises(ConfigError, match=f"^{setting}:"):
        BusinessCalendar(**kwargs)


# -- overrides from the data file, and the fallback tally -----------------------------------
OVERRIDDEN = BusinessCalendar(
    fallback="weekdays",
    holidays=frozenset({date(2025, 3, 3), date(2027, 2, 8), date(2028, 1, 3)}),
    workdays=frozenset({date(2025, 3, 8), date(2027, 2, 20)}),
    schedule_years=frozenset({2027}),
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param("2025-03-03", False, id="holiday-wins-over-chinese-calendar"),
        pytest.param("2025-03-08", True, id="workday-wins-over-chinese-calendar"),
        pytest.param("2025-10-01", False, id="unlisted-dates-follow-chinese-calendar"),
        pytest.param("2027-02-08", False, id="schedule-year-holiday"),
        pytest.param("2027-02-20", True, id="schedule-year-makeup-saturday"),
        pytest.param("2027-02-09", True, id="schedule-year-unlisted-weekday"),
        pytest.param("2027-02-13", False, id="schedule-year-unlisted-saturday"),
        pytest.param("2028-01-03", False, id="holiday-in-an-uncovered-year"),
        pytest.param("2028-01-04", True, id="fallback-weekday"),
    ],
)
def test_overrides_win_over_chinese_calendar(day, working):
    assert OVERRIDDEN.is_working_day(date.fromisoformat(day)) is working


@pytest.mark.parametrize(("year", "covered"), [(2004, True), (2026, True), (2027, True),
                                               (2028, False), (2003, False)])
def test_covers(year, covered):
    assert OVERRIDDEN.covers(year) is covered


def test_the_fallback_notes_each_date_it_decides_once():
    calendar = BusinessCalendar(fallback="weekdays", holidays=frozenset({date(2028, 1, 3)}),
                                schedule_years=frozenset({2027}))
    # Thursday 2026-12-31 17:00 to Wednesday 2028-01-05 10:00 walks every day between; only
    # 2028-01-01, 02, 04 and 05 are decided by the fallback (2026 is data, 2027 a schedule
    # year, 2028-01-03 a listed holiday), and asking again adds nothing.
    for _ in range(2):
        calendar.business_seconds_between(sh("2026-12-31 17:00"), sh("2028-01-05 10:00"))

    assert calendar.fallback_days.days == {date(2028, 1, d) for d in (1, 2, 4, 5)}
    assert (len(calendar.fallback_days), calendar.fallback_days.years()) == (4, [2028])


def test_dates_decided_by_data_are_not_counted():
    calendar = BusinessCalendar(fallback="weekdays")

    calendar.business_seconds_between(sh("2025-01-01 00:00"), sh("2026-12-31 23:00"))

    assert len(calendar.fallback_days) == 0


def test_the_tally_is_not_part_of_equality():
    noted = BusinessCalendar(fallback="weekdays")
    noted.is_working_day(date(2030, 1, 1))

    assert noted == BusinessCalendar(fallback="weekdays")


def test_touching_windows_are_allowed_and_behave_as_one():
    split = BusinessCalendar(windows=((time(9), time(12)), (time(12), time(18))))
    assert split.business_seconds_between(sh("2025-03-03 11:00"), sh("2025-03-03 13:00")) == 2 * H
    assert split.add_business_seconds(sh("2025-03-03 11:00"), 1 * H) == sh("2025-03-03 12:00")
