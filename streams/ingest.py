"""Stage 1 ingest: validate, dead-letter, de-duplicate and count every event of a source topic.

One agent per source topic. A message is a single event or an envelope; each event is checked
against the contract, rejected ones go to the dead-letter topic with their reason and bytes, and
accepted ones are remembered per customer so a redelivered copy is dropped and counted.
"""

import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from faust.types import EventT, StreamT, TopicT

from metrics.dedupe import remember
from metrics.events import Limits, Rejection, decode_message, reasons
from metrics.exposition import IngestMetrics
from streams.customers import CustomerStore
from streams.deadletter import deadletter_value
from streams.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class IngestContext:
    """What every ingest agent shares: settings, instruments, customer state, dead-letter topic."""

    settings: Settings
    metrics: IngestMetrics
    customers: CustomerStore
    deadletter: TopicT
    watermarks: dict[tuple[str, int], float]
    positions: dict[tuple[str, int], int]

    limits: Limits = field(init=False)

    def __post_init__(self) -> None:
        # Built once: handle_message runs per message and must not rebuild it.
        self.limits = self.settings.input_limits()


async def _dead_letter(
    ctx: IngestContext, topic: str, event: EventT, rejection: Rejection
) -> None:
    message = event.message
    ctx.metrics.rejected.labels(topic, rejection.reason).inc()
    value = deadletter_value(rejection, topic, message.partition, message.offset,
                             ctx.settings.worker_id)
    try:
        await ctx.deadletter.send(key=message.key, value=value)
    except Exception:
        ctx.metrics.deadletter_errors.labels(topic).inc()
        log.exception("could not dead-letter %s[%d]@%d", topic, message.partition, message.offset)


async def handle_message(ctx: IngestContext, kind: str, topic: str, event: EventT) -> None:
    """Process one Kafka message of ``topic`` (events of type ``kind``)."""
    message = event.message
    ctx.positions[(topic, message.partition)] = message.offset
    decoded = decode_message(event.value, kind, ctx.limits)
    ctx.metrics.messages.labels(topic, "envelope" if decoded.envelope else "single").inc()
    for rejection in decoded.rejected:
        await _dead_letter(ctx, topic, event, rejection)
    if not decoded.events:
        return
    by_customer: dict[str, list[Any]] = {}
    for item in decoded.events:
        by_customer.setdefault(item.customer_id, []).append(item)
    settings, partition = ctx.settings, message.partition
    accepted = duplicates = forgotten = 0
    now_s = time.time()
    newest_s = ctx.watermarks.get((topic, partition), 0.0)
    age = ctx.metrics.event_age.labels(topic)
    for customer_id, items in by_customer.items():
        record = ctx.customers.load(partition, customer_id)
        changed = False
        for item in items:
            occurred_s = item.occurred_at.timestamp()
            duplicate, dropped = remember(
                record, item.event_id, occurred_s, settings.dedupe_window_s,
                settings.dedupe_max_ids,
            )
            forgotten += dropped
            if duplicate:
                duplicates += 1
                continue
            changed = True
            accepted += 1
            newest_s = max(newest_s, occurred_s)
            age.observe(now_s - occurred_s)
        if changed:
            ctx.customers.save(partition, customer_id, record)
    ctx.watermarks[(topic, partition)] = newest_s
    ctx.customers.evict_idle(partition, newest_s)
    ctx.metrics.accepted.labels(topic).inc(accepted)
    ctx.metrics.duplicates.labels(topic).inc(duplicates)
    ctx.metrics.dedupe_forgotten.inc(forgotten)


def ingest_agent(
    ctx: IngestContext, kind: str, topic: str
) -> Callable[[StreamT], Coroutine[Any, Any, None]]:
    """The agent body for one source topic; it never lets an input error escape."""

    async def ingest(stream: StreamT) -> None:
        async for event in stream.events():
            try:
                await handle_message(ctx, kind, topic, event)
            except Exception as error:
                log.exception("processing failed for %s[%d]@%d", topic,
                              event.message.partition, event.message.offset)
                rejection = Rejection(reasons.PROCESSING_ERROR, repr(error)[:500],
                                      event.value or b"")
                await _dead_letter(ctx, topic, event, rejection)

    ingest.__name__ = f"ingest_{kind}"
    ingest.__qualname__ = ingest.__name__
    return ingest
