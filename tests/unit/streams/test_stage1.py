"""Stage 1 around its ledgers: a message that awaited across a rebalance is left for
redelivery; messages are applied in the offset order its ledger needs (the seeks themselves:
test_positions.py); a flush sends partials only once its chunks are written."""

import asyncio
import json
from typing import Any

from prometheus_client import CollectorRegistry

from metrics.events import CallEvent
from streams.serving.counters import ViewCounters
from streams.serving.ingest import IngestMetrics
from streams.ingest import IngestContext, handle_message
from streams.settings import Settings
from streams.faust_adapter import TP
from streams.stage1 import Stage1
from tests import factories
from tests.factories import questionnaires
from tests.unit.streams.fake_host import FakeHost

CATALOGUE = questionnaires()

TOPIC = "cx.calls"


class Message:
    def __init__(self, partition: int, offset: int, generation_id: int | None) -> None:
        self.topic, self.partition, self.offset = TOPIC, partition, offset
        self.generation_id = generation_id
        self.key = None


class Event:
    def __init__(self, value: bytes, offset: int, generation_id: int | None) -> None:
        self.message = Message(1, offset, generation_id)
        self.value = value


class DeadLetters:
    """A dead-letter topic whose send lets a rebalance happen meanwhile."""

    def __init__(self, host: FakeHost, rebalance: bool) -> None:
        self.host, self.rebalance, self.sent = host, rebalance, 0

    async def send(self, key: Any, value: bytes) -> None:
        self.sent += 1
        await asyncio.sleep(0)
        if self.rebalance:
            self.host.current_generation += 1


VIEWS = Settings().active_views()


def envelope_with_one_invalid() -> bytes:
    events = [factories.call(), factories.call(), {"type": "call", "event_id": "broken"}]
    return json.dumps({"type": "envelope", "events": events}).encode()


def context(rebalance: bool, earliest: int = 0) -> tuple[IngestContext, DeadLetters,
                                                         IngestMetrics]:
    host = FakeHost(earliest)
    settings = Settings()
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry, [TOPIC])
    stage1 = Stage1(host, settings, {}, None, metrics, ViewCounters(VIEWS, CATALOGUE), VIEWS)
    stage1.assign({1})
    dead = DeadLetters(host, rebalance)
    return IngestContext(settings, metrics, stage1, dead), dead, metrics


def stale_count(metrics: IngestMetrics) -> float:
    return metrics.stale_messages.labels(TOPIC)._value.get()


def test_a_message_of_the_current_generation_is_applied():
    ctx, dead, metrics = context(rebalance=False, earliest=7)
    asyncio.run(handle_message(ctx, "call", TOPIC, Event(envelope_with_one_invalid(), 7, 4)))
    ledger = ctx.stage1.ledgers[1]
    assert dead.sent == 1
    assert ledger.pending.outcomes[(TOPIC, "accepted")] == 2
    assert ledger.cursors[TOPIC].position == 7 and len(ledger.events) == 1
    assert stale_count(metrics) == 0


def test_a_message_that_awaited_across_a_rebalance_is_left_for_redelivery():
    ctx, dead, metrics = context(rebalance=True, earliest=7)
    asyncio.run(handle_message(ctx, "call", TOPIC, Event(envelope_with_one_invalid(), 7, 4)))
    assert dead.sent == 1                        # dead-lettered (again on redelivery)
    ledger = ctx.stage1.ledger(1)
    assert not ledger.events and not ledger.cursors and not ledger.pending.outcomes
    assert stale_count(metrics) == 1


def test_a_message_without_a_generation_is_applied():
    """Events built outside a consumer (no generation) are never mistaken for stale ones."""
    ctx, _, metrics = context(rebalance=False, earliest=3)
    asyncio.run(handle_message(ctx, "call", TOPIC, Event(envelope_with_one_invalid(), 3, None)))
    assert ctx.stage1.ledgers[1].cursors[TOPIC].position == 3
    assert stale_count(metrics) == 0


def restarted(bounds: list[list[Any]]) -> tuple[Stage1, FakeHost, IngestMetrics]:
    """A stage 1 whose partition 1 flushed ``bounds`` of TOPIC before a crash."""
    host = FakeHost(earliest=5)
    metrics = IngestMetrics(CollectorRegistry(), [TOPIC])
    table = {b"1/meta": json.dumps({"bounds": {TOPIC: bounds}}).encode()}
    stage1 = Stage1(host, Settings(), table, None, metrics, ViewCounters(VIEWS, CATALOGUE), VIEWS)
    stage1.assign({1})
    return stage1, host, metrics


def in_order(stage1: Stage1, offset: int) -> bool:
    return asyncio.run(stage1.in_order(stage1.ledger(1), TOPIC, offset))


def read(stage1: Stage1, offset: int) -> None:
    """The message at ``offset`` applied (tracked) by partition 1's ledger."""
    stage1.ledger(1).track(TOPIC, offset, object())


def test_a_start_past_the_last_sent_cut_seeks_back_to_it():
    stage1, host, metrics = restarted([[20, 0.0, True], [42, 0.0, True]])
    assert in_order(stage1, 100) is False
    assert host.seeks == [(TOPIC, 1, 43)]
    # Messages fetched before the seek keep coming: dropped, without seeking again.
    assert in_order(stage1, 101) is False
    assert len(host.seeks) == 1
    assert in_order(stage1, 43) is True
    assert metrics.source_seeks.labels(TOPIC)._value.get() == 1


def test_a_start_at_or_before_the_restart_offset_needs_no_seek():
    stage1, host, _ = restarted([[42, 0.0, True], [57, 0.0, False]])
    # The unsent cut at 57 is replayed: reading must start at or before 43.
    assert in_order(stage1, 43) is True
    assert in_order(stage1, 10) is True
    assert host.seeks == []


def test_a_partition_without_state_starts_at_its_earliest_offset():
    stage1, host, _ = restarted([])          # earliest offset 5
    assert in_order(stage1, 9) is False
    assert host.seeks == [(TOPIC, 1, 5)]
    assert in_order(stage1, 5) is True


def test_a_gap_in_the_middle_seeks_back_and_copies_of_applied_messages_are_dropped():
    stage1, host, _ = restarted([])
    for offset in (5, 6, 7):
        assert in_order(stage1, offset) is True
        read(stage1, offset)
    assert in_order(stage1, 9) is False          # 8 never came
    assert host.seeks == [(TOPIC, 1, 8)]
    assert in_order(stage1, 8) is True
    read(stage1, 8)
    assert in_order(stage1, 7) is False          # fetched again after the seek: applied already
    assert in_order(stage1, 9) is True


def test_the_watch_seeks_a_partition_fetched_past_what_was_delivered():
    stage1, host, _ = restarted([[42, 0.0, True]])
    stage1.ledger(1)
    host.positions[(TOPIC, 1)] = 120     # fetched to the end, nothing delivered
    for _ in range(2):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert host.seeks == []              # two looks are not a stall
    asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert host.seeks == [(TOPIC, 1, 43)]


def test_the_watch_reads_an_idle_partitions_restart_offset_from_its_saved_cuts():
    stage1, host, _ = restarted([[42, 0.0, True]])   # no message since the restart
    host.positions[(TOPIC, 1)] = 43      # committed there, nothing new: idle
    for _ in range(4):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert host.seeks == []              # not sent back to the log start (5)


def test_the_watch_leaves_a_partition_that_moves_alone():
    stage1, host, _ = restarted([])
    read(stage1, 10)
    host.positions[(TOPIC, 1)] = 30
    for _ in range(2):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    read(stage1, 11)                          # progress since the last look
    for _ in range(2):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    host.positions[(TOPIC, 1)] = 12       # caught up
    for _ in range(4):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert host.seeks == []


class Partials:
    def __init__(self) -> None:
        self.sent: list[int] = []
        self.hold = False                 # deliveries wait for deliver()
        self.futures: list[asyncio.Future] = []

    async def send(self, key: Any, value: bytes, partition: int) -> asyncio.Future:
        self.sent.append(partition)
        future = asyncio.get_running_loop().create_future()
        if self.hold:
            self.futures.append(future)
        else:
            future.set_result(None)
        return future

    def deliver(self) -> None:
        for future in self.futures:
            future.set_result(None)
        self.futures = []


class Acked:
    """A Faust event as the flush sees it: a partition, weak-referenceable, ackable."""

    def __init__(self) -> None:
        self.message = Message(1, 0, None)
        self.acks = 0

    def ack(self) -> None:
        self.acks += 1


def flushing_stage() -> tuple[Stage1, FakeHost, Partials, Acked]:
    """A stage 1 whose partition 1 holds one applied message, with changelog writes held
    until the test confirms them."""
    host, partials = FakeHost(), Partials()
    host.hold = True
    stage1 = Stage1(host, Settings(), {}, partials, IngestMetrics(CollectorRegistry(), [TOPIC]),
                    ViewCounters(VIEWS, CATALOGUE), VIEWS)
    stage1.assign({1})
    ledger = stage1.ledger(1)
    event = Acked()
    ledger.apply(TOPIC, 0, CallEvent.model_validate(factories.call()))
    ledger.track(TOPIC, 0, event)
    return stage1, host, partials, event


async def settle() -> None:
    """Let every task run until it waits on something the test controls."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_flush_writes_customer_records_only_once_every_partial_is_delivered():
    """Faust's Producer.flush may return with records still buffered; the flush waits for
    each record itself. A customer record written before every partial was delivered would
    make the replay skip its events, and the partials it cuts for the same offsets would lack
    them."""
    stage1, host, partials, event = flushing_stage()
    partials.hold = True

    async def scenario() -> None:
        flush = asyncio.create_task(stage1.flush(stage1.ledger(1)))
        await settle()
        # the partials themselves (the outbox), then the intent that names them
        intent = [(1, b"1/out/0"), (1, b"1/out/1"), (1, b"1/out/2"), (1, b"1/out/3"),
                  (1, b"1/meta")]
        assert host.writes == intent and partials.sent == []
        host.confirm()                       # the intent is written: partials go out
        await settle()
        assert partials.sent == [0, 1, 2, 3] and host.writes == intent   # every target
        partials.deliver()                   # every partial delivered: customer records
        await settle()
        assert len(host.writes) == 6 and host.writes[-1][1].startswith(b"1/c/")
        host.confirm()
        await settle()
        assert host.writes[-1] == (1, b"1/meta") and event.acks == 0
        host.confirm()                       # meta marked sent: then the acks
        await flush
        assert event.acks == 1

    asyncio.run(scenario())
