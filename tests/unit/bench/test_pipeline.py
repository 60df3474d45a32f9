"""bench/pipeline.py: the offline pipeline runs the real stages end to end, so what stage 2
holds after it is what stage 1 accepted."""

import asyncio

from bench.data import simulate
from bench.pipeline import messages, run
from streams.settings import Settings


def test_every_call_reaches_the_windows_of_the_all_view() -> None:
    settings = Settings(flush_max_messages=10**9)
    corpus = simulate(1_500, 300, seed=3)
    batch = messages(corpus.events, settings, 20)
    assert sum(value.count(b'"event_id"') for *_, value in batch) == len(corpus.events)

    outcome = asyncio.run(run(settings, batch, rate=2_000,
                              events_per_message=len(corpus.events) / len(batch)))

    totals = outcome.ctx.stage1.totals
    assert sum(totals.values()) == len(corpus.events)   # accepted, and a few late calls
    calls = totals[(settings.source_topics["call"], "accepted")]
    assert calls > 500
    assert outcome.timings.stage1_flushes > 1 and outcome.timings.stage2_flushes > 1
    windows = [windows.totals["30d"] for part in outcome.stage2.parts.values()
              for key, windows in part.keys.items() if key == "all"]
    assert len(windows) == 1
    assert windows[0]["calls/offered"] == calls
