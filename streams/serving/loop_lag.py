"""Event-loop lag: how late a short sleep wakes up, the measure of anything blocking the loop.

A scrape, a flush or a long handler that holds the loop delays every timer, heartbeat and
fetch of the worker. The probe sleeps ``interval_s`` again and again and records how much later
than asked it woke, as a histogram (for alerts and boards) and as a short log of the lags at or
above ``log_from_s`` with their wall-clock times (for benchmarks that line them up with what
they did, such as scrapes).
"""

import asyncio
import gc
import time
from collections import deque

from prometheus_client import CollectorRegistry, Histogram

LAG_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, float("inf"))


class LoopLag:
    """The probe's histogram, its maximum since start and its recent large lags."""

    def __init__(self, registry: CollectorRegistry, interval_s: float = 0.05,
                 log_from_s: float = 0.02, kept: int = 500) -> None:
        self.interval_s = interval_s
        self.log_from_s = log_from_s
        self.histogram = Histogram(
            "cxpulse_event_loop_lag_seconds",
            f"How much later than asked a {interval_s:g} s sleep on the worker's event loop "
            "woke up. Lags over 0.05 s mean something blocks the loop (heartbeats and "
            "fetches wait too).", buckets=LAG_BUCKETS_S, registry=registry)
        self.max_s = 0.0
        self.recent: deque[tuple[float, float]] = deque(maxlen=kept)   # (wall time, lag)
        self.gc_pause = Histogram(
            "cxpulse_gc_pause_seconds",
            "Wall time of the garbage collector's runs, by generation. A collection holds the "
            "interpreter lock: a long one stalls the event loop and the /metrics render alike.",
            ["generation"], buckets=LAG_BUCKETS_S, registry=registry)
        self.gc_recent: deque[tuple[float, int, float]] = deque(maxlen=kept)
        self._gc_started = 0.0

    def watch_gc(self) -> None:
        """Time every garbage collection (gc.callbacks) from now on."""
        if self._on_gc not in gc.callbacks:
            gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        pause_s = time.perf_counter() - self._gc_started
        self.gc_pause.labels(str(info["generation"])).observe(pause_s)
        if pause_s >= self.log_from_s:
            self.gc_recent.append((time.time(), info["generation"], pause_s))

    def record(self, lag_s: float, at_s: float) -> None:
        """Count one wake-up ``lag_s`` late, observed at wall time ``at_s``."""
        lag_s = max(lag_s, 0.0)
        self.histogram.observe(lag_s)
        self.max_s = max(self.max_s, lag_s)
        if lag_s >= self.log_from_s:
            self.recent.append((at_s, lag_s))

    async def run(self) -> None:
        """Probe until cancelled."""
        loop = asyncio.get_running_loop()
        self.watch_gc()
        while True:
            asked = loop.time()
            await asyncio.sleep(self.interval_s)
            self.record(loop.time() - asked - self.interval_s, time.time())
