"""The complaint clocks (投诉处理时限): respond and solve within budgets of business time.

Pure: no I/O and no wall clock. A clock runs only inside business hours (BusinessCalendar) and
stops while the ticket waits on the customer (pause intervals ``[paused, resumed)``; ``resumed``
is None while still paused). The rules and every boundary are in docs/complaint-clocks.md.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from metrics.business_hours import BusinessCalendar, as_utc
from metrics.errors import ConfigError

Pause = tuple[datetime, datetime | None]


class Clock(StrEnum):
    """Which complaint clock: first response (回复) or solution (解决方案)."""

    RESPONSE = "response"
    SOLUTION = "solution"


class ClockState(StrEnum):
    """An open clock is on track until its elapsed business time exceeds the budget."""

    ON_TRACK = "on_track"
    BREACHED = "breached"


@dataclass(frozen=True)
class ClockStatus:
    """One clock of an open ticket at an instant.

    ``remaining_s`` is budget minus elapsed business seconds: negative once breached (it then
    says by how much). ``deadline`` is None while an open-ended pause holds the clock before
    its budget is spent. ``paused`` tells whether the instant lies inside a pause.
    """

    state: ClockState
    budget_s: float
    elapsed_s: float
    remaining_s: float
    deadline: datetime | None
    paused: bool


def _merged_pauses(pauses: Iterable[Pause], start: datetime,
                   end: datetime | None) -> list[tuple[datetime, datetime | None]]:
    """Pauses in UTC clipped to ``[start, end)`` (or from ``start`` on), sorted and merged.

    An open-ended pause stays open-ended (None) when ``end`` is None, else it ends at ``end``.
    Raises ValueError for a naive instant or a pause that resumes before it was paused.
    """
    clipped: list[tuple[datetime, datetime | None]] = []
    for paused, resumed in pauses:
        paused_utc = as_utc(paused, "paused")
        resumed_utc = None if resumed is None else as_utc(resumed, "resumed")
        if resumed_utc is not None and resumed_utc < paused_utc:
            raise ValueError(f"pause resumes at {resumed.isoformat()} before it was paused "
                             f"at {paused.isoformat()}")
        if end is not None:
            resumed_utc = end if resumed_utc is None else min(resumed_utc, end)
        begin = max(paused_utc, start)
        if resumed_utc is not None and resumed_utc <= begin:
            continue
        clipped.append((begin, resumed_utc))
    clipped.sort(key=lambda pause: pause[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for begin, finish in clipped:
        if merged and (merged[-1][1] is None or begin <= merged[-1][1]):
            last_begin, last_finish = merged[-1]
            merged[-1] = (last_begin, None if last_finish is None or finish is None
                          else max(last_finish, finish))
        else:
            merged.append((begin, finish))
    return merged


def _elapsed(start: datetime, end: datetime, pauses: Iterable[Pause],
             calendar: BusinessCalendar) -> timedelta:
    start_utc, end_utc = as_utc(start, "start"), as_utc(end, "end")
    if end_utc < start_utc:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    total = timedelta()
    cursor = start_utc
    for paused, resumed in _merged_pauses(pauses, start_utc, end_utc):
        total += calendar.business_time_between(cursor, paused)
        assert resumed is not None  # clipped to end_utc
        cursor = resumed
    return total + calendar.business_time_between(cursor, end_utc)


def elapsed_business_s(start: datetime, end: datetime, pauses: Iterable[Pause],
                       calendar: BusinessCalendar) -> float:
    """Business seconds in ``[start, end)`` during which no pause was running.

    Pauses are clipped to ``[start, end)`` and overlapping ones merged, so paused time counts
    once; an open-ended pause runs to ``end``. Raises ValueError if ``end < start``.
    """
    return _elapsed(start, end, pauses, calendar).total_seconds()


def clock_deadline(start: datetime, budget_s: float, pauses: Iterable[Pause],
                   calendar: BusinessCalendar) -> datetime | None:
    """The last instant at which a clock started at ``start`` has not overspent ``budget_s``.

    That is where its unpaused business time reaches the budget, moved on to the next instant
    the clock runs again (next opening, or the end of a pause) when it lands where the clock is
    stopped; so ``t <= deadline`` exactly when elapsed business time at ``t`` is within budget.
    None when an open-ended pause stops the clock before (or as) the budget is spent.
    """
    start_utc = as_utc(start, "start")
    remaining = timedelta(seconds=budget_s)
    cursor = start_utc
    for paused, resumed in _merged_pauses(pauses, start_utc, None):
        running = calendar.business_time_between(cursor, paused)
        if remaining < running:
            return calendar.add_business_time(cursor, remaining)
        remaining -= running
        if resumed is None:
            return None
        cursor = resumed
    return calendar.add_business_time(cursor, remaining)


@dataclass(frozen=True)
class ComplaintClock:
    """The complaint rule's budgets, in business seconds (defaults: 24 h, 72 h, 2 h).

    ``off_hours_response_s`` is the response budget of a complaint created while the desk is
    closed, counted from the next opening.
    """

    response_budget_s: float = 24 * 3600.0
    solution_budget_s: float = 72 * 3600.0
    off_hours_response_s: float = 2 * 3600.0

    def __post_init__(self) -> None:
        for name in ("response_budget_s", "solution_budget_s", "off_hours_response_s"):
            value = getattr(self, name)
            if not 0 < value < float("inf"):
                raise ConfigError(f"{name}: must be a positive number of seconds, got {value}")

    def budget_s(self, clock: Clock, created_at: datetime, calendar: BusinessCalendar) -> float:
        """The budget of ``clock`` for a complaint created at ``created_at``, in seconds.

        Response: ``off_hours_response_s`` when the desk is closed at ``created_at``, else
        ``response_budget_s``. Solution: ``solution_budget_s`` always.
        """
        if clock is Clock.SOLUTION:
            return self.solution_budget_s
        if calendar.is_open(created_at):
            return self.response_budget_s
        return self.off_hours_response_s

    def response_deadline(self, created_at: datetime, calendar: BusinessCalendar,
                          pauses: Iterable[Pause] = ()) -> datetime | None:
        """Last on-time instant for the first response; None while an open pause holds it."""
        budget = self.budget_s(Clock.RESPONSE, created_at, calendar)
        return clock_deadline(created_at, budget, pauses, calendar)

    def solution_deadline(self, created_at: datetime, calendar: BusinessCalendar,
                          pauses: Iterable[Pause] = ()) -> datetime | None:
        """Last on-time instant for the solution; None while an open pause holds it."""
        return clock_deadline(created_at, self.solution_budget_s, pauses, calendar)

    def _on_time(self, clock: Clock, created_at: datetime, done_at: datetime,
                 pauses: Iterable[Pause], calendar: BusinessCalendar) -> bool:
        budget = timedelta(seconds=self.budget_s(clock, created_at, calendar))
        return _elapsed(created_at, done_at, pauses, calendar) <= budget

    def response_on_time(self, created_at: datetime, first_response_at: datetime,
                         pauses: Iterable[Pause], calendar: BusinessCalendar) -> bool:
        """Whether the first response used no more unpaused business time than its budget.

        Raises ValueError if ``first_response_at`` is before ``created_at``.
        """
        return self._on_time(Clock.RESPONSE, created_at, first_response_at, pauses, calendar)

    def solution_on_time(self, created_at: datetime, resolved_at: datetime,
                         pauses: Iterable[Pause], calendar: BusinessCalendar) -> bool:
        """Whether the solution used no more unpaused business time than its budget.

        Raises ValueError if ``resolved_at`` is before ``created_at``.
        """
        return self._on_time(Clock.SOLUTION, created_at, resolved_at, pauses, calendar)

    def status_at(self, now: datetime, created_at: datetime, pauses: Iterable[Pause],
                  calendar: BusinessCalendar, clock: Clock = Clock.RESPONSE) -> ClockStatus:
        """The state of ``clock`` of a still-open complaint at ``now``.

        Breached once elapsed unpaused business time exceeds the budget (equal is on track).
        Raises ValueError if ``now`` is before ``created_at``.
        """
        pauses = list(pauses)
        budget = self.budget_s(clock, created_at, calendar)
        elapsed = _elapsed(created_at, now, pauses, calendar)
        now_utc = as_utc(now, "now")
        paused = any(as_utc(start, "paused") <= now_utc
                     and (end is None or now_utc < as_utc(end, "resumed"))
                     for start, end in pauses)
        return ClockStatus(
            state=(ClockState.BREACHED if elapsed > timedelta(seconds=budget)
                   else ClockState.ON_TRACK),
            budget_s=budget,
            elapsed_s=elapsed.total_seconds(),
            remaining_s=(timedelta(seconds=budget) - elapsed).total_seconds(),
            deadline=clock_deadline(created_at, budget, pauses, calendar),
            paused=paused,
        )
