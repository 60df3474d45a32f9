"""Repeats and first-contact resolution over small per-customer histories.

A history is a plain dict (JSON-serialisable) that lives in the customer's record, under its own
keys ``repairs``, ``complaints`` and ``fcr``, so it rides the record's changelog write. Every
function updates ``history`` in place and returns it with its answer, so stream code reads
``is_repeat, record = repeat_repair(record, ...)``.

Times are epoch seconds (event time). Windows include their end: a further event exactly N days
later still counts. Each list is pruned to the window, measured back from the newest time it
holds, and capped at ``max_entries`` (oldest out first); an event that arrives later than that
memory reaches is judged without it. Formulas: docs/metrics.md ("Repeats", "First-contact
resolution").
"""

from bisect import insort
from typing import Any, NamedTuple

from metrics.errors import MetricInputError

DAY_S = 86_400.0
DEFAULT_REPEAT_WINDOW_S = 30 * DAY_S
DEFAULT_FCR_WINDOW_S = 7 * DAY_S
DEFAULT_MAX_ENTRIES = 32
# Ticket kinds that count as a further contact after a call; a suggestion does not.
FOLLOW_UP_KINDS = frozenset({"complaint", "repair", "inquiry"})

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


class FcrOutcome(NamedTuple):
    """A judged contact: ``key`` is ``call:<call_id>`` or ``ticket:<ticket_id>``.

    ``opened_s`` is when its window opened (answer or resolution time) and ``tag`` is whatever
    the caller stored with it (e.g. the contact's segment), for attribution.
    """

    key: str
    opened_s: float
    tag: Any


class FcrUpdate(NamedTuple):
    """Contacts judged by one call: failed (further contact), passed (window over), dropped."""

    failed: tuple[FcrOutcome, ...] = ()
    passed: tuple[FcrOutcome, ...] = ()
    dropped: tuple[FcrOutcome, ...] = ()


NO_CHANGE = FcrUpdate()


def _fcr(history: History) -> dict[str, Any]:
    return history.setdefault("fcr", {"pending": {}, "created": []})


def _outcome(key: str, pending: dict[str, list[Any]]) -> FcrOutcome:
    opened_s, tag = pending.pop(key)
    return FcrOutcome(key, opened_s, tag)


def _add_pending(
    state: dict[str, Any], key: str, opened_s: float, tag: Any, max_entries: int
) -> FcrUpdate:
    pending: dict[str, list[Any]] = state["pending"]
    pending[key] = [opened_s, tag]
    dropped = []
    while len(pending) > max_entries:
        oldest = min(pending, key=lambda other: pending[other][0])
        dropped.append(_outcome(oldest, pending))
    return FcrUpdate(dropped=tuple(dropped)) if dropped else NO_CHANGE


def fcr_call_answered(
    history: History,
    call_id: str,
    answered_s: float,
    tag: Any = None,
    window_s: float = DEFAULT_FCR_WINDOW_S,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[FcrUpdate, History]:
    """Open an answered call as a contact to judge.

    It fails at once when a follow-up ticket of the same customer, created in
    [answered_s, answered_s + window_s], is already in the history (the ticket topic ran ahead).
    """
    _check_bounds(window_s, max_entries)
    state = _fcr(history)
    key = f"call:{call_id}"
    if key in state["pending"]:
        return NO_CHANGE, history
    if any(0 <= created_s - answered_s <= window_s for _, created_s in state["created"]):
        return FcrUpdate(failed=(FcrOutcome(key, answered_s, tag),)), history
    return _add_pending(state, key, answered_s, tag, max_entries), history


def fcr_ticket_created(
    history: History,
    ticket_id: str,
    kind: str,
    created_s: float,
    window_s: float = DEFAULT_FCR_WINDOW_S,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[FcrUpdate, History]:
    """A new ticket (any channel) fails each pending call answered in [created_s - window_s,
    created_s].

    Only kinds in FOLLOW_UP_KINDS count; the creation is remembered for calls that arrive late.
    """
    _check_bounds(window_s, max_entries)
    if kind not in FOLLOW_UP_KINDS:
        return NO_CHANGE, history
    state = _fcr(history)
    pending: dict[str, list[Any]] = state["pending"]
    failing = [
        key for key, (opened_s, _) in pending.items()
        if key.startswith("call:") and 0 <= created_s - opened_s <= window_s
    ]
    created: list[list[Any]] = state["created"]
    if not any(entry[0] == ticket_id for entry in created):
        insort(created, [ticket_id, created_s], key=lambda entry: entry[1])
        _prune(created, window_s, max_entries)
    if not failing:
        return NO_CHANGE, history
    return FcrUpdate(failed=tuple(_outcome(key, pending) for key in failing)), history


def fcr_ticket_resolved(
    history: History,
    ticket_id: str,
    resolved_s: float,
    tag: Any = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[FcrUpdate, History]:
    """Open a ticket as a contact to judge, at its FIRST resolution (the caller knows which).

    A ticket already pending is left as it is.
    """
    _check_bounds(0.0, max_entries)
    state = _fcr(history)
    key = f"ticket:{ticket_id}"
    if key in state["pending"]:
        return NO_CHANGE, history
    return _add_pending(state, key, resolved_s, tag, max_entries), history


def fcr_ticket_reopened(
    history: History,
    ticket_id: str,
    reopened_s: float,
    window_s: float = DEFAULT_FCR_WINDOW_S,
) -> tuple[FcrUpdate, History]:
    """A reopen within [resolved_s, resolved_s + window_s] fails the pending ticket.

    A reopen after the window passes it (its window ended clean); a ticket not pending is
    unaffected.
    """
    _check_bounds(window_s, 1)
    state = _fcr(history)
    key = f"ticket:{ticket_id}"
    pending: dict[str, list[Any]] = state["pending"]
    if key not in pending:
        return NO_CHANGE, history
    opened_s = pending[key][0]
    if reopened_s < opened_s:
        return NO_CHANGE, history
    outcome = _outcome(key, pending)
    if reopened_s - opened_s <= window_s:
        return FcrUpdate(failed=(outcome,)), history
    return FcrUpdate(passed=(outcome,)), history


def fcr_settle(
    history: History,
    now_s: float,
    window_s: float = DEFAULT_FCR_WINDOW_S,
    grace_s: float = 0.0,
) -> tuple[FcrUpdate, History]:
    """Pass every pending contact whose window ended: now_s > opened_s + window_s + grace_s.

    ``now_s`` is an event-time watermark; ``grace_s`` waits for late events from the other
    topic before a pass is final.
    """
    _check_bounds(window_s, 1)
    if not grace_s >= 0:
        raise MetricInputError(f"grace_s must be >= 0, got {grace_s}")
    state = _fcr(history)
    pending: dict[str, list[Any]] = state["pending"]
    due = [key for key, (opened_s, _) in pending.items()
           if now_s > opened_s + window_s + grace_s]
    if not due:
        return NO_CHANGE, history
    return FcrUpdate(passed=tuple(_outcome(key, pending) for key in due)), history
