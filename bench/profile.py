"""Summaries of py-spy's collapsed ("raw") stacks: where the consumer's wall time goes.

Faust runs the aiokafka consumer in a second thread with its own event loop (mode's
ServiceThread), and the worker's history sink writes in a thread-pool thread, so samples are
split by thread: phases are shares of the main thread's samples (= wall time of the agents'
event loop); the consumer thread's and the pool's busy samples are given next to them, as
shares of the same wall time (on one core, a busy pool thread takes its time from the main
thread). Samples whose leaf is epoll's select are the loop waiting (for the broker, usually);
a pool thread is busy only while it runs a work item.
"""

import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_CONSUMER_THREAD = ("WorkerThread.run (", "ServiceThread._start_thread (")
_IDLE_LEAVES = ("EpollSelector.select (", "select (selectors.py")
_POOL_THREAD = "_worker (concurrent/futures/thread.py"
_POOL_BUSY = "_WorkItem.run ("

#: (phase, substrings any of which marks it), first match wins; matched against the part of the
#: stack below the event loop's dispatch so the CLI / worker frames do not count
PHASES = (
    ("offset commit", ("Consumer.commit (", "_commit (", "commit_offsets", "_commit_offsets")),
    ("stage 1: decode_message (json + pydantic)", ("decode_message (",)),
    ("stage 1: apply_event (catalogue maths on the customer record)", ("apply_event (",)),
    ("stage 1 flush: snapshot (projection, partials, customer records)", ("Ledger.snapshot (",)),
    ("stage 1: ledger bookkeeping (customers, cursors, slots)", ("streams/ledger.py",)),
    ("stage 1 flush: Prometheus counters", ("Stage1._count (",)),
    ("stage 1 flush: writes (outbox, meta, partials, customers) and acks",
     ("streams/stage1.py",)),
    ("stage 2: history (full segments, closed windows)", ("streams/history/",)),
    ("stage 2: dive detection", ("streams/dives.py", "metrics/dives.py", "time_dives.py")),
    ("stage 2: merge partials into windows", ("Stage2.handle (",)),
    ("stage 2: window flush", ("streams/stage2.py",)),
    ("stage 1: rest of handle_message (dead letters, age histogram)", ("handle_message (",)),
    ("bare agent body", ("bench/bare_agent.py",)),
    ("producer: Faust ProducerBuffer -> aiokafka send()", ("ProducerBuffer.",)),
    ("producer: aiokafka sender (requests, acks)", ("aiokafka/producer",)),
    ("aiokafka connection I/O", ("aiokafka/",)),
    ("/metrics and /progress pages (aiohttp, prometheus_client)",
     ("prometheus_client", "aiohttp/")),
    ("faust streams, agents, conductor", ("faust/",)),
    ("mode services and timers", ("mode/",)),
)


def _frame(raw: str) -> tuple[str, str]:
    match = _FRAME.match(raw.strip())
    if not match:
        return raw.strip(), ""
    return match["func"], match["file"]


def _short(file: str) -> str:
    for marker in ("site-packages/", "/code/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def summarise(collapsed: Path, top: int = 15) -> dict:
    """Phases of the main thread, consumer-thread load, and top self-time functions."""
    phases: Counter[str] = Counter()
    self_busy: Counter[str] = Counter()
    main_total = consumer_total = consumer_busy = pool_busy = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        leaf = frames[-1]
        idle = leaf.startswith(_IDLE_LEAVES)
        if any(marker in stack for marker in _CONSUMER_THREAD):
            consumer_total += count
            consumer_busy += 0 if idle else count
            if not idle:
                func, file = _frame(leaf)
                self_busy[f"[consumer thread] {func} ({_short(file)})"] += count
            continue
        if _POOL_THREAD in stack:
            if _POOL_BUSY in stack:
                pool_busy += count
                func, file = _frame(leaf)
                self_busy[f"[pool thread] {func} ({_short(file)})"] += count
            continue
        main_total += count
        if idle:
            phases["idle: event loop waiting in epoll"] += count
            continue
        func, file = _frame(leaf)
        self_busy[f"{func} ({_short(file)})"] += count
        below = stack.split("BaseEventLoop._run_once (", 1)[-1]
        for phase, markers in PHASES:
            if any(marker in below for marker in markers):
                phases[phase] += count
                break
        else:
            phases["asyncio loop and callbacks"] += count

    def share(n: int) -> float:
        return n / main_total if main_total else 0.0

    busy_total = sum(self_busy.values())
    return {
        "main_thread_samples": main_total,
        "consumer_thread_samples": consumer_total,
        "consumer_thread_busy_share": share(consumer_busy),
        "pool_thread_busy_share": share(pool_busy),
        "phases": [{"phase": name, "samples": n, "share": share(n)}
                   for name, n in phases.most_common()],
        "self_busy": [{"function": name, "samples": n,
                       "share_of_busy": n / busy_total if busy_total else 0.0}
                      for name, n in self_busy.most_common(top)],
    }
