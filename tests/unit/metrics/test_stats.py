"""Wilson intervals and mean intervals from additive sums."""

import math

import pytest

from metrics.errors import MetricInputError
from metrics.stats import MeanEstimate, index_interval, mean_interval, wilson_interval


def _rounded(pair, places=4):
    return None if pair is None else tuple(round(value, places) for value in pair)


# Reference values checked by hand from the closed form (8/10 at z = 1.96: centre
# (0.8 + 0.19208) / 1.38416 = 0.71673, half 1.41602 x sqrt(0.016 + 0.009604) = 0.22658) and
# cross-checked as the roots of the quadratic below; 8/10, 5/10 and 0/10 match published tables.
@pytest.mark.parametrize(
    ("successes", "n", "z", "interval"),
    [
        pytest.param(8, 10, 1.96, (0.4902, 0.9433), id="8-of-10"),
        pytest.param(5, 10, 1.96, (0.2366, 0.7634), id="5-of-10-symmetric"),
        pytest.param(0, 10, 1.96, (0.0, 0.2775), id="p0-low-exactly-0"),
        pytest.param(10, 10, 1.96, (0.7225, 1.0), id="p1-high-exactly-1"),
        pytest.param(1, 1, 1.96, (0.2065, 1.0), id="single-success"),
        pytest.param(0, 1, 1.96, (0.0, 0.7935), id="single-failure"),
        pytest.param(80, 100, 1.96, (0.7112, 0.8666), id="80-of-100"),
        pytest.param(8, 10, 2.576, (0.4008, 0.9599), id="z-99-percent"),
        pytest.param(0, 0, 1.96, None, id="n0-not-published"),
    ],
)
def test_wilson_interval_known_values(successes, n, z, interval):
    assert _rounded(wilson_interval(successes, n, z)) == interval


@pytest.mark.parametrize(
    ("successes", "n", "z"), [(8, 10, 1.96), (3, 7, 1.0), (123, 4567, 2.576), (1, 2, 3.0)]
)
def test_wilson_bounds_solve_the_score_equation(successes, n, z):
    # The Wilson bounds are the proportions pi with (p - pi)^2 = z^2 pi (1 - pi) / n.
    p = successes / n
    for bound in wilson_interval(successes, n, z):
        assert (p - bound) ** 2 == pytest.approx(z * z * bound * (1 - bound) / n, rel=1e-9)


@pytest.mark.parametrize(("successes", "n"), [(0, 10), (10, 10), (0, 1), (1, 1)])
def test_wilson_interval_edges_are_exact(successes, n):
    low, high = wilson_interval(successes, n)
    assert (low == 0.0) is (successes == 0)
    assert (high == 1.0) is (successes == n)


@pytest.mark.parametrize(("successes", "n"), [(7, 13), (1, 1000), (999, 1000), (3, 3)])
def test_wilson_interval_contains_the_point_estimate_and_mirrors(successes, n):
    low, high = wilson_interval(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0
    mirror_low, mirror_high = wilson_interval(n - successes, n)
    assert math.isclose(low, 1 - mirror_high) and math.isclose(high, 1 - mirror_low)


@pytest.mark.parametrize(
    ("successes", "n", "z"),
    [(-1, 10, 1.96), (11, 10, 1.96), (0, -1, 1.96), (1, 2, 0.0), (1, 2, -1.0)],
)
def test_wilson_interval_rejects_impossible_input(successes, n, z):
    with pytest.raises(MetricInputError):
        wilson_interval(successes, n, z)


@pytest.mark.parametrize(
    ("n", "total", "squares", "expected"),
    [
        # scores 8, 9, 10: mean 9, sample sd 1, se 1/sqrt(3)
        pytest.param(3, 27, 245, (9.0, 1.0, 1 / math.sqrt(3)), id="8-9-10"),
        pytest.param(4, 28, 196, (7.0, 0.0, 0.0), id="identical-scores-zero-spread"),
        pytest.param(2, 3.0, 5.0, (1.5, math.sqrt(0.5), 0.5), id="float-sums-1-and-2"),
    ],
)
def test_mean_interval(n, total, squares, expected):
    estimate = mean_interval(n, total, squares)
    mean, sd, se = expected
    assert estimate.n == n and estimate.mean == pytest.approx(mean, abs=1e-12)
    assert estimate.sd == pytest.approx(sd, abs=1e-12)
    assert estimate.se == pytest.approx(se, abs=1e-12)
    assert estimate.low == pytest.approx(mean - 1.96 * se, abs=1e-12)
    assert estimate.high == pytest.approx(mean + 1.96 * se, abs=1e-12)


@pytest.mark.parametrize(
    ("n", "total", "squares", "expected"),
    [
        pytest.param(0, 0, 0, None, id="n0-not-published"),
        pytest.param(1, 7, 49, MeanEstimate(1, 7.0, None, None, None, None), id="n1-no-spread"),
    ],
)
def test_mean_interval_small_samples(n, total, squares, expected):
    assert mean_interval(n, total, squares) == expected


def test_mean_interval_integer_sums_do_not_cancel_below_zero():
    # 1e9 identical scores of 9: float (sq - t^2/n) loses everything; integers stay exact.
    n = 1_000_000_000
    estimate = mean_interval(n, 9 * n, 81 * n)
    assert (estimate.mean, estimate.sd, estimate.se) == (9.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("n", "total", "squares"),
    [(-1, 0, 0), (2, 10, 10)],
)
def test_mean_interval_rejects_impossible_input(n, total, squares):
    with pytest.raises(MetricInputError):
        mean_interval(n, total, squares)


def test_index_interval_rescales_to_100_points():
    estimate = index_interval(3, 27, 245, scale_max=10)
    assert estimate.mean == 90.0
    assert estimate.sd == pytest.approx(10.0)
    assert estimate.se == pytest.approx(10 / math.sqrt(3))
    assert (estimate.low, estimate.high) == pytest.approx((90 - 19.6 / math.sqrt(3),
                                                          90 + 19.6 / math.sqrt(3)))
    assert index_interval(0, 0, 0, scale_max=5) is None
    assert index_interval(1, 4, 16, scale_max=5) == MeanEstimate(1, 80.0, None, None, None, None)
