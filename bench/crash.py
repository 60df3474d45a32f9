"""Crash consistency offline: ``python -m bench.crash``.

The crash tests (tests/integration) kill a real worker at one moment of a real run, which
takes minutes and lands where the timing puts it. This runs the worker's stages in one process
(bench/pipeline.py's stand-ins for Faust) and kills them after exactly N changelog writes or
partial sends, so every step of a flush can be cut, in seconds:

1. a reference run applies the whole corpus, with its own interleaving of the source topics;
2. a second run over fresh tables is killed: after ``--at`` of the messages, the N-th write
   from then on raises, wherever it falls (a stage-1 flush's outbox, partials, customer
   records or meta; a stage-2 flush);
3. new stages restart over what the killed run wrote (its tables and its partials), reading
   every source and partials partition from offset 0 (nothing was committed) with yet another
   interleaving, and run to the end.

Every view key's hour and minute buckets after the restart must equal the reference run's.
It prints the kill point and the differing buckets, and exits 1 if any differ.
"""

import argparse
import asyncio
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, MutableMapping
from typing import Any

from bench.data import simulate
from bench.pipeline import Event, Host, Message, build, messages
from metrics.history import DAY_S
from streams.ingest import handle_message
from streams.settings import Settings
from streams.stage2 import Stage2

Queue = tuple[str, str, int]   # (kind, topic, partition)


class Killed(Exception):
    """The process died here."""


class Fuse:
    """Counts writes once lit; the ``after``-th raises Killed."""

    def __init__(self) -> None:
        self.left: int | None = None
        self.where = ""

    def spend(self, what: str) -> None:
        if self.left is None:
            return
        if self.left <= 0:
            self.where = what
            raise Killed(what)
        self.left -= 1


class Partials:
    """The cx.partials topic: one log per partition, kept across the kill."""

    def __init__(self, fuse: Fuse) -> None:
        self.fuse = fuse
        self.logs: dict[int, list[bytes]] = defaultdict(list)

    async def send(self, key: Any = None, value: bytes = b"", partition: int | None = None
                   ) -> Any:
        self.fuse.spend("partials send")
        self.logs[partition or 0].append(value)
        return asyncio.ensure_future(asyncio.sleep(0))


class FusedHost(Host):
    """Changelog writes that land one record at a time, until the fuse blows."""

    def __init__(self, fuse: Fuse) -> None:
        super().__init__()
        self.fuse = fuse

    async def write(self, table: MutableMapping[bytes, Any], partition: int,
                    records: Iterable[tuple[bytes, bytes | None]]) -> None:
        for key, value in records:
            self.fuse.spend(f"changelog write of {key.decode(errors='replace')[:40]}")
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value


async def run(settings: Settings, queues: dict[Queue, list[bytes]], seed: int,
              tables: tuple[dict[bytes, bytes], dict[bytes, bytes]], partials: Partials,
              fuse: Fuse, kill_after: int | None = None, budget: int = 0,
              flush_every: int = 30, stage2_every: int = 60) -> Stage2:
    """Read every source partition from offset 0 in a seeded random interleaving; flush stage 1
    every ``flush_every`` messages and stage 2 every ``stage2_every``. With ``kill_after``, the
    fuse is lit after that many messages with ``budget`` writes left."""
    ctx, stage2, _, _ = build(settings, FusedHost(fuse), tables, partials, dives=False)
    stage1 = ctx.stage1
    rng = random.Random(seed)
    read = dict.fromkeys(queues, 0)
    merged: dict[int, int] = defaultdict(int)

    async def flush_stage1() -> None:
        for ledger in list(stage1.ledgers.values()):
            if ledger.since_flush:
                await stage1.flush(ledger)
        for partition, log in list(partials.logs.items()):
            while merged[partition] < len(log):
                event = Event(Message(settings.partials_topic, partition, merged[partition]),
                              log[merged[partition]])
                merged[partition] += 1
                if await stage2.in_order(event):
                    stage2.handle(event)

    async def flush_stage2() -> None:
        for part in list(stage2.parts.values()):
            if part.events:
                await stage2.flush(part)

    count = 0
    while True:
        live = [queue for queue in queues if read[queue] < len(queues[queue])]
        if not live:
            break
        if kill_after is not None and count == kill_after:
            fuse.left = budget
        kind, topic, partition = queue = rng.choice(live)
        event = Event(Message(topic, partition, read[queue]), queues[queue][read[queue]])
        read[queue] += 1
        await handle_message(ctx, kind, topic, event)   # type: ignore[arg-type]
        count += 1
        if count % flush_every == 0:
            await flush_stage1()
        if count % stage2_every == 0:
            await flush_stage2()
    for _ in range(3):   # held messages, outboxes and partials all the way through
        await flush_stage1()
        await flush_stage2()
    return stage2


def buckets(stage2: Stage2) -> dict[tuple[str, str, int, str], float]:
    """(view key, "h" or "m", start, component) -> value over every part."""
    out: dict[tuple[str, str, int, str], float] = {}
    for part in stage2.parts.values():
        for key, windows in part.keys.items():
            for kind, store in (("h", windows.hours), ("m", windows.minutes)):
                for start, bucket in store.items():
                    for component, value in bucket.items():
                        out[(key, kind, start, component)] = value
    return out


async def check(settings: Settings, queues: dict[Queue, list[bytes]], seed: int, at: float,
                budget: int) -> tuple[str, list[str]]:
    """One kill point: (where the kill landed, the differing buckets)."""
    total = sum(map(len, queues.values()))
    reference = buckets(await run(settings, queues, seed, ({}, {}), Partials(Fuse()), Fuse()))
    fuse = Fuse()
    tables: tuple[dict[bytes, bytes], dict[bytes, bytes]] = ({}, {})
    partials = Partials(fuse)
    try:
        await run(settings, queues, seed + 1, tables, partials, fuse, int(total * at), budget)
        where = "never (the run ended first)"
    except Killed:
        where = fuse.where
    fuse.left = None
    after = buckets(await run(settings, queues, seed + 2, tables, partials, fuse))
    differ = [f"{key}: reference {reference.get(key)}, after the restart {after.get(key)}"
              for key in sorted(set(reference) | set(after), key=str)
              if abs(reference.get(key, 0) - after.get(key, 0)) > 1e-6]
    return where, differ


def corpus(events: int, customers: int, seed: int, settings: Settings,
           envelope: int) -> dict[Queue, list[bytes]]:
    """The simulator's events (three days of event time) as messages per source partition."""
    queues: dict[Queue, list[bytes]] = defaultdict(list)
    found = simulate(events, customers, seed, span_s=3 * DAY_S)
    for kind, topic, partition, value in messages(found.events, settings, envelope):
        queues[(kind, topic, partition)].append(value)
    return queues


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--envelope", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1, help="interleavings and corpus")
    parser.add_argument("--at", type=float, nargs="+", default=[0.4],
                        help="fractions of the messages after which the fuse is lit")
    parser.add_argument("--budget", type=int, nargs="+", default=[5, 10, 20, 40, 80],
                        help="writes left once lit: where in a flush the kill lands")
    args = parser.parse_args(argv)
    settings = Settings(flush_max_messages=10**9)
    queues = corpus(args.events, args.customers, 5, settings, args.envelope)
    bad = 0
    for at in args.at:
        for budget in args.budget:
            where, differ = asyncio.run(check(settings, queues, args.seed, at, budget))
            bad += bool(differ)
            print(f"kill after {at:.0%} of the messages + {budget} writes (in {where}): "
                  f"{len(differ)} buckets differ")
            for line in differ[:5]:
                print("   ", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
