"""Reading the dive log (cx.dives): current and recent dives, for ``cxpulse dives``.

Each dive writes one ``start`` record and, when it is over, one ``end`` record with the same
``id`` (``<view key>#<kind>@<start epoch s>``). Folding the log by id gives the dives still on
(a start without an end) and the recent ones (ended within ``recent_s`` of event time before
the newest record).
"""

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from streams.settings import Settings


def read_log(settings: Settings, timeout_s: float = 10.0) -> list[dict[str, Any]]:
    """Every record on the dives topic, oldest first per partition (no consumer group)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers,
                             enable_auto_commit=False, consumer_timeout_ms=int(timeout_s * 1000),
                             client_id=f"{settings.app_id}-dives-cli")
    try:
        partitions = consumer.partitions_for_topic(settings.dives_topic) or set()
        tps = [TopicPartition(settings.dives_topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records = []
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            batch = consumer.poll(timeout_ms=int(timeout_s * 1000))
            if not batch:
                break
            for messages in batch.values():
                records += [json.loads(m.value) for m in messages]
        return records
    finally:
        consumer.close()


def fold(records: Iterable[dict[str, Any]], recent_s: float) -> tuple[list[dict], list[dict]]:
    """(current, recent): dives on now, and dives that ended within ``recent_s`` before the
    newest record's event time; each the latest record of its id, newest first."""
    latest: dict[str, dict[str, Any]] = {}
    newest = 0.0
    for record in records:   # one id lives in one partition, whose order the log keeps
        latest[record["id"]] = record
        newest = max(newest, record["at_s"])
    current = [r for r in latest.values() if r["event"] == "start"]
    recent = [r for r in latest.values() if r["event"] == "end" and r["at_s"] >= newest - recent_s]
    order = lambda r: -r["started_s"]  # noqa: E731
    return sorted(current, key=order), sorted(recent, key=order)


def _time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%d %H:%M")


def describe(record: dict[str, Any]) -> str:
    """One line: when, where, what kind, how deep (with its margin and p), on what sample, and
    why (the driver dimension and the operational measure)."""
    parts = [_time(record["started_s"]),
             "on" if record["event"] == "start" else f"ended {_time(record['at_s'])}",
             record["key"], record["kind"]]
    if record.get("depth") is not None:
        parts.append(f"-{record['depth']:.1f} +/- {record['margin']:.1f} points "
                     f"(p={record['p_value']:.2g}, n={record['recent']} vs {record['baseline']})")
    if record.get("driver", "none") != "none":
        parts.append(f"driver {record['driver']} -{record['driver_drop']:.1f}")
    if record.get("measure", "none") != "none":
        parts.append(f"{record['measure']} {record['measure_from']:.0%} -> "
                     f"{record['measure_to']:.0%}")
    return "  ".join(parts)
