"""generate(): determinism, contract validity, ordering, limits and the shape of the stream."""

import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from tests.unit.traffic.simulate.helpers import START, body, decode
from traffic.simulate import SimulatorConfig, generate


def test_same_seed_gives_the_same_bytes(simulate):
    first = simulate(count=4_000, seed=3)
    second = simulate(count=4_000, seed=3)
    assert [body(item) for item in first] == [body(item) for item in second]
    assert [(i.kind, i.key, i.emitted_at) for i in first] == [
        (i.kind, i.key, i.emitted_at) for i in second]


def test_another_seed_gives_other_traffic(simulate):
    first = simulate(count=2_000, seed=3)
    other = simulate(count=2_000, seed=4)
    assert [body(item) for item in first] != [body(item) for item in other]


def test_ids_name_the_seed_and_the_start(simulate):
    """A second run on the same topics must not look like redelivered copies of the first."""
    earlier = simulate(count=50)
    later = simulate(count=50, start=START + timedelta(days=1))
    assert {i.payload["event_id"] for i in earlier}.isdisjoint(
        i.payload["event_id"] for i in later)


def test_every_item_validates_against_the_contract(day_stream):
    assert len(day_stream) > 50_000
    rejected = []
    for item in day_stream:
        decoded = decode(item)
        if decoded.rejected or len(decoded.events) != 1:
            rejected.append((item.payload, decoded.rejected))
    assert rejected == []


def test_every_kind_action_and_questionnaire_appears(day_stream):
    seen = Counter(item.kind for item in day_stream)
    actions = Counter(i.payload["action"] for i in day_stream if i.kind == "ticket")
    questionnaires = Counter(i.payload["questionnaire"] for i in day_stream if i.kind == "survey")
    assert set(seen) == {"call", "ticket", "survey"}
    assert set(actions) == {"created", "first_response", "updated", "paused", "resumed",
                            "resolved", "closed", "reopened"}
    assert set(questionnaires) == {"after_sales_10", "segue", "servqual"}


def test_event_ids_are_unique_and_occurred_at_matches_the_payload(day_stream):
    ids = [item.payload["event_id"] for item in day_stream]
    assert len(set(ids)) == len(ids)
    assert all(datetime.fromisoformat(i.payload["occurred_at"]) == i.occurred_at
               for i in day_stream)
    assert all(i.key == i.payload["customer_id"] for i in day_stream)


def test_items_come_in_emission_order_and_never_before_they_happen(day_stream):
    emitted = [item.emitted_at for item in day_stream]
    assert emitted == sorted(emitted)
    assert all(item.occurred_at <= item.emitted_at for item in day_stream)


@pytest.mark.parametrize(("kind", "share"), [("call", 0.5), ("ticket", 0.3), ("survey", 0.2)])
def test_steady_state_mix_matches_the_config(day_stream, kind, share):
    """After the first day's warm-up (lifecycles and surveys follow their contacts)."""
    second_day = [i for i in day_stream if i.emitted_at >= START + timedelta(hours=24)]
    measured = sum(item.kind == kind for item in second_day) / len(second_day)
    assert measured == pytest.approx(share, abs=0.03)


def test_mean_rate_over_a_day_matches_rate_per_s(day_stream):
    second_day = [i for i in day_stream if i.emitted_at >= START + timedelta(hours=12)]
    assert len(second_day) / (24 * 3600) == pytest.approx(0.5, rel=0.08)


def test_segment_fields_are_stable_per_customer(day_stream):
    profiles = defaultdict(set)
    for item in day_stream:
        p = item.payload
        profiles[p["customer_id"]].add(
            (p["region"], p["business_line"], p.get("customer_since"), p["value_tier"]))
    assert len(profiles) > 1_000
    assert all(len(seen) == 1 for seen in profiles.values())


def test_customer_tenure_mix_covers_new_regular_old(day_stream):
    types = Counter(decode(i).events[0].segment.customer_type for i in day_stream[:5_000])
    assert {"new", "regular", "old"} <= set(types)
    assert types["old"] > types["new"] > 0


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"count": 0}, 0),
        ({"count": 1}, 1),
        ({"count": 777}, 777),
        ({"count": 777, "duration_s": 0.0}, 0),
    ],
)
def test_count_limits_the_items(simulate, limits, expected):
    assert len(simulate(rate_per_s=50.0, **limits)) == expected


def test_duration_stops_before_the_end_time(simulate):
    items = simulate(rate_per_s=50.0, duration_s=600.0)
    end = START + timedelta(seconds=600)
    assert items and all(item.emitted_at < end for item in items)
    assert items[-1].emitted_at > end - timedelta(seconds=30)


def test_endless_without_limits():
    items = generate(SimulatorConfig(rate_per_s=1_000.0), None, START)
    assert sum(1 for _, _ in zip(range(3_000), items, strict=False)) == 3_000


@pytest.mark.parametrize(
    ("start", "count", "duration_s", "message"),
    [
        (datetime(2026, 3, 2), None, None, "timezone-aware"),
        (START, -1, None, "count"),
        (START, None, -5.0, "duration_s"),
        (START, None, math.nan, "duration_s"),
    ],
)
def test_bad_arguments_fail_at_the_call(start, count, duration_s, message):
    with pytest.raises(ValueError, match=message):
        generate(SimulatorConfig(), None, start, count=count, duration_s=duration_s)


def test_start_is_truncated_to_the_millisecond(simulate):
    items = simulate(count=200, start=START + timedelta(microseconds=1_999))
    assert all(item.occurred_at.microsecond % 1_000 == 0 for item in items)
