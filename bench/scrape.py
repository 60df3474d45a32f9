"""Scrape cost under load: ``python -m bench.scrape``.

The seeded parity world (the simulator, seed 23, 100,000 events with 1 % invalid, 2 %
duplicate and 1 % late items, as tests/integration/test_parity.py builds it) is replayed in
100-event envelopes into two real workers on a fresh embedded broker, while this process
scrapes each worker's /metrics every ``--every-s`` seconds until the workers are quiet. It
prints, per worker: the largest scrape (series and bytes), scrape durations, and the worker's
own event-loop lag probe (streams/serving/loop_lag.py): the largest lag that overlapped a
scrape and the largest that did not while the replay ran, and the largest during a scrape once
the workers were quiet (scraping goes on for QUIET_S), which is what a scrape alone costs.
Variants: the default views, then the agent cut on. Nothing is asserted; the figures go to
bench/README.md by hand.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ops.broker import EmbeddedBroker
from ops.processes import Child, free_port, wait_http
from ops.topics import create_topics
from streams.settings import Settings
from traffic.simulate import SimulatorConfig, generate
from traffic.simulated import item_bytes

console = Console(width=200)
#: Scraping goes on this long after the workers are quiet: scrapes of an idle stream show what a
#: scrape alone costs the loop.
QUIET_S = 20.0
START = datetime(2026, 11, 2, tzinfo=UTC)


@dataclass
class Scrape:
    """One GET of /metrics: when it started and ended (wall clock), its size and series."""

    start_s: float
    end_s: float
    bytes: int
    series: int


@dataclass
class WorkerRun:
    name: str
    port: int
    scrapes: list[Scrape] = field(default_factory=list)
    lags: list[tuple[float, float]] = field(default_factory=list)
    lag_max_s: float = 0.0
    gc_pauses: list[tuple[float, int, float]] = field(default_factory=list)
    quiet_from_s: float = float("inf")   # wall time the workers went quiet (replay done)


def world(path: Path, events: int, seed: int) -> None:
    """The parity test's world, written as JSONL."""
    config = SimulatorConfig(seed=seed, rate_per_s=1.0, invalid_share=0.01,
                             duplicate_share=0.02, late_share=0.01)
    path.write_bytes(b"".join(item_bytes(item) + b"\n"
                              for item in generate(config, None, START, count=events)))


def scrape(url: str) -> Scrape:
    start = time.time()
    with urllib.request.urlopen(url, timeout=120) as answer:
        body = answer.read()
    end = time.time()
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    return Scrape(start, end, len(body), series)


def progress(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/progress", timeout=30) as answer:
        return json.loads(answer.read())


def run(label: str, path: Path, every_s: float, env: dict[str, str],
        folder: Path) -> list[WorkerRun]:
    """Replay ``path`` into two workers and scrape them until they are quiet."""
    with EmbeddedBroker(port=free_port(), log_path=folder / f"{label}-broker.log") as broker:
        create_topics(Settings(broker_url=broker.url))
        workers, children = [], []
        for name in ("w1", "w2"):
            port = free_port()
            child = Child(f"worker {name}", [sys.executable, "-m", "ops.cli", "worker"],
                          folder / f"{label}-{name}.log", {
                              "CXPULSE_BROKER_URL": broker.url, "CXPULSE_WORKER_ID": name,
                              "CXPULSE_WEB_PORT": str(port),
                              "CXPULSE_DATA_DIR": str(folder / f"{label}-data"), **env})
            children.append(child.start())
            wait_http(f"http://127.0.0.1:{port}/progress", 60, child)
            workers.append(WorkerRun(name, port))
        replay = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "replay", str(path), "--broker-url",
             broker.url, "--envelope", "100", "--send-invalid"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        quiet_since = None
        try:
            while time.monotonic() - started < 900:
                for worker in workers:
                    worker.scrapes.append(scrape(f"http://127.0.0.1:{worker.port}/metrics"))
                states = [progress(worker.port) for worker in workers]
                idle = replay.poll() is not None and all(
                    not s["unflushed_messages"] and not s["unflushed_partials"]
                    for s in states)
                if idle and quiet_since is None:
                    for worker in workers:
                        worker.quiet_from_s = time.time()
                quiet_since = (quiet_since or time.monotonic()) if idle else None
                if quiet_since and time.monotonic() - quiet_since > QUIET_S:
                    break
                time.sleep(every_s)
            for worker, state in zip(workers, (progress(w.port) for w in workers)):
                worker.lags = [(at, lag) for at, lag in state["loop_lags"]]
                worker.lag_max_s = state["loop_lag_max_s"]
                worker.gc_pauses = [tuple(p) for p in state["gc_pauses"]]
        finally:
            replay.kill()
            for child in children:
                child.stop()
    return workers


def worst_lag(worker: WorkerRun, in_scrape: bool, quiet: bool, slack_s: float = 0.1) -> float:
    """The largest probe lag (logged from 20 ms) whose wake-up fell within a scrape (plus the
    probe's slack) or outside every scrape, while the stream was busy or quiet."""
    worst = 0.0
    for at, lag in worker.lags:
        if (at >= worker.quiet_from_s) != quiet:
            continue
        during = any(s.start_s <= at <= s.end_s + slack_s for s in worker.scrapes)
        if during == in_scrape:
            worst = max(worst, lag)
    return worst


def table(label: str, workers: list[WorkerRun]) -> Table:
    out = Table(title=f"/metrics under replay: {label}")
    for column in ("worker", "scrapes", "max series", "max bytes", "median s", "p95 s",
                   "max s", "lag busy, in scrape", "lag busy, no scrape",
                   "lag quiet, in scrape", "gc pauses >= 20 ms (max, gen 2)"):
        out.add_column(column, justify="left" if column == "worker" else "right")
    for worker in workers:
        durations = sorted(s.end_s - s.start_s for s in worker.scrapes)
        p95 = durations[int(0.95 * (len(durations) - 1))]
        out.add_row(worker.name, str(len(durations)),
                    f"{max(s.series for s in worker.scrapes):,}",
                    f"{max(s.bytes for s in worker.scrapes) / 1e6:.2f} MB",
                    f"{statistics.median(durations):.3f}", f"{p95:.3f}",
                    f"{durations[-1]:.3f}",
                    *(f"{worst_lag(worker, in_scrape, quiet) * 1000:.0f} ms"
                      for in_scrape, quiet in ((True, False), (False, False), (True, True))),
                    f"{len(worker.gc_pauses)} ({max((p for _, _, p in worker.gc_pauses), default=0) * 1000:.0f} ms, "
                    f"{sum(g == 2 for _, g, _ in worker.gc_pauses)})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--every-s", type=float, default=1.0, help="scrape period per worker")
    parser.add_argument("--only", choices=["default", "agent-cut"])
    args = parser.parse_args(argv)
    variants = {"default": {}, "agent-cut": {"CXPULSE_AGENT_CUT": "true"}}
    with tempfile.TemporaryDirectory(prefix="cxpulse-bench-scrape-") as name:
        folder = Path(name)
        path = folder / "world.jsonl"
        world(path, args.events, args.seed)
        console.print(f"{args.events:,} events (seed {args.seed}) in {path}")
        for label, env in variants.items():
            if args.only and label != args.only:
                continue
            console.print(table(label, run(label, path, args.every_s, env, folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
