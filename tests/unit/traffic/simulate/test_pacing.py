"""paced(): event time advances speedup x real time, tested on a fake clock."""

import math
from datetime import timedelta

import pytest

from tests.unit.traffic.simulate.helpers import START
from traffic.simulate import SimItem, paced


class FakeClock:
    """A monotonic clock that only moves when slept on (or when the consumer is slow)."""

    def __init__(self) -> None:
        self.now_s = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_s += seconds


def _items(*offsets_s: float) -> list[SimItem]:
    return [SimItem("call", "c", {}, True, START, START + timedelta(seconds=offset))
            for offset in offsets_s]


@pytest.mark.parametrize(
    ("offsets_s", "speedup", "sleeps"),
    [
        ((0, 1, 2, 4), 1.0, [1.0, 1.0, 2.0]),
        ((0, 1, 2, 4), 2.0, [0.5, 0.5, 1.0]),
        ((0, 60, 120), 60.0, [1.0, 1.0]),
        ((0, 0, 0, 3), 1.0, [3.0]),            # same emission time: no sleep between them
        ((0, 0.001, 0.0015), 1.0, []),         # below MIN_SLEEP_S: sent a little early
        ((0, 1, 2), math.inf, []),
        ((0, 1, 2), 0.0, []),
        ((5,), 1.0, []),                       # the first item goes at once
        ((), 1.0, []),
    ],
)
def test_sleeps_until_each_item_is_due(offsets_s, speedup, sleeps):
    fake = FakeClock()
    items = _items(*offsets_s)
    out = list(paced(items, speedup, clock=fake.clock, sleep=fake.sleep))
    assert out == items
    assert fake.sleeps == pytest.approx(sleeps)


def test_items_are_yielded_when_due_not_before():
    fake = FakeClock()
    released_at = []
    for _ in paced(_items(0, 2, 5), 1.0, clock=fake.clock, sleep=fake.sleep):
        released_at.append(fake.now_s)
    assert released_at == [100.0, 102.0, 105.0]


def test_a_slow_consumer_catches_up_without_sleeping_and_without_drift():
    fake = FakeClock()
    released_at = []
    for item in paced(_items(0, 1, 2, 3, 10), 1.0, clock=fake.clock, sleep=fake.sleep):
        released_at.append(fake.now_s)
        if item.emitted_at == START:
            fake.now_s += 2.5  # the consumer stalls for 2.5 s after the first item
    assert released_at == [100.0, 102.5, 102.5, 103.0, 110.0]
    assert fake.sleeps == pytest.approx([0.5, 7.0])


@pytest.mark.parametrize("speedup", [-1.0, math.nan])
def test_bad_speedup_is_an_error(speedup):
    with pytest.raises(ValueError, match="speedup"):
        list(paced(_items(0, 1), speedup))


def test_works_on_a_live_generator(simulate):
    fake = FakeClock()
    items = simulate(rate_per_s=50.0, duration_s=60.0)
    out = list(paced(iter(items), 10.0, clock=fake.clock, sleep=fake.sleep))
    assert out == items
    elapsed_s = fake.now_s - 100.0
    span_s = (items[-1].emitted_at - items[0].emitted_at).total_seconds()
    assert elapsed_s == pytest.approx(span_s / 10.0, abs=0.003)
