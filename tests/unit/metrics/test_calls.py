"""Call maths: rings from the wait, short abandons, per-call measures, totals and their ratios."""

import json
from dataclasses import dataclass

import pytest

from metrics.calls import (
    CallMeasures,
    CallRules,
    CallTotals,
    is_short_abandon,
    measure_call,
    ring_count,
    rings_from_wait,
)
from metrics.errors import MetricInputError
from metrics.events import CallEvent
from tests import factories


@pytest.mark.parametrize(
    ("wait_s", "cadence_s", "rings"),
    [
        pytest.param(0.0, 5.0, 1, id="zero-wait-is-ring-1"),
        pytest.param(4.999, 5.0, 1, id="just-before-ring-2"),
        pytest.param(5.0, 5.0, 2, id="ring-2-starts-at-5s"),
        pytest.param(9.999, 5.0, 2, id="just-before-ring-3"),
        pytest.param(15.0, 5.0, 4, id="ring-4-starts-at-15s"),
        pytest.param(19.999, 5.0, 4, id="last-instant-of-ring-4"),
        pytest.param(20.0, 5.0, 5, id="ring-5-starts-at-20s"),
        pytest.param(14.999999999999998, 5.0, 3, id="one-ulp-below-15s-is-ring-3"),
        pytest.param(0.3, 0.1, 4, id="float-0.3/0.1-read-as-decimal"),
        pytest.param(0.29999, 0.1, 3, id="just-below-decimal-multiple"),
        pytest.param(6.0, 6.0, 2, id="other-cadence"),
        pytest.param(86_400.0, 5.0, 17_281, id="contract-maximum-wait"),
        pytest.param(15, 5, 4, id="int-arguments"),
        pytest.param(14, 5, 3, id="int-arguments-below"),
        pytest.param(1e-300, 5.0, 1, id="tiny-wait"),
    ],
)
def test_rings_from_wait(wait_s, cadence_s, rings):
    assert rings_from_wait(wait_s, cadence_s) == rings


@pytest.mark.parametrize(
    ("wait_s", "cadence_s"),
    [(-0.001, 5.0), (1.0, 0.0), (1.0, -5.0), (float("nan"), 5.0)],
)
def test_rings_from_wait_rejects_impossible_input(wait_s, cadence_s):
    with pytest.raises(MetricInputError):
        rings_from_wait(wait_s, cadence_s)


@pytest.mark.parametrize(
    ("event_rings", "wait_s", "rings"),
    [
        pytest.param(None, 12.0, 3, id="derived-when-absent"),
        pytest.param(7, 12.0, 7, id="event-count-wins-over-wait"),
        pytest.param(1, 30.0, 1, id="event-count-wins-even-if-lower"),
    ],
)
def test_ring_count(event_rings, wait_s, rings):
    assert ring_count(event_rings, wait_s) == rings


def test_ring_count_rejects_zero_rings():
    with pytest.raises(MetricInputError):
        ring_count(0, 1.0)


@pytest.mark.parametrize(
    ("wait_s", "threshold_s", "short"),
    [
        pytest.param(0.0, 5.0, True, id="instant-hang-up"),
        pytest.param(4.999, 5.0, True, id="just-below"),
        pytest.param(5.0, 5.0, False, id="exactly-threshold-is-not-short"),
        pytest.param(5.001, 5.0, False, id="above"),
        pytest.param(0.0, 0.0, False, id="threshold-0-disables"),
    ],
)
def test_is_short_abandon(wait_s, threshold_s, short):
    assert is_short_abandon(wait_s, threshold_s) is short


@dataclass(frozen=True)
class Call:
    """A CallLike for table rows; CallEvent itself is exercised separately."""

    outcome: str = "answered"
    wait_s: float = 0.0
    rings: int | None = None
    talk_s: float | None = None
    transfers: int = 0
    queue: str = "q-general"


RULES = CallRules(target_rings_by_queue={"q-vip": 2})


@pytest.mark.parametrize(
    ("call", "answered", "within", "short", "rings"),
    [
        pytest.param(Call(wait_s=0.0), True, True, False, 1, id="instant-answer"),
        pytest.param(Call(wait_s=19.999), True, True, False, 4, id="ring-4-within-default-4"),
        pytest.param(Call(wait_s=20.0), True, False, False, 5, id="ring-5-misses-default-4"),
        pytest.param(Call(wait_s=30.0, rings=4), True, True, False, 4,
                     id="event-rings-4-within-despite-long-wait"),
        pytest.param(Call(wait_s=1.0, rings=5), True, False, False, 5,
                     id="event-rings-5-misses-despite-short-wait"),
        pytest.param(Call(wait_s=9.999, queue="q-vip"), True, True, False, 2,
                     id="queue-override-2-rings-within"),
        pytest.param(Call(wait_s=10.0, queue="q-vip"), True, False, False, 3,
                     id="queue-override-2-rings-missed"),
        pytest.param(Call("abandoned", wait_s=4.999), False, False, True, None,
                     id="short-abandon"),
        pytest.param(Call("abandoned", wait_s=5.0), False, False, False, None,
                     id="abandon-at-threshold-counts"),
        pytest.param(Call("abandoned", wait_s=2.0, rings=1), False, False, True, None,
                     id="abandoned-rings-ignored"),
    ],
)
def test_measure_call(call, answered, within, short, rings):
    measures = measure_call(call, RULES)
    assert (measures.offered, measures.answered, measures.abandoned) == (1, answered, not answered)
    assert measures.answered_within_target is within
    assert measures.short_abandoned is short
    assert measures.rings == rings


def test_measure_call_reads_a_contract_event():
    event = CallEvent.model_validate(factories.call(wait_s=7.5, talk_s=120.0, transfers=2))
    assert measure_call(event) == CallMeasures(
        offered=1, answered=True, answered_within_target=True, abandoned=False,
        short_abandoned=False, wait_s=7.5, talk_s=120.0, transfers=2, rings=2,
    )


def test_measure_call_rejects_unknown_outcome():
    with pytest.raises(MetricInputError):
        measure_call(Call("transferred"))


@pytest.mark.parametrize(
    "kwargs",
    [{"cadence_s": 0.0}, {"short_abandon_s": -1.0}, {"target_rings": 0},
     {"target_rings_by_queue": {"q": 0}}],
)
def test_call_rules_reject_impossible_settings(kwargs):
    with pytest.raises(MetricInputError):
        CallRules(**kwargs)


def _totals(*calls: Call, rules: CallRules = RULES) -> CallTotals:
    totals = CallTotals()
    for call in calls:
        totals.add(measure_call(call, rules))
    return totals


MIXED = (
    Call(wait_s=3.0, talk_s=100.0),                 # within
    Call(wait_s=25.0, talk_s=200.0, transfers=2),   # ring 6: missed
    Call(wait_s=12.0, transfers=1),                 # within, no talk time sent
    Call("abandoned", wait_s=2.0),                  # short abandon
    Call("abandoned", wait_s=40.0),                 # abandon
)


def test_totals_components():
    totals = _totals(*MIXED)
    assert totals.as_dict() == {
        "offered": 5, "answered": 3, "answered_within_target": 2, "abandoned": 2,
        "short_abandoned": 1, "answer_wait_s_sum": 40.0, "abandon_wait_s_sum": 42.0,
        "talked": 2, "talk_s_sum": 300.0, "transfers": 3,
    }


@pytest.mark.parametrize(
    ("calls", "service_level", "abandonment", "asa_s", "talk_s", "transfers"),
    [
        pytest.param(MIXED, 2 / 4, 1 / 4, 40.0 / 3, 150.0, 3 / 5, id="mixed"),
        pytest.param((), None, None, None, None, None, id="empty-publishes-nothing"),
        pytest.param((Call("abandoned", wait_s=1.0),), None, None, None, None, 0.0,
                     id="only-short-abandons-no-service-level"),
        pytest.param((Call("abandoned", wait_s=9.0),), 0.0, 1.0, None, None, 0.0,
                     id="only-real-abandons"),
        pytest.param((Call(wait_s=0.0),), 1.0, 0.0, 0.0, None, 0.0,
                     id="one-instant-answer-no-talk-time"),
    ],
)
def test_totals_ratios(calls, service_level, abandonment, asa_s, talk_s, transfers):
    totals = _totals(*calls)
    assert totals.service_level() == service_level
    assert totals.abandonment_rate() == abandonment
    assert totals.average_speed_of_answer_s() == asa_s
    assert totals.average_talk_s() == talk_s
    assert totals.transfers_per_call() == transfers


def test_merge_equals_adding_everything_to_one_total():
    left, right = _totals(*MIXED[:2]), _totals(*MIXED[2:])
    left.merge(right)
    assert left == _totals(*MIXED)


def test_totals_round_trip_through_json():
    totals = _totals(*MIXED)
    assert CallTotals.from_dict(json.loads(json.dumps(totals.as_dict()))) == totals
