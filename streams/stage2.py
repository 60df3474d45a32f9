"""Stage 2: merge partials into per-segment windows, keyed by segment, replay-safe by offsets.

Stage 1 routes each segment to one cx.partials partition (murmur2 of the segment, as Kafka's
default partitioner would) and sends one message per partition and flush holding every segment
partial for it, with its clock tick, so each segment lives in exactly one stage-2 partition and
on one worker. A partial carries the source partition and offset range it covers; a segment's
windows remember the highest offset applied per source and ignore anything at or below it.
Window records (key ``<partition>|<segment>``) and the partition's clock are written to a
changelogged table every ``stage2_flush_interval_s``, and only then are the partials acked: a
crash replays them into the recovered windows, where the applied offsets make them harmless.
"""

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from metrics.windows import SegmentWindows
from streams.flushing import current_event_of, drop_revoked, write, written
from streams.positions import Positions, is_stale
from streams.settings import Settings

log = logging.getLogger(__name__)

CLOCK = "#clock"


class Stage2Metrics:
    """Counters of what stage 2 did with partials."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.partials = Counter(
            "cxpulse_partials",
            "Partials read by stage 2, by result: applied, replayed (offsets already applied, "
            "ignored) or overlap (applied, but its range overlapped one already applied).",
            ["result"], registry=registry)
        self.expired = Counter(
            "cxpulse_partial_buckets_expired",
            "Minute buckets older than the 30 d window when they reached stage 2 (dropped).",
            registry=registry)
        self.clock = Gauge(
            "cxpulse_window_clock_timestamp_seconds",
            "Event-time clock the windows of this stage-2 partition end at (newest event time "
            "stage 1 reported).", ["partition"], registry=registry)
        self.applied = self.partials.labels("applied")
        self.replayed = self.partials.labels("replayed")
        self.overlap = self.partials.labels("overlap")


@dataclass
class Part:
    """The windows of one stage-2 partition."""

    partition: int
    segments: dict[str, SegmentWindows] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    events: list[Any] = field(default_factory=list)
    clock: float = 0.0
    last_event: Any = None
    flushing: bool = False
    flushed_at: float = field(default_factory=time.monotonic)
    detached: bool = False   # its partition was revoked: never flushed
    next_offset: int | None = None   # the cx.partials offset needed next (saved with clock)
    started: bool = False    # a message was handled since the part was loaded


class Stage2:
    """Stage-2 parts of the partitions this worker owns."""

    def __init__(self, app: Any, settings: Settings, table: Any, metrics: Stage2Metrics,
                 positions: Positions) -> None:
        self.app = app
        self.positions = positions
        self.settings = settings
        self.table = table
        self.metrics = metrics
        self.parts: dict[int, Part] = {}
        self.active: set[int] = set()

    def assign(self, partitions: set[int]) -> None:
        """Partitions whose parts may flush (from Faust's on_partitions_assigned)."""
        self.active = set(partitions)

    def part(self, partition: int) -> Part:
        part = self.parts.get(partition)
        if part is None:
            if partition not in self.active:
                return Part(partition, detached=True)  # in flight across a revocation
            part = self.parts[partition] = self._load(partition)
        return part

    def _load(self, partition: int) -> Part:
        """Read every window record of ``partition`` from the (recovered) table."""
        part = Part(partition)
        prefix = f"{partition}|"
        for key, raw in self.table.items():
            name = key.decode()
            if not name.startswith(prefix) or raw is None:
                continue
            segment = name[len(prefix):]
            if segment == CLOCK:
                saved = json.loads(raw)
                part.clock, part.next_offset = saved["t"], saved["o"]
            else:
                part.segments[segment] = SegmentWindows.from_json(json.loads(raw))
        return part

    async def in_order(self, event: Any) -> bool:
        """Whether ``event`` may be handled (streams/positions.py): a later offset than the
        part needs sends the consumer back. A message fetched before the latest rebalance
        is left for redelivery (handled, it would move the part's next offset past the
        messages the new assignment reads again)."""
        message = event.message
        part = self.part(message.partition)
        if part.detached:
            return True   # never flushed: harmless
        ok = await self.positions.in_order(message.topic, message.partition, message.offset,
                                           part.next_offset, not part.started)
        return ok and not is_stale(self.app, message)

    def needed(self, partitions: list[Any]) -> list[tuple[Any, int | None]]:
        """(tp, offset needed next) of partials partitions, for Positions.watch."""
        return [(tp, self.part(tp.partition).next_offset) for tp in partitions]

    def handle(self, event: Any) -> None:
        """Apply one partial or clock tick (synchronous: no flush sees half of it)."""
        message = event.message
        part = self.part(message.partition)
        value = json.loads(event.value)
        if value["tick"] > part.clock:
            part.clock = value["tick"]
        for partial in value["parts"]:
            source, lo, hi = partial["s"], partial["lo"], partial["hi"]
            for segment, buckets in partial["segs"].items():
                windows = part.segments.get(segment)
                if windows is None:
                    windows = part.segments[segment] = SegmentWindows()
                result = windows.apply_partial(source, lo, hi, buckets)
                if not result.applied:
                    self.metrics.replayed.inc()
                    continue
                (self.metrics.overlap if result.overlap else self.metrics.applied).inc()
                if result.overlap:
                    log.warning("partial %s (%d, %d] overlaps one already applied to %s",
                                source, lo, hi, segment)
                self.metrics.expired.inc(result.expired_buckets)
                part.dirty.add(segment)
        part.events.append(event)
        part.last_event = event
        part.next_offset = message.offset + 1
        part.started = True

    def due(self, part: Part, now: float) -> bool:
        return bool(part.events) and not part.flushing and (
            now - part.flushed_at >= self.settings.stage2_flush_interval_s)

    async def flush_due(self) -> None:
        """Flush every due part."""
        now = time.monotonic()
        for part in list(self.parts.values()):
            if self.due(part, now):
                await self.flush(part)

    async def flush(self, part: Part) -> None:
        if part.detached:
            return
        records = []
        for segment in sorted(part.dirty):
            windows = part.segments[segment]
            windows.advance(part.clock)   # prunes what left the windows before it is saved
            records.append((f"{part.partition}|{segment}".encode(),
                            json.dumps(windows.to_json()).encode()))
        # The clock and the offset of the partials these records cover (the restart point).
        records.append((f"{part.partition}|{CLOCK}".encode(),
                        json.dumps({"t": part.clock, "o": part.next_offset}).encode()))
        events, part.events = part.events, []
        part.dirty = set()
        part.flushing = True
        try:
            with current_event_of(part.last_event):
                await written([write(self.table, part.partition, key, value)
                               for key, value in records])
        finally:
            part.flushing = False
            part.flushed_at = time.monotonic()
        if self.parts.get(part.partition) is part:
            for item in events:
                item.ack()

    def owned(self, partitions: set[int]) -> Iterator[tuple[str, SegmentWindows]]:
        """(segment, windows) of ``partitions`` advanced to their clock, for the exporter."""
        if getattr(self.app, "in_recovery", False) or getattr(self.app, "rebalancing", False):
            # The table is being (or about to be) restored: a part loaded now would stay
            # half empty. Export nothing rather than half of it.
            return
        for partition in sorted(partitions):
            part = self.part(partition)
            self.metrics.clock.labels(str(partition)).set(part.clock)
            for segment, windows in part.segments.items():
                windows.advance(part.clock)
                yield segment, windows

    async def revoke(self, partitions: set[int]) -> None:
        self.active -= partitions
        for partition in await drop_revoked(self.parts, partitions):
            try:
                self.metrics.clock.remove(str(partition))
            except KeyError:
                pass
