"""``cxpulse simulate``: run the simulator into Kafka (paced) or into a JSONL file."""

import argparse
import json
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from rich.console import Console
from rich.progress import Progress

from metrics.errors import ConfigError
from streams.settings import Settings
from traffic.producer import EventProducer
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import SimItem, generate
from traffic.simulate.pacing import paced
from traffic.simulate.scenario import load_scenario

STATUS_EVERY_S = 10.0


def item_bytes(item: SimItem) -> bytes:
    """The exact bytes a producer sends for ``item`` (malformed items stay malformed)."""
    if isinstance(item.payload, bytes):
        return item.payload
    return json.dumps(item.payload, ensure_ascii=False, separators=(",", ":")).encode()


def _start(args: argparse.Namespace, live: bool, speedup: float) -> datetime:
    if args.start:
        start = datetime.fromisoformat(args.start)
        if start.tzinfo is None:
            raise ConfigError("--start needs a UTC offset, e.g. 2026-11-02T08:00:00+08:00")
        return start
    now = datetime.now(UTC).replace(microsecond=0)
    if not live or speedup in (0.0, 1.0):
        return now
    # Faster than real time into Kafka: start in the past so no event lies in the future.
    if args.duration_s is not None:
        span_s = args.duration_s
    elif args.count is not None:
        span_s = args.count / args.rate
    else:
        raise ConfigError("--speedup other than 1 into Kafka needs --count or --duration-s")
    return now - timedelta(seconds=span_s)


def _items(args: argparse.Namespace, live: bool) -> tuple[Iterator[SimItem], float]:
    speedup = args.speedup if args.speedup is not None else (1.0 if live else 0.0)
    config = SimulatorConfig(
        seed=args.seed, rate_per_s=args.rate, invalid_share=args.invalid_share,
        duplicate_share=args.duplicate_share, late_share=args.late_share,
    )
    scenario = load_scenario(args.scenario) if args.scenario else None
    start = _start(args, live, speedup)
    items = generate(config, scenario, start, count=args.count, duration_s=args.duration_s)
    return paced(items, speedup), speedup


def write_jsonl(items: Iterator[SimItem], handle: BinaryIO, total: int | None,
                console: Console) -> int:
    """Write one item per line; returns the number written."""
    written = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("simulating", total=total)
        for item in items:
            handle.write(item_bytes(item) + b"\n")
            written += 1
            if written % 1000 == 0:
                progress.update(task, completed=written)
    return written


def send_to_kafka(items: Iterator[SimItem], settings: Settings, envelope_size: int,
                  console: Console) -> int:
    """Produce every item to its topic; valid ones through validation, faults as raw bytes."""
    producer = EventProducer(settings, envelope_size)
    sent = 0
    started = last_status = time.monotonic()
    try:
        for item in items:
            value = item_bytes(item)
            if item.valid:
                producer.send_bytes(value)
            else:
                producer.send_raw(settings.source_topics[item.kind], item.key.encode(), value)
            sent += 1
            now = time.monotonic()
            if now - last_status >= STATUS_EVERY_S:
                console.log(f"sent {sent:,} events ({sent / (now - started):,.0f}/s)")
                last_status = now
    finally:
        producer.close()
    return sent


def simulate(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    """The ``cxpulse simulate`` command."""
    live = args.out is None
    items, speedup = _items(args, live)
    if live:
        console.log(f"simulating {args.rate:g} events/s into {settings.broker_url} "
                    f"(speedup {speedup:g}, envelope {args.envelope})")
        sent = send_to_kafka(items, settings, args.envelope, console)
    else:
        with Path(args.out).open("wb") as handle:
            sent = write_jsonl(items, handle, args.count, console)
    console.log(f"done: {sent:,} events")
    return 0 if sent or math.isinf(args.rate) else 1
