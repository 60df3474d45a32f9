"""Stage-1 maths of one event: customer state in, additive components per (segment, minute) out.

The stream (streams/stage1.py) and the offline report (offline/report.py) both call
:func:`apply_event` with the same per-customer record and the same rules, which is what makes
the report an oracle for the stream. The record is a JSON-ready dict:

    dd, newest_s      recent event ids per source topic (metrics.dedupe)
    t                 open and recently closed tickets: {ticket_id: ticket state}
    repairs, complaints   bounded repeat histories (metrics.repeats)
    fcr               first-contact resolution history (metrics.fcr)

Late events (event time more than ``late_grace_s`` before the watermark of their source
partition) are remembered for de-duplication and counted, but change no state and no window.
Every piece of this state is decided by one source topic's own events, so the outcome does not
depend on how the consumer interleaves topics (docs/metrics.md, "Order independence").
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from metrics.business_hours import BusinessCalendar
from metrics.calls import CallRules, measure_call
from metrics.complaint_clock import ComplaintClock, Pause
from metrics.dedupe import remember
from metrics.errors import MetricInputError
from metrics.fcr import (
    DEFAULT_FCR_WINDOW_S,
    FcrUpdate,
    fcr_call_answered,
    fcr_ticket_created,
    fcr_ticket_reopened,
    fcr_ticket_resolved,
)
from metrics.repeats import (
    DEFAULT_MAX_ENTRIES,
    DEFAULT_REPEAT_WINDOW_S,
    repeat_complaint,
    repeat_repair,
)
from metrics.tickets import (
    ResponseBands,
    closed_on_time,
    elapsed_s,
    resolution_band,
    response_band_points,
)

MINUTE_S = 60
#: Segment key fields, in order; the key is their values joined by SEP.
SEGMENT_FIELDS = ("region", "channel", "queue", "business_line", "journey_stage",
                  "customer_type", "agent")
SEP = "|"
ALL_AGENTS = "all"
OTHER_AGENT = "other"


class Outcome(StrEnum):
    """What happened to one valid event."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    LATE = "late"


@dataclass(frozen=True)
class CatalogueRules:
    """Every configurable formula parameter of stage 1 (defaults are domain.md's)."""

    calls: CallRules = CallRules()
    response_bands: ResponseBands = ResponseBands()
    complaint_clock: ComplaintClock = ComplaintClock()
    calendar: BusinessCalendar = field(default_factory=lambda: BusinessCalendar(fallback="weekdays"))
    repeat_window_s: float = DEFAULT_REPEAT_WINDOW_S
    fcr_window_s: float = DEFAULT_FCR_WINDOW_S
    history_max: int = DEFAULT_MAX_ENTRIES
    late_grace_s: float = 900.0
    dedupe_window_s: float = 86_400.0
    dedupe_max_ids: int = 256
    closed_ticket_ttl_s: float = 30 * 86_400.0
    agent_cut: bool = False
    agent_cap: int = 200


class Contributions:
    """Components accumulated per (segment key, minute start in epoch seconds)."""

    __slots__ = ("buckets",)

    def __init__(self) -> None:
        self.buckets: dict[tuple[str, int], dict[str, Any]] = {}

    def bucket(self, segment: str, at_s: float) -> dict[str, Any]:
        """The bucket of ``segment`` holding event time ``at_s`` (found once per event)."""
        slot = (segment, int(at_s // MINUTE_S) * MINUTE_S)
        bucket = self.buckets.get(slot)
        if bucket is None:
            bucket = self.buckets[slot] = {}
        return bucket

    def add(self, segment: str, at_s: float, key: str, amount: float = 1) -> None:
        """Add ``amount`` to component ``key`` of the bucket holding event time ``at_s``."""
        _inc(self.bucket(segment, at_s), key, amount)

    def __bool__(self) -> bool:
        return bool(self.buckets)


def _inc(bucket: dict[str, Any], key: str, amount: float = 1) -> None:
    bucket[key] = bucket.get(key, 0) + amount


class AgentCap:
    """The switchable agent cut: the first ``cap`` agents seen keep their id, later ones become
    ``other`` (and are counted in ``overflowed``)."""

    def __init__(self, enabled: bool, cap: int) -> None:
        self.enabled = enabled
        self.cap = cap
        self.seen: set[str] = set()
        self.overflowed = 0

    def label(self, agent_id: str | None) -> str:
        if not self.enabled:
            return ALL_AGENTS
        if agent_id is None:
            return "none"
        if agent_id in self.seen:
            return agent_id
        if len(self.seen) < self.cap:
            self.seen.add(agent_id)
            return agent_id
        self.overflowed += 1
        return OTHER_AGENT


def segment_key(event: Any, agent: str) -> str:
    """The event's segment (customer type derived at event time) plus the agent label."""
    return SEP.join((*event.segment, agent))


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _add_fcr(out: Contributions, update: FcrUpdate) -> None:
    # A contact counts as resolved unless it failed, so nothing is published when a window
    # ends: the figure never depends on when that was noticed (see docs/metrics.md).
    for outcome in update.failed:
        out.add(outcome.tag, outcome.opened_s, "fcr/failed")
    for outcome in update.dropped:
        out.add(outcome.tag, outcome.opened_s, "fcr/dropped")


def _apply_call(rules: CatalogueRules, call: Any, record: dict[str, Any], segment: str,
                at_s: float, out: Contributions) -> None:
    measures = measure_call(call, rules.calls)
    bucket = out.bucket(segment, at_s)
    _inc(bucket, "calls/offered")
    _inc(bucket, "calls/transfers", measures.transfers)
    if measures.answered:
        _inc(bucket, "calls/answered")
        _inc(bucket, "calls/answer_wait_s_sum", measures.wait_s)
        if measures.answered_within_target:
            _inc(bucket, "calls/answered_within_target")
        if measures.talk_s is not None:
            _inc(bucket, "calls/talked")
            _inc(bucket, "calls/talk_s_sum", measures.talk_s)
        answered_s = at_s + call.wait_s
        out.add(segment, answered_s, "fcr/contacts")  # the answer's minute, not the offer's
        update, _ = fcr_call_answered(record, call.call_id, answered_s, segment,
                                      rules.fcr_window_s, rules.history_max)
        _add_fcr(out, update)
    else:
        _inc(bucket, "calls/abandoned")
        _inc(bucket, "calls/abandon_wait_s_sum", measures.wait_s)
        if measures.short_abandoned:
            _inc(bucket, "calls/short_abandoned")


def _judge(bucket: dict[str, Any], clock: str, on_time: bool) -> None:
    """Count one complaint-clock judgement (response or solution)."""
    _inc(bucket, f"clocks/{clock}/judged")
    if on_time:
        _inc(bucket, f"clocks/{clock}/on_time")


def _pauses(state: Mapping[str, Any]) -> list[Pause]:
    return [(_dt(start), _dt(end) if end else None) for start, end in state.get("pz", [])]


def _apply_ticket(rules: CatalogueRules, ticket: Any, record: dict[str, Any], segment: str,
                  at_s: float, out: Contributions) -> str | None:
    """Apply one lifecycle event; returns an anomaly name (orphan, created_twice, closed_twice,
    before_creation, second_first_response, paused_twice, resumed_unpaused) or None.

    A reopen is counted whether or not the ticket was closed (resolved -> reopened is a
    normal path); only a closed ticket goes back into the backlog."""
    tickets: dict[str, dict[str, Any]] = record.setdefault("t", {})
    action, kind, at = ticket.action.value, ticket.kind.value, ticket.occurred_at
    state = tickets.get(ticket.ticket_id)
    prefix = f"tickets/{kind}/"
    if action == "created":
        if state is not None:
            return "created_twice"
        created_s = at_s
        tickets[ticket.ticket_id] = {
            "k": kind, "c": _iso(at), "cs": created_s, "seg": segment, "open": True,
            "due": _iso(ticket.due_at) if ticket.due_at else None,
        }
        repeat = False
        if kind == "repair":
            repeat, _ = repeat_repair(record, ticket.ticket_id, ticket.asset_id, created_s,
                                      rules.repeat_window_s, rules.history_max)
        elif kind == "complaint":
            repeat, _ = repeat_complaint(record, ticket.ticket_id, ticket.issue_category,
                                         created_s, rules.repeat_window_s, rules.history_max)
        out.add(segment, at_s, prefix + "created")
        if repeat:
            out.add(segment, at_s, prefix + "repeats")
        out.add(segment, at_s, prefix + "opened")
        out.add(segment, at_s, prefix + "opened_created_s", created_s)
        update, _ = fcr_ticket_created(record, ticket.ticket_id, kind, created_s, segment,
                                       rules.fcr_window_s)
        _add_fcr(out, update)
        return None
    if state is None:
        return "orphan"
    kind = state["k"]
    prefix = f"tickets/{kind}/"
    created = _dt(state["c"])
    if at < created:
        return "before_creation"
    if action == "paused":
        pauses = state.setdefault("pz", [])
        if pauses and pauses[-1][1] is None:
            return "paused_twice"
        pauses.append([_iso(at), None])
    elif action == "resumed":
        pauses = state.get("pz", [])
        if not pauses or pauses[-1][1] is not None:
            return "resumed_unpaused"
        pauses[-1][1] = _iso(at)
    elif action == "first_response":
        if "fr" in state:
            return "second_first_response"
        state["fr"] = _iso(at)
        points = response_band_points(elapsed_s(created, at), rules.response_bands)
        out.add(segment, at_s, prefix + "first_responses")
        out.add(segment, at_s, prefix + "first_response_points_sum", points)
        out.add(segment, at_s, f"{prefix}first_response_points/{points}")
        if kind == "complaint":
            _judge(out.bucket(segment, at_s), "response", rules.complaint_clock.response_on_time(
                created, at, _pauses(state), rules.calendar))
    elif action == "resolved":
        if "rs" in state:
            return None  # a second resolution (after a reopen) is not a new resolution band
        state["rs"] = _iso(at)
        band = resolution_band(ticket.resolved_at_first_contact, created, at)
        out.add(segment, at_s, prefix + "resolved")
        out.add(segment, at_s, f"{prefix}resolved_band/{band}")
        if kind == "complaint":
            _judge(out.bucket(segment, at_s), "solution", rules.complaint_clock.solution_on_time(
                created, at, _pauses(state), rules.calendar))
        out.add(segment, at_s, "fcr/contacts")
        update, _ = fcr_ticket_resolved(record, ticket.ticket_id, at_s, segment,
                                        rules.fcr_window_s, rules.history_max)
        _add_fcr(out, update)
    elif action == "closed":
        if not state["open"]:
            return "closed_twice"
        state["open"] = False
        state["cl"] = at_s
        due = _dt(state["due"]) if state.get("due") else (ticket.due_at or None)
        on_time = closed_on_time(at, due)
        out.add(segment, at_s, prefix + "closed")
        if on_time is not None:
            out.add(segment, at_s, prefix + "closed_with_due_date")
            if on_time:
                out.add(segment, at_s, prefix + "closed_on_time")
        out.add(state["seg"], at_s, prefix + "opened", -1)
        out.add(state["seg"], at_s, prefix + "opened_created_s", -state["cs"])
    elif action == "reopened":
        out.add(segment, at_s, prefix + "reopened")
        update, _ = fcr_ticket_reopened(record, ticket.ticket_id, at_s, rules.fcr_window_s)
        _add_fcr(out, update)
        if not state["open"]:
            state["open"] = True
            state.pop("cl", None)
            out.add(state["seg"], at_s, prefix + "opened")
            out.add(state["seg"], at_s, prefix + "opened_created_s", state["cs"])
    elif action != "updated":
        raise MetricInputError(f"unknown ticket action {action!r}")
    return None


def _forget_closed(record: dict[str, Any], now_s: float, ttl_s: float) -> None:
    tickets = record.get("t")
    if not tickets:
        return
    stale = [tid for tid, state in tickets.items()
             if not state["open"] and now_s - state.get("cl", now_s) > ttl_s]
    for tid in stale:
        del tickets[tid]


def _apply_survey(survey: Any, segment: str, at_s: float, out: Contributions) -> None:
    base = f"surveys/{survey.questionnaire}/"
    bucket = out.bucket(segment, at_s)
    for dimension, score in survey.scores.items():
        prefix = f"{base}{dimension}/"
        _inc(bucket, prefix + "responses")
        _inc(bucket, prefix + "sum_scores", score)
        _inc(bucket, prefix + "sum_squares", score * score)
        _inc(bucket, f"{prefix}score/{score}")


@dataclass
class Applied:
    """The result of :func:`apply_event`."""

    outcome: Outcome
    ids_forgotten: int = 0
    anomaly: str | None = None


def apply_event(rules: CatalogueRules, event: Any, record: dict[str, Any], watermark_s: float,
                agents: AgentCap, out: Contributions) -> Applied:
    """Apply one valid event to its customer's ``record``, adding its components to ``out``.

    ``watermark_s`` is the newest accepted event time of the event's source partition before
    this event; the caller advances it on ACCEPTED. The record is changed in place.
    """
    at_s = event.occurred_at.timestamp()
    duplicate, forgotten = remember(record, event.event_id, at_s, rules.dedupe_window_s,
                                    rules.dedupe_max_ids, source=event.type)
    if duplicate:
        return Applied(Outcome.DUPLICATE)
    if at_s < watermark_s - rules.late_grace_s:
        return Applied(Outcome.LATE, forgotten)
    segment = segment_key(event, agents.label(event.agent_id))
    anomaly = None
    kind = event.type
    if kind == "call":
        _apply_call(rules, event, record, segment, at_s, out)
    elif kind == "ticket":
        anomaly = _apply_ticket(rules, event, record, segment, at_s, out)
        _forget_closed(record, at_s, rules.closed_ticket_ttl_s)
    elif kind == "survey":
        _apply_survey(event, segment, at_s, out)
    else:
        raise MetricInputError(f"unknown event type {kind!r}")
    return Applied(Outcome.ACCEPTED, forgotten, anomaly)
