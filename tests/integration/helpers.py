"""Waiting and reading helpers for integration tests (real broker, real workers)."""

import json
import os
import signal
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kafka import KafkaConsumer

from ops.processes import Child, free_port
from ops.scrape import scrape, total

T = TypeVar("T")


def wait_until(probe: Callable[[], T], done: Callable[[T], bool], timeout_s: float,
               interval_s: float = 0.5) -> T:
    """Call ``probe`` until ``done(value)``; fail with the last value after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    value = probe()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s; last value: {value}")
        time.sleep(interval_s)
        value = probe()
    return value


def progress(base_url: str) -> dict[str, Any]:
    """A worker's /progress JSON (``base_url``: http://127.0.0.1:<port>)."""
    with urllib.request.urlopen(base_url + "/progress", timeout=10) as answer:
        return json.loads(answer.read())


def processed(report: dict[str, Any]) -> float:
    """Events (and rejections) counted by flushes, from one /progress report."""
    return sum(n for key, n in report["events"].items() if not key.endswith("/replayed"))


#: The commit interval of a worker a crash test kills: far longer than the test runs before
#: the kill, so everything it flushed is still uncommitted and the restart must replay it.
KILLED_COMMIT_INTERVAL_S = 120


def kill_while_busy(child: Child, base_url: str, at_least: float,
                    timeout_s: float = 300) -> float:
    """SIGKILL ``child`` once it has counted ``at_least`` events, owns source partitions and
    counted more since the previous look (so it is working, not waiting out a rebalance or
    idle); returns what it had counted. Started with ``CXPULSE_COMMIT_INTERVAL_S`` =
    KILLED_COMMIT_INTERVAL_S, it has committed nothing it flushed, which the restart replays."""
    deadline = time.monotonic() + timeout_s
    before = -1.0
    while True:
        report = progress(base_url)
        count = processed(report)
        if count >= at_least and report["partitions"] and count > before >= 0:
            os.kill(child.pid, signal.SIGKILL)
            return count
        if time.monotonic() > deadline:
            raise AssertionError(f"worker never busy past {at_least} events within "
                                 f"{timeout_s} s; last report: {report}")
        before = count
        time.sleep(0.2)


def counted(url: str) -> dict[str, float]:
    """accepted / rejected / duplicate / late totals of one worker."""
    samples = scrape(url, timeout_s=30)
    return {
        "accepted": total(samples, "cxpulse_events_accepted_total"),
        "rejected": total(samples, "cxpulse_events_rejected_total"),
        "duplicate": total(samples, "cxpulse_events_duplicate_total"),
        "late": total(samples, "cxpulse_events_late_total"),
    }


def nonzero(samples: dict, name: str) -> dict[tuple, float]:
    """Series of ``name`` whose value is not zero, keyed by their label pairs."""
    return {labels: value for labels, value in samples.get(name, {}).items() if value}


def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 30.0) -> list[Any]:
    """Every record of ``topic`` from the start, once at least ``expected`` have arrived.

    Waits a little longer after reaching ``expected`` so that extra records (over-counting)
    show up in the result instead of going unseen.
    """
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
        enable_auto_commit=False, consumer_timeout_ms=1_000, group_id=None,
    )
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    settle_until = None
    try:
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
            if len(records) >= expected:
                settle_until = settle_until or time.monotonic() + 2.0
                if time.monotonic() > settle_until:
                    break
    finally:
        consumer.close()
    return records


def dead_letters(bootstrap: str, topic: str, expected: int) -> list[dict[str, Any]]:
    """Decoded dead-letter values."""
    return [json.loads(r.value) for r in read_topic(bootstrap, topic, expected)]


def worker_pair(broker_url: str, folder: Path) -> tuple[list[Child], list[int]]:
    """Start two real workers (w1, w2) on free ports for a module's shared stack; the caller
    waits for them and stops them."""
    children, ports = [], [free_port(), free_port()]
    for index, port in enumerate(ports, start=1):
        children.append(Child(f"worker w{index}", [sys.executable, "-m", "ops.cli", "worker"],
                              folder / f"worker-{index}.log",
                              {"CXPULSE_BROKER_URL": broker_url,
                               "CXPULSE_WORKER_ID": f"w{index}",
                               "CXPULSE_WEB_PORT": str(port),
                               "CXPULSE_DATA_DIR": str(folder / "data")}).start())
    return children, ports
