"""Tickets: lifecycle order, response bands, due dates, repeat repairs and complaints."""

import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from tests.unit.traffic.simulate.helpers import START
from traffic.simulate import SimulatorConfig
from traffic.simulate.effects import Effects
from traffic.simulate.tickets import (
    PROFILES,
    advance,
    expected_events_per_ticket,
    open_ticket,
    speed_driver,
)
from traffic.simulate.world import World

_START_PLUS_12H = START + timedelta(hours=12)
_START_MS = int(START.timestamp() * 1000)


@pytest.fixture(scope="module")
def lifecycles(day_stream):
    """ticket_id -> its events in emission order (the shared stream has no late items)."""
    by_ticket = defaultdict(list)
    for item in day_stream:
        if item.kind == "ticket":
            by_ticket[item.payload["ticket_id"]].append(item.payload)
    return by_ticket


def _allowed_next(action: str, paused: bool, closed_once: bool) -> set[str]:
    """The lifecycle grammar of docs/simulator.md."""
    if action == "created":
        return {"first_response"}
    if paused:
        return {"resumed"}
    if action == "closed":
        return set() if closed_once else {"reopened"}
    if action == "resolved":
        return {"closed"}
    if action == "reopened":
        return {"resolved"}
    return {"updated", "paused", "resolved"}


def test_every_lifecycle_follows_the_grammar_in_time_order(lifecycles):
    assert len(lifecycles) > 2_000
    for ticket_id, events in lifecycles.items():
        actions = [e["action"] for e in events]
        times = [datetime.fromisoformat(e["occurred_at"]) for e in events]
        assert actions[0] == "created", ticket_id
        assert times == sorted(times), ticket_id
        closed_before = False
        for current, following in zip(actions, actions[1:], strict=False):
            assert following in _allowed_next(current, current == "paused", closed_before), (
                ticket_id, actions)
            closed_before = closed_before or current == "closed"


def test_ticket_fields_stay_constant_over_the_lifecycle(lifecycles):
    for events in lifecycles.values():
        stable = {(e["kind"], e["queue"], e["channel"], e["journey_stage"], e.get("due_at"),
                   e.get("asset_id"), e.get("issue_category")) for e in events}
        assert len(stable) == 1


def test_most_lifecycles_finish_within_a_day(lifecycles):
    early = [events for events in lifecycles.values()
             if datetime.fromisoformat(events[0]["occurred_at"]) < _START_PLUS_12H]
    finished = sum(events[-1]["action"] == "closed" for events in early)
    assert len(early) > 300
    assert finished / len(early) > 0.8


@pytest.fixture(scope="module")
def planned():
    """The (action, epoch ms) steps of 10,000 tickets opened at one moment, walked to the end:
    no run-length censoring, unlike the shared stream."""
    config = SimulatorConfig()
    world = World(config, _START_MS)
    effects = Effects(None, config, _START_MS)
    rng = random.Random(1)
    lifecycles = []
    for number in range(10_000):
        ticket = open_ticket(world, rng, number, _START_MS, effects)
        steps = []
        while ticket.plan:
            step = advance(world, ticket, 0)
            steps.append((step.action, step.t_ms))
        lifecycles.append(steps)
    return lifecycles


def test_every_lifecycle_ends_within_8_days(planned):
    """The bound that keeps the pending-event queue small."""
    spans_ms = [steps[-1][1] - steps[0][1] for steps in planned]
    assert max(spans_ms) <= 8 * 86_400_000
    assert max(spans_ms) > 3 * 86_400_000
    assert all(steps[-1][0] == "closed" for steps in planned)


def test_planned_steps_are_in_time_order(planned):
    for steps in planned:
        times = [t_ms for _, t_ms in steps]
        assert times == sorted(times)


def test_first_responses_spread_over_all_four_score_bands(planned):
    bands = Counter()
    for steps in planned:
        hours = (steps[1][1] - steps[0][1]) / 3_600_000
        bands["<1h" if hours < 1 else "1-3h" if hours < 3 else "3-24h" if hours <= 24
              else ">24h"] += 1
    shares = {band: count / len(planned) for band, count in bands.items()}
    assert 0.45 < shares["<1h"] < 0.75
    assert 0.1 < shares["1-3h"] < 0.3
    assert 0.07 < shares["3-24h"] < 0.25
    assert 0.003 < shares[">24h"] < 0.03


def test_first_contact_resolutions_resolve_at_the_first_response(lifecycles):
    resolved_first = 0
    for events in lifecycles.values():
        for event in events:
            if event["action"] == "resolved" and event["resolved_at_first_contact"]:
                resolved_first += 1
                first = next(e for e in events if e["action"] == "first_response")
                assert first["occurred_at"] == event["occurred_at"]
        assert all("resolved_at_first_contact" not in e for e in events
                   if e["action"] != "resolved")
    assert resolved_first > 200


@pytest.mark.parametrize(("kind", "due_after"), [
    ("complaint", timedelta(hours=72)), ("repair", timedelta(hours=48)),
    ("inquiry", None), ("suggestion", None),
])
def test_due_dates_for_complaints_and_repairs(lifecycles, kind, due_after):
    created = [events[0] for events in lifecycles.values() if events[0]["kind"] == kind]
    assert created
    for event in created:
        if due_after is None:
            assert "due_at" not in event
        else:
            assert (datetime.fromisoformat(event["due_at"])
                    - datetime.fromisoformat(event["occurred_at"])) == due_after


def test_repairs_carry_assets_and_some_repeat_for_the_same_asset(lifecycles):
    repairs = [events[0] for events in lifecycles.values() if events[0]["kind"] == "repair"]
    assert all(e["asset_id"].startswith(e["customer_id"]) for e in repairs)
    per_asset = Counter((e["customer_id"], e["asset_id"]) for e in repairs)
    repeated = sum(n - 1 for n in per_asset.values())
    assert 0.05 < repeated / len(repairs) < 0.4


def test_complaints_carry_issue_categories_and_some_repeat(lifecycles):
    complaints = [events[0] for events in lifecycles.values() if events[0]["kind"] == "complaint"]
    assert all(e["issue_category"] for e in complaints)
    per_issue = Counter((e["customer_id"], e["issue_category"]) for e in complaints)
    assert any(n >= 2 for n in per_issue.values())


def test_agent_assigned_from_the_first_response_on(lifecycles):
    for events in lifecycles.values():
        assert "agent_id" not in events[0]
        assert all(e["agent_id"] == events[1]["agent_id"] for e in events[1:])


def test_expected_events_per_ticket_matches_the_generated_mean(lifecycles):
    weights = {"complaint": 0.2, "repair": 0.35, "inquiry": 0.4, "suggestion": 0.05}
    early = [events for events in lifecycles.values()
             if datetime.fromisoformat(events[0]["occurred_at"]) < _START_PLUS_12H]
    mean = sum(len(events) for events in early) / len(early)
    assert mean == pytest.approx(expected_events_per_ticket(weights), rel=0.1)


@pytest.mark.parametrize(("kind", "events"), [
    ("inquiry", 4 + 0.4 * 0.85 + 3 * 0.02),
    ("repair", 4 + 0.95 * 0.85 + 3 * 0.06),
])
def test_expected_events_per_ticket_per_kind(kind, events):
    assert expected_events_per_ticket({kind: 1.0}) == pytest.approx(events)


def test_every_ticket_kind_has_a_profile():
    assert set(PROFILES) == {"complaint", "repair", "inquiry", "suggestion"}


@pytest.mark.parametrize(("hours", "driver"), [
    (0.0, 0.5), (0.99, 0.5), (1.0, -0.3), (2.99, -0.3), (3.0, -1.5), (24.0, -1.5),
    (24.01, -3.0),
])
def test_speed_driver_follows_the_response_bands(hours, driver):
    assert speed_driver(hours * 3600) == driver
