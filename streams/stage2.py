"""Stage 2: merge partials into per-view-key windows, replay-safe by offsets.

Stage 1 projects its full-segment components onto the configured views (metrics/views.py) and
routes each view key to one cx.partials partition (murmur2 of the key, as Kafka's default
partitioner would), one message per partition and flush with its clock tick, so each view key
lives in exactly one stage-2 partition and on one worker. A partial carries the source partition
and offset range it covers; a key's windows remember the highest offset applied per source and
ignore anything at or below it. Window records (key ``<partition>|<view key>``) and the
partition's clock are written to a changelogged table every ``stage2_flush_interval_s``, and
only then are the partials acked: a crash replays them into the recovered windows, where the
applied offsets make them harmless.

Each partition admits at most ``max_keys`` keys per view (first come; keys with saved windows
are admitted on load); the rest fold into the view's ``other`` key. At every flush the part
publishes immutable copies of its keys' exported windows (streams/serving/windows.py), which
is all /metrics ever reads.

History (streams/history/closing.py) hooks in at four points: full-segment keys are taken out
of each partial, applied view-key hours are marked, closed windows are published at the flush
before its records, and segment day records load and save with the window records.
"""

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


from metrics.components import Bucket, add_into
from metrics.dives import Dive, DiveBook
from metrics.history import ClosedWindow
from metrics.views import KeyCap, View, view_name
from metrics.windows import SegmentWindows
from streams.dives import DiveMonitor
from streams.faust_adapter import StreamHost, written
from streams.flushing import REVOKE_WAIT_S, Flushing, drop_revoked
from streams.history.closing import History
from streams.positions import Positions
from streams.serving.stage2 import Stage2Metrics
from streams.serving.windows import KeyTotals
from streams.settings import Settings
from streams.state import decode_partials, decode_record, encode_record

log = logging.getLogger(__name__)

CLOCK = "#clock"


@dataclass
class Part:
    """The windows of one stage-2 partition."""

    partition: int
    cap: KeyCap
    keys: dict[str, SegmentWindows] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    published: dict[str, KeyTotals] = field(default_factory=dict)   # replaced whole, never changed
    events: list[Any] = field(default_factory=list)
    clock: float = 0.0
    last_event: Any = None
    flushing: Flushing = field(default_factory=Flushing)
    flushed_at: float = field(default_factory=time.monotonic)
    detached: bool = False   # its partition was revoked: never flushed
    next_offset: int | None = None   # the cx.partials offset needed next (saved with clock)
    started: bool = False    # a message was handled since the part was loaded
    book: DiveBook = field(default_factory=DiveBook)     # dives on (saved with the clock)
    dives: dict[str, Dive] = field(default_factory=dict)  # replaced whole, never changed
    dive_step: int = 0       # the detector step the dives were last judged at


class Stage2:
    """Stage-2 parts of the partitions this worker owns."""

    #: How long a revocation waits for a revoked partition's flush in progress.
    revoke_wait_s = REVOKE_WAIT_S

    def __init__(self, host: StreamHost, settings: Settings, table: Any, metrics: Stage2Metrics,
                 positions: Positions, views: dict[str, View],
                 windows: tuple[str, ...], history: History | None = None,
                 dives: DiveMonitor | None = None, dive_sink: Any = None) -> None:
        self.host = host
        self.history = history   # closed windows for the history store (streams/history/)
        self.dives = dives
        self.dive_sink = dive_sink   # async callable taking the cx.dives records of a flush
        self.views = views
        self.windows = windows   # the windows /metrics exports
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
                # in flight across a revocation
                return Part(partition, KeyCap(self.views), detached=True)
            part = self.parts[partition] = self._load(partition)
        return part

    def _load(self, partition: int) -> Part:
        """Read every window record of ``partition`` from the (recovered) table."""
        part = Part(partition, KeyCap(self.views))
        if self.history is not None:
            self.history.revoke({partition})
        prefix, bucketed = f"{partition}|", f"{partition}@"
        heads: dict[str, Any] = {}
        buckets: dict[str, dict[tuple[str, int], Any]] = {}
        for key, raw in self.table.items():
            name = key.decode()
            if raw is None:
                continue
            if name.startswith(bucketed):   # p@h<hour>|<view key> or p@m<minute>|<view key>
                rid, _, view_key = name.partition("|")
                kind, start = rid[len(bucketed)], int(rid[len(bucketed) + 1:])
                buckets.setdefault(view_key, {})[(kind, start)] = decode_record(raw)
                continue
            if not name.startswith(prefix):
                continue
            view_key = name[len(prefix):]
            if view_key == CLOCK:
                saved = decode_record(raw)
                part.clock, part.next_offset = saved["t"], saved["o"]
                part.book = DiveBook.from_json(saved.get("d"))
            elif self.history is not None and self.history.load(partition, view_key, raw):
                pass
            else:
                heads[view_key] = decode_record(raw)
        for view_key in sorted({*heads, *buckets}):
            if view_name(view_key) not in self.views:   # a view since removed stays unread
                continue
            head = heads.get(view_key)
            if head is not None and "m" in head:   # a whole-key record of the first layout
                windows = SegmentWindows.from_json(head)
                windows.changed = {*(("h", h) for h in windows.hours),
                                   *(("m", m) for m in windows.minutes)}   # rewritten per
                part.dirty.add(view_key)                                  # bucket next flush
            else:
                windows = SegmentWindows.from_records(head, buckets.get(view_key, {}))
            part.keys[view_key] = windows
            part.cap.admitted.setdefault(view_name(view_key), set()).add(view_key)
        self._publish(part, part.keys)
        if self.history is not None:
            self.history.loaded(partition, part.clock)
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
        return ok and not self.host.is_stale(message)

    def needed(self, partitions: list[Any]) -> list[tuple[Any, int | None]]:
        """(tp, offset needed next) of partials partitions, for Positions.watch."""
        return [(tp, self.part(tp.partition).next_offset) for tp in partitions]

    def handle(self, event: Any) -> None:
        """Apply one partial or clock tick (synchronous: no flush sees half of it)."""
        message = event.message
        part = self.part(message.partition)
        value = decode_partials(event.value)
        if value["tick"] > part.clock:
            part.clock = value["tick"]
        for partial in value["parts"]:
            source, lo, hi = partial["s"], partial["lo"], partial["hi"]
            keys = partial["keys"]
            if self.history is not None and not part.detached:
                keys = self.history.take(part.partition, source, lo, hi, keys, part.clock)
            for key, buckets in self._admitted(part, keys).items():
                windows = part.keys.get(key)
                if windows is None:
                    windows = part.keys[key] = SegmentWindows()
                result = windows.apply_partial(source, lo, hi, buckets)
                if not result.applied:
                    self.metrics.replayed.inc()
                    continue
                (self.metrics.overlap if result.overlap else self.metrics.applied).inc()
                if result.overlap:
                    log.warning("partial %s (%d, %d] overlaps one already applied to %s",
                                source, lo, hi, key)
                self.metrics.expired.inc(result.expired_buckets)
                part.dirty.add(key)
                if self.history is not None and not part.detached:
                    self.history.applied(part.partition, key, buckets)
        part.events.append(event)
        part.last_event = event
        part.next_offset = message.offset + 1
        part.started = True

    def _admitted(self, part: Part, keys: dict[str, Any]) -> dict[str, Any]:
        """``keys`` (view key -> minute buckets) with keys past their view's cap merged into
        the view's other key, so one partial applies once to each key it touches."""
        out: dict[str, Any] = {}
        for key, buckets in keys.items():
            if view_name(key) not in self.views:
                # Sent by a stage 1 with another view configuration (a rolling change).
                self.metrics.unknown_view.inc()
                continue
            admitted = part.cap.admit(key)
            if admitted == key:
                out[key] = buckets
                continue
            self.metrics.folded.labels(view_name(key)).inc()
            merged: dict[str, Bucket] = out.setdefault(admitted, {})
            for minute, bucket in buckets.items():
                add_into(merged.setdefault(minute, {}), bucket)
        return out

    def _publish(self, part: Part, keys: Any) -> None:
        """Replace the part's published snapshot with fresh copies of ``keys``' windows."""
        if not keys:
            return
        fresh = dict(part.published)
        for key in keys:
            windows = part.keys[key]
            fresh[key] = KeyTotals(key, {name: dict(windows.totals[name])
                                         for name in self.windows}, dict(windows.backlog))
        part.published = fresh

    def due(self, part: Part, now: float) -> bool:
        return bool(part.events) and not part.flushing.active and (
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
        started = time.perf_counter()
        records = []
        moved = set()
        for key, windows in part.keys.items():
            end_s = windows.end_s
            windows.advance(part.clock)   # prunes what left the windows before it is saved
            if windows.end_s != end_s:
                moved.add(key)
        for key, windows in part.keys.items():
            if windows.changed:   # new buckets, or hours that left 24 h or 30 d
                part.dirty.add(key)
        for key in sorted(part.dirty):
            windows = part.keys[key]
            for (kind, start), record in windows.bucket_records():
                records.append((f"{part.partition}@{kind}{start}|{key}".encode(),
                                None if record is None else encode_record(record)))
            records.append((f"{part.partition}|{key}".encode(),
                            encode_record(windows.head_record())))
        self._publish(part, part.dirty | moved)
        dive_log = self._judge_dives(part, part.dirty | moved)
        closed: list[ClosedWindow] = []
        if self.history is not None:
            closed, saved = self.history.closing(part.partition, part.keys, part.clock)
            records.extend((f"{part.partition}|{name}".encode(), value) for name, value in saved)
        # The clock, the offset of the partials these records cover (the restart point) and
        # the dives on, so a restart repeats no start record.
        records.append((f"{part.partition}|{CLOCK}".encode(),
                        encode_record({"t": part.clock, "o": part.next_offset,
                                       "d": part.book.to_json()})))
        events, part.events = part.events, []
        part.dirty = set()
        self.metrics.clock.labels(str(part.partition)).set(part.clock)
        try:
            with part.flushing.running(), self.host.scoped(part.last_event):
                if closed:   # before the records: a crash publishes them again, never less
                    await written(await self.history.send(part.partition, closed))
                await self.host.write(self.table, part.partition, records)
        finally:
            part.flushed_at = time.monotonic()
        self.metrics.state_records.inc(len(records))
        self.metrics.state_bytes.inc(sum(len(value or b"") for _, value in records))
        self.metrics.flush_seconds.observe(time.perf_counter() - started)
        if dive_log and self.dive_sink is not None:
            await self.dive_sink(dive_log)
        if self.parts.get(part.partition) is part:
            for item in events:
                item.ack()

    def _judge_dives(self, part: Part, changed: set[str]) -> list[bytes]:
        """Judge the part's dives (streams/dives.py): every key when its clock entered a new
        detector step, else the keys that changed (data can trail the clock, which is the
        newest event time of any source partition). Returns the dive-log records of dives that
        started or ended."""
        if self.dives is None:
            return []
        every = self.dives.due(part.dive_step, part.clock)
        if not every and not changed:
            return []
        part.dive_step = self.dives.step_of(part.clock)
        try:
            found = self.dives.evaluate(part.keys, None if every else changed)
        except Exception:  # a detector fault must never stop the windows
            log.exception("dive evaluation failed in partition %d", part.partition)
            return []
        records = self.dives.log_records(part.book, found, part.clock)
        part.dives = found if every else {**part.dives, **found}
        return records

    def published_dives(self, partitions: set[int]) -> Iterator[Dive]:
        """The latest judged dives of ``partitions``; safe from any thread."""
        parts = dict(self.parts)
        for partition in sorted(partitions):
            part = parts.get(partition)
            if part is not None and not part.detached:
                yield from list(part.dives.values())

    def load_assigned(self) -> None:
        """Timer: load the parts of assigned partitions no partial has reached yet, so an idle
        partition's saved windows are served after a restart. Not while the table is being
        (or about to be) restored: a part loaded then would stay half empty."""
        if not self.host.settled():
            return
        for partition in sorted(self.active - set(self.parts)):
            part = self.part(partition)
            self.metrics.clock.labels(str(partition)).set(part.clock)

    def published(self, partitions: set[int]) -> Iterator[KeyTotals]:
        """The latest published windows of ``partitions``; safe from any thread (it reads only
        references that flushes replace whole)."""
        parts = dict(self.parts)
        for partition in sorted(partitions):
            part = parts.get(partition)
            if part is not None and not part.detached:
                yield from list(part.published.values())

    async def revoke(self, partitions: set[int]) -> None:
        self.active -= partitions
        dropped = await drop_revoked(self.parts, partitions,
                                     self.metrics.revoke_waits_abandoned, self.revoke_wait_s)
        if self.history is not None:
            self.history.revoke(set(dropped))
        for partition in dropped:
            try:
                self.metrics.clock.remove(str(partition))
            except KeyError:
                pass
