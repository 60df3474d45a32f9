"""Schedule: the calendar queue pops in (time, insertion) order whatever the push pattern."""

import math
import random

import pytest

from traffic.simulate.schedule import Schedule


def test_empty_schedule_peeks_infinity():
    assert Schedule().peek_ms() == math.inf


@pytest.mark.parametrize(
    ("pushes", "expected"),
    [
        ([5_000, 1_000, 3_000], [1_000, 3_000, 5_000]),
        ([1_500, 1_200, 1_999, 1_000], [1_000, 1_200, 1_500, 1_999]),  # one second bucket
        ([2_000, 2_000, 2_000], [2_000, 2_000, 2_000]),
        ([86_400_000 * 3, 7], [7, 86_400_000 * 3]),
    ],
)
def test_pops_in_time_order(pushes, expected):
    schedule = Schedule()
    for index, t_ms in enumerate(pushes):
        schedule.push(t_ms, 0, index)
    popped = []
    while schedule.peek_ms() != math.inf:
        popped.append(schedule.pop())
    assert [t for t, _, _ in popped] == expected


def test_equal_times_keep_insertion_order():
    schedule = Schedule()
    for value in "abc":
        schedule.push(1_000, 1, value)
    assert schedule.peek_ms() == 1_000
    assert [schedule.pop() for _ in range(3)] == [(1_000, 1, "a"), (1_000, 1, "b"),
                                                   (1_000, 1, "c")]


def test_pushes_into_the_second_being_served_and_before_it():
    schedule = Schedule()
    schedule.push(5_100, 0, "later in second 5")
    schedule.push(5_900, 0, "end of second 5")
    assert schedule.peek_ms() == 5_100           # second 5 is now being served
    assert schedule.pop() == (5_100, 0, "later in second 5")
    schedule.push(5_500, 0, "inserted into second 5")
    schedule.push(4_000, 0, "before second 5")   # hands second 5 back to its bucket
    assert [schedule.pop() if schedule.peek_ms() < math.inf else None for _ in range(3)] == [
        (4_000, 0, "before second 5"),
        (5_500, 0, "inserted into second 5"),
        (5_900, 0, "end of second 5"),
    ]
    assert schedule.peek_ms() == math.inf


@pytest.mark.parametrize("seed", range(5))
def test_matches_a_sort_under_random_interleaving(seed):
    """As in the generator, pops advance a clock and no push is earlier than the last pop;
    pushes may still land before the second being served (peek loads it early)."""
    rng = random.Random(seed)
    schedule = Schedule()
    expected = []
    now_ms = 0
    popped = []
    for index in range(5_000):
        if rng.random() < 0.55:
            # Mostly the near future, sometimes the same millisecond, sometimes days ahead,
            # sometimes before the second being served (but never before the last pop).
            t_ms = now_ms + rng.choice([0, rng.randrange(1_000), rng.randrange(10**6),
                                        rng.randrange(10**9)])
            schedule.push(t_ms, 0, index)
            expected.append((t_ms, index))
        elif schedule.peek_ms() != math.inf:
            t_ms, _, index_popped = schedule.pop()
            assert t_ms >= now_ms
            now_ms = t_ms
            popped.append((t_ms, index_popped))
    while schedule.peek_ms() != math.inf:
        t_ms, _, index_popped = schedule.pop()
        popped.append((t_ms, index_popped))
    assert popped == sorted(expected)
