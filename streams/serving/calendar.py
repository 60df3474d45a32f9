"""``cxpulse_calendar_fallback_days_total``: the business calendar's weekdays fallback, counted.

The start-up warning for the same fallback is streams/calendar_fallback.py.
"""

from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from metrics.business_hours import BusinessCalendar


class CalendarFallbackCollector(Collector):
    """``cxpulse_calendar_fallback_days_total``, read from the calendar's tally at scrape."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "cxpulse_calendar_fallback_days_total",
            "Distinct dates whose working-day status the weekdays fallback decided (no "
            "chinesecalendar data, not in the data file's schedule). Above 0: complaint "
            "clocks in those years ignore holidays and 调休; enter the schedule.")
        family.add_metric([], float(len(self.calendar.fallback_days)))
        return [family]
