"""Scenario 1: a raw aiokafka consumer that json-decodes every message and counts its events.

Run as a child process by bench.ingest (pinned to one core). No consumer group: all partitions
of the source topics are assigned by hand and read from the beginning with ``getmany``. Timing
is in-process, from the first message received to the last event counted; the result is written
as JSON to ``--result``.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

STALL_S = 0.01  # a getmany that waits longer than this (after the first data) is a stall


def _cpu_s() -> float:
    return time.process_time()  # all threads, ns resolution (os.times has 10 ms ticks)


async def consume(bootstrap: str, topics: list[str], expected: int, timeout_s: float) -> dict:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest", client_id="bench-raw",
    )
    await consumer.start()
    try:
        partitions = []
        for topic in topics:
            found = consumer.partitions_for_topic(topic)
            deadline = time.monotonic() + 30
            while not found and time.monotonic() < deadline:
                await consumer._client.force_metadata_update()  # noqa: SLF001
                found = consumer.partitions_for_topic(topic)
            partitions += [TopicPartition(topic, p) for p in sorted(found or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        events = messages = 0
        t_first = cpu_first = None
        gaps: list[float] = []  # waits > STALL_S in getmany once data has started
        loads = json.loads
        deadline = time.monotonic() + timeout_s
        while events < expected and time.monotonic() < deadline:
            waited = time.time()
            batches = await consumer.getmany(timeout_ms=500)
            if t_first is not None and time.time() - waited > STALL_S:
                gaps.append(time.time() - waited)
            for records in batches.values():
                if t_first is None and records:
                    t_first, cpu_first = time.time(), _cpu_s()
                for record in records:
                    obj = loads(record.value)
                    events += len(obj["events"]) if obj.get("type") == "envelope" else 1
                    messages += 1
        t_last, cpu_last = time.time(), _cpu_s()
        return {
            "complete": events >= expected, "events": events, "messages": messages,
            "t_first": t_first, "t_last": t_last,
            "cpu_window_s": (cpu_last - cpu_first) if cpu_first is not None else None,
            "stalls": len(gaps), "stall_s": sum(gaps), "max_gap_s": max(gaps, default=0.0),
        }
    finally:
        await consumer.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topics", required=True, help="comma-separated")
    parser.add_argument("--expected", type=int, required=True, help="events to wait for")
    parser.add_argument("--timeout-s", type=float, default=300.0)
    parser.add_argument("--result", required=True)
    args = parser.parse_args()
    result = asyncio.run(consume(args.bootstrap, args.topics.split(","), args.expected,
                                 args.timeout_s))
    tmp = Path(args.result + ".part")
    tmp.write_text(json.dumps(result))
    tmp.rename(args.result)
    # stay alive until the harness has read VmHWM and CPU, then it sends SIGTERM
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
