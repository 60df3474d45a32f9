"""The loop-lag probe: histogram, maximum and the log of large lags, and a real blocked loop."""

import asyncio
import time

from prometheus_client import CollectorRegistry

from streams.serving.loop_lag import LoopLag


def test_record_counts_every_lag_and_logs_only_large_ones():
    registry = CollectorRegistry()
    probe = LoopLag(registry, log_from_s=0.02)

    for lag in (0.001, 0.03, -0.002, 0.2):
        probe.record(lag, 100.0)

    assert registry.get_sample_value("cxpulse_event_loop_lag_seconds_count") == 4
    assert registry.get_sample_value("cxpulse_event_loop_lag_seconds_bucket", {"le": "0.005"}) == 2
    assert probe.max_s == 0.2
    assert list(probe.recent) == [(100.0, 0.03), (100.0, 0.2)]


def test_a_blocked_loop_shows_as_lag():
    probe = LoopLag(CollectorRegistry(), interval_s=0.01)

    async def scenario() -> None:
        task = asyncio.create_task(probe.run())
        await asyncio.sleep(0.03)
        time.sleep(0.15)          # hold the loop, as a render on the loop would
        await asyncio.sleep(0.03)
        task.cancel()

    asyncio.run(scenario())

    assert probe.max_s >= 0.1
    assert any(lag >= 0.1 for _, lag in probe.recent)


def test_garbage_collections_are_timed_by_generation():
    import gc

    registry = CollectorRegistry()
    probe = LoopLag(registry, log_from_s=0.0)
    probe.watch_gc()
    try:
        gc.collect(2)
    finally:
        gc.callbacks.remove(probe._on_gc)

    assert registry.get_sample_value("cxpulse_gc_pause_seconds_count", {"generation": "2"}) >= 1
    assert any(generation == 2 for _, generation, _ in probe.gc_recent)
