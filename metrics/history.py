"""History maths: when an event-time window is closed, and day buckets of full segments.

A history window is ``[start_s, start_s + size_s)`` of one view key (hours) or one full segment
(days, see docs/history.md for the row budget that decided it). It is **closed** once the
event-time clock has passed its end by the grace period:

    closed  <=>  start_s + size_s + grace_s <= clock_s

A closed window is written whole (every component, never a ratio) and upserted on its natural
key, so writing it again after a replay or an amendment replaces it. Pure: no I/O.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metrics.components import Bucket, Number, add_into, backlog_split
from metrics.views import Projector, View

HOUR_S = 3600
DAY_S = 86_400
#: The key prefix of full segments in partials and stage-2 records: no view can be named so.
SEGMENT_PREFIX = "#segment|"


def floor_to(value: float, step: int) -> int:
    return int(value // step) * step


def is_closed(start_s: int, size_s: int, grace_s: float, clock_s: float) -> bool:
    """Whether window ``[start_s, start_s + size_s)`` is closed at ``clock_s``."""
    return start_s + size_s + grace_s <= clock_s


def newly_closed(starts: Iterable[int], size_s: int, grace_s: float, before_s: float,
                 now_s: float) -> list[int]:
    """The window starts that closed when the clock moved from ``before_s`` to ``now_s``."""
    if floor_to(before_s - grace_s, size_s) == floor_to(now_s - grace_s, size_s):
        return []   # no window boundary was crossed: nothing can have closed
    return sorted(start for start in starts
                  if before_s < start + size_s + grace_s <= now_s)


def windowed(bucket: Mapping[str, Number]) -> Bucket:
    """The components of ``bucket`` that belong in a window (backlog running totals do not)."""
    kept, running = backlog_split(tuple(bucket))
    return {key: bucket[key] for key in kept} if running else dict(bucket)


@dataclass
class SegmentDays:
    """Day buckets of one full segment, kept ``keep_s`` behind the clock for amendments, and
    the offsets already applied per source (the replay rule of metrics/windows.py)."""

    days: dict[int, Bucket] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)

    def apply(self, source: str, lo: int, hi: int, buckets: Mapping[Any, Mapping[str, Number]],
              oldest_s: float) -> tuple[set[int], int] | None:
        """Merge a partial covering offsets (lo, hi] of ``source`` (minute -> bucket).

        Returns (day starts changed, buckets too old to keep) or None when the range was
        already applied (a replay). A bucket whose day starts before ``oldest_s`` is dropped
        and counted: its day was closed and forgotten (docs/history.md, "Late data").
        """
        if hi <= self.applied.get(source, -1):
            return None
        self.applied[source] = hi
        touched: set[int] = set()
        too_old = 0
        for minute, bucket in buckets.items():
            values = windowed(bucket)
            if not values:
                continue
            day = floor_to(int(minute), DAY_S)
            if day < oldest_s:
                too_old += 1
                continue
            add_into(self.days.setdefault(day, {}), values)
            touched.add(day)
        return touched, too_old

    def prune(self, oldest_s: float) -> None:
        """Forget the days starting before ``oldest_s``."""
        for day in [day for day in self.days if day < oldest_s]:
            del self.days[day]

    def to_json(self) -> dict[str, Any]:
        return {"v": 1, "d": {str(k): v for k, v in self.days.items()}, "a": self.applied}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SegmentDays":
        return cls({int(k): dict(v) for k, v in data["d"].items()}, dict(data["a"]))


@dataclass(frozen=True)
class ClosedWindow:
    """One closed window of one key: every component, as the history store keeps it."""

    key: str          # a view key (``region|north``) or a full segment (``segment|...``)
    start_s: int
    size_s: int
    components: Mapping[str, Number]

    def to_json(self) -> list[Any]:
        return [self.key, self.start_s, self.size_s, dict(self.components)]

    @classmethod
    def from_json(cls, data: list[Any]) -> "ClosedWindow":
        key, start_s, size_s, components = data
        return cls(key, int(start_s), int(size_s), components)


class HistoryProjector(Projector):
    """The view projection of metrics/views.py, plus every full segment's own share (its
    windowed components) under ``#segment|<segment>``, for the history store's days."""

    def project(self, segment: str, bucket: Mapping[str, Number]) -> Iterable[tuple[str, Bucket]]:
        yield from super().project(segment, bucket)
        kept, _ = backlog_split(tuple(bucket))
        if kept:
            yield SEGMENT_PREFIX + segment, {component: bucket[component] for component in kept}
