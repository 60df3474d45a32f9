"""Stage 2's side of history: which windows closed or changed, and the full-segment days.

Stage 2 already holds, per view key, hour buckets for 30 days (metrics/windows.py). Stage 1
also sends every full segment's minute buckets under ``#segment|<segment>`` keys; they are
taken out of the partial here (never reaching the view-key cap) and summed into day buckets
(metrics/history.py ``SegmentDays``), saved in chunks (``crc32(segment) % SEGMENT_CHUNKS``) as
records ``<partition>|#segments/<chunk>`` of the windows table next to the window records: one
record per segment made a flush write hundreds of records (each its own request on the
embedded broker) and slowed both stages.

At each stage-2 flush, before its records are written:

- every window that closed since the previous flush (the event-time clock passed its end plus
  ``CXPULSE_HISTORY_GRACE_S``) is published whole: view-key hours and segment days;
- every closed window that a partial changed since the previous flush (late data, or an FCR
  failure attributed back to its contact's hour) is published whole again: the sink's upsert
  replaces the earlier version.

A crash before the records are written replays the partials into the saved state and
publishes the same windows again; the upsert makes that harmless. The clock of the previous
flush is the saved clock record, so the windows a replay finds newly closed are the ones the
lost flush found.
"""

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from metrics.history import (
    DAY_S,
    HOUR_S,
    SEGMENT_PREFIX,
    ClosedWindow,
    SegmentDays,
    floor_to,
    is_closed,
    newly_closed,
)
from metrics.windows import SegmentWindows
from streams.serving.history import HistoryMetrics

#: History key of a full segment (a pseudo-view with every dimension, as `cxpulse report
#: --view segment` names it).
SEGMENT_VIEW = "segment"
#: Segment day records per stage-2 partition.
SEGMENT_CHUNKS = 16
CHUNK_PREFIX = "#segments/"
#: Messages to the history topic are split above this many bytes.
MESSAGE_BUDGET = 512 * 1024


@dataclass
class PartHistory:
    """History state of one stage-2 partition."""

    segments: dict[str, SegmentDays] = field(default_factory=dict)
    dirty: set[int] = field(default_factory=set)          # segment chunks to save
    touched: set[tuple[str, int]] = field(default_factory=set)   # (view key, hour) changed
    touched_days: set[tuple[str, int]] = field(default_factory=set)  # (segment, day) changed
    flushed_clock: float = 0.0


class History:
    """History state of the stage-2 partitions this worker owns."""

    def __init__(self, grace_s: float, amend_s: float, metrics: HistoryMetrics,
                 topic: Any = None) -> None:
        self.topic = topic   # the history topic (a Faust topic)
        self.grace_s = grace_s
        self.amend_s = amend_s
        self.metrics = metrics
        self.parts: dict[int, PartHistory] = {}

    def part(self, partition: int) -> PartHistory:
        found = self.parts.get(partition)
        if found is None:
            found = self.parts[partition] = PartHistory()
        return found

    def oldest_day(self, clock_s: float) -> float:
        """Days starting before this are forgotten (and their late buckets counted)."""
        return floor_to(clock_s - self.amend_s, DAY_S) if clock_s else float("-inf")

    # -- loading ---------------------------------------------------------------------------
    def load(self, partition: int, name: str, raw: bytes) -> bool:
        """Take a saved record of the windows table if it is a segment's; True if it was."""
        if not name.startswith(CHUNK_PREFIX):
            return False
        segments = self.part(partition).segments
        for segment, days in json.loads(raw)["s"].items():
            segments[segment] = SegmentDays.from_json(days)
        return True

    def loaded(self, partition: int, clock_s: float) -> None:
        """The part was loaded with its saved clock: the previous flush's clock."""
        self.part(partition).flushed_clock = clock_s

    # -- partials --------------------------------------------------------------------------
    def take(self, partition: int, source: str, lo: int, hi: int, keys: dict[str, Any],
             clock_s: float) -> dict[str, Any]:
        """Apply the segment keys of one partial; return the view keys (the rest)."""
        views = {key: value for key, value in keys.items() if not key.startswith(SEGMENT_PREFIX)}
        if len(views) == len(keys):
            return keys
        part = self.part(partition)
        oldest = self.oldest_day(clock_s)
        for key, buckets in keys.items():
            if key in views:
                continue
            days = part.segments.get(key)
            if days is None:
                days = part.segments[key] = SegmentDays()
            result = days.apply(source, lo, hi, buckets, oldest)
            if result is None:
                continue
            touched, too_old = result
            self.metrics.too_late.inc(too_old)
            part.dirty.add(chunk_of(key))
            part.touched_days.update((key, day) for day in touched)
        return views

    def applied(self, partition: int, key: str, buckets: dict[Any, Any]) -> None:
        """A partial's buckets were applied to view key ``key``: mark their hours."""
        touched = self.part(partition).touched
        for minute in buckets:
            touched.add((key, floor_to(int(minute), HOUR_S)))

    # -- flush -----------------------------------------------------------------------------
    def closing(self, partition: int, keys: dict[str, SegmentWindows],
                clock_s: float) -> tuple[list[ClosedWindow], list[tuple[str, bytes]]]:
        """The windows to publish at this flush, and the segment records to save (name, value).

        Resets what it reports: call it once per flush, then publish, then save."""
        part = self.part(partition)
        before = part.flushed_clock
        out: list[ClosedWindow] = []
        for key, windows in keys.items():
            for hour in newly_closed(windows.hours, HOUR_S, self.grace_s, before, clock_s):
                out.append(ClosedWindow(key, hour, HOUR_S, dict(windows.hours[hour])))
                self.metrics.windows.labels("1h", "closed").inc()
        for key, hour in sorted(part.touched):
            windows = keys.get(key)
            bucket = windows.hours.get(hour) if windows is not None else None
            if bucket is not None and is_closed(hour, HOUR_S, self.grace_s, before) \
                    and is_closed(hour, HOUR_S, self.grace_s, clock_s):
                out.append(ClosedWindow(key, hour, HOUR_S, dict(bucket)))
                self.metrics.windows.labels("1h", "amended").inc()
        oldest = self.oldest_day(clock_s)
        for name, days in part.segments.items():
            key = SEGMENT_VIEW + name[len(SEGMENT_PREFIX) - 1:]
            for day in newly_closed(days.days, DAY_S, self.grace_s, before, clock_s):
                out.append(ClosedWindow(key, day, DAY_S, dict(days.days[day])))
                self.metrics.windows.labels("1d", "closed").inc()
        for name, day in sorted(part.touched_days):
            bucket = part.segments[name].days.get(day)
            if bucket is not None and is_closed(day, DAY_S, self.grace_s, before):
                key = SEGMENT_VIEW + name[len(SEGMENT_PREFIX) - 1:]
                out.append(ClosedWindow(key, day, DAY_S, dict(bucket)))
                self.metrics.windows.labels("1d", "amended").inc()
        chunks: dict[int, dict[str, Any]] = {number: {} for number in part.dirty}
        for name, days in part.segments.items():
            found = chunks.get(chunk_of(name))
            if found is not None:
                days.prune(oldest)
                found[name] = days.to_json()
        records = [(f"{CHUNK_PREFIX}{number}", json.dumps({"v": 1, "s": chunk}).encode())
                   for number, chunk in sorted(chunks.items())]
        part.dirty, part.touched, part.touched_days = set(), set(), set()
        part.flushed_clock = max(before, clock_s)
        return out, records

    async def send(self, partition: int, windows: list[ClosedWindow]) -> list[Any]:
        """Send ``windows`` to the history topic's ``partition`` (the stage-2 partition, so
        every version of a window follows the one before); returns the delivery futures."""
        return [await self.topic.send(key=None, value=value, partition=partition)
                for value in messages(windows)]

    def revoke(self, partitions: set[int]) -> None:
        for partition in partitions:
            self.parts.pop(partition, None)


def chunk_of(segment_key: str) -> int:
    """The record chunk of a ``#segment|...`` key."""
    return zlib.crc32(segment_key.encode()) % SEGMENT_CHUNKS


def messages(windows: list[ClosedWindow]) -> list[bytes]:
    """History-topic messages: ``{"v": 1, "w": [window, ...]}``, split by MESSAGE_BUDGET."""
    out: list[bytes] = []
    pieces: list[str] = []
    size = 0
    for window in windows:
        piece = json.dumps(window.to_json())
        if pieces and size + len(piece) > MESSAGE_BUDGET:
            out.append(('{"v":1,"w":[' + ",".join(pieces) + "]}").encode())
            pieces, size = [], 0
        pieces.append(piece)
        size += len(piece)
    if pieces:
        out.append(('{"v":1,"w":[' + ",".join(pieces) + "]}").encode())
    return out


def decode(message: bytes) -> list[ClosedWindow]:
    """The windows of one history-topic message."""
    return [ClosedWindow.from_json(item) for item in json.loads(message)["w"]]
