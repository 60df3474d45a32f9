"""Stage-1 maths of one event: dedupe, lateness, calls, ticket lifecycle, repeats, FCR, clocks,
surveys and the agent cut, read back as components per (segment, minute)."""

import copy
import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from metrics.business_hours import SHANGHAI
from metrics.calls import CallRules
from metrics.components import add_into
from metrics.contributions import (
    AgentCap,
    Applied,
    CatalogueRules,
    Contributions,
    Outcome,
    apply_event,
)
from metrics.events import CallEvent, SurveyEvent, TicketEvent
from tests import factories

DAY = 86_400.0
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a whole minute (and hour)
M0 = int(T0.timestamp())
RULES = CatalogueRules()
NO_WATERMARK = float("-inf")
# Segment keys of the factories' defaults: region|channel|queue|line|stage|customer type|agent.
SEG = "east|phone|q-general|residential|repair|unknown|all"
WEB_DESK = "east|web|q-desk|residential|repair|unknown|all"


def at(seconds: float = 0.0, start: datetime = T0) -> str:
    return (start + timedelta(seconds=seconds)).isoformat()


def call(**overrides: Any) -> CallEvent:
    return CallEvent.model_validate(factories.call(customer_id="c1", **overrides))


def ticket(**overrides: Any) -> TicketEvent:
    return TicketEvent.model_validate(factories.ticket(customer_id="c1", **overrides))


def survey(**overrides: Any) -> SurveyEvent:
    return SurveyEvent.model_validate(factories.survey(customer_id="c1", **overrides))


def lifecycle(ticket_id: str, *steps: tuple[str, float], **fields: Any) -> list[TicketEvent]:
    """Events of one ticket: (action, seconds after T0) pairs, same fields on each."""
    return [ticket(ticket_id=ticket_id, action=action, occurred_at=at(seconds), **fields)
            for action, seconds in steps]


def run(events: list[Any], rules: CatalogueRules = RULES, watermark_s: float = NO_WATERMARK,
        agents: AgentCap | None = None, record: dict[str, Any] | None = None,
        ) -> tuple[dict[tuple[str, int], dict[str, Any]], list[Applied], dict[str, Any]]:
    """Apply ``events`` in order to one customer record; buckets, results and the record."""
    out = Contributions()
    record = {} if record is None else record
    agents = AgentCap(False, 0) if agents is None else agents
    results = [apply_event(rules, event, record, watermark_s, agents, out) for event in events]
    return out.buckets, results, record


def total_of(buckets: dict[tuple[str, int], dict[str, Any]]) -> dict[str, Any]:
    """All buckets added up, zeros dropped."""
    out: dict[str, Any] = {}
    for bucket in buckets.values():
        add_into(out, bucket)
    return {key: value for key, value in out.items() if value}


def keys_like(bucket: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {key: value for key, value in bucket.items() if key.startswith(prefix) and value}


# -- calls ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("wait_s", "rings", "within"),
    [
        pytest.param(0.0, None, 1, id="no-wait-ring-1"),
        pytest.param(14.999, None, 1, id="just-before-ring-4"),
        pytest.param(15.0, None, 1, id="ring-4-on-target"),
        pytest.param(19.999, None, 1, id="last-instant-of-ring-4"),
        pytest.param(20.0, None, 0, id="ring-5-off-target"),
        pytest.param(30.0, 4, 1, id="switch-ring-count-wins-over-wait"),
        pytest.param(2.0, 5, 0, id="switch-ring-count-5-is-off-target"),
    ],
)
def test_answered_call_components(wait_s, rings, within):
    buckets, results, _ = run([call(occurred_at=at(), wait_s=wait_s, rings=rings, talk_s=90.0,
                                    transfers=2)])
    assert results == [Applied(Outcome.ACCEPTED)]
    expected = {
        "calls/offered": 1, "calls/answered": 1, "calls/answered_within_target": within,
        "calls/answer_wait_s_sum": wait_s, "calls/talked": 1, "calls/talk_s_sum": 90.0,
        "calls/transfers": 2,
    }
    assert keys_like(buckets[(SEG, M0)], "calls/") == {
        key: value for key, value in expected.items() if value}


def test_per_queue_ring_target_applies():
    rules = CatalogueRules(calls=CallRules(target_rings_by_queue={"q-vip": 2}))
    vip, _, _ = run([call(occurred_at=at(), wait_s=10.0, queue="q-vip")], rules)
    general, _, _ = run([call(occurred_at=at(), wait_s=10.0)], rules)
    assert "calls/answered_within_target" not in total_of(vip)  # ring 3 > 2
    assert total_of(general)["calls/answered_within_target"] == 1  # ring 3 <= 4


@pytest.mark.parametrize(
    ("wait_s", "short"),
    [
        pytest.param(0.0, True, id="zero"),
        pytest.param(4.9, True, id="4.9s-short"),
        pytest.param(4.999999, True, id="just-below-5s-short"),
        pytest.param(5.0, False, id="exactly-5s-is-a-real-abandon"),
        pytest.param(60.0, False, id="long"),
    ],
)
def test_abandoned_call_components(wait_s, short):
    buckets, _, _ = run([call(occurred_at=at(), outcome="abandoned", wait_s=wait_s,
                              talk_s=None)])
    expected = {"calls/offered": 1, "calls/abandoned": 1, "calls/abandon_wait_s_sum": wait_s}
    if short:
        expected["calls/short_abandoned"] = 1
    assert total_of(buckets) == {key: value for key, value in expected.items() if value}
    assert not keys_like(total_of(buckets), "fcr/"), "an abandoned call is not an FCR contact"


def test_answered_call_without_talk_time_is_not_talked():
    buckets, _, _ = run([call(occurred_at=at(), talk_s=None)])
    assert "calls/talked" not in total_of(buckets)
    assert "calls/talk_s_sum" not in total_of(buckets)


@pytest.mark.parametrize(
    ("offset", "minute"),
    [
        pytest.param(0.0, M0, id="first-instant-of-the-minute"),
        pytest.param(59.999, M0, id="59.999s-same-minute"),
        pytest.param(59.999999, M0, id="last-microsecond-same-minute"),
        pytest.param(60.0, M0 + 60, id="next-minute"),
        pytest.param(-0.001, M0 - 60, id="just-before-is-previous-minute"),
    ],
)
def test_components_bucket_by_the_minute_of_event_time(offset, minute):
    buckets, _, _ = run([call(occurred_at=at(offset), outcome="abandoned", wait_s=1.0,
                              talk_s=None)])
    assert list(buckets) == [(SEG, minute)]


def test_fcr_contact_of_a_call_is_at_its_answer_time():
    """Offered at 09:00:50, answered 15 s later: the call is in 09:00, its contact in 09:01."""
    buckets, _, _ = run([call(occurred_at=at(50), wait_s=15.0)])
    assert buckets[(SEG, M0)]["calls/offered"] == 1
    assert "fcr/contacts" not in buckets[(SEG, M0)]
    assert buckets[(SEG, M0 + 60)] == {"fcr/contacts": 1}


# -- dedupe and lateness -------------------------------------------------------------------------

def test_duplicate_event_id_adds_nothing():
    first = call(occurred_at=at(), event_id="e-1")
    again = call(occurred_at=at(30), event_id="e-1", wait_s=1.0)
    out = Contributions()
    record: dict[str, Any] = {}
    assert apply_event(RULES, first, record, NO_WATERMARK, AgentCap(False, 0), out).outcome \
        is Outcome.ACCEPTED
    before_buckets, before_record = copy.deepcopy(out.buckets), copy.deepcopy(record)
    applied = apply_event(RULES, again, record, NO_WATERMARK, AgentCap(False, 0), out)
    assert applied == Applied(Outcome.DUPLICATE)
    assert out.buckets == before_buckets
    assert record == before_record


@pytest.mark.parametrize(
    ("grace_s", "behind_s", "outcome"),
    [
        pytest.param(900.0, 0.0, Outcome.ACCEPTED, id="at-watermark"),
        pytest.param(900.0, 899.999, Outcome.ACCEPTED, id="inside-grace"),
        pytest.param(900.0, 900.0, Outcome.ACCEPTED, id="exactly-watermark-minus-grace"),
        pytest.param(900.0, 901.0, Outcome.LATE, id="one-second-past-grace"),
        pytest.param(900.0, 900.001, Outcome.LATE, id="1ms-past-grace"),
        pytest.param(0.0, 0.0, Outcome.ACCEPTED, id="no-grace-at-watermark"),
        pytest.param(0.0, 0.001, Outcome.LATE, id="no-grace-behind"),
        pytest.param(900.0, -3600.0, Outcome.ACCEPTED, id="ahead-of-watermark"),
    ],
)
def test_lateness_against_the_watermark(grace_s, behind_s, outcome):
    watermark_s = float(M0 + 3600)
    event = call(occurred_at=datetime.fromtimestamp(watermark_s - behind_s, UTC).isoformat())
    buckets, results, _ = run([event], CatalogueRules(late_grace_s=grace_s), watermark_s)
    assert results[0].outcome is outcome
    assert bool(buckets) is (outcome is Outcome.ACCEPTED)


def test_default_grace_is_900_seconds():
    assert RULES.late_grace_s == 900.0


def test_late_event_is_remembered_for_dedupe_but_changes_no_state():
    created = ticket(ticket_id="t1", occurred_at=at(), event_id="e-created")
    _, _, record = run([created])
    state_before = copy.deepcopy(record["t"])
    late_close = ticket(ticket_id="t1", action="closed", occurred_at=at(60), event_id="e-late")
    buckets, results, record = run([late_close], watermark_s=M0 + 60 + 901, record=record)
    assert results[0].outcome is Outcome.LATE
    assert buckets == {}
    assert record["t"] == state_before, "a late close must not close the ticket"
    assert "e-late" in record["dd"]["ticket"]["ids"]
    # The same id again is a duplicate (dedupe runs first), even when no longer late.
    buckets, results, _ = run([late_close], record=record)
    assert results[0].outcome is Outcome.DUPLICATE and buckets == {}


def test_late_event_does_not_enter_fcr_history():
    _, _, record = run([ticket(ticket_id="t1", kind="complaint", occurred_at=at(100))],
                       watermark_s=M0 + 2000)
    assert "fcr" not in record
    buckets, _, _ = run([call(occurred_at=at(0), wait_s=10.0)], record=record)
    assert "fcr/failed" not in total_of(buckets)


# -- ticket lifecycle ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("elapsed_s", "points"),
    [
        pytest.param(0.0, 5, id="immediately"),
        pytest.param(3599.0, 5, id="59m59s"),
        pytest.param(3600.0, 4, id="exactly-1h"),
        pytest.param(3 * 3600.0 - 1, 4, id="2h59m59s"),
        pytest.param(3 * 3600.0, 3, id="exactly-3h"),
        pytest.param(DAY, 3, id="exactly-24h-included"),
        pytest.param(DAY + 1, 1, id="24h-and-1s"),
    ],
)
def test_first_response_points(elapsed_s, points):
    events = lifecycle("t1", ("created", 0), ("first_response", elapsed_s))
    buckets, _, _ = run(events)
    minute = M0 + int(elapsed_s // 60) * 60
    assert keys_like(buckets[(SEG, minute)], "tickets/repair/first_response") == {
        "tickets/repair/first_responses": 1,
        "tickets/repair/first_response_points_sum": points,
        f"tickets/repair/first_response_points/{points}": 1,
    }


def test_only_the_first_response_is_scored():
    events = lifecycle("t1", ("created", 0), ("first_response", 60), ("first_response", 7200))
    buckets, results, _ = run(events)
    assert results[2].anomaly == "second_first_response"
    assert total_of(buckets)["tickets/repair/first_responses"] == 1


@pytest.mark.parametrize(
    ("flag", "elapsed_s", "band"),
    [
        pytest.param(True, 3 * DAY, "first_contact", id="flag-wins-over-time"),
        pytest.param(False, DAY, "within_1d", id="exactly-24h-within"),
        pytest.param(None, DAY + 1, "over_1d", id="missing-flag-is-false"),
        pytest.param(False, 60, "within_1d", id="one-minute"),
    ],
)
def test_resolution_band(flag, elapsed_s, band):
    created, resolved = lifecycle("t1", ("created", 0), ("resolved", elapsed_s))
    resolved = resolved.model_copy(update={"resolved_at_first_contact": flag})
    buckets, _, _ = run([created, resolved])
    assert keys_like(total_of(buckets), "tickets/repair/resolved") == {
        "tickets/repair/resolved": 1, f"tickets/repair/resolved_band/{band}": 1,
    }


def test_second_resolution_after_reopen_is_not_counted_again():
    events = lifecycle("t1", ("created", 0), ("resolved", 60), ("reopened", 120),
                       ("resolved", 180))
    totals = total_of(run(events)[0])
    assert totals["tickets/repair/resolved"] == 1
    assert totals["fcr/contacts"] == 1


@pytest.mark.parametrize(
    ("close_offset_s", "on_time"),
    [
        pytest.param(-1.0, 1, id="a-second-early"),
        pytest.param(0.0, 1, id="on-the-due-instant"),
        pytest.param(0.000001, 0, id="a-microsecond-late"),
        pytest.param(1.0, 0, id="a-second-late"),
    ],
)
def test_closed_against_due_date(close_offset_s, on_time):
    due = 5 * DAY
    created = ticket(ticket_id="t1", occurred_at=at(), due_at=at(due))
    closed = ticket(ticket_id="t1", action="closed", occurred_at=at(due + close_offset_s))
    totals = total_of(run([created, closed])[0])
    assert totals["tickets/repair/closed"] == 1
    assert totals["tickets/repair/closed_with_due_date"] == 1
    assert totals.get("tickets/repair/closed_on_time", 0) == on_time


def test_close_without_due_date_is_outside_the_on_time_denominator():
    totals = total_of(run(lifecycle("t1", ("created", 0), ("closed", 60)))[0])
    assert totals["tickets/repair/closed"] == 1
    assert "tickets/repair/closed_with_due_date" not in totals


def test_due_date_sent_on_the_close_is_used_when_creation_had_none():
    created = ticket(ticket_id="t1", occurred_at=at())
    closed = ticket(ticket_id="t1", action="closed", occurred_at=at(100), due_at=at(100))
    totals = total_of(run([created, closed])[0])
    assert totals["tickets/repair/closed_on_time"] == 1


def test_due_date_of_the_creation_wins_over_the_close():
    created = ticket(ticket_id="t1", occurred_at=at(), due_at=at(50))
    closed = ticket(ticket_id="t1", action="closed", occurred_at=at(100), due_at=at(200))
    totals = total_of(run([created, closed])[0])
    assert totals["tickets/repair/closed_with_due_date"] == 1
    assert "tickets/repair/closed_on_time" not in totals


def test_backlog_open_close_reopen_close():
    created_s = float(M0)
    events = lifecycle("t1", ("created", 0), ("closed", 600), ("reopened", 1200),
                       ("closed", 1800))
    buckets, results, record = run(events)
    assert all(result.anomaly is None for result in results)
    opened = {minute: bucket.get("tickets/repair/opened")
              for (_, minute), bucket in buckets.items()}
    assert opened == {M0: 1, M0 + 600: -1, M0 + 1200: 1, M0 + 1800: -1}
    sums = {minute: bucket.get("tickets/repair/opened_created_s")
            for (_, minute), bucket in buckets.items()}
    assert sums == {M0: created_s, M0 + 600: -created_s, M0 + 1200: created_s,
                    M0 + 1800: -created_s}
    assert total_of(buckets)["tickets/repair/reopened"] == 1
    assert record["t"]["t1"]["open"] is False


def test_reopen_of_an_open_ticket_counts_but_does_not_reopen_backlog():
    events = lifecycle("t1", ("created", 0), ("resolved", 60), ("reopened", 120))
    buckets, results, _ = run(events)
    assert results[2].anomaly is None
    totals = total_of(buckets)
    assert totals["tickets/repair/reopened"] == 1
    assert totals["tickets/repair/opened"] == 1  # from the creation only


def test_backlog_deltas_go_to_the_creation_segment():
    created = ticket(ticket_id="t1", occurred_at=at(), queue="q-desk", channel="web")
    closed = ticket(ticket_id="t1", action="closed", occurred_at=at(90), queue="q-general")
    buckets, _, _ = run([created, closed])
    assert buckets[(SEG, M0 + 60)] == {"tickets/repair/closed": 1}
    assert buckets[(WEB_DESK, M0 + 60)] == {"tickets/repair/opened": -1,
                                            "tickets/repair/opened_created_s": -float(M0)}
    reopened = ticket(ticket_id="t1", action="reopened", occurred_at=at(200), queue="q-general")
    buckets, _, _ = run([created, closed, reopened])
    assert buckets[(SEG, M0 + 180)] == {"tickets/repair/reopened": 1}
    assert buckets[(WEB_DESK, M0 + 180)] == {"tickets/repair/opened": 1,
                                             "tickets/repair/opened_created_s": float(M0)}


def test_later_events_use_the_kind_of_the_creation():
    created = ticket(ticket_id="t1", occurred_at=at(), kind="complaint")
    closed = ticket(ticket_id="t1", action="closed", occurred_at=at(60), kind="repair")
    totals = total_of(run([created, closed])[0])
    assert totals["tickets/complaint/closed"] == 1
    assert not keys_like(totals, "tickets/repair/")


@pytest.mark.parametrize(
    "action",
    ["first_response", "updated", "paused", "resumed", "resolved", "closed", "reopened"],
)
def test_event_of_an_unknown_ticket_is_an_orphan(action):
    buckets, results, record = run([ticket(ticket_id="ghost", action=action,
                                           occurred_at=at())])
    assert results == [Applied(Outcome.ACCEPTED, 0, "orphan")]
    assert buckets == {}
    assert record.get("t", {}) == {}


@pytest.mark.parametrize(
    ("steps", "anomaly"),
    [
        pytest.param([("created", 0), ("created", 60)], "created_twice", id="created-twice"),
        pytest.param([("created", 60), ("closed", 0)], "before_creation", id="before-creation"),
        pytest.param([("created", 0), ("closed", 60), ("closed", 120)], "closed_twice",
                     id="closed-twice"),
        pytest.param([("created", 0), ("paused", 60), ("paused", 120)], "paused_twice",
                     id="paused-twice"),
        pytest.param([("created", 0), ("resumed", 60)], "resumed_unpaused",
                     id="resumed-unpaused"),
        pytest.param([("created", 0), ("paused", 60), ("resumed", 120), ("resumed", 180)],
                     "resumed_unpaused", id="resumed-twice"),
    ],
)
def test_lifecycle_anomalies_add_nothing(steps, anomaly):
    events = lifecycle("t1", *steps)
    buckets_before, _, _ = run(events[:-1])
    buckets, results, _ = run(events)
    assert results[-1].anomaly == anomaly
    assert results[-1].outcome is Outcome.ACCEPTED
    assert total_of(buckets) == total_of(buckets_before)


@pytest.mark.parametrize(
    ("gap_s", "forgotten"),
    [
        pytest.param(30 * DAY, False, id="exactly-30-days-after-close-kept"),
        pytest.param(30 * DAY + 1, True, id="30-days-and-1s-forgotten"),
    ],
)
def test_closed_ticket_is_forgotten_30_days_after_close(gap_s, forgotten):
    events = lifecycle("t1", ("created", 0), ("closed", 60))
    events.append(ticket(ticket_id="t2", occurred_at=at(60 + gap_s)))
    _, _, record = run(events)
    assert ("t1" in record["t"]) is not forgotten
    reopen = ticket(ticket_id="t1", action="reopened", occurred_at=at(120 + gap_s))
    buckets, results, _ = run([reopen], record=record)
    assert results[0].anomaly == ("orphan" if forgotten else None)
    assert bool(buckets) is not forgotten


def test_forgetting_runs_after_the_event_so_a_first_late_reopen_still_finds_the_ticket():
    events = lifecycle("t1", ("created", 0), ("closed", 60), ("reopened", 60 + 40 * DAY))
    buckets, results, record = run(events)
    assert results[-1].anomaly is None
    assert record["t"]["t1"]["open"] is True
    assert total_of(buckets)["tickets/repair/opened"] == 1


def test_open_tickets_are_never_forgotten():
    events = lifecycle("t1", ("created", 0))
    events.append(ticket(ticket_id="t2", occurred_at=at(400 * DAY)))
    _, _, record = run(events)
    assert record["t"]["t1"]["open"] is True


def test_updated_event_adds_nothing():
    events = lifecycle("t1", ("created", 0), ("updated", 60))
    buckets, results, _ = run(events)
    assert results[-1] == Applied(Outcome.ACCEPTED)
    assert (SEG, M0 + 60) not in buckets


# -- repeats -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("second", "repeat"),
    [
        pytest.param({"asset_id": "a1", "offset": 30 * DAY}, True, id="same-asset-30d"),
        pytest.param({"asset_id": "a1", "offset": 30 * DAY + 1}, False, id="same-asset-30d+1s"),
        pytest.param({"asset_id": "a2", "offset": DAY}, False, id="other-asset"),
        pytest.param({"asset_id": None, "offset": DAY}, False, id="no-asset"),
    ],
)
def test_repeat_repair(second, repeat):
    first = ticket(ticket_id="t1", occurred_at=at(), asset_id="a1")
    later = ticket(ticket_id="t2", occurred_at=at(second["offset"]), asset_id=second["asset_id"])
    buckets, _, _ = run([first, later])
    minute = M0 + int(second["offset"] // 60) * 60
    assert buckets[(SEG, minute)]["tickets/repair/created"] == 1
    assert buckets[(SEG, minute)].get("tickets/repair/repeats", 0) == int(repeat)
    assert "tickets/repair/repeats" not in buckets[(SEG, M0)]


@pytest.mark.parametrize(
    ("category", "offset", "repeat"),
    [
        pytest.param("billing", DAY, True, id="same-category"),
        pytest.param("billing", 30 * DAY, True, id="same-category-30d"),
        pytest.param("billing", 30 * DAY + 1, False, id="same-category-30d+1s"),
        pytest.param("noise", DAY, False, id="other-category"),
    ],
)
def test_repeat_complaint(category, offset, repeat):
    first = ticket(ticket_id="t1", kind="complaint", occurred_at=at(), issue_category="billing")
    later = ticket(ticket_id="t2", kind="complaint", occurred_at=at(offset),
                   issue_category=category)
    totals = total_of(run([first, later])[0])
    assert totals["tickets/complaint/created"] == 2
    assert totals.get("tickets/complaint/repeats", 0) == int(repeat)


def test_a_complaint_is_not_a_repeat_of_a_repair():
    first = ticket(ticket_id="t1", kind="repair", occurred_at=at(), asset_id="a1",
                   issue_category="billing")
    later = ticket(ticket_id="t2", kind="complaint", occurred_at=at(60), asset_id="a1",
                   issue_category="billing")
    totals = total_of(run([first, later])[0])
    assert "tickets/complaint/repeats" not in totals and "tickets/repair/repeats" not in totals


# -- first-contact resolution --------------------------------------------------------------------

PHONE = "east|phone|q-phone|residential|repair|unknown|all"


def fcr_pair(kind: str, ticket_after_answer_s: float) -> tuple[CallEvent, TicketEvent]:
    """A call offered at 09:00:50 and answered after 15 s (09:01:05), and a ticket created
    ``ticket_after_answer_s`` after the answer, on the web desk."""
    answered = call(occurred_at=at(50), wait_s=15.0, queue="q-phone")
    follow_up = ticket(ticket_id="t1", kind=kind, channel="web", queue="q-desk",
                       occurred_at=at(65 + ticket_after_answer_s))
    return answered, follow_up


@pytest.mark.parametrize("order", ["call-first", "ticket-first"])
@pytest.mark.parametrize(
    ("kind", "after_s", "failed"),
    [
        pytest.param("complaint", 0.0, True, id="complaint-at-answer-instant"),
        pytest.param("complaint", 3600.0, True, id="complaint-1h-later"),
        pytest.param("repair", 7 * DAY, True, id="repair-exactly-7d"),
        pytest.param("inquiry", 7 * DAY - 1, True, id="inquiry-inside-7d"),
        pytest.param("complaint", 7 * DAY + 1, False, id="complaint-7d+1s"),
        pytest.param("complaint", -1.0, False, id="ticket-before-answer"),
        pytest.param("suggestion", 60.0, False, id="suggestion-does-not-fail"),
    ],
)
def test_call_fcr_fails_on_follow_up_ticket_in_either_order(order, kind, after_s, failed):
    answered, follow_up = fcr_pair(kind, after_s)
    events = [answered, follow_up] if order == "call-first" else [follow_up, answered]
    buckets, _, _ = run(events)
    answer_minute = M0 + 60
    assert buckets[(PHONE, answer_minute)]["fcr/contacts"] == 1
    fails = {slot: bucket["fcr/failed"] for slot, bucket in buckets.items()
             if bucket.get("fcr/failed")}
    assert fails == ({(PHONE, answer_minute): 1} if failed else {})


def test_fcr_components_do_not_depend_on_processing_order():
    answered, follow_up = fcr_pair("complaint", 3600.0)
    call_first, _, _ = run([answered, follow_up])
    ticket_first, _, _ = run([follow_up, answered])
    assert call_first == ticket_first


@pytest.mark.parametrize("seed", range(20))
def test_fcr_totals_are_order_independent_for_shuffled_calls_and_tickets(seed):
    """Property: within the memory bounds (events of the customer span less than one window,
    fewer than 32 pending), any interleaving of calls and ticket creations gives the same
    components per (segment, minute)."""
    rng = random.Random(seed)
    window_s = 7200.0
    rules = CatalogueRules(fcr_window_s=window_s)
    events: list[Any] = []
    for index in range(rng.randint(1, 6)):
        events.append(call(occurred_at=at(rng.randrange(0, 5400)), wait_s=rng.choice([0.0, 8.0]),
                           queue=rng.choice(["q-phone", "q-general"]),
                           outcome=rng.choice(["answered", "answered", "abandoned"]),
                           talk_s=None))
    for index in range(rng.randint(0, 6)):
        events.append(ticket(ticket_id=f"t{index}", occurred_at=at(rng.randrange(0, 5400)),
                             kind=rng.choice(["complaint", "repair", "inquiry", "suggestion"])))
    in_time_order = sorted(events, key=lambda event: event.occurred_at)
    expected, _, _ = run(in_time_order, rules)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert run(shuffled, rules)[0] == expected


def topic_merges(calls: list[Any], tickets: list[Any]) -> list[list[Any]]:
    """Every merge of the two topics' events that keeps each topic's own order."""
    size = len(calls) + len(tickets)
    merges = []
    for positions in itertools.combinations(range(size), len(calls)):
        picked, calls_left, tickets_left = set(positions), iter(calls), iter(tickets)
        merges.append([next(calls_left) if index in picked else next(tickets_left)
                       for index in range(size)])
    return merges


def many_calls_then_follow_up() -> tuple[list[Any], list[Any]]:
    """Four answered calls an hour apart, a repair created after the second, resolved and
    reopened a day later: with three slots per customer, the old shared cap of pending
    contacts dropped a different contact depending on when the repair failed the calls."""
    calls = [call(occurred_at=at(3600 * n), wait_s=0.0, event_id=f"call-{n}",
                  call_id=f"c{n}") for n in range(4)]
    tickets = [*lifecycle("t1", ("created", 3600 + 60), ("resolved", 2 * 3600),
                          ("reopened", DAY), kind="repair")]
    return calls, tickets


def duplicate_call_after_ticket_day() -> tuple[list[Any], list[Any]]:
    """A call and its duplicate, and tickets two days ahead: the old shared dedupe memory
    forgot the call's id when the tickets came between the copies."""
    answered = call(occurred_at=at(0), wait_s=5.0, event_id="dup-call")
    tickets = lifecycle("t9", ("created", 2 * DAY), ("resolved", 2 * DAY + 60),
                        kind="suggestion")
    return [answered, answered], tickets


@pytest.mark.parametrize(
    ("world", "rules"),
    [
        pytest.param(many_calls_then_follow_up, CatalogueRules(history_max=3), id="fcr-cap"),
        pytest.param(duplicate_call_after_ticket_day, RULES, id="dedupe-forgetting"),
    ],
)
def test_components_ignore_how_calls_and_tickets_interleave(world, rules):
    calls, tickets = world()
    outcomes = set()
    for merged in topic_merges(calls, tickets):
        buckets, results, _ = run(merged, rules)
        components = sorted((slot, sorted(bucket.items())) for slot, bucket in buckets.items())
        outcomes.add((repr(components), tuple(sorted(r.outcome.value for r in results))))
    assert len(outcomes) == 1


def test_ticket_fcr_contact_at_first_resolution_fails_on_reopen_within_window():
    created = ticket(ticket_id="t1", occurred_at=at(), queue="q-desk", channel="web")
    resolved = ticket(ticket_id="t1", action="resolved", occurred_at=at(120))
    reopened = ticket(ticket_id="t1", action="reopened", occurred_at=at(120 + 7 * DAY),
                      queue="q-desk", channel="web")
    buckets, _, _ = run([created, resolved, reopened])
    assert buckets[(SEG, M0 + 120)]["fcr/contacts"] == 1
    assert buckets[(SEG, M0 + 120)]["fcr/failed"] == 1, "attributed to the resolution"
    assert "fcr/failed" not in buckets[(WEB_DESK, M0 + 120 + int(7 * DAY))]


def test_ticket_reopened_after_window_does_not_fail():
    events = lifecycle("t1", ("created", 0), ("resolved", 120), ("reopened", 120 + 7 * DAY + 1))
    totals = total_of(run(events)[0])
    assert totals["fcr/contacts"] == 1
    assert "fcr/failed" not in totals


def test_new_ticket_does_not_fail_an_earlier_resolved_ticket():
    events = lifecycle("t1", ("created", 0), ("resolved", 120))
    events.append(ticket(ticket_id="t2", kind="complaint", occurred_at=at(600)))
    totals = total_of(run(events)[0])
    assert totals["fcr/contacts"] == 1
    assert "fcr/failed" not in totals


def test_fcr_failures_never_exceed_contacts_across_several_follow_ups():
    answered = call(occurred_at=at(), wait_s=0.0)
    follow_ups = [ticket(ticket_id=f"t{n}", kind="complaint", occurred_at=at(60 * n))
                  for n in range(1, 4)]
    for events in ([answered, *follow_ups], [*follow_ups, answered],
                   [follow_ups[0], answered, *follow_ups[1:]]):
        totals = total_of(run(events)[0])
        assert totals["fcr/contacts"] == 1 and totals["fcr/failed"] == 1


# -- complaint clocks ----------------------------------------------------------------------------

def sh(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).isoformat()


@pytest.mark.parametrize(
    ("created", "responded", "on_time"),
    [
        # Friday 17:00 -> Monday 10:00 is 1 h + 1 h of business time (65 h of wall clock).
        pytest.param("2025-03-07 17:00", "2025-03-10 10:00", True, id="friday-17-to-monday-10"),
        # Friday 1 h + Monday 9 h + Tuesday 9 h + Wednesday 5 h = 24 h exactly.
        pytest.param("2025-03-07 17:00", "2025-03-12 14:00", True,
                     id="exactly-24-business-hours"),
        pytest.param("2025-03-07 17:00", "2025-03-12 14:00:01", False,
                     id="24-business-hours-and-1s"),
        # Saturday 2025-09-27 is closed: the 2 h off-hours budget starts at the next opening,
        # Sunday 2025-09-28 09:00, a 调休 make-up workday before National Day.
        pytest.param("2025-09-27 17:00", "2025-09-28 11:00", True,
                     id="off-hours-answered-2h-into-make-up-sunday"),
        pytest.param("2025-09-27 17:00", "2025-09-28 11:00:01", False,
                     id="off-hours-2h-and-1s-into-make-up-sunday"),
        pytest.param("2025-09-27 17:00", "2025-09-29 10:00", False,
                     id="make-up-sunday-counts-so-monday-10-is-late"),
        # Tuesday 30 Sep 17:00 -> Thursday 9 Oct 10:00: the holiday week (1-8 Oct) is closed.
        pytest.param("2025-09-30 17:00", "2025-10-09 10:00", True, id="national-day-holiday"),
    ],
)
def test_complaint_response_clock_on_business_hours(created, responded, on_time):
    events = [ticket(ticket_id="t1", kind="complaint", occurred_at=sh(created)),
              ticket(ticket_id="t1", action="first_response", occurred_at=sh(responded))]
    totals = total_of(run(events)[0])
    assert totals["clocks/response/judged"] == 1
    assert totals.get("clocks/response/on_time", 0) == int(on_time)


def test_first_response_points_use_wall_clock_time_beside_the_business_clock():
    events = [ticket(ticket_id="t1", kind="complaint", occurred_at=sh("2025-03-07 17:00")),
              ticket(ticket_id="t1", action="first_response",
                     occurred_at=sh("2025-03-10 10:00"))]
    totals = total_of(run(events)[0])
    assert totals["tickets/complaint/first_response_points/1"] == 1  # 65 h > 24 h
    assert totals["clocks/response/on_time"] == 1


def test_pause_stops_the_complaint_clock():
    # Monday 10:00 + 24 business hours = Wednesday 16:00; a 2 h pause on Tuesday moves it to 18:00.
    events = [ticket(ticket_id="t1", kind="complaint", occurred_at=sh("2025-03-03 10:00")),
              ticket(ticket_id="t1", action="paused", occurred_at=sh("2025-03-04 10:00")),
              ticket(ticket_id="t1", action="resumed", occurred_at=sh("2025-03-04 12:00")),
              ticket(ticket_id="t1", action="first_response",
                     occurred_at=sh("2025-03-05 17:30"))]
    totals = total_of(run(events)[0])
    assert totals["clocks/response/on_time"] == 1
    assert total_of(run([events[0], events[3]])[0]).get("clocks/response/on_time", 0) == 0


@pytest.mark.parametrize(
    ("resolved", "on_time"),
    [
        # 72 business hours from Monday 2025-03-03 10:00 = 8 days of 9 h: Thursday 13th 10:00.
        pytest.param("2025-03-13 10:00", True, id="exactly-72-business-hours"),
        pytest.param("2025-03-13 10:00:01", False, id="72-business-hours-and-1s"),
    ],
)
def test_complaint_solution_clock(resolved, on_time):
    events = [ticket(ticket_id="t1", kind="complaint", occurred_at=sh("2025-03-03 10:00")),
              ticket(ticket_id="t1", action="resolved", occurred_at=sh(resolved))]
    totals = total_of(run(events)[0])
    assert totals["clocks/solution/judged"] == 1
    assert totals.get("clocks/solution/on_time", 0) == int(on_time)


def test_clocks_judge_complaints_only():
    events = lifecycle("t1", ("created", 0), ("first_response", 60), ("resolved", 120))
    assert not keys_like(total_of(run(events)[0]), "clocks/")


# -- surveys -------------------------------------------------------------------------------------

def test_survey_components_per_dimension():
    event = survey(occurred_at=at(30), scores={"attitude": 9, "timeliness": 3})
    buckets, _, _ = run([event])
    assert buckets == {(SEG, M0): {
        "surveys/after_sales_10/attitude/responses": 1,
        "surveys/after_sales_10/attitude/sum_scores": 9,
        "surveys/after_sales_10/attitude/sum_squares": 81,
        "surveys/after_sales_10/attitude/score/9": 1,
        "surveys/after_sales_10/timeliness/responses": 1,
        "surveys/after_sales_10/timeliness/sum_scores": 3,
        "surveys/after_sales_10/timeliness/sum_squares": 9,
        "surveys/after_sales_10/timeliness/score/3": 1,
    }}


def test_survey_components_add_over_responses():
    events = [survey(occurred_at=at(n), questionnaire="segue", scale_max=5,
                     scores={"genuine": score}) for n, score in enumerate((5, 4, 4))]
    assert total_of(run(events)[0]) == {
        "surveys/segue/genuine/responses": 3,
        "surveys/segue/genuine/sum_scores": 13,
        "surveys/segue/genuine/sum_squares": 57,
        "surveys/segue/genuine/score/5": 1,
        "surveys/segue/genuine/score/4": 2,
    }


# -- segments and the agent cut ------------------------------------------------------------------

def test_segment_key_carries_customer_type_at_event_time():
    new = call(occurred_at=at(), customer_since="2026-01-15", outcome="abandoned", wait_s=1.0,
               talk_s=None)
    old = call(occurred_at=at(), customer_since="2024-01-15", outcome="abandoned", wait_s=1.0,
               talk_s=None)
    assert {segment for segment, _ in run([new, old])[0]} == {
        "east|phone|q-general|residential|repair|new|all",
        "east|phone|q-general|residential|repair|old|all",
    }


def test_agent_cut_off_labels_everything_all():
    agents = AgentCap(False, 1)
    buckets, _, _ = run([call(occurred_at=at(), agent_id="a1"),
                         call(occurred_at=at(), agent_id="a2")], agents=agents)
    assert {segment.rsplit("|", 1)[1] for segment, _ in buckets} == {"all"}
    assert agents.overflowed == 0


def test_agent_cut_on_caps_and_overflows_to_other():
    agents = AgentCap(True, 2)
    labels = [agents.label(agent) for agent in ("a1", "a2", "a3", "a1", None, "a4", "a2")]
    assert labels == ["a1", "a2", "other", "a1", "none", "other", "a2"]
    assert agents.overflowed == 2


def test_late_and_duplicate_events_take_no_agent_slot():
    agents = AgentCap(True, 1)
    late = call(occurred_at=at(), agent_id="a-late", event_id="e-late")
    _, results, record = run([late], watermark_s=M0 + 3600, agents=agents)
    assert results[0].outcome is Outcome.LATE
    buckets, results, _ = run([late, call(occurred_at=at(), agent_id="a1")], agents=agents,
                              record=record)
    assert [result.outcome for result in results] == [Outcome.DUPLICATE, Outcome.ACCEPTED]
    assert [segment.rsplit("|", 1)[1] for segment, _ in buckets] == ["a1"]
    assert agents.overflowed == 0


def test_agent_cut_in_segment_keys():
    agents = AgentCap(True, 1)
    events = [call(occurred_at=at(), agent_id=agent, outcome="abandoned", wait_s=1.0,
                   talk_s=None) for agent in ("a1", "a2", "a3")]
    buckets, _, _ = run(events, agents=agents)
    assert {segment.rsplit("|", 1)[1]: bucket["calls/offered"]
            for (segment, _), bucket in buckets.items()} == {"a1": 1, "other": 2}
    assert agents.overflowed == 2
