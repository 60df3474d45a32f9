"""The closed windows history must hold for an event file, computed offline.

It runs ``cxpulse report``'s engine (offline/report.py: the stream's own stage-1 maths, routed
and ordered as replay and the workers would) and keeps every full segment's hour buckets for
the whole file, then cuts them as stage 2 does: per view key, hours; per full segment, days;
closed when the report clock has passed their end plus the grace period. Tests and the bench
compare the stores with it.
"""

from collections.abc import Iterable
from pathlib import Path

from metrics.components import Bucket, add_into
from metrics.history import DAY_S, HOUR_S, SEGMENT_PREFIX, ClosedWindow, floor_to, is_closed, windowed
from metrics.views import View
from offline.report import Report, _Engine, _file_lines
from streams.history.closing import SEGMENT_VIEW
from streams.settings import Settings

Rows = dict[tuple[str, str, int, int], float]


class _HistoryEngine(_Engine):
    """The report engine, also keeping (segment, hour) buckets for the whole file."""

    def __init__(self, settings: Settings, send_invalid: bool) -> None:
        super().__init__(settings, send_invalid)
        self.hours: dict[tuple[str, int], Bucket] = {}

    def drain(self) -> None:
        for (segment, minute_s), bucket in self.out.buckets.items():
            values = windowed(bucket)
            if values:
                add_into(self.hours.setdefault((segment, floor_to(minute_s, HOUR_S)), {}),
                         values)
        super().drain()


def segment_hours(path: Path, settings: Settings,
                  send_invalid: bool = True) -> tuple[Report, dict[tuple[str, int], Bucket]]:
    """The report of ``path`` and every (segment, hour) bucket of windowed components."""
    engine = _HistoryEngine(settings, send_invalid)
    for line in _file_lines(path, None):
        line = line.rstrip(b"\r\n")
        if line.strip():
            engine.line(line)
    report = engine.finish()
    return report, engine.hours


def closed_windows(hours: dict[tuple[str, int], Bucket], views: Iterable[View],
                   grace_s: float, clock_s: float) -> list[ClosedWindow]:
    """View-key hours and segment days closed at ``clock_s``, as stage 2 publishes them."""
    keyed: dict[tuple[str, int, int], Bucket] = {}
    views = list(views)
    for (segment, hour), bucket in hours.items():
        if is_closed(hour, HOUR_S, grace_s, clock_s):
            for view in views:
                served = {k: v for k, v in bucket.items() if view.serves(k)}
                if served:
                    add_into(keyed.setdefault((view.key_of(segment), hour, HOUR_S), {}), served)
        day = floor_to(hour, DAY_S)
        if is_closed(day, DAY_S, grace_s, clock_s):
            key = SEGMENT_VIEW + SEGMENT_PREFIX[len("#segment"):] + segment
            add_into(keyed.setdefault((key, day, DAY_S), {}), bucket)
    return [ClosedWindow(key, start, size, bucket)
            for (key, start, size), bucket in sorted(keyed.items())]


def rows(windows: Iterable[ClosedWindow]) -> Rows:
    """(component, key, window start, size) -> value, as Store.rows() gives them."""
    return {(component, w.key, w.start_s, w.size_s): float(value)
            for w in windows for component, value in w.components.items()}
