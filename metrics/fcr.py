"""First-contact resolution over a bounded per-customer history that ignores topic interleaving.

Calls and tickets arrive on different topics. Each topic partition keeps its own order, but how
the consumer interleaves the two is arbitrary, so every decision here that could change a
published count is taken from one topic's own data:

- the call side (``calls``, clock ``cc`` = newest answer time) changes only on calls: which
  calls are tracked (at most ``max_entries`` within 2N of ``cc``) and when they are forgotten
  (answered more than 2N before ``cc``); a failed call stays in the list, flagged, so a failure
  revealed by a ticket never frees a slot;
- the ticket side (``tickets``, ``created``, clock ``tc`` = newest ticket time seen here)
  changes only on tickets: resolved tickets to judge (at most ``max_entries`` pending), and the
  follow-up creation times, kept while within N of ``tc``.

The one cross-topic judgement, "a follow-up ticket created in [answered_s, answered_s + N]
fails the call", is then found whichever side comes second, as long as that side is at most N
(the margin) behind the other for the customer. An event further behind is not judged against
what may have been forgotten: it is returned as ``dropped``, so the order sensitivity that is
left is counted, never silent. Definitions: docs/metrics.md ("First-contact resolution").

The history is a plain dict in the customer record under ``fcr`` (JSON, changelogged with it).
Every function updates it in place and returns ``(update, history)``. Times are epoch seconds.
"""

from bisect import insort
from typing import Any, NamedTuple

from metrics.errors import MetricInputError
from metrics.repeats import DAY_S, DEFAULT_MAX_ENTRIES

DEFAULT_FCR_WINDOW_S = 7 * DAY_S
# Ticket kinds that count as a further contact after a call; a suggestion does not.
FOLLOW_UP_KINDS = frozenset({"complaint", "repair", "inquiry"})
VERSION = 2

History = dict[str, Any]


class FcrOutcome(NamedTuple):
    """A judged contact (``key`` is ``call:<id>`` or ``ticket:<id>``), or a follow-up ticket
    that arrived too far behind the calls (``created:<id>``).

    ``opened_s`` is when its window opened (answer, resolution or creation time) and ``tag``
    is what the caller stored with it (e.g. its segment), for attribution.
    """

    key: str
    opened_s: float
    tag: Any


class FcrUpdate(NamedTuple):
    """What one event decided: contacts that failed, and contacts or follow-ups dropped."""

    failed: tuple[FcrOutcome, ...] = ()
    dropped: tuple[FcrOutcome, ...] = ()


NO_CHANGE = FcrUpdate()


def _check_bounds(window_s: float, max_entries: int) -> None:
    if not window_s > 0:
        raise MetricInputError(f"window_s must be > 0, got {window_s}")
    if max_entries < 1:
        raise MetricInputError(f"max_entries must be >= 1, got {max_entries}")


def _state(history: History) -> dict[str, Any]:
    """The customer's FCR state, created empty or upgraded from the version-1 layout."""
    state = history.get("fcr")
    if state is None:
        state = history["fcr"] = {"v": VERSION, "cc": 0.0, "tc": 0.0, "calls": {},
                                  "tickets": {}, "created": []}
    elif state.get("v") != VERSION:
        # Version 1 kept one "pending" dict for both topics and [ticket_id, created_s] pairs.
        pending = state.get("pending", {})
        calls = {key[5:]: [opened, tag, True] for key, (opened, tag) in pending.items()
                 if key.startswith("call:")}
        tickets = {key[7:]: [opened, tag] for key, (opened, tag) in pending.items()
                   if key.startswith("ticket:")}
        created = sorted(created_s for _, created_s in state.get("created", []))
        state = history["fcr"] = {
            "v": VERSION, "cc": max((entry[0] for entry in calls.values()), default=0.0),
            "tc": max([*created, *(entry[0] for entry in tickets.values())], default=0.0),
            "calls": calls, "tickets": tickets, "created": created,
        }
    return state


def _forget_calls(state: dict[str, Any], window_s: float) -> None:
    """Forget calls answered more than 2N before the call clock (call-side data only)."""
    cutoff = state["cc"] - 2 * window_s
    calls: dict[str, list[Any]] = state["calls"]
    for call_id in [key for key, entry in calls.items() if entry[0] < cutoff]:
        del calls[call_id]


def _forget_tickets(state: dict[str, Any], window_s: float) -> None:
    """Forget creations older than N, and ticket contacts older than 2N, before the ticket
    clock (ticket-side data only). A reopen that could still fail a forgotten contact would
    be more than N behind its own topic for this customer: late, so never applied."""
    created: list[float] = state["created"]
    cutoff = state["tc"] - window_s
    stale = 0
    while stale < len(created) and created[stale] < cutoff:
        stale += 1
    del created[:stale]
    tickets: dict[str, list[Any]] = state["tickets"]
    cutoff -= window_s
    for ticket_id in [key for key, entry in tickets.items() if entry[0] < cutoff]:
        del tickets[ticket_id]


def _thin(created: list[float], window_s: float) -> None:
    """Remove creation times that cannot change an answer to "is there one in [a, a + N]?".

    A time whose kept neighbours lie within N of each other is redundant: any interval of
    length N holding it holds one of them. The list stays sorted and, over a span of N, holds
    at most a few times, so it needs no cap.
    """
    kept: list[float] = []
    for index, created_s in enumerate(created):
        following = created[index + 1] if index + 1 < len(created) else None
        if kept and following is not None and following - kept[-1] <= window_s:
            continue
        kept.append(created_s)
    created[:] = kept


def fcr_call_answered(
    history: History,
    call_id: str,
    answered_s: float,
    tag: Any = None,
    window_s: float = DEFAULT_FCR_WINDOW_S,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[FcrUpdate, History]:
    """Open an answered call as a contact and judge it against creations already seen.

    Dropped (never judged) when ``max_entries`` calls of the customer answered within 2N are
    already tracked, or when the call is more than N behind the ticket clock (a follow-up it
    could match may have been forgotten). Otherwise it fails at once when a follow-up ticket
    created in [answered_s, answered_s + window_s] is remembered, else it waits for one. A
    call_id already tracked changes nothing.
    """
    _check_bounds(window_s, max_entries)
    state = _state(history)
    calls: dict[str, list[Any]] = state["calls"]
    if call_id in calls:
        return NO_CHANGE, history
    state["cc"] = max(state["cc"], answered_s)
    _forget_calls(state, window_s)
    outcome = FcrOutcome(f"call:{call_id}", answered_s, tag)
    if len(calls) >= max_entries:
        return FcrUpdate(dropped=(outcome,)), history
    behind = answered_s < state["tc"] - window_s
    failed = not behind and any(
        answered_s <= created_s <= answered_s + window_s for created_s in state["created"])
    # Every tracked call takes a slot, judged or not, so slots depend on calls alone.
    calls[call_id] = [answered_s, tag, not (behind or failed)]
    if behind:
        return FcrUpdate(dropped=(outcome,)), history
    if failed:
        return FcrUpdate(failed=(outcome,)), history
    return NO_CHANGE, history


def fcr_ticket_created(
    history: History,
    ticket_id: str,
    kind: str,
    created_s: float,
    tag: Any = None,
    window_s: float = DEFAULT_FCR_WINDOW_S,
) -> tuple[FcrUpdate, History]:
    """A new ticket (any channel): a follow-up kind fails each waiting call answered in
    [created_s - window_s, created_s], and is remembered for calls that come later.

    Kinds outside FOLLOW_UP_KINDS only move the ticket clock. A follow-up more than N behind
    the call clock is also returned as dropped (keyed ``created:<id>``): calls it could have
    failed may already be forgotten.
    """
    _check_bounds(window_s, 1)
    state = _state(history)
    state["tc"] = max(state["tc"], created_s)
    _forget_tickets(state, window_s)
    if kind not in FOLLOW_UP_KINDS:
        return NO_CHANGE, history
    _forget_calls(state, window_s)
    failed = []
    for call_id, entry in state["calls"].items():
        if entry[2] and 0 <= created_s - entry[0] <= window_s:
            entry[2] = False
            failed.append(FcrOutcome(f"call:{call_id}", entry[0], entry[1]))
    created: list[float] = state["created"]
    insort(created, created_s)
    _thin(created, window_s)
    dropped = ()
    if created_s < state["cc"] - window_s:
        dropped = (FcrOutcome(f"created:{ticket_id}", created_s, tag),)
    if not failed and not dropped:
        return NO_CHANGE, history
    return FcrUpdate(failed=tuple(failed), dropped=dropped), history


def fcr_ticket_resolved(
    history: History,
    ticket_id: str,
    resolved_s: float,
    tag: Any = None,
    window_s: float = DEFAULT_FCR_WINDOW_S,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[FcrUpdate, History]:
    """Open a ticket as a contact to judge, at its FIRST resolution (the caller knows which).

    Dropped (never judged) when ``max_entries`` tickets of the customer are already waiting.
    A ticket already waiting is left as it is.
    """
    _check_bounds(window_s, max_entries)
    state = _state(history)
    state["tc"] = max(state["tc"], resolved_s)
    _forget_tickets(state, window_s)
    tickets: dict[str, list[Any]] = state["tickets"]
    if ticket_id in tickets:
        return NO_CHANGE, history
    if len(tickets) >= max_entries:
        return FcrUpdate(dropped=(FcrOutcome(f"ticket:{ticket_id}", resolved_s, tag),)), history
    tickets[ticket_id] = [resolved_s, tag]
    return NO_CHANGE, history


def fcr_ticket_reopened(
    history: History,
    ticket_id: str,
    reopened_s: float,
    window_s: float = DEFAULT_FCR_WINDOW_S,
) -> tuple[FcrUpdate, History]:
    """A reopen within [resolved_s, resolved_s + window_s] fails the waiting ticket.

    A reopen after the window ends the wait without failing; a reopen before the resolution,
    or of a ticket not waiting, changes nothing.
    """
    _check_bounds(window_s, 1)
    state = _state(history)
    state["tc"] = max(state["tc"], reopened_s)
    _forget_tickets(state, window_s)
    tickets: dict[str, list[Any]] = state["tickets"]
    entry = tickets.get(ticket_id)
    if entry is None or reopened_s < entry[0]:
        return NO_CHANGE, history
    del tickets[ticket_id]
    if reopened_s - entry[0] <= window_s:
        return FcrUpdate(failed=(FcrOutcome(f"ticket:{ticket_id}", entry[0], entry[1]),)), history
    return NO_CHANGE, history
