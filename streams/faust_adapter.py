"""Faust's consumer and tables as the stages need them: every use of Faust internals.

The stages (streams/stage1.py, stage2.py, ingest.py, history/sink.py) and the position checks
(streams/positions.py) use a :class:`StreamHost`, so they read as if Faust's consumer worked
and can be tested with a fake (tests/unit/streams/fake_host.py). :class:`FaustHost` is the
production host. What it hides, and why:

- **Current-event scoping** (:meth:`StreamHost.scoped`). A table writes its changelog record
  to the partition of Faust's current event, and rocksdb picks its database the same way, so
  state of partition ``p`` may only be written while an event of ``p`` is current. A timer has
  none; it borrows the partition's last event. Faust keeps the current event in a private
  context variable (``faust.streams._current_event``) and offers no public way to set it.
- **Changelog writes that can be awaited, in bulk** (:meth:`StreamHost.write`).
  ``table[key] = value`` drops the changelog send's future, and ``Producer.flush`` gives up on
  its buffer after 0.1 s without progress, returning with records still buffered. Writing the
  store (``table.data``) and sending the changelog records ourselves keeps the futures. A
  flush writes thousands of records; Faust sends each through its buffer as a batch of its
  own (the embedded profile even allows only one record per batch), so all but the last go
  to aiokafka as whole batches of up to :data:`BULK_BATCH_BYTES` through Faust's producer
  (``send_batch``), same topic, key and partition as Faust would use. The last goes alone,
  so a changelog partition always ends with a one-record batch (Tansu answers
  ListOffsets(latest) with the last batch's base offset + 1, docs/decisions.md).
  ``CXPULSE_CHANGELOG_BULK=false`` sends every record through Faust's own send.
- **Generation checks** (:meth:`StreamHost.is_stale`). A message fetched before the latest
  rebalance carries the older generation; Faust skips such messages when it hands them out,
  not when their processing awaited across the rebalance.
- **Positions and seeks** (:meth:`StreamHost.earliest`, ``position``, ``seek``,
  ``highwater``). Faust's consumer drops records fetched while a partition is paused after
  aiokafka moved past them, and acks messages it skips across a rebalance
  (faust-streaming issues #216, #221, #312, #502, #596, #629; docs/architecture.md, "Consumer
  positions"). streams/positions.py decides when to seek; this module only reaches the
  consumer.
- **Assignment** (:meth:`StreamHost.assigned`). Tables also hold standby copies of partitions
  other workers own; only the assignor knows which partitions are actively assigned.
- **Stopping** (:meth:`StreamHost.stopping`). Faust stops its producer while timers and
  agents still run, so a flush in flight then fails; the stages treat that as the end of
  the run, not a crash.
- **Whether the consumer is settled** (:meth:`StreamHost.settled`, ``fetching``): not
  restoring tables, not rebalancing, flow not stopped.
"""

import asyncio
import weakref
from collections.abc import Awaitable, Iterable, Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, runtime_checkable

import faust
from aiokafka.errors import ProducerClosed
from aiokafka.producer.message_accumulator import BatchBuilder
from faust.exceptions import NotReady
from faust.streams import _current_event
from faust.types import TP, EventT, StreamT, TopicT

__all__ = ["BULK_BATCH_BYTES", "EventT", "FaustHost", "StreamHost", "StreamT", "TP", "TopicT",
           "written"]

#: Bytes per bulk changelog batch; a state record larger than this goes in a batch of its own
#: (aiokafka's request limit, Kafka's 1 MiB by default, bounds one record).
BULK_BATCH_BYTES = 512 * 1024


@runtime_checkable
class StreamHost(Protocol):
    """What the stages need of Faust beyond its public API."""

    def scoped(self, event: Any) -> AbstractContextManager[None]:
        """Make ``event`` the current event (unless one of its partition already is), so
        table writes of its partition go to that partition's changelog and store."""
        ...

    async def write(self, table: MutableMapping[bytes, Any], partition: int,
                    records: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Set each (key, value) of ``records`` in ``table`` and its changelog partition
        ``partition`` (a None value deletes the key); return once the broker has every
        record, in order. Call inside :meth:`scoped`."""
        ...

    def is_stale(self, message: Any) -> bool:
        """True for a message fetched before the latest rebalance."""
        ...

    def generation(self) -> int | None:
        """The consumer group generation of the latest rebalance (for logs)."""
        ...

    def assigned(self) -> set[TP]:
        """The partitions actively assigned to this worker (never standbys)."""
        ...

    def settled(self) -> bool:
        """False while tables are restored or a rebalance is under way."""
        ...

    def fetching(self) -> bool:
        """False while the consumer's flow is stopped (around a rebalance)."""
        ...

    async def earliest(self, tp: TP) -> int | None:
        """The earliest offset of ``tp`` on the broker (None: unknown)."""
        ...

    async def position(self, tp: TP) -> int | None:
        """The offset the consumer fetches next from ``tp`` (None: unknown)."""
        ...

    async def seek(self, tp: TP, offset: int) -> None:
        """Send the consumer of ``tp`` back to ``offset``."""
        ...

    def highwater(self, tp: TP) -> int | None:
        """The offset after the last message of ``tp`` the consumer has seen (None or
        negative: unknown)."""
        ...

    def stopping(self, error: BaseException) -> bool:
        """Whether ``error`` is the producer refusing a send because the worker is stopping
        (a flush in flight when the stop began: its messages are not acked, and are read
        again at the next start)."""
        ...


async def written(futures: Iterable[Awaitable[Any]]) -> None:
    """Wait until every message send of ``futures`` (Faust topic sends) is written. A
    cancelled wait (the worker stopping) leaves the sends alone: cancelling Faust's futures
    makes its delivery callback fail on them."""
    pending = list(futures)
    if pending:
        await asyncio.gather(*(asyncio.shield(future) for future in pending))


class FaustHost:
    """:class:`StreamHost` over a running :class:`faust.App`."""

    def __init__(self, app: faust.App, bulk: bool = True) -> None:
        self.app = app
        self.bulk = bulk   # False: every record through Faust's own send, one batch each

    @contextmanager
    def _scope(self, event: Any) -> Iterator[None]:
        reference = _current_event.get(None)
        current = reference() if reference is not None else None
        if current is not None and current.message.partition == event.message.partition:
            yield
            return
        token = _current_event.set(weakref.ref(event))
        try:
            yield
        finally:
            _current_event.reset(token)

    def scoped(self, event: Any) -> AbstractContextManager[None]:
        return self._scope(event)

    async def write(self, table: Any, partition: int,
                    records: Iterable[tuple[bytes, bytes | None]]) -> None:
        items = list(records)
        if not items:
            return
        store = table.data
        for key, value in items:
            if value is None:
                store.pop(key, None)
            else:
                store[key] = value
        single = items if not self.bulk else items[-1:]
        futures = [] if not self.bulk else await self._send_bulk(table, partition, items[:-1])
        futures.extend(table.send_changelog(partition, key, value) for key, value in single)
        await written(futures)

    def _producer(self) -> Any:
        """Faust's aiokafka producer (started with the app)."""
        return self.app.producer._ensure_producer()

    async def _send_bulk(self, table: Any, partition: int,
                         items: list[tuple[bytes, bytes | None]]) -> list[Awaitable[Any]]:
        """Send ``items`` to the changelog partition as batches of up to BULK_BATCH_BYTES."""
        if not items:
            return []
        producer = self._producer()
        topic = table.changelog_topic.get_topic_name()
        futures: list[Awaitable[Any]] = []
        batch = None
        for key, value in items:
            if batch is not None and batch.append(timestamp=None, key=key,
                                                  value=value) is not None:
                continue
            if batch is not None:
                batch.close()
                futures.append(await producer.send_batch(batch, topic, partition=partition))
            batch = BatchBuilder(BULK_BATCH_BYTES, 0)   # 0: uncompressed
            batch.append(timestamp=None, key=key, value=value)   # the first always fits
        assert batch is not None
        batch.close()
        futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures

    def is_stale(self, message: Any) -> bool:
        generation = getattr(message, "generation_id", None)
        return generation is not None and generation != self.app.consumer_generation_id

    def generation(self) -> int | None:
        return self.app.consumer_generation_id

    def assigned(self) -> set[TP]:
        return set(self.app.assignor.assigned_actives())

    def settled(self) -> bool:
        return not (self.app.in_recovery or self.app.rebalancing)

    def fetching(self) -> bool:
        return bool(self.app.flow_control.is_active())

    async def earliest(self, tp: TP) -> int | None:
        return (await self.app.consumer.earliest_offsets(tp)).get(tp)

    async def position(self, tp: TP) -> int | None:
        return await self.app.consumer.position(tp)

    async def seek(self, tp: TP, offset: int) -> None:
        await self.app.consumer.seek(tp, offset)

    def highwater(self, tp: TP) -> int | None:
        return self.app.consumer.highwater(tp)

    def stopping(self, error: BaseException) -> bool:
        # aiokafka raises ProducerClosed once its producer stopped, Faust NotReady after.
        return isinstance(error, (ProducerClosed, NotReady)) and bool(self.app.should_stop)
