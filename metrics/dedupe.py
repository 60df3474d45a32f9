"""Exact-duplicate detection by event_id, on a small per-customer record.

Every topic is keyed by customer, so all copies of an event land on the same partition and the
same customer record: remembering recent event_ids inside that record makes the check local, and
the record's changelog write (needed for customer state anyway) persists it across restarts.

Copies of an event come on its own source topic, so the memory is kept per source: the record
holds ``{"dd": {source: {"n": newest_s, "ids": {event_id: occurred_s}}}, "newest_s": ...}``
(plain JSON). Memory is bounded twice, per source: ids older than ``window_s`` before the
source's newest id are forgotten, and at most ``max_ids`` ids are kept (oldest remembered first
out). Both bounds move only with that source's own events, which arrive in their partition's
order, so what is forgotten never depends on how the consumer interleaves topics. A duplicate
that arrives after its original was forgotten is counted as a new event; docs/events.md states
this. ``newest_s`` is the newest event time over all sources (customer eviction reads it).
"""

from typing import Any


def remember(
    record: dict[str, Any], event_id: str, occurred_s: float, window_s: float, max_ids: int,
    source: str = "",
) -> tuple[bool, int]:
    """Record ``event_id`` of ``source`` in ``record``; return (was_duplicate, ids_forgotten).

    ``occurred_s`` is the event time in epoch seconds. A duplicate leaves the record unchanged.
    A version-1 record's single id map (``ids``) is still consulted, and emptied by the same
    window, until nothing is left of it.
    """
    legacy: dict[str, float] | None = record.get("ids")
    memory = record.setdefault("dd", {}).setdefault(source, {"n": occurred_s, "ids": {}})
    ids: dict[str, float] = memory["ids"]
    if event_id in ids or (legacy is not None and event_id in legacy):
        return True, 0
    ids[event_id] = occurred_s
    memory["n"] = newest = max(occurred_s, memory["n"])
    record["newest_s"] = max(occurred_s, record.get("newest_s", occurred_s))
    forgotten = _forget(ids, newest - window_s)
    while len(ids) > max_ids:
        del ids[next(iter(ids))]
        forgotten += 1
    if legacy is not None:
        forgotten += _forget(legacy, record["newest_s"] - window_s)
        if not legacy:
            del record["ids"]
    return False, forgotten


def _forget(ids: dict[str, float], cutoff_s: float) -> int:
    """Drop ids seen before ``cutoff_s``; return how many."""
    stale = [key for key, seen_s in ids.items() if seen_s < cutoff_s]
    for key in stale:
        del ids[key]
    return len(stale)
