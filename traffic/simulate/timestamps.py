"""Fast ISO-8601 formatting of integer epoch milliseconds in one fixed UTC offset.

The generator works in integer milliseconds (exact, and cheap to compare in the event queue);
formatting is a costly step per event, so formatted seconds and dates are cached.
"""

from datetime import UTC, datetime, timedelta, timezone

_CACHE_MAX = 4_096


class Timestamps:
    """Formats and converts epoch milliseconds in the local time of the operation."""

    def __init__(self, utc_offset_ms: int) -> None:
        self.utc_offset_ms = utc_offset_ms
        self.tz = timezone(timedelta(milliseconds=utc_offset_ms))
        self._epoch = datetime(1970, 1, 1, tzinfo=UTC).astimezone(self.tz)
        sign = "-" if utc_offset_ms < 0 else "+"
        hours, minutes = divmod(abs(utc_offset_ms) // 60_000, 60)
        self._suffix = f"{sign}{hours:02d}:{minutes:02d}"
        self._days: dict[int, str] = {}
        self._seconds: dict[int, str] = {}

    def iso(self, epoch_ms: int) -> str:
        """``YYYY-MM-DDTHH:MM:SS.mmm+HH:MM`` for ``epoch_ms`` (always with the offset)."""
        second, milli = divmod(epoch_ms, 1000)
        prefix = self._seconds.get(second)
        if prefix is None:
            # Most events fall in a recent second; far-future ones (due dates) miss the cache.
            if len(self._seconds) >= _CACHE_MAX:
                self._seconds.clear()
            prefix = self._seconds[second] = self._format_second(second)
        return f"{prefix}.{milli:03d}{self._suffix}"

    def _format_second(self, epoch_s: int) -> str:
        day, second_of_day = divmod(epoch_s + self.utc_offset_ms // 1000, 86_400)
        date = self._days.get(day)
        if date is None:
            if len(self._days) >= _CACHE_MAX:
                self._days.clear()
            date = self._days[day] = (datetime(1970, 1, 1) + timedelta(days=day)).strftime(
                "%Y-%m-%dT"
            )
        minutes, second = divmod(second_of_day, 60)
        hour, minute = divmod(minutes, 60)
        return f"{date}{hour:02d}:{minute:02d}:{second:02d}"

    def datetime(self, epoch_ms: int) -> datetime:
        """Aware datetime in the local offset, exact to the millisecond."""
        return self._epoch + timedelta(0, 0, 0, epoch_ms)
