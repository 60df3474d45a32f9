"""Sequential detectors: thresholds from run lengths, hysteresis, and one bad survey."""

import random

import pytest

from metrics.sequential import (
    BernoulliCusum,
    Ewma,
    NormalCusum,
    bernoulli_cusum_threshold,
    normal_cusum_arl0,
    normal_cusum_threshold,
    shifted_share,
)


@pytest.mark.parametrize(("k", "arl0"), [(0.25, 1e4), (0.25, 1e6), (0.5, 1e5)])
def test_threshold_gives_the_target_run_length(k, arl0):
    h = normal_cusum_threshold(k, arl0)
    assert normal_cusum_arl0(k, h) == pytest.approx(arl0, rel=1e-6)


def test_siegmund_matches_simulation_within_a_fifth():
    rng = random.Random(3)
    k, h = 0.5, normal_cusum_threshold(0.5, 500)
    lengths = []
    for _ in range(300):
        cusum, n = NormalCusum(0.0, 1.0, k, h), 0
        while not cusum.update(1, rng.gauss(0, 1)):
            n += 1
        lengths.append(n + 1)
    assert sum(lengths) / len(lengths) == pytest.approx(500, rel=0.2)


@pytest.mark.parametrize(("steps", "alarms"), [
    ([(1, 1.0)], [False]),                               # one very bad survey
    ([(10, 10 * 7.0)] * 3, [False, True, True]),         # a sustained fall
    ([(10, 70.0)] * 2 + [(40, 40 * 8.0)] * 3, [False, True, True, False, False]),
])
def test_normal_cusum_alarms_and_recovers(steps, alarms):
    cusum = NormalCusum(mu0=8.0, sigma=1.0, k=0.25, h=12.0)
    assert [cusum.update(n, total) for n, total in steps] == alarms


def test_one_bad_survey_never_reaches_a_real_threshold():
    cusum = NormalCusum(8.0, 1.2, k=0.2, h=normal_cusum_threshold(0.2, 1e5))
    assert not cusum.update(1, 1.0)


def test_bernoulli_cusum_uses_the_issue_increment():
    p0, p1 = 0.3, shifted_share(0.3, 0.5)
    assert p1 < p0
    h = bernoulli_cusum_threshold(p0, p1, 1e4)
    cusum = BernoulliCusum(p0, p1, h)
    assert not cusum.update(50, 15)           # on target: S stays at 0
    assert cusum.s == 0.0
    while not cusum.update(50, 5):
        pass
    assert cusum.s == h


def test_ewma_alarms_below_its_limit_and_clears_above_the_centre():
    chart = Ewma(mu0=8.0, sigma=1.0, lam=0.2, limit=3.0)
    assert not any(chart.update_one(8.0) for _ in range(10))
    assert any(chart.update_one(5.0) for _ in range(10))
    assert not all(chart.update_one(9.0) for _ in range(20))
