"""Exact-duplicate detection by event_id, on a small per-customer record.

Every topic is keyed by customer, so all copies of an event land on the same partition and the
same customer record: remembering recent event_ids inside that record makes the check local, and
the record's changelog write (needed for customer state anyway) persists it across restarts.

The record is a plain dict ``{"ids": {event_id: occurred_epoch_s}}`` so it serialises as JSON.
Memory is bounded twice: ids older than ``window_s`` before the newest id are forgotten, and at
most ``max_ids`` ids are kept per customer (oldest first out). A duplicate that arrives after its
original was forgotten is counted as a new event; docs/events.md states this.
"""

from typing import Any


def remember(
    record: dict[str, Any], event_id: str, occurred_s: float, window_s: float, max_ids: int
) -> tuple[bool, int]:
    """Record ``event_id`` in ``record``; return (was_duplicate, ids_forgotten).

    ``occurred_s`` is the event time in epoch seconds. A duplicate leaves the record unchanged.
    """
    ids: dict[str, float] = record.setdefault("ids", {})
    if event_id in ids:
        return True, 0
    ids[event_id] = occurred_s
    newest = max(occurred_s, record.get("newest_s", occurred_s))
    record["newest_s"] = newest
    cutoff = newest - window_s
    stale = [key for key, seen_s in ids.items() if seen_s < cutoff]
    for key in stale:
        del ids[key]
    forgotten = len(stale)
    while len(ids) > max_ids:
        del ids[next(iter(ids))]
        forgotten += 1
    return False, forgotten
