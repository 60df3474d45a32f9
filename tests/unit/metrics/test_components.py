"""Additive component buckets: add_into, total, backlog keys and the typed views rebuilt from
components that stage 1 produced."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from metrics.calls import CallRules, CallTotals, measure_call
from metrics.components import (
    BACKLOG_FIELDS,
    CALL_FIELDS,
    add_into,
    call_totals,
    is_backlog_key,
    survey_dimensions,
    survey_totals,
    ticket_kinds,
    ticket_totals,
    total,
)
from metrics.contributions import AgentCap, CatalogueRules, Contributions, apply_event
from metrics.events import CallEvent, SurveyEvent, TicketEvent
from metrics.surveys import SurveyTotals
from metrics.tickets import TicketTotals
from tests import factories

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = 86_400.0


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


@pytest.mark.parametrize(
    ("target", "source", "sign", "expected"),
    [
        pytest.param({}, {"a": 1}, 1, {"a": 1}, id="into-empty"),
        pytest.param({"a": 1, "b": 2.5}, {"a": 2, "c": 1}, 1, {"a": 3, "b": 2.5, "c": 1},
                     id="key-by-key"),
        pytest.param({"a": 3}, {"a": 3}, -1, {"a": 0}, id="subtract-to-zero-keeps-key"),
        pytest.param({}, {"a": 2}, -1, {"a": -2}, id="subtract-into-empty"),
        pytest.param({"a": 1}, {}, 1, {"a": 1}, id="empty-source"),
    ],
)
def test_add_into(target, source, sign, expected):
    add_into(target, source, sign)
    assert target == expected


def test_total_sums_buckets_and_leaves_them_alone():
    buckets = [{"a": 1}, {"a": 2, "b": 0.5}, {}]
    assert total(buckets) == {"a": 3, "b": 0.5}
    assert buckets == [{"a": 1}, {"a": 2, "b": 0.5}, {}]
    assert total([]) == {}


@pytest.mark.parametrize(
    ("key", "backlog"),
    [
        ("tickets/repair/opened", True),
        ("tickets/complaint/opened_created_s", True),
        ("tickets/repair/created", False),
        ("tickets/repair/reopened", False),
        ("calls/opened", False),
        ("tickets/repair/first_response_points/5", False),
    ],
)
def test_is_backlog_key(key, backlog):
    assert is_backlog_key(key) is backlog


def test_backlog_fields():
    assert BACKLOG_FIELDS == ("opened", "opened_created_s")


def _contributions(events: list[Any]) -> dict[str, Any]:
    out = Contributions()
    record: dict[str, Any] = {}
    for event in events:
        apply_event(CatalogueRules(), event, record, float("-inf"), AgentCap(False, 0), out)
    return total(out.buckets.values())


CALLS = [
    {"outcome": "answered", "wait_s": 3.0, "talk_s": 60.0},
    {"outcome": "answered", "wait_s": 15.0, "talk_s": None, "transfers": 2},
    {"outcome": "answered", "wait_s": 3.0, "talk_s": 30.5, "rings": 5},
    {"outcome": "abandoned", "wait_s": 4.9, "talk_s": None},
    {"outcome": "abandoned", "wait_s": 5.0, "talk_s": None, "transfers": 1},
]


def test_call_totals_round_trip_from_apply_event():
    events = [CallEvent.model_validate(factories.call(customer_id="c1", occurred_at=at(n * 10),
                                                      **fields))
              for n, fields in enumerate(CALLS)]
    expected = CallTotals()
    for event in events:
        expected.add(measure_call(event, CallRules()))
    assert call_totals(_contributions(events)) == expected
    assert expected.offered == 5 and expected.answered_within_target == 2


def test_call_totals_of_an_empty_bucket_are_zero():
    assert call_totals({}) == CallTotals()
    assert set(CALL_FIELDS) == set(CallTotals().as_dict())


def test_ticket_totals_round_trip_from_apply_event():
    def event(ticket_id: str, action: str, seconds: float, **fields: Any) -> TicketEvent:
        return TicketEvent.model_validate(factories.ticket(
            customer_id="c1", ticket_id=ticket_id, action=action, occurred_at=at(seconds),
            **fields))

    events = [
        event("t1", "created", 0, asset_id="a1", due_at=at(DAY)),
        event("t1", "first_response", 600),
        event("t1", "resolved", 3600, resolved_at_first_contact=True),
        event("t1", "closed", 4000),
        event("t2", "created", 100, asset_id="a1"),
        event("t2", "first_response", 100 + 2 * 3600),
        event("t2", "resolved", 100 + 2 * DAY),
        event("t2", "closed", 100 + 2 * DAY),
        event("t2", "reopened", 100 + 3 * DAY),
        event("t3", "created", 200, kind="complaint", issue_category="noise"),
        event("t3", "first_response", 200 + DAY + 1),
    ]
    bucket = _contributions(events)
    repair = TicketTotals()
    repair.add_created(False)
    repair.add_created(True)
    repair.add_first_response(5)
    repair.add_first_response(4)
    repair.add_resolved("first_contact")
    repair.add_resolved("over_1d")
    repair.add_closed(True)
    repair.add_closed(None)
    repair.add_reopened()
    complaint = TicketTotals()
    complaint.add_created(False)
    complaint.add_first_response(1)
    assert ticket_kinds(bucket) == ["complaint", "repair"]
    assert ticket_totals(bucket, "repair") == repair
    assert ticket_totals(bucket, "complaint") == complaint
    assert ticket_totals(bucket, "inquiry") == TicketTotals()
    # t2 was reopened after its close: one repair open, created at T0 + 100 s.
    assert bucket["tickets/repair/opened"] == 1
    assert bucket["tickets/repair/opened_created_s"] == T0.timestamp() + 100
    assert bucket["tickets/complaint/opened"] == 1


def test_survey_totals_round_trip_from_apply_event():
    scores = [{"attitude": 9, "timeliness": 3}, {"attitude": 10}, {"attitude": 9}]
    events = [SurveyEvent.model_validate(factories.survey(customer_id="c1",
                                                          occurred_at=at(n), scores=score))
              for n, score in enumerate(scores)]
    events.append(SurveyEvent.model_validate(factories.survey(
        customer_id="c1", occurred_at=at(9), questionnaire="segue", scale_max=5,
        scores={"genuine": 4})))
    bucket = _contributions(events)
    attitude = SurveyTotals(1, 10)
    for score in (9, 10, 9):
        attitude.add(score)
    timeliness = SurveyTotals(1, 10)
    timeliness.add(3)
    genuine = SurveyTotals(1, 5)
    genuine.add(4)
    assert survey_dimensions(bucket) == [("after_sales_10", "attitude"),
                                         ("after_sales_10", "timeliness"), ("segue", "genuine")]
    assert survey_totals(bucket, "after_sales_10", "attitude", 1, 10) == attitude
    assert survey_totals(bucket, "after_sales_10", "timeliness", 1, 10) == timeliness
    assert survey_totals(bucket, "segue", "genuine", 1, 5) == genuine
    assert survey_totals(bucket, "segue", "effective", 1, 5) == SurveyTotals(1, 5)
    assert survey_totals(bucket, "after_sales_10", "attitude", 1, 10).index() == pytest.approx(
        280 / 3)


def test_typed_views_of_a_sum_equal_the_merge_of_the_views():
    first = _contributions([CallEvent.model_validate(factories.call(
        customer_id="c1", occurred_at=at(0), wait_s=1.0))])
    second = _contributions([CallEvent.model_validate(factories.call(
        customer_id="c2", occurred_at=at(0), outcome="abandoned", wait_s=2.0, talk_s=None))])
    merged = call_totals(first)
    merged.merge(call_totals(second))
    assert call_totals(total([first, second])) == merged
