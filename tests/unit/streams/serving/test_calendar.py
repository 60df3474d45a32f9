"""cxpulse_calendar_fallback_days_total: the weekdays fallback's distinct dates, at scrape."""

from datetime import date

from prometheus_client import CollectorRegistry

from metrics.business_hours import BusinessCalendar
from streams.serving.calendar import CalendarFallbackCollector


def test_the_counter_counts_distinct_fallback_dates():
    calendar = BusinessCalendar(fallback="weekdays")
    registry = CollectorRegistry()
    registry.register(CalendarFallbackCollector(calendar))
    name = "cxpulse_calendar_fallback_days_total"

    assert registry.get_sample_value(name) == 0.0
    for day in (date(2025, 3, 3), date(2030, 1, 1), date(2030, 1, 2), date(2030, 1, 1)):
        calendar.is_working_day(day)

    assert registry.get_sample_value(name) == 2.0
