"""Stage 1 ingest: validate, dead-letter, then hand every valid event to its partition's ledger.

One agent per source topic. A message is a single event or an envelope; each event is checked
against the contract, rejected ones go to the dead-letter topic with their reason and bytes, and
valid ones are applied to the customer state of the ledger (dedupe, lateness, metrics), which
streams/stage1.py flushes and acks. After a crash in the middle of a flush, messages past the
lost flush's cut are held until every topic has rebuilt its part of it (Ledger.hold).
"""

import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from metrics.contributions import Outcome
from metrics.events import Decoded, Limits, Rejection, decode_message, reasons
from metrics.questionnaires import Questionnaire
from streams.deadletter import deadletter_value
from streams.faust_adapter import EventT, StreamT, TopicT
from streams.flushing import unless_stopping
from streams.serving.ingest import IngestMetrics
from streams.ledger import Ledger
from streams.stage1 import Stage1
from streams.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class IngestContext:
    """What every ingest agent shares: settings, instruments, stage-1 state, dead-letter topic."""

    settings: Settings
    metrics: IngestMetrics
    stage1: Stage1
    deadletter: TopicT

    limits: Limits = field(init=False)
    questionnaires: Mapping[str, Questionnaire] = field(init=False)

    def __post_init__(self) -> None:
        # Built once: handle_message runs per message and must not rebuild them.
        self.limits = self.settings.input_limits()
        self.questionnaires = self.settings.data_config().catalogue()


async def _dead_letter(
    ctx: IngestContext, topic: str, event: EventT, rejection: Rejection
) -> None:
    message = event.message
    value = deadletter_value(rejection, topic, message.partition, message.offset,
                             ctx.settings.worker_id)
    try:
        await ctx.deadletter.send(key=message.key, value=value)
    except Exception:
        ctx.metrics.deadletter_errors.labels(topic).inc()
        log.exception("could not dead-letter %s[%d]@%d", topic, message.partition, message.offset)


async def handle_message(ctx: IngestContext, kind: str, topic: str, event: EventT) -> None:
    """Process one Kafka message of ``topic`` (events of type ``kind``).

    Rejections are dead-lettered at once (at least once: a replay after a crash sends them
    again); everything else waits in the partition's ledger for the flush that acks it.
    """
    message = event.message
    partition, offset = message.partition, message.offset
    decoded = decode_message(event.value, kind, ctx.limits, questionnaires=ctx.questionnaires)
    for rejection in decoded.rejected:
        await _dead_letter(ctx, topic, event, rejection)
    ledger = ctx.stage1.ledger_of(event)   # after the awaits: a rebalance may have passed
    if ledger.detached:
        return   # stale or revoked: the partition's owner reads it again
    if not await ctx.stage1.in_order(ledger, topic, offset):
        return   # not applied, not acked: read again in order
    if ctx.stage1.ledger_of(event) is not ledger:
        return   # a rebalance passed while in_order awaited: read again by the owner
    if ledger.must_hold(topic, offset):   # applied once every topic's rebuild is through
        ledger.hold(topic, offset,
                    lambda: _apply(ctx, ledger, topic, offset, decoded, event))
        return
    _apply(ctx, ledger, topic, offset, decoded, event)


def _apply(ctx: IngestContext, ledger: Ledger, topic: str, offset: int, decoded: Decoded,
           event: EventT) -> None:
    """Apply and track one message (synchronous, so a flush never sees half a message)."""
    pending = ledger.pending
    pending.messages[(topic, "envelope" if decoded.envelope else "single")] += 1
    for rejection in decoded.rejected:
        pending.rejected[(topic, rejection.reason)] += 1
    now_s = time.time()
    age = ctx.metrics.event_age.labels(topic)
    for item in decoded.events:
        applied = ledger.apply(topic, offset, item)
        if applied is not None and applied.outcome is Outcome.ACCEPTED:
            age.observe(now_s - item.occurred_at.timestamp())
    ledger.track(topic, offset, event)


def ingest_agent(
    ctx: IngestContext, kind: str, topic: str
) -> Callable[[StreamT], Coroutine[Any, Any, None]]:
    """The agent body for one source topic; it never lets an input error escape."""

    async def ingest(stream: StreamT) -> None:
        async for event in stream.noack().events():
            try:
                await handle_message(ctx, kind, topic, event)
            except Exception as error:
                log.exception("processing failed for %s[%d]@%d", topic,
                              event.message.partition, event.message.offset)
                rejection = Rejection(reasons.PROCESSING_ERROR, repr(error)[:500],
                                      event.value or b"")
                await _dead_letter(ctx, topic, event, rejection)
                ledger = ctx.stage1.ledger_of(event)
                ledger.pending.rejected[(topic, reasons.PROCESSING_ERROR)] += 1
                ledger.track(topic, event.message.offset, event)
            # Outside the try: a failed flush (Kafka unavailable) must stop the worker, whose
            # replay after restart recovers; it is not the message's fault.
            if not await unless_stopping(ctx.stage1.host,
                                         ctx.stage1.maybe_flush(event.message.partition)):
                return

    ingest.__name__ = f"ingest_{kind}"
    ingest.__qualname__ = ingest.__name__
    return ingest
