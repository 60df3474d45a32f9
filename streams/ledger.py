"""Stage-1 state of one source partition number: customer records, cursors, pending output.

A ledger holds, for partition ``p`` of every source topic (they are co-partitioned):

- one changelog record per customer (key ``p/c/<customer_id>``, streams/state.py), stamped
  with the offsets it reflects, so a replayed event whose effects are already in its record
  is skipped; a flush writes only the customers its events touched, so its cost follows what
  changed, not how many customers there are;
- decoded records of at most ``cache_customers`` customers (the rest stay encoded in the
  table, bounded by the TTL: a sweep tombstones customers idle past it, a few per flush);
- one cursor per topic: position, event-time watermark, and the flush boundaries recovered from
  the ``meta`` record, so a replay after a crash cuts its partials at exactly the offsets the
  lost run used (stage 2 then recognises them by offset range);
- contributions per slot (topic, lo, hi) and counts waiting for the flush.

Everything here is synchronous: streams/stage1.py owns the awaits, the ordering and the acks.
"""

import logging
import time
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
from streams.state import (
    CustomerState,
    customer_key,
    customer_newest,
    customer_prefix,
    decode_customer,
    decode_meta_outbox,
    decode_record,
    encode_customer,
    encode_meta,
    encode_partials,
    encode_record,
    legacy_chunks,
    meta_key,
    outbox_key,
)

log = logging.getLogger(__name__)

BOUNDS_KEPT = 256
#: An open slot is cut (and a new one opened) before an event would make it span more than
#: this many distinct minutes of event time. A view key's share of a partial is then at most
#: this many minute buckets (about 4.5 KB each for the `all` view), which keeps every partials
#: message far under Kafka's 1 MiB even when a replay of history packs days of event time into
#: one flush. The cut is recorded in ``meta`` like a flush's, so a replay cuts there too.
MINUTES_PER_PARTIAL = 30
#: Customers the TTL sweep looks at per flush (a full pass over 250,000 customers of one
#: partition takes 125 flushes, about two minutes at the default interval).
SWEEP_PER_FLUSH = 2_000


@dataclass
class Cursor:
    """Where one topic of the partition stands."""

    lo: int                      # the open slot covers offsets (lo, position]
    wm: float                    # newest event time seen (every valid event moves it)
    replay: list[list[Any]]      # recovered cuts [hi, wm, sent] at or after the restart point
    position: int | None = None  # last offset applied
    held: int | None = None      # last offset read and held back (Ledger.hold), not applied yet


@dataclass
class Slot:
    topic: str
    lo: int
    hi: int | None               # None: the open slot, ending at the cursor position
    out: Contributions = field(default_factory=Contributions)
    minutes: set[int] = field(default_factory=set)   # event-time minutes (open slot only)
    top: int = -1                # the last offset with events in the slot (open slot only)


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
    """Stage-1 state of partition ``partition``; ``table`` is the changelogged state table."""

    def __init__(self, partition: int, table: Any, rules: CatalogueRules, agents: AgentCap,
                 customer_ttl_s: float, route: Callable[[str], int],
                 projector: Projector, targets: int, cache_customers: int = 10_000,
                 detached: bool = False) -> None:
        self.partition = partition
        self.detached = detached  # never flushed (its partition was revoked)
        self.route = route        # view key -> stage-2 partition
        self.projector = projector   # full segment -> view keys
        self.targets = targets    # stage-2 partitions
        self.table = table
        self.rules = rules
        self.agents = agents
        self.customer_ttl_s = customer_ttl_s
        self.cache_customers = cache_customers
        raw = table.get(meta_key(partition))
        self.bounds: dict[str, list[list[Any]]] = {}
        self.outbox_size = 0
        if raw:
            self.bounds, self.outbox_size = decode_meta_outbox(raw)
        # A flush cut off after its intent: its partials, exactly as it sent them, go again
        # at the next flush, and the replay of its cuts only rebuilds state (regenerated
        # components could fall in another topic's range than the first time).
        self.outboxed = {(topic, cut[0]) for topic, cuts in self.bounds.items()
                         for cut in cuts if not cut[2]}
        self.resend: list[tuple[int, bytes]] = []
        if self.outboxed:
            for number in range(self.outbox_size):
                found = table.get(outbox_key(partition, number))
                if found:
                    target, message = decode_record(found)
                    self.resend.append((int(target), bytes(message)))
        # The offsets each topic replays of a cut not marked sent end here. Customer records of
        # such a cut may be missing, so its events rebuild state, and the run that was cut
        # off had applied all of them before any later message of any topic. Later messages
        # wait until every topic is through (hold), or a first-contact failure the lost run
        # would have found with a later call is found by a rebuilt ticket, whose components
        # are discarded, and is lost.
        self.rebuild = self._rebuild_ends()
        self.held: list[Callable[[], None]] = []
        self.loaded: dict[str, CustomerState] = {}
        self.slots: dict[tuple[str, int, int | None], Slot] = {}
        self.dirty: set[str] = set()
        self.cuts: dict[str, list[list[Any]]] = {}   # cuts inside this flush, per topic
        self.removed: list[bytes] = []    # keys to tombstone at the next flush
        self._sweep: list[bytes] = []
        self._upgrade()
        self.cursors: dict[str, Cursor] = {}
        self.pending = Pending()
        self.events: list[Any] = []   # Faust events to ack after the flush
        self.last_event: Any = None
        self.flushing = Flushing()
        self.since_flush = 0
        self.flushed_at = time.monotonic()

    def _upgrade(self) -> None:
        """State written by the chunked layout (before v2): its customers become records of
        their own at the next flush, and the chunk records are deleted."""
        for key, customers, applied in legacy_chunks(self.table, self.partition):
            for customer_id, record in customers.items():
                self.loaded[customer_id] = CustomerState(dict(applied), record)
                self.dirty.add(customer_id)
            self.removed.append(key)
        if self.removed:
            log.warning("partition %d: %d chunk records of the old state layout converted to "
                        "%d customer records", self.partition, len(self.removed),
                        len(self.loaded))

# -- cursors and slots -------------------------------------------------------------
    def cursor(self, topic: str, offset: int) -> Cursor:
        cursor = self.cursors.get(topic)
        if cursor is None:
            bounds = sorted(self.bounds.get(topic, []))
            before = [bound for bound in bounds if bound[0] < offset]
            lo, wm = (before[-1][0], before[-1][1]) if before else (offset - 1, 0.0)
            replay = [bound for bound in bounds if bound[0] >= offset]
            cursor = self.cursors[topic] = Cursor(
                lo, wm, [[b[0], b[1], bool(b[2]) or (topic, b[0]) in self.outboxed]
                         for b in replay])
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
        else:   # past every recovered cut (and past any cut made since: cursor.lo)
            key = (topic, max(lo, cursor.lo), None)
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = Slot(topic, key[1], key[2])
        return slot

    def _bounded(self, topic: str, cursor: Cursor, slot: Slot, minute: int,
                 offset: int) -> Slot:
        """The open slot for an event of ``minute``: cut at the last applied message first
        when the event would make it span more than MINUTES_PER_PARTIAL minutes. Never
        inside a message: once one of its events is in the slot, the rest follow it (a replay
        puts a whole message on one side of the cut)."""
        if (minute not in slot.minutes and len(slot.minutes) >= MINUTES_PER_PARTIAL
                and offset > slot.top and cursor.position is not None
                and cursor.position > slot.lo):
            del self.slots[(topic, slot.lo, None)]
            slot.hi = cursor.position
            slot.minutes = set()
            self.slots[(topic, slot.lo, slot.hi)] = slot
            self.cuts.setdefault(topic, []).append([cursor.position, cursor.wm, False])
            cursor.lo = cursor.position
            found = self._slot(topic, cursor, offset)
            assert found is not None
            slot = found
        slot.minutes.add(minute)
        slot.top = offset
        return slot

    def _rebuild_ends(self) -> dict[str, int]:
        """Per topic with messages in a cut not marked sent: the end of that cut."""
        ends: dict[str, int] = {}
        for topic, cuts in self.bounds.items():
            unsent = [cut[0] for cut in cuts if (topic, cut[0]) in self.outboxed]
            sent = [cut[0] for cut in cuts if cut[2]]
            if unsent and max(unsent) > max(sent, default=-1):
                ends[topic] = max(unsent)
        return ends

    def _rebuilt(self) -> bool:
        """Forget the topics whose rebuild is through; True when none is left."""
        for topic, end in list(self.rebuild.items()):
            cursor = self.cursors.get(topic)
            if cursor is not None and cursor.position is not None and cursor.position >= end:
                del self.rebuild[topic]
        return not self.rebuild

    def must_hold(self, topic: str, offset: int) -> bool:
        """Whether the message of ``topic`` at ``offset`` must wait (``hold``): some topic
        still rebuilds from a cut not marked sent, and the message lies past its own topic's
        part of that cut (or its topic has none)."""
        if not self.rebuild or self._rebuilt():
            return False
        end = self.rebuild.get(topic)
        return end is None or offset > end

    def hold(self, topic: str, offset: int, apply: Callable[[], None]) -> None:
        """Keep a message back: ``apply`` applies and tracks it once every topic's rebuild is
        through (from ``track``), in the order the messages were held. Its offset counts as
        read, so the next message of its topic is in order."""
        if not self.held:
            log.info("partition %d: messages past the rebuilt cut wait until these topics reach "
                     "these offsets: %s", self.partition, self.rebuild)
        self.cursor(topic, offset).held = offset
        self.held.append(apply)

    def read_position(self, topic: str) -> int | None:
        """The last offset of ``topic`` applied or held, if any."""
        cursor = self.cursors.get(topic)
        if cursor is None:
            return None
        if cursor.held is not None and (cursor.position is None or cursor.held > cursor.position):
            return cursor.held
        return cursor.position

    def restart_offset(self, topic: str) -> int | None:
        """The offset reading of ``topic`` must start at or before: the one after its last cut
        marked sent (everything up to it is in the customer records and in stage 2). None when the
        partition has no sent cut for ``topic``: reading starts at the earliest offset."""
        sent = [bound[0] for bound in self.bounds.get(topic, []) if bound[2]]
        return max(sent) + 1 if sent else None

    def replaying(self) -> bool:
        """True while some recovered boundary has not been reached: no flush may cut there."""
        for cursor in self.cursors.values():
            if cursor.replay and (cursor.position is None
                                  or cursor.position < cursor.replay[-1][0]):
                return True
        return False

    # -- events ----------------------------------------------------------------------
    def _customer(self, customer_id: str) -> CustomerState:
        state = self.loaded.get(customer_id)
        if state is None:
            raw = self.table.get(customer_key(self.partition, customer_id))
            state = decode_customer(raw) if raw else CustomerState({}, {})
            self.loaded[customer_id] = state
        return state

    def apply(self, topic: str, offset: int, item: Any) -> Applied | None:
        """Apply one valid event read at ``offset``; None when its record already holds it."""
        cursor = self.cursor(topic, offset)
        state = self._customer(item.customer_id)
        at_s = item.occurred_at.timestamp()
        if offset <= state.a.get(topic, -1):
            cursor.wm = max(cursor.wm, at_s)
            self.pending.outcomes[(topic, "replayed")] += 1
            return None
        slot = self._slot(topic, cursor, offset)
        if slot is None:
            out = Contributions()  # discarded: stage 2 has this cut
        else:
            if slot.hi is None:
                slot = self._bounded(topic, cursor, slot, int(at_s) // 60, offset)
            out = slot.out
        applied = apply_event(self.rules, item, state.c, cursor.wm, self.agents, out)
        # max over every valid event equals max over accepted ones: a duplicate or late event
        # is never newer than the watermark.
        cursor.wm = max(cursor.wm, at_s)
        self.dirty.add(item.customer_id)
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
        if self.held and (not self.rebuild or self._rebuilt()):
            held, self.held = self.held, []
            for apply in held:
                apply()

    # -- flush -------------------------------------------------------------------------
    def clock(self) -> float:
        return max((cursor.wm for cursor in self.cursors.values()), default=0.0)

    def snapshot(self) -> "Snapshot | None":
        """Everything one flush writes, taken without awaiting (so it is consistent)."""
        if self.replaying() or not self.events:
            return None
        parts: dict[int, list[dict[str, Any]]] = {}
        merged_slots: list[tuple[str, Contributions]] = []
        for slot in self.slots.values():
            cursor = self.cursors.get(slot.topic)
            hi = slot.hi if slot.hi is not None else (cursor.position if cursor else None)
            if hi is None:
                continue
            merged_slots.append((slot.topic, slot.out))
            by_target: dict[int, dict[str, dict[int, dict[str, Any]]]] = {}
            for (segment, minute), bucket in slot.out.buckets.items():
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
        partials = [*self.resend, *((target, message) for target in range(self.targets)
                                    for message in encode_partials(clock, parts.get(target, [])))]
        self.resend = []
        positions = {topic: c.position for topic, c in self.cursors.items()
                     if c.position is not None}
        new_cuts: list[list[Any]] = []
        for topic, cursor in self.cursors.items():
            if cursor.position is None:
                continue
            new_cuts.extend(   # recovered cuts resent from the outbox, now passed
                cut for cut in self.bounds.get(topic, [])
                if (topic, cut[0]) in self.outboxed and cut[0] <= cursor.position)
            cuts = [*self.cuts.get(topic, []), [cursor.position, cursor.wm, False]]
            bounds = [b for b in self.bounds.get(topic, []) if b[0] < cuts[0][0]]
            self.bounds[topic] = [*bounds, *cuts][-BOUNDS_KEPT:]
            new_cuts.extend(cuts)
            cursor.lo = cursor.position
            cursor.replay = []
        meta = encode_meta(self.bounds, len(partials))
        for cut in new_cuts:   # only the cuts of this flush: another topic's recovered cut
            cut[2] = True      # may still be waiting for its replay
        sent = encode_meta(self.bounds, len(partials))
        outbox = [(outbox_key(self.partition, number), encode_record([target, message]))
                  for number, (target, message) in enumerate(partials)]
        outbox += [(outbox_key(self.partition, number), None)
                   for number in range(len(partials), self.outbox_size)]
        self.outbox_size = len(partials)
        self._trim()
        records: list[tuple[bytes, bytes | None]] = [(key, None) for key in self.removed]
        cutoff = clock - self.customer_ttl_s
        for customer_id in sorted(self.dirty):
            state = self.loaded[customer_id]
            key = customer_key(self.partition, customer_id)
            if state.c.get("newest_s", 0) < cutoff:
                records.append((key, None))
                del self.loaded[customer_id]
                self.pending.evicted += 1
                continue
            state.a.update(positions)
            records.append((key, encode_customer(state)))
        records.extend(self._swept(cutoff))
        snap = Snapshot(meta, sent, partials, records, self.events, self.pending, clock,
                        merged_slots, outbox)
        self.slots = {}
        self.cuts = {}
        self.dirty = set()
        self.removed = []
        self.events = []
        self.pending = Pending()
        self.since_flush = 0
        return snap

    def _swept(self, cutoff: float) -> Iterator[tuple[bytes, None]]:
        """Tombstones for customers idle past the TTL, looking at SWEEP_PER_FLUSH of the
        partition's customers per flush (a pass takes a list of the keys, then walks it)."""
        if not self._sweep:
            prefix = customer_prefix(self.partition)
            self._sweep = [key for key in self.table.keys() if key.startswith(prefix)]
        batch, self._sweep = self._sweep[:SWEEP_PER_FLUSH], self._sweep[SWEEP_PER_FLUSH:]
        skip = len(customer_prefix(self.partition))
        for key in batch:
            customer_id = key[skip:].decode()
            if customer_id in self.dirty:
                continue   # just written with its newest event
            state = self.loaded.get(customer_id)
            if state is not None:
                newest = state.c.get("newest_s", 0)
            else:
                raw = self.table.get(key)
                if raw is None:
                    continue
                newest = customer_newest(raw)
            if newest < cutoff:
                self.loaded.pop(customer_id, None)
                self.pending.evicted += 1
                yield key, None

    def _trim(self) -> None:
        """Keep at most ``cache_customers`` decoded records besides this flush's dirty ones:
        the oldest loaded go first. Each one dropped is in the table as the previous flush
        wrote it (a snapshot is taken only once that flush has ended), so it reads back
        whole."""
        extra = len(self.loaded) - len(self.dirty) - self.cache_customers
        if extra <= 0:
            return
        for customer_id in list(self.loaded):
            if customer_id not in self.dirty:
                del self.loaded[customer_id]
                extra -= 1
                if not extra:
                    break


@dataclass
class Snapshot:
    """One flush: intent (meta), partials, customer records, the events it acks, its counts."""

    meta: bytes                         # the cuts, marked not sent
    sent: bytes                         # the same cuts, marked sent
    partials: list[tuple[int, bytes]]   # (stage-2 partition, message)
    records: list[tuple[bytes, bytes | None]]   # customer records; None deletes
    events: list[Any]
    pending: Pending
    clock: float
    contributions: list[tuple[str, Contributions]]
    outbox: list[tuple[bytes, bytes | None]] = field(default_factory=list)  # before meta


__all__ = ["Ledger", "Snapshot", "Outcome", "meta_key"]
