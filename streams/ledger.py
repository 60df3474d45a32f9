"""Stage-1 state of one source partition number: customer chunks, cursors, pending output.

A ledger holds, for partition ``p`` of every source topic (they are co-partitioned):

- customer records, grouped in chunks (``crc32(customer) % chunks``); a flush writes one
  changelog record per dirty chunk, stamped with the offsets it reflects (``a``), so a replayed
  event whose effects are already in its chunk is skipped;
- one cursor per topic: position, event-time watermark, and the flush boundaries recovered from
  the ``meta`` record, so a replay after a crash cuts its partials at exactly the offsets the
  lost run used (stage 2 then recognises them by offset range);
- contributions per slot (topic, lo, hi) and counts waiting for the flush.

Everything here is synchronous: streams/stage1.py owns the awaits, the ordering and the acks.
"""

import json
import logging
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from collections.abc import Callable, Iterator
from typing import Any

from metrics.components import add_into
from metrics.contributions import (
    AgentCap,
    Applied,
    CatalogueRules,
    Contributions,
    Outcome,
    apply_event,
)
from metrics.views import Projector
from streams.flushing import Flushing

log = logging.getLogger(__name__)

BOUNDS_KEPT = 64
#: Partials for one stage-2 partition are split above this many bytes (Kafka's default
#: message limit is 1 MiB).
MESSAGE_BUDGET = 512 * 1024


def chunk_key(partition: int, chunk: int) -> bytes:
    return f"{partition}/{chunk}".encode()


def meta_key(partition: int) -> bytes:
    return f"{partition}/meta".encode()


@dataclass
class Cursor:
    """Where one topic of the partition stands."""

    lo: int                      # the open slot covers offsets (lo, position]
    wm: float                    # newest event time seen (every valid event moves it)
    replay: list[list[Any]]      # recovered cuts [hi, wm, sent] at or after the restart point
    position: int | None = None  # last offset applied


@dataclass
class Slot:
    topic: str
    lo: int
    hi: int | None               # None: the open slot, ending at the cursor position
    outs: dict[int, Contributions] = field(default_factory=dict)   # per chunk number

    def out(self, chunk: int) -> Contributions:
        found = self.outs.get(chunk)
        if found is None:
            found = self.outs[chunk] = Contributions()
        return found

    def merged(self) -> dict[tuple[str, int], dict[str, Any]]:
        """The components of every chunk, summed per (segment, minute)."""
        total: dict[tuple[str, int], dict[str, Any]] = {}
        for out in self.outs.values():
            for slot, bucket in out.buckets.items():
                target = total.get(slot)
                if target is None:
                    total[slot] = dict(bucket)
                else:
                    for key, value in bucket.items():
                        target[key] = target.get(key, 0) + value
        return total


@dataclass
class Pending:
    """Counts that become Prometheus increments when the flush that covers them completes."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    rejected: Counter[tuple[str, str]] = field(default_factory=Counter)
    messages: Counter[tuple[str, str]] = field(default_factory=Counter)
    anomalies: Counter[str] = field(default_factory=Counter)
    forgotten: int = 0
    evicted: int = 0


class Ledger:
    """Stage-1 state of partition ``partition``; ``table`` is the changelogged chunk table."""

    def __init__(self, partition: int, table: Any, rules: CatalogueRules, agents: AgentCap,
                 chunks: int, customer_ttl_s: float, route: Callable[[str], int],
                 projector: Projector,
                 targets: int, detached: bool = False) -> None:
        self.partition = partition
        self.detached = detached  # never flushed (its partition was revoked)
        self.route = route        # view key -> stage-2 partition
        self.projector = projector   # full segment -> view keys
        self.targets = targets    # stage-2 partitions
        self.table = table
        self.rules = rules
        self.agents = agents
        self.chunks = chunks
        self.customer_ttl_s = customer_ttl_s
        raw = table.get(meta_key(partition))
        self.bounds: dict[str, list[list[Any]]] = json.loads(raw)["bounds"] if raw else {}
        self.loaded: dict[int, dict[str, Any]] = {}
        self.slots: dict[tuple[str, int, int | None], Slot] = {}
        if any(bounds and not bounds[-1][2] for bounds in self.bounds.values()):
            self._recover_outboxes()
        self.dirty: set[int] = set()
        self.cursors: dict[str, Cursor] = {}
        self.pending = Pending()
        self.events: list[Any] = []   # Faust events to ack after the flush
        self.last_event: Any = None
        self.flushing = Flushing()
        self.since_flush = 0
        self.flushed_at = time.monotonic()

    def _recover_outboxes(self) -> None:
        """A flush was cut off before its partials were all sent: the chunks it did write hold
        their components (``o``); put them back in their slots so the replayed partials are
        whole and identical, whatever order the replay takes across topics."""
        unsent = {(topic, bound[0]) for topic, bounds in self.bounds.items()
                  for bound in bounds if not bound[2]}
        for number in range(self.chunks):
            raw = self.table.get(chunk_key(self.partition, number))
            if not raw:
                continue
            chunk = json.loads(raw)
            self.loaded[number] = chunk
            for topic, lo, hi, rows in chunk.get("o", []):
                if (topic, hi) not in unsent:
                    continue
                key = (topic, lo, hi)
                slot = self.slots.get(key)
                if slot is None:
                    slot = self.slots[key] = Slot(topic, lo, hi)
                out = slot.out(number)
                for segment, minute, bucket in rows:
                    out.buckets[(segment, minute)] = dict(bucket)

    # -- cursors and slots -------------------------------------------------------------
    def cursor(self, topic: str, offset: int) -> Cursor:
        cursor = self.cursors.get(topic)
        if cursor is None:
            bounds = sorted(self.bounds.get(topic, []))
            before = [bound for bound in bounds if bound[0] < offset]
            lo, wm = (before[-1][0], before[-1][1]) if before else (offset - 1, 0.0)
            replay = [bound for bound in bounds if bound[0] >= offset]
            cursor = self.cursors[topic] = Cursor(lo, wm, [[*b, False][:3] for b in replay])
            log.info("%s[%d]: first message at offset %d; last cut before it %d; %d cuts to "
                     "replay", topic, self.partition, offset, lo, len(replay))
        return cursor

    def _slot(self, topic: str, cursor: Cursor, offset: int) -> Slot | None:
        """The slot collecting the event's components; None when the cut holding ``offset``
        was already delivered to stage 2 (its events only rebuild state)."""
        lo = cursor.lo
        for hi, _, sent in cursor.replay:
            if offset <= hi:
                if sent:
                    return None
                key: tuple[str, int, int | None] = (topic, lo, hi)
                break
            lo = hi
        else:
            key = (topic, lo, None)
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = Slot(topic, key[1], key[2])
        return slot

    def restart_offset(self, topic: str) -> int | None:
        """The offset reading of ``topic`` must start at or before: the one after its last cut
        marked sent (everything up to it is in the chunks and in stage 2). None when the
        partition has no sent cut for ``topic``: reading starts at the earliest offset."""
        sent = [bound[0] for bound in self.bounds.get(topic, []) if bound[2]]
        return max(sent) + 1 if sent else None

    def replaying(self) -> bool:
        """True while some recovered boundary has not been reached: no flush may cut there."""
        for cursor in self.cursors.values():
            if cursor.replay and (cursor.position is None
                                  or cursor.position < cursor.replay[-1][0]):
                return True
        for (topic, _, hi) in self.slots:   # recovered outboxes wait for their topic's replay
            cursor = self.cursors.get(topic)
            if hi is not None and (cursor is None or cursor.position is None
                                   or cursor.position < hi):
                return True
        return False

    # -- events ------------------------------------------------------------------------
    def _chunk(self, customer_id: str) -> tuple[int, dict[str, Any]]:
        number = zlib.crc32(customer_id.encode()) % self.chunks
        chunk = self.loaded.get(number)
        if chunk is None:
            raw = self.table.get(chunk_key(self.partition, number))
            chunk = json.loads(raw) if raw else {"a": {}, "c": {}}
            self.loaded[number] = chunk
        return number, chunk

    def apply(self, topic: str, offset: int, item: Any) -> Applied | None:
        """Apply one valid event read at ``offset``; None when its chunk already holds it."""
        cursor = self.cursor(topic, offset)
        number, chunk = self._chunk(item.customer_id)
        at_s = item.occurred_at.timestamp()
        if offset <= chunk["a"].get(topic, -1):
            cursor.wm = max(cursor.wm, at_s)
            self.pending.outcomes[(topic, "replayed")] += 1
            return None
        records = chunk["c"]
        record = records.get(item.customer_id)
        if record is None:
            record = records[item.customer_id] = {}
        slot = self._slot(topic, cursor, offset)
        out = slot.out(number) if slot is not None else Contributions()  # discarded: sent
        applied = apply_event(self.rules, item, record, cursor.wm, self.agents, out)
        # max over every valid event equals max over accepted ones: a duplicate or late event
        # is never newer than the watermark.
        cursor.wm = max(cursor.wm, at_s)
        self.dirty.add(number)
        self.pending.outcomes[(topic, applied.outcome.value)] += 1
        self.pending.forgotten += applied.ids_forgotten
        if applied.anomaly:
            self.pending.anomalies[applied.anomaly] += 1
        return applied

    def track(self, topic: str, offset: int, event: Any) -> None:
        """Remember a processed message for its ack, after its events were applied."""
        cursor = self.cursor(topic, offset)
        cursor.position = offset
        self.events.append(event)
        self.last_event = event
        self.since_flush += 1

    # -- flush -------------------------------------------------------------------------
    def clock(self) -> float:
        return max((cursor.wm for cursor in self.cursors.values()), default=0.0)

    def snapshot(self) -> "Snapshot | None":
        """Everything one flush writes, taken without awaiting (so it is consistent)."""
        if self.replaying() or not self.events:
            return None
        parts: dict[int, list[dict[str, Any]]] = {}
        outboxes: dict[int, list[list[Any]]] = {}
        merged_slots: list[tuple[str, Contributions]] = []
        for slot in self.slots.values():
            cursor = self.cursors.get(slot.topic)
            hi = slot.hi if slot.hi is not None else (cursor.position if cursor else None)
            if hi is None:
                continue
            for number, out in slot.outs.items():
                if out.buckets:
                    outboxes.setdefault(number, []).append(
                        [slot.topic, slot.lo, hi,
                         [[seg, minute, bucket] for (seg, minute), bucket in out.buckets.items()]])
            merged = Contributions()
            merged.buckets = slot.merged()
            merged_slots.append((slot.topic, merged))
            by_target: dict[int, dict[str, dict[int, dict[str, Any]]]] = {}
            for (segment, minute), bucket in merged.buckets.items():
                for key, share in self.projector.project(segment, bucket):
                    minutes = by_target.setdefault(self.route(key), {}).setdefault(key, {})
                    found = minutes.get(minute)
                    if found is None:
                        minutes[minute] = share
                    else:
                        add_into(found, share)
            source = f"{slot.topic}:{self.partition}"
            for target, keys in by_target.items():
                parts.setdefault(target, []).append(
                    {"s": source, "lo": slot.lo, "hi": hi, "keys": keys})
        clock = self.clock()
        partials = [(target, message) for target in range(self.targets)
                    for message in _messages(clock, parts.get(target, []))]
        positions = {topic: c.position for topic, c in self.cursors.items()
                     if c.position is not None}
        for topic, cursor in self.cursors.items():
            if cursor.position is None:
                continue
            bounds = [b for b in self.bounds.get(topic, []) if b[0] < cursor.position]
            bounds.append([cursor.position, cursor.wm, False])
            self.bounds[topic] = bounds[-BOUNDS_KEPT:]
            cursor.lo = cursor.position
            cursor.replay = []
        meta = json.dumps({"bounds": self.bounds}).encode()
        for topic in positions:   # only the cuts of this flush: another topic's recovered
            self.bounds[topic][-1][2] = True   # cut may still be waiting for its replay
        sent = json.dumps({"bounds": self.bounds}).encode()
        chunks = []
        for number in sorted(self.dirty):
            chunk = self.loaded[number]
            chunk["a"].update(positions)
            chunk["o"] = outboxes.get(number, [])
            self._evict(chunk, clock)
            chunks.append((chunk_key(self.partition, number), json.dumps(chunk).encode()))
        snap = Snapshot(meta, sent, partials, chunks, self.events, self.pending, clock,
                        merged_slots)
        self.slots = {}
        self.dirty = set()
        self.events = []
        self.pending = Pending()
        self.since_flush = 0
        return snap

    def _evict(self, chunk: dict[str, Any], clock: float) -> None:
        cutoff = clock - self.customer_ttl_s
        stale = [cid for cid, record in chunk["c"].items() if record.get("newest_s", 0) < cutoff]
        for cid in stale:
            del chunk["c"][cid]
        self.pending.evicted += len(stale)


def _messages(clock: float, parts: list[dict[str, Any]]) -> Iterator[bytes]:
    """One stage-2 message per partition and flush (the clock tick rides along), split by
    view keys when it would exceed MESSAGE_BUDGET bytes. Each key's buckets are encoded
    once; the message text is assembled from those pieces."""
    head = f'{{"tick":{json.dumps(clock)},"parts":['
    done: list[str] = []          # finished part texts of the current message
    size = 0
    for part in parts:
        opening = (f'{{"s":{json.dumps(part["s"])},"lo":{part["lo"]},"hi":{part["hi"]},'
                   '"keys":{')
        pieces: list[str] = []
        for key, buckets in part["keys"].items():
            piece = f"{json.dumps(key)}:{json.dumps(buckets)}"
            if size + len(piece) > MESSAGE_BUDGET and (pieces or done):
                if pieces:
                    done.append(opening + ",".join(pieces) + "}}")
                yield (head + ",".join(done) + "]}").encode()
                done, pieces, size = [], [], 0
            pieces.append(piece)
            size += len(piece)
        if pieces:
            done.append(opening + ",".join(pieces) + "}}")
    yield (head + ",".join(done) + "]}").encode()


@dataclass
class Snapshot:
    """One flush: intent (meta), partials, chunk records, the events it acks, its counts."""

    meta: bytes                         # the cuts, marked not sent
    sent: bytes                         # the same cuts, marked sent
    partials: list[tuple[int, bytes]]   # (stage-2 partition, message)
    chunks: list[tuple[bytes, bytes]]
    events: list[Any]
    pending: Pending
    clock: float
    contributions: list[tuple[str, Contributions]]


__all__ = ["Ledger", "Snapshot", "Outcome"]
