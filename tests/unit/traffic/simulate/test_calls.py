"""Calls: waits per queue, abandonment, short abandons, rings and talk time."""

import statistics

import pytest

from traffic.simulate.calls import RING_CADENCE_S, speed_driver


@pytest.fixture(scope="module")
def calls(day_stream):
    return [item.payload for item in day_stream if item.kind == "call"]


def test_most_answered_calls_wait_under_15_s_with_a_tail(calls):
    waits = [c["wait_s"] for c in calls if c["outcome"] == "answered"]
    under_15 = sum(w < 15 for w in waits) / len(waits)
    assert 0.7 < under_15 < 0.97
    assert max(waits) > 60


def test_about_one_call_in_ten_is_abandoned_some_within_5_s(calls):
    abandoned = [c for c in calls if c["outcome"] == "abandoned"]
    assert 0.04 < len(abandoned) / len(calls) < 0.2
    assert 0.02 < sum(c["wait_s"] < 5 for c in abandoned) / len(calls) < 0.1


def test_slower_queues_abandon_more(calls):
    """Patience is the same everywhere, so the queue with the longest waits loses the most."""
    def abandon_rate(queue: str) -> float:
        offered = [c for c in calls if c["queue"] == queue]
        return sum(c["outcome"] == "abandoned" for c in offered) / len(offered)

    assert abandon_rate("complaints") > 1.3 * abandon_rate("sales")


def test_rings_sometimes_supplied_and_consistent_with_the_wait(calls):
    with_rings = [c for c in calls if "rings" in c]
    assert 0.2 < len(with_rings) / len(calls) < 0.4
    assert all(c["rings"] == int(c["wait_s"] // RING_CADENCE_S) + 1 for c in with_rings)


def test_answered_calls_have_talk_agent_and_sometimes_transfers(calls):
    answered = [c for c in calls if c["outcome"] == "answered"]
    abandoned = [c for c in calls if c["outcome"] == "abandoned"]
    assert all(c["talk_s"] > 0 and c["agent_id"] for c in answered)
    assert all("talk_s" not in c and "agent_id" not in c and c["transfers"] == 0
               for c in abandoned)
    assert 100 < statistics.median(c["talk_s"] for c in answered) < 250
    transferred = sum(c["transfers"] > 0 for c in answered) / len(answered)
    assert 0.06 < transferred < 0.2


def test_calls_are_phone_calls(calls):
    assert {c["channel"] for c in calls} == {"phone"}


@pytest.mark.parametrize(("wait_s", "driver"), [
    (0.0, 0.4), (14.9, 0.4), (15.0, -0.6), (59.9, -0.6), (60.0, -1.8), (600.0, -1.8),
])
def test_speed_driver_bands(wait_s, driver):
    assert speed_driver(wait_s) == driver
