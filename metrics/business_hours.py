"""Business-hours arithmetic on the Chinese working-day calendar (法定节假日 and 调休).

Pure: no I/O and no wall clock. The calendar's data (timezone, opening windows, holiday and
make-up-day overrides) comes from the data file (streams/dataconfig.py). All instants are
timezone-aware datetimes; results come back in the calendar's timezone. Business time is the
union of the opening windows of every working day, each window half-open ``[start, end)``.
Durations are real elapsed seconds, so arithmetic is done in UTC and local time is used only to
find dates and window edges.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays as _CALENDAR_DATA

from metrics.errors import ConfigError, CxpulseError

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_HOURS = ((time(9), time(18)),)
SUPPORTED_YEARS = (min(_CALENDAR_DATA).year, max(_CALENDAR_DATA).year)


class CalendarOutOfRange(CxpulseError):
    """chinese_calendar has no holiday data for the year asked about, and no fallback is set."""

    def __init__(self, year: int) -> None:
        first, last = SUPPORTED_YEARS
        super().__init__(
            f"no Chinese holiday data for {year}: chinesecalendar "
            f"covers {first}-{last}; upgrade it, enter the year's schedule in the configuration "
            f"file (calendar: holidays, workdays, schedule_years), or use "
            f"BusinessCalendar(fallback='weekdays') to treat Monday-Friday as working days"
        )
        self.year = year


def as_utc(instant: datetime, name: str) -> datetime:
    """``instant`` in UTC; raises ValueError naming ``name`` when it is naive."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant.isoformat()}")
    return instant.astimezone(timezone.utc)


class FallbackDays:
    """The distinct dates the weekdays fallback decided, so a caller can count and report them.

    Mutable on purpose inside a frozen calendar: deciding a date is pure, noting that the
    decision was a guess is the only side effect, and it only grows (a Prometheus counter).
    """

    __slots__ = ("days",)

    def __init__(self) -> None:
        self.days: set[date] = set()

    def __len__(self) -> int:
        return len(self.days)

    def years(self) -> list[int]:
        """The years of the dates decided by the fallback, ascending."""
        return sorted({day.year for day in self.days})


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening windows on working days in one timezone.

    ``windows``: local (start, end) times, sorted, non-overlapping, each within one day; two
    windows make a lunch break. A date is a working day by, in this order: ``holidays`` (never a
    working day) and ``workdays`` (always one, e.g. a 调休 Saturday), which win over everything;
    for a year in ``schedule_years`` (whose whole schedule the two sets carry), Monday-Friday;
    then chinese_calendar. ``fallback``: ``None`` raises CalendarOutOfRange for a year none of
    these cover; ``"weekdays"`` treats Monday-Friday as working days there (no public holidays,
    no 调休: an approximation until the package is upgraded) and notes each such date in
    ``fallback_days``.
    """

    windows: tuple[tuple[time, time], ...] = OFFICE_HOURS
    tz: tzinfo = SHANGHAI
    fallback: Literal["weekdays"] | None = None
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    schedule_years: frozenset[int] = frozenset()
    fallback_days: FallbackDays = field(default_factory=FallbackDays, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.windows:
            raise ConfigError("windows: at least one opening window is required")
        previous_end: time | None = None
        for start, end in self.windows:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ConfigError("windows: use naive local times; the timezone is `tz`")
            if not start < end:
                raise ConfigError(f"windows: {start}-{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ConfigError(f"windows: {start}-{end} overlaps or precedes the window before")
            previous_end = end
        if self.fallback not in (None, "weekdays"):
            raise ConfigError(f"fallback: expected None or 'weekdays', got {self.fallback!r}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ConfigError(
                f"holidays and workdays: {', '.join(map(str, both))} cannot be both")

    def covers(self, year: int) -> bool:
        """Whether ``year`` is decided by data (chinese_calendar or ``schedule_years``), not by
        the weekdays fallback. Single dates in ``holidays``/``workdays`` do not cover a year."""
        return year in self.schedule_years or SUPPORTED_YEARS[0] <= year <= SUPPORTED_YEARS[1]

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (see the class docstring for the order of rules).

        Raises CalendarOutOfRange for a year nothing covers unless ``fallback="weekdays"``.
        """
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if day.year in self.schedule_years:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError as err:
            if self.fallback == "weekdays":
                self.fallback_days.days.add(day)
                return day.weekday() < 5
            raise CalendarOutOfRange(day.year) from err

    def _windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC [start, end) opening intervals of ``day``; none on a non-working day."""
        if not self.is_working_day(day):
            return []
        return [(datetime.combine(day, start, self.tz).astimezone(timezone.utc),
                 datetime.combine(day, end, self.tz).astimezone(timezone.utc))
                for start, end in self.windows]

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in ``[start, end)`` as an exact timedelta (microsecond resolution).

        Raises ValueError if ``end < start`` or either instant is naive.
        """
        start_utc, end_utc = as_utc(start, "start"), as_utc(end, "end")
        if end_utc < start_utc:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        total = timedelta()
        if end_utc == start_utc:
            return total
        day = start_utc.astimezone(self.tz).date()
        # the day holding the last instant inside [start, end): an end at midnight must not ask
        # about the next day, which may lie outside the calendar's years
        last = (end_utc - timedelta(microseconds=1)).astimezone(self.tz).date()
        while day <= last:
            for opens, closes in self._windows_on(day):
                overlap = min(closes, end_utc) - max(opens, start_utc)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Business seconds in ``[start, end)``; 0.0 when ``start == end``.

        Raises ValueError if ``end < start`` or either instant is naive.
        """
        return self.business_time_between(start, end).total_seconds()

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """The open instant at which ``amount`` of business time has elapsed since ``start``.

        When the amount runs out exactly at a closing time, the answer is the next opening (the
        next instant the clock runs), so the result is always inside business hours and
        ``amount == 0`` gives ``next_opening(start)``. Raises ValueError for a negative amount.
        """
        if amount < timedelta():
            raise ValueError(f"business time to add must be >= 0, got {amount}")
        start_utc = as_utc(start, "start")
        remaining = amount
        day = start_utc.astimezone(self.tz).date()
        while True:
            for opens, closes in self._windows_on(day):
                begin = max(opens, start_utc)
                if closes <= begin:
                    continue
                if remaining < closes - begin:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= closes - begin
            day += timedelta(days=1)

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """``add_business_time`` with seconds (rounded to the microsecond).

        Raises ValueError for negative, infinite or NaN seconds.
        """
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be finite and >= 0, got {seconds}")
        return self.add_business_time(start, timedelta(seconds=seconds))

    def next_opening(self, at: datetime) -> datetime:
        """The earliest open instant at or after ``at``: ``at`` itself when the desk is open."""
        return self.add_business_time(at, timedelta())

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` is inside an opening window of a working day (window end excluded)."""
        at_utc = as_utc(at, "at")
        day = at_utc.astimezone(self.tz).date()
        return any(opens <= at_utc < closes for opens, closes in self._windows_on(day))
