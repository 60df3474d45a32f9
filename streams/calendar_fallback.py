"""The business calendar's weekdays fallback made visible: the start-up warning.

A year that neither chinesecalendar nor the data file's schedule_years cover is decided
Monday-Friday (metrics/business_hours.py), which misplaces every public holiday and 调休 day of
that year and so moves complaint deadlines. The worker warns at start-up when this year or the
next is such a year, and exports ``cxpulse_calendar_fallback_days_total``, the distinct dates
the fallback has decided since the worker started (streams/serving/calendar.py).
"""

from collections.abc import Iterable
from datetime import date

from metrics.business_hours import SUPPORTED_YEARS, BusinessCalendar


def uncovered_years(calendar: BusinessCalendar, years: Iterable[int]) -> list[int]:
    """Those of ``years`` the weekdays fallback would decide."""
    return [year for year in years if not calendar.covers(year)]


def calendar_warnings(calendar: BusinessCalendar, today: date) -> list[str]:
    """Start-up warnings: this year or next decided by the weekdays fallback (next year too,
    since a complaint opened in late December has its deadlines in January)."""
    years = uncovered_years(calendar, (today.year, today.year + 1))
    if not years:
        return []
    first, last = SUPPORTED_YEARS
    listed = ", ".join(map(str, sorted(calendar.schedule_years))) or "none"
    return [f"calendar: {', '.join(map(str, years))} not covered (chinesecalendar has "
            f"{first}-{last}, the data file's schedule_years: {listed}): business hours there "
            f"count Monday-Friday with no public holidays and no 调休; enter the schedule in "
            f"calendar.holidays/workdays/schedule_years or upgrade chinesecalendar "
            f"(counted in cxpulse_calendar_fallback_days_total)"]
