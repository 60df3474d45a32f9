"""The weekdays fallback made visible: start-up warnings."""

from datetime import date

import pytest

from metrics.business_hours import BusinessCalendar
from streams.calendar_fallback import calendar_warnings, uncovered_years

FALLBACK = BusinessCalendar(fallback="weekdays")
SCHEDULED = BusinessCalendar(fallback="weekdays", holidays=frozenset({date(2027, 1, 1)}),
                             schedule_years=frozenset({2027}))


@pytest.mark.parametrize(
    ("calendar", "today", "years"),
    [
        pytest.param(FALLBACK, date(2025, 6, 1), [], id="data-for-this-and-next-year"),
        pytest.param(FALLBACK, date(2026, 12, 5), [2027], id="next-year-missing"),
        pytest.param(FALLBACK, date(2027, 3, 1), [2027, 2028], id="both-missing"),
        pytest.param(SCHEDULED, date(2026, 12, 5), [], id="next-year-scheduled"),
        pytest.param(SCHEDULED, date(2027, 3, 1), [2028], id="year-after-missing"),
    ],
)
def test_uncovered_years_this_year_and_next(calendar, today, years):
    assert uncovered_years(calendar, (today.year, today.year + 1)) == years
    warnings = calendar_warnings(calendar, today)
    assert len(warnings) == (1 if years else 0)
    if years:
        assert warnings[0].startswith(f"calendar: {', '.join(map(str, years))} not covered")
        assert "cxpulse_calendar_fallback_days_total" in warnings[0]
