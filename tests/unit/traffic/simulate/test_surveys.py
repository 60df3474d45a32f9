"""Surveys: follow a contact of the same customer, scores on the questionnaire's scale and
driven by how the service went, journey stages dive."""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from traffic.simulate.questionnaires import CATALOGUE


@pytest.fixture(scope="module")
def surveys(day_stream):
    return [item for item in day_stream if item.kind == "survey"]


@pytest.fixture(scope="module")
def contacts(day_stream):
    """call_id / ticket_id -> (customer, emitted_at of the call or of the first resolution,
    first-response hours for tickets)."""
    found = {}
    created = {}
    for item in day_stream:
        p = item.payload
        if item.kind == "call":
            found[p["call_id"]] = (p["customer_id"], item.emitted_at, None)
        elif item.kind == "survey":
            continue
        elif p["action"] == "created":
            created[p["ticket_id"]] = item.occurred_at
        elif p["action"] == "first_response":
            hours = (item.occurred_at - created[p["ticket_id"]]) / timedelta(hours=1)
            found[p["ticket_id"]] = (p["customer_id"], None, hours)
        elif p["action"] == "resolved" and found[p["ticket_id"]][1] is None:
            customer, _, hours = found[p["ticket_id"]]
            found[p["ticket_id"]] = (customer, item.emitted_at, hours)
    return found


def test_every_survey_follows_an_earlier_contact_of_the_same_customer(surveys, contacts):
    for item in surveys:
        ref = item.payload.get("call_id") or item.payload.get("ticket_id")
        customer, finished_at, _ = contacts[ref]
        assert customer == item.key
        assert finished_at + timedelta(seconds=10) <= item.occurred_at


def test_only_answered_calls_are_surveyed(day_stream, surveys):
    abandoned = {i.payload["call_id"] for i in day_stream
                 if i.kind == "call" and i.payload["outcome"] == "abandoned"}
    assert abandoned
    assert not abandoned & {i.payload.get("call_id") for i in surveys}


def test_scores_use_the_catalogue_dimensions_and_scale(surveys):
    for item in surveys:
        p = item.payload
        questionnaire = CATALOGUE[p["questionnaire"]]
        assert p["scale_max"] == questionnaire.scale_max
        assert set(p["scores"]) <= {d.name for d in questionnaire.dimensions}
        assert all(1 <= s <= p["scale_max"] for s in p["scores"].values())


def test_parts_supply_is_asked_about_repairs_only(day_stream, surveys):
    repairs = {i.payload["ticket_id"] for i in day_stream
               if i.kind == "ticket" and i.payload["kind"] == "repair"}
    after_sales = [i.payload for i in surveys if i.payload["questionnaire"] == "after_sales_10"]
    with_parts = [p for p in after_sales if "parts_supply" in p["scores"]]
    assert with_parts
    assert all(p.get("ticket_id") in repairs for p in with_parts)
    assert all("parts_supply" in p["scores"] for p in after_sales if p.get("ticket_id") in repairs)


def test_slow_first_responses_lower_timeliness(surveys, contacts):
    by_band = defaultdict(list)
    for item in surveys:
        p = item.payload
        if p["questionnaire"] == "after_sales_10" and "ticket_id" in p:
            hours = contacts[p["ticket_id"]][2]
            by_band["fast" if hours < 1 else "slow" if hours >= 3 else "mid"].append(
                p["scores"]["timeliness"])
    assert len(by_band["fast"]) > 50 and len(by_band["slow"]) > 20
    assert statistics.mean(by_band["fast"]) - statistics.mean(by_band["slow"]) > 1.0


def test_long_waits_lower_attitude(day_stream, surveys):
    waits = {i.payload["call_id"]: i.payload["wait_s"] for i in day_stream if i.kind == "call"}
    quick, slow = [], []
    for item in surveys:
        p = item.payload
        if p["questionnaire"] == "after_sales_10" and "call_id" in p:
            (quick if waits[p["call_id"]] < 15 else slow).append(p["scores"]["attitude"])
    assert len(slow) > 30
    assert statistics.mean(quick) - statistics.mean(slow) > 0.3


def test_satisfaction_dives_at_handover_repair_and_complaint(surveys):
    """The default journey holds up, then dives: the dive curve of domain.md."""
    index = defaultdict(list)
    for item in surveys:
        p = item.payload
        for score in p["scores"].values():
            index[p["journey_stage"]].append(100 * score / p["scale_max"])
    mean = {stage: statistics.mean(values) for stage, values in index.items()}
    assert mean["handover"] < mean["purchase"] - 3
    assert mean["complaint"] < mean["repair"] < mean["usage"]
    assert mean["repurchase"] > mean["complaint"] + 10
    assert 70 < mean["usage"] < 90


def test_surveys_answer_within_a_day(surveys, contacts):
    delays = []
    for item in surveys:
        ref = item.payload.get("call_id") or item.payload.get("ticket_id")
        delays.append(item.occurred_at - contacts[ref][1])
    assert max(delays) <= timedelta(days=1)
    assert statistics.median(delays) < timedelta(minutes=10)


def test_survey_time_is_its_emission_time(surveys):
    assert all(item.occurred_at == item.emitted_at for item in surveys)
    assert all(datetime.fromisoformat(i.payload["occurred_at"]) == i.occurred_at for i in surveys)
