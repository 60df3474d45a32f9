"""Repeat repairs and repeat complaints over small per-customer histories.

A history is a plain dict (JSON-serialisable) that lives in the customer's record, under its own
keys ``repairs`` and ``complaints``, so it rides the record's changelog write. Every
function updates ``history`` in place and returns it with its answer, so stream code reads
``is_repeat, record = repeat_repair(record, ...)``.

Times are epoch seconds (event time). Windows include their end: a further event exactly N days
later still counts. Each list is pruned to the window, measured back from the newest time it
holds, and capped at ``max_entries`` (oldest out first); an event that arrives later than that
memory reaches is judged without it. Only ticket events feed these histories, so their answers
depend on the ticket topic's own order and never on how it interleaves with other topics.
Formulas: docs/metrics.md ("Repeats"). First-contact resolution lives in metrics/fcr.py.
"""

from bisect import insort
from typing import Any

from metrics.errors import MetricInputError

DAY_S = 86_400.0
DEFAULT_REPEAT_WINDOW_S = 30 * DAY_S
DEFAULT_MAX_ENTRIES = 32

History = dict[str, Any]


def _check_bounds(window_s: float, max_entries: int) -> None:
    if not window_s >= 0:
        raise MetricInputError(f"window_s must be >= 0, got {window_s}")
    if max_entries < 1:
        raise MetricInputError(f"max_entries must be >= 1, got {max_entries}")


def _prune(entries: list[list[Any]], window_s: float, max_entries: int) -> None:
    """Drop entries (sorted by time, time last) older than the newest minus the window; cap."""
    cutoff = entries[-1][-1] - window_s
    stale = 0
    while stale < len(entries) and entries[stale][-1] < cutoff:
        stale += 1
    del entries[:max(stale, len(entries) - max_entries)]


def _record_repeat(
    history: History, name: str, ticket_id: str, key: str | None, at_s: float,
    window_s: float, max_entries: int,
) -> tuple[bool, History]:
    """Shared body of repeat repair and repeat complaint: same ``key`` earlier within the window."""
    _check_bounds(window_s, max_entries)
    if key is None:
        return False, history
    entries: list[list[Any]] = history.setdefault(name, [])
    if any(entry[0] == ticket_id for entry in entries):
        return False, history
    repeat = any(
        entry[1] == key and 0 <= at_s - entry[2] <= window_s for entry in entries
    )
    insort(entries, [ticket_id, key, at_s], key=lambda entry: entry[2])
    _prune(entries, window_s, max_entries)
    return repeat, history


def repeat_repair(
    history: History,
    ticket_id: str,
    asset_id: str | None,
    created_s: float,
    window_s: float = DEFAULT_REPEAT_WINDOW_S,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[bool, History]:
    """Is this new repair ticket a repeat repair, i.e. 0 <= created_s - previous <= window_s?

    "Previous" is an earlier-or-simultaneous repair of the same customer (the history's owner)
    and the same ``asset_id``. No asset: never a repeat and not remembered. A ticket_id already
    in the history returns False, so a repeat is counted once.
    """
    return _record_repeat(history, "repairs", ticket_id, asset_id, created_s, window_s,
                          max_entries)


def repeat_complaint(
    history: History,
    ticket_id: str,
    issue_category: str | None,
    created_s: float,
    window_s: float = DEFAULT_REPEAT_WINDOW_S,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[bool, History]:
    """Is this new complaint the 2nd (or later) on the same issue_category within window_s?

    Same rule as :func:`repeat_repair`, keyed by issue category instead of asset.
    """
    return _record_repeat(history, "complaints", ticket_id, issue_category, created_s,
                          window_s, max_entries)
