"""bench/crash.py: the worker's stages killed in the middle of a stage-1 flush and restarted
from offset 0 end with exactly the buckets of a run that was never killed (before the hold of
messages past an unsent cut, this kill point lost FCR failures)."""

import asyncio

from bench.crash import check, corpus
from streams.settings import Settings


def test_a_kill_while_a_flush_sends_its_partials_loses_and_doubles_nothing() -> None:
    settings = Settings(flush_max_messages=10**9)
    queues = corpus(20_000, 2_000, 5, settings, envelope=20)

    where, differ = asyncio.run(check(settings, queues, seed=1, at=0.4, budget=5))

    assert where == "partials send"
    assert differ == []
