"""Stage-2 maths: event-time minute buckets of one segment and its rolling windows.

Windows end at the segment's clock (the newest event time stage 2 has heard of, from any
source partition), rounded up to a whole minute for 1 h and 24 h and to a whole hour for 7 d
and 30 d:

    1h, 24h   minute buckets m with end - length <= m < end,  end  = floor_minute(clock) + 60
    7d, 30d   hour buckets   h with hend - length <= h < hend, hend = floor_hour(clock) + 3600

Window totals are kept up to date incrementally (add on arrival, subtract when a bucket leaves),
so exporting costs nothing per bucket. Backlog components (tickets/<kind>/opened...) are running
totals over all time and live outside the windows. Partials carry the source partition and the
offset range they cover; a partial whose range was already applied is ignored, which makes
replays after a crash harmless.

Persistence follows the buckets, so saving costs what changed: a head record (backlog, applied
offsets, end), one record per hour bucket and one per minute bucket (``("h", hour)``,
``("m", minute)``), each stamped with the applied offsets at the time it was written. After a
crash the records of one key may come from different flushes;
:meth:`SegmentWindows.from_records` keeps each record's stamp as a floor, and a replayed
partial adds to a bucket (or the backlog) only what that bucket's record does not hold.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from metrics.components import Bucket, Number, add_into, backlog_split

MINUTE_S = 60
HOUR_S = 3600
WINDOWS: dict[str, int] = {"1h": HOUR_S, "24h": 24 * HOUR_S, "7d": 7 * 24 * HOUR_S,
                           "30d": 30 * 24 * HOUR_S}
MINUTE_WINDOWS = ("1h", "24h")
HOUR_WINDOWS = ("7d", "30d")


def floor_to(value: float, step: int) -> int:
    return int(value // step) * step


@dataclass
class ApplyResult:
    """What :meth:`SegmentWindows.apply_partial` did."""

    applied: bool
    overlap: bool = False
    expired_buckets: int = 0


@dataclass
class SegmentWindows:
    """Minute and hour buckets, window totals and applied offsets of one segment."""

    minutes: dict[int, Bucket] = field(default_factory=dict)
    hours: dict[int, Bucket] = field(default_factory=dict)
    backlog: Bucket = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)
    end_s: int = 0
    totals: dict[str, Bucket] = field(default_factory=dict)
    #: Buckets whose record must be written (or deleted) at the next save: ("h", hour) or
    #: ("m", minute).
    changed: set[tuple[str, int]] = field(default_factory=set)
    #: After a restore: each bucket record's and the backlog's (key None) applied offsets,
    #: while a replay may still bring partials some records hold and others do not.
    floors: dict[tuple[str, int] | None, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.totals:
            self.totals = {name: {} for name in WINDOWS}
            self._recompute()

    # -- windows -----------------------------------------------------------------------
    @property
    def hour_end_s(self) -> int:
        return floor_to(self.end_s - MINUTE_S, HOUR_S) + HOUR_S if self.end_s else 0

    def _in_window(self, name: str, start_s: int) -> bool:
        if name in MINUTE_WINDOWS:
            return self.end_s - WINDOWS[name] <= start_s < self.end_s
        hour_end = self.hour_end_s
        return hour_end - WINDOWS[name] <= start_s < hour_end

    def _recompute(self) -> None:
        for name in WINDOWS:
            store = self.minutes if name in MINUTE_WINDOWS else self.hours
            self.totals[name] = {}
            for start, bucket in store.items():
                if self._in_window(name, start):
                    add_into(self.totals[name], bucket)

    def advance(self, clock_s: float) -> None:
        """Move the windows so they end at ``clock_s`` (never backwards); prune old buckets."""
        new_end = floor_to(clock_s, MINUTE_S) + MINUTE_S
        if new_end <= self.end_s:
            return
        old_end, old_hour_end = self.end_s, self.hour_end_s
        self.end_s = new_end
        new_hour_end = self.hour_end_s
        for name in MINUTE_WINDOWS:
            self._shift(self.minutes, name, old_end, new_end)
        if new_hour_end != old_hour_end:
            for name in HOUR_WINDOWS:
                self._shift(self.hours, name, old_hour_end, new_hour_end)
        if old_end:   # every bucket held starts at or after the old cutoffs (add_bucket)
            self._prune(old_end - WINDOWS["24h"], old_hour_end - WINDOWS["30d"])
        else:
            self._prune()

    def _shift(self, store: Mapping[int, Bucket], name: str, old_end: int, new_end: int) -> None:
        """Subtract the buckets that left window ``name`` and add those that entered it."""
        length = WINDOWS[name]
        step = MINUTE_S if name in MINUTE_WINDOWS else HOUR_S
        total = self.totals[name]
        old_start = old_end - length if old_end else new_end
        leaving = (old_start, min(old_end, new_end - length)) if old_end else (0, 0)
        entering = (max(old_end, new_end - length), new_end)
        for (low, high), sign in ((leaving, -1), (entering, 1)):
            if high <= low:
                continue
            if (high - low) // step <= len(store):   # walk the range, not the whole store
                starts: Iterable[int] = range(floor_to(low, step), high, step)
            else:
                starts = [start for start in store if low <= start < high]
            for start in starts:
                bucket = store.get(start)
                if bucket is not None and low <= start < high:
                    add_into(total, bucket, sign)

    def _prune(self, minutes_from: int | None = None, hours_from: int | None = None) -> None:
        """Delete the buckets that left 24 h (minutes) and 30 d (hours). ``*_from``: no
        bucket starts before it (the previous cutoff), so only the starts since need a look,
        not the whole store (1,440 minutes and 720 hours of a busy key at every advance)."""
        self._drop(self.minutes, "m", MINUTE_S, minutes_from, self.end_s - WINDOWS["24h"])
        self._drop(self.hours, "h", HOUR_S, hours_from, self.hour_end_s - WINDOWS["30d"])

    def _drop(self, store: dict[int, Bucket], kind: str, step: int, low: int | None,
              oldest: int) -> None:
        if low is None or (oldest - low) // step > len(store):
            starts = [start for start in store if start < oldest]
        else:
            starts = [start for start in range(floor_to(low, step), oldest, step)
                      if start in store]
        for start in starts:
            del store[start]
            self.changed.add((kind, start))

    # -- partials ----------------------------------------------------------------------
    def apply_partial(self, source: str, lo: int, hi: int,
                      buckets: Mapping[int, Mapping[str, Number]]) -> ApplyResult:
        """Merge one partial covering offsets (lo, hi] of ``source`` unless already applied."""
        done = self.applied.get(source, -1)
        if hi <= done:
            return ApplyResult(applied=False)
        overlap = lo < done
        self.applied[source] = hi
        floors = self._floors_for(source, hi)
        expired = 0
        for minute, bucket in buckets.items():
            expired += not self.add_bucket(int(minute), bucket, floors)
        return ApplyResult(True, overlap, expired)

    def _floors_for(self, source: str, hi: int
                    ) -> dict[tuple[str, int] | None, int] | None:
        """The records (buckets, None: backlog) that already hold the partial of ``source``
        ending at ``hi``; None once no record's floor can hold it any more."""
        if not self.floors:
            return None
        held: dict[tuple[str, int] | None, int] = {}
        for hour, stamp in self.floors.items():
            floor = stamp.get(source, -1)
            if floor >= hi:
                held[hour] = floor
            if floor <= hi:   # every later partial of source ends past it
                stamp.pop(source, None)
        self.floors = {hour: stamp for hour, stamp in self.floors.items() if stamp}
        return held or None

    def add_bucket(self, minute_s: int, bucket: Mapping[str, Number],
                   held: Mapping[tuple[str, int] | None, int] | None = None) -> bool:
        """Add one minute's components; False when the minute is older than 30 d (dropped).
        ``held``: records that already hold these components (after a restore)."""
        hour = floor_to(minute_s, HOUR_S)
        kept, running = backlog_split(tuple(bucket))
        if running and not (held is not None and None in held):
            backlog = self.backlog
            for key in running:
                backlog[key] = backlog.get(key, 0) + bucket[key]
        if not kept:
            return True
        windowed: Bucket = bucket if not running else {key: bucket[key] for key in kept}
        if self.end_s and hour < self.hour_end_s - WINDOWS["30d"]:
            return False
        # Every bucket and window total this minute goes into, added in one pass.
        targets: list[Bucket] = []
        if (not self.end_s or minute_s >= self.end_s - WINDOWS["24h"]) and not (
                held is not None and ("m", minute_s) in held):
            self.changed.add(("m", minute_s))
            targets.append(self.minutes.setdefault(minute_s, {}))
            targets.extend(self.totals[name] for name in MINUTE_WINDOWS
                           if self._in_window(name, minute_s))
        if not (held is not None and ("h", hour) in held):
            self.changed.add(("h", hour))
            targets.append(self.hours.setdefault(hour, {}))
            targets.extend(self.totals[name] for name in HOUR_WINDOWS
                           if self._in_window(name, hour))
        for key, value in windowed.items():
            for target in targets:
                target[key] = target.get(key, 0) + value
        return True

    # -- persistence -------------------------------------------------------------------
    def head_record(self) -> dict[str, Any]:
        """Backlog, applied offsets and end: written with every save of the key."""
        return {"b": self.backlog, "a": self.applied, "e": self.end_s}

    def bucket_records(self) -> list[tuple[tuple[str, int], dict[str, Any] | None]]:
        """(("h", hour) or ("m", minute), record) of every bucket changed since the last
        call; None: delete it (the bucket left its window). Each record is stamped with the
        applied offsets."""
        out: list[tuple[tuple[str, int], dict[str, Any] | None]] = []
        for rid in sorted(self.changed):
            kind, start = rid
            bucket = (self.hours if kind == "h" else self.minutes).get(start)
            out.append((rid, None if bucket is None else {"b": bucket, "a": self.applied}))
        self.changed = set()
        return out

    @classmethod
    def from_records(cls, head: Mapping[str, Any] | None,
                     buckets: Mapping[tuple[str, int], Mapping[str, Any]]
                     ) -> "SegmentWindows":
        """A key restored from its head and bucket records, which may come from different
        saves (a crash between their writes): each record's stamp becomes its floor."""
        end_s = int(head["e"]) if head else 0
        windows = cls(
            minutes={start: dict(r["b"]) for (kind, start), r in buckets.items() if kind == "m"},
            hours={start: dict(r["b"]) for (kind, start), r in buckets.items() if kind == "h"},
            backlog=dict(head["b"]) if head else {}, end_s=end_s)
        windows._prune()   # buckets that left their windows are deleted at the next save
        stamps: dict[tuple[str, int] | None, dict[str, int]] = {
            rid: dict(record["a"]) for rid, record in buckets.items()}
        stamps[None] = dict(head["a"]) if head else {}
        sources = {source for stamp in stamps.values() for source in stamp}
        # Everything up to the lowest stamp is in every record; above it, per record.
        windows.applied = {source: min(stamp.get(source, -1) for stamp in stamps.values())
                           for source in sources}
        floors = {rid: {s: v for s, v in stamp.items() if v > windows.applied[s]}
                  for rid, stamp in stamps.items()}
        windows.floors = {rid: stamp for rid, stamp in floors.items() if stamp}
        return windows

    def to_json(self) -> dict[str, Any]:
        return {
            "m": {str(k): v for k, v in self.minutes.items()},
            "h": {str(k): v for k, v in self.hours.items()},
            "b": self.backlog, "a": self.applied, "e": self.end_s,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "SegmentWindows":
        return cls(
            minutes={int(k): dict(v) for k, v in data["m"].items()},
            hours={int(k): dict(v) for k, v in data["h"].items()},
            backlog=dict(data["b"]), applied=dict(data["a"]), end_s=int(data["e"]),
        )
