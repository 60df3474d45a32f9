"""Where a worker's time per event goes, without a broker: ``python -m bench.pipeline``.

``bench.ingest`` measures the whole worker on a real broker, and its figures vary up to 2x from
run to run on a shared VM (bench/README.md). This harness runs the same code paths in one
process with no broker, so a change to the stream's hot paths can be priced in seconds:

- the simulator's corpus (bench/data.py) is cut into messages the way ``EventProducer`` sends
  them (single events, or envelopes of ``--envelope`` events per topic and partition);
- each message goes through ``streams.ingest.handle_message`` (decode, validate, apply to the
  ledger) with a stand-in for Faust's event, exactly as the ingest agent calls it;
- flushes are driven by a virtual clock instead of the wall clock: at ``--rate`` events/s, a
  partition's stage-1 ledger flushes every ``CXPULSE_FLUSH_INTERVAL_S`` of virtual time and
  stage 2 every ``CXPULSE_STAGE2_FLUSH_INTERVAL_S``, so how much a flush aggregates matches a
  worker running at that rate (the worker's own flush triggers are set out of reach);
- stage-1 flushes go through ``Stage1.flush`` (snapshot, changelog writes into a dict, partials,
  acks, counters); the partials go through ``Stage2.handle`` and ``Stage2.flush`` (windows,
  history closing, dives, publishing), with the real History and DiveMonitor;
- the history sink and its store are not run (``python -m bench.history`` prices them).

It prints microseconds per event for each phase (decode measured on its own, then the rest of
``handle_message``), and with ``--profile`` the functions with the most own time (cProfile,
which inflates small functions: compare shares, not absolute figures, with py-spy's).
"""

import argparse
import asyncio
import cProfile
import pstats
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry

from bench.data import simulate
from metrics.events import decode_message
from metrics.history import DAY_S
from streams.dives import DiveMonitor
from streams.faust_adapter import TP
from streams.history.closing import History
from streams.ingest import IngestContext, handle_message
from streams.partitioning import partition_for_key
from streams.serving.counters import ViewCounters
from streams.serving.history import HistoryMetrics
from streams.serving.ingest import IngestMetrics
from streams.serving.stage2 import Stage2Metrics
from streams.settings import Settings
from streams.stage1 import Stage1
from streams.stage2 import Stage2


@dataclass
class Message:
    """What the stages read of a Faust message."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None
    generation_id: int | None = None


@dataclass
class Event:
    """What the stages read of a Faust event."""

    message: Message
    value: bytes
    acked: bool = False

    def ack(self) -> None:
        self.acked = True


class _Done:
    """A delivery future that has already completed."""

    def __await__(self) -> Iterator[None]:
        return iter(())


@dataclass
class Topic:
    """Collects what a stage sends; sends complete at once."""

    sent: list[tuple[int | None, bytes]] = field(default_factory=list)

    async def send(self, key: Any = None, value: bytes = b"", partition: int | None = None
                   ) -> Any:
        self.sent.append((partition, value))
        return asyncio.ensure_future(asyncio.sleep(0))


class Host:
    """A StreamHost whose changelog writes go into the table at once."""

    def __init__(self) -> None:
        self.bytes_written = 0
        self.records_written = 0

    def scoped(self, event: Any) -> Any:
        return nullcontext()

    async def write(self, table: MutableMapping[bytes, Any], partition: int,
                    records: Iterable[tuple[bytes, bytes | None]]) -> None:
        for key, value in records:
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
            self.records_written += 1
            self.bytes_written += len(value or b"")

    def is_stale(self, message: Any) -> bool:
        return False

    def generation(self) -> int | None:
        return 1

    def assigned(self) -> set[TP]:
        return set()

    def settled(self) -> bool:
        return True

    def stopping(self, error: BaseException) -> bool:
        return False

    def fetching(self) -> bool:
        return True

    async def earliest(self, tp: TP) -> int | None:
        return 0

    async def position(self, tp: TP) -> int | None:
        return None

    async def seek(self, tp: TP, offset: int) -> None:
        raise AssertionError(f"the offline pipeline never seeks ({tp}, {offset})")

    def highwater(self, tp: TP) -> int | None:
        return None


def messages(corpus: list[bytes], settings: Settings, envelope: int
             ) -> list[tuple[str, str, int, bytes]]:
    """(kind, topic, partition, value) in the order ``EventProducer`` would send them."""
    limits, catalogue = settings.input_limits(), settings.data_config().catalogue()
    targets = list(range(settings.topic_partitions))
    out: list[tuple[str, str, int, bytes]] = []
    buffers: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    for value in corpus:
        item = decode_message(value, None, limits, questionnaires=catalogue).events[0]
        topic = settings.source_topics[item.type]
        partition = partition_for_key(item.customer_id.encode(), targets)
        if envelope == 1:
            out.append((item.type, topic, partition, value))
            continue
        buffer = buffers[(topic, partition)]
        buffer.append(value)
        if len(buffer) >= envelope:
            out.append((item.type, topic, partition,
                        b'{"type":"envelope","events":[' + b",".join(buffer) + b"]}"))
            buffer.clear()
    kinds = {topic: kind for kind, topic in settings.source_topics.items()}
    for (topic, partition), buffer in buffers.items():
        if buffer:
            out.append((kinds[topic], topic, partition,
                        b'{"type":"envelope","events":[' + b",".join(buffer) + b"]}"))
    return out


@dataclass
class Timings:
    decode: float = 0.0
    handle: float = 0.0
    stage1_flush: float = 0.0
    stage2_handle: float = 0.0
    stage2_flush: float = 0.0
    stage1_flushes: int = 0
    stage2_flushes: int = 0
    partials: int = 0


def build(settings: Settings, host: Host | None = None,
          tables: tuple[dict[bytes, bytes], dict[bytes, bytes]] | None = None,
          partials: Any = None, dives: bool = True) -> tuple[IngestContext, Stage2, Any, Host]:
    """The stages, wired as streams/app.py wires them, over in-memory tables (``tables``:
    stage 1's and stage 2's, to restart over what a run left; ``partials``: the topic stage 1
    sends to; ``dives``: with the dive monitor)."""
    registry = CollectorRegistry()
    host = host or Host()
    state, windows = tables or ({}, {})
    partials = partials or Topic()
    data = settings.data_config()
    views = settings.active_views()
    metrics = IngestMetrics(registry, settings.source_topics.values())
    counters = ViewCounters(views, data.catalogue())
    stage1 = Stage1(host, settings, state, partials, metrics, counters, views)  # type: ignore[arg-type]
    measure = data.dive_measure() if dives else None
    monitor = None if measure is None else DiveMonitor(
        views, measure, data.dives.rules(), data.dives.time_views, data.dive_journey_view(),
        data.journey_list())

    async def log_dives(records: list[bytes]) -> None:
        return None

    history = History(settings.history_grace_s, settings.history_amend_days * DAY_S,
                      HistoryMetrics(registry), Topic())
    stage2 = Stage2(host, settings, windows, Stage2Metrics(registry),  # type: ignore[arg-type]
                    stage1.positions, views, settings.exported_windows(), history, monitor,
                    log_dives)
    partitions = set(range(settings.topic_partitions))
    stage1.assign(partitions)
    stage2.assign(partitions)
    ctx = IngestContext(settings, metrics, stage1, Topic())  # type: ignore[arg-type]
    return ctx, stage2, partials, host


@dataclass
class Outcome:
    """What a run did and what it left: its timings and the stages, to inspect."""

    timings: Timings
    host: Host
    ctx: IngestContext
    stage2: Stage2


async def run(settings: Settings, batch: list[tuple[str, str, int, bytes]], rate: float,
              events_per_message: float) -> Outcome:
    ctx, stage2, partials, host = build(settings)
    timings = Timings()
    offsets: dict[tuple[str, int], int] = defaultdict(int)
    partial_offsets: dict[int, int] = defaultdict(int)
    clock = 0.0
    step = events_per_message / rate
    next_flush1 = settings.flush_interval_s
    next_flush2 = settings.stage2_flush_interval_s
    perf = time.perf_counter

    async def flush_stage1() -> None:
        started = perf()
        for ledger in list(ctx.stage1.ledgers.values()):
            if ledger.since_flush:
                await ctx.stage1.flush(ledger)
                timings.stage1_flushes += 1
        timings.stage1_flush += perf() - started
        started = perf()
        for partition, value in partials.sent:
            offset = partial_offsets[partition]
            partial_offsets[partition] += 1
            event = Event(Message(settings.partials_topic, partition, offset), value)
            if await stage2.in_order(event):
                stage2.handle(event)
            timings.partials += 1
        partials.sent.clear()
        timings.stage2_handle += perf() - started

    async def flush_stage2() -> None:
        started = perf()
        for part in list(stage2.parts.values()):
            if part.events:
                await stage2.flush(part)
                timings.stage2_flushes += 1
        timings.stage2_flush += perf() - started

    for kind, topic, partition, value in batch:
        offset = offsets[(topic, partition)]
        offsets[(topic, partition)] += 1
        event = Event(Message(topic, partition, offset), value)
        started = perf()
        await handle_message(ctx, kind, topic, event)   # type: ignore[arg-type]
        timings.handle += perf() - started
        clock += step
        if clock >= next_flush1:
            next_flush1 = clock + settings.flush_interval_s
            await flush_stage1()
        if clock >= next_flush2:
            next_flush2 = clock + settings.stage2_flush_interval_s
            await flush_stage2()
    await flush_stage1()
    await flush_stage2()
    return Outcome(timings, host, ctx, stage2)


def decode_only(settings: Settings, batch: list[tuple[str, str, int, bytes]]) -> float:
    limits, catalogue = settings.input_limits(), settings.data_config().catalogue()
    started = time.perf_counter()
    for kind, _, _, value in batch:
        decode_message(value, kind, limits, questionnaires=catalogue)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--envelope", type=int, default=100,
                        help="events per message (1: single events)")
    parser.add_argument("--rate", type=float, default=50_000,
                        help="events/s the virtual clock runs at (sets how much a flush holds)")
    parser.add_argument("--span-hours", type=float, default=24.0,
                        help="hours of event time the corpus spans")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="cProfile: top own-time functions")
    args = parser.parse_args(argv)

    settings = Settings(flush_max_messages=10**9, flush_interval_s=1.0)
    corpus = simulate(args.events, args.customers, args.seed, span_s=args.span_hours * 3600)
    batch = messages(corpus.events, settings, args.envelope)
    events = len(corpus.events)
    decode_s = decode_only(settings, batch)
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    with profiler if profiler is not None else nullcontext():   # type: ignore[attr-defined]
        outcome = asyncio.run(run(settings, batch, args.rate, events / len(batch)))
    wall = time.perf_counter() - started
    timings, host = outcome.timings, outcome.host

    def us(seconds: float) -> str:
        return f"{1e6 * seconds / events:8.1f} us/event"

    print(f"bench.pipeline {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {events:,} events in "
          f"{len(batch):,} messages ({args.envelope}/envelope), {args.span_hours:g} h of event "
          f"time, flushes as at {args.rate:,.0f} events/s")
    print(f"  decode (alone)        {us(decode_s)}")
    print(f"  handle_message        {us(timings.handle)}   (decode + apply)")
    print(f"  stage-1 flushes       {us(timings.stage1_flush)}   ({timings.stage1_flushes} flushes)")
    print(f"  stage-2 handle        {us(timings.stage2_handle)}   ({timings.partials} partials)")
    print(f"  stage-2 flushes       {us(timings.stage2_flush)}   ({timings.stage2_flushes} flushes)")
    print(f"  total                 {us(wall)}   = {events / wall:,.0f} events/s on one core")
    print(f"  changelog             {host.bytes_written / events:8.1f} B/event, "
          f"{host.records_written / events:.3f} records/event")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
