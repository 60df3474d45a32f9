"""bench/profile.py: py-spy's collapsed stacks split by thread, so the history sink's pool
thread and the consumer thread never count as the main thread's time."""

from pathlib import Path

from bench.profile import summarise

MAIN = "_run_module_as_main (<frozen runpy>:198);run_worker (streams/worker.py:10)"
LOOP = f"{MAIN};BaseEventLoop._run_once (asyncio/base_events.py:1900)"
POOL = ("Thread._bootstrap (threading.py:995);Thread.run (threading.py:975);"
        "_worker (concurrent/futures/thread.py:83)")
CONSUMER = ("Thread._bootstrap (threading.py:995);WorkerThread.run (mode/threads.py:66);"
            "ServiceThread._start_thread (mode/threads.py:250)")


def test_samples_are_split_by_thread(tmp_path: Path) -> None:
    collapsed = tmp_path / "py-spy.txt"
    collapsed.write_text("\n".join([
        f"{LOOP};Ledger.apply (streams/ledger.py:240);apply_event (metrics/contributions.py:333) 60",
        f"{LOOP};Stage2.handle (streams/stage2.py:170) 20",
        f"{LOOP};EpollSelector.select (selectors.py:468) 20",
        f"{POOL};_WorkItem.run (concurrent/futures/thread.py:58);"
        "Store.upsert (streams/history/store.py:120) 30",
        f"{POOL} 70",                                              # the pool waiting
        f"{CONSUMER};EpollSelector.select (selectors.py:468) 90",
        f"{CONSUMER};Fetcher._fetcher (faust/transport/consumer.py:1) 10",
    ]) + "\n")
    found = summarise(collapsed)
    assert found["main_thread_samples"] == 100
    assert found["consumer_thread_samples"] == 100
    assert found["consumer_thread_busy_share"] == 0.1
    assert found["pool_thread_busy_share"] == 0.3
    phases = {p["phase"]: p["share"] for p in found["phases"]}
    assert phases["stage 1: apply_event (catalogue maths on the customer record)"] == 0.6
    assert phases["stage 2: merge partials into windows"] == 0.2
    assert phases["idle: event loop waiting in epoll"] == 0.2
    hot = {h["function"] for h in found["self_busy"]}
    assert "[pool thread] Store.upsert (streams/history/store.py)" in hot
    assert not any("_worker" in name for name in hot)
