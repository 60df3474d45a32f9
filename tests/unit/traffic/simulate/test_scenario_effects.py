"""Scenario effects measurably change the matched segment, and only it."""

import statistics
from collections import defaultdict
from datetime import timedelta

import pytest

from tests.unit.traffic.simulate.helpers import SCENARIOS, START, minutes_after_start
from traffic.simulate import Effect, Match, Scenario, load_scenario

# Two regions so each has plenty of traffic; 08:00 local so the day is busy.
MORNING = START + timedelta(hours=8)
TWO_REGIONS = {"regions": ["east", "west"], "rate_per_s": 2.0, "start": MORNING}


def _window(minute: float) -> str:
    return "before" if minute < 60 else "during"


def _calls(items):
    out = defaultdict(list)
    for item in items:
        if item.kind == "call":
            minute = minutes_after_start(item.occurred_at, MORNING)
            out[(item.payload["region"], _window(minute))].append(item.payload)
    return out


def _median_wait(calls):
    return statistics.median(c["wait_s"] for c in calls)


def _abandon_rate(calls):
    return sum(c["outcome"] == "abandoned" for c in calls) / len(calls)


def _call_index(items):
    """Mean score (per cent of scale) of call surveys, by region and window of the survey."""
    out = defaultdict(list)
    for item in items:
        if item.kind == "survey" and "call_id" in item.payload:
            minute = minutes_after_start(item.occurred_at, MORNING)
            p = item.payload
            out[(p["region"], _window(minute))].extend(
                100 * s / p["scale_max"] for s in p["scores"].values())
    return {key: statistics.mean(values) for key, values in out.items()}


@pytest.mark.parametrize(
    ("effect", "measure", "low", "high"),
    [
        ({"wait_factor": 3.0}, lambda items: _ratio(_calls(items), _median_wait), 2.2, 3.6),
        # Short abandons (< 5 s) do not depend on patience, so the rate less than doubles.
        ({"abandon_factor": 2.0}, lambda items: _ratio(_calls(items), _abandon_rate), 1.3, 2.2),
        ({"satisfaction_shift": -3.0},
         lambda items: _difference(_call_index(items)), -40.0, -25.0),
    ],
    ids=["wait_factor", "abandon_factor", "satisfaction_shift"],
)
def test_call_effects_change_east_from_minute_60_only(simulate, effect, measure, low, high):
    scenario = Scenario(effects=[Effect(from_minute=60, match=Match(region="east"), **effect)])
    items = simulate(scenario, duration_s=2 * 3600, **TWO_REGIONS)
    assert low <= measure(items) <= high


def _ratio(groups, statistic):
    """East's change during the effect, relative to west's change (west is the control)."""
    east = statistic(groups[("east", "during")]) / statistic(groups[("east", "before")])
    west = statistic(groups[("west", "during")]) / statistic(groups[("west", "before")])
    return east / west


def _difference(index):
    east = index[("east", "during")] - index[("east", "before")]
    west = index[("west", "during")] - index[("west", "before")]
    return east - west


def test_response_delay_factor_slows_matching_tickets(simulate):
    scenario = Scenario(effects=[Effect(from_minute=30, match=Match(region="east", kind="repair"),
                                        response_delay_factor=4.0)])
    items = simulate(scenario, duration_s=2.5 * 3600, ticket_kind_weights={"repair": 1.0},
                     **TWO_REGIONS)
    within_hour = _first_responses_within_an_hour(items, from_minute=30, until_minute=90)
    assert within_hour["west"] > 0.4
    assert within_hour["east"] < within_hour["west"] / 2


def _first_responses_within_an_hour(items, from_minute, until_minute):
    created, answered = {}, defaultdict(list)
    for item in items:
        p = item.payload
        if item.kind != "ticket":
            continue
        if p["action"] == "created":
            minute = minutes_after_start(item.occurred_at, MORNING)
            if from_minute <= minute < until_minute:
                created[p["ticket_id"]] = (p["region"], item.occurred_at)
        elif p["action"] == "first_response" and p["ticket_id"] in created:
            region, at = created[p["ticket_id"]]
            answered[region].append(item.occurred_at - at <= timedelta(hours=1))
    counts = defaultdict(int)
    for region, _ in created.values():
        counts[region] += 1
    return {region: sum(answered[region]) / counts[region] for region in counts}


def test_example_scenario_sinks_the_east_repair_team(simulate):
    """east_repairs_slow.yaml: from minute 30 the east's repairs queue answers calls slower and
    its surveys score lower on timeliness, against its own first half hour and against the
    west's repairs queue in the same window."""
    scenario = load_scenario(SCENARIOS / "east_repairs_slow.yaml")
    items = simulate(scenario, duration_s=2.5 * 3600,
                     questionnaire_weights={"after_sales_10": 1.0}, **TWO_REGIONS)
    timeliness, waits = defaultdict(list), defaultdict(list)
    for item in items:
        p = item.payload
        if p["queue"] != "repairs":
            continue
        window = "during" if minutes_after_start(item.occurred_at, MORNING) >= 30 else "before"
        if item.kind == "survey":
            timeliness[(p["region"], window)].append(p["scores"]["timeliness"])
        elif item.kind == "call":
            waits[(p["region"], window)].append(p["wait_s"])
    assert min(len(values) for values in timeliness.values()) >= 30
    mean = {key: statistics.mean(values) for key, values in timeliness.items()}
    assert mean[("east", "during")] < mean[("east", "before")] - 2.0
    assert mean[("east", "during")] < mean[("west", "during")] - 2.0
    assert abs(mean[("west", "during")] - mean[("west", "before")]) < 1.0
    median = {key: statistics.median(values) for key, values in waits.items()}
    assert median[("east", "during")] > 2 * median[("west", "during")]
    assert median[("east", "during")] > 2 * median[("east", "before")]
