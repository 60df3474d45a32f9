"""Stage 1 around its ledgers: a message that awaited across a rebalance is left for
redelivery; messages are applied in offset order (seeking back over gaps, streams/positions.py);
a flush sends partials only once its chunks are written."""

import asyncio
import json
from typing import Any

from prometheus_client import CollectorRegistry

from metrics.events import CallEvent
from streams.serving.counters import ViewCounters
from streams.serving.ingest import IngestMetrics
from streams.ingest import IngestContext, handle_message
from streams.settings import Settings
from streams.stage1 import Stage1
from tests import factories

from tests.factories import questionnaires

CATALOGUE = questionnaires()

TOPIC = "cx.calls"


class Consumer:
    def __init__(self, earliest: int = 0) -> None:
        self.seeks: list[tuple[Any, int]] = []
        self.positions: dict[tuple[str, int], int] = {}
        self.earliest = earliest

    async def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def position(self, tp: Any) -> int | None:
        return self.positions.get((tp.topic, tp.partition))

    async def earliest_offsets(self, *tps: Any) -> dict[Any, int]:
        return {tp: self.earliest for tp in tps}


class App:
    def __init__(self, earliest: int = 0) -> None:
        self.consumer_generation_id = 4
        self.consumer = Consumer(earliest)


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

    def __init__(self, app: App, rebalance: bool) -> None:
        self.app, self.rebalance, self.sent = app, rebalance, 0

    async def send(self, key: Any, value: bytes) -> None:
        self.sent += 1
        await asyncio.sleep(0)
        if self.rebalance:
            self.app.consumer_generation_id += 1


VIEWS = Settings().active_views()


def envelope_with_one_invalid() -> bytes:
    events = [factories.call(), factories.call(), {"type": "call", "event_id": "broken"}]
    return json.dumps({"type": "envelope", "events": events}).encode()


def context(rebalance: bool, earliest: int = 0) -> tuple[IngestContext, DeadLetters,
                                                         IngestMetrics]:
    app = App(earliest)
    settings = Settings()
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry, [TOPIC])
    stage1 = Stage1(app, settings, {}, None, metrics, ViewCounters(VIEWS, CATALOGUE), VIEWS)
    stage1.assign({1})
    dead = DeadLetters(app, rebalance)
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


def restarted(bounds: list[list[Any]]) -> tuple[Stage1, Consumer, IngestMetrics]:
    """A stage 1 whose partition 1 flushed ``bounds`` of TOPIC before a crash."""
    app = App(earliest=5)
    metrics = IngestMetrics(CollectorRegistry(), [TOPIC])
    table = {b"1/meta": json.dumps({"bounds": {TOPIC: bounds}}).encode()}
    stage1 = Stage1(app, Settings(), table, None, metrics, ViewCounters(VIEWS, CATALOGUE), VIEWS)
    stage1.assign({1})
    return stage1, app.consumer, metrics  # type: ignore[attr-defined]


def seeks(consumer: Consumer) -> list[tuple[str, int, int]]:
    return [(tp.topic, tp.partition, offset) for tp, offset in consumer.seeks]


def in_order(stage1: Stage1, offset: int) -> bool:
    return asyncio.run(stage1.in_order(stage1.ledger(1), TOPIC, offset))


def read(stage1: Stage1, offset: int) -> None:
    """The message at ``offset`` applied (tracked) by partition 1's ledger."""
    stage1.ledger(1).track(TOPIC, offset, object())


def test_a_start_past_the_last_sent_cut_seeks_back_to_it():
    stage1, consumer, metrics = restarted([[20, 0.0, True], [42, 0.0, True]])
    assert in_order(stage1, 100) is False
    assert seeks(consumer) == [(TOPIC, 1, 43)]
    # Messages fetched before the seek keep coming: dropped, without seeking again.
    assert in_order(stage1, 101) is False
    assert len(consumer.seeks) == 1
    assert in_order(stage1, 43) is True
    assert metrics.source_seeks.labels(TOPIC)._value.get() == 1


def test_a_start_at_or_before_the_restart_offset_needs_no_seek():
    stage1, consumer, _ = restarted([[42, 0.0, True], [57, 0.0, False]])
    # The unsent cut at 57 is replayed: reading must start at or before 43.
    assert in_order(stage1, 43) is True
    assert in_order(stage1, 10) is True
    assert consumer.seeks == []


def test_a_partition_without_state_starts_at_its_earliest_offset():
    stage1, consumer, _ = restarted([])          # earliest offset 5
    assert in_order(stage1, 9) is False
    assert seeks(consumer) == [(TOPIC, 1, 5)]
    assert in_order(stage1, 5) is True


def test_a_gap_in_the_middle_seeks_back_and_copies_of_applied_messages_are_dropped():
    stage1, consumer, _ = restarted([])
    for offset in (5, 6, 7):
        assert in_order(stage1, offset) is True
        read(stage1, offset)
    assert in_order(stage1, 9) is False          # 8 never came
    assert seeks(consumer) == [(TOPIC, 1, 8)]
    assert in_order(stage1, 8) is True
    read(stage1, 8)
    assert in_order(stage1, 7) is False          # fetched again after the seek: applied already
    assert in_order(stage1, 9) is True


def test_a_gap_is_sought_again_then_accepted_and_counted(monkeypatch):
    stage1, consumer, metrics = restarted([[42, 0.0, True]])
    clock = [1000.0]
    monkeypatch.setattr("streams.stage1.time.monotonic", lambda: clock[0])
    assert in_order(stage1, 500) is False
    clock[0] += 1.0
    assert in_order(stage1, 501) is False       # in flight: dropped, no second seek yet
    assert len(consumer.seeks) == 1
    clock[0] += 2.0
    assert in_order(stage1, 502) is False       # still past the gap: the seek did not take
    assert seeks(consumer) == [(TOPIC, 1, 43), (TOPIC, 1, 43)]
    clock[0] += 28.0
    assert in_order(stage1, 503) is True        # 31 s after the first seek: a real gap
    assert metrics.source_skipped.labels(TOPIC)._value.get() == 503 - 43


class TP:
    def __init__(self, topic: str, partition: int) -> None:
        self.topic, self.partition = topic, partition


def test_the_watch_seeks_a_partition_fetched_past_what_was_delivered():
    stage1, consumer, _ = restarted([[42, 0.0, True]])
    stage1.ledger(1)
    consumer.positions[(TOPIC, 1)] = 120     # fetched to the end, nothing delivered
    for _ in range(2):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert consumer.seeks == []              # two looks are not a stall
    asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert seeks(consumer) == [(TOPIC, 1, 43)]


def test_the_watch_reads_an_idle_partitions_restart_offset_from_its_saved_cuts():
    stage1, consumer, _ = restarted([[42, 0.0, True]])   # no message since the restart
    consumer.positions[(TOPIC, 1)] = 43      # committed there, nothing new: idle
    for _ in range(4):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert consumer.seeks == []              # not sent back to the log start (5)


def test_the_watch_leaves_a_partition_that_moves_alone():
    stage1, consumer, _ = restarted([])
    read(stage1, 10)
    consumer.positions[(TOPIC, 1)] = 30
    for _ in range(2):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    read(stage1, 11)                          # progress since the last look
    for _ in range(2):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    consumer.positions[(TOPIC, 1)] = 12       # caught up
    for _ in range(4):
        asyncio.run(stage1.positions.watch(stage1.needed([TP(TOPIC, 1)])))
    assert consumer.seeks == []


class Changelog(dict):
    """A table whose changelog sends stay pending until the test says they were written."""

    def __init__(self) -> None:
        super().__init__()
        self.sends: list[tuple[bytes, asyncio.Future]] = []

    @property
    def data(self) -> "Changelog":
        return self

    def send_changelog(self, partition: int, key: bytes, value: bytes) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.sends.append((key, future))
        return future

    def confirm(self) -> None:
        for _, future in self.sends:
            if not future.done():
                future.set_result(None)


class Partials:
    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, key: Any, value: bytes, partition: int) -> asyncio.Future:
        self.sent.append(partition)
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class Acked:
    """A Faust event as the flush sees it: a partition, weak-referenceable, ackable."""

    def __init__(self) -> None:
        self.message = Message(1, 0, None)
        self.acks = 0

    def ack(self) -> None:
        self.acks += 1


def test_a_flush_sends_partials_only_once_its_chunks_are_written():
    """Faust's Producer.flush may return with records still buffered; the flush waits for
    each changelog record itself, or a crash could leave partials delivered for chunks that
    never were (the replay would then cut different partials for the same offsets)."""
    table, partials = Changelog(), Partials()
    stage1 = Stage1(App(), Settings(), table, partials,
                    IngestMetrics(CollectorRegistry(), [TOPIC]), ViewCounters(VIEWS, CATALOGUE), VIEWS)
    stage1.assign({1})
    ledger = stage1.ledger(1)
    event = Acked()
    ledger.apply(TOPIC, 0, CallEvent.model_validate(factories.call()))
    ledger.track(TOPIC, 0, event)

    async def scenario() -> None:
        flush = asyncio.create_task(stage1.flush(ledger))
        for _ in range(5):
            await asyncio.sleep(0)
        assert [key for key, _ in table.sends] == [b"1/meta"] and partials.sent == []
        table.confirm()                      # the intent is written: chunks go out
        for _ in range(5):
            await asyncio.sleep(0)
        assert len(table.sends) == 2 and partials.sent == []
        table.confirm()                      # chunks written: now the partials
        for _ in range(5):
            await asyncio.sleep(0)
        assert partials.sent and event.acks == 0
        table.confirm()                      # meta marked sent: then the acks
        await flush
        assert [key for key, _ in table.sends][-1] == b"1/meta" and event.acks == 1

    asyncio.run(scenario())
