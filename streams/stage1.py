"""Stage 1 flushes: the ordering that makes a crash lose nothing and count nothing twice.

Messages are read with manual acks. Their events change in-memory ledgers (streams/ledger.py);
a flush of partition ``p`` then, in this order and awaiting each step (every record of a step
acknowledged by the broker: ``StreamHost.write``, streams/faust_adapter.py):

1. writes the flush's partial messages themselves to the changelog (the outbox,
   ``p/out/<i>``), then the ledger's ``meta`` record: the offsets this flush cuts at, marked
   not sent, and the outbox's size;
2. sends the partials (one message per stage-2 partition, with the clock tick);
3. writes the records of the customers this flush changed, stamped with the offsets they
   reflect;
4. writes ``meta`` again with the cuts marked sent;
5. acks the messages it covers (Faust commits acked offsets) and moves the counters.

A crash before 5 redelivers the messages. Events whose customer record was written skip. If
the last cut is not marked sent, the next owner sends the outbox again byte for byte at its
first flush (stage 2 ignores the parts it has by offset range) and the replay of that cut
only rebuilds customer state: components computed again could fall in the other topic's
range than the first time (a first-contact failure is found by whichever side comes second),
and stage 2 would count them twice. Up to a cut marked sent, replayed events only rebuild
state.

Changelog records go to the partition of Faust's current event, so a flush always runs with an
event of partition ``p`` as the current event (``StreamHost.scoped``).
"""

import logging
import time
from collections import Counter
from typing import Any

from metrics.contributions import AgentCap
from metrics.history import HistoryProjector
from metrics.views import Projector, View, view_name
from streams.faust_adapter import StreamHost, written
from streams.flushing import REVOKE_WAIT_S, drop_revoked
from streams.ledger import Ledger, Snapshot, meta_key
from streams.partitioning import partition_for_key
from streams.positions import Positions
from streams.serving.counters import ViewCounters
from streams.serving.ingest import IngestMetrics
from streams.settings import Settings

log = logging.getLogger(__name__)


class Stage1:
    """Ledgers of the partitions this worker processes, and their flushes."""

    #: How long a revocation waits for a revoked partition's flush in progress.
    revoke_wait_s = REVOKE_WAIT_S

    def __init__(self, host: StreamHost, settings: Settings, table: Any, partials: Any,
                 metrics: IngestMetrics, counters: ViewCounters,
                 views: dict[str, View]) -> None:
        self.host = host
        self.settings = settings
        self.table = table
        self.partials = partials
        self.metrics = metrics
        self.counters = counters
        self.rules = settings.catalogue_rules()
        self.agents = AgentCap(settings.agent_cut, settings.agent_cap)
        # Full segments ride along for the history store's days (streams/history/closing.py).
        self.projector = HistoryProjector(views.values())
        self.ledgers: dict[int, Ledger] = {}
        self.totals: Counter[tuple[str, str]] = Counter()  # (topic, outcome) since start
        self.active: set[int] = set()
        self._routes: dict[str, int] = {}
        self.positions = Positions(host, metrics.source_seeks, metrics.source_skipped)
        self._targets = list(range(settings.topic_partitions))
        self._views = views

    def route(self, key: str) -> int:
        """The stage-2 partition of view key ``key``: Kafka's default murmur2 partitioning of
        the key, or of its ``route_by`` part (metrics/views.py: a journey's stages together).
        A key of no view (the history's full segments, ``#segment|...``) routes by itself."""
        target = self._routes.get(key)
        if target is None:
            view = self._views.get(view_name(key))
            routed = key if view is None else view.route_key(key)
            target = self._routes[key] = partition_for_key(routed.encode(), self._targets)
        return target

    def assign(self, partitions: set[int]) -> None:
        """Partitions whose ledgers may flush (from Faust's on_partitions_assigned)."""
        self.active = set(partitions)
        self.positions.forget()

    def position(self, topic: str, partition: int) -> int | None:
        """The last offset of ``topic``/``partition`` this worker processed, if any."""
        ledger = self.ledgers.get(partition)
        cursor = ledger.cursors.get(topic) if ledger is not None else None
        return cursor.position if cursor is not None else None

    def expected(self, ledger: Ledger, topic: str) -> int | None:
        """The next offset ``ledger`` needs from ``topic``: after its last applied or held
        message (Ledger.hold), or, before the first, after its last cut marked sent (None: nothing saved, so the
        partition's earliest offset, which streams/positions.py looks up)."""
        position = ledger.read_position(topic)
        if position is not None:
            return position + 1
        return ledger.restart_offset(topic)

    async def in_order(self, ledger: Ledger, topic: str, offset: int) -> bool:
        """Whether the message at ``offset`` may be applied (streams/positions.py); a later
        one than the ledger needs sends the consumer back. It may await: check the ledger is
        still current afterwards."""
        first = ledger.read_position(topic) is None
        return await self.positions.in_order(topic, ledger.partition, offset,
                                             self.expected(ledger, topic), first)

    def needed(self, partitions: list[Any]) -> list[tuple[Any, int | None]]:
        """(tp, offset needed next) of source partitions, for Positions.watch."""
        # The ledger is loaded (from the recovered table) if no message made it yet: an idle
        # partition's restart offset comes from its saved cuts, not from the log start.
        return [(tp, self.expected(self.ledger(tp.partition), tp.topic))
                for tp in partitions if tp.partition in self.active]

    def ledger_of(self, event: Any) -> Ledger:
        """The ledger for ``event``, or a throw-away one when the event was fetched before the
        latest rebalance. Faust skips such events when it hands them out, but one whose
        processing awaited across the rebalance (a dead-letter send) arrives after it; applied
        to the new ledger it would run ahead of the redelivery from the committed offset and
        move the watermark past events not yet read again (they would count as late)."""
        message = event.message
        if self.host.is_stale(message):
            self.metrics.stale_messages.labels(message.topic).inc()
            log.info("%s[%d]@%d was fetched before the rebalance to generation %s: left for "
                     "redelivery", message.topic, message.partition, message.offset,
                     self.host.generation())
            return self._throwaway(message.partition)
        return self.ledger(message.partition)

    def _throwaway(self, partition: int) -> Ledger:
        return Ledger(partition, {}, self.rules, self.agents, 0.0, self.route,
                      self.projector, 0, detached=True)

    def ledger(self, partition: int) -> Ledger:
        ledger = self.ledgers.get(partition)
        if ledger is None:
            if partition not in self.active:
                # A message still in flight when its partition was revoked: it gets a
                # throw-away ledger that never flushes; the new owner processes it again.
                log.info("message for partition %d after its revocation: not flushed",
                         partition)
                return self._throwaway(partition)
            ledger = self.ledgers[partition] = Ledger(
                partition, self.table, self.rules, self.agents,
                self.settings.customer_ttl_s, self.route, self.projector,
                self.settings.topic_partitions, self.settings.customers_cached_per_partition)
        return ledger

    def due(self, ledger: Ledger, now: float) -> bool:
        return ledger.since_flush >= self.settings.flush_max_messages or (
            ledger.since_flush > 0 and now - ledger.flushed_at >= self.settings.flush_interval_s)

    async def maybe_flush(self, partition: int) -> None:
        """Flush the ledger of ``partition`` if it has one, it is due and not flushing already
        (called per message)."""
        ledger = self.ledgers.get(partition)
        if (ledger is not None and not ledger.flushing.active
                and self.due(ledger, time.monotonic())):
            await self.flush(ledger)

    async def flush_idle(self) -> None:
        """Timer: flush ledgers whose events have waited a flush interval."""
        now = time.monotonic()
        for ledger in list(self.ledgers.values()):
            if (ledger.flushing.active or not self.due(ledger, now)
                    or ledger.last_event is None):
                continue
            await self.flush(ledger)

    async def flush(self, ledger: Ledger) -> None:
        if ledger.detached or ledger.last_event is None:
            return
        with self.host.scoped(ledger.last_event):   # the sweep reads the partition's store
            snap = ledger.snapshot()
        if snap is None:
            return
        started = time.perf_counter()
        try:
            with ledger.flushing.running(), self.host.scoped(ledger.last_event):
                await self._write(ledger, snap)
        finally:
            ledger.flushed_at = time.monotonic()
        self.metrics.flush_seconds.observe(time.perf_counter() - started)
        self.metrics.state_records.inc(len(snap.records) + 2)
        self.metrics.state_bytes.inc(
            len(snap.meta) + len(snap.sent) + sum(len(value or b"") for _, value in snap.records))
        if self.ledgers.get(ledger.partition) is not ledger:
            return  # revoked meanwhile: the new owner replays these messages
        for event in snap.events:
            event.ack()
        self._count(snap)

    async def _write(self, ledger: Ledger, snap: Snapshot) -> None:
        host, table, partition = self.host, self.table, ledger.partition
        # The partials themselves first (the outbox), then the intent that names them.
        await host.write(table, partition, [*snap.outbox, (meta_key(partition), snap.meta)])
        await written([await self.partials.send(key=None, value=value, partition=target)
                       for target, value in snap.partials])
        await host.write(table, partition, snap.records)
        await host.write(table, partition, [(meta_key(partition), snap.sent)])

    def _count(self, snap: Snapshot) -> None:
        metrics, pending = self.metrics, snap.pending
        for (topic, outcome), count in pending.outcomes.items():
            metrics.outcome(topic, outcome).inc(count)
            self.totals[(topic, outcome)] += count
        for (topic, reason), count in pending.rejected.items():
            metrics.rejected.labels(topic, reason).inc(count)
            self.totals[(topic, "rejected")] += count
        for (topic, fmt), count in pending.messages.items():
            metrics.messages.labels(topic, fmt).inc(count)
        for anomaly, count in pending.anomalies.items():
            metrics.ticket_anomalies.labels(anomaly).inc(count)
        metrics.dedupe_forgotten.inc(pending.forgotten)
        if pending.evicted:
            metrics.customers_evicted.labels("ttl").inc(pending.evicted)
        self.counters.add((segment, bucket) for _, out in snap.contributions
                          for (segment, _minute), bucket in out.buckets.items())
        metrics.flushes.inc()
        metrics.agent_overflow.set(self.agents.overflowed)

    async def revoke(self, partitions: set[int]) -> None:
        """Drop the ledgers of revoked partitions after any flush in progress has finished."""
        self.active -= partitions
        await drop_revoked(self.ledgers, partitions, self.metrics.revoke_waits_abandoned,
                           self.revoke_wait_s)
